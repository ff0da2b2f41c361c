//! Defects a review of the generated scripts found, pinned so they cannot come back.

use std::path::Path;

use assert_cmd::Command;

fn bundle(version: &str, dir: &Path) -> std::path::PathBuf {
    let samples = dir.join("samples");
    cutover::demo::write_samples(&samples).unwrap();
    let toml = samples.join("cutover.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text = text.replace(
        "[source]\n",
        "[source]\nmigration_account = \"CONTOSO\\\\svc-migrate\"\n",
    );
    assert!(text.contains("svc-migrate"), "{text}");
    std::fs::write(&toml, text).unwrap();
    let out = dir.join(format!("b-{version}"));
    Command::cargo_bin("cutover")
        .unwrap()
        .args(["bundle", "--config"])
        .arg(&toml)
        .args(["--source-version", version, "--out"])
        .arg(&out)
        .arg("--secrets-out")
        .arg(dir.join(format!("s-{version}.csv")))
        .assert()
        .success();
    out
}

fn step(out: &Path, name: &str) -> String {
    let path = std::fs::read_dir(out.join("steps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(name))
        .unwrap_or_else(|| panic!("no {name} step in {}", out.display()));
    std::fs::read_to_string(path).unwrap()
}

/// Get-ThrottlingPolicyAssociation objects carry ThrottlingPolicyId; reading a
/// `.ThrottlingPolicy` property fails under Set-StrictMode and is always empty without it.
#[test]
fn throttling_steps_read_the_association_by_policy_id() {
    let dir = tempfile::tempdir().unwrap();
    let property = regex::Regex::new(r"\]\.ThrottlingPolicy\b").unwrap();
    for version in ["2010", "2016", "SE"] {
        let out = bundle(version, dir.path());
        for name in ["source-throttling.ps1", "source-throttling-revert"] {
            let script = step(&out, name);
            assert!(!property.is_match(&script), "{version} {name}");
            assert!(script.contains("ThrottlingPolicyId"), "{version} {name}");
        }
    }
}

/// PowerShell 2.0 runs `foreach ($r in $null)` once: an empty data file must give an empty
/// array, so every step wraps its rows in @().
#[test]
fn every_step_reads_its_rows_as_an_array() {
    let dir = tempfile::tempdir().unwrap();
    for version in ["2007", "2010", "2016"] {
        let out = bundle(version, dir.path());
        for e in std::fs::read_dir(out.join("steps")).unwrap() {
            let path = e.unwrap().path();
            let script = std::fs::read_to_string(&path).unwrap();
            let rows: Vec<&str> = script
                .lines()
                .filter(|l| l.trim_start().starts_with("$Rows ="))
                .collect();
            assert!(!rows.is_empty(), "{}", path.display());
            for l in rows {
                assert!(l.contains("= @("), "{}: {l}", path.display());
            }
        }
    }
}
