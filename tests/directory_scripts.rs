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

/// `cutover bundle` in `d` of `users.csv` for contoso.com into `d/b`, with `extra` arguments.
fn bundle_with(d: &Path, extra: &[&str]) {
    Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(d)
        .args([
            "bundle",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--domain",
            "contoso.com",
        ])
        .args([
            "--usage-location",
            "US",
            "--users",
            "users.csv",
            "--out",
            "b",
        ])
        .args(extra)
        .assert()
        .success();
}

/// A one-user bundle from `version` with a migration account (so its grant and revert steps exist).
fn migration_account_bundle(d: &Path, version: &str) {
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\n",
    )
    .unwrap();
    std::fs::write(
        d.join("cutover.toml"),
        format!("[source]\nversion = \"{version}\"\nmigration_account = 'CONTOSO\\svc-mig'\n"),
    )
    .unwrap();
    bundle_with(d, &["--config", "cutover.toml"]);
}

/// Runs a bundle step twice in one pwsh with `stub` appended to the real module; returns stdout.
fn run_twice(d: &Path, step: &str, stub: &str) -> String {
    run_twice_with(d, "Cutover.psm1", step, stub)
}

/// `run_twice` with another runtime: `Cutover.ps1` is the PowerShell 1.0/2.0 one.
fn run_twice_with(d: &Path, runtime: &str, step: &str, stub: &str) -> String {
    let module = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("ps-modules")
            .join(runtime),
    )
    .unwrap();
    let ext = Path::new(runtime).extension().unwrap().to_str().unwrap();
    std::fs::write(d.join(format!("Stub.{ext}")), format!("{module}\n{stub}")).unwrap();
    let out = pwsh::command()
        .current_dir(d)
        .arg("-Command")
        .arg(format!(
            "& ./b/steps/{step}.ps1 -ModulePath ./Stub.{ext} -ResultsPath ./r1.jsonl; \
             & ./b/steps/{step}.ps1 -ModulePath ./Stub.{ext} -ResultsPath ./r2.jsonl; \
             'CALLS:' + ($global:Calls -join '|')"
        ))
        .output()
        .unwrap();
    succeeded(&out)
}

/// The stdout of a process that must have succeeded (else its output is the failure message).
fn succeeded(out: &std::process::Output) -> String {
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

/// Bundles two domains, runs `step` twice against `stub`, and checks that the step's CSV output
/// holds `per_domain` rows for each domain, not more after the second run.
fn rows_after_two_runs(d: &Path, step: &str, stub: &str, csv_name: &str, per_domain: usize) {
    bundle(d, &["contoso.com", "fabrikam.com"]);
    run_twice(d, step, stub);
    let csv = std::fs::read_to_string(d.join(csv_name)).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2 * per_domain, "{csv}");
    assert_eq!(
        rows.iter().filter(|r| r.contains("fabrikam.com")).count(),
        per_domain
    );
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_dns_records_step_rewrites_its_csv_on_a_re_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two domains, two records each, once however often the step runs.
    rows_after_two_runs(d, "18-dns-records", DNS_STUB, "dns-records.csv", 2);
    assert_eq!(records(&d.join("r2.jsonl")).len(), 2);
}

/// Graph's domains: every domain exists and stays unverified (its TXT record not published).
const DOMAINS_STUB: &str = r#"
$global:Calls = @()
function Connect-CutoverGraph { param($Scopes, $Tenant) }
function global:Get-MgDomain { param($DomainId) [pscustomobject]@{ Id = $DomainId; IsVerified = $false } }
function global:Get-MgDomainVerificationDnsRecord {
    param($DomainId, [switch]$All)
    [pscustomobject]@{ RecordType = 'Txt'; Label = $DomainId; Ttl = 3600; AdditionalProperties = @{ text = ('MS=ms' + $DomainId.Length) } }
}
function global:Confirm-MgDomain { param($DomainId) throw ('Domain verification failed for ' + $DomainId) }
"#;

