//! Issue 9: secrets in the journal after a kill and in imported results, the bundle changed
//! under the runner, symlinks in a bundle, the bundle digest and the printed commands.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::json;
use support::*;

const SECRET: &str = "Tr0ub4dor&3x";

fn secrets_file(dir: &Path) -> PathBuf {
    let p = dir.join("secrets.csv");
    std::fs::write(
        &p,
        format!("UserPrincipalName,Password\nann@contoso.com,{SECRET}\n"),
    )
    .unwrap();
    p
}

/// Every file under `dir` whose text contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if std::fs::read(&p)
                .map(|b| String::from_utf8_lossy(&b).contains(needle))
                .unwrap_or(false)
            {
                hits.push(p);
            }
        }
    }
    hits
}

fn wait_for_records(bundle: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while latest_run_if_any(bundle).map_or(0, |r| records(&r).len()) < n {
        assert!(Instant::now() < deadline, "no {n} records in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 9.2: a runner killed while a step ran never masked that step's records; resuming masks the
/// whole journal before anything reads it, and the report shows no secret.
#[cfg(unix)]
#[test]
fn records_of_a_killed_step_are_masked_when_the_run_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 5)
        .build(&tmp.path().join("bundle"));
    let secrets = secrets_file(tmp.path());
    let hang = scenario(
        tmp.path(),
        "hang",
        json!({"steps": {"05-users": {
            "fail": ["05-users:op1"],
            "error": format!("Update-MgUser ann@contoso.com failed with {SECRET}"),
            "hang_after": 2
        }}}),
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("run")
        .arg(&bundle)
        .arg("--secrets")
        .arg(&secrets)
        .env("CUTOVER_PWSH", fake_pwsh())
        .env("FAKE_PWSH_SCENARIO", &hang)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_records(&bundle, 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let run = latest_run(&bundle);
    // The precondition of the defect: the step wrote the secret, and nobody masked it.
    assert!(!files_containing(&run, SECRET).is_empty());

    cutover(None)
        .args(["run", "--resume", "--secrets"])
        .arg(&secrets)
        .arg(&bundle)
        .assert()
        .code(0);
    assert_eq!(files_containing(&run, SECRET), Vec::<PathBuf>::new());
    let failed = records(&run)
        .into_iter()
        .find(|r| r["status"] == "failed")
        .unwrap();
    assert_eq!(
        failed["error"],
        "Update-MgUser ann@contoso.com failed with ***"
    );
    for format in ["md", "json", "csv", "html"] {
        cutover(None)
            .arg("report")
            .arg(&bundle)
            .args(["--format", format])
            .assert()
            .success()
            .stdout(predicate::str::contains(SECRET).not());
    }
}

/// 9.3: `--import-results` masks the `--secrets` values in what it records.
#[test]
fn imported_results_are_masked_with_the_secrets_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .source_step("01-export", 2)
        .build(&tmp.path().join("bundle"));
    let secrets = secrets_file(tmp.path());
    let rec = |op: &str, status: &str, error: Option<String>| {
        json!({"step": "01-export", "op": op, "action": format!("export with {SECRET}"),
               "target": format!("ann@contoso.com/{SECRET}"),
               "status": status, "error": error, "at": "2026-01-01T00:00:00Z"})
        .to_string()
    };
    let file = tmp.path().join("01-export.results.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            rec("01-export:op1", "created", None),
            rec(
                "01-export:op2",
                "failed",
                Some(format!("Set-Mailbox: the value {SECRET} was refused"))
            )
        ),
    )
    .unwrap();
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .arg("--secrets")
        .arg(&secrets)
        .args(["--import-results", "01-export"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("imported 2 records"));
    let run = latest_run(&bundle);
    assert_eq!(files_containing(&run, SECRET), Vec::<PathBuf>::new());
    let failed = records(&run)
        .into_iter()
        .find(|r| r["status"] == "failed")
        .unwrap();
    assert_eq!(failed["error"], "Set-Mailbox: the value *** was refused");
}
