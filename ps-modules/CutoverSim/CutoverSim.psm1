# CutoverSim.psm1: the simulated tenant (and source organisation) of `cutover rehearse`.
#
# The command functions (*.Commands.ps1, generated from Microsoft's reference with their real
# parameters) all call Invoke-CutoverSim. This module keeps the state and models the services'
# documented behaviour where it matters for a migration's correctness; each rule names the page.
# It is never a model of what cutover's scripts expect.
#
# State: a JSON snapshot ($env:CUTOVER_SIM_STATE) plus an append-only log beside it (.log), one
# JSON line per change. Every log entry is idempotent (a whole object, a deletion, an absolute
# clock value), so a process killed at any point, or killed while compacting, loses at most the
# change in flight and replays cleanly.
#
# Time: a virtual clock in the state. Start-Sleep (a global function here, which wins over the
# cmdlet in every scope once this module is loaded) advances it instead of sleeping, so a
# rehearsal with mailboxes that take 30 minutes to appear runs in seconds.

# Objects are hashtables with optional keys: a missing key reads as $null.
Set-StrictMode -Version 1.0
$ErrorActionPreference = 'Stop'

$script:S = $null
$script:SimLog = $null
$script:Utf8 = New-Object System.Text.UTF8Encoding($false)
# Sign-ins are per process, as with the real modules.
$script:Conn = @{}

# ---- state --------------------------------------------------------------------------------

function Get-SimStatePath {
    $p = [string]$env:CUTOVER_SIM_STATE
    if ($p -eq '') { throw 'CutoverSim: CUTOVER_SIM_STATE is not set (cutover rehearse sets it).' }
    $p
}

# ConvertFrom-Json -AsHashtable and ConvertTo-Json cost most of a step on a 1,000-user tenant
# (every step loads the whole state; every change writes a whole object): the same conversions,
# through the same Newtonsoft.Json reader and writer those cmdlets use, without their object
# model in between. Same values back: OrderedHashtable objects, object[] arrays, Int64 integers,
# Double for anything with a fraction or exponent, DateTime for ISO 8601 strings, as
# ConvertFrom-Json gives them. The writer takes the types the state holds (strings, numbers,
# booleans, null, dictionaries with string keys, lists) and refuses anything else, for which
# ConvertTo-Json writes the entry as before (ConvertTo-SimJson).
$script:SimJsonSource = @'
using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using Newtonsoft.Json;
namespace CutoverSimJson {
    public static class Json {
        public static object Parse(string text) {
            using (var r = new JsonTextReader(new StringReader(text))) {
                r.DateParseHandling = DateParseHandling.DateTime;
                r.DateTimeZoneHandling = DateTimeZoneHandling.RoundtripKind;
                r.FloatParseHandling = FloatParseHandling.Double;
                r.MaxDepth = 64;
                if (!r.Read()) { throw new FormatException("empty JSON text"); }
                object v = Value(r);
                if (r.Read()) { throw new FormatException("more than one JSON value"); }
                return v;
            }
        }
        static object Value(JsonTextReader r) {
            switch (r.TokenType) {
                case JsonToken.StartObject: {
                    var h = new OrderedHashtable();
                    while (true) {
                        if (!r.Read()) { throw new FormatException("unterminated JSON object"); }
                        if (r.TokenType == JsonToken.EndObject) { return h; }
                        if (r.TokenType != JsonToken.PropertyName) { throw new FormatException("expected a property name"); }
                        string k = (string)r.Value;
                        if (!r.Read()) { throw new FormatException("unterminated JSON object"); }
                        h[k] = Value(r);
                    }
                }
                case JsonToken.StartArray: {
                    var l = new ArrayList();
                    while (true) {
                        if (!r.Read()) { throw new FormatException("unterminated JSON array"); }
                        if (r.TokenType == JsonToken.EndArray) { return l.ToArray(); }
                        l.Add(Value(r));
                    }
                }
                case JsonToken.Integer:
                case JsonToken.Float:
                case JsonToken.String:
                case JsonToken.Boolean:
                case JsonToken.Date:
                case JsonToken.Bytes:
                    return r.Value;
                case JsonToken.Null:
                case JsonToken.Undefined:
                    return null;
                default:
                    throw new FormatException("unexpected JSON token " + r.TokenType);
            }
        }
        // Compact JSON, or null when the value holds a type this writer does not take.
        public static string TryWrite(object value) {
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            using (var w = new JsonTextWriter(sw)) {
                w.Formatting = Formatting.None;
                if (!Write(w, value, 0)) { return null; }
            }
            return sw.ToString();
        }
        static bool Write(JsonTextWriter w, object v, int depth) {
            if (depth > 64) { return false; }
            if (v == null) { w.WriteNull(); return true; }
            if (v is PSObject) { return false; }
            if (v is string) { w.WriteValue((string)v); return true; }
            if (v is bool) { w.WriteValue((bool)v); return true; }
            if (v is long) { w.WriteValue((long)v); return true; }
            if (v is int) { w.WriteValue((int)v); return true; }
            if (v is double) { w.WriteValue((double)v); return true; }
            if (v is IDictionary) {
                w.WriteStartObject();
                foreach (DictionaryEntry e in (IDictionary)v) {
                    string k = e.Key as string;
                    if (k == null) { return false; }
                    w.WritePropertyName(k);
                    if (!Write(w, e.Value, depth + 1)) { return false; }
                }
                w.WriteEndObject();
                return true;
            }
            if (v is IList) {
                w.WriteStartArray();
                foreach (object x in (IList)v) { if (!Write(w, x, depth + 1)) { return false; } }
                w.WriteEndArray();
                return true;
            }
            return false;
        }
    }
}
'@

function Import-SimJson {
    # Compiled once per rehearsal folder (Roslyn costs about a second), named by the source and the
    # Newtonsoft.Json it binds to, beside the host's assembly (write_sim's layout: the sim folder
    # holds modules/CutoverSim); written under another name and renamed, so a process killed while
    # compiling leaves no half-written assembly under the real name. Loaded once per process.
    if ($null -ne ('CutoverSimJson.Json' -as [type])) { return }
    $nj = [System.Reflection.Assembly]::Load('Newtonsoft.Json')
    $key = [System.Text.Encoding]::UTF8.GetBytes($script:SimJsonSource + '|' + $nj.FullName + '|' + $PSVersionTable.PSVersion)
    $hash = [System.BitConverter]::ToString([System.Security.Cryptography.SHA256]::HashData($key)).Replace('-', '').Substring(0, 16)
    $dir = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $dll = Join-Path $dir ('CutoverSimJson-' + $hash + '.dll')
    if (-not [System.IO.File]::Exists($dll)) {
        $tmp = Join-Path $dir ('CutoverSimJson-' + $hash + '.' + $PID + '.dll')
        try {
            Add-Type -TypeDefinition $script:SimJsonSource -ReferencedAssemblies @($nj.Location, [psobject].Assembly.Location) -OutputAssembly $tmp -IgnoreWarnings
            # Another process may have put it there meanwhile (or hold it open, on Windows).
            try { [System.IO.File]::Move($tmp, $dll, $true) }
            catch { if (-not [System.IO.File]::Exists($dll)) { throw } }
        }
        finally { if ([System.IO.File]::Exists($tmp)) { [System.IO.File]::Delete($tmp) } }
    }
    # Not Add-Type -LiteralPath, which costs about 0.4 s more in a fresh pwsh (every step of a
    # rehearsal started per process).
    $null = [System.Reflection.Assembly]::LoadFrom($dll)
}

function ConvertTo-SimJson {
    param($Value)
    $t = [CutoverSimJson.Json]::TryWrite($Value)
    if ($null -eq $t) { $t = $Value | ConvertTo-Json -Depth 64 -Compress }
    $t
}

function Initialize-Sim {
    if ($null -ne $script:S) { return }
    $path = Get-SimStatePath
    Import-SimJson
    $script:S = [CutoverSimJson.Json]::Parse([System.IO.File]::ReadAllText($path))
    $log = $path + '.log'
    # The state this process loaded is the one it writes to (Write-SimEntry, once per change).
    $script:SimLog = $log
    if (-not [System.IO.File]::Exists($log)) { return }
    $bytes = [System.IO.File]::ReadAllBytes($log)
    if ($bytes.Length -eq 0) { return }
    # A last line without its newline was cut by a kill (an entry over one write, such as a
    # group's whole member list, can be): it is dropped from the file, or the next entry would
    # join it into a line that is not JSON, and every later reader of the state would fail.
    $keep = $bytes.Length
    if ($bytes[$keep - 1] -ne 10) {
        $keep = [Array]::LastIndexOf($bytes, [byte]10) + 1
        $fs = [System.IO.File]::Open($log, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Write)
        try { $fs.SetLength($keep) } finally { $fs.Dispose() }
        if ($keep -eq 0) { return }
    }
    # No pipeline here: every step replays up to 400 entries.
    $complete = [System.Collections.Generic.List[string]]::new()
    foreach ($l in $script:Utf8.GetString($bytes, 0, $keep).Split([char]10)) { if ($l.Length -gt 0) { $complete.Add($l) } }
    $entries = @()
    if ($complete.Count -gt 0) {
        $entries = [CutoverSimJson.Json]::Parse('[' + [string]::Join(',', $complete) + ']')
    }
    Apply-SimEntries $entries
    if (@($entries).Count -gt 400) { Save-SimSnapshot }
}

function Apply-SimEntries {
    # The state log's rules, in one loop with no function call per change: every step replays up
    # to 400 entries when it loads the state (a batch holds several changes), which took 110-160
    # ms through a call per change on a 1,000-user tenant (measured in a warm host).
    param($Entries)
    foreach ($e in $Entries) {
        $changes = if ($e.op -eq 'batch') { $e.e } else { , $e }
        foreach ($x in $changes) {
            $op = $x.op
            if ($op -eq 'put') {
                $table = $script:S.t[$x.t]
                if ($null -eq $table) { $table = Get-SimTable $x.t }
                $table[$x.id] = $x.v
                if ($script:Idx.ContainsKey($x.t) -and $x.v -is [System.Collections.IDictionary]) { Add-SimIndex $script:Idx[$x.t] $x.v }
            }
            elseif ($op -eq 'del') { [void]$script:S.t[$x.t].Remove($x.id) }
            elseif ($op -eq 'set') { $script:S[$x.k] = $x.v }
            elseif ($op -eq 'batch') { Apply-SimEntries $x.e }
            else { throw "CutoverSim: unknown state log entry '$op'." }
        }
    }
}

function Save-SimSnapshot {
    $path = Get-SimStatePath
    $tmp = $path + '.tmp'
    [System.IO.File]::WriteAllText($tmp, (ConvertTo-SimJson $script:S), $script:Utf8)
    [System.IO.File]::Move($tmp, $path, $true)
    [System.IO.File]::WriteAllText($path + '.log', '', $script:Utf8)
}

function Write-SimEntry {
    # Applied at once; written when the command that made it ends (Complete-SimCommand).
    param($Entry)
    Apply-SimEntries @(, $Entry)
    if ($script:SimDepth -gt 0) { $script:SimPending.Add($Entry); return }
    $line = (ConvertTo-SimJson $Entry) + [char]10
    [System.IO.File]::AppendAllText($script:SimLog, $line, $script:Utf8)
}

# A service call is atomic: a licence assignment and the mailbox it provisions, or a clock and the
# sleep total, are one log line, so a process killed between them leaves neither (measured: a kill
# between two lines left a licensed user without a mailbox that no re-run could bring back).
$script:SimDepth = 0
$script:SimPending = [System.Collections.Generic.List[object]]::new()

