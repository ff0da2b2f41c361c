//! A run's journal (run.json + results.jsonl + the bundle's ops lists) to one summary that every
//! format renders. The JSON form is the stable, versioned contract.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::known_errors::{self, KnownError};
use crate::error::Result;
use crate::run::journal::{Invocation, Outcome, Records, RunDir, RunMeta};
use crate::run::protocol::{ResultRecord, Status};
use crate::run::redact::Redactor;
use crate::run::verify;

pub const VERSION: u32 = 1;
pub const NOT_DONE: &str = "not_done";

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub version: u32,
    pub run: RunFacts,
    pub steps: Vec<StepSummary>,
    pub failures: Vec<Failure>,
    /// The mailbox migration's progress (bundles with `[migration]` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<super::migration::MigrationSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunFacts {
    pub id: String,
    pub bundle: Option<String>,
    pub generator: String,
    pub started: String,
    pub finished: Option<String>,
    /// `running`, `finished` or `interrupted`.
    pub state: String,
    pub what_if: bool,
    /// A rehearsal against the simulated tenant (`cutover rehearse`), not a run against a tenant.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
    /// A rehearsal whose steps ran in fresh runspaces of one long-lived pwsh (`--hosted`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hosted: bool,
    pub pwsh_version: Option<String>,
    pub pwsh_path: Option<String>,
    pub tenant: Option<String>,
    pub source_version: Option<String>,
    pub ops: u64,
    pub by_status: BTreeMap<String, u64>,
    /// Every operation's last record is a success (`whatif` in a what-if run) and every step's
    /// last process ended cleanly.
    pub complete: bool,
    /// Lines of results.jsonl that were not records (cut short by a kill).
    pub bad_lines: u64,
}

impl RunFacts {
    /// Why this run's results are not a tenant's, when they come from a stand-in for pwsh:
    /// `cutover demo`'s stand-in, or the test-only fake-pwsh.
    pub fn stand_in(&self) -> Option<String> {
        let version = self.pwsh_version.as_deref().unwrap_or("");
        let exe = self
            .pwsh_path
            .as_deref()
            .map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p))
            .unwrap_or("");
        if version.contains("stand-in") || exe.starts_with(crate::demo::stand_in::EXE_STEM) {
            Some(format!(
                "Demo run: these results come from cutover's demo stand-in for PowerShell \
                 ({version}), which runs no script and touches no tenant. Nothing in this report \
                 happened in Microsoft 365."
            ))
        } else if exe.starts_with("fake-pwsh") {
            Some(format!(
                "Test run: these results come from fake-pwsh, a test-only stand-in for \
                 PowerShell ({version}) that replays scripted results. Nothing in this report \
                 happened in Microsoft 365."
            ))
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    pub id: String,
    /// Operations known for the step: planned ones plus any discovered at run time.
    pub ops: u64,
    /// Last status of each operation; `not_done` for planned operations without a record.
    pub by_status: BTreeMap<String, u64>,
    /// Exit code of the step's last process (null when it had none, was killed, or was imported).
    pub exit_code: Option<i32>,
    /// Time spent in the step's processes, over every attempt.
    pub duration_s: f64,
    #[serde(skip)]
    pub title: String,
    #[serde(skip)]
    pub runs_on: String,
    #[serde(skip)]
    pub shell: String,
    #[serde(skip)]
    pub attempts: u32,
    /// Outcome of the last process (`ok`, `incomplete`, ...), None when never run.
    #[serde(skip)]
    pub outcome: Option<Outcome>,
    #[serde(skip)]
    pub note: Option<String>,
    /// A post-cutover step (run on request only).
    #[serde(skip)]
    pub post_cutover: bool,
}

