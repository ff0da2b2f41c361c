//! One pwsh process for one step: argv (never through a shell), redacted logs, the records it
//! appends followed as they arrive, timeout and Ctrl-C.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::journal::{ensure_line_end, Outcome, Tail};
use super::progress::{ProgressMode, StepProgress};
use super::protocol::{self, Status};
use super::redact::Redactor;
use crate::error::{Error, Result};

const POLL: Duration = Duration::from_millis(20);
/// How long a step may take to stop after SIGINT before it is killed.
const GRACE: Duration = Duration::from_secs(3);
/// How long to wait for the log pipes to close after the step process ended.
const PUMP_WAIT: Duration = Duration::from_secs(2);

/// Everything one step invocation needs.
pub struct StepCommand<'a> {
    pub step: &'a str,
    pub argv: Vec<OsString>,
    pub results: &'a Path,
    pub only_ops: Option<&'a Path>,
    /// Operations asked for: a missing record for any of them makes the step incomplete.
    pub requested: Vec<String>,
    /// Whether `requested` is known (false for a whole step without an ops file).
    pub requested_known: bool,
    pub stdout_log: PathBuf,
    pub stderr_log: PathBuf,
    pub timeout: Option<Duration>,
    /// Stop the step when it has written no record and no output line for this long.
    pub idle_timeout: Option<Duration>,
    pub what_if: bool,
    /// Whether the step changes anything: only then is a `created`/`updated` record during
    /// `--what-if` a real change (a read-only export writes local files, not tenant objects).
    pub changes: bool,
    pub env: &'a [(String, String)],
}

/// What a step prints (stdout) to report a wait in progress; shown on the console too.
pub const WAIT_LINE: &str = "cutover-wait: ";

#[derive(Debug, Default)]
pub struct StepResult {
    pub exit_code: Option<i32>,
    pub outcome_hint: Option<Outcome>,
    pub duration: Duration,
    pub by_status: BTreeMap<Status, u64>,
    pub records: u64,
    pub missing: u64,
    /// Records naming another step, lines that are not records.
    pub stray: u64,
    pub bad_lines: u64,
    /// `created`/`updated` records during `--what-if`: the script ignored -WhatIf.
    pub whatif_violations: u64,
    /// Stopped by the idle timeout (outcome `timed-out`).
    pub idle: bool,
}

impl StepResult {
    pub fn outcome(&self) -> Outcome {
        if let Some(o) = self.outcome_hint {
            return o;
        }
        if self.missing > 0 {
            Outcome::Incomplete
        } else if self.exit_code == Some(0) {
            Outcome::Ok
        } else {
            Outcome::ExitNonZero
        }
    }
}

/// The exact argv of a step (program first), in the order `protocol.rs` documents.
pub fn step_argv(
    pwsh: &Path,
    script: &Path,
    module: Option<&Path>,
    results: &Path,
    only_ops: Option<&Path>,
    secrets: Option<&Path>,
    what_if: bool,
) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![pwsh.into()];
    argv.extend(protocol::STEP_ARGS.iter().map(OsString::from));
    argv.push(script.into());
    if let Some(m) = module {
        argv.push("-ModulePath".into());
        argv.push(m.into());
    }
    argv.push("-ResultsPath".into());
    argv.push(results.into());
    if let Some(o) = only_ops {
        argv.push("-OnlyOpsPath".into());
        argv.push(o.into());
    }
    if let Some(s) = secrets {
        argv.push("-SecretsPath".into());
        argv.push(s.into());
    }
    if what_if {
        argv.push(protocol::WHATIF_ARG.into());
    }
    argv
}

