//! The check rules: one registry entry each, in code order.

use crate::diag::Severity;
use crate::rules::Rule;

/// Every check rule, in code order.
pub static RULES: &[Rule] = &[
    SYNTAX,
    CMDLET_NOT_ON_TARGET,
    PARAM_NOT_ON_TARGET,
    UNKNOWN_COMMAND,
    MODULE_OTHER_TARGET,
    SWITCH_VALUE,
    MSONLINE,
    AZUREAD,
    EXO_REMOTE_SESSION,
    EXO_IMPERSONATION,
    RESULT_SIZE,
    EMAIL_REPLACE,
    TRY_WITHOUT_STOP,
    IDENTITY_UNSET,
    SHELL_VERSION,
    ANSI_ENCODING,
    EXCHANGE2007,
];

pub const SYNTAX: Rule = Rule {
    code: "PS001",
    name: "syntax-error",
    severity: Severity::Error,
    summary: "the script does not parse",
    hint: "fix the syntax at the reported line; nothing after a parse error runs",
    explanation: "PowerShell parses a whole script before running any of it, so one syntax \
        error stops every line. The playbook's alias loop \
        (`$a.emailaddresses.Add(\"$(($a.alias)@domain.com\")`) is such a script.",
};

pub const CMDLET_NOT_ON_TARGET: Rule = Rule {
    code: "PS002",
    name: "cmdlet-not-on-target",
    severity: Severity::Error,
    summary: "the cmdlet does not exist in the target environment",
    hint: "use the cmdlet the target has, or run this step against an environment that has it",
    explanation: "The cmdlet catalog (from Microsoft's reference docs) lists the environments \
        each Exchange and Graph cmdlet exists in; running a script against another one fails \
        with 'the term is not recognized'. Exchange 2007 is not in the current docs: its \
        scripts are checked against the Exchange 2010 lists, the closest there are.",
};

pub const PARAM_NOT_ON_TARGET: Rule = Rule {
    code: "PS003",
    name: "parameter-not-on-target",
    severity: Severity::Error,
    summary: "a parameter does not exist (or is ambiguous) for this cmdlet on the target",
    hint: "use the full parameter name the target documents",
    explanation: "PowerShell binds a parameter by exact name or alias, else by a prefix that \
        matches exactly one parameter; otherwise the command fails before it runs. Keys of a \
        splatted hashtable literal are checked the same way.",
};

pub const UNKNOWN_COMMAND: Rule = Rule {
    code: "PS004",
    name: "unknown-command",
    severity: Severity::Info,
    summary: "a Verb-Noun command that is neither in the catalog, a core cmdlet, nor defined here",
    hint: "pass the file that defines it along with this one, or check the module it needs",
    explanation: "The catalog holds the Exchange and Graph cmdlets migrations use, not every \
        cmdlet there is, so an unknown command is only noted.",
};

pub const MODULE_OTHER_TARGET: Rule = Rule {
    code: "PS005",
    name: "module-cmdlet-other-target",
    severity: Severity::Info,
    summary: "a module function calls a cmdlet the target does not have",
    hint: "call this function only from steps whose target has the cmdlet",
    explanation: "A module (.psm1) shared by steps of several targets may hold functions for \
        each of them, e.g. one that connects to Graph and one that connects to Exchange Online. \
        A cmdlet inside a module function is only an error for the steps that call it, so it \
        is noted here; the same cmdlet in a step is PS002.",
};

pub const SWITCH_VALUE: Rule = Rule {
    code: "PS006",
    name: "switch-with-separate-value",
    severity: Severity::Error,
    summary: "a switch parameter is followed by $true/$false as a separate argument",
    hint: "write -Name to turn the switch on, or -Name:$false with a colon to pass a value",
    explanation: "A SwitchParameter takes no argument: in `New-MgUser -AccountEnabled $true` the \
        switch is set and `$true` becomes a positional argument, which the cmdlet rejects or \
        binds to something else. Microsoft Graph PowerShell made several MSOnline booleans \
        switches (-AccountEnabled on New-MgUser); pass a value only with a colon.",
};

