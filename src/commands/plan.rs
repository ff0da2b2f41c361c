use crate::cli::PlanArgs;
use crate::diag;
use crate::error::{Error, Exit, Result};
use crate::plan::prepare::{prepare, Prepared};
use crate::plan::{markdown, Change, Plan, State};
use crate::project::Project;
use crate::rules::LintReport;

pub fn run(args: PlanArgs) -> Result<Exit> {
    let project = Project::load(&args.project)?;
    let state = args.state.as_deref().map(State::load).transpose()?;
    let (tenant, plan) = match prepare(&project, state.as_ref(), Some(&args.out))? {
        Prepared::Refused(report) => return Ok(refuse("plan", &report)),
        Prepared::Ready { tenant, plan, .. } => (tenant, plan),
    };
    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let json = out.join("plan.json");
    let md = out.join("PLAN.md");
    let data = out.join(crate::plan::contract::DATA_DIR);
    for p in [&json, &md, &data] {
        refuse_symlink(p)?;
    }
    crate::plan::contract::write(&plan, out)?;
    std::fs::write(&md, markdown::render(&plan)?).map_err(|e| Error::io(&md, e))?;
    if !super::quiet() {
        println!("{}", summary(&plan));
        if let Some(m) = &plan.migration {
            println!("{}", migration_summary(m));
        }
        println!(
            "wrote {}, {} and {}",
            json.display(),
            data.display(),
            md.display()
        );
    }
    print_left_out(&plan);
    leave_to_exit(tenant, plan);
    Ok(Exit::Clean)
}

/// The command ends and the process with it: freeing a large tenant and plan one string at a
/// time (millions of them at 100,000 users) would take a tenth of the run, so the operating
/// system takes the memory back whole.
pub fn leave_to_exit(tenant: Box<crate::model::Tenant>, plan: Box<Plan>) {
    std::mem::forget(tenant);
    std::mem::forget(plan);
}

/// A symbolic link where the plan goes would write the plan wherever it points.
fn refuse_symlink(path: &std::path::Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::Usage(format!(
            "{} is a symbolic link: cutover writes the plan only as a real file; remove the link \
             or choose another --out",
            path.display()
        )));
    }
    Ok(())
}

/// Prints lint's errors and the refusal; the exit status is 1 (findings).
pub(crate) fn refuse(what: &str, report: &LintReport) -> Exit {
    eprint!("{}", diag::human::lint_report(report));
    eprintln!(
        "cutover: {what} refused: lint reports {} error(s) in the inputs; fix them and run again",
        report.errors()
    );
    Exit::Findings
}

pub(crate) fn summary(plan: &Plan) -> String {
    format!(
        "plan: {} steps, {} to create, {} to update, {} unchanged, {} checks",
        plan.steps.len(),
        plan.count(Change::Create),
        plan.count(Change::Update),
        plan.count(Change::Unchanged),
        plan.count(Change::Check)
    )
}

/// One line on the migration schedule (PLAN.md has the waves).
pub(crate) fn migration_summary(m: &crate::plan::migration::MigrationPlan) -> String {
    use crate::diag::human::plural;
    use crate::plan::migration::pass_text;
    format!(
        "migration: {}, {} in {}; pre-stage {}{}; full pass {}",
        m.engine.as_str(),
        plural(m.mailbox_count(), "mailbox"),
        plural(m.waves.len(), "wave"),
        pass_text(&m.prestage),
        m.item_end_date
            .map(|d| format!(" (mail before {d})"))
            .unwrap_or_default(),
        pass_text(&m.final_pass_estimate)
    )
}

pub(crate) fn print_left_out(plan: &Plan) {
    if !super::quiet() {
        for n in &plan.notes {
            eprintln!("note: {n}");
        }
    }
    if !plan.findings.is_empty() {
        eprint!("{}", diag::human::findings(&plan.findings));
    }
}
