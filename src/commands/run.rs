use std::time::Duration;

use crate::cli::{RunArgs, RunPhase};
use crate::error::{Error, Exit, Result};
use crate::run::journal::Outcome;
use crate::run::protocol::Status;
use crate::run::shell::shell_path;
use crate::run::{self, Mode, Phase, ProgressMode, RunOptions, StepStatus};

pub fn run(args: RunArgs) -> Result<Exit> {
    if let Some(pair) = &args.import_results {
        if !args.steps.is_empty()
            || args.what_if
            || args.resume
            || args.retry_failed
            || args.continue_past_gates
            || args.phase.is_some()
        {
            return Err(Error::Usage(
                "--import-results records a file and runs nothing: use it without --step, --what-if, --resume, --retry-failed, --continue-past-gates or --phase".into(),
            ));
        }
        let [step, file] = pair.as_slice() else {
            return Err(Error::Usage("--import-results needs STEP FILE".into()));
        };
        let redactor = match &args.secrets {
            Some(p) if !p.is_file() => {
                return Err(Error::Usage(format!(
                    "--secrets {}: no such file",
                    p.display()
                )))
            }
            Some(p) => run::redact::Redactor::from_secrets_file(p)?,
            None => run::redact::Redactor::patterns_only(),
        };
        if let Some(digest) = &args.expect_digest {
            let bundle = run::verify::open_verified(&args.bundle)?;
            run::verify::check_digest(&bundle, digest)?;
        }
        let out = run::import_results_masked(&args.bundle, step, file.as_ref(), &redactor)?;
        println!(
            "{step}: imported {} records ({} failed, {} planned operations without a record) into {}",
            out.records,
            out.failed,
            out.missing,
            out.run_dir.display()
        );
        println!(
            "next:    cutover run {} --resume   (continues this run)",
            shell_path(&args.bundle)
        );
        return Ok(out.exit());
    }
    if args.timeout == Some(0) {
        return Err(Error::Usage("--timeout must be at least 1 second".into()));
    }
    let idle_timeout = args
        .idle_timeout
        .as_deref()
        .map(|t| parse_duration("--idle-timeout", t, false))
        .transpose()?;
    let wait = args
        .wait
        .as_deref()
        .map(|t| parse_duration("--wait", t, true))
        .transpose()?;
    let mode = match (args.resume, args.retry_failed) {
        (_, true) => Mode::RetryFailed,
        (true, false) => Mode::Resume,
        (false, false) => Mode::Fresh,
    };
    let opts = RunOptions {
        bundle: args.bundle.clone(),
        steps: args.steps.clone(),
        what_if: args.what_if,
        pwsh: args.pwsh.clone(),
        secrets: args.secrets.clone(),
        mode,
        timeout: args.timeout.map(Duration::from_secs),
        idle_timeout,
        wait: wait.unwrap_or(run::DEFAULT_WAIT),
        progress: if super::quiet() {
            ProgressMode::Hidden
        } else {
            ProgressMode::Auto
        },
        env: Vec::new(),
        continue_past_gates: args.continue_past_gates,
        phase: match args.phase {
            Some(RunPhase::PostCutover) => Phase::PostCutover,
            Some(RunPhase::Migrate) | None => Phase::Migrate,
        },
        rehearsal: None,
        expect_digest: args.expect_digest.clone(),
        wave: args.wave,
    };
    let outcome = run::run_bundle(&opts)?;
    let quiet = super::quiet();
    for s in &outcome.steps {
        // Quiet: only what did not succeed.
        if !(quiet && succeeded(&s.status)) {
            println!("{}", step_line(&s.id, &s.status));
        }
    }
    if !quiet {
        println!("journal: {}", outcome.run_dir.display());
        println!(
            "report:  cutover report {} --format html --out report.html",
            shell_path(&outcome.run_dir)
        );
    }
    if let Some(next) = &outcome.next {
        println!("next:    {next}");
    } else if outcome.exit() != Exit::Clean {
        println!(
            "next:    cutover run {} --resume   (redoes what failed or did not run, then goes on)",
            shell_path(&args.bundle)
        );
    }
    Ok(outcome.exit())
}

