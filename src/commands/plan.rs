use crate::cli::PlanArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: PlanArgs) -> Result<Exit> {
    Err(Error::Usage("'plan' is not implemented yet".into()))
}