pub fn run_step(
    cmd: &StepCommand<'_>,
    redactor: &Redactor,
    progress: ProgressMode,
    interrupt: &AtomicBool,
) -> Result<StepResult> {
    let offset = ensure_line_end(cmd.results)?;
    let mut tail = Tail::open(cmd.results, offset)?;
    let (program, args) = cmd
        .argv
        .split_first()
        .ok_or_else(|| Error::Usage("empty command line".into()))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(protocol::ENV_RESULTS, cmd.results)
        .env(protocol::ENV_STEP, cmd.step)
        // Plain text logs: PowerShell 7.2+ leaves out its ANSI colours (errors included).
        .env("NO_COLOR", "1")
        .env_remove(protocol::ENV_ONLY_OPS);
    if let Some(o) = cmd.only_ops {
        command.env(protocol::ENV_ONLY_OPS, o);
    }
    for (k, v) in cmd.env {
        command.env(k, v);
    }
    die_with_parent(&mut command);
    let started = Instant::now();
    // Milliseconds after `started` of the last record or output line (the log pumps update it).
    let activity = Arc::new(AtomicU64::new(0));
    let mut child = command.spawn().map_err(|e| {
        Error::Environment(format!(
            "cannot start {}: {e}",
            Path::new(program).display()
        ))
    })?;
    #[cfg(windows)]
    let _job = super::windows::tie_or_warn(&child);
    let echo = (progress != ProgressMode::Hidden).then(|| cmd.step.to_string());
    let out_pump = pump(
        child.stdout.take(),
        &cmd.stdout_log,
        redactor.clone(),
        Activity(Arc::clone(&activity), started),
        echo,
    )?;
    let err_pump = pump(
        child.stderr.take(),
        &cmd.stderr_log,
        redactor.clone(),
        Activity(Arc::clone(&activity), started),
        None,
    )?;
    let seen = Activity(Arc::clone(&activity), started);

    let mut result = StepResult::default();
    let mut remaining: HashSet<&str> = cmd.requested.iter().map(String::as_str).collect();
    // Progress counts operations: a planned one at its first record; without a known list,
    // each distinct op. Records of operations discovered at run time do not move it.
    let mut counted: HashSet<String> = HashSet::new();
    let total = cmd.requested_known.then_some(cmd.requested.len() as u64);
    let mut bar = StepProgress::start(progress, cmd.step, total);
    let mut on_record = |r: std::result::Result<protocol::ResultRecord, ()>| match r {
        Ok(rec) if rec.step == cmd.step => {
            seen.touch();
            result.records += 1;
            *result.by_status.entry(rec.status).or_default() += 1;
            if cmd.what_if && cmd.changes && matches!(rec.status, Status::Created | Status::Updated)
            {
                result.whatif_violations += 1;
            }
            let first = if cmd.requested_known {
                remaining.remove(rec.op.as_str())
            } else {
                counted.insert(rec.op.clone())
            };
            if first {
                bar.record(rec.status == Status::Failed);
            }
        }
        Ok(_) => result.stray += 1,
        Err(()) => result.bad_lines += 1,
    };

    let mut hint = None;
    let mut idle_stop = false;
    let status = loop {
        tail.poll(&mut on_record)
            .map_err(|e| Error::io(cmd.results, e))?;
        if let Some(status) = child.try_wait().map_err(|e| Error::io(program, e))? {
            break status;
        }
        if interrupt.load(Ordering::SeqCst) {
            hint = Some(Outcome::Interrupted);
            break stop(&mut child, true, &mut || {
                let _ = tail.poll(&mut on_record);
            })?;
        }
        let idle = cmd.idle_timeout.is_some_and(|t| {
            let last = Duration::from_millis(activity.load(Ordering::Relaxed));
            started.elapsed().saturating_sub(last) >= t
        });
        if idle || cmd.timeout.is_some_and(|t| started.elapsed() >= t) {
            hint = Some(Outcome::TimedOut);
            idle_stop = idle;
            break stop(&mut child, false, &mut || {
                let _ = tail.poll(&mut on_record);
            })?;
        }
        std::thread::sleep(POLL);
    };
    // Log pumps end when the pipes close; a grandchild still holding them is not waited for
    // beyond PUMP_WAIT (its later output is lost, the step is not).
    let pump_deadline = Instant::now() + PUMP_WAIT;
    let _ = join_pump(out_pump, pump_deadline);
    let _ = join_pump(err_pump, pump_deadline);
    tail.poll(&mut on_record)
        .map_err(|e| Error::io(cmd.results, e))?;
    if tail.unterminated() {
        on_record(Err(()));
    }
    drop(tail);
    // The step writes its records itself, error texts and all: once it has ended, mask in them
    // what the logs mask (its records before `offset` were masked when their step ended).
    super::journal::redact_records_from(cmd.results, offset, redactor)?;
    result.outcome_hint = hint;
    result.idle = idle_stop;
    result.duration = started.elapsed();
    result.exit_code = status.code();
    result.missing = if cmd.requested_known {
        remaining.len() as u64
    } else {
        0
    };
    let outcome = result.outcome();
    bar.finish(outcome.as_str());
    Ok(result)
}

