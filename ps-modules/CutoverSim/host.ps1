# host.ps1: one long-lived pwsh for a rehearsal (`cutover rehearse --hosted`). It runs each step in
# a FRESH RUNSPACE, started as `pwsh -NoLogo -NoProfile -NonInteractive -File SCRIPT ARGS...`
# would start it: the script's top level in the runspace's global scope (dot-sourced), its
# arguments bound as -File binds them, `exit N` its exit code, an uncaught error printed to stderr
# and exit code 1. Script modules live in a runspace, so every step imports and connects anew, as
# a new process would; what the process keeps is the parsed and compiled code, which is the saving.
# The runner still starts one process per step: `cutover step-client`, which sends the pwsh argv,
# cwd and environment here over a Unix domain socket and relays the step's output and exit code.
# Protocol (client to host): 8 hex digits (the length), then that many bytes of UTF-8 JSON
# {"argv": [...], "cwd": "...", "env": {...}}; later the byte 's' asks to stop the step. A closed
# connection stops it too. Host to client: lines "1 TEXT" (stdout), "2 TEXT" (stderr), "x CODE".
param(
    [Parameter(Mandatory = $true)][string]$Socket
)
$ErrorActionPreference = 'Stop'
# How long a step asked to stop may take before the host gives up on it (and on itself).
$StopGraceSeconds = 10

$HostTypes = @'
using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Management.Automation;
namespace CutoverHost {
    // A line a step wrote to [Console]::Out or [Console]::Error directly.
    public sealed class ConsoleLine {
        public string Tag;
        public string Text;
    }
    // [Console]::Out / Error during a step: each line joins the step's records, so it keeps its
    // place among them (an error record, then the launcher's "The step stopped" line).
    public sealed class ConsoleRelay : TextWriter {
        private readonly PSDataCollection<PSObject> sink;
        private readonly string tag;
        private readonly StringBuilder line = new StringBuilder();
        public ConsoleRelay(PSDataCollection<PSObject> sink, string tag) { this.sink = sink; this.tag = tag; }
        public override Encoding Encoding { get { return Encoding.UTF8; } }
        public override void Write(char value) { lock (line) { Put(value); } }
        public override void Write(string value) {
            if (value == null) { return; }
            lock (line) { foreach (char c in value) { Put(c); } }
        }
        public override void Flush() { }
        public void End() { lock (line) { if (line.Length > 0) { Send(); } } }
        private void Put(char c) { if (c == '\n') { Send(); } else if (c != '\r') { line.Append(c); } }
        private void Send() {
            ConsoleLine l = new ConsoleLine();
            l.Tag = tag;
            l.Text = line.ToString() + "\n";
            line.Clear();
            try { sink.Add(new PSObject(l)); } catch (Exception) { }
        }
    }
    // One output stream of a step as protocol lines on the client's socket ("1 text" / "2 text").
    public sealed class FrameWriter : TextWriter {
        private readonly Socket socket;
        private readonly string tag;
        private readonly object gate;
        private readonly StringBuilder line = new StringBuilder();
        public bool Broken;
        public FrameWriter(Socket socket, string tag, object gate) { this.socket = socket; this.tag = tag; this.gate = gate; }
        public override Encoding Encoding { get { return Encoding.UTF8; } }
        public override void Write(char value) {
            lock (gate) {
                if (value == '\n') { Send(); } else if (value != '\r') { line.Append(value); }
            }
        }
        public override void Write(string value) {
            if (value == null) { return; }
            lock (gate) { foreach (char c in value) { if (c == '\n') { Send(); } else if (c != '\r') { line.Append(c); } } }
        }
        public override void Flush() { }
        // What is left without a line end (Write-Host -NoNewline last).
        public void End() { lock (gate) { if (line.Length > 0) { Send(); } } }
        private void Send() {
            string text = tag + " " + line.ToString() + "\n";
            line.Clear();
            if (Broken) { return; }
            try { socket.Send(Encoding.UTF8.GetBytes(text)); } catch (Exception) { Broken = true; }
        }
    }
}
'@
# Compiling these types costs about a second of CPU (Roslyn) in every host, and a rehearsal killed
# and resumed 20 times starts 20 hosts. The assembly is kept beside this script, named by the
# source's hash, so a bundle's rehearsals compile it once; it is written under another name and
# renamed, so a host killed while compiling leaves no half-written assembly under the real name.
$HostTypesHash = [System.BitConverter]::ToString([System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($HostTypes))).Replace('-', '').Substring(0, 16)
$HostTypesDll = Join-Path $PSScriptRoot ('CutoverHost-' + $HostTypesHash + '.dll')
if (-not [System.IO.File]::Exists($HostTypesDll)) {
    $tmp = Join-Path $PSScriptRoot ('CutoverHost-' + $HostTypesHash + '.' + $PID + '.dll')
    Add-Type -TypeDefinition $HostTypes -OutputAssembly $tmp
    [System.IO.File]::Move($tmp, $HostTypesDll, $true)
}
# Loaded directly: Add-Type -LiteralPath costs about 0.4 s more in a fresh pwsh (measured), once
# per host start, and a rehearsal killed 20 times starts 21 hosts.
$null = [System.Reflection.Assembly]::LoadFrom($HostTypesDll)

