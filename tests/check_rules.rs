//! Each check rule, positive and negative, through the library entry points.

use cutover::check::{check_source, syntax_errors, Target};
use cutover::diag::{Finding, Severity};

fn check(src: &str, target: Target) -> Vec<Finding> {
    check_source(src, "t.ps1", target, &[])
}

fn codes(src: &str, target: Target) -> Vec<&'static str> {
    check(src, target).into_iter().map(|f| f.code).collect()
}

fn has(src: &str, target: Target, code: &str) -> bool {
    codes(src, target).contains(&code)
}

fn fixture(path: &str) -> String {
    let p = format!("{}/tests/fixtures/check/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

use Target::*;

// PS001 syntax-error

#[test]
fn syntax_errors_report_line_and_text() {
    let errs = syntax_errors("Write-Output 'ok'\nif ($x) {\n  Write-Output 'open'\n");
    assert!(!errs.is_empty());
    assert!(errs.iter().all(|(line, _)| *line >= 2), "{errs:?}");
    assert!(syntax_errors("Get-Mailbox -ResultSize Unlimited\n").is_empty());
}

#[test]
fn ps001_the_alias_loop_does_not_parse() {
    let src = fixture("playbook/alias-loop.ps1");
    let found = check(&src, ExchangeOnline);
    let syntax: Vec<_> = found.iter().filter(|f| f.code == "PS001").collect();
    assert_eq!(syntax.len(), 1, "{found:#?}");
    assert_eq!(syntax[0].line, Some(6));
    assert_eq!(syntax[0].severity, Severity::Error);
    assert!(!has("$a = 1\nWrite-Output $a\n", ExchangeOnline, "PS001"));
}

// PS002 cmdlet-not-on-target

#[test]
fn ps002_cmdlet_missing_on_target_names_where_it_exists() {
    let found = check(
        "Set-ThrottlingPolicy -Identity p -EWSMaxConcurrency 10\n",
        ExchangeOnline,
    );
    let f = found.iter().find(|f| f.code == "PS002").expect("PS002");
    assert!(f.message.contains("exchange2010"), "{}", f.message);
    assert!(f.message.contains("exchangeOnline"), "{}", f.message);
    assert!(!has(
        "Set-ThrottlingPolicy -Identity p -EWSMaxConcurrency 10\n",
        Exchange2016,
        "PS002"
    ));
    assert!(has("New-MgUser -DisplayName x\n", Exchange2019, "PS002"));
    assert!(has("Get-MailboxPlan\n", Exchange2010, "PS002"));
}

// PS003 parameter-not-on-target

#[test]
fn ps003_unknown_parameter() {
    let found = check("Set-Mailbox -Identity a -NoSuchThing 1\n", ExchangeOnline);
    let f = found.iter().find(|f| f.code == "PS003").expect("PS003");
    assert_eq!(f.column.as_deref(), Some("NoSuchThing"));
    assert!(!has(
        "Set-Mailbox -Identity a -MaxSendSize 150MB\n",
        ExchangeOnline,
        "PS003"
    ));
}

#[test]
fn ps003_parameter_from_another_version() {
    let src = "Set-ThrottlingPolicy -Identity p -EwsMaxBurst Unlimited\n";
    let found = check(src, Exchange2010);
    let f = found.iter().find(|f| f.code == "PS003").expect("PS003");
    assert!(f.message.contains("exchange2013"), "{}", f.message);
    assert!(!has(src, Exchange2016, "PS003"));
}

#[test]
fn ps003_prefixes_bind_like_powershell() {
    // Unambiguous prefix and any-case names bind; an ambiguous prefix does not.
    assert!(!has(
        "Get-Mailbox -resultS Unlimited\n",
        ExchangeOnline,
        "PS003"
    ));
    let found = check("Set-Mailbox -Identity a -EmailAddress x\n", ExchangeOnline);
    let f = found.iter().find(|f| f.code == "PS003").expect("ambiguous");
    assert!(f.message.contains("ambiguous"), "{}", f.message);
    // An exact name wins over longer names it prefixes.
    assert!(!has(
        "Set-Mailbox -Identity a -EmailAddresses @{Add='x'}\n",
        ExchangeOnline,
        "PS003"
    ));
}

#[test]
fn ps003_common_parameters_and_aliases() {
    let src = "Set-Mailbox -Identity a -MaxSendSize 1MB -WhatIf:$true -Confirm:$false -ErrorAction Stop -ErrorVariable e -OutVariable o -Verbose -ea 0 -wi\n";
    assert!(
        codes(src, Exchange2010).is_empty(),
        "{:?}",
        check(src, Exchange2010)
    );
    // Get-Mailbox does not support -WhatIf (the docs list none), so PowerShell refuses it.
    assert!(has(
        "Get-Mailbox -ResultSize Unlimited -WhatIf\n",
        ExchangeOnline,
        "PS003"
    ));
    // -InformationAction arrived in PowerShell 5.0.
    assert!(has(
        "Set-Mailbox -Identity a -InformationAction Ignore\n",
        Exchange2010,
        "PS030"
    ));
    assert!(codes(
        "Set-Mailbox -Identity a -InformationAction Ignore\n",
        Exchange2016
    )
    .is_empty());
}

#[test]
fn ps003_en_dash_parameters_are_parameters() {
    assert!(has(
        "Set-Mailbox -Identity a \u{2013}Bogus 1\n",
        ExchangeOnline,
        "PS003"
    ));
}

#[test]
fn ps003_splat_keys_are_checked() {
    let bad = "$p = @{ Identity = $x; Bogus = 1 }\nSet-Mailbox @p\n";
    let found = check(bad, ExchangeOnline);
    let f = found.iter().find(|f| f.code == "PS003").expect("PS003");
    assert!(f.message.contains("@p"), "{}", f.message);
    assert_eq!(f.line, Some(2));
    let good = "$p = @{ Identity = $x; Alias = 'a' }\nSet-Mailbox @p -WhatIf\n";
    assert!(codes(good, ExchangeOnline).is_empty());
}

#[test]
fn ps003_splat_additions_count() {
    for add in [
        "$p['Bogus'] = 1",
        "$p.Bogus = 1",
        "$p.Add('Bogus', 1)",
        "$p += @{ Bogus = 1 }",
    ] {
        let src = format!("[hashtable]$p = @{{ Identity = $x }}\n{add}\nSet-Mailbox @p\n");
        assert!(has(&src, ExchangeOnline, "PS003"), "{add}");
    }
    let ok = "$p = @{ Identity = $x }\nif ($y) { $p['MaxSendSize'] = '150MB' }\nSet-Mailbox @p\n";
    assert!(codes(ok, ExchangeOnline).is_empty());
}

#[test]
fn ps003_unresolvable_splats_are_not_reported() {
    let srcs = [
        "Set-Mailbox @PSBoundParameters\n",
        "$p = Get-Params\nSet-Mailbox @p\n",
        "$p = @{ Bogus = 1 }\n$p = $other\nSet-Mailbox @p\n",
        // A literal in another function's scope is not this scope's hashtable.
        "function Set-One {\n  $p = @{ Bogus = 1 }\n}\nSet-Mailbox @p\n",
    ];
    for src in srcs {
        assert!(!has(src, ExchangeOnline, "PS003"), "{src}");
    }
    // Reuse: the latest literal before the call is the one splatted.
    let reuse = "$p = @{ Bogus = 1 }\n$p = @{ Identity = 'a' }\nSet-Mailbox @p\n";
    assert!(!has(reuse, ExchangeOnline, "PS003"));
}

// PS004 unknown-command

#[test]
fn ps004_unknown_commands_are_info_once() {
    let found = check("Get-ADUser -Filter *\nGet-ADUser -Filter *\n", Exchange2016);
    let unknown: Vec<_> = found.iter().filter(|f| f.code == "PS004").collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].severity, Severity::Info);
}

