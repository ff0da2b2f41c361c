//! The audit rules: codes `M0xx` (mailboxes and statistics) and `P0xx` (permissions).
//! Each is registered here once; `finding` takes severity and hint from the registry.

use std::collections::HashMap;

use crate::diag::{Finding, Severity};
use crate::rules::Rule;

macro_rules! rule {
    ($code:literal, $name:literal, $sev:ident, $summary:literal, $hint:literal, $expl:literal) => {
        Rule {
            code: $code,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            hint: $hint,
            explanation: $expl,
        }
    };
}

pub const M001: Rule = rule!(
    "M001",
    "stats-value-malformed",
    Error,
    "a size or count in the statistics export cannot be read exactly",
    "re-export with Get-MailboxStatistics | Export-Csv so TotalItemSize keeps its byte count, e.g. `1.234 GB (1,325,012,345 bytes)`",
    "Sizes are taken from the exact byte count Exchange prints in parentheses. A rounded figure \
     (`1.2 GB`), a value whose rounded figure and byte count disagree, or text that is not a size \
     is reported and the row is left out of totals rather than guessed at."
);

pub const M002: Rule = rule!(
    "M002",
    "stats-unmatched",
    Warning,
    "a statistics row joins to no mailbox in the mailbox export",
    "export statistics and mailboxes from the same organisation at the same time, or add the mailbox to mailboxes.csv",
    "Statistics rows join to mailboxes by MailboxGuid = ExchangeGuid (or ArchiveGuid for archive rows) \
     when both files carry GUIDs, else by primary address, alias or display name. A row that joins to \
     nothing is data that no migration batch will carry, and it is left out of the estimate."
);

pub const M003: Rule = rule!(
    "M003",
    "mailbox-over-limit",
    Error,
    "the mailbox is larger than the target licence's mailbox size",
    "assign a licence with a larger mailbox (or set --mailbox-limit-gb), or move old mail to the archive before migrating",
    "Exchange Online mailboxes are 50 GB with Exchange Online Plan 1 and Microsoft 365 Business plans, \
     100 GB with Exchange Online Plan 2 and E3/E5 (m365-facts 3.2). A larger source mailbox fails \
     to migrate once the target fills. The limit is the size of the licence of the mailbox's \
     user (users.csv LicenseSku, else `[tenant] licence_sku`) when it is one of those plans or \
     is named in `[audit.licence_limits_gb]` (e.g. `SPE_E3 = 100`); `[audit] mailbox_limit_gb` / \
     `--mailbox-limit-gb`, when set, overrides every licence."
);

pub const M004: Rule = rule!(
    "M004",
    "archive-needs-auto-expanding",
    Warning,
    "the archive is larger than a standard archive holds",
    "enable auto-expanding archiving (Enable-Mailbox -AutoExpandingArchive) and a licence that includes it before migrating the archive",
    "Exchange Online archives hold 50 GB (or 100 GB with Plan 2) unless auto-expanding archiving is \
     enabled, which grows them up to 1.5 TB (m365-facts 3.2). The limit checked is the project's \
     mailbox limit."
);

pub const M005: Rule = rule!(
    "M005",
    "shared-mailbox-needs-licence",
    Warning,
    "this shared mailbox needs a licence in Exchange Online",
    "assign an Exchange Online Plan 2 licence (or remove the archive / hold / old mail first)",
    "Shared mailboxes need no licence, except when they hold more than 50 GB, use an archive or are \
     on litigation hold: then an Exchange Online Plan 2 licence is required \
     (learn.microsoft.com/microsoft-365/admin/email/remove-license-from-shared-mailbox; m365-facts 3.2)."
);

pub const M006: Rule = rule!(
    "M006",
    "items-too-large",
    Warning,
    "the mailbox holds at least one item larger than the item size limit",
    "find the large items (e.g. Search-Mailbox / a content search by size) and remove or export them before migrating",
    "Items above the limit (`[audit] large_item_mb`, default 150 MB, the Exchange Online message \
     ceiling, m365-facts 3.1) are skipped by the migration. Statistics give totals only, so this \
     rule fires only when it is certain: the average item size is above the limit, so at least \
     one item is. Mailboxes with a few large items among many small ones cannot be detected from \
     statistics; check them with a size search."
);

