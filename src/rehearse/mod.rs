//! `cutover rehearse`: the whole bundle, source-server and jump-box steps in order, in real pwsh
//! against the simulated tenant (`ps-modules/CutoverSim`), through the normal runner; then the
//! simulated tenant's final state compared with the plan.
//!
//! The simulation is reached by normal command resolution, so the steps run unmodified: a
//! modules folder is put first on `PSModulePath` with module folders named like the real ones
//! (Microsoft.Graph.Users, ExchangeOnlineManagement, ...), each a manifest over the one
//! simulation; `Connect-ExchangeOnline` loads the service's cmdlets into the session as EXO v3
//! does; source-server steps start in a session that has the Exchange cmdlets loaded, as the
//! Exchange Management Shell has.

pub mod compare;
pub mod host;
mod migration;
pub mod state;

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::run::journal::RehearsalMeta;
use crate::run::{self, Rehearsal, RunOptions, RunOutcome};

static SIM: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/ps-modules/CutoverSim");

/// The hosted mode's pwsh script (`rehearse::host`), written beside the launcher.
const HOST_SCRIPT: &str = "host.ps1";

/// The environment variable naming the state file for the simulation.
pub const ENV_STATE: &str = "CUTOVER_SIM_STATE";

/// .NET runtime settings for a rehearsal's pwsh processes, unless the caller's environment sets
/// them: never for `cutover run`'s, which keep the runtime's defaults against real services. A
/// rehearsal is short-lived interpreted script that allocates fast: dynamic PGO instruments hot
/// methods for a tier it rarely pays back, and the default gen0 budget collects every few
/// milliseconds. Measured with the release binary on the 2-core machine at load 1.5-2, a hosted
/// 1,000-user rehearsal (2016, cloud): 28.2-28.4 s CPU and 21.2-21.6 s wall with the defaults,
/// 22.1-23.2 s CPU and 18.8-19.7 s wall with these (about a fifth less CPU, which is what two
/// rehearsals at a time on two cores wait for).
pub const RUNTIME_ENV: [(&str, &str); 2] = [
    ("DOTNET_TieredPGO", "0"),
    ("DOTNET_GCgen0size", "0x4000000"),
];

/// `RUNTIME_ENV` less what the environment already sets.
pub fn runtime_env() -> Vec<(String, String)> {
    RUNTIME_ENV
        .iter()
        .filter(|(k, _)| std::env::var_os(k).is_none())
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// Modules put on PSModulePath (name, version): what the steps import and preflight checks.
/// Versions: the oldest that the bundles' preflight accepts and that run on PowerShell 7.4+.
const FACADES: [(&str, &str); 7] = [
    ("Microsoft.Graph.Authentication", "2.25.0"),
    ("Microsoft.Graph.Users", "2.25.0"),
    ("Microsoft.Graph.Users.Actions", "2.25.0"),
    ("Microsoft.Graph.Groups", "2.25.0"),
    ("Microsoft.Graph.Identity.DirectoryManagement", "2.25.0"),
    ("ExchangeOnlineManagement", "3.9.2"),
    // BitTitan's module for the MigrationWiz steps (its own version numbers are not cutover's
    // concern: the steps use only the SDK examples' cmdlets).
    ("BitTitanManagement", "1.0.0"),
];
/// Loaded into a session, never found on PSModulePath: Exchange Online's cmdlets (after
/// Connect-ExchangeOnline) and the Exchange Management Shell's (source-server steps).
const SESSION_MODULES: [(&str, &str); 2] = [
    ("CutoverSim.ExchangeOnline", "tenant"),
    ("CutoverSim.ExchangeServer", "source"),
];

/// Provisioning delays, in virtual seconds after creation (licensing for mailboxes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delays {
    /// Everything visible at once.
    #[default]
    None,
    /// Users in seconds, groups and contacts within a minute, mailboxes in minutes after
    /// licensing (learn.microsoft.com/microsoft-365/admin/add-users: "it can take a few minutes
    /// for the mailbox to be created"; Exchange Online: up to 24 hours in rare cases).
    Realistic,
    /// Mailboxes 30 virtual minutes after licensing, the rest up to two minutes.
    Long,
}

impl Delays {
    pub fn parse(s: &str) -> Option<Delays> {
        match s {
            "none" => Some(Delays::None),
            "realistic" => Some(Delays::Realistic),
            "long" => Some(Delays::Long),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Delays::None => "none",
            Delays::Realistic => "realistic",
            Delays::Long => "long",
        }
    }