#[test]
fn ps004_defined_and_core_commands_are_known() {
    let src = "function Write-CutoverResult { param($x)\n $x }\nWrite-CutoverResult 1\nWrite-Output 1 | Out-Null\nImport-Csv a.csv | Where-Object { $_ } | Sort-Object\n";
    assert!(
        codes(src, Exchange2016).is_empty(),
        "{:?}",
        check(src, Exchange2016)
    );
    let found = check_source(
        "Invoke-CutoverStep -Name x\n",
        "t.ps1",
        ExchangeOnline,
        &["Invoke-CutoverStep".to_string()],
    );
    assert!(found.is_empty(), "{found:?}");
}

// PS005 module-cmdlet-other-target

#[test]
fn ps005_module_functions_for_other_targets_are_noted() {
    let module = "function Connect-CutoverGraph {\n    Connect-MgGraph -Scopes 'User.ReadWrite.All'\n}\nfunction Connect-CutoverExchange {\n    Connect-ExchangeOnline -ShowBanner:$false\n}\n";
    let found = check_source(module, "modules/Cutover.psm1", ExchangeOnline, &[]);
    let codes: Vec<_> = found.iter().map(|f| (f.code, f.severity)).collect();
    assert_eq!(codes, vec![("PS005", Severity::Info)], "{found:?}");
    // The same call in a step, or at a module's top level, is an error.
    assert!(has(module, ExchangeOnline, "PS002"));
    let top = check_source("Connect-MgGraph\n", "m.psm1", ExchangeOnline, &[]);
    assert!(top.iter().any(|f| f.code == "PS002"), "{top:?}");
    // Parameters of cmdlets the target has are still checked in modules.
    let bad = check_source(
        "function F {\n  Get-Mailbox -Bogus 1\n}\n",
        "m.psm1",
        ExchangeOnline,
        &[],
    );
    assert!(bad.iter().any(|f| f.code == "PS003"), "{bad:?}");
}

