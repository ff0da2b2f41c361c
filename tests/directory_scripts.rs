//! Issue 8 in the generated scripts, run in a real pwsh against stand-in cmdlets appended to
//! the real module: a primary address apart from the UPN is applied once (`unchanged` on a
//! re-run); the DNS-records step rewrites its CSV instead of appending duplicates.

mod pwsh;

use std::path::Path;

use assert_cmd::Command;

/// Stand-ins for the Exchange Online cmdlets the aliases step calls. State lives in globals
/// across the two runs.
const ALIASES_STUB: &str = r#"
if (-not (Test-Path variable:global:Primary)) { $global:Primary = @{ 'ann@contoso.com' = 'ann@contoso.com' }; $global:Calls = @() }
function Connect-CutoverExchange { param($Tenant) }
function global:Get-Mailbox { param($Identity) [pscustomobject]@{ PrimarySmtpAddress = $global:Primary[$Identity]; EmailAddresses = @('SMTP:' + $global:Primary[$Identity]) } }
function global:Set-Mailbox { param($Identity, $WindowsEmailAddress, $EmailAddresses) $global:Calls += ($Identity + ' -WindowsEmailAddress ' + $WindowsEmailAddress); $global:Primary[$Identity] = $WindowsEmailAddress }
"#;

/// The tenant's service records for any domain, and nothing else of Graph.
const DNS_STUB: &str = r#"
$global:Calls = @()
function Connect-CutoverGraph { param($Scopes, $Tenant) }
function global:Get-MgDomainServiceConfigurationRecord {
    param($DomainId, [switch]$All)
    [pscustomobject]@{ RecordType = 'Mx'; Label = $DomainId; Ttl = 3600; SupportedService = 'Email'; AdditionalProperties = @{ mailExchange = ($DomainId.Replace('.', '-') + '.mail.protection.outlook.com'); preference = 0 } }
    [pscustomobject]@{ RecordType = 'Txt'; Label = $DomainId; Ttl = 3600; SupportedService = 'Email'; AdditionalProperties = @{ text = 'v=spf1 include:spf.protection.outlook.com -all' } }
}
"#;

fn bundle(d: &Path, domains: &[&str]) {
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName,PrimarySmtpAddress\nann@contoso.com,Ann,ann.lee@contoso.com\n",
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("cutover").unwrap();
    cmd.current_dir(d).args([
        "bundle",
        "--tenant",
        "contoso.onmicrosoft.com",
        "--usage-location",
        "US",
        "--users",
        "users.csv",
        "--out",
        "b",
    ]);
    for dom in domains {
        cmd.args(["--domain", dom]);
    }
    cmd.assert().success();
}