impl StepSummary {
    /// The "Last outcome" cell: the last process's outcome and note. A clean process end with
    /// failed operations reads "finished with failures", never "ok".
    pub fn outcome_text(&self) -> String {
        let failed = self.by_status.get("failed").copied().unwrap_or(0);
        let oc = match self.outcome {
            Some(Outcome::Ok) if failed > 0 => "finished with failures",
            Some(oc) => oc.as_str(),
            None if self.post_cutover => {
                return "post-cutover step, not run yet: run it after the MX change with --phase post-cutover"
                    .into()
            }
            None if self.runs_on == crate::bundle::manifest::RUNS_ON_SOURCE => {
                return "runs on the source server: import its results with --import-results".into()
            }
            None if !crate::bundle::manifest::runs_in_runner(&self.runs_on, &self.shell) => {
                return "runs in Windows PowerShell 5.1 on the jump box: import its results with --import-results"
                    .into()
            }
            None => return "not run".into(),
        };
        match &self.note {
            Some(n) => format!("{oc}: {n}"),
            None => oc.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub step: String,
    pub op: String,
    pub target: String,
    pub action: String,
    pub error: String,
    pub hint: Option<Hint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hint {
    pub id: &'static str,
    pub title: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
}

impl From<&'static KnownError> for Hint {
    fn from(k: &'static KnownError) -> Self {
        Hint {
            id: k.id,
            title: k.title,
            cause: k.cause,
            fix: k.fix,
        }
    }
}

/// The last record of every operation, in first-seen order.
pub struct OpRow<'a> {
    pub step: &'a str,
    pub op: &'a str,
    pub last: Option<&'a ResultRecord>,
}

pub struct Loaded {
    pub run: RunDir,
    pub meta: RunMeta,
    pub records: Records,
    /// Planned operations per step id, from the bundle (empty when the bundle is gone).
    pub planned: BTreeMap<String, Vec<String>>,
    /// Steps the manifest marks post-cutover (run only on request, after the MX change).
    pub post_cutover: HashSet<String>,
    pub tenant: Option<String>,
    pub source_version: Option<String>,
    /// The plan's mailboxes to migrate (the bundle's `data/migration-mailboxes.csv`).
    pub migration: Option<Vec<super::migration::Planned>>,
}

pub fn load(path: &Path) -> Result<Loaded> {
    let abs = std::path::absolute(path).map_err(|e| crate::error::Error::io(path, e))?;
    let run = RunDir::locate(&abs)?;
    let meta = run.read_meta()?;
    let records = Records::read(&run.results())?;
    let mut planned = BTreeMap::new();
    let mut post_cutover = HashSet::new();
    let (mut tenant, mut source_version, mut migration) = (None, None, None);
    if let Some(manifest) = run.bundle().and_then(|b| verify::read_manifest(b).ok()) {
        tenant = manifest.tenant.clone();
        source_version = Some(manifest.source_version.clone());
        if let Some(root) = run.bundle() {
            if manifest
                .data
                .iter()
                .any(|d| d.file == crate::plan::migration::MAILBOXES_FILE)
            {
                migration = super::migration::read_planned(root);
            }
            for step in &manifest.steps {
                let ops = step
                    .ops_file
                    .as_deref()
                    .and_then(|f| verify::safe_join(root, f).ok())
                    .and_then(|p| verify::read_planned(&p, step.op_id.as_deref()).ok())
                    .unwrap_or_default();
                planned.insert(step.id.clone(), ops);
                if step.phase == crate::bundle::manifest::PHASE_POST_CUTOVER {
                    post_cutover.insert(step.id.clone());
                }
            }
        }
    }
    Ok(Loaded {
        run,
        meta,
        records,
        planned,
        post_cutover,
        tenant,
        source_version,
        migration,
    })
}

impl Loaded {
    /// Every operation per step (planned first, then discovered), with its last record.
    pub fn op_rows(&self) -> Vec<OpRow<'_>> {
        let mut last: BTreeMap<(&str, &str), &ResultRecord> = BTreeMap::new();
        let mut order: Vec<(&str, &str)> = Vec::new();
        for r in &self.records.records {
            let key = (r.step.as_str(), r.op.as_str());
            if last.insert(key, r).is_none() {
                order.push(key);
            }
        }
        let mut rows = Vec::new();
        let mut listed: HashSet<(&str, &str)> = HashSet::new();
        for step in self.step_ids() {
            if let Some(ops) = self.planned.get(step) {
                for op in ops {
                    if listed.insert((step, op.as_str())) {
                        rows.push(OpRow {
                            step,
                            op,
                            last: last.get(&(step, op.as_str())).copied(),
                        });
                    }
                }
            }
            for &(s, op) in order.iter().filter(|(s, _)| *s == step) {
                if listed.insert((s, op)) {
                    rows.push(OpRow {
                        step: s,
                        op,
                        last: last.get(&(s, op)).copied(),
                    });
                }
            }
        }
        rows
    }

