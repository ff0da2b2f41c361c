//! Mailbox statistics, permissions and the migration estimate.
//!
//! `load` reads the three audit kinds, `join` ties statistics to mailboxes, `checks` and
//! `permissions` turn them into findings and grants, `estimate` into hours and a schedule.

pub mod checks;
pub mod estimate;
pub mod findings;
pub mod join;
pub mod load;
pub mod permissions;
pub mod principal;
pub mod render;
pub mod rows;
pub mod size;

use std::path::PathBuf;

use serde::Serialize;

use crate::diag::Finding;
use crate::error::Result;
use crate::input::FileKind;
use crate::model::{Mailbox, MailboxStats, Permission, PermissionRight, Tenant, User};
use crate::project::Project;

pub use findings::RULES;

/// Everything the audit reads, loaded with the findings about single rows.
#[derive(Debug, Default)]
pub struct AuditInputs {
    pub mailboxes: Vec<Mailbox>,
    pub stats: Vec<MailboxStats>,
    pub permissions: Vec<Permission>,
    pub users: Vec<User>,
    pub findings: Vec<Finding>,
}

/// Findings for the audit kinds (mailboxes, mailbox-stats, permissions) among the files
/// `cutover lint` was given, read with the same input layer. Called by `lint`.
///
/// Cross-file rules need the mailbox export: when none is among `files`, the project's
/// mailbox file is read for context (its own row findings are not repeated). Users files
/// among `files` map permission trustees (their own findings are lint's); when there are
/// none, the project's users file does.
pub fn lint_inputs(project: &Project, files: &[(PathBuf, FileKind)]) -> Result<Vec<Finding>> {
    let mut inputs = AuditInputs::default();
    let mut have_mailboxes = false;
    let mut have_users = false;
    for (path, kind) in files {
        match kind {
            FileKind::Mailboxes => {
                have_mailboxes = true;
                let l = load::load_mailboxes(path, project)?;
                inputs.mailboxes.extend(l.records);
                inputs.findings.extend(l.findings);
            }
            FileKind::MailboxStats => {
                let l = load::load_stats(path, project)?;
                inputs.stats.extend(l.records);
                inputs.findings.extend(l.findings);
            }
            FileKind::Permissions => {
                let l = load::load_permissions(path, project)?;
                inputs.permissions.extend(l.records);
                inputs.findings.extend(l.findings);
            }
            FileKind::Users => {
                have_users = true;
                // A users file lint cannot read is reported by lint; it just maps nobody here.
                inputs
                    .users
                    .extend(load::load_user_keys(path, project).unwrap_or_default());
            }
            _ => {}
        }
    }
    // Context files are read for names only; a file that cannot be read is reported by lint's
    // own checks of that file, so here it just gives no context.
    let mut context_only = None;
    if !have_mailboxes {
        if let Some(p) = project.inputs.mailboxes.as_deref().filter(|p| p.is_file()) {
            if let Ok(l) = load::load_mailboxes(p, project) {
                inputs.mailboxes = l.records;
                have_mailboxes = true;
                context_only = Some(p.display().to_string());
            }
        }
    }
    if !have_users {
        if let Some(p) = project.inputs.users.as_deref().filter(|p| p.is_file()) {
            inputs.users = load::load_user_keys(p, project).unwrap_or_default();
        }
    }
    let mut findings = inputs.findings;
    if !have_mailboxes {
        findings.extend(skipped_without_mailboxes(files));
    }
    if have_mailboxes {
        findings.extend(
            audit(
                &inputs.mailboxes,
                &inputs.stats,
                &inputs.permissions,
                &inputs.users,
                project,
            )
            .findings,
        );
    }
    // Lint reports on the files it was given; the context file is not one of them.
    if let Some(context) = context_only {
        findings.retain(|f| f.file.as_deref() != Some(context.as_str()));
    }
    Ok(findings::cap(findings))
}

/// M011 for each statistics or permissions file whose cross-file checks need a mailbox export
/// that neither the lint run nor the project gave.
fn skipped_without_mailboxes(files: &[(PathBuf, FileKind)]) -> Vec<Finding> {
    files
        .iter()
        .filter_map(|(path, kind)| {
            let what = match kind {
                FileKind::MailboxStats => {
                    "joins to mailboxes (M002, M010), sizes against the licence (M003, M004), shared mailbox licences (M005) and large items (M006)"
                }
                FileKind::Permissions => {
                    "mapping the grants (P002, P003, P006) and delegate batches (P004)"
                }
                _ => return None,
            };
            Some(findings::finding(
                &findings::M011,
                Some(&path.display().to_string()),
                None,
                None,
                None,
                format!(
                    "no mailbox export (give mailboxes.csv or [inputs] mailboxes): {what} were not checked"
                ),
            ))
        })
        .collect()
}

