//! The mailbox migration's steps, for either engine: MigrationWiz driven through BitTitan's
//! module, or Microsoft's own migration batches in Exchange Online. The schedule (waves, the
//! pre-stage cut-off) is decided elsewhere; this turns it into operations with stable ids.
//!
//! Operation ids: `migration:<verb>:w<N>:<source address>` per mailbox and wave (`item`,
//! `verify`, `prestage`, `status`, `full`), `migration:<verb>:w<N>` per native batch (`batch`,
//! `start`, `complete`), `migration:project:<name>` and `migration:endpoint:<name>` once. Every
//! per-mailbox and per-batch data row carries its `Wave`, so a run can select one wave.

use std::fmt;

use crate::project::{IdentityMode, SourceVersion};

use super::{op, Change, Op, StepKind};

/// Microsoft's three migration types into Exchange Online from an Exchange organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NativeType {
    /// Every mailbox in one batch, over Outlook Anywhere; no CSV.
    Cutover,
    /// Batches of a CSV's mailboxes over Outlook Anywhere; needs directory synchronisation.
    Staged,
    /// Hybrid: batches of a CSV's mailboxes moved by MRS through the hybrid endpoint.
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

    /// Only a remote move's batch is completed (Complete-MigrationBatch finalises "a local move,
    /// cross-forest move, or remote move migration"); a cutover or staged batch is removed by
    /// hand once mail flows to Exchange Online (the bundle README says when).
    pub fn completes(self) -> bool {
        self == NativeType::RemoteMove
    }
}

/// The documented ceiling of a cutover migration, and the number Microsoft recommends.
/// Source: "What you need to know about a cutover email migration" (Exchange Online docs):
/// "A maximum of 2,000 mailboxes ... However, it is recommended that you only migrate 150".
pub const CUTOVER_MAX: usize = 2000;
pub const CUTOVER_RECOMMENDED: usize = 150;

/// Why Microsoft's migration type `kind` cannot move mailboxes from this source, or `None`.
/// Sources: Exchange Online docs "What you need to know about a cutover email migration"
/// (Exchange 2003 to 2016), "What you need to know about a staged email migration" (2003 and
/// 2007 only, "You can't use a staged migration to migrate Exchange 2013 or Exchange 2010
/// mailboxes"; directory synchronisation required), and the hybrid remote move (a RemoteMove
/// endpoint on a hybrid deployment, Exchange 2010 and later).
pub fn unsupported(
    kind: NativeType,
    version: SourceVersion,
    identity: IdentityMode,
) -> Option<&'static str> {
    match kind {
        NativeType::Cutover if version > SourceVersion::Ex2016 => Some(
            "Microsoft documents cutover migration for Exchange 2003 to 2016 sources only; use \
             a hybrid remote move (type = \"remote-move\") or the MigrationWiz engine",
        ),
        NativeType::Staged if version > SourceVersion::Ex2007 => Some(
            "a staged migration is only for Exchange 2003 and 2007 sources; Microsoft: \"You \
             can't use a staged migration to migrate Exchange 2013 or Exchange 2010 mailboxes\"",
        ),
        NativeType::Staged if identity != IdentityMode::Synced => Some(
            "a staged migration needs the accounts synchronised from Active Directory \
             (identity = \"synced\")",
        ),
        NativeType::RemoteMove if version < SourceVersion::Ex2010 => Some(
            "a remote move needs an Exchange hybrid deployment, which Exchange 2003 and 2007 \
             cannot be part of; use a cutover or staged migration or the MigrationWiz engine",
        ),
        _ => None,
    }
}

/// Which engine moves the mailboxes, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    MigrationWiz {
        /// BitTitan customer (company name) that owns the project.
        customer: String,
        /// MigrationWiz project (mailbox connector) name.
        project: String,
        /// The source server's URL as MigrationWiz reaches it (EWS / OWA host).
        source_server: String,
    },
    Native {
        kind: NativeType,
        /// Migration endpoint name in Exchange Online.
        endpoint: String,
        /// Batch names are `<prefix>-w<N>` (`<prefix>` alone for a cutover batch).
        batch_prefix: String,
        /// The source address Autodiscover starts from (Outlook Anywhere types), or the
        /// on-premises administrator's address.
        admin_address: String,
        /// The hybrid endpoint's FQDN (remote move only).
        remote_server: String,
        /// `<tenant>.mail.onmicrosoft.com` (remote move only).
        target_delivery_domain: String,
    },
}

/// One mailbox to move, in its wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationMailbox {
    pub wave: u32,
    pub source: String,
    pub target: String,
    /// Pre-stage cut-off, `yyyy-mm-dd`: mail older than this is copied before the MX change.
    pub item_end_date: Option<String>,
}

