//! `cutover demo`: lint, estimate, plan and bundle the built-in samples, then show a run and its report
//! against the demo's stand-in for pwsh (said loudly: nothing runs PowerShell or touches a tenant).

use std::path::{Path, PathBuf};

use crate::audit::estimate::{Settings, DEFAULT_RECENT_FRACTION};
use crate::audit::render;
use crate::bundle::pipeline::{make, Outcome};
use crate::cli::{DemoArgs, ReportFormat};
use crate::demo::{self, stand_in};
use crate::diag;
use crate::error::{Error, Exit, Result};
use crate::report;
use crate::rules::{self, LintRequest};
use crate::run::{self, Mode, ProgressMode, RunOptions};

use super::plan::summary;
use super::run::step_line;

pub fn run(args: DemoArgs) -> Result<Exit> {
    let dir = match args.out {
        Some(d) => d,
        None => tempfile::Builder::new()
            .prefix("cutover-demo-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?
            .keep(),
    };
    let samples: PathBuf = dir.join("samples");
    // With a real PowerShell the demo rehearses the bundle against the simulated tenant; the
    // samples then license their users, so that Exchange Online creates their mailboxes.
    let pwsh = run::pwsh::discover(args.pwsh.as_deref())
        .ok()
        .and_then(|p| run::pwsh::probe(&p).ok());
    let project = demo::write_samples(&samples)?;
    let project = match &pwsh {
        Some(_) => demo::license_samples(&samples)?,
        None => project,
    };
    let config = samples.join("cutover.toml");
    println!("cutover demo: sample inputs in {}", samples.display());

    println!("\n$ cutover lint --config {}\n", config.display());
    let report = rules::lint(&LintRequest {
        project: &project,
        files: &[],
        kind: None,
    })?;
    print!("{}", diag::human::lint_report(&report));
    if report.errors() > 0 {
        return Ok(Exit::Findings);
    }

    println!("\n$ cutover estimate --config {}\n", config.display());
    let settings = Settings {
        // samples/cutover.toml sets it; the demo test fails if it ever does not.
        bandwidth_mbps: project.bandwidth_mbps.ok_or_else(|| {
            Error::Other(anyhow::anyhow!(
                "samples/cutover.toml has no [estimate] bandwidth_mbps"
            ))
        })?,
        concurrency: project.concurrency,
        prestage_days: project.prestage_days,
        recent_fraction: DEFAULT_RECENT_FRACTION,
        batch_size: None,
        start: chrono::Utc::now().date_naive(),
    };
    let (e, _) = super::estimate::compute(&project, &settings)?;
    print!("{}", render::overview(&e));
    println!("(the full table adds delegate batches, a schedule and the assumptions behind it)");

    let bundle = dir.join("bundle");
    let secrets = dir.join("secrets.csv");
    println!(
        "\n$ cutover bundle --config {} --out {} --secrets-out {}\n",
        config.display(),
        bundle.display(),
        secrets.display()
    );
    // Both are this demo's own output from an earlier `demo --out DIR`, never the user's files.
    remove_if_present(&secrets)?;
    let (plan, manifest) = match make(&project, None, &bundle, true, Some(&secrets))? {
        Outcome::Refused(r) => {
            print!("{}", diag::human::lint_report(&r));
            return Ok(Exit::Findings);
        }
        Outcome::Written { plan, manifest, .. } => (plan, manifest),
    };
    println!("{}", summary(&plan));
    println!(
        "wrote {} steps to {} (start with its README.md and PLAN.md)",
        manifest.steps.len(),
        bundle.display()
    );
    println!(
        "the sample passwords went to {} (owner-only), never into the bundle",
        secrets.display()
    );

    let notices_dir = dir.join("notices");
    println!(
        "\n$ cutover notices --config {} --out {}\n",
        config.display(),
        notices_dir.display()
    );
    let tenant = crate::model::load::load_tenant(&project)?;
    let dates = crate::notices::Dates::resolve(&project, None)?;
    let built = crate::notices::build(&project, &tenant, dates)?;
    remove_dir_if_present(&notices_dir)?;
    let written = crate::notices::write(&built, &notices_dir)?;
    println!(
        "notices: {} messages for {} users (announcement {}, reminder {}, cutover day {}, checklist {}); mail merge: {}",
        written.files,
        tenant.users.len(),
        dates.announce,
        dates.reminder,
        dates.cutover,
        dates.after,
        written.csv.display()
    );

    if let Some(pwsh) = pwsh {
        return rehearse_demo(&dir, &bundle, &secrets, &pwsh.path);
    }
    // A member added before its mailbox exists is the commonest first-run failure.
    let fail_op = first_op(&bundle, &manifest, crate::plan::StepKind::Members.id())?;
    println!("\n{}", banner("below"));
    let pwsh = stand_in::install(&dir.join("demo-pwsh"))?;
    println!(
        "\n$ cutover run {} --pwsh {} --secrets {}\n",
        bundle.display(),
        pwsh.display(),
        secrets.display()
    );
    let mut opts = RunOptions::new(&bundle);
    opts.pwsh = Some(pwsh);
    opts.secrets = Some(secrets);
    opts.mode = Mode::Fresh;
    opts.progress = ProgressMode::Plain;
    if let Some(op) = &fail_op {
        opts.env
            .push((stand_in::ENV_FAIL_OP.to_string(), op.clone()));
    }
    let outcome = run::run_bundle(&opts)?;
    for s in &outcome.steps {
        println!("{}", step_line(&s.id, &s.status));
    }

    println!(
        "\n$ cutover report {} --format md\n",
        outcome.run_dir.display()
    );
    print!("{}", report::render(&outcome.run_dir, ReportFormat::Md)?);
    let html = dir.join("report.html");
    let page = report::render(&outcome.run_dir, ReportFormat::Html)?;
    std::fs::write(&html, page).map_err(|e| Error::io(&html, e))?;
    println!("\n{}", banner("above"));
    println!("HTML report of the simulated run: {}", html.display());
    println!(
        "On a jump box with PowerShell 7: cutover run {} --what-if, then without --what-if.",
        bundle.display()
    );
    Ok(Exit::Clean)
}

/// The demo's run with a real PowerShell: `cutover rehearse` against the simulated tenant.
fn rehearse_demo(dir: &Path, bundle: &Path, secrets: &Path, pwsh: &Path) -> Result<Exit> {
    println!(
        "\n$ cutover rehearse {} --pwsh {} --secrets {}\n",
        bundle.display(),
        pwsh.display(),
        secrets.display()
    );
    println!("REHEARSAL: every step runs in real PowerShell ({}) against cutover's simulated tenant; no tenant exists and nothing is sent anywhere.\n", pwsh.display());
    let mut opts = crate::rehearse::RehearseOptions::new(bundle);
    opts.pwsh = Some(pwsh.to_path_buf());
    opts.secrets = Some(secrets.to_path_buf());
    opts.progress = ProgressMode::Plain;
    let out = crate::rehearse::rehearse(&opts)?;
    for s in &out.run.steps {
        println!("{}", step_line(&s.id, &s.status));
    }
    let c = &out.comparison;
    if c.matches() {
        println!(
            "\nsimulated tenant equals the plan: {} planned facts hold, nothing extra",
            c.checked
        );
    } else {
        println!(
            "\nsimulated tenant differs from the plan: {} of {} planned facts missing, {} extra",
            c.missing.len(),
            c.checked,
            c.extra.len()
        );
        for l in c.lines() {
            println!("  {l}");
        }
    }
    println!(
        "\n$ cutover report {} --format md\n",
        out.run.run_dir.display()
    );
    print!("{}", report::render(&out.run.run_dir, ReportFormat::Md)?);
    let html = dir.join("report.html");
    let page = report::render(&out.run.run_dir, ReportFormat::Html)?;
    std::fs::write(&html, page).map_err(|e| Error::io(&html, e))?;
    println!(
        "\nHTML report of the rehearsal (simulated tenant): {}",
        html.display()
    );
    println!(
        "On a jump box with PowerShell 7: cutover run {} --what-if, then without --what-if.",
        bundle.display()
    );
    Ok(Exit::Clean)
}

fn banner(where_: &str) -> String {
    let line = "=".repeat(78);
    format!(
        "{line}\nDEMO MODE: no PowerShell is installed here and no tenant exists. The run {where_} uses\n\
         cutover's demo stand-in for pwsh: it runs none of the scripts, touches nothing, and\n\
         writes a made-up result for each planned operation (one staged failure).\n{line}"
    )
}

/// The first planned operation of `step`, if the bundle has that step.
fn first_op(
    bundle: &Path,
    manifest: &crate::bundle::manifest::Manifest,
    step: &str,
) -> Result<Option<String>> {
    let Some((file, op_id)) = manifest
        .steps
        .iter()
        .find(|s| s.id == step)
        .and_then(|s| Some((s.ops_file.as_ref()?, s.op_id.as_deref())))
    else {
        return Ok(None);
    };
    let path = bundle.join(file);
    Ok(crate::run::verify::read_planned(&path, op_id)?
        .into_iter()
        .next())
}

fn remove_dir_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}
