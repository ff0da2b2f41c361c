//! The real PowerShell is usable: it starts, reports 7.x, and imports the step runtime.

mod pwsh;

use std::path::Path;

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn real_pwsh_imports_the_step_runtime() {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules/Cutover.psm1");
    let out = pwsh::command()
        .arg("-Command")
        .arg(
            "Import-Module $env:CUTOVER_SMOKE_MODULE -DisableNameChecking; \
             $PSVersionTable.PSVersion.Major; \
             (Get-Command -Module Cutover -Name Invoke-CutoverRow).Name",
        )
        .env("CUTOVER_SMOKE_MODULE", module)
        .output()
        .expect("start pwsh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pwsh failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    assert!(
        lines
            .first()
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
            >= 7,
        "{stdout}"
    );
    assert!(lines.contains(&"Invoke-CutoverRow"), "{stdout}");
}
