//! Rows to typed records. Loaders trust nothing but judge nothing either: `lint` reports
//! problems; here a row without its identity is skipped so nothing downstream acts on a blank.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::input::{self, country, Column, FileKind, OpenError, Options, Row};
use crate::project::Project;

use super::address::{parse_proxy, split_multi};
use super::{Contact, Group, GroupKind, Membership, Origin, ProxyAddress, Secret, Tenant, User};

/// Reads every input the project names (users, groups, members, and through the audit loaders
/// mailboxes, statistics and permissions) into a `Tenant`. Callers lint first: the loaders'
/// own findings are not returned here.
pub fn load_tenant(project: &Project) -> Result<Tenant> {
    let mut t = Tenant::default();
    if let Some(p) = &project.inputs.users {
        for_each_row(project, p, FileKind::Users, |o, r| {
            if let Some(u) = user(o, r) {
                t.users.push(u);
            }
        })?;
    }
    if let Some(p) = &project.inputs.groups {
        let memberships = &mut t.memberships;
        let groups = &mut t.groups;
        for_each_row(project, p, FileKind::Groups, |o, r| {
            if let Some(g) = group(o.clone(), r) {
                if let Some(cell) = r.value(Column::Members) {
                    for m in split_multi(cell) {
                        memberships.push(Membership {
                            origin: o.clone(),
                            group: g.name.clone(),
                            member: m.to_string(),
                        });
                    }
                }
                groups.push(g);
            }
        })?;
    }
    if let Some(p) = &project.inputs.members {
        for_each_row(project, p, FileKind::Members, |o, r| {
            if let (Some(group), Some(member)) = (r.value(Column::Group), r.value(Column::Member)) {
                t.memberships.push(Membership {
                    origin: o,
                    group: group.to_string(),
                    member: member.to_string(),
                });
            }
        })?;
    }
    if let Some(p) = &project.inputs.contacts {
        for_each_row(project, p, FileKind::Contacts, |o, r| {
            if let Some(c) = contact(o, r) {
                t.contacts.push(c);
            }
        })?;
    }
    if let Some(p) = &project.inputs.mailboxes {
        t.mailboxes = crate::audit::load::load_mailboxes(p, project)?.records;
    }
    if let Some(p) = &project.inputs.stats {
        t.stats = crate::audit::load::load_stats(p, project)?.records;
    }
    if let Some(p) = &project.inputs.permissions {
        t.permissions = crate::audit::load::load_permissions(p, project)?.records;
    }
    join_mailbox_addresses(&mut t);
    Ok(t)
}

/// Gives each user the SMTP and X500 addresses of its mailbox in the source export (matched by
/// UPN or primary address), so the export closes the loop: old addresses keep receiving mail,
/// and the X500 entries (the old legacyExchangeDN among them) keep replies to old mail and
/// cached Outlook recipients deliverable. Addresses the user row already has are kept once.
pub fn join_mailbox_addresses(t: &mut Tenant) {
    if t.mailboxes.is_empty() {
        return;
    }
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, m) in t.mailboxes.iter().enumerate() {
        for k in [&m.upn, &m.primary_smtp].into_iter().flatten() {
            let k = k.trim().to_lowercase();
            if !k.is_empty() {
                by_key.entry(k).or_insert(i);
            }
        }
    }
    for u in &mut t.users {
        let found = [Some(&u.upn), u.primary_smtp.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|k| by_key.get(&k.trim().to_lowercase()));
        let Some(m) = found.and_then(|&i| t.mailboxes.get(i)) else {
            continue;
        };
        if u.primary_smtp.is_none() {
            u.primary_smtp = m.primary_smtp.clone();
        }
        let key = |p: &ProxyAddress| format!("{}:{}", p.kind, p.address.trim().to_lowercase());
        let mut have: HashSet<String> = u.proxy_addresses.iter().map(key).collect();
        for p in &m.proxy_addresses {
            if (p.kind == "smtp" || p.kind == "x500") && have.insert(key(p)) {
                u.proxy_addresses.push(p.clone());
            }
        }
    }
}

