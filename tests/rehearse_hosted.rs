//! `cutover rehearse --hosted` (issue 17: one long-lived pwsh per rehearsal, every step in a fresh
//! runspace of it) against the per-process way, in the real pwsh: the same scoping (a module
//! function's non-terminating error is `failed` under `$ErrorActionPreference = 'Stop'` started
//! as with `-File`, and not caught started from a session), the same output streams, exit codes
//! and first error line, a step stopped or its client killed frees the host for the next step, the
//! samples rehearse to the same records and tenant, and a killed hosted rehearsal takes its host
//! with it and resumes.
#![cfg(unix)]

mod rehearse_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cutover::rehearse::{host::StepHost, write_sim};
use cutover::run::protocol::{ResultRecord, Status, STEP_ARGS};
use rehearse_support::*;

const NO_PWSH: &str = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH";

/// A stand-in service module: its command writes a non-terminating error, as Graph's and
/// Exchange Online's do.
const MODULE: &str = "\u{feff}function New-Thing {\n    [CmdletBinding()]\n    param([string]$Name)\n    Write-Error ('Another object with the same value for property Name already exists: ' + $Name)\n    'made ' + $Name\n}\n";

/// A step in the shape of the generated ones: `$ErrorActionPreference = 'Stop'` at its top
/// level, the service call in `try`.
const STEP: &str = "\u{feff}param([string]$ModulePath, [string]$ResultsPath)\n$ErrorActionPreference = 'Stop'\nImport-Module $ModulePath\ntry {\n    $null = New-Thing -Name 'Sales'\n    Write-Host 'status: created'\n}\ncatch {\n    Write-Host ('status: failed: ' + $_.Exception.Message)\n}\n";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    launcher: PathBuf,
    host: StepHost,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    // A folder name with a space and a quote: arguments travel as argv, never as code.
    let root = dir.path().join("it's here");
    std::fs::create_dir_all(&root).unwrap();
    let launcher = write_sim(&root.join("sim")).unwrap();
    let host = StepHost::start(
        &pwsh::path(),
        &root.join("sim/host.ps1"),
        &root.join("host.log"),
    )
    .unwrap();
    std::fs::write(root.join("Thing.psm1"), MODULE).unwrap();
    std::fs::write(root.join("step.ps1"), STEP).unwrap();
    Fixture {
        _dir: dir,
        root,
        launcher,
        host,
    }
}

/// The pwsh argv the runner builds for a script (program first).
fn pwsh_argv(script: &Path, args: &[&str]) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = vec![pwsh::path().into()];
    v.extend(STEP_ARGS.iter().map(Into::into));
    v.push(script.into());
    v.extend(args.iter().map(Into::into));
    v
}

/// The command for one step: pwsh itself, or the hosted client in front of the same argv.
fn command(f: &Fixture, hosted: bool, argv: &[std::ffi::OsString]) -> Command {
    let mut c = if hosted {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cutover"));
        c.arg("step-client")
            .arg("--socket")
            .arg(f.host.socket())
            .arg("--")
            .args(argv);
        c
    } else {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    };
    c.current_dir(&f.root)
        .env("NO_COLOR", "1")
        .env("HOME", &f.root)
        .stdin(Stdio::null());
    c
}

