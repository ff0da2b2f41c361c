use crate::cli::SynthArgs;
use crate::error::{Error, Exit, Result};

pub fn run(_args: SynthArgs) -> Result<Exit> {
    Err(Error::Usage("'synth' is not implemented yet".into()))
}