    /// Step ids in manifest order, then any step only the journal names.
    pub fn step_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.meta.steps.iter().map(|s| s.id.as_str()).collect();
        for r in &self.records.records {
            if !ids.contains(&r.step.as_str()) {
                ids.push(&r.step);
            }
        }
        ids
    }
}

fn empty_counts() -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, u64> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    m.insert(NOT_DONE.to_string(), 0);
    m
}

pub fn summarize(loaded: &Loaded) -> Summary {
    let redactor = Redactor::patterns_only();
    let what_if = loaded.meta.what_if;
    let rows = loaded.op_rows();
    let mut steps = Vec::new();
    let mut failures = Vec::new();
    let mut total = empty_counts();
    let mut complete = true;
    for id in loaded.step_ids() {
        let meta = loaded.meta.steps.iter().find(|s| s.id == id);
        let invocations: Vec<&Invocation> = loaded
            .meta
            .invocations
            .iter()
            .filter(|i| i.step == id)
            .collect();
        let mut by_status = empty_counts();
        let mut ops = 0;
        for row in rows.iter().filter(|r| r.step == id) {
            ops += 1;
            let key = row.last.map_or(NOT_DONE, |r| r.status.as_str());
            *by_status.entry(key.to_string()).or_default() += 1;
            if let Some(r) = row.last.filter(|r| r.status == Status::Failed) {
                let error = redactor.redact(r.error.as_deref().unwrap_or(""));
                failures.push(Failure {
                    step: r.step.clone(),
                    op: r.op.clone(),
                    target: redactor.redact(&r.target),
                    action: r.action.clone(),
                    hint: known_errors::explain(&r.step, &error).map(Hint::from),
                    error,
                });
            }
        }
        for (k, v) in &by_status {
            *total.entry(k.clone()).or_default() += v;
        }
        let last = invocations.last();
        let runs_on = meta.map(|m| m.runs_on.clone()).unwrap_or_default();
        let shell = meta.map(|m| m.shell.clone()).unwrap_or_default();
        let done = by_status
            .iter()
            .filter(|(k, _)| {
                k.as_str() != NOT_DONE
                    && k.as_str() != "failed"
                    && (what_if || k.as_str() != "whatif")
            })
            .map(|(_, v)| v)
            .sum::<u64>();
        let ran_here = crate::bundle::manifest::runs_in_runner(&runs_on, &shell);
        let post_cutover = loaded.post_cutover.contains(id);
        // A post-cutover step not run yet does not make the migration run incomplete (the
        // runner's exit code agrees); once run, it counts like any other.
        let step_ok = (post_cutover && last.is_none())
            || (done == ops && last.map_or(!ran_here || ops > 0, |i| i.outcome.is_clean()));
        complete &= step_ok;
        steps.push(StepSummary {
            id: id.to_string(),
            ops,
            by_status,
            exit_code: last.and_then(|i| i.exit_code),
            // fold, not sum: an empty f64 sum is -0.0.
            duration_s: invocations
                .iter()
                .filter_map(|i| i.duration_s)
                .fold(0.0, |a, b| a + b),
            title: meta.map(|m| m.title.clone()).unwrap_or_default(),
            runs_on,
            shell,
            attempts: invocations.len() as u32,
            outcome: last.map(|i| i.outcome),
            note: last
                .and_then(|i| i.note.as_deref())
                .map(|n| redactor.redact(n)),
            post_cutover,
        });
    }
    let m = &loaded.meta;
    Summary {
        version: VERSION,
        run: RunFacts {
            id: m.id.clone(),
            bundle: loaded.run.bundle().map(|b| b.display().to_string()),
            generator: m.generator.clone(),
            started: m.started.clone(),
            finished: m.finished.clone(),
            state: serde_json::to_value(m.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            what_if,
            rehearsal: m.rehearsal.is_some(),
            hosted: m.rehearsal.as_ref().is_some_and(|r| r.hosted),
            pwsh_version: m.pwsh.as_ref().map(|p| p.version.clone()),
            pwsh_path: m.pwsh.as_ref().map(|p| p.path.display().to_string()),
            tenant: loaded.tenant.clone(),
            source_version: loaded.source_version.clone(),
            ops: total.values().sum(),
            by_status: total,
            complete,
            bad_lines: loaded.records.bad_lines.len() as u64,
        },
        steps,
        failures,
        migration: loaded
            .migration
            .as_deref()
            .map(|p| super::migration::summarize(p, &loaded.records, &m.waves)),
    }
}
