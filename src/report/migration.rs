//! The report's migration section: per mailbox the engine's last progress record against the
//! plan's estimate, and per wave how many mailboxes are where.
//!
//! Mailboxes come from the bundle's `data/migration-mailboxes.csv` (the plan's waves and
//! estimates); progress from the journal's records that carry `progress`. A mailbox without
//! one is "no status yet": never 0 % and never done.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::plan::migration::{MAILBOXES_FILE, MAILBOX_COLUMNS};
use crate::run::journal::Records;
use crate::run::protocol::ResultRecord;
use crate::run::redact::Redactor;

/// What the report says for a mailbox the engine has not reported on in this run.
pub const NO_STATUS: &str = "no status yet";

/// A mailbox of the plan as `data/migration-mailboxes.csv` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub wave: u32,
    pub source: String,
    pub target: String,
    pub estimated_bytes: Option<u64>,
    pub estimated_items: Option<u64>,
}

/// Reads the plan's mailbox list from a bundle; `None` when it has none (no `[migration]`).
pub fn read_planned(bundle: &Path) -> Option<Vec<Planned>> {
    let path = bundle.join(MAILBOXES_FILE);
    let file = std::fs::File::open(path).ok()?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let header = reader.headers().ok()?.clone();
    let col = |want: &str| {
        (0..header.len()).find(|&i| {
            header
                .get(i)
                .is_some_and(|h| h.trim_start_matches('\u{feff}') == want)
        })
    };
    let [wave, source, target, _, bytes, items, _] = MAILBOX_COLUMNS.map(col);
    let (wave, source, target) = (wave?, source?, target?);
    let mut out = Vec::new();
    for row in reader.records().map_while(std::result::Result::ok) {
        let num = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let Some(w) = row.get(wave).and_then(|w| w.trim().parse::<u32>().ok()) else {
            continue;
        };
        out.push(Planned {
            wave: w,
            source: row.get(source).unwrap_or("").to_string(),
            target: row.get(target).unwrap_or("").to_string(),
            estimated_bytes: num(bytes),
            estimated_items: num(items),
        });
    }
    Some(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct MailboxProgress {
    pub wave: u32,
    pub source: String,
    pub target: String,
    pub estimated_bytes: Option<u64>,
    pub estimated_items: Option<u64>,
    /// From the last progress record; all `None` (and `state` = "no status yet") without one.
    pub engine: Option<String>,
    pub pass: Option<String>,
    pub state: String,
    pub bytes: Option<u64>,
    pub items: Option<u64>,
    pub errors: Option<u64>,
    /// Moved bytes as a share of the estimate, in percent (not capped: an estimate can be low).
    pub percent: Option<f64>,
    /// When the last progress record was written.
    pub at: Option<String>,
    /// When the pass should end at the rate between this pass's first and last records;
    /// `None` when there is no such rate (one record, no estimate, nothing moved in between).
    pub eta: Option<String>,
    /// `done`, `running`, `stopped`, `failed` or `none` (no status yet): the chart's colour.
    pub class: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaveProgress {
    pub wave: u32,
    pub mailboxes: u64,
    pub done: u64,
    pub running: u64,
    pub stopped: u64,
    pub failed: u64,
    pub no_status: u64,
    /// Sum of the estimates (`None` when no mailbox of the wave has one).
    pub estimated_bytes: Option<u64>,
    /// Mailboxes of the wave without an estimate (not in `estimated_bytes`).
    pub unestimated: u64,
    /// Sum of the bytes reported moved (`None` when no mailbox reported any).
    pub moved_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrationSummary {
    /// Waves this run was asked for (`cutover run --wave`); empty: not restricted.
    pub waves_run: Vec<u32>,
    pub waves: Vec<WaveProgress>,
    pub mailboxes: Vec<MailboxProgress>,
}

/// How the chart colours an engine's state text. The text itself is shown as the engine wrote
/// it; this only groups MigrationWiz's (Submitted, Processing, Stopping, Stopped, Completed,
/// Failed) and the native Get-MigrationUser statuses (Queued, Syncing, Synced, Completing,
/// Completed, Stopped, Failed, ...).
pub fn class_of(state: &str) -> &'static str {
    match state.trim().to_ascii_lowercase().as_str() {
        "completed" | "completedwithwarning" | "completedwithwarnings" | "synced" => "done",
        "failed" | "corrupted" | "incrementalsyncfailed" | "completionfailed" => "failed",
        "stopped" | "stopping" | "suspended" | "removed" => "stopped",
        _ => "running",
    }
}

fn parse_at(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The mailbox a progress record is about: its target, else the last part of its op id.
fn key_of(r: &ResultRecord) -> String {
    let t = r.target.trim();
    let k = if t.is_empty() {
        r.op.rsplit(':').next().unwrap_or("")
    } else {
        t
    };
    k.to_lowercase()
}

pub fn summarize(planned: &[Planned], records: &Records, waves_run: &[u32]) -> MigrationSummary {
    let redactor = Redactor::patterns_only();
    // Every progress record per mailbox, in journal order.
    let mut by_mailbox: HashMap<String, Vec<&ResultRecord>> = HashMap::new();
    for r in records.records.iter().filter(|r| r.progress.is_some()) {
        by_mailbox.entry(key_of(r)).or_default().push(r);
    }
    let mut mailboxes = Vec::with_capacity(planned.len());
    for p in planned {
        let found = by_mailbox
            .get(&p.source.to_lowercase())
            .or_else(|| by_mailbox.get(&p.target.to_lowercase()));
        let last = found.and_then(|v| v.last());
        let progress = last.and_then(|r| r.progress.as_ref());
        let state = progress.map_or_else(|| NO_STATUS.to_string(), |g| redactor.redact(&g.state));
        let class = progress.map_or("none", |g| class_of(&g.state));
        let percent = match (progress.and_then(|g| g.bytes), p.estimated_bytes) {
            (Some(b), Some(e)) if e > 0 => Some((b as f64 * 1000.0 / e as f64).round() / 10.0),
            _ => None,
        };
        let eta = found.and_then(|v| eta(v, p.estimated_bytes, class));
        mailboxes.push(MailboxProgress {
            wave: p.wave,
            source: p.source.clone(),
            target: p.target.clone(),
            estimated_bytes: p.estimated_bytes,
            estimated_items: p.estimated_items,
            engine: progress.map(|g| redactor.redact(&g.engine)),
            pass: progress.map(|g| redactor.redact(&g.pass)),
            state,
            bytes: progress.and_then(|g| g.bytes),
            items: progress.and_then(|g| g.items),
            errors: progress.and_then(|g| g.errors),
            percent,
            at: last.map(|r| r.at.clone()),
            eta,
            class,
        });
    }
    let mut waves: Vec<WaveProgress> = Vec::new();
    for m in &mailboxes {
        let at = match waves.iter().position(|w| w.wave == m.wave) {
            Some(i) => i,
            None => {
                waves.push(WaveProgress {
                    wave: m.wave,
                    mailboxes: 0,
                    done: 0,
                    running: 0,
                    stopped: 0,
                    failed: 0,
                    no_status: 0,
                    estimated_bytes: None,
                    unestimated: 0,
                    moved_bytes: None,
                });
                waves.len() - 1
            }
        };
        let Some(w) = waves.get_mut(at) else { continue };
        w.mailboxes += 1;
        match m.class {
            "done" => w.done += 1,
            "failed" => w.failed += 1,
            "stopped" => w.stopped += 1,
            "running" => w.running += 1,
            _ => w.no_status += 1,
        }
        match m.estimated_bytes {
            Some(e) => w.estimated_bytes = Some(w.estimated_bytes.unwrap_or(0).saturating_add(e)),
            None => w.unestimated += 1,
        }
        if let Some(b) = m.bytes {
            w.moved_bytes = Some(w.moved_bytes.unwrap_or(0).saturating_add(b));
        }
    }
    waves.sort_by_key(|w| w.wave);
    MigrationSummary {
        waves_run: waves_run.to_vec(),
        waves,
        mailboxes,
    }
}

/// The end of the current pass at the rate its records show: bytes moved between the pass's
/// first and last record over the time between them, towards the estimate.
fn eta(records: &[&ResultRecord], estimate: Option<u64>, class: &str) -> Option<String> {
    if class != "running" {
        return None;
    }
    let last = records.last()?;
    let pass = &last.progress.as_ref()?.pass;
    let first = records
        .iter()
        .find(|r| r.progress.as_ref().is_some_and(|g| &g.pass == pass))?;
    let (b0, b1) = (
        first.progress.as_ref()?.bytes?,
        last.progress.as_ref()?.bytes?,
    );
    let (t0, t1) = (parse_at(&first.at)?, parse_at(&last.at)?);
    let secs = (t1 - t0).num_seconds();
    if b1 <= b0 || secs <= 0 {
        return None;
    }
    let left = estimate?.checked_sub(b1)?;
    let rate = (b1 - b0) as f64 / secs as f64;
    let more = (left as f64 / rate).min(3650.0 * 86400.0) as i64;
    Some(
        (t1 + chrono::Duration::seconds(more))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    )
}

/// "1.2 GB of 3.4 GB (35.3 %)" for one mailbox; "-" for nothing reported (the state column
/// says "no status yet"), with the estimate when there is one.
pub fn moved_text(m: &MailboxProgress) -> String {
    use crate::plan::migration::human_bytes;
    let est = m.estimated_bytes.map(human_bytes);
    match (m.bytes, m.percent, est) {
        (Some(b), Some(p), Some(e)) => format!("{} of {e} ({p:.1} %)", human_bytes(b)),
        (Some(b), _, Some(e)) => format!("{} of {e}", human_bytes(b)),
        (Some(b), _, None) => format!("{} (no estimate)", human_bytes(b)),
        (None, _, Some(e)) => format!("- (estimate {e})"),
        (None, _, None) => "-".to_string(),
    }
}

/// "3 of 5 done, 1 running, 1 no status yet" for one wave.
pub fn wave_text(w: &WaveProgress) -> String {
    let mut parts = vec![format!("{} of {} done", w.done, w.mailboxes)];
    for (n, what) in [
        (w.running, "running"),
        (w.stopped, "stopped"),
        (w.failed, "failed"),
        (w.no_status, NO_STATUS),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// Moved of estimated bytes for a wave.
pub fn wave_bytes_text(w: &WaveProgress) -> String {
    use crate::plan::migration::human_bytes;
    let text = match (w.moved_bytes, w.estimated_bytes) {
        (Some(b), Some(e)) => format!("{} of {}", human_bytes(b), human_bytes(e)),
        (Some(b), None) => format!("{} (no estimate)", human_bytes(b)),
        (None, Some(e)) => format!("none reported (estimate {})", human_bytes(e)),
        (None, None) => "none reported".to_string(),
    };
    match w.unestimated {
        n if n > 0 && w.estimated_bytes.is_some() => {
            format!("{text}; {n} mailbox(es) without an estimate")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::protocol::{Progress, Status};

    fn rec(target: &str, at: &str, pass: &str, state: &str, bytes: Option<u64>) -> ResultRecord {
        ResultRecord {
            step: "3x-status".into(),
            op: format!("migration:status:{target}"),
            action: "read".into(),
            target: target.into(),
            status: Status::Unchanged,
            error: None,
            at: at.into(),
            progress: Some(Progress {
                engine: "migrationwiz".into(),
                pass: pass.into(),
                state: state.into(),
                items: None,
                bytes,
                errors: Some(0),
            }),
        }
    }

    fn planned(wave: u32, source: &str, bytes: Option<u64>) -> Planned {
        Planned {
            wave,
            source: source.into(),
            target: source.into(),
            estimated_bytes: bytes,
            estimated_items: None,
        }
    }

    #[test]
    fn no_record_is_no_status_never_zero_or_done() {
        let records = Records {
            records: vec![rec(
                "a@x.com",
                "2026-12-01T10:00:00Z",
                "prestage",
                "Processing",
                Some(100),
            )],
            bad_lines: vec![],
        };
        let s = summarize(
            &[
                planned(1, "a@x.com", Some(1000)),
                planned(2, "b@x.com", Some(500)),
            ],
            &records,
            &[],
        );
        let b = &s.mailboxes[1];
        assert_eq!(
            (b.state.as_str(), b.class, b.percent, b.bytes),
            (NO_STATUS, "none", None, None)
        );
        assert_eq!(s.mailboxes[0].percent, Some(10.0));
        assert_eq!(s.waves[1].no_status, 1);
        assert_eq!(s.waves[1].moved_bytes, None);
        assert_eq!(s.waves[0].running, 1);
    }

    #[test]
    fn eta_from_the_rate_of_the_current_pass() {
        // 100 -> 400 bytes in 300 s: 1 B/s; 600 left of 1000: 600 s after the last record.
        let records = Records {
            records: vec![
                rec(
                    "a@x.com",
                    "2026-12-01T09:00:00Z",
                    "verification",
                    "Completed",
                    Some(0),
                ),
                rec(
                    "a@x.com",
                    "2026-12-01T10:00:00Z",
                    "prestage",
                    "Processing",
                    Some(100),
                ),
                rec(
                    "a@x.com",
                    "2026-12-01T10:05:00Z",
                    "prestage",
                    "Processing",
                    Some(400),
                ),
            ],
            bad_lines: vec![],
        };
        let s = summarize(&[planned(1, "A@x.com", Some(1000))], &records, &[1]);
        let a = &s.mailboxes[0];
        assert_eq!(a.eta.as_deref(), Some("2026-12-01T10:15:00Z"));
        assert_eq!(a.pass.as_deref(), Some("prestage"));
        assert_eq!(s.waves_run, [1]);
        // Completed: no ETA, and the chart counts it done.
        let done = Records {
            records: vec![rec(
                "a@x.com",
                "2026-12-01T11:00:00Z",
                "full",
                "Completed",
                Some(900),
            )],
            bad_lines: vec![],
        };
        let s = summarize(&[planned(1, "a@x.com", Some(1000))], &done, &[]);
        assert_eq!((s.mailboxes[0].eta.clone(), s.waves[0].done), (None, 1));
    }

    #[test]
    fn states_are_grouped_for_the_chart_only() {
        assert_eq!(class_of("Completed"), "done");
        assert_eq!(class_of("Synced"), "done");
        assert_eq!(class_of("Failed"), "failed");
        assert_eq!(class_of("Stopping"), "stopped");
        assert_eq!(class_of("Submitted"), "running");
    }
}
