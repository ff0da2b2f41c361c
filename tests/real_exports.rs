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
