//! One file per subcommand: glue from parsed arguments to the library, and the exit status.

use crate::cli::{Cli, Command};
use crate::error::{Error, Exit, Result};

mod bundle;
mod check;
mod completions;
mod demo;
mod estimate;
mod init;
mod lint;
mod notices;
mod output;
mod plan;
mod rehearse;
mod report;
mod rules;
mod run;
mod synth;

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--quiet`: only findings, failures and errors; no progress, summaries or next-step hints.
pub(crate) fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs a command and maps its outcome to the exit-code contract; never panics on input.
pub fn dispatch(cli: Cli) -> i32 {
    if let Command::StepClient(a) = &cli.command {
        // The step's own exit code, passed through as pwsh's would be.
        return crate::rehearse::host::client_main(&a.socket, &a.argv);
    }
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    output::guard();
    let result: Result<Exit> = match cli.command {
        Command::Lint(a) => lint::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Init(a) => init::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Bundle(a) => bundle::run(a),
        Command::Check(a) => check::run(a),
        Command::Run(a) => run::run(a),
        Command::Rehearse(a) => rehearse::run(a),
        Command::Report(a) => report::run(a),
        Command::Estimate(a) => estimate::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Notices(a) => notices::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man => completions::man(),
        Command::StepClient(_) => Ok(Exit::Clean),
    };
    match result {
        Ok(exit) => exit.code(),
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            report_error(&e);
            e.code()
        }
    }
}

/// Pretty JSON with a final newline, as every `--format json` prints it.
pub(crate) fn json_text(v: &impl serde::Serialize) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v).map_err(anyhow::Error::from)?;
    s.push('\n');
    Ok(s)
}

fn report_error(e: &Error) {
    let mut msg = format!("cutover: error: {e}");
    if let Error::Other(inner) = e {
        for cause in inner.chain().skip(1) {
            msg.push_str(&format!("\n  caused by: {cause}"));
        }
    }
    eprintln!("{msg}");
}
