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
    /// Kept out of plan.json (100,000s of rows): `data/migration-mailboxes.csv` has them.
    #[serde(skip)]
    pub mailboxes: Vec<WaveMailbox>,
    pub mailbox_count: usize,
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
    /// MigrationWiz: the source Exchange's URL; native remote move: the MRS proxy's FQDN.
    pub source_server: Option<String>,
    /// Native cutover/staged: the admin mailbox Autodiscover starts from (`[migration]
    /// source_admin`, else `[source] migration_account` when it is an address).
    pub source_admin: Option<String>,
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

/// Bytes for people: `1.5 GB` (10^9, as the estimate prints them).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (unit, size) in UNITS {
        if b as f64 >= size {
            return format!("{:.1} {unit}", b as f64 / size);
        }
    }
    format!("{b} B")
}

/// Hours for people, or the reason they are unknown.
pub fn pass_text(p: &PassEstimate) -> String {
    match p.hours {
        Some(h) => format!("{h:.1} h"),
        None => p.note.clone(),
    }
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

/// `cutover - prestage_days`; `None` before the first representable day (a typing error).
pub fn item_end_date(cutover: NaiveDate, prestage_days: u32) -> Option<NaiveDate> {
    cutover.checked_sub_signed(Duration::days(i64::from(prestage_days)))
}

/// Mailboxes per wave when neither `[migration] wave_size` nor a bandwidth says otherwise.
pub const DEFAULT_WAVE_SIZE: usize = 50;

/// Microsoft: a cutover migration moves at most 2,000 mailboxes, and 150 or fewer is
/// recommended ("What you need to know about a cutover email migration to Microsoft 365",
/// learn.microsoft.com/exchange/mailbox-migration/what-to-know-about-a-cutover-migration).
pub const CUTOVER_MAX_MAILBOXES: usize = 2000;
pub const CUTOVER_RECOMMENDED_MAILBOXES: usize = 150;

/// Why a native batch type cannot be used for this project, per Microsoft's documentation;
/// `None` when it can.
///
/// - cutover: Exchange 2003 and later over Outlook Anywhere, all mailboxes in one batch ("Use
///   PowerShell to perform a cutover migration to Microsoft 365", microsoft-365-docs). Not
///   available once directory synchronization is on: the Exchange admin center greys the option
///   out then (its own text: "If DirSync is enabled, then a cutover migration is not an option";
///   also the TechNet wiki "Office 365: Cut-over migration"). Found in those secondary copies,
///   not on a learn.microsoft.com page: verify when Microsoft publishes it there.
/// - staged: Exchange 2003 and 2007 only ("You can't use a staged migration to migrate Exchange
///   2013 or Exchange 2010 mailboxes"), with users created by directory synchronization
///   (learn.microsoft.com/exchange/mailbox-migration/what-to-know-about-a-staged-migration).
/// - remote move: an Exchange hybrid deployment (a RemoteMove endpoint: "Learn more about
///   migration endpoint configuration"), whose configuration cmdlet New-HybridConfiguration
///   applies to Exchange 2010, 2013, 2016 and 2019 (office-docs-powershell
///   New-HybridConfiguration.md), with identities synchronized from Active Directory
///   (Exchange hybrid is a sync scenario: learn.microsoft.com/entra/identity/hybrid/common-scenarios).
pub fn unsupported(
    kind: NativeType,
    version: crate::project::SourceVersion,
    identity: crate::project::IdentityMode,
) -> Option<&'static str> {
    use crate::project::{IdentityMode, SourceVersion};
    match kind {
        NativeType::Cutover if identity == IdentityMode::Synced => Some(
            "a cutover migration is not available when directory synchronization is on (identity = synced): use remote-move (hybrid), staged (2003/2007) or MigrationWiz",
        ),
        NativeType::Cutover => None,
        NativeType::Staged if version > SourceVersion::Ex2007 => Some(
            "a staged migration is only for Exchange 2003 and 2007 sources: use cutover (up to 2,000 mailboxes, cloud identities), remote-move (hybrid) or MigrationWiz",
        ),
        NativeType::Staged if identity == IdentityMode::Cloud => Some(
            "a staged migration needs the users created by directory synchronization (identity = synced)",
        ),
        NativeType::Staged => None,
        NativeType::RemoteMove if version < SourceVersion::Ex2010 => Some(
            "a remote move needs an Exchange hybrid deployment, which needs Exchange 2010 or later on premises",
        ),
        NativeType::RemoteMove if identity == IdentityMode::Cloud => Some(
            "a remote move needs an Exchange hybrid deployment with directory synchronization (identity = synced)",
        ),
        NativeType::RemoteMove => None,
    }
}