/// The schedule cannot be carried out with this engine for this source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The migration's steps with their operations, in run order (3x before the MX change, 9x
/// after it). A blank address or a setting the engine needs is refused, never left blank.
pub fn steps(
    engine: &Engine,
    mailboxes: &[MigrationMailbox],
    version: SourceVersion,
    identity: IdentityMode,
) -> Result<Vec<(StepKind, Vec<Op>)>, Refused> {
    if let Some(m) = mailboxes
        .iter()
        .find(|m| m.source.trim().is_empty() || m.target.trim().is_empty())
    {
        return Err(Refused(format!(
            "a mailbox of wave {} has a blank source or target address ({:?} -> {:?})",
            m.wave, m.source, m.target
        )));
    }
    match engine {
        Engine::MigrationWiz {
            customer,
            project,
            source_server,
        } => {
            for (what, v) in [
                ("customer", customer),
                ("project", project),
                ("source server", source_server),
            ] {
                if v.trim().is_empty() {
                    return Err(Refused(format!(
                        "the MigrationWiz {what} is not set ([migration] in cutover.toml)"
                    )));
                }
            }
            Ok(migrationwiz(customer, project, source_server, mailboxes))
        }
        Engine::Native {
            kind,
            endpoint,
            batch_prefix,
            admin_address,
            remote_server,
            target_delivery_domain,
        } => {
            if let Some(why) = unsupported(*kind, version, identity) {
                return Err(Refused(format!(
                    "{} migration from Exchange {}: {why}",
                    kind.as_str(),
                    version.as_str()
                )));
            }
            if *kind == NativeType::Cutover && mailboxes.len() > CUTOVER_MAX {
                return Err(Refused(format!(
                    "a cutover migration moves at most {CUTOVER_MAX} mailboxes (Microsoft's \
                     limit); this plan has {}: use waves with another type or MigrationWiz",
                    mailboxes.len()
                )));
            }
            let mut needed = vec![("endpoint name", endpoint), ("batch prefix", batch_prefix)];
            if *kind == NativeType::RemoteMove {
                needed.push(("remote server", remote_server));
                needed.push(("target delivery domain", target_delivery_domain));
            } else {
                needed.push(("source administrator address", admin_address));
            }
            for (what, v) in needed {
                if v.trim().is_empty() {
                    return Err(Refused(format!(
                        "the {what} of the native migration is not set ([migration] in cutover.toml)"
                    )));
                }
            }
            Ok(native(
                *kind,
                endpoint,
                batch_prefix,
                admin_address,
                remote_server,
                target_delivery_domain,
                mailboxes,
            ))
        }
    }
}

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

fn migrationwiz(
    customer: &str,
    project: &str,
    source_server: &str,
    mailboxes: &[MigrationMailbox],
) -> Vec<(StepKind, Vec<Op>)> {
    let mut setup = vec![op(
        format!("migration:project:{}", key(project)),
        "ensure",
        project,
        Change::Create,
        ["Project", "", project, customer, source_server, "", ""],
    )];
    let per = |verb: &str, action: &'static str, change: Change, m: &MigrationMailbox| {
        op(
            format!("migration:{verb}:w{}:{}", m.wave, key(&m.source)),
            action,
            m.source.trim(),
            change,
            [
                m.wave.to_string(),
                project.to_string(),
                m.source.trim().to_string(),
                m.target.trim().to_string(),
            ],
        )
    };
    let mut verify = Vec::new();
    let mut prestage = Vec::new();
    let mut status = Vec::new();
    let mut full = Vec::new();
    for m in mailboxes {
        setup.push(op(
            format!("migration:item:w{}:{}", m.wave, key(&m.source)),
            "ensure",
            m.source.trim(),
            Change::Create,
            [
                "Item",
                &m.wave.to_string(),
                project,
                "",
                "",
                m.source.trim(),
                m.target.trim(),
            ],
        ));
        verify.push(per("verify", "submit", Change::Create, m));
        if let Some(date) = m.item_end_date.as_deref().filter(|d| !d.trim().is_empty()) {
            let mut o = per("prestage", "submit", Change::Create, m);
            o.values.push(date.trim().to_string());
            prestage.push(o);
        }
        status.push(per("status", "read", Change::Check, m));
        full.push(per("full", "submit", Change::Create, m));
    }
    vec![
        (StepKind::MwProject, setup),
        (StepKind::MwVerify, verify),
        (StepKind::MwPrestage, prestage),
        (StepKind::MwStatus, status),
        (StepKind::MwFull, full),
    ]
}