/// M011 when the accepted domains are unknown and a mailbox forwards: M007 cannot tell
/// internal from external.
fn skipped_forwarding(mailboxes: &[Mailbox], project: &Project) -> Option<Finding> {
    if !project.domains.is_empty() {
        return None;
    }
    let forwarding: Vec<&Mailbox> = mailboxes
        .iter()
        .filter(|m| m.forwarding.is_some() || m.forwarding_recipient.is_some())
        .collect();
    let first = forwarding.first()?;
    Some(findings::finding(
        &findings::M011,
        Some(&first.origin.file),
        None,
        None,
        None,
        format!(
            "no accepted domains configured ([tenant] domains or --domain): forwarding of {} mailbox(es) was not checked for external addresses (M007)",
            forwarding.len()
        ),
    ))
}

/// The cross-file audit of the loaded inputs, computed once for lint, estimate and plan.
#[derive(Debug, Default)]
pub struct Audit {
    /// Per mailbox (same order as the mailboxes), what the statistics say.
    pub usage: Vec<join::Usage>,
    /// Mailboxes (positions) connected by permissions: each group moves in one batch.
    pub groups: Vec<Vec<usize>>,
    pub grants: Vec<PermissionGrant>,
    /// M002-M007, M009, M010 and P001-P004.
    pub findings: Vec<Finding>,
}

/// Statistics joined to mailboxes, the per-mailbox rules, and permissions mapped and grouped.
pub fn audit(
    mailboxes: &[Mailbox],
    stats: &[MailboxStats],
    permissions: &[Permission],
    users: &[User],
    project: &Project,
) -> Audit {
    let ix = join::MailboxIndex::new(mailboxes);
    let (usage, mut findings) = join::join_stats(&ix, mailboxes, stats);
    let uix = permissions::UserIndex::new(users);
    for (m, u) in mailboxes.iter().zip(&usage) {
        let sku = uix
            .user_of(m)
            .and_then(|i| users.get(i))
            .and_then(|user| user.licence_sku.as_deref());
        if !stats.is_empty() && u.primary_origin.is_none() {
            findings.push(findings::finding(
                &findings::M010,
                Some(&m.origin.file),
                Some(m.origin.line),
                None,
                None,
                format!("'{}' has no statistics row; counted as empty", m.identity),
            ));
        }
        checks::check_mailbox(m, u, sku, project, &mut findings);
    }
    findings.extend(skipped_forwarding(mailboxes, project));
    let (all, sob_findings) = permissions::all_permissions(mailboxes, permissions);
    findings.extend(sob_findings);
    let analysis = permissions::analyse(&ix, &uix, mailboxes, users, &all, project);
    findings.extend(analysis.findings);
    let groups = permissions::components(mailboxes.len(), &analysis.edges);
    findings.extend(permissions::delegate_findings(mailboxes, &groups));
    Audit {
        usage,
        groups,
        grants: analysis.grants,
        findings,
    }
}

/// Reads the three audit kinds named by the project (absent files are empty).
pub fn load_project(project: &Project) -> Result<AuditInputs> {
    let mut inputs = AuditInputs::default();
    if let Some(p) = &project.inputs.mailboxes {
        let l = load::load_mailboxes(p, project)?;
        inputs.mailboxes = l.records;
        inputs.findings.extend(l.findings);
    }
    if let Some(p) = &project.inputs.stats {
        let l = load::load_stats(p, project)?;
        inputs.stats = l.records;
        inputs.findings.extend(l.findings);
    }
    if let Some(p) = &project.inputs.permissions {
        let l = load::load_permissions(p, project)?;
        inputs.permissions = l.records;
        inputs.findings.extend(l.findings);
    }
    if let Some(p) = project.inputs.users.as_deref().filter(|p| p.is_file()) {
        inputs.users = load::load_user_keys(p, project)?;
    }
    Ok(inputs)
}

/// A permission to grant in Exchange Online, both sides mapped to destination identities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionGrant {
    /// Destination mailbox (primary SMTP address or UPN in the tenant).
    pub mailbox: String,
    /// Destination principal (UPN).
    pub trustee: String,
    pub right: PermissionRight,
    /// FullAccess only.
    pub automapping: bool,
}

