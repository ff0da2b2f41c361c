//! The `[mail_filter]` and notices steps: what the bundle carries, that `cutover check` passes
//! them against their targets, and (with a real pwsh) what they do against small stand-ins
//! for the Exchange Online and Graph cmdlets.

mod pwsh;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const FILTER: &str = "\n[mail_filter]\nvendor = \"Mimecast\"\nip_ranges = [\"192.0.2.0/24\", \"198.51.100.0/23\", \"2001:db8::/48\"]\nsmarthost = \"relay.example.com\"\nspf_include = \"_netblocks.example.com\"\n";
const SPF: &str = "v=spf1 include:spf.protection.outlook.com include:_netblocks.example.com -all";

fn cutover() -> Command {
    Command::cargo_bin("cutover").unwrap()
}

/// A copy of the samples with `extra` appended to cutover.toml (the sample ends in [notices]).
fn project(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for e in std::fs::read_dir(samples).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let toml = dir.path().join("cutover.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(extra);
    std::fs::write(&toml, text).unwrap();
    dir
}

fn bundle(dir: &Path) -> PathBuf {
    let out = dir.join("bundle");
    cutover()
        .args(["bundle", "--config"])
        .arg(dir.join("cutover.toml"))
        .arg("--out")
        .arg(&out)
        .arg("--secrets-out")
        .arg(dir.join("secrets.csv"))
        .assert()
        .success();
    out
}

fn data_rows(bundle: &Path, step: &str) -> Vec<csv::StringRecord> {
    let text = std::fs::read_to_string(bundle.join(format!("data/{step}.csv"))).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records().map(Result::unwrap).collect()
}

fn check_is_clean(bundle: &Path) {
    let out = cutover()
        .args(["check", "--format", "json", "--bundle"])
        .arg(bundle)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(problems.is_empty() && out.status.success(), "{problems:#?}");
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn status_of<'a>(recs: &'a [Value], op_prefix: &str) -> Vec<&'a str> {
    recs.iter()
        .filter(|r| r["op"].as_str().unwrap().starts_with(op_prefix))
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

#[test]
fn a_mail_filter_gives_the_connector_step_and_it_checks_clean_against_exchange_online() {
    let dir = project(FILTER);
    let b = bundle(dir.path());
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("manifest.json")).unwrap()).unwrap();
    let step = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "20-mail-filter")
        .expect("mail-filter step");
    assert_eq!(step["target"], "exchangeOnline");
    assert_eq!(step["phase"], "migrate");
    let rows = data_rows(&b, "20-mail-filter");
    let got: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (&r[0], &r[1], &r[3], &r[4], &r[7]))
        .collect();
    assert_eq!(
        got,
        [
            (
                "mail-filter:inbound:cutover inbound from mimecast",
                "Inbound",
                "192.0.2.0/24;198.51.100.0/24;198.51.101.0/24",
                "",
                ""
            ),
            (
                "mail-filter:enhanced-filtering:cutover inbound from mimecast",
                "EnhancedFiltering",
                "192.0.2.0/24;198.51.100.0/23;2001:db8::/48",
                "",
                ""
            ),
            (
                "mail-filter:outbound:cutover outbound through mimecast",
                "Outbound",
                "",
                "relay.example.com",
                ""
            ),
            ("mail-filter:spf:contoso.com", "Spf", "", "", SPF),
        ]
    );
    check_is_clean(&b);
    let readme = std::fs::read_to_string(b.join("README.md")).unwrap();
    assert!(readme.contains("cutover Inbound from Mimecast"));
    assert!(readme.contains(SPF));
    assert!(!readme.contains("No `[mail_filter]` is set"));

    // Without [mail_filter]: no connector step, and the README says how to tell.
    let plain = project("");
    let b = bundle(plain.path());
    assert!(!b.join("steps/20-mail-filter.ps1").exists());
    let readme = std::fs::read_to_string(b.join("README.md")).unwrap();
    assert!(readme.contains("No `[mail_filter]` is set"));
    assert!(readme.contains("nslookup -type=mx contoso.com"));
}