/// Hours from `start` (00:00) to the cutover evening; negative when the start is later.
pub fn hours_between(start: NaiveDate, cutover: NaiveDate) -> f64 {
    (cutover_start(cutover) - start.and_time(NaiveTime::MIN)).num_seconds() as f64 / 3600.0
}

impl MigrationPlan {
    /// Hours the pre-stage pass needs beyond the time between `prestage_start` and the
    /// cutover evening, rounded up; `None` when it fits or cannot be told.
    pub fn missing_hours(&self) -> Option<u64> {
        let (start, cutover, need) = (self.prestage_start?, self.cutover?, self.prestage.hours?);
        let missing = need - hours_between(start, cutover);
        (missing > 0.0).then(|| missing.ceil() as u64)
    }

    /// The latest time the pre-stage can start and still end by the cutover evening.
    pub fn latest_prestage_start(&self) -> Option<NaiveDateTime> {
        let (cutover, need) = (self.cutover?, self.prestage.hours?);
        let need = need.clamp(0.0, 24.0 * 3650.0);
        cutover_start(cutover).checked_sub_signed(Duration::seconds((need * 3600.0).round() as i64))
    }

    pub fn mailbox_count(&self) -> usize {
        self.waves.iter().map(|w| w.mailboxes.len()).sum()
    }
}

const NO_STATISTICS: &str = "unknown: no statistics ([inputs] stats)";
const NO_BANDWIDTH: &str = "unknown: no bandwidth ([estimate] bandwidth_mbps)";

fn round2(h: f64) -> f64 {
    (h * 100.0).round() / 100.0
}

