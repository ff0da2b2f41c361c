//! `cutover.toml` and command-line flags merged into one `Project`. Flags win over the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cli::ProjectArgs;
use crate::error::{Error, Result};

/// The on-premises Exchange version the migration starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SourceVersion {
    #[serde(rename = "2003")]
    Ex2003,
    #[serde(rename = "2007")]
    Ex2007,
    #[serde(rename = "2010")]
    Ex2010,
    #[serde(rename = "2013")]
    Ex2013,
    #[serde(rename = "2016")]
    Ex2016,
    #[serde(rename = "2019")]
    Ex2019,
    #[serde(rename = "SE")]
    Se,
}

impl SourceVersion {
    pub const ALL: [SourceVersion; 7] = [
        SourceVersion::Ex2003,
        SourceVersion::Ex2007,
        SourceVersion::Ex2010,
        SourceVersion::Ex2013,
        SourceVersion::Ex2016,
        SourceVersion::Ex2019,
        SourceVersion::Se,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceVersion::Ex2003 => "2003",
            SourceVersion::Ex2007 => "2007",
            SourceVersion::Ex2010 => "2010",
            SourceVersion::Ex2013 => "2013",
            SourceVersion::Ex2016 => "2016",
            SourceVersion::Ex2019 => "2019",
            SourceVersion::Se => "SE",
        }
    }

    /// The catalog / manifest environment token (`exchange2010`, `exchangeSE`, ...).
    pub fn target(self) -> &'static str {
        match self {
            SourceVersion::Ex2003 => "exchange2003",
            SourceVersion::Ex2007 => "exchange2007",
            SourceVersion::Ex2010 => "exchange2010",
            SourceVersion::Ex2013 => "exchange2013",
            SourceVersion::Ex2016 => "exchange2016",
            SourceVersion::Ex2019 => "exchange2019",
            SourceVersion::Se => "exchangeSE",
        }
    }

    /// Whether the server has an Exchange Management Shell at all (2003 has none).
    pub fn has_shell(self) -> bool {
        self != SourceVersion::Ex2003
    }

    /// The shell a source-side script must run in: the Exchange 2007 and 2010 shells are
    /// Windows PowerShell 1.0/2.0, so their scripts keep to 2.0 (1.0 features for 2007).
    pub fn shell(self) -> &'static str {
        match self {
            // The 2007 scripts keep to PowerShell 1.0, the shell Exchange 2007 shipped with.
            SourceVersion::Ex2007 => "powershell-1.0",
            SourceVersion::Ex2003 | SourceVersion::Ex2010 => "powershell-2.0",
            _ => "powershell-5.1",
        }
    }
}

impl fmt::Display for SourceVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        let t = t.strip_prefix("exchange").unwrap_or(&t).trim();
        Ok(match t {
            "2003" => SourceVersion::Ex2003,
            "2007" => SourceVersion::Ex2007,
            "2010" => SourceVersion::Ex2010,
            "2013" => SourceVersion::Ex2013,
            "2016" => SourceVersion::Ex2016,
            "2019" => SourceVersion::Ex2019,
            "se" | "subscription edition" => SourceVersion::Se,
            _ => {
                return Err(Error::Usage(format!(
                    "unknown source version '{s}': use 2003, 2007, 2010, 2013, 2016, 2019 or SE"
                )))
            }
        })
    }
}

/// Where user objects are mastered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityMode {
    /// cutover creates cloud users in Entra ID through Microsoft Graph.
    #[default]
    Cloud,
    /// Entra Connect syncs users from Active Directory; cutover creates none.
    Synced,
}

impl IdentityMode {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityMode::Cloud => "cloud",
            IdentityMode::Synced => "synced",
        }
    }
}

impl FromStr for IdentityMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cloud" => Ok(IdentityMode::Cloud),
            "synced" | "sync" | "hybrid" => Ok(IdentityMode::Synced),
            _ => Err(Error::Usage(format!(
                "unknown identity mode '{s}': use cloud or synced"
            ))),
        }
    }
}

