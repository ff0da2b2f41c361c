use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::model::{Group, GroupKind, Membership, Origin, ProxyAddress, Secret};

fn origin(line: u64) -> Origin {
    Origin {
        file: Arc::from("users.csv"),
        line,
    }
}

pub(crate) fn user(upn: &str, line: u64) -> User {
    User {
        origin: origin(line),
        upn: upn.into(),
        display_name: upn.split('@').next().unwrap_or(upn).into(),
        first_name: None,
        last_name: None,
        alias: None,
        usage_location: Some("US".into()),
        password: Some(Secret::new("Sup3r-secret!")),
        primary_smtp: None,
        proxy_addresses: vec![ProxyAddress {
            primary: false,
            kind: "smtp".into(),
            address: format!("alt.{upn}"),
        }],
        licence_sku: Some("SPE_E3".into()),
    }
}

fn tenant() -> Tenant {
    Tenant {
        users: vec![user("alice@contoso.com", 2), user("bob@contoso.com", 3)],
        groups: vec![Group {
            origin: origin(2),
            name: "Sales".into(),
            display_name: Some("Sales team".into()),
            alias: Some("sales".into()),
            primary_smtp: Some("sales@contoso.com".into()),
            proxy_addresses: vec![ProxyAddress {
                primary: false,
                kind: "smtp".into(),
                address: "Sales.Team@contoso.com".into(),
            }],
            kind: GroupKind::Distribution,
            accept_external: Some(true),
        }],
        memberships: vec![
            Membership {
                origin: origin(2),
                group: "Sales".into(),
                member: "alice@contoso.com".into(),
            },
            Membership {
                origin: origin(3),
                group: "sales@contoso.com".into(),
                member: "partner@example.net".into(),
            },
            Membership {
                origin: origin(4),
                group: "nosuch".into(),
                member: "bob".into(),
            },
        ],
        ..Default::default()
    }
}

fn project() -> Project {
    Project {
        domains: vec!["contoso.com".into()],
        tenant: Some("contoso.onmicrosoft.com".into()),
        source_version: SourceVersion::Ex2010,
        migration_account: Some("CONTOSO\\svc-mig".into()),
        ..Default::default()
    }
}

fn ids(p: &Plan) -> Vec<String> {
    p.steps
        .iter()
        .flat_map(|s| s.ops.iter().map(|o| o.id().to_string()))
        .collect()
}

#[test]
fn ids_come_from_content_not_row_order() {
    let t = tenant();
    let mut reversed = t.clone();
    reversed.users.reverse();
    reversed.users[0].origin.line = 99;
    let a: BTreeSet<String> = ids(&build(&project(), &t, None).unwrap())
        .into_iter()
        .collect();
    let b: BTreeSet<String> = ids(&build(&project(), &reversed, None).unwrap())
        .into_iter()
        .collect();
    assert_eq!(a, b);
    assert!(a.contains("users:ensure:alice@contoso.com"));
    assert!(a.contains("licences:assign:alice@contoso.com:spe_e3"));
    assert!(a.contains("aliases:add:alice@contoso.com:smtp:alt.alice@contoso.com"));
    assert!(a.contains("members:add:sales@contoso.com:alice@contoso.com"));
    assert!(a.contains("contacts:ensure:partner@example.net"));
    assert!(a.contains("group-aliases:add:sales@contoso.com:smtp:sales.team@contoso.com"));
    assert!(a.contains("source-throttling:assign:contoso\\svc-mig"));
}