/// Issue 8.8: a re-run of 06-domains (the TXT record not yet published) replaces each domain's
/// rows of domain-verification.csv instead of appending them again, and fails truthfully.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_domains_step_rewrites_its_csv_on_a_re_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    rows_after_two_runs(d, "06-domains", DOMAINS_STUB, "domain-verification.csv", 1);
    for r in records(&d.join("r2.jsonl")) {
        assert_eq!(r["status"], "failed", "{r}");
        assert!(
            r["error"]
                .as_str()
                .unwrap_or("")
                .contains("publish the TXT record"),
            "{r}"
        );
    }
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
# Two contacts; the outside address of `broken` cannot be read (its text conversion throws).
class CutoverUnreadable { [string] ToString() { throw 'The address could not be read.' } }
function global:Get-MailContact {
    param($ResultSize)
    [pscustomobject]@{ Name = 'Pat Partner'; DisplayName = 'Pat Partner'; Alias = 'pat'; ExternalEmailAddress = 'SMTP:pat@example.net'; PrimarySmtpAddress = 'pat@example.net'; EmailAddresses = @('SMTP:pat@example.net', 'X500:/o=Contoso/cn=Recipients/cn=pat-old'); LegacyExchangeDN = '/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=pat' }
    [pscustomobject]@{ Name = 'broken'; DisplayName = 'broken'; Alias = 'broken'; ExternalEmailAddress = [CutoverUnreadable]::new(); PrimarySmtpAddress = 'broken@example.net'; EmailAddresses = @(); LegacyExchangeDN = '/o=Contoso/cn=Recipients/cn=broken' }
}
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
    bundle_with(d, &["--source-version", version]);
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
    // Contacts: one unreadable contact fails the export op, naming it; the other is in the file
    // with its legacyExchangeDN (the X500 address its cloud contact gets).
    let (s, e) = status("source-export:contacts");
    assert_eq!(s, "failed", "{version}: {recs:?}");
    assert!(
        e.contains("1 contact(s)") && e.contains("broken"),
        "{version}: {e}"
    );
    let contacts = std::fs::read_to_string(d.join("contacts.csv")).unwrap();
    assert_eq!(contacts.lines().count(), 2, "{version}: {contacts}");
    assert!(
        contacts.contains("SMTP:pat@example.net")
            && contacts.contains("/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=pat"),
        "{version}: {contacts}"
    );
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
    migration_account_bundle(d, "2016");
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

