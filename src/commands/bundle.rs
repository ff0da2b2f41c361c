use crate::bundle::pipeline::{make, Outcome};
use crate::cli::BundleArgs;
use crate::error::{Exit, Result};
use crate::plan::State;
use crate::project::Project;

use super::plan::{print_left_out, refuse, summary};

pub fn run(args: BundleArgs) -> Result<Exit> {
    let project = Project::load(&args.project)?;
    let state = args.state.as_deref().map(State::load).transpose()?;
    match make(
        &project,
        state.as_ref(),
        &args.out,
        args.force,
        args.secrets_out.as_deref(),
    )? {
        Outcome::Refused(report) => Ok(refuse("bundle", &report)),
        Outcome::Written {
            plan,
            manifest,
            secrets,
            ignored_passwords,
            ..
        } => {
            println!("{}", summary(&plan));
            println!(
                "wrote {} steps to {} (start with README.md)",
                manifest.steps.len(),
                args.out.display()
            );
            // What a reviewer approves and `cutover run --expect-digest` checks.
            let digest = crate::bundle::written_digest(&args.out)?;
            println!(
                "bundle digest: {digest}\n  (in PLAN.md; run what was reviewed with `cutover run {} --expect-digest {digest}`)",
                crate::run::shell::shell_path(&args.out)
            );
            if let Some(path) = &args.secrets_out {
                if secrets > 0 {
                    println!(
                        "wrote {secrets} password(s) to {} (owner-only): pass it to `cutover run --secrets`",
                        path.display()
                    );
                }
            }
            if ignored_passwords > 0 {
                eprintln!(
                    "note: {ignored_passwords} password(s) in the users file ignored: synced identities keep their AD passwords"
                );
            }
            print_left_out(&plan);
            Ok(Exit::Clean)
        }
    }
}
