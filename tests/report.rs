//! `cutover report` on journals written by real runs of the fake pwsh.

mod support;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::{json, Value};
use support::*;

const SECRET: &str = "Sekr1t-Pa55!";

/// A run with throttling, a duplicate UPN, an unknown error carrying a password, a crashed step
/// and a source-server step never imported.
fn failed_run(tmp: &Path) -> (PathBuf, PathBuf) {
    let bundle = BundleBuilder::new()
        .source_step("01-export", 1)
        .step("05-users", 6)
        .step("06-licences", 4)
        .build(&tmp.join("bundle"));
    let s = scenario(
        tmp,
        "mixed",
        json!({"steps": {
            "05-users": {"fail": ["05-users:op1", "05-users:op2"], "error": "Another object with the same value for property userPrincipalName already exists."},
            "06-licences": {"crash_after": 1}
        }}),
    );
    cutover(Some(&s)).arg("run").arg(&bundle).assert().code(1);
    let s2 = scenario(
        tmp,
        "mixed2",
        json!({"steps": {
            "05-users": {"fail": ["05-users:op1", "05-users:op2"], "error": format!("Set-X failed <b>: Password={SECRET} ErrorServerBusy")},
            "06-licences": {"crash_after": 1}
        }}),
    );
    cutover(Some(&s2))
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(1);
    let run = latest_run(&bundle);
    (bundle, run)
}

fn report(path: &Path, format: &str) -> String {
    let out = cutover(None)
        .args(["report", "--format", format])
        .arg(path)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

#[test]
fn json_is_the_versioned_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let (bundle, run) = failed_run(tmp.path());
    let text = report(&run, "json");
    assert!(!text.contains(SECRET));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys(&v), ["failures", "run", "steps", "version"]);
    assert_eq!(v["version"], 1);
    assert_eq!(v["run"]["complete"], false);
    assert_eq!(v["run"]["pwsh_version"], "7.4.6");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    for st in steps {
        assert_eq!(
            keys(st),
            ["by_status", "duration_s", "exit_code", "id", "ops"]
        );
    }
    let users = &steps[1];
    assert_eq!(users["id"], "05-users");
    assert_eq!(users["ops"], 6);
    assert_eq!(users["by_status"]["failed"], 2);
    assert_eq!(users["by_status"]["created"], 4);
    assert_eq!(users["exit_code"], 0);
    let lic = &steps[2];
    assert_eq!(lic["by_status"]["created"], 2);
    assert_eq!(lic["by_status"]["not_done"], 2);
    assert_eq!(lic["exit_code"], 3);
    assert_eq!(steps[0]["by_status"]["not_done"], 1);
    assert!(steps[0]["exit_code"].is_null());
    assert_eq!(steps[0]["duration_s"].to_string(), "0.0");

    let failures = v["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    for f in failures {
        assert_eq!(keys(f), ["action", "error", "hint", "op", "step", "target"]);
    }
    // The last record wins: op1 and op2 failed twice, the second time with throttling.
    assert_eq!(failures[0]["op"], "05-users:op1");
    assert_eq!(failures[0]["hint"]["id"], "EXO-SERVER-BUSY");
    assert!(failures[0]["error"]
        .as_str()
        .unwrap()
        .contains("Password=***"));

    // A bundle path reports its latest run.
    assert_eq!(report(&bundle, "json"), text);
}

#[test]
fn markdown_lists_steps_failures_and_hints() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, run) = failed_run(tmp.path());
    let md = report(&run, "md");
    assert!(md.contains("# cutover run "));
    assert!(md.contains("NOT complete"));
    assert!(
        md.contains("| 06-licences Step 06-licences | jump-box | 4 | 2 | 0 | 2 |"),
        "{md}"
    );
    assert!(md.contains("## Failures (2)"));
    assert!(md.contains("**EXO-SERVER-BUSY**"));
    assert!(!md.contains(SECRET));
}

#[test]
fn html_is_self_contained_and_shows_the_failure_table() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, run) = failed_run(tmp.path());
    let out = tmp.path().join("report.html");
    cutover(None)
        .args(["report", "--format", "html", "--out"])
        .arg(&out)
        .arg(&run)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains(r#"<table id="failure-table">"#));
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
    assert!(html.contains("@media print"));
    for external in ["<script", "<link", " src=", " href=", "url(", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    // Error text is escaped, never markup; secrets are masked.
    assert!(html.contains("Set-X failed &lt;b&gt;"));
    assert!(!html.contains(SECRET));
    // A clean process end with failed operations is not "ok".
    assert!(html.contains("<td>finished with failures</td>"), "{html}");
}

#[test]
fn csv_has_one_row_per_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, run) = failed_run(tmp.path());
    let csv = report(&run, "csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("step,op,action,target,status,error,hint,at")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 11);
    assert!(rows
        .iter()
        .any(|r| r.starts_with("01-export,01-export:op1,,,not_done")));
    assert!(rows.iter().any(
        |r| r.starts_with("05-users,05-users:op1,create,op1,failed,")
            && r.contains("EXO-SERVER-BUSY")
    ));
    assert!(!csv.contains(SECRET));
}

#[test]
fn a_clean_run_reports_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 3)
        .build(&tmp.path().join("bundle"));
    cutover(None).arg("run").arg(&bundle).assert().code(0);
    let v: Value = serde_json::from_str(&report(&bundle, "json")).unwrap();
    assert_eq!(v["run"]["complete"], true);
    assert_eq!(v["failures"], json!([]));
    let html = report(&bundle, "html");
    assert!(html.contains("No operation failed."));
    assert!(html.contains("Every operation done."));
}

#[test]
fn a_post_cutover_step_not_run_yet_is_named_and_does_not_spoil_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 2)
        .step("17-mail-flow", 1)
        .post_cutover()
        .build(&tmp.path().join("bundle"));
    cutover(None).arg("run").arg(&bundle).assert().code(0);
    let v: Value = serde_json::from_str(&report(&bundle, "json")).unwrap();
    assert_eq!(v["run"]["complete"], true);
    let md = report(&bundle, "md");
    assert!(
        md.contains("| post-cutover step, not run yet: run it after the MX change with --phase post-cutover |"),
        "{md}"
    );
}

#[test]
fn reporting_something_that_is_not_a_run_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    cutover(None)
        .args(["report"])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither a run folder"));
    let bundle = BundleBuilder::new()
        .step("05-users", 1)
        .build(&tmp.path().join("bundle"));
    cutover(None)
        .args(["report"])
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no runs yet"));
}

#[test]
fn csv_cells_that_start_like_formulas_are_neutralised() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 2)
        .build(&tmp.path().join("bundle"));
    let s = scenario(
        tmp.path(),
        "formula",
        json!({"steps": {"05-users": {"fail": ["05-users:op1"], "error": "=HYPERLINK(\"http://evil\",\"x\")"}}}),
    );
    cutover(Some(&s)).arg("run").arg(&bundle).assert().code(1);
    let csv = report(&latest_run(&bundle), "csv");
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(",\"=HYPERLINK("), "{csv}");
}