pub const MSONLINE: Rule = Rule {
    code: "PS010",
    name: "msonline-retired",
    severity: Severity::Error,
    summary: "MSOnline (*-Msol*) cmdlets stopped working in 2025",
    hint: "use the Microsoft Graph PowerShell cmdlet from Microsoft's cmdlet map",
    explanation: "MSOnline was retired between April and late May 2025 ('MSOnline is retiring \
        and access is disallowed'). Microsoft's map: Connect-MsolService -> Connect-MgGraph, \
        New-MsolUser -> New-MgUser, Set-MsolUser -> Update-MgUser, Set-MsolUserLicense -> \
        Set-MgUserLicense, Get-MsolAccountSku -> Get-MgSubscribedSku \
        (learn.microsoft.com/powershell/microsoftgraph/azuread-msoline-cmdlet-map).",
};

pub const AZUREAD: Rule = Rule {
    code: "PS011",
    name: "azuread-retired",
    severity: Severity::Error,
    summary: "AzureAD (*-AzureAD*) cmdlets are retired",
    hint: "use the Microsoft Graph PowerShell cmdlet from Microsoft's cmdlet map",
    explanation: "AzureAD and AzureADPreview lost support on 30 March 2025 and were scheduled \
        for retirement in July 2025, after MSOnline. Microsoft Graph PowerShell replaces them \
        (learn.microsoft.com/powershell/microsoftgraph/azuread-msoline-cmdlet-map).",
};

pub const EXO_REMOTE_SESSION: Rule = Rule {
    code: "PS012",
    name: "exo-remote-powershell",
    severity: Severity::Error,
    summary: "a Remote PowerShell / Basic-auth session to Exchange Online no longer connects",
    hint: "Connect-ExchangeOnline (ExchangeOnlineManagement v3) instead of New-PSSession",
    explanation: "Basic auth for Remote PowerShell in Exchange Online was switched off on \
        1 October 2022 and Remote PowerShell itself was disabled for all tenants on \
        1 October 2023; only the REST cmdlets of the ExchangeOnlineManagement v3 module \
        (Connect-ExchangeOnline, modern auth) remain.",
};

pub const EXO_IMPERSONATION: Rule = Rule {
    code: "PS013",
    name: "exo-application-impersonation",
    severity: Severity::Error,
    summary: "the ApplicationImpersonation role no longer exists in Exchange Online",
    hint: "register an Entra app with application permissions (e.g. full_access_as_app) as the migration tool documents",
    explanation: "Microsoft blocked new ApplicationImpersonation assignments in Exchange \
        Online in 2024 and removed the role in February 2025. Apps now use an Entra app \
        registration with application permissions, optionally scoped with RBAC for \
        Applications. On-premises Exchange 2010 and later still has the role.",
};

pub const RESULT_SIZE: Rule = Rule {
    code: "PS020",
    name: "result-size-cap",
    severity: Severity::Warning,
    summary: "a getter without -ResultSize Unlimited (or -All) feeds a change or an export: only the first page is processed",
    hint: "add -ResultSize Unlimited (Exchange) or -All (Graph) to the getter",
    explanation: "Get-Mailbox, Get-Recipient and the other Exchange getters return 1,000 \
        objects by default and Get-MgUser returns 100, so the playbook's \
        `Get-Mailbox | Set-Mailbox -MaxReceiveSize 150MB` changes only the first 1,000 \
        mailboxes, silently, and `Get-Mailbox | Export-Csv` exports only 1,000.",
};

pub const EMAIL_REPLACE: Rule = Rule {
    code: "PS021",
    name: "email-addresses-replace",
    severity: Severity::Warning,
    summary: "-EmailAddresses with a plain value replaces every proxy address",
    hint: "use -EmailAddresses @{Add='smtp:alias@domain'} (or @{Remove=...})",
    explanation: "Set-Mailbox -EmailAddresses with a list sets the whole proxy address \
        collection: any address not in the list, including ones added since the list was \
        read, is removed. The @{Add=...}/@{Remove=...} form changes only what it names.",
};

