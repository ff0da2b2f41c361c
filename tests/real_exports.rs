//! Exports shaped like the ones people really have (issue 10, lint half): each fixture in
//! tests/fixtures/real/ was written for this project to reproduce one pattern seen in the field.

use assert_cmd::Command;
use serde_json::Value;

fn lint(args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("cutover")
        .expect("binary")
        .arg("lint")
        .args(["--format", "json", "--usage-location", "US"])
        .args(args)
        .output()
        .expect("run lint");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), json)
}

fn real(name: &str) -> String {
    format!("tests/fixtures/real/{name}")
}

fn codes(json: &Value) -> Vec<(String, Option<u64>)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
            )
        })
        .collect()
}

fn has(json: &Value, code: &str) -> bool {
    codes(json).iter().any(|(c, _)| c == code)
}

#[test]
fn sizes_with_four_significant_digits_are_read_exactly() {
    let (code, json) = lint(&[&real("stats-four-digits.csv")]);
    assert!(!has(&json, "M001"), "{json:#}");
    assert_eq!(json["files"][0]["kind"], "mailbox-stats");
    assert_eq!(code, 0, "{json:#}");
}

fn errors(json: &Value) -> Vec<Value> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .cloned()
        .collect()
}

#[test]
fn a_fullaccess_report_is_read_as_permissions() {
    let (code, json) = lint(&[&real("fullaccess-report.csv")]);
    assert_eq!(json["files"][0]["kind"], "permissions", "{json:#}");
    assert_eq!(json["files"][0]["rows"], 2);
    assert!(errors(&json).is_empty(), "{json:#}");
    assert_eq!(code, 0);
}

#[test]
fn a_dl_membership_report_is_read_as_members_with_or_without_kind() {
    for args in [vec![], vec!["--kind", "members"]] {
        let mut all: Vec<&str> = args.clone();
        let file = real("dl-membership-report.csv");
        all.push(&file);
        let (code, json) = lint(&all);
        assert_eq!(json["files"][0]["kind"], "members", "{json:#}");
        assert_eq!(json["files"][0]["rows"], 3);
        assert!(errors(&json).is_empty(), "{json:#}");
        assert_eq!(code, 0);
    }
}

#[test]
fn a_mailbox_inventory_without_identity_is_read_as_mailboxes() {
    for args in [vec![], vec!["--kind", "mailboxes"]] {
        let mut all: Vec<&str> = args.clone();
        let file = real("mailbox-inventory.csv");
        all.push(&file);
        let (code, json) = lint(&all);
        assert_eq!(json["files"][0]["kind"], "mailboxes", "{json:#}");
        assert!(errors(&json).is_empty(), "{json:#}");
        assert_eq!(code, 0);
    }
}

#[test]
fn an_unknown_kind_names_the_closest_kind_and_what_it_lacks() {
    let (code, json) = lint(&[&real("permissions-no-user.csv")]);
    assert_eq!(code, 1);
    let f = &json["findings"][0];
    assert_eq!(f["code"], "F005");
    let message = f["message"].as_str().unwrap_or("");
    assert!(
        message.contains("closest is permissions, which lacks User"),
        "{message}"
    );
}