// PS006 switch-with-separate-value

#[test]
fn ps006_switch_followed_by_a_boolean() {
    let found = check(
        "New-MgUser -DisplayName d -AccountEnabled $true -MailNickname m\n",
        Graph,
    );
    let f = found.iter().find(|f| f.code == "PS006").expect("PS006");
    assert_eq!(f.column.as_deref(), Some("AccountEnabled"));
    for ok in [
        "New-MgUser -DisplayName d -AccountEnabled -MailNickname m\n",
        "New-MgUser -DisplayName d -AccountEnabled:$true -MailNickname m\n",
        "$u = @{ DisplayName = 'd'; AccountEnabled = $true }\nNew-MgUser @u\n",
        // Not a switch: a value with a space is how it is passed.
        "Set-Mailbox -Identity a -HiddenFromAddressListsEnabled $true\n",
    ] {
        let found = check(
            ok,
            if ok.contains("Mg") {
                Graph
            } else {
                ExchangeOnline
            },
        );
        assert!(!found.iter().any(|f| f.code == "PS006"), "{ok}: {found:?}");
    }
}

// PS010 / PS011 retired modules

#[test]
fn ps010_msonline_with_replacement() {
    let found = check(&fixture("playbook/bulk-users-msol.ps1"), Graph);
    let f = found.iter().find(|f| f.code == "PS010").expect("PS010");
    assert!(f.message.contains("New-MgUser"), "{}", f.message);
    let found = check(
        "Connect-MsolService\nSet-MsolUserLicense -UserPrincipalName a\n",
        Graph,
    );
    let msgs: Vec<_> = found
        .iter()
        .filter(|f| f.code == "PS010")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(msgs.len(), 2);
    assert!(
        msgs[0].contains("Connect-MgGraph") && msgs[1].contains("Set-MgUserLicense"),
        "{msgs:?}"
    );
    assert!(has("Import-Module MSOnline\n", Graph, "PS010"));
    assert!(!has(
        "Connect-MgGraph -Scopes 'User.ReadWrite.All'\n",
        Graph,
        "PS010"
    ));
}

