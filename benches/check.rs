//! How long `check_source` takes on a 5,000-line script, per target.
//!
//! Run: `cargo bench --bench check` (release profile). Prints milliseconds per check.
//! `CUTOVER_BENCH_LINES=50000 cargo bench --bench check` measures another size.

use std::hint::black_box;
use std::time::Instant;

use cutover::check::{check_source, Target};

/// A step-like script: splats, pipelines, loops, functions; repeated blocks of 25 lines.
fn script(lines: usize) -> String {
    let block = r#"function Set-CutoverAlias {
    param([string]$Identity, [string]$Address)
    $params = @{ Identity = $Identity }
    $params['EmailAddresses'] = @{ Add = $Address }
    Set-Mailbox @params -ErrorAction Stop -WhatIf:$WhatIfPreference
}
$rows = Import-Csv -Path $DataPath
foreach ($row in $rows) {
    if ([string]::IsNullOrEmpty($row.Identity)) { continue }
    try {
        Set-CutoverAlias -Identity $row.Identity -Address $row.Address
        Write-Output ('ok ' + $row.Op)
    } catch {
        Write-Warning $_.Exception.Message
    }
}
Get-Mailbox -ResultSize Unlimited | Set-Mailbox -MaxSendSize 150MB -MaxReceiveSize 150MB
$group = @{ Name = 'g'; Alias = 'g'; PrimarySmtpAddress = 'g@contoso.com' }
New-DistributionGroup @group -Type Distribution
Add-DistributionGroupMember -Identity 'g' -Member 'm' -BypassSecurityGroupManagerCheck
$stats = Get-MailboxStatistics -Identity 'm'
$size = $stats.TotalItemSize
Get-Recipient -ResultSize Unlimited | Where-Object { $_.Alias -eq 'x' } | Select-Object Alias
New-ManagementRoleAssignment -Name 'n' -Role ApplicationImpersonation -User 'svc'
# end of block
"#;
    let per = block.lines().count();
    block.repeat(lines.div_ceil(per))
}

fn main() {
    let size = std::env::var("CUTOVER_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let text = script(size);
    let lines = text.lines().count();
    parse_only(&text);
    for target in [
        Target::Exchange2010,
        Target::Exchange2016,
        Target::ExchangeOnline,
    ] {
        // Warm up (parses the embedded catalog once).
        black_box(check_source(&text, "bench.ps1", target, &[]));
        let runs = 20;
        let start = Instant::now();
        let mut findings = 0;
        for _ in 0..runs {
            findings = black_box(check_source(&text, "bench.ps1", target, &[])).len();
        }
        let per_run = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!(
            "check_source {target}: {lines} lines in {per_run:.1} ms per run ({:.0} lines/s, {findings} findings)",
            lines as f64 / per_run * 1000.0
        );
    }
}
/// The tree-sitter parse alone, to show what share of the time the checks add.
fn parse_only(text: &str) {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_pwsh::LANGUAGE.into())
        .expect("grammar loads");
    let runs = 20;
    let start = Instant::now();
    for _ in 0..runs {
        black_box(p.parse(text, None));
    }
    let per_run = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    println!("tree-sitter parse alone: {per_run:.1} ms per run");
}