fn run(f: &Fixture, hosted: bool, argv: &[std::ffi::OsString]) -> Output {
    command(f, hosted, argv).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// File mode (`pwsh -File step.ps1`) and session mode (`-File launch.ps1 -Script step.ps1`).
fn argv_for(f: &Fixture, session: bool) -> Vec<std::ffi::OsString> {
    let module = f.root.join("Thing.psm1");
    let step = f.root.join("step.ps1");
    let (m, s) = (module.to_str().unwrap(), step.to_str().unwrap());
    if session {
        pwsh_argv(
            &f.launcher,
            &[
                "-Script",
                s,
                "-Shell",
                "none",
                "-ModulePath",
                m,
                "-ResultsPath",
                "r.jsonl",
            ],
        )
    } else {
        pwsh_argv(&step, &["-ModulePath", m, "-ResultsPath", "r.jsonl"])
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn hosted_scoping_equals_the_per_process_table() {
    let _ = NO_PWSH;
    let f = fixture();
    for (session, want) in [
        (false, "status: failed: Another object"),
        (true, "status: created"),
    ] {
        let argv = argv_for(&f, session);
        let own = run(&f, false, &argv);
        let hosted = run(&f, true, &argv);
        let (o, h) = (text(&own.stdout), text(&hosted.stdout));
        assert!(o.contains(want), "per-process, session={session}: {o}");
        assert_eq!(h, o, "stdout, session={session}");
        assert_eq!(
            text(&hosted.stderr),
            text(&own.stderr),
            "stderr, session={session}"
        );
        assert_eq!(hosted.status.code(), own.status.code(), "session={session}");
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn hosted_streams_exit_codes_and_first_error_line_equal_per_process() {
    let f = fixture();
    let scripts = [
        // exit N is the step's exit code; the wait line and Write-Host go to stdout.
        ("exit.ps1", "Write-Host 'cutover-wait: users: 1/2, waited 0 s'\n'an object'\nWrite-Warning 'careful'\nexit 7\n"),
        // Stops before its first record: its first stderr line is what the runner shows.
        ("throw.ps1", "param([string]$ResultsPath)\nthrow ('cannot open ' + $ResultsPath)\n"),
        // Errors and direct console writes keep their order on stderr.
        ("mixed.ps1", "Write-Error 'first'\n[Console]::Error.WriteLine('second')\nWrite-Host -NoNewline 'a'\nWrite-Host 'b'\n[Console]::Out.WriteLine('c')\n$x = @{ K = 'v' }\n$x\n"),
        // Arguments bound as -File binds them: named, a switch's value, positional, $args.
        ("args.ps1", "param([string]$A, [switch]$W, [string]$P)\n\"A=$A W=$W P=$P rest=$($args -join '|') eap=$ErrorActionPreference\"\n\"$PSScriptRoot|$(Get-Location)\"\n"),
    ];
    for (name, body) in scripts {
        std::fs::write(f.root.join(name), format!("\u{feff}{body}")).unwrap();
    }
    let cases: [(&str, &[&str]); 4] = [
        ("exit.ps1", &[]),
        ("throw.ps1", &["-ResultsPath", "it's a $path"]),
        ("mixed.ps1", &[]),
        ("args.ps1", &["-A", "x y", "-W:$true", "pos", "more", "-Z"]),
    ];
    for (name, args) in cases {
        let argv = pwsh_argv(&f.root.join(name), args);
        let own = run(&f, false, &argv);
        let hosted = run(&f, true, &argv);
        assert_eq!(text(&hosted.stdout), text(&own.stdout), "{name} stdout");
        assert_eq!(text(&hosted.stderr), text(&own.stderr), "{name} stderr");
        assert_eq!(hosted.status.code(), own.status.code(), "{name} exit code");
    }
    let own = run(&f, false, &pwsh_argv(&f.root.join("exit.ps1"), &[]));
    assert_eq!(own.status.code(), Some(7));
    let own = run(
        &f,
        false,
        &pwsh_argv(&f.root.join("throw.ps1"), &["-ResultsPath", "p"]),
    );
    assert_eq!(own.status.code(), Some(1));
    assert!(text(&own.stderr).trim_start().starts_with("Exception:"));
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_stopped_or_dropped_step_frees_the_host_for_the_next() {
    let f = fixture();
    std::fs::write(
        f.root.join("slow.ps1"),
        "\u{feff}Write-Host 'started'\ntry { Start-Sleep -Seconds 60 } finally { Write-Host 'cleaned up' }\n",
    )
    .unwrap();
    std::fs::write(f.root.join("quick.ps1"), "\u{feff}'quick'\nexit 4\n").unwrap();
    let slow = pwsh_argv(&f.root.join("slow.ps1"), &[]);
    let quick = pwsh_argv(&f.root.join("quick.ps1"), &[]);
    // SIGINT is what the runner sends first (its timeout, or Ctrl-C); SIGKILL after its grace.
    for sig in ["INT", "KILL"] {
        let mut child = command(&f, true, &slow)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        assert_eq!(line.trim(), "started");
        let t = Instant::now();
        signal(child.id(), sig);
        let status = child.wait().unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        assert!(
            t.elapsed() < Duration::from_secs(8),
            "{sig}: {:?}",
            t.elapsed()
        );
        if sig == "INT" {
            // The host stopped the runspace: its finally ran, as pwsh's does on Ctrl-C.
            assert!(rest.contains("cleaned up"), "{rest}");
            assert_eq!(status.code(), Some(1));
        }
        let t = Instant::now();
        let next = run(&f, true, &quick);
        assert_eq!(text(&next.stdout), "quick\n", "after {sig}");
        assert_eq!(next.status.code(), Some(4));
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "after {sig}: {:?}",
            t.elapsed()
        );
    }
}

fn key(r: &ResultRecord) -> (String, String, Status, Option<String>) {
    (r.step.clone(), r.op.clone(), r.status, r.error.clone())
}

fn state_of(out: &cutover::rehearse::RehearseOutcome) -> serde_json::Value {
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out.state).unwrap()).unwrap();
    s["t"].clone()
}

/// The same bundle rehearsed per-process and hosted (each from a fresh tenant): the same records
/// in the same order, the same final tenant, the same comparison.
fn equal_both_ways(version: &str, identity: &str, session: bool) {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    let mut outs = Vec::new();
    for hosted in [false, true] {
        // A bundle each: the export steps' files stay in the bundle (a second rehearsal of the
        // same bundle finds them `unchanged`).
        let sub = dir.path().join(if hosted { "hosted" } else { "own" });
        std::fs::create_dir_all(&sub).unwrap();
        let b = bundle(&sub, &project, version, identity);
        let mut o = options(&b);
        o.session = session;
        o.hosted = hosted;
        let out = rehearse(&o);
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.run.run_dir.join("run.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            meta["rehearsal"]["hosted"].as_bool().unwrap_or(false),
            hosted,
            "{}",
            meta["rehearsal"]
        );
        assert_eq!(
            meta["rehearsal"]["started"],
            if session { "session" } else { "file" }
        );
        let command = meta["invocations"][0]["command"].to_string();
        assert_eq!(command.contains("step-client"), hosted, "{command}");
        // The report says how the steps ran.
        let report = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("report")
            .arg(&out.run.run_dir)
            .output()
            .unwrap();
        let report = text(&report.stdout);
        assert!(report.contains("REHEARSAL"), "{report}");
        assert_eq!(
            report.contains("Hosted: every step ran in a fresh runspace"),
            hosted,
            "{report}"
        );
        outs.push(out);
    }
    let (own, hosted) = (&outs[0], &outs[1]);
    let recs = |o| records(o).iter().map(key).collect::<Vec<_>>();
    assert!(!recs(own).is_empty());
    assert_eq!(recs(hosted), recs(own), "{}", account(hosted));
    assert_eq!(state_of(hosted), state_of(own));
    assert_eq!(
        serde_json::to_value(&hosted.comparison).unwrap(),
        serde_json::to_value(&own.comparison).unwrap()
    );
    assert_eq!(hosted.clean(), own.clean());
    // Each step's outcome, exit code and counts (its duration differs, and is left out).
    let outcome = |o: &cutover::rehearse::RehearseOutcome| {
        o.run
            .steps
            .iter()
            .map(|s| match &s.status {
                cutover::run::StepStatus::Ran {
                    outcome,
                    exit_code,
                    by_status,
                    missing,
                    ..
                } => format!("{} {outcome:?} {exit_code:?} {by_status:?} {missing}", s.id),
                other => format!("{} {other:?}", s.id),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(outcome(hosted), outcome(own));
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn samples_2016_in_file_mode_rehearse_the_same_hosted() {
    equal_both_ways("2016", "cloud", false);
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn samples_2007_in_session_mode_rehearse_the_same_hosted() {
    equal_both_ways("2007", "synced", true);
}

/// The host pwsh processes of a rehearsal: their command line names the bundle's host script.
fn hosts_of(bundle: &Path) -> usize {
    let script = bundle.join("rehearsals/sim/host.ps1");
    let script = script.to_string_lossy();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(&*script))
        .count()
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_killed_hosted_rehearsal_takes_its_host_along_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    let b = bundle(dir.path(), &project, "2016", "cloud");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("rehearse")
        .arg(&b.bundle)
        .arg("--pwsh")
        .arg(pwsh::path())
        .arg("--secrets")
        .arg(&b.secrets)
        .arg("--hosted")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the users step has begun writing (some work done, some not).
    let started = Instant::now();
    let killed_after = loop {
        let n = std::fs::read_dir(b.bundle.join("rehearsals"))
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("results.jsonl")).ok())
            .map(|t| {
                t.lines()
                    .filter(|l| l.contains("\"users\"") || l.contains("07-users"))
                    .count()
            })
            .sum::<usize>();
        if n > 0 {
            break n;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the rehearsal ended before it was killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "no users record"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(hosts_of(&b.bundle), 1, "one host while it runs");
    signal(child.id(), "KILL");
    child.wait().unwrap();
    let t = Instant::now();
    while hosts_of(&b.bundle) > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the host outlived its rehearsal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut o = options(&b);
    o.hosted = true;
    o.mode = cutover::run::Mode::Resume;
    let out = rehearse(&o);
    assert!(
        out.clean(),
        "killed after {killed_after} users records\n{}",
        account(&out)
    );
    // Every operation took effect once: no second `created` for anything.
    let mut created = std::collections::BTreeMap::new();
    for r in records(&out).iter().filter(|r| r.status == Status::Created) {
        *created.entry((r.step.clone(), r.op.clone())).or_insert(0) += 1;
    }
    assert!(created.values().all(|n| *n == 1), "{created:?}");
    assert_eq!(
        hosts_of(&b.bundle),
        0,
        "the resumed rehearsal's host ended with it"
    );
}
