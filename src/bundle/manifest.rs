//! `manifest.json`: what a bundle holds, where each step runs, and the hash of every file.
//! The runner refuses a bundle whose files no longer match.

use serde::{Deserialize, Serialize};

pub const FORMAT: u32 = 1;

/// The bundle digest: sha256 of `manifest.json`'s bytes. The manifest holds the hash of every
/// step, module, data and ops file, so this one value pins the whole bundle a reviewer approved
/// (`bundle` prints it, PLAN.md shows it, `cutover run --expect-digest` checks it).
pub fn digest(manifest_json: &[u8]) -> String {
    super::sha256_hex(manifest_json)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Major version of this shape; readers refuse an unknown one and ignore unknown fields.
    pub format: u32,
    /// `cutover X.Y.Z` that wrote the bundle.
    pub generator: String,
    /// `2003` ... `2019`, `SE`.
    pub source_version: String,
    /// `cloud` or `synced`.
    pub identity: String,
    pub tenant: Option<String>,
    pub steps: Vec<Step>,
    /// Data files the steps read, each with its own hash.
    pub data: Vec<DataFile>,
    /// The shared PowerShell module(s), hashed like the steps.
    pub modules: Vec<DataFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Stable id, e.g. `05-users`.
    pub id: String,
    pub title: String,
    /// Path relative to the bundle root, `/`-separated: `steps/05-users.ps1`.
    pub file: String,
    /// `exchange2003` ... `exchangeSE`, `exchangeOnline`, `graph`.
    pub target: String,
    /// `source-server` or `jump-box`.
    pub runs_on: String,
    /// `powershell-1.0` (Exchange 2007), `powershell-2.0`, `powershell-5.1` or `pwsh-7`.
    pub shell: String,
    pub sha256: String,
    /// Number of operations (result records) the step will write when run whole.
    pub ops: u64,
    /// Path (relative to the root) of the step's planned operation ids: the step's data file
    /// (its `Op` column) since plan format 2, a `.txt` of one id per line before
    /// (`run::verify::read_planned` reads both).
    #[serde(default)]
    pub ops_file: Option<String>,
    /// The template of the ops file's operation ids when it has no `Op` column (plan.json's
    /// `op_id`, [`crate::plan::contract::IdPart`]); `Import-CutoverData` reads it here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_id: Option<Vec<crate::plan::contract::IdPart>>,
    /// Data files (paths relative to the root) this step reads.
    #[serde(default)]
    pub data: Vec<String>,
    /// Whether the step changes anything (false for read-only checks and exports).
    #[serde(default)]
    pub changes: bool,
    /// Later steps depend on this one's operations (domains verified, users synced, mailboxes
    /// provisioned): the runner stops after it when any of its operations failed.
    #[serde(default)]
    pub gate: bool,
    /// `migrate` (default) or `post-cutover` (after the MX change): the runner runs post-cutover
    /// steps only when asked to (`--phase post-cutover` or `--step ID`).
    #[serde(default = "default_phase")]
    pub phase: String,
}

pub const PHASE_MIGRATE: &str = "migrate";
pub const PHASE_POST_CUTOVER: &str = "post-cutover";
/// Steps run only when named (`--step`), on dates of their own: the users' notices.
pub const PHASE_NOTICES: &str = "notices";

fn default_phase() -> String {
    PHASE_MIGRATE.to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    pub file: String,
    pub sha256: String,
}

pub const RUNS_ON_SOURCE: &str = "source-server";
pub const RUNS_ON_JUMP_BOX: &str = "jump-box";
/// Windows PowerShell 5.1 on the jump box (BitTitan's module needs it; `cutover run` starts
/// only PowerShell 7).
pub const SHELL_WINDOWS_POWERSHELL: &str = "powershell-5.1";

/// Whether `cutover run` starts the step itself. Source-server steps, and jump-box steps that
/// need Windows PowerShell 5.1 (MigrationWiz), are run by hand where their shell is and their
/// results imported (`--import-results`); a rehearsal runs them all.
pub fn runs_in_runner(runs_on: &str, shell: &str) -> bool {
    runs_on != RUNS_ON_SOURCE && shell != SHELL_WINDOWS_POWERSHELL
}
