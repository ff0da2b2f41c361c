//! Settings rules (S...): `[schedule]`, `[notices]`, `[mail_filter]` and `[migration]` in
//! `cutover.toml`, checked by `cutover lint` before notices, connector or migration steps are
//! made from them.

use crate::diag::Severity::{Error, Info, Warning};
use crate::diag::{Finding, Severity};
use crate::mail_filter::{self, parse_range, written_ranges};
use crate::notices::{self, templates, Dates};
use crate::project::Project;

use super::Rule;

pub const SCHEDULE_ORDER: Rule = Rule {
    code: "S001",
    name: "schedule-order",
    severity: Error,
    summary: "the schedule's dates are out of order",
    hint: "in [schedule], announce must come before the day before cutover, and after after cutover; cutover_time is HH:MM",
    explanation: "The notices tell users what happens when: the announcement, a reminder the day before the cutover, instructions on the cutover day and a checklist after it. A schedule whose announcement is not before the reminder, or whose checklist is not after the cutover, would send messages that contradict each other. The dates are the site's calendar days (the estimate's cutover is a Friday at 18:00 local time).",
};

pub const IP_RANGE: Rule = Rule {
    code: "S002",
    name: "mail-filter-ip-range",
    severity: Error,
    summary: "a [mail_filter] range is not a valid IP address or CIDR range",
    hint: "write each range as the vendor publishes it: 192.0.2.0/24 or a single address, network address first",
    explanation: "The ranges become the inbound connector's SenderIPAddresses and Enhanced Filtering's EFSkipIPs. Exchange Online accepts single addresses and CIDR ranges there (Microsoft Learn: Set-InboundConnector); a malformed value fails the connector step, and a range with host bits set (10.0.0.1/24) usually means a typing error that would let the wrong servers in or keep the right ones out.",
};

pub const SMARTHOST: Rule = Rule {
    code: "S003",
    name: "mail-filter-smarthost",
    severity: Error,
    summary: "[mail_filter] smarthost is not a host name",
    hint: "give the vendor's outbound relay host name (e.g. the one its admin console shows), without scheme or port",
    explanation: "The outbound connector routes Exchange Online's outbound mail to SmartHosts, which takes a fully qualified host name or an IP address (Microsoft Learn: New-OutboundConnector). A URL, a port or a single label is refused by the service, and outbound mail would stay on the default route.",
};

pub const TEMPLATE_VARIABLE: Rule = Rule {
    code: "S004",
    name: "notice-template-variable",
    severity: Error,
    summary: "a notice template uses a variable that is not defined",
    hint: "use one of the variables `cutover notices --variables` lists, or fix the spelling",
    explanation: "Notice templates are rendered strictly: an unknown variable would stop `cutover notices` and the bundle's send step for every user. Only the documented variables (name, address, dates, help desk, the user's Outlook, DeploymentPro and phone setup) exist; a partial (`{{> name}}`) or helper is not available in notice templates.",
};

pub const NO_RANGES: Rule = Rule {
    code: "S005",
    name: "mail-filter-no-ranges",
    severity: Error,
    summary: "[mail_filter] names no address ranges",
    hint: "set ip_ranges = [...] or ranges_file = FILE to the service's published sending addresses",
    explanation: "Without the filtering service's addresses the inbound connector cannot be restricted to it, and Enhanced Filtering for Connectors cannot skip it: Exchange Online would keep seeing the filter's IP address as the sender's and score mail as spam or fail SPF (Microsoft Learn: Enhanced Filtering for Connectors in Exchange Online).",
};

pub const SENDER_RANGE_SPLIT: Rule = Rule {
    code: "S006",
    name: "mail-filter-range-split",
    severity: Info,
    summary: "a range is wider than /24 or IPv6: the inbound connector gets it split into /24s, or not at all",
    hint: "nothing to do; check the connector's SenderIPAddresses after the step ran",
    explanation: "An inbound connector's SenderIPAddresses takes IPv4 addresses and CIDR ranges from /24 to /32 only, and no IPv6 (Microsoft Learn: Set-InboundConnector). cutover writes a wider IPv4 range as its /24s (a /22 becomes four entries) and uses IPv6 ranges for Enhanced Filtering only.",
};

pub const NOTICES_SETTINGS: Rule = Rule {
    code: "S007",
    name: "notices-settings",
    severity: Error,
    summary: "a [notices] setting cannot be used",
    hint: "sender is one address (name@domain); graph_messages lists announcement, reminder, cutover-day or after; templates and clients name files that exist",
    explanation: "The notices are sent from [notices] sender through Microsoft Graph (Send-MgUserMail -UserId sender) and written as .eml files From that address; templates and clients are read from the project folder. A value that is not one address, an unknown message name or a missing file would stop `cutover notices` or the send step.",
};

