//! Contacts-export rows (C...): the source's mail contacts, which the contacts step creates in
//! Exchange Online with their legacyExchangeDN as an X500 address.

use crate::diag::Severity::{Error, Warning};
use crate::input::{Column, Row};
use crate::model::load::contact_address;

use super::engine::State;
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
