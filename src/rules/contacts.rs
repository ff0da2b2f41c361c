//! Contacts-export rows (C...): the source's mail contacts, which the contacts step creates in
//! Exchange Online with their legacyExchangeDN as an X500 address. Each contact is also a
//! recipient of the directory, with the names `model::directory::contact_names` gives it.

use crate::diag::Severity::{Error, Warning};
use crate::input::{Column, Row};
use crate::model::address::smtp_problem;
use crate::model::directory::contact_alias;
use crate::model::load::{contact_address, contact_addresses};

use super::engine::State;
use super::index::{key, Ns, Place};
use super::Rule;

pub const INCOMPLETE: Rule = Rule {
    code: "C001",
    name: "contact-incomplete",
    severity: Error,
    summary: "a contact has no Name or no outside address",
    hint: "give every contact its Name and ExternalEmailAddress (one address, e.g. SMTP:someone@example.net)",
    explanation: "New-MailContact needs both -Name and -ExternalEmailAddress (Microsoft Learn: New-MailContact), and the contacts step finds an existing contact by its outside address: a row without them would fail, or be a contact nothing can find. Get-MailContact writes the address as SMTP:someone@example.net; the prefix is accepted.",
};

pub const LEGACY_DN: Rule = Rule {
    code: "C002",
    name: "contact-legacy-dn",
    severity: Warning,
    summary: "a contact's LegacyExchangeDN is not an X500 distinguished name",
    hint: "export LegacyExchangeDN as Get-MailContact shows it (/o=Org/ou=.../cn=Recipients/cn=name), or leave the cell empty",
    explanation: "The contacts step adds the source contact's legacyExchangeDN as an X500 address of its cloud contact, so replies to old mail and Outlook's cached recipients still reach it instead of bouncing with an IMCEAEX NDR. An X500 address is a distinguished name starting /o= (Microsoft Learn: Set-MailContact -EmailAddresses, X500 proxy addresses); anything else names no one, so the contact would lose that route.",
};

/// Checks one contacts row.
pub fn check_contact(st: &mut State<'_>, row: &Row<'_>) {
    let name = row.value(Column::Name);
    let external = row.value(Column::ExternalEmail);
    match (name, external) {
        (None, _) => st.sink.cell(
            &INCOMPLETE,
            row,
            Column::Name,
            "the contact has no Name".into(),
        ),
        (_, None) => st.sink.cell(
            &INCOMPLETE,
            row,
            Column::ExternalEmail,
            "the contact has no outside address".into(),
        ),
        (Some(_), Some(e)) if !is_address(&contact_address(e)) => st.sink.cell(
            &INCOMPLETE,
            row,
            Column::ExternalEmail,
            format!("'{e}' is not one email address"),
        ),
        _ => {}
    }
    if let Some(dn) = row.value(Column::LegacyExchangeDn) {
        if !is_x500_dn(dn) {
            st.sink.cell(
                &LEGACY_DN,
                row,
                Column::LegacyExchangeDn,
                format!("'{dn}' does not start with /o=: it cannot become an X500 address"),
            );
        }
    }
    if let (Some(name), Some(e)) = (name, external) {
        add_recipient(st, row, name, &contact_address(e));
    }
}

