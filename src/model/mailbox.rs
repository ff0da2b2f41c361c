//! Mailboxes, their statistics and permissions (the audit inputs).

use serde::Serialize;

use super::{Origin, ProxyAddress};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecipientKind {
    #[default]
    User,
    Shared,
    Room,
    Equipment,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mailbox {
    pub origin: Origin,
    pub identity: String,
    pub alias: Option<String>,
    pub display_name: Option<String>,
    pub primary_smtp: Option<String>,
    pub upn: Option<String>,
    pub exchange_guid: Option<String>,
    pub proxy_addresses: Vec<ProxyAddress>,
    pub kind: RecipientKind,
    pub archive: bool,
    /// The archive's mailbox GUID: archive statistics rows carry it as their `MailboxGuid`.
    pub archive_guid: Option<String>,
    pub litigation_hold: bool,
    /// `ForwardingSmtpAddress`: an SMTP address, often outside the organisation.
    pub forwarding: Option<String>,
    /// `ForwardingAddress`: a recipient object (mail contact, mailbox) named by identity.
    pub forwarding_recipient: Option<String>,
    /// `GrantSendOnBehalfTo` when the mailbox export carries it (identities as exported).
    pub send_on_behalf: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailboxStats {
    pub origin: Origin,
    /// How the row names its mailbox (GUID, address, alias or display name).
    pub mailbox_guid: Option<String>,
    pub identity: Option<String>,
    pub display_name: Option<String>,
    pub is_archive: bool,
    pub total_bytes: u64,
    pub deleted_bytes: u64,
    pub items: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PermissionRight {
    FullAccess,
    SendAs,
    SendOnBehalf,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permission {
    pub origin: Origin,
    /// The mailbox the right is on, as the export names it.
    pub mailbox: String,
    /// Who holds the right (DOMAIN\user, UPN, address or SID), as the export names it.
    pub trustee: String,
    pub right: PermissionRight,
    /// FullAccess only: whether Outlook should map the mailbox automatically.
    pub automapping: bool,
    /// The headers the mailbox and the trustee were read from, as the file wrote them
    /// (findings name them).
    pub mailbox_column: String,
    pub trustee_column: String,
}
