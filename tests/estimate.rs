//! `cutover estimate` end to end: hand-computed hours, formats, configuration and exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit/estimate")
}

fn cutover() -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    // No cutover.toml from the working directory may leak in.
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn estimate(extra: &[&str]) -> Command {
    let mut c = cutover();
    c.arg("estimate")
        .arg("--mailboxes")
        .arg(dir().join("mailboxes.csv"))
        .arg("--stats")
        .arg(dir().join("stats.csv"))
        .args(["--start", "2026-11-25"])
        .args(extra);
    c
}

fn json(c: &mut Command) -> Value {
    let out = c.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn hours_by_hand_one_migration_at_a_time() {
    // 1 Mbps = 125,000 B/s = 450,000,000 B/h. Ann 450 MB: 1 h. Ben 900 MB + 450 MB archive: 3 h.
    // One slot: 4 h in a row. 10% recent: 3.6 h pre-stage, 0.4 h final pass.
    let v = json(&mut estimate(&[
        "--bandwidth-mbps",
        "1",
        "--concurrency",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(v["version"], 1);
    assert_eq!(v["total_bytes"], 1_800_000_000u64);
    assert_eq!(v["total_items"], 350);
    assert_eq!(v["total_deleted_bytes"], 1_048_576);
    assert_eq!(v["mailboxes"][0]["identity"], "ann");
    assert_eq!(v["mailboxes"][0]["hours"], 1.0);
    assert_eq!(v["mailboxes"][1]["bytes"], 1_350_000_000u64);
    assert_eq!(v["mailboxes"][1]["archive_bytes"], 450_000_000u64);
    assert_eq!(v["mailboxes"][1]["items"], 250);
    assert_eq!(v["mailboxes"][1]["hours"], 3.0);
    assert_eq!(v["hours"]["total"], 4.0);
    assert_eq!(v["hours"]["prestage"], 3.6);
    assert_eq!(v["hours"]["final_pass"], 0.4);
    assert_eq!(v["assumptions"]["concurrency"], 1);
    assert_eq!(
        v["assumptions"]["bytes_per_hour_per_migration"],
        450_000_000.0
    );
    assert_eq!(v["schedule"]["prestage_start"], "2026-11-30");
    assert_eq!(v["schedule"]["cutover"], "2026-12-04");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn default_concurrency_is_three_per_mbps_and_splits_the_link() {
    // 2 Mbps: concurrency 6, but only 2 mailboxes run, at 1 Mbps = 450,000,000 B/h each:
    // Ann (450 MB) ends after 1 h; Ben has 900 MB left alone on the full link (900,000,000
    // B/h): 2 h in all, which is also 1.8e9 B at the full link.
    let v = json(&mut estimate(&[
        "--bandwidth-mbps",
        "2",
        "--format",
        "json",
    ]));
    assert_eq!(v["assumptions"]["concurrency"], 6);
    assert_eq!(v["assumptions"]["in_flight"], 2);
    assert!(v["assumptions"]["concurrency_source"]
        .as_str()
        .unwrap()
        .contains("3 per 1 Mbps"));
    assert_eq!(v["mailboxes"][0]["hours"], 1.0);
    assert_eq!(v["mailboxes"][1]["hours"], 2.0);
    assert_eq!(v["hours"]["total"], 2.0);
}

#[test]
fn delegates_share_a_batch_even_when_batches_are_small() {
    let mut c = estimate(&[
        "--bandwidth-mbps",
        "1",
        "--batch-size",
        "1",
        "--format",
        "json",
    ]);
    c.arg("--permissions").arg(dir().join("permissions.csv"));
    let v = json(&mut c);
    assert_eq!(v["batches"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["batches"][0]["oversized"], true);
    assert_eq!(v["mailboxes"][1]["batch"], 1);
    // Without the permissions the two go in batches of their own.
    let v = json(&mut estimate(&[
        "--bandwidth-mbps",
        "1",
        "--batch-size",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(v["batches"].as_array().map(Vec::len), Some(2));
}

#[test]
fn csv_has_one_row_per_mailbox_with_exact_bytes() {
    estimate(&[
        "--bandwidth-mbps",
        "1",
        "--concurrency",
        "1",
        "--format",
        "csv",
    ])
    .assert()
    .success()
    .stdout(
        "identity,primary_smtp,bytes,archive_bytes,items,hours,batch\n\
             ann,ann@contoso.com,450000000,0,100,1.00,1\n\
             ben,ben@contoso.com,1350000000,450000000,250,3.00,2\n",
    );
}

#[test]
fn table_prints_the_assumptions_beside_the_schedule() {
    estimate(&[
        "--bandwidth-mbps",
        "1",
        "--concurrency",
        "1",
        "--recent-fraction",
        "0.25",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "cutover: Friday 2026-12-04 at 18:00",
    ))
    .stdout(predicate::str::contains(
        "pre-stage (items older than 90 days): start Monday 2026-11-30",
    ))
    .stdout(predicate::str::contains(
        "assumed 25% of each mailbox is newer than 90 days",
    ))
    .stdout(predicate::str::contains(
        "the link stays full while any runs, so elapsed = total bytes / (1 Mbps",
    ));
}

#[test]
fn settings_come_from_cutover_toml() {
    // 1 Mbps, concurrency 2 from the file, 2 mailboxes: 225,000,000 B/h each: Ann ends after
    // 2 h; Ben has 900 MB left alone at 450,000,000 B/h: 4 h, as 1.8e9 B at the full link.
    let v = json(
        cutover()
            .arg("estimate")
            .arg("--config")
            .arg(dir().join("cutover.toml"))
            .args(["--start", "2026-11-25", "--format", "json"]),
    );
    assert_eq!(v["assumptions"]["concurrency"], 2);
    assert_eq!(v["assumptions"]["prestage_days"], 30);
    assert_eq!(v["mailboxes"][0]["hours"], 2.0);
    assert_eq!(v["mailboxes"][1]["hours"], 4.0);
    assert_eq!(v["hours"]["total"], 4.0);
}

#[test]
fn a_malformed_size_is_a_finding_and_exit_1() {
    cutover()
        .arg("estimate")
        .arg("--mailboxes")
        .arg(dir().join("mailboxes.csv"))
        .arg("--stats")
        .arg(dir().join("stats-bad.csv"))
        .args(["--bandwidth-mbps", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stats-bad.csv:3: error[M001]"))
        .stderr(predicate::str::contains("stats-bad.csv:4: warning[M002]").not());
}

#[test]
fn usage_errors_exit_2_without_a_backtrace() {
    for args in [
        vec!["--format", "json"],
        vec!["--bandwidth-mbps", "0"],
        vec!["--bandwidth-mbps", "1", "--recent-fraction", "1.5"],
        vec!["--bandwidth-mbps", "1", "--concurrency", "0"],
    ] {
        estimate(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with("cutover: error:"))
            .stderr(predicate::str::contains("panicked").not());
    }
    cutover()
        .args([
            "estimate",
            "--bandwidth-mbps",
            "1",
            "--start",
            "next friday",
        ])
        .arg("--mailboxes")
        .arg(dir().join("mailboxes.csv"))
        .arg("--stats")
        .arg(dir().join("stats.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a date"));
    cutover()
        .args(["estimate", "--bandwidth-mbps", "1"])
        .arg("--stats")
        .arg(dir().join("stats.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--mailboxes"));
    cutover()
        .args([
            "estimate",
            "--bandwidth-mbps",
            "1",
            "--mailboxes",
            "/nonexistent/m.csv",
        ])
        .arg("--stats")
        .arg(dir().join("stats.csv"))
        .assert()
        .code(2);
}

#[test]
fn an_input_of_the_wrong_kind_or_without_its_columns_is_a_usage_error() {
    let users = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/users-playbook.csv");
    let run = |mailboxes: &Path, stats: &Path| {
        cutover()
            .arg("estimate")
            .arg("--mailboxes")
            .arg(mailboxes)
            .arg("--stats")
            .arg(stats)
            .args(["--bandwidth-mbps", "1"])
            .assert()
            .code(2)
            .stdout("")
    };
    run(&dir().join("mailboxes.csv"), &users).stderr(predicate::str::contains("--stats").and(
        predicate::str::contains("the header is that of a users file, not a mailbox-stats file"),
    ));
    run(&users, &dir().join("stats.csv")).stderr(predicate::str::contains(
        "the header is that of a users file, not a mailboxes file",
    ));
    let tmp = tempfile::tempdir().unwrap();
    let no_size = tmp.path().join("stats.csv");
    std::fs::write(&no_size, "MailboxGuid,ItemCount\nabc,1\n").unwrap();
    run(&dir().join("mailboxes.csv"), &no_size).stderr(predicate::str::contains(
        "needs the column(s) TotalItemSize",
    ));
}

#[test]
fn csv_neutralises_cells_a_spreadsheet_would_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mailboxes = tmp.path().join("mailboxes.csv");
    std::fs::write(
        &mailboxes,
        "Identity,ExchangeGuid,RecipientTypeDetails\n\
         \"contoso.com/Users/Lee, Ann \"\"AL\"\"\",11111111-1111-1111-1111-111111111111,UserMailbox\n\
         =cmd|calc,22222222-2222-2222-2222-222222222222,UserMailbox\n",
    )
    .unwrap();
    let stats = tmp.path().join("stats.csv");
    std::fs::write(
        &stats,
        "MailboxGuid,TotalItemSize,ItemCount\n\
         11111111-1111-1111-1111-111111111111,1024,1\n\
         22222222-2222-2222-2222-222222222222,1024,1\n",
    )
    .unwrap();
    let out = cutover()
        .arg("estimate")
        .arg("--mailboxes")
        .arg(&mailboxes)
        .arg("--stats")
        .arg(&stats)
        .args(["--bandwidth-mbps", "1", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[1],
        "\"contoso.com/Users/Lee, Ann \"\"AL\"\"\",,1024,0,1,0.00,1"
    );
    assert_eq!(rows[2], "'=cmd|calc,,1024,0,1,0.00,1");
}