#[test]
fn bad_mail_filter_settings_stop_the_bundle_with_their_codes() {
    let dir = project(
        "\n[mail_filter]\nvendor = \"X\"\nip_ranges = [\"192.0.2.1/24\"]\nsmarthost = \"smtp://relay\"\n",
    );
    cutover()
        .args(["bundle", "--config"])
        .arg(dir.path().join("cutover.toml"))
        .arg("--out")
        .arg(dir.path().join("b"))
        .arg("--secrets-out")
        .arg(dir.path().join("s.csv"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("S002"))
        .stderr(predicate::str::contains("S003"));
    assert!(!dir.path().join("b/manifest.json").exists());
}

#[test]
fn the_notices_step_carries_the_checklist_in_its_own_phase_and_checks_clean_against_graph() {
    let dir = project("");
    let b = bundle(dir.path());
    let rows = data_rows(&b, "21-notices-send");
    assert_eq!(rows.len(), 5, "the after-cutover checklist for each user");
    assert!(rows
        .iter()
        .all(|r| &r[1] == "after" && &r[2] == "it@contoso.com"));
    assert!(rows.iter().all(|r| r[0].starts_with("notices:send:after:")));
    check_is_clean(&b);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("manifest.json")).unwrap()).unwrap();
    let step = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "21-notices-send")
        .unwrap();
    assert_eq!(
        (step["target"].as_str(), step["phase"].as_str()),
        (Some("graph"), Some("notices"))
    );
}

