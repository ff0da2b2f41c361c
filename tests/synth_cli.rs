//! `cutover synth` writes a tenant that lints clean, the same for the same seed.

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn synthetic_tenant_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .args([
            "synth",
            "--users",
            "3000",
            "--groups",
            "40",
            "--memberships",
            "6000",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args([
            "lint",
            "--format",
            "json",
            "--domain",
            "contoso.com",
            "--strict",
        ])
        .arg(dir.path().join("users.csv"))
        .arg(dir.path().join("groups.csv"))
        .arg(dir.path().join("members.csv"))
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<u64> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [3000, 40, 6000]);
}

#[test]
fn init_writes_a_project_that_lints() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .arg("init")
        .arg(dir.path())
        .assert()
        .success();
    // Header-only templates: nothing to complain about yet.
    Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--strict"])
        .assert()
        .success();
    // A second init refuses to overwrite.
    Command::cargo_bin("cutover")
        .unwrap()
        .arg("init")
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn rules_lists_every_lint_code_in_each_format() {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for code in [
        "F001", "F014", "U001", "U016", "A001", "A006", "D001", "D009", "G001", "G011",
    ] {
        assert!(codes.contains(&code), "{code}");
    }
    for format in ["human", "markdown"] {
        let out = Command::cargo_bin("cutover")
            .unwrap()
            .args(["rules", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("U002") && text.contains("upn-syntax"),
            "{format}"
        );
    }
}
