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
