use crate::cli::DemoArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: DemoArgs) -> Result<Exit> {
    Err(Error::Usage("'demo' is not implemented yet".into()))
}