function Complete-SimCommand {
    # Writes every change made so far as one line. A command nested in another's pipeline (e.g.
    # Get-Mailbox | Set-Mailbox) writes the outer one's changes with its own: its record may
    # already be in the journal, so its change must not wait for the outer command to end.
    $script:SimDepth--
    if ($script:SimPending.Count -eq 0) { return }
    $entry = if ($script:SimPending.Count -eq 1) { $script:SimPending[0] } else { @{ op = 'batch'; e = $script:SimPending.ToArray() } }
    $script:SimPending.Clear()
    $line = (ConvertTo-SimJson $entry) + [char]10
    [System.IO.File]::AppendAllText($script:SimLog, $line, $script:Utf8)
}

function Set-SimObject {
    param([string]$Table, [string]$Id, $Value)
    Write-SimEntry @{ op = 'put'; t = $Table; id = $Id; v = $Value }
}

function Get-SimTable {
    param([string]$Table)
    if (-not $script:S.t.ContainsKey($Table)) { $script:S.t[$Table] = @{} }
    $script:S.t[$Table]
}

function Remove-SimObject {
    param([string]$Table, [string]$Id)
    Write-SimEntry @{ op = 'del'; t = $Table; id = $Id }
}

function Get-SimClock { [double]$script:S.clock }

# ---- indexes: identity and address lookups in constant time on 10,000-user tenants ----------------
# An index maps a lower-case key (id, name, alias, display name, DN, UPN, any proxy address) to the
# ids of objects that had it. It is a superset: entries are added on every change and never
# removed, and every lookup checks the candidate's current keys.

$script:Idx = @{}

function Get-SimKeys {
    # No function call per key: this runs for every change and every lookup (Get-SimProxyKey's
    # rule inlined, as in Get-SimIndex).
    param($r)
    $k = [System.Collections.Generic.List[string]]::new()
    foreach ($n in @($r['Id'], $r['Name'], $r['Alias'], $r['DisplayName'], $r['DistinguishedName'], $r['UserPrincipalName'], $r['ExternalDirectoryObjectId'], $r['SamAccountName'])) {
        if ($null -ne $n) { $t = [string]$n; if ($t.Length -gt 0) { $k.Add($t.ToLowerInvariant()) } }
    }
    $rx = $script:ProxyRx
    foreach ($a in $r['EmailAddresses']) { if ($null -ne $a) { $k.Add($rx.Replace([string]$a, '', 1).ToLowerInvariant()) } }
    , $k
}

function Test-SimHasKey {
    # (Get-SimKeys $r) -contains Key, without building the list.
    param($r, [string]$Key)
    foreach ($n in @($r['Id'], $r['Name'], $r['Alias'], $r['DisplayName'], $r['DistinguishedName'], $r['UserPrincipalName'], $r['ExternalDirectoryObjectId'], $r['SamAccountName'])) {
        if ($null -ne $n) { $t = [string]$n; if ($t.Length -gt 0 -and $t.ToLowerInvariant() -eq $Key) { return $true } }
    }
    $rx = $script:ProxyRx
    foreach ($a in $r['EmailAddresses']) { if ($null -ne $a -and $rx.Replace([string]$a, '', 1).ToLowerInvariant() -eq $Key) { return $true } }
    $false
}

function Add-SimIndex {
    param($ix, $r)
    foreach ($k in (Get-SimKeys $r)) {
        $l = $ix[$k]
        if ($null -eq $l) { $l = New-Object System.Collections.Generic.HashSet[string]; $ix[$k] = $l }
        [void]$l.Add([string]$r.Id)
    }
}

$script:ProxyRx = New-Object System.Text.RegularExpressions.Regex('^[A-Za-z0-9]+:')

function Get-SimIndex {
    # Built in one loop with no function call per object: on a 10,000-recipient tenant the
    # per-object calls of Add-SimIndex took 13 s, the fixed cost of every step that looks up
    # a recipient. The keys are Get-SimKeys' keys.
    param([string]$Table)
    if (-not $script:Idx.ContainsKey($Table)) {
        $ix = New-Object 'System.Collections.Generic.Dictionary[string, System.Collections.Generic.HashSet[string]]'
        $rx = $script:ProxyRx
        foreach ($r in (Get-SimTable $Table).Values) {
            if ($r -isnot [System.Collections.IDictionary]) { continue }
            $id = [string]$r['Id']
            $keys = [System.Collections.Generic.List[string]]::new()
            foreach ($n in @($r['Id'], $r['Name'], $r['Alias'], $r['DisplayName'], $r['DistinguishedName'], $r['UserPrincipalName'], $r['ExternalDirectoryObjectId'], $r['SamAccountName'])) {
                if ($null -ne $n) { $t = [string]$n; if ($t.Length -gt 0) { $keys.Add($t.ToLowerInvariant()) } }
            }
            foreach ($a in $r['EmailAddresses']) { if ($null -ne $a) { $keys.Add($rx.Replace([string]$a, '', 1).ToLowerInvariant()) } }
            foreach ($k in $keys) {
                $l = $null
                if (-not $ix.TryGetValue($k, [ref]$l)) { $l = [System.Collections.Generic.HashSet[string]]::new(); $ix[$k] = $l }
                [void]$l.Add($id)
            }
        }
        $script:Idx[$Table] = $ix
    }
    $script:Idx[$Table]
}

function Find-SimByKey {
    # The objects of a table that have this key now.
    param([string]$Table, [string]$Key)
    # The built index read without a call to Get-SimIndex (this runs on every lookup).
    $ix = $script:Idx[$Table]
    if ($null -eq $ix) { $ix = Get-SimIndex $Table }
    $l = $ix[$Key]
    if ($null -eq $l) { return , @() }
    $objects = $script:S.t[$Table]
    $out = @()
    foreach ($id in $l) {
        $r = $objects[$id]
        if ($null -ne $r -and (Test-SimHasKey $r $Key)) { $out += $r }
    }
    , $out
}

# ---- time and provisioning delays -----------------------------------------------------------

function Get-SimHash {
    # A number in [0, 1) from the seed and a key: the same rehearsal draws the same delays and faults.
    param([string]$Key)
    $bytes = [System.Security.Cryptography.SHA256]::HashData($script:Utf8.GetBytes([string]$script:S.config.seed + '|' + $Key))
    [double]([System.BitConverter]::ToUInt32($bytes, 0)) / 4294967296.0
}

function Get-SimDelay {
    # Virtual seconds until a new object of this kind can be read, drawn from the seed between
    # the profile's bounds for the kind (config.delays.KIND = @(min, max)).
    param([string]$Kind, [string]$Key)
    $d = $script:S.config.delays
    if ($null -eq $d -or -not $d.ContainsKey($Kind)) { return 0.0 }
    $lo = [double]$d[$Kind][0]; $hi = [double]$d[$Kind][1]
    $lo + ($hi - $lo) * (Get-SimHash ('delay|' + $Kind + '|' + $Key))
}

function Test-SimVisible {
    param($Object)
    if ($Object.ContainsKey('MailboxAt')) { Complete-SimMailbox $Object }
    # The clock read inline (Get-SimClock): this runs for every object a lookup finds.
    -not $Object.ContainsKey('VisibleAt') -or [double]$Object.VisibleAt -le [double]$script:S.clock
}

function Complete-SimMailbox {
    # A licensed synced MailUser whose mailbox Exchange Online has provisioned by now reads as
    # the UserMailbox it became (see Add-SimUserMailbox); before that it is still the MailUser.
    param($r)
    if ([double]$r.MailboxAt -gt (Get-SimClock)) { return }
    [void]$r.Remove('MailboxAt')
    $r.RecipientType = 'UserMailbox'; $r.RecipientTypeDetails = 'UserMailbox'
    $r.ExchangeGuid = [guid]::NewGuid().ToString()
    Set-SimObject 'rcp' $r.Id $r
}

function Test-SimMailboxGuid {
    param($Guid)
    $t = ([string]$Guid).Trim()
    $t -ne '' -and $t -ne '00000000-0000-0000-0000-000000000000'
}

function global:Start-Sleep {
    # The simulation's clock instead of the wall clock (same parameters as the cmdlet).
    [CmdletBinding(DefaultParameterSetName = 'Seconds')]
    param(
        [Parameter(ParameterSetName = 'Seconds', Position = 0, Mandatory = $true)][double]$Seconds,
        [Parameter(ParameterSetName = 'Milliseconds', Mandatory = $true)][Alias('ms')][int]$Milliseconds,
        [Parameter(ParameterSetName = 'FromTimeSpan', Mandatory = $true)][Alias('ts')][timespan]$Duration
    )
    Initialize-Sim
    $add = $Seconds
    if ($PSCmdlet.ParameterSetName -eq 'Milliseconds') { $add = $Milliseconds / 1000.0 }
    if ($PSCmdlet.ParameterSetName -eq 'FromTimeSpan') { $add = $Duration.TotalSeconds }
    $script:SimDepth++
    try {
        Write-SimEntry @{ op = 'set'; k = 'clock'; v = (Get-SimClock) + $add }
        Write-SimEntry @{ op = 'set'; k = 'slept'; v = [double]$script:S.slept + $add }
    } finally { Complete-SimCommand }
}

# ---- errors -----------------------------------------------------------------------------------

function Write-SimError {
    # A non-terminating error from the command the step called, as the services write them
    # (Graph SDK and Exchange Online commands are advanced functions or cmdlets: their errors are
    # non-terminating unless the caller asks otherwise). Returns nothing.
    param($Caller, [string]$Message, [string]$ErrorId, [System.Management.Automation.ErrorCategory]$Category, $Target)
    # ::new, not New-Object: a cmdlet call each, several times the rest of this function, on every
    # not-found (07-users looks up every user before creating it).
    $ex = [System.Exception]::new($Message)
    $rec = [System.Management.Automation.ErrorRecord]::new($ex, $ErrorId, $Category, $Target)
    $Caller.WriteError($rec)
}

function New-SimNotFound {
    # Graph: learn.microsoft.com/graph/errors (404, Request_ResourceNotFound). Exchange:
    # ManagementObjectNotFoundException, "couldn't be found on" the serving domain controller.
    param([string]$Side, [string]$Identity)
    if ($Side -eq 'graph') {
        return @("Resource '$Identity' does not exist or one of its queried reference-property objects are not present.`n`nStatus: 404 (NotFound)`nErrorCode: Request_ResourceNotFound", 'Request_ResourceNotFound', 'ObjectNotFound')
    }
    @("The operation couldn't be performed because object '$Identity' couldn't be found on 'SIM01A001DC01.SIMPR01A001.PROD.OUTLOOK.COM'.", 'ManagementObjectNotFoundException', 'ObjectNotFound')
}

function Test-SimFault {
    # Injected faults, deterministic from the seed. Transient (throttling) faults hit the first
    # attempt of a change; a "failed object" fails every attempt. $null when none.
    param([string]$Side, [string]$Command, [string]$Key)
    $f = $script:S.config.faults
    if ($null -eq $f) { return $null }
    $k = $Command + '|' + $Key.ToLowerInvariant()
    if ((Get-SimHash ('fail|' + $Key.ToLowerInvariant())) -lt [double]$f.failed) {
        if ($Side -eq 'graph') {
            return @('Insufficient privileges to complete the operation.`n`nStatus: 403 (Forbidden)`nErrorCode: Authorization_RequestDenied', 'Authorization_RequestDenied', 'PermissionDenied')
        }
        return @("The operation on mailbox `"$Key`" failed because it's out of the current user's write scope.", 'OperationRequiresGroupManagerException', 'PermissionDenied')
    }
    $n = 0
    if ($script:S.t.attempts.ContainsKey($k)) { $n = [int]$script:S.t.attempts[$k] }
    Set-SimObject 'attempts' $k ($n + 1)
    if ($n -eq 0 -and (Get-SimHash ('throttle|' + $k)) -lt [double]$f.throttle) {
        if ($Side -eq 'graph') {
            return @("Too many requests.`n`nStatus: 429 (TooManyRequests)`nErrorCode: TooManyRequests", 'TooManyRequests', 'LimitsExceeded')
        }
        return @('The server cannot service this request right now. Try again later. (ErrorServerBusy, BackOffMilliseconds 30000)', 'ErrorServerBusy', 'LimitsExceeded')
    }
    $null
}

