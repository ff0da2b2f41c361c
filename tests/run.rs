//! `cutover run` against the fake pwsh: one test per scenario of the runner.

mod support;

use std::path::Path;

use predicates::prelude::*;
use serde_json::json;
use support::*;

fn three_steps(root: &Path) -> std::path::PathBuf {
    BundleBuilder::new()
        .source_step("01-export", 2)
        .step("05-users", 5)
        .step("06-licences", 3)
        .build(&root.join("bundle"))
}

fn args_log(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("args.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn all_succeed_records_every_op_and_the_facts_of_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("05-users: ok (5 created; exit 0"))
        .stdout(predicate::str::contains(
            "-ResultsPath .\\01-export.results.jsonl",
        ))
        .stdout(predicate::str::contains("--import-results 01-export"))
        // Not a terminal: plain progress lines instead of a bar.
        .stderr(predicate::str::contains("05-users: started (5 operations)"))
        .stderr(predicate::str::contains("05-users: 5/5 done, 0 failed"));
    let run = latest_run(&bundle);
    let ok = successes_per_op(&run);
    assert_eq!(ok.len(), 8, "{ok:?}");
    assert!(ok.values().all(|&n| n == 1));
    assert!(
        !ok.contains_key("01-export:op1"),
        "source step must not run"
    );

    let meta = run_json(&run);
    assert_eq!(meta["state"], "finished");
    assert_eq!(meta["pwsh"]["version"], "7.4.6");
    let inv = meta["invocations"].as_array().unwrap();
    assert_eq!(inv.len(), 2);
    assert_eq!(inv[0]["step"], "05-users");
    assert_eq!(inv[0]["exit_code"], 0);
    assert_eq!(inv[0]["outcome"], "ok");
    assert!(inv[0]["duration_s"].as_f64().unwrap() >= 0.0);
    let cmd: Vec<&str> = inv[0]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        &cmd[1..5],
        ["-NoLogo", "-NoProfile", "-NonInteractive", "-File"]
    );
    assert!(cmd[5].ends_with("05-users.ps1"));
    assert_eq!(cmd[6], "-ModulePath");
    assert!(cmd[7].ends_with("Cutover.psm1"));
    assert_eq!(cmd[8], "-ResultsPath");
    assert!(cmd[9].ends_with("results.jsonl"));
    assert_eq!(
        cmd.len(),
        10,
        "no -OnlyOpsPath, -SecretsPath or -WhatIf: {cmd:?}"
    );
    assert!(run.join("logs/05-users.1.stdout.log").is_file());

    // The probe is exactly the documented command; one process per step.
    let calls = args_log(tmp.path());
    assert_eq!(
        calls[0],
        [
            "-NoLogo",
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "$PSVersionTable.PSVersion.ToString()"
        ]
    );
    assert_eq!(calls.len(), 3);
}

#[test]
fn failures_exit_1_and_retry_failed_sends_only_them() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let fail = scenario(
        tmp.path(),
        "fail",
        json!({"steps": {"05-users": {"fail": ["05-users:op2", "05-users:op4"], "error": "ErrorServerBusy"}}}),
    );
    cutover(Some(&fail))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("3 created, 2 failed"))
        // Failed operations do not stop the run.
        .stdout(predicate::str::contains("06-licences: ok"));
    let run = latest_run(&bundle);
    assert_eq!(last_status(&run)["05-users:op2"], "failed");

    cutover(None)
        .args(["run", "--retry-failed"])
        .arg(&bundle)
        .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("06-licences: skipped"));
    assert_eq!(latest_run(&bundle), run, "retry continues the same run");
    let only = std::fs::read_to_string(run.join("only-ops-05-users.txt")).unwrap();
    assert_eq!(only, "05-users:op2\n05-users:op4\n");
    let calls = args_log(tmp.path());
    assert_eq!(calls.len(), 2, "probe + one step: {calls:?}");
    let step_call = &calls[1];
    let i = step_call.iter().position(|a| a == "-OnlyOpsPath").unwrap();
    assert!(step_call[i + 1].ends_with("only-ops-05-users.txt"));
    assert!(successes_per_op(&run).values().all(|&n| n == 1));
    assert!(last_status(&run).values().all(|s| s != "failed"));
}

