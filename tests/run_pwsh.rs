//! Issue 17 item 4: `cutover run` with the real pwsh (not the fake): a bundle under a path with
//! spaces, quotes and brackets, BOM-ed scripts, UTF-8 service texts, exit codes, `--timeout`,
//! and the gaps the first real runs showed (the cause of a step that stops before its first
//! record, operations on objects a failed operation was to create, what-if on a fresh tenant,
//! plain-text logs). The services are the stand-ins of tests/fixtures/pwsh/standin.

mod common;
mod pwsh;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{project, tenant, write_bundle};
use cutover::project::{IdentityMode, SourceVersion};
use serde_json::Value;
use support::{latest_run, records, run_json};

fn standin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pwsh/standin")
}

/// A cloud bundle with a licence (so 08-licences exists) under an awkward path.
fn bundle(dir: &Path) -> PathBuf {
    let root = dir.join("it's a [test] folder").join("my bundle");
    let mut p = project(SourceVersion::Ex2016, IdentityMode::Cloud);
    p.licence_sku = Some("EXCHANGESTANDARD".into());
    write_bundle(&p, &tenant(3), &root);
    root
}

fn cutover(dir: &Path, mode: &str) -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    c.arg("run")
        .env("PSModulePath", standin())
        .env("HOME", dir)
        .env("STANDIN_MODE", mode)
        .env_remove("CUTOVER_PWSH");
    c
}

fn run(dir: &Path, mode: &str, args: &[&str]) -> (std::process::Output, Duration) {
    let b = dir.join("it's a [test] folder").join("my bundle");
    let started = Instant::now();
    let out = cutover(dir, mode)
        .arg(&b)
        .arg("--pwsh")
        .arg(pwsh::path())
        .args(args)
        .output()
        .unwrap();
    (out, started.elapsed())
}

fn of_step<'a>(recs: &'a [Value], step: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["step"] == step).collect()
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn service_errors_are_recorded_failed_in_utf8_and_later_operations_on_them_fail_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let script = std::fs::read(b.join("steps/07-users.ps1")).unwrap();
    assert!(
        script.starts_with("\u{feff}".as_bytes()),
        "scripts carry a BOM"
    );
    let (out, took) = run(
        dir.path(),
        "",
        &[
            "--step",
            "07-users",
            "--step",
            "08-licences",
            "--continue-past-gates",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "failures exit 1: {stderr}");
    let run_dir = latest_run(&b);
    let recs = records(&run_dir);
    let users = of_step(&recs, "07-users");
    assert_eq!(users.len(), 3, "{recs:?}");
    for r in &users {
        assert_eq!(r["status"], "failed");
        let e = r["error"].as_str().unwrap();
        assert!(
            e.contains("already exists") && e.contains("Zoë Müller, Ωmega team"),
            "{e}"
        );
    }
    // Each licence names the failed creation at once: no not-found retries within the
    // 30-minute default wait.
    let lic = of_step(&recs, "08-licences");
    assert_eq!(lic.len(), 3, "{recs:?}");
    for r in &lic {
        assert_eq!(r["status"], "failed");
        let e = r["error"].as_str().unwrap();
        assert!(
            e.starts_with("Not attempted:")
                && e.contains("users:ensure:")
                && e.contains("07-users"),
            "{e}"
        );
    }
    assert!(took < Duration::from_secs(90), "took {took:?}");
    // Logs are plain text.
    for e in std::fs::read_dir(run_dir.join("logs")).unwrap() {
        let text = std::fs::read(e.unwrap().path()).unwrap();
        assert!(!text.contains(&0x1b), "ANSI escape in a log");
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_step_that_stops_before_its_first_record_shows_why_in_console_journal_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let (out, _) = run(dir.path(), "signin-fails", &["--step", "07-users"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("07-users: stopped before its first record:")
            && stderr.contains("AADSTS50076"),
        "{stderr}"
    );
    let run_dir = latest_run(&b);
    let meta = run_json(&run_dir);
    let note = meta["invocations"][0]["note"].as_str().unwrap_or_default();
    assert!(note.contains("AADSTS50076"), "{meta}");
    let report = Command::cargo_bin("cutover")
        .unwrap()
        .args(["report"])
        .arg(&run_dir)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&report.stdout);
    assert!(md.contains("AADSTS50076"), "{md}");
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn what_if_on_a_fresh_tenant_does_not_wait_for_what_it_would_create() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let (out, took) = run(
        dir.path(),
        "",
        &["--what-if", "--step", "07-users", "--step", "08-licences"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("REAL CHANGES") && !stderr.contains("real changes"),
        "{stderr}"
    );
    let recs = records(&latest_run(&b));
    assert_eq!(recs.len(), 6, "{recs:?}");
    assert!(recs.iter().all(|r| r["status"] == "whatif"), "{recs:?}");
    assert!(took < Duration::from_secs(90), "took {took:?}");
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn timeout_stops_a_hanging_step_and_resume_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(dir.path());
    let (out, took) = run(
        dir.path(),
        "hang",
        &["--step", "07-users", "--timeout", "8"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let meta = run_json(&latest_run(&b));
    assert_eq!(meta["invocations"][0]["outcome"], "timed-out", "{meta}");
    // Resumed without the hang: every user gets exactly one record, none twice.
    let (out, _) = run(dir.path(), "", &["--step", "07-users", "--resume"]);
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&latest_run(&b));
    let mut ops: Vec<&str> = recs.iter().map(|r| r["op"].as_str().unwrap()).collect();
    ops.sort();
    let n = ops.len();
    ops.dedup();
    assert_eq!(ops.len(), n, "an operation recorded twice: {recs:?}");
    assert_eq!(n, 3, "{recs:?}");
}
