//! Typed records: what the inputs say about the source organisation.
//!
//! `input` turns bytes into positioned rows; the loaders here turn rows into these types.
//! Lint streams rows and never needs a whole `Tenant`; plan and bundle do.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

pub mod address;
pub mod directory;
pub mod load;
pub mod mailbox;

pub use mailbox::{Mailbox, MailboxStats, Permission, PermissionRight, RecipientKind};

/// Where a record came from: the file as named by the user and the physical line it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u64,
}

/// A value that must never be printed, logged or written to a generated file.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The only way to read the value. Callers: the lint password-policy rule and the
    /// secrets-file writer; nothing that renders text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// One entry of a recipient's `EmailAddresses` / `proxyAddresses`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ProxyAddress {
    /// Upper-case prefix (`SMTP:`) marks the primary address; only one per recipient.
    pub primary: bool,
    /// Address type, lower-case: `smtp`, `x500`, `sip`, ...
    pub kind: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub origin: Origin,
    pub upn: String,
    pub display_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Exchange alias / Entra mailNickname.
    pub alias: Option<String>,
    pub usage_location: Option<String>,
    pub password: Option<Secret>,
    /// Primary SMTP address when the input gives one apart from the UPN.
    pub primary_smtp: Option<String>,
    /// Secondary addresses and other proxy addresses to carry over.
    pub proxy_addresses: Vec<ProxyAddress>,
    pub licence_sku: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    #[default]
    Distribution,
    Security,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub origin: Origin,
    pub name: String,
    pub display_name: Option<String>,
    pub alias: Option<String>,
    pub primary_smtp: Option<String>,
    pub proxy_addresses: Vec<ProxyAddress>,
    pub kind: GroupKind,
    /// Whether senders outside the organisation may write to the group. Exchange Online
    /// defaults `RequireSenderAuthenticationEnabled` to true, which silently drops external mail.
    pub accept_external: Option<bool>,
}

/// A mail contact from the source's contacts export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub origin: Origin,
    pub name: String,
    /// The outside address, lower-case, without its `SMTP:` prefix.
    pub external: String,
    /// The Exchange alias the export gives (else Exchange derives one from the Name).
    pub alias: Option<String>,
    pub display_name: Option<String>,
    /// The source contact's other SMTP addresses (its primary when that is not the outside
    /// address, and its `smtp:` proxies), lower-case: the cloud contact gets them too, so mail
    /// to them keeps reaching it.
    pub addresses: Vec<String>,
    /// The source contact's X500 proxy addresses (DNs it had before, e.g. from an earlier
    /// migration), without its current legacyExchangeDN: the cloud contact keeps them too.
    pub x500: Vec<String>,
    /// The source contact's legacyExchangeDN: its cloud contact gets it as an X500 address.
    pub legacy_dn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub origin: Origin,
    /// The group as named in the members file (name, alias or address).
    pub group: String,
    /// The member as named (UPN, alias, address or group name).
    pub member: String,
}

/// Everything the inputs say, loaded whole (plan and bundle need it; lint does not).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tenant {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub memberships: Vec<Membership>,
    pub mailboxes: Vec<Mailbox>,
    pub stats: Vec<MailboxStats>,
    pub permissions: Vec<Permission>,
    pub contacts: Vec<Contact>,
}
