//! The unique-key indexes lint keeps while streaming: 64-bit hashes of case-folded keys, each
//! with the packed place it was first seen. Memory grows with the number of keys, not rows.

use std::collections::{HashMap, HashSet};
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
}

/// A hash of `ns` and the case-folded text.
pub fn key(ns: Ns, text: &str) -> u64 {
    in_ns(ns, base(text))
}

/// The case-folded text hashed once; [`in_ns`] places it in a namespace, so looking one value
/// up in several namespaces hashes the text once.
pub fn base(text: &str) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x0063_7574_6f76_6572).build_hasher();
    if text.is_ascii() {
        for chunk in text.as_bytes().chunks(32) {
            let mut buf = [0u8; 32];
            for (d, s) in buf.iter_mut().zip(chunk) {
                *d = s.to_ascii_lowercase();
            }
            h.write(&buf[..chunk.len()]);
        }
    } else {
        h.write(text.to_lowercase().as_bytes());
    }
    h.write_u8(0xff);
    h.finish()
}

/// Mixes a namespace into a base hash (splitmix64 finaliser: every bit depends on both).
pub fn in_ns(ns: Ns, base: u64) -> u64 {
    let mut z = base ^ (ns as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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
pub type KeySet = HashSet<u64, BuildHasherDefault<PassThrough>>;

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
        let long = "x".repeat(100);
        assert_ne!(key(Ns::Upn, &long), key(Ns::Upn, &long[1..]));
    }

    #[test]
    fn places_round_trip() {
        let p = Place::new(3, 1_000_000_007);
        assert_eq!((p.file(), p.line()), (3, 1_000_000_007));
    }
}
