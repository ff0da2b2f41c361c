# Cutover.psm1: the runtime every cutover step imports.
# It writes the result records (one JSON line per operation), honours -OnlyOpsPath, refuses
# blank identities and retries transient service errors. It must load in Windows PowerShell
# 2.0 (the Exchange 2007/2010 shells): no JSON cmdlets (records are built by the escaper
# below), no type accelerators or operators added after 2.0, no classes, no collection methods.
# Functions marked "jump box" run only in PowerShell 7 with the Graph / Exchange Online modules.

Set-StrictMode -Version 2.0
# A module has its own scope chain: the step's preference does not reach these functions, and
# this preference reaches only cmdlets, never another module's functions (Connect-ExchangeOnline,
# Exchange's remote-session commands). So every call to another module's command in this file
# carries -ErrorAction Stop: the one rule that works in PowerShell 2.0 (the Exchange 2010 shell)
# as in 7.
$ErrorActionPreference = 'Stop'

$script:CutoverStep = ''
$script:CutoverResults = ''
$script:CutoverOnly = $null
$script:CutoverUtf8 = New-Object System.Text.UTF8Encoding($false)
$script:CutoverStatuses = @('created', 'updated', 'unchanged', 'skipped', 'failed', 'whatif')
# Seconds a step may spend waiting for objects it has just created to appear (RetryNotFound).
$script:CutoverNotFoundBudget = 600

