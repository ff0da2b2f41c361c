//! The samples as shipped, with their one name collision (a group and a shared mailbox both named
//! "Sales", which Exchange Online refuses: issue 8 item 5), rehearsed in the real pwsh against the
//! simulated tenant; and `--what-if` against an empty tenant. Every source version x identity of
//! the samples without the collision (first, second, what-if on the filled tenant, faults,
//! kill and resume) is rehearsed by `rehearse_matrix`.

mod rehearse_support;
use cutover::rehearse::state;
use cutover::run::protocol::Status;
use rehearse_support::*;

/// The samples as shipped: either the plan leaves out one of the two recipients named "Sales" and
/// the tenant equals the plan, or 12-groups records the service's duplicate-name error and no
/// operation is recorded as a success whose effect is missing.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn samples_as_shipped_are_truthful() {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    let out = rehearse(&options(&b));
    if out.clean() {
        return;
    }
    let recs = records(&out);
    let last = last(&recs);
    assert!(
        last.values().any(|r| r.status == Status::Failed
            && r.error
                .as_deref()
                .unwrap_or("")
                .contains("is already being used")),
        "{}",
        account(&out)
    );
    for m in &out.comparison.missing {
        let rec = last.get(&(m.step.clone(), m.op.clone()));
        assert!(
            !rec.is_some_and(|r| r.status.is_success()),
            "{m:?}\n{}",
            account(&out)
        );
    }
    assert!(out.comparison.extra.is_empty(), "{}", account(&out));
}

/// `--what-if` against an empty tenant only seeds the state: no user or recipient is made, and no
/// operation records a change (`rehearse_matrix` runs what-if on every filled tenant).
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn what_if_on_an_empty_tenant_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    let mut o = options(&b);
    o.what_if = true;
    o.continue_past_gates = true;
    let out = rehearse(&o);
    let after =
        state::tenant_objects(&state::load(&b.bundle.join("rehearsals/tenant.json")).unwrap());
    assert_eq!(after["users"], serde_json::json!({}), "{}", account(&out));
    assert_eq!(after["rcp"], serde_json::json!({}), "{}", account(&out));
    let recs = records(&out);
    assert!(!recs.is_empty(), "what-if ran nothing:\n{}", account(&out));
    for r in recs {
        assert!(
            !matches!(r.status, Status::Created | Status::Updated) || is_export(&r),
            "what-if recorded a change: {r:?}"
        );
    }
}