pub const M007: Rule = rule!(
    "M007",
    "forwarding-external",
    Warning,
    "the mailbox forwards mail to an address outside the accepted domains",
    "confirm the forwarding is wanted: Exchange Online's outbound spam policy blocks automatic external forwarding by default",
    "ForwardingSmtpAddress (or a ForwardingAddress written as an address) whose domain is not one \
     of the project's domains sends mail outside the organisation. In Exchange Online the default \
     outbound spam policy (Automatic - System-controlled, now the same as Off) blocks automatic \
     external forwarding, and senders get NDR 5.7.520 \
     (learn.microsoft.com/defender-office-365/outbound-spam-policies-external-email-forwarding). \
     The rule needs `[tenant] domains` to say anything."
);

pub const M008: Rule = rule!(
    "M008",
    "mailbox-unnamed",
    Error,
    "the mailbox row has no identity, address, alias or display name",
    "fill in Identity (or PrimarySmtpAddress) for the row",
    "A mailbox that cannot be named cannot be joined to its statistics or permissions, and a blank \
     identity given to a Get- cmdlet returns every object (m365-facts 4.6)."
);

pub const M009: Rule = rule!(
    "M009",
    "stats-duplicate",
    Warning,
    "a second statistics row for the same mailbox (primary or archive)",
    "remove the duplicate row; keep one primary and at most one archive row per mailbox",
    "Counting both rows would double the mailbox's data in the estimate, so the later row is ignored."
);

pub const M010: Rule = rule!(
    "M010",
    "mailbox-without-stats",
    Warning,
    "the mailbox has no statistics row",
    "export statistics for every mailbox (Get-Mailbox -ResultSize Unlimited | Get-MailboxStatistics)",
    "Without its statistics the mailbox counts as empty in the estimate and its size rules \
     cannot run. Reported only when a statistics file is given."
);

pub const M011: Rule = rule!(
    "M011",
    "check-skipped",
    Info,
    "a check could not run for lack of an input or a setting",
    "give the input or setting the message names, then run again",
    "Some rules need more than the file in hand: external forwarding (M007) needs the accepted \
     domains (`[tenant] domains` or --domain); sizes against the licence (M003, M004), shared \
     mailbox licences (M005), large items (M006) and joins (M002, M010) need the mailbox export \
     beside the statistics; large items need an ItemCount column. Rather than stay silent, the \
     audit says which checks it skipped and why."
);

pub const M012: Rule = rule!(
    "M012",
    "stats-item-count-blank",
    Warning,
    "the statistics row has no ItemCount",
    "re-export with Get-MailboxStatistics | Export-Csv, which always writes ItemCount",
    "A blank ItemCount is counted as 0 items: the estimate's item total is short by the \
     mailbox's items, and the large-item check (M006) cannot run for it."
);

pub const M013: Rule = rule!(
    "M013",
    "mailbox-address-is-a-group",
    Error,
    "a mailbox's address is also a distribution group's address",
    "give the group (or the mailbox) another address in the source, export again, and lint again",
    "An SMTP address belongs to one recipient. When the groups file gives a group an address that \
     the mailbox export gives a mailbox (a shared mailbox and a DL both called sales@, say), \
     whichever is created first in Exchange Online takes it: the other's creation fails with \
     'proxy address is already being used', and permissions meant for the mailbox land on the \
     group or fail (m365-facts 4.4)."
);

pub const P001: Rule = rule!(
    "P001",
    "permission-orphaned-sid",
    Warning,
    "the permission is granted to an unresolved SID (a deleted account)",
    "remove the stale permission on the source (Remove-MailboxPermission) or ignore it: it will not be migrated",
    "Exchange shows a trustee as a bare SID `S-1-5-21-...` when the account it named has been \
     deleted. No destination user exists for it, so the grant is dropped, and said so here."
);

