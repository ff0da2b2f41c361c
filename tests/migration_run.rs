//! `cutover run --wave N` against the fake pwsh, and the report's migration section from a
//! journal with progress records (the status step's shape, appended as a step writes them).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use support::*;

/// A users step (no waves), a MigrationWiz-like items step whose first row is the project (no
/// wave) and then two mailboxes per wave, and a status step with one op per mailbox.
fn bundle(root: &Path) -> PathBuf {
    BundleBuilder::new()
        .step("07-users", 2)
        .wave_step("30-items", &[None, Some(1), Some(1), Some(2), Some(2)])
        .wave_step("34-status", &[Some(1), Some(1), Some(2), Some(2)])
        .migration_mailboxes(&[
            "1,a@contoso.com,a@contoso.com,2026-09-19,1000000000,100,true",
            "1,b@contoso.com,b@contoso.com,2026-09-19,3000000000,300,true",
            "2,c@contoso.com,c@contoso.com,2026-09-19,2000000000,200,true",
            "2,d@contoso.com,d@contoso.com,2026-09-19,,,false",
        ])
        .build(&root.join("bundle"))
}

#[test]
fn a_wave_runs_its_own_mailboxes_the_waveless_rows_and_every_other_step() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = bundle(tmp.path());
    cutover(None)
        .args(["run", "--wave", "2"])
        .arg(&bundle)
        .assert()
        .code(0);
    let run = latest_run(&bundle);
    let done: Vec<String> = successes_per_op(&run).into_keys().collect();
    assert_eq!(
        done,
        [
            "07-users:op1",
            "07-users:op2",
            "30-items:op1",
            "30-items:op4",
            "30-items:op5",
            "34-status:op3",
            "34-status:op4"
        ]
    );
    assert_eq!(run_json(&run)["waves"], serde_json::json!([2]));
    // Wave 1 on top of it: the rest, and the journal says both waves ran.
    cutover(None)
        .args(["run", "--resume", "--wave", "1"])
        .arg(&bundle)
        .assert()
        .code(0);
    let run = latest_run(&bundle);
    assert_eq!(successes_per_op(&run).len(), 11);
    assert_eq!(run_json(&run)["waves"], serde_json::json!([2, 1]));
}

#[test]
fn an_unknown_wave_or_a_bundle_without_waves_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = bundle(tmp.path());
    cutover(None)
        .args(["run", "--wave", "3"])
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no such wave in this bundle (waves: 1, 2)",
        ));
    let plain = BundleBuilder::new()
        .step("07-users", 1)
        .build(&tmp.path().join("plain"));
    cutover(None)
        .args(["run", "--wave", "1"])
        .arg(&plain)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no migration waves"));
}

fn progress(target: &str, at: &str, pass: &str, state: &str, bytes: u64) -> String {
    serde_json::json!({
        "step": "34-status", "op": format!("migration:status:{target}"), "action": "read",
        "target": target, "status": "unchanged", "error": null, "at": at,
        "progress": {"engine": "migrationwiz", "pass": pass, "state": state,
                     "items": bytes / 10_000_000, "bytes": bytes, "errors": 0}
    })
    .to_string()
}

#[test]
fn the_report_shows_progress_against_the_estimate_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = bundle(tmp.path());
    cutover(None)
        .args(["run", "--wave", "1"])
        .arg(&bundle)
        .assert()
        .code(0);
    let run = latest_run(&bundle);
    // What a status step writes: a twice-read pass for a, b completed, nothing for c and d.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(run.join("results.jsonl"))
        .unwrap();
    for line in [
        progress(
            "a@contoso.com",
            "2026-12-10T10:00:00Z",
            "prestage",
            "Processing",
            100_000_000,
        ),
        progress(
            "a@contoso.com",
            "2026-12-10T11:00:00Z",
            "prestage",
            "Processing",
            400_000_000,
        ),
        progress(
            "b@contoso.com",
            "2026-12-10T11:00:00Z",
            "prestage",
            "Completed",
            2_700_000_000,
        ),
    ] {
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    let render = |format: &str| {
        let out = cutover(None)
            .args(["report", "--format", format])
            .arg(&run)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&render("json")).unwrap();
    let m = &json["migration"];
    assert_eq!(m["waves_run"], serde_json::json!([1]));
    let a = &m["mailboxes"][0];
    assert_eq!(
        (a["state"].as_str(), a["percent"].as_f64()),
        (Some("Processing"), Some(40.0))
    );
    // 300 MB an hour, 600 MB left: two hours after the last report.
    assert_eq!(a["eta"], "2026-12-10T13:00:00Z");
    let c = &m["mailboxes"][2];
    assert_eq!(c["state"], "no status yet");
    assert!(c["bytes"].is_null() && c["percent"].is_null());
    assert_eq!(m["waves"][0]["done"], 1);
    assert_eq!(m["waves"][1]["no_status"], 2);
    assert!(m["waves"][1]["moved_bytes"].is_null());

    insta::assert_snapshot!(
        "report_json_migration",
        serde_json::to_string_pretty(m).unwrap()
    );

    let md = render("md");
    let section = &md[md.find("## Mailbox migration").unwrap()..];
    insta::assert_snapshot!("report_md_migration", section);
    assert!(md.contains("## Mailbox migration"), "{md}");
    assert!(
        md.contains("| 2 | 0 of 2 done, 2 no status yet | none reported (estimate 2.0 GB); 1 mailbox(es) without an estimate |"),
        "{md}"
    );
    assert!(md.contains("400.0 MB of 1.0 GB (40.0 %)"), "{md}");
    let html = render("html");
    assert!(html.contains(r#"<section id="migration">"#));
    assert!(
        html.contains(r#"aria-label="wave 1: 1 of 2 done, 1 running""#),
        "{html}"
    );
    assert!(!html.contains("<script"));
    let csv = render("csv");
    let header = csv.lines().next().unwrap();
    assert!(header
        .ends_with("wave,engine,pass,state,moved_bytes,estimated_bytes,percent,items,errors,eta"));
    assert!(csv.contains(",1,migrationwiz,prestage,Processing,400000000,1000000000,40.0,40,0,2026-12-10T13:00:00Z"), "{csv}");
    // The header and the status records (the fake pwsh's records carry the run's own times).
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("step,") || l.contains("migration:status:"))
        .collect();
    insta::assert_snapshot!("report_csv_migration", rows.join("\n"));
}
