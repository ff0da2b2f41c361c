//! Address rules (A...): SMTP syntax, accepted domains, one primary, uniqueness across every
//! user and group of every file linted together (m365-facts 4.4).

use crate::diag::Severity::{Error, Warning};
use crate::input::{Column, Row};
use crate::model::address::{parse_proxy, smtp_problem, split_multi};

use super::engine::State;
use super::index::{key, Ns, Place};
use super::Rule;

pub const SYNTAX: Rule = Rule {
    code: "A001",
    name: "address-syntax",
    severity: Error,
    summary: "the SMTP address is not valid",
    hint: "write it as local@domain.tld with no spaces or accented letters",
    explanation: "Exchange validates SMTP proxy addresses and rejects the whole -EmailAddresses value if one is malformed (m365-facts 4.4); Graph's `mail` cannot contain accented characters.",
};

pub const DOMAIN: Rule = Rule {
    code: "A002",
    name: "address-domain",
    severity: Error,
    summary: "the address is not in an accepted domain",
    hint: "add the domain to the tenant and to [tenant] domains, or drop the address",
    explanation: "Exchange Online only accepts addresses in the tenant's accepted domains (m365-facts 4.4). cutover checks against the project's domains and the *.onmicrosoft.com tenant domain; with no domains configured the check is skipped.",
};

pub const MULTIPLE_PRIMARY: Rule = Rule {
    code: "A003",
    name: "multiple-primary",
    severity: Error,
    summary: "more than one address is marked primary (SMTP:)",
    hint: "keep one upper-case SMTP: entry; write the others as smtp:",
    explanation: "In EmailAddresses an upper-case `SMTP:` prefix marks the primary address and may be used once; lower-case `smtp:` marks secondary addresses (m365-facts 4.4).",
};

pub const DUPLICATE: Rule = Rule {
    code: "A004",
    name: "address-duplicate",
    severity: Error,
    summary: "the address already belongs to another recipient",
    hint: "remove the address from one of the recipients",
    explanation: "An SMTP address routes to exactly one recipient; Exchange refuses to add an address another user or group already has (m365-facts 4.4). cutover compares addresses, ignoring case, across every users, groups, mailboxes and contacts file linted together (a contact's outside address and its other addresses included), and a user's address against other users' UPNs.",
};

pub const PRIMARY_MISMATCH: Rule = Rule {
    code: "A005",
    name: "primary-mismatch",
    severity: Warning,
    summary: "PrimarySmtpAddress differs from the SMTP: entry in EmailAddresses",
    hint: "make both name the same address",
    explanation: "`-EmailAddresses` and `-PrimarySmtpAddress` cannot be used in one command, and in Exchange Online the primary is set through the `SMTP:` entry (m365-facts 4.4); cutover takes the PrimarySmtpAddress column, so the two must agree.",
};

pub const TOO_LONG: Rule = Rule {
    code: "A006",
    name: "proxy-length",
    severity: Error,
    summary: "the proxy address is longer than 1123 characters",
    hint: "shorten or drop the address",
    explanation: "proxyAddresses values are at most 1123 characters each (Active Directory schema rangeUpper, m365-facts 4.4).",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User,
    Group(u32),
}

/// Checks a row's PrimarySmtpAddress and EmailAddresses and records its addresses.
pub fn check(st: &mut State<'_>, row: &Row<'_>, owner: Owner, place: Place) {
    // A type name instead of the values is reported as export damage (D001), not as addresses.
    let usable = |v: &&str| !crate::rules::damage::is_type_name(v);
    let primary_col = row.value(Column::PrimarySmtp).filter(usable);
    let proxies = row.value(Column::EmailAddresses).filter(usable);
    if primary_col.is_none() && proxies.is_none() {
        return;
    }
    let mut seen: Vec<u64> = Vec::new();
    if let Some(a) = primary_col {
        one(st, row, Column::PrimarySmtp, a, owner, place, &mut seen);
    }
    let Some(cell) = proxies else { return };
    let mut primaries = 0;
    for entry in split_multi(cell) {
        if entry.chars().count() > 1123 {
            st.sink.cell(
                &TOO_LONG,
                row,
                Column::EmailAddresses,
                format!("an entry has {} characters", entry.chars().count()),
            );
        }
        let p = parse_proxy(entry);
        if p.kind != "smtp" {
            continue;
        }
        if p.primary {
            primaries += 1;
            if let Some(a) = primary_col {
                if !a.eq_ignore_ascii_case(&p.address) {
                    st.sink.cell(
                        &PRIMARY_MISMATCH,
                        row,
                        Column::EmailAddresses,
                        format!("SMTP:{} but PrimarySmtpAddress is {a}", p.address),
                    );
                }
            }
        }
        one(
            st,
            row,
            Column::EmailAddresses,
            &p.address,
            owner,
            place,
            &mut seen,
        );
    }
    if primaries > 1 {
        st.sink.cell(
            &MULTIPLE_PRIMARY,
            row,
            Column::EmailAddresses,
            format!("{primaries} entries start with SMTP:"),
        );
    }
}