pub const TRY_WITHOUT_STOP: Rule = Rule {
    code: "PS022",
    name: "try-without-erroraction-stop",
    severity: Severity::Warning,
    summary: "a module command inside try runs without -ErrorAction Stop: its errors never reach the catch",
    hint: "add -ErrorAction Stop to the call, or set $PSDefaultParameterValues['*:ErrorAction'] = 'Stop' at the top of the script (PowerShell 3.0 and later)",
    explanation: "Exchange's remote cmdlets, Exchange Online v3 and Microsoft Graph commands \
        report most failures as non-terminating errors, which `catch` never sees: the script \
        goes on as if the call had worked. $ErrorActionPreference = 'Stop' in the script does \
        not help reliably: module functions have their own scope chain and see it only when the \
        script runs in the global scope (pwsh -File), not when it is started from a session. \
        -ErrorAction Stop on the call, or $PSDefaultParameterValues['*:ErrorAction'] = 'Stop' \
        (or $global:ErrorActionPreference = 'Stop') before the try, makes them terminating. \
        A call that silences its errors on purpose (-ErrorAction SilentlyContinue or Ignore) is \
        not reported.",
};

pub const IDENTITY_UNSET: Rule = Rule {
    code: "PS023",
    name: "identity-variable-never-set",
    severity: Severity::Warning,
    summary: "an -Identity value is a variable the script never sets",
    hint: "set the variable before the call, or pass the identity as a parameter of the script",
    explanation: "A variable that was never assigned is $null, so the command runs with an \
        empty identity: it fails on every object, or a getter returns everything. Scripts \
        copied from a blog often keep the author's `$Guid` or `$User` placeholders. A script \
        that dot-sources another file is not checked, since that file may set it.",
};

pub const SHELL_VERSION: Rule = Rule {
    code: "PS030",
    name: "shell-version",
    severity: Severity::Error,
    summary: "the script uses PowerShell newer than the target's shell",
    hint: "write it the PowerShell 1.0 way for Exchange 2007, the 2.0 way for Exchange 2010, or the Windows PowerShell 5.1 way for later servers",
    explanation: "Exchange 2010's management shell runs on Windows PowerShell 2.0: no \
        ConvertTo-Json, [pscustomobject], [ordered], $PSItem, -in/-notin, .ForEach()/.Where(), \
        classes, enums or using statements, no Import-Csv -Encoding. Exchange 2007's may still be \
        Windows PowerShell 1.0, which also lacks what 2.0 added: try/catch/finally (use trap), \
        attributes such as [CmdletBinding()] and [Parameter()], modules (Import-Module, \
        Export-ModuleMember), Add-Type, splatting, -join and -split, $PSCmdlet, \
        $PSBoundParameters, $PSVersionTable, <# #> block comments, Set-StrictMode (unless \
        guarded by Get-Command). Exchange 2013 and later run on Windows PowerShell 5.1, which \
        has no utf8BOM encoding name, ternary or && operators.",
};

pub const ANSI_ENCODING: Rule = Rule {
    code: "PS031",
    name: "utf8-without-bom",
    severity: Severity::Warning,
    summary: "a UTF-8 script without a byte-order mark runs in Windows PowerShell",
    hint: "save the script as UTF-8 with BOM",
    explanation: "Windows PowerShell (5.1 and older) reads a script without a byte-order mark \
        in the ANSI code page, so UTF-8 accents and typographic quotes turn into other \
        characters: names change, and a quote PowerShell 7 accepts may no longer close a \
        string. The findings for such a file are for the text Windows PowerShell sees.",
};

pub const EXCHANGE2007: Rule = Rule {
    code: "PS040",
    name: "exchange2007-approximation",
    severity: Severity::Info,
    summary: "Exchange 2007 is checked against the Exchange 2010 cmdlet lists",
    hint: "test the script on an Exchange 2007 server before relying on it",
    explanation: "Microsoft's current docs start at Exchange 2010, so the catalog has no \
        Exchange 2007 lists; 2010's are the closest. Some 2010 cmdlets and parameters do not \
        exist in 2007. Its shell may be PowerShell 1.0: PS030 checks the language against 1.0.",
};
