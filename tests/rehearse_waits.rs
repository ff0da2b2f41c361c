//! Issue 18, end to end in the real pwsh against the simulated tenant (`cutover rehearse`):
//! with long provisioning delays (mailboxes after about 30 virtual minutes) a wait budget
//! shorter than the delays leaves every unfinished operation `failed` with the wait named and
//! none missing from the journal; resuming after the delay completes the plan with no other
//! operator command; the console and journal say how long each step waited and for what.

mod common;
mod pwsh;
mod support;

use std::path::Path;

use assert_cmd::Command;
use common::{project, tenant, write_bundle};
use cutover::project::{IdentityMode, SourceVersion};
use support::{records, run_json};

/// The latest rehearsal journal (`BUNDLE/rehearsals/<id>`).
fn latest_rehearsal(bundle: &Path) -> Option<std::path::PathBuf> {
    let mut runs: Vec<_> = std::fs::read_dir(bundle.join("rehearsals"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("run.json").is_file())
        .collect();
    runs.sort();
    runs.pop()
}

fn rehearse(bundle: &Path, home: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .arg("rehearse")
        .arg(bundle)
        .arg("--pwsh")
        .arg(pwsh::path())
        .args(["--delays", "long"])
        .args(args)
        .env("HOME", home)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_short_wait_fails_with_the_wait_named_and_resume_completes_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("bundle");
    let mut p = project(SourceVersion::Ex2016, IdentityMode::Cloud);
    p.licence_sku = Some("EXCHANGESTANDARD".into());
    // No source throttling steps: this test is about waiting in the cloud steps.
    p.migration_account = None;
    write_bundle(&p, &tenant(5), &b);

    let (code, text) = rehearse(&b, dir.path(), &["--wait", "2m"]);
    assert_eq!(code, 1, "{text}");
    let run = latest_rehearsal(&b).unwrap_or_else(|| panic!("{text}"));
    let recs = records(&run);
    let verify: Vec<_> = recs
        .iter()
        .filter(|r| r["step"] == "09-mailboxes-verify")
        .collect();
    assert_eq!(verify.len(), 5, "one record per planned mailbox: {recs:?}");
    for r in &verify {
        assert_eq!(r["status"], "failed", "{r}");
        let e = r["error"].as_str().unwrap();
        assert!(
            e.contains("couldn't be found") && e.contains("cutover run --wait"),
            "{e}"
        );
    }
    assert!(
        text.contains("09-mailboxes-verify: waited 2 min for mailboxes provisioned: 0/5 there"),
        "{text}"
    );
    let meta = run_json(&run);
    let note = meta["invocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["step"] == "09-mailboxes-verify")
        .and_then(|i| i["note"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        note.contains("waited 2 min for mailboxes provisioned"),
        "{meta}"
    );

    // After the delay (the default 30-minute budget), resuming goes through the gate and every
    // step after it with no other command: no operation is left failing for a missing object.
    let (_, text) = rehearse(&b, dir.path(), &["--resume"]);
    let recs = records(&latest_rehearsal(&b).unwrap());
    let last = |op: &str| {
        recs.iter()
            .rev()
            .find(|r| r["op"] == op)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    for r in recs.iter().filter(|r| r["step"] == "09-mailboxes-verify") {
        let op = r["op"].as_str().unwrap();
        assert_eq!(last(op).as_deref(), Some("unchanged"), "{op}: {text}");
    }
    for r in &recs {
        let e = r["error"].as_str().unwrap_or_default();
        let still = last(r["op"].as_str().unwrap()).as_deref() == Some("failed");
        assert!(
            !(still && e.contains("cutover run --wait")),
            "still missing after the wait: {r}\n{text}"
        );
    }
    // 16-limits: one operation per planned mailbox (5 users, 2 resource mailboxes), each set.
    let limits: Vec<_> = recs
        .iter()
        .filter(|r| {
            r["step"] == "16-limits" && r["op"].as_str().unwrap().starts_with("limits:set:mailbox:")
        })
        .collect();
    assert_eq!(limits.len(), 7, "{limits:?}");
    assert!(
        limits.iter().all(|r| r["status"] == "updated"),
        "{limits:?}"
    );
}