pub const P002: Rule = rule!(
    "P002",
    "permission-principal-not-migrated",
    Warning,
    "the permission is granted to a principal that is not being migrated",
    "add the principal to the users or mailboxes being migrated, or accept that the grant is dropped",
    "A trustee (DOMAIN\\user, UPN, address, alias or display name) that maps to no user or mailbox \
     in the inputs has no destination identity, so its permission cannot be granted in Exchange \
     Online. The source's own accounts (NT AUTHORITY\\*, BUILTIN\\*, well-known SIDs) are ignored; \
     built-in and admin groups by name are P006."
);

pub const P003: Rule = rule!(
    "P003",
    "permission-mailbox-not-migrated",
    Warning,
    "the permission is on a mailbox that is not in the mailbox export",
    "export permissions and mailboxes together, or add the mailbox to mailboxes.csv",
    "A grant on a mailbox that is not migrated has nowhere to go in Exchange Online."
);

pub const P004: Rule = rule!(
    "P004",
    "delegates-same-batch",
    Info,
    "these mailboxes grant each other access and must move in the same batch",
    "keep the group together (cutover estimate prints batches that do)",
    "Delegates (FullAccess, Send As, Send on Behalf) split across an on-premises and a cloud \
     mailbox lose access until both have moved, so mailboxes connected by permissions form one \
     migration batch."
);

pub const P005: Rule = rule!(
    "P005",
    "permission-deny-not-carried",
    Info,
    "a Deny permission entry is not carried over",
    "recreate the restriction by hand in Exchange Online if it still matters",
    "Only Allow grants are migrated: Add-MailboxPermission -Deny exists in Exchange Online, but a \
     deny usually guards an on-premises arrangement (an admin group) that does not exist there."
);

pub const P006: Rule = rule!(
    "P006",
    "permission-builtin-principal",
    Info,
    "a grant to a built-in or admin group is not carried over",
    "give the access in Exchange Online through a role group or admin role if it is still needed",
    "Everyone, Authenticated Users, Domain Admins, Enterprise Admins, Administrators and Exchange's \
     own groups (Exchange Servers, Organization Management, ...) do not exist in Exchange Online, so \
     an explicit (non-inherited) grant to one of them has no destination. It is reported so the \
     drop is never silent; a real account that happens to carry such a name and is among the users \
     or mailboxes being migrated is mapped as usual. Inherited rows, NT AUTHORITY\\*, BUILTIN\\* and \
     well-known SIDs are the source's own plumbing and ignored."
);

pub const P007: Rule = rule!(
    "P007",
    "permission-unnamed",
    Error,
    "the permission row grants a right but names no mailbox or no trustee",
    "fill in Identity and User (or Trustee) for the row, or remove the row",
    "A grant that cannot be named cannot be migrated, and a blank identity given to a cmdlet \
     matches every object or none (m365-facts 4.6), so a blank mailbox or trustee is an error, \
     as a blank mailbox identity is (M008)."
);

pub const P008: Rule = rule!(
    "P008",
    "permission-folder-role",
    Warning,
    "a mailbox permission export holds folder roles (Editor, Reviewer, Author, ...)",
    "export mailbox permissions with Get-MailboxPermission; treat folder permissions as their own task",
    "Editor, Reviewer, Author, Owner and the other roles are mailbox folder permissions, written \
     by Get-MailboxFolderPermission (a calendar shared with a colleague); Get-MailboxPermission \
     writes FullAccess, SendAs, ReadPermission and the like. Reading a folder export as mailbox \
     permissions would give no grant at all, or the wrong one, so each row is reported instead. \
     Folder permissions are set again with Add-MailboxFolderPermission after the move."
);

/// Every audit rule, in code order (`cutover rules` lists them).
pub static RULES: &[Rule] = &[
    M001, M002, M003, M004, M005, M006, M007, M008, M009, M010, M011, M012, M013, P001, P002, P003,
    P004, P005, P006, P007, P008,
];

