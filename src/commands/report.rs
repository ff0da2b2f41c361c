use std::io::Write;

use crate::cli::ReportArgs;
use crate::error::{Error, Exit, Result};
use crate::report;

pub fn run(args: ReportArgs) -> Result<Exit> {
    let text = report::render(&args.path, args.format)?;
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path, e))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Error::io("<stdout>", e))?;
        }
    }
    Ok(Exit::Clean)
}
