//! The generator's own output must pass `cutover check`: every step of a bundle for the
//! samples, for every source version and both identity modes, against the step's target.

use assert_cmd::Command;
use serde_json::Value;

fn cutover() -> Command {
    Command::cargo_bin("cutover").expect("binary")
}

#[test]
fn every_generated_step_passes_check_for_its_target() {
    let config = format!("{}/samples/cutover.toml", env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("tempdir");
    for version in ["2003", "2007", "2010", "2013", "2016", "2019", "SE"] {
        for identity in ["cloud", "synced"] {
            let out = work.path().join(format!("{version}-{identity}"));
            let secrets = work.path().join(format!("{version}-{identity}.secrets"));
            cutover()
                .args(["bundle", "--config", &config, "--source-version", version])
                .args(["--identity", identity, "--out"])
                .arg(&out)
                .arg("--secrets-out")
                .arg(&secrets)
                .assert()
                .code(0);
            let report = cutover()
                .args(["check", "--format", "json", "--bundle"])
                .arg(&out)
                .output()
                .expect("run check");
            let v: Value = serde_json::from_slice(&report.stdout).expect("json report");
            let problems: Vec<&Value> = v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter(|f| f["severity"] != "info")
                .collect();
            assert!(
                problems.is_empty() && report.status.code() == Some(0),
                "{version} {identity}: {problems:#?}"
            );
            // The module is checked against the targets of the steps that load it: its
            // jump-box connection functions are not "missing" on the source server.
            let ps005: Vec<&Value> = v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter(|f| f["code"] == "PS005")
                .collect();
            assert!(ps005.is_empty(), "{version} {identity}: {ps005:#?}");
            let checked = v["files"].as_array().map_or(0, Vec::len);
            assert!(
                checked >= 2,
                "{version} {identity}: only {checked} files checked"
            );
        }
    }
}
