use crate::cli::BundleArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: BundleArgs) -> Result<Exit> {
    Err(Error::Usage("'bundle' is not implemented yet".into()))
}
