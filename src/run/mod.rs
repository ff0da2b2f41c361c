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
pub mod shell;
pub mod verify;
pub mod waves;
#[cfg(windows)]
mod windows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use import::{import_results, import_results_masked, ImportOutcome};
use journal::{Invocation, Outcome, Records, RunDir, RunMeta, RunState, StepMeta};
pub use progress::ProgressMode;
use protocol::{is_dynamic_op, Status};
pub use resume::Mode;
use resume::{is_done, plan_step, StepPlan};
use verify::{Bundle, BundleStep};

use crate::error::{Error, Exit, Result};
use crate::plan::StepKind;

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
    /// How long each step may wait for objects the services are still provisioning
    /// (`--wait`; passed to the steps as `CUTOVER_WAIT_SECONDS`).
    pub wait: Duration,
    pub progress: ProgressMode,
    /// Extra environment for the step processes (the demo names its fake scenario here).
    pub env: Vec<(String, String)>,
    /// Go on after a gate step with failed operations (warning only).
    pub continue_past_gates: bool,
    /// Which steps a run without `steps` selects.
    pub phase: Phase,
    /// A rehearsal against the simulated tenant (`cutover rehearse`), else `None`.
    pub rehearsal: Option<Rehearsal>,
    /// Refuse the bundle unless its digest (sha256 of manifest.json) is this one.
    pub expect_digest: Option<String>,
    /// Only this migration wave's operations in the steps whose data has a `Wave` column.
    pub wave: Option<u32>,
}

/// How a rehearsal changes a run: its own runs folder, source-server steps run here too (in a
/// session with the simulated Exchange cmdlets, as the Exchange Management Shell has them), and
/// optionally every step started from a session (`& ./steps/NN.ps1`) instead of `pwsh -File`.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    pub meta: journal::RehearsalMeta,
    /// `launch.ps1 -Script STEP -Shell none|exchange ...`: starts a step from a session.
    pub launcher: PathBuf,
    /// Jump-box steps through the launcher too (source-server steps always are).
    pub session: bool,
    /// Put before every step's pwsh command line: the hosted client (`cutover step-client`,
    /// `rehearse::host`), which runs it in the rehearsal's long-lived pwsh.
    pub client: Option<Vec<std::ffi::OsString>>,
    /// The pwsh the hosted client reaches, as it reported itself when it started: a second
    /// pwsh start just to probe its version cost a kill/resume rehearsal about a second per
    /// resume (`rehearse::host`).
    pub probed: Option<pwsh::Pwsh>,
}

/// Where a rehearsal's runs live (`BUNDLE/rehearsals/<id>`).
pub const REHEARSALS_DIR: &str = "rehearsals";

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