#[test]
fn crash_mid_step_stops_the_run_and_resume_finishes_it_once() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let crash = scenario(
        tmp.path(),
        "crash",
        json!({"steps": {"05-users": {"crash_after": 2, "partial": true}}}),
    );
    cutover(Some(&crash))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("05-users: incomplete"))
        .stdout(predicate::str::contains("3 not done"))
        .stdout(predicate::str::contains("06-licences: not started"));
    let run = latest_run(&bundle);
    let meta = run_json(&run);
    assert_eq!(meta["invocations"][0]["exit_code"], 3);
    assert_eq!(meta["invocations"][0]["missing"], 3);

    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(0);
    let only = std::fs::read_to_string(run.join("only-ops-05-users.txt")).unwrap();
    assert_eq!(only, "05-users:op3\n05-users:op4\n05-users:op5\n");
    let ok = successes_per_op(&run);
    assert_eq!(ok.len(), 8);
    assert!(ok.values().all(|&n| n == 1), "{ok:?}");
}

#[test]
fn exit_non_zero_with_nothing_written_fails_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let s = scenario(
        tmp.path(),
        "nothing",
        json!({"steps": {"05-users": {"nothing": true, "exit_code": 1, "stderr": ["Connect-MgGraph: Authorization_RequestDenied"]}}}),
    );
    cutover(Some(&s))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "05-users: incomplete (no records; exit 1",
        ))
        .stdout(predicate::str::contains("06-licences: not started"));
    let run = latest_run(&bundle);
    let err = std::fs::read_to_string(run.join("logs/05-users.1.stderr.log")).unwrap();
    assert!(err.contains("Authorization_RequestDenied"));
}

#[test]
fn exit_non_zero_after_every_record_still_fails_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let s = scenario(
        tmp.path(),
        "exit2",
        json!({"steps": {"05-users": {"exit_code": 2}}}),
    );
    cutover(Some(&s))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("05-users: exit-non-zero"))
        .stdout(predicate::str::contains("06-licences: ok"));
}

#[test]
fn a_hung_step_is_killed_at_the_timeout_and_the_journal_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let s = scenario(
        tmp.path(),
        "hang",
        json!({"steps": {"05-users": {"hang_after": 2}}}),
    );
    let started = std::time::Instant::now();
    cutover(Some(&s))
        .args(["run", "--timeout", "1"])
        .arg(&bundle)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("05-users: timed-out"));
    assert!(started.elapsed().as_secs() < 20);
    let run = latest_run(&bundle);
    assert_eq!(successes_per_op(&run).len(), 2);
    let meta = run_json(&run);
    assert_eq!(meta["invocations"][0]["outcome"], "timed-out");
    assert!(meta["invocations"][0]["note"]
        .as_str()
        .unwrap()
        .contains("--timeout"));
}

#[test]
fn idle_timeout_stops_a_silent_step_but_not_a_busy_one() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    // Busy: a record every 800 ms for 4 s, longer than the 3 s idle limit in total, with
    // room to spare on a loaded machine between records.
    let slow = scenario(
        tmp.path(),
        "slow",
        json!({"steps": {"05-users": {"delay_ms": 800}}}),
    );
    cutover(Some(&slow))
        .args(["run", "--idle-timeout", "3s"])
        .arg(&bundle)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("05-users: ok (5 created"));

    // Silent after two records: stopped, the journal kept, the reason noted.
    let hang = scenario(
        tmp.path(),
        "hang",
        json!({"steps": {"05-users": {"hang_after": 2}}}),
    );
    let started = std::time::Instant::now();
    cutover(Some(&hang))
        .args(["run", "--idle-timeout", "3s"])
        .arg(&bundle)
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("05-users: timed-out"));
    assert!(started.elapsed().as_secs() < 20);
    let run = latest_run(&bundle);
    assert_eq!(successes_per_op(&run).len(), 2);
    let note = run_json(&run)["invocations"][0]["note"].clone();
    assert!(note.as_str().unwrap().contains("--idle-timeout"), "{note}");

    cutover(None)
        .args(["run", "--idle-timeout", "0"])
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--idle-timeout"));
}