fn mailbox(address: &str, kind: crate::model::RecipientKind) -> crate::model::Mailbox {
    crate::model::Mailbox {
        origin: origin(9),
        identity: format!("contoso.com/Users/{address}"),
        alias: address.split('@').next().map(str::to_string),
        display_name: None,
        primary_smtp: Some(address.to_uppercase()),
        upn: None,
        exchange_guid: None,
        proxy_addresses: vec![
            crate::model::address::parse_proxy(&format!("SMTP:{address}")),
            crate::model::address::parse_proxy("X500:/o=Contoso/cn=Recipients/cn=x"),
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

fn with_resources() -> Tenant {
    use crate::model::RecipientKind;
    let mut t = tenant();
    t.mailboxes = vec![
        mailbox("alice@contoso.com", RecipientKind::User),
        mailbox("info@contoso.com", RecipientKind::Shared),
        mailbox("boardroom@contoso.com", RecipientKind::Room),
        mailbox("beamer@contoso.com", RecipientKind::Equipment),
    ];
    t
}

#[test]
fn shared_room_and_equipment_mailboxes_are_ensured_before_permissions_and_migrated() {
    let p = build(&project(), &with_resources(), None).unwrap();
    let step = p
        .step(StepKind::SharedMailboxes)
        .expect("a shared-mailbox step");
    let rows: Vec<(&str, Vec<&str>)> = step
        .ops
        .iter()
        .map(|o| (o.id(), o.values().collect::<Vec<_>>()))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0].0, "shared-mailboxes:ensure:info@contoso.com");
    assert_eq!(
        rows[0].1,
        ["info", "", "info", "info@contoso.com", "Shared"]
    );
    assert_eq!(rows[1].1[4], "Room");
    assert_eq!(rows[2].1[4], "Equipment");
    assert!(step.gate && step.changes);
    let pos = |k: StepKind| p.steps.iter().position(|s| s.kind == k);
    assert!(pos(StepKind::SharedMailboxes) < pos(StepKind::Aliases));
    let perm = pos(StepKind::Permissions);
    assert!(perm.is_none() || pos(StepKind::SharedMailboxes) < perm);
    // Their X500 addresses follow them (replies to old mail).
    let aliases = p.step(StepKind::Aliases).unwrap();
    assert!(aliases
        .ops
        .iter()
        .any(|o| o.id() == "aliases:add:info@contoso.com:x500:/o=contoso/cn=recipients/cn=x"));
    let pairs: Vec<(&str, &str, bool)> = p
        .mailboxes
        .iter()
        .map(|m| (m.source.as_str(), m.destination.as_str(), m.user))
        .collect();
    assert_eq!(
        pairs,
        [
            ("alice@contoso.com", "alice@contoso.com", true),
            ("bob@contoso.com", "bob@contoso.com", true),
            ("info@contoso.com", "info@contoso.com", false),
            ("boardroom@contoso.com", "boardroom@contoso.com", false),
            ("beamer@contoso.com", "beamer@contoso.com", false),
        ]
    );
}

#[test]
fn synced_shared_mailboxes_are_licensed_converted_and_unlicensed() {
    use crate::model::RecipientKind;
    let project = Project {
        identity: IdentityMode::Synced,
        licence_sku: Some("EXCHANGESTANDARD".into()),
        usage_location: Some("GB".into()),
        ..project()
    };
    let mut t = with_resources();
    // A room whose on-premises mailbox is on litigation hold keeps its licence.
    let mut held = mailbox("held@contoso.com", RecipientKind::Room);
    held.litigation_hold = true;
    held.upn = Some("held.room@contoso.com".into());
    t.mailboxes.push(held);
    let p = build(&project, &t, None).unwrap();
    assert!(p.step(StepKind::SharedMailboxes).is_none());
    assert!(p.step(StepKind::SharedMailboxesVerify).is_none());
    let at = |k: StepKind| p.steps.iter().position(|s| s.kind == k).unwrap();
    let (licence, convert, unlicence) = (
        at(StepKind::SharedMailboxesLicence),
        at(StepKind::SharedMailboxesConvert),
        at(StepKind::SharedMailboxesUnlicence),
    );
    assert!(licence < convert && convert < unlicence);
    assert!(unlicence < at(StepKind::Limits));
    assert!(p.steps[convert].gate && p.steps[convert].changes);
    assert_eq!(p.steps[licence].place.target, "graph");
    assert_eq!(p.steps[convert].place.target, "exchangeOnline");
    assert_eq!(p.steps[unlicence].place.target, "graph");
    let values = |i: usize| -> Vec<Vec<String>> {
        p.steps[i]
            .ops
            .iter()
            .map(|o| o.values().map(String::from).collect::<Vec<_>>())
            .collect()
    };
    assert_eq!(
        values(licence)[3],
        [
            "held.room@contoso.com",
            "held@contoso.com",
            "Room",
            "EXCHANGESTANDARD",
            "GB"
        ]
    );
    assert_eq!(
        values(convert)[0],
        ["info@contoso.com", "info@contoso.com", "Shared"]
    );
    assert_eq!(values(convert).len(), 4);
    // Every one but the held room loses its licence again.
    let removed: Vec<String> = values(unlicence).iter().map(|v| v[1].clone()).collect();
    assert_eq!(
        removed,
        [
            "info@contoso.com",
            "boardroom@contoso.com",
            "beamer@contoso.com"
        ]
    );
    assert!(
        p.notes.iter().any(
            |n| n.contains("held@contoso.com keeps its EXCHANGESTANDARD licence")
                && n.contains("litigation hold")
        ),
        "{:?}",
        p.notes
    );
    // The msExchMailboxGuid prerequisite is checked for their users too.
    let pre = p.step(StepKind::PreflightExchange).unwrap();
    assert!(pre
        .ops
        .iter()
        .any(|o| o.id() == format!("{EXCHANGE_GUID_OP}held.room@contoso.com")));
    // Their limits are set by identity like every planned mailbox's.
    let limits = p.step(StepKind::Limits).unwrap();
    assert!(limits
        .ops
        .iter()
        .any(|o| o.id() == "limits:set:mailbox:beamer@contoso.com"));
}

#[test]
fn synced_shared_mailboxes_take_the_users_licence_when_the_project_names_none() {
    let project = Project {
        identity: IdentityMode::Synced,
        ..project()
    };
    let mut t = with_resources();
    t.users[0].licence_sku = Some("SPE_E3".into());
    let p = build(&project, &t, None).unwrap();
    let step = p.step(StepKind::SharedMailboxesLicence).unwrap();
    assert!(step.ops.iter().all(|o| o.value(3).unwrap() == "SPE_E3"));
}

#[test]
fn synced_shared_mailboxes_are_verified_not_created_without_any_licence() {
    let project = Project {
        identity: IdentityMode::Synced,
        ..project()
    };
    let mut t = with_resources();
    for u in &mut t.users {
        u.licence_sku = None;
    }
    let p = build(&project, &t, None).unwrap();
    assert!(p.step(StepKind::SharedMailboxes).is_none());
    let step = p.step(StepKind::SharedMailboxesVerify).unwrap();
    assert!(step.gate && !step.changes);
    assert_eq!(step.id, "10-shared-mailboxes-verify");
    assert_eq!(
        step.ops[0].values().collect::<Vec<_>>(),
        ["info@contoso.com", "Shared"]
    );
    assert!(step.ops.iter().all(|o| o.change == Change::Check));
}

#[test]
fn synced_aliases_leave_out_what_the_on_premises_mailbox_already_has() {
    use crate::model::RecipientKind;
    let mut t = with_resources();
    // alice's export lists her users-file alias and an X500; bob's export has none.
    let mut alice = mailbox("alice@contoso.com", RecipientKind::User);
    alice
        .proxy_addresses
        .push(crate::model::address::parse_proxy(
            "smtp:ALT.alice@contoso.com",
        ));
    t.mailboxes[0] = alice;
    crate::model::load::join_mailbox_addresses(&mut t);
    let synced = Project {
        identity: IdentityMode::Synced,
        ..project()
    };
    let ids = |p: &Plan| -> Vec<String> {
        p.step(StepKind::Aliases)
            .map(|s| s.ops.iter().map(|o| o.id().to_string()).collect())
            .unwrap_or_default()
    };
    let s = ids(&build(&synced, &t, None).unwrap());
    assert_eq!(s, ["aliases:add:bob@contoso.com:smtp:alt.bob@contoso.com"]);
    // Cloud: the new mailbox needs them all, the export's X500 included.
    let c = ids(&build(&project(), &t, None).unwrap());
    assert!(c.contains(&"aliases:add:alice@contoso.com:smtp:alt.alice@contoso.com".to_string()));
    assert!(
        c.contains(&"aliases:add:alice@contoso.com:x500:/o=contoso/cn=recipients/cn=x".to_string())
    );
}

#[test]
fn step_numbers_are_unique_and_file_names_sort_in_run_order() {
    for identity in [IdentityMode::Cloud, IdentityMode::Synced] {
        let project = Project {
            identity,
            ..project()
        };
        let p = build(&project, &with_resources(), None).unwrap();
        // One number per job: steps share one only when they are consecutive parts of one job
        // split across processes (the synced shared mailboxes' Graph and Exchange Online parts).
        let numbers: Vec<(&str, &str)> = p
            .steps
            .iter()
            .map(|s| (&s.id[..2], s.kind.op_prefix()))
            .collect();
        let mut jobs = numbers.clone();
        jobs.dedup();
        let unique: BTreeSet<&str> = jobs.iter().map(|(n, _)| *n).collect();
        assert_eq!(unique.len(), jobs.len(), "{numbers:?}");
        let files: Vec<String> = p.steps.iter().map(|s| format!("{}.ps1", s.id)).collect();
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(files, sorted);
        // Synced groups, contacts and memberships come from AD: no jump-box step for them.
        let synced = identity == IdentityMode::Synced;
        for kind in [
            StepKind::Groups,
            StepKind::GroupAliases,
            StepKind::Contacts,
            StepKind::Members,
        ] {
            assert_eq!(p.step(kind).is_none(), synced, "{identity:?} {kind:?}");
        }
        assert_eq!(
            p.manual
                .iter()
                .any(|m| m.title.starts_with("Synced groups")),
            synced
        );
    }
}

#[test]
fn gate_and_phase_per_step() {
    let p = build(&project(), &with_resources(), None).unwrap();
    let gates: Vec<&str> = p.steps.iter().filter(|s| s.gate).map(|s| s.id).collect();
    assert_eq!(
        gates,
        [
            "00-preflight-exchange",
            "01-preflight",
            "06-domains",
            "07-users",
            "09-mailboxes-verify",
            "10-shared-mailboxes"
        ]
    );
    let post: Vec<&str> = p
        .steps
        .iter()
        .filter(|s| s.phase == crate::bundle::manifest::PHASE_POST_CUTOVER)
        .map(|s| s.id)
        .collect();
    assert_eq!(
        post,
        [
            "19-mail-flow",
            "90-source-throttling-revert",
            "91-source-impersonation-revert"
        ]
    );
    let synced = Project {
        identity: IdentityMode::Synced,
        ..project()
    };
    let p = build(&synced, &with_resources(), None).unwrap();
    assert!(p.step(StepKind::UsersVerify).is_some_and(|s| s.gate));
}

#[test]
fn a_group_whose_sender_authentication_the_state_does_not_show_is_updated() {
    let state = |rsa: &str| {
        State::from_json(&format!(
            r#"{{"version":1,"groups":[{{"primary_smtp":"sales@contoso.com"{rsa}}}]}}"#
        ))
        .unwrap()
    };
    let change = |s: &State| {
        let p = build(&project(), &tenant(), Some(s)).unwrap();
        p.step(StepKind::Groups).unwrap().ops[0].change
    };
    // The sample group accepts external mail, so it wants require_sender_authentication false.
    assert_eq!(change(&state("")), Change::Update);
    assert_eq!(
        change(&state(r#","require_sender_authentication":true"#)),
        Change::Update
    );
    assert_eq!(
        change(&state(r#","require_sender_authentication":false"#)),
        Change::Unchanged
    );
}

#[test]
fn steps_are_in_run_order_and_ids_unique() {
    let p = build(&project(), &tenant(), None).unwrap();
    let order: Vec<&str> = p.steps.iter().map(|s| s.id).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "step ids sort in run order");
    let all = ids(&p);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
    for s in &p.steps {
        for o in &s.ops {
            assert_eq!(o.value_count(), s.columns.len(), "{}", o.id());
            assert!(o.id().starts_with(s.kind.op_prefix()), "{}", o.id());
        }
    }
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
}

#[test]
fn per_version_steps() {
    let t = tenant();
    let with = |v| {
        let pr = Project {
            source_version: v,
            ..project()
        };
        build(&pr, &t, None).unwrap()
    };
    let p2003 = with(SourceVersion::Ex2003);
    assert!(p2003.step(StepKind::SourceImpersonation).is_none());
    assert!(p2003.step(StepKind::SourceExport).is_none());
    assert!(p2003.manual.iter().any(|m| m.title.contains("2003")));
    let p2007 = with(SourceVersion::Ex2007);
    assert!(p2007.step(StepKind::SourceImpersonation).is_some());
    assert!(p2007.step(StepKind::SourceThrottling).is_none());
    assert!(p2007.step(StepKind::SourceThrottlingRevert).is_none());
    let p2016 = with(SourceVersion::Ex2016);
    assert!(p2016.step(StepKind::SourceThrottling).is_some());
    let last: Vec<StepKind> = p2016.steps.iter().rev().take(2).map(|s| s.kind).collect();
    assert_eq!(
        last,
        [
            StepKind::SourceImpersonationRevert,
            StepKind::SourceThrottlingRevert
        ]
    );
    let none = build(
        &Project {
            migration_account: None,
            ..project()
        },
        &t,
        None,
    )
    .unwrap();
    assert!(none.step(StepKind::SourceImpersonation).is_none());
    assert!(none
        .manual
        .iter()
        .any(|m| m.text.contains("migration_account")));
}

#[test]
fn synced_mode_creates_no_users_and_sets_aliases_on_premises() {
    let pr = Project {
        identity: IdentityMode::Synced,
        ..project()
    };
    let p = build(&pr, &tenant(), None).unwrap();
    assert!(p.step(StepKind::Users).is_none());
    let v = p.step(StepKind::UsersVerify).unwrap();
    assert_eq!(v.ops[0].id(), "users:verify-synced:alice@contoso.com");
    assert!(p.step(StepKind::Licences).is_some());
    let a = p.step(StepKind::Aliases).unwrap();
    assert_eq!(a.place.runs_on, "source-server");
    assert_eq!(a.place.target, "exchange2010");
    let cloud = build(&project(), &tenant(), None).unwrap();
    assert_eq!(
        cloud.step(StepKind::Aliases).unwrap().place.target,
        "exchangeOnline"
    );
}

#[test]
fn state_snapshot_yields_create_update_unchanged() {
    let s = State::from_json(
        r#"{"version":1,
        "domains":[{"id":"contoso.com","is_verified":true}],
        "users":[{"upn":"Alice@contoso.com","display_name":"alice","usage_location":"US","licences":["spe_e3"]},
                 {"upn":"bob@contoso.com","display_name":"Robert"}],
        "mailboxes":[{"upn":"alice@contoso.com","email_addresses":["smtp:ALT.alice@contoso.com"]}],
        "groups":[{"primary_smtp":"sales@contoso.com","require_sender_authentication":true,"members":["alice@contoso.com"],
                   "email_addresses":["SMTP:sales@contoso.com","smtp:sales.team@contoso.com"]}]}"#,
    )
    .unwrap();
    let p = build(&project(), &tenant(), Some(&s)).unwrap();
    let change = |id: &str| {
        p.steps
            .iter()
            .flat_map(|s| &s.ops)
            .find(|o| o.id() == id)
            .map(|o| o.change)
    };
    assert_eq!(
        change("users:ensure:alice@contoso.com"),
        Some(Change::Unchanged)
    );
    assert_eq!(change("users:ensure:bob@contoso.com"), Some(Change::Update));
    assert_eq!(
        change("licences:assign:alice@contoso.com:spe_e3"),
        Some(Change::Unchanged)
    );
    assert_eq!(
        change("licences:assign:bob@contoso.com:spe_e3"),
        Some(Change::Create)
    );
    assert_eq!(
        change("aliases:add:alice@contoso.com:smtp:alt.alice@contoso.com"),
        Some(Change::Unchanged)
    );
    assert_eq!(
        change("domains:ensure:contoso.com"),
        Some(Change::Unchanged)
    );
    // accept_external = true, tenant still requires authentication: update.
    assert_eq!(
        change("groups:ensure:sales@contoso.com"),
        Some(Change::Update)
    );
    assert_eq!(
        change("group-aliases:add:sales@contoso.com:smtp:sales.team@contoso.com"),
        Some(Change::Unchanged)
    );
    assert_eq!(
        change("members:add:sales@contoso.com:alice@contoso.com"),
        Some(Change::Unchanged)
    );
    assert!(p.from_state);
    let md = markdown::render(&p).unwrap();
    assert!(md.contains("- unchanged users:ensure:alice@contoso.com"));
    assert!(md.contains("diffed against the state snapshot"));
}

#[test]
fn plan_json_is_versioned_and_has_no_password() {
    let p = build(&project(), &tenant(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    contract::write(&p, dir.path()).unwrap();
    let json = std::fs::read_to_string(dir.path().join("plan.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["steps"][0]["id"], "00-preflight-exchange");
    assert_eq!(v["steps"][1]["id"], "01-preflight");
    assert_eq!(v["steps"][0]["runs_on"], "jump-box");
    for e in std::fs::read_dir(dir.path().join("data")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains("Sup3r-secret!"));
    }
    assert!(!json.contains("Sup3r-secret!"));
    assert!(!markdown::render(&p).unwrap().contains("Sup3r-secret!"));
}

/// Every operation the plan built, as plan.json's one reader gives it back.
fn read_back(p: &Plan, dir: &std::path::Path) -> Vec<Vec<contract::PlanOp>> {
    contract::write(p, dir).unwrap();
    let v = contract::read(dir).unwrap();
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_value(s["ops"].clone()).unwrap())
        .collect()
}

fn as_plan_ops(s: &PlannedStep) -> Vec<(String, String, String, String, Vec<String>)> {
    s.ops
        .iter()
        .map(|o| {
            (
                o.id().to_string(),
                o.action.to_string(),
                o.target().to_string(),
                o.change.as_str().to_string(),
                o.values().map(String::from).collect::<Vec<_>>(),
            )
        })
        .collect()
}

/// An operation read back from plan.json and its data file, in `as_plan_ops`' shape.
fn read_back_tuple(o: &contract::PlanOp) -> (String, String, String, String, Vec<String>) {
    (
        o.id.clone(),
        o.action.clone(),
        o.target.clone(),
        o.change.clone(),
        o.values.clone(),
    )
}

#[test]
fn plan_json_gives_back_every_operation_from_the_data_files() {
    let s = State::from_json(
        r#"{"version":1,
        "domains":[{"id":"contoso.com","is_verified":true}],
        "users":[{"upn":"Alice@contoso.com","display_name":"alice","usage_location":"US","licences":["spe_e3"]},
                 {"upn":"bob@contoso.com","display_name":"Robert"}],
        "groups":[{"primary_smtp":"sales@contoso.com","require_sender_authentication":true}]}"#,
    )
    .unwrap();
    for state in [None, Some(&s)] {
        let p = build(&project(), &with_resources(), state).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let back = read_back(&p, dir.path());
        assert_eq!(back.len(), p.steps.len());
        for (step, got) in p.steps.iter().zip(&back) {
            // Unchanged operations are not in the data file: they follow its rows.
            let mut want = as_plan_ops(step);
            want.sort_by_key(|o| o.3 == "unchanged");
            let got: Vec<_> = got.iter().map(read_back_tuple).collect();
            assert_eq!(got, want, "{}", step.id);
        }
        let v = contract::read(dir.path()).unwrap();
        let mailboxes: Vec<(String, String, bool)> = v["mailboxes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["source"].as_str().unwrap().to_string(),
                    m["destination"].as_str().unwrap().to_string(),
                    m["user"].as_bool().unwrap(),
                )
            })
            .collect();
        let want: Vec<_> = p
            .mailboxes
            .iter()
            .map(|m| (m.source.clone(), m.destination.clone(), m.user))
            .collect();
        assert_eq!(mailboxes, want);
    }
}

#[test]
fn plan_json_lists_only_what_the_data_files_do_not_say() {
    let p = build(&project(), &with_resources(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    contract::write(&p, dir.path()).unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("plan.json")).unwrap()).unwrap();
    let users = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "users")
        .unwrap();
    assert_eq!(users["ops_file"]["file"], "data/07-users.csv");
    assert_eq!(users["ops_file"]["rows"], 2);
    assert_eq!(users["ops_file"]["action"], "ensure");
    assert_eq!(users["ops_file"]["target_column"], "UserPrincipalName");
    assert_eq!(users["ops"], serde_json::json!([]));
    // The two scope-wide limits have no identity to be their target: stated in full.
    let limits = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "limits")
        .unwrap();
    let odd: Vec<&str> = limits["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        odd,
        ["limits:set:other-mailboxes", "limits:set:mailbox-plans"]
    );
}