/// Records the contact's names in the directory (as `TenantDirectory` does for the plan) and
/// checks that its Name and addresses are its own: G013, U008, A001, A002, A004.
fn add_recipient(st: &mut State<'_>, row: &Row<'_>, name: &str, external: &str) {
    if external.is_empty() {
        return;
    }
    let place = st.place(row.line());
    let name_key = key(Ns::GroupName, name);
    if let Some(first) = st.get(name_key) {
        let msg = format!(
            "the contact's Name '{name}' is also the Name of {}",
            st.recipient_at(first)
        );
        st.sink
            .cell(&super::mailboxes::NAME_COLLISION, row, Column::Name, msg);
        return;
    }
    if let Some(first) = st.get(key(Ns::ContactAddress, external)) {
        // The plan makes one contact per outside address: this row adds nothing.
        let at = st.describe(first);
        let msg = format!("'{external}' is also used at {at}");
        st.sink
            .cell(&super::address::DUPLICATE, row, Column::ExternalEmail, msg);
        return;
    }
    st.dir.note(Ns::GroupName, name);
    st.insert(name_key, place);
    match row.value(Column::Alias) {
        Some(a) => super::users::check_alias(st, row, a, place),
        None => {
            if let Some(derived) = contact_alias(name) {
                st.dir.note(Ns::DerivedAlias, &derived);
                st.claim_later(key(Ns::DerivedAlias, &derived), place);
            }
        }
    }
    if let Some(d) = row.value(Column::DisplayName) {
        st.dir.note(Ns::Display, d);
        st.claim_later(key(Ns::Display, d), place);
    }
    let usable = |v: &&str| !super::damage::is_type_name(v);
    let primary = row.value(Column::PrimarySmtp).filter(usable);
    let others = contact_addresses(
        external,
        primary,
        row.value(Column::EmailAddresses).filter(usable),
    );
    address(st, row, Column::ExternalEmail, external, place);
    for a in &others {
        let col = if primary.is_some_and(|p| contact_address(p) == *a) {
            Column::PrimarySmtp
        } else {
            Column::EmailAddresses
        };
        // The outside address may be anywhere (C001 checks it); the others are the
        // organisation's addresses, which Exchange Online takes in accepted domains only.
        if let Some(p) = smtp_problem(a) {
            st.sink
                .cell(&super::address::SYNTAX, row, col, format!("'{a}' {p}"));
            continue;
        }
        let domain = a.rsplit_once('@').map_or("", |(_, d)| d);
        if !st.accepts(domain) {
            st.sink.cell(
                &super::address::DOMAIN,
                row,
                col,
                format!("'{domain}' is not one of the accepted domains"),
            );
        }
        address(st, row, col, a, place);
    }
}

/// A004 when another recipient has the address; then the contact claims it.
fn address(st: &mut State<'_>, row: &Row<'_>, col: Column, a: &str, place: Place) {
    let other = [
        Ns::Upn,
        Ns::UserAddress,
        Ns::GroupAddress,
        Ns::MailboxAddress,
        Ns::ContactAddress,
    ]
    .into_iter()
    .find_map(|ns| st.get(key(ns, a)).filter(|p| *p != place));
    if let Some(first) = other {
        let msg = format!("'{a}' is also an address of {}", st.recipient_at(first));
        st.sink.cell(&super::address::DUPLICATE, row, col, msg);
    }
    st.dir.claim(Ns::ContactAddress, a, place);
}

fn is_address(a: &str) -> bool {
    a.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.contains('@') && !a.contains(char::is_whitespace)
    })
}

