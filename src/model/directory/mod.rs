//! The recipient directory: every name each recipient answers to, and the one `resolve`.
//!
//! A recipient is known by the place (file, line) of the row that defines it; the directory
//! holds 64-bit hashes of its names and that place, never the rows, so lint can build it while
//! streaming a million users. `lint` fills it row by row, `plan` from a loaded `Tenant`
//! ([`TenantDirectory`]); both ask [`Directory::resolve`] and so give the same answer.
//!
//! Names (m365-facts 4.3, 4.4): a user answers to its UPN, its alias (or, when none is given,
//! the alias Exchange and Entra derive: the UPN's local part, which is also the `MailNickname`
//! the users step sets), its primary SMTP address and every SMTP proxy address, and its display
//! name; a group to its name, alias, addresses and display name; a shared, room or equipment
//! mailbox from the export to its alias, UPN, addresses and display name; a mail contact to
//! its Name, its alias (or the one Exchange derives from the Name, New-MailContact -Alias),
//! its outside address (its primary address, New-MailContact -ExternalEmailAddress), its
//! other SMTP addresses and its display name.
//!
//! Resolution follows Exchange's identity parameters (`-Member`, `-Identity`: "any value that
//! uniquely identifies the recipient", Add-DistributionGroupMember): one case-blind lookup
//! among the identity names (UPN, alias, address, name); a value two recipients answer to
//! "matches multiple entries" and is refused, never taken as the first match. Display names
//! are looked at only when no identity name matches, with the same ambiguity rule.

pub mod keys;

use std::collections::HashMap;

use keys::{base, in_ns, is_small, key, KeyMap, KeyTable, Ns, Place, PlaceMap};

use super::{Contact, Group, Mailbox, RecipientKind, Tenant, User};

/// What a name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// One recipient answers to the name.
    Found(Place),
    /// Two recipients answer to it (the first two that claimed it).
    Ambiguous(Place, Place),
    Missing,
}

/// The identity names, looked up together: a hit in two of them for two recipients is
/// ambiguous.
const EXACT: [Ns; 8] = [
    Ns::Upn,
    Ns::UserAddress,
    Ns::GroupAddress,
    Ns::MailboxAddress,
    Ns::ContactAddress,
    Ns::GroupName,
    Ns::Alias,
    Ns::DerivedAlias,
];

/// The identity names a group can have: a group's `-Identity` (which takes groups only) is
/// looked up among these.
pub const GROUP_NAMES: [Ns; 3] = [Ns::GroupName, Ns::Alias, Ns::GroupAddress];

/// The alias Exchange and Entra give a recipient created without one: the UPN's local part.
pub fn derived_alias(upn: &str) -> Option<&str> {
    // The first '@' by a byte search (`split_once` sets up a char searcher each call), and
    // the trim that decodes nothing for a name with ASCII ends: asked for every user.
    let upn = crate::input::trim(upn);
    let at = memchr::memchr(b'@', upn.as_bytes())?;
    upn.get(..at)
        .map(crate::input::trim)
        .filter(|l| !l.is_empty())
}

/// Every name of every recipient, keyed by hash, with the place of the recipient's row.
#[derive(Default)]
pub struct Directory {
    keys: KeyTable,
    /// The keys of the small namespaces ([`Ns::small`]).
    small: KeyTable,
    /// The second recipient that claimed a key (the first is in `keys`, its place marked
    /// [`SHARED`]): the witness that the name is ambiguous.
    others: KeyMap<Place>,
    /// Namespaces holding at least one key (bit `ns as u8`): `resolve` skips the empty ones.
    used: u16,
    /// Whether a group or mailbox Name holds an `@` (else an address is not looked up there).
    name_with_at: bool,
}

/// Marks, in the key table, a name a second recipient claimed too. Lines stay far below it.
const SHARED: u64 = 1 << 47;

fn strip(p: Place) -> Place {
    Place::from_raw(p.raw() & !SHARED)
}