#[test]
fn plan_json_refuses_a_changed_data_file_and_another_format() {
    let p = build(&project(), &tenant(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    contract::write(&p, dir.path()).unwrap();
    let users = dir.path().join("data/07-users.csv");
    let text = std::fs::read_to_string(&users).unwrap();
    std::fs::write(&users, text.replace("alice", "mallory")).unwrap();
    let e = contract::read(dir.path()).unwrap_err().to_string();
    assert!(e.contains("07-users.csv") && e.contains("sha256"), "{e}");
    std::fs::write(&users, text).unwrap();
    contract::read(dir.path()).unwrap();
    let path = dir.path().join("plan.json");
    let json = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, json.replacen("\"version\":2", "\"version\":1", 1)).unwrap();
    let e = contract::read(dir.path()).unwrap_err().to_string();
    assert!(e.contains("plan format 1 is not supported"), "{e}");
}

#[test]
fn markdown_escapes_values() {
    assert_eq!(markdown::escape("a|b`c\n"), "a\\|b\\`c\\u{000A}");
}

#[test]
fn plan_md_shows_the_values_the_id_does_not() {
    let p = build(&project(), &tenant(), None).unwrap();
    let md = markdown::render(&p).unwrap();
    let line = md
        .lines()
        .find(|l| l.starts_with("- create users:ensure:alice@contoso.com"))
        .unwrap();
    assert_eq!(
        line,
        "- create users:ensure:alice@contoso.com — DisplayName: alice, MailNickname: alice, UsageLocation: US"
    );
    let alias = md
        .lines()
        .find(|l| l.contains("aliases:add:alice"))
        .unwrap();
    assert!(!alias.contains(" — "), "{alias}");
}

#[test]
fn a_group_named_like_a_shared_mailbox_is_left_out_and_members_resolve_to_mailboxes() {
    use crate::model::RecipientKind;
    let mut t = tenant();
    let mut shared = mailbox("sales-box@contoso.com", RecipientKind::Shared);
    shared.display_name = Some("SALES".into());
    t.mailboxes = vec![shared, mailbox("info@contoso.com", RecipientKind::Shared)];
    let mut team = t.groups[0].clone();
    team.name = "Team".into();
    team.alias = None;
    team.display_name = None;
    team.primary_smtp = Some("team@contoso.com".into());
    team.proxy_addresses.clear();
    t.groups.push(team);
    t.memberships = vec![Membership {
        origin: origin(5),
        group: "Team".into(),
        member: "info".into(),
    }];
    let p = build(&project(), &t, None).unwrap();
    let ids = ids(&p);
    assert!(
        !ids.iter().any(|i| i == "groups:ensure:sales@contoso.com"),
        "{ids:?}"
    );
    assert!(ids
        .iter()
        .any(|i| i == "shared-mailboxes:ensure:sales-box@contoso.com"));
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("named 'Sales' comes earlier")),
        "{:?}",
        p.notes
    );
    assert!(
        ids.iter()
            .any(|i| i == "members:add:team@contoso.com:info@contoso.com"),
        "{ids:?}"
    );
}

