//! Data the checks consult besides the catalog: core PowerShell commands, retired cmdlets and
//! their replacements, and language features newer than a target's shell.

use super::target::PsVersion;

/// Cmdlets and functions shipped with PowerShell itself (Microsoft.PowerShell.* modules) that
/// scripts in this domain use, plus their common aliases. They exist on every target.
pub const CORE_COMMANDS: &[&str] = &[
    // Microsoft.PowerShell.Core
    "ForEach-Object",
    "Where-Object",
    "Import-Module",
    "Get-Module",
    "Remove-Module",
    "Get-Command",
    "Get-Help",
    "New-Module",
    "Export-ModuleMember",
    "Invoke-Command",
    "New-PSSession",
    "Import-PSSession",
    "Remove-PSSession",
    "Get-PSSession",
    "Enter-PSSession",
    "Exit-PSSession",
    "Set-StrictMode",
    "Start-Job",
    "Get-Job",
    "Receive-Job",
    "Wait-Job",
    "Remove-Job",
    "Out-Default",
    "Out-Null",
    "Out-Host",
    "Add-PSSnapin",
    "Get-PSSnapin",
    // Microsoft.PowerShell.Utility
    "Write-Output",
    "Write-Host",
    "Write-Warning",
    "Write-Error",
    "Write-Verbose",
    "Write-Debug",
    "Write-Progress",
    "Write-Information",
    "Select-Object",
    "Sort-Object",
    "Group-Object",
    "Measure-Object",
    "Compare-Object",
    "Tee-Object",
    "New-Object",
    "Add-Member",
    "Get-Member",
    "Get-Date",
    "New-TimeSpan",
    "Start-Sleep",
    "Import-Csv",
    "Export-Csv",
    "ConvertTo-Csv",
    "ConvertFrom-Csv",
    "ConvertTo-Json",
    "ConvertFrom-Json",
    "ConvertTo-Html",
    "ConvertTo-Xml",
    "Import-Clixml",
    "Export-Clixml",
    "Out-File",
    "Out-String",
    "Format-Table",
    "Format-List",
    "Select-String",
    "Get-Random",
    "Get-Unique",
    "Set-Variable",
    "Get-Variable",
    "New-Variable",
    "Remove-Variable",
    "Clear-Variable",
    "Get-Host",
    "Read-Host",
    "Invoke-Expression",
    "Invoke-RestMethod",
    "Invoke-WebRequest",
    "Add-Type",
    "Get-FileHash",
    "New-Guid",
    "Get-Culture",
    "Get-UICulture",
    "Update-TypeData",
    "Update-FormatData",
    "Get-TypeData",
    "Measure-Command",
    "Trace-Command",
    "Set-Alias",
    "Get-Alias",
    "New-Alias",
    "Start-Transcript",
    "Stop-Transcript",
    "Get-Error",
    // Microsoft.PowerShell.Management
    "Test-Path",
    "Join-Path",
    "Split-Path",
    "Resolve-Path",
    "Convert-Path",
    "Get-Item",
    "Get-ChildItem",
    "New-Item",
    "Remove-Item",
    "Copy-Item",
    "Move-Item",
    "Rename-Item",
    "Get-ItemProperty",
    "Set-ItemProperty",
    "Get-Content",
    "Set-Content",
    "Add-Content",
    "Clear-Content",
    "Get-Location",
    "Set-Location",
    "Push-Location",
    "Pop-Location",
    "Get-Process",
    "Stop-Process",
    "Start-Process",
    "Get-Service",
    "Restart-Service",
    "Start-Service",
    "Stop-Service",
    "Get-WmiObject",
    "Get-CimInstance",
    "Test-Connection",
    "Get-ComputerInfo",
    "Get-PSDrive",
    // Microsoft.PowerShell.Security
    "Get-Credential",
    "Get-ExecutionPolicy",
    "Set-ExecutionPolicy",
    "ConvertTo-SecureString",
    "ConvertFrom-SecureString",
    "Get-Acl",
    "Set-Acl",
    "Get-AuthenticodeSignature",
    // PowerShellGet / PackageManagement, used by preflight checks
    "Find-Module",
    "Install-Module",
    "Update-Module",
    "Get-InstalledModule",
    "Uninstall-Module",
];

