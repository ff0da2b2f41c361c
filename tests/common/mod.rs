//! A tenant built in Rust (independent of the CSV loaders) and bundle helpers for the tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutover::audit::PermissionGrant;
use cutover::bundle::{self, BundleOptions};
use cutover::model::{
    Group, GroupKind, Mailbox, Membership, Origin, PermissionRight, ProxyAddress, RecipientKind,
    Secret, Tenant, User,
};
use cutover::plan::{self, Change, Op, Plan, PlannedStep, StepKind};
use cutover::project::{IdentityMode, Project, SourceVersion};

pub const PASSWORD_PREFIX: &str = "Pw!Input-";

/// Values an attacker (or a careless spreadsheet) could put in a cell. None may reach a script.
pub fn adversarial() -> Vec<String> {
    let mut v: Vec<String> = [
        "o'brien'; Remove-Item -Recurse C:\\ ; '",
        "left\u{2018}quote\u{2018}; Stop-Computer; \u{2018}",
        "right\u{2019}quote\u{2019}) | Out-File x; (\u{2019}",
        "low\u{201A}nine\u{201A}$(Get-Process)\u{201A}",
        "reversed\u{201B}high\u{201B}`$env:PATH\u{201B}",
        "dq\"$(Invoke-Expression 'calc')\"",
        "smart\u{201C}dq\u{201D}\u{201E}$(whoami)",
        "`n`r`0 backtick`; escape",
        "semi;colon|pipe&amp@{Add='x'}",
        "@{Remove='SMTP:ceo@contoso.com'}",
        "#> <# comment-breaker",
        "'@ here-string end\u{2019}@",
        "\u{2013}Force \u{2014}Confirm:$false \u{2015}WhatIf",
        "rtl\u{202E}gnp.exe\u{200F}mark\u{200E}",
        "nbsp\u{00A0}nel-free\u{3000}ideographic",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("long{}", "x'$(y)".repeat(2000)));
    v
}

fn origin(file: &str, line: u64) -> Origin {
    Origin {
        file: Arc::from(file),
        line,
    }
}

pub fn user(i: usize, display: &str) -> User {
    let upn = format!("user{i}@contoso.com");
    User {
        origin: origin("users.csv", i as u64 + 2),
        upn: upn.clone(),
        display_name: display.to_string(),
        first_name: Some(format!("First{display}")),
        last_name: Some(format!("Last{display}")),
        alias: Some(format!("user{i}")),
        usage_location: Some("GB".into()),
        password: Some(Secret::new(format!("{PASSWORD_PREFIX}{i}-Zq9"))),
        primary_smtp: None,
        proxy_addresses: vec![
            ProxyAddress {
                primary: false,
                kind: "smtp".into(),
                address: format!("alias{i}@contoso.com"),
            },
            ProxyAddress {
                primary: false,
                kind: "x500".into(),
                address: format!("/o=Org/ou=First/cn=Recipients/cn={display}"),
            },
        ],
        licence_sku: Some("O365_BUSINESS_PREMIUM".into()),
    }
}

/// `n` users (display names cycle through the adversarial corpus), two groups (one nested in
/// the other), memberships for every user and one external member.
pub fn tenant(n: usize) -> Tenant {
    let bad = adversarial();
    let users: Vec<User> = (0..n).map(|i| user(i, &bad[i % bad.len()])).collect();
    let groups = vec![
        Group {
            origin: origin("groups.csv", 2),
            name: bad[0].clone(),
            display_name: Some(bad[5].clone()),
            alias: Some("allstaff".into()),
            primary_smtp: Some("all@contoso.com".into()),
            proxy_addresses: vec![ProxyAddress {
                primary: false,
                kind: "smtp".into(),
                address: "everyone@contoso.com".into(),
            }],
            kind: GroupKind::Distribution,
            accept_external: Some(true),
        },
        Group {
            origin: origin("groups.csv", 3),
            name: "Sales".into(),
            display_name: Some(bad[9].clone()),
            alias: Some("sales".into()),
            primary_smtp: Some("sales@contoso.com".into()),
            proxy_addresses: vec![],
            kind: GroupKind::Security,
            accept_external: None,
        },
    ];
    let mut memberships: Vec<Membership> = users
        .iter()
        .enumerate()
        .map(|(i, u)| Membership {
            origin: origin("members.csv", i as u64 + 2),
            group: "all@contoso.com".into(),
            member: u.upn.clone(),
        })
        .collect();
    memberships.push(Membership {
        origin: origin("members.csv", 9000),
        group: "all@contoso.com".into(),
        member: "Sales".into(),
    });
    memberships.push(Membership {
        origin: origin("members.csv", 9001),
        group: "sales".into(),
        member: "partner@example.net".into(),
    });
    let mailboxes = vec![
        resource_mailbox(3, "helpdesk@contoso.com", &bad[1], RecipientKind::Shared),
        resource_mailbox(4, "boardroom@contoso.com", &bad[2], RecipientKind::Room),
    ];
    Tenant {
        users,
        groups,
        memberships,
        mailboxes,
        ..Default::default()
    }
}

