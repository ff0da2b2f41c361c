//! Execute a bundle through pwsh and journal one result per operation.
//!
//! `run_bundle` verifies the bundle, probes pwsh, then runs the jump-box steps in manifest order,
//! one process per step, into a journal under `BUNDLE/runs/<timestamp>/` (see `journal`).
//! A step whose process did not finish its work (crash, timeout, Ctrl-C) stops the run: later
//! steps usually need its results. A step that finished with failed operations does not: those
//! failures are per operation and `--retry-failed` redoes them. Except a gate step (manifest
//! `gate`: domains verified, users present, mailboxes provisioned): later steps act on what it
//! checks, so any failed or missing operation there stops the run unless
//! `continue_past_gates`. Post-cutover steps (manifest `phase`) run only when asked for by
//! `Phase::PostCutover` or by naming them.
//!
//! Library use (e.g. a demo with the test-only fake pwsh, said loudly to be one):
//!
//! ```no_run
//! use cutover::run::{run_bundle, ProgressMode, RunOptions};
//! let mut opts = RunOptions::new("bundle");
//! opts.pwsh = Some("target/release/fake-pwsh".into());
//! opts.env = vec![("FAKE_PWSH_SCENARIO".into(), "scenario.json".into())];
//! opts.progress = ProgressMode::Plain;
//! let outcome = run_bundle(&opts)?;
//! let html = cutover::report::render(&outcome.run_dir, cutover::report::ReportFormat::Html)?;
//! # Ok::<(), cutover::Error>(())
//! ```

pub mod exec;
pub mod import;
pub mod journal;
mod lock;
pub mod progress;
pub mod protocol;
pub mod pwsh;
pub mod redact;
pub mod resume;
pub mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use import::{import_results, ImportOutcome};
use journal::{Invocation, Outcome, Records, RunDir, RunMeta, RunState, StepMeta};
pub use progress::ProgressMode;
use protocol::{is_dynamic_op, Status};
pub use resume::Mode;
use resume::{is_done, plan_step, StepPlan};
use verify::{Bundle, BundleStep};

use crate::error::{Error, Exit, Result};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub bundle: PathBuf,
    /// Only these step ids (empty: every step).
    pub steps: Vec<String>,
    pub what_if: bool,
    pub pwsh: Option<PathBuf>,
    pub secrets: Option<PathBuf>,
    pub mode: Mode,
    pub timeout: Option<Duration>,
    /// Stop a step that writes no record and no output line for this long (off by default: a
    /// step may legitimately read for a long time before its first record).
    pub idle_timeout: Option<Duration>,
    pub progress: ProgressMode,
    /// Extra environment for the step processes (the demo names its fake scenario here).
    pub env: Vec<(String, String)>,
    /// Go on after a gate step with failed operations (warning only).
    pub continue_past_gates: bool,
    /// Which steps a run without `steps` selects.
    pub phase: Phase,
}

/// The part of the migration a run covers when no step is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Every step except post-cutover ones (reported as skipped).
    #[default]
    Migrate,
    /// Only the post-cutover steps (after the MX change).
    PostCutover,
}

const NOTICES_SKIP: &str =
    "sends the users' notices on their dates: run it on each send date with --step and its id";

const POST_CUTOVER_SKIP: &str =
    "post-cutover step: run it after the MX change with --phase post-cutover";

