//! `cutover lint` on the fixture corpus: codes, lines and exit status through the binary.

use assert_cmd::Command;
use serde_json::Value;

const FX: &str = "tests/fixtures";

fn lint(args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .arg("lint")
        .args(["--format", "json", "--usage-location", "US"])
        .args(args)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), json)
}

fn fixture(name: &str) -> String {
    format!("{FX}/{name}")
}

/// (code, line) pairs of the findings.
fn found(json: &Value) -> Vec<(String, Option<u64>)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["line"].as_u64()))
        .collect()
}

/// A finding's code and line.
type Expected = (&'static str, Option<u64>);

fn pairs(v: &[Expected]) -> Vec<(String, Option<u64>)> {
    v.iter().map(|(c, l)| (c.to_string(), *l)).collect()
}

#[test]
fn clean_playbook_and_admin_center_files_pass() {
    let (code, json) = lint(&[&fixture("users-admin-center-15.csv")]);
    assert_eq!(code, 0);
    assert_eq!(found(&json), vec![]);
    assert_eq!(json["files"][0]["kind"], "users");
    assert_eq!(json["files"][0]["rows"], 1);
    // A plaintext-password warning alone leaves the status 0; --strict makes it 1.
    let (code, json) = lint(&[&fixture("users-playbook.csv")]);
    assert_eq!((code, found(&json)), (0, pairs(&[("U013", Some(1))])));
    let (code, _) = lint(&["--strict", &fixture("users-playbook.csv")]);
    assert_eq!(code, 1);
}

#[test]
fn json_contract_shape() {
    let (_, json) = lint(&[&fixture("users-semicolon.csv")]);
    assert_eq!(json["version"], 1);
    let file = &json["files"][0];
    for key in ["path", "kind", "rows", "encoding", "delimiter"] {
        assert!(file.get(key).is_some(), "files[].{key}");
    }
    assert_eq!(file["delimiter"], ";");
    let f = &json["findings"][0];
    for key in [
        "code", "severity", "file", "line", "column", "message", "hint",
    ] {
        assert!(f.get(key).is_some(), "findings[].{key}");
    }
    assert_eq!(f["severity"], "error");
    assert_eq!(f["column"], "UserPrincipalName");
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["warnings"], 0);
    assert_eq!(json["summary"]["infos"], 0);
}

#[test]
fn every_encoding_is_read_with_physical_lines() {
    for (name, enc, delim) in [
        ("users-utf16le.txt", "utf-16le", "\t"),
        ("users-utf16be.txt", "utf-16be", "\t"),
    ] {
        let (code, json) = lint(&[&fixture(name)]);
        assert_eq!(code, 1, "{name}");
        assert_eq!(json["files"][0]["encoding"], enc);
        assert_eq!(json["files"][0]["delimiter"], delim);
        assert_eq!(found(&json), pairs(&[("U002", Some(3))]), "{name}");
    }
    let (code, json) = lint(&[&fixture("users-1252.csv")]);
    assert_eq!((code, found(&json)), (0, pairs(&[("F010", None)])));
    assert_eq!(json["files"][0]["encoding"], "windows-1252");
    let (code, json) = lint(&[&fixture("users-type-line.csv")]);
    assert_eq!(json["files"][0]["encoding"], "utf-8-bom");
    assert_eq!(
        (code, found(&json)),
        (1, pairs(&[("F011", Some(1)), ("U005", Some(4))]))
    );
}

#[test]
fn delimiter_can_be_forced() {
    let (code, json) = lint(&["--delimiter", ",", &fixture("users-semicolon.csv")]);
    assert_eq!(code, 1);
    assert_eq!(json["files"][0]["delimiter"], ",");
    assert_eq!(found(&json)[0].0, "F005");
}

#[test]
fn export_damage_is_found_on_its_line() {
    let (code, json) = lint(&[&fixture("users-damage.csv")]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&json),
        pairs(&[
            ("D001", Some(2)),
            ("D002", Some(3)),
            ("D003", Some(4)),
            ("D004", Some(5)),
            ("D005", Some(6)),
            ("D006", Some(7)),
            ("D007", Some(8)),
            ("D008", Some(10)),
            ("U002", Some(10)),
            ("D009", Some(12)),
        ])
    );
}

#[test]
fn file_level_problems() {
    let cases: &[(&str, &[Expected])] = &[
        ("empty.csv", &[("F002", None)]),
        ("binary.csv", &[("F003", None)]),
        ("no-header.csv", &[("F004", Some(1))]),
        ("unknown-kind.csv", &[("F005", Some(1))]),
        ("missing-column.csv", &[("F006", Some(1))]),
        ("duplicate-column.csv", &[("F007", Some(1))]),
        (
            "ragged.csv",
            &[
                ("F008", Some(2)),
                ("D004", Some(2)),
                ("F008", Some(3)),
                ("U009", Some(3)),
                ("F013", Some(4)),
            ],
        ),
        ("format-table.csv", &[("F011", Some(1)), ("F014", Some(2))]),
    ];
    for (name, want) in cases {
        let (code, json) = lint(&[&fixture(name)]);
        assert_eq!(code, 1, "{name}");
        assert_eq!(found(&json), pairs(want), "{name}");
    }
    let (_, json) = lint(&[&fixture("unterminated.csv")]);
    assert!(found(&json).contains(&("F009".to_string(), Some(2))));
}

