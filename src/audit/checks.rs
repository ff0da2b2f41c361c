//! Per-mailbox rules over the joined mailbox export and statistics (M003 .. M007).

use crate::diag::Finding;
use crate::model::{Mailbox, Origin, RecipientKind};
use crate::project::Project;
use crate::rules::Rule;

use super::findings::*;
use super::join::Usage;
use super::size::human;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Shared mailboxes up to this size need no licence (Exchange Online service description).
pub const SHARED_FREE_BYTES: u64 = 50 * (1 << 30);

/// Mailbox sizes of the licences m365-facts 3.2 names, by SKU part number: 50 GB with Exchange
/// Online Plan 1 and the Microsoft 365 Business plans, 100 GB with Plan 2 and E3/E5.
pub const LICENCE_MAILBOX_GB: &[(&str, f64)] = &[
    ("EXCHANGESTANDARD", 50.0),
    ("O365_BUSINESS_ESSENTIALS", 50.0),
    ("O365_BUSINESS_PREMIUM", 50.0),
    ("SPB", 50.0),
    ("EXCHANGEENTERPRISE", 100.0),
    ("ENTERPRISEPACK", 100.0),
    ("ENTERPRISEPREMIUM", 100.0),
    ("SPE_E3", 100.0),
    ("SPE_E5", 100.0),
];

/// The mailbox limit for a mailbox whose user has `sku` (else the project's licence): a limit
/// set in the project wins; else the licence's size, from `[audit.licence_limits_gb]` first,
/// then the sizes m365-facts gives; else the default.
pub fn mailbox_limit(project: &Project, sku: Option<&str>) -> (f64, String) {
    let default = Project::default().mailbox_limit_gb;
    // A value other than the default set without the flag (older callers) is deliberate too.
    if project.mailbox_limit_set || project.mailbox_limit_gb != default {
        return (project.mailbox_limit_gb, "the project's limit".into());
    }
    let known = sku.or(project.licence_sku.as_deref()).and_then(|s| {
        let s = s.trim();
        let configured = project
            .licence_limits_gb
            .iter()
            .map(|(k, gb)| (k.as_str(), *gb));
        configured
            .chain(LICENCE_MAILBOX_GB.iter().copied())
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(s))
            .map(|(k, gb)| (gb, format!("the {k} licence's mailbox")))
    });
    known.unwrap_or((default, "the default licence mailbox".into()))
}

/// Converts a limit in (binary) GB or MB to bytes, as Exchange counts them.
fn limit_bytes(value: f64, unit: f64) -> u64 {
    // A negative or NaN limit from the project would flag everything; treat it as no limit.
    if value.is_finite() && value > 0.0 {
        (value * unit) as u64
    } else {
        u64::MAX
    }
}

fn at(
    rule: &'static Rule,
    origin: &Origin,
    column: Option<&str>,
    value: Option<String>,
    msg: String,
) -> Finding {
    finding(
        rule,
        Some(&origin.file),
        Some(origin.line),
        column.map(str::to_string),
        value,
        msg,
    )
}