/// Input files a project names. Any may be absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    pub users: Option<PathBuf>,
    pub groups: Option<PathBuf>,
    pub members: Option<PathBuf>,
    pub mailboxes: Option<PathBuf>,
    pub stats: Option<PathBuf>,
    pub permissions: Option<PathBuf>,
    /// Mail contacts export (Get-MailContact; written by step 05-source-export).
    pub contacts: Option<PathBuf>,
}

/// Everything the commands need to know about a migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    /// Accepted domains, lower-case.
    pub domains: Vec<String>,
    /// Initial domain, `*.onmicrosoft.com`.
    pub tenant: Option<String>,
    pub source_version: SourceVersion,
    pub identity: IdentityMode,
    /// ISO 3166 alpha-2, upper-case.
    pub usage_location: Option<String>,
    /// SKU part number given to every user (e.g. `O365_BUSINESS_PREMIUM`), if any.
    pub licence_sku: Option<String>,
    pub inputs: Inputs,
    pub delimiter: Option<u8>,
    /// Message size limits for mailboxes and mailbox plans, in MB (service maximum 150).
    pub max_send_mb: u32,
    pub max_receive_mb: u32,
    /// Audit thresholds.
    pub mailbox_limit_gb: f64,
    /// Whether `mailbox_limit_gb` was set (`[audit] mailbox_limit_gb`, --mailbox-limit-gb):
    /// a limit set on purpose wins over every licence's size, even when it is the default 50.
    pub mailbox_limit_set: bool,
    /// Mailbox size in GB per licence SKU part number (`[audit.licence_limits_gb]`), over the
    /// sizes cutover knows.
    pub licence_limits_gb: BTreeMap<String, f64>,
    pub large_item_mb: f64,
    /// Estimate settings.
    pub bandwidth_mbps: Option<f64>,
    pub concurrency: Option<u32>,
    pub prestage_days: u32,
    /// The source-side account the migration tool signs in with (impersonation, throttling).
    pub migration_account: Option<String>,
    /// `--select` / `[lint] select`: only these rule codes or prefixes (errors always show).
    pub lint_select: Vec<String>,
    /// `--ignore` / `[lint] ignore`: warning and info codes or prefixes to silence.
    pub lint_ignore: Vec<String>,
    /// `[schedule]`: the dates users are told (issue 13's migration schedule can extend it).
    pub schedule: ScheduleSettings,
    /// `[notices]`: who sends the user notices and what the users have.
    pub notices: NoticeSettings,
    /// `[mail_filter]`: a third-party filtering service in front of the mailboxes.
    pub mail_filter: Option<MailFilter>,
    /// `[migration]`: the engine that moves the mailboxes and its settings.
    pub migration: MigrationSettings,
    /// The `cutover.toml` the settings came from, for findings about them.
    pub config: Option<PathBuf>,
}

/// `[schedule]` in `cutover.toml`. Dates are the site's local calendar days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScheduleSettings {
    /// When users are first told (default: two weeks before the cutover).
    pub announce: Option<chrono::NaiveDate>,
    /// The cutover day: the MX change and the final pass, in the evening.
    pub cutover: Option<chrono::NaiveDate>,
    /// When the after-cutover checklist goes out (default: the first weekday after the cutover).
    pub after: Option<chrono::NaiveDate>,
    /// Local time the cutover starts, `HH:MM` (default: the estimate's 18:00).
    pub cutover_time: Option<String>,
}

/// `[migration]` in `cutover.toml`. The MX-change day is `[schedule] cutover` (one source for
/// the notices and the migration); `[migration] cutover`, when given, must say the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationSettings {
    pub engine: crate::plan::migration::Engine,
    /// The earliest day the pre-stage pass may start.
    pub prestage_start: Option<chrono::NaiveDate>,
    /// `[migration] cutover` as written (lint's S0xx compares it with `[schedule] cutover`).
    pub cutover: Option<chrono::NaiveDate>,
    /// The day of the full (delta) pass after the MX change (default: the cutover day).
    pub final_pass: Option<chrono::NaiveDate>,
    /// MigrationWiz: the customer (company) the project belongs to.
    pub customer: Option<String>,
    /// MigrationWiz: the project (mailbox connector) name.
    pub project: Option<String>,
    /// Native: the batch type.
    pub native_type: Option<crate::plan::migration::NativeType>,
    /// Native: batch names are `<prefix>-wave<N>`.
    pub batch_prefix: Option<String>,
    /// Mailboxes per wave (default: the estimate's concurrency, else 50).
    pub wave_size: Option<usize>,
    /// MigrationWiz: the source Exchange's URL; native remote move: the MRS proxy's FQDN.
    pub source_server: Option<String>,
    /// Native cutover/staged: the on-premises admin mailbox Autodiscover starts from (default:
    /// `[source] migration_account` when it is an address).
    pub source_admin: Option<String>,
}

