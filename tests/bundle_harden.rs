//! Issue 9: the secrets file's real path, symlinks in and around a bundle, the bundle digest.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use sha2::Digest;

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

/// 9.4: `a/../BUNDLE/s.csv` through a folder that does not exist is inside the bundle; it is
/// refused before anything is written, and no secrets file is left anywhere.
#[test]
fn secrets_out_through_a_missing_folder_and_dotdot_is_refused_and_nothing_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = bundle(Path::new("b"));
    c.current_dir(dir.path())
        .args(["--secrets-out", "a/../b/s.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the bundle"));
    assert!(!dir.path().join("b/s.csv").exists());
    assert!(!dir.path().join("a").exists());
    // A correct path still works, and the file is written (after the bundle).
    let mut c = bundle(Path::new("b"));
    c.current_dir(dir.path())
        .args(["--secrets-out", "a/../secrets/s.csv"])
        .assert()
        .success();
    assert!(dir.path().join("secrets/s.csv").is_file());
    assert!(dir.path().join("b/manifest.json").is_file());
}

/// 9.4: a bundle refused after the secrets path was accepted leaves no secrets file.
#[test]
fn a_refused_bundle_leaves_no_secrets_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "not a bundle").unwrap();
    let secrets = dir.path().join("s.csv");
    bundle(&out)
        .arg("--secrets-out")
        .arg(&secrets)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not empty"));
    assert!(!secrets.exists());
}

/// 9.4: a symbolic link on the way into the bundle is seen through.
#[cfg(unix)]
#[test]
fn secrets_out_through_a_symlink_into_the_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&out, dir.path().join("link")).unwrap();
    bundle(&out)
        .arg("--secrets-out")
        .arg(dir.path().join("link/new/s.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("inside the bundle"));
    assert!(!out.join("new").exists());
}

/// 9.12: `cutover plan --out DIR` never writes through a symbolic link at DIR/plan.json.
#[cfg(unix)]
#[test]
fn plan_out_refuses_a_symlinked_plan_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    std::fs::create_dir(&out).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("plan.json")).unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .args(["plan", "--config"])
        .arg(fixture("cutover.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a symbolic link"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

/// 9.13: `bundle` prints the digest, PLAN.md shows it, and it is sha256 of manifest.json.
#[test]
fn bundle_prints_the_digest_and_plan_md_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let secrets = dir.path().join("s.csv");
    let assert = bundle(&out)
        .arg("--secrets-out")
        .arg(&secrets)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let manifest = std::fs::read(out.join("manifest.json")).unwrap();
    let digest: String = sha2::Sha256::digest(&manifest)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        stdout.contains(&format!("bundle digest: {digest}")),
        "{stdout}"
    );
    let plan = std::fs::read_to_string(out.join("PLAN.md")).unwrap();
    assert!(
        plan.contains(&format!("cutover run BUNDLE --expect-digest {digest}")),
        "{plan}"
    );
}
