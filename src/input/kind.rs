//! The kinds of input file cutover reads.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Users,
    Groups,
    Members,
    Mailboxes,
    MailboxStats,
    Permissions,
    Contacts,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Users,
        FileKind::Groups,
        FileKind::Members,
        FileKind::Mailboxes,
        FileKind::MailboxStats,
        FileKind::Permissions,
        FileKind::Contacts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Users => "users",
            FileKind::Groups => "groups",
            FileKind::Members => "members",
            FileKind::Mailboxes => "mailboxes",
            FileKind::MailboxStats => "mailbox-stats",
            FileKind::Permissions => "permissions",
            FileKind::Contacts => "contacts",
        }
    }

    /// Kinds the audit stage reads (mailboxes, statistics, permissions).
    pub fn is_audit(self) -> bool {
        matches!(
            self,
            FileKind::Mailboxes | FileKind::MailboxStats | FileKind::Permissions
        )
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FileKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match t.as_str() {
            "users" | "user" => FileKind::Users,
            "groups" | "group" | "dls" | "dl" => FileKind::Groups,
            "members" | "member" | "memberships" => FileKind::Members,
            "mailboxes" | "mailbox" => FileKind::Mailboxes,
            "mailbox-stats" | "stats" | "statistics" | "mailbox-statistics" => {
                FileKind::MailboxStats
            }
            "permissions" | "permission" => FileKind::Permissions,
            "contacts" | "contact" | "mail-contacts" => FileKind::Contacts,
            _ => {
                return Err(Error::Usage(format!(
                "unknown kind '{s}': use users, groups, members, mailboxes, mailbox-stats, permissions or contacts"
            )))
            }
        })
    }
}