/// Common aliases of core commands; not Verb-Noun, so unknown ones are never reported anyway,
/// but the PowerShell-version checks need to know what they stand for.
pub const CORE_ALIASES: &[(&str, &str)] = &[
    ("%", "ForEach-Object"),
    ("foreach", "ForEach-Object"),
    ("?", "Where-Object"),
    ("where", "Where-Object"),
    ("select", "Select-Object"),
    ("sort", "Sort-Object"),
    ("echo", "Write-Output"),
    ("gc", "Get-Content"),
    ("ipcsv", "Import-Csv"),
    ("epcsv", "Export-Csv"),
    // Aliases Microsoft.Graph.Authentication exports for its own commands.
    ("Connect-Graph", "Connect-MgGraph"),
    ("Disconnect-Graph", "Disconnect-MgGraph"),
    ("Invoke-GraphRequest", "Invoke-MgGraphRequest"),
];

/// The name a command resolves to when written as a core alias.
pub fn resolve_alias(name: &str) -> &str {
    CORE_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map_or(name, |(_, full)| full)
}

/// Every command of the PowerShell 5.1 and 7 core modules (see the file's header).
const CORE_MODULE_COMMANDS: &str = include_str!("core_commands.txt");

pub fn is_core(name: &str) -> bool {
    static ALL: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| {
        CORE_MODULE_COMMANDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .chain(CORE_COMMANDS.iter().copied())
            .map(str::to_ascii_lowercase)
            .collect()
    });
    all.contains(&name.to_ascii_lowercase())
}

/// Microsoft's MSOnline / AzureAD -> Microsoft Graph PowerShell map, the entries a migration
/// meets (m365-facts.md 1.1 cites the map; the rows below are copied from it:
/// MicrosoftDocs/microsoftgraph-docs-powershell `docs-conceptual/azuread-msoline-cmdlet-map.md`
/// at commit 000b5d0b654b5c96e656eb7ac91938c5d0827435). Others point to the map itself.
pub const RETIRED_REPLACEMENTS: &[(&str, &str)] = &[
    ("Connect-MsolService", "Connect-MgGraph -Scopes ..."),
    ("New-MsolUser", "New-MgUser"),
    ("Get-MsolUser", "Get-MgUser"),
    ("Set-MsolUser", "Update-MgUser"),
    ("Set-MsolUserPrincipalName", "Update-MgUser"),
    ("Remove-MsolUser", "Remove-MgUser"),
    ("Restore-MsolUser", "Restore-MgDirectoryDeletedItem"),
    ("Set-MsolUserLicense", "Set-MgUserLicense"),
    ("New-MsolLicenseOptions", "Set-MgUserLicense"),
    (
        "Set-MsolUserPassword",
        "Reset-MgUserAuthenticationMethodPassword",
    ),
    ("Get-MsolAccountSku", "Get-MgSubscribedSku"),
    ("Get-MsolSubscription", "Get-MgSubscribedSku"),
    ("Get-MsolPasswordPolicy", "Get-MgDomain"),
    ("Set-MsolPasswordPolicy", "Update-MgDomain"),
    ("Get-MsolDomain", "Get-MgDomain"),
    ("New-MsolDomain", "New-MgDomain"),
    ("Set-MsolDomain", "Update-MgDomain"),
    ("Confirm-MsolDomain", "Confirm-MgDomain"),
    (
        "Get-MsolDomainVerificationDns",
        "Get-MgDomainVerificationDnsRecord",
    ),
    ("Get-MsolGroup", "Get-MgGroup"),
    ("New-MsolGroup", "New-MgGroup"),
    ("Add-MsolGroupMember", "New-MgGroupMember"),
    ("Get-MsolGroupMember", "Get-MgGroupMember"),
    ("Remove-MsolGroupMember", "Remove-MgGroupMemberByRef"),
    ("Get-MsolCompanyInformation", "Get-MgOrganization"),
    ("Connect-AzureAD", "Connect-MgGraph"),
    ("Disconnect-AzureAD", "Disconnect-MgGraph"),
    ("Get-AzureADUser", "Get-MgUser"),
    ("New-AzureADUser", "New-MgUser"),
    ("Set-AzureADUser", "Update-MgUser"),
    ("Remove-AzureADUser", "Remove-MgUser"),
    ("Set-AzureADUserPassword", "Update-MgUser"),
    ("Set-AzureADUserLicense", "Set-MgUserLicense"),
    ("Get-AzureADUserLicenseDetail", "Get-MgUserLicenseDetail"),
    ("Get-AzureADSubscribedSku", "Get-MgSubscribedSku"),
    ("Get-AzureADTenantDetail", "Get-MgOrganization"),
    ("Get-AzureADDomain", "Get-MgDomain"),
    ("New-AzureADDomain", "New-MgDomain"),
    ("Confirm-AzureADDomain", "Confirm-MgDomain"),
    (
        "Get-AzureADDomainVerificationDnsRecord",
        "Get-MgDomainVerificationDnsRecord",
    ),
    (
        "Get-AzureADDomainServiceConfigurationRecord",
        "Get-MgDomainServiceConfigurationRecord",
    ),
    ("Get-AzureADGroup", "Get-MgGroup"),
    ("New-AzureADGroup", "New-MgGroup"),
    ("Get-AzureADGroupMember", "Get-MgGroupMember"),
    ("Add-AzureADGroupMember", "New-MgGroupMember"),
    ("Remove-AzureADGroupMember", "Remove-MgGroupMemberByRef"),
];

