# Cutover.ps1: the runtime of the Exchange 2007 source-server steps, dot-sourced by each one.
# Exchange 2007's shell may be Windows PowerShell 1.0, which has no modules, no try/catch, no
# advanced functions, no splatting and no -join/-split: this file is the subset of Cutover.psm1
# those steps need, written to 1.0 (and so also loads in 2.0). Errors are caught with trap,
# which resumes after the failed statement. Keep it in step with Cutover.psm1: same records,
# same -OnlyOpsPath rule, same blank-identity guard, same retry of transient errors.
# Errors: PowerShell 1.0 and 2.0 have no $PSDefaultParameterValues, and a preference reaches
# no other module's function, so every Exchange or PowerShell command called here and in the
# 2007 steps carries -ErrorAction Stop (its errors then reach the trap).

$script:CutoverStep = ''
$script:CutoverResults = ''
$script:CutoverOnly = $null
$script:CutoverWhatIf = $false
$script:CutoverUtf8 = New-Object System.Text.UTF8Encoding($false)
$script:CutoverStatuses = @('created', 'updated', 'unchanged', 'skipped', 'failed', 'whatif')
# Seconds a step may spend waiting for objects to appear (RetryNotFound), counted as time slept;
# CUTOVER_WAIT_SECONDS sets it as in Cutover.psm1.
$script:CutoverWaitBudget = 1800
$script:CutoverWaited = 0
# As in Cutover.psm1 (the source-server steps create nothing later steps wait for).
$script:CutoverPending = @{}
$script:CutoverCreated = @()

