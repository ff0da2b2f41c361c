//! Source permissions mapped to destination grants, and the delegate graph.
//!
//! A trustee or mailbox reference (DOMAIN\user, UPN, address, alias, display name, canonical
//! name) is looked up among the users and mailboxes being migrated. The destination principal
//! is the user's UPN (users.csv names the accounts that will exist), else the mailbox's UPN or
//! primary address when its domain is accepted. Anything that cannot be mapped is a finding.

use std::collections::{BTreeMap, HashSet};

use crate::diag::Finding;
use crate::model::{Mailbox, Permission, PermissionRight, User};
use crate::project::Project;

use super::findings::*;
use super::join::MailboxIndex;
use super::principal::{is_builtin_name, is_ignored_principal, is_orphaned_sid, lookup_keys};
use super::PermissionGrant;
use crate::model::directory::{Recipient, Resolved, TenantDirectory};

/// Every source grant: the permissions export plus `GrantSendOnBehalfTo` from the mailbox export.
pub fn all_permissions(
    mailboxes: &[Mailbox],
    permissions: &[Permission],
) -> (Vec<Permission>, Vec<Finding>) {
    let mut out = permissions.to_vec();
    let mut findings = Vec::new();
    for m in mailboxes {
        for t in &m.send_on_behalf {
            if is_ignored_principal(t) {
                continue;
            }
            if is_orphaned_sid(t) {
                findings.push(finding(
                    &P001,
                    Some(&m.origin.file),
                    Some(m.origin.line),
                    Some("GrantSendOnBehalfTo".into()),
                    Some(t.clone()),
                    format!(
                        "SendOnBehalf on {} is granted to the unresolved SID {t}; not migrated",
                        m.identity
                    ),
                ));
                continue;
            }
            out.push(Permission {
                origin: m.origin.clone(),
                mailbox: m.identity.clone(),
                trustee: t.clone(),
                right: PermissionRight::SendOnBehalf,
                automapping: false,
                mailbox_column: "Identity".into(),
                trustee_column: "GrantSendOnBehalfTo".into(),
            });
        }
    }
    (out, findings)
}

/// The users being migrated, resolved through the recipient directory (the same `resolve` as
/// lint's member rules and the plan's members step).
pub struct UserIndex {
    dir: TenantDirectory,
}

impl UserIndex {
    pub fn new(users: &[User]) -> Self {
        UserIndex {
            dir: TenantDirectory::of(users, &[], &[], &[]),
        }
    }

    /// The user a mailbox belongs to, by its UPN, primary address or alias.
    pub fn user_of(&self, m: &Mailbox) -> Option<usize> {
        [
            m.upn.as_deref(),
            m.primary_smtp.as_deref(),
            m.alias.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|k| self.resolve(k))
    }

    /// What a trustee reference (DOMAIN\name, CN=..., canonical name, address, alias, display
    /// name) means among the users: the first of its forms that any user answers to.
    pub fn lookup(&self, reference: &str) -> Resolved {
        for k in lookup_keys(reference) {
            match self.dir.resolve(k) {
                Resolved::Missing => {}
                found => return found,
            }
        }
        Resolved::Missing
    }

    pub fn resolve(&self, reference: &str) -> Option<usize> {
        match self.lookup(reference) {
            Resolved::Found(Recipient::User(i)) => Some(i),
            _ => None,
        }
    }
}

fn accepted(project: &Project, address: &str) -> bool {
    address
        .rsplit_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && project.accepts_domain(d))
}

/// What the permissions amount to once mapped.
#[derive(Debug, Default)]
pub struct PermissionAnalysis {
    pub grants: Vec<PermissionGrant>,
    pub findings: Vec<Finding>,
    /// Mailbox pairs (by position in the mailbox list) linked by a grant.
    pub edges: Vec<(usize, usize)>,
}