function Receive-Exactly([System.Net.Sockets.Socket]$Conn, [int]$Count) {
    $buf = [byte[]]::new($Count)
    $got = 0
    while ($got -lt $Count) {
        $n = $Conn.Receive($buf, $got, $Count - $got, [System.Net.Sockets.SocketFlags]::None)
        if ($n -le 0) { throw 'the client closed the connection before its request was complete' }
        $got += $n
    }
    $buf
}

# The environment a step sees: the client's (the runner's, with the step's variables), plus what
# this pwsh's launcher added at start-up and the client does not set (a pwsh wrapper's own).
$StartEnv = @{}
foreach ($e in [Environment]::GetEnvironmentVariables().GetEnumerator()) { $StartEnv[[string]$e.Key] = [string]$e.Value }
function Set-StepEnvironment($Env) {
    $want = @{}
    foreach ($p in $Env.PSObject.Properties) { $want[$p.Name] = [string]$p.Value }
    foreach ($k in @([Environment]::GetEnvironmentVariables().Keys)) {
        if (-not $want.ContainsKey([string]$k) -and -not $StartEnv.ContainsKey([string]$k)) {
            [Environment]::SetEnvironmentVariable([string]$k, $null)
        }
    }
    foreach ($k in $StartEnv.Keys) {
        if (-not $want.ContainsKey($k)) { [Environment]::SetEnvironmentVariable($k, $StartEnv[$k]) }
    }
    foreach ($k in $want.Keys) { [Environment]::SetEnvironmentVariable($k, $want[$k]) }
}

# pwsh -File's binding of the script's arguments (CommandLineParameterParser): `-Name` then a
# value is a named parameter, `-Name:value` with value true/false ($ optional) a switch's value,
# anything else positional.
function New-StepCommand([string]$Path, [string[]]$Arguments) {
    $cmd = [System.Management.Automation.Runspaces.Command]::new($Path, $false, $false)
    $pending = $null
    foreach ($a in $Arguments) {
        if ($null -ne $pending) {
            $cmd.Parameters.Add([System.Management.Automation.Runspaces.CommandParameter]::new($pending, $a))
            $pending = $null
        }
        elseif ($a.Length -gt 1 -and $a[0] -eq '-') {
            $i = $a.IndexOf(':')
            if ($i -lt 0) {
                $cmd.Parameters.Add([System.Management.Automation.Runspaces.CommandParameter]::new($a))
            }
            elseif ($i -eq $a.Length - 1) { $pending = $a.TrimEnd(':') }
            else {
                $v = $a.Substring($i + 1)
                $b = $false
                $value = if ($v.Length -gt 0 -and [bool]::TryParse($v.Substring($(if ($v[0] -eq '$') { 1 } else { 0 })), [ref]$b)) { $b } else { $v }
                $cmd.Parameters.Add([System.Management.Automation.Runspaces.CommandParameter]::new($a.Substring(0, $i), $value))
            }
        }
        else {
            $cmd.Parameters.Add([System.Management.Automation.Runspaces.CommandParameter]::new([NullString]::Value, $a))
        }
    }
    # Every stream into the one output, in the order it was written (stdout or stderr below).
    $cmd.MergeMyResults([System.Management.Automation.Runspaces.PipelineResultTypes]::All, [System.Management.Automation.Runspaces.PipelineResultTypes]::Output)
    $cmd
}