/// A legacyExchangeDN: `/o=Organisation/...` (Exchange writes the `o` in either case).
pub fn is_x500_dn(dn: &str) -> bool {
    let d = dn.trim();
    d.len() > 3 && d[..3].eq_ignore_ascii_case("/o=")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{codes, lint_files, lint_files_with, quiet_project};

    const USERS: &[u8] = b"UPN,DisplayName,Alias,EmailAddresses\nann@contoso.com,Ann,ann,smtp:ann.old@contoso.com\nbob@contoso.com,Bob,rob,\n";
    const GROUPS: &[u8] = b"Name,Address\nSales,sales@contoso.com\n";
    const CONTACTS: &[u8] = b"Name,DisplayName,Alias,ExternalEmailAddress,EmailAddresses\n\
Pat Partner,Pat P.,,SMTP:pat@example.net,SMTP:pat@example.net;smtp:pat.partner@contoso.com\n\
Kim Vendor,,kimv,kim@fabrikam.net,\n";

    #[test]
    fn members_resolve_to_contacts_by_every_name() {
        let r = lint_files(&[
            ("u.csv", USERS),
            ("g.csv", GROUPS),
            ("c.csv", CONTACTS),
            (
                "m.csv",
                b"Group,Member\nSales,Pat Partner\nSales,kimv\nSales,PatPartner\nSales,pat.partner@contoso.com\nSales,Kim Vendor\nSales,pat p.\n",
            ),
        ]);
        // By Name, alias, derived alias, other address, display name: never unknown or
        // external; the same contact named again is one membership.
        assert_eq!(codes(&r), ["G008", "G008", "G008", "G008"], "{r:?}");
        // The same when the members file is read on a thread of its own.
        let inputs: Vec<crate::rules::Input> = [
            ("u.csv", USERS),
            ("g.csv", GROUPS),
            ("c.csv", CONTACTS),
            (
                "m.csv",
                &b"Group,Member\nSales,Pat Partner\nSales,kimv\nSales,PatPartner\n"[..],
            ),
        ]
        .iter()
        .map(|(n, b)| crate::rules::Input {
            source: crate::rules::Source::Memory {
                name: n.to_string(),
                bytes: b.to_vec(),
            },
            kind: None,
        })
        .collect();
        let threaded = crate::rules::engine::lint_inputs_with(
            &quiet_project(),
            &inputs,
            crate::rules::engine::ReaderThread::On,
        )
        .unwrap();
        // Only the third row names a contact already added (Pat Partner by its derived alias).
        assert_eq!(
            codes(&threaded.findings),
            ["G008"],
            "{:?}",
            threaded.findings
        );
        assert_eq!(threaded.findings[0].line, Some(4));
        assert_eq!(
            r.iter().map(|f| f.line).collect::<Vec<_>>(),
            [Some(4), Some(5), Some(6), Some(7)]
        );
    }

    #[test]
    fn a_groups_members_cell_resolves_contacts_too() {
        let r = lint_files(&[
            ("u.csv", USERS),
            (
                "g.csv",
                b"Name,Address,Members\nSales,sales@contoso.com,kimv;pat@example.net\n",
            ),
            ("c.csv", CONTACTS),
        ]);
        assert_eq!(codes(&r), Vec::<&str>::new(), "{r:?}");
    }

    #[test]
    fn a_contact_and_a_user_of_one_alias_are_ambiguous_naming_both() {
        let contacts = b"Name,Alias,ExternalEmailAddress\nRob Vendor,rob,rob@example.net\n";
        let r = lint_files(&[
            ("u.csv", USERS),
            ("g.csv", GROUPS),
            ("c.csv", contacts),
            ("m.csv", b"Group,Member\nSales,ROB\n"),
        ]);
        assert_eq!(codes(&r), ["U008", "G012"], "{r:?}");
        assert_eq!(r[0].file.as_deref(), Some("c.csv"));
        assert!(
            r[1].message.contains("the user at u.csv:3")
                && r[1].message.contains("the contact at c.csv:2"),
            "{}",
            r[1].message
        );
    }

    #[test]
    fn g013_a_contact_named_like_a_group_is_left_out() {
        let contacts = b"Name,ExternalEmailAddress\nsales,s@example.net\n";
        let r = lint_files(&[
            ("g.csv", GROUPS),
            ("c.csv", contacts),
            ("m.csv", b"Group,Member\nSales,s@example.net\n"),
        ]);
        // The contact is not made, so its address is an outside member again.
        assert_eq!(codes(&r), ["G013", "G007"], "{r:?}");
        assert!(
            r[0].message.contains("the group at g.csv:2"),
            "{}",
            r[0].message
        );
    }

    #[test]
    fn a004_a002_a_contacts_addresses_are_its_own_and_accepted() {
        let p = crate::project::Project {
            domains: vec!["contoso.com".into()],
            ..quiet_project()
        };
        let contacts = b"Name,ExternalEmailAddress,EmailAddresses\n\
Old Ann,ann-ext@example.net,smtp:ann.old@contoso.com\n\
Far,far@example.net,smtp:far@elsewhere.org\n\
Twice,ANN-EXT@example.net,\n\
Bob Again,bob@contoso.com,\n";
        let r = lint_files_with(&p, &[("u.csv", USERS), ("c.csv", contacts)]);
        assert_eq!(codes(&r), ["A004", "A002", "A004", "A004"], "{r:?}");
        assert!(
            r[0].message.contains("the user at u.csv:2"),
            "{}",
            r[0].message
        );
        assert_eq!(
            r.iter().map(|f| f.line).collect::<Vec<_>>(),
            [Some(2), Some(3), Some(4), Some(5)]
        );
    }

    #[test]
    fn legacy_dns_and_addresses() {
        assert!(is_x500_dn(
            "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ann"
        ));
        assert!(is_x500_dn(
            "/O=CONTOSO/OU=FIRST ORGANIZATIONAL UNIT/CN=RECIPIENTS/CN=BOB"
        ));
        assert!(!is_x500_dn("cn=Recipients/cn=ann"));
        assert!(!is_x500_dn("X500:/o=Contoso/cn=ann"));
        assert!(!is_x500_dn("/o="));
        assert!(is_address(&contact_address("SMTP:Someone@Example.net")));
        assert!(!is_address(&contact_address("someone")));
        assert!(!is_address(&contact_address("a@b@example.net")));
        assert!(!is_address(&contact_address("some one@example.net")));
    }
}
