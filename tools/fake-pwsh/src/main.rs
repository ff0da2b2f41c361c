//! Test-only stand-in for `pwsh`; implemented under the run issue.
fn main() {
    eprintln!("fake-pwsh: not implemented yet");
    std::process::exit(2);
}