/// Streams one file as `kind`, handing each row and its origin to `f`.
pub fn for_each_row(
    project: &Project,
    path: &Path,
    kind: FileKind,
    mut f: impl FnMut(Origin, &Row<'_>),
) -> Result<()> {
    let opts = Options {
        kind: Some(kind),
        delimiter: project.delimiter,
    };
    let mut reader = match input::open(path, &opts) {
        Ok(r) => r,
        Err(OpenError::Unreadable(e)) => return Err(Error::io(path, e)),
        Err(OpenError::Empty) => return Ok(()),
        Err(e) => return Err(Error::Usage(format!("{}: {e}", path.display()))),
    };
    let file: Arc<str> = Arc::from(path.display().to_string());
    while let Some(row) = reader.next_row().map_err(|e| Error::io(path, e))? {
        if row.is_blank() {
            continue;
        }
        let origin = Origin {
            file: file.clone(),
            line: row.line(),
        };
        f(origin, &row);
    }
    Ok(())
}

fn owned(r: &Row<'_>, c: Column) -> Option<String> {
    r.value(c).map(str::to_string)
}

fn proxies(r: &Row<'_>) -> Vec<ProxyAddress> {
    r.value(Column::EmailAddresses)
        .map(|cell| split_multi(cell).map(parse_proxy).collect())
        .unwrap_or_default()
}

/// The `PrimarySmtpAddress` column, else the `SMTP:` entry of `EmailAddresses`.
fn primary(r: &Row<'_>, proxies: &[ProxyAddress]) -> Option<String> {
    owned(r, Column::PrimarySmtp).or_else(|| {
        proxies
            .iter()
            .find(|p| p.primary && p.kind == "smtp")
            .map(|p| p.address.clone())
    })
}

/// `UsageLocation`, else the admin-center template's `Country or Region` name mapped to its
/// ISO code (m365-facts 4.5, 5.4). The project default is the planner's to apply.
pub fn usage_location(r: &Row<'_>) -> Option<String> {
    if let Some(v) = r.value(Column::UsageLocation) {
        return Some(country::to_code(v).map_or_else(|| v.to_string(), str::to_string));
    }
    r.value(Column::Country)
        .and_then(country::to_code)
        .map(str::to_string)
}

fn user(origin: Origin, r: &Row<'_>) -> Option<User> {
    let upn = owned(r, Column::Upn)?;
    let proxy_addresses = proxies(r);
    Some(User {
        origin,
        display_name: owned(r, Column::DisplayName).unwrap_or_default(),
        first_name: owned(r, Column::FirstName),
        last_name: owned(r, Column::LastName),
        alias: owned(r, Column::Alias),
        usage_location: usage_location(r),
        // Passwords are taken as written: surrounding spaces may be part of them.
        password: r
            .get(Column::Password)
            .filter(|p| !p.is_empty())
            .map(Secret::new),
        primary_smtp: primary(r, &proxy_addresses),
        proxy_addresses,
        licence_sku: owned(r, Column::LicenceSku),
        upn,
    })
}

fn group(origin: Origin, r: &Row<'_>) -> Option<Group> {
    let name = owned(r, Column::Name)?;
    let proxy_addresses =
        crate::audit::load::with_legacy_dn(proxies(r), r.value(Column::LegacyExchangeDn));
    let kind = match r.value(Column::GroupType) {
        Some(t) if t.to_ascii_lowercase().contains("security") => GroupKind::Security,
        _ => GroupKind::Distribution,
    };
    Some(Group {
        origin,
        display_name: owned(r, Column::DisplayName),
        alias: owned(r, Column::Alias),
        primary_smtp: primary(r, &proxy_addresses),
        proxy_addresses,
        kind,
        accept_external: r
            .value(Column::RequireSenderAuth)
            .and_then(parse_bool)
            .map(|require| !require),
        name,
    })
}

/// A contact's outside address as Exchange writes it (`SMTP:a@example.net`), bare and
/// lower-case: the contacts step's identity and the key members are matched by.
pub fn contact_address(value: &str) -> String {
    let v = value.trim();
    let bare = match v.split_once(':') {
        Some((kind, rest)) if kind.eq_ignore_ascii_case("smtp") => rest,
        _ => v,
    };
    bare.trim().to_lowercase()
}

/// A contact's SMTP addresses other than its outside address `external` (already bare and
/// lower-case): the `PrimarySmtpAddress` column and the `smtp:` entries of `EmailAddresses`,
/// bare, lower-case, each once. Lint and the loader both read a contact's addresses here.
pub fn contact_addresses(
    external: &str,
    primary: Option<&str>,
    proxies: Option<&str>,
) -> Vec<String> {
    let primary = primary.map(contact_address);
    let proxies = proxies
        .into_iter()
        .flat_map(split_multi)
        .map(parse_proxy)
        .filter(|p| p.kind == "smtp")
        .map(|p| p.address.trim().to_lowercase());
    let mut out: Vec<String> = Vec::new();
    for a in primary.into_iter().chain(proxies) {
        if !a.is_empty() && a != external && !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

fn contact(origin: Origin, r: &Row<'_>) -> Option<Contact> {
    let name = owned(r, Column::Name)?;
    let external = contact_address(r.value(Column::ExternalEmail)?);
    if external.is_empty() {
        return None;
    }
    // An export that wrote a type name instead of the values (lint D001) has no addresses.
    let usable = |v: &&str| !crate::rules::damage::is_type_name(v);
    let proxies = r.value(Column::EmailAddresses).filter(usable);
    let legacy_dn = owned(r, Column::LegacyExchangeDn);
    let mut x500: Vec<String> = Vec::new();
    for p in proxies.into_iter().flat_map(split_multi).map(parse_proxy) {
        let dn = p.address.trim();
        let current = legacy_dn
            .as_deref()
            .is_some_and(|l| l.trim().eq_ignore_ascii_case(dn));
        if p.kind == "x500"
            && !dn.is_empty()
            && !current
            && !x500.iter().any(|x| x.eq_ignore_ascii_case(dn))
        {
            x500.push(dn.to_string());
        }
    }
    Some(Contact {
        origin,
        name,
        alias: owned(r, Column::Alias),
        display_name: owned(r, Column::DisplayName),
        addresses: contact_addresses(
            &external,
            r.value(Column::PrimarySmtp).filter(usable),
            proxies,
        ),
        x500,
        external,
        legacy_dn,
    })
}

/// `True`/`False` as PowerShell writes them, plus the usual spellings.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "$true" => Some(true),
        "false" | "no" | "0" | "$false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(dir: &Path) -> Project {
        Project {
            inputs: crate::project::Inputs {
                users: Some(dir.join("u.csv")),
                groups: Some(dir.join("g.csv")),
                members: Some(dir.join("m.csv")),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn loads_users_groups_and_members_with_origins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("u.csv"),
            "User Name,First Name,Last Name,Display Name,Country or Region,Password\n\
             ann@contoso.com,Ann,Lee,Ann Lee,United States,Pa55word!\n\
             ,No,Upn,Skipped,,\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("g.csv"),
            "\u{feff}Name,PrimarySmtpAddress,EmailAddresses,RequireSenderAuthenticationEnabled,Members\n\
             Sales,sales@contoso.com,SMTP:sales@contoso.com;smtp:s@contoso.com,False,ann@contoso.com\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("m.csv"), "DL;Alias\nSales;bob\n").unwrap();
        let t = load_tenant(&project(dir.path())).unwrap();
        assert_eq!(t.users.len(), 1);
        let u = &t.users[0];
        assert_eq!(u.upn, "ann@contoso.com");
        assert_eq!(u.usage_location.as_deref(), Some("US"));
        assert_eq!(u.password.as_ref().map(Secret::expose), Some("Pa55word!"));
        assert_eq!(u.origin.line, 2);
        let g = &t.groups[0];
        assert_eq!(g.accept_external, Some(true));
        assert_eq!(g.proxy_addresses.len(), 2);
        assert_eq!(g.primary_smtp.as_deref(), Some("sales@contoso.com"));
        let pairs: Vec<(&str, &str, u64)> = t
            .memberships
            .iter()
            .map(|m| (m.group.as_str(), m.member.as_str(), m.origin.line))
            .collect();
        assert_eq!(
            pairs,
            [("Sales", "ann@contoso.com", 2), ("Sales", "bob", 2)]
        );
    }

    #[test]
    fn the_demo_samples_load_every_kind() {
        let dir = tempfile::tempdir().unwrap();
        let project = crate::demo::write_samples(dir.path()).unwrap();
        let t = load_tenant(&project).unwrap();
        assert_eq!(t.users.len(), 5);
        assert_eq!(t.groups.len(), 3);
        assert_eq!(t.memberships.len(), 10);
        assert!(!t.mailboxes.is_empty());
        assert!(!t.stats.is_empty());
        assert!(!t.permissions.is_empty());
    }

    #[test]
    fn users_get_the_secondary_and_x500_addresses_of_their_exported_mailbox() {
        let dir = tempfile::tempdir().unwrap();
        let project = crate::demo::write_samples(dir.path()).unwrap();
        let t = load_tenant(&project).unwrap();
        let ann = t
            .users
            .iter()
            .find(|u| u.upn == "ann.lee@contoso.com")
            .unwrap();
        let got: Vec<String> = ann
            .proxy_addresses
            .iter()
            .filter(|p| !p.primary)
            .map(|p| format!("{}:{}", p.kind, p.address))
            .collect();
        assert_eq!(
            got,
            [
                "smtp:ann.lee@contoso.onmicrosoft.com",
                "x500:/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ann.lee",
            ]
        );
        assert_eq!(ann.primary_smtp.as_deref(), Some("ann.lee@contoso.com"));
    }

    #[test]
    fn the_join_matches_by_primary_address_and_keeps_an_address_once() {
        let mut t = Tenant::default();
        let origin = Origin {
            file: Arc::from("u.csv"),
            line: 2,
        };
        t.users.push(User {
            origin: origin.clone(),
            upn: "ann@contoso.com".into(),
            display_name: "Ann".into(),
            first_name: None,
            last_name: None,
            alias: None,
            usage_location: None,
            password: None,
            primary_smtp: Some("Ann.Lee@Contoso.com".into()),
            proxy_addresses: vec![parse_proxy("smtp:old@contoso.com")],
            licence_sku: None,
        });
        t.mailboxes.push(crate::model::Mailbox {
            origin,
            identity: "contoso.com/Users/Ann".into(),
            alias: None,
            display_name: None,
            primary_smtp: Some("ann.lee@contoso.com".into()),
            upn: Some("ann.lee@contoso.local".into()),
            exchange_guid: None,
            proxy_addresses: [
                "SMTP:ann.lee@contoso.com",
                "smtp:OLD@contoso.com",
                "X400:c=US",
                "x500:/o=C/cn=ann",
            ]
            .into_iter()
            .map(parse_proxy)
            .collect(),
            kind: crate::model::RecipientKind::User,
            archive: false,
            archive_guid: None,
            litigation_hold: false,
            forwarding: None,
            forwarding_recipient: None,
            send_on_behalf: Vec::new(),
        });
        join_mailbox_addresses(&mut t);
        let got: Vec<String> = t.users[0]
            .proxy_addresses
            .iter()
            .map(|p| format!("{}:{}", p.kind, p.address))
            .collect();
        assert_eq!(
            got,
            [
                "smtp:old@contoso.com",
                "smtp:ann.lee@contoso.com",
                "x500:/o=C/cn=ann"
            ]
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_tenant(&project(dir.path())).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
    }
}
