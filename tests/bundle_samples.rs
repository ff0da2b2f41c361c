//! The built-in samples, bundled for every source version x both identity modes: scripts parse,
//! carry no sample value, and no sample password is anywhere in the bundle.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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

/// Column values of a sample CSV, by header name.
fn column(path: &Path, name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let i = headers.iter().position(|h| h == name).unwrap();
    r.records()
        .map(|x| x.unwrap()[i].to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
fn samples_bundle_for_every_version_and_identity_mode() {
    let dir = tempfile::tempdir().unwrap();
    let samples = dir.path().join("samples");
    cutover::demo::write_samples(&samples).unwrap();
    let passwords = column(&samples.join("users.csv"), "Password");
    let mut values = column(&samples.join("users.csv"), "DisplayName");
    values.extend(column(&samples.join("users.csv"), "UserPrincipalName"));
    values.extend(column(&samples.join("groups.csv"), "DisplayName"));
    values.extend(column(&samples.join("members.csv"), "Member"));
    assert!(passwords.len() >= 5 && values.len() >= 10);
    for version in ["2003", "2007", "2010", "2013", "2016", "2019", "SE"] {
        for identity in ["cloud", "synced"] {
            let out = dir.path().join(format!("b-{version}-{identity}"));
            let secrets = dir.path().join(format!("s-{version}-{identity}.csv"));
            Command::cargo_bin("cutover")
                .unwrap()
                .args(["bundle", "--config"])
                .arg(samples.join("cutover.toml"))
                .args(["--source-version", version, "--identity", identity, "--out"])
                .arg(&out)
                .arg("--secrets-out")
                .arg(&secrets)
                .assert()
                .success();
            assert_eq!(secrets.exists(), identity == "cloud");
            let mut scripts = 0;
            for f in all_files(&out) {
                let bytes = std::fs::read(&f).unwrap();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                for p in &passwords {
                    assert!(
                        !text.contains(p.as_str()),
                        "{version} {identity}: password in {}",
                        f.display()
                    );
                }
                if common::is_script(&f) {
                    scripts += 1;
                    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{}", f.display());
                    let errs = common::parse_errors(&text[3..]);
                    assert!(
                        errs.is_empty(),
                        "{version} {identity} {}: {errs:?}",
                        f.display()
                    );
                    for v in &values {
                        assert!(
                            !text.contains(v.as_str()),
                            "{version} {identity}: {v} in {}",
                            f.display()
                        );
                    }
                }
            }
            assert!(scripts >= 10, "{version} {identity}: {scripts}");
            let m: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
            for s in m["steps"].as_array().unwrap() {
                let bytes = std::fs::read(out.join(s["file"].as_str().unwrap())).unwrap();
                assert_eq!(
                    cutover::bundle::sha256_hex(&bytes),
                    s["sha256"].as_str().unwrap()
                );
            }
        }
    }
}

fn sample_bundle(dir: &Path, identity: &str) -> (PathBuf, serde_json::Value) {
    let samples = dir.join("samples");
    if !samples.exists() {
        cutover::demo::write_samples(&samples).unwrap();
    }
    let out = dir.join(format!("b-{identity}"));
    Command::cargo_bin("cutover")
        .unwrap()
        .args(["bundle", "--config"])
        .arg(samples.join("cutover.toml"))
        .args(["--source-version", "2016", "--identity", identity, "--out"])
        .arg(&out)
        .arg("--secrets-out")
        .arg(dir.join(format!("s-{identity}.csv")))
        .assert()
        .success();
    let m = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    (out, m)
}

fn step_ids(m: &serde_json::Value) -> Vec<String> {
    m["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sample_shared_and_room_mailboxes_are_created_migrated_and_granted_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    for (identity, step) in [
        ("cloud", "10-shared-mailboxes"),
        ("synced", "10-shared-mailboxes-verify"),
    ] {
        let (out, m) = sample_bundle(dir.path(), identity);
        let ids = step_ids(&m);
        let at = |id: &str| ids.iter().position(|s| s == id);
        assert!(at(step).is_some(), "{identity}: {ids:?}");
        assert!(at(step) < at("17-permissions"), "{identity}: {ids:?}");
        let data = std::fs::read_to_string(out.join(format!("data/{step}.csv"))).unwrap();
        assert!(
            data.contains("sales@contoso.com") && data.contains(",Shared"),
            "{data}"
        );
        assert!(
            data.contains("boardroom@contoso.com") && data.contains(",Room"),
            "{data}"
        );
        let mw = std::fs::read_to_string(out.join("data/migrationwiz-bulk-add.csv")).unwrap();
        assert!(
            mw.contains("sales@contoso.com,sales@contoso.com\r\n"),
            "{mw}"
        );
        assert!(
            mw.contains("boardroom@contoso.com,boardroom@contoso.com\r\n"),
            "{mw}"
        );
        assert!(
            mw.contains("ann.lee@contoso.com,ann.lee@contoso.com\r\n"),
            "{mw}"
        );
        let dp = std::fs::read_to_string(out.join("data/deploymentpro-users.csv")).unwrap();
        assert!(
            dp.contains("ann.lee@contoso.com")
                && !dp.contains("sales@")
                && !dp.contains("boardroom@"),
            "{dp}"
        );
    }
}

#[test]
fn sample_mailbox_export_addresses_become_the_alias_step() {
    let dir = tempfile::tempdir().unwrap();
    let (out, m) = sample_bundle(dir.path(), "cloud");
    assert!(step_ids(&m).contains(&"11-aliases".to_string()));
    let data = std::fs::read_to_string(out.join("data/11-aliases.csv")).unwrap();
    assert!(
        data.contains("ann.lee@contoso.com,x500:/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ann.lee"),
        "{data}"
    );
    assert!(data.contains("sales@contoso.com,x500:"), "{data}");
}

#[test]
fn sample_manifest_marks_gates_and_the_post_cutover_check() {
    let dir = tempfile::tempdir().unwrap();
    for identity in ["cloud", "synced"] {
        let (out, m) = sample_bundle(dir.path(), identity);
        let steps = m["steps"].as_array().unwrap();
        let gates: Vec<&str> = steps
            .iter()
            .filter(|s| s["gate"] == true)
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        let want: &[&str] = if identity == "cloud" {
            &[
                "00-preflight-exchange",
                "01-preflight",
                "06-domains",
                "07-users",
                "10-shared-mailboxes",
                // No MigrationWiz project, no mailbox moves.
                "30-mw-project",
            ]
        } else {
            &[
                "00-preflight-exchange",
                "01-preflight",
                "06-domains",
                "07-users-verify",
                "10-shared-mailboxes-verify",
                "30-mw-project",
            ]
        };
        // The samples set no licence, so there is no 09-mailboxes-verify (plan tests cover it).
        assert!(!step_ids(&m).contains(&"09-mailboxes-verify".to_string()));
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(!readme.contains("09-mailboxes-verify") && readme.contains("No licence is set"));
        // Synced: every sample alias comes from the export, so it is already on premises.
        assert_eq!(
            readme.contains("the inputs name no address the source mailboxes lack"),
            identity == "synced"
        );
        assert_eq!(gates, want);
        for s in steps {
            let want = match s["id"].as_str().unwrap() {
                "19-mail-flow" => "post-cutover",
                // The sample sets [migration] engine = "migrationwiz": its full pass follows the MX change.
                "80-mw-full" => "post-cutover",
                // The sample sets [notices] sender and [schedule] cutover.
                "21-notices-send" => "notices",
                _ => "migrate",
            };
            assert_eq!(s["phase"], want, "{}", s["id"]);
        }
    }
}