#[test]
fn a_primary_address_apart_from_the_upn_is_applied_in_the_cloud_only() {
    let mut t = tenant();
    t.users[0].primary_smtp = Some("Alice.Smith@contoso.com".into());
    let p = build(&project(), &t, None).unwrap();
    let aliases = p.step(StepKind::Aliases).unwrap();
    let primary: Vec<&Op> = aliases
        .ops
        .iter()
        .filter(|o| o.id().starts_with("aliases:primary:"))
        .collect();
    assert_eq!(primary.len(), 1, "{:?}", aliases.ops);
    assert_eq!(
        primary[0].id(),
        "aliases:primary:alice@contoso.com:smtp:alice.smith@contoso.com"
    );
    assert_eq!(
        primary[0].values().collect::<Vec<_>>(),
        ["alice@contoso.com", "SMTP:alice.smith@contoso.com"]
    );
    // Bob's primary is his UPN: nothing to set.
    assert!(!ids(&p).iter().any(|i| i.starts_with("aliases:primary:bob")));
    let synced = Project {
        identity: IdentityMode::Synced,
        ..project()
    };
    let p = build(&synced, &t, None).unwrap();
    assert!(!ids(&p).iter().any(|i| i.starts_with("aliases:primary:")));
}

#[test]
fn the_impersonation_grant_is_removed_after_the_migration() {
    let p = build(&project(), &tenant(), None).unwrap();
    let step = p.step(StepKind::SourceImpersonationRevert).unwrap();
    assert_eq!(step.phase, crate::bundle::manifest::PHASE_POST_CUTOVER);
    assert_eq!(step.place.runs_on, crate::bundle::manifest::RUNS_ON_SOURCE);
    assert_eq!(
        step.ops[0].id(),
        "source-impersonation-revert:remove:contoso\\svc-mig"
    );
    let p2007 = build(
        &Project {
            source_version: SourceVersion::Ex2007,
            ..project()
        },
        &tenant(),
        None,
    )
    .unwrap();
    // Exchange 2007's two AD extended rights are removed by the 2007 script of the same step.
    let step = p2007.step(StepKind::SourceImpersonationRevert).unwrap();
    assert_eq!(step.phase, crate::bundle::manifest::PHASE_POST_CUTOVER);
    assert_eq!(step.ops.len(), 1);
}