# ---- addresses and identities ---------------------------------------------------------------

function Get-SimTenantDomain { [string]$script:S.config.tenant }

function Get-SimProxyKey { param([string]$Address) $script:ProxyRx.Replace($Address, '', 1).ToLowerInvariant() }

function Find-SimAddressOwner {
    # Names and proxy addresses are unique across every recipient type in Exchange Online
    # (learn.microsoft.com/exchange/recipients-in-exchange-online/manage-user-mailboxes/add-or-remove-email-addresses:
    # "the proxy address is already being used"). Returns the owner or $null.
    param([string]$Side, [string]$Address, [string]$Except = '')
    $want = Get-SimProxyKey $Address
    foreach ($r in (Find-SimByKey (Get-SimRecipientTable $Side) $want)) {
        if ($r.Id -eq $Except) { continue }
        foreach ($a in @($r.EmailAddresses)) { if ((Get-SimProxyKey $a) -eq $want) { return $r } }
    }
    $null
}

function Get-SimRecipientTable { param([string]$Side) if ($Side -eq 'source') { 'src' } else { 'rcp' } }

function Find-SimRecipients {
    # Exchange identity forms: name, alias, display name, distinguished name, GUID, any proxy
    # address, UPN (learn.microsoft.com/powershell/module/exchangepowershell/get-recipient, -Identity).
    param([string]$Side, [string]$Identity, [string[]]$Types = @())
    $table = Get-SimRecipientTable $Side
    $seen = @{}
    $out = @()
    $keys = @($Identity.ToLowerInvariant())
    $proxy = Get-SimProxyKey $Identity
    # The same key twice finds the same objects, which $seen drops: looked up once.
    if ($proxy -cne $keys[0]) { $keys += $proxy }
    foreach ($k in $keys) {
        foreach ($r in (Find-SimByKey $table $k)) {
            if ($seen.ContainsKey($r.Id)) { continue }
            $seen[$r.Id] = $true
            if (-not (Test-SimVisible $r)) { continue }
            if ($Types.Count -gt 0 -and $Types -notcontains $r.RecipientTypeDetails) { continue }
            $out += $r
        }
    }
    , $out
}

# The source organisation's one server and one database (their AD objects).
$script:SimAdObjects = @('CN=EX01,CN=Servers', 'CN=DB01,CN=Databases')

$script:MailboxTypes = @('UserMailbox', 'SharedMailbox', 'RoomMailbox', 'EquipmentMailbox')
$script:ConvertibleTypes = @{ Regular = 'UserMailbox'; Shared = 'SharedMailbox'; Room = 'RoomMailbox'; Equipment = 'EquipmentMailbox' }
$script:GroupTypes = @('MailUniversalDistributionGroup', 'MailUniversalSecurityGroup', 'MailNonUniversalGroup')
$script:ContactTypes = @('MailContact')

function Resolve-SimOne {
    # One recipient of the given types, or writes the service's error and returns $null.
    param($Caller, [string]$Side, [string]$Identity, [string[]]$Types)
    $found = Find-SimRecipients -Side $Side -Identity $Identity -Types $Types
    if ($found.Count -eq 1) { return $found[0] }
    if ($found.Count -gt 1) {
        Write-SimError $Caller "The operation couldn't be performed because '$Identity' matches multiple entries." 'ManagementObjectAmbiguousException' InvalidArgument $Identity
        return $null
    }
    $e = New-SimNotFound $Side $Identity
    Write-SimError $Caller $e[0] $e[1] $e[2] $Identity
    $null
}

function Get-SimResultCap {
    # -ResultSize: 1000 by default, a number, or Unlimited
    # (learn.microsoft.com/powershell/module/exchangepowershell/get-mailbox, -ResultSize).
    param($Bound)
    if (-not $Bound.ContainsKey('ResultSize') -or $null -eq $Bound.ResultSize) { return 1000 }
    $v = [string]$Bound.ResultSize
    if ($v -eq 'Unlimited') { return [int]::MaxValue }
    [int]$v
}