pub const PROJECT_TENANT: Rule = Rule {
    code: "S012",
    name: "project-tenant-domains",
    severity: Error,
    summary: "the project does not name its accepted domains or its tenant",
    hint: "set [tenant] domains = [\"contoso.com\"] and name = \"contoso.onmicrosoft.com\" in cutover.toml (or --domain / --tenant)",
    explanation: "A project's addresses and UPNs are checked against its accepted domains and its *.onmicrosoft.com tenant domain, and the bundle's domains step adds and verifies them; without them those checks are skipped and `cutover plan` and `cutover bundle` refuse the project. So a lint of a project (a cutover.toml, given with --config or found in the current folder, or a project folder given as `cutover lint FOLDER`) reports their absence as this error. A lint of files alone, with no cutover.toml, is a quick look at exports: it has no project to ask, so it skips this rule and the domain checks (U004, A002) unless --domain / --tenant are given.",
};

/// What a project must name before anything is planned: the one list that `lint` (S012),
/// `plan` and `bundle` share.
pub fn missing_tenant_settings(project: &Project) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if project.domains.is_empty() {
        missing.push("the accepted domains ([tenant] domains in cutover.toml, or --domain)");
    }
    if project
        .tenant
        .as_deref()
        .map_or(true, |t| t.trim().is_empty())
    {
        missing.push("the tenant ([tenant] name = \"NAME.onmicrosoft.com\", or --tenant)");
    }
    missing
}

pub const MIGRATION_SETTINGS: Rule = Rule {
    code: "S008",
    name: "migration-settings",
    severity: Error,
    summary: "a [migration] setting cannot be used",
    hint: "engine native needs an endpoint_type Microsoft supports for the source (see the message); [migration] cutover must equal [schedule] cutover; prestage_start and final_pass fall on or before and on or after the cutover day",
    explanation: "Microsoft documents which native migration fits which source: a cutover migration takes Exchange 2003 and later over Outlook Anywhere but is unavailable once directory synchronization is on; a staged migration is only for Exchange 2003 and 2007 and needs directory synchronization; a remote move needs an Exchange hybrid deployment (New-HybridConfiguration applies to Exchange 2010 and later; Exchange hybrid is a directory-synchronization scenario). Microsoft Learn: What you need to know about a cutover / staged email migration; Use PowerShell to perform a cutover migration; New-HybridConfiguration; Microsoft Entra common hybrid scenarios. The MX-change day has one source, [schedule] cutover, which the notices tell users: a different [migration] cutover would schedule the final pass on another day than the users are told.",
};

pub const MIGRATION_FIT: Rule = Rule {
    code: "S009",
    name: "migration-schedule-fit",
    severity: Error,
    summary: "the pre-stage pass does not fit between [migration] prestage_start and the cutover",
    hint: "start the pre-stage earlier (the message says the latest start), move the cutover later, raise the bandwidth, or shorten prestage_days so less is pre-staged",
    explanation: "The pre-stage pass copies mail older than the cut-off (ItemEndDate = cutover day minus prestage_days) before the MX change, so the pass after it only moves the recent rest. Its hours come from the estimate's model (every mailbox's TotalItemSize, primary plus archive, at the configured bandwidth, the link kept full; the assumed share of recent mail stays for the final pass). A pre-stage that cannot finish by the cutover evening (18:00 local time) leaves the final pass with the old mail too, and the users' mailboxes incomplete on Monday.",
};

pub const MIGRATION_CUTOVER_LIMIT: Rule = Rule {
    code: "S010",
    name: "migration-cutover-limit",
    severity: Error,
    summary: "a native cutover migration over 2,000 mailboxes",
    hint: "use MigrationWiz (engine = \"migrationwiz\") or, with a hybrid deployment, remote-move batches",
    explanation: "A cutover migration moves at most 2,000 mailboxes, all in one batch (only one cutover batch can exist at a time). Microsoft Learn: What you need to know about a cutover email migration to Microsoft 365; Use PowerShell to perform a cutover migration to Microsoft 365.",
};