# What the console would print for each record, as `pwsh -File` prints it: this runs as the last
# element of the step's pipeline IN THE STEP'S RUNSPACE, as pwsh's Out-Default does, so error views
# resolve the step's commands (ConciseView names the module function only if Get-Command finds it)
# and wrap at the same console width. Each record becomes one string: its stream's tag ('1'
# stdout, '2' stderr) then its text.
$Formatter = @'
process {
    $o = $_
    if ($o -is [System.Management.Automation.ErrorRecord]) { '2' + ($o | Out-String).TrimEnd() + "`n" }
    elseif ($o -is [System.Management.Automation.WarningRecord]) { '1WARNING: ' + $o.Message + "`n" }
    elseif ($o -is [System.Management.Automation.VerboseRecord]) { '1VERBOSE: ' + $o.Message + "`n" }
    elseif ($o -is [System.Management.Automation.DebugRecord]) { '1DEBUG: ' + $o.Message + "`n" }
    elseif ($o -is [System.Management.Automation.InformationRecord]) {
        $m = $o.MessageData
        if ($m -is [System.Management.Automation.HostInformationMessage]) {
            '1' + [string]$m.Message + $(if ($m.NoNewLine) { '' } else { "`n" })
        }
        else { '1' + [string]$m + "`n" }
    }
    elseif ($o -is [System.Management.Automation.ProgressRecord]) { }
    elseif ($o -is [string]) { '1' + $o + "`n" }
    elseif ($null -ne $o) { '1' + ($o | Out-String) }
}
'@

# One formatted record (or a line the step wrote to the console directly) to the client.
function Write-StepRecord($Item, $Out, $Err) {
    $o = $Item
    if ($o -is [CutoverHost.ConsoleLine]) { $(if ($o.Tag -eq '2') { $Err } else { $Out }).Write($o.Text) }
    elseif ($o -is [string] -and $o.Length -gt 0) {
        $(if ($o[0] -eq '2') { $Err } else { $Out }).Write($o.Substring(1))
    }
}

# An uncaught error as pwsh -File prints it, formatted in the step's runspace.
function Format-StepError($Runspace, $Record) {
    $f = [powershell]::Create()
    try {
        $f.Runspace = $Runspace
        $null = $f.AddCommand('Out-String').AddParameter('InputObject', $Record)
        ((@($f.Invoke()) -join '').TrimEnd() + "`n")
    }
    finally { $f.Dispose() }
}

$script:StepSessionState = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()