/// Runs a bundle step twice in one pwsh with `stub` appended to the real module; returns stdout.
fn run_twice(d: &Path, step: &str, stub: &str) -> String {
    let module = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules/Cutover.psm1"),
    )
    .unwrap();
    std::fs::write(d.join("Stub.psm1"), format!("{module}\n{stub}")).unwrap();
    let out = pwsh::command()
        .current_dir(d)
        .arg("-Command")
        .arg(format!(
            "& ./b/steps/{step}.ps1 -ModulePath ./Stub.psm1 -ResultsPath ./r1.jsonl; \
             & ./b/steps/{step}.ps1 -ModulePath ./Stub.psm1 -ResultsPath ./r2.jsonl; \
             'CALLS:' + ($global:Calls -join '|')"
        ))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

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
    bundle(d, &["contoso.com"]);
    let stdout = run_twice(d, "11-aliases", ALIASES_STUB);
    let calls = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CALLS:"))
        .unwrap_or_default();
    assert_eq!(
        calls, "ann@contoso.com -WindowsEmailAddress ann.lee@contoso.com",
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

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_dns_records_step_rewrites_its_csv_on_a_re_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bundle(d, &["contoso.com", "fabrikam.com"]);
    run_twice(d, "18-dns-records", DNS_STUB);
    let csv = std::fs::read_to_string(d.join("dns-records.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    // Two domains, two records each, once however often the step runs.
    assert_eq!(rows.len(), 4, "{csv}");
    assert_eq!(
        rows.iter().filter(|r| r.contains("fabrikam.com")).count(),
        2
    );
    assert_eq!(records(&d.join("r2.jsonl")).len(), 2);
}

/// Accepted domains and a message trace of the last hour, chosen by `$global:Trace`.
const FLOW_STUB: &str = r#"
$global:Calls = @()
function Connect-CutoverExchange { param($Tenant) }
function global:Get-AcceptedDomain { param($ResultSize) [pscustomobject]@{ DomainName = 'contoso.com' }; [pscustomobject]@{ DomainName = 'Fabrikam.com' } }
function global:Get-MessageTraceV2 {
    param($StartDate, $EndDate, $ResultSize)
    # Cloud-to-cloud mail between the tenant's own domains, both ways.
    [pscustomobject]@{ SenderAddress = 'bob@fabrikam.com'; RecipientAddress = 'ann@contoso.com'; Status = 'Delivered' }
    [pscustomobject]@{ SenderAddress = 'ann@contoso.com'; RecipientAddress = 'bob@FABRIKAM.com'; Status = 'Delivered' }
    if ($env:CUTOVER_FLOW -eq 'internet') {
        [pscustomobject]@{ SenderAddress = 'someone@example.net'; RecipientAddress = 'ann@contoso.com'; Status = 'Delivered' }
        [pscustomobject]@{ SenderAddress = 'ann@contoso.com'; RecipientAddress = 'someone@example.net'; Status = 'Delivered' }
    }
}
"#;

fn mail_flow(d: &Path, flow: &str) -> Vec<serde_json::Value> {
    let module = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules/Cutover.psm1"),
    )
    .unwrap();
    std::fs::write(d.join("Stub.psm1"), format!("{module}\n{FLOW_STUB}")).unwrap();
    let results = d.join(format!("flow-{flow}.jsonl"));
    let out = pwsh::command()
        .current_dir(d)
        .env("CUTOVER_FLOW", flow)
        .arg("-Command")
        .arg("& ./b/steps/19-mail-flow.ps1 -ModulePath ./Stub.psm1 -ResultsPath $env:CUTOVER_RESULTS")
        .env("CUTOVER_RESULTS", &results)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    records(&results)
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_mail_flow_check_counts_only_mail_to_and_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bundle(d, &["contoso.com"]);
    let internal = mail_flow(d, "internal");
    assert_eq!(internal[0]["status"], "failed", "{internal:?}");
    assert!(
        internal[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("from outside the organisation"),
        "{internal:?}"
    );
    let internet = mail_flow(d, "internet");
    assert_eq!(internet[0]["status"], "unchanged", "{internet:?}");
}

/// Two mailboxes; the statistics and permissions of `broken` cannot be read.
const EXPORT_STUB: &str = r#"
$global:Calls = @()
function global:New-CutoverStubMailbox { param($Name) [pscustomobject]@{ Identity = ('contoso.com/Users/' + $Name); Alias = $Name; DisplayName = $Name; PrimarySmtpAddress = ($Name + '@contoso.com'); UserPrincipalName = ($Name + '@contoso.com'); ExchangeGuid = [guid]::NewGuid(); RecipientTypeDetails = 'UserMailbox'; EmailAddresses = @('SMTP:' + $Name + '@contoso.com'); ArchiveGuid = ''; ArchiveStatus = 'None'; LitigationHoldEnabled = $false; ForwardingSmtpAddress = $null; ForwardingAddress = $null; DeliverToMailboxAndForward = $false; ProhibitSendQuota = 'Unlimited'; LegacyExchangeDN = ('/o=Contoso/cn=Recipients/cn=' + $Name); DistinguishedName = ('CN=' + $Name + ',DC=contoso,DC=com'); GrantSendOnBehalfTo = @() } }
function global:Get-Mailbox { param($ResultSize) New-CutoverStubMailbox 'ann'; New-CutoverStubMailbox 'broken' }
function global:Get-MailboxStatistics {
    param($Identity, [switch]$Archive)
    if ($Identity -like '*broken') { Write-Error 'The mailbox database is dismounted.' ; return }
    [pscustomobject]@{ MailboxGuid = [guid]::NewGuid(); DisplayName = 'ann'; IsArchiveMailbox = $false; TotalItemSize = '1 MB (1,048,576 bytes)'; TotalDeletedItemSize = '0 B (0 bytes)'; ItemCount = 3; DeletedItemCount = 0 }
}
function global:Get-MailboxPermission {
    param($Identity)
    if ($Identity -like '*broken') { throw 'Access denied.' }
    [pscustomobject]@{ Identity = $Identity; User = 'CONTOSO\bob'; AccessRights = @('FullAccess'); IsInherited = $false; Deny = $false }
}
function global:Get-ADPermission { param($Identity) }
function global:Get-DistributionGroup { param($ResultSize) }
function global:Get-DistributionGroupMember { param($Identity, $ResultSize) }
"#;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_source_export_goes_on_past_a_mailbox_it_cannot_read() {
    for (version, runtime) in [("2016", "Cutover.psm1"), ("2007", "Cutover.ps1")] {
        source_export_goes_on(version, runtime);
    }
}

fn source_export_goes_on(version: &str, runtime: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\n",
    )
    .unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(d)
        .args([
            "bundle",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--domain",
            "contoso.com",
            "--usage-location",
            "US",
            "--users",
            "users.csv",
            "--source-version",
            version,
            "--out",
            "b",
        ])
        .assert()
        .success();
    let module = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("ps-modules")
            .join(runtime),
    )
    .unwrap();
    let stub = format!("Stub.{}", runtime.rsplit('.').next().unwrap_or("psm1"));
    std::fs::write(d.join(&stub), format!("{module}\n{EXPORT_STUB}")).unwrap();
    let out = pwsh::command()
        .current_dir(d)
        .arg("-Command")
        .arg(format!(
            "& ./b/steps/05-source-export.ps1 -ModulePath ./{stub} -ResultsPath ./export.jsonl"
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{version}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&d.join("export.jsonl"));
    let status = |op: &str| {
        recs.iter()
            .find(|r| r["op"] == op)
            .map(|r| {
                (
                    r["status"].as_str().unwrap_or("").to_string(),
                    r["error"].as_str().unwrap_or("").to_string(),
                )
            })
            .unwrap_or_default()
    };
    assert_eq!(
        status("source-export:mailboxes").0,
        "created",
        "{version}: {recs:?}"
    );
    for (op, file) in [
        ("source-export:mailbox-stats", "mailbox-stats.csv"),
        ("source-export:permissions", "permissions.csv"),
    ] {
        let (s, e) = status(op);
        assert_eq!(s, "failed", "{version} {op}: {recs:?}");
        assert!(
            e.contains("1 mailbox(es) could not be read") && e.contains("broken"),
            "{version}: {e}"
        );
        // The mailbox that could be read is in the file all the same.
        let text = std::fs::read_to_string(d.join(file)).unwrap();
        assert_eq!(text.lines().count(), 2, "{version} {file}: {text}");
    }
    let mailboxes = std::fs::read_to_string(d.join("mailboxes.csv")).unwrap();
    assert!(
        mailboxes.contains("/o=Contoso/cn=Recipients/cn=ann"),
        "{version}: {mailboxes}"
    );
}