function Limit-SimResults {
    param($Caller, [object[]]$Items, $Bound)
    $cap = Get-SimResultCap $Bound
    if ($Items.Count -gt $cap) {
        $Caller.WriteWarning("By default, only the first $cap items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify `"-ResultSize Unlimited`".")
        return , @($Items[0..($cap - 1)])
    }
    , $Items
}

function Get-SimBytes {
    # "150MB", "150 MB", 157286400, "35 MB (36,700,160 bytes)".
    param($Value)
    $t = ([string]$Value).Trim()
    if ($t -match '\(([0-9,]+) bytes\)') { return [long]($matches[1] -replace ',', '') }
    if ($t -match '^([0-9.]+)\s*(B|KB|MB|GB)?$') {
        $n = [double]$matches[1]
        switch ($matches[2]) { 'KB' { $n *= 1KB } 'MB' { $n *= 1MB } 'GB' { $n *= 1GB } }
        return [long]$n
    }
    throw "Cannot convert '$Value' to a size."
}

function Format-SimSize {
    param([long]$Bytes)
    $mb = [Math]::Round($Bytes / 1MB, 1)
    '{0} MB ({1} bytes)' -f $mb, $Bytes.ToString('N0', [System.Globalization.CultureInfo]::InvariantCulture)
}

# ---- output objects -----------------------------------------------------------------------------

function ConvertTo-SimRecipient {
    # The properties the Exchange recipient cmdlets return that a step may read (every one is
    # present, $null when not set, as in the real objects).
    param($r, [string]$Side)
    $send = @()
    foreach ($id in @($r.GrantSendOnBehalfTo)) {
        if ($null -eq $id) { continue }
        $t = (Get-SimTable (Get-SimRecipientTable $Side))[$id]
        if ($null -ne $t) { $send += [string]$t.Name }
    }
    [pscustomobject]@{
        Identity = [string]$r.Name; Id = [string]$r.Id; Guid = [string]$r.Id; Name = [string]$r.Name
        Alias = [string]$r.Alias; DisplayName = [string]$r.DisplayName
        PrimarySmtpAddress = [string]$r.PrimarySmtpAddress; UserPrincipalName = $r.UserPrincipalName
        WindowsEmailAddress = [string]$r.PrimarySmtpAddress
        EmailAddresses = @($r.EmailAddresses); RecipientType = [string]$r.RecipientType
        RecipientTypeDetails = [string]$r.RecipientTypeDetails
        DistinguishedName = [string]$r.DistinguishedName; ExternalDirectoryObjectId = $r.ExternalDirectoryObjectId
        ExternalEmailAddress = $r.ExternalEmailAddress; ExchangeGuid = $r.ExchangeGuid
        ArchiveGuid = '00000000-0000-0000-0000-000000000000'; ArchiveStatus = 'None'; ArchiveDatabase = $null
        LitigationHoldEnabled = $false; ForwardingSmtpAddress = $null; ForwardingAddress = $null
        DeliverToMailboxAndForward = $false; ProhibitSendQuota = '99 GB (106,300,440,576 bytes)'
        MaxSendSize = (Format-SimSize ([long]$r.MaxSendSize)); MaxReceiveSize = (Format-SimSize ([long]$r.MaxReceiveSize))
        GrantSendOnBehalfTo = $send; RequireSenderAuthenticationEnabled = [bool]$r.RequireSenderAuthenticationEnabled
        GroupType = $r.GroupType; Database = 'SIMDB01'; ServerName = 'sim01'
    }
}

$script:GraphDefaultProperties = @('id', 'displayname', 'mail', 'userprincipalname', 'givenname', 'surname', 'jobtitle', 'businessphones', 'mobilephone', 'officelocation', 'preferredlanguage')

function Get-SimAskedProperties {
    # -Property's names, lower-case (each value may hold several, comma-separated).
    param($Property)
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($p in @($Property)) { foreach ($n in ([string]$p).Split(',')) { $out.Add($n.Trim().ToLowerInvariant()) } }
    , $out
}

function ConvertTo-SimGraphUser {
    # Get-MgUser returns only the properties asked for with -Property (the others are $null), and
    # a default set without it (learn.microsoft.com/graph/api/user-get: "By default, only a limited
    # set of properties are returned").
    param($u, $Property)
    $want = $script:GraphDefaultProperties
    if ($null -ne $Property -and @($Property).Count -gt 0) {
        $want = Get-SimAskedProperties $Property
        $want.Insert(0, 'id')
    }
    # Each value as a pipeline returns it: an empty list reads as $null, a one-element list as
    # its element (what the previous per-property script block returned, without its ~0.1 ms
    # call per property and user).
    $lic = @()
    foreach ($s in @($u.AssignedLicenses)) { if ($null -ne $s) { $lic += [pscustomobject]@{ SkuId = [string]$s; DisabledPlans = @() } } }
    [pscustomobject]@{
        Id = [string]$u.Id
        UserPrincipalName = $(if ($want -contains 'userprincipalname') { $u.UserPrincipalName })
        DisplayName = $(if ($want -contains 'displayname') { $u.DisplayName })
        GivenName = $(if ($want -contains 'givenname') { $u.GivenName })
        Surname = $(if ($want -contains 'surname') { $u.Surname })
        MailNickname = $(if ($want -contains 'mailnickname') { $u.MailNickname })
        UsageLocation = $(if ($want -contains 'usagelocation') { $u.UsageLocation })
        AccountEnabled = $(if ($want -contains 'accountenabled') { $u.AccountEnabled })
        AssignedLicenses = $(if ($want -contains 'assignedlicenses') { $lic })
        Mail = $(if ($want -contains 'mail') { $u.Mail })
        ProxyAddresses = $(if ($want -contains 'proxyaddresses') { @($u.ProxyAddresses) })
        OnPremisesSyncEnabled = $(if ($want -contains 'onpremisessyncenabled') { $u.OnPremisesSyncEnabled })
        JobTitle = $null; BusinessPhones = @(); MobilePhone = $null; OfficeLocation = $null; PreferredLanguage = $null
        MailboxSettings = $null
        AdditionalProperties = @{}
    }
}

# ---- Graph -----------------------------------------------------------------------------------------

function Find-SimGraphUser {
    param([string]$Key)
    foreach ($u in (Find-SimByKey 'users' $Key.ToLowerInvariant())) {
        if ((Test-SimVisible $u) -and (([string]$u.Id).ToLowerInvariant() -eq $Key.ToLowerInvariant() -or ([string]$u.UserPrincipalName).ToLowerInvariant() -eq $Key.ToLowerInvariant())) { return $u }
    }
    $null
}

function Test-SimConnected {
    param($Caller, [string]$Kind)
    if ($script:Conn.ContainsKey($Kind)) { return $true }
    # Graph SDK: "Authentication needed. Please call Connect-MgGraph."
    Write-SimError $Caller 'Authentication needed. Please call Connect-MgGraph.' 'AuthenticationNeeded' AuthenticationError $null
    $false
}

function Invoke-SimGraph {
    param([string]$Command, $Bound, $Caller)
    $S = $script:S
    switch ($Command) {
        'Connect-MgGraph' { $script:Conn['graph'] = $true; return }
        'Disconnect-MgGraph' { [void]$script:Conn.Remove('graph'); return }
    }
    if (-not (Test-SimConnected $Caller 'graph')) { return }
    $h = $script:SimGraphCommands[$Command]
    if ($null -eq $h) { throw "CutoverSim: $Command is not simulated." }
    & $h
}

# Each command of Invoke-SimGraph: a table, not a switch. A switch compares the name with every case
# (a script block condition runs for each) on every call, and PowerShell interprets, then compiles,
# the whole function to run any one case: measured, the first calls of a rehearsal step cost
# several milliseconds each until then. Run by Invoke-SimGraph (& $h): it reads that function's
# $S, $Command, $Bound and $Caller; `return` leaves the command.
$script:SimGraphCommands = @{
    'Get-MgSubscribedSku' = {
        foreach ($s in @($S.config.skus)) {
            [pscustomobject]@{ SkuId = [string]$s.SkuId; SkuPartNumber = [string]$s.SkuPartNumber; ConsumedUnits = 0; PrepaidUnits = [pscustomobject]@{ Enabled = [int]$s.Units } }
        }
    }
    'Get-MgUser' = {
        if ($Bound.ContainsKey('UserId')) {
            $u = Find-SimGraphUser $Bound.UserId
            if ($null -eq $u) { $e = New-SimNotFound 'graph' $Bound.UserId; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.UserId; return }
            $o = ConvertTo-SimGraphUser $u $Bound['Property']
            $asked = Get-SimAskedProperties $Bound['Property']
            if ($asked -contains 'mailboxsettings') {
                # mailboxSettings.userPurpose tells a user's mailbox from a shared, room or
                # equipment one (learn.microsoft.com/graph/api/resources/mailboxsettings).
                # A user with no Exchange Online mailbox (a mail user, a mailbox on premises)
                # has none: 404 MailboxNotEnabledForRESTAPI (microsoft-graph-docs-contrib
                # issue 6519).
                $purpose = Get-SimMailboxPurpose $u
                if ($null -eq $purpose) {
                    Write-SimError $Caller "REST API is not yet supported for this mailbox.`n`nStatus: 404 (NotFound)`nErrorCode: MailboxNotEnabledForRESTAPI" 'MailboxNotEnabledForRESTAPI' ObjectNotFound $Bound.UserId
                    return
                }
                $o.MailboxSettings = [pscustomobject]@{ UserPurpose = $purpose; TimeZone = 'UTC'; AdditionalProperties = @{} }
            }
            return $o
        }
        # Without -All a list returns the first page (100 by default: learn.microsoft.com/graph/paging).
        $all = @((Get-SimTable 'users').Values | Where-Object { Test-SimVisible $_ } | Sort-Object { $_.UserPrincipalName })
        if (-not $Bound.ContainsKey('All') -and $all.Count -gt 100) { $all = $all[0..99] }
        foreach ($u in $all) { ConvertTo-SimGraphUser $u $Bound['Property'] }
    }
    'New-MgUser' = {
        $upn = [string]$Bound['UserPrincipalName']
        foreach ($u in (Find-SimByKey 'users' $upn.ToLowerInvariant())) {
            if (([string]$u.UserPrincipalName).ToLowerInvariant() -eq $upn.ToLowerInvariant()) {
                Write-SimError $Caller "Another object with the same value for property userPrincipalName already exists.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' ResourceExists $upn
                return
            }
        }
        $domain = ($upn -split '@')[-1].ToLowerInvariant()
        $d = (Get-SimTable 'domains')[$domain]
        if ($null -eq $d -or -not $d.IsVerified) {
            Write-SimError $Caller "Property userPrincipalName is invalid. The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' InvalidArgument $upn
            return
        }
        $pp = $Bound['PasswordProfile']
        if ($null -eq $pp -or [string]$pp['Password'] -eq '') {
            Write-SimError $Caller "Invalid value specified for property 'passwordProfile' of resource 'User'.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' InvalidArgument $upn
            return
        }
        if (-not $Caller.ShouldProcess($upn, 'New-MgUser')) { return }
        $f = Test-SimFault 'graph' $Command $upn
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $upn; return }
        $id = [guid]::NewGuid().ToString()
        $u = @{
            Id = $id; UserPrincipalName = $upn; DisplayName = [string]$Bound['DisplayName']; GivenName = $Bound['GivenName']
            Surname = $Bound['Surname']; MailNickname = [string]$Bound['MailNickname']; UsageLocation = $Bound['UsageLocation']
            AccountEnabled = [bool]$Bound['AccountEnabled']; AssignedLicenses = @(); Mail = $null; ProxyAddresses = @()
            OnPremisesSyncEnabled = $null; CreatedAt = (Get-SimClock); VisibleAt = (Get-SimClock) + (Get-SimDelay 'user' $upn)
        }
        Set-SimObject 'users' $id $u
        ConvertTo-SimGraphUser $u @('id', 'userPrincipalName', 'displayName')
    }
    'Update-MgUser' = {
        $u = Find-SimGraphUser $Bound.UserId
        if ($null -eq $u) { $e = New-SimNotFound 'graph' $Bound.UserId; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.UserId; return }
        if (-not $Caller.ShouldProcess([string]$u.UserPrincipalName, 'Update-MgUser')) { return }
        $f = Test-SimFault 'graph' $Command $u.UserPrincipalName
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $u.UserPrincipalName; return }
        foreach ($p in @('DisplayName', 'GivenName', 'Surname', 'UsageLocation', 'MailNickname', 'AccountEnabled')) {
            if ($Bound.ContainsKey($p)) { $u[$p] = $Bound[$p] }
        }
        Set-SimObject 'users' $u.Id $u
    }
    'Set-MgUserLicense' = {
        $u = Find-SimGraphUser $Bound.UserId
        if ($null -eq $u) { $e = New-SimNotFound 'graph' $Bound.UserId; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.UserId; return }
        # learn.microsoft.com/graph/api/user-assignlicense: "License assignment cannot be done for
        # user with invalid usage location."
        if ([string]$u.UsageLocation -eq '') {
            Write-SimError $Caller "License assignment cannot be done for user with invalid usage location.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' InvalidOperation $u.UserPrincipalName
            return
        }
        $add = @()
        foreach ($l in @($Bound['AddLicenses'])) { if ($null -ne $l) { $add += [string]$l['SkuId'] } }
        foreach ($sku in $add) {
            $known = $false
            foreach ($k in @($S.config.skus)) { if ([string]$k.SkuId -eq $sku) { $known = $true } }
            if (-not $known) {
                Write-SimError $Caller "License $sku does not correspond to a valid company License.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' InvalidArgument $u.UserPrincipalName
                return
            }
        }
        if (-not $Caller.ShouldProcess([string]$u.UserPrincipalName, 'Set-MgUserLicense')) { return }
        $f = Test-SimFault 'graph' $Command $u.UserPrincipalName
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $u.UserPrincipalName; return }
        $have = @(foreach ($l in @($u.AssignedLicenses)) { if ($null -ne $l) { $l } })
        foreach ($sku in $add) { if ($have -notcontains $sku) { $have += $sku } }
        foreach ($r in @($Bound['RemoveLicenses'])) { if ($null -ne $r) { $have = @($have | Where-Object { $_ -ne [string]$r }) } }
        $u.AssignedLicenses = $have
        Set-SimObject 'users' $u.Id $u
        if ($have.Count -gt 0) { Add-SimUserMailbox $u }
        ConvertTo-SimGraphUser $u @('id')
    }
    'Get-MgDomain' = {
        if ($Bound.ContainsKey('DomainId')) {
            $d = (Get-SimTable 'domains')[([string]$Bound.DomainId).ToLowerInvariant()]
            if ($null -eq $d) { $e = New-SimNotFound 'graph' $Bound.DomainId; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.DomainId; return }
            return [pscustomobject]@{ Id = $d.Id; IsVerified = [bool]$d.IsVerified; IsDefault = [bool]$d.IsDefault; IsInitial = [bool]$d.IsInitial; AuthenticationType = 'Managed' }
        }
        foreach ($d in (Get-SimTable 'domains').Values) { [pscustomobject]@{ Id = $d.Id; IsVerified = [bool]$d.IsVerified; IsDefault = [bool]$d.IsDefault; IsInitial = [bool]$d.IsInitial; AuthenticationType = 'Managed' } }
    }
    'New-MgDomain' = {
        $id = ([string]$Bound['Id']).ToLowerInvariant()
        if ((Get-SimTable 'domains').ContainsKey($id)) {
            Write-SimError $Caller "A conflicting object with one or more of the specified property values is present in the directory.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' ResourceExists $id
            return
        }
        if (-not $Caller.ShouldProcess($id, 'New-MgDomain')) { return }
        Set-SimObject 'domains' $id @{ Id = $id; IsVerified = $false; IsDefault = $false; IsInitial = $false }
        [pscustomobject]@{ Id = $id; IsVerified = $false }
    }
    'Get-MgDomainVerificationDnsRecord' = {
        $id = ([string]$Bound.DomainId).ToLowerInvariant()
        if (-not (Get-SimTable 'domains').ContainsKey($id)) { $e = New-SimNotFound 'graph' $id; Write-SimError $Caller $e[0] $e[1] $e[2] $id; return }
        $code = 'MS=ms' + [string][int]((Get-SimHash ('txt|' + $id)) * 90000000 + 10000000)
        [pscustomobject]@{ RecordType = 'Txt'; Label = $id; Ttl = 3600; IsOptional = $false; SupportedService = 'Email'; AdditionalProperties = @{ text = $code } }
    }
    'Confirm-MgDomain' = {
        $id = ([string]$Bound.DomainId).ToLowerInvariant()
        $d = (Get-SimTable 'domains')[$id]
        if ($null -eq $d) { $e = New-SimNotFound 'graph' $id; Write-SimError $Caller $e[0] $e[1] $e[2] $id; return }
        if (-not [bool]$S.config.dns_published) {
            Write-SimError $Caller "Domain verification failed. Please ensure the DNS record has been added and try again.`n`nStatus: 400 (BadRequest)`nErrorCode: Request_BadRequest" 'Request_BadRequest' InvalidOperation $id
            return
        }
        if (-not $Caller.ShouldProcess($id, 'Confirm-MgDomain')) { return }
        $d.IsVerified = $true
        Set-SimObject 'domains' $id $d
        [pscustomobject]@{ Id = $id; IsVerified = $true }
    }
    'Get-MgDomainServiceConfigurationRecord' = {
        $id = ([string]$Bound.DomainId).ToLowerInvariant()
        $d = (Get-SimTable 'domains')[$id]
        if ($null -eq $d) { $e = New-SimNotFound 'graph' $id; Write-SimError $Caller $e[0] $e[1] $e[2] $id; return }
        # New domains get MX hosts under mx.microsoft (m365-facts: MX host change, 2026).
        $mx = ($id -replace '\.', '-') + '.s-v1.mx.microsoft'
        [pscustomobject]@{ RecordType = 'Mx'; Label = $id; Ttl = 3600; SupportedService = 'Email'; AdditionalProperties = @{ mailExchange = $mx; preference = 0 } }
        [pscustomobject]@{ RecordType = 'Txt'; Label = $id; Ttl = 3600; SupportedService = 'Email'; AdditionalProperties = @{ text = 'v=spf1 include:spf.protection.outlook.com -all' } }
        [pscustomobject]@{ RecordType = 'CName'; Label = 'autodiscover.' + $id; Ttl = 3600; SupportedService = 'Email'; AdditionalProperties = @{ canonicalName = 'autodiscover.outlook.com' } }
    }
    'Get-MgGroup' = {
        foreach ($g in (Get-SimTable 'rcp').Values) {
            if (-not (Test-SimVisible $g) -or $script:GroupTypes -notcontains $g.RecipientTypeDetails) { continue }
            [pscustomobject]@{ Id = $g.Id; DisplayName = $g.DisplayName; Mail = $g.PrimarySmtpAddress; MailEnabled = $true; ProxyAddresses = @($g.EmailAddresses) }
        }
    }
    'Get-MgGroupMember' = {
        $g = (Get-SimTable 'rcp')[[string]$Bound.GroupId]
        if ($null -eq $g) { $e = New-SimNotFound 'graph' $Bound.GroupId; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.GroupId; return }
        foreach ($m in @($g.Members)) {
            $r = (Get-SimTable 'rcp')[$m]
            if ($null -ne $r) { [pscustomobject]@{ Id = $r.Id; AdditionalProperties = @{ mail = $r.PrimarySmtpAddress } } }
        }
    }
}

