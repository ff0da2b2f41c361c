//! Issue 17 item 1, in the real pwsh: a service error (a non-terminating error from another
//! module's command, as Graph, Exchange Online and the Exchange shell's remote commands write
//! them) is recorded `failed` with the service's text however the step is started: as
//! `cutover run` starts it (`pwsh -File`), from an open session (`& step.ps1`), or dot-sourced
//! (`. step.ps1`, the Exchange Management Shell habit). The stand-ins live in
//! tests/fixtures/pwsh/standin and are found through PSModulePath (auto-loading), as the real
//! modules would be.

mod common;
mod pwsh;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{project, tenant, write_bundle};
use cutover::project::{IdentityMode, SourceVersion};
use serde_json::Value;

const NO_PWSH: &str = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH";
const DEFAULT_LINE: &str = "$PSDefaultParameterValues = @{ '*:ErrorAction' = 'Stop' }";

#[derive(Debug, Clone, Copy)]
enum Start {
    /// `pwsh -File`: how `cutover run` starts a step.
    File,
    /// `& step.ps1` from an open session, as the README tells users on a source server.
    Session,
    /// `. step.ps1`: dot-sourced into the session.
    DotSourced,
}

const ALL: [Start; 3] = [Start::File, Start::Session, Start::DotSourced];

fn standin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pwsh/standin")
}

fn run(start: Start, script: &Path, results: &Path, home: &Path) -> Output {
    let mut c = pwsh::command();
    match start {
        Start::File => {
            c.arg("-File").arg(script).arg("-ResultsPath").arg(results);
        }
        Start::Session => {
            c.arg("-Command")
                .arg("& $env:T_SCRIPT -ResultsPath $env:T_RESULTS");
        }
        Start::DotSourced => {
            c.arg("-Command")
                .arg(". $env:T_SCRIPT -ResultsPath $env:T_RESULTS");
        }
    }
    c.env("T_SCRIPT", script)
        .env("T_RESULTS", results)
        .env("PSModulePath", standin())
        .env("HOME", home)
        // No waiting for what a step believes it created (the stand-ins never show it).
        .env("CUTOVER_WAIT_SECONDS", "0")
        .env_remove("CUTOVER_RESULTS")
        .env_remove("CUTOVER_ONLY_OPS")
        .output()
        .expect("start pwsh")
}

fn records(results: &Path) -> Vec<Value> {
    std::fs::read_to_string(results)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

fn step_file(dir: &Path, m: &cutover::bundle::manifest::Manifest, id: &str) -> PathBuf {
    let s = m
        .steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id}"));
    dir.join(&s.file)
}

/// A copy of `script` beside it without the `$PSDefaultParameterValues` line: how the script
/// behaves in a shell without parameter defaults (PowerShell 2.0), or before this fix.
fn without_defaults(script: &Path) -> PathBuf {
    let text = std::fs::read_to_string(script).unwrap();
    assert!(text.contains(DEFAULT_LINE), "{}", script.display());
    let out = script.with_file_name("without-defaults.ps1");
    std::fs::write(&out, text.replace(DEFAULT_LINE, "")).unwrap();
    out
}