/// The default `--wait`: mailboxes usually appear within minutes of licensing (Microsoft: up
/// to 24 hours); 30 minutes covers a healthy tenant's first run without stalling a sick one.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30 * 60);
/// Runner to step: the wait budget in seconds, the file of targets earlier steps of this run
/// failed to create (or would create, under what-if), and the file steps append wait summaries to.
pub const ENV_WAIT_SECONDS: &str = "CUTOVER_WAIT_SECONDS";
pub const ENV_PENDING: &str = "CUTOVER_PENDING";
pub const ENV_WAITS: &str = "CUTOVER_WAITS";
const WAITS_FILE: &str = "waits.jsonl";

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
            wait: DEFAULT_WAIT,
            progress: ProgressMode::Auto,
            env: Vec::new(),
            continue_past_gates: false,
            phase: Phase::Migrate,
            rehearsal: None,
            expect_digest: None,
            wave: None,
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
    /// What to do next when the run stopped early (a gate, Ctrl-C): printed by the caller with
    /// the step summaries it refers to, on the same stream.
    pub next: Option<String>,
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
    // Steps whose operations `--wave` narrowed, as the run sees them: the bundle's own stay
    // whole for the integrity checks.
    let narrowed = match opts.wave {
        Some(n) => waves::restrict(&bundle, n)?,
        None => std::collections::HashMap::new(),
    };
    if let Some(digest) = &opts.expect_digest {
        verify::check_digest(&bundle, digest)?;
    }
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
    let pwsh = match opts.rehearsal.as_ref().and_then(|r| r.probed.clone()) {
        Some(p) => p,
        None => pwsh::probe(&pwsh::discover(opts.pwsh.as_deref())?)?,
    };

    let _lock = lock::RunLock::acquire(&bundle.root)?;
    let (run, mut meta) = open_run(&bundle, opts, &pwsh, &redactor)?;
    if let Some(n) = opts.wave {
        meta.waves.push(n);
        run.write_meta(&meta)?;
    }
    install_interrupt_handler();
    INTERRUPTED.store(false, Ordering::SeqCst);
    // --quiet hides progress and these lines alike.
    let chatty = !matches!(opts.progress, ProgressMode::Hidden);
    if chatty {
        eprintln!(
            "cutover: run {} with PowerShell {} ({}){}{}; bundle digest {}",
            run.path.display(),
            pwsh.version,
            pwsh.path.display(),
            if opts.what_if { ", what-if" } else { "" },
            opts.wave
                .map(|n| format!(", migration wave {n}"))
                .unwrap_or_default(),
            bundle.digest
        );
    }

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
    let mut next = None;
    for step in &selected {
        if !named && opts.phase == Phase::Migrate && post_cutover(step) {
            if chatty {
                eprintln!("{}: skipped ({POST_CUTOVER_SKIP})", step.id());
            }
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
        // The preflight steps (Graph, Exchange Online) all run before the stop, so one run
        // names everything the jump box lacks.
        let preflight = [StepKind::PreflightExchange, StepKind::Preflight]
            .iter()
            .any(|k| k.id() == step.id());
        if let Some(gate) = held_by.as_ref().filter(|_| !preflight) {
            outcomes.push(StepOutcome {
                id: step.id().to_string(),
                status: StepStatus::HeldByGate(gate.clone()),
            });
            continue;
        }
        if !step.runs_here() && opts.rehearsal.is_none() {
            let mut text = source_server_instructions(&bundle, step, opts.what_if);
            // A wave run names this wave's operations for the step run by hand too (a
            // MigrationWiz step, on this jump box: the file is where the command says).
            if let Some(work) = narrowed.get(step.id()) {
                let p = run.path.join(format!("only-ops-{}.txt", step.id()));
                let mut list = work.planned.join("\n");
                list.push('\n');
                std::fs::write(&p, list).map_err(|e| Error::io(&p, e))?;
                text = text.replacen(
                    " -ResultsPath ",
                    &format!(" -OnlyOpsPath {} -ResultsPath ", shell::shell_path(&p)),
                    1,
                );
            }
            // The full instructions go with the step summaries (the caller prints them).
            if chatty {
                let place = if step.step.runs_on == crate::bundle::manifest::RUNS_ON_SOURCE {
                    "on the source server"
                } else {
                    "in Windows PowerShell 5.1"
                };
                eprintln!("{}: runs {place}, not here", step.id());
            }
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
        let in_wave = narrowed.contains_key(step.id());
        let work = waves::view(&narrowed, step);
        let plan = match plan_step(
            work,
            &records.last_status(),
            &meta.invocations,
            opts.mode,
            opts.what_if,
        ) {
            // The whole step is every wave: name this wave's operations instead.
            _ if in_wave && work.planned.is_empty() => StepPlan::Skip(waves::NOT_IN_WAVE),
            StepPlan::Whole if in_wave => StepPlan::Only(work.planned.clone()),
            plan => plan,
        };
        let status = match plan {
            StepPlan::Skip(why) => {
                if chatty {
                    eprintln!("{}: skipped ({why})", step.id());
                }
                StepStatus::Skipped(why)
            }
            StepPlan::Whole | StepPlan::Only(_) => {
                if let Err(e) = verify::recheck_step(&bundle, step) {
                    stop_run(&run, &mut meta)?;
                    return Err(e);
                }
                let ran = run_one(
                    &run,
                    &mut meta,
                    work,
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
            if !step_done(work, &last, &meta.invocations, opts.what_if) && held_by.is_none() {
                if let Some((gate, text)) = gate_check(step, opts) {
                    held_by = Some(gate);
                    next = Some(text);
                }
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
            // A rehearsal runs the source-server steps too: they count.
            .filter(|s| s.runs_here() || opts.rehearsal.is_some())
            .filter(|s| named || opts.phase == Phase::PostCutover || !post_cutover(s))
            .filter(|s| named || s.step.phase != crate::bundle::manifest::PHASE_NOTICES)
            .all(|s| {
                step_done(
                    waves::view(&narrowed, s),
                    &last,
                    &meta.invocations,
                    opts.what_if,
                )
            });
    if interrupted {
        next = Some(format!(
            "interrupted; the journal is intact. Continue with:\n    cutover {} {} --resume",
            command_word(opts),
            shell::shell_path(&opts.bundle)
        ));
    }
    Ok(RunOutcome {
        run_dir: run.path.clone(),
        pwsh,
        steps: outcomes,
        interrupted,
        next,
        all_done,
    })
}

/// The command a user types to continue: `run`, or `rehearse` for a rehearsal.
fn command_word(opts: &RunOptions) -> &'static str {
    if opts.rehearsal.is_some() {
        "rehearse"
    } else {
        "run"
    }
}

/// Marks the run interrupted (a refusal mid-run: the journal stays resumable).
fn stop_run(run: &RunDir, meta: &mut RunMeta) -> Result<()> {
    meta.state = RunState::Interrupted;
    meta.finished = Some(journal::now());
    run.write_meta(meta)
}

/// After a gate step with failed or missing operations: the gate's id when the run must stop
/// there, with the message saying how to go on.
fn gate_check(step: &BundleStep, opts: &RunOptions) -> Option<(String, String)> {
    let id = step.id();
    if opts.continue_past_gates {
        eprintln!(
            "cutover: WARNING: gate step {id} has failed or unfinished operations; going on because of --continue-past-gates"
        );
        return None;
    }
    // One recovery command, --resume: --retry-failed redoes the failures but never starts the
    // steps this stop held back.
    let text = format!(
        "stopped after gate step {id}: it has failed or unfinished operations, and the \
         later steps depend on it. Fix the cause (see `cutover report`), then continue with\n    \
         cutover {cmd} {root} --resume\n\
         (redoes {id}'s failed operations and goes on only when they succeed), or go on anyway \
         with\n    \
         cutover {cmd} {root} --resume --continue-past-gates",
        root = shell::shell_path(&opts.bundle),
        cmd = command_word(opts),
    );
    Some((id.to_string(), text))
}

fn open_run(
    bundle: &Bundle,
    opts: &RunOptions,
    pwsh: &pwsh::Pwsh,
    redactor: &redact::Redactor,
) -> Result<(RunDir, RunMeta)> {
    resume::mask_killed_runs(&bundle.root, redactor)?;
    let runs = match opts.rehearsal {
        Some(_) => REHEARSALS_DIR,
        None => journal::RUNS_DIR,
    };
    let existing = match opts.mode {
        Mode::Fresh => None,
        Mode::Resume | Mode::RetryFailed => RunDir::latest_in(&bundle.root, runs)?,
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
        // A runner killed while a step ran never masked that step's records: mask the whole
        // journal before anything (this run, a report) reads it.
        journal::redact_records_from(&run.results(), 0, redactor)?;
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
            shell::shell_path(&bundle.root)
        )));
    }
    if opts.mode == Mode::Resume {
        eprintln!("cutover: no earlier run to resume; starting a new one");
    }
    let run = RunDir::create_in(&bundle.root, runs)?;
    let mut meta = new_meta(&run, bundle, opts.what_if, Some(pwsh.clone()));
    meta.rehearsal = opts.rehearsal.as_ref().map(|r| r.meta.clone());
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
                shell: s.step.shell.clone(),
                ops: s.planned.len() as u64,
            })
            .collect(),
        invocations: Vec::new(),
        rehearsal: None,
        waves: Vec::new(),
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
    let pending_path = run.path.join(format!("pending-{id}.tsv"));
    write_pending(&results, id, &pending_path)?;
    let waits_path = run.path.join(WAITS_FILE);
    let waits_from = std::fs::metadata(&waits_path).map_or(0, |m| m.len());
    let mut env = opts.env.clone();
    env.push((ENV_WAIT_SECONDS.into(), opts.wait.as_secs().to_string()));
    env.push((
        ENV_PENDING.into(),
        pending_path.to_string_lossy().into_owned(),
    ));
    env.push((ENV_WAITS.into(), waits_path.to_string_lossy().into_owned()));
    // A rehearsal starts source-server steps (and, in session mode, every step) through its
    // launcher: `-File launch.ps1 -Script STEP -Shell ...` then the step's own arguments.
    let launcher = opts
        .rehearsal
        .as_ref()
        .filter(|r| r.session || !step.runs_here())
        .map(|r| &r.launcher);
    let mut argv = exec::step_argv(
        &pwsh.path,
        launcher.unwrap_or(&step.script),
        module,
        &results,
        only_ops_path.as_deref(),
        secrets,
        opts.what_if,
    );
    if launcher.is_some() {
        let at = 1 + protocol::STEP_ARGS.len() + 1;
        // The Exchange Management Shell is loaded for source-server steps only.
        let shell = if step.step.runs_on == crate::bundle::manifest::RUNS_ON_SOURCE {
            "exchange"
        } else {
            "none"
        };
        let extra = [
            "-Script".into(),
            step.script.clone().into_os_string(),
            "-Shell".into(),
            shell.into(),
        ];
        argv.splice(at..at, extra);
    }
    if let Some(prefix) = opts.rehearsal.as_ref().and_then(|r| r.client.as_ref()) {
        argv.splice(0..0, prefix.iter().cloned());
    }
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
        changes: step.step.changes,
        env: &env,
    };
    let res = exec::run_step(&cmd, redactor, opts.progress, &INTERRUPTED)?;
    let outcome = res.outcome();
    let mut notes = Vec::new();
    // A step that stopped before its first record: its cause is the error it printed.
    if res.records == 0 && outcome != Outcome::Ok {
        if let Some(line) = first_error_line(&cmd.stderr_log) {
            eprintln!("{id}: stopped before its first record: {line}");
            notes.push(format!("stopped before its first record: {line}"));
        }
    }
    for w in read_waits(&waits_path, waits_from, id) {
        eprintln!("{id}: {w}");
        notes.push(w);
    }
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

