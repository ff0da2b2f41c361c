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
    let settings = settings(&args, &project)?;
    if project.inputs.mailboxes.is_none() || project.inputs.stats.is_none() {
        return Err(Error::Usage(
            "estimate needs --mailboxes FILE and --stats FILE (or [inputs] mailboxes and stats in cutover.toml)".into(),
        ));
    }
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
    if !(bandwidth.is_finite() && bandwidth > 0.0) {
        return Err(Error::Usage(format!(
            "bandwidth {bandwidth} Mbps must be a positive number"
        )));
    }
    let recent_fraction = args.recent_fraction.unwrap_or(DEFAULT_RECENT_FRACTION);
    if !(0.0..=1.0).contains(&recent_fraction) {
        return Err(Error::Usage(format!(
            "--recent-fraction {recent_fraction} must be between 0 and 1"
        )));
    }
    let concurrency = args.concurrency.or(project.concurrency);
    if concurrency == Some(0) {
        return Err(Error::Usage("concurrency must be at least 1".into()));
    }
    if args.batch_size == Some(0) {
        return Err(Error::Usage("--batch-size must be at least 1".into()));
    }
    let start = match &args.start {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| Error::Usage(format!("--start '{s}' is not a date like 2026-12-01")))?,
        None => chrono::Utc::now().date_naive(),
    };
    Ok(Settings {
        bandwidth_mbps: bandwidth,
        concurrency,
        prestage_days: args.prestage_days.unwrap_or(project.prestage_days),
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
    let missing = columns::missing_required(kind, header);
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
