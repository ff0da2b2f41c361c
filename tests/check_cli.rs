//! `cutover check` as users run it: exit codes, formats, files checked together.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn fixture(path: &str) -> String {
    format!("{}/tests/fixtures/check/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn cutover() -> Command {
    Command::cargo_bin("cutover").expect("binary")
}

#[test]
fn clean_script_exits_zero() {
    cutover()
        .args([
            "check",
            &fixture("good/exchange2016.ps1"),
            "--target",
            "exchange2016",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 errors"));
}

#[test]
fn errors_exit_one_with_file_line_and_code() {
    let out = cutover()
        .args([
            "check",
            &fixture("playbook/alias-loop.ps1"),
            "--target",
            "exchangeOnline",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("alias-loop.ps1:6: error[PS001] "), "{text}");
    assert!(text.contains("  help: "), "{text}");
}

#[test]
fn warnings_alone_exit_zero() {
    cutover()
        .args([
            "check",
            &fixture("playbook/set-limits.ps1"),
            "--target",
            "exchangeOnline",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warning[PS020]"));
}

#[test]
fn exchange2003_is_a_usage_error_that_explains() {
    cutover()
        .args([
            "check",
            &fixture("good/exchange2010.ps1"),
            "--target",
            "exchange2003",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no Exchange Management Shell"));
    cutover()
        .args([
            "check",
            &fixture("good/exchange2010.ps1"),
            "--target",
            "exchange5",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exchangeOnline"));
}

#[test]
fn missing_file_is_an_io_error() {
    cutover()
        .args(["check", "does-not-exist.ps1", "--target", "graph"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does-not-exist.ps1"));
}

#[test]
fn json_has_the_lint_shape() {
    let out = cutover()
        .args([
            "check",
            &fixture("playbook/connect-exo-basic.ps1"),
            "--target",
            "exchangeOnline",
            "--format",
            "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["files"].as_array().map(Vec::len), Some(1));
    let findings = v["findings"].as_array().expect("findings");
    assert!(findings
        .iter()
        .any(|f| f["code"] == "PS012" && f["line"] == 7));
    assert_eq!(v["summary"]["errors"].as_u64(), Some(findings.len() as u64));
}

#[test]
fn sarif_lists_rules_and_results() {
    let out = cutover()
        .args([
            "check",
            &fixture("playbook/set-limits.ps1"),
            "--target",
            "exchangeOnline",
            "--format",
            "sarif",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).expect("sarif json");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert!(run["tool"]["driver"]["rules"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["id"] == "PS020")));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "PS020");
    assert_eq!(result["level"], "warning");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
}

#[test]
fn functions_from_a_module_given_together_are_known() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = dir.path().join("Cutover.psm1");
    let step = dir.path().join("01-step.ps1");
    std::fs::write(
        &module,
        "function Write-CutoverResult {\n  param($Op)\n  $Op\n}\nExport-ModuleMember -Function Write-CutoverResult\n",
    )
    .expect("write");
    std::fs::write(&step, "Write-CutoverResult -Op 'x'\n").expect("write");
    let alone = cutover()
        .args([
            "check",
            step.to_str().expect("path"),
            "--target",
            "exchangeOnline",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&alone).contains("PS004"));
    let together = cutover()
        .args([
            "check",
            step.to_str().expect("path"),
            module.to_str().expect("path"),
            "--target",
            "exchangeOnline",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&together);
    assert!(!text.contains("PS004"), "{text}");
    assert!(text.contains("checked 2 files"), "{text}");
}

#[test]
fn bom_and_utf16_scripts_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let utf8 = dir.path().join("bom.ps1");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("New-MsolUser -UserPrincipalName a\n".as_bytes());
    std::fs::write(&utf8, bytes).expect("write");
    let utf16 = dir.path().join("utf16.ps1");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Connect-MsolService\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(&utf16, bytes).expect("write");
    for f in [utf8, utf16] {
        cutover()
            .args(["check", f.to_str().expect("path"), "--target", "graph"])
            .assert()
            .code(1)
            .stdout(predicate::str::contains("PS010"));
    }
}

#[test]
fn human_output_for_the_playbook_connect_script() {
    let out = cutover()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "tests/fixtures/check/playbook/connect-exo-basic.ps1",
            "tests/fixtures/check/playbook/set-limits.ps1",
            "--target",
            "exchangeOnline",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!(String::from_utf8_lossy(&out));
}

fn write_bundle(dir: &std::path::Path, source_step: &str, module: &str) {
    std::fs::create_dir_all(dir.join("steps")).expect("mkdir");
    std::fs::create_dir_all(dir.join("modules")).expect("mkdir");
    std::fs::write(dir.join("steps/03-source-impersonation.ps1"), source_step).expect("write");
    std::fs::write(
        dir.join("steps/07-users.ps1"),
        "Connect-CutoverGraph\n$u = @{ DisplayName = 'd'; AccountEnabled = $true }\nNew-MgUser @u\n",
    )
    .expect("write");
    std::fs::write(dir.join("modules/Cutover.psm1"), module).expect("write");
    let step = |id: &str, file: &str, target: &str| {
        serde_json::json!({
            "id": id, "title": id, "file": file, "target": target, "runs_on": "jump-box",
            "shell": "pwsh-7", "sha256": "0", "ops": 0
        })
    };
    let manifest = serde_json::json!({
        "format": 1, "generator": "test", "source_version": "2010", "identity": "cloud",
        "tenant": null,
        "steps": [
            step("00-by-hand", "steps/00-by-hand.ps1", "exchange2003"),
            step("03-source-impersonation", "steps/03-source-impersonation.ps1", "exchange2010"),
            step("07-users", "steps/07-users.ps1", "graph"),
        ],
        "data": [],
        "modules": [{"file": "modules/Cutover.psm1", "sha256": "0"}],
    });
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).expect("write");
}

#[test]
fn bundle_mode_checks_each_step_against_its_own_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module =
        "function Connect-CutoverGraph {\n    Connect-MgGraph -Scopes 'User.ReadWrite.All'\n}\n";
    write_bundle(
        dir.path(),
        "New-ManagementRoleAssignment -Name n -Role ApplicationImpersonation -User svc\n",
        module,
    );
    let out = cutover()
        .args([
            "check",
            "--bundle",
            dir.path().to_str().expect("path"),
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).expect("json");
    let targets: Vec<_> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["target"].as_str().unwrap_or_default().to_string())
        .collect();
    // The 2003 step is skipped; the module is checked against the targets of the steps that
    // load it (here every step, none names it): its Graph function is not "missing" on 2010.
    assert_eq!(targets, ["exchange2010", "graph", "exchange2010,graph"]);
    assert_eq!(v["summary"]["errors"], 0, "{v}");

    // A PowerShell 3.0 feature in the module breaks the Exchange 2010 step that imports it.
    write_bundle(
        dir.path(),
        "New-ManagementRoleAssignment -Name n -Role ApplicationImpersonation -User svc\n",
        "function Write-CutoverJson {\n    param($o)\n    $o | ConvertTo-Json\n}\n",
    );
    cutover()
        .args(["check", "--bundle", dir.path().to_str().expect("path")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Cutover.psm1:3: error[PS030]"));
}

#[test]
fn bundle_mode_refuses_a_missing_or_foreign_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    cutover()
        .args(["check", "--bundle", dir.path().to_str().expect("path")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("manifest.json"));
    write_bundle(dir.path(), "Get-Mailbox -ResultSize Unlimited\n", "");
    let manifest = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(
        &manifest,
        text.replace("steps/07-users.ps1", "../outside.ps1"),
    )
    .expect("write");
    cutover()
        .args(["check", "--bundle", dir.path().to_str().expect("path")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a path inside the bundle"));
    std::fs::write(dir.path().join("manifest.json"), "{\"format\": 9}").expect("write");
    cutover()
        .args(["check", "--bundle", dir.path().to_str().expect("path")])
        .assert()
        .code(2);
    cutover()
        .args(["check", "x.ps1", "--bundle", "b", "--target", "graph"])
        .assert()
        .code(2);
    cutover().args(["check", "x.ps1"]).assert().code(2);
}

#[test]
fn several_targets_separated_by_commas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("jump.ps1");
    std::fs::write(
        &script,
        "Connect-ExchangeOnline\nConnect-MgGraph -Scopes 'User.Read.All'\n",
    )
    .expect("write");
    let path = script.to_str().expect("path");
    cutover()
        .args(["check", path, "--target", "exchangeOnline"])
        .assert()
        .code(1);
    let out = cutover()
        .args([
            "check",
            path,
            "--target",
            "exchangeOnline,graph",
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["files"][0]["target"], "exchangeOnline,graph");
    cutover()
        .args(["check", path, "--target", "graph,exchange2003"])
        .assert()
        .code(2);
    cutover()
        .args(["check", path, "--target", ","])
        .assert()
        .code(2);
}