/// Runs `driver` (PowerShell) in a real pwsh with STUBS and STEP set; panics with the output
/// when pwsh fails.
fn run_pwsh(driver: &str, stubs: &str, step: &Path, env: &[(&str, &Path)]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let stubs_file = tmp.path().join("stubs.ps1");
    std::fs::write(&stubs_file, stubs).unwrap();
    let mut cmd = pwsh::command();
    cmd.arg("-Command").arg(driver);
    cmd.env("STUBS", &stubs_file).env("STEP", step);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "pwsh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const EXO_STUBS: &str = r#"
$global:In = @{}
$global:Out = @{}
$global:Calls = New-Object System.Collections.ArrayList
$global:SpfPublished = @('v=spf1 include:spf.protection.outlook.com -all')
function global:Connect-ExchangeOnline { [CmdletBinding()] param([string]$UserPrincipalName, [switch]$ShowBanner, $AppId, $CertificateThumbprint, $Organization) }
function global:Set-StubProps { param($Object, $Bound) foreach ($k in @($Bound.Keys)) { if ($k -ne 'Identity' -and $null -ne $Object.PSObject.Properties[$k]) { $Object.$k = $Bound[$k] } } }
function global:Get-InboundConnector { [CmdletBinding()] param() @($global:In.Values) }
function global:New-InboundConnector { [CmdletBinding()] param($Name, $ConnectorType, $SenderDomains, $SenderIPAddresses, $RestrictDomainsToIPAddresses, $RequireTls, $Comment)
    [void]$global:Calls.Add('New-InboundConnector')
    $global:In[$Name] = [pscustomobject]@{ Name = $Name; ConnectorType = 'Partner'; SenderIPAddresses = @(); RestrictDomainsToIPAddresses = $false; RequireTls = $false; Enabled = $true; EFSkipIPs = @(); EFSkipLastIP = $false }
    Set-StubProps $global:In[$Name] $PSBoundParameters
    $global:In[$Name] }
function global:Set-InboundConnector { [CmdletBinding()] param($Identity, $ConnectorType, $SenderDomains, $SenderIPAddresses, $RestrictDomainsToIPAddresses, $RequireTls, $Enabled, $EFSkipIPs, $EFSkipLastIP)
    [void]$global:Calls.Add('Set-InboundConnector ' + (@($PSBoundParameters.Keys | Sort-Object) -join ','))
    if (-not $global:In.ContainsKey($Identity)) { Write-Error "The operation couldn't be performed because object '$Identity' couldn't be found." }
    Set-StubProps $global:In[$Identity] $PSBoundParameters }
function global:Get-OutboundConnector { [CmdletBinding()] param() @($global:Out.Values) }
function global:New-OutboundConnector { [CmdletBinding()] param($Name, $ConnectorType, $RecipientDomains, $SmartHosts, $UseMXRecord, $Enabled, $TlsSettings, $Comment)
    [void]$global:Calls.Add('New-OutboundConnector')
    $global:Out[$Name] = [pscustomobject]@{ Name = $Name; ConnectorType = ''; RecipientDomains = @(); SmartHosts = @(); UseMXRecord = $true; Enabled = $true; TlsSettings = $null }
    Set-StubProps $global:Out[$Name] $PSBoundParameters
    $global:Out[$Name] }
function global:Set-OutboundConnector { [CmdletBinding()] param($Identity, $ConnectorType, $RecipientDomains, $SmartHosts, $UseMXRecord, $Enabled, $TlsSettings)
    [void]$global:Calls.Add('Set-OutboundConnector')
    Set-StubProps $global:Out[$Identity] $PSBoundParameters }
function global:Resolve-DnsName { [CmdletBinding()] param($Name, $Type)
    foreach ($s in $global:SpfPublished) { [pscustomobject]@{ Name = $Name; Strings = @($s) } } }
"#;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_mail_filter_step_ensures_connectors_and_a_second_run_changes_nothing() {
    let dir = project(FILTER);
    let b = bundle(dir.path());
    let res1 = dir.path().join("r1.jsonl");
    let res2 = dir.path().join("r2.jsonl");
    let driver = r#"
        $ErrorActionPreference = 'Stop'
        . $env:STUBS
        & $env:STEP -ResultsPath $env:RES1
        $global:SpfPublished = @('v=spf1 include:spf.protection.outlook.com include:_netblocks.example.com -all')
        & $env:STEP -ResultsPath $env:RES2
        'CALLS ' + ($global:Calls -join ' | ')
        'EF ' + ($global:In['cutover Inbound from Mimecast'].EFSkipIPs -join ';') + ' last=' + $global:In['cutover Inbound from Mimecast'].EFSkipLastIP
        'OUT ' + ($global:Out['cutover Outbound through Mimecast'].SmartHosts -join ';') + ' mx=' + $global:Out['cutover Outbound through Mimecast'].UseMXRecord
    "#;
    let stdout = run_pwsh(
        driver,
        EXO_STUBS,
        &b.join("steps/20-mail-filter.ps1"),
        &[("RES1", &res1), ("RES2", &res2)],
    );
    let first = records(&res1);
    assert_eq!(first.len(), 4, "one record per operation: {first:#?}");
    assert_eq!(status_of(&first, "mail-filter:inbound:"), ["created"]);
    assert_eq!(
        status_of(&first, "mail-filter:enhanced-filtering:"),
        ["updated"]
    );
    assert_eq!(status_of(&first, "mail-filter:outbound:"), ["created"]);
    let spf = first
        .iter()
        .find(|r| r["op"] == "mail-filter:spf:contoso.com")
        .unwrap();
    assert_eq!(
        spf["status"], "failed",
        "the published record lacks the filter's include"
    );
    assert!(spf["error"].as_str().unwrap().contains(SPF), "{spf}");

    let second = records(&res2);
    assert_eq!(
        second
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["unchanged"; 4],
        "{second:#?}"
    );
    assert!(
        stdout.contains("CALLS New-InboundConnector | Set-InboundConnector EFSkipIPs,EFSkipLastIP,ErrorAction,Identity | New-OutboundConnector\n"),
        "the second run called nothing that changes: {stdout}"
    );
    assert!(
        stdout.contains("EF 192.0.2.0/24;198.51.100.0/23;2001:db8::/48 last=False"),
        "{stdout}"
    );
    assert!(
        stdout.contains("OUT relay.example.com mx=False"),
        "{stdout}"
    );
    assert!(dir.path().join("spf-records.csv").is_file());
}