fn contact(
    name: &str,
    external: &str,
    alias: Option<&str>,
    other: &[&str],
) -> crate::model::Contact {
    crate::model::Contact {
        origin: Origin {
            file: Arc::from("contacts.csv"),
            line: 2,
        },
        name: name.into(),
        external: external.into(),
        alias: alias.map(Into::into),
        display_name: None,
        addresses: other.iter().map(|a| a.to_string()).collect(),
        x500: Vec::new(),
        legacy_dn: None,
    }
}

/// Issue 8: a member named by a contact's Name, alias or other address is that contact, added
/// by its outside address (its primary address in Exchange Online); a contact whose Name a
/// group has is left out, and a name a contact and a user share is skipped, naming both.
#[test]
fn members_named_by_a_contacts_names_add_the_contact() {
    let mut t = tenant();
    t.contacts = vec![
        contact(
            "Pat Partner",
            "pat@example.net",
            Some("patp"),
            &["pat.partner@contoso.com"],
        ),
        contact("Sales", "sales-ext@example.net", None, &[]),
        contact("Bob Vendor", "bobv@example.net", Some("bob"), &[]),
    ];
    let m = |member: &str, line| Membership {
        origin: origin(line),
        group: "Sales".into(),
        member: member.into(),
    };
    t.memberships = vec![
        m("Pat Partner", 10),
        m("PATP", 11),
        m("pat.partner@contoso.com", 12),
        m("bob", 13),
    ];
    let p = build(&project(), &t, None).unwrap();
    let all = ids(&p);
    let members: Vec<&String> = all.iter().filter(|i| i.starts_with("members:")).collect();
    assert_eq!(
        members,
        ["members:add:sales@contoso.com:pat@example.net"],
        "{all:?}"
    );
    let contacts: Vec<&String> = all.iter().filter(|i| i.starts_with("contacts:")).collect();
    assert_eq!(
        contacts,
        [
            "contacts:ensure:bobv@example.net",
            "contacts:ensure:pat@example.net"
        ]
    );
    let pat = p
        .steps
        .iter()
        .flat_map(|s| &s.ops)
        .find(|o| o.id() == "contacts:ensure:pat@example.net")
        .unwrap();
    assert_eq!(
        pat.values().collect::<Vec<_>>(),
        [
            "Pat Partner",
            "pat@example.net",
            "",
            "patp",
            "",
            "smtp:pat.partner@contoso.com"
        ]
    );
    assert!(
        p.notes.iter().any(|n| n.contains("contacts.csv:2")
            && n.contains("contact 'Sales'")
            && n.contains("left out")),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes.iter().any(|n| n.contains("member 'bob'")
            && n.contains("the user bob@contoso.com")
            && n.contains("the contact bobv@example.net")),
        "{:?}",
        p.notes
    );
}

