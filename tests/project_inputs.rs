//! Issue 8.6: a project without accepted domains or tenant is refused by plan and bundle, and a
//! mailbox export is read with whichever key column it kept.

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn plan_and_bundle_refuse_a_project_without_domains_or_tenant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\n",
    )
    .unwrap();
    for (cmd, extra) in [
        ("plan", vec!["--tenant", "contoso.onmicrosoft.com"]),
        ("bundle", vec!["--domain", "contoso.com"]),
    ] {
        let out = Command::cargo_bin("cutover")
            .unwrap()
            .current_dir(dir.path())
            .args([
                cmd,
                "--users",
                "users.csv",
                "--usage-location",
                "US",
                "--out",
                "out",
            ])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let want = if cmd == "plan" {
            "accepted domains"
        } else {
            "the tenant"
        };
        assert!(err.contains(want), "{cmd}: {err}");
        assert!(!dir.path().join("out/plan.json").exists(), "{cmd}");
    }
}

fn lint_codes(name: &str, text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "--kind", "mailboxes", name])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_mailbox_export_is_keyed_by_any_of_its_naming_columns() {
    let guid = "11111111-1111-1111-1111-111111111111";
    for header in [
        "Identity",
        "Alias",
        "PrimarySmtpAddress",
        "ExchangeGuid",
        "DistinguishedName",
    ] {
        let value = match header {
            "ExchangeGuid" => guid.to_string(),
            "DistinguishedName" => "\"CN=Ann,OU=Users,DC=contoso,DC=com\"".to_string(),
            "PrimarySmtpAddress" => "ann@contoso.com".to_string(),
            _ => "ann".to_string(),
        };
        let text = format!("{header},ProhibitSendQuota\n{value},Unlimited\n");
        assert_eq!(lint_codes("m.csv", &text), Vec::<String>::new(), "{header}");
    }
    let codes = lint_codes("m.csv", "DisplayName,ProhibitSendQuota\nAnn,Unlimited\n");
    assert!(codes.contains(&"F006".to_string()), "{codes:?}");
}
