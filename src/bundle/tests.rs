use super::*;

#[test]
fn sha256_matches_a_known_vector() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn every_template_is_registered() {
    let hb = handlebars().unwrap();
    for k in [
        StepKind::Preflight,
        StepKind::SourceImpersonation,
        StepKind::SourceImpersonationRevert,
        StepKind::SourceThrottlingRevert,
        StepKind::MailFlow,
    ] {
        for v in SourceVersion::ALL {
            let place = k.place(v, IdentityMode::Synced);
            let name = template_for(k, v, place.runs_on);
            // Exchange 2007 has PowerShell 1.0 scripts only for the source steps its plans hold.
            if powershell_1(v, place.runs_on)
                && !matches!(
                    k,
                    StepKind::SourceImpersonation | StepKind::SourceImpersonationRevert
                )
            {
                assert!(name.is_err(), "{k:?} {v}");
                continue;
            }
            assert!(hb.has_template(name.unwrap()), "{k:?} {v}");
        }
    }
    for k in [
        StepKind::SourceImpersonation,
        StepKind::SourceImpersonationRevert,
        StepKind::SourceExport,
        StepKind::Aliases,
    ] {
        let name = template_for(k, SourceVersion::Ex2007, manifest::RUNS_ON_SOURCE).unwrap();
        assert!(name.ends_with("-2007") && hb.has_template(name), "{k:?}");
    }
    assert!(hb.has_template("README.md"));
    assert!(hb.has_template("header"));
    assert!(hb.has_template("header-2007"));
}

#[test]
fn an_operation_id_with_a_line_break_is_refused() {
    use crate::plan::{Change, Op};
    let kind = StepKind::Users;
    let step = PlannedStep {
        id: kind.id(),
        kind,
        title: kind.title(),
        place: kind.place(SourceVersion::Ex2016, IdentityMode::Cloud),
        changes: true,
        gate: kind.gate(),
        phase: kind.phase(),
        columns: &["UserPrincipalName"],
        ops: vec![Op::new(
            "users:ensure:a\nb@contoso.com",
            "ensure",
            "a",
            Change::Create,
            ["a"],
        )],
        spilled: None,
    };
    assert!(check_ids(std::slice::from_ref(&step)).is_err());
    let mut ok = step.clone();
    ok.ops[0] = Op::new(
        "users:ensure:ab@contoso.com",
        "ensure",
        "a",
        Change::Create,
        ["a"],
    );
    assert!(check_ids(std::slice::from_ref(&ok)).is_ok());
    // Found on either core, and the first in step order is named.
    let mut late = step.clone();
    late.ops[0] = Op::new(
        "users:ensure:c\u{7}d@contoso.com",
        "ensure",
        "a",
        Change::Create,
        ["a"],
    );
    let big = PlannedStep {
        ops: vec![ok.ops[0].clone(); 50],
        ..ok.clone()
    };
    for steps in [
        vec![big.clone(), ok.clone(), step.clone(), late.clone()],
        vec![ok.clone(), step.clone(), big.clone(), late.clone()],
    ] {
        let e = check_ids(&steps).unwrap_err().to_string();
        assert!(e.contains("a\\nb@contoso.com"), "{e}");
    }
    assert!(check_ids(&[big, ok.clone(), ok]).is_ok());
}

/// Every file under `dir` (relative path, bytes), hidden ones included.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn cutover_bundle_streams_large_steps_and_writes_what_a_plan_in_memory_writes() {
    use crate::project::Inputs;
    let dir = tempfile::tempdir().unwrap();
    // Past the store's threshold: the users, licences, mailbox, limits and members steps spill.
    let users = crate::plan::spill::SPILL_AT as u64 + 100;
    let mut o = crate::synth::Options::new(users, None, None);
    o.seed = 7;
    let w = crate::synth::write(&dir.path().join("in"), &o).unwrap();
    for identity in [IdentityMode::Cloud, IdentityMode::Synced] {
        let project = Project {
            domains: vec!["contoso.com".into()],
            tenant: Some("contoso.onmicrosoft.com".into()),
            source_version: SourceVersion::Ex2016,
            identity,
            migration_account: Some("CONTOSO\\svc".into()),
            licence_sku: Some("O365_BUSINESS_PREMIUM".into()),
            inputs: Inputs {
                users: Some(w.users.clone()),
                groups: Some(w.groups.clone()),
                members: Some(w.members.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        let streamed = dir.path().join(format!("streamed-{}", identity.as_str()));
        let pipeline::Outcome::Written { plan, .. } =
            pipeline::make(&project, None, &streamed, false, None).unwrap()
        else {
            panic!("the synthetic tenant lints clean");
        };
        assert!(
            plan.steps.iter().filter(|s| s.spilled.is_some()).count() >= 2,
            "{identity:?}"
        );
        let tenant = crate::model::load::load_tenant(&project).unwrap();
        let whole = crate::plan::build(&project, &tenant, None).unwrap();
        assert!(whole.steps.iter().all(|s| s.spilled.is_none()));
        let in_memory = dir.path().join(format!("memory-{}", identity.as_str()));
        write(&project, &whole, &in_memory, &BundleOptions::default()).unwrap();
        let (a, b) = (tree(&streamed), tree(&in_memory));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{identity:?}"
        );
        for (k, v) in &a {
            assert!(v == &b[k], "{identity:?}: {k} differs");
        }
    }
}
