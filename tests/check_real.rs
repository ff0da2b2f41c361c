//! `cutover check` on scripts shaped like the ones people really run (issue 10, check half):
//! each fixture in tests/fixtures/check/real/ was written for this project to reproduce one
//! pattern seen in the field. The target is the last `-` part of the file name.

use assert_cmd::Command;
use serde_json::Value;

/// (code, line) of every finding for one fixture checked against its own target.
fn check(name: &str) -> (i32, Vec<(String, Option<u64>)>) {
    let stem = name.trim_end_matches(".ps1");
    let target = stem.rsplit('-').next().expect("target in the name");
    let out = Command::cargo_bin("cutover")
        .expect("binary")
        .args(["check", "--format", "json", "--target", target])
        .arg(format!("tests/fixtures/check/real/{name}"))
        .output()
        .expect("run check");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let found = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
            )
        })
        .collect();
    (out.status.code().unwrap_or(-1), found)
}

fn pairs(v: &[(&str, u64)]) -> Vec<(String, Option<u64>)> {
    v.iter().map(|(c, l)| (c.to_string(), Some(*l))).collect()
}

#[test]
fn typographic_quotes_and_dashes_parse_as_powershell_reads_them() {
    assert_eq!(check("typographic-quotes-exchange2016.ps1"), (0, vec![]));
}

#[test]
fn an_ansi_script_is_read_in_windows_1252() {
    assert_eq!(check("cookbook-ansi-exchange2010.ps1"), (0, vec![]));
}

#[test]
fn an_index_after_a_method_call_is_a_command_argument() {
    assert_eq!(check("index-after-call-graph.ps1"), (0, vec![]));
}

#[test]
fn a_placeholder_in_angle_brackets_is_a_syntax_error() {
    assert_eq!(
        check("password-placeholder-exchange2016.ps1"),
        (1, pairs(&[("PS001", 2)]))
    );
}

#[test]
fn a_syntax_error_does_not_cascade_into_unknown_commands() {
    assert_eq!(
        check("cascade-exchange2016.ps1"),
        (1, pairs(&[("PS001", 6)]))
    );
}

#[test]
fn exchange_add_remove_hashtables_replace_nothing() {
    assert_eq!(check("addremove-exchange2016.ps1"), (0, vec![]));
}

#[test]
fn an_identity_variable_never_set_is_a_warning() {
    assert_eq!(
        check("unassigned-identity-exchangeOnline.ps1"),
        (0, pairs(&[("PS023", 3)]))
    );
}

#[test]
fn a_module_command_in_try_needs_erroraction_stop_or_a_default() {
    assert_eq!(
        check("try-without-stop-exchangeOnline.ps1"),
        (0, pairs(&[("PS022", 4), ("PS022", 14)]))
    );
    assert_eq!(check("try-with-default-graph.ps1"), (0, vec![]));
}

#[test]
fn utf8_without_bom_for_windows_powershell_is_read_as_it_would_be() {
    let dir = tempfile::tempdir().expect("tempdir");
    // UTF-8 typographic quotes without a BOM: PowerShell 7 reads quotes, Windows PowerShell
    // reads `â€œ`, so the string never closes there.
    let path = dir.path().join("notepad-utf8.ps1");
    std::fs::write(
        &path,
        "Get-Mailbox -Identity \u{201c}anna@contoso.com\u{201d}\n",
    )
    .expect("write");
    let run = |target: &str| {
        let out = Command::cargo_bin("cutover")
            .expect("binary")
            .args(["check", "--format", "json", "--target", target])
            .arg(&path)
            .output()
            .expect("run check");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        let codes: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().unwrap_or("").to_string())
            .collect();
        codes
    };
    assert_eq!(run("exchangeOnline"), Vec::<String>::new());
    assert!(run("exchange2016").contains(&"PS031".to_string()));
}

#[test]
fn check_findings_are_capped_per_rule_like_lint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("many.ps1");
    let params: Vec<String> = (0..5000).map(|i| format!("-Bogus{i} x")).collect();
    std::fs::write(&path, format!("Get-Mailbox {}\n", params.join(" "))).expect("write");
    let out = Command::cargo_bin("cutover")
        .expect("binary")
        .args(["check", "--format", "json", "--target", "exchangeOnline"])
        .arg(&path)
        .output()
        .expect("run check");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let ps003 = findings.iter().filter(|f| f["code"] == "PS003").count();
    assert_eq!(ps003, 101, "100 listed and one saying how many more");
    assert!(
        findings.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("4900 more PS003 findings")),
        "{v:#}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_cmdlets_real_scripts_use_are_in_the_catalog() {
    assert_eq!(check("catalog-gaps-exchangeOnline.ps1"), (0, vec![]));
    assert_eq!(check("catalog-gaps-graph.ps1"), (0, vec![]));
}

/// Valid PowerShell of every common shape (written for this project; the real parser accepts
/// all of it, see tests/real_parser.rs), for an Exchange 2016 server with Graph: no error at
/// all, and the one true warning (cookbook getters without -ResultSize Unlimited).
#[test]
fn the_syntax_survey_has_no_false_errors() {
    for i in 1..=13 {
        let name = format!("syntax-survey-{i}.ps1");
        let out = Command::cargo_bin("cutover")
            .expect("binary")
            .args([
                "check",
                "--format",
                "json",
                "--target",
                "exchange2016,graph",
            ])
            .arg(format!("tests/fixtures/check/real/{name}"))
            .output()
            .expect("run check");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        let found: Vec<(String, Option<u64>)> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| {
                (
                    f["code"].as_str().unwrap_or("").to_string(),
                    f["line"].as_u64(),
                )
            })
            .collect();
        let want = if i == 9 {
            pairs(&[("PS020", 2), ("PS020", 10)])
        } else {
            vec![]
        };
        assert_eq!(found, want, "{name}");
    }
}

#[test]
fn powershell_7_syntax_checks_clean_for_a_pwsh_7_target() {
    assert_eq!(check("syntax-pwsh7-graph.ps1"), (0, vec![]));
}