fn one(
    st: &mut State<'_>,
    row: &Row<'_>,
    col: Column,
    addr: &str,
    owner: Owner,
    place: Place,
    seen: &mut Vec<u64>,
) {
    if let Some(p) = smtp_problem(addr) {
        st.sink.cell(&SYNTAX, row, col, format!("'{addr}' {p}"));
        return;
    }
    let domain = addr.rsplit_once('@').map_or("", |(_, d)| d);
    if !st.accepts(domain) {
        st.sink.cell(
            &DOMAIN,
            row,
            col,
            format!("'{domain}' is not one of the accepted domains"),
        );
    }
    let user_key = key(Ns::UserAddress, addr);
    if seen.contains(&user_key) {
        return;
    }
    seen.push(user_key);
    let group_key = key(Ns::GroupAddress, addr);
    let upn_owner = st.get(key(Ns::Upn, addr)).filter(|p| *p != place);
    match owner {
        Owner::User => {
            st.note_domain(domain);
            let other = st.get(user_key).or(upn_owner).or_else(|| st.get(group_key));
            if let Some(first) = other {
                let at = st.describe(first);
                st.sink.cell(
                    &DUPLICATE,
                    row,
                    col,
                    format!("'{addr}' is also used at {at}"),
                );
            }
            st.dir.note(Ns::UserAddress, addr);
            st.insert(user_key, place);
        }
        Owner::Group(_) => {
            if let Some(first) = st.get(user_key).or(upn_owner) {
                let at = st.describe(first);
                st.sink.cell(
                    &super::groups::COLLIDES_WITH_USER,
                    row,
                    col,
                    format!("'{addr}' belongs to the user at {at}"),
                );
            } else if let Some(first) = st.get(group_key) {
                let at = st.describe(first);
                st.sink.cell(
                    &DUPLICATE,
                    row,
                    col,
                    format!("'{addr}' is also used at {at}"),
                );
            }
            st.dir.note(Ns::GroupAddress, addr);
            st.insert(group_key, place);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{codes, lint_files, lint_one, lint_with};

    #[test]
    fn a001_address_syntax() {
        let r = lint_one(b"UPN,DisplayName,EmailAddresses\na@contoso.com,A,SMTP:a@contoso.com;smtp:bad address@contoso.com\n");
        assert_eq!(codes(&r), ["A001"]);
    }

    #[test]
    fn a002_address_domain() {
        let p = crate::project::Project {
            domains: vec!["contoso.com".into()],
            usage_location: Some("US".into()),
            ..Default::default()
        };
        let r = lint_with(&p, b"UPN,DisplayName,EmailAddresses\na@contoso.com,A,SMTP:a@contoso.com;smtp:a@fabrikam.com;X500:/o=x\n");
        assert_eq!(codes(&r), ["A002"]);
    }

    #[test]
    fn a003_multiple_primary_and_a005_mismatch() {
        let r = lint_one(b"UPN,DisplayName,EmailAddresses\na@contoso.com,A,SMTP:a@contoso.com;SMTP:b@contoso.com\n");
        assert_eq!(codes(&r), ["A003"]);
        let r = lint_one(b"UPN,DisplayName,PrimarySmtpAddress,EmailAddresses\na@contoso.com,A,a@contoso.com,SMTP:x@contoso.com\n");
        assert_eq!(codes(&r), ["A005"]);
    }

    #[test]
    fn a004_addresses_unique_across_users_and_files() {
        let r = lint_one(b"UPN,DisplayName,EmailAddresses\na@contoso.com,A,SMTP:a@contoso.com;smtp:sales@contoso.com\nb@contoso.com,B,smtp:Sales@contoso.com;smtp:a@contoso.com\n");
        assert_eq!(codes(&r), ["A004", "A004"]);
        let r = lint_files(&[
            ("u.csv", b"UPN,DisplayName\nann@contoso.com,Ann\n"),
            ("g.csv", b"Name,PrimarySmtpAddress,EmailAddresses\nSales,sales@contoso.com,smtp:s@contoso.com\nSales2,s@contoso.com,\n"),
        ]);
        assert_eq!(codes(&r), ["A004"]);
        assert_eq!(r[0].file.as_deref(), Some("g.csv"));
    }

    #[test]
    fn a006_proxy_length() {
        let long = format!("X500:/o={}", "x".repeat(1120));
        let text = format!("UPN,DisplayName,EmailAddresses\na@contoso.com,A,{long}\n");
        assert_eq!(codes(&lint_one(text.as_bytes())), ["A006"]);
    }
}