#[test]
fn groups_and_members_resolve_across_files() {
    let (code, json) = lint(&[
        &fixture("members.csv"),
        &fixture("users-playbook.csv"),
        &fixture("groups.csv"),
    ]);
    assert_eq!(code, 1);
    let by_file = |suffix: &str| -> Vec<(String, Option<u64>)> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"].as_str().unwrap().ends_with(suffix))
            .map(|f| (f["code"].as_str().unwrap().to_string(), f["line"].as_u64()))
            .collect()
    };
    assert_eq!(
        by_file("groups.csv"),
        pairs(&[("G003", Some(4)), ("G004", Some(5)), ("G001", Some(6))])
    );
    assert_eq!(
        by_file("members.csv"),
        pairs(&[
            // groups.csv:5 took Ann's address (G004): the name is both recipients'.
            ("G012", Some(2)),
            ("G009", Some(4)),
            ("G005", Some(5)),
            ("G012", Some(5)),
            ("G006", Some(6)),
            ("G007", Some(7)),
            // A repeat of row 2: ambiguous again, which outranks "already a member".
            ("G012", Some(8)),
            ("G011", Some(9)),
        ])
    );
}

#[test]
fn kind_can_be_forced_and_bad_usage_exits_2() {
    let (_, json) = lint(&["--kind", "groups", &fixture("users-playbook.csv")]);
    assert_eq!(json["files"][0]["kind"], "groups");
    assert_eq!(found(&json)[0].0, "F006");
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["lint", "--kind", "printers", &fixture("users-playbook.csv")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .arg("lint")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unreadable_file_is_reported_and_exits_2() {
    let (code, json) = lint(&[&fixture("does-not-exist.csv")]);
    assert_eq!(code, 2);
    assert_eq!(found(&json), pairs(&[("F001", None)]));
}

#[test]
fn passwords_are_never_printed_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("u.csv");
    std::fs::write(
        &p,
        "UserPrincipalName,DisplayName,Password\nann@contoso.com,Ann,hunter2\nbob@contoso.com,Bob, Sw0rdfish! \n",
    )
    .unwrap();
    for format in ["human", "json", "sarif"] {
        let out = Command::cargo_bin("cutover")
            .unwrap()
            .args(["lint", "--usage-location", "US", "--format", format])
            .arg(&p)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("U012"), "{format}: {text}");
        assert!(text.contains("***"), "{format}");
        assert!(
            !text.contains("hunter2") && !text.contains("Sw0rdfish"),
            "{format}: {text}"
        );
    }
}

#[test]
fn passwords_swallowed_by_a_quote_or_in_unknown_kinds_are_never_printed() {
    let cases: [(&str, &[&str]); 3] = [
        ("password-unterminated.csv", &[]),
        ("password-unknown-kind.csv", &[]),
        ("password-unknown-kind.csv", &["--kind", "groups"]),
    ];
    for (file, extra) in cases {
        for format in ["human", "json", "sarif"] {
            let out = Command::cargo_bin("cutover")
                .unwrap()
                .args(["lint", "--usage-location", "US", "--format", format])
                .args(extra)
                .arg(fixture(file))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(1), "{file} {format}: {text}");
            for secret in ["Sup3rSecret", "An0therSecret", "Hunter2Secret"] {
                assert!(!text.contains(secret), "{file} {extra:?} {format}: {text}");
            }
            if file == "password-unknown-kind.csv" {
                // The `#NAME?` password is reported (D002) with its value hidden.
                assert!(text.contains("***"), "{file} {extra:?} {format}: {text}");
            }
        }
    }
}

#[test]
fn real_exchange_exports_read_with_their_synonym_columns() {
    // Each carries two names for one column (RecipientType + RecipientTypeDetails,
    // PrimarySmtpAddress + WindowsEmailAddress, User + Trustee): not F007.
    let cases = [
        ("get-mailbox.csv", "mailboxes"),
        ("get-distributiongroup.csv", "groups"),
        ("get-distributiongroupmember-joined.csv", "members"),
        ("get-user.csv", "users"),
        ("permissions-joined.csv", "permissions"),
    ];
    for (name, kind) in cases {
        let (code, json) = lint(&[&fixture(&format!("exchange/{name}"))]);
        assert_eq!(json["files"][0]["kind"], kind, "{name}");
        let summary = &json["summary"];
        assert_eq!(
            (code, &summary["errors"], &summary["warnings"]),
            (0, &Value::from(0), &Value::from(0)),
            "{name}: {:?}",
            found(&json)
        );
    }
}

