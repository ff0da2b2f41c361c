//! The human output people read, pinned for a few fixtures.

use assert_cmd::Command;

fn human(args: &[&str]) -> String {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["lint", "--usage-location", "US"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    format!("exit: {}\n{text}", out.status.code().unwrap_or(-1))
}

#[test]
fn damage_report() {
    insta::assert_snapshot!(human(&["tests/fixtures/users-damage.csv"]));
}

#[test]
fn groups_and_members_report() {
    insta::assert_snapshot!(human(&[
        "tests/fixtures/users-playbook.csv",
        "tests/fixtures/groups.csv",
        "tests/fixtures/members.csv",
    ]));
}

#[test]
fn encodings_report() {
    insta::assert_snapshot!(human(&[
        "tests/fixtures/users-utf16le.txt",
        "tests/fixtures/users-1252.csv",
        "tests/fixtures/users-type-line.csv",
    ]));
}
