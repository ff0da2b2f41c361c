use crate::cli::InitArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: InitArgs) -> Result<Exit> {
    Err(Error::Usage("'init' is not implemented yet".into()))
}