/// What a user has to reconnect after the cutover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutlookSetup {
    /// Outlook desktop, reconfigured by BitTitan DeploymentPro.
    Deploymentpro,
    /// Outlook desktop, new profile made by the user.
    #[default]
    Manual,
    /// No Outlook desktop (webmail and phones only).
    None,
}

impl FromStr for OutlookSetup {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deploymentpro" | "deployment-pro" => Ok(OutlookSetup::Deploymentpro),
            "manual" | "yes" | "outlook" => Ok(OutlookSetup::Manual),
            "none" | "no" | "" => Ok(OutlookSetup::None),
            _ => Err(Error::Usage(format!(
                "Outlook setup '{s}': use deploymentpro, manual or none"
            ))),
        }
    }
}

/// `[notices]` in `cutover.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeSettings {
    /// Mailbox the notices come from (and `Send-MgUserMail` sends from); enables the send step.
    pub sender: Option<String>,
    pub sender_name: Option<String>,
    /// The organisation's name as users know it.
    pub organisation: Option<String>,
    /// How users reach the help desk (address, phone), as written in the messages.
    pub helpdesk: Option<String>,
    /// A folder of templates overriding the built-in ones, file by file.
    pub templates: Option<PathBuf>,
    /// What most users have; `clients` overrides it per user.
    pub outlook: OutlookSetup,
    pub mobile: bool,
    pub webmail_url: String,
    /// CSV `UserPrincipalName,Outlook,Mobile` for users whose setup differs.
    pub clients: Option<PathBuf>,
    /// Messages the bundle's Graph send step sends (ids: announcement, reminder,
    /// cutover-day, after). Graph delivers to Exchange Online mailboxes, which users read
    /// only after the MX change: the default is the after-cutover checklist alone.
    pub graph_messages: Vec<String>,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        NoticeSettings {
            sender: None,
            sender_name: None,
            organisation: None,
            helpdesk: None,
            templates: None,
            outlook: OutlookSetup::Manual,
            mobile: true,
            webmail_url: "https://outlook.office.com/mail/".into(),
            clients: None,
            graph_messages: vec!["after".into()],
        }
    }
}

/// `[mail_filter]` in `cutover.toml`: a filtering service (Mimecast, Proofpoint, ...) that
/// receives the organisation's mail before Exchange Online does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailFilter {
    pub vendor: String,
    /// The service's sending addresses (IPv4/IPv6, CIDR or single), as written.
    pub ip_ranges: Vec<String>,
    /// A file of ranges as the vendor publishes them, one per line (`#` comments).
    pub ranges_file: Option<PathBuf>,
    /// Where Exchange Online sends outbound mail when it goes out through the filter.
    pub smarthost: Option<String>,
    /// Whether the service requires TLS from Exchange Online and sends over TLS.
    pub require_tls: bool,
    /// The SPF `include:` the vendor publishes for its outbound servers.
    pub spf_include: Option<String>,
}

impl Default for Project {
    fn default() -> Self {
        Project {
            domains: Vec::new(),
            tenant: None,
            source_version: SourceVersion::Ex2016,
            identity: IdentityMode::Cloud,
            usage_location: None,
            licence_sku: None,
            inputs: Inputs::default(),
            delimiter: None,
            max_send_mb: 150,
            max_receive_mb: 150,
            mailbox_limit_gb: 50.0,
            mailbox_limit_set: false,
            licence_limits_gb: BTreeMap::new(),
            large_item_mb: 150.0,
            bandwidth_mbps: None,
            concurrency: None,
            prestage_days: 90,
            migration_account: None,
            schedule: ScheduleSettings::default(),
            notices: NoticeSettings::default(),
            mail_filter: None,
            migration: MigrationSettings::default(),
            config: None,
            lint_select: Vec::new(),
            lint_ignore: Vec::new(),
        }
    }
}

