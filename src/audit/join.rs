//! Statistics joined to mailboxes, and references (permission rows, trustees) resolved to them.
//!
//! A statistics row joins by `MailboxGuid` = `ExchangeGuid` (or `ArchiveGuid` for an archive
//! row) when both sides carry GUIDs, else by primary address, alias, identity or display name.
//! A name that names two mailboxes joins to neither.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::diag::Finding;
use crate::model::{Mailbox, MailboxStats, Origin};

use super::findings::*;
use super::principal::lookup_keys;

/// FNV-1a: the keys are names from the user's own files, so the hash needs speed, not
/// resistance to crafted collisions (SipHash dominated a 100,000-mailbox audit).
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { FNV_OFFSET } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.0 = h;
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a of the lower-cased text, without allocating (ASCII byte by byte, the rest by char).
pub fn key_hash(s: &str) -> u64 {
    let mut h = FNV_OFFSET;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b >= 0x80 {
            // `i` is the first non-ASCII byte, so a char boundary.
            let mut buf = [0u8; 4];
            for c in s
                .get(i..)
                .unwrap_or_default()
                .chars()
                .flat_map(char::to_lowercase)
            {
                for &x in c.encode_utf8(&mut buf).as_bytes() {
                    h = (h ^ u64::from(x)).wrapping_mul(FNV_PRIME);
                }
            }
            return h;
        }
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(FNV_PRIME);
    }
    h
}

/// For keys that are hashes already.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Whether two names are equal without regard to case.
pub fn eq_lower(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii())
            && a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase)))
}

/// Name keys by hash, so indexing 100,000 mailboxes allocates no key strings. A hit is checked
/// against the record's own names, so a hash collision can only make a name ambiguous (a
/// finding), never join the wrong mailbox.
pub struct KeyIndex {
    /// `None`: the key names more than one record.
    by_hash: HashMap<u64, Option<usize>, BuildHasherDefault<PassThrough>>,
}

