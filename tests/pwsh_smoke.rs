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

/// Both runtimes write every result record as JSON that reads back to exactly the values given,
/// whether or not a field needs an escape (Write-CutoverResult writes fields that need none
/// without the escaper, so each kind of character is tried in each field).
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn records_read_back_to_the_values_written_in_both_runtimes() {
    use serde_json::{json, Value};
    let odd = [
        "O\"Brien <ob@contoso.com>",
        "back\\slash",
        "tab\there\nnew line\r",
        "\u{1}\u{1f}",
        "line\u{2028}separator\u{2029}",
        "Zoë 日本 😀",
        "",
    ];
    let mut cases = vec![
        json!({"step": "16-limits", "op": "16-limits:mailbox:user1@contoso.com",
        "action": "set", "target": "user1@contoso.com", "status": "updated", "error": null}),
    ];
    for (i, s) in odd.iter().enumerate() {
        for field in ["step", "op", "action", "target", "status", "error"] {
            let mut c = cases[0].clone();
            c[field] = json!(format!("{field}{i}:{s}"));
            cases.push(c);
        }
    }
    cases
        .push(json!({"step": "", "op": "", "action": "", "target": "", "status": "", "error": ""}));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    std::fs::write(&input, serde_json::to_string(&cases).unwrap()).unwrap();
    let runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("ps-modules");
    for runtime in ["Cutover.psm1", "Cutover.ps1"] {
        let results = dir.path().join(format!("{runtime}.jsonl"));
        let out = pwsh::command()
            .arg("-Command")
            .arg(
                "$ErrorActionPreference = 'Stop'; \
                 if ($env:T_RUNTIME.EndsWith('.psm1')) { Import-Module $env:T_RUNTIME -DisableNameChecking } else { . $env:T_RUNTIME }; \
                 foreach ($c in @([System.IO.File]::ReadAllText($env:T_CASES) | ConvertFrom-Json)) { \
                   Initialize-CutoverStep -Step $c.step -ResultsPath $env:T_RESULTS; \
                   Write-CutoverResult -Op $c.op -Action $c.action -Target $c.target -Status $c.status -ErrorText $c.error }",
            )
            .env("T_RUNTIME", runtimes.join(runtime))
            .env("T_CASES", &input)
            .env("T_RESULTS", &results)
            .output()
            .expect("start pwsh");
        assert!(
            out.status.success(),
            "{runtime}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&results).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), cases.len(), "{runtime}: {text}");
        for (line, want) in lines.iter().zip(&cases) {
            let got: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{runtime}: not JSON ({e}): {line:?}"));
            for field in ["step", "op", "action", "target", "status", "error"] {
                assert_eq!(got[field], want[field], "{runtime} {field}: {line:?}");
            }
            let at = got["at"].as_str().unwrap_or_default();
            assert!(
                at.len() == 20 && at.ends_with('Z'),
                "{runtime} at: {line:?}"
            );
        }
    }
}
