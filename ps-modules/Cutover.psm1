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
# Seconds a step may spend waiting for objects to appear (Wait-CutoverVisible, RetryNotFound):
# `cutover run --wait` passes it as CUTOVER_WAIT_SECONDS. Time waited is counted as the time
# slept, so the budget holds whatever the clock (a rehearsal's virtual one included).
$script:CutoverWaitBudget = 1800
$script:CutoverWaited = 0
# Targets an earlier step of this run failed to create (or, in a what-if run, would create):
# target (lower case) -> @{ Status; Op; Step }. Read from CUTOVER_PENDING.
$script:CutoverPending = @{}
# Targets this step created, in order (what Wait-CutoverCreated waits for).
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
    param([string]$Step, [string]$ResultsPath, [string]$OnlyOpsPath)
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

# Set by a status step's row body (Set-CutoverProgress); written with that row's record.
$script:CutoverProgress = $null

function Set-CutoverProgress {
    # engine, pass, state (the engine's text, untranslated), items, bytes, errors ($null: not said).
    param([string]$Engine, [string]$Pass, [string]$State, $Items = $null, $Bytes = $null, $Errors = $null)
    $script:CutoverProgress = @{ engine = $Engine; pass = $Pass; state = $State; items = $Items; bytes = $Bytes; errors = $Errors }
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
    Add-CutoverOpId -Path $Path -Rows @(Import-CutoverCsv -Path $Path)
}

