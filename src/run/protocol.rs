//! The results protocol: the one contract between generated step scripts and the runner.
//!
//! # Invoking a step
//! The runner starts one process per step:
//!
//! ```text
//! pwsh -NoLogo -NoProfile -NonInteractive -File BUNDLE/steps/NN-name.ps1
//!      -ModulePath BUNDLE/modules/Cutover.psm1 -ResultsPath RUN/results.jsonl
//!      [-OnlyOpsPath RUN/only-ops-NN.txt] [-SecretsPath FILE] [-WhatIf:$true]
//! ```
//!
//! and also sets the environment variables `CUTOVER_RESULTS` (= `-ResultsPath`),
//! `CUTOVER_STEP` (the step id) and, when resuming, `CUTOVER_ONLY_OPS` (= `-OnlyOpsPath`),
//! so a step run by hand on a source server needs only `-ResultsPath`.
//! `-OnlyOpsPath` names a UTF-8 file of operation ids, one per line; when given, the step
//! performs those operations only. Without it the step performs every operation in its data files.
//!
//! # Records
//! Each operation appends exactly one JSON object on its own line to the results file,
//! flushed before the next operation starts:
//! `{"step","op","action","target","status","error","at"}`, `status` one of
//! `created updated unchanged skipped failed whatif`, `error` null unless failed, `at` an
//! ISO 8601 UTC timestamp. stdout and stderr are logs, never data.
//!
//! A migration status step adds `"progress"` to its per-mailbox record (see [`Progress`]):
//! `{"engine","pass","state","items","bytes","errors"}`. Records without it are unchanged.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Updated,
    Unchanged,
    Skipped,
    Failed,
    Whatif,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Created,
        Status::Updated,
        Status::Unchanged,
        Status::Skipped,
        Status::Failed,
        Status::Whatif,
    ];

    /// Whether the operation's effect is in place (a resumed run does not send it again).
    /// `skipped` is a success: the step decided nothing was to be done for that operation.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Status::Created | Status::Updated | Status::Unchanged | Status::Skipped
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Unchanged => "unchanged",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Whatif => "whatif",
        }
    }
}

/// One line of `results.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub step: String,
    pub op: String,
    pub action: String,
    pub target: String,
    pub status: Status,
    #[serde(default)]
    pub error: Option<String>,
    pub at: String,
    /// A mailbox's migration progress, written by the migration status steps only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// A mailbox migration's progress as the engine reported it when the status step ran.
///
/// `state` is the engine's own status text, never translated: MigrationWiz's
/// `Get-MW_MailboxMigration` `Status` (Submitted, Processing, Stopping, Stopped, Completed,
/// Failed), or the native `Get-MigrationUser` `Status` (Queued, Syncing, Synced, Completed,
/// Failed, ...). The counts are what the engine says moved so far; `None` when it did not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// `migrationwiz` or `native` (`plan::migration::Engine::as_str`).
    pub engine: String,
    /// `verification`, `prestage` or `full` ([`PASSES`]).
    pub pass: String,
    pub state: String,
    #[serde(default)]
    pub items: Option<u64>,
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default)]
    pub errors: Option<u64>,
}

/// The passes a progress record can name, in the order a mailbox goes through them.
pub const PASSES: [&str; 3] = ["verification", "prestage", "full"];

pub const ENV_RESULTS: &str = "CUTOVER_RESULTS";
pub const ENV_STEP: &str = "CUTOVER_STEP";
pub const ENV_ONLY_OPS: &str = "CUTOVER_ONLY_OPS";

/// Marks an operation a step discovered at run time: `<step-id>:dyn:<anything>`.
pub const DYN_MARK: &str = ":dyn:";

/// Whether `op` is a dynamic operation of `step` (not in the step's ops file; resuming such a
/// step re-runs it whole, which the idempotent script allows).
pub fn is_dynamic_op(step: &str, op: &str) -> bool {
    op.strip_prefix(step)
        .is_some_and(|rest| rest.starts_with(DYN_MARK))
}

/// The arguments of the version probe, exactly as the runner sends them.
pub const PROBE_ARGS: [&str; 4] = ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command"];
/// The probe's command text (one argv element, never through a shell).
pub const PROBE_COMMAND: &str = "$PSVersionTable.PSVersion.ToString()";
/// Leading arguments of every step invocation, before the script path.
pub const STEP_ARGS: [&str; 4] = ["-NoLogo", "-NoProfile", "-NonInteractive", "-File"];
/// `-WhatIf:$true` as one argument: some Microsoft cmdlets ignore `$WhatIfPreference`.
pub const WHATIF_ARG: &str = "-WhatIf:$true";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_optional_and_its_counts_may_be_unknown() {
        let plain: ResultRecord = serde_json::from_str(
            r#"{"step":"07-users","op":"users:ensure:a","action":"ensure","target":"a","status":"created","error":null,"at":"t"}"#,
        )
        .unwrap();
        assert_eq!(plain.progress, None);
        // Written back without the field: a record of every other step keeps its shape.
        assert!(!serde_json::to_string(&plain).unwrap().contains("progress"));
        let status: ResultRecord = serde_json::from_str(
            r#"{"step":"34-status","op":"migration:status:a","action":"read","target":"a","status":"unchanged","error":null,"at":"t","progress":{"engine":"native","pass":"prestage","state":"Syncing","bytes":10}}"#,
        )
        .unwrap();
        let p = status.progress.unwrap();
        assert_eq!(
            (p.state.as_str(), p.bytes, p.items),
            ("Syncing", Some(10), None)
        );
        // A progress object without its engine, pass or state is not a progress record.
        assert!(serde_json::from_str::<ResultRecord>(
            r#"{"step":"s","op":"o","action":"a","target":"t","status":"unchanged","at":"t","progress":{"bytes":1}}"#
        )
        .is_err());
    }

    #[test]
    fn dynamic_ops_need_the_step_prefix_and_the_mark() {
        assert!(is_dynamic_op(
            "08-limits",
            "08-limits:dyn:alice@contoso.com"
        ));
        assert!(!is_dynamic_op("08-limits", "08-limits:alice@contoso.com"));
        assert!(!is_dynamic_op("08-limits", "09-other:dyn:x"));
        assert!(!is_dynamic_op("08", "08-limits:dyn:x"));
    }
}
