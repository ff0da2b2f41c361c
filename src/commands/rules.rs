use crate::cli::RulesArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: RulesArgs) -> Result<Exit> {
    Err(Error::Usage("'rules' is not implemented yet".into()))
}
