//! Mailbox-export rows in the recipient directory: a user's mailbox lends its addresses to
//! the user (as `model::load::join_mailbox_addresses` does for the plan); a shared, room or
//! equipment mailbox is a recipient of its own, whose Name no group may take (G013).

use crate::diag::Severity::Error;
use crate::input::{Column, Row};
use crate::model::address::{parse_proxy, split_multi};
use crate::model::directory::{mailbox_address, resource_mailbox_name};
use crate::model::RecipientKind;

use super::engine::State;
use super::index::{key, Ns};
use super::Rule;

pub const NAME_COLLISION: Rule = Rule {
    code: "G013",
    name: "recipient-name-collision",
    severity: Error,
    summary: "two recipients (a group, a shared, room or equipment mailbox, a mail contact) have the same Name",
    hint: "rename the group or contact (or the mailbox's display name) so each recipient has its own Name",
    explanation: "Exchange Online refuses a second recipient with a Name already in use, whatever its type (a shared mailbox `Sales` and a distribution group `Sales`): the second New-DistributionGroup, New-Mailbox or New-MailContact fails (New-DistributionGroup -Name, New-MailContact -Name: \"the unique name\", m365-facts 4.3). cutover names a shared, room or equipment mailbox by its display name, else its alias, else its address's local part; the plan keeps the mailbox, then the group, then the contact, and leaves out the later one.",
};

/// M013: an address of this mailbox that a group of the groups files also has.
fn group_addresses(st: &mut State<'_>, row: &Row<'_>, proxies: Option<&str>) {
    let primary = row
        .value(Column::PrimarySmtp)
        .map(|p| p.trim_start_matches("SMTP:").trim());
    let secondary = proxies
        .into_iter()
        .flat_map(split_multi)
        .map(parse_proxy)
        .filter(|p| p.kind == "smtp");
    let mut seen: Vec<String> = Vec::new();
    let all = primary
        .map(|a| (a.to_string(), Column::PrimarySmtp))
        .into_iter()
        .chain(secondary.map(|p| (p.address.trim().to_string(), Column::EmailAddresses)));
    for (a, col) in all {
        let lower = a.to_lowercase();
        if a.is_empty() || seen.contains(&lower) {
            continue;
        }
        seen.push(lower);
        if let Some(first) = st.get(key(Ns::GroupAddress, &a)) {
            let msg = format!(
                "'{a}' of the mailbox is also an address of {}",
                st.recipient_at(first)
            );
            st.sink.cell(&crate::audit::findings::M013, row, col, msg);
        }
    }
}

/// Adds one row of a mailbox export to the directory.
pub fn check_mailbox(st: &mut State<'_>, row: &Row<'_>) {
    let kind = row.value(Column::RecipientTypeDetails);
    if kind.is_some_and(crate::audit::load::is_system_mailbox) {
        return;
    }
    let upn = row.value(Column::Upn);
    let Some(address) = mailbox_address(row.value(Column::PrimarySmtp), upn) else {
        return;
    };
    let place = st.place(row.line());
    let proxies = row
        .value(Column::EmailAddresses)
        .filter(|c| !crate::rules::damage::is_type_name(c));
    group_addresses(st, row, proxies);
    if crate::audit::load::recipient_kind(kind) == RecipientKind::User {
        // The user this mailbox belongs to, by UPN or address: its old addresses are the
        // user's too.
        let owner = [upn, Some(address)].into_iter().flatten().find_map(|k| {
            st.get(key(Ns::Upn, k))
                .or_else(|| st.get(key(Ns::UserAddress, k)))
        });
        if let (Some(owner), Some(cell)) = (owner, proxies) {
            for p in split_multi(cell).map(parse_proxy) {
                if p.kind == "smtp" {
                    st.dir.claim(Ns::UserAddress, p.address.trim(), owner);
                }
            }
        }
        return;
    }
    let name = resource_mailbox_name(
        row.value(Column::DisplayName),
        row.value(Column::Alias),
        address,
    );
    if let Some(first) = st.get(key(Ns::GroupName, name)) {
        let msg = format!(
            "the mailbox would be named '{name}', which {} has",
            st.recipient_at(first)
        );
        let col = if row.value(Column::DisplayName).is_some() {
            Column::DisplayName
        } else {
            Column::Alias
        };
        st.sink.cell(&NAME_COLLISION, row, col, msg);
    }
    st.dir.claim(Ns::GroupName, name, place);
    if let Some(a) = row.value(Column::Alias) {
        st.dir.claim(Ns::Alias, a, place);
    }
    if let Some(d) = row.value(Column::DisplayName) {
        st.dir.claim(Ns::Display, d, place);
    }
    for a in [upn, Some(address)].into_iter().flatten() {
        st.dir.claim(Ns::MailboxAddress, a, place);
    }
    if let Some(cell) = proxies {
        for p in split_multi(cell).map(parse_proxy) {
            if p.kind == "smtp" {
                st.dir.claim(Ns::MailboxAddress, p.address.trim(), place);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{codes, lint_files};

    const USERS: &[u8] = b"UPN,DisplayName\nann@contoso.com,Ann\n";
    const MAILBOXES: &[u8] = b"Identity,Alias,DisplayName,PrimarySmtpAddress,RecipientTypeDetails,EmailAddresses,ProhibitSendQuota\n\
ann,ann,Ann,ann@contoso.com,UserMailbox,smtp:ann.old@contoso.com,Unlimited\n\
sales,sales,Sales,sales@contoso.com,SharedMailbox,smtp:orders@contoso.com,Unlimited\n";

    #[test]
    fn members_resolve_to_shared_mailboxes_and_old_user_addresses() {
        let r = lint_files(&[
            ("u.csv", USERS),
            (
                "g.csv",
                b"Name,Address\nTeam,team@contoso.com\nDesk,desk@contoso.com\n",
            ),
            ("m.csv", MAILBOXES),
            (
                "members.csv",
                b"DL,Alias\nTeam,orders@contoso.com\nTeam,ann.old@contoso.com\nDesk,sales\nDesk,SALES@contoso.com\n",
            ),
        ]);
        // The shared mailbox by its alias and by its address is one member.
        assert_eq!(codes(&r), ["G008"], "{r:?}");
        assert_eq!(r[0].line, Some(5));
    }

    #[test]
    fn g013_a_group_named_like_a_shared_mailbox() {
        let r = lint_files(&[
            ("u.csv", USERS),
            ("g.csv", b"Name,Address\nSales,sales-dl@contoso.com\n"),
            ("m.csv", MAILBOXES),
        ]);
        assert_eq!(codes(&r), ["G013"]);
        assert_eq!(r[0].file.as_deref(), Some("m.csv"));
        assert!(
            r[0].message.contains("the group at g.csv:2"),
            "{}",
            r[0].message
        );
    }
}