pub const CMDLET_MAP_URL: &str =
    "https://learn.microsoft.com/powershell/microsoftgraph/azuread-msoline-cmdlet-map";

/// `Verb-Msol...` / `Verb-AzureAD...`: the retired module a command belongs to, if any.
pub fn retired_module(name: &str) -> Option<&'static str> {
    let noun = name.split_once('-')?.1.to_ascii_lowercase();
    if noun.starts_with("msol") {
        Some("MSOnline")
    } else if noun.starts_with("azuread") {
        Some("AzureAD")
    } else {
        None
    }
}

/// Module names whose import means the script depends on a retired module.
pub const RETIRED_MODULES: &[&str] = &["MSOnline", "AzureAD", "AzureADPreview"];

/// Getters that return at most 1,000 objects unless told otherwise, and how to lift the cap.
pub struct Capped {
    pub cmdlet: &'static str,
    /// Parameter that lifts or sets the cap on purpose.
    pub lift: &'static str,
    /// What to write instead.
    pub fix: &'static str,
    pub default_cap: u32,
    /// Parameters that select specific objects, so the cap does not matter.
    pub selects: &'static [&'static str],
    /// Whether a positional argument selects specific objects too (it binds to Identity);
    /// for member lists it names the group, whose members are still capped.
    pub positional_selects: bool,
}

pub const CAPPED_GETTERS: &[Capped] = &[
    capped_exchange("Get-Mailbox"),
    capped_exchange("Get-Recipient"),
    capped_exchange("Get-User"),
    capped_exchange("Get-MailUser"),
    capped_exchange("Get-MailContact"),
    capped_exchange("Get-Contact"),
    capped_exchange("Get-DistributionGroup"),
    Capped {
        cmdlet: "Get-DistributionGroupMember",
        lift: "ResultSize",
        fix: "-ResultSize Unlimited",
        default_cap: 1000,
        selects: &[],
        positional_selects: false,
    },
    capped_exchange("Get-Group"),
    capped_exchange("Get-CASMailbox"),
    capped_exchange("Get-RemoteMailbox"),
    capped_exchange("Get-UnifiedGroup"),
    capped_exchange("Get-MailboxPermission"),
    capped_exchange("Get-RecipientPermission"),
    capped_exchange("Get-EXOMailbox"),
    capped_exchange("Get-EXORecipient"),
    capped_exchange("Get-EXOCasMailbox"),
    capped_exchange("Get-MailboxPlan"),
    Capped {
        cmdlet: "Get-MgUser",
        lift: "All",
        fix: "-All",
        default_cap: 100,
        selects: &["UserId", "Top"],
        positional_selects: true,
    },
    Capped {
        cmdlet: "Get-MgGroup",
        lift: "All",
        fix: "-All",
        default_cap: 100,
        selects: &["GroupId", "Top"],
        positional_selects: true,
    },
    Capped {
        cmdlet: "Get-MgGroupMember",
        lift: "All",
        fix: "-All",
        default_cap: 100,
        selects: &["Top"],
        positional_selects: false,
    },
];

