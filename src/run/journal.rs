//! A run's journal under `BUNDLE/runs/<timestamp>/`:
//! `results.jsonl` (the records, appended by the step processes themselves), `run.json` (what
//! was run: command lines, pwsh version, exit codes, timings), `logs/` (redacted stdout and
//! stderr per step invocation) and `only-ops-<step>.txt` (what a resumed step was asked to do).
//!
//! The child writes its records straight into `results.jsonl` (`-ResultsPath` names it):
//! a record is durable the moment the step flushes it, whatever happens to the runner, and
//! no copy can lag behind. The runner only reads the file while a step runs (progress), and
//! writes to it only when no step is running: for `--import-results`, and after each step to
//! mask secrets in the records that step wrote (`redact_records_from`).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::protocol::{ResultRecord, Status};
use super::redact::Redactor;
use crate::error::{Error, Result};

pub const RUNS_DIR: &str = "runs";
pub const RESULTS_FILE: &str = "results.jsonl";
pub const RUN_FILE: &str = "run.json";
pub const LOGS_DIR: &str = "logs";
pub const RUN_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    Running,
    Finished,
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Still running, or the runner died while it ran (resume marks it `interrupted`).
    Running,
    /// Exit 0 and a record for every operation asked for.
    Ok,
    /// Every record written, but the process exited non-zero.
    ExitNonZero,
    /// Some operations asked for have no record (crash, or exit without writing).
    Incomplete,
    TimedOut,
    Interrupted,
    /// Records imported from a file written on the source server.
    Imported,
}

impl Outcome {
    /// Whether the step ended without a fault of its own (it may still have failed operations).
    pub fn is_clean(self) -> bool {
        matches!(self, Outcome::Ok | Outcome::Imported)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Ok => "ok",
            Outcome::ExitNonZero => "exit-non-zero",
            Outcome::Incomplete => "incomplete",
            Outcome::TimedOut => "timed-out",
            Outcome::Interrupted => "interrupted",
            Outcome::Imported => "imported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMeta {
    pub id: String,
    pub title: String,
    pub runs_on: String,
    /// The manifest's shell (`pwsh-7`, `powershell-5.1`, ...); empty in journals written before
    /// it was recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shell: String,
    /// Planned operations (lines of the ops file).
    pub ops: u64,
}

/// One pwsh process (or one import) for one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    pub step: String,
    /// 1 for the step's first invocation in this run, 2 for the first resume, ...
    pub attempt: u32,
    /// The exact argv (program first); empty for an import.
    #[serde(default)]
    pub command: Vec<String>,
    /// Set when only some operations were asked for.
    #[serde(default)]
    pub only_ops: Option<String>,
    /// Number of operations asked for (None: the whole step, count unknown in advance).
    #[serde(default)]
    pub ops_requested: Option<u64>,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    #[serde(default)]
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    pub outcome: Outcome,
    /// Records this invocation added to `results.jsonl`.
    #[serde(default)]
    pub records: u64,
    /// Operations asked for that got no record.
    #[serde(default)]
    pub missing: u64,
    #[serde(default)]
    pub stdout_log: Option<String>,
    #[serde(default)]
    pub stderr_log: Option<String>,
    /// For an import: the file and its sha256.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub version: u32,
    pub id: String,
    pub generator: String,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    pub state: RunState,
    pub what_if: bool,
    #[serde(default)]
    pub pwsh: Option<super::pwsh::Pwsh>,
    pub steps: Vec<StepMeta>,
    #[serde(default)]
    pub invocations: Vec<Invocation>,
    /// Set when this run is a rehearsal against the simulated tenant (`cutover rehearse`):
    /// nothing in it touched a real service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<RehearsalMeta>,
    /// Migration waves this run was asked to do (`cutover run --wave N`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<u32>,
}

/// What a rehearsal ran against (`run.json` of a rehearsal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RehearsalMeta {
    /// The simulated tenant's state file.
    pub state: String,
    pub seed: u64,
    /// Injected faults (`--faults SEED`).
    pub faults: bool,
    /// The provisioning-delay profile (`none`, `realistic`, `long`).
    pub delays: String,
    /// How the steps were started: `file` (as `cutover run` does) or `session` (`& ./steps/..`).
    pub started: String,
    /// Each step in a fresh runspace of one long-lived pwsh (`--hosted`), not a pwsh of its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hosted: bool,
}

