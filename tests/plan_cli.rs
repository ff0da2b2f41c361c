//! `cutover plan` end to end on the fixture project.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bundle")
        .join(name)
}

fn cutover() -> Command {
    Command::cargo_bin("cutover").unwrap()
}

#[test]
fn plan_writes_versioned_json_and_a_readable_plan_md() {
    let out = tempfile::tempdir().unwrap();
    cutover()
        .args(["plan", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("to create"));
    let json: serde_json::Value = cutover::plan::contract::read(out.path()).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(json["source_version"], "2010");
    let ids: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["ops"].as_array().unwrap())
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    for id in [
        "users:ensure:alice@contoso.com",
        "licences:assign:carol@contoso.com:o365_business_premium",
        "aliases:add:alice@contoso.com:smtp:a.obrien@contoso.com",
        "groups:ensure:sales@contoso.com",
        "contacts:ensure:partner@example.net",
        "members:add:allstaff@contoso.com:sales@contoso.com",
        "source-throttling:assign:contoso\\svc-migration",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let md = std::fs::read_to_string(out.path().join("PLAN.md")).unwrap();
    assert!(md.contains("## 07-users"));
    assert!(md.find("## 07-users").unwrap() < md.find("## 15-members").unwrap());
    let all = format!("{md}{json}");
    assert!(!all.contains("Pw!Fixture"), "password in the plan");
}

#[test]
fn plan_refuses_inputs_lint_rejects() {
    let out = tempfile::tempdir().unwrap();
    cutover()
        .args(["plan", "--config"])
        .arg(fixture("bad.toml"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "plan refused: lint reports 2 error(s)",
        ))
        .stderr(predicate::str::contains("U001"));
    assert!(!out.path().join("plan.json").exists());
}

#[test]
fn plan_with_state_shows_only_what_must_change() {
    let out = tempfile::tempdir().unwrap();
    cutover()
        .args(["plan", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--state")
        .arg(fixture("state.json"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let md = std::fs::read_to_string(out.path().join("PLAN.md")).unwrap();
    for line in [
        "- unchanged users:ensure:alice@contoso.com",
        "- create users:ensure:bob@contoso.com",
        "- unchanged licences:assign:alice@contoso.com:o365\\_business\\_premium",
        "- unchanged aliases:add:alice@contoso.com:smtp:a.obrien@contoso.com",
        "- unchanged domains:ensure:contoso.com",
        "- unchanged members:add:sales@contoso.com:alice@contoso.com",
        "- create members:add:allstaff@contoso.com:bob@contoso.com",
    ] {
        assert!(md.contains(line), "{line} not in\n{md}");
    }
}

#[test]
fn a_state_file_of_another_version_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, "{\"version\":9}").unwrap();
    cutover()
        .args(["plan", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--state")
        .arg(&state)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("version 9 is not supported"));
}

/// `plan` and `bundle` write plan.json and its data files through one writer: the same bytes,
/// and the bundle's manifest hashes the very files plan.json names.
#[test]
fn plan_and_bundle_write_the_same_contract() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, bundle) = (dir.path().join("plan"), dir.path().join("bundle"));
    cutover()
        .args(["plan", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--out")
        .arg(&plan)
        .assert()
        .success();
    cutover()
        .args(["bundle", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--out")
        .arg(&bundle)
        .arg("--secrets-out")
        .arg(dir.path().join("secrets.csv"))
        .assert()
        .success();
    let read = |p: &std::path::Path| std::fs::read(p).unwrap();
    assert_eq!(
        read(&plan.join("plan.json")),
        read(&bundle.join("plan.json"))
    );
    let json = cutover::plan::contract::read(&plan).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&bundle.join("manifest.json"))).unwrap();
    let hashed = |file: &str| {
        manifest["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["file"] == file)
            .map(|d| d["sha256"].clone())
    };
    let raw: serde_json::Value = serde_json::from_slice(&read(&plan.join("plan.json"))).unwrap();
    let mut files = 0;
    for (step, full) in raw["steps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(json["steps"].as_array().unwrap())
    {
        let Some(f) = step.get("ops_file") else {
            continue;
        };
        let file = f["file"].as_str().unwrap();
        assert_eq!(read(&plan.join(file)), read(&bundle.join(file)), "{file}");
        assert_eq!(hashed(file), Some(f["sha256"].clone()), "{file}");
        // The data file's rows are the step's operations (unchanged ones aside).
        assert_eq!(
            f["rows"].as_u64().unwrap() as usize,
            full["ops"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["change"] != "unchanged")
                .count()
        );
        files += 1;
    }
    assert!(files > 5, "{files} steps with a data file");
    assert!(!bundle.join("ops").exists());
}