#[test]
fn garbage_and_secrets_on_stdout_are_logs_and_redacted() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let secrets = tmp.path().join("secrets.csv");
    std::fs::write(
        &secrets,
        "UserPrincipalName,Password\nann@contoso.com,Tr0ub4dor&3x\n",
    )
    .unwrap();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sflKxwRJSMeKKF2QT4fwpMeJf36";
    let s = scenario(
        tmp.path(),
        "noisy",
        json!({"default": {
            "stdout": ["{\"step\":\"05-users\",\"op\":\"05-users:op9\",\"status\":\"created\"}",
                       "\u{1b}[31mgarbage \u{0}\u{7f}",
                       "creating ann@contoso.com with Tr0ub4dor&3x",
                       "Generated password for bob@contoso.com: Zq8#kLm2!pQr",
                       "Password=Sup3rSecret!"],
            "stderr": [format!("Authorization: Bearer {jwt}")]
        },
        // The step writes error texts into results.jsonl itself: the runner masks them after.
        "steps": {"06-licences": {
            "fail": ["06-licences:op2"],
            "error": "Update-MgUser ann@contoso.com -Password Tr0ub4dor&3x failed; pwd=Zq8#kLm2!pQr"
        }}}),
    );
    cutover(Some(&s))
        .args(["run", "--secrets"])
        .arg(&secrets)
        .arg(&bundle)
        .assert()
        .code(1);
    let run = latest_run(&bundle);
    let out = std::fs::read_to_string(run.join("logs/05-users.1.stdout.log")).unwrap();
    let err = std::fs::read_to_string(run.join("logs/05-users.1.stderr.log")).unwrap();
    assert!(out.contains("garbage"));
    assert!(out.contains("creating ann@contoso.com with ***"), "{out}");
    assert!(out.contains("Password=***"));
    assert!(
        out.contains("Generated password for bob@contoso.com: ***"),
        "{out}"
    );
    let failed = records(&run)
        .into_iter()
        .find(|r| r["op"] == "06-licences:op2")
        .unwrap();
    assert_eq!(
        failed["error"],
        "Update-MgUser ann@contoso.com -Password *** failed; pwd=***"
    );
    assert_eq!(records(&run).len(), 8, "every record kept");
    for secret in ["Tr0ub4dor&3x", "Sup3rSecret!", "Zq8#kLm2!pQr", jwt] {
        for f in std::fs::read_dir(&run).unwrap().flatten() {
            if f.path().is_file() {
                let text = std::fs::read_to_string(f.path()).unwrap();
                assert!(
                    !text.contains(secret),
                    "{} leaks {secret}",
                    f.path().display()
                );
            }
        }
        assert!(!out.contains(secret) && !err.contains(secret));
    }
    // stdout is never data: the JSON line printed there is not a record.
    assert!(!successes_per_op(&run).contains_key("05-users:op9"));
    let meta = run_json(&run);
    let cmd = meta["invocations"][0]["command"].as_array().unwrap();
    assert!(cmd.iter().any(|a| a == "-SecretsPath"));
}

#[test]
fn powershell_5_1_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let s = scenario(tmp.path(), "old", json!({"version": "5.1.19041.4291"}));
    cutover(Some(&s))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PowerShell 5.1.19041.4291"))
        .stderr(predicate::str::contains("PowerShell 7.4 or later"));
    assert!(!bundle.join("runs").exists());
}

#[test]
fn missing_pwsh_is_an_environment_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .arg("--pwsh")
        .arg(tmp.path().join("no-such-pwsh"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such file"));
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .env_remove("CUTOVER_PWSH")
        .env("PATH", tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pwsh) was not found on PATH"));
    // --pwsh wins over CUTOVER_PWSH.
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .arg("--pwsh")
        .arg(fake_pwsh())
        .env("CUTOVER_PWSH", tmp.path().join("nope"))
        .assert()
        .code(0);
}

#[test]
fn a_changed_bundle_file_is_refused_and_named() {
    for (victim, content, hashed_ops) in [
        ("steps/05-users.ps1", "Remove-Mailbox -Identity *", false),
        ("ops/06-licences.txt", "06-licences:op1\n", false),
        ("ops/06-licences.txt", "06-licences:op1\n", true),
        ("data/05-users.csv", "Op,Target\nx,y\n", false),
        ("modules/Cutover.psm1", "# changed", false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut builder = BundleBuilder::new()
            .source_step("01-export", 2)
            .step("05-users", 5)
            .step("06-licences", 3);
        if hashed_ops {
            builder = builder.hash_ops_files();
        }
        let bundle = builder.build(&tmp.path().join("bundle"));
        std::fs::write(bundle.join(victim), content).unwrap();
        cutover(None)
            .arg("run")
            .arg(&bundle)
            .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "bundle file {victim} was changed"
            )));
        assert!(args_log(tmp.path()).is_empty(), "pwsh ran for {victim}");
    }
}

