//! M013: one SMTP address claimed by a mailbox (mailbox export) and a group (groups file).

use std::collections::HashMap;

use crate::diag::Finding;
use crate::model::{Group, Mailbox, ProxyAddress};

use super::findings::{finding, M013};

fn smtp(primary: Option<&String>, proxies: &[ProxyAddress]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = primary
        .map(|p| (p.to_ascii_lowercase(), true))
        .into_iter()
        .collect();
    for p in proxies.iter().filter(|p| p.kind == "smtp") {
        let a = p.address.to_ascii_lowercase();
        if !out.iter().any(|(x, _)| *x == a) {
            out.push((a, false));
        }
    }
    out
}

/// One finding per mailbox address that a group also has, at the mailbox's row.
pub fn mailbox_group_addresses(mailboxes: &[Mailbox], groups: &[Group]) -> Vec<Finding> {
    let mut by_address: HashMap<String, &Group> = HashMap::new();
    for g in groups {
        for (a, _) in smtp(g.primary_smtp.as_ref(), &g.proxy_addresses) {
            by_address.entry(a).or_insert(g);
        }
    }
    let mut out = Vec::new();
    for m in mailboxes {
        for (a, primary) in smtp(m.primary_smtp.as_ref(), &m.proxy_addresses) {
            let Some(g) = by_address.get(&a) else {
                continue;
            };
            out.push(finding(
                &M013,
                Some(&m.origin.file),
                Some(m.origin.line),
                Some(
                    if primary {
                        "PrimarySmtpAddress"
                    } else {
                        "EmailAddresses"
                    }
                    .to_string(),
                ),
                Some(a.clone()),
                format!(
                    "'{a}' of mailbox '{}' is also an address of group '{}' ({} line {})",
                    m.identity, g.name, g.origin.file, g.origin.line
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{GroupKind, Origin, RecipientKind};

    fn origin(file: &str, line: u64) -> Origin {
        Origin {
            file: Arc::from(file),
            line,
        }
    }

    fn mailbox(primary: &str, secondary: &[&str]) -> Mailbox {
        Mailbox {
            origin: origin("mailboxes.csv", 7),
            identity: "contoso.com/Users/Sales".into(),
            alias: None,
            display_name: None,
            primary_smtp: Some(primary.into()),
            upn: None,
            exchange_guid: None,
            archive_guid: None,
            proxy_addresses: secondary
                .iter()
                .map(|a| ProxyAddress {
                    primary: false,
                    kind: "smtp".into(),
                    address: a.to_string(),
                })
                .collect(),
            kind: RecipientKind::Shared,
            archive: false,
            litigation_hold: false,
            forwarding: None,
            forwarding_recipient: None,
            send_on_behalf: Vec::new(),
        }
    }

    fn group(primary: &str) -> Group {
        Group {
            origin: origin("groups.csv", 3),
            name: "Sales".into(),
            display_name: None,
            alias: None,
            primary_smtp: Some(primary.into()),
            proxy_addresses: Vec::new(),
            kind: GroupKind::Distribution,
            accept_external: None,
        }
    }

    #[test]
    fn a_shared_mailbox_and_a_dl_with_one_address_collide_case_blind() {
        let got = mailbox_group_addresses(
            &[mailbox("Sales@Contoso.com", &[])],
            &[group("sales@contoso.com")],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].code, "M013");
        assert_eq!(got[0].line, Some(7));
        assert_eq!(got[0].column.as_deref(), Some("PrimarySmtpAddress"));
        assert!(
            got[0].message.contains("groups.csv line 3"),
            "{}",
            got[0].message
        );
    }

    #[test]
    fn a_secondary_address_collides_too_and_distinct_addresses_do_not() {
        let got = mailbox_group_addresses(
            &[mailbox("sales@contoso.com", &["team@contoso.com"])],
            &[group("team@contoso.com")],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].column.as_deref(), Some("EmailAddresses"));
        assert!(mailbox_group_addresses(
            &[mailbox("sales@contoso.com", &[])],
            &[group("sales-team@contoso.com")]
        )
        .is_empty());
    }
}
