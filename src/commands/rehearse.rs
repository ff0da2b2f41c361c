use crate::cli::RehearseArgs;
use crate::error::{Error, Exit, Result};
use crate::rehearse::{self, Delays, RehearseOptions};
use crate::run::{Mode, ProgressMode};

use super::run::step_line;

pub fn run(args: RehearseArgs) -> Result<Exit> {
    let delays = Delays::parse(&args.delays).ok_or_else(|| {
        Error::Usage(format!(
            "--delays {}: expected none, realistic or long",
            args.delays
        ))
    })?;
    let mut opts = RehearseOptions::new(&args.bundle);
    opts.pwsh = args.pwsh;
    opts.faults = args.faults;
    opts.state = args.state;
    opts.delays = delays;
    opts.session = args.session;
    opts.hosted = args.hosted;
    opts.what_if = args.what_if;
    opts.secrets = args.secrets;
    opts.continue_past_gates = args.continue_past_gates;
    if let Some(w) = args.wait.as_deref() {
        opts.wait = super::run::parse_duration("--wait", w, true)?;
    }
    opts.progress = ProgressMode::Auto;
    opts.mode = match (args.resume, args.retry_failed) {
        (_, true) => Mode::RetryFailed,
        (true, false) => Mode::Resume,
        (false, false) => Mode::Fresh,
    };
    println!("REHEARSAL: every step runs in real pwsh against a simulated tenant; nothing touches a real service.");
    if opts.hosted {
        println!(
            "hosted: every step in a fresh runspace of one long-lived pwsh, not a pwsh of its own"
        );
    }
    let out = rehearse::rehearse(&opts)?;
    for s in &out.run.steps {
        println!("{}", step_line(&s.id, &s.status));
    }
    println!("journal (rehearsal): {}", out.run.run_dir.display());
    println!("simulated tenant:    {}", out.state.display());
    println!(
        "virtual time slept:  {:.0} s (waits and retries; the simulation's clock, not yours)",
        out.slept_s
    );
    let c = &out.comparison;
    if opts.what_if {
        println!("what-if rehearsal: the tenant is not compared with the plan");
    } else if c.matches() {
        println!(
            "tenant equals the plan: {} planned facts hold, nothing extra",
            c.checked
        );
    } else {
        println!(
            "tenant differs from the plan: {} of {} planned facts missing, {} extra objects",
            c.missing.len(),
            c.checked,
            c.extra.len()
        );
        for l in c.lines() {
            println!("  {l}");
        }
    }
    let clean = out.run.all_done && !out.run.interrupted && (opts.what_if || c.matches());
    Ok(if clean { Exit::Clean } else { Exit::Findings })
}
