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

/// Issue 8.4: the current legacyExchangeDN of every migrated mailbox and group becomes an X500
/// address in the tenant (replies to old mail and Outlook's cached recipients keep working).
#[test]
fn legacy_exchange_dns_become_x500_addresses_of_users_shared_mailboxes_and_groups() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\n",
    )
    .unwrap();
    std::fs::write(
        d.join("groups.csv"),
        "Name,PrimarySmtpAddress,LegacyExchangeDN\nTeam,team@contoso.com,/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=team\n",
    )
    .unwrap();
    std::fs::write(
        d.join("mailboxes.csv"),
        "Identity,Alias,PrimarySmtpAddress,UserPrincipalName,RecipientTypeDetails,ExchangeGuid,LegacyExchangeDN\n\
         contoso.com/Users/Ann,ann,ann@contoso.com,ann@contoso.com,UserMailbox,11111111-1111-1111-1111-111111111111,/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=ann\n\
         contoso.com/Users/Desk,desk,desk@contoso.com,desk@contoso.com,SharedMailbox,22222222-2222-2222-2222-222222222222,/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=desk\n",
    )
    .unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(d)
        .args([
            "bundle",
            "--domain",
            "contoso.com",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--usage-location",
            "US",
            "--users",
            "users.csv",
            "--groups",
            "groups.csv",
            "--mailboxes",
            "mailboxes.csv",
            "--out",
            "b",
        ])
        .assert()
        .success();
    let aliases = std::fs::read_to_string(d.join("b/data/11-aliases.csv")).unwrap();
    assert!(
        aliases.contains(
            "ann@contoso.com,x500:/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=ann"
        ),
        "{aliases}"
    );
    assert!(
        aliases.contains(
            "desk@contoso.com,x500:/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=desk"
        ),
        "{aliases}"
    );
    let groups = std::fs::read_to_string(d.join("b/data/13-groups-aliases.csv")).unwrap();
    assert!(
        groups.contains(
            "team@contoso.com,x500:/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=team"
        ),
        "{groups}"
    );
}