#[test]
fn plan_json_that_does_not_match_its_files_is_refused_not_trusted() {
    let p = build(&project(), &tenant(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    contract::write(&p, dir.path()).unwrap();
    let path = dir.path().join("plan.json");
    let good: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let users = good["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["kind"] == "users")
        .unwrap();
    let edits: [(&str, serde_json::Value); 5] = [
        ("rows", serde_json::json!(99)),
        ("rows", serde_json::json!(u64::MAX)),
        ("target_column", serde_json::json!("Nope")),
        ("file", serde_json::json!("../plan.json")),
        ("file", serde_json::json!("data/08-licences.csv")),
    ];
    for (field, value) in edits {
        let mut v = good.clone();
        v["steps"][users]["ops_file"][field] = value.clone();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        assert!(contract::read(dir.path()).is_err(), "{field} = {value}");
    }
    let mut v = good.clone();
    v["steps"][users]["ops"] = serde_json::json!([{"row": 7, "id": "users:ensure:x", "action": "ensure",
        "target": "x", "change": "create", "values": ["x"]}]);
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(contract::read(dir.path()).is_err());
    std::fs::write(&path, serde_json::to_vec(&good).unwrap()).unwrap();
    contract::read(dir.path()).unwrap();
}

#[test]
fn op_gives_back_what_it_was_made_of() {
    // The target is one of the values, or none of them; values may be empty or repeat it.
    let cases: [(&str, &str, Vec<&str>); 5] = [
        ("users:ensure:a@x", "a@x", vec!["a@x", "A", "a@x"]),
        ("limits:set:org", "contoso", vec!["org", "", "150MB"]),
        ("preflight:check:x", "", vec![]),
        ("preflight:check:y", "", vec!["module", "", "7.4"]),
        ("", "t", vec!["ü", "t"]),
    ];
    for (id, target, values) in cases {
        let mut o = Op::new(id, "ensure", target, Change::Update, &values);
        assert_eq!(o.id(), id);
        assert_eq!(o.target(), target);
        assert_eq!(o.values().collect::<Vec<_>>(), values);
        assert_eq!(o.value_count(), values.len());
        assert_eq!(o.value(values.len()), None);
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": id, "action": "ensure", "target": target,
                               "change": "update", "values": values})
        );
        o.push_value(target);
        let mut more = values.clone();
        more.push(target);
        assert_eq!(o.values().collect::<Vec<_>>(), more);
        assert_eq!(o.target(), target);
        assert_eq!(o, Op::new(id, "ensure", target, Change::Update, &more));
    }
}

