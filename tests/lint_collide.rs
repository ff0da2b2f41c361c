//! A shared mailbox and a distribution group given one address are found by `cutover lint`
//! across the two files (M013), whether the files come as arguments or from the project.

use assert_cmd::Command;

const MAILBOXES: &str = "Identity,Alias,PrimarySmtpAddress,RecipientTypeDetails,ExchangeGuid\n\
contoso.com/Users/Sales,sales,sales@contoso.com,SharedMailbox,6f1c2f4e-3a55-4a4f-9a1e-0b5d8f0c1a11\n";

fn lint(groups: &str) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mailboxes.csv"), MAILBOXES).unwrap();
    std::fs::write(dir.path().join("groups.csv"), groups).unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--domain", "contoso.com", "--format", "json"])
        .args(["mailboxes.csv", "groups.csv"])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), json)
}

fn codes(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_mailbox_and_a_group_with_one_address_is_an_error() {
    let (code, json) = lint("Name,PrimarySmtpAddress\nSales,Sales@contoso.com\n");
    assert_eq!(code, 1, "{json}");
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "M013")
        .expect("M013");
    assert_eq!(f["file"], "mailboxes.csv");
    assert_eq!(f["line"], 2);
    assert_eq!(f["severity"], "error");
}

#[test]
fn distinct_addresses_do_not_collide() {
    let (_, json) = lint("Name,PrimarySmtpAddress\nSales,sales-team@contoso.com\n");
    assert!(!codes(&json).contains(&"M013".to_string()), "{json}");
}