#[test]
fn ps011_azuread() {
    assert!(has(
        "Connect-AzureAD\nGet-AzureADUser -All $true\n",
        Graph,
        "PS011"
    ));
    assert!(has("Import-Module AzureADPreview\n", Graph, "PS011"));
    assert!(!has("Get-MgUser -All\n", Graph, "PS011"));
}

// PS012 exo-remote-powershell

#[test]
fn ps012_remote_powershell_to_exchange_online() {
    let found = check(&fixture("playbook/connect-exo-basic.ps1"), ExchangeOnline);
    assert!(found
        .iter()
        .any(|f| f.code == "PS012" && f.hint.contains("Connect-ExchangeOnline")));
    // Cloud URI is wrong whatever the target says.
    assert!(has(
        "$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri https://ps.outlook.com/powershell/ -Credential $c\n",
        Exchange2016,
        "PS012"
    ));
    assert!(has(
        "New-PSSession -ConnectionUri $u -Authentication Basic\n",
        ExchangeOnline,
        "PS012"
    ));
    // On premises, a Kerberos session to the Exchange server is how remote EMS works.
    assert!(!has(
        "$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri http://ex01.contoso.local/PowerShell/ -Authentication Kerberos\n",
        Exchange2016,
        "PS012"
    ));
}

// PS013 exo-application-impersonation

#[test]
fn ps013_impersonation_only_wrong_in_exchange_online() {
    let src = fixture("playbook/impersonation-source.ps1");
    assert!(has(&src, ExchangeOnline, "PS013"));
    assert!(!has(&src, Exchange2016, "PS013"));
    assert!(codes(&src, Exchange2010).is_empty());
    let splat = "$a = @{ Role = 'ApplicationImpersonation'; User = 'svc' }\nNew-ManagementRoleAssignment @a\n";
    assert!(has(splat, ExchangeOnline, "PS013"));
}

// PS020 result-size-cap

#[test]
fn ps020_capped_getter_feeding_a_change() {
    let found = check(&fixture("playbook/set-limits.ps1"), ExchangeOnline);
    let f = found.iter().find(|f| f.code == "PS020").expect("PS020");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.hint.contains("-ResultSize Unlimited"));
    for ok in [
        "Get-Mailbox -ResultSize Unlimited | Set-Mailbox -MaxSendSize 150MB\n",
        "Get-Mailbox -Identity a | Set-Mailbox -MaxSendSize 150MB\n",
        "Get-Mailbox a | Set-Mailbox -MaxSendSize 150MB\n",
        "Get-Mailbox | Format-Table Alias\n",
        "$p = Get-Params\nGet-Mailbox @p | Set-Mailbox -MaxSendSize 150MB\n",
    ] {
        assert!(!has(ok, ExchangeOnline, "PS020"), "{ok}");
    }
}

#[test]
fn ps020_capped_getter_feeding_an_export() {
    let src = "Get-Mailbox | Select-Object Alias, PrimarySmtpAddress | Export-Csv -Path m.csv -NoTypeInformation\n";
    assert!(has(src, Exchange2010, "PS020"));
    let src = "$all = Get-Recipient\n$all | Export-Csv -Path r.csv -NoTypeInformation\n";
    assert!(has(src, Exchange2016, "PS020"));
    let ok = "Get-Mailbox -ResultSize Unlimited | Select-Object Alias | Export-Csv -Path m.csv -NoTypeInformation\n";
    assert!(!has(ok, Exchange2010, "PS020"));
}

#[test]
fn ps020_through_a_variable_and_foreach() {
    let loop_src = "$users = Get-Recipient\nforeach ($u in $users) { Set-Mailbox -Identity $u.Identity -MaxSendSize 1MB }\n";
    assert!(has(loop_src, ExchangeOnline, "PS020"));
    let pipe_src = "$users = Get-Mailbox\n$users | ForEach-Object { Set-Mailbox -Identity $_.Identity -MaxSendSize 1MB }\n";
    assert!(has(pipe_src, ExchangeOnline, "PS020"));
    let ok = "$users = Get-Mailbox -ResultSize Unlimited\nforeach ($u in $users) { Set-Mailbox -Identity $u.Identity -MaxSendSize 1MB }\n";
    assert!(!has(ok, ExchangeOnline, "PS020"));
    let splat =
        "$g = @{ ResultSize = 'Unlimited' }\nGet-Mailbox @g | Set-Mailbox -MaxSendSize 1MB\n";
    assert!(!has(splat, ExchangeOnline, "PS020"));
}