pub fn analyse(
    mix: &MailboxIndex,
    uix: &UserIndex,
    mailboxes: &[Mailbox],
    users: &[User],
    permissions: &[Permission],
    project: &Project,
) -> PermissionAnalysis {
    let user_upn = |i: usize| users.get(i).map(|u| u.upn.clone());
    // A mailbox's destination: its user's UPN, else its own UPN or primary address if accepted.
    let mailbox_principal = |i: usize| -> Option<String> {
        let m = mailboxes.get(i)?;
        let by_user = uix.user_of(m).and_then(user_upn);
        by_user
            .or_else(|| m.upn.clone().filter(|u| accepted(project, u)))
            .or_else(|| m.primary_smtp.clone().filter(|a| accepted(project, a)))
    };
    let mailbox_target = |i: usize| -> Option<String> {
        let m = mailboxes.get(i)?;
        m.primary_smtp
            .clone()
            .filter(|a| accepted(project, a))
            .or_else(|| mailbox_principal(i))
    };

    let mut out = PermissionAnalysis::default();
    let mut seen = HashSet::new();
    for p in permissions {
        let at = |rule, column: &str, value: &str, msg: String| {
            finding(
                rule,
                Some(&p.origin.file),
                Some(p.origin.line),
                Some(column.to_string()),
                Some(value.to_string()),
                msg,
            )
        };
        let Some(mi) = mix.resolve(&p.mailbox) else {
            out.findings.push(at(
                &P003,
                &p.mailbox_column,
                &p.mailbox,
                format!(
                    "{:?} for {} is on '{}', which is not in the mailbox export",
                    p.right, p.trustee, p.mailbox
                ),
            ));
            continue;
        };
        let trustee_mailbox = mix.resolve(&p.trustee);
        if trustee_mailbox == Some(mi) {
            continue;
        }
        let principal = uix
            .resolve(&p.trustee)
            .and_then(user_upn)
            .or_else(|| trustee_mailbox.and_then(mailbox_principal));
        let (Some(trustee), Some(mailbox)) = (principal, mailbox_target(mi)) else {
            let known = trustee_mailbox.is_some() || uix.resolve(&p.trustee).is_some();
            let ambiguous = match uix.lookup(&p.trustee) {
                Resolved::Ambiguous(Recipient::User(a), Recipient::User(b)) => {
                    let upn = |i: usize| users.get(i).map_or("", |u| u.upn.as_str());
                    Some(format!("names two users, {} and {}", upn(a), upn(b)))
                }
                _ => None,
            };
            let (rule, why) = if let (false, Some(why)) = (known, ambiguous.as_deref()) {
                (&P002, why)
            } else if known {
                (
                    &P002,
                    "has no destination UPN or address in an accepted domain",
                )
            } else if is_builtin_name(&p.trustee) {
                (
                    &P006,
                    "is a built-in or admin group, which Exchange Online does not have",
                )
            } else {
                (&P002, "is not among the users or mailboxes being migrated")
            };
            out.findings.push(at(
                rule,
                &p.trustee_column,
                &p.trustee,
                format!(
                    "{:?} on '{}' cannot be mapped: '{}' {why}",
                    p.right, p.mailbox, p.trustee
                ),
            ));
            continue;
        };
        if let Some(ti) = trustee_mailbox {
            out.edges.push((mi, ti));
        }
        if seen.insert((mailbox.to_lowercase(), trustee.to_lowercase(), p.right)) {
            out.grants.push(PermissionGrant {
                mailbox,
                trustee,
                right: p.right,
                automapping: p.right == PermissionRight::FullAccess && p.automapping,
            });
        }
    }
    out
}