/// An open run folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl RunDir {
    /// A new, empty run folder named for the current UTC time.
    pub fn create(bundle: &Path) -> Result<RunDir> {
        RunDir::create_in(bundle, RUNS_DIR)
    }

    /// A new run folder under `BUNDLE/<runs>` (`rehearsals` keeps rehearsals apart from the real
    /// runs, so `--resume` never continues a rehearsal against a tenant).
    pub fn create_in(bundle: &Path, runs: &str) -> Result<RunDir> {
        let runs = bundle.join(runs);
        std::fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        for n in 1..1000 {
            let name = if n == 1 {
                stamp.clone()
            } else {
                format!("{stamp}-{n:03}")
            };
            let path = runs.join(&name);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    let logs = path.join(LOGS_DIR);
                    std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, e))?;
                    let results = path.join(RESULTS_FILE);
                    File::create(&results).map_err(|e| Error::io(&results, e))?;
                    return Ok(RunDir { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Usage(format!(
            "{}: too many runs started this second",
            runs.display()
        )))
    }

    /// The latest run of a bundle (run folder names sort by time).
    pub fn latest(bundle: &Path) -> Result<Option<RunDir>> {
        RunDir::latest_in(bundle, RUNS_DIR)
    }

    pub fn latest_in(bundle: &Path, runs: &str) -> Result<Option<RunDir>> {
        let runs = bundle.join(runs);
        let entries = match std::fs::read_dir(&runs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&runs, e)),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().join(RUN_FILE).is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names.pop().map(|n| RunDir { path: runs.join(n) }))
    }

    /// `path` itself when it holds `run.json`, else the latest run of the bundle at `path`.
    pub fn locate(path: &Path) -> Result<RunDir> {
        if path.join(RUN_FILE).is_file() {
            return Ok(RunDir {
                path: path.to_path_buf(),
            });
        }
        if path.join("manifest.json").is_file() {
            return RunDir::latest(path)?.ok_or_else(|| {
                Error::Usage(format!(
                    "{}: the bundle has no runs yet; start one with `cutover run {}`",
                    path.display(),
                    path.display()
                ))
            });
        }
        if !path.exists() {
            return Err(Error::Usage(format!(
                "{}: no such folder; give a bundle folder (its latest run) or one of its \
                 runs/<time> folders",
                path.display()
            )));
        }
        Err(Error::Usage(format!(
            "{}: neither a run folder (run.json) nor a bundle (manifest.json)",
            path.display()
        )))
    }

    /// The bundle a run belongs to (`BUNDLE/runs/<id>`).
    pub fn bundle(&self) -> Option<&Path> {
        self.path.parent()?.parent()
    }

    pub fn id(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn results(&self) -> PathBuf {
        self.path.join(RESULTS_FILE)
    }

    pub fn logs(&self) -> PathBuf {
        self.path.join(LOGS_DIR)
    }

    pub fn read_meta(&self) -> Result<RunMeta> {
        let path = self.path.join(RUN_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let meta: RunMeta = serde_json::from_str(&text).map_err(|e| {
            Error::Integrity(format!("{}: not a valid run.json: {e}", path.display()))
        })?;
        if meta.version != RUN_FORMAT {
            return Err(Error::Integrity(format!(
                "{}: run.json version {} is not supported (this cutover reads {RUN_FORMAT})",
                path.display(),
                meta.version
            )));
        }
        Ok(meta)
    }

    /// Replaces `run.json` atomically: a reader sees the old or the new file, never half of one.
    pub fn write_meta(&self, meta: &RunMeta) -> Result<()> {
        let path = self.path.join(RUN_FILE);
        let tmp = self.path.join(".run.json.tmp");
        let mut text = serde_json::to_string_pretty(meta).map_err(anyhow::Error::from)?;
        text.push('\n');
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| Error::io(&path, e))
    }
}

/// The journal's records and the lines that were not records.
#[derive(Debug, Default, Clone)]
pub struct Records {
    pub records: Vec<ResultRecord>,
    /// 1-based line numbers of lines that did not parse (a record cut short by a kill).
    pub bad_lines: Vec<usize>,
}

