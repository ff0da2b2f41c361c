//! A run's journal to summaries and reports; known errors to hints.
//!
//! Formats: `json` (stable, versioned: `{"version":1,"run":{...},"steps":[...],"failures":[...]}`),
//! `md` and `html` (for people; html is one self-contained file), `csv` (one row per operation
//! with its last status, for spreadsheets). Text from the journal is redacted again here.

mod html;
pub mod known_errors;
mod markdown;
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

fn csv_rows(loaded: &summary::Loaded) -> Result<String> {
    let redactor = Redactor::patterns_only();
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| anyhow::Error::from(e);
    w.write_record([
        "step", "op", "action", "target", "status", "error", "hint", "at",
    ])
    .map_err(io)?;
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
        w.write_record(
            cells
                .map(crate::spreadsheet::neutralise)
                .iter()
                .map(|c| c.as_ref()),
        )
        .map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