pub const MIGRATION_CUTOVER_SIZE: Rule = Rule {
    code: "S011",
    name: "migration-cutover-recommended",
    severity: Warning,
    summary: "a native cutover migration over the 150 mailboxes Microsoft recommends",
    hint: "consider MigrationWiz, which migrates wave by wave, or accept the longer provisioning time",
    explanation: "Microsoft allows up to 2,000 mailboxes in a cutover migration but recommends 150 or fewer, because creating and migrating that many users in one batch takes long. Microsoft Learn: What you need to know about a cutover email migration to Microsoft 365.",
};

fn finding(project: &Project, rule: &Rule, message: String, value: Option<String>) -> Finding {
    Finding {
        code: rule.code,
        severity: rule.severity,
        file: project.config.as_ref().map(|p| p.display().to_string()),
        line: None,
        column: None,
        value,
        message,
        hint: rule.hint.to_string(),
    }
}

/// Every settings finding for the project.
pub fn check(project: &Project) -> Vec<Finding> {
    let mut out = Vec::new();
    tenant_settings(project, &mut out);
    schedule(project, &mut out);
    notices_settings(project, &mut out);
    templates_check(project, &mut out);
    mail_filter_check(project, &mut out);
    migration_check(project, &mut out);
    out
}

/// Only for a project read from a cutover.toml: a lint of files alone has no project to ask.
fn tenant_settings(project: &Project, out: &mut Vec<Finding>) {
    if project.config.is_none() {
        return;
    }
    let missing = missing_tenant_settings(project);
    if !missing.is_empty() {
        out.push(finding(
            project,
            &PROJECT_TENANT,
            format!(
                "the project does not name {}; plan and bundle refuse it (a lint of files \
                 without a cutover.toml skips this check)",
                missing.join(" or ")
            ),
            None,
        ));
    }
}

/// `[migration]` by itself, then (with an engine) the schedule against the loaded inputs.
fn migration_check(project: &Project, out: &mut Vec<Finding>) {
    use crate::plan::migration::{self, Engine, NativeType};
    let m = &project.migration;
    let mut bad = |message: String, value: Option<String>| {
        out.push(finding(project, &MIGRATION_SETTINGS, message, value))
    };
    if let (Some(given), Some(schedule)) = (m.cutover, project.schedule.cutover) {
        if given != schedule {
            bad(
                format!("[migration] cutover {given} is not [schedule] cutover {schedule}: the MX change has one day; remove one or make them equal"),
                Some(given.to_string()),
            );
        }
    }
    let cutover = project.schedule.cutover;
    if let (Some(start), Some(c)) = (m.prestage_start, cutover) {
        if start > c {
            bad(
                format!("[migration] prestage_start {start} is after the cutover {c}"),
                Some(start.to_string()),
            );
        }
    }
    if let (Some(last), Some(c)) = (m.final_pass, cutover) {
        if last < c {
            bad(
                format!("[migration] final_pass {last} is before the cutover {c}: the full pass runs after the MX change"),
                Some(last.to_string()),
            );
        }
    }
    match m.engine {
        Engine::None => return,
        Engine::Native => match m.native_type {
            None => bad(
                "[migration] engine = \"native\" needs endpoint_type = \"cutover\", \"staged\" or \"remote-move\"".into(),
                None,
            ),
            Some(t) => {
                if let Some(why) =
                    migration::unsupported(t, project.source_version, project.identity)
                {
                    bad(
                        format!("[migration] endpoint_type = \"{}\" with Exchange {}: {why}", t.as_str(), project.source_version),
                        Some(t.as_str().to_string()),
                    );
                }
            }
        },
        Engine::Migrationwiz => {}
    }
    // The schedule needs the mailboxes: an input lint cannot read is reported on its own.
    let Ok(tenant) = crate::model::load::load_tenant(project) else {
        return;
    };
    let pairs = crate::plan::mailbox_pairs(&tenant);
    let Some(plan) = migration::build(project, &tenant, &pairs) else {
        return;
    };
    if let (Some(missing), Some(start), Some(cutover)) =
        (plan.missing_hours(), plan.prestage_start, plan.cutover)
    {
        let latest = plan
            .latest_prestage_start()
            .map(|t| format!("; to fit, start it by {}", t.format("%Y-%m-%d %H:%M")))
            .unwrap_or_default();
        out.push(finding(
            project,
            &MIGRATION_FIT,
            format!(
                "the pre-stage pass needs {} hours but only {} fit between prestage_start {} and the cutover evening {}: {missing} hours missing{latest}",
                plan.prestage.hours.unwrap_or(0.0),
                migration::hours_between(start, cutover).max(0.0),
                start,
                cutover,
            ),
            Some(format!("{missing} hours")),
        ));
    }
    if plan.native_type == Some(NativeType::Cutover) {
        let n = plan.mailbox_count();
        if n > migration::CUTOVER_MAX_MAILBOXES {
            out.push(finding(
                project,
                &MIGRATION_CUTOVER_LIMIT,
                format!(
                    "{n} mailboxes in one cutover migration; Microsoft allows at most {}",
                    migration::CUTOVER_MAX_MAILBOXES
                ),
                Some(n.to_string()),
            ));
        } else if n > migration::CUTOVER_RECOMMENDED_MAILBOXES {
            out.push(finding(
                project,
                &MIGRATION_CUTOVER_SIZE,
                format!(
                    "{n} mailboxes in one cutover migration; Microsoft recommends {} or fewer",
                    migration::CUTOVER_RECOMMENDED_MAILBOXES
                ),
                Some(n.to_string()),
            ));
        }
    }
}