#[test]
fn sarif_is_version_2_1_0_with_locations() {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["lint", "--usage-location", "US", "--format", "sarif"])
        .arg(fixture("users-semicolon.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "U002");
    assert_eq!(result["level"], "error");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["region"]["startLine"], 3);
    assert!(loc["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("users-semicolon.csv"));
}

#[test]
fn project_file_inputs_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("users-semicolon.csv"), dir.path().join("u.csv")).unwrap();
    std::fs::write(
        dir.path().join("cutover.toml"),
        "[tenant]\nname = 'fabrikam.onmicrosoft.com'\ndomains = ['fabrikam.com']\nusage_location = 'US'\n[inputs]\nusers = 'u.csv'\n",
    )
    .unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<String> = found(&json).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["U004", "U002", "U004"]);
}

#[test]
fn audit_kinds_get_file_and_damage_checks() {
    let (code, json) = lint(&[&fixture("mailboxes.csv")]);
    assert_eq!(json["files"][0]["kind"], "mailboxes");
    assert_eq!(
        (code, found(&json)),
        (1, pairs(&[("F011", Some(1)), ("D001", Some(3))]))
    );
}

/// S012: a project (a cutover.toml) without domains or tenant is an error in lint as in plan and
/// bundle; the same files linted alone, with no project, are not.
#[test]
fn a_project_without_tenant_or_domains_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("users-admin-center-15.csv"),
        dir.path().join("u.csv"),
    )
    .unwrap();
    let run = |toml: &str, args: &[&str]| {
        std::fs::write(dir.path().join("cutover.toml"), toml).unwrap();
        let out = Command::cargo_bin("cutover")
            .unwrap()
            .current_dir(dir.path())
            .args(["lint", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap_or(-1), json)
    };
    let s008 = |json: &Value| -> Vec<String> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "S012")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    let inputs = "[inputs]\nusers = 'u.csv'\n";
    let (code, json) = run(&format!("[tenant]\nusage_location = 'US'\n{inputs}"), &[]);
    let messages = s008(&json);
    assert_eq!(code, 1, "{json}");
    assert_eq!(messages.len(), 1, "{json}");
    assert!(messages[0].contains("accepted domains") && messages[0].contains("the tenant"));
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "S012"
            && f["file"]
                .as_str()
                .is_some_and(|p| p.ends_with("cutover.toml"))));
    // Only the tenant missing: the message names only it.
    let (code, json) = run(
        &format!("[tenant]\ndomains = ['contoso.com']\nusage_location = 'US'\n{inputs}"),
        &[],
    );
    let messages = s008(&json);
    assert_eq!((code, messages.len()), (1, 1), "{json}");
    assert!(!messages[0].contains("accepted domains"));
    // Flags complete the project, as they do for plan and bundle.
    let (code, json) = run(
        &format!("[tenant]\nusage_location = 'US'\n{inputs}"),
        &[
            "--domain",
            "contoso.com",
            "--tenant",
            "contoso.onmicrosoft.com",
        ],
    );
    assert_eq!((code, s008(&json).len()), (0, 0), "{json}");
    // A project folder given as the argument is that project, from anywhere.
    std::fs::write(
        dir.path().join("cutover.toml"),
        format!("[tenant]\nusage_location = 'US'\n{inputs}"),
    )
    .unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args(["lint", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), s008(&json).len()),
        (Some(1), 1),
        "{json}"
    );
    assert_eq!(json["files"][0]["rows"], 1, "{json}");
    // The same file linted alone (no cutover.toml anywhere) is a quick look, not a project.
    std::fs::remove_file(dir.path().join("cutover.toml")).unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "lint",
            "--format",
            "json",
            "--usage-location",
            "US",
            "u.csv",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), s008(&json).len()),
        (Some(0), 0),
        "{json}"
    );
}

/// A contacts export (Get-MailContact) is read as contacts: a row without its outside address or
/// with one that is not an address is C001, a LegacyExchangeDN that is no X500 DN C002.
#[test]
fn contacts_exports_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contacts.csv");
    std::fs::write(
        &path,
        "Name,DisplayName,Alias,ExternalEmailAddress,PrimarySmtpAddress,EmailAddresses,LegacyExchangeDN\n\
         Pat,Pat,pat,SMTP:pat@example.net,pat@example.net,SMTP:pat@example.net,/o=Contoso/cn=Recipients/cn=pat\n\
         Kim,Kim,kim,,kim@example.net,,/o=Contoso/cn=Recipients/cn=kim\n\
         Lee,Lee,lee,lee at example.org,,,/o=Contoso/cn=Recipients/cn=lee\n\
         Ray,Ray,ray,SMTP:ray@example.com,,,cn=Recipients/cn=ray\n",
    )
    .unwrap();
    let (code, json) = lint(&[path.to_str().unwrap()]);
    assert_eq!(json["files"][0]["kind"], "contacts", "{json}");
    assert_eq!(
        (code, found(&json)),
        (
            1,
            pairs(&[("C001", Some(3)), ("C001", Some(4)), ("C002", Some(5))])
        ),
        "{json}"
    );
}

/// A folder that is not a project is a usage error (exit 2), never a silent empty lint.
#[test]
fn a_folder_without_a_project_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .arg("lint")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without a cutover.toml"));
}