/// A shared or resource mailbox as the source export lists it (no user row of its own).
pub fn resource_mailbox(line: u64, address: &str, display: &str, kind: RecipientKind) -> Mailbox {
    Mailbox {
        origin: origin("mailboxes.csv", line),
        identity: format!("contoso.com/Users/{display}"),
        alias: address.split('@').next().map(str::to_string),
        display_name: Some(display.to_string()),
        primary_smtp: Some(address.to_string()),
        upn: Some(address.to_string()),
        exchange_guid: None,
        proxy_addresses: vec![
            ProxyAddress {
                primary: true,
                kind: "smtp".into(),
                address: address.to_string(),
            },
            ProxyAddress {
                primary: false,
                kind: "x500".into(),
                address: format!("/o=Org/ou=First/cn=Recipients/cn={display}"),
            },
        ],
        kind,
        archive: false,
        archive_guid: None,
        litigation_hold: false,
        forwarding: None,
        forwarding_recipient: None,
        send_on_behalf: Vec::new(),
    }
}

pub fn project(version: SourceVersion, identity: IdentityMode) -> Project {
    Project {
        domains: vec!["contoso.com".into()],
        tenant: Some("contoso.onmicrosoft.com".into()),
        source_version: version,
        identity,
        usage_location: Some("GB".into()),
        licence_sku: None,
        migration_account: Some("CONTOSO\\svc-migration".into()),
        ..Default::default()
    }
}

/// `project` with the mailbox migration set up: MigrationWiz for cloud identities, Microsoft's
/// native batches for synced ones (staged from Exchange 2003/2007, a hybrid remote move from
/// 2010 on), `native` to force a native type. The cutover day gives the pre-stage cut-off.
pub fn migration_project(
    version: SourceVersion,
    identity: IdentityMode,
    native: Option<cutover::plan::migration::NativeType>,
) -> Project {
    use cutover::plan::migration::{Engine, NativeType};
    let mut p = project(version, identity);
    p.schedule.cutover = chrono::NaiveDate::from_ymd_opt(2026, 12, 12);
    let m = &mut p.migration;
    m.source_server = Some("https://mail.contoso.com/EWS/Exchange.asmx".into());
    m.source_admin = Some("migration.admin@contoso.com".into());
    m.customer = Some("Contoso Ltd".into());
    m.project = Some("Contoso mailboxes".into());
    m.wave_size = Some(2);
    let native = native.or(match identity {
        IdentityMode::Cloud => None,
        IdentityMode::Synced if version <= SourceVersion::Ex2007 => Some(NativeType::Staged),
        IdentityMode::Synced => Some(NativeType::RemoteMove),
    });
    match native {
        None => m.engine = Engine::Migrationwiz,
        Some(t) => {
            m.engine = Engine::Native;
            m.native_type = Some(t);
            m.customer = None;
            m.project = None;
        }
    }
    p
}

/// The permissions step comes from the audit helper's mapping; until that lands the tests add
/// grants themselves so the template is covered.
pub fn add_permissions(p: &mut Plan, grants: &[PermissionGrant]) {
    if p.step(StepKind::Permissions).is_some() || grants.is_empty() {
        return;
    }
    let kind = StepKind::Permissions;
    let step = PlannedStep {
        id: kind.id(),
        kind,
        title: kind.title(),
        place: kind.place(p.source_version, p.identity),
        changes: kind.changes(),
        gate: kind.gate(),
        phase: kind.phase(),
        columns: kind.columns(),
        ops: grants
            .iter()
            .map(|g| {
                Op::new(
                    &format!("permissions:{:?}:{}:{}", g.right, g.mailbox, g.trustee)
                        .to_lowercase(),
                    "grant",
                    &g.mailbox,
                    Change::Create,
                    [
                        g.mailbox.clone(),
                        g.trustee.clone(),
                        format!("{:?}", g.right),
                        g.automapping.to_string(),
                    ],
                )
            })
            .collect(),
        spilled: None,
    };
    let at = p
        .steps
        .iter()
        .position(|s| s.id > step.id)
        .unwrap_or(p.steps.len());
    p.steps.insert(at, step);
}

pub fn grants() -> Vec<PermissionGrant> {
    vec![
        PermissionGrant {
            mailbox: "user1@contoso.com".into(),
            trustee: "user2@contoso.com".into(),
            right: PermissionRight::FullAccess,
            automapping: true,
        },
        PermissionGrant {
            mailbox: "user1@contoso.com".into(),
            trustee: "user3@contoso.com".into(),
            right: PermissionRight::SendAs,
            automapping: false,
        },
        PermissionGrant {
            mailbox: "user4@contoso.com".into(),
            trustee: "user2@contoso.com".into(),
            right: PermissionRight::SendOnBehalf,
            automapping: false,
        },
    ]
}

pub fn make_plan(project: &Project, tenant: &Tenant) -> Plan {
    let mut p = plan::build(project, tenant, None).expect("plan");
    add_permissions(&mut p, &grants());
    p
}

pub fn write_bundle(
    project: &Project,
    tenant: &Tenant,
    out: &Path,
) -> cutover::bundle::manifest::Manifest {
    let p = make_plan(project, tenant);
    bundle::write(project, &p, out, &BundleOptions::default()).expect("bundle")
}

/// Every file under `dir`, recursively, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn is_script(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("ps1" | "psm1"))
}

/// ERROR and MISSING nodes tree-sitter-pwsh finds in `text`, with their lines.
pub fn parse_errors(text: &str) -> Vec<String> {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_pwsh::LANGUAGE.into()).unwrap();
    let tree = p.parse(text, None).unwrap();
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            out.push(format!(
                "{} at line {}: {:?}",
                n.kind(),
                n.start_position().row + 1,
                &text[n.byte_range()].chars().take(80).collect::<String>()
            ));
        }
        for c in n.children(&mut cursor) {
            stack.push(c);
        }
    }
    out
}
