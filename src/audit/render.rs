//! An estimate as a table (people), JSON (programs; versioned) or CSV (one row per mailbox).

use std::fmt::Write as _;

use serde::Serialize;

use crate::diag::Finding;

use super::estimate::{Estimate, CUTOVER_HOUR};
use super::size::human;

/// The JSON document: the estimate plus the findings about its inputs.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    estimate: &'a Estimate,
    findings: &'a [Finding],
}

pub fn json(e: &Estimate, findings: &[Finding]) -> String {
    let doc = Document {
        estimate: e,
        findings,
    };
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// One row per mailbox; text from the exports is neutralised against formula injection.
pub fn csv(e: &Estimate) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "identity",
        "primary_smtp",
        "bytes",
        "archive_bytes",
        "items",
        "hours",
        "batch",
    ])?;
    for m in &e.mailboxes {
        w.write_record([
            crate::spreadsheet::neutralise(&m.identity).as_ref(),
            crate::spreadsheet::neutralise(m.primary_smtp.as_deref().unwrap_or_default()).as_ref(),
            &m.bytes.to_string(),
            &m.archive_bytes.to_string(),
            &m.items.to_string(),
            &format!("{:.2}", m.hours),
            &m.batch.to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Totals, the link's split, elapsed hours and one line per mailbox (what `demo` shows).
pub fn overview(e: &Estimate) -> String {
    let a = &e.assumptions;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} mailboxes, {} ({} bytes), {} items; Recoverable Items {} not counted",
        e.mailbox_count,
        human(e.total_bytes),
        e.total_bytes,
        e.total_items,
        human(e.total_deleted_bytes)
    );
    let _ = writeln!(
        s,
        "{} Mbps shared by {} migrations at once (concurrency {}, {}): {:.3} Mbps, {} per migration-hour",
        a.bandwidth_mbps,
        a.in_flight,
        a.concurrency,
        a.concurrency_source,
        a.per_migration_mbps,
        human(a.bytes_per_hour_per_migration as u64)
    );
    let _ = writeln!(
        s,
        "Elapsed: {:.2} h in one pass; pre-stage {:.2} h, final pass {:.2} h\n",
        e.hours.total, e.hours.prestage, e.hours.final_pass
    );
    let width = e
        .mailboxes
        .iter()
        .map(|m| m.identity.chars().count())
        .max()
        .unwrap_or(0)
        .max("MAILBOX".len());
    let _ = writeln!(
        s,
        "{:<width$}  {:>10}  {:>10}  {:>9}  {:>8}  {:>5}",
        "MAILBOX", "SIZE", "ARCHIVE", "ITEMS", "HOURS", "BATCH"
    );
    for m in &e.mailboxes {
        let _ = writeln!(
            s,
            "{:<width$}  {:>10}  {:>10}  {:>9}  {:>8.2}  {:>5}",
            m.identity,
            human(m.bytes),
            human(m.archive_bytes),
            m.items,
            m.hours,
            m.batch
        );
    }
    s
}

/// The full table: the overview, then batches, the schedule and the assumptions.
pub fn table(e: &Estimate) -> String {
    let a = &e.assumptions;
    let mut s = overview(e);
    let _ = writeln!(
        s,
        "\nBatches (delegates kept together, up to {} mailboxes; hours for the batch alone):",
        a.batch_size
    );
    for b in &e.batches {
        let note = if b.oversized {
            " (one delegate group, larger than the batch size)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  {:>3}. {} mailboxes, {}, {:.2} h{note}: {}",
            b.number,
            b.mailboxes.len(),
            human(b.bytes),
            b.hours,
            b.mailboxes.join(", ")
        );
    }
    let sc = &e.schedule;
    let _ = writeln!(s, "\nSchedule suggestion:");
    let _ = writeln!(
        s,
        "  pre-stage (items older than {} days): start Monday {}, expected to end {}",
        a.prestage_days, sc.prestage_start, sc.prestage_end
    );
    let _ = writeln!(
        s,
        "  cutover: Friday {} at {CUTOVER_HOUR}:00 (switch MX, then the final pass, about {:.2} h)",
        sc.cutover, sc.final_pass_hours
    );
    let _ = writeln!(s, "\nAssumptions:");
    for line in [&a.formula, &a.data, &a.recent_fraction_note, &a.schedule] {
        let _ = writeln!(s, "  - {line}");
    }
    s
}
