//! Trustees as Exchange prints them: the machine's own accounts (ignored), built-in and admin
//! groups (reported), orphaned SIDs (flagged), and the keys a trustee can be matched by.

/// Groups and accounts Exchange and Active Directory grant mailbox rights to on their own.
/// Matched on the part after `DOMAIN\`, so a real account of that name would match too: these
/// are only ever reported (P006), never dropped silently.
const BUILTIN_NAMES: &[&str] = &[
    "self",
    "system",
    "network service",
    "local service",
    "authenticated users",
    "everyone",
    "creator owner",
    "anonymous logon",
    "exchange servers",
    "exchange trusted subsystem",
    "exchange windows permissions",
    "exchange organization administrators",
    "exchange recipient administrators",
    "exchange view-only administrators",
    "exchange public folder administrators",
    "exchange domain servers",
    "exchange enterprise servers",
    "exchange services",
    "exchange all hosted organizations",
    "organization management",
    "recipient management",
    "public folder management",
    "discovery management",
    "hygiene management",
    "delegated setup",
    "managed availability servers",
    "domain admins",
    "enterprise admins",
    "schema admins",
    "administrators",
];

/// Well-known SIDs: Everyone, Creator Owner, and the NT AUTHORITY / BUILTIN accounts.
fn is_well_known_sid(s: &str) -> bool {
    matches!(
        s,
        "s-1-1-0"
            | "s-1-3-0"
            | "s-1-5-7"
            | "s-1-5-10"
            | "s-1-5-11"
            | "s-1-5-18"
            | "s-1-5-19"
            | "s-1-5-20"
    ) || s.starts_with("s-1-5-32-")
}

/// `NT AUTHORITY\SELF`, `NT AUTHORITY\SYSTEM`, `BUILTIN\Administrators` and the well-known
/// SIDs, by full name: principals of the source machine or domain that no migration carries
/// and nobody needs told about.
pub fn is_ignored_principal(trustee: &str) -> bool {
    let t = trustee.trim().to_ascii_lowercase();
    t.starts_with("nt authority\\") || t.starts_with("builtin\\") || is_well_known_sid(&t)
}

/// `Everyone`, `CONTOSO\Domain Admins`, `CONTOSO\Exchange Servers`, ...: a built-in or admin
/// group by its name alone (the part after `DOMAIN\`).
pub fn is_builtin_name(trustee: &str) -> bool {
    let t = trustee.trim().to_ascii_lowercase();
    let name = t.rsplit('\\').next().unwrap_or(&t);
    BUILTIN_NAMES.contains(&name)
}

/// `S-1-5-21-<domain>-<rid>`: an account SID Exchange could not resolve to a name, i.e. a
/// deleted account (a live one would print as DOMAIN\name).
pub fn is_orphaned_sid(trustee: &str) -> bool {
    let t = trustee.trim();
    let Some(rest) = t
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("s-1-5-21-"))
        .and_then(|_| t.get(9..))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The keys a trustee or mailbox reference may match: the whole value, the common name of a
/// distinguished name, the account name of `DOMAIN\name`, the last part of a canonical name
/// `contoso.com/Users/Name`, and the address of an `smtp:` value.
/// Keys compare without regard to case (see `join::key_hash`).
pub fn lookup_keys(reference: &str) -> Vec<&str> {
    let r = reference.trim();
    let smtp = r
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("smtp:"))
        .and_then(|_| r.get(5..));
    // `CN=Ann Lee,OU=Users,DC=contoso,DC=com` (Get-ADPermission): the common name.
    let cn = r
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("cn="))
        .and_then(|_| r.get(3..))
        .map(|rest| rest.split_once(',').map_or(rest, |(name, _)| name));
    let candidates = [
        cn,
        r.rsplit_once('\\').map(|(_, name)| name),
        r.rsplit_once('/').map(|(_, name)| name),
        smtp,
    ];
    let mut keys = Vec::with_capacity(3);
    keys.push(r);
    for k in candidates.into_iter().flatten().map(str::trim) {
        if !k.is_empty() && !keys.iter().any(|x| x.eq_ignore_ascii_case(k)) {
            keys.push(k);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_principals_by_full_name_only() {
        for t in [
            "NT AUTHORITY\\SELF",
            "nt authority\\system",
            "BUILTIN\\Administrators",
            "S-1-5-10",
            "S-1-5-32-544",
            "S-1-1-0",
        ] {
            assert!(is_ignored_principal(t), "{t}");
        }
        for t in [
            "CONTOSO\\Domain Admins",
            "CONTOSO\\Exchange Servers",
            "Everyone",
            "CONTOSO\\administrators",
            "CONTOSO\\system",
            "CONTOSO\\bob",
            "S-1-5-21-1-2-3-1107",
        ] {
            assert!(!is_ignored_principal(t), "{t}");
        }
    }

    #[test]
    fn builtin_names() {
        for t in [
            "CONTOSO\\Exchange Servers",
            "CONTOSO\\Exchange Trusted Subsystem",
            "CONTOSO\\Organization Management",
            "CONTOSO\\Domain Admins",
            "CONTOSO\\administrators",
            "Everyone",
        ] {
            assert!(is_builtin_name(t), "{t}");
        }
        for t in [
            "CONTOSO\\bob",
            "bob@contoso.com",
            "S-1-5-21-1-2-3-1107",
            "Exchange",
        ] {
            assert!(!is_builtin_name(t), "{t}");
        }
    }

    #[test]
    fn orphaned_sids() {
        assert!(is_orphaned_sid(
            "S-1-5-21-1004336348-1177238915-682003330-1107"
        ));
        assert!(is_orphaned_sid(" s-1-5-21-1-2 "));
        assert!(!is_orphaned_sid("S-1-5-21-"));
        assert!(!is_orphaned_sid("S-1-5-21-12a-3"));
        assert!(!is_orphaned_sid("S-1-5-18"));
        assert!(!is_orphaned_sid("CONTOSO\\bob"));
        assert!(!is_orphaned_sid("é"));
    }

    #[test]
    fn keys() {
        assert_eq!(lookup_keys("CONTOSO\\Bob"), ["CONTOSO\\Bob", "Bob"]);
        assert_eq!(
            lookup_keys("contoso.com/Users/Bob Lee"),
            ["contoso.com/Users/Bob Lee", "Bob Lee"]
        );
        assert_eq!(
            lookup_keys("CN=Bob Lee,OU=Users,DC=contoso,DC=com"),
            ["CN=Bob Lee,OU=Users,DC=contoso,DC=com", "Bob Lee"]
        );
        assert_eq!(
            lookup_keys("SMTP:bob@contoso.com"),
            ["SMTP:bob@contoso.com", "bob@contoso.com"]
        );
    }
}
