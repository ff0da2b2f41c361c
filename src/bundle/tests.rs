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
        StepKind::SourceThrottlingRevert,
        StepKind::MailFlow,
    ] {
        for v in SourceVersion::ALL {
            assert!(hb.has_template(template_for(k, v)), "{k:?} {v}");
        }
    }
    assert!(hb.has_template("README.md"));
    assert!(hb.has_template("header"));
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
        columns: &["UserPrincipalName"],
        ops: vec![Op {
            id: "users:ensure:a\nb@contoso.com".into(),
            action: "ensure",
            target: "a".into(),
            change: Change::Create,
            values: vec!["a".into()],
        }],
    };
    assert!(check_ids(std::slice::from_ref(&step)).is_err());
    let mut ok = step.clone();
    ok.ops[0].id = "users:ensure:ab@contoso.com".into();
    assert!(check_ids(std::slice::from_ref(&ok)).is_ok());
    assert_eq!(ops_file(&ok), b"users:ensure:ab@contoso.com\n");
}
