//! `cutover demo`: the README's first command. Lints, bundles and shows a run against the
//! demo stand-in, loudly labelled, and leaves the bundle, journal and report behind.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;

fn demo(dir: &Path) -> (i32, String) {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["demo", "--out"])
        .arg(dir)
        .env_remove("CUTOVER_PWSH")
        // No pwsh on PATH: these tests are about the labelled stand-in.
        .env("PATH", "")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    (out.status.code().unwrap_or(-1), text)
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn demo_lints_bundles_and_shows_a_labelled_simulated_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = demo(tmp.path());
    assert_eq!(code, 0, "{text}");
    // Said loudly, before and after the run.
    assert_eq!(
        text.matches("DEMO MODE: no PowerShell is installed here")
            .count(),
        2
    );

    let bundle = tmp.path().join("bundle");
    assert!(bundle.join("manifest.json").is_file());
    assert!(tmp.path().join("report.html").is_file());

    // The journal holds one record per planned jump-box operation and exactly the staged failure.
    let runs: Vec<_> = std::fs::read_dir(bundle.join("runs")).unwrap().collect();
    assert_eq!(runs.len(), 1);
    let run = runs.into_iter().next().unwrap().unwrap().path();
    let results = std::fs::read_to_string(run.join("results.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = results
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let failed: Vec<_> = records.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{results}");
    assert!(failed[0]["op"]
        .as_str()
        .unwrap()
        .starts_with("members:add:"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    let jump_box_ops: u64 = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        // Post-cutover steps (the mail-flow check) wait for the MX change, and the notices go
        // out on their own dates: neither is run by the demo. MigrationWiz's steps need Windows
        // PowerShell 5.1: the run prints their commands and waits for their imported results.
        .filter(|s| {
            s["runs_on"] == "jump-box" && s["phase"] == "migrate" && s["shell"] != "powershell-5.1"
        })
        .map(|s| s["ops"].as_u64().unwrap())
        .sum();
    assert_eq!(records.len() as u64, jump_box_ops);
    assert!(text.contains("EXO-OBJECT-NOT-FOUND"), "{text}");
    // The demo writes its users' notices: four messages for each of the five sample users.
    let emls = files_under(&tmp.path().join("notices"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "eml"))
        .count();
    assert_eq!(emls, 20);

    // The sample passwords went to an owner-only file and nowhere else.
    let secrets = tmp.path().join("secrets.csv");
    let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let passwords: Vec<String> = csv::Reader::from_path(&secrets)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    assert_eq!(passwords.len(), 5);
    for file in files_under(&bundle)
        .into_iter()
        .chain([tmp.path().join("report.html")])
    {
        let bytes = std::fs::read(&file).unwrap();
        let body = String::from_utf8_lossy(&bytes);
        for p in &passwords {
            assert!(!body.contains(p.as_str()), "password in {}", file.display());
        }
    }
    for p in &passwords {
        assert!(!text.contains(p.as_str()), "password in the demo output");
    }
}

#[test]
fn demo_runs_again_into_the_same_folder() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(demo(tmp.path()).0, 0);
    let (code, text) = demo(tmp.path());
    assert_eq!(code, 0, "{text}");
}

#[test]
fn demo_output_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = demo(tmp.path());
    assert_eq!(code, 0);
    let root = tmp.path().to_str().unwrap();
    let text = text.replace(root, "[TMP]");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{8}T\d{6}Z", "[RUN]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]");
    settings.add_filter(r"[0-9.]+/s", "[RATE]/s");
    settings.add_filter(r"\d+\.\d s\)", "[DUR] s)");
    settings.add_filter(r"\| \d+\.\d \|", "| [DUR] |");
    settings.bind(|| insta::assert_snapshot!(text));
}

#[path = "pwsh/mod.rs"]
mod pwsh;

/// With a real PowerShell the demo rehearses its bundle against the simulated tenant, says so,
/// and leaves a rehearsal journal (marked as one) and its report.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn demo_rehearses_with_a_real_pwsh() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["demo", "--out"])
        .arg(tmp.path())
        .arg("--pwsh")
        .arg(pwsh::path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("REHEARSAL: every step runs in real PowerShell"),
        "{text}"
    );
    assert!(!text.contains("DEMO MODE"), "{text}");
    assert!(text.contains("07-users: ok (5 created"), "{text}");
    let runs = tmp.path().join("bundle/rehearsals");
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .find(|e| e.path().join("run.json").is_file())
        .expect("a rehearsal run folder");
    let meta = std::fs::read_to_string(run.path().join("run.json")).unwrap();
    assert!(meta.contains("\"rehearsal\""), "{meta}");
    assert!(tmp.path().join("report.html").is_file());
}