/// The domain of an address, lower-case (`None` when the value is not an address).
fn domain_of(address: &str) -> Option<String> {
    let (_, d) = address.trim().rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// Why a shared (or room, or equipment) mailbox needs a licence in Exchange Online: more than
/// 50 GB, an archive, or a litigation hold (M005's sources). Empty: it needs none. The plan
/// keeps the licence of a synced one for the same reasons.
pub fn licence_reasons(m: &Mailbox, u: &Usage) -> Vec<String> {
    let mut why = Vec::new();
    if u.primary_bytes > SHARED_FREE_BYTES {
        why.push(format!("holds {} (over 50 GB)", human(u.primary_bytes)));
    }
    if m.archive || u.archive_origin.is_some() {
        why.push("has an archive".to_string());
    }
    if m.litigation_hold {
        why.push("is on litigation hold".to_string());
    }
    why
}

/// The per-mailbox rules; `sku` is the licence of the mailbox's user when the users file says.
pub fn check_mailbox(
    m: &Mailbox,
    u: &Usage,
    sku: Option<&str>,
    project: &Project,
    out: &mut Vec<Finding>,
) {
    let (limit_gb, limit_source) = mailbox_limit(project, sku);
    let limit = limit_bytes(limit_gb, GIB);
    let stats_at = u.primary_origin.as_ref().unwrap_or(&m.origin);
    if u.primary_bytes > limit {
        out.push(at(
            &M003,
            stats_at,
            Some("TotalItemSize"),
            Some(u.primary_bytes.to_string()),
            format!(
                "'{}' holds {} ({} bytes), over {limit_source} of {limit_gb} GB",
                m.identity,
                human(u.primary_bytes),
                u.primary_bytes,
            ),
        ));
    }
    if u.archive_bytes > limit {
        let o = u.archive_origin.as_ref().unwrap_or(&m.origin);
        out.push(at(
            &M004,
            o,
            Some("TotalItemSize"),
            Some(u.archive_bytes.to_string()),
            format!(
                "the archive of '{}' holds {}, over {limit_gb} GB: it needs auto-expanding archiving",
                m.identity,
                human(u.archive_bytes),
            ),
        ));
    }
    if m.kind == RecipientKind::Shared {
        let why = licence_reasons(m, u);
        if !why.is_empty() {
            out.push(at(
                &M005,
                &m.origin,
                None,
                None,
                format!("shared mailbox '{}' {}", m.identity, why.join(", ")),
            ));
        }
    }
    let large = limit_bytes(project.large_item_mb, MIB);
    for (bytes, items, origin, which) in [
        (
            u.primary_bytes,
            u.primary_items,
            &u.primary_origin,
            "mailbox",
        ),
        (
            u.archive_bytes,
            u.archive_items,
            &u.archive_origin,
            "archive",
        ),
    ] {
        // Average above the limit means at least one item above it; anything less is unknowable.
        if items > 0 && u128::from(bytes) > u128::from(large) * u128::from(items) {
            out.push(at(
                &M006,
                origin.as_ref().unwrap_or(&m.origin),
                Some("ItemCount"),
                Some(items.to_string()),
                format!(
                    "the {which} of '{}' averages {} per item over {items} items, so at least one item is over {} MB",
                    m.identity,
                    human(bytes / items),
                    project.large_item_mb
                ),
            ));
        }
    }
    if !project.domains.is_empty() {
        let targets = [
            (m.forwarding.as_deref(), "ForwardingSmtpAddress"),
            (m.forwarding_recipient.as_deref(), "ForwardingAddress"),
        ];
        for (target, column) in targets {
            let Some(t) = target else { continue };
            if let Some(d) = domain_of(t) {
                if !project.accepts_domain(&d) {
                    out.push(at(
                        &M007,
                        &m.origin,
                        Some(column),
                        Some(t.to_string()),
                        format!(
                            "'{}' forwards mail to {t}, outside the accepted domains",
                            m.identity
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn mailbox(kind: RecipientKind) -> Mailbox {
        Mailbox {
            origin: Origin {
                file: Arc::from("m.csv"),
                line: 2,
            },
            identity: "alice".into(),
            alias: None,
            display_name: None,
            primary_smtp: None,
            upn: None,
            exchange_guid: None,
            proxy_addresses: Vec::new(),
            kind,
            archive: false,
            archive_guid: None,
            litigation_hold: false,
            forwarding: None,
            forwarding_recipient: None,
            send_on_behalf: Vec::new(),
        }
    }

    fn usage(primary: u64, items: u64, archive: u64) -> Usage {
        let o = Origin {
            file: Arc::from("s.csv"),
            line: 9,
        };
        Usage {
            primary_bytes: primary,
            primary_items: items,
            archive_bytes: archive,
            archive_items: u64::from(archive > 0),
            deleted_bytes: 0,
            primary_origin: Some(o.clone()),
            archive_origin: (archive > 0).then_some(o),
        }
    }

    fn codes(m: &Mailbox, u: &Usage, p: &Project) -> Vec<&'static str> {
        let mut out = Vec::new();
        check_mailbox(m, u, None, p, &mut out);
        out.iter().map(|f| f.code).collect()
    }

    const GB: u64 = 1 << 30;

    #[test]
    fn over_limit_at_the_boundary() {
        let p = Project::default();
        let m = mailbox(RecipientKind::User);
        assert!(codes(&m, &usage(50 * GB, 1_000_000, 0), &p).is_empty());
        assert_eq!(codes(&m, &usage(50 * GB + 1, 1_000_000, 0), &p), ["M003"]);
        let p100 = Project {
            mailbox_limit_gb: 100.0,
            ..Default::default()
        };
        assert!(codes(&m, &usage(60 * GB, 1_000_000, 0), &p100).is_empty());
    }

    #[test]
    fn the_licence_sets_the_limit_unless_the_project_does() {
        let m = mailbox(RecipientKind::User);
        let u = usage(60 * GB, 1_000_000, 0);
        let mut out = Vec::new();
        check_mailbox(&m, &u, Some("spe_e3"), &Project::default(), &mut out);
        assert!(out.is_empty());
        check_mailbox(&m, &u, Some("SPB"), &Project::default(), &mut out);
        assert!(
            out[0]
                .message
                .contains("the SPB licence's mailbox of 50 GB"),
            "{}",
            out[0].message
        );
        let tenant_wide = Project {
            licence_sku: Some("ENTERPRISEPACK".into()),
            ..Default::default()
        };
        assert_eq!(mailbox_limit(&tenant_wide, None).0, 100.0);
        assert_eq!(
            mailbox_limit(&tenant_wide, Some("EXCHANGESTANDARD")).0,
            50.0
        );
        let explicit = Project {
            mailbox_limit_gb: 75.0,
            ..Default::default()
        };
        assert_eq!(mailbox_limit(&explicit, Some("SPE_E5")).0, 75.0);
        assert_eq!(
            mailbox_limit(&Project::default(), Some("UNKNOWN_SKU")).0,
            50.0
        );
        // An explicit 50 GB is a choice, not the default: the licence does not override it.
        let explicit_default = Project {
            mailbox_limit_set: true,
            ..Default::default()
        };
        assert_eq!(mailbox_limit(&explicit_default, Some("SPE_E5")).0, 50.0);
        // The project's licence table comes before the built-in sizes.
        let table = Project {
            licence_limits_gb: [("spe_e3".to_string(), 75.0), ("MY_SKU".to_string(), 20.0)]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        assert_eq!(mailbox_limit(&table, Some("SPE_E3")).0, 75.0);
        assert_eq!(mailbox_limit(&table, Some("my_sku")).0, 20.0);
        assert_eq!(mailbox_limit(&table, Some("SPE_E5")).0, 100.0);
    }

    #[test]
    fn archive_over_limit_needs_auto_expanding() {
        let p = Project::default();
        let m = mailbox(RecipientKind::User);
        let mut u = usage(GB, 1000, 51 * GB);
        u.archive_items = 1_000_000;
        assert_eq!(codes(&m, &u, &p), ["M004"]);
    }

    #[test]
    fn shared_mailbox_licence_reasons() {
        let p = Project::default();
        let mut m = mailbox(RecipientKind::Shared);
        assert!(codes(&m, &usage(GB, 1000, 0), &p).is_empty());
        m.litigation_hold = true;
        assert_eq!(codes(&m, &usage(GB, 1000, 0), &p), ["M005"]);
        m.litigation_hold = false;
        m.archive = true;
        assert_eq!(codes(&m, &usage(GB, 1000, 0), &p), ["M005"]);
        m.archive = false;
        let mut out = Vec::new();
        check_mailbox(&m, &usage(50 * GB + 1, 1_000_000, 0), None, &p, &mut out);
        let got: Vec<&str> = out.iter().map(|f| f.code).collect();
        assert_eq!(got, ["M003", "M005"]);
        assert!(out[1].message.contains("over 50 GB"));
    }

    #[test]
    fn large_items_only_when_certain() {
        let p = Project::default();
        let m = mailbox(RecipientKind::User);
        let mb = 1024 * 1024;
        // 2 items of 151 MB on average: at least one is over 150 MB.
        assert_eq!(codes(&m, &usage(302 * mb, 2, 0), &p), ["M006"]);
        // Exactly 150 MB average: possibly two items of 150 MB, none over.
        assert!(codes(&m, &usage(300 * mb, 2, 0), &p).is_empty());
        assert!(codes(&m, &usage(0, 0, 0), &p).is_empty());
    }

    #[test]
    fn external_forwarding_needs_domains() {
        let mut m = mailbox(RecipientKind::User);
        m.forwarding = Some("alice@gmail.com".into());
        m.forwarding_recipient = Some("contoso.com/Contacts/Bob".into());
        assert!(codes(&m, &usage(1, 1, 0), &Project::default()).is_empty());
        let p = Project {
            domains: vec!["contoso.com".into()],
            ..Default::default()
        };
        assert_eq!(codes(&m, &usage(1, 1, 0), &p), ["M007"]);
        m.forwarding = Some("bob@CONTOSO.com".into());
        assert!(codes(&m, &usage(1, 1, 0), &p).is_empty());
    }
}