function Resolve-CutoverPath {
    param([string]$Path)
    $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

function ConvertTo-CutoverJsonString {
    # A JSON string literal (quotes included) for any value; $null becomes null.
    param($Value)
    if ($null -eq $Value) { return 'null' }
    $text = [string]$Value
    # Most values need no escape: the per-character loop below cost about 1 ms per value,
    # several per record, on every operation of a step.
    if (-not [regex]::IsMatch($text, '[\x00-\x1f"\\\u2028\u2029]')) { return '"' + $text + '"' }
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
    # WhatIfMode is the step's own -WhatIf switch: a 1.0 script has no ShouldProcess.
    param([string]$Step, [string]$ResultsPath, [string]$OnlyOpsPath, [bool]$WhatIfMode)
    if ([string]::IsNullOrEmpty($ResultsPath)) { $ResultsPath = $env:CUTOVER_RESULTS }
    if ([string]::IsNullOrEmpty($ResultsPath)) {
        throw 'No results file: pass -ResultsPath FILE (or set CUTOVER_RESULTS).'
    }
    if ([string]::IsNullOrEmpty($OnlyOpsPath)) { $OnlyOpsPath = $env:CUTOVER_ONLY_OPS }
    $script:CutoverStep = $Step
    $script:CutoverResults = Resolve-CutoverPath $ResultsPath
    $script:CutoverWaited = 0
    $script:CutoverCreated = @()
    $script:CutoverPending = @{}
    $budget = 0
    if ([int]::TryParse([string]$env:CUTOVER_WAIT_SECONDS, [ref]$budget) -and $budget -ge 0) { $script:CutoverWaitBudget = $budget }
    if (-not [string]::IsNullOrEmpty($env:CUTOVER_PENDING) -and [System.IO.File]::Exists($env:CUTOVER_PENDING)) {
        # status TAB step TAB op TAB target, one line each (written by the runner).
        foreach ($line in [System.IO.File]::ReadAllLines($env:CUTOVER_PENDING)) {
            $f = $line.Split([char]9)
            if ($f.Count -ge 4 -and $f[3].Length -gt 0) {
                $script:CutoverPending[$f[3].ToLowerInvariant()] = @{ Status = $f[0]; Step = $f[1]; Op = $f[2] }
            }
        }
    }
    $script:CutoverWhatIf = $WhatIfMode
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
    # Files a step produces (exports) go beside the results file.
    Split-Path -Parent $script:CutoverResults
}

function Get-CutoverExportStatus {
    # The record of an export that wrote Path: `unchanged` when it holds the same text as the
    # newest earlier export of the same file in this bundle (the run folders beside this run's,
    # each with its run.json; their names sort by start time), `updated` when that differs,
    # `created` when there is none. Ignore (a regex) removes what differs on every export
    # (a timestamp) before comparing. The export changed nothing in the service either way.
    param([string]$Path, [string]$Ignore = '')
    $dir = Split-Path -Parent $Path
    $name = Split-Path -Leaf $Path
    $here = Split-Path -Leaf $dir
    $runs = Split-Path -Parent $dir
    if (-not [System.IO.File]::Exists([System.IO.Path]::Combine($dir, 'run.json'))) { return 'created' }
    $prev = ''
    $prevLeaf = ''
    foreach ($d in [System.IO.Directory]::GetDirectories($runs)) {
        $leaf = [System.IO.Path]::GetFileName($d)
        if ([string]::CompareOrdinal($leaf, $here) -ge 0) { continue }
        $f = [System.IO.Path]::Combine($d, $name)
        if (-not [System.IO.File]::Exists($f)) { continue }
        if (-not [System.IO.File]::Exists([System.IO.Path]::Combine($d, 'run.json'))) { continue }
        if ($prev -eq '' -or [string]::CompareOrdinal($leaf, $prevLeaf) -gt 0) { $prev = $f; $prevLeaf = $leaf }
    }
    if ($prev -eq '') { return 'created' }
    $new = [System.IO.File]::ReadAllText($Path)
    $old = [System.IO.File]::ReadAllText($prev)
    if ($Ignore -ne '') {
        $new = [regex]::Replace($new, $Ignore, '')
        $old = [regex]::Replace($old, $Ignore, '')
    }
    if ([string]::CompareOrdinal($new, $old) -eq 0) { return 'unchanged' }
    'updated'
}

function Test-CutoverOp {
    param([string]$Op)
    if ($null -eq $script:CutoverOnly) { return $true }
    $script:CutoverOnly.ContainsKey($Op)
}

function Test-CutoverWhatIf {
    # The hand-made ShouldProcess: $true (and a "What if" line) when the step runs with -WhatIf.
    param([string]$Target, [string]$Action)
    if (-not $script:CutoverWhatIf) { return $false }
    Write-Host ('What if: ' + $Action + ' on ' + $Target)
    $true
}

function ConvertTo-CutoverJsonCount {
    # A JSON number for a whole count the service gave, else null (never a guess).
    param($Value)
    if ($null -eq $Value) { return 'null' }
    $n = [long]0
    if ([long]::TryParse([string]$Value, [System.Globalization.NumberStyles]::Integer, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$n) -and $n -ge 0) {
        return $n.ToString([System.Globalization.CultureInfo]::InvariantCulture)
    }
    'null'
}

function ConvertTo-CutoverProgressJson {
    # The migration status steps' "progress" object: engine, pass, the engine's own state text,
    # and the counts it reported (src/run/protocol.rs, Progress).
    param($Progress)
    '{"engine":' + (ConvertTo-CutoverJsonString $Progress['engine']) +
        ',"pass":' + (ConvertTo-CutoverJsonString $Progress['pass']) +
        ',"state":' + (ConvertTo-CutoverJsonString $Progress['state']) +
        ',"items":' + (ConvertTo-CutoverJsonCount $Progress['items']) +
        ',"bytes":' + (ConvertTo-CutoverJsonCount $Progress['bytes']) +
        ',"errors":' + (ConvertTo-CutoverJsonCount $Progress['errors']) + '}'
}

function Write-CutoverResult {
    param([string]$Op, [string]$Action, [string]$Target, [string]$Status, $ErrorText = $null, $Progress = $null)
    $at = [DateTime]::UtcNow.ToString('s', [System.Globalization.CultureInfo]::InvariantCulture) + 'Z'
    $extra = ''
    if ($null -ne $Progress) { $extra = ',"progress":' + (ConvertTo-CutoverProgressJson $Progress) }
    $err = 'null'
    if ($null -ne $ErrorText) { $err = ConvertTo-CutoverJsonString $ErrorText }
    if ([regex]::IsMatch($script:CutoverStep + $Op + $Action + $Target + $Status, '[\x00-\x1f"\\\u2028\u2029]')) {
        $line = '{"step":' + (ConvertTo-CutoverJsonString $script:CutoverStep) +
            ',"op":' + (ConvertTo-CutoverJsonString $Op) +
            ',"action":' + (ConvertTo-CutoverJsonString $Action) +
            ',"target":' + (ConvertTo-CutoverJsonString $Target) +
            ',"status":' + (ConvertTo-CutoverJsonString $Status)
    }
    else {
        # The same text when no field needs an escape, without five calls per record (a
        # function call costs about 0.1 ms, on every operation).
        $line = '{"step":"' + $script:CutoverStep + '","op":"' + $Op + '","action":"' + $Action +
            '","target":"' + $Target + '","status":"' + $Status + '"'
    }
    $line = $line + ',"error":' + $err + $extra + ',"at":"' + $at + '"}'
    # Appended and closed per record, so a crash loses at most the operation in flight.
    [System.IO.File]::AppendAllText($script:CutoverResults, $line + [char]10, $script:CutoverUtf8)
    Write-Host ($Status + ' ' + $Op)
}

function Import-CutoverCsv {
    # Import-Csv of exactly this file: a path holding [ ] or * is never a wildcard. Import-Csv
    # has no -LiteralPath before PowerShell 3.0, so the file is read through a copy with a plain
    # temporary name (1.0 has no try/finally: the copy is removed after a successful read; a
    # failed one leaves it in the temporary folder).
    param([string]$Path)
    $full = Resolve-CutoverPath $Path
    if (-not [System.IO.File]::Exists($full)) { throw ('Data file not found: ' + $Path) }
    $copy = [System.IO.Path]::GetTempFileName()
    [System.IO.File]::Copy($full, $copy, $true)
    $rows = @(Import-Csv -Path $copy -ErrorAction Stop)
    [System.IO.File]::Delete($copy)
    $rows
}

function Import-CutoverData {
    param([string]$Path)
    Add-CutoverOpId -Path $Path -Rows @(Import-CutoverCsv -Path $Path)
}

function Add-CutoverOpId {
    # Source-server steps' data files always have their Op column: only the module's
    # (jump-box) reader derives ids from a template.
    param([string]$Path, $Rows)
    $Rows
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

function Test-CutoverTransient {
    param($ErrorRecord)
    $text = [string]$ErrorRecord
    if ($text -match 'write scope') { return $false }
    # Words, not bare status numbers: an address such as user503@ must not look transient.
    $text -match 'TooManyRequests|Too many requests|throttl|Micro delay|ServerBusy|Server Busy|ServiceUnavailable|Service Unavailable|GatewayTimeout|Gateway Timeout|timed out|temporarily unavailable|try again later'
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
    # Exchange Online still provisioning the mailbox: retried with back-off (5 s doubling to
    # 60 s) while the step's wait budget (cutover run --wait) lasts. What is still missing then
    # fails with a hint naming the wait, and `cutover run --retry-failed` tries it again later.
    param($ErrorRecord, [int]$Attempt, [bool]$RetryNotFound)
    if ($Attempt -lt 4 -and (Test-CutoverTransient $ErrorRecord)) {
        return ([int][Math]::Pow(2, $Attempt) * 5)
    }
    if ($RetryNotFound -and (Test-CutoverNotFound $ErrorRecord)) {
        $delay = Get-CutoverBackoff $Attempt
        $left = $script:CutoverWaitBudget - $script:CutoverWaited
        if ($left -gt 0) {
            if ($delay -gt $left) { $delay = $left }
            $script:CutoverWaited = $script:CutoverWaited + $delay
            return $delay
        }
    }
    -1
}

function Get-CutoverBackoff {
    # 5, 10, 20, 40, then 60 seconds between looks for something not there yet.
    param([int]$Attempt)
    if ($Attempt -ge 5) { return 60 }
    [int][Math]::Pow(2, $Attempt - 1) * 5
}

function Get-CutoverWaitHint {
    # The text added to a not-found failure once the wait budget is spent.
    ' (still not there after this step waited ' + (Format-CutoverSeconds $script:CutoverWaited) + ' for objects to appear; `cutover run --wait` sets how long, and `cutover run --retry-failed` tries again later)'
}

function Format-CutoverSeconds {
    param([int]$Seconds)
    if ($Seconds -lt 120) { return ([string]$Seconds + ' s') }
    ([string][Math]::Round($Seconds / 60.0, 1) + ' min')
}

function Invoke-CutoverTrapped {
    # PowerShell 1.0's try/catch: runs $Body with $Argument and returns a table with its
    # Output, or with the Error that stopped it. The trap catches what $Body throws (and what
    # its cmdlets write, $ErrorActionPreference being Stop); 'continue' resumes after the
    # statement that failed, so the table is returned either way.
    param([scriptblock]$Body, $Argument)
    $outcome = @{ Output = $null; Error = $null }
    trap {
        $outcome['Error'] = $_
        continue
    }
    $outcome['Output'] = & $Body $Argument
    $outcome
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
        $outcome = Invoke-CutoverTrapped -Body $Body -Argument $Row
        $err = $outcome['Error']
        if ($null -eq $err) {
            $status = [string]$outcome['Output']
            if ($script:CutoverStatuses -contains $status) {
                Write-CutoverResult -Op $op -Action $Action -Target $target -Status $status
                return
            }
            $err = 'Step returned an unknown status: ' + $status
        }
        $delay = Get-CutoverRetryDelay -ErrorRecord $err -Attempt $attempt -RetryNotFound $RetryNotFound.IsPresent
        if ($delay -ge 0) {
            Start-Sleep -Seconds $delay
            continue
        }
        $text = [string]$err
        if ($RetryNotFound -and (Test-CutoverNotFound $err)) { $text = $text + (Get-CutoverWaitHint) }
        Write-CutoverResult -Op $op -Action $Action -Target $target -Status 'failed' -ErrorText $text
        return
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
    [string]::Join(';', [string[]]$parts)
}