#[test]
fn manifest_problems_are_integrity_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    let path = bundle.join("manifest.json");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let cases = [
        ("format", json!(2), "manifest format 2 is not supported"),
        ("steps.1.data", json!([]), "has no sha256 in manifest.json"),
        ("steps.1.file", json!("../outside.ps1"), "without '..'"),
    ];
    for (field, value, message) in cases {
        let mut m = original.clone();
        let mut target = &mut m;
        let parts: Vec<&str> = field.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            target = match p.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*p],
            };
        }
        target[parts[parts.len() - 1]] = value;
        std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        cutover(None)
            .arg("run")
            .arg(&bundle)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
    std::fs::remove_file(&path).unwrap();
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a bundle"));
}

#[test]
fn what_if_passes_the_switch_and_expects_whatif_records() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    cutover(None)
        .args(["run", "--what-if"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("5 whatif"))
        // The source-server command is printed as the operator must type it: what-if too.
        .stdout(predicate::str::contains(
            "& .\\steps\\01-export.ps1 -ModulePath .\\modules\\Cutover.psm1 -ResultsPath .\\01-export.results.jsonl -WhatIf\n",
        ));
    let run = latest_run(&bundle);
    let meta = run_json(&run);
    assert_eq!(meta["what_if"], true);
    let cmd = meta["invocations"][0]["command"].as_array().unwrap();
    assert_eq!(cmd.last().unwrap(), "-WhatIf:$true");
    assert!(last_status(&run).values().all(|s| s == "whatif"));

    // Resuming a what-if run without --what-if is refused.
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("what-if"));

    // A script that ignores -WhatIf is reported loudly.
    let s = scenario(
        tmp.path(),
        "ignores",
        json!({"steps": {"06-licences": {"whatif_status": "updated"}}}),
    );
    cutover(Some(&s))
        .args(["run", "--what-if"])
        .arg(&bundle)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "WARNING: step 06-licences reported 3 real changes",
        ))
        .stdout(predicate::str::contains("REAL CHANGES"));
}

#[test]
fn dynamic_ops_are_journaled_and_their_step_reruns_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 2)
        .dynamic_step("08-limits")
        .build(&tmp.path().join("bundle"));
    let s = scenario(
        tmp.path(),
        "dyn",
        json!({"steps": {"08-limits": {"dynamic": 4, "crash_after": 3}}}),
    );
    cutover(Some(&s))
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "08-limits: exit-non-zero (3 created; exit 3",
        ));
    let run = latest_run(&bundle);
    assert_eq!(last_status(&run)["08-limits:dyn:3"], "created");

    let s2 = scenario(
        tmp.path(),
        "dyn2",
        json!({"steps": {"08-limits": {"dynamic": 4, "status": "unchanged"}}}),
    );
    cutover(Some(&s2))
        .args(["run", "--resume"])
        .arg(&bundle)
        .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("05-users: skipped"));
    let calls = args_log(tmp.path());
    assert_eq!(calls.len(), 2);
    assert!(!calls[1].iter().any(|a| a == "-OnlyOpsPath"), "whole step");
    assert_eq!(last_status(&run)["08-limits:dyn:4"], "unchanged");

    // Finished now: a further resume runs nothing.
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("08-limits: skipped"));
}

#[test]
fn step_filter_runs_only_the_named_steps() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    cutover(None)
        .args(["run", "--step", "06-licences"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("06-licences: ok"))
        .stdout(predicate::str::contains("05-users").not());
    let run = latest_run(&bundle);
    assert_eq!(successes_per_op(&run).len(), 3);
    cutover(None)
        .args(["run", "--step", "99-nope"])
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--step 99-nope: no such step"));
}