/// Exchange 2007's AD rights: the migration account's explicit grants on a Client Access
/// server and a database, an inherited one it cannot remove there, and another account's.
const REVERT_2007_STUB: &str = r#"
if (-not (Test-Path variable:global:Aces)) {
    $global:Calls = @()
    $global:Aces = @(
        [pscustomobject]@{ Identity = 'CN=EX1,CN=Servers'; User = 'CONTOSO\svc-mig'; ExtendedRights = @('ms-Exch-EPI-Impersonation'); IsInherited = $false },
        [pscustomobject]@{ Identity = 'CN=DB1,CN=Databases'; User = 'CONTOSO\svc-mig'; ExtendedRights = @('ms-Exch-EPI-May-Impersonate'); IsInherited = $false },
        [pscustomobject]@{ Identity = 'CN=DB2,CN=Databases'; User = 'CONTOSO\svc-mig'; ExtendedRights = @('ms-Exch-EPI-May-Impersonate'); IsInherited = $true },
        [pscustomobject]@{ Identity = 'CN=DB1,CN=Databases'; User = 'CONTOSO\helpdesk'; ExtendedRights = @('ms-Exch-EPI-May-Impersonate'); IsInherited = $false }
    )
}
function global:Get-ExchangeServer { [pscustomobject]@{ Name = 'EX1'; DistinguishedName = 'CN=EX1,CN=Servers'; IsClientAccessServer = $true }; [pscustomobject]@{ Name = 'HUB1'; DistinguishedName = 'CN=HUB1,CN=Servers'; IsClientAccessServer = $false } }
function global:Get-MailboxDatabase { [pscustomobject]@{ Name = 'DB1'; DistinguishedName = 'CN=DB1,CN=Databases' }; [pscustomobject]@{ Name = 'DB2'; DistinguishedName = 'CN=DB2,CN=Databases' } }
function global:Get-ADPermission { param($Identity, $User) $global:Aces | Where-Object { $_.Identity -eq $Identity -and $_.User -eq $User } }
function global:Remove-ADPermission {
    param($Identity, $User, $ExtendedRights, [switch]$Confirm)
    $global:Calls += ($Identity + ' ' + $ExtendedRights)
    $global:Aces = @($global:Aces | Where-Object { -not ($_.Identity -eq $Identity -and $_.User -eq $User -and -not $_.IsInherited -and ($_.ExtendedRights -contains $ExtendedRights)) })
}
"#;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_2007_impersonation_revert_removes_the_granted_rights_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    migration_account_bundle(d, "2007");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("b/manifest.json")).unwrap()).unwrap();
    let step = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "91-source-impersonation-revert")
        .expect("a 2007 bundle has the revert step");
    assert_eq!(step["shell"], "powershell-1.0", "{step}");
    let stdout = run_twice_with(
        d,
        "Cutover.ps1",
        "91-source-impersonation-revert",
        REVERT_2007_STUB,
    );
    let calls = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CALLS:"))
        .unwrap_or_default();
    // The explicit grants go, once; the inherited entry and the other account's stay.
    assert_eq!(
        calls,
        "CN=EX1,CN=Servers ms-Exch-EPI-Impersonation|CN=DB1,CN=Databases ms-Exch-EPI-May-Impersonate",
        "{stdout}"
    );
    let status = |recs: &[serde_json::Value], op: &str| {
        recs.iter()
            .find(|r| r["op"].as_str().is_some_and(|o| o.ends_with(op)))
            .map(|r| r["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("no record {op}: {recs:?}"))
    };
    let first = records(&d.join("r1.jsonl"));
    assert_eq!(first.len(), 4, "{first:?}");
    assert_eq!(status(&first, ":dyn:cas:ex1"), "updated");
    assert_eq!(status(&first, ":dyn:database:db1"), "updated");
    assert_eq!(status(&first, ":dyn:database:db2"), "unchanged");
    assert_eq!(status(&first, "remove:contoso\\svc-mig"), "updated");
    let again = records(&d.join("r2.jsonl"));
    assert_eq!(again.len(), 4, "{again:?}");
    assert!(
        again.iter().all(|r| r["status"] == "unchanged"),
        "{again:?}"
    );
}

/// Exchange Online's view of four synced users: one not mail-enabled there, one MailUser whose
/// ExchangeGuid Entra Connect nulled, one still carrying its on-premises mailbox GUID, and one
/// that already has a mailbox.
const GUID_STUB: &str = r#"
$global:Calls = @()
function Connect-CutoverExchange { param($Tenant) }
function global:Get-EXORecipient {
    param($UserPrincipalName, $Properties)
    $global:Calls += $UserPrincipalName
    switch ($UserPrincipalName) {
        'ann@contoso.com' { Write-Error -Message "The operation couldn't be performed because object 'ann@contoso.com' couldn't be found." -Category ObjectNotFound -ErrorId 'ManagementObjectNotFoundException' }
        'bob@contoso.com' { [pscustomobject]@{ RecipientTypeDetails = 'MailUser'; ExchangeGuid = [guid]::Empty } }
        'cy@contoso.com' { [pscustomobject]@{ RecipientTypeDetails = 'MailUser'; ExchangeGuid = [guid]'f20047a9-3fd1-4906-8d98-188feacdd5b7' } }
        'dee@contoso.com' { [pscustomobject]@{ RecipientTypeDetails = 'UserMailbox'; ExchangeGuid = [guid]'0c4f8a2e-1d55-4b7e-9a31-5e2b7c9d0f11' } }
    }
}
"#;

fn synced_bundle(d: &Path, licence: bool) -> serde_json::Value {
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\nbob@contoso.com,Bob\ncy@contoso.com,Cy\ndee@contoso.com,Dee\n",
    )
    .unwrap();
    let mut toml = String::from("[tenant]\nname = 'contoso.onmicrosoft.com'\ndomains = ['contoso.com']\nusage_location = 'US'\n");
    if licence {
        toml.push_str("licence_sku = 'EXCHANGESTANDARD'\n");
    }
    toml.push_str(
        "identity = 'synced'\n[source]\nversion = '2016'\n[inputs]\nusers = 'users.csv'\n",
    );
    std::fs::write(d.join("cutover.toml"), toml).unwrap();
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(d)
        .args(["bundle", "--config", "cutover.toml", "--out", "b"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(d.join("b/manifest.json")).unwrap()).unwrap()
}

/// Issue 8: the msExchMailboxGuid prerequisite is a check of synced bundles' Exchange Online
/// preflight (a gate that runs before anything changes), one per synced user (licensed here or,
/// by group-based licensing, elsewhere), after the sign-in; cloud bundles have none.
#[test]
fn synced_bundles_check_the_exchange_guid_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    synced_bundle(dir.path(), true);
    let data =
        std::fs::read_to_string(dir.path().join("b/data/00-preflight-exchange.csv")).unwrap();
    let ops: Vec<&str> = data
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let guid: Vec<&str> = ops
        .iter()
        .copied()
        .filter(|o| o.starts_with("preflight:exchange-guid:"))
        .collect();
    assert_eq!(
        guid,
        [
            "preflight:exchange-guid:ann@contoso.com",
            "preflight:exchange-guid:bob@contoso.com",
            "preflight:exchange-guid:cy@contoso.com",
            "preflight:exchange-guid:dee@contoso.com"
        ],
        "{data}"
    );
    let connect = ops.iter().position(|o| *o == "preflight:connect:exchange");
    assert!(
        connect.is_some()
            && connect
                < ops
                    .iter()
                    .position(|o| o.starts_with("preflight:exchange-guid:"))
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("b/manifest.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids.first(), Some(&"00-preflight-exchange"), "{ids:?}");
    assert!(manifest["steps"][0]["gate"].as_bool() == Some(true));
    let readme = std::fs::read_to_string(dir.path().join("b/README.md")).unwrap();
    assert!(readme.contains("exchange-guid") && readme.contains("AuthoritativeNull"));
    // Without a licence in the plan the users may still be licensed by group: checked too.
    let dir = tempfile::tempdir().unwrap();
    synced_bundle(dir.path(), false);
    let data =
        std::fs::read_to_string(dir.path().join("b/data/00-preflight-exchange.csv")).unwrap();
    assert_eq!(
        data.matches("preflight:exchange-guid:").count(),
        4,
        "{data}"
    );
    // Cloud users are created in the cloud: no on-premises GUID can reach them.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bundle(d, &["contoso.com"]);
    let data = std::fs::read_to_string(d.join("b/data/00-preflight-exchange.csv")).unwrap();
    assert!(!data.contains("exchange-guid"), "{data}");
    let readme = std::fs::read_to_string(d.join("b/README.md")).unwrap();
    assert!(!readme.contains("AuthoritativeNull"));
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_exchange_guid_check_fails_only_the_user_that_still_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    synced_bundle(d, true);
    let stdout = run_twice(d, "00-preflight-exchange", GUID_STUB);
    let first = records(&d.join("r1.jsonl"));
    let by_upn = |recs: &[serde_json::Value], upn: &str| {
        recs.iter()
            .find(|r| r["op"] == format!("preflight:exchange-guid:{upn}").as_str())
            .unwrap_or_else(|| panic!("no record for {upn}: {recs:?}\n{stdout}"))
            .clone()
    };
    for upn in ["ann@contoso.com", "bob@contoso.com", "dee@contoso.com"] {
        assert_eq!(
            by_upn(&first, upn)["status"],
            "unchanged",
            "{upn}: {first:?}"
        );
    }
    let cy = by_upn(&first, "cy@contoso.com");
    assert_eq!(cy["status"], "failed", "{cy}");
    let error = cy["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("f20047a9-3fd1-4906-8d98-188feacdd5b7")
            && error.contains("AuthoritativeNull")
            && error.contains("msExchMailboxGuid"),
        "{error}"
    );
    // Read only: a second run says the same.
    let again = records(&d.join("r2.jsonl"));
    assert_eq!(by_upn(&again, "cy@contoso.com")["status"], "failed");
    assert_eq!(by_upn(&again, "ann@contoso.com")["status"], "unchanged");
}

/// Exchange Online's mail contacts, kept across the two runs: `pat` exists already without its
/// X500, the others do not exist yet.
const CONTACTS_STUB: &str = r#"
if (-not (Test-Path variable:global:Contacts)) { $global:Calls = @(); $global:Contacts = @{ 'pat@example.net' = [pscustomobject]@{ Identity = 'pat'; EmailAddresses = @('SMTP:pat@example.net') } } }
function Connect-CutoverExchange { param($Tenant) }
function Wait-CutoverCreated { param($What, $Probe) }
function global:Get-MailContact {
    param($Identity)
    $c = $global:Contacts[$Identity]
    if ($null -eq $c) { throw "The operation couldn't be performed because object '$Identity' couldn't be found." }
    $c
}
function global:New-MailContact {
    param($Name, $ExternalEmailAddress, $Alias, $DisplayName)
    $global:Calls += ('New ' + $ExternalEmailAddress + ' alias=' + $Alias + ' display=' + $DisplayName)
    $c = [pscustomobject]@{ Identity = $Name; EmailAddresses = @('SMTP:' + $ExternalEmailAddress) }
    $global:Contacts[$ExternalEmailAddress] = $c
    $c
}
function global:Set-MailContact {
    param($Identity, $EmailAddresses)
    $global:Calls += ('Set ' + $Identity + ' ' + $EmailAddresses['Add'])
    $c = $global:Contacts[$Identity]
    $c.EmailAddresses = @($c.EmailAddresses) + @($EmailAddresses['Add'])
}
"#;

fn contacts_bundle(d: &Path) -> String {
    std::fs::write(
        d.join("users.csv"),
        "UserPrincipalName,DisplayName\nann@contoso.com,Ann\n",
    )
    .unwrap();
    std::fs::write(
        d.join("groups.csv"),
        "Name,PrimarySmtpAddress\nSales,sales@contoso.com\n",
    )
    .unwrap();
    std::fs::write(
        d.join("members.csv"),
        "Group,Member\nSales,ann@contoso.com\nSales,PAT@example.net\nSales,lee@example.org\nSales,kim\n",
    )
    .unwrap();
    // As 05-source-export writes it (Get-MailContact): the address with its SMTP: prefix.
    std::fs::write(
        d.join("contacts.csv"),
        "\u{feff}\"Name\",\"DisplayName\",\"Alias\",\"ExternalEmailAddress\",\"PrimarySmtpAddress\",\"EmailAddresses\",\"LegacyExchangeDN\"\r\n\
         \"Pat Partner\",\"Pat Partner\",\"pat\",\"SMTP:pat@example.net\",\"pat@example.net\",\"SMTP:pat@example.net\",\"/o=Contoso/cn=Recipients/cn=pat\"\r\n\
         \"Kim Vendor\",\"Kim V.\",\"kim\",\"SMTP:kim@fabrikam.net\",\"kim@fabrikam.net\",\"SMTP:kim@fabrikam.net;smtp:Kim.Vendor@contoso.com;X500:/o=Old/cn=kim\",\"/o=Contoso/cn=Recipients/cn=kim\"\r\n",
    )
    .unwrap();
    bundle_with(
        d,
        &[
            "--groups",
            "groups.csv",
            "--members",
            "members.csv",
            "--contacts",
            "contacts.csv",
        ],
    );
    std::fs::read_to_string(d.join("b/data/14-contacts.csv")).unwrap()
}

/// Issue 8: every contact of the contacts export is migrated with its legacyExchangeDN as an
/// X500 address; a member outside the accepted domains that is one of them gets it too, and one
/// that is not becomes a contact without.
#[test]
fn contacts_from_the_export_carry_their_legacy_dn() {
    let dir = tempfile::tempdir().unwrap();
    let data = contacts_bundle(dir.path());
    let lines: Vec<&str> = data.lines().collect();
    assert!(lines[0].contains("LegacyExchangeDN"), "{data}");
    let row = |addr: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("contacts:ensure:{addr}")))
            .unwrap_or_else(|| panic!("no contact {addr}: {data}"))
            .to_string()
    };
    assert!(
        row("pat@example.net").contains("Pat Partner")
            && row("pat@example.net").contains("/o=Contoso/cn=Recipients/cn=pat")
    );
    assert!(row("kim@fabrikam.net").contains("/o=Contoso/cn=Recipients/cn=kim"));
    assert!(!row("lee@example.org").contains("/o="));
    assert_eq!(lines.len(), 4, "{data}");
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_contacts_step_adds_the_x500_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    contacts_bundle(d);
    let stdout = run_twice(d, "14-contacts", CONTACTS_STUB);
    let calls: Vec<&str> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CALLS:"))
        .unwrap_or_default()
        .split('|')
        .collect();
    assert_eq!(
        calls,
        [
            // The export's alias, display name and other address come along.
            "New kim@fabrikam.net alias=kim display=Kim V.",
            "Set kim@fabrikam.net smtp:kim.vendor@contoso.com X500:/o=Old/cn=kim X500:/o=Contoso/cn=Recipients/cn=kim",
            "New lee@example.org alias= display=",
            "Set pat@example.net X500:/o=Contoso/cn=Recipients/cn=pat",
        ],
        "{stdout}"
    );
    let status = |file: &str, addr: &str| {
        records(&d.join(file))
            .into_iter()
            .find(|r| r["op"] == format!("contacts:ensure:{addr}").as_str())
            .map(|r| r["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("r1.jsonl", "kim@fabrikam.net"), "created");
    assert_eq!(status("r1.jsonl", "lee@example.org"), "created");
    assert_eq!(status("r1.jsonl", "pat@example.net"), "updated");
    for a in ["kim@fabrikam.net", "lee@example.org", "pat@example.net"] {
        assert_eq!(status("r2.jsonl", a), "unchanged", "{a}");
    }
}

/// Issue 8: the groups, contacts and members steps against the simulated Exchange Online (real
/// pwsh), twice: each contact is made once with the export's alias and display name (or,
/// without an alias, the one Exchange derives from the Name), its other SMTP address and its
/// X500 addresses; members named by a contact's alias or address are that contact; the user
/// no step here made fails with the service's message; the second run changes nothing else.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_contacts_step_in_the_simulated_tenant_gives_each_contact_every_name_once() {
    use cutover::rehearse::{self, state, Delays};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    contacts_bundle(d);
    let sim = d.join("sim");
    rehearse::write_sim(&sim).unwrap();
    // An empty tenant: the step makes every contact itself.
    let plan =
        serde_json::json!({"tenant": "contoso.onmicrosoft.com", "identity": "cloud", "steps": []});
    let state_path = d.join("tenant.json");
    state::write_fresh(
        &state_path,
        &rehearse::seed_state(&plan, 1, None, Delays::None),
    )
    .unwrap();
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules/Cutover.psm1");
    let mut path = std::ffi::OsString::from(sim.join("modules"));
    path.push(":");
    path.push(std::env::var_os("PSModulePath").unwrap_or_default());
    let out = pwsh::command()
        .current_dir(d)
        .arg("-Command")
        .arg(format!(
            "foreach ($r in 'r1', 'r2') {{ foreach ($s in '12-groups', '14-contacts', '15-members') {{ \
               & ./b/steps/$s.ps1 -ModulePath '{m}' -ResultsPath ./$r.jsonl }} }}; \
             Connect-ExchangeOnline -ShowBanner:$false; \
             'MEMBERS=' + ((@(Get-DistributionGroupMember -Identity 'sales@contoso.com') | \
               ForEach-Object {{ [string]$_.PrimarySmtpAddress }} | Sort-Object) -join ','); \
             foreach ($c in @(Get-MailContact -ResultSize Unlimited | Sort-Object Name)) {{ \
               'CONTACT=' + $c.Name + '|' + $c.Alias + '|' + $c.DisplayName + '|' + \
               ((@($c.EmailAddresses) | ForEach-Object {{ [string]$_ }} | Sort-Object) -join ',') }}",
            m = module.display()
        ))
        .env("PSModulePath", path)
        .env(rehearse::ENV_STATE, &state_path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = succeeded(&out);
    let contacts: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("CONTACT="))
        .collect();
    assert_eq!(
        contacts,
        [
            "Kim Vendor|kim|Kim V.|smtp:kim.vendor@contoso.com,SMTP:kim@fabrikam.net,X500:/o=Contoso/cn=Recipients/cn=kim,X500:/o=Old/cn=kim",
            "lee@example.org|lee?example.org|lee@example.org|SMTP:lee@example.org",
            "Pat Partner|pat|Pat Partner|SMTP:pat@example.net,X500:/o=Contoso/cn=Recipients/cn=pat",
        ],
        "{stdout}"
    );
    let members = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MEMBERS="))
        .unwrap_or_default();
    assert_eq!(
        members, "kim@fabrikam.net,lee@example.org,pat@example.net",
        "{stdout}"
    );
    let statuses = |file: &str| -> Vec<String> {
        records(&d.join(file))
            .iter()
            .filter_map(|r| Some(format!("{} {}", r["op"].as_str()?, r["status"].as_str()?)))
            .collect()
    };
    let all = |status: &str| {
        [
            format!("groups:ensure:sales@contoso.com {status}"),
            format!("contacts:ensure:kim@fabrikam.net {status}"),
            format!("contacts:ensure:lee@example.org {status}"),
            format!("contacts:ensure:pat@example.net {status}"),
            // No step here made the user: Exchange's refusal, recorded as such.
            "members:add:sales@contoso.com:ann@contoso.com failed".to_string(),
            format!("members:add:sales@contoso.com:pat@example.net {status}"),
            format!("members:add:sales@contoso.com:lee@example.org {status}"),
            format!("members:add:sales@contoso.com:kim@fabrikam.net {status}"),
        ]
    };
    assert_eq!(statuses("r1.jsonl"), all("created"));
    assert_eq!(statuses("r2.jsonl"), all("unchanged"));
    let ann = records(&d.join("r2.jsonl"))
        .into_iter()
        .find(|r| r["op"] == "members:add:sales@contoso.com:ann@contoso.com")
        .unwrap();
    assert!(
        ann["error"]
            .as_str()
            .unwrap_or("")
            .contains("ann@contoso.com"),
        "{ann}"
    );
}

/// Issue 12: a jump-box step's data file without an `Op` column. The module's reader gives
/// each row the id plan.json and the runner derive from the step's `op_id` (mixed-case ASCII
/// UPNs, lower-cased), and refuses a row whose cell is not ASCII instead of guessing its id.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn the_module_reader_derives_the_planned_ids_of_a_file_without_op() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("users.csv"),
        "UserPrincipalName,DisplayName\nAnn.Lee@Contoso.com,Ann\nBOB@contoso.com,Bob\ncarol@contoso.com,Carol\n",
    )
    .unwrap();
    bundle_with(d.path(), &[]);
    let b = d.path().join("b");
    let manifest = cutover::run::verify::read_manifest(&b).unwrap();
    let users = manifest.steps.iter().find(|s| s.id == "07-users").unwrap();
    assert!(users.op_id.is_some(), "{users:?}");
    let data = b.join("data/07-users.csv");
    assert!(std::fs::read_to_string(&data)
        .unwrap()
        .trim_start_matches('\u{feff}')
        .starts_with("UserPrincipalName,"));
    let plan = cutover::plan::contract::read(&b).unwrap();
    let planned: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "07-users")
        .unwrap()["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        planned,
        [
            "users:ensure:ann.lee@contoso.com",
            "users:ensure:bob@contoso.com",
            "users:ensure:carol@contoso.com"
        ]
    );
    let runner = cutover::run::verify::read_planned(&data, users.op_id.as_deref()).unwrap();
    assert_eq!(runner, planned);
    let read = |what: &str| {
        pwsh::command()
            .current_dir(&b)
            .arg("-Command")
            .arg(format!(
                "Import-Module ./modules/Cutover.psm1 -DisableNameChecking; \
                 @(Import-CutoverData -Path ./data/{what}) | ForEach-Object {{ 'OP:' + $_.Op }}"
            ))
            .output()
            .unwrap()
    };
    let stdout = succeeded(&read("07-users.csv"));
    let got: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("OP:"))
        .collect();
    assert_eq!(got, planned);
    // A file with the Op column (the limits step keeps it) is read as before.
    let out = read("16-limits.csv");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("OP:limits:set:other-mailboxes"), "{stdout}");
    // A non-ASCII cell where the template reads one: refused, no id guessed.
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, text.replace("BOB@contoso.com", "BÖB@contoso.com")).unwrap();
    let out = read("07-users.csv");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("non-ASCII UserPrincipalName"), "{all}");
    assert!(!all.contains("OP:"), "{all}");
}
