//! Provisioning delays on the simulation's virtual clock (Start-Sleep advances it): with no delay,
//! realistic delays and long ones (mailboxes 30 virtual minutes after licensing) a first rehearsal
//! ends with the tenant equal to the plan, no operator command between. With a wait budget shorter
//! than the delays every unfinished operation is `failed` with the wait hint, none is missing
//! from the journal, and `--retry-failed` after the delay completes the plan. A what-if rehearsal
//! never waits for objects it did not create.

mod rehearse_support;
use std::time::Duration;

use cutover::rehearse::{state, Delays};
use cutover::report::known_errors;
use cutover::run::protocol::Status;
use rehearse_support::*;

fn clean_with(delays: Delays) {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project_without_collision(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    let mut o = options(&b);
    o.delays = delays;
    let out = rehearse(&o);
    assert!(out.clean(), "{delays:?}:\n{}", account(&out));
    if delays == Delays::Long {
        assert!(
            out.slept_s >= 1800.0,
            "waited only {} virtual s",
            out.slept_s
        );
    }
}

// No delay: every rehearsal of tests/rehearse_matrix.rs.

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn realistic_delays_end_equal_to_the_plan() {
    clean_with(Delays::Realistic);
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn long_delays_end_equal_to_the_plan() {
    clean_with(Delays::Long);
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_budget_shorter_than_the_delays_fails_with_the_wait_hint_then_retry_completes() {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project_without_collision(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    let mut o = options(&b);
    o.delays = Delays::Long;
    o.wait = Duration::from_secs(60);
    o.continue_past_gates = true;
    let out = rehearse(&o);
    assert!(!out.clean(), "{}", account(&out));
    let recs = records(&out);
    let last = last(&recs);
    let failed: Vec<_> = last
        .values()
        .filter(|r| r.status == Status::Failed)
        .collect();
    assert!(!failed.is_empty(), "{}", account(&out));
    for r in &failed {
        let err = r.error.as_deref().unwrap_or("");
        assert!(
            known_errors::explain(&r.step, err).is_some(),
            "no hint: {r:?}"
        );
    }
    // Nothing skipped silently: every planned operation of every step that ran has a record.
    for k in migrate_ops(&b.bundle) {
        assert!(
            last.contains_key(&k),
            "no record for {k:?}\n{}",
            account(&out)
        );
    }
    // The operator comes back an hour later and retries the failures.
    state::advance_clock(&out.state, 3600.0).unwrap();
    let mut retry = options(&b);
    retry.delays = Delays::Long;
    retry.wait = Duration::from_secs(60);
    retry.mode = cutover::run::Mode::RetryFailed;
    retry.continue_past_gates = true;
    let again = rehearse(&retry);
    assert!(again.comparison.matches(), "{}", account(&again));
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn what_if_never_waits_for_what_it_did_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project_without_collision(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    let mut o = options(&b);
    o.delays = Delays::Long;
    o.what_if = true;
    o.continue_past_gates = true;
    let out = rehearse(&o);
    assert!(
        out.slept_s < 1.0,
        "a what-if rehearsal waited {} virtual s:\n{}",
        out.slept_s,
        account(&out)
    );
}
