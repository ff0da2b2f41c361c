use std::sync::Arc;

use super::*;
use crate::model::address::parse_proxy;
use crate::model::{GroupKind, Origin};

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
