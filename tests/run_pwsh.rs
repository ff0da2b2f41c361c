//! Issue 17 item 4: `cutover run` with the real pwsh (not the fake): a bundle under a path with
//! spaces, quotes and brackets, BOM-ed scripts, UTF-8 service texts, exit codes, `--timeout`,
//! and the gaps the first real runs showed (the cause of a step that stops before its first
//! record, operations on objects a failed operation was to create, what-if on a fresh tenant,
//! plain-text logs). The services are the stand-ins of tests/fixtures/pwsh/standin.

mod common;
mod rehearse_support;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{project, tenant, write_bundle};
use cutover::project::{IdentityMode, SourceVersion};
use rehearse_support::pwsh;
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

/// Ctrl-C in a terminal: SIGINT to the whole foreground process group (the runner and the
/// real pwsh of the step) while `07-users` is mid-way against the simulated tenant. The run says
/// interrupted and exits 1 (README: an interrupted step stops the run; failures and stops are
/// exit 1), every journal line is a whole record and no operation has two, and `--resume`
/// finishes every operation exactly once: one success record each and one user each in the
/// tenant, none created twice.
#[cfg(unix)]
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn ctrl_c_to_the_process_group_mid_step_leaves_a_journal_that_resume_finishes_once() {
    use std::os::unix::process::CommandExt;

    use cutover::rehearse::{self, state, Delays};

    const USERS: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let project = rehearse_support::synth_project(dir.path(), USERS);
    let b = rehearse_support::bundle(dir.path(), &project, "2016", "cloud");
    // The simulated tenant as a rehearsal seeds it, with the users' domain already verified
    // (06-domains is not part of this run).
    let plan: Value = cutover::plan::contract::read(&b.bundle).unwrap();
    let mut seeded = rehearse::seed_state(&plan, 1, None, Delays::None);
    seeded["t"]["domains"]["contoso.com"] = serde_json::json!(
        {"Id": "contoso.com", "IsVerified": true, "IsDefault": false, "IsInitial": false}
    );
    let tenant_file = dir.path().join("sim/tenant.json");
    state::write_fresh(&tenant_file, &seeded).unwrap();
    rehearse::write_sim(&dir.path().join("sim")).unwrap();
    let run_cmd = |resume: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"));
        c.arg("run")
            .arg(&b.bundle)
            .args(["--step", "07-users", "--pwsh"])
            .arg(pwsh::path())
            .env("PSModulePath", dir.path().join("sim/modules"))
            .env(rehearse::ENV_STATE, &tenant_file)
            .env("HOME", dir.path())
            .env_remove("CUTOVER_PWSH");
        if b.secrets.exists() {
            c.arg("--secrets").arg(&b.secrets);
        }
        if resume {
            c.arg("--resume");
        }
        c
    };
    let mut first = run_cmd(false);
    // Its own process group, as a shell's foreground job; the step's pwsh inherits it.
    first
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = first.spawn().unwrap();
    let pgid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut before = 0;
    while Instant::now() < deadline {
        before = support::latest_run_if_any(&b.bundle)
            .map_or(0, |r| of_step(&records(&r), "07-users").len());
        if before >= 5 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if before < 5 {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .status();
        let out = child.wait_with_output().unwrap();
        panic!(
            "07-users never got going:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", "--", &format!("-{pgid}")])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("interrupted"),
        "{stdout}{stderr}"
    );
    let run_dir = latest_run(&b.bundle);
    let meta = run_json(&run_dir);
    assert_eq!(meta["state"], "interrupted", "{meta}");
    // Whole records only, none twice, and the step stopped mid-way.
    let text = std::fs::read_to_string(run_dir.join("results.jsonl")).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "a cut record");
    let mut ops = std::collections::BTreeSet::new();
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            ops.insert(r["op"].as_str().unwrap().to_string()),
            "recorded twice: {line}"
        );
    }
    assert!(
        ops.len() < USERS,
        "the step finished before the interrupt ({} records)",
        ops.len()
    );
    // Nothing is written once the runner has gone.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        std::fs::read_to_string(run_dir.join("results.jsonl")).unwrap(),
        text
    );

    let out = run_cmd(true).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&latest_run(&b.bundle));
    let mut successes = std::collections::BTreeMap::<String, usize>::new();
    for r in of_step(&recs, "07-users") {
        assert_ne!(r["status"], "failed", "{r}");
        *successes
            .entry(r["op"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(successes.len(), USERS);
    assert!(successes.values().all(|&n| n == 1), "{successes:?}");
    let tenant = state::load(&tenant_file).unwrap();
    let upns: Vec<String> = tenant["t"]["users"]
        .as_object()
        .unwrap()
        .values()
        .map(|u| u["UserPrincipalName"].as_str().unwrap().to_lowercase())
        .collect();
    let distinct: std::collections::BTreeSet<&String> = upns.iter().collect();
    assert_eq!(upns.len(), USERS, "users in the tenant");
    assert_eq!(distinct.len(), USERS, "a user created twice");
}