/// The targets earlier steps of this run were to create and did not (`failed`), or would create
/// (`whatif`), as `status TAB step TAB op TAB target` lines for the step's CUTOVER_PENDING.
fn write_pending(results: &Path, step: &str, path: &Path) -> Result<()> {
    let records = Records::read(results)?;
    let mut last: BTreeMap<(&str, &str), &protocol::ResultRecord> = BTreeMap::new();
    for r in &records.records {
        last.insert((r.step.as_str(), r.op.as_str()), r);
    }
    let mut text = String::new();
    for r in last.values() {
        let creates = matches!(r.action.as_str(), "ensure" | "assign");
        if r.step == step || !creates || !matches!(r.status, Status::Failed | Status::Whatif) {
            continue;
        }
        let clean = |s: &str| s.replace(['\t', '\r', '\n'], " ");
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            r.status.as_str(),
            clean(&r.step),
            clean(&r.op),
            clean(r.target.trim())
        ));
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

/// The first non-blank line a step wrote to stderr.
fn first_error_line(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(400).collect())
}

/// One wait a step reported (`waits.jsonl`).
#[derive(Debug, serde::Deserialize)]
struct WaitRecord {
    step: String,
    what: String,
    visible: u64,
    total: u64,
    seconds: u64,
}

/// The waits `step` reported after byte `from`, as sentences for the console and journal.
fn read_waits(path: &Path, from: u64, step: &str) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
    String::from_utf8_lossy(&bytes[from..])
        .lines()
        .filter_map(|l| serde_json::from_str::<WaitRecord>(l).ok())
        .filter(|w| w.step == step)
        .map(|w| {
            format!(
                "waited {} for {}: {}/{} there{}",
                human_seconds(w.seconds),
                w.what,
                w.visible,
                w.total,
                if w.visible < w.total {
                    " (the rest fail with the wait named; --retry-failed later, or a longer --wait)"
                } else {
                    ""
                }
            )
        })
        .collect()
}