/// A finding for `rule` with the registry's severity and hint.
pub fn finding(
    rule: &'static Rule,
    file: Option<&str>,
    line: Option<u64>,
    column: Option<String>,
    value: Option<String>,
    message: String,
) -> Finding {
    Finding {
        code: rule.code,
        severity: rule.severity,
        file: file.map(str::to_string),
        line,
        column,
        value,
        message,
        hint: rule.hint.to_string(),
    }
}

/// Findings of one rule in one file beyond this are counted, not listed: the same cap as
/// lint's, so a badly damaged export of 100,000 mailboxes stays readable.
pub const CAP_PER_RULE: usize = 100;

/// Keeps the first `CAP_PER_RULE` findings of each rule in each file, in order, and adds one
/// finding per (file, rule) over the cap saying how many more there were, as lint does.
pub fn cap(findings: Vec<Finding>) -> Vec<Finding> {
    let mut counts: HashMap<(Option<String>, &'static str), usize> = HashMap::new();
    let mut out = Vec::with_capacity(findings.len());
    for f in findings {
        let n = counts.entry((f.file.clone(), f.code)).or_insert(0);
        *n += 1;
        if *n <= CAP_PER_RULE {
            out.push(f);
        }
    }
    let mut over: Vec<((Option<String>, &'static str), usize)> = counts
        .into_iter()
        .filter(|(_, n)| *n > CAP_PER_RULE)
        .collect();
    over.sort();
    for ((file, code), n) in over {
        // Every audit finding is made from a rule of RULES (see `finding`).
        if let Some(rule) = RULES.iter().find(|r| r.code == code) {
            out.push(Finding {
                code: rule.code,
                severity: rule.severity,
                file,
                line: None,
                column: None,
                value: None,
                message: format!(
                    "{} more {} findings in this file were not listed ({})",
                    n - CAP_PER_RULE,
                    rule.code,
                    rule.summary
                ),
                hint: rule.hint.to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_ordered_and_kebab_named() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        for r in RULES {
            assert!(
                r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                r.name
            );
            assert!(!r.hint.is_empty() && !r.explanation.is_empty());
            // Lower case first, as every lint rule's text is.
            for text in [r.summary, r.hint] {
                assert!(
                    text.starts_with(|c: char| c.is_ascii_lowercase()),
                    "{}: {text}",
                    r.code
                );
            }
        }
    }

    #[test]
    fn finding_takes_severity_and_hint_from_the_registry() {
        let f = finding(&P004, Some("p.csv"), Some(3), None, None, "m".into());
        assert_eq!(f.severity, Severity::Info);
        assert!(f.hint.starts_with("keep the group together"));
    }

    #[test]
    fn cap_keeps_a_hundred_per_rule_and_file_and_counts_the_rest() {
        let f =
            |rule, file: &str, line| finding(rule, Some(file), Some(line), None, None, "m".into());
        let mut all: Vec<Finding> = (1..=150).map(|l| f(&M001, "s.csv", l)).collect();
        all.extend((1..=100).map(|l| f(&M012, "s.csv", l)));
        all.extend((1..=101).map(|l| f(&M001, "t.csv", l)));
        let capped = cap(all);
        let count = |code: &str, file: &str, listed: bool| {
            capped
                .iter()
                .filter(|x| x.code == code && x.file.as_deref() == Some(file))
                .filter(|x| x.line.is_some() == listed)
                .count()
        };
        assert_eq!(count("M001", "s.csv", true), 100);
        assert_eq!(count("M012", "s.csv", true), 100);
        assert_eq!(count("M012", "s.csv", false), 0);
        assert_eq!(count("M001", "t.csv", true), 100);
        let more: Vec<&str> = capped
            .iter()
            .filter(|x| x.line.is_none())
            .map(|x| x.message.as_str())
            .collect();
        assert_eq!(more.len(), 2);
        assert!(more[0].starts_with("50 more M001 findings"), "{}", more[0]);
        assert!(more[1].starts_with("1 more M001 findings"), "{}", more[1]);
        // The first hundred are kept in order.
        assert_eq!(capped[99].line, Some(100));
    }
}
