//! `cutover completions SHELL` and `cutover man`: generated from the one command-line definition.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, Exit, Result};

pub fn run(args: CompletionsArgs) -> Result<Exit> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "cutover", &mut out);
    write_stdout(&out)
}

pub fn man() -> Result<Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::io("<stdout>", e))?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<Exit> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(|e| Error::io("<stdout>", e))?;
    Ok(Exit::Clean)
}