/// Maps source permissions to destination grants. A principal that cannot be mapped is a
/// finding, never a silent drop. Called by `plan` to feed the bundle's permissions step.
///
/// Sources: `tenant.permissions` and each mailbox's `GrantSendOnBehalfTo`. Principals map
/// through `tenant.users` (their UPN is the destination) and `tenant.mailboxes`.
pub fn plan_permissions(
    tenant: &Tenant,
    project: &Project,
) -> (Vec<PermissionGrant>, Vec<Finding>) {
    let (all, mut findings) = permissions::all_permissions(&tenant.mailboxes, &tenant.permissions);
    if all.is_empty() {
        // Nothing to map: the indexes over every user (a tenth of a second at 100,000 users)
        // would go unused.
        return (Vec::new(), findings::cap(findings));
    }
    let ix = join::MailboxIndex::new(&tenant.mailboxes);
    let uix = permissions::UserIndex::new(&tenant.users);
    let analysis = permissions::analyse(&ix, &uix, &tenant.mailboxes, &tenant.users, &all, project);
    findings.extend(analysis.findings);
    (analysis.grants, findings::cap(findings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rows::Table;

    fn table(name: &str, text: &str) -> Table {
        Table::from_csv_text(name, text, b',').unwrap()
    }

    /// One small organisation that breaks every audit rule once: each registered code must
    /// come out of the loaders or `audit`, so no rule is registered without firing.
    #[test]
    fn every_registered_rule_fires() {
        let m = load::mailboxes_from(&table(
            "m.csv",
            "Identity,Alias,PrimarySmtpAddress,ExchangeGuid,ArchiveGuid,RecipientTypeDetails,LitigationHoldEnabled,ForwardingSmtpAddress,GrantSendOnBehalfTo\n\
             big,big,big@contoso.com,g-1,a-1,UserMailbox,False,smtp:x@gmail.com,S-1-5-21-1-2-3-500\n\
             shared,shared,shared@contoso.com,g-2,,SharedMailbox,True,,\n\
             quiet,quiet,quiet@contoso.com,g-3,,UserMailbox,False,,\n\
             ,,,,,UserMailbox,,,\n",
        ));
        let s = load::stats_from(&table(
            "s.csv",
            "MailboxGuid,IsArchiveMailbox,TotalItemSize,ItemCount\n\
             g-1,False,60 GB (64424509440 bytes),1\n\
             a-1,True,60 GB (64424509440 bytes),1000000\n\
             g-2,False,1 MB (1048576 bytes),10\n\
             g-2,False,1 MB (1048576 bytes),\n\
             g-9,False,1 MB (1048576 bytes),10\n\
             g-3,False,1.5 GB,10\n",
        ));
        let p = load::permissions_from(&table(
            "p.csv",
            "Identity,User,AccessRights,Deny\n\
             shared,CONTOSO\\big,FullAccess,False\n\
             shared,CONTOSO\\ghost,FullAccess,False\n\
             nowhere,CONTOSO\\big,FullAccess,False\n\
             shared,CONTOSO\\quiet,FullAccess,True\n\
             shared,Everyone,FullAccess,False\n\
             shared,,FullAccess,False\n\
             shared,CONTOSO\\big,Reviewer,False\n",
        ));
        let project = Project {
            domains: vec!["contoso.com".into()],
            ..Default::default()
        };
        let a = audit(&m.records, &s.records, &p.records, &[], &project);
        // Without accepted domains, the forwarding check says it was skipped.
        let no_domains = audit(&m.records, &[], &[], &[], &Project::default());
        let mut codes: Vec<&str> = m
            .findings
            .iter()
            .chain(&s.findings)
            .chain(&p.findings)
            .chain(&a.findings)
            .chain(&no_domains.findings)
            .map(|f| f.code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        // M013 (a mailbox's address is a group's) is found by lint's recipient directory
        // (`rules::mailboxes`, tests/lint_collide.rs).
        let registered: Vec<&str> = RULES
            .iter()
            .map(|r| r.code)
            .filter(|c| *c != "M013")
            .collect();
        assert_eq!(codes, registered);
        // M010 is the quiet mailbox, whose only statistics row was malformed.
        let m010: Vec<Option<u64>> = a
            .findings
            .iter()
            .filter(|f| f.code == "M010")
            .map(|f| f.line)
            .collect();
        assert_eq!(m010, [Some(4)]);
    }

    #[test]
    fn plan_permissions_reads_grants_from_the_tenant() {
        let tenant = Tenant {
            mailboxes: load::mailboxes_from(&table(
                "m.csv",
                "Identity,PrimarySmtpAddress,GrantSendOnBehalfTo\nann,ann@contoso.com,bob\nbob,bob@contoso.com,\n",
            ))
            .records,
            ..Default::default()
        };
        let (grants, findings) = plan_permissions(&tenant, &Project::default());
        assert!(findings.is_empty());
        assert_eq!(
            grants,
            [PermissionGrant {
                mailbox: "ann@contoso.com".into(),
                trustee: "bob@contoso.com".into(),
                right: PermissionRight::SendOnBehalf,
                automapping: false,
            }]
        );
    }
}