fn schedule(project: &Project, out: &mut Vec<Finding>) {
    let s = &project.schedule;
    if let Some(t) = &s.cutover_time {
        if notices::parse_time(t).is_none() {
            out.push(finding(
                project,
                &SCHEDULE_ORDER,
                "[schedule] cutover_time is not a time like 18:00".into(),
                Some(t.clone()),
            ));
        }
    }
    let Some(_) = s.cutover else {
        if s.announce.is_some() || s.after.is_some() {
            out.push(finding(
                project,
                &SCHEDULE_ORDER,
                "[schedule] sets announce or after but no cutover day to order them by".into(),
                None,
            ));
        }
        return;
    };
    if let Err(e) = Dates::resolve(project, None) {
        out.push(finding(project, &SCHEDULE_ORDER, e.to_string(), None));
    }
}

fn notices_settings(project: &Project, out: &mut Vec<Finding>) {
    let n = &project.notices;
    if let Some(s) = &n.sender {
        let ok = s.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && !d.is_empty() && !s.contains(char::is_whitespace) && !d.contains('@')
        });
        if !ok {
            out.push(finding(
                project,
                &NOTICES_SETTINGS,
                "[notices] sender is not one email address".into(),
                Some(s.clone()),
            ));
        }
    }
    for m in &n.graph_messages {
        if !notices::Kind::ALL.iter().any(|k| k.id() == m) {
            out.push(finding(
                project,
                &NOTICES_SETTINGS,
                format!("[notices] graph_messages names '{m}', which is not a notice"),
                Some(m.clone()),
            ));
        }
    }
    if let Some(p) = &n.clients {
        if let Err(e) = notices::read_clients(p) {
            out.push(finding(project, &NOTICES_SETTINGS, e.to_string(), None));
        }
    }
}

fn templates_check(project: &Project, out: &mut Vec<Finding>) {
    let sources = match templates::load(project.notices.templates.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            out.push(finding(project, &NOTICES_SETTINGS, e.to_string(), None));
            return;
        }
    };
    for s in &sources {
        for u in templates::undefined(&s.text) {
            out.push(Finding {
                code: TEMPLATE_VARIABLE.code,
                severity: TEMPLATE_VARIABLE.severity,
                file: Some(s.origin()),
                line: Some(u.line),
                column: None,
                value: Some(u.name.clone()),
                message: format!("'{}' is not a notice template variable", u.name),
                hint: TEMPLATE_VARIABLE.hint.to_string(),
            });
        }
        if templates::split_subject(&s.text).is_none() {
            out.push(Finding {
                code: TEMPLATE_VARIABLE.code,
                severity: TEMPLATE_VARIABLE.severity,
                file: Some(s.origin()),
                line: Some(1),
                column: None,
                value: None,
                message: "the first line is not 'Subject: ...'".into(),
                hint: "start the template with a line 'Subject: your subject'".into(),
            });
        }
    }
}