/// Exchange Online's ceiling for MaxSendSize / MaxReceiveSize (Set-Mailbox, Set-MailboxPlan).
pub const SERVICE_MAX_MESSAGE_MB: u32 = 150;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTenant {
    name: Option<String>,
    domains: Option<Vec<String>>,
    usage_location: Option<String>,
    identity: Option<String>,
    licence_sku: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSource {
    version: Option<String>,
    migration_account: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_send_mb: Option<u32>,
    max_receive_mb: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAudit {
    mailbox_limit_gb: Option<f64>,
    licence_limits_gb: Option<BTreeMap<String, f64>>,
    large_item_mb: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEstimate {
    bandwidth_mbps: Option<f64>,
    concurrency: Option<u32>,
    prestage_days: Option<u32>,
}

/// A date as a TOML date (`2026-12-18`) or a string of the same form.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FileDate {
    Date(toml::value::Datetime),
    Text(String),
}

impl FileDate {
    fn parse(&self, key: &str) -> Result<chrono::NaiveDate> {
        let text = match self {
            FileDate::Date(d) => d.to_string(),
            FileDate::Text(t) => t.trim().to_string(),
        };
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| Error::Usage(format!("{key} = '{text}' is not a date like 2026-12-18")))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSchedule {
    announce: Option<FileDate>,
    cutover: Option<FileDate>,
    after: Option<FileDate>,
    cutover_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNotices {
    sender: Option<String>,
    sender_name: Option<String>,
    organisation: Option<String>,
    helpdesk: Option<String>,
    templates: Option<PathBuf>,
    outlook: Option<String>,
    mobile: Option<bool>,
    webmail_url: Option<String>,
    clients: Option<PathBuf>,
    graph_messages: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMailFilter {
    vendor: Option<String>,
    ip_ranges: Option<Vec<String>>,
    ranges_file: Option<PathBuf>,
    smarthost: Option<String>,
    require_tls: Option<bool>,
    spf_include: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMigration {
    engine: Option<String>,
    prestage_start: Option<FileDate>,
    cutover: Option<FileDate>,
    final_pass: Option<FileDate>,
    customer: Option<String>,
    project: Option<String>,
    endpoint_type: Option<String>,
    batch_prefix: Option<String>,
    wave_size: Option<usize>,
    source_server: Option<String>,
    source_admin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLint {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
}

/// The shape of `cutover.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    tenant: FileTenant,
    #[serde(default)]
    source: FileSource,
    #[serde(default)]
    inputs: Inputs,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    audit: FileAudit,
    #[serde(default)]
    estimate: FileEstimate,
    #[serde(default)]
    schedule: FileSchedule,
    #[serde(default)]
    notices: FileNotices,
    mail_filter: Option<FileMailFilter>,
    #[serde(default)]
    migration: FileMigration,
    #[serde(default)]
    lint: FileLint,
}

pub const DEFAULT_CONFIG: &str = "cutover.toml";

impl Project {
    /// Reads `--config` (or `./cutover.toml` when present) and applies the flags on top.
    pub fn load(args: &ProjectArgs) -> Result<Project> {
        let path = match &args.config {
            Some(p) => Some(p.clone()),
            None => {
                let p = PathBuf::from(DEFAULT_CONFIG);
                p.is_file().then_some(p)
            }
        };
        let mut project = match path {
            Some(p) => Project::from_file(&p)?,
            None => Project::default(),
        };
        project.apply_args(args)?;
        project.validate()?;
        Ok(project)
    }

    pub fn from_file(path: &Path) -> Result<Project> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path.parent().unwrap_or_else(|| Path::new(""));
        let mut p = Project::from_toml(&text, base)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        p.config = Some(path.to_path_buf());
        Ok(p)
    }

    /// Parses project TOML; relative input paths are taken from `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<Project> {
        let file: ProjectFile =
            toml::from_str(text).map_err(|e| Error::Usage(e.message().to_string()))?;
        let mut p = Project::default();
        if let Some(v) = file.tenant.name {
            p.tenant = Some(v.trim().to_ascii_lowercase());
        }
        if let Some(v) = file.tenant.domains {
            p.domains = v;
        }
        p.usage_location = file.tenant.usage_location;
        if let Some(v) = file.tenant.identity {
            p.identity = v.parse()?;
        }
        p.licence_sku = file.tenant.licence_sku;
        if let Some(v) = file.source.version {
            p.source_version = v.parse()?;
        }
        p.migration_account = file.source.migration_account;
        let rebase = |o: Option<PathBuf>| o.map(|f| if f.is_absolute() { f } else { base.join(f) });
        p.inputs = Inputs {
            users: rebase(file.inputs.users),
            groups: rebase(file.inputs.groups),
            members: rebase(file.inputs.members),
            mailboxes: rebase(file.inputs.mailboxes),
            stats: rebase(file.inputs.stats),
            permissions: rebase(file.inputs.permissions),
            contacts: rebase(file.inputs.contacts),
        };
        if let Some(v) = file.limits.max_send_mb {
            p.max_send_mb = v;
        }
        if let Some(v) = file.limits.max_receive_mb {
            p.max_receive_mb = v;
        }
        if let Some(v) = file.audit.mailbox_limit_gb {
            p.mailbox_limit_gb = v;
            p.mailbox_limit_set = true;
        }
        if let Some(v) = file.audit.licence_limits_gb {
            p.licence_limits_gb = v;
        }
        if let Some(v) = file.audit.large_item_mb {
            p.large_item_mb = v;
        }
        p.bandwidth_mbps = file.estimate.bandwidth_mbps;
        p.concurrency = file.estimate.concurrency;
        if let Some(v) = file.estimate.prestage_days {
            p.prestage_days = v;
        }
        let sch = &file.schedule;
        p.schedule = ScheduleSettings {
            announce: sch
                .announce
                .as_ref()
                .map(|d| d.parse("[schedule] announce"))
                .transpose()?,
            cutover: sch
                .cutover
                .as_ref()
                .map(|d| d.parse("[schedule] cutover"))
                .transpose()?,
            after: sch
                .after
                .as_ref()
                .map(|d| d.parse("[schedule] after"))
                .transpose()?,
            cutover_time: sch.cutover_time.clone(),
        };
        p.migration = migration_settings(&file.migration)?;
        // One MX-change day: `[migration] cutover` fills `[schedule] cutover` when that is
        // absent; when both are given and differ, lint reports it (S0xx) and the schedule's wins.
        if p.schedule.cutover.is_none() {
            p.schedule.cutover = p.migration.cutover;
        }
        let n = file.notices;
        let defaults = NoticeSettings::default();
        p.notices = NoticeSettings {
            sender: n.sender.map(|s| s.trim().to_string()),
            sender_name: n.sender_name,
            organisation: n.organisation,
            helpdesk: n.helpdesk,
            templates: rebase(n.templates),
            outlook: n
                .outlook
                .as_deref()
                .map(str::parse)
                .transpose()?
                .unwrap_or(defaults.outlook),
            mobile: n.mobile.unwrap_or(defaults.mobile),
            webmail_url: n.webmail_url.unwrap_or(defaults.webmail_url),
            clients: rebase(n.clients),
            graph_messages: n.graph_messages.unwrap_or(defaults.graph_messages),
        };
        p.mail_filter = file.mail_filter.map(|m| MailFilter {
            vendor: m.vendor.unwrap_or_else(|| "filtering service".into()),
            ip_ranges: m.ip_ranges.unwrap_or_default(),
            ranges_file: rebase(m.ranges_file),
            smarthost: m
                .smarthost
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty()),
            require_tls: m.require_tls.unwrap_or(true),
            spf_include: m
                .spf_include
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty()),
        });
        p.lint_select = file.lint.select.unwrap_or_default();
        p.lint_ignore = file.lint.ignore.unwrap_or_default();
        p.normalise();
        Ok(p)
    }

    pub fn apply_args(&mut self, a: &ProjectArgs) -> Result<()> {
        if !a.domains.is_empty() {
            self.domains = a.domains.clone();
        }
        if let Some(t) = &a.tenant {
            self.tenant = Some(t.trim().to_ascii_lowercase());
        }
        if let Some(v) = &a.source_version {
            self.source_version = v.parse()?;
        }
        if let Some(v) = &a.identity {
            self.identity = v.parse()?;
        }
        if let Some(v) = &a.usage_location {
            self.usage_location = Some(v.clone());
        }
        let set = |slot: &mut Option<PathBuf>, v: &Option<PathBuf>| {
            if v.is_some() {
                slot.clone_from(v);
            }
        };
        set(&mut self.inputs.users, &a.users);
        set(&mut self.inputs.groups, &a.groups);
        set(&mut self.inputs.members, &a.members);
        set(&mut self.inputs.mailboxes, &a.mailboxes);
        set(&mut self.inputs.stats, &a.stats);
        set(&mut self.inputs.permissions, &a.permissions);
        set(&mut self.inputs.contacts, &a.contacts);
        if let Some(d) = &a.delimiter {
            self.delimiter = Some(parse_delimiter(d)?);
        }
        if !a.select.is_empty() {
            self.lint_select.clone_from(&a.select);
        }
        if !a.ignore.is_empty() {
            self.lint_ignore.clone_from(&a.ignore);
        }
        self.normalise();
        Ok(())
    }

    fn normalise(&mut self) {
        for d in &mut self.domains {
            *d = d.trim().trim_end_matches('.').to_ascii_lowercase();
        }
        self.domains.retain(|d| !d.is_empty());
        self.domains.dedup();
        for list in [&mut self.lint_select, &mut self.lint_ignore] {
            for c in list.iter_mut() {
                *c = c.trim().to_ascii_uppercase();
            }
            list.retain(|c| !c.is_empty());
        }
        if let Some(u) = &mut self.usage_location {
            *u = u.trim().to_ascii_uppercase();
        }
    }

    fn validate(&self) -> Result<()> {
        crate::rules::check_selection(&self.lint_select, &self.lint_ignore)?;
        // Values a reviewer reads in PLAN.md and the README, and scripts use as literals: a
        // direction override or a control character would show them as something else.
        let named = [
            ("tenant name", self.tenant.as_deref()),
            ("migration_account", self.migration_account.as_deref()),
            ("licence_sku", self.licence_sku.as_deref()),
            ("usage_location", self.usage_location.as_deref()),
            ("[migration] customer", self.migration.customer.as_deref()),
            ("[migration] project", self.migration.project.as_deref()),
            (
                "[migration] batch_prefix",
                self.migration.batch_prefix.as_deref(),
            ),
            (
                "[migration] source_server",
                self.migration.source_server.as_deref(),
            ),
            (
                "[migration] source_admin",
                self.migration.source_admin.as_deref(),
            ),
        ];
        let domains = self.domains.iter().map(|d| ("domain", Some(d.as_str())));
        let bad = |c: char| c.is_control() || crate::rules::damage::is_bidi_control(c);
        for (what, value) in named.into_iter().chain(domains) {
            if let Some(v) = value.filter(|v| v.chars().any(bad)) {
                let shown: String = v
                    .chars()
                    .map(|c| {
                        if bad(c) {
                            c.escape_unicode().to_string()
                        } else {
                            c.to_string()
                        }
                    })
                    .collect();
                return Err(Error::Usage(format!(
                    "{what} '{shown}' contains a control or bidirectional control character \
                     (U+202A..U+202E, U+2066..U+2069 reorder how text displays): retype it"
                )));
            }
        }
        if let Some(t) = &self.tenant {
            if !t.ends_with(".onmicrosoft.com") {
                return Err(Error::Usage(format!(
                    "tenant '{t}' must be the initial domain, NAME.onmicrosoft.com"
                )));
            }
        }
        if let Some(u) = &self.usage_location {
            if u.len() != 2 || !u.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Error::Usage(format!(
                    "usage location '{u}' must be an ISO 3166 alpha-2 code such as US"
                )));
            }
        }
        for (name, v) in [
            ("max_send_mb", self.max_send_mb),
            ("max_receive_mb", self.max_receive_mb),
        ] {
            if v == 0 || v > SERVICE_MAX_MESSAGE_MB {
                return Err(Error::Usage(format!(
                    "{name} = {v}: Exchange Online accepts 1 to {SERVICE_MAX_MESSAGE_MB} MB"
                )));
            }
        }
        for (sku, gb) in &self.licence_limits_gb {
            if !(gb.is_finite() && *gb > 0.0) {
                return Err(Error::Usage(format!(
                    "[audit.licence_limits_gb] {sku} = {gb}: a mailbox size must be a positive number of GB"
                )));
            }
        }
        Ok(())
    }

    /// Whether `domain` (any case) is one of the accepted domains. With none configured,
    /// every domain is accepted: the domain rules need the list to say anything.
    pub fn accepts_domain(&self, domain: &str) -> bool {
        self.domains.is_empty() || self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
}

fn migration_settings(m: &FileMigration) -> Result<MigrationSettings> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let date = |d: &Option<FileDate>, key: &str| {
        d.as_ref()
            .map(|d| d.parse(&format!("[migration] {key}")))
            .transpose()
    };
    if m.wave_size == Some(0) {
        return Err(Error::Usage(
            "[migration] wave_size = 0: a wave needs at least one mailbox".into(),
        ));
    }
    Ok(MigrationSettings {
        engine: m
            .engine
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
        prestage_start: date(&m.prestage_start, "prestage_start")?,
        cutover: date(&m.cutover, "cutover")?,
        final_pass: date(&m.final_pass, "final_pass")?,
        customer: text(&m.customer),
        project: text(&m.project),
        native_type: m.endpoint_type.as_deref().map(str::parse).transpose()?,
        batch_prefix: text(&m.batch_prefix),
        wave_size: m.wave_size,
        source_server: text(&m.source_server),
        source_admin: text(&m.source_admin),
    })
}

