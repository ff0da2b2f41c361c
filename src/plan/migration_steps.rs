//! The mailbox migration's steps, for either engine: MigrationWiz driven through BitTitan's
//! module, or Microsoft's own migration batches in Exchange Online. The schedule (engine,
//! waves, the pre-stage cut-off) is `plan::migration`'s; this turns it into operations.
//!
//! Operation ids hold content keys only, never the wave (a re-plan that moves a mailbox to
//! another wave must not lose what the journal knows): `migration:<verb>:<source address>` per
//! mailbox (`item`, `verify`, `prestage`, `status`, `full`), `migration:<verb>:<batch>` per
//! native batch (`batch`, `start`, `complete`; a batch is a wave), `migration:project:<name>`
//! and `migration:endpoint:<name>` once. The wave is the data file's first column (`Wave`),
//! which `cutover run --wave N` selects on; the project row's is empty (every wave needs it).

use std::fmt;

use super::migration::{unsupported, Engine, MigrationPlan, NativeType, CUTOVER_MAX_MAILBOXES};
use super::{op, Change, Op, StepKind};
use crate::project::{IdentityMode, SourceVersion};

/// Only a remote move's batch is completed (Complete-MigrationBatch finalises "a
/// local move, cross-forest move, or remote move migration", office-docs-powershell
/// Complete-MigrationBatch.md); a cutover or staged batch is removed by hand once mail flows
/// to Exchange Online (the bundle README says when).
pub fn completes(kind: NativeType) -> bool {
    kind == NativeType::RemoteMove
}

/// The migration endpoint's name in Exchange Online.
pub fn endpoint_name(mp: &MigrationPlan) -> String {
    format!("{}-source", mp.batch_prefix)
}

/// The plan cannot be carried out as configured; the text says what to set.
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
    mp: &MigrationPlan,
    tenant: Option<&str>,
    version: SourceVersion,
    identity: IdentityMode,
) -> Result<Vec<(StepKind, Vec<Op>)>, Refused> {
    if let Some((w, m)) = mp
        .mailboxes()
        .find(|(_, m)| m.source.trim().is_empty() || m.target.trim().is_empty())
    {
        return Err(Refused(format!(
            "a mailbox of wave {w} has a blank source or target address ({:?} -> {:?})",
            m.source, m.target
        )));
    }
    let need = |what: &str, v: &str| {
        if v.trim().is_empty() {
            Err(Refused(format!(
                "the migration steps need {what}: set it in [migration] of cutover.toml"
            )))
        } else {
            Ok(())
        }
    };
    let server = mp.source_server.as_deref().unwrap_or("");
    let admin = mp.source_admin.as_deref().unwrap_or("");
    let tenant = tenant.unwrap_or("");
    match mp.engine {
        Engine::None => Ok(Vec::new()),
        Engine::Migrationwiz => {
            let customer = mp.customer.as_deref().unwrap_or("");
            let project = mp.project.as_deref().unwrap_or("");
            need("the MigrationWiz customer (customer)", customer)?;
            need("the MigrationWiz project name (project)", project)?;
            // Without the source's URL the step can only use a project made in MigrationWiz
            // beforehand; it says so at run time if there is none.
            Ok(migrationwiz(mp, customer, project, server))
        }
        Engine::Native => {
            let Some(kind) = mp.native_type else {
                return Err(Refused(
                    "the native engine needs a batch type ([migration] endpoint_type)".into(),
                ));
            };
            if let Some(why) = unsupported(kind, version, identity) {
                return Err(Refused(format!(
                    "{} migration from Exchange {}: {why}",
                    kind.as_str(),
                    version.as_str()
                )));
            }
            if kind == NativeType::Cutover && mp.mailbox_count() > CUTOVER_MAX_MAILBOXES {
                return Err(Refused(format!(
                    "a cutover migration moves at most {CUTOVER_MAX_MAILBOXES} mailboxes \
                     (Microsoft's limit); this plan has {}",
                    mp.mailbox_count()
                )));
            }
            if kind == NativeType::RemoteMove {
                need("the hybrid endpoint's FQDN (source_server)", server)?;
                need("the tenant ([tenant] name)", tenant)?;
            } else {
                need(
                    "the on-premises administrator's address for Autodiscover (source_admin)",
                    admin,
                )?;
            }
            Ok(native(mp, kind, server, admin, tenant))
        }
    }
}

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