fn mail_filter_check(project: &Project, out: &mut Vec<Finding>) {
    let Some(m) = &project.mail_filter else {
        return;
    };
    let written = match written_ranges(m) {
        Ok(w) => w,
        Err(e) => {
            out.push(finding(project, &NO_RANGES, e.to_string(), None));
            return;
        }
    };
    let mut valid = 0;
    for w in &written {
        let at = |rule: &Rule, message: String| Finding {
            code: rule.code,
            severity: rule.severity,
            file: w
                .file
                .clone()
                .or_else(|| project.config.as_ref().map(|p| p.display().to_string())),
            line: w.line,
            column: None,
            value: Some(w.text.clone()),
            message,
            hint: rule.hint.to_string(),
        };
        match parse_range(&w.text) {
            Err(e) => out.push(at(&IP_RANGE, e)),
            Ok(r) => {
                valid += 1;
                if r.addr.is_ipv6() {
                    out.push(at(
                        &SENDER_RANGE_SPLIT,
                        format!("{r} is IPv6: the inbound connector cannot list it; Enhanced Filtering skips it"),
                    ));
                } else if r.prefix < 24 {
                    out.push(at(
                        &SENDER_RANGE_SPLIT,
                        format!(
                            "{r} becomes {} /24 ranges on the inbound connector",
                            1u32 << (24 - r.prefix)
                        ),
                    ));
                }
            }
        }
    }
    if valid == 0 && !out.iter().any(|f| f.code == IP_RANGE.code) {
        out.push(finding(
            project,
            &NO_RANGES,
            format!("[mail_filter] for {} names no address ranges", m.vendor),
            None,
        ));
    }
    if let Some(h) = &m.smarthost {
        if !mail_filter::valid_smarthost(h) {
            out.push(finding(
                project,
                &SMARTHOST,
                "[mail_filter] smarthost is not a host name or IPv4 address".into(),
                Some(h.clone()),
            ));
        }
    }
    if let Some(inc) = &m.spf_include {
        if !mail_filter::valid_spf_domain(inc) {
            out.push(finding(
                project,
                &SMARTHOST,
                "[mail_filter] spf_include is not a domain name".into(),
                Some(inc.clone()),
            ));
        }
    }
}

