use clap::Parser;

fn main() {
    // `cutover demo` runs its bundle against this executable under another name (see stand_in).
    if cutover::demo::stand_in::invoked() {
        std::process::exit(cutover::demo::stand_in::main());
    }
    let cli = cutover::cli::Cli::parse();
    std::process::exit(cutover::commands::dispatch(cli));
}