/// As the steps' Format-CutoverSeconds writes it: `35 s`, `2 min`, `2.5 min`.
fn human_seconds(s: u64) -> String {
    if s < 120 {
        format!("{s} s")
    } else if s % 60 == 0 {
        format!("{} min", s / 60)
    } else {
        format!("{:.1} min", s as f64 / 60.0)
    }
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
    // Without an ops file the list is complete only after a clean end. Discovered operations
    // belong to a planned one that succeeds only when they all did.
    let needs_clean_end = step.step.ops_file.is_none() || (dynamic && step.planned.is_empty());
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
    if step.step.runs_on != crate::bundle::manifest::RUNS_ON_SOURCE {
        return format!(
            "{id}: runs in Windows PowerShell 5.1 (powershell.exe, which BitTitan's module needs), \
             not here. In a Windows PowerShell window on this jump box, from the bundle folder run:\n    \
             & {script} -ResultsPath .\\{results}{whatif}\n\
             then record it:\n    cutover run {bundle} --import-results {id} {results}",
            id = step.id(),
            script = win(&step.step.file),
            bundle = shell::shell_path(&bundle.root),
            whatif = if what_if { " -WhatIf" } else { "" },
        );
    }
    format!(
        "{id}: runs on the source Exchange server, not here. Copy the bundle folder there and, in a \
         PowerShell window on the server (the Exchange Management Shell for Exchange 2007 and later), \
         from the bundle folder run:\n    & {script}{module} -ResultsPath .\\{results}{whatif}\n\
         then copy {results} back and record it:\n    cutover run {bundle} --import-results {id} {results}",
        id = step.id(),
        script = win(&step.step.file),
        bundle = shell::shell_path(&bundle.root),
        whatif = if what_if { " -WhatIf" } else { "" },
    )
}
