//! The key indexes the recipient directory (and lint, while streaming) keeps: 64-bit hashes
//! of case-folded keys, each with the packed place it was first seen. Memory grows with the
//! number of keys, not rows.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Namespaces a key lives in; the same text in two namespaces is two keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Ns {
    Upn = 1,
    Alias = 2,
    /// SMTP addresses of users (primary and proxy).
    UserAddress = 3,
    /// SMTP addresses of groups.
    GroupAddress = 4,
    GroupName = 5,
    /// The alias Exchange / Entra derive when none is given: the UPN's local part. Not unique
    /// (two domains may share a local part); a name two recipients answer to is ambiguous.
    DerivedAlias = 6,
    /// Display names: the lowest tier of resolution, never unique.
    Display = 7,
    /// SMTP addresses of shared, room and equipment mailboxes from a mailbox export.
    MailboxAddress = 8,
    /// SMTP addresses of mail contacts: the outside address and the contact's other addresses.
    ContactAddress = 9,
}

/// A hash of `ns` and the case-folded text.
pub fn key(ns: Ns, text: &str) -> u64 {
    in_ns(ns, base(text))
}

/// The case-folded text hashed once; [`in_ns`] places it in a namespace, so looking one value
/// up in several namespaces hashes the text once.
pub fn base(text: &str) -> u64 {
    folded_hash::<false>(text).0
}

/// [`base`], and whether the text holds an `@` (resolution looks an address up among other
/// names than an alias), told in the same pass over the bytes.
pub fn base_and_at(text: &str) -> (u64, bool) {
    folded_hash::<true>(text)
}

/// [`base`], and with `AT` whether the text holds an `@` (without, `false`).
#[inline(always)]
fn folded_hash<const AT: bool>(text: &str) -> (u64, bool) {
    let mut h = foldhash::fast::FixedState::with_seed(0x0063_7574_6f76_6572).build_hasher();
    let mut at = false;
    if text.is_ascii() {
        for chunk in text.as_bytes().chunks(32) {
            let mut buf = [0u8; 32];
            buf[..chunk.len()].copy_from_slice(chunk);
            // All 32 bytes at once (the padding folds to itself and is no `@`): a
            // fixed-length loop is vectorised, one over the chunk's length is not.
            for b in &mut buf {
                *b = b.to_ascii_lowercase();
            }
            if AT {
                at |= buf.iter().fold(false, |a, &b| a | (b == b'@'));
            }
            h.write(&buf[..chunk.len()]);
        }
    } else {
        at = AT && memchr::memchr(b'@', text.as_bytes()).is_some();
        fold_non_ascii(text, |folded| h.write(folded));
    }
    h.write_u8(0xff);
    (h.finish(), at)
}

/// Hands `text.to_lowercase()` to `f`, folded into a buffer on the stack when every
/// character is Latin-1 (U+0000..U+00FF, every byte under 0xC4): an accented display name is
/// hashed for every third user, and the allocation was half the cost. There the lower case of
/// U+00C0..U+00DE but U+00D7 is 0x20 on, the same length in UTF-8, and every other
/// character but ASCII capitals is its own lower case. Any other text takes the library's
/// path (which also lowers a capital sigma by its place in the word).
fn fold_non_ascii(text: &str, f: impl FnOnce(&[u8])) {
    const ROOM: usize = 128;
    let b = text.as_bytes();
    let mut buf = [0u8; ROOM];
    match buf.get_mut(..b.len()) {
        Some(out) if b.iter().all(|&c| c < 0xc4) => {
            let mut prev = 0u8;
            for (o, &c) in out.iter_mut().zip(b) {
                // After a 0xC3 lead byte: U+00C0 + (c - 0x80).
                *o = if prev == 0xc3 && (0x80..=0x9e).contains(&c) && c != 0x97 {
                    c + 0x20
                } else {
                    c.to_ascii_lowercase()
                };
                prev = c;
            }
            f(out)
        }
        _ => f(text.to_lowercase().as_bytes()),
    }
}

