//! The mailbox migration's model: engine, dates, waves and the expected duration of each pass.
//!
//! Built once per plan from `[migration]` in cutover.toml, the mailbox pairs the plan migrates
//! and, when the project has statistics, the estimate (`audit::estimate`). The migration steps
//! are generated from it (one op per mailbox, its wave in the data file's `Wave` column), the
//! bundle writes it as `data/migration-mailboxes.csv`, and `cutover report` compares progress
//! records against its estimates.

use std::str::FromStr;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The data file with one row per mailbox to migrate (see [`MAILBOX_COLUMNS`]).
pub const MAILBOXES_FILE: &str = "data/migration-mailboxes.csv";

/// Columns of [`MAILBOXES_FILE`], in order. `ItemEndDate` is `yyyy-MM-dd` (empty without a
/// cutover date); the estimates are empty without statistics.
pub const MAILBOX_COLUMNS: [&str; 7] = [
    "Wave",
    "SourceAddress",
    "TargetUpn",
    "ItemEndDate",
    "EstimatedBytes",
    "EstimatedItems",
    "User",
];

/// The column every per-mailbox migration step's data file has first after `Op`: the wave
/// number (decimal, from 1). `cutover run --wave N` runs only the rows whose `Wave` is `N` in
/// steps that have the column; steps without it run as they always do.
pub const WAVE_COLUMN: &str = "Wave";

/// Which tool moves the mailbox contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// No migration steps: the MigrationWiz bulk-add CSV only (the portal path).
    #[default]
    None,
    /// BitTitan MigrationWiz driven by its PowerShell module from the jump box.
    Migrationwiz,
    /// Exchange Online's own migration batches.
    Native,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::None => "none",
            Engine::Migrationwiz => "migrationwiz",
            Engine::Native => "native",
        }
    }
}

impl FromStr for Engine {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Ok(Engine::None),
            "migrationwiz" | "bittitan" => Ok(Engine::Migrationwiz),
            "native" => Ok(Engine::Native),
            _ => Err(Error::Usage(format!(
                "[migration] engine = '{s}': use migrationwiz, native or none"
            ))),
        }
    }
}

/// The kind of native migration batch (Microsoft's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NativeType {
    /// Cutover migration over Outlook Anywhere: every mailbox in one batch, no CSV.
    Cutover,
    /// Staged migration over Outlook Anywhere (Exchange 2003 and 2007 sources only), batches
    /// from a CSV.
    Staged,
    /// Remote move from an Exchange hybrid deployment, batches from a CSV.
    RemoteMove,
}

impl NativeType {
    pub fn as_str(self) -> &'static str {
        match self {
            NativeType::Cutover => "cutover",
            NativeType::Staged => "staged",
            NativeType::RemoteMove => "remote-move",
        }
    }
}

impl FromStr for NativeType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cutover" => Ok(NativeType::Cutover),
            "staged" => Ok(NativeType::Staged),
            "remote-move" | "remotemove" | "hybrid" => Ok(NativeType::RemoteMove),
            _ => Err(Error::Usage(format!(
                "[migration] endpoint_type = '{s}': use cutover, staged or remote-move"
            ))),
        }
    }
}

/// One mailbox in a wave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaveMailbox {
    /// The address MigrationWiz / the endpoint reads the source mailbox by (lower-case).
    pub source: String,
    /// The Exchange Online mailbox it lands in (the user's UPN, or the shared mailbox's address).
    pub target: String,
    /// A person's mailbox, not a shared, room or equipment one.
    pub user: bool,
    /// `None` without statistics.
    pub bytes: Option<u64>,
    pub items: Option<u64>,
}

/// Mailboxes migrated together: delegates (FullAccess, SendAs, SendOnBehalf) are never split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wave {
    /// From 1, in run order.
    pub number: u32,
    pub mailboxes: Vec<WaveMailbox>,
    /// Sums of the mailboxes' estimates; `None` without statistics.
    pub bytes: Option<u64>,
    pub items: Option<u64>,
    /// Elapsed hours of the wave alone at the full bandwidth; `None` without statistics.
    pub hours: Option<f64>,
    /// A delegate group larger than the wave size, kept whole.
    pub oversized: bool,
}

/// Expected duration of one pass, or why it is unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassEstimate {
    /// `None`: unknown (see `note`).
    pub hours: Option<f64>,
    pub note: String,
}

/// The migration's schedule and the dates it must fit between.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationPlan {
    pub engine: Engine,
    /// `Some` exactly when the engine is native.
    pub native_type: Option<NativeType>,
    /// MigrationWiz customer (`Get-BT_Customer -CompanyName`); `None` for native.
    pub customer: Option<String>,
    /// MigrationWiz project (mailbox connector) name; `None` for native.
    pub project: Option<String>,
    /// Native batch names are `<batch_prefix>-wave<N>` (see [`MigrationPlan::batch_name`]).
    pub batch_prefix: String,
    /// When the pre-stage pass may start (`[migration] prestage_start`).
    pub prestage_start: Option<NaiveDate>,
    /// The MX change (`[schedule] cutover`, the one source of that date).
    pub cutover: Option<NaiveDate>,
    /// The day of the full (delta) pass after the MX change (default: the cutover day).
    pub final_pass: Option<NaiveDate>,
    /// Pre-stage copies mail older than this (`-ItemEndDate`): cutover minus `prestage_days`.
    pub item_end_date: Option<NaiveDate>,
    pub prestage_days: u32,
    pub waves: Vec<Wave>,
    /// The pre-stage pass (all waves).
    pub prestage: PassEstimate,
    /// The full (delta) pass after the MX change (all waves).
    pub final_pass_estimate: PassEstimate,
    /// Whether the waves carry estimates (the project has mailbox statistics).
    pub statistics: bool,
    /// Where the mailbox rows are for the steps ([`MAILBOXES_FILE`]).
    pub data_file: &'static str,
}

impl MigrationPlan {
    /// Every mailbox with its wave number, in wave order.
    pub fn mailboxes(&self) -> impl Iterator<Item = (u32, &WaveMailbox)> {
        self.waves
            .iter()
            .flat_map(|w| w.mailboxes.iter().map(move |m| (w.number, m)))
    }

    /// The native migration batch of wave `n`.
    pub fn batch_name(&self, wave: u32) -> String {
        format!("{}-wave{wave}", self.batch_prefix)
    }

    /// `-ItemEndDate` as the data files carry it (`yyyy-MM-dd`), empty when unknown.
    pub fn item_end_date_text(&self) -> String {
        self.item_end_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }
}

/// Start of the cutover evening, when the MX change and the final pass begin.
pub fn cutover_start(day: NaiveDate) -> NaiveDateTime {
    let evening = NaiveTime::from_hms_opt(crate::audit::estimate::CUTOVER_HOUR, 0, 0)
        .unwrap_or(NaiveTime::MIN);
    day.and_time(evening)
}

/// `cutover - prestage_days`.
pub fn item_end_date(cutover: NaiveDate, prestage_days: u32) -> NaiveDate {
    cutover - Duration::days(i64::from(prestage_days))
}
