use crate::cli::EstimateArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: EstimateArgs) -> Result<Exit> {
    Err(Error::Usage("'estimate' is not implemented yet".into()))
}
