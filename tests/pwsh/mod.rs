//! The real PowerShell the tests run scripts in: `CUTOVER_TEST_PWSH`, else `pwsh` on PATH, as
//! found by `build.rs`. Tests that need it carry
//! `#[cfg_attr(not(cutover_test_pwsh), ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH")]`
//! so that without one they are reported as ignored, never as passed.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The pwsh found at build time. Panics (a failed test, not a pass) when there is none, which
/// only happens if a test forgot the `cfg_attr` above.
pub fn path() -> PathBuf {
    let p = env!("CUTOVER_TEST_PWSH_PATH");
    assert!(
        !p.is_empty(),
        "no pwsh was found at build time: set CUTOVER_TEST_PWSH or put pwsh on PATH"
    );
    PathBuf::from(p)
}

/// `pwsh -NoLogo -NoProfile -NonInteractive` with the given arguments appended by the caller.
pub fn command() -> Command {
    let mut c = Command::new(path());
    c.args(["-NoLogo", "-NoProfile", "-NonInteractive"]);
    c
}
