//! `cutover estimate`: data volume, transfer time, batches and a schedule from the exports.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::audit::estimate::{estimate, Estimate, Settings, DEFAULT_RECENT_FRACTION};
use crate::audit::render;
use crate::cli::{EstimateArgs, TableFormat};
use crate::diag::{Finding, Severity};
use crate::error::{Error, Exit, Result};
use crate::input::{self, columns, FileKind, OpenError, Options};
use crate::project::Project;

pub fn run(args: EstimateArgs) -> Result<Exit> {
    let mut project = Project::load(&args.project)?;
    if let Some(gb) = args.mailbox_limit_gb {
        project.mailbox_limit_gb = gb;
        project.mailbox_limit_set = true;
    }
    if project.inputs.mailboxes.is_none() || project.inputs.stats.is_none() {
        let source = if project.source_version.has_shell() {
            "The bundle's 05-source-export step writes them (mailboxes.csv, mailbox-stats.csv) on \
             the source Exchange server: `cutover bundle`, then run that step there as \
             `cutover run` prints it; or export Get-Mailbox and Get-MailboxStatistics yourself"
        } else {
            "Exchange 2003 has no Exchange Management Shell, so no bundle step writes them: export \
             the mailboxes and their sizes by hand in the layout `cutover init` writes"
        };
        return Err(Error::Usage(format!(
            "estimate needs the mailbox exports: --mailboxes FILE and --stats FILE (or [inputs] \
             mailboxes and stats in cutover.toml). {source}"
        )));
    }
    let settings = settings(&args, &project)?;
    let (e, findings) = compute(&project, &settings)?;
    let text = match args.format {
        TableFormat::Table => render::table(&e),
        TableFormat::Json => render::json(&e, &findings),
        TableFormat::Csv => render::csv(&e)?,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .map_err(|e| Error::Other(e.into()))?;
    if args.format != TableFormat::Json {
        print_findings(&findings);
    }
    Ok(if findings.iter().any(|f| f.severity == Severity::Error) {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// Checks and loads the project's inputs, audits them and estimates: the estimate and the
/// findings about its inputs, in file and line order. `demo` calls it too.
pub fn compute(project: &Project, settings: &Settings) -> Result<(Estimate, Vec<Finding>)> {
    let given = [
        (
            &project.inputs.mailboxes,
            FileKind::Mailboxes,
            "--mailboxes",
        ),
        (&project.inputs.stats, FileKind::MailboxStats, "--stats"),
        (
            &project.inputs.permissions,
            FileKind::Permissions,
            "--permissions",
        ),
    ];
    for (path, kind, option) in given {
        if let Some(p) = path {
            check_input(p, kind, option, project)?;
        }
    }
    if let Some(p) = project.inputs.users.as_deref().filter(|p| p.is_file()) {
        check_input(p, FileKind::Users, "--users", project)?;
    }
    let inputs = crate::audit::load_project(project)?;
    let audit = crate::audit::audit(
        &inputs.mailboxes,
        &inputs.stats,
        &inputs.permissions,
        &inputs.users,
        project,
    );
    let e = estimate(&inputs.mailboxes, &audit.usage, &audit.groups, settings);
    let mut findings = inputs.findings;
    findings.extend(audit.findings);
    let mut findings = crate::audit::findings::cap(findings);
    findings.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok((e, findings))
}

/// Sane limits for the estimate's settings: far beyond any real migration, small enough that
/// nothing sized by them (the migration slots, a batch) can exhaust memory.
const MAX_BANDWIDTH_MBPS: f64 = 1_000_000.0;
const MAX_CONCURRENCY: u32 = 100_000;
const MAX_BATCH_SIZE: usize = 10_000_000;
const MAX_PRESTAGE_DAYS: u32 = 3650;
const MAX_MAILBOX_LIMIT_GB: f64 = 1_000_000.0;

/// A setting (from a flag or cutover.toml) outside `lo..=hi` is a usage error that names both.
fn in_range(what: &str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{what} {value} is out of range: use a number from {lo} to {hi}"
    )))
}

fn settings(args: &EstimateArgs, project: &Project) -> Result<Settings> {
    let bandwidth = args
        .bandwidth_mbps
        .or(project.bandwidth_mbps)
        .ok_or_else(|| {
            Error::Usage(
                "estimate needs the bandwidth: --bandwidth-mbps N or [estimate] bandwidth_mbps"
                    .into(),
            )
        })?;
    in_range("bandwidth (Mbps)", bandwidth, 0.001, MAX_BANDWIDTH_MBPS)?;
    let recent_fraction = args.recent_fraction.unwrap_or(DEFAULT_RECENT_FRACTION);
    in_range("--recent-fraction", recent_fraction, 0.0, 1.0)?;
    let concurrency = args.concurrency.or(project.concurrency);
    if let Some(c) = concurrency {
        in_range("concurrency", f64::from(c), 1.0, f64::from(MAX_CONCURRENCY))?;
    }
    if let Some(n) = args.batch_size {
        in_range("--batch-size", n as f64, 1.0, MAX_BATCH_SIZE as f64)?;
    }
    let prestage_days = args.prestage_days.unwrap_or(project.prestage_days);
    in_range(
        "pre-stage days",
        f64::from(prestage_days),
        0.0,
        f64::from(MAX_PRESTAGE_DAYS),
    )?;
    in_range(
        "mailbox limit (GB)",
        project.mailbox_limit_gb,
        0.001,
        MAX_MAILBOX_LIMIT_GB,
    )?;
    let start = match &args.start {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| Error::Usage(format!("--start '{s}' is not a date like 2026-12-01")))?,
        None => chrono::Utc::now().date_naive(),
    };
    Ok(Settings {
        bandwidth_mbps: bandwidth,
        concurrency,
        prestage_days,
        recent_fraction,
        batch_size: args.batch_size,
        start,
    })
}

/// Refuses an input that is not what its option says: a header of another kind (a users file
/// given as `--stats` would otherwise be one M001 per row and 0 bytes), or a header without
/// the columns the kind cannot do without. `cutover lint` reports the same in detail.
fn check_input(path: &Path, kind: FileKind, option: &str, project: &Project) -> Result<()> {
    let opts = Options {
        kind: Some(kind),
        delimiter: project.delimiter,
    };
    let name = path.display();
    let reader = match input::open(path, &opts) {
        Ok(r) => r,
        // No grants is a valid permissions export; no mailboxes or statistics is not.
        Err(OpenError::Empty) if kind == FileKind::Permissions => return Ok(()),
        Err(OpenError::Unreadable(e)) => return Err(Error::io(path, e)),
        Err(e) => return Err(Error::Usage(format!("{option} {name}: {e}"))),
    };
    let header = reader.header();
    if let Some(found) = columns::infer_kind(&header.names).filter(|k| *k != kind) {
        return Err(Error::Usage(format!(
            "{option} {name}: the header is that of a {found} file, not a {kind} file (run `cutover lint {name}` to see how it was read)"
        )));
    }
    let missing: Vec<&str> = columns::required(kind)
        .iter()
        .filter(|c| !header.has(**c))
        .map(|c| c.canonical())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "{option} {name}: a {kind} file needs the column(s) {}; the header has {}",
            missing.join(", "),
            header.names.join(", ")
        )));
    }
    Ok(())
}

/// The findings in lint's human form on standard error, so the table or CSV stays clean.
fn print_findings(findings: &[Finding]) {
    if !findings.is_empty() {
        let _ = std::io::stderr()
            .lock()
            .write_all(crate::diag::human::findings(findings).as_bytes());
    }
}