/// The migration plan for `pairs` (the plan's mailboxes, the same list as the MigrationWiz
/// bulk-add file), or `None` when `[migration] engine` is none.
pub fn build(
    project: &crate::project::Project,
    tenant: &crate::model::Tenant,
    pairs: &[super::MailboxPair],
) -> Option<MigrationPlan> {
    use std::collections::HashMap;
    let s = &project.migration;
    if s.engine == Engine::None {
        return None;
    }
    let audit = crate::audit::audit(
        &tenant.mailboxes,
        &tenant.stats,
        &tenant.permissions,
        &tenant.users,
        project,
    );
    let statistics = !tenant.stats.is_empty();
    // The audit's one resolver of mailbox names: the pair's addresses to its export row.
    let ix = crate::audit::join::MailboxIndex::new(&tenant.mailboxes);
    let mailbox_of: Vec<Option<usize>> = pairs
        .iter()
        .map(|p| ix.resolve(&p.source).or_else(|| ix.resolve(&p.destination)))
        .collect();
    // Delegate groups over mailbox positions become groups over pairs; a pair whose mailbox
    // is in no group (or not in the export) moves alone.
    let mut group_of_mailbox = vec![usize::MAX; tenant.mailboxes.len()];
    for (g, members) in audit.groups.iter().enumerate() {
        for &m in members {
            if let Some(slot) = group_of_mailbox.get_mut(m) {
                *slot = g;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut slot_of_group: HashMap<usize, usize> = HashMap::new();
    for (p, m) in mailbox_of.iter().enumerate() {
        let g = m
            .and_then(|m| group_of_mailbox.get(m).copied())
            .filter(|g| *g != usize::MAX);
        match g {
            Some(g) => {
                let slot = *slot_of_group.entry(g).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                if let Some(list) = groups.get_mut(slot) {
                    list.push(p);
                }
            }
            None => groups.push(vec![p]),
        }
    }
    let native_type = (s.engine == Engine::Native)
        .then_some(s.native_type)
        .flatten();
    let bandwidth = project.bandwidth_mbps.filter(|b| b.is_finite() && *b > 0.0);
    let wave_size = if native_type == Some(NativeType::Cutover) {
        // Only one cutover batch can exist at a time: every mailbox is one wave.
        usize::MAX
    } else {
        s.wave_size.unwrap_or_else(|| match bandwidth {
            Some(b) => {
                let settings = crate::audit::estimate::Settings {
                    bandwidth_mbps: b,
                    concurrency: project.concurrency,
                    prestage_days: project.prestage_days,
                    recent_fraction: crate::audit::estimate::DEFAULT_RECENT_FRACTION,
                    batch_size: None,
                    start: NaiveDate::MIN,
                };
                crate::audit::estimate::concurrency(&settings).0 as usize
            }
            None => DEFAULT_WAVE_SIZE,
        })
    };
    let link = bandwidth.map(crate::audit::estimate::link_bytes_per_hour);
    let usage_of = |p: usize| {
        mailbox_of
            .get(p)
            .copied()
            .flatten()
            .and_then(|m| audit.usage.get(m))
            .filter(|u| statistics && u.has_stats())
    };
    let mut waves = Vec::new();
    for (n, (members, oversized)) in crate::audit::estimate::pack_batches(&groups, wave_size)
        .into_iter()
        .enumerate()
    {
        let mut mailboxes = Vec::with_capacity(members.len());
        let (mut bytes, mut items) = (0u64, 0u64);
        for p in members {
            let Some(pair) = pairs.get(p) else { continue };
            let u = usage_of(p);
            bytes = bytes.saturating_add(u.map_or(0, |u| u.bytes()));
            items = items.saturating_add(u.map_or(0, |u| u.items()));
            mailboxes.push(WaveMailbox {
                source: pair.source.clone(),
                target: pair.destination.clone(),
                user: pair.user,
                bytes: u.map(|u| u.bytes()),
                items: u.map(|u| u.items()),
            });
        }
        waves.push(Wave {
            number: u32::try_from(n + 1).unwrap_or(u32::MAX),
            mailbox_count: mailboxes.len(),
            mailboxes,
            bytes: statistics.then_some(bytes),
            items: statistics.then_some(items),
            hours: statistics
                .then_some(link)
                .flatten()
                .map(|l| round2(bytes as f64 / l)),
            oversized,
        });
    }
    let total: u64 = waves.iter().filter_map(|w| w.bytes).sum();
    let fraction = crate::audit::estimate::DEFAULT_RECENT_FRACTION;
    let pass = |share: f64, what: &str| {
        match (statistics, link) {
        (false, _) => PassEstimate {
            hours: None,
            note: NO_STATISTICS.into(),
        },
        (true, None) => PassEstimate {
            hours: None,
            note: NO_BANDWIDTH.into(),
        },
        (true, Some(l)) => PassEstimate {
            hours: Some(round2(total as f64 * share / l)),
            note: format!(
                "{what}: {:.0}% of {total} bytes at {} Mbps (the estimate's model: the link stays full, statistics carry no item ages)",
                share * 100.0,
                bandwidth.unwrap_or(0.0)
            ),
        },
    }
    };
    let cutover = project.schedule.cutover;
    let tenant_name = project
        .tenant
        .as_deref()
        .and_then(|t| t.split('.').next())
        .unwrap_or("tenant");
    let migrationwiz = s.engine == Engine::Migrationwiz;
    Some(MigrationPlan {
        engine: s.engine,
        native_type,
        customer: migrationwiz.then(|| {
            s.customer
                .clone()
                .unwrap_or_else(|| tenant_name.to_string())
        }),
        project: migrationwiz.then(|| {
            s.project
                .clone()
                .unwrap_or_else(|| format!("cutover-{tenant_name}"))
        }),
        batch_prefix: s.batch_prefix.clone().unwrap_or_else(|| "cutover".into()),
        source_server: s.source_server.clone(),
        source_admin: s.source_admin.clone().or_else(|| {
            project
                .migration_account
                .as_deref()
                .map(str::trim)
                .filter(|a| a.contains('@') && !a.contains('\\'))
                .map(str::to_string)
        }),
        prestage_start: s.prestage_start,
        cutover,
        final_pass: s.final_pass.or(cutover),
        item_end_date: cutover.and_then(|c| item_end_date(c, project.prestage_days)),
        prestage_days: project.prestage_days,
        waves,
        prestage: pass(1.0 - fraction, "mail older than the cut-off"),
        final_pass_estimate: pass(fraction, "mail newer than the cut-off"),
        statistics,
        data_file: MAILBOXES_FILE,
    })
}

/// The rows of [`MAILBOXES_FILE`] under [`MAILBOX_COLUMNS`].
pub fn mailbox_rows(mp: &MigrationPlan) -> Vec<[String; 7]> {
    let end = mp.item_end_date_text();
    let mut rows = Vec::with_capacity(mp.mailbox_count());
    for (wave, m) in mp.mailboxes() {
        rows.push([
            wave.to_string(),
            m.source.clone(),
            m.target.clone(),
            end.clone(),
            m.bytes.map(|b| b.to_string()).unwrap_or_default(),
            m.items.map(|b| b.to_string()).unwrap_or_default(),
            m.user.to_string(),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::load::{mailboxes_from, permissions_from, stats_from};
    use crate::audit::rows::Table;
    use crate::model::Tenant;
    use crate::project::{IdentityMode, Project, SourceVersion};

    fn table(name: &str, text: &str) -> Table {
        Table::from_csv_text(name, text, b',').unwrap()
    }

    /// Four user mailboxes of 1 GB (10^9 bytes) each; b has FullAccess on a.
    fn tenant(stats: bool) -> Tenant {
        let mut t = Tenant {
            mailboxes: mailboxes_from(&table(
                "m.csv",
                "Identity,Alias,PrimarySmtpAddress,UserPrincipalName,ExchangeGuid,RecipientTypeDetails\n\
                 a,a,a@contoso.com,a@contoso.com,g-1,UserMailbox\n\
                 b,b,b@contoso.com,b@contoso.com,g-2,UserMailbox\n\
                 c,c,c@contoso.com,c@contoso.com,g-3,UserMailbox\n\
                 d,d,d@contoso.com,d@contoso.com,g-4,UserMailbox\n",
            ))
            .records,
            permissions: permissions_from(&table(
                "p.csv",
                "Identity,User,AccessRights,Deny\na,b@contoso.com,FullAccess,False\n",
            ))
            .records,
            ..Default::default()
        };
        if stats {
            t.stats = stats_from(&table(
                "s.csv",
                "MailboxGuid,TotalItemSize,ItemCount\ng-1,1000000000,10\ng-2,1000000000,20\ng-3,1000000000,30\ng-4,1000000000,40\n",
            ))
            .records;
        }
        t.users = ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .map(|(i, n)| crate::plan::tests::user(&format!("{n}@contoso.com"), i as u64 + 2))
            .collect();
        t
    }

    fn project(engine: Engine, bandwidth: Option<f64>) -> Project {
        let mut p = Project {
            domains: vec!["contoso.com".into()],
            tenant: Some("contoso.onmicrosoft.com".into()),
            bandwidth_mbps: bandwidth,
            ..Default::default()
        };
        p.migration.engine = engine;
        p.migration.wave_size = Some(2);
        p.schedule.cutover = NaiveDate::from_ymd_opt(2026, 12, 18);
        p
    }

    fn plan(p: &Project, t: &Tenant) -> MigrationPlan {
        build(p, t, &crate::plan::mailbox_pairs(t)).expect("an engine")
    }

    fn wave_of(mp: &MigrationPlan, source: &str) -> u32 {
        mp.mailboxes()
            .find(|(_, m)| m.source == source)
            .map(|(w, _)| w)
            .unwrap()
    }

    #[test]
    fn no_engine_no_migration_plan() {
        let t = tenant(true);
        assert!(build(&project(Engine::None, Some(1.0)), &t, &[]).is_none());
    }

    #[test]
    fn delegates_share_a_wave_and_waves_keep_their_size() {
        let mp = plan(&project(Engine::Migrationwiz, Some(1.0)), &tenant(true));
        assert_eq!(mp.waves.len(), 2);
        assert_eq!(wave_of(&mp, "a@contoso.com"), wave_of(&mp, "b@contoso.com"));
        assert_ne!(wave_of(&mp, "a@contoso.com"), wave_of(&mp, "c@contoso.com"));
        assert!(mp.waves.iter().all(|w| w.mailboxes.len() == 2));
        assert_eq!(mp.waves[0].bytes, Some(2_000_000_000));
        assert_eq!(mp.project.as_deref(), Some("cutover-contoso"));
        // Rows of the data file carry the wave and the cut-off.
        let rows = mailbox_rows(&mp);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r[3] == "2026-09-19"));
    }

    #[test]
    fn item_end_date_is_cutover_minus_prestage_days() {
        let mut p = project(Engine::Migrationwiz, None);
        p.prestage_days = 30;
        let mp = plan(&p, &tenant(false));
        assert_eq!(mp.item_end_date, NaiveDate::from_ymd_opt(2026, 11, 18));
        assert_eq!(mp.item_end_date_text(), "2026-11-18");
        p.schedule.cutover = None;
        assert_eq!(plan(&p, &tenant(false)).item_end_date_text(), "");
    }

    #[test]
    fn pass_hours_from_the_estimate_and_the_fit() {
        // 4e9 bytes at 1 Mbps (4.5e8 B/h): 8.89 h; 90 % pre-staged = 8.0 h, 10 % after = 0.89 h.
        let mut p = project(Engine::Migrationwiz, Some(1.0));
        p.migration.prestage_start = NaiveDate::from_ymd_opt(2026, 12, 18);
        let mp = plan(&p, &tenant(true));
        assert_eq!(mp.prestage.hours, Some(8.0));
        assert_eq!(mp.final_pass_estimate.hours, Some(0.89));
        // 18 hours from midnight to the 18:00 cutover: fits.
        assert_eq!(mp.missing_hours(), None);
        assert_eq!(
            mp.latest_prestage_start().unwrap().to_string(),
            "2026-12-18 10:00:00"
        );
        // 0.1 Mbps: 80 h of pre-stage, 42 h between Thursday 00:00 and Friday 18:00: 38 missing.
        let mut slow = project(Engine::Migrationwiz, Some(0.1));
        slow.migration.prestage_start = NaiveDate::from_ymd_opt(2026, 12, 17);
        let mp = plan(&slow, &tenant(true));
        assert_eq!(mp.prestage.hours, Some(80.0));
        assert_eq!(mp.missing_hours(), Some(38));
    }

    #[test]
    fn without_statistics_waves_exist_and_durations_are_unknown() {
        let mp = plan(&project(Engine::Migrationwiz, Some(1.0)), &tenant(false));
        assert_eq!(mp.mailbox_count(), 4);
        assert_eq!(wave_of(&mp, "a@contoso.com"), wave_of(&mp, "b@contoso.com"));
        assert_eq!(mp.prestage.hours, None);
        assert!(mp.prestage.note.starts_with("unknown: no statistics"));
        assert_eq!((mp.waves[0].bytes, mp.waves[0].hours), (None, None));
        assert_eq!(mp.missing_hours(), None);
        let no_bandwidth = plan(&project(Engine::Migrationwiz, None), &tenant(true));
        assert!(no_bandwidth.prestage.note.contains("no bandwidth"));
        assert_eq!(no_bandwidth.waves[0].bytes, Some(2_000_000_000));
    }

    #[test]
    fn absurd_prestage_days_leave_the_cut_off_unknown_not_a_panic() {
        let mut p = project(Engine::Migrationwiz, Some(1.0));
        p.prestage_days = u32::MAX;
        assert_eq!(plan(&p, &tenant(true)).item_end_date, None);
    }

    #[test]
    fn a_native_cutover_is_one_wave() {
        let mut p = project(Engine::Native, None);
        p.migration.native_type = Some(NativeType::Cutover);
        let mp = plan(&p, &tenant(false));
        assert_eq!(mp.waves.len(), 1);
        assert_eq!(mp.batch_name(1), "cutover-wave1");
        assert_eq!(mp.customer, None);
    }

    #[test]
    fn native_types_per_source_and_identity() {
        use IdentityMode::{Cloud, Synced};
        use NativeType::{Cutover, RemoteMove, Staged};
        use SourceVersion::{Ex2007, Ex2010, Ex2016};
        let ok = |t, v, i| unsupported(t, v, i).is_none();
        assert!(ok(Cutover, Ex2007, Cloud) && ok(Cutover, Ex2016, Cloud));
        assert!(!ok(Cutover, Ex2016, Synced));
        assert!(ok(Staged, Ex2007, Synced) && !ok(Staged, Ex2010, Synced));
        assert!(!ok(Staged, Ex2007, Cloud));
        assert!(ok(RemoteMove, Ex2010, Synced) && !ok(RemoteMove, Ex2007, Synced));
        assert!(!ok(RemoteMove, Ex2016, Cloud));
    }
}