#[test]
fn ps020_member_lists_are_capped_per_group() {
    // -Identity names the group here; its member list is still capped at 1,000.
    let src = "Get-DistributionGroupMember -Identity all@contoso.com | Remove-DistributionGroupMember -Identity all@contoso.com -Confirm:$false\n";
    assert!(has(src, ExchangeOnline, "PS020"));
    let ok = "Get-DistributionGroupMember -Identity all@contoso.com -ResultSize Unlimited | ForEach-Object { Add-DistributionGroupMember -Identity other -Member $_.Name }\n";
    assert!(!has(ok, ExchangeOnline, "PS020"));
}

#[test]
fn ps020_graph_pages() {
    assert!(has(
        "Get-MgUser | ForEach-Object { Update-MgUser -UserId $_.Id -UsageLocation US }\n",
        Graph,
        "PS020"
    ));
    assert!(!has(
        "Get-MgUser -All | ForEach-Object { Update-MgUser -UserId $_.Id -UsageLocation US }\n",
        Graph,
        "PS020"
    ));
}

// PS021 email-addresses-replace

#[test]
fn ps021_plain_email_addresses_replace_all() {
    for bad in [
        "Set-Mailbox -Identity a -EmailAddresses $_.EmailAddresses\n",
        "Set-Mailbox -Identity a -EmailAddresses 'SMTP:a@b.com','smtp:c@b.com'\n",
        "$p = @{ Identity = 'a'; EmailAddresses = 'smtp:a@b.com' }\nSet-Mailbox @p\n",
    ] {
        let found = check(bad, ExchangeOnline);
        assert!(
            found
                .iter()
                .any(|f| f.code == "PS021" && f.severity == Severity::Warning),
            "{bad}: {found:?}"
        );
    }
    // Exchange 2007 has only the replace form.
    assert!(!has(
        "Set-Mailbox -Identity a -EmailAddresses $list\n",
        Exchange2007,
        "PS021"
    ));
    for ok in [
        "Set-Mailbox -Identity a -EmailAddresses @{Add='smtp:a@b.com'}\n",
        "Set-Mailbox -Identity a -EmailAddresses @{ Remove = 'smtp:a@b.com' }\n",
        "$e = @{ Add = $row.Address }\nSet-Mailbox -Identity a -EmailAddresses $e\n",
        "$p = @{ Identity = 'a'; EmailAddresses = @{ Add = 'smtp:a@b.com' } }\nSet-Mailbox @p\n",
    ] {
        assert!(!has(ok, ExchangeOnline, "PS021"), "{ok}");
    }
}

// PS030 shell-version

#[test]
fn ps030_powershell_2_limits() {
    let features = [
        "$j = $x | ConvertTo-Json",
        "$o = $j | ConvertFrom-Json",
        "$o = [pscustomobject]@{ A = 1 }",
        "$h = [ordered]@{ A = 1 }",
        "$x | ForEach-Object { $PSItem }",
        "if ($a -in $b) { 1 }",
        "if ($a -notin $b) { 1 }",
        "$a.ForEach({ $_ })",
        "$a.Where({ $_ })",
        "class Row { [string]$Name }",
        "enum Kind { User }",
        "using namespace System.Text",
        "Import-Csv -Path a.csv -Encoding UTF8",
        "Get-Content -Path a.txt -Raw",
        "$rows | Export-Csv -Path a.csv -Append",
        "$rows | Where-Object Alias -eq 'a'",
    ];
    for src in features {
        let src = format!("{src}\n");
        let found = check(&src, Exchange2010);
        assert!(found.iter().any(|f| f.code == "PS030"), "{src}: {found:?}");
        assert!(has(&src, Exchange2007, "PS030"), "{src}");
        assert!(!has(&src, ExchangeOnline, "PS030"), "{src}");
    }
    let ps2 = "$o = New-Object PSObject -Property @{ A = 1 }\n$x | Where-Object { $_.A -eq 1 } | ForEach-Object { $_ }\nImport-Csv -Path a.csv\n";
    assert!(!has(ps2, Exchange2010, "PS030"));
}

