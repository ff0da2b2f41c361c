//! Truthful results against a misbehaving service: with faults injected from a seed (throttling,
//! transient errors, objects that always fail), every failed operation is recorded `failed` with a
//! hint from the known-error catalogue, and no operation whose effect is missing from the tenant is
//! recorded as a success. Started from a session (`& ./steps/NN.ps1`), where a step's own
//! `$ErrorActionPreference` does not reach module functions. And `--what-if` changes nothing.

mod rehearse_support;
use cutover::rehearse::state;
use cutover::report::known_errors;
use cutover::run::protocol::Status;
use rehearse_support::*;

fn faults(version: &str, identity: &str, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    let b = bundle(dir.path(), &project, version, identity);
    let mut o = options(&b);
    o.faults = Some(seed);
    o.session = true;
    o.continue_past_gates = true;
    let out = rehearse(&o);
    let recs = records(&out);
    let last = last(&recs);
    let failed: Vec<_> = last
        .values()
        .filter(|r| r.status == Status::Failed)
        .collect();
    assert!(
        !failed.is_empty(),
        "seed {seed} injected no lasting failure:\n{}",
        account(&out)
    );
    assert!(!out.clean(), "{}", account(&out));
    for r in &failed {
        let err = r.error.as_deref().unwrap_or("");
        assert!(
            known_errors::explain(&r.step, err).is_some(),
            "failed without a hint: {r:?}"
        );
    }
    // No false success: every planned fact still missing belongs to an operation whose last
    // record is not a success (or that never ran).
    for m in &out.comparison.missing {
        let rec = last.get(&(m.step.clone(), m.op.clone()));
        assert!(
            !rec.is_some_and(|r| r.status.is_success()),
            "recorded {:?} but the tenant lacks: {}\n{}",
            rec.map(|r| r.status),
            m.what,
            account(&out)
        );
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn faults_cloud_2016_are_failed_with_hints_and_never_successes() {
    faults("2016", "cloud", 7);
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn faults_synced_2010_are_failed_with_hints_and_never_successes() {
    faults("2010", "synced", 11);
}

/// The long suite: every other source version x identity (the two above run by default).
fn faults_seeded(version: &str, identity: &str) {
    faults(version, identity, if identity == "cloud" { 7 } else { 11 });
}

long_matrix! { faults_seeded;
    long_2007_cloud => ("2007", "cloud"), long_2007_synced => ("2007", "synced"),
    long_2010_cloud => ("2010", "cloud"),
    long_2013_cloud => ("2013", "cloud"), long_2013_synced => ("2013", "synced"),
    long_2016_synced => ("2016", "synced"),
    long_2019_cloud => ("2019", "cloud"), long_2019_synced => ("2019", "synced"),
    long_se_cloud => ("SE", "cloud"), long_se_synced => ("SE", "synced"),
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn what_if_leaves_the_tenant_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    // Against an empty tenant and against one the first rehearsal filled.
    let mut o = options(&b);
    o.what_if = true;
    o.continue_past_gates = true;
    let state_path = b.bundle.join("rehearsals/tenant.json");
    for round in 0..2 {
        if round == 1 {
            let mut real = options(&b);
            real.continue_past_gates = true;
            rehearse(&real);
        }
        let before = std::fs::read(&state_path)
            .ok()
            .map(|_| state::tenant_objects(&state::load(&state_path).unwrap()));
        let out = rehearse(&o);
        let after = state::tenant_objects(&state::load(&state_path).unwrap());
        if let Some(before) = before {
            assert_eq!(
                before,
                after,
                "what-if changed the tenant:\n{}",
                account(&out)
            );
        } else {
            // The first what-if seeded the state: nothing but the seed is in it.
            assert_eq!(after["users"], serde_json::json!({}), "{}", account(&out));
            assert_eq!(after["rcp"], serde_json::json!({}), "{}", account(&out));
        }
        for r in records(&out) {
            assert!(
                !matches!(r.status, Status::Created | Status::Updated) || is_export(&r),
                "what-if recorded a change: {r:?}"
            );
        }
    }
}
