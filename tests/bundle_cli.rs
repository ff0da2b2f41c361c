//! `cutover bundle` end to end on the fixture project.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bundle")
        .join(name)
}

fn bundle(out: &Path) -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    c.args(["bundle", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--out")
        .arg(out);
    c
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn passwords_require_a_secrets_file_outside_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    bundle(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--secrets-out"));
    assert!(!out.exists(), "nothing written on refusal");
    bundle(&out)
        .arg("--secrets-out")
        .arg(out.join("secrets.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the bundle"));
    let secrets = dir.path().join("secrets.csv");
    bundle(&out)
        .arg("--secrets-out")
        .arg(&secrets)
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote 3 password(s)"));
    let s = std::fs::read_to_string(&secrets).unwrap();
    assert!(s.contains("alice@contoso.com,Pw!Fixture-Alice-9"));
    for f in all_files(&out) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains("Pw!Fixture"), "password in {}", f.display());
    }
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("cutover run BUNDLE --secrets FILE"));
}

#[test]
fn a_non_empty_out_folder_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("s.csv");
    let out = dir.path().join("b");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    bundle(&out)
        .arg("--secrets-out")
        .arg(&secrets)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert!(
        !secrets.exists(),
        "secrets not written when the bundle is refused"
    );
    bundle(&out)
        .arg("--secrets-out")
        .arg(&secrets)
        .arg("--force")
        .assert()
        .success();
    assert!(out.join("manifest.json").is_file());
}

#[test]
fn synced_identities_need_no_secrets_and_set_aliases_on_premises() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    bundle(&out)
        .args(["--identity", "synced"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "3 password(s) in the users file ignored",
        ));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["identity"], "synced");
    let steps = m["steps"].as_array().unwrap();
    let aliases = steps.iter().find(|s| s["id"] == "11-aliases").unwrap();
    assert_eq!(aliases["runs_on"], "source-server");
    assert_eq!(aliases["target"], "exchange2010");
    assert!(steps.iter().all(|s| s["id"] != "07-users"));
    let mw = std::fs::read_to_string(out.join("data/migrationwiz-bulk-add.csv")).unwrap();
    assert!(mw.starts_with("\u{feff}Source Email,Destination Email\r\n"));
    assert!(mw.contains("alice@contoso.com,alice@contoso.com"));
}

#[test]
fn bundle_refuses_inputs_lint_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    Command::cargo_bin("cutover")
        .unwrap()
        .args(["bundle", "--config"])
        .arg(fixture("bad.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bundle refused"));
    assert!(!out.exists());
}

mod common;

#[test]
fn every_version_and_identity_mode_bundles_the_fixture_into_parseable_scripts() {
    let users = std::fs::read_to_string(fixture("users.csv")).unwrap();
    let hostile = [
        "Alice O'Brien; $(Remove-Item C:\\)",
        "Bob `whoami` | Out-File x",
        "Carol ‘Nguyễn’ @{Add=1}",
    ];
    for h in hostile {
        assert!(users.contains(h), "fixture lost {h}");
    }
    for version in ["2003", "2007", "2010", "2013", "2016", "2019", "SE"] {
        for identity in ["cloud", "synced"] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("b");
            bundle(&out)
                .args(["--source-version", version, "--identity", identity])
                .arg("--secrets-out")
                .arg(dir.path().join("s.csv"))
                .assert()
                .success();
            let mut scripts = 0;
            for f in all_files(&out) {
                if !common::is_script(&f) {
                    continue;
                }
                scripts += 1;
                let bytes = std::fs::read(&f).unwrap();
                assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{}", f.display());
                let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
                let errs = common::parse_errors(&text);
                assert!(
                    errs.is_empty(),
                    "{version} {identity} {}: {errs:?}",
                    f.display()
                );
                for h in hostile {
                    assert!(
                        !text.contains(h),
                        "{version} {identity}: {h} in {}",
                        f.display()
                    );
                }
            }
            assert!(scripts >= 10, "{version} {identity}: {scripts} scripts");
        }
    }
}

#[test]
fn secrets_out_into_a_new_folder_creates_it_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let secrets = dir.path().join("new/sub/secrets.csv");
    bundle(&out)
        .arg("--secrets-out")
        .arg(&secrets)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&secrets)
        .unwrap()
        .contains("alice@contoso.com"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secrets), 0o600);
        assert_eq!(mode(&dir.path().join("new/sub")), 0o700);
    }
    // Into a folder that would be inside the bundle: refused, and no folder made there.
    let out2 = dir.path().join("b2");
    bundle(&out2)
        .arg("--secrets-out")
        .arg(out2.join("later/secrets.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the bundle"));
    assert!(!out2.join("later").exists());
}