function Get-SimMailboxPurpose {
    # mailboxSettings.userPurpose of a user's Exchange Online mailbox, or $null when it has none.
    param($u)
    foreach ($r in (Find-SimByKey 'rcp' ([string]$u.Id).ToLowerInvariant())) {
        if ($r.ExternalDirectoryObjectId -ne $u.Id -or -not (Test-SimVisible $r)) { continue }
        $p = $script:UserPurpose[[string]$r.RecipientTypeDetails]
        if ($null -ne $p) { return $p }
    }
    $null
}

$script:UserPurpose = @{ UserMailbox = 'user'; SharedMailbox = 'shared'; RoomMailbox = 'room'; EquipmentMailbox = 'equipment' }

function Add-SimUserMailbox {
    # Exchange Online creates the mailbox after an Exchange licence is assigned, some minutes later
    # (learn.microsoft.com/exchange/recipients-in-exchange-online/create-user-mailboxes: "it can take
    # a while for the mailbox to be created"). Its name is the user's object id, its addresses the
    # UPN (primary) and the initial-domain address (mailNickname@tenant.onmicrosoft.com).
    param($u)
    foreach ($r in (Find-SimByKey 'rcp' ([string]$u.Id).ToLowerInvariant())) {
        if ($r.ExternalDirectoryObjectId -ne $u.Id) { continue }
        # A synced user whose mailbox is on premises is a MailUser in Exchange Online, and a
        # licence makes Exchange Online provision a mailbox for it unless the MailUser carries
        # the on-premises ExchangeGuid (msExchMailboxGuid): then it stays a MailUser
        # (learn.microsoft.com/archive/blogs/timmcmic/office-365-users-have-both-a-cloud-and-on-premises-mailbox).
        if ($r.RecipientTypeDetails -eq 'MailUser' -and -not $r.ContainsKey('MailboxAt') -and -not (Test-SimMailboxGuid $r.ExchangeGuid)) {
            $r.MailboxAt = (Get-SimClock) + (Get-SimDelay 'mailbox' ([string]$u.UserPrincipalName))
            Set-SimObject 'rcp' $r.Id $r
        }
        return
    }
    $upn = [string]$u.UserPrincipalName
    $alias = [string]$u.MailNickname
    if ($alias -eq '') { $alias = ($upn -split '@')[0] }
    $addrs = @(('SMTP:' + $upn), ('smtp:' + $alias + '@' + (Get-SimTenantDomain)))
    $rid = [guid]::NewGuid().ToString()
    Set-SimObject 'rcp' $rid @{
        Id = $rid; Name = $u.Id; Alias = $alias; DisplayName = $u.DisplayName; PrimarySmtpAddress = $upn; UserPrincipalName = $upn
        EmailAddresses = $addrs; RecipientType = 'UserMailbox'; RecipientTypeDetails = 'UserMailbox'
        DistinguishedName = 'CN=' + $u.Id + ',OU=' + (Get-SimTenantDomain) + ',OU=Microsoft Exchange Hosted Organizations,DC=SIMPR01A001,DC=PROD,DC=OUTLOOK,DC=COM'
        ExternalDirectoryObjectId = $u.Id; ExchangeGuid = [guid]::NewGuid().ToString()
        MaxSendSize = 35MB; MaxReceiveSize = 36MB; GrantSendOnBehalfTo = @(); FullAccess = @(); SendAs = @()
        CreatedAt = (Get-SimClock); VisibleAt = (Get-SimClock) + (Get-SimDelay 'mailbox' $upn)
    }
}

# ---- Exchange (Online and on premises) -------------------------------------------------------------

function Test-SimExchangeSession {
    param($Caller, [string]$Side)
    if ($Side -ne 'tenant') { return $true }
    if ($script:Conn.ContainsKey('exchange')) { return $true }
    Write-SimError $Caller 'No active Exchange Online session: run Connect-ExchangeOnline first.' 'NoSession' AuthenticationError $null
    $false
}

function New-SimRecipient {
    # Checks the name, alias and addresses against every recipient (unique across types), then
    # stores the new one. Returns it, or $null after writing the service's error.
    param($Caller, [string]$Side, [string]$Command, $Fields, [string]$Kind)
    $table = Get-SimRecipientTable $Side
    foreach ($r in (Find-SimByKey $table ([string]$Fields.Name).ToLowerInvariant())) {
        if ([string]$r.Name -ne '' -and ([string]$r.Name).ToLowerInvariant() -eq ([string]$Fields.Name).ToLowerInvariant()) {
            Write-SimError $Caller ('The name "' + $Fields.Name + '" is already being used. Please try another name.') 'ADObjectAlreadyExistsException' ResourceExists $Fields.Name
            return $null
        }
    }
    foreach ($a in @($Fields.EmailAddresses)) {
        $owner = Find-SimAddressOwner -Side $Side -Address $a
        if ($null -ne $owner) {
            Write-SimError $Caller ('The proxy address "' + $a + '" is already being used by the proxy addresses or LegacyExchangeDN of "' + $owner.Name + '". Please choose another proxy address.') 'ProxyAddressExistsException' ResourceExists $a
            return $null
        }
    }
    if (-not $Caller.ShouldProcess([string]$Fields.Name, $Command)) { return $null }
    $f = Test-SimFault 'exchange' $Command ([string]$Fields.PrimarySmtpAddress)
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $Fields.Name; return $null }
    $id = [guid]::NewGuid().ToString()
    $Fields.Id = $id
    $Fields.DistinguishedName = 'CN=' + $Fields.Name + ',OU=' + (Get-SimTenantDomain) + ',OU=Microsoft Exchange Hosted Organizations,DC=SIMPR01A001,DC=PROD,DC=OUTLOOK,DC=COM'
    $Fields.CreatedAt = (Get-SimClock)
    $Fields.VisibleAt = (Get-SimClock) + (Get-SimDelay $Kind ([string]$Fields.PrimarySmtpAddress))
    foreach ($k in @('GrantSendOnBehalfTo', 'FullAccess', 'SendAs', 'Members')) { if (-not $Fields.ContainsKey($k)) { $Fields[$k] = @() } }
    Set-SimObject $table $id $Fields
    $Fields
}

function Update-SimAddresses {
    # -EmailAddresses @{Add=...; Remove=...} keeps the others; a plain list replaces them all
    # (learn.microsoft.com/powershell/module/exchangepowershell/set-mailbox, -EmailAddresses).
    param($Caller, [string]$Side, $r, $Value)
    $list = @($r.EmailAddresses)
    if ($Value -is [System.Collections.IDictionary]) {
        foreach ($a in @($Value['Add'])) {
            if ($null -eq $a) { continue }
            $owner = Find-SimAddressOwner -Side $Side -Address $a -Except $r.Id
            if ($null -ne $owner) {
                Write-SimError $Caller ('The proxy address "' + $a + '" is already being used by the proxy addresses or LegacyExchangeDN of "' + $owner.Name + '". Please choose another proxy address.') 'ProxyAddressExistsException' ResourceExists $a
                return $false
            }
            if (-not (@($list | Where-Object { (Get-SimProxyKey $_) -eq (Get-SimProxyKey $a) }))) {
                $text = [string]$a
                if ($text -notmatch '^[A-Za-z0-9]+:') { $text = 'smtp:' + $text }
                $list += $text
            }
        }
        foreach ($a in @($Value['Remove'])) { if ($null -ne $a) { $list = @($list | Where-Object { (Get-SimProxyKey $_) -ne (Get-SimProxyKey $a) }) } }
    }
    else {
        $list = @($Value | ForEach-Object { [string]$_ })
    }
    $r.EmailAddresses = $list
    $true
}

function Open-SimRecipientChange {
    # The start of a Set- command on one recipient of these types (Set-DistributionGroup,
    # Set-MailContact): the object, or $null once the command has ended: not found (an error),
    # -WhatIf, an injected fault, or an address another recipient holds (an error). Otherwise
    # -EmailAddresses is applied, and the caller sets the rest and saves the object.
    param([string]$Command, $Bound, $Caller, [string]$Side, [string[]]$Types)
    $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $Types
    if ($null -eq $r) { return $null }
    if (-not $Caller.ShouldProcess([string]$r.Name, $Command)) { return $null }
    $f = Test-SimFault 'exchange' $Command ([string]$r.PrimarySmtpAddress)
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $r.Name; return $null }
    if ($Bound.ContainsKey('EmailAddresses')) { if (-not (Update-SimAddresses $Caller $Side $r $Bound.EmailAddresses)) { return $null } }
    $r
}

function Invoke-SimExchange {
    param([string]$Command, $Bound, $Caller, [string]$Side)
    $S = $script:S
    $table = Get-SimRecipientTable $Side
    if ($Command -eq 'Connect-ExchangeOnline') {
        $script:Conn['exchange'] = $true
        # EXO v3 imports the service's cmdlets into the session at sign-in
        # (learn.microsoft.com/powershell/exchange/exchange-online-powershell-v2).
        Import-Module (Join-Path $PSScriptRoot '../../session/CutoverSim.ExchangeOnline.psm1') -Global -DisableNameChecking
        return
    }
    if ($Command -eq 'Disconnect-ExchangeOnline') { [void]$script:Conn.Remove('exchange'); return }
    if (-not (Test-SimExchangeSession $Caller $Side)) { return }
    $h = $script:SimExchangeCommands[$Command]
    if ($null -eq $h) { throw "CutoverSim: $Command is not simulated." }
    & $h
}