/// Runs `script` started `start` and returns its records, failing the test with the logs
/// when there are none.
fn records_of(start: Start, script: &Path, dir: &Path, n: usize) -> Vec<Value> {
    let results = dir.join(format!("results-{n}-{start:?}.jsonl"));
    let out = run(start, script, &results, dir);
    let recs = records(&results);
    assert!(
        !recs.is_empty(),
        "{start:?}: no record\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    recs
}

fn assert_all_failed_with(recs: &[Value], text: &str, how: &str) {
    for r in recs {
        assert_eq!(r["status"], "failed", "{how}: {r}");
        let e = r["error"].as_str().unwrap_or_default();
        assert!(e.contains(text), "{how}: error {e:?} lacks {text:?}");
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_graph_error_is_recorded_failed_however_the_users_step_is_started() {
    let _ = NO_PWSH;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle [x]");
    let m = write_bundle(
        &project(SourceVersion::Ex2016, IdentityMode::Cloud),
        &tenant(3),
        &bundle,
    );
    let script = step_file(&bundle, &m, "07-users");
    for (n, start) in ALL.into_iter().enumerate() {
        let recs = records_of(start, &script, dir.path(), n);
        assert_eq!(recs.len(), 3, "{start:?}: one record per user");
        assert_all_failed_with(
            &recs,
            "Another object with the same value for property userPrincipalName already exists",
            &format!("{start:?}"),
        );
    }
    // The same script without the default, started from a session: the error is written and the
    // step goes on to record `created`. This is the defect the line fixes (and what makes this
    // test able to fail).
    let old = without_defaults(&script);
    let recs = records_of(Start::Session, &old, dir.path(), 9);
    assert!(
        recs.iter().all(|r| r["status"] == "created"),
        "without the default a session start records the failure as created: {recs:?}"
    );
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn an_exchange_2010_step_fails_truthfully_without_parameter_defaults() {
    // Exchange 2010's shell is PowerShell 2.0: no $PSDefaultParameterValues, and its Exchange
    // commands are functions of an implicit-remoting module. The step must carry -ErrorAction
    // Stop on each call, so it is run here with the default line removed.
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let m = write_bundle(
        &project(SourceVersion::Ex2010, IdentityMode::Cloud),
        &tenant(2),
        &bundle,
    );
    let script = step_file(&bundle, &m, "03-source-impersonation");
    let as_2_0 = without_defaults(&script);
    for (n, start) in ALL.into_iter().enumerate() {
        for s in [&script, &as_2_0] {
            let recs = records_of(start, s, dir.path(), n * 2 + usize::from(s == &as_2_0));
            assert_eq!(recs.len(), 1);
            assert_all_failed_with(
                &recs,
                "insufficient access rights",
                &format!("{start:?} {}", s.display()),
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn an_exchange_2007_step_fails_truthfully_however_it_is_started() {
    // The PowerShell 1.0 script and runtime (Cutover.ps1, trap instead of try/catch).
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let m = write_bundle(
        &project(SourceVersion::Ex2007, IdentityMode::Cloud),
        &tenant(2),
        &bundle,
    );
    let script = step_file(&bundle, &m, "03-source-impersonation");
    for (n, start) in ALL.into_iter().enumerate() {
        let recs = records_of(start, &script, dir.path(), n);
        // One grant per Client Access server (the stand-in has EX1), then the planned operation.
        let grant = recs
            .iter()
            .find(|r| r["op"] == "03-source-impersonation:dyn:cas:ex1")
            .unwrap_or_else(|| panic!("{start:?}: no grant record: {recs:?}"));
        assert_all_failed_with(
            std::slice::from_ref(grant),
            "Insufficient access rights",
            &format!("{start:?}"),
        );
        let planned = recs.last().unwrap();
        assert_eq!(planned["status"], "failed", "{start:?}: {planned}");
    }
}

/// Every command a source-server script calls that plain PowerShell does not have (an Exchange
/// cmdlet or remote function) carries `-ErrorAction Stop`: checked on the real parser's AST.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn every_exchange_call_in_a_source_script_carries_error_action_stop() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for v in [
        SourceVersion::Ex2007,
        SourceVersion::Ex2010,
        SourceVersion::Ex2016,
    ] {
        for identity in [IdentityMode::Cloud, IdentityMode::Synced] {
            let out = dir.path().join(format!("{v}-{identity:?}"));
            let m = write_bundle(&project(v, identity), &tenant(2), &out);
            for s in m.steps.iter().filter(|s| s.runs_on == "source-server") {
                files.push(out.join(&s.file));
            }
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules");
    let check = r#"
$defined = @{}
foreach ($f in @((Join-Path $env:T_RUNTIME 'Cutover.ps1'), (Join-Path $env:T_RUNTIME 'Cutover.psm1'))) {
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($f, [ref]$null, [ref]$null)
    foreach ($fn in $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)) { $defined[$fn.Name] = $true }
}
$calls = 0
foreach ($f in ($env:T_FILES -split "`n")) {
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($f, [ref]$null, [ref]$errors)
    if ($errors.Count -gt 0) { 'PARSE ' + $f + ': ' + $errors[0].Message; continue }
    $local = @{}
    foreach ($fn in $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)) { $local[$fn.Name] = $true }
    foreach ($c in $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        $name = $c.GetCommandName()
        if ($null -eq $name -or $defined.ContainsKey($name) -or $local.ContainsKey($name)) { continue }
        $known = Get-Command -Name $name -ErrorAction SilentlyContinue
        if ($null -ne $known -and ([string]$known.Source) -like 'Microsoft.PowerShell.*') { continue }
        $calls++
        $els = @($c.CommandElements)
        $ok = $false
        for ($i = 1; $i -lt $els.Count - 1; $i++) {
            if ($els[$i] -is [System.Management.Automation.Language.CommandParameterAst] -and $els[$i].ParameterName -eq 'ErrorAction' -and [string]$els[$i + 1].Extent.Text -eq 'Stop') { $ok = $true }
        }
        if (-not $ok) { 'MISSING ' + $f + ':' + $c.Extent.StartLineNumber + ' ' + $c.Extent.Text }
    }
}
'CALLS ' + $calls
"#;
    let joined = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let out = pwsh::command()
        .arg("-Command")
        .arg(check)
        .env("T_FILES", joined)
        .env("T_RUNTIME", runtime)
        .env("PSModulePath", "")
        .output()
        .expect("start pwsh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("MISSING") || l.starts_with("PARSE"))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let calls: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("CALLS "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        calls >= 30,
        "the check saw only {calls} Exchange calls:\n{text}"
    );
}

/// The 3.0+ rule: every script that imports Cutover.psm1 sets the default at its top level, and
/// no step signs in to both Graph and Exchange Online (their modules conflict in one process).
#[test]
fn every_module_step_sets_the_error_default_and_signs_in_to_one_service() {
    let dir = tempfile::tempdir().unwrap();
    for v in SourceVersion::ALL {
        for identity in [IdentityMode::Cloud, IdentityMode::Synced] {
            let out = dir.path().join(format!("{v}-{identity:?}"));
            let m = write_bundle(&project(v, identity), &tenant(2), &out);
            for s in &m.steps {
                let text = std::fs::read_to_string(out.join(&s.file)).unwrap();
                let graph = text.contains("Connect-CutoverGraph");
                let exo = text.contains("Connect-CutoverExchange");
                // Preflight's template holds both; its data rows pick one (checked below).
                if !s.id.contains("-preflight") {
                    assert!(!(graph && exo), "{} signs in to both", s.file);
                }
                if text.contains("Import-Module $ModulePath") {
                    let line = text
                        .lines()
                        .find(|l| l.starts_with("$PSDefaultParameterValues"))
                        .unwrap_or_else(|| panic!("{}: no default", s.file));
                    assert_eq!(line, DEFAULT_LINE, "{}", s.file);
                }
            }
            let pre = |id: &str| {
                m.steps
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| {
                        std::fs::read_to_string(
                            out.join(s.file.replace("steps/", "data/").replace(".ps1", ".csv")),
                        )
                        .unwrap()
                    })
                    .unwrap_or_default()
            };
            let graph = pre("01-preflight");
            let exo = pre("00-preflight-exchange");
            assert!(
                graph.contains("connect,graph") && !graph.contains("exchange"),
                "{graph}"
            );
            assert!(
                exo.contains("connect,exchange") && !exo.contains("Microsoft.Graph"),
                "{exo}"
            );
            assert!(
                graph.contains("Microsoft.Graph.Groups"),
                "state export reads groups: {graph}"
            );
        }
    }
}