function Resolve-CutoverPath {
    param([string]$Path)
    $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

function ConvertTo-CutoverJsonString {
    # A JSON string literal (quotes included) for any value; $null becomes null.
    param($Value)
    if ($null -eq $Value) { return 'null' }
    $text = [string]$Value
    $sb = New-Object System.Text.StringBuilder
    [void]$sb.Append('"')
    foreach ($c in $text.ToCharArray()) {
        $code = [int]$c
        if ($c -eq [char]34) { [void]$sb.Append('\"') }
        elseif ($c -eq [char]92) { [void]$sb.Append('\\') }
        elseif ($code -lt 32 -or $code -eq 0x2028 -or $code -eq 0x2029) {
            [void]$sb.Append('\u')
            [void]$sb.Append($code.ToString('x4'))
        }
        else { [void]$sb.Append($c) }
    }
    [void]$sb.Append('"')
    $sb.ToString()
}

function Initialize-CutoverStep {
    param([string]$Step, [string]$ResultsPath, [string]$OnlyOpsPath)
    if ([string]::IsNullOrEmpty($ResultsPath)) { $ResultsPath = $env:CUTOVER_RESULTS }
    if ([string]::IsNullOrEmpty($ResultsPath)) {
        throw 'No results file: pass -ResultsPath FILE (or set CUTOVER_RESULTS).'
    }
    if ([string]::IsNullOrEmpty($OnlyOpsPath)) { $OnlyOpsPath = $env:CUTOVER_ONLY_OPS }
    $script:CutoverStep = $Step
    $script:CutoverResults = Resolve-CutoverPath $ResultsPath
    $script:CutoverOnly = $null
    if (-not [string]::IsNullOrEmpty($OnlyOpsPath)) {
        $script:CutoverOnly = @{}
        foreach ($line in [System.IO.File]::ReadAllLines((Resolve-CutoverPath $OnlyOpsPath))) {
            $id = $line.Trim()
            if ($id.Length -gt 0) { $script:CutoverOnly[$id] = $true }
        }
    }
}

function Get-CutoverOutputDirectory {
    # Files a step produces (exports, DNS records) go beside the results file.
    Split-Path -Parent $script:CutoverResults
}

function Test-CutoverOp {
    param([string]$Op)
    if ($null -eq $script:CutoverOnly) { return $true }
    $script:CutoverOnly.ContainsKey($Op)
}

function Write-CutoverResult {
    param([string]$Op, [string]$Action, [string]$Target, [string]$Status, $ErrorText = $null)
    $at = [DateTime]::UtcNow.ToString('s', [System.Globalization.CultureInfo]::InvariantCulture) + 'Z'
    $line = '{"step":' + (ConvertTo-CutoverJsonString $script:CutoverStep) +
        ',"op":' + (ConvertTo-CutoverJsonString $Op) +
        ',"action":' + (ConvertTo-CutoverJsonString $Action) +
        ',"target":' + (ConvertTo-CutoverJsonString $Target) +
        ',"status":' + (ConvertTo-CutoverJsonString $Status) +
        ',"error":' + (ConvertTo-CutoverJsonString $ErrorText) +
        ',"at":' + (ConvertTo-CutoverJsonString $at) + '}'
    # Appended and closed per record, so a crash loses at most the operation in flight.
    [System.IO.File]::AppendAllText($script:CutoverResults, $line + [char]10, $script:CutoverUtf8)
    Write-Host ($Status + ' ' + $Op)
}

function Import-CutoverCsv {
    # Import-Csv of exactly this file: a path holding [ ] or * is never a wildcard. PowerShell
    # 3.0 and later have -LiteralPath; 2.0's Import-Csv has only -Path, so there the file is read
    # through a copy with a plain temporary name.
    param([string]$Path)
    $full = Resolve-CutoverPath $Path
    if (-not [System.IO.File]::Exists($full)) { throw ('Data file not found: ' + $Path) }
    if ($PSVersionTable.PSVersion.Major -ge 3) { return @(Import-Csv -LiteralPath $full -ErrorAction Stop) }
    $copy = [System.IO.Path]::GetTempFileName()
    try {
        [System.IO.File]::Copy($full, $copy, $true)
        @(Import-Csv -Path $copy -ErrorAction Stop)
    }
    finally { [System.IO.File]::Delete($copy) }
}

function Import-CutoverData {
    param([string]$Path)
    Import-CutoverCsv -Path $Path
}

function Find-CutoverBlank {
    # The first of the named columns that is missing or blank, else $null. A blank identity
    # given to a Get- cmdlet matches every object, so it never reaches one.
    param($Row, [string[]]$Columns)
    foreach ($name in $Columns) {
        $p = $Row.PSObject.Properties[$name]
        if ($null -eq $p -or $null -eq $p.Value -or ([string]$p.Value).Trim().Length -eq 0) {
            return $name
        }
    }
    $null
}

function Test-CutoverNotFound {
    # The error may be a record or (PowerShell 1.0 runtime) the text of one.
    param($ErrorRecord)
    $text = [string]$ErrorRecord
    if ($ErrorRecord -is [System.Management.Automation.ErrorRecord] -and $null -ne $ErrorRecord.Exception) {
        $text = $text + ' ' + $ErrorRecord.Exception.GetType().FullName
    }
    $text -match 'ManagementObjectNotFound|couldn''t be found|could not be found|Request_ResourceNotFound|ResourceNotFound|does not exist'
}

function Get-CutoverRetryDelay {
    # Seconds to wait before trying an operation again, or -1 to record its failure now.
    # Transient service errors: three retries with back-off. With -RetryNotFound (operations on
    # objects this run has just created or licensed), "not found" is Graph replication delay or
    # Exchange Online still provisioning the mailbox: up to five retries with back-off, within
    # a budget per step so a long list of missing objects cannot stall the run. What is still
    # missing then fails, and `cutover run --retry-failed` tries it again later.
    param($ErrorRecord, [int]$Attempt, [bool]$RetryNotFound)
    if ($Attempt -lt 4 -and (Test-CutoverTransient $ErrorRecord)) {
        return ([int][Math]::Pow(2, $Attempt) * 5)
    }
    if ($RetryNotFound -and $Attempt -lt 6 -and (Test-CutoverNotFound $ErrorRecord)) {
        $delay = [int][Math]::Pow(2, $Attempt - 1) * 10
        if ($delay -le $script:CutoverNotFoundBudget) {
            $script:CutoverNotFoundBudget = $script:CutoverNotFoundBudget - $delay
            return $delay
        }
    }
    -1
}

function Test-CutoverTransient {
    param($ErrorRecord)
    $text = [string]$ErrorRecord
    if ($text -match 'write scope') { return $false }
    # Words, not bare status numbers: an address such as user503@ must not look transient.
    $text -match 'TooManyRequests|Too many requests|throttl|Micro delay|ServerBusy|Server Busy|ServiceUnavailable|Service Unavailable|GatewayTimeout|Gateway Timeout|timed out|temporarily unavailable|try again later'
}

function Invoke-CutoverRow {
    # Runs one operation: skips it unless -OnlyOpsPath lists it, refuses blank required
    # columns, retries transient errors (and, with -RetryNotFound, not-found errors on objects
    # this run just created or licensed) with back-off, and writes exactly one record.
    # $Body gets the row and returns a status: created updated unchanged skipped whatif.
    param($Row, [string]$Action, [string]$TargetColumn, [string[]]$Required, [scriptblock]$Body, [switch]$RetryNotFound)
    $op = [string]$Row.Op
    if ($op.Trim().Length -eq 0) {
        Write-CutoverResult -Op '' -Action $Action -Target '' -Status 'failed' -ErrorText 'Data row without an Op id.'
        return
    }
    if (-not (Test-CutoverOp $op)) { return }
    $target = ''
    $tp = $Row.PSObject.Properties[$TargetColumn]
    if ($null -ne $tp -and $null -ne $tp.Value) { $target = [string]$tp.Value }
    $blank = Find-CutoverBlank -Row $Row -Columns $Required
    if ($null -ne $blank) {
        Write-CutoverResult -Op $op -Action $Action -Target $target -Status 'failed' -ErrorText ('Column ' + $blank + ' is blank: refusing to pass an empty identity to a cmdlet.')
        return
    }
    $attempt = 0
    while ($true) {
        $attempt++
        try {
            $status = [string](& $Body $Row)
            if ($script:CutoverStatuses -notcontains $status) {
                throw ('Step returned an unknown status: ' + $status)
            }
            Write-CutoverResult -Op $op -Action $Action -Target $target -Status $status
            return
        }
        catch {
            $err = $_
            $delay = Get-CutoverRetryDelay -ErrorRecord $err -Attempt $attempt -RetryNotFound $RetryNotFound.IsPresent
            if ($delay -ge 0) {
                Start-Sleep -Seconds $delay
                continue
            }
            Write-CutoverResult -Op $op -Action $Action -Target $target -Status 'failed' -ErrorText ([string]$err)
            return
        }
    }
}

function Test-CutoverHasAddress {
    # Whether a recipient's EmailAddresses already holds Address ("smtp:a@b", "x500:/o=..."),
    # ignoring case and the primary/secondary prefix case.
    param($Addresses, [string]$Address)
    $want = $Address.ToLowerInvariant()
    foreach ($a in @($Addresses)) {
        if ($null -eq $a) { continue }
        if (([string]$a).ToLowerInvariant() -eq $want) { return $true }
    }
    $false
}

function Join-CutoverValues {
    # Multi-valued properties joined with ';' (Export-Csv would write the collection's type name).
    param($Values)
    $parts = @()
    foreach ($v in @($Values)) { if ($null -ne $v) { $parts += [string]$v } }
    $parts -join ';'
}

function Get-CutoverBytes {
    # Bytes from Exchange's size text: "35 MB (36,700,160 bytes)", "36700160B" or a number.
    param($Size)
    if ($null -eq $Size) { return [long]-1 }
    $text = [string]$Size
    if ($text -match '\(([0-9,.]+) bytes\)') { return [long]($matches[1] -replace '[,.]', '') }
    if ($text -match '^([0-9]+)B?$') { return [long]$matches[1] }
    [long]-1
}

# ---- jump box only (PowerShell 7, Microsoft Graph and ExchangeOnlineManagement v3) ----

function Get-CutoverCertificateTenant {
    # Certificate (app-only) sign-in, the same rule for Graph and Exchange Online: it is used
    # when CUTOVER_APP_ID and CUTOVER_CERT_THUMBPRINT are both set, and then needs the tenant's
    # .onmicrosoft.com domain (the bundle's tenant, or CUTOVER_TENANT_ID), which Exchange Online
    # requires as -Organization and Graph accepts as -TenantId. $null: interactive sign-in.
    param([string]$Tenant)
    if (-not ($env:CUTOVER_APP_ID -and $env:CUTOVER_CERT_THUMBPRINT)) { return $null }
    if ($env:CUTOVER_TENANT_ID) { return [string]$env:CUTOVER_TENANT_ID }
    if ($Tenant) { return $Tenant }
    throw 'Certificate sign-in (CUTOVER_APP_ID, CUTOVER_CERT_THUMBPRINT) needs the tenant: set CUTOVER_TENANT_ID, or [tenant] name in cutover.toml, to the .onmicrosoft.com domain.'
}

function Connect-CutoverGraph {
    # Certificate (app-only) when Get-CutoverCertificateTenant says so; else an interactive
    # modern-auth sign-in with the scopes the step needs.
    param([string[]]$Scopes, [string]$Tenant)
    $certTenant = Get-CutoverCertificateTenant -Tenant $Tenant
    if ($certTenant) {
        Connect-MgGraph -ClientId $env:CUTOVER_APP_ID -TenantId $certTenant -CertificateThumbprint $env:CUTOVER_CERT_THUMBPRINT -NoWelcome -ErrorAction Stop
    }
    elseif ($Tenant) {
        Connect-MgGraph -Scopes $Scopes -TenantId $Tenant -NoWelcome -ErrorAction Stop
    }
    else {
        Connect-MgGraph -Scopes $Scopes -NoWelcome -ErrorAction Stop
    }
}

function Connect-CutoverExchange {
    # Exchange Online over REST (ExchangeOnlineManagement v3): certificate when
    # Get-CutoverCertificateTenant says so, else interactive (MFA works). Never Basic auth.
    param([string]$Tenant)
    $certTenant = Get-CutoverCertificateTenant -Tenant $Tenant
    if ($certTenant) {
        Connect-ExchangeOnline -AppId $env:CUTOVER_APP_ID -CertificateThumbprint $env:CUTOVER_CERT_THUMBPRINT -Organization $certTenant -ShowBanner:$false -ErrorAction Stop
    }
    elseif ($env:CUTOVER_ADMIN_UPN) {
        Connect-ExchangeOnline -UserPrincipalName $env:CUTOVER_ADMIN_UPN -ShowBanner:$false -ErrorAction Stop
    }
    else {
        Connect-ExchangeOnline -ShowBanner:$false -ErrorAction Stop
    }
}

function New-CutoverPassword {
    # 20 characters from a cryptographic generator, at least one of each class Entra counts.
    $sets = @('ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%+-=?@_')
    $all = $sets -join ''
    $chars = New-Object char[] 20
    for ($i = 0; $i -lt 20; $i++) {
        $pool = $all
        if ($i -lt 4) { $pool = $sets[$i] }
        $chars[$i] = $pool[[System.Security.Cryptography.RandomNumberGenerator]::GetInt32($pool.Length)]
    }
    for ($i = 19; $i -gt 0; $i--) {
        $j = [System.Security.Cryptography.RandomNumberGenerator]::GetInt32($i + 1)
        $t = $chars[$i]; $chars[$i] = $chars[$j]; $chars[$j] = $t
    }
    -join $chars
}

function New-CutoverSecretFile {
    # Creates an empty file only its owner can read (0600 on Linux/macOS) before any byte is
    # written; on Windows it lives in the user's profile, which only the user can read.
    param([string]$Path)
    $unix = (Test-Path variable:IsLinux) -and ($IsLinux -or $IsMacOS)
    if ($unix) {
        $options = New-Object System.IO.FileStreamOptions
        $options.Mode = [System.IO.FileMode]::CreateNew
        $options.Access = [System.IO.FileAccess]::Write
        $options.UnixCreateMode = [System.IO.UnixFileMode]'UserRead, UserWrite'
        $stream = New-Object System.IO.FileStream($Path, $options)
    }
    else {
        $stream = New-Object System.IO.FileStream($Path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write)
    }
    $stream.Dispose()
    [System.IO.File]::AppendAllText($Path, 'UserPrincipalName,Password' + [char]10, $script:CutoverUtf8)
}

function Add-CutoverSecret {
    param([string]$Path, [string]$UserPrincipalName, [string]$Password)
    $q = [string][char]34
    $line = $q + $UserPrincipalName.Replace($q, $q + $q) + $q + ',' + $q + $Password.Replace($q, $q + $q) + $q
    [System.IO.File]::AppendAllText($Path, $line + [char]10, $script:CutoverUtf8)
}

Export-ModuleMember -Function *-Cutover*