#[test]
fn source_server_results_are_imported_into_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    cutover(None).arg("run").arg(&bundle).assert().code(0);
    let rec = |op: &str, status: &str| {
        json!({"step": "01-export", "op": op, "action": "export", "target": "mailboxes.csv",
               "status": status, "error": null, "at": "2026-01-01T00:00:00Z"})
        .to_string()
    };
    let file = tmp.path().join("01-export.results.jsonl");
    std::fs::write(
        &file,
        format!(
            "\u{feff}{}\n{}\n",
            rec("01-export:op1", "created"),
            rec("01-export:op2", "unchanged")
        ),
    )
    .unwrap();
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args(["--import-results", "01-export"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("imported 2 records"));
    let run = latest_run(&bundle);
    assert_eq!(last_status(&run)["01-export:op2"], "unchanged");
    let meta = run_json(&run);
    let last = meta["invocations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["outcome"], "imported");

    // The same file twice, a record of another step, a broken line, a jump-box step.
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args(["--import-results", "01-export"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already imported"));
    let other = tmp.path().join("other.jsonl");
    std::fs::write(
        &other,
        rec("01-export:op1", "created").replace("\"01-export\",", "\"05-users\",") + "\n",
    )
    .unwrap();
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args(["--import-results", "01-export"])
        .arg(&other)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("record of step \"05-users\""));
    std::fs::write(&other, "{not json\n").unwrap();
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args(["--import-results", "01-export"])
        .arg(&other)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "other.jsonl:1: not a result record",
        ));
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .args(["--import-results", "05-users"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runs on the jump box"));
}

#[test]
fn resuming_a_finished_run_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = three_steps(tmp.path());
    cutover(None).arg("run").arg(&bundle).assert().code(0);
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "05-users: skipped (every operation succeeded)",
        ));
    assert_eq!(args_log(tmp.path()).len(), 1, "only the probe");
    // --retry-failed on a bundle with no run at all is a usage error.
    let tmp2 = tempfile::tempdir().unwrap();
    let b2 = three_steps(tmp2.path());
    cutover(None)
        .args(["run", "--retry-failed"])
        .arg(&b2)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no run to retry"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_step_and_leaves_a_resumable_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 200)
        .build(&tmp.path().join("bundle"));
    let slow = scenario(tmp.path(), "slow", json!({"default": {"delay_ms": 20}}));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("run")
        .arg(&bundle)
        .env("CUTOVER_PWSH", fake_pwsh())
        .env("FAKE_PWSH_SCENARIO", &slow)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for some records, then interrupt the runner only (as `kill -INT` would).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let n = latest_run_if_any(&bundle).map_or(0, |r| records(&r).len());
        if n >= 10 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(1));
    let run = latest_run(&bundle);
    let meta = run_json(&run);
    assert_eq!(meta["state"], "interrupted");
    assert_eq!(meta["invocations"][0]["outcome"], "interrupted");
    let before = successes_per_op(&run).len();
    assert!((10..200).contains(&before), "{before}");
    // The child was stopped: nothing is written after the runner has exited.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(successes_per_op(&run).len(), before);

    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(0);
    let ok = successes_per_op(&run);
    assert_eq!(ok.len(), 200);
    assert!(ok.values().all(|&n| n == 1));
}

#[test]
fn a_second_runner_on_the_same_bundle_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 500)
        .build(&tmp.path().join("bundle"));
    // 500 records 20 ms apart: the first runner holds the lock for about 10 s.
    let slow = scenario(tmp.path(), "slow", json!({"default": {"delay_ms": 20}}));
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("run")
        .arg(&bundle)
        .env("CUTOVER_PWSH", fake_pwsh())
        .env("FAKE_PWSH_SCENARIO", &slow)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !bundle.join("runs/.lock").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        bundle.join("runs/.lock").exists(),
        "the first runner never took the lock"
    );
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("another cutover (pid"));
    let _ = first.kill();
    let _ = first.wait();
    // The killed runner's lock is stale: the resume takes it over and finishes.
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(0);
    assert!(successes_per_op(&latest_run(&bundle))
        .values()
        .all(|&n| n == 1));
    assert!(!bundle.join("runs/.lock").exists());
}

#[cfg(unix)]
#[test]
fn a_process_left_behind_holding_the_logs_does_not_hang_the_runner() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("05-users", 2)
        .build(&tmp.path().join("bundle"));
    let s = scenario(
        tmp.path(),
        "orphan",
        json!({"default": {"orphan_secs": 20}}),
    );
    let started = std::time::Instant::now();
    cutover(Some(&s))
        .arg("run")
        .arg(&bundle)
        .timeout(std::time::Duration::from_secs(15))
        .assert()
        .code(0);
    assert!(started.elapsed().as_secs() < 10);
}

