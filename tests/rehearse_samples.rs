//! The samples bundle of every source version, in both identity modes, rehearsed in the real
//! pwsh against the simulated tenant: the first rehearsal (steps started with `pwsh -File`, as
//! `cutover run` does) makes the tenant equal the plan; the second (every step started from a
//! session, `& ./steps/NN.ps1`) finds everything `unchanged`. One test per version, so the
//! harness runs them on two threads. The samples carry one name collision (a group and a shared
//! mailbox both named "Sales", which Exchange Online refuses: issue 8 item 5); the matrix renames
//! the group, and `samples_as_shipped_are_truthful` rehearses them as shipped.

mod rehearse_support;
use cutover::run::protocol::Status;
use rehearse_support::*;

fn version(v: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project_without_collision(dir.path());
    for identity in ["cloud", "synced"] {
        first_then_unchanged(dir.path(), &project, v, identity);
    }
}

macro_rules! versions {
    ($($name:ident => $v:literal),* $(,)?) => {$(
        #[test]
        #[cfg_attr(not(cutover_test_pwsh), ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH")]
        fn $name() {
            version($v);
        }
    )*};
}

versions! {
    exchange_2007 => "2007",
    exchange_2010 => "2010",
    exchange_2013 => "2013",
    exchange_2016 => "2016",
    exchange_2019 => "2019",
    exchange_se => "SE",
}

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
