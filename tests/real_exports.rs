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

#[test]
fn each_repeated_header_row_is_one_finding() {
    let (code, json) = lint(&[&real("mailboxes-concatenated.csv")]);
    assert_eq!(code, 1);
    let found = codes(&json);
    assert_eq!(
        found,
        vec![
            ("F011".to_string(), Some(1)),
            ("F015".to_string(), Some(5)),
            ("F015".to_string(), Some(7)),
        ],
        "{json:#}"
    );
    let (_, json) = lint(&[&real("users-concatenated.csv")]);
    let found: Vec<(String, Option<u64>)> = codes(&json)
        .into_iter()
        .filter(|(c, _)| c != "U013")
        .collect();
    assert_eq!(found, vec![("F015".to_string(), Some(3))], "{json:#}");
}

#[test]
fn a_padded_header_and_a_padded_password_are_reported_without_the_password() {
    let (_, json) = lint(&[&real("users-padded-header.csv")]);
    let f015: Vec<&Value> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "F016")
        .collect();
    assert_eq!(f015.len(), 1, "{json:#}");
    assert!(
        f015[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("' licenseToAssign '"),
        "{json:#}"
    );
    let d004: Vec<&Value> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "D004")
        .collect();
    assert_eq!(d004.len(), 1, "{json:#}");
    assert_eq!(d004[0]["column"], "Password");
    let text = json.to_string();
    assert!(
        !text.contains("Xk4!mP9qLw2z"),
        "the password was printed: {text}"
    );
}

#[test]
fn a_million_column_header_is_one_finding_in_linear_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wide.csv");
    let mut text = String::with_capacity(10_000_000);
    for i in 0..1_000_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("c{i}"));
    }
    text.push_str("\nv\n");
    std::fs::write(&path, text).expect("write");
    let started = std::time::Instant::now();
    let (code, json) = lint(&[&path.display().to_string()]);
    let took = started.elapsed();
    assert_eq!(code, 1);
    assert_eq!(
        codes(&json),
        vec![("F017".to_string(), Some(1))],
        "{json:#}"
    );
    // Quadratic duplicate detection took over a minute; linear work is a few seconds even in a
    // debug build on a busy machine.
    assert!(took.as_secs() < 45, "took {took:?}");
}

#[test]
fn folder_roles_in_a_mailbox_permission_export_are_reported() {
    let (_, json) = lint(&[&real("permissions-folder-roles.csv")]);
    let p008: Vec<Option<u64>> = codes(&json)
        .into_iter()
        .filter(|(c, _)| c == "P008")
        .map(|(_, l)| l)
        .collect();
    assert_eq!(p008, vec![Some(2), Some(3), Some(5)], "{json:#}");
    let messages = json.to_string();
    assert!(
        messages.contains("Reviewer, CreateItems are folder roles"),
        "{messages}"
    );
}
