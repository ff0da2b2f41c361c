//! `[migration]` on the demo project: the schedule in PLAN.md (reviewed snapshot of its
//! section), plan.json and the bundle's mailbox list, and a schedule that cannot fit refused.

mod samples_config;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn cutover() -> Command {
    Command::cargo_bin("cutover").unwrap()
}

/// The demo samples with `migration` as their `[migration]` table.
fn project(dir: &Path, migration: &str) -> PathBuf {
    let samples = dir.join("samples");
    cutover::demo::write_samples(&samples).unwrap();
    let config = samples.join("cutover.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = samples_config::with_migration(&text, migration);
    std::fs::write(&config, text).unwrap();
    config
}

const MIGRATION: &str = "engine = \"migrationwiz\"\nprestage_start = 2027-01-11\nwave_size = 4\ncustomer = \"Contoso\"\n";

/// PLAN.md's migration section alone (the steps around it belong to other features).
fn section(md: &str) -> &str {
    let start = md
        .find("## Mailbox migration")
        .expect("a migration section");
    let rest = &md[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 4);
    &rest[..end]
}

#[test]
fn the_schedule_is_in_plan_md_plan_json_and_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let config = project(dir.path(), MIGRATION);
    let out = dir.path().join("plan");
    cutover()
        .args(["plan", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "migration: migrationwiz, 7 mailboxes in 2 waves; pre-stage 5.5 h (mail before 2026-10-17); full pass 0.6 h",
        ));
    let md = std::fs::read_to_string(out.join("PLAN.md")).unwrap();
    insta::assert_snapshot!("plan_md_migration", section(&md));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("plan.json")).unwrap()).unwrap();
    let m = &json["migration"];
    assert_eq!(m["engine"], "migrationwiz");
    assert_eq!(m["item_end_date"], "2026-10-17");
    assert_eq!(m["data_file"], "data/migration-mailboxes.csv");
    // A summary per wave, not the mailbox list (that is the data file's).
    let counts: Vec<u64> = m["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["mailbox_count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 7);
    assert!(m["waves"][0].get("mailboxes").is_none());

    let bundle = dir.path().join("bundle");
    cutover()
        .args(["bundle", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&bundle)
        .arg("--secrets-out")
        .arg(dir.path().join("secrets.csv"))
        .assert()
        .success();
    let csv = std::fs::read_to_string(bundle.join("data/migration-mailboxes.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}Wave,SourceAddress,TargetUpn,ItemEndDate,EstimatedBytes,EstimatedItems,User")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 7);
    let wave = |who: &str| rows.iter().find(|r| r[1] == who).map(|r| r[0]).unwrap();
    // Delegates move together: Sales with its FullAccess holders, Ann with Priya (SendOnBehalf).
    assert_eq!(wave("sales@contoso.com"), wave("ann.lee@contoso.com"));
    assert_eq!(wave("priya.nair@contoso.com"), wave("ann.lee@contoso.com"));
    assert_eq!(
        wave("boardroom@contoso.com"),
        wave("zoe.mueller@contoso.com")
    );
    assert!(rows.iter().all(|r| r[3] == "2026-10-17"));
    let manifest = std::fs::read_to_string(bundle.join("manifest.json")).unwrap();
    assert!(manifest.contains("data/migration-mailboxes.csv"));
}

#[test]
fn a_pre_stage_that_cannot_fit_is_refused_with_the_hours_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = project(dir.path(), &MIGRATION.replace("2027-01-11", "2027-01-14"));
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("bandwidth_mbps = 10", "bandwidth_mbps = 1");
    std::fs::write(&config, text).unwrap();
    cutover()
        .args(["lint", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("S009").and(predicate::str::contains("hours missing")));
    cutover()
        .args(["plan", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("plan"))
        .assert()
        .code(1);
}
