//! A run's journal to summaries and reports; known errors to hints.
//!
//! Formats: `json` (stable, versioned: `{"version":1,"run":{...},"steps":[...],"failures":[...]}`),
//! `md` and `html` (for people; html is one self-contained file), `csv` (one row per operation
//! with its last status, for spreadsheets). Text from the journal is redacted again here.

mod html;
pub mod known_errors;
mod markdown;
pub mod migration;
pub mod summary;

use std::path::Path;

pub use crate::cli::ReportFormat;
use crate::error::Result;
use crate::run::redact::Redactor;

/// Renders the report of a run folder, or of a bundle's latest run.
pub fn render(run_or_bundle: &Path, format: ReportFormat) -> Result<String> {
    let loaded = summary::load(run_or_bundle)?;
    let s = summary::summarize(&loaded);
    Ok(match format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&s).map_err(anyhow::Error::from)?;
            text.push('\n');
            text
        }
        ReportFormat::Md => markdown::render(&s),
        ReportFormat::Html => html::render(&s),
        ReportFormat::Csv => csv_rows(&loaded)?,
    })
}

/// Columns a bundle with a mailbox migration adds to every row: the progress the row's record
/// reported against the plan's estimate (empty for other operations).
const MIGRATION_COLUMNS: [&str; 10] = [
    "wave",
    "engine",
    "pass",
    "state",
    "moved_bytes",
    "estimated_bytes",
    "percent",
    "items",
    "errors",
    "eta",
];

fn csv_rows(loaded: &summary::Loaded) -> Result<String> {
    let redactor = Redactor::patterns_only();
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| anyhow::Error::from(e);
    let migration = loaded
        .migration
        .as_deref()
        .map(|p| migration::summarize(p, &loaded.records, &loaded.meta.waves));
    let by_mailbox: std::collections::HashMap<String, &migration::MailboxProgress> = migration
        .iter()
        .flat_map(|m| &m.mailboxes)
        .map(|m| (m.source.to_lowercase(), m))
        .collect();
    let mut header = vec![
        "step", "op", "action", "target", "status", "error", "hint", "at",
    ];
    if migration.is_some() {
        header.extend(MIGRATION_COLUMNS);
    }
    w.write_record(&header).map_err(io)?;
    for row in loaded.op_rows() {
        let (action, target, status, error, at) = match row.last {
            Some(r) => (
                r.action.as_str(),
                redactor.redact(&r.target),
                r.status.as_str(),
                redactor.redact(r.error.as_deref().unwrap_or("")),
                r.at.as_str(),
            ),
            None => ("", String::new(), summary::NOT_DONE, String::new(), ""),
        };
        let hint = known_errors::explain(row.step, &error).map_or("", |k| k.id);
        // Targets and error texts come from the tenant and the scripts: never formulas.
        let cells = [row.step, row.op, action, &target, status, &error, hint, at];
        let mut cells: Vec<String> = cells
            .map(crate::spreadsheet::neutralise)
            .iter()
            .map(|c| c.to_string())
            .collect();
        if migration.is_some() {
            let found = row
                .last
                .filter(|r| r.progress.is_some())
                .and_then(|r| by_mailbox.get(&r.target.trim().to_lowercase()));
            let text = |v: Option<String>| v.unwrap_or_default();
            let extra = match found {
                Some(m) => [
                    m.wave.to_string(),
                    text(m.engine.clone()),
                    text(m.pass.clone()),
                    m.state.clone(),
                    text(m.bytes.map(|b| b.to_string())),
                    text(m.estimated_bytes.map(|b| b.to_string())),
                    text(m.percent.map(|p| format!("{p:.1}"))),
                    text(m.items.map(|b| b.to_string())),
                    text(m.errors.map(|b| b.to_string())),
                    text(m.eta.clone()),
                ],
                None => Default::default(),
            };
            cells.extend(
                extra
                    .iter()
                    .map(|c| crate::spreadsheet::neutralise(c).to_string()),
            );
        }
        w.write_record(&cells).map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