# Each command of Invoke-SimExchange: a table, not a switch. A switch compares the name with every case
# (a script block condition runs for each) on every call, and PowerShell interprets, then compiles,
# the whole function to run any one case: measured, the first calls of a rehearsal step cost
# several milliseconds each until then. Run by Invoke-SimExchange (& $h): it reads that function's
# $S, $table, $Command, $Bound, $Caller and $Side; `return` leaves the command.
$script:SimExchangeCommands = @{
    'Get-Mailbox' = {
        $types = switch -Wildcard ($Command) { '*Mailbox' { $script:MailboxTypes } 'Get-DistributionGroup' { $script:GroupTypes } 'Get-MailContact' { $script:ContactTypes } default { @() } }
        if ($Bound.ContainsKey('RecipientTypeDetails')) { $types = @($Bound.RecipientTypeDetails | ForEach-Object { [string]$_ }) }
        $id = $null
        foreach ($k in @('Identity', 'PrimarySmtpAddress', 'UserPrincipalName', 'ExternalDirectoryObjectId')) { if ($Bound.ContainsKey($k)) { $id = [string]$Bound[$k] } }
        if ($null -ne $id) {
            if ($id.Trim() -eq '') { throw 'Cannot bind argument to parameter because it is an empty string.' }
            $r = Resolve-SimOne $Caller $Side $id $types
            if ($null -ne $r) { return ConvertTo-SimRecipient $r $Side }
            return
        }
        $all = @((Get-SimTable $table).Values | Where-Object { (Test-SimVisible $_) -and ($types.Count -eq 0 -or $types -contains $_.RecipientTypeDetails) } | Sort-Object { $_.Name })
        $all = Limit-SimResults $Caller $all $Bound
        foreach ($r in $all) { ConvertTo-SimRecipient $r $Side }
    }
    'New-Mailbox' = {
        $type = 'UserMailbox'
        foreach ($t in @('Shared', 'Room', 'Equipment')) { if ($Bound.ContainsKey($t) -and $Bound[$t]) { $type = $t + 'Mailbox' } }
        $alias = [string]$Bound['Alias']
        if ($alias -eq '') { $alias = ([string]$Bound.Name -replace '[^A-Za-z0-9._-]', '') }
        $primary = [string]$Bound['PrimarySmtpAddress']
        if ($primary -eq '') { $primary = $alias + '@' + (Get-SimTenantDomain) }
        $addrs = @('SMTP:' + $primary)
        $moera = $alias + '@' + (Get-SimTenantDomain)
        if ($moera.ToLowerInvariant() -ne $primary.ToLowerInvariant()) { $addrs += 'smtp:' + $moera }
        $display = [string]$Bound['DisplayName']; if ($display -eq '') { $display = [string]$Bound.Name }
        $r = New-SimRecipient $Caller $Side $Command @{
            Name = [string]$Bound.Name; Alias = $alias; DisplayName = $display; PrimarySmtpAddress = $primary
            EmailAddresses = $addrs; RecipientType = 'UserMailbox'; RecipientTypeDetails = $type
            ExchangeGuid = [guid]::NewGuid().ToString(); MaxSendSize = 35MB; MaxReceiveSize = 36MB
        } 'mailbox'
        if ($null -ne $r) { ConvertTo-SimRecipient $r $Side }
    }
    'Set-Mailbox' = {
        $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $script:MailboxTypes
        if ($null -eq $r) { return }
        # -Type converts the mailbox: Equipment, Regular, Room or Shared
        # (learn.microsoft.com/powershell/module/exchangepowershell/set-mailbox, -Type).
        $newType = $null
        if ($Bound.ContainsKey('Type')) {
            $newType = $script:ConvertibleTypes[[string]$Bound.Type]
            if ($null -eq $newType) {
                Stop-SimBinding $Caller ("Cannot process argument transformation on parameter 'Type'. Cannot convert value `"" + [string]$Bound.Type + "`" to type `"Microsoft.Exchange.Data.Directory.Recipient.ConvertibleMailboxSubType`". Specify one of the following enumerator names and try again: Regular, Room, Equipment, Shared") 'ParameterArgumentTransformationError'
            }
        }
        if (-not $Caller.ShouldProcess([string]$r.Name, 'Set-Mailbox')) { return }
        $f = Test-SimFault 'exchange' $Command ([string]$r.PrimarySmtpAddress)
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $r.Name; return }
        if ($Bound.ContainsKey('EmailAddresses')) { if (-not (Update-SimAddresses $Caller $Side $r $Bound.EmailAddresses)) { return } }
        foreach ($p in @('MaxSendSize', 'MaxReceiveSize')) {
            if ($Bound.ContainsKey($p)) {
                $b = Get-SimBytes $Bound[$p]
                # Exchange Online's largest message size limit is 150 MB
                # (learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits).
                if ($Side -eq 'tenant' -and $b -gt 150MB) {
                    Write-SimError $Caller "The value of property '$p' must be less than or equal to 150 MB." 'DataValidationException' InvalidArgument $r.Name
                    return
                }
                $r[$p] = $b
            }
        }
        if ($Bound.ContainsKey('GrantSendOnBehalfTo')) {
            $v = $Bound.GrantSendOnBehalfTo
            $cur = @($r.GrantSendOnBehalfTo | Where-Object { $null -ne $_ })
            $adds = @(); $removes = @()
            if ($v -is [System.Collections.IDictionary]) { $adds = @($v['Add']); $removes = @($v['Remove']) } else { $cur = @(); $adds = @($v) }
            foreach ($a in $adds) {
                if ($null -eq $a) { continue }
                $t = Resolve-SimOne $Caller $Side ([string]$a) @()
                if ($null -eq $t) { return }
                if ($cur -notcontains $t.Id) { $cur += $t.Id }
            }
            foreach ($a in $removes) {
                if ($null -eq $a) { continue }
                $t = Resolve-SimOne $Caller $Side ([string]$a) @()
                if ($null -ne $t) { $cur = @($cur | Where-Object { $_ -ne $t.Id }) }
            }
            $r.GrantSendOnBehalfTo = $cur
        }
        if ($null -ne $newType) { $r.RecipientTypeDetails = $newType }
        Set-SimObject $table $r.Id $r
    }
    'New-DistributionGroup' = {
        $alias = [string]$Bound['Alias']
        if ($alias -eq '') { $alias = ([string]$Bound.Name -replace '[^A-Za-z0-9._-]', '') }
        $primary = [string]$Bound['PrimarySmtpAddress']
        if ($primary -eq '') { $primary = $alias + '@' + (Get-SimTenantDomain) }
        $type = 'MailUniversalDistributionGroup'
        if ([string]$Bound['Type'] -eq 'Security') { $type = 'MailUniversalSecurityGroup' }
        $display = [string]$Bound['DisplayName']; if ($display -eq '') { $display = [string]$Bound.Name }
        # New groups reject external senders unless told otherwise
        # (learn.microsoft.com/powershell/module/exchangepowershell/new-distributiongroup,
        # -RequireSenderAuthenticationEnabled: "The default value is $true").
        $auth = $true
        if ($Bound.ContainsKey('RequireSenderAuthenticationEnabled')) { $auth = [bool]$Bound.RequireSenderAuthenticationEnabled }
        $r = New-SimRecipient $Caller $Side $Command @{
            Name = [string]$Bound.Name; Alias = $alias; DisplayName = $display; PrimarySmtpAddress = $primary
            EmailAddresses = @('SMTP:' + $primary); RecipientType = $type; RecipientTypeDetails = $type
            GroupType = 'Universal'; RequireSenderAuthenticationEnabled = $auth
        } 'group'
        if ($null -ne $r) { ConvertTo-SimRecipient $r $Side }
    }
    'Set-DistributionGroup' = {
        $r = Open-SimRecipientChange $Command $Bound $Caller $Side $script:GroupTypes
        if ($null -eq $r) { return }
        if ($Bound.ContainsKey('RequireSenderAuthenticationEnabled')) { $r.RequireSenderAuthenticationEnabled = [bool]$Bound.RequireSenderAuthenticationEnabled }
        Set-SimObject $table $r.Id $r
    }
    'Get-DistributionGroupMember' = {
        $g = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $script:GroupTypes
        if ($null -eq $g) { return }
        $all = @(); foreach ($m in @($g.Members)) { $t = (Get-SimTable $table)[$m]; if ($null -ne $t) { $all += $t } }
        $all = Limit-SimResults $Caller $all $Bound
        foreach ($t in $all) { ConvertTo-SimRecipient $t $Side }
    }
    'Add-DistributionGroupMember' = {
        $g = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $script:GroupTypes
        if ($null -eq $g) { return }
        $m = Resolve-SimOne $Caller $Side ([string]$Bound.Member) @()
        if ($null -eq $m) { return }
        if (@($g.Members) -contains $m.Id) {
            Write-SimError $Caller ('The recipient "' + $Bound.Member + '" is already a member of the group "' + $g.Name + '".') 'MemberAlreadyExistsException' ResourceExists $Bound.Member
            return
        }
        if (-not $Caller.ShouldProcess([string]$g.Name, 'Add-DistributionGroupMember')) { return }
        $f = Test-SimFault 'exchange' $Command ([string]$g.PrimarySmtpAddress + '|' + $m.PrimarySmtpAddress)
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $g.Name; return }
        $g.Members = @(@($g.Members | Where-Object { $null -ne $_ }) + $m.Id)
        Set-SimObject $table $g.Id $g
    }
    'New-MailContact' = {
        $ext = [string]$Bound.ExternalEmailAddress
        $alias = [string]$Bound['Alias']
        # Without -Alias a mail contact's alias is its Name, "spaces are removed and
        # unsupported characters are converted to question marks (?)"
        # (learn.microsoft.com/powershell/module/exchangepowershell/new-mailcontact, -Alias).
        if ($alias -eq '') { $alias = (([string]$Bound.Name) -replace ' ', '') -replace '[^A-Za-z0-9!#$%&''*+\-/=?^_`{|}~.\u00A1-\u00FF]', '?' }
        $display = [string]$Bound['DisplayName']; if ($display -eq '') { $display = [string]$Bound.Name }
        $r = New-SimRecipient $Caller $Side $Command @{
            Name = [string]$Bound.Name; Alias = $alias; DisplayName = $display; PrimarySmtpAddress = $ext
            EmailAddresses = @('SMTP:' + $ext); ExternalEmailAddress = 'SMTP:' + $ext
            RecipientType = 'MailContact'; RecipientTypeDetails = 'MailContact'
        } 'contact'
        if ($null -ne $r) { ConvertTo-SimRecipient $r $Side }
    }
    'Set-MailContact' = {
        $r = Open-SimRecipientChange $Command $Bound $Caller $Side $script:ContactTypes
        if ($null -eq $r) { return }
        foreach ($k in 'Alias', 'DisplayName') { if ($Bound.ContainsKey($k)) { $r.$k = [string]$Bound[$k] } }
        Set-SimObject $table $r.Id $r
    }
    'Get-MailboxPermission' = {
        $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $script:MailboxTypes
        if ($null -eq $r) { return }
        $out = @([pscustomobject]@{ Identity = $r.Name; User = 'NT AUTHORITY\SELF'; AccessRights = @('FullAccess', 'ReadPermission'); IsInherited = $false; Deny = $false })
        foreach ($id in @($r.FullAccess)) {
            $t = (Get-SimTable $table)[$id]
            if ($null -eq $t) { continue }
            $out += [pscustomobject]@{ Identity = $r.Name; User = [string]$t.PrimarySmtpAddress; AccessRights = @('FullAccess'); IsInherited = $false; Deny = $false; UserId = $t.Id }
        }
        if ($Bound.ContainsKey('User')) {
            $u = Resolve-SimOne $Caller $Side ([string]$Bound.User) @()
            if ($null -eq $u) { return }
            $out = @($out | Where-Object { $_.PSObject.Properties['UserId'] -and $_.UserId -eq $u.Id })
        }
        $out | Select-Object Identity, User, AccessRights, IsInherited, Deny
    }
    'Add-MailboxPermission' = {
        $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $script:MailboxTypes
        if ($null -eq $r) { return }
        $u = Resolve-SimOne $Caller $Side ([string]$Bound.User) @()
        if ($null -eq $u) { return }
        if (-not $Caller.ShouldProcess([string]$r.Name, 'Add-MailboxPermission')) { return }
        $f = Test-SimFault 'exchange' $Command ([string]$r.PrimarySmtpAddress + '|' + $u.PrimarySmtpAddress)
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $r.Name; return }
        if (@($r.FullAccess) -notcontains $u.Id) { $r.FullAccess = @(@($r.FullAccess | Where-Object { $null -ne $_ }) + $u.Id) }
        Set-SimObject $table $r.Id $r
        [pscustomobject]@{ Identity = $r.Name; User = $u.PrimarySmtpAddress; AccessRights = @('FullAccess'); IsInherited = $false; Deny = $false }
    }
    'Get-RecipientPermission' = {
        $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) @()
        if ($null -eq $r) { return }
        $want = $null
        if ($Bound.ContainsKey('Trustee')) { $u = Resolve-SimOne $Caller $Side ([string]$Bound.Trustee) @(); if ($null -eq $u) { return }; $want = $u.Id }
        foreach ($id in @($r.SendAs)) {
            if ($null -ne $want -and $id -ne $want) { continue }
            $t = (Get-SimTable $table)[$id]
            if ($null -ne $t) { [pscustomobject]@{ Identity = $r.Name; Trustee = [string]$t.PrimarySmtpAddress; AccessControlType = 'Allow'; AccessRights = @('SendAs'); IsInherited = $false } }
        }
    }
    'Add-RecipientPermission' = {
        $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) @()
        if ($null -eq $r) { return }
        $u = Resolve-SimOne $Caller $Side ([string]$Bound.Trustee) @()
        if ($null -eq $u) { return }
        if (-not $Caller.ShouldProcess([string]$r.Name, 'Add-RecipientPermission')) { return }
        $f = Test-SimFault 'exchange' $Command ([string]$r.PrimarySmtpAddress + '|sendas|' + $u.PrimarySmtpAddress)
        if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $r.Name; return }
        if (@($r.SendAs) -notcontains $u.Id) { $r.SendAs = @(@($r.SendAs | Where-Object { $null -ne $_ }) + $u.Id) }
        Set-SimObject $table $r.Id $r
        [pscustomobject]@{ Identity = $r.Name; Trustee = $u.PrimarySmtpAddress; AccessControlType = 'Allow'; AccessRights = @('SendAs'); IsInherited = $false }
    }
    'Get-ADPermission' = {
        # On premises only: Send-As is an AD extended right on the user object; other rights
        # (impersonation on servers and databases, 2007) are entries on those AD objects.
        $dn = [string]$Bound.Identity
        if ($script:SimAdObjects -notcontains $dn) {
            $r = Resolve-SimOne $Caller $Side $dn @()
            if ($null -eq $r) { return }
            foreach ($id in @($r.SendAs)) {
                $t = (Get-SimTable $table)[$id]
                if ($null -ne $t) { [pscustomobject]@{ Identity = $r.DistinguishedName; User = 'CONTOSO\' + $t.Alias; AccessRights = @('ExtendedRight'); ExtendedRights = @('Send-As'); IsInherited = $false; Deny = $false } }
            }
        }
        # A loop, not Where-Object: this runs once per mailbox of a source export.
        foreach ($g in @(foreach ($x in (Get-SimTable 'adperm').Values) { if ($x.Object -eq $dn) { $x } })) {
            if ($Bound.ContainsKey('User') -and [string]$g.User -ne [string]$Bound.User) { continue }
            [pscustomobject]@{ Identity = $dn; User = $g.User; AccessRights = @('ExtendedRight'); ExtendedRights = @($g.Right); IsInherited = $false; Deny = $false }
        }
    }
    'Add-ADPermission' = {
        $dn = [string]$Bound.Identity
        if ($script:SimAdObjects -notcontains $dn) {
            if ($null -eq (Resolve-SimOne $Caller $Side $dn @())) { return }
        }
        $u = Resolve-SimOne $Caller $Side ([string]$Bound.User) @()
        if ($null -eq $u) { return }
        if (-not $Caller.ShouldProcess($dn, 'Add-ADPermission')) { return }
        foreach ($right in @($Bound['ExtendedRights'])) {
            if ($null -eq $right) { continue }
            $key = ($dn + '|' + [string]$Bound.User + '|' + [string]$right).ToLowerInvariant()
            Set-SimObject 'adperm' $key @{ Object = $dn; User = [string]$Bound.User; Right = [string]$right }
            [pscustomobject]@{ Identity = $dn; User = [string]$Bound.User; AccessRights = @('ExtendedRight'); ExtendedRights = @([string]$right); IsInherited = $false; Deny = $false }
        }
    }
    'Get-MailboxStatistics' = {
        $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) $script:MailboxTypes
        if ($null -eq $r) { return }
        $size = [long]$r.TotalItemSize
        [pscustomobject]@{ MailboxGuid = $r.ExchangeGuid; DisplayName = $r.DisplayName; IsArchiveMailbox = $false; TotalItemSize = (Format-SimSize $size); TotalDeletedItemSize = (Format-SimSize 0); ItemCount = [int]$r.ItemCount; DeletedItemCount = 0 }
    }
    'Get-MailboxPlan' = {
        $all = @((Get-SimTable 'plans').Values | Sort-Object { $_.Name })
        $all = Limit-SimResults $Caller $all $Bound
        foreach ($p in $all) { [pscustomobject]@{ Identity = $p.Name; Name = $p.Name; DisplayName = $p.DisplayName; PrimarySmtpAddress = $null; MaxSendSize = (Format-SimSize ([long]$p.MaxSendSize)); MaxReceiveSize = (Format-SimSize ([long]$p.MaxReceiveSize)); IsDefault = [bool]$p.IsDefault } }
    }
    'Set-MailboxPlan' = {
        if ([bool]$S.config.dehydrated) {
            Write-SimError $Caller 'This operation is not available in the current version of Exchange Online. Please run Enable-OrganizationCustomization first.' 'OrganizationCustomizationRequired' InvalidOperation $Bound.Identity
            return
        }
        $p = $null
        foreach ($x in (Get-SimTable 'plans').Values) { if (([string]$x.Name).ToLowerInvariant() -eq ([string]$Bound.Identity).ToLowerInvariant() -or ([string]$x.DisplayName).ToLowerInvariant() -eq ([string]$Bound.Identity).ToLowerInvariant()) { $p = $x } }
        if ($null -eq $p) { $e = New-SimNotFound $Side $Bound.Identity; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.Identity; return }
        if (-not $Caller.ShouldProcess([string]$p.Name, 'Set-MailboxPlan')) { return }
        foreach ($k in @('MaxSendSize', 'MaxReceiveSize')) { if ($Bound.ContainsKey($k)) { $p[$k] = Get-SimBytes $Bound[$k] } }
        Set-SimObject 'plans' $p.Name $p
    }
    'Get-InboundConnector' = {
        Invoke-SimConnector -Command $Command -Bound $Bound -Caller $Caller -Side $Side
    }
    'Get-OrganizationConfig' = { [pscustomobject]@{ Name = (Get-SimTenantDomain); IsDehydrated = [bool]$S.config.dehydrated } }
    'Enable-OrganizationCustomization' = {
        if (-not $Caller.ShouldProcess((Get-SimTenantDomain), 'Enable-OrganizationCustomization')) { return }
        $S.config.dehydrated = $false
        Write-SimEntry @{ op = 'set'; k = 'config'; v = $S.config }
    }
    'Get-MessageTrace' = { }
    'Get-ExchangeServer' = { [pscustomobject]@{ Name = 'EX01'; Identity = 'EX01'; ServerRole = 'Mailbox, ClientAccess'; AdminDisplayVersion = 'Version 15.1 (Build 2507.6)'; IsClientAccessServer = $true; IsMailboxServer = $true; DistinguishedName = $script:SimAdObjects[0] } }
    'Get-MailboxDatabase' = { [pscustomobject]@{ Name = 'DB01'; Identity = 'DB01'; Server = 'EX01'; DistinguishedName = $script:SimAdObjects[1] } }
    'Get-ThrottlingPolicy' = {
        Invoke-SimThrottling -Command $Command -Bound $Bound -Caller $Caller -Side $Side
    }
    'Get-ManagementRoleAssignment' = {
        $key = $Command + '|' + [string]$Bound['Identity'] + '|' + [string]$Bound['RoleAssignee'] + '|' + [string]$Bound['Role']
        foreach ($o in (Get-SimTable 'misc').Values) { if ($o.Kind -eq $Command) { [pscustomobject]$o.Value } }
    }
    'New-ManagementRoleAssignment' = {
        if (-not $Caller.ShouldProcess([string]$Bound['Identity'], $Command)) { return }
        $kind = 'Get-ManagementRoleAssignment'
        $v = @{}
        foreach ($k in $Bound.Keys) { $v[$k] = [string]$Bound[$k] }
        if (-not $v.ContainsKey('Identity')) { $v.Identity = [string]$Bound['Name'] }
        $v.Name = $v.Identity
        Set-SimObject 'misc' ($kind + '|' + $v.Identity) @{ Kind = $kind; Value = $v }
        [pscustomobject]$v
    }
}
foreach ($n in @('Get-EXOMailbox', 'Get-Recipient', 'Get-EXORecipient', 'Get-DistributionGroup', 'Get-MailContact')) { $script:SimExchangeCommands[$n] = $script:SimExchangeCommands['Get-Mailbox'] }
foreach ($n in @('New-InboundConnector', 'Set-InboundConnector', 'Get-OutboundConnector', 'New-OutboundConnector', 'Set-OutboundConnector')) { $script:SimExchangeCommands[$n] = $script:SimExchangeCommands['Get-InboundConnector'] }
foreach ($n in @('Get-MessageTraceV2')) { $script:SimExchangeCommands[$n] = $script:SimExchangeCommands['Get-MessageTrace'] }
foreach ($n in @('New-ThrottlingPolicy', 'Set-ThrottlingPolicy', 'Get-ThrottlingPolicyAssociation', 'Set-ThrottlingPolicyAssociation')) { $script:SimExchangeCommands[$n] = $script:SimExchangeCommands['Get-ThrottlingPolicy'] }

