use std::path::Path;

use crate::cli::InitArgs;
use crate::error::{Error, Exit, Result};
use crate::input::{columns, FileKind};

/// A commented project file that `Project::from_toml` accepts as written.
pub const TEMPLATE: &str = r#"# cutover project file. Every setting also has a command-line flag; flags win.

[tenant]
# The tenant's initial domain (--tenant).
name = "contoso.onmicrosoft.com"
# Accepted domains: UPNs and addresses must use one of these (--domain, repeatable).
domains = ["contoso.com"]
# Usage location (ISO 3166 alpha-2) for users whose row has none (--usage-location).
usage_location = "US"
# cloud: cutover creates users in Entra ID; synced: Entra Connect does (--identity).
identity = "cloud"
# licence_sku = "O365_BUSINESS_PREMIUM"

[source]
# On-premises Exchange version: 2003, 2007, 2010, 2013, 2016, 2019 or SE (--source-version).
version = "2016"
# migration_account = "CONTOSO\\svc-migration"

[inputs]
# Paths are relative to this file (--users, --groups, --members, ...).
users = "users.csv"
groups = "groups.csv"
members = "members.csv"
# mailboxes = "mailboxes.csv"
# stats = "mailbox-stats.csv"
# permissions = "permissions.csv"
# contacts = "contacts.csv"

[limits]
# Message size limits in MB; Exchange Online allows at most 150.
max_send_mb = 150
max_receive_mb = 150

[audit]
# Mailbox size in GB for the size findings (cutover estimate --mailbox-limit-gb). When set it wins over every
# licence; unset, each mailbox gets its licence's size (50 GB Exchange Online Plan 1 and
# Business plans, 100 GB Plan 2, E3, E5), else 50.
# mailbox_limit_gb = 50
# Items larger than this many MB cannot move (Exchange Online's message ceiling is 150).
# large_item_mb = 150

# Mailbox size in GB per licence (SKU part number), over the sizes cutover knows.
# [audit.licence_limits_gb]
# SPE_E3 = 100

[estimate]
# Bandwidth to Exchange Online in Mbps (--bandwidth-mbps); cutover estimate needs it.
# bandwidth_mbps = 10
# Migrations at once (--concurrency); default 3 per 1 Mbps, the playbook's guideline.
# concurrency = 30
# Items older than this many days are pre-staged before the cutover (--prestage-days).
# prestage_days = 90

[schedule]
# The days users are told (cutover notices). Without a cutover day, cutover notices takes the
# estimate's. announce defaults to two weeks before; the reminder is the day before; the
# checklist (after) goes out on the first weekday after.
# cutover = 2027-01-15
# announce = 2027-01-04
# after = 2027-01-18
# cutover_time = "18:00"

[migration]
# Who moves the mailbox contents: "migrationwiz" (BitTitan's PowerShell module, from the jump
# box), "native" (Exchange Online migration batches) or "none" (default: the bundle writes
# MigrationWiz's bulk-add CSV for the portal, no migration steps). The MX-change day is the
# cutover day of [schedule]; the pre-stage copies mail older than that day minus
# prestage_days (ItemEndDate). cutover lint refuses a pre-stage that cannot end by then (S009).
# engine = "migrationwiz"
# prestage_start = 2027-01-04
# final_pass = 2027-01-15        # the full (delta) pass after the MX change (default: cutover)
# wave_size = 50                 # mailboxes per wave; delegates stay together (cutover run --wave N)
# source_server = "https://mail.contoso.com"   # MigrationWiz: the source's URL; remote-move: the MRS proxy FQDN
# source_admin = "admin@contoso.com"           # native cutover/staged: Autodiscover starts from this mailbox
# MigrationWiz: the customer (company) and project names.
# customer = "Contoso"
# project = "cutover-contoso"
# native: "cutover" (2003+, cloud identities, at most 2,000 mailboxes in one batch), "staged"
# (2003/2007, synced identities) or "remote-move" (hybrid, 2010+); batches <prefix>-waveN.
# endpoint_type = "cutover"
# batch_prefix = "cutover"

[notices]
# The mailbox the notices come from; with [schedule] cutover set, the bundle gets a step that
# sends them through Microsoft Graph (Send-MgUserMail).
# sender = "it@contoso.com"
# sender_name = "Contoso IT"
# organisation = "Contoso"
# helpdesk = "the IT help desk (it@contoso.com, extension 4400)"
# What most users have: Outlook (deploymentpro, manual or none) and a phone (true or false).
# outlook = "manual"
# mobile = true
# clients = "clients.csv"        # per user: UserPrincipalName,Outlook,Mobile
# templates = "notices"          # a folder of templates overriding the built-in ones
# graph_messages = ["after"]     # what the Graph step sends (users read Exchange Online only after the MX change)