/// Role assignments of the source organisation: one the bundle made, one made by hand.
const REVERT_STUB: &str = r#"
if (-not (Test-Path variable:global:Assignments)) {
    $global:Calls = @()
    $global:Assignments = @(
        [pscustomobject]@{ Identity = 'CutoverMigrationImpersonation-CONTOSO-svc-mig'; Name = 'CutoverMigrationImpersonation-CONTOSO-svc-mig'; Role = 'ApplicationImpersonation'; RoleAssignee = 'CONTOSO\svc-mig' },
        [pscustomobject]@{ Identity = 'Helpdesk impersonation'; Name = 'Helpdesk impersonation'; Role = 'ApplicationImpersonation'; RoleAssignee = 'CONTOSO\svc-mig' }
    )
}
function global:Get-ManagementRoleAssignment { param($Role, $RoleAssignee) $global:Assignments | Where-Object { $_.Role -eq $Role -and $_.RoleAssignee -eq $RoleAssignee } }
function global:Remove-ManagementRoleAssignment { param($Identity, [switch]$Confirm) $global:Calls += $Identity; $global:Assignments = @($global:Assignments | Where-Object { $_.Identity -ne $Identity }) }
"#;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_impersonation_revert_removes_only_the_bundles_assignment_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\n",
    )
    .unwrap();
    std::fs::write(
        d.join("cutover.toml"),
        "[source]\nversion = \"2016\"\nmigration_account = 'CONTOSO\\svc-mig'\n",
    )
    .unwrap();
    Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(d)
        .args([
            "bundle",
            "--config",
            "cutover.toml",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--domain",
            "contoso.com",
            "--usage-location",
            "US",
            "--users",
            "users.csv",
            "--out",
            "b",
        ])
        .assert()
        .success();
    let stdout = run_twice(d, "91-source-impersonation-revert", REVERT_STUB);
    let calls = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CALLS:"))
        .unwrap_or_default();
    assert_eq!(
        calls, "CutoverMigrationImpersonation-CONTOSO-svc-mig",
        "{stdout}"
    );
    assert_eq!(records(&d.join("r1.jsonl"))[0]["status"], "updated");
    assert_eq!(records(&d.join("r2.jsonl"))[0]["status"], "unchanged");
}