/// Groups of mailboxes (positions) connected by grants, each sorted, largest group first.
/// Mailboxes with no grant to or from another mailbox are groups of one.
pub fn components(count: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..count).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    for &(a, b) in edges {
        if a >= count || b >= count {
            continue;
        }
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            if let Some(slot) = parent.get_mut(ra.max(rb)) {
                *slot = ra.min(rb);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..count {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out
}

/// P004: one finding per group of two or more mailboxes that must move together.
pub fn delegate_findings(mailboxes: &[Mailbox], groups: &[Vec<usize>]) -> Vec<Finding> {
    groups
        .iter()
        .filter(|g| g.len() > 1)
        .filter_map(|g| {
            let first = mailboxes.get(*g.first()?)?;
            let names: Vec<&str> = g
                .iter()
                .filter_map(|&i| mailboxes.get(i))
                .map(|m| m.identity.as_str())
                .collect();
            Some(finding(
                &P004,
                Some(&first.origin.file),
                Some(first.origin.line),
                None,
                None,
                format!(
                    "{} mailboxes share permissions and must move in the same batch: {}",
                    names.len(),
                    names.join(", ")
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::load::{mailboxes_from, permissions_from};
    use crate::audit::rows::Table;
    use crate::model::Origin;
    use std::sync::Arc;

    fn user(upn: &str, alias: &str, display: &str) -> User {
        User {
            origin: Origin {
                file: Arc::from("u.csv"),
                line: 2,
            },
            upn: upn.into(),
            display_name: display.into(),
            first_name: None,
            last_name: None,
            alias: Some(alias.into()),
            usage_location: None,
            password: None,
            primary_smtp: None,
            proxy_addresses: Vec::new(),
            licence_sku: None,
        }
    }

    fn fixture() -> (Vec<Mailbox>, Vec<Permission>) {
        let m = Table::from_csv_text(
            "m.csv",
            "Identity,Alias,DisplayName,PrimarySmtpAddress,UserPrincipalName,RecipientTypeDetails,GrantSendOnBehalfTo\n\
             contoso.com/Users/Alice,alice,Alice Ng,alice@contoso.com,alice@contoso.local,UserMailbox,CONTOSO\\bob\n\
             contoso.com/Users/Bob,bob,Bob Lee,bob@contoso.com,bob@contoso.local,UserMailbox,\n\
             contoso.com/Users/Sales,sales,Sales,sales@contoso.com,sales@contoso.local,SharedMailbox,\n\
             contoso.com/Users/Dana,dana,Dana,dana@contoso.com,,UserMailbox,\n",
            b',',
        )
        .unwrap();
        let p = Table::from_csv_text(
            "p.csv",
            "Identity,User,AccessRights,ExtendedRights,IsInherited,Deny\n\
             contoso.com/Users/Sales,CONTOSO\\alice,FullAccess,,False,False\n\
             contoso.com/Users/Sales,CONTOSO\\carol,FullAccess,,False,False\n\
             Sales,bob@contoso.com,ExtendedRight,Send-As,False,False\n\
             contoso.com/Users/Gone,CONTOSO\\alice,FullAccess,,False,False\n\
             contoso.com/Users/Alice,CONTOSO\\alice,FullAccess,,False,False\n",
            b',',
        )
        .unwrap();
        (mailboxes_from(&m).records, permissions_from(&p).records)
    }

    #[test]
    fn maps_every_right_through_users_and_mailboxes() {
        let (m, p) = fixture();
        let (all, f) = all_permissions(&m, &p);
        assert!(f.is_empty());
        let users = [
            user("alice@contoso.com", "alice", "Alice Ng"),
            user("bob@contoso.com", "bob", "Bob Lee"),
        ];
        let project = Project {
            domains: vec!["contoso.com".into()],
            ..Default::default()
        };
        let a = analyse(
            &MailboxIndex::new(&m),
            &UserIndex::new(&users),
            &m,
            &users,
            &all,
            &project,
        );
        let got: Vec<(&str, &str, PermissionRight, bool)> = a
            .grants
            .iter()
            .map(|g| {
                (
                    g.mailbox.as_str(),
                    g.trustee.as_str(),
                    g.right,
                    g.automapping,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "sales@contoso.com",
                    "alice@contoso.com",
                    PermissionRight::FullAccess,
                    true
                ),
                (
                    "sales@contoso.com",
                    "bob@contoso.com",
                    PermissionRight::SendAs,
                    false
                ),
                (
                    "alice@contoso.com",
                    "bob@contoso.com",
                    PermissionRight::SendOnBehalf,
                    false
                ),
            ]
        );
        let codes: Vec<(&str, Option<u64>)> = a.findings.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(codes, [("P002", Some(3)), ("P003", Some(5))]);
        let columns: Vec<Option<&str>> = a.findings.iter().map(|f| f.column.as_deref()).collect();
        assert_eq!(columns, [Some("User"), Some("Identity")]);
        let groups = components(m.len(), &a.edges);
        assert_eq!(groups, [vec![0, 1, 2], vec![3]]);
        let d = delegate_findings(&m, &groups);
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("3 mailboxes"));
    }

    #[test]
    fn a_source_upn_outside_the_accepted_domains_is_not_a_destination() {
        let (m, p) = fixture();
        let project = Project {
            domains: vec!["contoso.com".into()],
            ..Default::default()
        };
        // No users file: mailboxes map by primary address (accepted), not by .local UPN.
        let a = analyse(
            &MailboxIndex::new(&m),
            &UserIndex::new(&[]),
            &m,
            &[],
            &p,
            &project,
        );
        assert_eq!(a.grants[0].trustee, "alice@contoso.com");
        let fabrikam = Project {
            domains: vec!["fabrikam.com".into()],
            ..Default::default()
        };
        let a = analyse(
            &MailboxIndex::new(&m),
            &UserIndex::new(&[]),
            &m,
            &[],
            &p,
            &fabrikam,
        );
        assert!(a.grants.is_empty());
        assert!(a
            .findings
            .iter()
            .any(|f| f.code == "P002" && f.message.contains("no destination")));
    }

    #[test]
    fn builtin_groups_are_reported_and_a_real_account_of_such_a_name_is_mapped() {
        let (m, _) = fixture();
        let p = permissions_from(
            &Table::from_csv_text(
                "p.csv",
                "Mailbox,Trustee,AccessRights\n\
                 Sales,CONTOSO\\Domain Admins,FullAccess\n\
                 Sales,Everyone,FullAccess\n\
                 Sales,CONTOSO\\administrators,FullAccess\n\
                 Sales,CONTOSO\\zed,FullAccess\n\
                 Gone,CONTOSO\\zed,FullAccess\n",
                b',',
            )
            .unwrap(),
        )
        .records;
        let users = [user(
            "administrators@contoso.com",
            "administrators",
            "Admin",
        )];
        let project = Project {
            domains: vec!["contoso.com".into()],
            ..Default::default()
        };
        let a = analyse(
            &MailboxIndex::new(&m),
            &UserIndex::new(&users),
            &m,
            &users,
            &p,
            &project,
        );
        let got: Vec<(&str, Option<u64>, Option<&str>)> = a
            .findings
            .iter()
            .map(|f| (f.code, f.line, f.column.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("P006", Some(2), Some("Trustee")),
                ("P006", Some(3), Some("Trustee")),
                ("P002", Some(5), Some("Trustee")),
                ("P003", Some(6), Some("Mailbox"))
            ]
        );
        assert_eq!(a.grants.len(), 1);
        assert_eq!(a.grants[0].trustee, "administrators@contoso.com");
    }

    #[test]
    fn components_merge_chains() {
        assert_eq!(
            components(5, &[(4, 3), (3, 0), (9, 1)]),
            [vec![0, 3, 4], vec![1], vec![2]]
        );
        assert_eq!(components(0, &[]), Vec::<Vec<usize>>::new());
    }
}
