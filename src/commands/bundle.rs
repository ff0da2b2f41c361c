use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::bundle::pipeline::{make_with, Outcome};
use crate::cli::BundleArgs;
use crate::error::{Exit, Result};
use crate::plan::State;
use crate::project::Project;

use super::plan::{print_left_out, refuse, summary};

pub fn run(args: BundleArgs) -> Result<Exit> {
    let project = Project::load(&args.project)?;
    let state = args.state.as_deref().map(State::load).transpose()?;
    let mut progress = Progress::new(&project);
    let made = make_with(
        &project,
        state.as_ref(),
        &args.out,
        args.force,
        args.secrets_out.as_deref(),
        &mut |s| progress.stage(s),
    );
    progress.finish();
    match made? {
        Outcome::Refused(report) => Ok(refuse("bundle", &report)),
        Outcome::Written {
            plan,
            tenant,
            manifest,
            secrets,
            ignored_passwords,
            ..
        } => {
            if !super::quiet() {
                println!("{}", summary(&plan));
                if let Some(m) = &plan.migration {
                    println!("{}", super::plan::migration_summary(m));
                }
                println!(
                    "wrote {} steps to {} (start with README.md)",
                    manifest.steps.len(),
                    args.out.display()
                );
            }
            // What a reviewer approves and `cutover run --expect-digest` checks: printed even
            // with --quiet.
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
            super::plan::leave_to_exit(tenant, plan);
            Ok(Exit::Clean)
        }
    }
}

/// Inputs from this size on are a large tenant (about 75,000 users with their groups and
/// members; a bundle then takes seconds): stage lines even when standard error is not a terminal.
const LARGE_INPUTS: u64 = 10 << 20;

/// What `bundle` is doing, on standard error: a spinner with the elapsed time on a terminal,
/// plain stage lines for large inputs otherwise, nothing with --quiet.
enum Progress {
    Off,
    Lines(Instant),
    Spinner(indicatif::ProgressBar),
}

impl Progress {
    fn new(project: &crate::project::Project) -> Progress {
        let i = &project.inputs;
        let bytes: u64 = [
            &i.users,
            &i.groups,
            &i.members,
            &i.mailboxes,
            &i.stats,
            &i.permissions,
            &i.contacts,
        ]
        .into_iter()
        .flatten()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
        progress_kind(super::quiet(), std::io::stderr().is_terminal(), bytes)
    }

    fn stage(&mut self, what: &str) {
        match self {
            Progress::Off => {}
            Progress::Lines(started) => {
                eprintln!("bundle: {what} ({:.1} s)", started.elapsed().as_secs_f64())
            }
            Progress::Spinner(bar) => bar.set_message(what.to_string()),
        }
    }

    fn finish(&mut self) {
        if let Progress::Spinner(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn progress_kind(quiet: bool, terminal: bool, input_bytes: u64) -> Progress {
    if quiet {
        Progress::Off
    } else if terminal {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} bundle: {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress::Spinner(bar)
    } else if input_bytes >= LARGE_INPUTS {
        Progress::Lines(Instant::now())
    } else {
        Progress::Off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_for_large_inputs_or_a_terminal_never_when_quiet() {
        assert!(matches!(progress_kind(true, true, u64::MAX), Progress::Off));
        assert!(matches!(
            progress_kind(false, false, 1 << 20),
            Progress::Off
        ));
        assert!(matches!(
            progress_kind(false, false, LARGE_INPUTS),
            Progress::Lines(_)
        ));
        let mut p = progress_kind(false, true, 0);
        assert!(matches!(p, Progress::Spinner(_)));
        p.finish();
    }
}