/// `--idle-timeout`, `--wait`: minutes, or a number with an `s`, `m` or `h` suffix; at least 1
/// second unless `zero` is allowed.
pub(super) fn parse_duration(flag: &str, text: &str, zero: bool) -> Result<Duration> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
        _ => (t, 'm'),
    };
    let secs = match (num.trim().parse::<u64>(), unit) {
        (Ok(n), 's') => Some(n),
        (Ok(n), 'm') => n.checked_mul(60),
        (Ok(n), 'h') => n.checked_mul(3600),
        _ => None,
    };
    match secs {
        Some(s) if s > 0 || zero => Ok(Duration::from_secs(s)),
        _ => Err(Error::Usage(format!(
            "{flag} {text}: expected minutes (e.g. 30) or a number with s, m or h (90s, 30m, 2h){}",
            if zero { "" } else { ", at least 1 second" }
        ))),
    }
}

/// A step that needs no attention: ran cleanly without failed operations, or was skipped.
fn succeeded(status: &StepStatus) -> bool {
    match status {
        StepStatus::Ran {
            outcome, by_status, ..
        } => *outcome == Outcome::Ok && !by_status.contains_key(&Status::Failed),
        StepStatus::Skipped(_) => true,
        _ => false,
    }
}

pub(super) fn step_line(id: &str, status: &StepStatus) -> String {
    match status {
        StepStatus::Ran {
            outcome,
            exit_code,
            by_status,
            missing,
            duration_s,
            whatif_violations,
        } => {
            let counts: Vec<String> = by_status
                .iter()
                .map(|(st, n)| format!("{n} {}", st.as_str()))
                .collect();
            let failed = by_status.get(&Status::Failed).copied().unwrap_or(0);
            // "ok" is about the process; a step with failed operations did not succeed.
            let label = if *outcome == Outcome::Ok && failed > 0 {
                "finished with failures"
            } else {
                outcome.as_str()
            };
            let mut line = format!(
                "{id}: {label} ({}; exit {}; {duration_s:.1} s)",
                if counts.is_empty() {
                    "no records".to_string()
                } else {
                    counts.join(", ")
                },
                exit_code.map_or_else(|| "none".to_string(), |c| c.to_string()),
            );
            if *missing > 0 {
                line.push_str(&format!(", {missing} not done"));
            }
            if *whatif_violations > 0 {
                line.push_str(&format!(
                    ", {whatif_violations} REAL CHANGES during --what-if"
                ));
            }
            line
        }
        StepStatus::Skipped(why) => format!("{id}: skipped ({why})"),
        // The instructions start with the step id.
        StepStatus::SourceServer(text) => text.clone(),
        StepStatus::NotReached => format!("{id}: not started (an earlier step did not finish)"),
        StepStatus::HeldByGate(gate) => {
            format!("{id}: not started (gate step {gate} has failed or unfinished operations)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_timeout_takes_minutes_or_a_unit() {
        assert_eq!(
            parse_duration("--idle-timeout", "30", false).unwrap(),
            Duration::from_secs(1800)
        );
        assert_eq!(
            parse_duration("--idle-timeout", "90s", false).unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(
            parse_duration("--idle-timeout", "2H", false).unwrap(),
            Duration::from_secs(7200)
        );
        // --wait may be 0 (no waiting); the same units.
        assert_eq!(parse_duration("--wait", "0", true).unwrap(), Duration::ZERO);
        assert_eq!(
            parse_duration("--wait", "45m", true).unwrap(),
            Duration::from_secs(2700)
        );
        assert!(parse_duration("--wait", "-5", true).is_err());
        for bad in ["0", "0s", "", "m", "-1", "1.5", "3d", "ten"] {
            assert!(
                parse_duration("--idle-timeout", bad, false).is_err(),
                "{bad}"
            );
        }
    }
}