/// Asks pwsh to stop the running pipeline first, then kills it after a grace period.
fn stop(child: &mut Child, by_user: bool, between: &mut dyn FnMut()) -> Result<ExitStatus> {
    if ask_to_stop(child, by_user) {
        let until = Instant::now() + GRACE;
        while Instant::now() < until {
            between();
            if let Some(s) = child.try_wait().map_err(|e| Error::io("pwsh", e))? {
                return Ok(s);
            }
            std::thread::sleep(POLL);
        }
    }
    let _ = child.kill();
    child.wait().map_err(|e| Error::io("pwsh", e))
}

/// True when the step was asked to stop by itself and deserves the grace period.
fn ask_to_stop(child: &Child, by_user: bool) -> bool {
    #[cfg(unix)]
    {
        let _ = by_user;
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
        }
        true
    }
    // The console delivered the user's Ctrl-C to pwsh as well (see run/windows.rs); a timeout
    // has no event to send to pwsh alone.
    #[cfg(windows)]
    {
        let _ = child;
        by_user
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (child, by_user);
        false
    }
}

/// On Linux the step dies with the runner, so a killed runner never leaves a step writing
/// records behind the back of the run that resumes it (Windows: a job object, run/windows.rs).
pub(crate) fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id();
        // SAFETY: prctl and getppid are async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The runner may have died between fork and prctl: then no signal will come.
                if u32::try_from(libc::getppid()).ok() != Some(parent) {
                    return Err(std::io::Error::other("the runner exited"));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

type Pump = JoinHandle<std::io::Result<()>>;

/// Marks the step as active now (a record or an output line arrived).
#[derive(Clone)]
struct Activity(Arc<AtomicU64>, Instant);

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.1.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.store(ms, Ordering::Relaxed);
    }
}

/// Copies a child stream to a log file line by line, redacted and without ANSI escape sequences
/// before it touches disk. With `echo` (the step id), wait progress lines go to the console too.
fn pump<R: Read + Send + 'static>(
    stream: Option<R>,
    log: &Path,
    redactor: Redactor,
    activity: Activity,
    echo: Option<String>,
) -> Result<Option<Pump>> {
    let Some(stream) = stream else {
        return Ok(None);
    };
    let mut file = File::create(log).map_err(|e| Error::io(log, e))?;
    Ok(Some(std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                return file.flush();
            }
            activity.touch();
            let text = String::from_utf8_lossy(&line);
            let text = strip_ansi(text.trim_end_matches(['\r', '\n']));
            let text = redactor.redact(&text);
            if let (Some(step), Some(rest)) = (&echo, text.strip_prefix(WAIT_LINE)) {
                eprintln!("{step}: {rest}");
            }
            writeln!(file, "{text}")?;
            file.flush()?;
        }
    })))
}

/// `text` without ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, and
/// two-character escapes): logs are plain text whatever the child's colour settings.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(d) = chars.next() {
                    if d == '\u{7}' || (d == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn join_pump(p: Option<Pump>, deadline: Instant) -> std::io::Result<()> {
    let Some(h) = p else {
        return Ok(());
    };
    while !h.is_finished() {
        if Instant::now() >= deadline {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
    h.join().unwrap_or(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::strip_ansi;

    #[test]
    fn logs_lose_colour_codes_and_keep_the_text() {
        assert_eq!(
            strip_ansi("\u{1b}[31;1mNew-MgUser: \u{1b}[0mAnother object exists"),
            "New-MgUser: Another object exists"
        );
        assert_eq!(strip_ansi("\u{1b}]0;title\u{7}plain"), "plain");
        assert_eq!(strip_ansi("\u{1b}]8;;http://x\u{1b}\\link"), "link");
        assert_eq!(strip_ansi("no codes: [ok]"), "no codes: [ok]");
    }
}
