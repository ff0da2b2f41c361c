use crate::cli::SynthArgs;
use crate::error::{Exit, Result};
use crate::synth;

pub fn run(args: SynthArgs) -> Result<Exit> {
    let mut o = synth::Options::new(args.users, args.groups, args.memberships);
    o.domain = args.domain;
    o.seed = args.seed;
    o.format = args.format;
    let w = synth::write(&args.out, &o)?;
    println!(
        "wrote {} users, {} groups and {} memberships to {}",
        o.users,
        o.groups,
        w.memberships,
        args.out.display()
    );
    Ok(Exit::Clean)
}