    fn bounds(self) -> Value {
        match self {
            Delays::None => json!({}),
            Delays::Realistic => json!({
                "user": [2, 30], "mailbox": [60, 900], "group": [5, 60], "contact": [5, 60]
            }),
            Delays::Long => json!({
                "user": [10, 120], "mailbox": [1800, 1800], "group": [30, 120], "contact": [30, 120]
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RehearseOptions {
    pub bundle: PathBuf,
    pub pwsh: Option<PathBuf>,
    /// Inject faults drawn from this seed.
    pub faults: Option<u64>,
    /// The simulated tenant's state; kept between rehearsals (a second one starts from it).
    /// Default `BUNDLE/rehearsals/tenant.json`.
    pub state: Option<PathBuf>,
    pub delays: Delays,
    /// Start every step from a session (`& ./steps/NN.ps1`) instead of `pwsh -File`.
    pub session: bool,
    /// Every step in a fresh runspace of one long-lived pwsh (`rehearse::host`) instead of a
    /// pwsh process of its own; the same scoping either way.
    pub hosted: bool,
    pub what_if: bool,
    pub mode: run::Mode,
    pub progress: run::ProgressMode,
    pub secrets: Option<PathBuf>,
    pub timeout: Option<std::time::Duration>,
    /// Go on after a gate step with failed operations.
    pub continue_past_gates: bool,
    /// Only these steps (`cutover run --step`); empty: every step of the phase. The
    /// comparison still covers the whole plan, so what the other steps would do is missing.
    pub steps: Vec<String>,
    /// Each step's wait budget (`cutover run --wait`), in the simulation's virtual time.
    pub wait: std::time::Duration,
    /// With `hosted`: this host instead of one of the rehearsal's own.
    pub host: Option<SharedHost>,
}

/// A hosted rehearsal's pwsh kept for several rehearsals in a row, for the library's callers
/// (`cutover rehearse` starts its own). Every step still gets a fresh runspace, so what the host
/// keeps from one rehearsal to the next is compiled code only: pwsh interprets a script block
/// until it has run a few dozen times, and that warm-up was about 17 of a 1,000-user
/// rehearsal's 28 s of CPU (measured, every step run twice in one host: 27.8 s, then 11.0 s).
#[derive(Clone)]
pub struct SharedHost {
    host: std::sync::Arc<host::StepHost>,
    pwsh: PathBuf,
}

impl std::fmt::Debug for SharedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedHost")
            .field("pwsh", &self.pwsh)
            .field("socket", &self.host.socket())
            .finish()
    }
}

impl SharedHost {
    /// Starts a host for the rehearsals of `bundle` (its simulation written as a rehearsal
    /// writes it), with `pwsh` or the one `cutover rehearse` would find.
    pub fn start(bundle: &Path, pwsh: Option<&Path>) -> Result<SharedHost> {
        let sim_dir = bundle.join(run::REHEARSALS_DIR).join("sim");
        write_sim(&sim_dir)?;
        let pwsh = run::pwsh::discover(pwsh)?;
        let host =
            host::StepHost::start(&pwsh, &sim_dir.join(HOST_SCRIPT), &host::host_log(&sim_dir))?;
        Ok(SharedHost {
            host: std::sync::Arc::new(host),
            pwsh,
        })
    }
}

impl RehearseOptions {
    pub fn new(bundle: impl Into<PathBuf>) -> RehearseOptions {
        RehearseOptions {
            bundle: bundle.into(),
            pwsh: None,
            faults: None,
            state: None,
            delays: Delays::None,
            session: false,
            hosted: false,
            what_if: false,
            mode: run::Mode::Fresh,
            progress: run::ProgressMode::Plain,
            secrets: None,
            timeout: None,
            continue_past_gates: false,
            steps: Vec::new(),
            wait: run::DEFAULT_WAIT,
            host: None,
        }
    }
}

pub struct RehearseOutcome {
    pub run: RunOutcome,
    pub state: PathBuf,
    pub comparison: compare::Comparison,
    /// Virtual seconds the steps slept (waits and retries) in this rehearsal.
    pub slept_s: f64,
}

impl RehearseOutcome {
    /// Clean only when every operation succeeded and the tenant equals the plan.
    pub fn clean(&self) -> bool {
        self.run.all_done && !self.run.interrupted && self.comparison.matches()
    }
}

/// Writes the simulation's modules under `dir` (replacing what is there) and returns the
/// launcher script.
pub fn write_sim(dir: &Path) -> Result<PathBuf> {
    let modules = dir.join("modules");
    let session = dir.join("session");
    for d in [&modules, &session] {
        if d.exists() {
            std::fs::remove_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let core = modules.join("CutoverSim");
    std::fs::create_dir_all(&core).map_err(|e| Error::io(&core, e))?;
    write(&core.join("CutoverSim.psm1"), sim_file("CutoverSim.psm1")?)?;
    // Extensions the core module dot-sources (CutoverSim.*.ps1, not the generated commands).
    for f in SIM.files() {
        let name = f.path().to_string_lossy();
        if name.starts_with("CutoverSim.")
            && name.ends_with(".ps1")
            && !name.ends_with(".Commands.ps1")
        {
            let text = f
                .contents_utf8()
                .ok_or_else(|| Error::Integrity(format!("CutoverSim/{name} is not UTF-8")))?;
            write(&core.join(&*name), text)?;
        }
    }
    for (name, version) in FACADES {
        let commands = sim_file(&format!("{name}.Commands.ps1"))?;
        let folder = modules.join(name);
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let functions = function_names(commands);
        let list = functions
            .iter()
            .map(|f| format!("'{f}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let manifest = format!(
            "\u{feff}# The simulated {name} of `cutover rehearse` (not Microsoft's module).\n@{{\n    RootModule = '{name}.psm1'\n    ModuleVersion = '{version}'\n    GUID = '{guid}'\n    Author = 'cutover rehearse'\n    Description = 'Simulated {name}: every command acts on the rehearsal tenant.'\n    PowerShellVersion = '7.2'\n    FunctionsToExport = @({list})\n    CmdletsToExport = @()\n    AliasesToExport = @()\n    VariablesToExport = @()\n}}\n",
            guid = pseudo_guid(name),
        );
        write(&folder.join(format!("{name}.psd1")), &manifest)?;
        write(
            &folder.join(format!("{name}.psm1")),
            &facade(commands, "tenant", "../CutoverSim/CutoverSim.psm1"),
        )?;
    }
    for (name, side) in SESSION_MODULES {
        let commands = sim_file(&format!("{name}.Commands.ps1"))?;
        write(
            &session.join(format!("{name}.psm1")),
            &facade(commands, side, "../modules/CutoverSim/CutoverSim.psm1"),
        )?;
    }
    let launcher = dir.join("launch.ps1");
    write(&launcher, sim_file("launch.ps1")?)?;
    write(&dir.join(HOST_SCRIPT), sim_file(HOST_SCRIPT)?)?;
    Ok(launcher)
}

fn facade(commands: &str, side: &str, core: &str) -> String {
    let body = commands.trim_start_matches('\u{feff}');
    format!(
        "\u{feff}$script:CutoverSimSide = '{side}'\nif ($null -eq (Get-Module -Name CutoverSim)) {{ Import-Module (Join-Path $PSScriptRoot '{core}') -Global -DisableNameChecking }}\n{body}\nExport-ModuleMember -Function *-*\n"
    )
}

fn sim_file(name: &str) -> Result<&'static str> {
    SIM.get_file(name)
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| {
            Error::Other(anyhow::anyhow!(
                "ps-modules/CutoverSim/{name} is not embedded"
            ))
        })
}

/// The names of the functions a generated commands file defines.
pub fn function_names(commands: &str) -> Vec<String> {
    commands
        .lines()
        .filter_map(|l| l.strip_prefix("function "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Every simulated command by facade module (for the signature test).
pub fn simulated_commands() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in SIM.files() {
        let name = f.path().to_string_lossy();
        if let Some(module) = name.strip_suffix(".Commands.ps1") {
            for c in function_names(f.contents_utf8().unwrap_or("")) {
                out.push((module.to_string(), c));
            }
        }
    }
    out
}

fn pseudo_guid(name: &str) -> String {
    let h = run::verify::sha256_bytes(name.as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

/// The SkuId the simulation gives a licence SKU part number (stable, so a state file and a plan
/// agree across rehearsals).
pub fn sku_id(part: &str) -> String {
    pseudo_guid(&format!("sku:{part}"))
}

/// A fresh simulated tenant for a bundle's plan: the tenant's initial domain, the licence SKUs the
/// plan assigns, the default mailbox plans; for synced identities the users and shared mailboxes
/// Entra Connect would have brought; the source organisation from the plan's mailboxes, groups,
/// members and permissions.
pub fn seed_state(plan: &Value, seed: u64, faults: Option<u64>, delays: Delays) -> Value {
    let tenant = plan["tenant"].as_str().unwrap_or("contoso.onmicrosoft.com");
    let synced = plan["identity"].as_str() == Some("synced");
    let ops = |kind: &str| -> Vec<Vec<String>> {
        plan["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["kind"].as_str() == Some(kind))
            .flat_map(|s| s["ops"].as_array().cloned().unwrap_or_default())
            .map(|o| {
                o["values"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .map(|x| x.as_str().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    };
    let mut skus: Vec<String> = ops("licences")
        .iter()
        .filter_map(|v| v.get(1).cloned())
        .collect();
    skus.sort();
    skus.dedup();
    let skus: Vec<Value> = skus
        .iter()
        .map(|p| json!({"SkuId": sku_id(p), "SkuPartNumber": p, "Units": 100000}))
        .collect();

    let mut domains = Map::new();
    domains.insert(
        tenant.to_lowercase(),
        json!({"Id": tenant.to_lowercase(), "IsVerified": true, "IsDefault": true, "IsInitial": true}),
    );
    let mut plans = Map::new();
    // Exchange Online's mailbox plans and their default limits: 35 MB send, 36 MB receive
    // (learn.microsoft.com/exchange/mail-flow-best-practices/message-size-limits).
    for name in [
        "ExchangeOnline",
        "ExchangeOnlineEnterprise",
        "ExchangeOnlineEssentials",
        "ExchangeOnlineDeskless",
    ] {
        let id = format!("{name}-{}", &pseudo_guid(name)[..8]);
        plans.insert(
            id.clone(),
            json!({"Name": id, "DisplayName": name, "MaxSendSize": 35 * 1048576, "MaxReceiveSize": 36 * 1048576, "IsDefault": name == "ExchangeOnlineEnterprise"}),
        );
    }

    let mut users = Map::new();
    let mut rcp = Map::new();
    if synced {
        // Entra Connect has synchronised the on-premises users and the shared mailboxes
        // (the bundle's README has the operator run it before the migration).
        let locations: std::collections::HashMap<String, String> = ops("licences")
            .into_iter()
            .filter_map(|v| Some((v.first()?.to_lowercase(), v.get(2)?.clone())))
            .collect();
        for v in ops("users-verify") {
            let Some(upn) = v.first() else { continue };
            let id = pseudo_guid(&format!("user:{upn}"));
            let nick = upn.split('@').next().unwrap_or(upn).to_string();
            let _ = locations.get(&upn.to_lowercase());
            users.insert(
                id.clone(),
                json!({"Id": id, "UserPrincipalName": upn, "DisplayName": nick, "MailNickname": nick,
                       "UsageLocation": null, "AccountEnabled": true, "AssignedLicenses": [],
                       "OnPremisesSyncEnabled": true, "ProxyAddresses": [], "Mail": null}),
            );
        }
        // Their shared, room and equipment mailboxes' users too. Without hybrid each is a
        // MailUser in Exchange Online ("Any on premises mailbox should be represented by a mail
        // user object within the service", learn.microsoft.com/archive/blogs/timmcmic/office-365-users-have-both-a-cloud-and-on-premises-mailbox),
        // unlicensed, with no ExchangeGuid: the msExchMailboxGuid prerequisite is met, as
        // 00-preflight-exchange checks. Licensing it makes the mailbox.
        let licensed = ops("shared-mailboxes-licence")
            .into_iter()
            .filter_map(|v| Some((v.first()?.clone(), v.get(1)?.clone())));
        let verified = ops("shared-mailboxes-verify")
            .into_iter()
            .filter_map(|v| Some((v.first()?.clone(), v.first()?.clone())));
        for (upn, addr) in licensed.chain(verified) {
            let uid = pseudo_guid(&format!("user:{upn}"));
            let alias = addr.split('@').next().unwrap_or(&addr).to_string();
            users.insert(
                uid.clone(),
                json!({"Id": uid, "UserPrincipalName": upn, "DisplayName": alias, "MailNickname": alias,
                       "UsageLocation": null, "AccountEnabled": false, "AssignedLicenses": [],
                       "OnPremisesSyncEnabled": true, "ProxyAddresses": [format!("SMTP:{addr}")], "Mail": addr}),
            );
            let id = pseudo_guid(&format!("shared:{addr}"));
            rcp.insert(
                id.clone(),
                json!({"Id": id, "Name": alias, "Alias": alias, "DisplayName": alias,
                       "PrimarySmtpAddress": addr, "UserPrincipalName": upn,
                       "EmailAddresses": [format!("SMTP:{addr}"), format!("smtp:{alias}@{tenant}")],
                       "RecipientType": "MailUser", "RecipientTypeDetails": "MailUser",
                       "ExternalDirectoryObjectId": uid,
                       "DistinguishedName": format!("CN={alias},OU={tenant}"), "ExchangeGuid": "00000000-0000-0000-0000-000000000000",
                       "MaxSendSize": 35 * 1048576, "MaxReceiveSize": 36 * 1048576,
                       "GrantSendOnBehalfTo": [], "FullAccess": [], "SendAs": [], "Members": []}),
            );
        }
    }
    let src = seed_source(plan, &ops);
    let mut throttle = Map::new();
    if plan["source_version"].as_str() != Some("2007") {
        // Every Exchange 2010+ organisation has its default policy (Get-ThrottlingPolicy lists it).
        let id = pseudo_guid("throttle:default");
        throttle.insert(
            id.clone(),
            json!({"Id": id, "Name": format!("GlobalThrottlingPolicy_{id}"), "IsDefault": true, "Settings": {}}),
        );
    }

    json!({
        "version": 1,
        "clock": 0.0,
        "slept": 0.0,
        "config": {
            "seed": seed,
            "tenant": tenant,
            // The source server's version: which throttling parameters exist and how they read.
            "source_version": plan["source_version"].as_str().unwrap_or("2016"),
            "skus": skus,
            "delays": delays.bounds(),
            "faults": faults.map(|_| json!({"throttle": 0.3, "failed": 0.12})),
            // The operator has published the verification TXT record (06-domains' README says
            // to): Confirm-MgDomain succeeds.
            "dns_published": true,
            "dehydrated": false,
            // The BitTitan customer the MigrationWiz project goes under exists in the account
            // (created in BitTitan's portal before any project, as BitTitan's examples assume).
            "bittitan_customers": plan["migration"]["customer"].as_str().into_iter().collect::<Vec<_>>()
        },
        "t": {
            "users": users, "rcp": rcp, "domains": domains, "plans": plans, "src": src,
            "attempts": {}, "misc": {}, "throttle": throttle, "connectors": {}
        }
    })
}

/// The source organisation: each planned mailbox, group, member and permission as the source
/// Exchange would list it (the plan was made from its audit exports).
fn seed_source(plan: &Value, ops: &dyn Fn(&str) -> Vec<Vec<String>>) -> Value {
    let mut src = Map::new();
    let mut by_addr = std::collections::HashMap::new();
    let mut add = |src: &mut Map<String, Value>, addr: &str, v: Value| {
        let id = pseudo_guid(&format!("src:{addr}"));
        by_addr.insert(addr.to_lowercase(), id.clone());
        let mut v = v;
        v["Id"] = json!(id);
        src.insert(id, v);
    };
    for m in plan["mailboxes"].as_array().into_iter().flatten() {
        let Some(addr) = m["source"].as_str() else {
            continue;
        };
        let alias = addr.split('@').next().unwrap_or(addr);
        let kind = if m["user"].as_bool() == Some(false) {
            "SharedMailbox"
        } else {
            "UserMailbox"
        };
        add(
            &mut src,
            addr,
            json!({"Name": alias, "Alias": alias, "DisplayName": alias, "PrimarySmtpAddress": addr,
                   "UserPrincipalName": addr, "EmailAddresses": [format!("SMTP:{addr}")],
                   "RecipientType": "UserMailbox", "RecipientTypeDetails": kind,
                   "DistinguishedName": format!("CN={alias},OU=Users,DC=contoso,DC=local"),
                   "ExchangeGuid": pseudo_guid(&format!("xg:{addr}")), "MaxSendSize": 10485760, "MaxReceiveSize": 10485760,
                   "TotalItemSize": 104857600, "ItemCount": 1000,
                   "GrantSendOnBehalfTo": [], "FullAccess": [], "SendAs": [], "Members": []}),
        );
    }
    // The migration account the impersonation and throttling steps act on: an existing user
    // of the source organisation (with a mailbox, as migration tools need).
    for v in ops("source-impersonation") {
        let Some(acct) = v.first() else { continue };
        let known = src.values().any(|r| {
            r["PrimarySmtpAddress"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(acct))
        });
        if known {
            continue;
        }
        let alias = acct.split('@').next().unwrap_or(acct);
        let alias = alias.rsplit('\\').next().unwrap_or(alias);
        let smtp = if acct.contains('@') {
            acct.clone()
        } else {
            format!(
                "{alias}@{}",
                plan["domains"][0].as_str().unwrap_or("contoso.com")
            )
        };
        add(
            &mut src,
            acct,
            json!({"Name": alias, "Alias": alias, "DisplayName": alias, "PrimarySmtpAddress": smtp,
                   "UserPrincipalName": smtp, "EmailAddresses": [format!("SMTP:{smtp}")],
                   "RecipientType": "UserMailbox", "RecipientTypeDetails": "UserMailbox",
                   "DistinguishedName": format!("CN={alias},OU=Service Accounts,DC=contoso,DC=local"),
                   "ExchangeGuid": pseudo_guid(&format!("xg:{acct}")), "MaxSendSize": 10485760, "MaxReceiveSize": 10485760,
                   "TotalItemSize": 1048576, "ItemCount": 10, "ThrottlingPolicy": null,
                   // -Identity takes DOMAIN\\user as well (get-recipient reference).
                   "SamAccountName": format!("CONTOSO\\{alias}"),
                   "GrantSendOnBehalfTo": [], "FullAccess": [], "SendAs": [], "Members": []}),
        );
    }
    for v in ops("groups") {
        let name = v.first().cloned().unwrap_or_default();
        let addr = v.get(3).cloned().unwrap_or_default();
        let alias = v.get(2).cloned().unwrap_or_default();
        add(
            &mut src,
            &addr,
            json!({"Name": name, "Alias": alias, "DisplayName": v.get(1), "PrimarySmtpAddress": addr,
                   "EmailAddresses": [format!("SMTP:{addr}")], "RecipientType": "MailUniversalDistributionGroup",
                   "RecipientTypeDetails": "MailUniversalDistributionGroup", "GroupType": "Universal",
                   "RequireSenderAuthenticationEnabled": v.get(5).map(|s| s == "true"),
                   "DistinguishedName": format!("CN={name},OU=Groups,DC=contoso,DC=local"),
                   "GrantSendOnBehalfTo": [], "FullAccess": [], "SendAs": [], "Members": []}),
        );
    }
    for v in ops("contacts") {
        let Some(ext) = v.get(1) else { continue };
        add(
            &mut src,
            ext,
            json!({"Name": v.first(), "Alias": ext.split('@').next(), "DisplayName": v.first(), "PrimarySmtpAddress": ext,
                   "EmailAddresses": [format!("SMTP:{ext}")], "ExternalEmailAddress": format!("SMTP:{ext}"),
                   "RecipientType": "MailContact", "RecipientTypeDetails": "MailContact",
                   "DistinguishedName": format!("CN={ext},OU=Contacts,DC=contoso,DC=local"),
                   "GrantSendOnBehalfTo": [], "FullAccess": [], "SendAs": [], "Members": []}),
        );
    }
    for v in ops("members") {
        let (Some(g), Some(m)) = (v.first(), v.get(1)) else {
            continue;
        };
        let (Some(gid), Some(mid)) = (
            by_addr.get(&g.to_lowercase()),
            by_addr.get(&m.to_lowercase()),
        ) else {
            continue;
        };
        if let Some(list) = src.get_mut(gid).and_then(|g| g["Members"].as_array_mut()) {
            list.push(json!(mid));
        }
    }
    for v in ops("permissions") {
        let (Some(mb), Some(t), Some(right)) = (v.first(), v.get(1), v.get(2)) else {
            continue;
        };
        let (Some(mid), Some(tid)) = (
            by_addr.get(&mb.to_lowercase()),
            by_addr.get(&t.to_lowercase()),
        ) else {
            continue;
        };
        let field = match right.as_str() {
            "FullAccess" => "FullAccess",
            "SendAs" => "SendAs",
            _ => "GrantSendOnBehalfTo",
        };
        if let Some(list) = src.get_mut(mid).and_then(|m| m[field].as_array_mut()) {
            list.push(json!(tid));
        }
    }
    Value::Object(src)
}

/// Runs a rehearsal: writes the simulation beside the state, seeds the state when it does not
/// exist yet, runs every step through the runner and compares the final state with the plan.
pub fn rehearse(opts: &RehearseOptions) -> Result<RehearseOutcome> {
    let bundle = run::verify::open_verified(&opts.bundle)?;
    // Every step's operations in full, from the data files plan.json references.
    let plan = crate::plan::contract::read(&bundle.root)?;
    let base = bundle.root.join(run::REHEARSALS_DIR);
    std::fs::create_dir_all(&base).map_err(|e| Error::io(&base, e))?;
    let state = match &opts.state {
        Some(p) => std::path::absolute(p).map_err(|e| Error::io(p, e))?,
        None => base.join("tenant.json"),
    };
    let seed = opts.faults.unwrap_or(1);
    if !state.exists() {
        let s = seed_state(&plan, seed, opts.faults, opts.delays);
        state::write_fresh(&state, &s)?;
    } else {
        state::reconfigure(&state, seed, opts.faults, opts.delays.as_str())?;
    }
    let sim_dir = base.join("sim");
    let launcher = write_sim(&sim_dir)?;
    let mut path_var = std::ffi::OsString::from(sim_dir.join("modules"));
    if let Some(old) = std::env::var_os("PSModulePath") {
        path_var.push(if cfg!(windows) { ";" } else { ":" });
        path_var.push(old);
    }
    let before = state::load(&state)?;
    let slept_before = before["slept"].as_f64().unwrap_or(0.0);

    let mut ropts = RunOptions::new(&bundle.root);
    ropts.pwsh = opts.pwsh.clone();
    ropts.what_if = opts.what_if;
    ropts.mode = opts.mode;
    ropts.progress = opts.progress;
    ropts.secrets = opts.secrets.clone();
    ropts.timeout = opts.timeout;
    ropts.continue_past_gates = opts.continue_past_gates;
    ropts.steps = opts.steps.clone();
    ropts.wait = opts.wait;
    ropts.env = vec![
        (
            "PSModulePath".into(),
            path_var.to_string_lossy().into_owned(),
        ),
        (ENV_STATE.into(), state.to_string_lossy().into_owned()),
        // Plain logs: no ANSI colour in the error views the journal keeps.
        ("NO_COLOR".into(), "1".into()),
        ("TERM".into(), "dumb".into()),
        // Files a step writes to the user's home (generated passwords) stay with the rehearsal.
        ("HOME".into(), base.to_string_lossy().into_owned()),
    ];
    ropts.env.extend(runtime_env());
    ropts.rehearsal = Some(Rehearsal {
        meta: RehearsalMeta {
            state: state.to_string_lossy().into_owned(),
            seed,
            faults: opts.faults.is_some(),
            delays: opts.delays.as_str().into(),
            started: if opts.session { "session" } else { "file" }.into(),
            hosted: opts.hosted,
        },
        launcher,
        session: opts.session,
        client: None,
        probed: None,
    });
    // Hosted: one pwsh for the whole rehearsal, killed when `own` drops (or with cutover),
    // unless the caller keeps one for several.
    let own;
    let host = match (&opts.host, opts.hosted) {
        (_, false) => None,
        (Some(h), true) => Some((&*h.host, h.pwsh.clone())),
        (None, true) => {
            let pwsh = run::pwsh::discover(opts.pwsh.as_deref())?;
            own = host::StepHost::start(
                &pwsh,
                &sim_dir.join(HOST_SCRIPT),
                &host::host_log(&sim_dir),
            )?;
            Some((&own, pwsh))
        }
    };
    if let (Some((host, pwsh)), Some(r)) = (host, ropts.rehearsal.as_mut()) {
        r.client = Some(host::client_prefix(host.socket())?);
        r.probed = Some(run::pwsh::reported(&pwsh, host.version())?);
    }
    let outcome = run::run_bundle(&ropts)?;
    let after = state::load(&state)?;
    let comparison = compare::compare(&plan, &after);
    let slept = after["slept"].as_f64().unwrap_or(0.0) - slept_before;
    Ok(RehearseOutcome {
        run: outcome,
        state,
        comparison,
        slept_s: slept,
    })
}
