//! Finds a real PowerShell for the tests that run generated scripts (`CUTOVER_TEST_PWSH`, else
//! `pwsh` on PATH). Without one those tests are compiled as ignored, so `cargo test` reports them
//! as not run instead of counting them as passed.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=CUTOVER_TEST_PWSH");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rustc-check-cfg=cfg(cutover_test_pwsh)");
    // The long rehearsal suite (every source version x identity for faults, kill/resume and the
    // 1,000-user tenant) is compiled as ignored unless asked for: never counted as passed.
    println!("cargo:rerun-if-env-changed=CUTOVER_LONG_TESTS");
    println!("cargo:rustc-check-cfg=cfg(cutover_long_tests)");
    if env::var("CUTOVER_LONG_TESTS").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-cfg=cutover_long_tests");
    }
    match find() {
        Some(p) => {
            println!("cargo:rustc-cfg=cutover_test_pwsh");
            println!("cargo:rustc-env=CUTOVER_TEST_PWSH_PATH={}", p.display());
        }
        None => {
            println!("cargo:rustc-env=CUTOVER_TEST_PWSH_PATH=");
            println!(
                "cargo:warning=no pwsh found (CUTOVER_TEST_PWSH or PATH): the tests that run \
                 generated PowerShell are ignored, not passed"
            );
        }
    }
}

fn find() -> Option<PathBuf> {
    if let Some(p) = env::var_os("CUTOVER_TEST_PWSH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        // Relative paths are taken from the crate root, where `cargo test` is usually started.
        let p = if p.is_relative() {
            Path::new(&env::var_os("CARGO_MANIFEST_DIR")?).join(p)
        } else {
            p
        };
        return p.is_file().then_some(p);
    }
    let names: &[&str] = if cfg!(windows) {
        &["pwsh.exe"]
    } else {
        &["pwsh"]
    };
    env::split_paths(&env::var_os("PATH")?)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}