# ---- connectors (Exchange Online mail flow) -------------------------------------------------------
# learn.microsoft.com/powershell/module/exchangepowershell/new-inboundconnector (and set-, get-,
# and the outbound ones). Names are unique per direction. SenderIPAddresses: IPv4 only, single
# addresses or CIDR /24 through /32 ("IPv6 addresses are not supported"). Defaults: Enabled $true,
# RestrictDomainsToIPAddresses $false, RequireTls $false, EFSkipLastIP $false; outbound
# UseMXRecord $true, and SmartHosts is required when UseMXRecord is $false.

$script:InboundFields = @('ConnectorType', 'SenderDomains', 'SenderIPAddresses', 'RestrictDomainsToIPAddresses', 'RequireTls', 'Enabled', 'EFSkipIPs', 'EFSkipLastIP', 'Comment')
$script:OutboundFields = @('ConnectorType', 'RecipientDomains', 'SmartHosts', 'UseMXRecord', 'TlsSettings', 'Enabled', 'Comment')
$script:ListFields = @('SenderDomains', 'SenderIPAddresses', 'EFSkipIPs', 'RecipientDomains', 'SmartHosts')

function Test-SimSenderIp {
    param([string]$Text)
    if ($Text -notmatch '^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(/(\d{1,2}))?$') { return $false }
    foreach ($i in 1..4) { if ([int]$matches[$i] -gt 255) { return $false } }
    if ($matches[6]) { $m = [int]$matches[6]; if ($m -lt 24 -or $m -gt 32) { return $false } }
    $true
}

function ConvertTo-SimConnector {
    param($c)
    $o = [ordered]@{ Name = $c.Name; Identity = $c.Name; Guid = $c.Id }
    foreach ($k in $c.Keys) { if (@('Name', 'Id', 'Direction') -notcontains $k) { $o[$k] = $c[$k] } }
    [pscustomobject]$o
}

