use std::path::PathBuf;

use crate::cli::DemoArgs;
use crate::demo;
use crate::diag;
use crate::error::{Error, Exit, Result};
use crate::rules::{self, LintRequest};

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
    let project = demo::write_samples(&samples)?;
    println!("cutover demo: sample inputs in {}", samples.display());
    println!(
        "\n$ cutover lint --config {}\n",
        samples.join("cutover.toml").display()
    );
    let report = rules::lint(&LintRequest {
        project: &project,
        files: &[],
        kind: None,
    })?;
    print!("{}", diag::human::lint_report(&report));
    Ok(if report.errors() > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