const fn capped_exchange(cmdlet: &'static str) -> Capped {
    Capped {
        cmdlet,
        lift: "ResultSize",
        fix: "-ResultSize Unlimited",
        default_cap: 1000,
        selects: &["Identity", "Anr"],
        positional_selects: true,
    }
}

/// Verbs whose commands change something: a capped getter feeding one of these changes only
/// part of the objects.
pub const CHANGING_VERBS: &[&str] = &[
    "Set", "Add", "Remove", "New", "Enable", "Disable", "Update", "Grant", "Revoke", "Clear",
    "Move", "Suspend", "Resume", "Start", "Stop", "Complete", "Reset",
];

/// Core cmdlets that write objects out: a capped getter feeding one exports only one page.
pub const WRITERS: &[&str] = &[
    "Export-Csv",
    "Export-Clixml",
    "Out-File",
    "Set-Content",
    "Add-Content",
];

/// Cmdlets that arrived after PowerShell 1.0 (Exchange 2007's shell), 2.0 (Exchange 2010's)
/// or 5.1. A command run only inside `if (Get-Command NAME ...)` is not reported.
pub const NEWER_CMDLETS: &[(&str, PsVersion)] = &[
    ("Import-Module", PsVersion::V2),
    ("Export-ModuleMember", PsVersion::V2),
    ("New-Module", PsVersion::V2),
    ("Get-Module", PsVersion::V2),
    ("Remove-Module", PsVersion::V2),
    ("Add-Type", PsVersion::V2),
    ("Invoke-Command", PsVersion::V2),
    ("Start-Job", PsVersion::V2),
    ("New-PSSession", PsVersion::V2),
    ("Import-PSSession", PsVersion::V2),
    ("ConvertTo-Csv", PsVersion::V2),
    ("ConvertFrom-Csv", PsVersion::V2),
    ("Get-Random", PsVersion::V2),
    ("Select-Xml", PsVersion::V2),
    ("Test-Connection", PsVersion::V2),
    ("Set-StrictMode", PsVersion::V2),
    ("Send-MailMessage", PsVersion::V2),
    ("Out-GridView", PsVersion::V2),
    ("ConvertTo-Json", PsVersion::V3),
    ("ConvertFrom-Json", PsVersion::V3),
    ("Invoke-RestMethod", PsVersion::V3),
    ("Invoke-WebRequest", PsVersion::V3),
    ("Get-CimInstance", PsVersion::V3),
    ("Get-FileHash", PsVersion::V4),
    ("Write-Information", PsVersion::V5),
    ("New-Guid", PsVersion::V5),
    ("New-TemporaryFile", PsVersion::V5),
    ("Get-ComputerInfo", PsVersion::V5),
    ("Get-Error", PsVersion::V7),
];

/// Parameters of core cmdlets that arrived after PowerShell 1.0 or 2.0.
pub const NEWER_PARAMETERS: &[(&str, &str, PsVersion)] = &[
    ("Import-Csv", "Delimiter", PsVersion::V2),
    ("Import-Csv", "Header", PsVersion::V2),
    ("Import-Csv", "UseCulture", PsVersion::V2),
    ("Import-Csv", "LiteralPath", PsVersion::V2),
    ("Export-Csv", "Delimiter", PsVersion::V2),
    ("Export-Csv", "UseCulture", PsVersion::V2),
    ("New-Object", "Property", PsVersion::V2),
    ("Get-Content", "Tail", PsVersion::V3),
    ("Import-Csv", "Encoding", PsVersion::V3),
    ("Export-Csv", "Append", PsVersion::V3),
    ("Get-Content", "Raw", PsVersion::V3),
    ("Set-Content", "NoNewline", PsVersion::V5),
    ("Add-Content", "NoNewline", PsVersion::V5),
    ("Out-File", "NoNewline", PsVersion::V5),
    ("ForEach-Object", "Parallel", PsVersion::V7),
];

/// `-Encoding` values only PowerShell 6+ understands (Windows PowerShell rejects them).
pub const NEWER_ENCODINGS: &[&str] = &["utf8BOM", "utf8NoBOM"];

/// Type accelerators that arrived after PowerShell 2.0.
pub const NEWER_TYPES: &[(&str, PsVersion)] = &[
    ("pscustomobject", PsVersion::V3),
    ("ordered", PsVersion::V3),
];