impl Records {
    pub fn read(path: &Path) -> Result<Records> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Records::default()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut out = Records::default();
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let mut line = Vec::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(path, e))?;
            if read == 0 {
                break;
            }
            n += 1;
            match parse_line(&line) {
                Some(Ok(r)) => out.records.push(r),
                Some(Err(())) => out.bad_lines.push(n),
                None => {}
            }
        }
        Ok(out)
    }

    /// The last status of every operation, per step.
    pub fn last_status(&self) -> LastStatus {
        let mut map: HashMap<String, HashMap<String, Status>> = HashMap::new();
        for r in &self.records {
            let ops = match map.get_mut(&r.step) {
                Some(ops) => ops,
                None => map.entry(r.step.clone()).or_default(),
            };
            // Allocate only for an operation's first record.
            match ops.get_mut(&r.op) {
                Some(st) => *st = r.status,
                None => {
                    ops.insert(r.op.clone(), r.status);
                }
            }
        }
        LastStatus { map }
    }
}

#[derive(Debug, Default, Clone)]
pub struct LastStatus {
    map: HashMap<String, HashMap<String, Status>>,
}

impl LastStatus {
    pub fn get(&self, step: &str, op: &str) -> Option<Status> {
        self.map.get(step)?.get(op).copied()
    }

    /// Operations of `step` with a record, and their last status.
    pub fn of_step<'a>(&'a self, step: &str) -> impl Iterator<Item = (&'a str, Status)> + 'a {
        self.map
            .get(step)
            .into_iter()
            .flat_map(|ops| ops.iter().map(|(op, st)| (op.as_str(), *st)))
    }
}

/// `None` for a blank line, `Some(Err)` for a line that is not a record.
pub fn parse_line(line: &[u8]) -> Option<std::result::Result<ResultRecord, ()>> {
    let trimmed = trim_ascii(line);
    if trimmed.is_empty() {
        return None;
    }
    Some(serde_json::from_slice(trimmed).map_err(|_| ()))
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Ends a line cut short by a killed step, so the next record starts on a line of its own.
pub fn ensure_line_end(path: &Path) -> Result<u64> {
    let io = |e| Error::io(path, e);
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(0);
    }
    f.seek(SeekFrom::Start(len - 1)).map_err(io)?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last).map_err(io)?;
    if last[0] != b'\n' {
        f.write_all(b"\n").map_err(io)?;
        f.sync_data().map_err(io)?;
        return Ok(len + 1);
    }
    Ok(len)
}