fn migrationwiz(
    mp: &MigrationPlan,
    customer: &str,
    project: &str,
    server: &str,
) -> Vec<(StepKind, Vec<Op>)> {
    let mut setup = vec![op(
        format!("migration:project:{}", key(project)),
        "ensure",
        project,
        Change::Create,
        ["", "Project", project, customer, server, "", ""],
    )];
    let per =
        |verb: &str, action: &'static str, change: Change, w: u32, source: &str, target: &str| {
            op(
                format!("migration:{verb}:{}", key(source)),
                action,
                source.trim(),
                change,
                [
                    w.to_string(),
                    project.to_string(),
                    source.trim().to_string(),
                    target.trim().to_string(),
                ],
            )
        };
    let end = mp.item_end_date_text();
    let (mut verify, mut prestage, mut status, mut full) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (w, m) in mp.mailboxes() {
        let (s, t) = (m.source.as_str(), m.target.as_str());
        let wave = w.to_string();
        setup.push(op(
            format!("migration:item:{}", key(s)),
            "ensure",
            s.trim(),
            Change::Create,
            [wave.as_str(), "Item", project, "", "", s.trim(), t.trim()],
        ));
        verify.push(per("verify", "submit", Change::Create, w, s, t));
        // Without a cut-off date there is no pre-stage pass to submit.
        if !end.is_empty() {
            let mut o = per("prestage", "submit", Change::Create, w, s, t);
            o.push_value(&end);
            prestage.push(o);
        }
        status.push(per("status", "read", Change::Check, w, s, t));
        full.push(per("full", "submit", Change::Create, w, s, t));
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
    mp: &MigrationPlan,
    kind: NativeType,
    server: &str,
    admin: &str,
    tenant: &str,
) -> Vec<(StepKind, Vec<Op>)> {
    let endpoint = endpoint_name(mp);
    let (address, server) = match kind {
        NativeType::RemoteMove => ("", server.trim()),
        _ => (admin.trim(), ""),
    };
    let endpoint_ops = vec![op(
        format!("migration:endpoint:{}", key(&endpoint)),
        "ensure",
        &endpoint,
        Change::Create,
        [kind.as_str(), endpoint.as_str(), address, server],
    )];
    let domain = match kind {
        NativeType::RemoteMove => tenant
            .trim()
            .to_lowercase()
            .strip_suffix(".onmicrosoft.com")
            .map(|name| format!("{name}.mail.onmicrosoft.com"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let (mut batch, mut start, mut complete, mut status) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for wave in &mp.waves {
        let name = mp.batch_name(wave.number);
        let w = wave.number.to_string();
        // A cutover batch takes every mailbox of the source and no CSV.
        let members = if kind == NativeType::Cutover {
            String::new()
        } else {
            wave.mailboxes
                .iter()
                .map(|m| m.source.trim())
                .collect::<Vec<_>>()
                .join(";")
        };
        batch.push(op(
            format!("migration:batch:{}", key(&name)),
            "ensure",
            &name,
            Change::Create,
            [
                w.clone(),
                kind.as_str().to_string(),
                name.clone(),
                endpoint.clone(),
                domain.clone(),
                members,
            ],
        ));
        let batch_op = |verb: &str, action: &'static str| {
            op(
                format!("migration:{verb}:{}", key(&name)),
                action,
                &name,
                Change::Update,
                [w.clone(), kind.as_str().to_string(), name.clone()],
            )
        };
        start.push(batch_op("start", "start"));
        if completes(kind) {
            complete.push(batch_op("complete", "complete"));
        }
        for m in &wave.mailboxes {
            status.push(op(
                format!("migration:status:{}", key(&m.source)),
                "read",
                m.source.trim(),
                Change::Check,
                [w.clone(), name.clone(), m.source.trim().to_string()],
            ));
        }
    }
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
    use super::super::migration::{PassEstimate, Wave, WaveMailbox};
    use super::*;

    fn mbx(source: &str) -> WaveMailbox {
        WaveMailbox {
            source: source.into(),
            target: source.replace("contoso.com", "contoso.onmicrosoft.com"),
            user: true,
            bytes: None,
            items: None,
        }
    }

    fn plan(engine: Engine, kind: Option<NativeType>, waves: &[&[&str]]) -> MigrationPlan {
        let est = PassEstimate {
            hours: None,
            note: String::new(),
        };
        MigrationPlan {
            engine,
            native_type: kind,
            customer: Some("Contoso".into()),
            project: Some("Contoso mailboxes".into()),
            batch_prefix: "cutover".into(),
            prestage_start: None,
            cutover: None,
            final_pass: None,
            item_end_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
            prestage_days: 30,
            waves: waves
                .iter()
                .enumerate()
                .map(|(i, w)| Wave {
                    number: i as u32 + 1,
                    mailboxes: w.iter().map(|s| mbx(s)).collect(),
                    mailbox_count: w.len(),
                    bytes: None,
                    items: None,
                    hours: None,
                    oversized: false,
                })
                .collect(),
            prestage: est.clone(),
            final_pass_estimate: est,
            statistics: false,
            data_file: super::super::migration::MAILBOXES_FILE,
            source_server: Some("https://mail.contoso.com".into()),
            source_admin: Some("admin@contoso.com".into()),
        }
    }

    const TENANT: Option<&str> = Some("Contoso.onmicrosoft.com");

    fn ids(steps: &[(StepKind, Vec<Op>)], kind: StepKind) -> Vec<String> {
        steps
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, ops)| ops.iter().map(|o| o.id().to_string()).collect())
            .unwrap_or_default()
    }

    fn ops(steps: &[(StepKind, Vec<Op>)], kind: StepKind) -> &[Op] {
        &steps.iter().find(|(k, _)| *k == kind).unwrap().1
    }

    #[test]
    fn migrationwiz_ids_have_no_wave_and_every_row_starts_with_it() {
        let mp = plan(
            Engine::Migrationwiz,
            None,
            &[&["Alice@Contoso.com"], &["bob@contoso.com"]],
        );
        let s = steps(&mp, TENANT, SourceVersion::Ex2010, IdentityMode::Cloud).unwrap();
        assert_eq!(
            ids(&s, StepKind::MwProject),
            [
                "migration:project:contoso mailboxes",
                "migration:item:alice@contoso.com",
                "migration:item:bob@contoso.com"
            ]
        );
        let pre = &ops(&s, StepKind::MwPrestage)[1];
        assert_eq!(pre.id(), "migration:prestage:bob@contoso.com");
        assert_eq!(pre.value(0).unwrap(), "2", "bob is in wave 2");
        assert_eq!(
            pre.value(4).unwrap(),
            "2026-11-01",
            "the cut-off is -ItemEndDate"
        );
        // The project row runs in every wave.
        assert_eq!(ops(&s, StepKind::MwProject)[0].value(0).unwrap(), "");
        for (k, ops) in &s {
            assert_eq!(k.columns()[0], "Wave", "{k:?}");
            for o in ops {
                assert_eq!(o.value_count(), k.columns().len(), "{}", o.id());
            }
        }
    }

    #[test]
    fn without_a_cut_off_date_there_is_no_prestage_pass() {
        let mut mp = plan(Engine::Migrationwiz, None, &[&["a@contoso.com"]]);
        mp.item_end_date = None;
        let s = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Cloud).unwrap();
        assert!(ids(&s, StepKind::MwPrestage).is_empty());
        assert_eq!(ids(&s, StepKind::MwFull), ["migration:full:a@contoso.com"]);
    }

    #[test]
    fn blank_addresses_and_missing_settings_are_refused() {
        let mp = plan(Engine::Migrationwiz, None, &[&[" "]]);
        let e = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Cloud).unwrap_err();
        assert!(e.0.contains("blank source"), "{e}");
        let mut mp = plan(Engine::Migrationwiz, None, &[&["a@contoso.com"]]);
        mp.project = None;
        let e = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Cloud).unwrap_err();
        assert!(e.0.contains("project name"), "{e}");
        // MigrationWiz without the source's URL: the project row says so (an existing
        // project needs none).
        let mut mp = plan(Engine::Migrationwiz, None, &[&["a@contoso.com"]]);
        mp.source_server = None;
        let s = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Cloud).unwrap();
        assert_eq!(ops(&s, StepKind::MwProject)[0].value(4).unwrap(), "");
        let mut mp = plan(
            Engine::Native,
            Some(NativeType::RemoteMove),
            &[&["a@contoso.com"]],
        );
        mp.source_server = None;
        let e = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Synced).unwrap_err();
        assert!(e.0.contains("source_server"), "{e}");
        let mut mp = plan(
            Engine::Native,
            Some(NativeType::Cutover),
            &[&["a@contoso.com"]],
        );
        mp.source_admin = Some("  ".into());
        let e = steps(&mp, TENANT, SourceVersion::Ex2010, IdentityMode::Cloud).unwrap_err();
        assert!(e.0.contains("source_admin"), "{e}");
    }

    #[test]
    fn a_type_microsoft_does_not_support_for_the_source_is_refused() {
        let mp = plan(
            Engine::Native,
            Some(NativeType::Staged),
            &[&["a@contoso.com"]],
        );
        let e = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Synced).unwrap_err();
        assert!(e.0.contains("staged migration from Exchange 2016"), "{e}");
        let mp = plan(
            Engine::Native,
            Some(NativeType::Staged),
            &[&["a@contoso.com"]],
        );
        assert!(steps(&mp, TENANT, SourceVersion::Ex2007, IdentityMode::Synced).is_ok());
    }

    #[test]
    fn a_cutover_batch_has_no_csv_and_is_never_completed() {
        let mp = plan(
            Engine::Native,
            Some(NativeType::Cutover),
            &[&["a@contoso.com", "b@contoso.com"]],
        );
        let s = steps(&mp, TENANT, SourceVersion::Ex2010, IdentityMode::Cloud).unwrap();
        let batch = ops(&s, StepKind::NativeBatch);
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].target(), "cutover-wave1");
        assert_eq!(
            batch[0].value(5).unwrap(),
            "",
            "a cutover batch takes no CSV"
        );
        assert!(ids(&s, StepKind::NativeComplete).is_empty());
        assert_eq!(
            ids(&s, StepKind::NativeEndpoint),
            ["migration:endpoint:cutover-source"]
        );
        assert_eq!(
            ops(&s, StepKind::NativeEndpoint)[0].value(2).unwrap(),
            "admin@contoso.com"
        );
        let many: Vec<String> = (0..=CUTOVER_MAX_MAILBOXES)
            .map(|i| format!("u{i}@contoso.com"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let mp = plan(
            Engine::Native,
            Some(NativeType::Cutover),
            &[refs.as_slice()],
        );
        let e = steps(&mp, TENANT, SourceVersion::Ex2010, IdentityMode::Cloud).unwrap_err();
        assert!(e.0.contains("at most 2000"), "{e}");
    }

    #[test]
    fn remote_move_batches_per_wave_complete_after_the_mx_change() {
        let mp = plan(
            Engine::Native,
            Some(NativeType::RemoteMove),
            &[&["a@contoso.com", "b@contoso.com"], &["c@contoso.com"]],
        );
        let s = steps(&mp, TENANT, SourceVersion::Ex2016, IdentityMode::Synced).unwrap();
        let batch = ops(&s, StepKind::NativeBatch);
        assert_eq!(
            batch.iter().map(|o| o.id()).collect::<Vec<_>>(),
            [
                "migration:batch:cutover-wave1",
                "migration:batch:cutover-wave2"
            ]
        );
        assert_eq!(batch[0].value(5).unwrap(), "a@contoso.com;b@contoso.com");
        assert_eq!(batch[0].value(4).unwrap(), "contoso.mail.onmicrosoft.com");
        assert_eq!(
            ids(&s, StepKind::NativeComplete),
            [
                "migration:complete:cutover-wave1",
                "migration:complete:cutover-wave2"
            ]
        );
        assert_eq!(ops(&s, StepKind::NativeStatus)[2].value(0).unwrap(), "2");
        assert_eq!(StepKind::NativeComplete.phase(), "post-cutover");
        assert_eq!(StepKind::MwFull.phase(), "post-cutover");
    }
}