# A filtering service (Mimecast, Proofpoint, Barracuda, Symantec/Broadcom) in front of the
# mailboxes: the bundle then ensures a restricted inbound connector, Enhanced Filtering for
# Connectors, an outbound connector through the smarthost and checks the SPF record.
# [mail_filter]
# vendor = "Mimecast"
# ip_ranges = ["192.0.2.0/24"]   # or ranges_file = "mimecast-ranges.txt", one range per line
# smarthost = "relay.example.com" # only when outbound mail goes through the service
# spf_include = "_netblocks.example.com"
# require_tls = true

[lint]
# Report only these rule codes or prefixes (--select), or silence warnings and infos
# (--ignore), as ruff does. Errors are always reported: a plan is never made with them.
# select = ["U", "G"]
# ignore = ["M005"]
"#;

const FILES: [(&str, FileKind); 3] = [
    ("users.csv", FileKind::Users),
    ("groups.csv", FileKind::Groups),
    ("members.csv", FileKind::Members),
];

/// The header line cutover writes for a kind.
pub fn header_line(kind: FileKind) -> String {
    let names: Vec<&str> = columns::canonical_headers(kind)
        .iter()
        .map(|c| c.canonical())
        .collect();
    names.join(",")
}

pub fn run(args: InitArgs) -> Result<Exit> {
    write(&args.dir, args.force)?;
    println!(
        "wrote cutover.toml, users.csv, groups.csv and members.csv in {}",
        args.dir.display()
    );
    Ok(Exit::Clean)
}

/// Writes the project file and the empty CSV templates (UTF-8 with BOM, as Excel expects).
pub fn write(dir: &Path, force: bool) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut files: Vec<(String, String)> = vec![("cutover.toml".into(), TEMPLATE.into())];
    for (name, kind) in FILES {
        files.push((name.into(), format!("\u{feff}{}\r\n", header_line(kind))));
    }
    if !force {
        if let Some((name, _)) = files.iter().find(|(n, _)| dir.join(n).exists()) {
            return Err(Error::Usage(format!(
                "{} already exists; use --force to overwrite",
                dir.join(name).display()
            )));
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Project;

    #[test]
    fn template_is_a_valid_project() {
        let p = Project::from_toml(TEMPLATE, Path::new("/p")).unwrap();
        assert_eq!(p.domains, ["contoso.com"]);
        assert_eq!(p.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(p.usage_location.as_deref(), Some("US"));
        assert_eq!(p.inputs.users.as_deref(), Some(Path::new("/p/users.csv")));
    }

    /// Every commented-out setting is valid as written once uncommented.
    #[test]
    fn template_settings_are_valid_when_uncommented() {
        let uncommented: String = TEMPLATE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with('[') => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let p = Project::from_toml(&uncommented, Path::new("/p")).unwrap();
        assert_eq!(p.bandwidth_mbps, Some(10.0));
        assert_eq!(p.concurrency, Some(30));
        assert_eq!(p.prestage_days, 90);
        assert!(p.mailbox_limit_set);
        assert_eq!(p.licence_limits_gb.get("SPE_E3"), Some(&100.0));
        assert_eq!(
            p.inputs.stats.as_deref(),
            Some(Path::new("/p/mailbox-stats.csv"))
        );
        assert!(p.schedule.cutover.is_some() && p.schedule.after.is_some());
        assert_eq!(p.notices.sender.as_deref(), Some("it@contoso.com"));
        assert_eq!(
            p.notices.clients.as_deref(),
            Some(Path::new("/p/clients.csv"))
        );
        assert_eq!(
            p.migration.engine,
            crate::plan::migration::Engine::Migrationwiz
        );
        assert_eq!(p.migration.customer.as_deref(), Some("Contoso"));
        assert_eq!(p.migration.wave_size, Some(50));
        let m = p.mail_filter.as_ref().expect("[mail_filter]");
        assert_eq!(m.smarthost.as_deref(), Some("relay.example.com"));
        assert!(crate::rules::settings::check(&Project {
            notices: Default::default(),
            ..p.clone()
        })
        .is_empty());
    }

    #[test]
    fn templates_are_recognised_by_kind_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), false).unwrap();
        for (name, kind) in FILES {
            let r = crate::input::open(&dir.path().join(name), &Default::default()).unwrap();
            assert_eq!(r.kind(), Some(kind), "{name}");
        }
        assert!(matches!(write(dir.path(), false), Err(Error::Usage(_))));
        write(dir.path(), true).unwrap();
    }
}