/// Masks secrets in the `error` and `target` of the records from byte `offset` on (the ones the
/// step that just ended wrote), and in lines there that are not records. Every line stays; lines
/// with nothing to mask stay byte for byte. The file is replaced whole (temp file, sync, rename),
/// so a kill at any point leaves either the old or the new file, never a mix. Returns the number
/// of lines changed (0: the file was not touched).
pub fn redact_records_from(path: &Path, offset: u64, redactor: &Redactor) -> Result<usize> {
    let io = |e| Error::io(path, e);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e)),
    };
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let (head, tail) = bytes.split_at(start);
    let mut out = Vec::with_capacity(tail.len());
    let mut changed = 0;
    for line in tail.split_inclusive(|&b| b == b'\n') {
        let (body, end) = match line.strip_suffix(b"\n") {
            Some(b) => (b, &b"\n"[..]),
            None => (line, &b""[..]),
        };
        match redact_line(body, redactor) {
            Some(new) => {
                changed += 1;
                out.extend_from_slice(new.as_bytes());
            }
            None => out.extend_from_slice(body),
        }
        out.extend_from_slice(end);
    }
    if changed == 0 {
        return Ok(0);
    }
    let tmp = path.with_file_name(format!(".{RESULTS_FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(head)?;
        f.write_all(&out)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(io)?;
    Ok(changed)
}

/// Masks a record's text value, and the texts inside an object value (a migration record's
/// `progress`: the engine's state text comes from the service); true when anything changed.
fn redact_value(value: &mut serde_json::Value, redactor: &Redactor) -> bool {
    match value {
        serde_json::Value::String(v) => {
            let masked = redactor.redact(v);
            let changed = masked != *v;
            if changed {
                *v = masked;
            }
            changed
        }
        serde_json::Value::Object(o) => o
            .values_mut()
            .fold(false, |any, v| redact_value(v, redactor) | any),
        _ => false,
    }
}

/// The line with its secrets masked, or None when there is nothing to mask.
fn redact_line(body: &[u8], redactor: &Redactor) -> Option<String> {
    // Bytes that are not UTF-8 are a line cut short or stray output: masked as text like any.
    let text = String::from_utf8_lossy(body);
    let lossy = matches!(text, std::borrow::Cow::Owned(_));
    // Fast path for the common clean line: without JSON escapes a field's text is the raw text,
    // so a line the redactor leaves alone has no field to mask either.
    if !lossy && !text.contains('\\') && redactor.redact(&text) == text {
        return None;
    }
    if let Ok(serde_json::Value::Object(mut rec)) = serde_json::from_str(&text) {
        let mut any = false;
        // Every text but the ones the runner matches on (step, op, status, at).
        for (key, value) in rec.iter_mut() {
            if matches!(key.as_str(), "step" | "op" | "status" | "at") {
                continue;
            }
            any |= redact_value(value, redactor);
        }
        return any.then(|| serde_json::Value::Object(rec).to_string());
    }
    // Not a record (cut short by a kill, or stray text): mask the raw text.
    let masked = redactor.redact(&text);
    (lossy || masked != text).then_some(masked)
}

/// Appends records (one JSON line each) and syncs them to disk.
pub fn append_records(path: &Path, records: &[ResultRecord]) -> Result<()> {
    ensure_line_end(path)?;
    let mut buf = Vec::new();
    for r in records {
        serde_json::to_writer(&mut buf, r).map_err(anyhow::Error::from)?;
        buf.push(b'\n');
    }
    let io = |e| Error::io(path, e);
    let mut f = OpenOptions::new().append(true).open(path).map_err(io)?;
    f.write_all(&buf).map_err(io)?;
    f.sync_data().map_err(io)
}

/// Reads the records a running step appends, from a byte offset, one complete line at a time.
pub struct Tail {
    file: File,
    partial: Vec<u8>,
    buf: Vec<u8>,
}

impl Tail {
    pub fn open(path: &Path, offset: u64) -> Result<Tail> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(path, e))?;
        Ok(Tail {
            file,
            partial: Vec::new(),
            buf: vec![0; 256 * 1024],
        })
    }

    /// Calls `each` for every complete new line (`Err(())` when it is not a record).
    pub fn poll(
        &mut self,
        mut each: impl FnMut(std::result::Result<ResultRecord, ()>),
    ) -> std::io::Result<()> {
        loop {
            let n = self.file.read(&mut self.buf)?;
            if n == 0 {
                return Ok(());
            }
            let chunk = &self.buf[..n];
            let mut start = 0;
            for nl in memchr::memchr_iter(b'\n', chunk) {
                let line = &chunk[start..nl];
                start = nl + 1;
                if self.partial.is_empty() {
                    if let Some(r) = parse_line(line) {
                        each(r);
                    }
                } else {
                    self.partial.extend_from_slice(line);
                    if let Some(r) = parse_line(&self.partial) {
                        each(r);
                    }
                    self.partial.clear();
                }
            }
            self.partial.extend_from_slice(&chunk[start..]);
        }
    }

    /// A final line without its newline (the step was cut off while writing it).
    pub fn unterminated(&self) -> bool {
        !trim_ascii(&self.partial).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_rewrites_only_new_records_and_keeps_every_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RESULTS_FILE);
        let old = "{\"step\":\"05-users\",\"op\":\"a\",\"action\":\"x\",\"target\":\"t\",\"status\":\"failed\",\"error\":\"Password=Old-Secret1\",\"at\":\"z\"}\n";
        let clean = "{\"step\":\"05-users\",\"op\":\"b\",\"action\":\"x\",\"target\":\"t\",\"status\":\"created\",\"error\":null,\"at\":\"z\"}\n";
        let leaky = "{\"step\":\"05-users\",\"op\":\"c\",\"action\":\"x\",\"target\":\"t\",\"status\":\"failed\",\"error\":\"bad value Zq8#kLm2!pQr for the user\",\"at\":\"z\",\"extra\":1}\n";
        let cut = "{\"step\":\"05-users\",\"op\":\"d\",\"error\":\"Zq8#kLm2!pQr";
        std::fs::write(&path, format!("{old}{clean}{leaky}{cut}")).unwrap();
        let r = Redactor::with_secrets(vec!["Zq8#kLm2!pQr".into(), "Old-Secret1".into()]);
        let n = redact_records_from(&path, old.len() as u64, &r).unwrap();
        assert_eq!(n, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        assert_eq!(lines.len(), 4);
        // Before the offset: another step's records, untouched; clean lines byte for byte.
        assert_eq!(lines[0], old);
        assert_eq!(lines[1], clean);
        let v: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(v["error"], "bad value *** for the user");
        assert_eq!(v["op"], "c");
        assert_eq!(v["extra"], 1, "unknown fields are kept");
        assert_eq!(
            lines[3],
            "{\"step\":\"05-users\",\"op\":\"d\",\"error\":\"***"
        );
        assert!(!dir.path().join(format!(".{RESULTS_FILE}.tmp")).exists());
        // From offset 0 the first line is masked too; then nothing is left to mask.
        assert_eq!(
            redact_records_from(&path, 0, &Redactor::patterns_only()).unwrap(),
            1
        );
        assert_eq!(
            redact_records_from(&path, 0, &Redactor::patterns_only()).unwrap(),
            0
        );
    }

    #[test]
    fn a_progress_record_is_masked_inside_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RESULTS_FILE);
        let line = "{\"step\":\"34-status\",\"op\":\"migration:status:a@x.com\",\"action\":\"read\",\"target\":\"a@x.com\",\"status\":\"unchanged\",\"error\":null,\"at\":\"2026-12-10T10:00:00Z\",\"progress\":{\"engine\":\"migrationwiz\",\"pass\":\"full\",\"state\":\"Failed: Password=Zq8#kLm2!pQr rejected\",\"items\":12,\"bytes\":3400,\"errors\":1}}\n";
        std::fs::write(&path, line).unwrap();
        let r = Redactor::with_secrets(vec!["Zq8#kLm2!pQr".into()]);
        assert_eq!(redact_records_from(&path, 0, &r).unwrap(), 1);
        let records = Records::read(&path).unwrap();
        let p = records.records[0].progress.as_ref().expect("progress kept");
        assert!(!p.state.contains("Zq8#kLm2!pQr"), "{}", p.state);
        assert_eq!(
            (p.items, p.bytes, p.errors),
            (Some(12), Some(3400), Some(1))
        );
        assert_eq!(p.pass, "full");
    }

    fn rec(op: &str, status: Status) -> ResultRecord {
        ResultRecord {
            step: "05-users".into(),
            op: op.into(),
            action: "create".into(),
            target: "a@x.com".into(),
            status,
            error: None,
            at: "2026-01-01T00:00:00Z".into(),
            progress: None,
        }
    }

    #[test]
    fn cut_lines_are_ended_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.jsonl");
        append_records(&p, &[rec("a", Status::Failed)]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"step\":\"05-users\",\"op\":")
            .unwrap();
        append_records(&p, &[rec("a", Status::Created)]).unwrap();
        let r = Records::read(&p).unwrap();
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.bad_lines, vec![2]);
        assert_eq!(r.last_status().get("05-users", "a"), Some(Status::Created));
    }

    #[test]
    fn tail_reassembles_lines_split_across_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.jsonl");
        File::create(&p).unwrap();
        let mut tail = Tail::open(&p, 0).unwrap();
        let line = serde_json::to_string(&rec("a", Status::Created)).unwrap();
        let (a, b) = line.split_at(10);
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(a.as_bytes()).unwrap();
        let mut got = Vec::new();
        tail.poll(|r| got.push(r)).unwrap();
        assert!(got.is_empty());
        assert!(tail.unterminated());
        f.write_all(format!("{b}\nnot json\n").as_bytes()).unwrap();
        tail.poll(|r| got.push(r)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().map(|r| r.op.as_str()), Ok("a"));
        assert!(got[1].is_err());
        assert!(!tail.unterminated());
    }
}