fn native(
    kind: NativeType,
    endpoint: &str,
    prefix: &str,
    admin_address: &str,
    remote_server: &str,
    delivery_domain: &str,
    mailboxes: &[MigrationMailbox],
) -> Vec<(StepKind, Vec<Op>)> {
    let (address, server) = match kind {
        NativeType::RemoteMove => ("", remote_server),
        _ => (admin_address, ""),
    };
    let endpoint_ops = vec![op(
        format!("migration:endpoint:{}", key(endpoint)),
        "ensure",
        endpoint,
        Change::Create,
        [kind.as_str(), endpoint, address, server],
    )];
    // A cutover batch takes every mailbox of the source at once: one batch, no waves.
    let mut waves: Vec<u32> = if kind == NativeType::Cutover {
        vec![0]
    } else {
        mailboxes.iter().map(|m| m.wave).collect()
    };
    waves.sort_unstable();
    waves.dedup();
    let batch_name = |w: u32| {
        if kind == NativeType::Cutover {
            prefix.to_string()
        } else {
            format!("{prefix}-w{w}")
        }
    };
    let wave_text = |w: u32| {
        if kind == NativeType::Cutover {
            String::new()
        } else {
            w.to_string()
        }
    };
    let (mut batch, mut start, mut complete) = (Vec::new(), Vec::new(), Vec::new());
    for &w in &waves {
        let name = batch_name(w);
        let members = if kind == NativeType::Cutover {
            String::new()
        } else {
            mailboxes
                .iter()
                .filter(|m| m.wave == w)
                .map(|m| m.source.trim())
                .collect::<Vec<_>>()
                .join(";")
        };
        let domain = if kind == NativeType::RemoteMove {
            delivery_domain
        } else {
            ""
        };
        batch.push(op(
            format!("migration:batch:w{w}"),
            "ensure",
            &name,
            Change::Create,
            [
                wave_text(w),
                kind.as_str().to_string(),
                name.clone(),
                endpoint.to_string(),
                domain.to_string(),
                members,
            ],
        ));
        start.push(op(
            format!("migration:start:w{w}"),
            "start",
            &name,
            Change::Update,
            [wave_text(w), kind.as_str().to_string(), name.clone()],
        ));
        if kind.completes() {
            complete.push(op(
                format!("migration:complete:w{w}"),
                "complete",
                &name,
                Change::Update,
                [wave_text(w), kind.as_str().to_string(), name.clone()],
            ));
        }
    }
    let status = mailboxes
        .iter()
        .map(|m| {
            let w = if kind == NativeType::Cutover { 0 } else { m.wave };
            op(
                format!("migration:status:w{}:{}", m.wave, key(&m.source)),
                "read",
                m.source.trim(),
                Change::Check,
                [m.wave.to_string(), batch_name(w), m.source.trim().to_string()],
            )
        })
        .collect();
    vec![
        (StepKind::NativeEndpoint, endpoint_ops),
        (StepKind::NativeBatch, batch),
        (StepKind::NativeStart, start),
        (StepKind::NativeStatus, status),
        (StepKind::NativeComplete, complete),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mbx(wave: u32, source: &str, date: Option<&str>) -> MigrationMailbox {
        MigrationMailbox {
            wave,
            source: source.into(),
            target: source.replace("contoso.com", "contoso.onmicrosoft.com"),
            item_end_date: date.map(str::to_string),
        }
    }

    fn mw() -> Engine {
        Engine::MigrationWiz {
            customer: "Contoso".into(),
            project: "Contoso mailboxes".into(),
            source_server: "https://mail.contoso.com".into(),
        }
    }

    fn native_engine(kind: NativeType) -> Engine {
        Engine::Native {
            kind,
            endpoint: "Contoso source".into(),
            batch_prefix: "contoso".into(),
            admin_address: "admin@contoso.com".into(),
            remote_server: "hybrid.contoso.com".into(),
            target_delivery_domain: "contoso.mail.onmicrosoft.com".into(),
        }
    }

    fn ids(steps: &[(StepKind, Vec<Op>)], kind: StepKind) -> Vec<String> {
        steps
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, ops)| ops.iter().map(|o| o.id.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn migrationwiz_ops_carry_their_wave_and_prestage_needs_a_cut_off() {
        let boxes = [
            mbx(1, "Alice@Contoso.com", Some("2026-11-01")),
            mbx(2, "bob@contoso.com", None),
        ];
        let s = steps(
            &mw(),
            &boxes,
            SourceVersion::Ex2010,
            IdentityMode::Cloud,
        )
        .unwrap();
        assert_eq!(
            ids(&s, StepKind::MwProject),
            [
                "migration:project:contoso mailboxes",
                "migration:item:w1:alice@contoso.com",
                "migration:item:w2:bob@contoso.com"
            ]
        );
        // Bob has no cut-off date: no pre-stage pass is invented for him.
        assert_eq!(
            ids(&s, StepKind::MwPrestage),
            ["migration:prestage:w1:alice@contoso.com"]
        );
        let pre = &s.iter().find(|(k, _)| *k == StepKind::MwPrestage).unwrap().1[0];
        assert_eq!(pre.values.len(), StepKind::MwPrestage.columns().len());
        assert_eq!(pre.values[0], "1");
        assert_eq!(pre.values[4], "2026-11-01");
        for (k, ops) in &s {
            for o in ops {
                assert_eq!(o.values.len(), k.columns().len(), "{}", o.id);
            }
        }
    }

    #[test]
    fn blank_addresses_and_settings_are_refused() {
        let e = steps(
            &mw(),
            &[mbx(1, " ", None)],
            SourceVersion::Ex2016,
            IdentityMode::Cloud,
        )
        .unwrap_err();
        assert!(e.0.contains("blank source"), "{e}");
        let no_project = Engine::MigrationWiz {
            customer: "Contoso".into(),
            project: String::new(),
            source_server: "https://mail.contoso.com".into(),
        };
        let e = steps(
            &no_project,
            &[mbx(1, "a@contoso.com", None)],
            SourceVersion::Ex2016,
            IdentityMode::Cloud,
        )
        .unwrap_err();
        assert!(e.0.contains("project is not set"), "{e}");
    }

    #[test]
    fn native_types_follow_microsofts_source_support() {
        use IdentityMode::*;
        use NativeType::*;
        assert!(unsupported(Staged, SourceVersion::Ex2010, Synced).is_some());
        assert!(unsupported(Staged, SourceVersion::Ex2007, Cloud).is_some());
        assert!(unsupported(Staged, SourceVersion::Ex2007, Synced).is_none());
        assert!(unsupported(Cutover, SourceVersion::Ex2003, Cloud).is_none());
        assert!(unsupported(Cutover, SourceVersion::Ex2016, Cloud).is_none());
        assert!(unsupported(Cutover, SourceVersion::Ex2019, Cloud).is_some());
        assert!(unsupported(RemoteMove, SourceVersion::Ex2007, Synced).is_some());
        assert!(unsupported(RemoteMove, SourceVersion::Ex2019, Synced).is_none());
        let e = steps(
            &native_engine(Staged),
            &[mbx(1, "a@contoso.com", None)],
            SourceVersion::Ex2016,
            Synced,
        )
        .unwrap_err();
        assert!(e.0.contains("staged migration from Exchange 2016"), "{e}");
    }

    #[test]
    fn a_cutover_batch_is_one_batch_without_csv_and_is_never_completed() {
        let boxes = [
            mbx(1, "a@contoso.com", None),
            mbx(2, "b@contoso.com", None),
        ];
        let s = steps(
            &native_engine(NativeType::Cutover),
            &boxes,
            SourceVersion::Ex2010,
            IdentityMode::Cloud,
        )
        .unwrap();
        let batch = &s.iter().find(|(k, _)| *k == StepKind::NativeBatch).unwrap().1;
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].target, "contoso");
        assert_eq!(batch[0].values[5], "", "a cutover batch has no CSV");
        assert!(ids(&s, StepKind::NativeComplete).is_empty());
        let many: Vec<_> = (0..=CUTOVER_MAX)
            .map(|i| mbx(1, &format!("u{i}@contoso.com"), None))
            .collect();
        let e = steps(
            &native_engine(NativeType::Cutover),
            &many,
            SourceVersion::Ex2010,
            IdentityMode::Cloud,
        )
        .unwrap_err();
        assert!(e.0.contains("at most 2000"), "{e}");
    }

    #[test]
    fn remote_move_batches_per_wave_with_their_mailboxes_and_complete_after_the_mx_change() {
        let boxes = [
            mbx(2, "c@contoso.com", None),
            mbx(1, "a@contoso.com", None),
            mbx(1, "b@contoso.com", None),
        ];
        let s = steps(
            &native_engine(NativeType::RemoteMove),
            &boxes,
            SourceVersion::Ex2016,
            IdentityMode::Synced,
        )
        .unwrap();
        let batch = &s.iter().find(|(k, _)| *k == StepKind::NativeBatch).unwrap().1;
        assert_eq!(
            batch.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
            ["migration:batch:w1", "migration:batch:w2"]
        );
        assert_eq!(batch[0].values[5], "a@contoso.com;b@contoso.com");
        assert_eq!(batch[0].values[4], "contoso.mail.onmicrosoft.com");
        assert_eq!(
            ids(&s, StepKind::NativeComplete),
            ["migration:complete:w1", "migration:complete:w2"]
        );
        assert_eq!(StepKind::NativeComplete.phase(), "post-cutover");
    }
}