fn gated(root: &Path) -> std::path::PathBuf {
    BundleBuilder::new()
        .step("06-domains", 2)
        .gate()
        .step("07-users", 3)
        .step("17-mail-flow", 1)
        .post_cutover()
        .build(&root.join("bundle"))
}

#[test]
fn a_gate_step_with_failures_stops_the_run_until_resumed() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = gated(tmp.path());
    let fail = scenario(
        tmp.path(),
        "fail",
        json!({"steps": {"06-domains": {"fail": ["06-domains:op1"], "error": "contoso.com is not verified yet"}}}),
    );
    cutover(Some(&fail))
        .arg("run")
        .arg(&bundle)
        .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
        .assert()
        .code(1)
        // The process ended cleanly, but the step did not succeed: never "ok".
        .stdout(predicate::str::contains(
            "06-domains: finished with failures (1 created, 1 failed; exit 0",
        ))
        .stdout(predicate::str::contains(
            "07-users: not started (gate step 06-domains has failed or unfinished operations)",
        ))
        .stdout(predicate::str::contains(
            "17-mail-flow: skipped (post-cutover step",
        ))
        // The instructions go with the summaries they refer to, on standard output.
        .stdout(predicate::str::contains(
            "next:    stopped after gate step 06-domains",
        ))
        .stdout(predicate::str::contains(
            "Fix the cause (see `cutover report`), then continue with\n    cutover run",
        ))
        .stdout(predicate::str::contains("--resume --continue-past-gates"))
        .stdout(predicate::str::contains("--retry-failed").not());
    assert_eq!(args_log(tmp.path()).len(), 2, "probe + the gate step only");
    let run = latest_run(&bundle);
    assert!(!successes_per_op(&run).contains_key("07-users:op1"));

    // Resumed once the cause is fixed: the gate's failure is redone, then the run goes on.
    cutover(None)
        .args(["run", "--resume"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("07-users: ok (3 created"))
        .stdout(predicate::str::contains(
            "17-mail-flow: skipped (post-cutover",
        ));
    let ok = successes_per_op(&run);
    assert_eq!(ok.get("06-domains:op1"), Some(&1));
    assert_eq!(ok.get("07-users:op3"), Some(&1));
    assert!(
        !ok.contains_key("17-mail-flow:op1"),
        "post-cutover step must wait"
    );
}

#[test]
fn continue_past_gates_goes_on_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = gated(tmp.path());
    let fail = scenario(
        tmp.path(),
        "fail",
        json!({"steps": {"06-domains": {"fail": ["06-domains:op2"]}}}),
    );
    cutover(Some(&fail))
        .args(["run", "--continue-past-gates"])
        .arg(&bundle)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "WARNING: gate step 06-domains has failed or unfinished operations",
        ))
        .stdout(predicate::str::contains("07-users: ok (3 created"));
}

#[test]
fn post_cutover_steps_run_only_when_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = gated(tmp.path());
    cutover(None)
        .args(["run", "--phase", "post-cutover"])
        .arg(&bundle)
        .env("FAKE_PWSH_ARGS_LOG", tmp.path().join("args.log"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("17-mail-flow: ok (1 created"))
        .stdout(predicate::str::contains("07-users").not());
    assert_eq!(
        args_log(tmp.path()).len(),
        2,
        "probe + the post-cutover step"
    );

    cutover(None)
        .args(["run", "--step", "17-mail-flow"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("17-mail-flow: ok (1 created"));

    cutover(None)
        .args(["run", "--phase", "post-cutover", "--step", "07-users"])
        .arg(&bundle)
        .assert()
        .code(2);
}

#[test]
fn a_2007_source_step_is_told_to_load_the_plain_script_module() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .source_version("2007")
        .source_step("01-export", 2)
        .step("05-users", 1)
        .build(&tmp.path().join("bundle"));
    cutover(None)
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "& .\\steps\\01-export.ps1 -ModulePath .\\modules\\Cutover.ps1 -ResultsPath .\\01-export.results.jsonl\n",
        ));
}