function Invoke-SimConnector {
    param([string]$Command, $Bound, $Caller, [string]$Side)
    $dir = 'in'; $fields = $script:InboundFields
    if ($Command -like '*Outbound*') { $dir = 'out'; $fields = $script:OutboundFields }
    $table = Get-SimTable 'connectors'
    $find = {
        param([string]$Name)
        $k = $dir + '|' + $Name.ToLowerInvariant()
        $table[$k]
    }
    if ($Command -like 'Get-*') {
        if ($Bound.ContainsKey('Identity')) {
            $c = & $find ([string]$Bound.Identity)
            if ($null -eq $c) { $e = New-SimNotFound $Side $Bound.Identity; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.Identity; return }
            return ConvertTo-SimConnector $c
        }
        foreach ($c in @($table.Values | Where-Object { $_.Direction -eq $dir } | Sort-Object { $_.Name })) { ConvertTo-SimConnector $c }
        return
    }
    if ($Command -like 'New-*') {
        $name = [string]$Bound.Name
        if ($null -ne (& $find $name)) {
            Write-SimError $Caller "The connector `"$name`" already exists. Please specify a different name." 'ADObjectAlreadyExistsException' ResourceExists $name
            return
        }
        $c = @{ Id = [guid]::NewGuid().ToString(); Name = $name; Direction = $dir; ConnectorType = 'Partner'; Enabled = $true; Comment = $null }
        if ($dir -eq 'in') { $c.SenderDomains = @(); $c.SenderIPAddresses = @(); $c.RestrictDomainsToIPAddresses = $false; $c.RequireTls = $false; $c.EFSkipIPs = @(); $c.EFSkipLastIP = $false }
        else { $c.RecipientDomains = @(); $c.SmartHosts = @(); $c.UseMXRecord = $true; $c.TlsSettings = $null }
    }
    else {
        $c = & $find ([string]$Bound.Identity)
        if ($null -eq $c) { $e = New-SimNotFound $Side $Bound.Identity; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.Identity; return }
    }
    foreach ($k in $fields) {
        if (-not $Bound.ContainsKey($k)) { continue }
        $v = $Bound[$k]
        if ($script:ListFields -contains $k) {
            $list = @($c[$k] | Where-Object { $null -ne $_ })
            if ($v -is [System.Collections.IDictionary]) {
                foreach ($a in @($v['Add'])) { if ($null -ne $a -and $list -notcontains [string]$a) { $list += [string]$a } }
                foreach ($a in @($v['Remove'])) { if ($null -ne $a) { $list = @($list | Where-Object { $_ -ne [string]$a }) } }
            }
            else { $list = @(@($v) | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ }) }
            $c[$k] = $list
        }
        elseif ($v -is [bool] -or $v -is [System.Management.Automation.SwitchParameter]) { $c[$k] = [bool]$v }
        elseif ($null -eq $v) { $c[$k] = $null }
        else { $c[$k] = [string]$v }
    }
    if ($dir -eq 'in') {
        foreach ($ip in @($c.SenderIPAddresses)) {
            if (-not (Test-SimSenderIp $ip)) {
                Write-SimError $Caller "The value `"$ip`" of SenderIPAddresses is invalid: use an IPv4 address or a CIDR range from /24 to /32 (IPv6 addresses are not supported)." 'DataValidationException' InvalidArgument $ip
                return
            }
        }
    }
    elseif (-not [bool]$c.UseMXRecord -and @($c.SmartHosts).Count -eq 0) {
        Write-SimError $Caller 'SmartHosts must be specified when UseMXRecord is $false.' 'DataValidationException' InvalidArgument $c.Name
        return
    }
    if (-not $Caller.ShouldProcess([string]$c.Name, $Command)) { return }
    Set-SimObject 'connectors' ($dir + '|' + ([string]$c.Name).ToLowerInvariant()) $c
    if ($Command -like 'New-*') { ConvertTo-SimConnector $c }
}

# ---- throttling policies (source side) ----------------------------------------------------------
# learn.microsoft.com/powershell/module/exchangepowershell/set-throttlingpolicy (and
# new-throttlingpolicy): EWSMaxConcurrency and EWSMaxSubscriptions are UInt32 on every version,
# "$null" meaning unthrottled; EwsMaxBurst, EwsRechargeRate, EwsCutoffBalance are of type
# Unlimited (a number or Unlimited) and exist from Exchange 2013 (EwsCostThreshold from 2016);
# EWSPercentTimeIn*, EWSFastSearchTimeoutInSeconds and EWSFindCountLimit exist only on 2010.
# The generated signatures take every UInt32 as [Nullable[uint32]] so $null reaches the
# simulation as $null; a parameter the server's version lacks is refused as PowerShell does.

$script:ThrottleOnly = @{
    EWSPercentTimeInAD = @('2010'); EWSPercentTimeInCAS = @('2010'); EWSPercentTimeInMailboxRPC = @('2010')
    EWSFastSearchTimeoutInSeconds = @('2010'); EWSFindCountLimit = @('2010')
    EwsMaxBurst = @('2013', '2016', '2019', 'SE'); EwsRechargeRate = @('2013', '2016', '2019', 'SE')
    EwsCutoffBalance = @('2013', '2016', '2019', 'SE'); EwsCostThreshold = @('2016', '2019', 'SE')
}
$script:ThrottleUnlimited = @('EwsMaxBurst', 'EwsRechargeRate', 'EwsCutoffBalance', 'EwsCostThreshold')

function Stop-SimBinding {
    # A parameter binding failure: terminating, as PowerShell raises it before the cmdlet runs.
    param($Caller, [string]$Message, [string]$ErrorId)
    $ex = [System.Management.Automation.ParameterBindingException]::new($Message)
    $Caller.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($ex, $ErrorId, [System.Management.Automation.ErrorCategory]::InvalidArgument, $null))
}

function ConvertTo-SimPolicy {
    param($p)
    $o = [ordered]@{ Name = $p.Name; Identity = $p.Name; Id = $p.Id; IsDefault = [bool]$p.IsDefault }
    foreach ($k in $p.Settings.Keys) {
        $v = $p.Settings[$k]
        # 2013 and later show an unthrottled budget as Unlimited; 2010 shows it empty.
        if ($null -eq $v -and [string]$script:S.config.source_version -ne '2010') { $v = 'Unlimited' }
        $o[$k] = $v
    }
    [pscustomobject]$o
}

function Find-SimPolicy {
    param([string]$Identity)
    foreach ($p in (Get-SimTable 'throttle').Values) {
        if ($p.Name -eq $Identity -or $p.Id -eq $Identity) { return $p }
    }
    $null
}

function Invoke-SimThrottling {
    param([string]$Command, $Bound, $Caller, [string]$Side)
    $version = [string]$script:S.config.source_version
    foreach ($k in @($Bound.Keys)) {
        $only = $script:ThrottleOnly[$k]
        if ($null -ne $only -and $only -notcontains $version) {
            Stop-SimBinding $Caller "A parameter cannot be found that matches parameter name '$k'." 'NamedParameterNotFound'
        }
        if ($script:ThrottleUnlimited -contains $k) {
            $v = [string]$Bound[$k]
            $n = [uint32]0
            if ($v -ne 'Unlimited' -and -not [uint32]::TryParse($v, [ref]$n)) {
                Stop-SimBinding $Caller "Cannot process argument transformation on parameter '$k'. Cannot convert value `"$v`" to type `"Microsoft.Exchange.Data.Unlimited``1[System.UInt32]`"." 'ParameterArgumentTransformationError'
            }
        }
    }
    switch ($Command) {
        'Get-ThrottlingPolicy' {
            if ($Bound.ContainsKey('Identity')) {
                $p = Find-SimPolicy ([string]$Bound.Identity)
                if ($null -eq $p) { $e = New-SimNotFound $Side $Bound.Identity; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.Identity; return }
                return ConvertTo-SimPolicy $p
            }
            foreach ($p in @((Get-SimTable 'throttle').Values | Sort-Object { $_.Name })) { ConvertTo-SimPolicy $p }
        }
        'New-ThrottlingPolicy' {
            $name = [string]$Bound.Name
            if ($null -ne (Find-SimPolicy $name)) {
                Write-SimError $Caller "Active Directory operation failed on DC01.contoso.local. The object 'CN=$name,CN=Global Settings,CN=Contoso,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=contoso,DC=local' already exists." 'ADObjectAlreadyExistsException' ResourceExists $name
                return
            }
            if (-not $Caller.ShouldProcess($name, 'New-ThrottlingPolicy')) { return }
            $p = @{ Id = [guid]::NewGuid().ToString(); Name = $name; IsDefault = $false; Settings = @{} }
            foreach ($k in $Bound.Keys) { if ($k -like 'EWS*') { $p.Settings[$k] = $Bound[$k] } }
            Set-SimObject 'throttle' $p.Id $p
            ConvertTo-SimPolicy $p
        }
        'Set-ThrottlingPolicy' {
            $p = Find-SimPolicy ([string]$Bound.Identity)
            if ($null -eq $p) { $e = New-SimNotFound $Side $Bound.Identity; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.Identity; return }
            if (-not $Caller.ShouldProcess([string]$p.Name, 'Set-ThrottlingPolicy')) { return }
            foreach ($k in $Bound.Keys) { if ($k -like 'EWS*') { $p.Settings[$k] = $Bound[$k] } }
            Set-SimObject 'throttle' $p.Id $p
        }
        'Get-ThrottlingPolicyAssociation' {
            $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) @()
            if ($null -eq $r) { return }
            [pscustomobject]@{ Identity = [string]$r.Name; Name = [string]$r.Name; ObjectId = [string]$r.DistinguishedName; ThrottlingPolicyId = $r.ThrottlingPolicy }
        }
        'Set-ThrottlingPolicyAssociation' {
            $r = Resolve-SimOne $Caller $Side ([string]$Bound.Identity) @()
            if ($null -eq $r) { return }
            $p = Find-SimPolicy ([string]$Bound.ThrottlingPolicy)
            if ($null -eq $p) { $e = New-SimNotFound $Side $Bound.ThrottlingPolicy; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound.ThrottlingPolicy; return }
            if (-not $Caller.ShouldProcess([string]$r.Name, 'Set-ThrottlingPolicyAssociation')) { return }
            $r.ThrottlingPolicy = $p.Id
            Set-SimObject (Get-SimRecipientTable $Side) $r.Id $r
        }
    }
}

function Invoke-CutoverSim {
    # The one entry point of every simulated command. Errors of the simulation itself (not of the
    # service) are terminating, so a rehearsal never passes over a gap in the simulation.
    [CmdletBinding()]
    param([string]$Command, $Bound, $Caller, [string]$Side)
    # Loaded once per runspace: no call on every command after that.
    if ($null -eq $script:S) { Initialize-Sim }
    $b = @{}
    foreach ($k in $Bound.Keys) { $b[$k] = $Bound[$k] }
    $h = $script:SimCommands[$Command]
    $script:SimDepth++
    try {
        if ($null -ne $h) { & $h $Command $b $Caller $Side }
        elseif ($Command -like '*-Mg*') { Invoke-SimGraph -Command $Command -Bound $b -Caller $Caller }
        else { Invoke-SimExchange -Command $Command -Bound $b -Caller $Caller -Side $Side }
    } finally { Complete-SimCommand }
}

# Extensions (CutoverSim.*.ps1 beside this module, e.g. the migration engines): each registers its
# commands in $script:SimCommands (name -> { param($Command, $Bound, $Caller, $Side) }), which
# Invoke-CutoverSim consults first, and uses the helpers above for state, errors and faults.
$script:SimCommands = @{}
# Listed through .NET, not Get-ChildItem | Sort-Object: those cost 40-50 ms in every fresh runspace
# (every step of a rehearsal), measured in a warm host.
$simParts = [System.IO.Directory]::GetFiles($PSScriptRoot, 'CutoverSim.*.ps1')
[Array]::Sort($simParts, [System.StringComparer]::OrdinalIgnoreCase)
foreach ($f in $simParts) {
    if ([System.IO.Path]::GetFileName($f) -notlike '*.Commands.ps1') { . $f }
}

Export-ModuleMember -Function Invoke-CutoverSim, Start-Sleep
