//! Issue 8 in the generated scripts, run in a real pwsh against stand-in cmdlets: a primary
//! address apart from the UPN is applied once (and is `unchanged` on a re-run).

mod pwsh;

use std::path::Path;

use assert_cmd::Command;

/// Stand-ins for the Exchange Online cmdlets the aliases step calls, appended to the real
/// module so the step imports them with it. State lives in globals across two runs.
const STUB: &str = r#"
if (-not (Test-Path variable:global:Primary)) { $global:Primary = @{ 'ann@contoso.com' = 'ann@contoso.com' }; $global:Calls = @() }
function Connect-CutoverExchange { param($Tenant) }
function global:Get-Mailbox { param($Identity) [pscustomobject]@{ PrimarySmtpAddress = $global:Primary[$Identity]; EmailAddresses = @('SMTP:' + $global:Primary[$Identity]) } }
function global:Set-Mailbox { param($Identity, $WindowsEmailAddress, $EmailAddresses) $global:Calls += ($Identity + ' -WindowsEmailAddress ' + $WindowsEmailAddress); $global:Primary[$Identity] = $WindowsEmailAddress }
"#;

fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_aliases_step_sets_a_primary_address_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName,PrimarySmtpAddress\nann@contoso.com,Ann,ann.lee@contoso.com\n",
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
            "--out",
            "b",
        ])
        .assert()
        .success();
    let module = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules/Cutover.psm1"),
    )
    .unwrap();
    std::fs::write(d.join("Stub.psm1"), format!("{module}\n{STUB}")).unwrap();
    let out = pwsh::command()
        .current_dir(d)
        .arg("-Command")
        .arg(
            "& ./b/steps/11-aliases.ps1 -ModulePath ./Stub.psm1 -ResultsPath ./r1.jsonl; \
             & ./b/steps/11-aliases.ps1 -ModulePath ./Stub.psm1 -ResultsPath ./r2.jsonl; \
             'CALLS:' + ($global:Calls -join '|')",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("CALLS:ann@contoso.com -WindowsEmailAddress ann.lee@contoso.com\n")
            || stdout
                .trim_end()
                .ends_with("CALLS:ann@contoso.com -WindowsEmailAddress ann.lee@contoso.com"),
        "{stdout}"
    );
    let first = records(&d.join("r1.jsonl"));
    let again = records(&d.join("r2.jsonl"));
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0]["op"],
        "aliases:primary:ann@contoso.com:smtp:ann.lee@contoso.com"
    );
    assert_eq!(first[0]["status"], "updated");
    assert_eq!(again[0]["status"], "unchanged");
}