/// Exchange 2007's shell may be Windows PowerShell 1.0: what 2.0 added is refused there, with
/// messages naming 1.0, and still accepted for Exchange 2010. The same cases as the generator's
/// own 1.0 test (tests/bundle_scripts.rs), through `cutover check`.
#[test]
fn ps030_powershell_1_limits_for_exchange2007() {
    let features: [(&str, &str); 21] = [
        ("try { 1 } catch { 2 }", "try/catch/finally"),
        ("try { 1 } finally { 2 }", "try/catch/finally"),
        ("function f { [CmdletBinding()] param() }", "attributes"),
        (
            "param([Parameter(Mandatory = $true)][string]$a)",
            "attributes",
        ),
        ("param([ValidateNotNullOrEmpty()]$a)", "attributes"),
        ("Import-Module $p -Force", "Import-Module"),
        ("Export-ModuleMember -Function *", "Export-ModuleMember"),
        ("Add-Type -TypeDefinition $t", "Add-Type"),
        ("Set-StrictMode -Version 2.0", "Set-StrictMode"),
        ("New-Item @params", "splatting"),
        ("$s = $a -join ';'", "-join"),
        ("$s = -join $a", "-join"),
        ("$a = $s -split ';'", "-split"),
        ("$PSCmdlet.ShouldProcess('a', 'b')", "$PSCmdlet"),
        ("Write-Host $PSBoundParameters.Count", "$PSBoundParameters"),
        (
            "Import-Csv -Path $p -Delimiter ';'",
            "Import-Csv -Delimiter",
        ),
        (
            "New-Object PSObject -Property @{ A = 1 }",
            "New-Object -Property",
        ),
        ("<# help #>\nWrite-Host 1", "block comments"),
        ("$s = { 1 }.GetNewClosure()", "GetNewClosure"),
        ("data { 'x' }", "data sections"),
        ("function f { dynamicparam { } }", "dynamicparam"),
    ];
    for (src, what) in features {
        let src = format!("{src}\n");
        let found: Vec<Finding> = check(&src, Exchange2007)
            .into_iter()
            .filter(|f| f.code == "PS030")
            .collect();
        assert!(
            found
                .iter()
                .any(|f| f.message.contains(what) && f.message.contains("Windows PowerShell 1.0")),
            "{src}: {found:?}"
        );
        assert!(!has(&src, Exchange2010, "PS030"), "{src}: fine in 2.0");
    }
    // What 3.0 added is refused for 2007 too.
    for src in [
        "if ($a -notin $b) { }\n",
        "$x | Where-Object { $PSItem }\n",
        "Write-Host $PSScriptRoot\n",
    ] {
        assert!(has(src, Exchange2007, "PS030"), "{src}");
    }
    // What 1.0 has raises nothing: type constraints, trap, a guarded Set-StrictMode, [string]::Join,
    // here-strings, New-Object + Add-Member, the 1.0 common parameters.
    let fine = "param([string]$a = '', [switch]$WhatIf)\n\
        if ($null -ne (Get-Command Set-StrictMode -ErrorAction SilentlyContinue)) { Set-StrictMode -Version 2.0 }\n\
        trap { $e = $_; continue }\n\
        $x = [string]::Join(';', [string[]]@('a')) -replace 'a', 'b'\n\
        $h = @\"\nhere\n\"@\n\
        $o = New-Object PSObject\n\
        $o | Add-Member -MemberType NoteProperty -Name A -Value 1\n\
        @(Get-Mailbox -ResultSize Unlimited -ErrorAction Stop) | Where-Object { $_.Name -notmatch 'x' }\n";
    let found: Vec<Finding> = check(fine, Exchange2007)
        .into_iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    assert!(found.is_empty(), "{found:#?}");
    // -WarningAction came with 2.0; -ErrorAction was there in 1.0.
    assert!(has(
        "Get-Mailbox -WarningAction SilentlyContinue\n",
        Exchange2007,
        "PS030"
    ));
}

