//! Killing a rehearsal at pseudo-random points 20 times and resuming it leaves every operation done
//! exactly once: one success record per planned operation, no operation created or updated twice,
//! and the simulated tenant equal to the plan (nothing missing, nothing extra or doubled).

mod rehearse_support;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use cutover::rehearse::{compare, state};
use cutover::run::journal::{Records, RunDir};
use cutover::run::protocol::Status;
use rehearse_support::*;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn killed_twenty_times_and_resumed_every_operation_is_done_once() {
    killed_and_resumed("2016", "cloud");
}

// The long suite: every other source version x identity.
long_matrix! { killed_and_resumed;
    long_2007_cloud => ("2007", "cloud"), long_2007_synced => ("2007", "synced"),
    long_2010_cloud => ("2010", "cloud"), long_2010_synced => ("2010", "synced"),
    long_2013_cloud => ("2013", "cloud"), long_2013_synced => ("2013", "synced"),
    long_2016_synced => ("2016", "synced"),
    long_2019_cloud => ("2019", "cloud"), long_2019_synced => ("2019", "synced"),
    long_se_cloud => ("SE", "cloud"), long_se_synced => ("SE", "synced"),
}

fn killed_and_resumed(version: &str, identity: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project_without_collision(dir.path());
    let b = bundle(dir.path(), &project, version, identity);
    let cmd = |resume: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cutover"));
        c.arg("rehearse")
            .arg(&b.bundle)
            .arg("--pwsh")
            .arg(pwsh::path());
        if b.secrets.exists() {
            c.arg("--secrets").arg(&b.secrets);
        }
        if resume {
            c.arg("--resume");
        }
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    };
    // Kill points from a fixed linear congruential sequence: 0.3 to 2 s after the start, so that
    // on a fast, idle machine (a step takes about a second) most kills still land mid-rehearsal.
    let mut x: u64 = 0x2545_f491;
    let mut killed = 0;
    for i in 0..20 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let wait = Duration::from_millis(300 + (x >> 33) % 1700);
        let mut child = cmd(i > 0).spawn().unwrap();
        std::thread::sleep(wait);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        killed >= 12,
        "only {killed} of 20 rehearsals were still running when killed"
    );
    let mut status = None;
    for _ in 0..3 {
        let s = cmd(true).status().unwrap();
        status = Some(s);
        if s.success() {
            break;
        }
    }
    let run = RunDir::latest_in(&b.bundle, cutover::run::REHEARSALS_DIR)
        .unwrap()
        .unwrap();
    let plan: serde_json::Value = cutover::plan::contract::read(&b.bundle).unwrap();
    let tenant = state::load(&b.bundle.join("rehearsals/tenant.json")).unwrap();
    let c = compare::compare(&plan, &tenant);
    assert!(c.matches(), "{:#?}", c.lines());
    assert!(
        status.is_some_and(|s| s.success()),
        "the last resume did not finish cleanly ({status:?}) in {}",
        run.path.display()
    );
    let records = Records::read(&run.results()).unwrap().records;
    let mut successes: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut changes: BTreeMap<(String, String), u32> = BTreeMap::new();
    for r in &records {
        let k = (r.step.clone(), r.op.clone());
        if r.status.is_success() {
            *successes.entry(k.clone()).or_default() += 1;
        }
        if matches!(r.status, Status::Created | Status::Updated) && r.action != "export" {
            *changes.entry(k).or_default() += 1;
        }
    }
    for (k, n) in &changes {
        assert_eq!(*n, 1, "{k:?} was changed {n} times");
    }
    for k in migrate_ops(&b.bundle) {
        assert_eq!(
            successes.get(&k).copied().unwrap_or(0),
            1,
            "{k:?} in {}",
            run.path.display()
        );
    }
}
