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
