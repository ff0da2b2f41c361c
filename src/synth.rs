//! Synthetic tenants of any size, valid by construction and deterministic for a seed: users,
//! distribution groups and memberships for demos and benchmarks.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The layout of the files written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// cutover's own layout: explicit aliases, group addresses, members by address.
    #[default]
    Cutover,
    /// The playbook's hand-made files: users `UserPrincipalName,FirstName,LastName,
    /// DisplayName,Password`, DLs `Name,Address`, members `DL,Alias` where Alias is the part
    /// of the UPN before `@` (the alias Exchange derives, since the users file gives none).
    Playbook,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub domain: String,
    pub seed: u64,
    pub format: Format,
}

impl Options {
    /// `groups` defaults to users / 50 (at least 1), `memberships` to the number of users.
    pub fn new(users: u64, groups: Option<u64>, memberships: Option<u64>) -> Options {
        Options {
            users,
            groups: groups.unwrap_or((users / 50).max(1)),
            memberships: memberships.unwrap_or(users),
            domain: "contoso.com".into(),
            seed: 1,
            format: Format::Cutover,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub users: PathBuf,
    pub groups: PathBuf,
    pub members: PathBuf,
    pub memberships: u64,
}

/// splitmix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Display spelling and the ASCII spelling used in UPNs and aliases.
const FIRST: &[(&str, &str)] = &[
    ("Ann", "ann"),
    ("Bob", "bob"),
    ("Chloé", "chloe"),
    ("David", "david"),
    ("Eve", "eve"),
    ("François", "francois"),
    ("Grace", "grace"),
    ("Hiro", "hiro"),
    ("Ines", "ines"),
    ("José", "jose"),
    ("Kai", "kai"),
    ("Lena", "lena"),
    ("Mohammed", "mohammed"),
    ("Nadia", "nadia"),
    ("Oliver", "oliver"),
    ("Priya", "priya"),
    ("Seán", "sean"),
    ("Zoë", "zoe"),
];

const LAST: &[(&str, &str)] = &[
    ("Lee", "lee"),
    ("O’Brien", "obrien"),
    ("García", "garcia"),
    ("Müller", "mueller"),
    ("Smith", "smith"),
    ("Nguyen", "nguyen"),
    ("Kowalski", "kowalski"),
    ("Tanaka", "tanaka"),
    ("Okafor", "okafor"),
    ("Johansson", "johansson"),
    ("Rossi", "rossi"),
    ("Dubois", "dubois"),
];

const COUNTRIES: &[&str] = &["US", "GB", "DE", "FR", "IE", "JP", "ES", "NL"];

const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Finance",
    "Engineering",
    "Support",
    "Marketing",
    "Legal",
    "Operations",
];

fn create(path: &Path) -> Result<BufWriter<File>> {
    let f = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Writes users.csv, groups.csv and members.csv (UTF-8 with BOM) into `dir`.
pub fn write(dir: &Path, o: &Options) -> Result<Written> {
    if o.users == 0 {
        return Err(Error::Usage("--users must be at least 1".into()));
    }
    if o.groups == 0 && o.memberships > 0 {
        return Err(Error::Usage(
            "memberships need at least one group (--groups)".into(),
        ));
    }
    if o.memberships > o.users.saturating_mul(o.groups) {
        return Err(Error::Usage(format!(
            "{} memberships cannot be unique with {} users and {} groups",
            o.memberships, o.users, o.groups
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let domain = o.domain.trim().to_ascii_lowercase();
    let written = Written {
        users: dir.join("users.csv"),
        groups: dir.join("groups.csv"),
        members: dir.join("members.csv"),
        memberships: o.memberships,
    };
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| Error::io(p.clone(), e)
    };
    let mut rng = Rng(o.seed);
    // Names are drawn once per user and needed again for the member rows: keep the two
    // name indexes per user (two bytes) rather than the strings.
    let mut names: Vec<(u8, u8)> = Vec::with_capacity(o.users as usize);
    let playbook = o.format == Format::Playbook;
    let mut w = create(&written.users)?;
    let e = io(&written.users);
    let header = if playbook {
        "\u{feff}UserPrincipalName,FirstName,LastName,DisplayName,Password\r\n"
    } else {
        "\u{feff}UserPrincipalName,FirstName,LastName,DisplayName,Alias,UsageLocation\r\n"
    };
    w.write_all(header.as_bytes()).map_err(&e)?;
    for i in 0..o.users {
        let f = (rng.next() % FIRST.len() as u64) as u8;
        let l = (rng.next() % LAST.len() as u64) as u8;
        names.push((f, l));
        let (fd, fa) = FIRST[f as usize];
        let (ld, la) = LAST[l as usize];
        let cc = rng.pick(COUNTRIES);
        if playbook {
            // A synthetic initial password that meets the Entra policy (never a real one).
            let pw = rng.next() % 1_000_000;
            writeln!(
                w,
                "{fa}.{la}.{i}@{domain},{fd},{ld},{fd} {ld},Synth-{pw:06}!\r"
            )
        } else {
            writeln!(
                w,
                "{fa}.{la}.{i}@{domain},{fd},{ld},{fd} {ld},{fa}.{la}.{i},{cc}\r"
            )
        }
        .map_err(&e)?;
    }
    w.flush().map_err(&e)?;
    let mut w = create(&written.groups)?;
    let e = io(&written.groups);
    let header = if playbook {
        "\u{feff}Name,Address\r\n"
    } else {
        "\u{feff}Name,DisplayName,Alias,PrimarySmtpAddress,GroupType,RequireSenderAuthenticationEnabled\r\n"
    };
    w.write_all(header.as_bytes()).map_err(&e)?;
    // The playbook names groups by Name: keep each group's department for its member rows.
    let mut group_names: Vec<&str> = Vec::with_capacity(o.groups as usize);
    for g in 0..o.groups {
        let dept = rng.pick(DEPARTMENTS);
        group_names.push(dept);
        let external = if rng.next() % 4 == 0 { "False" } else { "True" };
        if playbook {
            writeln!(w, "{dept} {g:05},dl-{g:05}@{domain}\r")
        } else {
            writeln!(
                w,
                "{dept} {g:05},{dept} team {g},dl-{g:05},dl-{g:05}@{domain},Distribution,{external}\r"
            )
        }
        .map_err(&e)?;
    }
    w.flush().map_err(&e)?;
    let mut w = create(&written.members)?;
    let e = io(&written.members);
    let header = if playbook {
        "\u{feff}DL,Alias\r\n"
    } else {
        "\u{feff}Group,Member,MemberType\r\n"
    };
    w.write_all(header.as_bytes()).map_err(&e)?;
    let offsets: Vec<u64> = (0..o.groups).map(|_| rng.next() % o.users).collect();
    for j in 0..o.memberships {
        // Group g's k-th member is user (k + offset_g) mod users: unique within a group.
        let g = j % o.groups;
        let k = j / o.groups;
        let u = (k + offsets[g as usize]) % o.users;
        let (f, l) = names[u as usize];
        let fa = FIRST[f as usize].1;
        let la = LAST[l as usize].1;
        if playbook {
            let dept = group_names.get(g as usize).copied().unwrap_or_default();
            writeln!(w, "{dept} {g:05},{fa}.{la}.{u}\r")
        } else {
            writeln!(w, "dl-{g:05}@{domain},{fa}.{la}.{u}@{domain},User\r")
        }
        .map_err(&e)?;
    }
    w.flush().map_err(&e)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_tenant_other_seed_other_tenant() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let o = Options::new(200, Some(7), Some(500));
        write(a.path(), &o).unwrap();
        write(b.path(), &o).unwrap();
        let read = |d: &Path, f: &str| std::fs::read(d.join(f)).unwrap();
        for f in ["users.csv", "groups.csv", "members.csv"] {
            assert_eq!(read(a.path(), f), read(b.path(), f), "{f}");
        }
        write(b.path(), &Options { seed: 2, ..o }).unwrap();
        assert_ne!(read(a.path(), "users.csv"), read(b.path(), "users.csv"));
        let members = String::from_utf8(read(a.path(), "members.csv")).unwrap();
        assert_eq!(members.lines().count(), 501);
    }

    #[test]
    fn impossible_sizes_are_usage_errors() {
        let d = tempfile::tempdir().unwrap();
        assert!(write(d.path(), &Options::new(0, None, None)).is_err());
        assert!(write(d.path(), &Options::new(2, Some(1), Some(3))).is_err());
    }
}
