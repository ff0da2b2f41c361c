//! The playbook's own files, exactly as its steps describe them (users
//! `UserPrincipalName,FirstName,LastName,DisplayName,Password`, DLs `Name,Address` for
//! `New-DistributionGroup -Name $_.Name -PrimarySmtpAddress $_.Address`, members `DL,Alias`
//! for `Add-DistributionGroupMember -Identity $_.DL -Member $_.Alias`, Alias being the part of
//! the UPN before `@`), lint clean, plan every membership and bundle it.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const USERS: &str = "UserPrincipalName,FirstName,LastName,DisplayName,Password\r\n\
ann.lee@contoso.com,Ann,Lee,Ann Lee,Welcome-2026!\r\n\
bob.smith@contoso.com,Bob,Smith,Bob Smith,Spring#Tide7\r\n\
carol@contoso.com,Carol,Jones,Carol Jones,Autumn*Leaf9\r\n";

const DLS: &str = "Name,Address\r\nSales,sales@contoso.com\r\nAll Staff,all@contoso.com\r\n";

const MEMBERS: &str = "DL,Alias\r\n\
Sales,ann.lee\r\n\
Sales,bob.smith\r\n\
All Staff,ann.lee\r\n\
All Staff,bob.smith\r\n\
All Staff,carol\r\n\
All Staff,Sales\r\n";

fn write(dir: &Path) {
    std::fs::write(dir.join("users.csv"), USERS).unwrap();
    std::fs::write(dir.join("dls.csv"), DLS).unwrap();
    std::fs::write(dir.join("members.csv"), MEMBERS).unwrap();
}

fn cutover(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .args([
            "--domain",
            "contoso.com",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--usage-location",
            "US",
        ])
        .output()
        .unwrap()
}

const INPUTS: [&str; 6] = [
    "--users",
    "users.csv",
    "--groups",
    "dls.csv",
    "--members",
    "members.csv",
];

#[test]
fn the_playbook_files_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path());
    // Only the warning that the users file holds passwords.
    assert_lints_with_only_the_password_warning(dir.path(), "dls.csv");
}

#[test]
fn the_playbook_files_plan_and_bundle_every_membership() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path());
    let mut args = vec!["plan", "--out", "plan"];
    args.extend(INPUTS);
    let out = cutover(dir.path(), &args);
    assert!(out.status.success(), "{out:?}");
    let plan: Value = cutover::plan::contract::read(&dir.path().join("plan")).unwrap();
    let step = |id: &str| -> Vec<Value> {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["ops"].as_array().unwrap().clone())
            .unwrap_or_default()
    };
    let members: Vec<(String, String)> = step("15-members")
        .iter()
        .map(|o| {
            (
                o["values"][0].as_str().unwrap().to_string(),
                o["values"][1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("sales@contoso.com", "ann.lee@contoso.com"),
        ("sales@contoso.com", "bob.smith@contoso.com"),
        ("all@contoso.com", "ann.lee@contoso.com"),
        ("all@contoso.com", "bob.smith@contoso.com"),
        ("all@contoso.com", "carol@contoso.com"),
        ("all@contoso.com", "sales@contoso.com"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(g, m)| (g.to_string(), m.to_string()))
        .collect();
    assert_eq!(members, want);
    assert_eq!(plan["notes"], serde_json::json!([]));
    // The alias members were named by is the MailNickname the users step sets.
    let users = step("07-users");
    let nicknames: Vec<&str> = users
        .iter()
        .map(|o| o["values"][4].as_str().unwrap())
        .collect();
    assert_eq!(nicknames, ["ann.lee", "bob.smith", "carol"]);

    let mut args = vec!["bundle", "--out", "bundle", "--secrets-out", "secrets.csv"];
    args.extend(INPUTS);
    let out = cutover(dir.path(), &args);
    assert!(out.status.success(), "{out:?}");
    let data = std::fs::read_to_string(dir.path().join("bundle/data/15-members.csv")).unwrap();
    let rows: Vec<&str> = data
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 6, "{data}");
    assert!(
        rows.contains(&"all@contoso.com,sales@contoso.com"),
        "{data}"
    );
    // The ids, as the runner reads them (the file may leave them to the step's op_id template).
    let bundled = cutover::plan::contract::read(&dir.path().join("bundle")).unwrap();
    let ids: Vec<&str> = bundled["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == "15-members")
        .flat_map(|s| s["ops"].as_array().unwrap())
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert!(
        ids.contains(&"members:add:all@contoso.com:sales@contoso.com"),
        "{ids:?}"
    );
    assert!(dir.path().join("bundle/steps/15-members.ps1").is_file());
}

#[test]
fn a_synthetic_playbook_tenant_lints_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .args([
            "synth",
            "--format",
            "playbook",
            "--users",
            "2000",
            "--groups",
            "30",
            "--memberships",
            "4000",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let header = std::fs::read_to_string(dir.path().join("members.csv")).unwrap();
    assert!(header.starts_with("\u{feff}DL,Alias\r\n"), "{header:.40}");
    assert_lints_with_only_the_password_warning(dir.path(), "groups.csv");
}

/// `cutover lint` of users.csv, `groups` and members.csv in `dir`: exit 0 and one finding, U013
/// (the users file holds passwords).
fn assert_lints_with_only_the_password_warning(dir: &Path, groups: &str) {
    let out = cutover(
        dir,
        &[
            "lint",
            "--format",
            "json",
            "users.csv",
            groups,
            "members.csv",
        ],
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["U013"], "{json:#}");
    assert_eq!(out.status.code(), Some(0));
}
