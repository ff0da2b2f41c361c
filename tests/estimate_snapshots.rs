//! The estimate people read and the audit findings lint prints for the samples, pinned.

use assert_cmd::Command;

fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn sample_estimate_table() {
    insta::assert_snapshot!(run(&[
        "estimate",
        "--mailboxes",
        "samples/mailboxes.csv",
        "--stats",
        "samples/mailbox-stats.csv",
        "--permissions",
        "samples/permissions.csv",
        "--domain",
        "contoso.com",
        "--bandwidth-mbps",
        "10",
        "--batch-size",
        "4",
        "--start",
        "2026-11-25",
    ]));
}

#[test]
fn sample_audit_findings_through_lint() {
    insta::assert_snapshot!(run(&[
        "lint",
        "--domain",
        "contoso.com",
        "samples/mailboxes.csv",
        "samples/mailbox-stats.csv",
        "samples/permissions.csv",
    ]));
}
