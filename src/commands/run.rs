use crate::cli::RunArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: RunArgs) -> Result<Exit> {
    Err(Error::Usage("'run' is not implemented yet".into()))
}
