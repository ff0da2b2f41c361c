use crate::cli::ReportArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: ReportArgs) -> Result<Exit> {
    Err(Error::Usage("'report' is not implemented yet".into()))
}
