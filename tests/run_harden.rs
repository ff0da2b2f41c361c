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

/// Starts a run whose step writes a failure carrying the secret and hangs; kills the runner
/// (SIGKILL: nothing masks) once records are there. Returns the killed run's folder.
#[cfg(unix)]
fn killed_run_with_a_secret(tmp: &Path, bundle: &Path, secrets: &Path) -> PathBuf {
    let hang = scenario(
        tmp,
        "hang",
        json!({"steps": {"05-users": {
            "fail": ["05-users:op1"],
            "error": format!("Update-MgUser ann@contoso.com failed with {SECRET}"),
            "hang_after": 2
        }}}),
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("run")
        .arg(bundle)
        .arg("--secrets")
        .arg(secrets)
        .env("CUTOVER_PWSH", fake_pwsh())
        .env("FAKE_PWSH_SCENARIO", &hang)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_records(bundle, 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let run = latest_run(bundle);
    // The precondition of the defect: the step wrote the secret, and nobody masked it.
    assert!(!files_containing(&run, SECRET).is_empty());
    run
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
    let run = killed_run_with_a_secret(tmp.path(), &bundle, &secrets);

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

/// 9.2: a fresh run instead of a resume masks the killed run's journal too.
#[cfg(unix)]
#[test]
fn a_fresh_run_masks_the_journal_of_a_killed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 5)
        .build(&tmp.path().join("bundle"));
    let secrets = secrets_file(tmp.path());
    let killed = killed_run_with_a_secret(tmp.path(), &bundle, &secrets);
    cutover(None)
        .args(["run", "--secrets"])
        .arg(&secrets)
        .arg(&bundle)
        .assert()
        .code(0);
    assert_ne!(latest_run(&bundle), killed);
    assert_eq!(
        files_containing(&bundle.join("runs"), SECRET),
        Vec::<PathBuf>::new()
    );
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

/// 9.11: a step's script changed while an earlier step runs is not executed: each step's files
/// are hashed again right before its process starts.
#[test]
fn a_step_changed_during_the_run_is_refused_before_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 40)
        .step("06-licences", 3)
        .build(&tmp.path().join("bundle"));
    let slow = scenario(
        tmp.path(),
        "slow",
        json!({"steps": {"05-users": {"delay_ms": 25}}}),
    );
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("run")
        .arg(&bundle)
        .env("CUTOVER_PWSH", fake_pwsh())
        .env("FAKE_PWSH_SCENARIO", &slow)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_records(&bundle, 1);
    std::fs::write(
        bundle.join("steps/06-licences.ps1"),
        "\u{feff}Remove-Everything\n",
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("steps/06-licences.ps1 was changed"),
        "{stderr}"
    );
    let run = latest_run(&bundle);
    assert!(
        records(&run).iter().all(|r| r["step"] == "05-users"),
        "the changed step did not run"
    );
    let meta = run_json(&run);
    assert_eq!(meta["state"], "interrupted");
    assert!(meta["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["step"] == "05-users"));
}

/// 9.12: a symbolic link anywhere in a bundle is refused, even to identical bytes.
#[cfg(unix)]
#[test]
fn symlinks_in_a_bundle_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for link in ["data/05-users.csv", "steps/05-users.ps1", "steps", "runs"] {
        let root = tmp.path().join(link.replace('/', "_"));
        let bundle = BundleBuilder::new().step("05-users", 2).build(&root);
        let path = bundle.join(link);
        let elsewhere = tmp.path().join(format!("moved-{}", link.replace('/', "_")));
        if link == "runs" {
            std::fs::create_dir(&elsewhere).unwrap();
        } else {
            std::fs::rename(&path, &elsewhere).unwrap();
        }
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        cutover(None)
            .arg("run")
            .arg(&bundle)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "bundle path {link} is a symbolic link"
            )));
        assert_eq!(
            std::fs::read_dir(&elsewhere).map_or(0, |d| d.count()),
            if link == "runs" || link == "steps" {
                usize::from(link == "steps")
            } else {
                0
            },
            "nothing written through the link"
        );
    }
}

/// 9.13: the digest `cutover run --expect-digest` checks is the sha256 of manifest.json; a
/// manifest changed in any way (here only a title) is refused.
#[test]
fn expect_digest_pins_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 2)
        .build(&tmp.path().join("bundle"));
    let digest = sha256(&std::fs::read(bundle.join("manifest.json")).unwrap());
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args(["--expect-digest", &"0".repeat(64)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "bundle digest is {digest}"
        )));
    assert!(latest_run_if_any(&bundle).is_none(), "nothing ran");
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args([
            "--expect-digest",
            &format!("sha256:{}", digest.to_uppercase()),
        ])
        .assert()
        .code(0);
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).unwrap();
    std::fs::write(
        bundle.join("manifest.json"),
        manifest.replace("Step 05-users", "Step 05-users (harmless)"),
    )
    .unwrap();
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .args(["--expect-digest", &digest])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not the bundle that was reviewed"));
}

/// 9.15: the commands printed for copy and paste keep a bundle path with blanks, `$` and a
/// quote as one shell word.
#[cfg(unix)]
#[test]
fn printed_commands_quote_the_bundle_path() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .source_step("01-export", 1)
        .step("05-users", 2)
        .build(&tmp.path().join("my bundle $(id) it's"));
    let fail = scenario(
        tmp.path(),
        "fail",
        json!({"steps": {"05-users": {"fail": ["05-users:op1"]}}}),
    );
    let out = cutover(Some(&fail))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(1);
    let out = out.get_output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let quoted = format!("'{}'", bundle.display().to_string().replace('\'', r"'\''"));
    assert!(
        stdout.contains(&format!("next:    cutover run {quoted} --resume")),
        "{stdout}"
    );
    // The source-server instructions are printed with the step summaries, on stdout.
    assert!(
        stdout.contains(&format!("cutover run {quoted} --import-results 01-export")),
        "{stdout}"
    );
    let run = latest_run(&bundle);
    let run_quoted = format!("'{}'", run.display().to_string().replace('\'', r"'\''"));
    assert!(
        stdout.contains(&format!("cutover report {run_quoted} --format html")),
        "{stdout}"
    );
    // What is printed works when pasted into sh: the quoted path is the bundle.
    let echoed = std::process::Command::new("sh")
        .args(["-c", &format!("printf %s {quoted}")])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&echoed.stdout),
        bundle.display().to_string()
    );
}
