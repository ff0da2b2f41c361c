use std::io::Write;

use crate::cli::{FindingFormat, LintArgs};
use crate::diag;
use crate::error::{Error, Exit, Result};
use crate::input::FileKind;
use crate::project::Project;

use super::json_text;
use crate::rules::{self, LintRequest};

pub fn run(mut args: LintArgs) -> Result<Exit> {
    project_folder(&mut args)?;
    let project = Project::load(&args.project)?;
    let kind = args
        .kind
        .as_deref()
        .map(str::parse::<FileKind>)
        .transpose()?;
    let i = &project.inputs;
    let has_inputs = [
        &i.users,
        &i.groups,
        &i.members,
        &i.mailboxes,
        &i.stats,
        &i.permissions,
        &i.contacts,
    ]
    .iter()
    .any(|p| p.is_some());
    if args.files.is_empty() && !has_inputs {
        return Err(Error::Usage(
            "nothing to lint: give FILES, --users/--groups/--members, or a cutover.toml with [inputs]"
                .into(),
        ));
    }
    let report = rules::lint(&LintRequest {
        project: &project,
        files: &args.files,
        kind,
    })?;
    let text = match args.format {
        FindingFormat::Human => {
            diag::human::lint_report_styled(&report, diag::human::colour_stdout(), super::quiet())
        }
        FindingFormat::Json => json_text(&diag::json::lint_report(&report))?,
        FindingFormat::Sarif => json_text(&diag::sarif::render(&report.findings))?,
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))?;
    if report.has_unreadable() {
        return Err(Error::Usage(
            "some input files could not be read (see F001 above)".into(),
        ));
    }
    let failing = report.errors() > 0 || (args.strict && report.warnings() > 0);
    Ok(if failing { Exit::Findings } else { Exit::Clean })
}

/// `cutover lint FOLDER`: a project folder (one holding a cutover.toml) is that project, linted
/// as with `--config FOLDER/cutover.toml`, so its missing tenant or domains are S012 errors.
fn project_folder(args: &mut LintArgs) -> Result<()> {
    let Some(i) = args.files.iter().position(|f| f.is_dir()) else {
        return Ok(());
    };
    let dir = args.files.remove(i);
    let config = dir.join(crate::project::DEFAULT_CONFIG);
    if !config.is_file() {
        return Err(Error::Usage(format!(
            "{} is a folder without a {}: give the files to lint, or the project folder",
            dir.display(),
            crate::project::DEFAULT_CONFIG
        )));
    }
    if args.project.config.is_some() || args.files.iter().any(|f| f.is_dir()) {
        return Err(Error::Usage(
            "lint one project at a time: a project folder, or --config".into(),
        ));
    }
    args.project.config = Some(config);
    Ok(())
}