const GRAPH_STUBS: &str = r#"
$global:Sent = New-Object System.Collections.ArrayList
function global:Connect-MgGraph { [CmdletBinding()] param($Scopes, $TenantId, [switch]$NoWelcome, $ClientId, $CertificateThumbprint) }
function global:Send-MgUserMail { [CmdletBinding()] param([string]$UserId, $BodyParameter)
    $to = $BodyParameter.message.toRecipients[0].emailAddress.address
    if ($to -eq $env:FAIL_TO) { Write-Error ('ErrorInvalidRecipients: mailbox ' + $to + ' is not ready') }
    $first = ($BodyParameter.message.body.content -split "`n")[0]
    [void]$global:Sent.Add($UserId + '|' + $to + '|' + $BodyParameter.message.subject + '|' + $first)
}
"#;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_notices_step_sends_due_messages_once_and_records_the_services_error() {
    let dir = project("graph_messages = [\"reminder\", \"after\"]\n");
    let b = bundle(dir.path());
    let runs = b.join("runs");
    for r in ["r1", "r2", "r3"] {
        std::fs::create_dir_all(runs.join(r)).unwrap();
    }
    let driver = r#"
        $ErrorActionPreference = 'Stop'
        . $env:STUBS
        $env:CUTOVER_TODAY = '2027-01-18'
        $env:FAIL_TO = 'zoe.mueller@contoso.com'
        & $env:STEP -ResultsPath (Join-Path $env:RUNS 'r1/results.jsonl')
        $env:FAIL_TO = ''
        & $env:STEP -ResultsPath (Join-Path $env:RUNS 'r2/results.jsonl')
        $env:CUTOVER_TODAY = '2027-01-10'
        & $env:STEP -ResultsPath (Join-Path $env:RUNS 'r3/results.jsonl')
        foreach ($s in $global:Sent) { 'SENT ' + $s }
    "#;
    let stdout = run_pwsh(
        driver,
        GRAPH_STUBS,
        &b.join("steps/21-notices-send.ps1"),
        &[("RUNS", &runs)],
    );
    let r1 = records(&runs.join("r1/results.jsonl"));
    assert_eq!(r1.len(), 10, "one record per message: {r1:#?}");
    // The reminder's only day (2027-01-14) has passed: not sent.
    assert_eq!(status_of(&r1, "notices:send:reminder:"), ["skipped"; 5]);
    let failed: Vec<&Value> = r1.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0]["op"],
        "notices:send:after:zoe.mueller@contoso.com"
    );
    assert!(failed[0]["error"]
        .as_str()
        .unwrap()
        .contains("ErrorInvalidRecipients: mailbox zoe.mueller@contoso.com is not ready"));
    assert_eq!(r1.iter().filter(|r| r["status"] == "created").count(), 4);

    // A new run: what was sent is unchanged, the failed one goes out now.
    let r2 = records(&runs.join("r2/results.jsonl"));
    let after: Vec<(&str, &str)> = r2
        .iter()
        .filter(|r| r["op"].as_str().unwrap().starts_with("notices:send:after:"))
        .map(|r| (r["target"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(after.iter().filter(|(_, s)| *s == "unchanged").count(), 4);
    assert!(
        after.contains(&("zoe.mueller@contoso.com", "created")),
        "{after:?}"
    );

    // Before the checklist's day nothing is due; nothing sent twice.
    let r3 = records(&runs.join("r3/results.jsonl"));
    assert!(r3.iter().all(|r| r["status"] != "created"), "{r3:#?}");
    let sent: Vec<&str> = stdout.lines().filter(|l| l.starts_with("SENT ")).collect();
    assert_eq!(sent.len(), 5, "{stdout}");
    assert!(sent.iter().all(|l| l.starts_with("SENT it@contoso.com|")));
    assert!(
        sent.iter().any(|l| l.contains("sean.obrien@contoso.com|Your email is now in Microsoft 365: a short checklist|Dear Seán,")),
        "{stdout}"
    );
}