/// Mixes a namespace into a base hash (splitmix64 finaliser: every bit depends on both).
pub fn in_ns(ns: Ns, base: u64) -> u64 {
    let mut z = base ^ (ns as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    let h = z ^ (z >> 31);
    // The lowest bit (which hardly moves a key's slot) says which table holds it: see
    // [`Ns::small`].
    if ns.small() {
        h | 1
    } else {
        h & !1
    }
}

impl Ns {
    /// Namespaces of groups, resource mailboxes and contacts, a few per cent of the keys: the
    /// directory keeps them in a table of their own, which stays in cache, so looking a member
    /// up there (for the ambiguity rule) costs little even when nothing is found.
    pub fn small(self) -> bool {
        matches!(
            self,
            Ns::GroupName | Ns::GroupAddress | Ns::MailboxAddress | Ns::ContactAddress
        )
    }
}

/// Whether a key from [`in_ns`] belongs to a small namespace.
pub fn is_small(key: u64) -> bool {
    key & 1 == 1
}

/// An open-addressing set of 64-bit key hashes with a place per key. Each slot holds the key
/// and its place side by side (16 bytes, linear probing, any size), so a million-user table
/// costs one cache line per lookup, not two.
#[derive(Default)]
pub struct KeyTable {
    /// `[key, place]`; a key of [`EMPTY`] marks a free slot.
    slots: Vec<[u64; 2]>,
    len: usize,
}

/// Slot value meaning "empty"; a key equal to it is stored as 1.
const EMPTY: u64 = 0;

impl KeyTable {
    fn fix(key: u64) -> u64 {
        if key == EMPTY {
            1
        } else {
            key
        }
    }

    /// First slot for a key: multiply-shift maps the hash onto any table size.
    fn home(&self, key: u64) -> usize {
        ((u128::from(key) * self.slots.len() as u128) >> 64) as usize
    }

    /// Room for `n` more keys without growing.
    pub fn reserve(&mut self, n: usize) {
        let want = (self.len + n) * 4 / 3 + 16;
        if want > self.slots.len() {
            self.resize(want);
        }
    }

    fn resize(&mut self, size: usize) {
        // Zeroed memory straight from the allocator: no page is touched before the advice.
        let mut fresh = vec![[EMPTY, 0]; size];
        huge_pages(&mut fresh);
        let old = std::mem::replace(&mut self.slots, fresh);
        self.len = 0;
        for [k, p] in old {
            if k != EMPTY {
                self.insert(k, Place(p));
            }
        }
    }

    /// Records the key at `place` unless present; returns the earlier place if it was.
    pub fn insert(&mut self, key: u64, place: Place) -> Option<Place> {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.resize((self.slots.len() * 2).max(64));
        }
        let key = Self::fix(key);
        let n = self.slots.len();
        let mut i = self.home(key);
        loop {
            let [k, p] = self.slots[i];
            if k == key {
                return Some(Place(p));
            }
            if k == EMPTY {
                self.slots[i] = [key, place.0];
                self.len += 1;
                return None;
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
    }

    /// Asks the CPU to start loading the key's slot; a later insert or get then finds it in
    /// cache. Lint issues this a few rows ahead of the real access.
    pub fn prefetch(&self, key: u64) {
        if let Some(slot) = self.slots.get(self.home(Self::fix(key))) {
            prefetch(slot);
        }
    }

    /// Sets `bits` on the place stored for `key` (the directory marks names two recipients
    /// claimed); no-op when the key is absent.
    pub fn mark(&mut self, key: u64, bits: u64) {
        if let Some(i) = self.find(key) {
            self.slots[i][1] |= bits;
        }
    }

    fn find(&self, key: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let key = Self::fix(key);
        let n = self.slots.len();
        let mut i = self.home(key);
        loop {
            let k = self.slots[i][0];
            if k == key {
                return Some(i);
            }
            if k == EMPTY {
                return None;
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
    }

    pub fn get(&self, key: u64) -> Option<Place> {
        self.find(key).map(|i| Place(self.slots[i][1]))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Asks Linux to back a large table with 2 MB pages. Lookups land anywhere in a table of tens
/// of megabytes: with 4 KB pages nearly each one also misses the TLB, which the prefetches
/// cannot hide. Advice only: without transparent huge pages nothing changes.
fn huge_pages<T>(v: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = std::mem::size_of_val(v);
        if bytes < 4 * HUGE {
            return;
        }
        let start = v.as_mut_ptr() as usize;
        let from = (start + HUGE - 1) & !(HUGE - 1);
        let to = (start + bytes) & !(HUGE - 1);
        if to > from {
            // SAFETY: whole pages inside the slice's own allocation; the advice changes how
            // the pages are backed, never their contents. A failure leaves 4 KB pages.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
            }
            // The kernel clears each page at its first touch: a tenth of a million-user lint
            // when the rules' thread does it. Another thread faults them in meanwhile.
            // No thread (the system refused one): the rules' thread faults the pages itself.
            let _ = std::thread::Builder::new().spawn(move || {
                // SAFETY: MADV_POPULATE_WRITE maps the pages as a write fault would without
                // writing a byte (a page is zero or already holds the table); on a range
                // freed meanwhile it fails, which is ignored.
                unsafe {
                    libc::madvise(
                        from as *mut libc::c_void,
                        to - from,
                        libc::MADV_POPULATE_WRITE,
                    );
                }
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint with no architectural effect, and the pointer comes from
    // a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (r as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// The keys are already hashes: pass them through.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// A map keyed by [`Place::raw`], which is no hash: its top bits (the file) hardly vary, and
/// the map tags each slot with a key's top bits, so passed through every slot of a probe
/// would match and be compared. These keys are hashed.
pub type PlaceMap<V> = HashMap<u64, V, foldhash::fast::FixedState>;

/// A file index and line packed in 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place(u64);

impl Place {
    pub fn new(file: usize, line: u64) -> Place {
        Place(((file as u64 & 0xffff) << 48) | (line & 0xffff_ffff_ffff))
    }
    pub fn raw(self) -> u64 {
        self.0
    }
    /// Rebuilds a place from [`Place::raw`] (flag bits a table set included).
    pub fn from_raw(raw: u64) -> Place {
        Place(raw)
    }
    pub fn file(self) -> usize {
        (self.0 >> 48) as usize
    }
    pub fn line(self) -> u64 {
        self.0 & 0xffff_ffff_ffff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_and_separate_namespaces() {
        assert_eq!(
            key(Ns::Upn, "Ann@Contoso.com"),
            key(Ns::Upn, "ann@contoso.COM")
        );
        assert_ne!(
            key(Ns::Upn, "ann@contoso.com"),
            key(Ns::Alias, "ann@contoso.com")
        );
        assert_ne!(key(Ns::Upn, "ann"), key(Ns::Upn, "anna"));
        assert_eq!(key(Ns::GroupName, "ÉQUIPE"), key(Ns::GroupName, "équipe"));
        for t in [
            "Seán Ó Briain",
            "ÉQUIPE",
            "ΣΊΣΥΦΟΣ ΟΔΥΣΣΕΥΣ",
            "İstanbul",
            "\u{212a}elvin",
            "Ⱥ Ⱦ ǅ ẞ",
            &"É".repeat(30),
            &"Ǆ".repeat(10),
            &"É".repeat(64),
            &"É".repeat(65),
        ] {
            let mut folded = Vec::new();
            fold_non_ascii(t, |b| folded.extend_from_slice(b));
            assert_eq!(folded, t.to_lowercase().as_bytes(), "{t}");
        }
        // Every Latin-1 character, each in a text short enough for the buffer.
        for c in (0u32..0x100).filter_map(char::from_u32) {
            let t = format!("É{c}Ü{c}");
            let mut folded = Vec::new();
            fold_non_ascii(&t, |b| folded.extend_from_slice(b));
            assert_eq!(folded, t.to_lowercase().as_bytes(), "{t:?}");
        }
        for t in [
            "ann@contoso.com",
            "ann",
            "",
            "Seán@contoso.com",
            "Seán",
            &"x@".repeat(40),
        ] {
            assert_eq!(base_and_at(t), (base(t), t.contains('@')), "{t}");
        }
        let long = "x".repeat(100);
        assert_ne!(key(Ns::Upn, &long), key(Ns::Upn, &long[1..]));
    }

    #[test]
    fn key_table_inserts_finds_and_grows() {
        let mut t = KeyTable::default();
        for i in 0..10_000u64 {
            assert_eq!(
                t.insert(key(Ns::Upn, &i.to_string()), Place::new(0, i)),
                None
            );
        }
        assert_eq!(t.len(), 10_000);
        assert_eq!(
            t.insert(key(Ns::Upn, "42"), Place::new(1, 1)),
            Some(Place::new(0, 42))
        );
        assert_eq!(t.get(key(Ns::Upn, "9999")), Some(Place::new(0, 9999)));
        assert_eq!(t.get(key(Ns::Alias, "9999")), None);
        // The reserved empty value is still a key like any other.
        assert_eq!(t.insert(0, Place::new(0, 1)), None);
        assert_eq!(t.get(0), Some(Place::new(0, 1)));
        let mut r = KeyTable::default();
        r.reserve(100);
        assert!(r.is_empty());
        assert_eq!(r.get(5), None);
    }

    #[test]
    fn places_round_trip() {
        let p = Place::new(3, 1_000_000_007);
        assert_eq!((p.file(), p.line()), (3, 1_000_000_007));
    }
}