function Add-CutoverOpId {
    # A jump-box step's data file may have no Op column (issue 12): each row's operation id is
    # then the step's op_id template in manifest.json (beside data/) applied to the row: literal
    # text and lower-cased columns, which the bundle wrote only where every such cell is ASCII
    # (so ToLowerInvariant gives the planned id exactly). Any other file's rows are returned as
    # read. (Cutover.ps1, for source servers, whose files always have the column, has none.)
    param([string]$Path, $Rows)
    $rows = @($Rows)
    if ($rows.Count -eq 0 -or $null -ne $rows[0].PSObject.Properties['Op']) { return $rows }
    $full = Resolve-CutoverPath $Path
    $manifestPath = Join-Path (Split-Path -Parent (Split-Path -Parent $full)) 'manifest.json'
    if (-not [System.IO.File]::Exists($manifestPath)) { return $rows }
    $rel = 'data/' + [System.IO.Path]::GetFileName($full)
    # Only jump-box steps (PowerShell 5.1 or 7) have such files; ConvertFrom-Json needs 3.0.
    $manifest = $null
    if (Get-Command ConvertFrom-Json -ErrorAction SilentlyContinue) {
        $manifest = [System.IO.File]::ReadAllText($manifestPath) | ConvertFrom-Json
    }
    if ($null -eq $manifest) { throw ($Path + ' has no Op column, which needs PowerShell 3.0 or later') }
    $template = $null
    foreach ($s in @($manifest.steps)) {
        if ([string]$s.ops_file -eq $rel -and $null -ne $s.PSObject.Properties['op_id']) { $template = @($s.op_id) }
    }
    if ($null -eq $template) { return $rows }
    $names = @($rows[0].PSObject.Properties | ForEach-Object { $_.Name })
    $n = $template.Count
    $text = New-Object 'string[]' $n
    $column = New-Object 'string[]' $n
    for ($i = 0; $i -lt $n; $i++) {
        $part = $template[$i]
        if ($part -is [string]) { $text[$i] = $part; continue }
        $k = [int]$part.lower
        if ($k -lt 0 -or $k -ge $names.Count) {
            throw ($rel + ': op_id in manifest.json names column ' + $k + ', which the file does not have; regenerate the bundle with cutover bundle')
        }
        $column[$i] = $names[$k]
    }
    # A copy of one property per row, added unchecked (the rows have no Op, tested above):
    # New-Object and a checked Add cost several times the rest at 100,000 rows.
    $op = New-Object System.Management.Automation.PSNoteProperty('Op', '')
    foreach ($row in $rows) {
        $id = ''
        for ($i = 0; $i -lt $n; $i++) {
            $c = $column[$i]
            if ($null -eq $c) { $id += $text[$i] }
            else {
                $v = [string]$row.$c
                if ($v -cmatch '[^\x00-\x7F]') {
                    throw ($rel + ': a row has a non-ASCII ' + $c + ' but no Op column; regenerate the bundle with cutover bundle')
                }
                $id += $v.ToLowerInvariant()
            }
        }
        $p = $op.Copy()
        $p.Value = $id
        $row.PSObject.Properties.Add($p, $true)
    }
    $rows
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

function Write-CutoverWait {
    # One progress line for the console and log, and (at the end) one summary record in the
    # waits file the runner reads into the journal.
    param([string]$What, [int]$Visible, [int]$Total, [int]$Seconds, [switch]$Final)
    Write-Host ('cutover-wait: ' + $What + ': ' + $Visible + '/' + $Total + ', waited ' + (Format-CutoverSeconds $Seconds))
    if ($Final -and -not [string]::IsNullOrEmpty($env:CUTOVER_WAITS)) {
        $line = '{"step":' + (ConvertTo-CutoverJsonString $script:CutoverStep) +
            ',"what":' + (ConvertTo-CutoverJsonString $What) +
            ',"visible":' + $Visible + ',"total":' + $Total + ',"seconds":' + $Seconds + '}'
        [System.IO.File]::AppendAllText($env:CUTOVER_WAITS, $line + [char]10, $script:CutoverUtf8)
    }
}

function Wait-CutoverVisible {
    # Polls every id together until each is visible or the step's wait budget is spent, with a
    # progress line per round. $Probe gets an id and returns the object once it is there, else
    # $null (a not-found error counts as not there; any other error stops the wait). Returns a
    # table id -> object ($null for what never appeared).
    param([string]$What, [string[]]$Ids, [scriptblock]$Probe)
    $found = @{}
    $pending = @()
    foreach ($id in @($Ids)) {
        if ($null -eq $id -or $id.Length -eq 0 -or $found.ContainsKey($id)) { continue }
        $found[$id] = $null
        $pending += $id
    }
    $total = $pending.Count
    if ($total -eq 0) { return $found }
    $started = $script:CutoverWaited
    $round = 0
    while ($true) {
        $round++
        $still = @()
        foreach ($id in $pending) {
            $o = $null
            try { $o = & $Probe $id }
            catch { if (-not (Test-CutoverNotFound $_)) { throw } }
            if ($null -ne $o) { $found[$id] = $o } else { $still += $id }
        }
        $pending = $still
        $waited = $script:CutoverWaited - $started
        $left = $script:CutoverWaitBudget - $script:CutoverWaited
        if ($pending.Count -eq 0 -or $left -le 0) {
            Write-CutoverWait -What $What -Visible ($total - $pending.Count) -Total $total -Seconds $waited -Final
            return $found
        }
        Write-CutoverWait -What $What -Visible ($total - $pending.Count) -Total $total -Seconds $waited
        $delay = Get-CutoverBackoff $round
        if ($delay -gt $left) { $delay = $left }
        Start-Sleep -Seconds $delay
        $script:CutoverWaited = $script:CutoverWaited + $delay
    }
}

function Get-CutoverWaitIds {
    # The identities of the rows this run performs (-OnlyOpsPath) and can act on (not created
    # by a failed operation): what a verify step waits for.
    param($Rows, [string]$Column)
    $ids = @()
    foreach ($row in @($Rows)) {
        if (-not (Test-CutoverOp ([string]$row.Op))) { continue }
        if ($null -ne (Get-CutoverPendingReason -Row $row -Columns @($Column))) { continue }
        $p = $row.PSObject.Properties[$Column]
        if ($null -ne $p -and [string]$p.Value -ne '') { $ids += [string]$p.Value }
    }
    ,$ids
}

function Wait-CutoverCreated {
    # After a step that creates objects: waits until everything it created is visible to the
    # next steps' lookups ($Probe as for Wait-CutoverVisible), so they do not meet a
    # replication or provisioning delay. What is still missing is said, not failed: its
    # creation succeeded, and the steps that use it wait and fail with the wait hint.
    param([string]$What, [scriptblock]$Probe)
    $seen = Wait-CutoverVisible -What $What -Ids $script:CutoverCreated -Probe $Probe
    foreach ($id in $seen.Keys) {
        if ($null -eq $seen[$id]) { Write-Host ('cutover-wait: not visible yet: ' + $id) }
    }
}

function Get-CutoverPendingReason {
    # For a row whose identity columns name an object an earlier step of this run failed to
    # create (or would create, in a what-if run): @{ Status; Text }, else $null.
    param($Row, [string[]]$Columns)
    foreach ($name in $Columns) {
        $p = $Row.PSObject.Properties[$name]
        if ($null -eq $p -or $null -eq $p.Value) { continue }
        $key = ([string]$p.Value).ToLowerInvariant()
        if (-not $script:CutoverPending.ContainsKey($key)) { continue }
        $e = $script:CutoverPending[$key]
        if ($e.Status -eq 'whatif') {
            return @{ Status = 'whatif'; Text = $null }
        }
        return @{ Status = 'failed'; Text = ('Not attempted: ' + [string]$p.Value + ' was to be created by ' + $e.Op + ' (step ' + $e.Step + '), which failed in this run. Fix that operation, then cutover run --retry-failed.') }
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
    # An object an earlier step of this run failed to create fails here at once, naming that
    # operation; one it would create in a what-if run is `whatif` at once (nothing to look up).
    # Most runs have no such target: then no call per row (a function call is ~0.1 ms).
    $pendingReason = $null
    if ($script:CutoverPending.Count -gt 0) { $pendingReason = Get-CutoverPendingReason -Row $Row -Columns $Required }
    if ($null -ne $pendingReason) {
        Write-CutoverResult -Op $op -Action $Action -Target $target -Status $pendingReason.Status -ErrorText $pendingReason.Text
        return
    }
    $waitedFrom = $script:CutoverWaited
    while ($true) {
        $attempt++
        $script:CutoverProgress = $null
        try {
            $status = [string](& $Body $Row)
            if ($script:CutoverStatuses -notcontains $status) {
                throw ('Step returned an unknown status: ' + $status)
            }
            Write-CutoverResult -Op $op -Action $Action -Target $target -Status $status -Progress $script:CutoverProgress
            if ($status -eq 'created') { $script:CutoverCreated += $target }
            if ($script:CutoverWaited -gt $waitedFrom) {
                Write-CutoverWait -What ($target + ' to appear (' + $op + ')') -Visible 1 -Total 1 -Seconds ($script:CutoverWaited - $waitedFrom) -Final
            }
            return
        }
        catch {
            $err = $_
            $delay = Get-CutoverRetryDelay -ErrorRecord $err -Attempt $attempt -RetryNotFound $RetryNotFound.IsPresent
            if ($delay -ge 0) {
                Start-Sleep -Seconds $delay
                continue
            }
            $text = [string]$err
            if ($RetryNotFound -and (Test-CutoverNotFound $err)) { $text = $text + (Get-CutoverWaitHint) }
            if ($script:CutoverWaited -gt $waitedFrom) {
                Write-CutoverWait -What ($target + ' to appear (' + $op + ')') -Visible 0 -Total 1 -Seconds ($script:CutoverWaited - $waitedFrom) -Final
            }
            Write-CutoverResult -Op $op -Action $Action -Target $target -Status 'failed' -ErrorText $text -Progress $script:CutoverProgress
            return
        }
    }
}

function Test-CutoverMailboxGuid {
    # Whether an Exchange Online recipient's ExchangeGuid is set: on a synced MailUser it is the
    # on-premises msExchMailboxGuid, and Exchange Online then creates no mailbox when the user is
    # licensed (Microsoft's archived blog "Office 365: Users have both a cloud and on premises
    # mailbox", learn.microsoft.com/archive/blogs/timmcmic).
    param($Guid)
    $text = ([string]$Guid).Trim()
    $text -ne '' -and $text -ne '00000000-0000-0000-0000-000000000000'
}

function Get-CutoverMailboxPurpose {
    # What a user's Exchange Online mailbox is for, from Graph (mailboxSettings.userPurpose:
    # user, shared, room, equipment, linked, others; learn.microsoft.com/graph/api/resources/mailboxsettings),
    # lower-case; '' when the user has no Exchange Online mailbox (a mail user or an on-premises
    # mailbox: Graph answers MailboxNotEnabledForRESTAPI). Needs MailboxSettings.Read.
    param([string]$UserId)
    $u = $null
    try { $u = Get-MgUser -UserId $UserId -Property 'id,mailboxSettings' -ErrorAction Stop }
    catch {
        if ([string]$_ -match 'MailboxNotEnabledForRESTAPI') { return '' }
        throw
    }
    if ($null -eq $u -or $null -eq $u.MailboxSettings) { return '' }
    ([string]$u.MailboxSettings.UserPurpose).ToLowerInvariant()
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
