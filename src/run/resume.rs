//! What each step must still do, from the last record of every operation in the journal.

use std::path::Path;

use super::journal::{self, Invocation, LastStatus, Outcome, RunDir, RunState};
use super::protocol::{is_dynamic_op, Status};
use super::redact::Redactor;
use super::verify::BundleStep;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A new run: every step whole.
    Fresh,
    /// Continue the latest run: operations whose last record is a success are not sent again.
    Resume,
    /// Continue the latest run: only operations whose last record is `failed`.
    RetryFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepPlan {
    /// Run the whole step (no `-OnlyOpsPath`).
    Whole,
    /// Run only these operations (written to `only-ops-<step>.txt`).
    Only(Vec<String>),
    Skip(&'static str),
}

/// Whether an operation needs no further run: a success, or a `whatif` record in a what-if run.
pub fn is_done(status: Status, what_if: bool) -> bool {
    status.is_success() || (what_if && status == Status::Whatif)
}

pub fn plan_step(
    step: &BundleStep,
    last: &LastStatus,
    invocations: &[Invocation],
    mode: Mode,
    what_if: bool,
) -> StepPlan {
    if mode == Mode::Fresh {
        return StepPlan::Whole;
    }
    let id = step.id();
    let mut dyn_failed = false;
    let mut dyn_open = false;
    for (op, status) in last.of_step(id) {
        if is_dynamic_op(id, op) {
            dyn_failed |= status == Status::Failed;
            dyn_open |= !is_done(status, what_if);
        }
    }
    let last_clean = invocations
        .iter()
        .rev()
        .find(|i| i.step == id)
        .is_some_and(|i| i.outcome.is_clean());
    match mode {
        Mode::Fresh => StepPlan::Whole,
        Mode::Resume => {
            let todo: Vec<String> = step
                .planned
                .iter()
                .filter(|op| !last.get(id, op).is_some_and(|s| is_done(s, what_if)))
                .cloned()
                .collect();
            // A step without planned operations, or with a discovered one still open, is re-run
            // whole; it is finished when its last process ended cleanly. Otherwise discovered
            // operations belong to a planned one (a listing, e.g. 16-limits' mailbox plans)
            // that succeeds only when all of them did, so resuming the planned operations left
            // never sends a finished one again (a killed 16-limits resumes per mailbox).
            if step.planned.is_empty() || dyn_open {
                if todo.is_empty() && !dyn_open && last_clean {
                    StepPlan::Skip("every operation succeeded")
                } else {
                    StepPlan::Whole
                }
            } else if todo.is_empty() {
                StepPlan::Skip("every operation succeeded")
            } else if todo.len() == step.planned.len() {
                StepPlan::Whole
            } else {
                StepPlan::Only(todo)
            }
        }
        Mode::RetryFailed => {
            if dyn_failed {
                return StepPlan::Whole;
            }
            let failed: Vec<String> = step
                .planned
                .iter()
                .filter(|op| last.get(id, op) == Some(Status::Failed))
                .cloned()
                .collect();
            if failed.is_empty() {
                StepPlan::Skip("no failed operations")
            } else {
                StepPlan::Only(failed)
            }
        }
    }
}

/// Marks invocations left `running` by a runner that died as interrupted.
pub fn close_stale(invocations: &mut [Invocation]) -> bool {
    let mut changed = false;
    for inv in invocations
        .iter_mut()
        .filter(|i| i.outcome == Outcome::Running)
    {
        inv.outcome = Outcome::Interrupted;
        inv.note = Some("the runner stopped while this step ran".into());
        changed = true;
    }
    changed
}

/// Masks the journal of every run of the bundle that a killed runner left `running` (its last
/// step's records were never masked), whether this run resumes it or starts afresh. Called with
/// the run lock held, so no runner is writing to any of them.
pub fn mask_killed_runs(bundle_root: &Path, redactor: &Redactor) -> Result<()> {
    // Rehearsals keep journals too, and a rehearsal may be given the real secrets file.
    for dir in [journal::RUNS_DIR, super::REHEARSALS_DIR] {
        let Ok(entries) = std::fs::read_dir(bundle_root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let run = RunDir { path: entry.path() };
            if run.read_meta().is_ok_and(|m| m.state == RunState::Running) {
                journal::redact_records_from(&run.results(), 0, redactor)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::Step;
    use crate::run::journal::Records;
    use crate::run::protocol::ResultRecord;

    fn step(planned: &[&str]) -> BundleStep {
        BundleStep {
            step: Step {
                id: "05-users".into(),
                title: "Users".into(),
                file: "steps/05-users.ps1".into(),
                target: "graph".into(),
                runs_on: "jump-box".into(),
                shell: "pwsh-7".into(),
                sha256: String::new(),
                ops: planned.len() as u64,
                ops_file: None,
                op_id: None,
                data: vec![],
                changes: true,
                gate: false,
                phase: crate::bundle::manifest::PHASE_MIGRATE.to_string(),
            },
            script: "x".into(),
            planned: planned.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn last(recs: &[(&str, Status)]) -> LastStatus {
        Records {
            records: recs
                .iter()
                .map(|(op, st)| ResultRecord {
                    step: "05-users".into(),
                    op: op.to_string(),
                    action: "a".into(),
                    target: "t".into(),
                    status: *st,
                    error: None,
                    at: String::new(),
                    progress: None,
                })
                .collect(),
            bad_lines: vec![],
        }
        .last_status()
    }

    fn inv(outcome: Outcome) -> Invocation {
        Invocation {
            step: "05-users".into(),
            attempt: 1,
            command: vec![],
            only_ops: None,
            ops_requested: None,
            started: String::new(),
            finished: None,
            duration_s: None,
            exit_code: None,
            outcome,
            records: 0,
            missing: 0,
            stdout_log: None,
            stderr_log: None,
            source: None,
            note: None,
        }
    }

    #[test]
    fn resume_sends_only_ops_whose_last_record_is_not_a_success() {
        let s = step(&["a", "b", "c", "d"]);
        let l = last(&[
            ("a", Status::Created),
            ("b", Status::Failed),
            ("c", Status::Failed),
            ("c", Status::Unchanged),
        ]);
        let inv = [inv(Outcome::Incomplete)];
        assert_eq!(
            plan_step(&s, &l, &inv, Mode::Resume, false),
            StepPlan::Only(vec!["b".into(), "d".into()])
        );
        assert_eq!(
            plan_step(&s, &l, &inv, Mode::RetryFailed, false),
            StepPlan::Only(vec!["b".into()])
        );
        assert_eq!(plan_step(&s, &l, &inv, Mode::Fresh, false), StepPlan::Whole);
    }

    #[test]
    fn finished_steps_are_skipped_and_untouched_steps_run_whole() {
        let s = step(&["a", "b"]);
        let done = last(&[("a", Status::Skipped), ("b", Status::Updated)]);
        assert!(matches!(
            plan_step(&s, &done, &[], Mode::Resume, false),
            StepPlan::Skip(_)
        ));
        assert!(matches!(
            plan_step(&s, &done, &[], Mode::RetryFailed, false),
            StepPlan::Skip(_)
        ));
        assert_eq!(
            plan_step(&s, &last(&[]), &[], Mode::Resume, false),
            StepPlan::Whole
        );
    }

    #[test]
    fn whatif_records_count_as_done_only_in_a_whatif_run() {
        let s = step(&["a"]);
        let l = last(&[("a", Status::Whatif)]);
        assert!(matches!(
            plan_step(&s, &l, &[], Mode::Resume, true),
            StepPlan::Skip(_)
        ));
        assert_eq!(plan_step(&s, &l, &[], Mode::Resume, false), StepPlan::Whole);
    }

    #[test]
    fn dynamic_ops_rerun_the_whole_step() {
        let s = step(&["a"]);
        let l = last(&[("a", Status::Created), ("05-users:dyn:x", Status::Failed)]);
        assert_eq!(
            plan_step(&s, &l, &[inv(Outcome::Ok)], Mode::Resume, false),
            StepPlan::Whole
        );
        assert_eq!(
            plan_step(&s, &l, &[inv(Outcome::Ok)], Mode::RetryFailed, false),
            StepPlan::Whole
        );
        let ok = last(&[("a", Status::Created), ("05-users:dyn:x", Status::Updated)]);
        assert!(matches!(
            plan_step(&s, &ok, &[inv(Outcome::Ok)], Mode::Resume, false),
            StepPlan::Skip(_)
        ));
        // Same records, but the process crashed afterwards: the planned op that found them
        // recorded its success only after all of them, so nothing is left.
        assert!(matches!(
            plan_step(&s, &ok, &[inv(Outcome::Incomplete)], Mode::Resume, false),
            StepPlan::Skip(_)
        ));
    }

    #[test]
    fn a_killed_step_with_discovered_ops_resumes_what_is_left_only() {
        // 16-limits killed inside its listing: one mailbox set, one discovered object set.
        let s = step(&["m1", "m2", "list"]);
        let l = last(&[("m1", Status::Updated), ("05-users:dyn:x", Status::Updated)]);
        assert_eq!(
            plan_step(&s, &l, &[inv(Outcome::Interrupted)], Mode::Resume, false),
            StepPlan::Only(vec!["m2".into(), "list".into()])
        );
    }
}
