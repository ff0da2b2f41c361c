//! `cutover notices`: per-user messages (announcement, reminder, cutover-day instructions,
//! after-cutover checklist) as `.eml` files and a mail-merge CSV.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::audit::estimate::{Settings, DEFAULT_RECENT_FRACTION};
use crate::cli::NoticesArgs;
use crate::error::{Error, Exit, Result};
use crate::notices::{self, templates, Dates, Kind};
use crate::project::Project;
use crate::rules::{self, LintRequest};

use super::plan::refuse;

/// What `--force` may remove from an earlier run's folder (nothing else is touched).
const OWNED: [&str; 6] = [
    "announcement",
    "reminder",
    "cutover-day",
    "after",
    "notices.csv",
    "VARIABLES.md",
];

pub fn run(args: NoticesArgs) -> Result<Exit> {
    if args.variables {
        std::io::stdout()
            .lock()
            .write_all(templates::variables_markdown().as_bytes())
            .map_err(|e| Error::io("<stdout>", e))?;
        return Ok(Exit::Clean);
    }
    let Some(out) = args.out.as_deref() else {
        return Err(Error::Usage(
            "notices needs --out DIR (or --variables to list the template variables)".into(),
        ));
    };
    let project = Project::load(&args.project)?;
    crate::bundle::check_out(out, args.force)?;
    let lint = rules::lint(&LintRequest {
        project: &project,
        files: &[],
        kind: None,
    })?;
    if lint.errors() > 0 || lint.has_unreadable() {
        return Ok(refuse("notices", &lint));
    }
    let tenant = crate::model::load::load_tenant(&project)?;
    if tenant.users.is_empty() {
        return Err(Error::Usage(
            "no users to notify: the notices go to the people in the users file ([inputs] users or --users)".into(),
        ));
    }
    let fallback = match project.schedule.cutover {
        Some(_) => None,
        None => estimated_cutover(&project),
    };
    if let Some(d) = fallback {
        eprintln!(
            "note: no [schedule] cutover in cutover.toml: using the estimate's cutover day, {d} (it moves as the estimate's start moves; set [schedule] cutover = {d} to fix it)"
        );
    }
    let dates = Dates::resolve(&project, fallback)?;
    let built = notices::build(&project, &tenant, dates)?;
    clear(out)?;
    let written = notices::write(&built, out)?;
    println!(
        "notices: {} messages for {} users in {}",
        written.files,
        written.files / Kind::ALL.len(),
        out.display()
    );
    for kind in Kind::ALL {
        println!(
            "  {:<13} send on {} (until {}), {}/",
            kind.id(),
            dates.send_on(kind),
            dates.send_by(kind),
            kind.id()
        );
    }
    println!(
        "mail merge: {}; template variables: {}",
        written.csv.display(),
        out.join("VARIABLES.md").display()
    );
    Ok(Exit::Clean)
}

/// The estimate's cutover day (from today), when the project has what the estimate needs.
fn estimated_cutover(project: &Project) -> Option<NaiveDate> {
    let bandwidth = project.bandwidth_mbps?;
    project.inputs.mailboxes.as_ref()?;
    project.inputs.stats.as_ref()?;
    let settings = Settings {
        bandwidth_mbps: bandwidth,
        concurrency: project.concurrency,
        prestage_days: project.prestage_days,
        recent_fraction: DEFAULT_RECENT_FRACTION,
        batch_size: None,
        start: chrono::Utc::now().date_naive(),
    };
    super::estimate::compute(project, &settings)
        .ok()
        .map(|(e, _)| e.schedule.cutover)
}

fn clear(out: &Path) -> Result<()> {
    for name in OWNED {
        let p = out.join(name);
        if p.is_dir() {
            std::fs::remove_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        } else if p.exists() {
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))
}
