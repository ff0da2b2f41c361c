use std::sync::Arc;

use super::*;
use crate::model::address::parse_proxy;
use crate::model::{Contact, GroupKind, Origin};

fn origin(file: &str, line: u64) -> Origin {
    Origin {
        file: Arc::from(file),
        line,
    }
}

fn user(line: u64, upn: &str, alias: Option<&str>, display: &str, proxies: &[&str]) -> User {
    User {
        origin: origin("u.csv", line),
        upn: upn.into(),
        display_name: display.into(),
        first_name: None,
        last_name: None,
        alias: alias.map(Into::into),
        usage_location: None,
        password: None,
        primary_smtp: None,
        proxy_addresses: proxies.iter().map(|p| parse_proxy(p)).collect(),
        licence_sku: None,
    }
}

fn group(line: u64, name: &str, address: &str) -> Group {
    Group {
        origin: origin("g.csv", line),
        name: name.into(),
        display_name: None,
        alias: None,
        primary_smtp: Some(address.into()),
        proxy_addresses: Vec::new(),
        kind: GroupKind::Distribution,
        accept_external: None,
    }
}

fn tenant() -> Tenant {
    Tenant {
        users: vec![
            user(
                2,
                "ann.lee@contoso.com",
                None,
                "Ann Lee",
                &["smtp:al@contoso.com"],
            ),
            user(3, "bob@contoso.com", Some("rob"), "Bob", &[]),
            user(4, "bob@fabrikam.com", None, "Bob", &[]),
            user(5, "sales@contoso.com", Some("cara"), "Cara", &[]),
        ],
        groups: vec![group(2, "Sales", "sales-team@contoso.com")],
        ..Default::default()
    }
}

#[test]
fn every_name_of_a_user_resolves_to_it() {
    let d = TenantDirectory::new(&tenant());
    for n in [
        "ann.lee@contoso.com",
        "ANN.LEE",
        "al@contoso.com",
        "Ann Lee",
        " ann.lee ",
    ] {
        assert_eq!(d.resolve(n), Resolved::Found(Recipient::User(0)), "{n}");
    }
    // An explicit alias replaces the derived one.
    assert_eq!(d.resolve("rob"), Resolved::Found(Recipient::User(1)));
    assert_eq!(d.resolve("bob"), Resolved::Found(Recipient::User(2)));
    assert_eq!(d.resolve("nobody"), Resolved::Missing);
}

#[test]
fn a_name_two_recipients_answer_to_is_ambiguous_never_the_first() {
    let d = TenantDirectory::new(&tenant());
    // The display name "Bob" is two users'.
    assert_eq!(
        d.resolve("bob"),
        Resolved::Found(Recipient::User(2)),
        "an identity name wins over display names"
    );
    assert_eq!(d.resolve("Bob"), d.resolve("BOB"), "case does not matter");
    let t = Tenant {
        users: vec![
            user(2, "ann@contoso.com", None, "A", &[]),
            user(3, "ann@fabrikam.com", None, "B", &[]),
        ],
        groups: vec![group(2, "Team", "team@contoso.com")],
        ..Default::default()
    };
    let d = TenantDirectory::new(&t);
    assert_eq!(
        d.resolve("ann"),
        Resolved::Ambiguous(Recipient::User(0), Recipient::User(1))
    );
    // Display names tie too when nothing else matches.
    let t = Tenant {
        users: vec![
            user(2, "a@contoso.com", None, "Sam", &[]),
            user(3, "b@contoso.com", None, "Sam", &[]),
        ],
        ..Default::default()
    };
    let d = TenantDirectory::new(&t);
    assert_eq!(
        d.resolve("sam"),
        Resolved::Ambiguous(Recipient::User(0), Recipient::User(1))
    );
}