function Invoke-HostedStep([System.Net.Sockets.Socket]$Conn) {
    $len = [Convert]::ToInt32([Text.Encoding]::ASCII.GetString((Receive-Exactly $Conn 8)), 16)
    $req = [Text.Encoding]::UTF8.GetString((Receive-Exactly $Conn $len)) | ConvertFrom-Json
    $gate = [object]::new()
    $out = [CutoverHost.FrameWriter]::new($Conn, '1', $gate)
    $err = [CutoverHost.FrameWriter]::new($Conn, '2', $gate)
    $code = 1
    $rs = $null
    $ps = $null
    $oldOut = [Console]::Out
    $oldErr = [Console]::Error
    try {
        $argv = @($req.argv)
        # -NoLogo -NoProfile -NonInteractive -File SCRIPT ARGS... (protocol::STEP_ARGS)
        $at = [Array]::IndexOf($argv, '-File')
        if ($at -lt 0 -or $at + 1 -ge $argv.Count) { throw 'the step command has no -File SCRIPT' }
        $script = [string]$argv[$at + 1]
        $rest = [string[]]@($argv | Select-Object -Skip ($at + 2))
        Set-StepEnvironment $req.env
        [Environment]::CurrentDirectory = [string]$req.cwd
        # One InitialSessionState for every step's runspace: it is the template each runspace is
        # opened from (as a RunspacePool shares one), not state, so every step still starts in a
        # fresh runspace with nothing loaded.
        $iss = $script:StepSessionState
        # This process's console host: the same console width for error views and tables, as
        # the step's own pwsh would have (output and errors still come back as records).
        $rs = [runspacefactory]::CreateRunspace($Host, $iss)
        $rs.Open()
        $rs.SessionStateProxy.Path.SetLocation([Management.Automation.WildcardPattern]::Escape([string]$req.cwd)) | Out-Null
        $ps = [powershell]::Create()
        $ps.Runspace = $rs
        $ps.Commands.AddCommand((New-StepCommand ([IO.Path]::GetFullPath($script, [string]$req.cwd)) $rest)) | Out-Null
        $null = $ps.AddScript($Formatter, $true)
        $stdin = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $stdin.Complete()
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        # A step writing to the console directly reaches its client too.
        $relayOut = [CutoverHost.ConsoleRelay]::new($output, '1')
        $relayErr = [CutoverHost.ConsoleRelay]::new($output, '2')
        [Console]::SetOut($relayOut)
        [Console]::SetError($relayErr)
        $handle = $ps.BeginInvoke($stdin, $output)
        $stopping = $null
        while (-not $handle.IsCompleted) {
            foreach ($item in $output.ReadAll()) { Write-StepRecord $item $out $err }
            if ($null -eq $stopping -and $Conn.Poll(0, [System.Net.Sockets.SelectMode]::SelectRead)) {
                # The client asked to stop (Ctrl-C) or is gone (killed, timed out).
                $stopping = [Diagnostics.Stopwatch]::StartNew()
                $null = $ps.BeginStop($null, $null)
            }
            elseif ($null -ne $stopping -and $stopping.Elapsed.TotalSeconds -gt $StopGraceSeconds) {
                # A step that does not stop (a blocking .NET call) would hold every later step:
                # this process ends instead, and cutover starts a new host for the next step.
                $oldErr.WriteLine('cutover host: the step did not stop within ' + $StopGraceSeconds + ' s: the host exits')
                [Environment]::Exit(3)
            }
            $null = $handle.AsyncWaitHandle.WaitOne(20)
        }
        $relayOut.End()
        $relayErr.End()
        foreach ($item in $output.ReadAll()) { Write-StepRecord $item $out $err }
        try { $null = $ps.EndInvoke($handle) } catch { }
        $state = $ps.InvocationStateInfo
        if ($state.State -eq 'Completed') {
            $last = $rs.SessionStateProxy.GetVariable('LASTEXITCODE')
            $code = if ($last -is [int]) { $last } else { 0 }
        }
        else {
            $reason = $state.Reason
            if ($null -ne $reason -and $state.State -eq 'Failed') {
                $rec = if ($reason -is [System.Management.Automation.IContainsErrorRecord]) { $reason.ErrorRecord } else { [System.Management.Automation.ErrorRecord]::new($reason, 'HostedStepFailed', 'NotSpecified', $null) }
                $err.Write((Format-StepError $rs $rec))
            }
            $code = 1
        }
    }
    catch {
        $err.Write('cutover host: ' + [string]$_ + "`n")
        $code = 1
    }
    finally {
        [Console]::SetOut($oldOut)
        [Console]::SetError($oldErr)
        if ($null -ne $ps) { $ps.Dispose() }
        if ($null -ne $rs) { $rs.Dispose() }
        $out.End()
        $err.End()
        try { $null = $Conn.Send([Text.Encoding]::UTF8.GetBytes("x $code`n")) } catch { }
    }
}

if (Test-Path -LiteralPath $Socket) { Remove-Item -LiteralPath $Socket -Force }
$listener = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
$listener.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new($Socket))
$listener.Listen(4)
# With its version, which the runner would otherwise start another pwsh to ask for.
[Console]::Out.WriteLine('cutover-host: ready ' + $PSVersionTable.PSVersion.ToString())
[Console]::Out.Flush()
while ($true) {
    $conn = $listener.Accept()
    try { Invoke-HostedStep $conn }
    catch { [Console]::Error.WriteLine('cutover host: ' + [string]$_) }
    finally { $conn.Dispose() }
}