impl Directory {
    pub fn reserve(&mut self, n: usize) {
        self.keys.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.keys.len() + self.small.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn table(&self, k: u64) -> &KeyTable {
        if is_small(k) {
            &self.small
        } else {
            &self.keys
        }
    }

    fn table_mut(&mut self, k: u64) -> &mut KeyTable {
        if is_small(k) {
            &mut self.small
        } else {
            &mut self.keys
        }
    }

    /// Records that the recipient at `place` answers to the hashed name `k`; returns the place
    /// of the recipient that claimed it first (`place` itself when it already had it).
    pub fn claim_key(&mut self, k: u64, place: Place) -> Option<Place> {
        self.table_mut(k).insert(k, place).map(|p| {
            let first = strip(p);
            if first != place && p.raw() & SHARED == 0 {
                self.table_mut(k).mark(k, SHARED);
                self.others.insert(k, place);
            }
            first
        })
    }

    /// [`Self::claim_key`] of `text` in `ns`; records that `ns` is in use.
    pub fn claim(&mut self, ns: Ns, text: &str, place: Place) -> Option<Place> {
        self.note(ns, text);
        self.claim_key(key(ns, text), place)
    }

    /// Records that `ns` holds a key for `text` (callers that claim by hash call this).
    pub fn note(&mut self, ns: Ns, text: &str) {
        self.used |= 1 << ns as u8;
        if ns == Ns::GroupName && text.contains('@') {
            self.name_with_at = true;
        }
    }

    /// The recipient that first claimed a hashed name.
    pub fn get(&self, k: u64) -> Option<Place> {
        self.table(k).get(k).map(strip)
    }

    pub fn prefetch(&self, k: u64) {
        self.table(k).prefetch(k);
    }

    /// Starts loading every slot `resolve_base(b, at, ..)` will read.
    pub fn prefetch_resolve(&self, b: u64, at: bool) {
        self.prefetch_among(b, at, &EXACT);
    }

    /// Starts loading the slots `resolve_among(b, at, names, ..)` will read.
    pub fn prefetch_among(&self, b: u64, at: bool, names: &[Ns]) {
        let mask = self.mask(at);
        for &ns in names {
            if mask & (1 << ns as u8) != 0 {
                self.prefetch(in_ns(ns, b));
            }
        }
    }

    /// The namespaces `resolve` looks a text in, as bits (`1 << ns`): those holding a key, and
    /// of those only the ones whose names can be the text (aliases never hold `@`, UPNs and
    /// addresses always do; a Name may, when one does).
    fn mask(&self, at: bool) -> u16 {
        let mut m = self.used;
        if at {
            m &= !((1 << Ns::Alias as u8) | (1 << Ns::DerivedAlias as u8));
            if !self.name_with_at {
                m &= !(1 << Ns::GroupName as u8);
            }
        } else {
            m &= !((1 << Ns::Upn as u8)
                | (1 << Ns::UserAddress as u8)
                | (1 << Ns::GroupAddress as u8)
                | (1 << Ns::MailboxAddress as u8)
                | (1 << Ns::ContactAddress as u8));
        }
        m
    }

    /// The recipient a name means, among every recipient.
    pub fn resolve(&self, text: &str) -> Lookup {
        self.resolve_base(base(text.trim()), text.contains('@'), |_| true)
    }

    /// The recipient a name means among those `accept` admits (e.g. only groups, for a
    /// `-Identity` that takes a group). `b` is [`keys::base`] of the trimmed text, `at` whether
    /// it holds an `@`.
    pub fn resolve_base(&self, b: u64, at: bool, accept: impl Fn(Place) -> bool) -> Lookup {
        self.resolve_among(b, at, &EXACT, accept)
    }

    /// [`Self::resolve_base`] among the identity names `names` only (e.g. [`GROUP_NAMES`] for
    /// a group's `-Identity`: no other namespace holds a group), then display names.
    pub fn resolve_among(
        &self,
        b: u64,
        at: bool,
        names: &[Ns],
        accept: impl Fn(Place) -> bool,
    ) -> Lookup {
        let tiers: [&[Ns]; 2] = [names, &[Ns::Display]];
        let mask = self.mask(at);
        for tier in tiers {
            let mut found: Option<Place> = None;
            for &ns in tier {
                if mask & (1 << ns as u8) == 0 {
                    continue;
                }
                let k = in_ns(ns, b);
                let Some(raw) = self.table(k).get(k) else {
                    continue;
                };
                let second = if raw.raw() & SHARED != 0 {
                    self.others.get(&k).copied()
                } else {
                    None
                };
                for p in [Some(strip(raw)), second].into_iter().flatten() {
                    if !accept(p) {
                        continue;
                    }
                    match found {
                        None => found = Some(p),
                        Some(f) if f != p => return Lookup::Ambiguous(f, p),
                        Some(_) => {}
                    }
                }
            }
            if let Some(p) = found {
                return Lookup::Found(p);
            }
        }
        Lookup::Missing
    }
}

/// The SMTP addresses of a record (primary first), each once, case-blind.
fn smtp_addresses<'a>(
    primary: Option<&'a str>,
    proxies: &'a [super::ProxyAddress],
) -> impl Iterator<Item = &'a str> {
    primary.into_iter().chain(
        proxies
            .iter()
            .filter(|p| p.kind == "smtp")
            .map(|p| p.address.as_str()),
    )
}