/// Every file under `dir` (relative path, bytes), hidden ones included.
fn tree(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// 150 users (more than PLAN.md lists in full), the shared mailboxes, and a state where some
/// users are in place and some differ: updates and `unchanged` operations among the rows.
fn streaming_cases() -> (Tenant, State) {
    let mut t = with_resources();
    t.users
        .extend((0..150).map(|i| user(&format!("u{i}@contoso.com"), i + 10)));
    let users: Vec<String> = (0..150)
        .filter(|i| i % 7 == 0 || i % 11 == 0)
        .map(|i| {
            let display = if i % 7 == 0 { format!("u{i}") } else { "old".into() };
            format!(
                r#"{{"upn":"u{i}@contoso.com","display_name":"{display}","usage_location":"US","licences":["spe_e3"]}}"#
            )
        })
        .collect();
    let state = State::from_json(&format!(
        r#"{{"version":1,"domains":[{{"id":"contoso.com","is_verified":true}}],"users":[{}]}}"#,
        users.join(",")
    ))
    .unwrap();
    (t, state)
}

#[test]
fn a_streaming_plan_writes_what_the_plan_in_memory_writes() {
    let (t, s) = streaming_cases();
    for state in [None, Some(&s)] {
        let whole = build(&project(), &t, state).unwrap();
        let want_dir = tempfile::tempdir().unwrap();
        contract::write(&whole, want_dir.path()).unwrap();
        let want_md = markdown::render(&whole).unwrap();
        for spill_at in [1, 3, 140] {
            let out = tempfile::tempdir().unwrap();
            let store = spill::Store::with_threshold(out.path(), spill_at);
            let streamed = build_with(&project(), &t, state, Some(store)).unwrap();
            let spilled = streamed.steps.iter().filter(|s| s.spilled.is_some());
            assert!(spilled.count() > 0, "spill_at {spill_at}");
            // Before it is written, the one accessor reads each step back from its file.
            for (a, b) in whole.steps.iter().zip(&streamed.steps) {
                assert_eq!(a.id, b.id);
                let mut got = Vec::new();
                b.each_op(&mut |o| {
                    got.push(o.clone());
                    Ok(())
                })
                .unwrap();
                assert_eq!(got, a.ops, "{} at {spill_at}", a.id);
                assert_eq!(b.op_count(), a.ops.len());
                for c in [
                    Change::Create,
                    Change::Update,
                    Change::Unchanged,
                    Change::Check,
                ] {
                    assert_eq!(b.count(c), a.count(c), "{} {c:?}", a.id);
                }
            }
            assert_eq!(markdown::render(&streamed).unwrap(), want_md, "{spill_at}");
            contract::write(&streamed, out.path()).unwrap();
            // Byte for byte, and the hidden folder is gone.
            assert_eq!(
                tree(out.path()),
                tree(want_dir.path()),
                "spill_at {spill_at}"
            );
            // Read back from data/ after it moved there.
            assert_eq!(markdown::render(&streamed).unwrap(), want_md, "{spill_at}");
            // A second write elsewhere copies the files.
            let again = tempfile::tempdir().unwrap();
            contract::write(&streamed, again.path()).unwrap();
            assert_eq!(tree(again.path()), tree(want_dir.path()));
        }
    }
}

#[test]
fn a_streaming_plan_keeps_an_id_with_a_control_character_to_refuse_it() {
    let mut t = with_resources();
    t.users
        .extend((0..20).map(|i| user(&format!("u{i}@contoso.com"), i + 10)));
    t.users[12].upn = "c\u{7}d@contoso.com".into();
    let out = tempfile::tempdir().unwrap();
    let store = spill::Store::with_threshold(out.path(), 2);
    let p = build_with(&project(), &t, None, Some(store)).unwrap();
    let users = p.step(StepKind::Users).unwrap();
    assert!(users.ops.is_empty());
    let bad = users.spilled.as_ref().unwrap().bad_id.as_deref();
    assert_eq!(bad, Some("users:ensure:c\u{7}d@contoso.com"));
    let b = out.path().join("b");
    let e = crate::bundle::write(&project(), &p, &b, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("c\\u{7}d@contoso.com"), "{e}");
    assert!(!b.exists());
}

#[test]
fn a_spilled_file_changed_before_it_is_read_back_is_refused() {
    let (t, _) = streaming_cases();
    let out = tempfile::tempdir().unwrap();
    let store = spill::Store::with_threshold(out.path(), 3);
    let p = build_with(&project(), &t, None, Some(store)).unwrap();
    let users = p.step(StepKind::Users).unwrap();
    let path = users.spilled.as_ref().unwrap().path();
    let text = std::fs::read_to_string(&path).unwrap();
    // One row fewer than the plan made.
    let cut = text.trim_end().rfind("\r\n").unwrap();
    std::fs::write(&path, &text[..cut + 2]).unwrap();
    let e = users.each_op(&mut |_| Ok(())).unwrap_err().to_string();
    assert!(e.contains("rows, the plan made"), "{e}");
}

#[test]
fn a_streaming_plan_never_written_leaves_nothing_behind() {
    let (t, _) = streaming_cases();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Nothing spills: nothing is made.
    let p = build_with(
        &project(),
        &tenant(),
        None,
        Some(spill::Store::new_in(&out)),
    )
    .unwrap();
    assert!(p.steps.iter().all(|s| s.spilled.is_none()));
    assert!(!out.exists());
    let p = build_with(
        &project(),
        &t,
        None,
        Some(spill::Store::with_threshold(&out, 3)),
    )
    .unwrap();
    assert!(out.exists(), "the hidden folder is in the output folder");
    drop(p);
    assert!(
        !out.exists(),
        "refused or failed: the folder it made is gone"
    );
    // A folder that was there stays, empty again.
    std::fs::create_dir(&out).unwrap();
    let p = build_with(
        &project(),
        &t,
        None,
        Some(spill::Store::with_threshold(&out, 3)),
    )
    .unwrap();
    drop(p);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

/// The three kinds of UPN for derived ids (issue 12): ASCII lower-case, ASCII mixed-case (the
/// template lower-cases), and one non-ASCII UPN among them (the step keeps its `Op` column).
/// The non-ASCII user comes after 40 others, so a streaming plan finds it after its file has
/// rows without the column.
fn op_id_cases() -> Vec<(&'static str, Tenant, bool)> {
    let many = |f: &dyn Fn(u64) -> String| {
        let mut t = with_resources();
        t.users.extend((0..60).map(|i| user(&f(i), i + 10)));
        t
    };
    let mut odd = many(&|i| format!("u{i}@contoso.com"));
    odd.users[42].upn = "zoë@contoso.com".into();
    vec![
        ("lower", many(&|i| format!("u{i}@contoso.com")), true),
        ("mixed", many(&|i| format!("User.{i}@Contoso.COM")), true),
        ("non-ascii", odd, false),
    ]
}

fn data_header(dir: &std::path::Path, step: &str) -> String {
    let text = std::fs::read_to_string(dir.join("data").join(format!("{step}.csv"))).unwrap();
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn derived_op_ids_round_trip_and_non_ascii_keeps_the_op_column() {
    for (name, t, derived) in op_id_cases() {
        let whole = build(&project(), &t, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let back = read_back(&whole, dir.path());
        // Every operation, read back from files with or without Op, is the one planned.
        for (step, got) in whole.steps.iter().zip(&back) {
            let got: Vec<_> = got.iter().map(read_back_tuple).collect();
            assert_eq!(got, as_plan_ops(step), "{name} {}", step.id);
        }
        let plan: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("plan.json")).unwrap()).unwrap();
        let op_id = |id: &str| {
            plan["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == id)
                .unwrap()["ops_file"]
                .get("op_id")
                .cloned()
        };
        let users = whole.step(StepKind::Users).unwrap();
        let licences = whole.step(StepKind::Licences).unwrap();
        let members = whole.step(StepKind::Members).unwrap();
        for step in [
            users,
            licences,
            whole.step(StepKind::MailboxesVerify).unwrap(),
        ] {
            let header = data_header(dir.path(), step.id);
            assert_eq!(header.starts_with("Op,"), !derived, "{name} {header}");
            assert_eq!(op_id(step.id).is_some(), derived, "{name} {}", step.id);
        }
        assert_eq!(
            op_id(users.id),
            derived.then(|| serde_json::json!(["users:ensure:", {"lower": 0}])),
        );
        // The members step's group and member are ASCII in every case.
        assert_eq!(data_header(dir.path(), members.id), "Group,Member");
        // Steps without a template, and the source-server steps, keep the column.
        for step in &whole.steps {
            if op_id(step.id).is_some() {
                assert_eq!(step.place.runs_on, RUNS_ON_JUMP_BOX, "{}", step.id);
            } else if step.pending().next().is_some() {
                assert!(
                    data_header(dir.path(), step.id).starts_with("Op"),
                    "{}",
                    step.id
                );
            }
        }
        // The runner's reader gives the planned ids, in order, from the manifest's template.
        for step in [users, licences, members] {
            let path = dir.path().join("data").join(format!("{}.csv", step.id));
            let t: Option<Vec<contract::IdPart>> =
                op_id(step.id).map(|v| serde_json::from_value(v).unwrap());
            let got = crate::run::verify::read_planned(&path, t.as_deref()).unwrap();
            let want: Vec<String> = step.pending().map(|o| o.id().to_string()).collect();
            assert_eq!(got, want, "{name} {}", step.id);
        }
        // A streaming plan decides the same, byte for byte, also when a row past the spill
        // threshold makes it write the rows so far again with their Op column.
        for spill_at in [1, 5, 50] {
            let out = tempfile::tempdir().unwrap();
            let store = spill::Store::with_threshold(out.path(), spill_at);
            let streamed = build_with(&project(), &t, None, Some(store)).unwrap();
            assert!(streamed.step(StepKind::Users).unwrap().spilled.is_some());
            for (a, b) in whole.steps.iter().zip(&streamed.steps) {
                let mut got = Vec::new();
                b.each_op(&mut |o| {
                    got.push(o.clone());
                    Ok(())
                })
                .unwrap();
                assert_eq!(got, a.ops, "{name} {} at {spill_at}", a.id);
            }
            let want_md = markdown::render(&whole).unwrap();
            assert_eq!(markdown::render(&streamed).unwrap(), want_md, "{name}");
            contract::write(&streamed, out.path()).unwrap();
            assert_eq!(tree(out.path()), tree(dir.path()), "{name} at {spill_at}");
            assert_eq!(markdown::render(&streamed).unwrap(), want_md, "{name}");
        }
    }
}

#[test]
fn a_step_whose_ids_do_not_all_fit_its_template_keeps_the_op_column() {
    let (name, t, _) = op_id_cases().remove(1);
    let mut p = build(&project(), &t, None).unwrap();
    let users = p
        .steps
        .iter_mut()
        .find(|s| s.kind == StepKind::Users)
        .unwrap();
    // One id the template does not give (its key is not the lower-cased UPN).
    let o = &users.ops[3];
    let values: Vec<String> = o.values().map(String::from).collect();
    users.ops[3] = Op::new(
        "users:ensure:someone-else",
        o.action,
        o.target(),
        o.change,
        values,
    );
    let dir = tempfile::tempdir().unwrap();
    let back = read_back(&p, dir.path());
    assert!(
        data_header(dir.path(), "07-users").starts_with("Op,"),
        "{name}"
    );
    let users = p.step(StepKind::Users).unwrap();
    let i = p
        .steps
        .iter()
        .position(|s| s.kind == StepKind::Users)
        .unwrap();
    let got: Vec<&str> = back[i].iter().map(|o| o.id.as_str()).collect();
    let want: Vec<&str> = users.ops.iter().map(|o| o.id()).collect();
    assert_eq!(got, want);
    assert_eq!(got[3], "users:ensure:someone-else");
    // The other steps still derive theirs.
    assert!(!data_header(dir.path(), "08-licences").starts_with("Op,"));
}

#[test]
fn a_derived_id_is_refused_from_a_non_ascii_cell() {
    let t = [
        contract::IdPart::Text("users:ensure:".into()),
        contract::IdPart::Lower { lower: 0 },
    ];
    let mut out = String::new();
    assert!(contract::derive_id(
        &t,
        |_| Some("Ann@Contoso.com"),
        &mut out
    ));
    assert_eq!(out, "users:ensure:ann@contoso.com");
    // Rust's and .NET's lower-casing agree on ASCII only (the Kelvin sign lower-cases to k).
    assert!(!contract::derive_id(
        &t,
        |_| Some("\u{212a}im@contoso.com"),
        &mut out
    ));
    assert!(!contract::derive_id(&t, |_| None, &mut out));
}
