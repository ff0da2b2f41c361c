//! Test-only stand-in for `pwsh` (never shipped). It answers the runner's version probe and, for
//! `-File`, appends result records to `$CUTOVER_RESULTS` as a scenario file says, so the runner
//! can be tested without PowerShell.
//!
//! Scenario: JSON at `$FAKE_PWSH_SCENARIO` (absent: PowerShell 7.4.6, every operation succeeds):
//! `{"version": "7.4.6", "default": BEHAVIOUR, "steps": {"<step-id>": BEHAVIOUR}}` where
//! BEHAVIOUR is an object with any of `fail` (op ids that fail), `error` (their error text),
//! `status` (success status, default `created`), `whatif_status` (default `whatif`),
//! `crash_after` (exit after N records), `partial` (then leave half a record),
//! `hang_after` (sleep forever after N records), `nothing` (write no record), `exit_code`,
//! `stdout` / `stderr` (lines to print first), `dynamic` (N records `<step>:dyn:<i>` after the
//! planned ones), `delay_ms` (pause after each record), `orphan_secs` (leave a process behind
//! holding stdout and stderr open).
//!
//! The step's operations come from `ops/<step>.txt` beside the script's `steps/` folder, or
//! from `-OnlyOpsPath`. With `$FAKE_PWSH_ARGS_LOG` set, each invocation appends its argv there as
//! a JSON array, so tests can check the exact command line.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One results record, as the protocol defines it.
#[derive(Serialize)]
struct Record<'a> {
    step: &'a str,
    op: &'a str,
    action: &'a str,
    target: &'a str,
    status: &'a str,
    error: Option<&'a str>,
    at: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    version: Option<String>,
    #[serde(default)]
    default: Behaviour,
    #[serde(default)]
    steps: BTreeMap<String, Behaviour>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Behaviour {
    #[serde(default)]
    fail: Vec<String>,
    error: Option<String>,
    status: Option<String>,
    whatif_status: Option<String>,
    crash_after: Option<usize>,
    #[serde(default)]
    partial: bool,
    hang_after: Option<usize>,
    #[serde(default)]
    nothing: bool,
    exit_code: Option<i32>,
    #[serde(default)]
    stdout: Vec<String>,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    dynamic: usize,
    #[serde(default)]
    delay_ms: u64,
    /// Leave a `sleep N` process behind that keeps stdout and stderr open.
    orphan_secs: Option<u64>,
}

const PROBE: [&str; 5] = [
    "-NoLogo",
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "$PSVersionTable.PSVersion.ToString()",
];

fn die(code: i32, msg: &str) -> ! {
    eprintln!("fake-pwsh: {msg}");
    exit(code)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(log) = std::env::var_os("FAKE_PWSH_ARGS_LOG") {
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(log) {
            let _ = writeln!(f, "{}", serde_json::to_string(&args).unwrap_or_default());
        }
    }
    let scenario = load_scenario();
    if args == PROBE {
        println!("{}", scenario.version.as_deref().unwrap_or("7.4.6"));
        return;
    }
    if args.len() < 5 || args[..4] != ["-NoLogo", "-NoProfile", "-NonInteractive", "-File"] {
        die(64, &format!("unexpected arguments {args:?}"));
    }
    let script = PathBuf::from(&args[4]);
    let mut results = None;
    let mut only_ops = None;
    let mut what_if = false;
    let mut rest = args[5..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "-ModulePath" | "-SecretsPath" => {
                rest.next()
                    .unwrap_or_else(|| die(64, &format!("{a} needs a value")));
            }
            "-ResultsPath" => results = rest.next().cloned(),
            "-OnlyOpsPath" => only_ops = rest.next().cloned(),
            "-WhatIf:$true" => what_if = true,
            other => die(64, &format!("unknown parameter {other:?}")),
        }
    }
    let results = results.unwrap_or_else(|| die(64, "-ResultsPath is required"));
    if std::env::var("CUTOVER_RESULTS").ok().as_deref() != Some(results.as_str()) {
        die(65, "CUTOVER_RESULTS differs from -ResultsPath");
    }
    let step = std::env::var("CUTOVER_STEP").unwrap_or_else(|_| die(65, "CUTOVER_STEP is not set"));
    if std::env::var("CUTOVER_ONLY_OPS").ok() != only_ops {
        die(65, "CUTOVER_ONLY_OPS differs from -OnlyOpsPath");
    }
    let behaviour = scenario
        .steps
        .get(&step)
        .cloned()
        .unwrap_or_else(|| scenario.default.clone());
    for line in &behaviour.stdout {
        println!("{line}");
    }
    for line in &behaviour.stderr {
        eprintln!("{line}");
    }
    let _ = std::io::stdout().flush();
    if let Some(secs) = behaviour.orphan_secs {
        let _ = std::process::Command::new("sleep")
            .arg(secs.to_string())
            .spawn();
    }
    let exit_code = behaviour.exit_code.unwrap_or(0);
    if behaviour.nothing {
        exit(exit_code);
    }
    let ops = match &only_ops {
        Some(p) => read_lines(Path::new(p)),
        None => {
            let bundle = script
                .parent()
                .and_then(Path::parent)
                .unwrap_or_else(|| die(64, "script is not in a steps/ folder"));
            read_lines(&bundle.join("ops").join(format!("{step}.txt")))
        }
    };
    let mut ops = ops;
    ops.extend((1..=behaviour.dynamic).map(|i| format!("{step}:dyn:{i}")));
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&results)
        .unwrap_or_else(|e| die(66, &format!("{results}: {e}")));
    for (i, op) in ops.iter().enumerate() {
        if behaviour.crash_after == Some(i) {
            if behaviour.partial {
                let _ = out
                    .write_all(format!("{{\"step\":\"{step}\",\"op\":\"{op}\",\"act").as_bytes());
            }
            die(
                if exit_code == 0 { 3 } else { exit_code },
                "crashing as the scenario asks",
            );
        }
        if behaviour.hang_after == Some(i) {
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        let failed = behaviour.fail.iter().any(|f| f == op);
        let status = if failed {
            "failed".to_string()
        } else if what_if {
            behaviour
                .whatif_status
                .clone()
                .unwrap_or_else(|| "whatif".into())
        } else {
            behaviour.status.clone().unwrap_or_else(|| "created".into())
        };
        let error = failed.then(|| behaviour.error.as_deref().unwrap_or("Server Busy"));
        let record = Record {
            step: &step,
            op,
            action: "create",
            target: op.rsplit(':').next().unwrap_or(op),
            status: &status,
            error,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        let mut line = serde_json::to_string(&record).unwrap_or_default();
        line.push('\n');
        // One write per record: a kill never splits a record across two writes.
        out.write_all(line.as_bytes())
            .unwrap_or_else(|e| die(66, &format!("{results}: {e}")));
        if behaviour.delay_ms > 0 {
            std::thread::sleep(Duration::from_millis(behaviour.delay_ms));
        }
    }
    if behaviour.hang_after == Some(ops.len()) {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    exit(exit_code);
}

fn load_scenario() -> Scenario {
    match std::env::var_os("FAKE_PWSH_SCENARIO") {
        None => Scenario::default(),
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| die(70, &format!("scenario {}: {e}", Path::new(&p).display())));
            serde_json::from_str(&text).unwrap_or_else(|e| die(70, &format!("scenario: {e}")))
        }
    }
}

fn read_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .map(|t| {
            t.trim_start_matches('\u{feff}')
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