/// The names a user answers to.
pub fn user_names(u: &User) -> impl Iterator<Item = (Ns, &str)> {
    let alias = match u.alias.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => (Ns::Alias, Some(a)),
        None => (Ns::DerivedAlias, derived_alias(&u.upn)),
    };
    [
        (Ns::Upn, Some(u.upn.as_str())),
        (alias.0, alias.1),
        (Ns::Display, Some(u.display_name.as_str())),
    ]
    .into_iter()
    .filter_map(|(ns, v)| v.map(|v| (ns, v)))
    .chain(
        smtp_addresses(u.primary_smtp.as_deref(), &u.proxy_addresses).map(|a| (Ns::UserAddress, a)),
    )
}

/// The names a group answers to.
pub fn group_names(g: &Group) -> impl Iterator<Item = (Ns, &str)> {
    [
        (Ns::GroupName, Some(g.name.as_str())),
        (Ns::Alias, g.alias.as_deref()),
        (Ns::Display, g.display_name.as_deref()),
    ]
    .into_iter()
    .filter_map(|(ns, v)| v.map(|v| (ns, v)))
    .chain(
        smtp_addresses(g.primary_smtp.as_deref(), &g.proxy_addresses)
            .map(|a| (Ns::GroupAddress, a)),
    )
}

/// The Name a shared, room or equipment mailbox gets in Exchange Online (the
/// shared-mailboxes step's `-Name`): its display name, else its alias, else the local part of
/// its address. Names are unique among recipients (`GroupName` holds them all).
pub fn resource_mailbox_name<'a>(
    display: Option<&'a str>,
    alias: Option<&'a str>,
    address: &'a str,
) -> &'a str {
    [display, alias]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| address.split('@').next().unwrap_or(address).trim())
}

/// The address a mailbox of the export is known by: its primary SMTP address, else its UPN.
pub fn mailbox_address<'a>(primary: Option<&'a str>, upn: Option<&'a str>) -> Option<&'a str> {
    primary
        .map(|p| p.trim().trim_start_matches("SMTP:").trim())
        .filter(|a| !a.is_empty())
        .or(upn.map(str::trim))
        .filter(|a| !a.is_empty())
}

/// The names a shared, room or equipment mailbox of the export answers to.
pub fn mailbox_names(m: &Mailbox) -> impl Iterator<Item = (Ns, &str)> {
    let address = mailbox_address(m.primary_smtp.as_deref(), m.upn.as_deref());
    let name =
        address.map(|a| resource_mailbox_name(m.display_name.as_deref(), m.alias.as_deref(), a));
    [
        (Ns::GroupName, name),
        (Ns::Alias, m.alias.as_deref()),
        (Ns::Display, m.display_name.as_deref()),
        (Ns::MailboxAddress, m.upn.as_deref()),
    ]
    .into_iter()
    .filter_map(|(ns, v)| v.map(|v| (ns, v)))
    .chain(
        smtp_addresses(m.primary_smtp.as_deref(), &m.proxy_addresses)
            .map(|a| (Ns::MailboxAddress, a)),
    )
}

/// The alias Exchange gives a mail contact created without one (New-MailContact -Alias: "the
/// value of the Name parameter is used. Spaces are removed and unsupported characters are
/// converted to question marks"). Allowed: letters, digits, `!#$%&'*+-/=?^_`{|}~`, periods
/// and U+00A1 to U+00FF.
pub fn contact_alias(name: &str) -> Option<String> {
    let ok = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || ('\u{a1}'..='\u{ff}').contains(&c)
    };
    let a: String = name
        .trim()
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| if ok(c) { c } else { '?' })
        .collect();
    (!a.is_empty()).then_some(a)
}

/// The names a mail contact answers to once the contacts step made it. `derived` is
/// [`contact_alias`] of its Name (owned by the caller), its alias when it has none of its own.
pub fn contact_names<'a>(
    c: &'a Contact,
    derived: Option<&'a str>,
) -> impl Iterator<Item = (Ns, &'a str)> {
    let alias = match c.alias.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => (Ns::Alias, Some(a)),
        None => (Ns::DerivedAlias, derived),
    };
    [
        (Ns::GroupName, Some(c.name.as_str())),
        (alias.0, alias.1),
        (Ns::Display, c.display_name.as_deref()),
        (Ns::ContactAddress, Some(c.external.as_str())),
    ]
    .into_iter()
    .filter_map(|(ns, v)| v.map(|v| (ns, v)))
    .chain(c.addresses.iter().map(|a| (Ns::ContactAddress, a.as_str())))
}

/// A recipient of a loaded tenant, by position in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    User(usize),
    Group(usize),
    /// A shared, room or equipment mailbox of the mailbox export.
    Mailbox(usize),
    /// A mail contact of the contacts export.
    Contact(usize),
}

/// The directory of a loaded tenant, with the recipient behind each place.
pub struct TenantDirectory {
    pub directory: Directory,
    recipients: PlaceMap<Recipient>,
}