#[test]
fn ps030_windows_powershell_limits_on_later_servers() {
    let src = "$rows | Export-Csv -Path a.csv -Encoding utf8BOM\n";
    assert!(has(src, Exchange2016, "PS030"));
    assert!(!has(src, ExchangeOnline, "PS030"));
    assert!(has("$a = $b ? 1 : 2\n", Exchange2019, "PS030"));
    assert!(!has(
        "$a = [pscustomobject]@{ A = 1 }\n",
        Exchange2019,
        "PS030"
    ));
}

// PS040 exchange2007-approximation

#[test]
fn ps040_once_per_file_for_exchange2007() {
    let found = check(
        "Get-Mailbox -ResultSize Unlimited\nGet-Mailbox -ResultSize Unlimited\n",
        Exchange2007,
    );
    let infos: Vec<_> = found.iter().filter(|f| f.code == "PS040").collect();
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].line, None);
    assert!(!has(
        "Get-Mailbox -ResultSize Unlimited\n",
        Exchange2010,
        "PS040"
    ));
}

// The playbook's three traps, from its own scripts.

#[test]
fn playbook_traps_are_each_detected() {
    // 1. The alias loop does not parse.
    assert!(has(
        &fixture("playbook/alias-loop.ps1"),
        ExchangeOnline,
        "PS001"
    ));
    // 2. Basic-auth session and MSOnline.
    let connect = codes(&fixture("playbook/connect-exo-basic.ps1"), ExchangeOnline);
    assert!(
        connect.contains(&"PS012") && connect.contains(&"PS010"),
        "{connect:?}"
    );
    assert!(has(
        &fixture("playbook/bulk-users-msol.ps1"),
        Graph,
        "PS010"
    ));
    // 3. Get-Mailbox without -ResultSize Unlimited.
    assert!(has(
        &fixture("playbook/set-limits.ps1"),
        ExchangeOnline,
        "PS020"
    ));
    // And the alias loop once it parses: the replace form and the 1,000 cap.
    let fixed = codes(
        &fixture("playbook/alias-loop-fixed-syntax.ps1"),
        ExchangeOnline,
    );
    assert!(
        fixed.contains(&"PS020") && fixed.contains(&"PS021") && fixed.contains(&"PS012"),
        "{fixed:?}"
    );
}

#[test]
fn correct_scripts_pass_clean_for_their_target() {
    for t in Target::ALL {
        let src = fixture(&format!("good/{}.ps1", t.token()));
        let found: Vec<_> = check(&src, t)
            .into_iter()
            .filter(|f| f.severity != Severity::Info)
            .collect();
        assert!(found.is_empty(), "{t}: {found:#?}");
    }
}

#[test]
fn every_check_rule_is_registered_once() {
    let codes: Vec<_> = cutover::check::RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), codes.len());
    for code in codes {
        assert!(cutover::rules::by_code(code).is_some(), "{code}");
    }
}

#[test]
fn one_line_functions_with_param_blocks_parse() {
    // PowerShell accepts these; tree-sitter-pwsh alone does not (see script::parse).
    let src = "function Get-One { param($a) Write-Output $a }\nfunction Get-Two { param([string]$b) Get-Mailbox -Identity $b -Bogus 1 }\n";
    assert!(syntax_errors(src).is_empty(), "{:?}", syntax_errors(src));
    let found = check(src, ExchangeOnline);
    // The body is still checked as code, on its own line.
    assert!(
        found.iter().any(|f| f.code == "PS003" && f.line == Some(2)),
        "{found:?}"
    );
    assert!(!syntax_errors("function Bad { param($a) Write-Output ( }\n").is_empty());
}