impl RunOptions {
    pub fn new(bundle: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            bundle: bundle.into(),
            steps: Vec::new(),
            what_if: false,
            pwsh: None,
            secrets: None,
            mode: Mode::Fresh,
            timeout: None,
            idle_timeout: None,
            progress: ProgressMode::Auto,
            env: Vec::new(),
            continue_past_gates: false,
            phase: Phase::Migrate,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepStatus {
    Ran {
        outcome: Outcome,
        exit_code: Option<i32>,
        by_status: BTreeMap<Status, u64>,
        missing: u64,
        duration_s: f64,
        whatif_violations: u64,
    },
    Skipped(&'static str),
    /// Runs on the Exchange server; the text says how.
    SourceServer(String),
    /// Not started because an earlier step did not finish.
    NotReached,
    /// Not started because this gate step (its id) has failed or missing operations.
    HeldByGate(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub id: String,
    pub status: StepStatus,
}

#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub run_dir: PathBuf,
    pub pwsh: pwsh::Pwsh,
    pub steps: Vec<StepOutcome>,
    pub interrupted: bool,
    /// Every step run now ended cleanly, and every selected jump-box step has a success (or, in
    /// a what-if run, `whatif`) as the last record of every operation.
    pub all_done: bool,
}

impl RunOutcome {
    pub fn exit(&self) -> Exit {
        if self.all_done && !self.interrupted {
            Exit::Clean
        } else {
            Exit::Findings
        }
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn install_interrupt_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // A second handler (another library user) is not ours to replace: fall back to the
        // default behaviour, where Ctrl-C ends the runner and the child with it.
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    });
}

/// Runs (or resumes) a bundle. Errors are exit-2 conditions; failures are in the outcome.
pub fn run_bundle(opts: &RunOptions) -> Result<RunOutcome> {
    let bundle = verify::open_verified(&opts.bundle)?;
    for id in &opts.steps {
        if bundle.step(id).is_none() {
            let known: Vec<&str> = bundle.steps.iter().map(|s| s.id()).collect();
            return Err(Error::Usage(format!(
                "--step {id}: no such step in this bundle (steps: {})",
                known.join(", ")
            )));
        }
    }
    let secrets = match &opts.secrets {
        Some(p) => {
            if !p.is_file() {
                return Err(Error::Usage(format!(
                    "--secrets {}: no such file",
                    p.display()
                )));
            }
            Some(std::path::absolute(p).map_err(|e| Error::io(p, e))?)
        }
        None => None,
    };
    let redactor = match &secrets {
        Some(p) => redact::Redactor::from_secrets_file(p)?,
        None => redact::Redactor::patterns_only(),
    };
    let pwsh = pwsh::probe(&pwsh::discover(opts.pwsh.as_deref())?)?;

    let _lock = lock::RunLock::acquire(&bundle.root)?;
    let (run, mut meta) = open_run(&bundle, opts, &pwsh)?;
    install_interrupt_handler();
    INTERRUPTED.store(false, Ordering::SeqCst);
    eprintln!(
        "cutover: run {} with PowerShell {} ({}){}",
        run.path.display(),
        pwsh.version,
        pwsh.path.display(),
        if opts.what_if { ", what-if" } else { "" }
    );

    let named = !opts.steps.is_empty();
    let post_cutover = |s: &BundleStep| s.step.phase == crate::bundle::manifest::PHASE_POST_CUTOVER;
    let selected: Vec<&BundleStep> = bundle
        .steps
        .iter()
        .filter(|s| {
            if named {
                opts.steps.iter().any(|id| id == s.id())
            } else {
                // A migrate run lists post-cutover steps (as skipped, with the reason).
                opts.phase == Phase::Migrate || post_cutover(s)
            }
        })
        .collect();
    let module = bundle.module_path();
    let mut outcomes = Vec::new();
    let mut stopped = false;
    let mut held_by: Option<String> = None;
    for step in &selected {
        if !named && opts.phase == Phase::Migrate && post_cutover(step) {
            eprintln!("{}: skipped ({POST_CUTOVER_SKIP})", step.id());
            outcomes.push(StepOutcome {
                id: step.id().to_string(),
                status: StepStatus::Skipped(POST_CUTOVER_SKIP),
            });
            continue;
        }
        if !named && step.step.phase == crate::bundle::manifest::PHASE_NOTICES {
            eprintln!("{}: skipped ({NOTICES_SKIP})", step.id());
            outcomes.push(StepOutcome {
                id: step.id().to_string(),
                status: StepStatus::Skipped(NOTICES_SKIP),
            });
            continue;
        }
        if let Some(gate) = &held_by {
            outcomes.push(StepOutcome {
                id: step.id().to_string(),
                status: StepStatus::HeldByGate(gate.clone()),
            });
            continue;
        }
        if !step.runs_here() {
            let text = source_server_instructions(&bundle, step, opts.what_if);
            eprintln!("{text}");
            outcomes.push(StepOutcome {
                id: step.id().to_string(),
                status: StepStatus::SourceServer(text),
            });
            continue;
        }
        if stopped || INTERRUPTED.load(Ordering::SeqCst) {
            outcomes.push(StepOutcome {
                id: step.id().to_string(),
                status: StepStatus::NotReached,
            });
            continue;
        }
        let records = Records::read(&run.results())?;
        let plan = plan_step(
            step,
            &records.last_status(),
            &meta.invocations,
            opts.mode,
            opts.what_if,
        );
        let status = match plan {
            StepPlan::Skip(why) => {
                eprintln!("{}: skipped ({why})", step.id());
                StepStatus::Skipped(why)
            }
            StepPlan::Whole | StepPlan::Only(_) => {
                let ran = run_one(
                    &run,
                    &mut meta,
                    step,
                    &plan,
                    &pwsh,
                    module.as_deref(),
                    secrets.as_deref(),
                    &redactor,
                    opts,
                )?;
                if let StepStatus::Ran { outcome, .. } = &ran {
                    stopped = !matches!(outcome, Outcome::Ok | Outcome::ExitNonZero);
                }
                ran
            }
        };
        outcomes.push(StepOutcome {
            id: step.id().to_string(),
            status,
        });
        if step.step.gate && !stopped && !INTERRUPTED.load(Ordering::SeqCst) {
            let last = Records::read(&run.results())?.last_status();
            if !step_done(step, &last, &meta.invocations, opts.what_if) {
                held_by = gate_check(step, opts);
            }
        }
    }

    let interrupted = INTERRUPTED.load(Ordering::SeqCst);
    meta.state = if interrupted {
        RunState::Interrupted
    } else {
        RunState::Finished
    };
    meta.finished = Some(journal::now());
    run.write_meta(&meta)?;
    let last = Records::read(&run.results())?.last_status();
    let ran_cleanly = outcomes.iter().all(|o| match &o.status {
        StepStatus::Ran {
            outcome,
            whatif_violations,
            ..
        } => *outcome == Outcome::Ok && *whatif_violations == 0,
        StepStatus::NotReached | StepStatus::HeldByGate(_) => false,
        StepStatus::Skipped(_) | StepStatus::SourceServer(_) => true,
    });
    let all_done = ran_cleanly
        && selected
            .iter()
            .filter(|s| s.runs_here())
            .filter(|s| named || opts.phase == Phase::PostCutover || !post_cutover(s))
            .filter(|s| named || s.step.phase != crate::bundle::manifest::PHASE_NOTICES)
            .all(|s| step_done(s, &last, &meta.invocations, opts.what_if));
    if interrupted {
        eprintln!(
            "cutover: interrupted; the journal is intact. Continue with: cutover run {} --resume",
            opts.bundle.display()
        );
    }
    Ok(RunOutcome {
        run_dir: run.path.clone(),
        pwsh,
        steps: outcomes,
        interrupted,
        all_done,
    })
}

/// After a gate step with failed or missing operations: the gate's id when the run must stop
/// there, with the message saying how to go on.
fn gate_check(step: &BundleStep, opts: &RunOptions) -> Option<String> {
    let id = step.id();
    if opts.continue_past_gates {
        eprintln!(
            "cutover: WARNING: gate step {id} has failed or unfinished operations; going on because of --continue-past-gates"
        );
        return None;
    }
    // --resume, not --retry-failed alone: retry-failed redoes the failures but never starts
    // the steps this stop held back.
    eprintln!(
        "cutover: stopped after gate step {id}: it has failed or unfinished operations, and the \
         later steps depend on it. Fix the cause (see `cutover report`), then continue with\n    \
         cutover run {root} --resume\n\
         (redoes {id}'s failed operations and goes on only when they succeed; --retry-failed redoes \
         the failures only), or go on anyway with\n    \
         cutover run {root} --resume --continue-past-gates",
        root = opts.bundle.display(),
    );
    Some(id.to_string())
}

fn open_run(bundle: &Bundle, opts: &RunOptions, pwsh: &pwsh::Pwsh) -> Result<(RunDir, RunMeta)> {
    let existing = match opts.mode {
        Mode::Fresh => None,
        Mode::Resume | Mode::RetryFailed => RunDir::latest(&bundle.root)?,
    };
    if let Some(run) = existing {
        let mut meta = run.read_meta()?;
        if meta.what_if != opts.what_if {
            return Err(Error::Usage(format!(
                "the latest run ({}) was {}a what-if run; resume it {} --what-if, or start a new run",
                run.id(),
                if meta.what_if { "" } else { "not " },
                if meta.what_if { "with" } else { "without" }
            )));
        }
        resume::close_stale(&mut meta.invocations);
        meta.state = RunState::Running;
        meta.finished = None;
        meta.pwsh = Some(pwsh.clone());
        run.write_meta(&meta)?;
        return Ok((run, meta));
    }
    if opts.mode == Mode::RetryFailed {
        return Err(Error::Usage(format!(
            "{}: no run to retry; start one with `cutover run {}`",
            bundle.root.display(),
            bundle.root.display()
        )));
    }
    if opts.mode == Mode::Resume {
        eprintln!("cutover: no earlier run to resume; starting a new one");
    }
    let run = RunDir::create(&bundle.root)?;
    let meta = new_meta(&run, bundle, opts.what_if, Some(pwsh.clone()));
    run.write_meta(&meta)?;
    Ok((run, meta))
}

pub(crate) fn new_meta(
    run: &RunDir,
    bundle: &Bundle,
    what_if: bool,
    pwsh: Option<pwsh::Pwsh>,
) -> RunMeta {
    RunMeta {
        version: journal::RUN_FORMAT,
        id: run.id(),
        generator: format!("cutover {}", env!("CARGO_PKG_VERSION")),
        started: journal::now(),
        finished: None,
        state: RunState::Running,
        what_if,
        pwsh,
        steps: bundle
            .steps
            .iter()
            .map(|s| StepMeta {
                id: s.id().to_string(),
                title: s.step.title.clone(),
                runs_on: s.step.runs_on.clone(),
                ops: s.planned.len() as u64,
            })
            .collect(),
        invocations: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    run: &RunDir,
    meta: &mut RunMeta,
    step: &BundleStep,
    plan: &StepPlan,
    pwsh: &pwsh::Pwsh,
    module: Option<&Path>,
    secrets: Option<&Path>,
    redactor: &redact::Redactor,
    opts: &RunOptions,
) -> Result<StepStatus> {
    let id = step.id();
    let attempt = meta.invocations.iter().filter(|i| i.step == id).count() as u32 + 1;
    let only_ops_path = match plan {
        StepPlan::Only(ops) => {
            let p = run.path.join(format!("only-ops-{id}.txt"));
            let mut text = ops.join("\n");
            text.push('\n');
            std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
            Some(p)
        }
        _ => None,
    };
    let (requested, requested_known) = match plan {
        StepPlan::Only(ops) => (ops.clone(), true),
        _ => (step.planned.clone(), step.step.ops_file.is_some()),
    };
    let results = run.results();
    let argv = exec::step_argv(
        &pwsh.path,
        &step.script,
        module,
        &results,
        only_ops_path.as_deref(),
        secrets,
        opts.what_if,
    );
    let log_name = |stream: &str| format!("{id}.{attempt}.{stream}.log");
    let stdout_log = run.logs().join(log_name("stdout"));
    let stderr_log = run.logs().join(log_name("stderr"));
    meta.invocations.push(Invocation {
        step: id.to_string(),
        attempt,
        command: argv
            .iter()
            .map(|a| redactor.redact(&a.to_string_lossy()))
            .collect(),
        only_ops: only_ops_path
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        ops_requested: requested_known.then_some(requested.len() as u64),
        started: journal::now(),
        finished: None,
        duration_s: None,
        exit_code: None,
        outcome: Outcome::Running,
        records: 0,
        missing: 0,
        stdout_log: Some(format!("{}/{}", journal::LOGS_DIR, log_name("stdout"))),
        stderr_log: Some(format!("{}/{}", journal::LOGS_DIR, log_name("stderr"))),
        source: None,
        note: None,
    });
    run.write_meta(meta)?;
    let cmd = exec::StepCommand {
        step: id,
        argv,
        results: &results,
        only_ops: only_ops_path.as_deref(),
        requested,
        requested_known,
        stdout_log,
        stderr_log,
        timeout: opts.timeout,
        idle_timeout: opts.idle_timeout,
        what_if: opts.what_if,
        env: &opts.env,
    };
    let res = exec::run_step(&cmd, redactor, opts.progress, &INTERRUPTED)?;
    let outcome = res.outcome();
    let mut notes = Vec::new();
    if res.missing > 0 {
        notes.push(format!(
            "no record for {} of the {} operations asked for",
            res.missing,
            cmd.requested.len()
        ));
    }
    if res.bad_lines > 0 {
        notes.push(format!("{} lines were not result records", res.bad_lines));
    }
    if res.stray > 0 {
        notes.push(format!("{} records named another step", res.stray));
    }
    if res.whatif_violations > 0 {
        notes.push(format!(
            "{} operations reported created/updated during --what-if: the script did not honour -WhatIf",
            res.whatif_violations
        ));
        eprintln!(
            "cutover: WARNING: step {id} reported {} real changes during a what-if run",
            res.whatif_violations
        );
    }
    if outcome == Outcome::TimedOut && res.idle {
        notes.push(format!(
            "stopped after {} s without a record or an output line (--idle-timeout)",
            opts.idle_timeout.map_or(0, |t| t.as_secs())
        ));
    } else if outcome == Outcome::TimedOut {
        notes.push(format!(
            "stopped after the --timeout of {} s",
            opts.timeout.map_or(0, |t| t.as_secs())
        ));
    }
    if let Some(inv) = meta.invocations.last_mut() {
        inv.finished = Some(journal::now());
        inv.duration_s = Some(res.duration.as_secs_f64());
        inv.exit_code = res.exit_code;
        inv.outcome = outcome;
        inv.records = res.records;
        inv.missing = res.missing;
        inv.note = (!notes.is_empty()).then(|| notes.join("; "));
    }
    run.write_meta(meta)?;
    Ok(StepStatus::Ran {
        outcome,
        exit_code: res.exit_code,
        by_status: res.by_status,
        missing: res.missing,
        duration_s: res.duration.as_secs_f64(),
        whatif_violations: res.whatif_violations,
    })
}

/// Whether a step needs nothing more: every planned and discovered operation's last record is a
/// success (`whatif` in a what-if run). A step with discovered operations, or without an ops
/// file, is finished only when its last process also ended cleanly: only then is the list complete.
pub fn step_done(
    step: &BundleStep,
    last: &journal::LastStatus,
    invocations: &[Invocation],
    what_if: bool,
) -> bool {
    let id = step.id();
    let planned_done = step
        .planned
        .iter()
        .all(|op| last.get(id, op).is_some_and(|s| is_done(s, what_if)));
    let mut dynamic = false;
    let recorded_done = last.of_step(id).all(|(op, s)| {
        dynamic |= is_dynamic_op(id, op);
        is_done(s, what_if) && !(what_if && matches!(s, Status::Created | Status::Updated))
    });
    let needs_clean_end = dynamic || step.step.ops_file.is_none();
    let last_clean = invocations
        .iter()
        .rev()
        .find(|i| i.step == id)
        .is_some_and(|i| i.outcome.is_clean());
    planned_done && recorded_done && (!needs_clean_end || last_clean)
}

/// How to run a source-server step by hand, and how to bring its results back. In a what-if run
/// the printed command carries `-WhatIf` too: the operator copies it as printed.
pub fn source_server_instructions(bundle: &Bundle, step: &BundleStep, what_if: bool) -> String {
    let win = |p: &str| format!(".\\{}", p.replace('/', "\\"));
    let modules = &bundle.manifest.modules;
    // Exchange 2007's shell may be PowerShell 1.0, which has no modules: its scripts dot-source
    // the plain-script copy, so name that file.
    let wanted = if bundle.manifest.source_version == "2007" {
        "Cutover.ps1"
    } else {
        "Cutover.psm1"
    };
    let module = modules
        .iter()
        .find(|m| m.file.ends_with(wanted))
        .or_else(|| modules.iter().find(|m| m.file.ends_with("Cutover.psm1")))
        .or_else(|| modules.first())
        .map(|m| format!(" -ModulePath {}", win(&m.file)))
        .unwrap_or_default();
    let results = format!("{}.results.jsonl", step.id());
    format!(
        "{id}: runs on the source Exchange server, not here. Copy the bundle folder there and, in a \
         PowerShell window on the server (the Exchange Management Shell for Exchange 2007 and later), \
         from the bundle folder run:\n    & {script}{module} -ResultsPath .\\{results}{whatif}\n\
         then copy {results} back and record it:\n    cutover run {bundle} --import-results {id} {results}",
        id = step.id(),
        script = win(&step.step.file),
        bundle = bundle.root.display(),
        whatif = if what_if { " -WhatIf" } else { "" },
    )
}
