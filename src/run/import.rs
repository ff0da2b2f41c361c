//! `cutover run BUNDLE --import-results STEP FILE`: record the results a source-server step wrote
//! on the Exchange server into the bundle's latest run (all or nothing).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::journal::{self, append_records, Invocation, Outcome, RunDir};
use super::protocol::{is_dynamic_op, ResultRecord};
use super::redact::Redactor;
use super::verify;
use crate::error::{Error, Exit, Result};

#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub run_dir: PathBuf,
    pub records: u64,
    pub failed: u64,
    /// Planned operations the file has no record for.
    pub missing: u64,
}

impl ImportOutcome {
    pub fn exit(&self) -> Exit {
        if self.failed == 0 && self.missing == 0 {
            Exit::Clean
        } else {
            Exit::Findings
        }
    }
}

/// Imports with the built-in patterns masked (see `import_results_masked`).
pub fn import_results(bundle_root: &Path, step_id: &str, file: &Path) -> Result<ImportOutcome> {
    import_results_masked(bundle_root, step_id, file, &Redactor::patterns_only())
}

/// Imports a results file; every text a record carries (target, action, error) is masked by
/// `redactor` (built from `--secrets` when given) before it reaches the journal.
pub fn import_results_masked(
    bundle_root: &Path,
    step_id: &str,
    file: &Path,
    redactor: &Redactor,
) -> Result<ImportOutcome> {
    let bundle = verify::open_verified(bundle_root)?;
    let step = bundle.step(step_id).ok_or_else(|| {
        Error::Usage(format!(
            "--import-results {step_id}: no such step in this bundle"
        ))
    })?;
    if step.runs_here() {
        return Err(Error::Usage(format!(
            "--import-results {step_id}: this step runs on the jump box; `cutover run` runs it and records its results"
        )));
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        Error::Usage(format!(
            "{}: not UTF-8; the step writes its results as UTF-8 JSON Lines",
            file.display()
        ))
    })?;
    let planned: HashSet<&str> = step.planned.iter().map(String::as_str).collect();
    let mut records = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut rec: ResultRecord = serde_json::from_str(line.trim()).map_err(|e| {
            Error::Usage(format!("{}:{n}: not a result record: {e}", file.display()))
        })?;
        if rec.step != step_id {
            return Err(Error::Usage(format!(
                "{}:{n}: record of step {:?}, but this file is being imported for step {step_id}",
                file.display(),
                rec.step
            )));
        }
        if !planned.is_empty()
            && !planned.contains(rec.op.as_str())
            && !is_dynamic_op(step_id, &rec.op)
        {
            return Err(Error::Usage(format!(
                "{}:{n}: operation {:?} is not in the step's ops file",
                file.display(),
                rec.op
            )));
        }
        rec.error = rec.error.map(|e| redactor.redact(&e));
        rec.target = redactor.redact(&rec.target);
        rec.action = redactor.redact(&rec.action);
        records.push(rec);
    }
    if records.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no result records to import",
            file.display()
        )));
    }
    let digest = verify::sha256_bytes(&bytes);
    let _lock = super::lock::RunLock::acquire(&bundle.root)?;
    let run = match RunDir::latest(&bundle.root)? {
        Some(r) => r,
        None => {
            let run = RunDir::create(&bundle.root)?;
            run.write_meta(&super::new_meta(&run, &bundle, false, None))?;
            run
        }
    };
    let mut meta = run.read_meta()?;
    let source = format!("{} (sha256 {digest})", file.display());
    if meta.invocations.iter().any(|i| {
        i.step == step_id
            && i.source
                .as_deref()
                .is_some_and(|s| s.ends_with(&format!("(sha256 {digest})")))
    }) {
        return Err(Error::Usage(format!(
            "{}: already imported into run {}",
            file.display(),
            run.id()
        )));
    }
    append_records(&run.results(), &records)?;
    let seen: HashSet<&str> = records.iter().map(|r| r.op.as_str()).collect();
    let missing = planned.iter().filter(|op| !seen.contains(*op)).count() as u64;
    let failed = records.iter().filter(|r| !r.status.is_success()).count() as u64;
    let attempt = meta
        .invocations
        .iter()
        .filter(|i| i.step == step_id)
        .count() as u32
        + 1;
    let now = journal::now();
    meta.invocations.push(Invocation {
        step: step_id.to_string(),
        attempt,
        command: Vec::new(),
        only_ops: None,
        ops_requested: None,
        started: now.clone(),
        finished: Some(now),
        duration_s: None,
        exit_code: None,
        outcome: Outcome::Imported,
        records: records.len() as u64,
        missing,
        stdout_log: None,
        stderr_log: None,
        source: Some(source),
        note: (missing > 0).then(|| format!("{missing} planned operations have no record")),
    });
    run.write_meta(&meta)?;
    Ok(ImportOutcome {
        run_dir: run.path.clone(),
        records: records.len() as u64,
        failed,
        missing,
    })
}