impl TenantDirectory {
    /// Every user, resource mailbox and group of the tenant with every name it answers to.
    /// A user whose UPN repeats an earlier user's is the same account (lint reports it, the
    /// plan creates it once), so its names are the first one's.
    pub fn new(t: &Tenant) -> TenantDirectory {
        TenantDirectory::of(&t.users, &t.groups, &t.mailboxes, &t.contacts)
    }

    /// [`Self::new`] of a tenant's lists (the audit has users and mailboxes only).
    pub fn of(
        users: &[User],
        groups: &[Group],
        mailboxes: &[Mailbox],
        contacts: &[Contact],
    ) -> TenantDirectory {
        let mut d = TenantDirectory {
            directory: Directory::default(),
            recipients: HashMap::default(),
        };
        d.directory.reserve(users.len() * 3 + groups.len() * 4);
        for (i, u) in users.iter().enumerate() {
            if u.upn.trim().is_empty() {
                continue;
            }
            // Places are by list and position: a loaded tenant's origins may repeat.
            let mut p = Place::new(0, i as u64);
            if let Some(first) = d.directory.get(key(Ns::Upn, u.upn.trim())) {
                p = first;
            } else {
                d.recipients.insert(p.raw(), Recipient::User(i));
            }
            for (ns, n) in user_names(u) {
                d.directory.claim(ns, n.trim(), p);
            }
        }
        for (i, m) in mailboxes.iter().enumerate() {
            // A user's mailbox: its addresses join the user (`load::join_mailbox_addresses`).
            // One without an address is never created (the plan needs one to make it).
            if m.kind == RecipientKind::User
                || mailbox_address(m.primary_smtp.as_deref(), m.upn.as_deref()).is_none()
            {
                continue;
            }
            let p = Place::new(2, i as u64);
            d.recipients.insert(p.raw(), Recipient::Mailbox(i));
            for (ns, n) in mailbox_names(m) {
                d.directory.claim(ns, n.trim(), p);
            }
        }
        for (i, g) in groups.iter().enumerate() {
            // A second recipient of one Name is refused (lint G003, G013; the plan leaves the
            // group out): it answers to nothing.
            if g.name.trim().is_empty()
                || d.directory.get(key(Ns::GroupName, g.name.trim())).is_some()
            {
                continue;
            }
            let p = Place::new(1, i as u64);
            d.recipients.insert(p.raw(), Recipient::Group(i));
            for (ns, n) in group_names(g) {
                d.directory.claim(ns, n.trim(), p);
            }
        }
        for (i, c) in contacts.iter().enumerate() {
            // Lint reads contacts after groups and mailboxes: a contact whose Name another
            // recipient has (G013), or whose outside address an earlier contact has (the plan
            // makes that contact once), is not a recipient of its own.
            let name = c.name.trim();
            if name.is_empty()
                || c.external.is_empty()
                || d.directory.get(key(Ns::GroupName, name)).is_some()
                || d.directory
                    .get(key(Ns::ContactAddress, &c.external))
                    .is_some_and(|p| matches!(d.recipient(p), Some(Recipient::Contact(_))))
            {
                continue;
            }
            let p = Place::new(3, i as u64);
            d.recipients.insert(p.raw(), Recipient::Contact(i));
            let derived = contact_alias(name);
            for (ns, n) in contact_names(c, derived.as_deref()) {
                d.directory.claim(ns, n.trim(), p);
            }
        }
        d
    }

    /// Whether the contact at this position of the list is a recipient of the directory
    /// (one whose Name or outside address an earlier recipient has is not).
    pub fn has_contact(&self, i: usize) -> bool {
        self.recipient(Place::new(3, i as u64)) == Some(Recipient::Contact(i))
    }

    pub fn recipient(&self, p: Place) -> Option<Recipient> {
        self.recipients.get(&p.raw()).copied()
    }

    /// What a name means among every recipient.
    pub fn resolve(&self, text: &str) -> Resolved {
        self.map(self.directory.resolve(text))
    }

    /// What a name means among the groups (a group's `-Identity`).
    pub fn resolve_group(&self, text: &str) -> Resolved {
        let l = self.directory.resolve_among(
            base(text.trim()),
            text.contains('@'),
            &GROUP_NAMES,
            |p| matches!(self.recipient(p), Some(Recipient::Group(_))),
        );
        self.map(l)
    }

    fn map(&self, l: Lookup) -> Resolved {
        match l {
            Lookup::Found(p) => self.recipient(p).map_or(Resolved::Missing, Resolved::Found),
            Lookup::Ambiguous(a, b) => match (self.recipient(a), self.recipient(b)) {
                (Some(a), Some(b)) => Resolved::Ambiguous(a, b),
                _ => Resolved::Missing,
            },
            Lookup::Missing => Resolved::Missing,
        }
    }
}

/// [`Lookup`] with the tenant's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    Found(Recipient),
    Ambiguous(Recipient, Recipient),
    Missing,
}

#[cfg(test)]
mod tests;
