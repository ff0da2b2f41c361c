use crate::cli::CheckArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: CheckArgs) -> Result<Exit> {
    Err(Error::Usage("'check' is not implemented yet".into()))
}