/// `,` `;` `tab` (or `\t`), `|`.
pub fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "\\t" | "tab" | "TAB" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(Error::Usage(format!(
            "delimiter '{s}' is not one of: , ; tab |"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_flags_merge_with_flags_winning() {
        let p = Project::from_toml(
            "[tenant]\nname='Contoso.onmicrosoft.com'\ndomains=['Contoso.com']\n[source]\nversion='2010'\n[inputs]\nusers='u.csv'\n",
            Path::new("/proj"),
        )
        .unwrap();
        assert_eq!(p.domains, ["contoso.com"]);
        assert_eq!(p.source_version, SourceVersion::Ex2010);
        assert_eq!(p.inputs.users.as_deref(), Some(Path::new("/proj/u.csv")));
        let mut p2 = p.clone();
        p2.apply_args(&ProjectArgs {
            source_version: Some("SE".into()),
            domains: vec!["fabrikam.com".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p2.source_version, SourceVersion::Se);
        assert_eq!(p2.domains, ["fabrikam.com"]);
    }

    #[test]
    fn an_explicit_mailbox_limit_is_remembered_and_licence_sizes_are_read() {
        let p = Project::from_toml(
            "[audit]\nmailbox_limit_gb = 50\n[audit.licence_limits_gb]\nSPE_E3 = 100\nMY_SKU = 25.5\n",
            Path::new(""),
        )
        .unwrap();
        assert!(p.mailbox_limit_set);
        assert_eq!(p.mailbox_limit_gb, 50.0);
        assert_eq!(p.licence_limits_gb.get("MY_SKU"), Some(&25.5));
        let p = Project::from_toml("[audit]\nlarge_item_mb = 100\n", Path::new("")).unwrap();
        assert!(!p.mailbox_limit_set);
        assert!(p.licence_limits_gb.is_empty());
        assert_eq!(
            p,
            Project {
                large_item_mb: 100.0,
                ..Default::default()
            }
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_usage_errors() {
        assert!(Project::from_toml("[tenant]\nnmae='x'\n", Path::new("")).is_err());
        assert!("2008".parse::<SourceVersion>().is_err());
        assert!("exchange2019".parse::<SourceVersion>().is_ok());
        let mut p = Project {
            max_send_mb: 200,
            ..Default::default()
        };
        assert!(p.validate().is_err());
        p.max_send_mb = 150;
        p.tenant = Some("contoso.com".into());
        assert!(p.validate().is_err());
        p.tenant = None;
        assert!(p.validate().is_ok());
        p.licence_limits_gb.insert("SPE_E3".into(), 0.0);
        assert!(p.validate().is_err());
    }
}