#[test]
fn bareword_arrays_after_an_expression_parse() {
    // PowerShell reads `Name` here as a string; tree-sitter-pwsh alone reports an error.
    for src in [
        "$rows | Select-Object @{ Name = 'A'; Expression = { 1 } }, Alias, Name\n",
        "$rows | Select-Object $first, Alias,\n    Name | Export-Csv -Path a.csv -NoTypeInformation\n",
    ] {
        assert!(syntax_errors(src).is_empty(), "{src}: {:?}", syntax_errors(src));
    }
    // The command is still checked. (Parameters after such an array still confuse the
    // grammar: `Cmd $a, B -Param 1` is reported as a syntax error; see the report.)
    let found = check("Set-Mailbox -Bogus 1 -Identity $a, Other\n", ExchangeOnline);
    assert!(found.iter().any(|f| f.code == "PS003"), "{found:?}");
    assert!(!found.iter().any(|f| f.code == "PS001"), "{found:?}");
    // Real errors next to such arrays are still reported.
    assert!(!syntax_errors("Select-Object $a, Name )\n").is_empty());
    assert!(!syntax_errors("Select-Object $a, Name = \n").is_empty());
}

#[test]
fn the_latest_assignment_of_a_variable_counts() {
    // Reassigned from something else after the capped getter: no longer the getter's output.
    let src = "$users = Get-Mailbox\n$users = @(Import-Csv u.csv)\nforeach ($u in $users) { Set-Mailbox -Identity $u.Identity -MaxSendSize 1MB }\n";
    assert!(!has(src, ExchangeOnline, "PS020"));
    let src = "$users = Import-Csv u.csv\n$users = Get-Mailbox\nforeach ($u in $users) { Set-Mailbox -Identity $u.Identity -MaxSendSize 1MB }\n";
    assert!(has(src, ExchangeOnline, "PS020"));
}

#[test]
fn scripts_for_several_targets_accept_what_any_of_them_has() {
    use cutover::check::check_source_for;
    let src = "Connect-ExchangeOnline -ShowBanner:$false\nConnect-MgGraph -Scopes 'User.Read.All'\nGet-MgUser -All | ForEach-Object { Set-Mailbox -Identity $_.Mail -MaxSendSize 150MB }\nSet-ThrottlingPolicy -Identity p -EwsMaxBurst Unlimited\n";
    let both = check_source_for(src, "t.ps1", &[ExchangeOnline, Graph], &[]);
    let codes: Vec<_> = both.iter().map(|f| (f.code, f.line)).collect();
    // Only the on-premises cmdlet is wrong for the pair.
    assert_eq!(codes, vec![("PS002", Some(4))], "{both:?}");
    assert!(
        both[0].message.contains("exchangeOnline or graph"),
        "{}",
        both[0].message
    );
    assert!(codes_of(check(src, ExchangeOnline)).contains(&"PS002"));
    // Language features follow the oldest shell among the targets.
    let ps3 = "$o = [pscustomobject]@{ A = 1 }\n";
    assert!(
        check_source_for(ps3, "t.ps1", &[Exchange2010, ExchangeOnline], &[])
            .iter()
            .any(|f| f.code == "PS030")
    );
    assert!(check_source_for(ps3, "t.ps1", &[], &[]).is_empty());
}

fn codes_of(found: Vec<Finding>) -> Vec<&'static str> {
    found.into_iter().map(|f| f.code).collect()
}

#[test]
fn the_playbook_scripts_that_still_work_pass() {
    // Its distribution-list import uses cmdlets and parameters Exchange Online still has.
    let found = check(&fixture("playbook/distribution-groups.ps1"), ExchangeOnline);
    assert!(found.is_empty(), "{found:?}");
    // Its destination impersonation script fails twice over today.
    let found = codes(&fixture("playbook/impersonation-exo.ps1"), ExchangeOnline);
    assert!(
        found.contains(&"PS012") && found.contains(&"PS013"),
        "{found:?}"
    );
}
