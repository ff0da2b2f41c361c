//! SMTP addresses and `EmailAddresses` / `proxyAddresses` entries (m365-facts 4.4).

use super::ProxyAddress;

/// Splits a multi-valued cell: cutover's exports join with `;`; `"$($x.EmailAddresses)"` in
/// PowerShell joins with spaces, so a piece holding several `type:` entries is split on spaces.
pub fn split_multi(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').flat_map(|piece| {
        let spaced = piece.trim().contains(char::is_whitespace)
            && piece
                .split_whitespace()
                .filter(|w| proxy_prefix(w).is_some())
                .count()
                > 1;
        let parts: Vec<&str> = if spaced {
            piece.split_whitespace().collect()
        } else {
            vec![piece.trim()]
        };
        parts.into_iter().filter(|p| !p.is_empty())
    })
}

/// The address type of `type:value` when the prefix looks like one (letters and digits, 1-9).
fn proxy_prefix(s: &str) -> Option<&str> {
    let (p, _) = s.split_once(':')?;
    (!p.is_empty() && p.len() < 10 && p.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(p)
}

/// Parses one entry. `SMTP:` (upper case) marks the primary; no prefix means SMTP.
pub fn parse_proxy(entry: &str) -> ProxyAddress {
    let entry = entry.trim();
    match proxy_prefix(entry) {
        Some(p) => ProxyAddress {
            primary: p == "SMTP",
            kind: p.to_ascii_lowercase(),
            address: entry[p.len() + 1..].trim().to_string(),
        },
        None => ProxyAddress {
            primary: false,
            kind: "smtp".into(),
            address: entry.to_string(),
        },
    }
}

/// Why an SMTP address is not valid, or `None` when it is.
pub fn smtp_problem(addr: &str) -> Option<&'static str> {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return Some("has no '@'");
    };
    if local.contains('@') {
        return Some("has more than one '@'");
    }
    if local.is_empty() {
        return Some("has nothing before '@'");
    }
    if local.len() > 64 {
        return Some("has more than 64 characters before '@'");
    }
    if !addr.is_ascii() {
        return Some("contains non-ASCII characters");
    }
    const ATEXT: &[u8] = b"!#$%&'*+-/=?^_`{|}~.";
    if !local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || ATEXT.contains(&b))
    {
        return Some("contains a character not allowed before '@'");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("has a misplaced '.' before '@'");
    }
    domain_problem(domain)
}

/// Why a DNS domain is not valid, or `None`.
pub fn domain_problem(domain: &str) -> Option<&'static str> {
    if domain.is_empty() {
        return Some("has no domain");
    }
    if domain.len() > 255 {
        return Some("has a domain longer than 255 characters");
    }
    if plain_domain(domain) {
        let tld = domain.rsplit('.').next().unwrap_or_default();
        return tld
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then_some("has a numeric top-level domain");
    }
    domain_checks(domain)
}

/// The label checks of [`domain_problem`] one by one, in the order their messages are chosen.
fn domain_checks(domain: &str) -> Option<&'static str> {
    // Checked label by label without collecting them: this runs for every UPN and address.
    if !domain.contains('.') {
        return Some("has a domain without a '.'");
    }
    let mut last = "";
    for l in domain.split('.') {
        if l.is_empty() || l.len() > 63 {
            return Some("has an empty or over-long domain label");
        }
        if !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Some("has a character not allowed in a domain");
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Some("has a domain label that starts or ends with '-'");
        }
        last = l;
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Some("has a numeric top-level domain");
    }
    None
}

/// Whether every label check of [`domain_problem`] passes, told in one pass over the bytes:
/// two labels or more, each of 1 to 63 letters, digits and `-`, none starting or ending with
/// `-`. The checks themselves name the first problem of any other domain.
fn plain_domain(domain: &str) -> bool {
    let mut label = 0usize;
    let mut labels = 1;
    let mut prev = b'.';
    for &c in domain.as_bytes() {
        if c == b'.' {
            if label == 0 || prev == b'-' {
                return false;
            }
            label = 0;
            labels += 1;
        } else {
            if !(c.is_ascii_alphanumeric() || c == b'-') || (label == 0 && c == b'-') {
                return false;
            }
            label += 1;
            if label > 63 {
                return false;
            }
        }
        prev = c;
    }
    labels > 1 && label > 0 && prev != b'-'
}

/// The domain part of an address, if it has one.
pub fn domain_of(addr: &str) -> Option<&str> {
    addr.rsplit_once('@').map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_shortcut_agrees_with_the_label_checks() {
        let long = format!("{}.com", "a".repeat(64));
        let max = format!("{}.com", "a".repeat(63));
        let domains = [
            "contoso.com",
            "sub.con-toso.co.uk",
            "contoso.123",
            "1.2",
            "contoso",
            "contoso..com",
            ".contoso.com",
            "contoso.com.",
            "-contoso.com",
            "contoso-.com",
            "contoso.-com",
            "con_toso.com",
            "contosö.com",
            "a.b",
            long.as_str(),
            max.as_str(),
        ];
        for d in domains {
            if plain_domain(d) {
                assert_eq!(domain_problem(d), domain_checks(d), "{d}");
            } else {
                assert!(domain_checks(d).is_some(), "{d}");
            }
        }
        assert!(plain_domain("contoso.com") && plain_domain(&max) && !plain_domain(&long));
    }

    #[test]
    fn proxies_parse_with_primary_and_type() {
        let p = parse_proxy("SMTP:Ann@Contoso.com");
        assert!(p.primary);
        assert_eq!(p.kind, "smtp");
        assert_eq!(p.address, "Ann@Contoso.com");
        assert!(!parse_proxy("smtp:a@b.com").primary);
        assert_eq!(parse_proxy("X500:/o=Org/cn=a").kind, "x500");
        let bare = parse_proxy("a@b.com");
        assert_eq!((bare.primary, bare.kind.as_str()), (false, "smtp"));
    }

    #[test]
    fn multi_valued_cells_split_on_semicolons_or_spaced_entries() {
        let v: Vec<&str> = split_multi("SMTP:a@x.com; smtp:b@x.com;").collect();
        assert_eq!(v, ["SMTP:a@x.com", "smtp:b@x.com"]);
        let v: Vec<&str> = split_multi("SMTP:a@x.com smtp:b@x.com").collect();
        assert_eq!(v, ["SMTP:a@x.com", "smtp:b@x.com"]);
        let v: Vec<&str> = split_multi("X500:/o=First Org/cn=a").collect();
        assert_eq!(v, ["X500:/o=First Org/cn=a"]);
    }

    #[test]
    fn smtp_syntax() {
        assert_eq!(smtp_problem("ann.lee@contoso.com"), None);
        assert_eq!(smtp_problem("o'brien+x@mail.contoso.co.uk"), None);
        assert!(smtp_problem("ann").is_some());
        assert!(smtp_problem("a@b@c.com").is_some());
        assert!(smtp_problem(".a@c.com").is_some());
        assert!(smtp_problem("a.@c.com").is_some());
        assert!(smtp_problem("a..b@c.com").is_some());
        assert!(smtp_problem("a@localhost").is_some());
        assert!(smtp_problem("a@-x.com").is_some());
        assert!(smtp_problem("a@x.123").is_some());
        assert!(smtp_problem("zoë@x.com").is_some());
        assert!(smtp_problem("a b@x.com").is_some());
    }
}
