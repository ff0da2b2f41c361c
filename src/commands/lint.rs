use crate::cli::LintArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: LintArgs) -> Result<Exit> {
    Err(Error::Usage("'lint' is not implemented yet".into()))
}