impl KeyIndex {
    pub fn with_capacity(n: usize) -> Self {
        KeyIndex {
            by_hash: HashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// Adds a record's names; repeats of one name for the same record count once.
    pub fn insert<'k>(&mut self, i: usize, keys: impl Iterator<Item = &'k str>) {
        // A record's names often repeat (address = UPN = first proxy): one map visit each.
        let mut seen = [0u64; 12];
        let mut n = 0;
        for key in keys {
            let key = key.trim();
            if key.is_empty() {
                continue;
            }
            let h = key_hash(key);
            if seen.get(..n).is_some_and(|s| s.contains(&h)) {
                continue;
            }
            if let Some(slot) = seen.get_mut(n) {
                *slot = h;
                n += 1;
            }
            self.by_hash
                .entry(h)
                .and_modify(|slot| {
                    if *slot != Some(i) {
                        *slot = None;
                    }
                })
                .or_insert(Some(i));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The record a reference names; `has_key(i, key)` confirms a hit.
    pub fn resolve(&self, reference: &str, has_key: impl Fn(usize, &str) -> bool) -> Option<usize> {
        for k in lookup_keys(reference) {
            match self.by_hash.get(&key_hash(k)) {
                Some(Some(i)) if has_key(*i, k) => return Some(*i),
                Some(None) => return None,
                _ => {}
            }
        }
        None
    }
}

/// Lookup from the names a mailbox goes by to its position.
pub struct MailboxIndex<'a> {
    mailboxes: &'a [Mailbox],
    by_guid: FastMap<&'a str, usize>,
    by_archive_guid: FastMap<&'a str, usize>,
    by_key: KeyIndex,
}

fn mailbox_keys(m: &Mailbox) -> impl Iterator<Item = &str> {
    let canonical_leaf = m.identity.rsplit_once('/').map(|(_, leaf)| leaf);
    [
        Some(m.identity.as_str()),
        canonical_leaf,
        m.primary_smtp.as_deref(),
        m.upn.as_deref(),
        m.alias.as_deref(),
        m.display_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .chain(
        m.proxy_addresses
            .iter()
            .filter(|p| p.kind == "smtp")
            .map(|p| p.address.as_str()),
    )
}

impl<'a> MailboxIndex<'a> {
    pub fn new(mailboxes: &'a [Mailbox]) -> Self {
        let mut ix = MailboxIndex {
            mailboxes,
            by_guid: FastMap::with_capacity_and_hasher(mailboxes.len(), Default::default()),
            by_archive_guid: FastMap::default(),
            by_key: KeyIndex::with_capacity(mailboxes.len() * 5),
        };
        for (i, m) in mailboxes.iter().enumerate() {
            if let Some(g) = &m.exchange_guid {
                ix.by_guid.insert(g, i);
            }
            if let Some(g) = &m.archive_guid {
                ix.by_archive_guid.insert(g, i);
            }
            ix.by_key.insert(i, mailbox_keys(m));
        }
        ix
    }

    /// The mailbox a reference names (identity, DOMAIN\alias, address, alias, display name).
    pub fn resolve(&self, reference: &str) -> Option<usize> {
        self.by_key.resolve(reference, |i, key| {
            self.mailboxes
                .get(i)
                .is_some_and(|m| mailbox_keys(m).any(|k| eq_lower(k.trim(), key)))
        })
    }

    fn resolve_guid(&self, guid: &str) -> Option<(usize, bool)> {
        self.by_guid
            .get(guid)
            .map(|&i| (i, false))
            .or_else(|| self.by_archive_guid.get(guid).map(|&i| (i, true)))
    }
}

/// What the statistics say about one mailbox (primary and archive).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub primary_bytes: u64,
    pub primary_items: u64,
    pub archive_bytes: u64,
    pub archive_items: u64,
    pub deleted_bytes: u64,
    /// Where the primary / archive statistics rows are (findings point there).
    pub primary_origin: Option<Origin>,
    pub archive_origin: Option<Origin>,
}

impl Usage {
    /// Everything that moves: primary and archive `TotalItemSize`.
    pub fn bytes(&self) -> u64 {
        self.primary_bytes.saturating_add(self.archive_bytes)
    }

    pub fn items(&self) -> u64 {
        self.primary_items.saturating_add(self.archive_items)
    }

    pub fn has_stats(&self) -> bool {
        self.primary_origin.is_some() || self.archive_origin.is_some()
    }
}

/// Exchange names an archive `Personal Archive - <display name>` (`Online Archive - ` in the
/// cloud, `In-Place Archive - ` in 2013+): the owner's display name, for joining by name.
fn archive_owner(display: &str) -> Option<&str> {
    [
        "Personal Archive - ",
        "Online Archive - ",
        "In-Place Archive - ",
    ]
    .iter()
    .find_map(|prefix| display.strip_prefix(prefix))
    .map(str::trim)
    .filter(|rest| !rest.is_empty())
}

/// Joins statistics rows to mailboxes: one `Usage` per mailbox (same order) and findings for
/// rows that join to nothing (M002) or twice (M009).
pub fn join_stats(
    ix: &MailboxIndex,
    mailboxes: &[Mailbox],
    stats: &[MailboxStats],
) -> (Vec<Usage>, Vec<Finding>) {
    let mut usage = vec![Usage::default(); mailboxes.len()];
    let mut findings = Vec::new();
    for s in stats {
        let at = |code, msg: String| {
            finding(
                code,
                Some(&s.origin.file),
                Some(s.origin.line),
                None,
                None,
                msg,
            )
        };
        let by_guid = s.mailbox_guid.as_deref().and_then(|g| ix.resolve_guid(g));
        let joined = by_guid.or_else(|| {
            let archive_of = s.display_name.as_deref().and_then(archive_owner);
            [s.identity.as_deref(), s.display_name.as_deref(), archive_of]
                .into_iter()
                .flatten()
                .find_map(|name| ix.resolve(name))
                // A GUID on both sides that differs is a different mailbox, whatever the name.
                .filter(|&i| {
                    s.mailbox_guid.is_none()
                        || mailboxes.get(i).is_some_and(|m| m.exchange_guid.is_none())
                })
                .map(|i| (i, s.is_archive))
        });
        let Some((i, via_archive_guid)) = joined else {
            let name = s
                .identity
                .as_deref()
                .or(s.display_name.as_deref())
                .or(s.mailbox_guid.as_deref())
                .unwrap_or("(unnamed)");
            findings.push(at(
                &M002,
                format!(
                    "statistics for '{name}' join to no mailbox in the mailbox export; left out"
                ),
            ));
            continue;
        };
        let Some(u) = usage.get_mut(i) else { continue };
        let archive = s.is_archive || via_archive_guid;
        let slot = if archive {
            &mut u.archive_origin
        } else {
            &mut u.primary_origin
        };
        if let Some(first) = slot {
            let which = if archive { "archive" } else { "primary" };
            findings.push(at(
                &M009,
                format!(
                    "a second {which} statistics row for '{}' (first on line {}); ignored",
                    mailboxes.get(i).map_or("", |m| m.identity.as_str()),
                    first.line
                ),
            ));
            continue;
        }
        *slot = Some(s.origin.clone());
        if archive {
            u.archive_bytes = s.total_bytes;
            u.archive_items = s.items;
        } else {
            u.primary_bytes = s.total_bytes;
            u.primary_items = s.items;
        }
        u.deleted_bytes = u.deleted_bytes.saturating_add(s.deleted_bytes);
    }
    (usage, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::load::{mailboxes_from, stats_from};
    use crate::audit::rows::Table;

    fn mailboxes() -> Vec<Mailbox> {
        let t = Table::from_csv_text(
            "m.csv",
            "Identity,Alias,DisplayName,PrimarySmtpAddress,ExchangeGuid,ArchiveGuid\n\
             contoso.com/Users/Alice,alice,Alice Ng,alice@contoso.com,a-1,a-2\n\
             contoso.com/Users/Bob,bob,Same Name,bob@contoso.com,,\n\
             contoso.com/Users/Carol,carol,Same Name,carol@contoso.com,,\n",
            b',',
        )
        .unwrap();
        mailboxes_from(&t).records
    }

    #[test]
    fn guid_archive_guid_and_name_joins() {
        let t = Table::from_csv_text(
            "s.csv",
            "MailboxGuid,Identity,DisplayName,IsArchiveMailbox,TotalItemSize,ItemCount\n\
             A-1,,Alice,False,100,10\n\
             a-2,,Alice archive,,50,5\n\
             ,bob@contoso.com,,False,7,1\n\
             ,,Same Name,False,9,1\n\
             zz-9,alice,,False,1,1\n\
             a-1,,Alice,False,100,10\n\
             ,,Personal Archive - Same Name,True,3,1\n\
             ,,Online Archive - Bob,True,4,1\n",
            b',',
        )
        .unwrap();
        let m = mailboxes();
        let (u, f) = join_stats(&MailboxIndex::new(&m), &m, &stats_from(&t).records);
        assert_eq!(
            (u[0].primary_bytes, u[0].archive_bytes, u[0].items()),
            (100, 50, 15)
        );
        assert_eq!(u[0].bytes(), 150);
        assert_eq!((u[1].primary_bytes, u[1].archive_bytes), (7, 4));
        assert!(!u[2].has_stats());
        let got: Vec<(&str, Option<u64>)> = f.iter().map(|f| (f.code, f.line)).collect();
        // Line 5: an ambiguous display name; line 6: a GUID that is not Alice's, though the
        // alias is; line 7: Alice's primary a second time; line 8: the archive of an ambiguous
        // name. Line 9 joins Bob's archive through its owner's name.
        assert_eq!(
            got,
            [
                ("M002", Some(5)),
                ("M002", Some(6)),
                ("M009", Some(7)),
                ("M002", Some(8))
            ]
        );
    }

    #[test]
    fn key_hash_ignores_case_in_and_beyond_ascii() {
        assert_eq!(key_hash("Alice@Contoso.COM"), key_hash("alice@contoso.com"));
        assert_eq!(key_hash("JONAS ÖBERG"), key_hash("jonas öberg"));
        assert_ne!(key_hash("alice"), key_hash("alicf"));
        assert!(eq_lower("JONAS ÖBERG", "jonas öberg"));
        assert!(eq_lower("Bob", "bOB") && !eq_lower("Bob", "Bobby"));
    }

    #[test]
    fn references_resolve_by_every_name() {
        let m = mailboxes();
        let ix = MailboxIndex::new(&m);
        assert_eq!(ix.resolve("CONTOSO\\alice"), Some(0));
        assert_eq!(ix.resolve("Alice Ng"), Some(0));
        assert_eq!(ix.resolve("contoso.com/Users/Bob"), Some(1));
        assert_eq!(ix.resolve("BOB@contoso.com"), Some(1));
        assert_eq!(ix.resolve("Same Name"), None);
        assert_eq!(ix.resolve("dave"), None);
    }
}