#[test]
fn a_group_name_and_a_user_alias_are_one_name_but_a_group_identity_sees_groups_only() {
    let mut t = tenant();
    t.users[3].alias = Some("Sales".into());
    let d = TenantDirectory::new(&t);
    assert_eq!(
        d.resolve("sales"),
        Resolved::Ambiguous(Recipient::Group(0), Recipient::User(3))
    );
    assert_eq!(
        d.resolve_group("sales"),
        Resolved::Found(Recipient::Group(0))
    );
    assert_eq!(
        d.resolve_group("sales-team@contoso.com"),
        Resolved::Found(Recipient::Group(0))
    );
    assert_eq!(d.resolve_group("rob"), Resolved::Missing);
    // The user's UPN is not the group's address.
    assert_eq!(
        d.resolve("sales@contoso.com"),
        Resolved::Found(Recipient::User(3))
    );
}

#[test]
fn derived_aliases() {
    assert_eq!(derived_alias("Ann.Lee@contoso.com"), Some("Ann.Lee"));
    assert_eq!(derived_alias(" a@b "), Some("a"));
    assert_eq!(derived_alias("@contoso.com"), None);
    assert_eq!(derived_alias("noat"), None);
}

fn contact(line: u64, name: &str, external: &str, alias: Option<&str>, other: &[&str]) -> Contact {
    Contact {
        origin: origin("c.csv", line),
        name: name.into(),
        external: external.into(),
        alias: alias.map(Into::into),
        display_name: Some(format!("{name} (partner)")),
        addresses: other.iter().map(|a| a.to_string()).collect(),
        x500: Vec::new(),
        legacy_dn: None,
    }
}

#[test]
fn every_name_of_a_contact_resolves_to_it() {
    let mut t = tenant();
    t.contacts = vec![
        contact(
            2,
            "Pat Partner",
            "pat@example.net",
            None,
            &["pat.partner@contoso.com"],
        ),
        contact(3, "Kim", "kim@fabrikam.net", Some("kimv"), &[]),
    ];
    let d = TenantDirectory::new(&t);
    for n in [
        "Pat Partner",
        "PATPARTNER",
        "pat@example.net",
        "pat.partner@contoso.com",
        "pat partner (partner)",
    ] {
        assert_eq!(d.resolve(n), Resolved::Found(Recipient::Contact(0)), "{n}");
    }
    assert_eq!(d.resolve("kimv"), Resolved::Found(Recipient::Contact(1)));
    // An explicit alias replaces the one Exchange derives from the Name.
    assert_eq!(d.resolve("Kim"), Resolved::Found(Recipient::Contact(1)));
    assert_eq!(d.resolve("kim@contoso.com"), Resolved::Missing);
    // A group's -Identity never means a contact.
    assert_eq!(d.resolve_group("Pat Partner"), Resolved::Missing);
    assert!(d.has_contact(0) && d.has_contact(1));
}

#[test]
fn a_contact_and_a_user_of_one_alias_are_ambiguous_and_a_taken_name_leaves_the_contact_out() {
    let mut t = tenant();
    t.contacts = vec![
        // "rob" is Bob's explicit alias.
        contact(2, "Rob Vendor", "rob@example.net", Some("rob"), &[]),
        // "Sales" is the group's Name.
        contact(3, "sales", "sales@example.net", None, &[]),
        // The same outside address again: one contact.
        contact(4, "Rob Again", "rob@example.net", None, &[]),
    ];
    let d = TenantDirectory::new(&t);
    assert_eq!(
        d.resolve("ROB"),
        Resolved::Ambiguous(Recipient::User(1), Recipient::Contact(0))
    );
    assert!(!d.has_contact(1) && !d.has_contact(2));
    assert_eq!(d.resolve("sales@example.net"), Resolved::Missing);
    assert_eq!(d.resolve("Rob Again"), Resolved::Missing);
    assert_eq!(d.resolve("sales"), Resolved::Found(Recipient::Group(0)));
}

#[test]
fn contact_aliases_follow_new_mail_contact() {
    assert_eq!(contact_alias("Pat Partner").as_deref(), Some("PatPartner"));
    assert_eq!(contact_alias(" a.b ").as_deref(), Some("a.b"));
    assert_eq!(contact_alias("Zoë (Sales)").as_deref(), Some("Zoë?Sales?"));
    assert_eq!(contact_alias("Łukasz").as_deref(), Some("?ukasz"));
    assert_eq!(contact_alias("   "), None);
}