/// Whether any finding is an error (the notices and bundle commands refuse then).
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn codes(toml: &str) -> Vec<&'static str> {
        let p = Project::from_toml(toml, Path::new("")).unwrap();
        check(&p).iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_clean_project_has_no_settings_findings() {
        assert_eq!(codes(""), Vec::<&str>::new());
        assert_eq!(
            codes("[schedule]\ncutover = 2026-12-18\nannounce = 2026-12-01\n[mail_filter]\nvendor='Mimecast'\nip_ranges=['192.0.2.0/24']\nsmarthost='relay.example.com'\n"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn s008_migration_settings() {
        let base = "[schedule]\ncutover = 2026-12-18\n[migration]\n";
        assert_eq!(
            codes(&format!("{base}engine = 'migrationwiz'\n")),
            Vec::<&str>::new()
        );
        assert_eq!(codes(&format!("{base}engine = 'native'\n")), ["S008"]);
        // Staged is for 2003/2007 only; the default source is 2016.
        assert_eq!(
            codes(&format!(
                "{base}engine = 'native'\nendpoint_type = 'staged'\n"
            )),
            ["S008"]
        );
        assert_eq!(
            codes(&format!(
                "{base}engine = 'native'\nendpoint_type = 'cutover'\n"
            )),
            Vec::<&str>::new()
        );
        // One MX-change day.
        assert_eq!(codes(&format!("{base}cutover = 2026-12-19\n")), ["S008"]);
        assert_eq!(
            codes(&format!("{base}cutover = 2026-12-18\n")),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(&format!(
                "{base}prestage_start = 2026-12-19\nfinal_pass = 2026-12-17\n"
            )),
            ["S008", "S008"]
        );
        // [migration] cutover alone is the cutover day.
        let p = Project::from_toml("[migration]\ncutover = 2026-12-18\n", Path::new("")).unwrap();
        assert_eq!(
            p.schedule.cutover,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 18)
        );
        assert!(Project::from_toml("[migration]\nengine = 'imap'\n", Path::new("")).is_err());
    }

    #[test]
    fn s009_s011_need_the_mailboxes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut mailboxes =
            String::from("Identity,Alias,PrimarySmtpAddress,ExchangeGuid,RecipientTypeDetails\n");
        let mut stats = String::from("MailboxGuid,TotalItemSize,ItemCount\n");
        for i in 0..151 {
            mailboxes.push_str(&format!("m{i},m{i},m{i}@contoso.com,g-{i},SharedMailbox\n"));
            stats.push_str(&format!("g-{i},1000000000,1\n"));
        }
        std::fs::write(d.join("m.csv"), mailboxes).unwrap();
        std::fs::write(d.join("s.csv"), stats).unwrap();
        let toml = |extra: &str| {
            format!(
                "[tenant]\nname='contoso.onmicrosoft.com'\ndomains=['contoso.com']\n[inputs]\nmailboxes='m.csv'\nstats='s.csv'\n[estimate]\nbandwidth_mbps = 100\n[schedule]\ncutover = 2026-12-18\n[migration]\n{extra}"
            )
        };
        let codes = |text: &str| -> Vec<&'static str> {
            let p = Project::from_toml(text, d).unwrap();
            check(&p).iter().map(|f| f.code).collect()
        };
        // 151 GB at 100 Mbps (4.5e10 B/h): 3.36 h, 90 % = 3.02 h before Friday 18:00.
        assert_eq!(
            codes(&toml(
                "engine = 'migrationwiz'\nprestage_start = 2026-12-18\n"
            )),
            Vec::<&str>::new()
        );
        let p =
            Project::from_toml(&toml("engine = 'native'\nendpoint_type = 'cutover'\n"), d).unwrap();
        let f = check(&p);
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), ["S011"]);
        assert!(f[0].message.starts_with("151 mailboxes"));
        let slow = toml("engine = 'migrationwiz'\nprestage_start = 2026-12-18\n")
            .replace("bandwidth_mbps = 100", "bandwidth_mbps = 10");
        let p = Project::from_toml(&slow, d).unwrap();
        let f = check(&p);
        assert_eq!(f.iter().map(|f| f.code).collect::<Vec<_>>(), ["S009"]);
        // 151e9 / 4.5e9 = 33.56 h, 90 % = 30.2 h; 18 h fit: 13 hours missing.
        assert!(
            f[0].message.contains("13 hours missing"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("start it by 2026-12-17 11:48"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn s001_dates_out_of_order() {
        assert_eq!(
            codes("[schedule]\ncutover = 2026-12-18\nannounce = 2026-12-17\n"),
            ["S001"]
        );
        assert_eq!(
            codes("[schedule]\ncutover = 2026-12-18\nafter = '2026-12-18'\n"),
            ["S001"]
        );
        assert_eq!(codes("[schedule]\nannounce = 2026-12-01\n"), ["S001"]);
        assert_eq!(
            codes("[schedule]\ncutover = 2026-12-18\ncutover_time = '25:00'\n"),
            ["S001"]
        );
    }

    #[test]
    fn s002_s005_s006_ranges() {
        assert_eq!(
            codes("[mail_filter]\nip_ranges=['192.0.2.1/24', 'x']\n"),
            ["S002", "S002"]
        );
        assert_eq!(codes("[mail_filter]\nvendor='Proofpoint'\n"), ["S005"]);
        assert_eq!(
            codes("[mail_filter]\nip_ranges=['198.51.100.0/22', '2001:db8::/32']\n"),
            ["S006", "S006"]
        );
    }

    #[test]
    fn s002_in_a_ranges_file_points_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("r.txt"),
            "# Mimecast\n192.0.2.0/24\n192.0.2.300/32\n",
        )
        .unwrap();
        let p = Project::from_toml("[mail_filter]\nranges_file='r.txt'\n", dir.path()).unwrap();
        let f = check(&p);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].code, f[0].line), ("S002", Some(3)));
    }

    #[test]
    fn s003_smarthost_and_spf_include() {
        assert_eq!(
            codes("[mail_filter]\nip_ranges=['192.0.2.0/24']\nsmarthost='smtp://relay:25'\n"),
            ["S003"]
        );
        assert_eq!(
            codes("[mail_filter]\nip_ranges=['192.0.2.0/24']\nspf_include='not a domain'\n"),
            ["S003"]
        );
    }

    #[test]
    fn s004_undefined_template_variable_in_an_override() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(
            t.join("reminder.txt.hbs"),
            "Subject: Hi {{first_name}}\n\nSee you {{cutover_day}}.\n",
        )
        .unwrap();
        std::fs::write(t.join("after.txt.hbs"), "no subject\n").unwrap();
        let p = Project::from_toml("[notices]\ntemplates='t'\n", dir.path()).unwrap();
        let f = check(&p);
        let got: Vec<(&str, Option<u64>, Option<&str>)> = f
            .iter()
            .map(|f| (f.code, f.line, f.value.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("S004", Some(3), Some("cutover_day")),
                ("S004", Some(1), None)
            ]
        );
    }

    #[test]
    fn s007_notices_settings() {
        assert_eq!(codes("[notices]\nsender='it desk'\n"), ["S007"]);
        assert_eq!(
            codes("[notices]\ngraph_messages=['after', 'later']\n"),
            ["S007"]
        );
        assert_eq!(codes("[notices]\ntemplates='no-such-folder'\n"), ["S007"]);
    }
}
