//! Loaders for the audit kinds: rows (from the input layer) to `Mailbox`, `MailboxStats` and
//! `Permission`, with the findings that belong to a single row.
//!
//! Besides the layouts cutover's own export step writes, they read people's own exports:
//! `Get-Mailbox`, `Get-MailboxStatistics` (primary and `-Archive` rows), `Get-MailboxPermission`,
//! `Get-RecipientPermission` (Trustee, AccessRights SendAs, AccessControlType),
//! `Get-ADPermission` (User, ExtendedRights Send-As) and `GrantSendOnBehalfTo` columns.

use std::path::Path;

use crate::diag::Finding;
use crate::error::Result;
use crate::input::FileKind;
use crate::model::{
    Mailbox, MailboxStats, Origin, Permission, PermissionRight, ProxyAddress, RecipientKind, User,
};
use crate::project::Project;

use super::findings::*;
use super::principal::{is_ignored_principal, is_orphaned_sid};
use super::rows::{read_table, Columns, RawRow, Table};
use super::size::{parse_size, Size};

/// Records read from one file and the findings about single rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    pub records: Vec<T>,
    pub findings: Vec<Finding>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            records: Vec::new(),
            findings: Vec::new(),
        }
    }
}

pub fn load_mailboxes(path: &Path, project: &Project) -> Result<Loaded<Mailbox>> {
    Ok(mailboxes_from(&read_table(
        path,
        FileKind::Mailboxes,
        project.delimiter,
    )?))
}

pub fn load_stats(path: &Path, project: &Project) -> Result<Loaded<MailboxStats>> {
    Ok(stats_from(&read_table(
        path,
        FileKind::MailboxStats,
        project.delimiter,
    )?))
}

pub fn load_permissions(path: &Path, project: &Project) -> Result<Loaded<Permission>> {
    Ok(permissions_from(&read_table(
        path,
        FileKind::Permissions,
        project.delimiter,
    )?))
}

fn origin(t: &Table, row: &RawRow) -> Origin {
    Origin {
        file: t.file.clone(),
        line: row.line,
    }
}

/// `True`/`False` as PowerShell writes them, plus the spellings people type.
pub(crate) fn parse_bool(s: Option<&str>) -> bool {
    matches!(
        s.map(|v| v.trim().trim_start_matches('$').to_ascii_lowercase())
            .as_deref(),
        Some("true" | "yes" | "1" | "y")
    )
}

/// GUIDs compare lower-case without braces; the all-zero GUID means "none".
pub(crate) fn norm_guid(s: Option<&str>) -> Option<String> {
    let g = s?
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .to_ascii_lowercase();
    (!g.is_empty() && g.bytes().any(|b| b != b'0' && b != b'-')).then_some(g)
}

/// Multi-valued cells are joined with `;` (also `,` in `{a, b}` as a collection prints).
fn split_multi(s: Option<&str>) -> Vec<String> {
    s.map(|v| {
        v.trim_matches(|c| c == '{' || c == '}')
            .split(';')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn proxy(entry: &str) -> ProxyAddress {
    match entry.split_once(':') {
        Some((prefix, address)) if !prefix.contains('@') => ProxyAddress {
            primary: prefix == "SMTP",
            kind: prefix.to_ascii_lowercase(),
            address: address.trim().to_string(),
        },
        _ => ProxyAddress {
            primary: false,
            kind: "smtp".into(),
            address: entry.to_string(),
        },
    }
}

mod mbx {
    pub const IDENTITY: usize = 0;
    pub const ALIAS: usize = 1;
    pub const DISPLAY: usize = 2;
    pub const PRIMARY: usize = 3;
    pub const UPN: usize = 4;
    pub const GUID: usize = 5;
    pub const TYPE: usize = 6;
    pub const ADDRESSES: usize = 7;
    pub const ARCHIVE_GUID: usize = 8;
    pub const ARCHIVE_STATUS: usize = 9;
    pub const ARCHIVE_DB: usize = 10;
    pub const HOLD: usize = 11;
    pub const FWD_SMTP: usize = 12;
    pub const FWD_ADDR: usize = 13;
    pub const SOB: usize = 14;
    pub const NAME: usize = 15;
    use crate::input::Column as C;
    pub const FIELDS: [C; 16] = [
        C::Identity,
        C::Alias,
        C::DisplayName,
        C::PrimarySmtp,
        C::Upn,
        C::ExchangeGuid,
        C::RecipientTypeDetails,
        C::EmailAddresses,
        C::ArchiveGuid,
        C::ArchiveStatus,
        C::ArchiveDatabase,
        C::LitigationHold,
        C::ForwardingSmtpAddress,
        C::ForwardingAddress,
        C::GrantSendOnBehalfTo,
        C::Name,
    ];
}

/// System mailboxes that no migration moves (public folders are a project of their own).
fn is_system_mailbox(kind: &str) -> bool {
    [
        "discoverymailbox",
        "arbitrationmailbox",
        "monitoringmailbox",
        "auditlogmailbox",
        "auxauditlogmailbox",
        "supervisoryreviewpolicymailbox",
        "publicfoldermailbox",
    ]
    .contains(&kind.to_ascii_lowercase().as_str())
}

fn recipient_kind(kind: Option<&str>) -> RecipientKind {
    match kind.map(str::to_ascii_lowercase).as_deref() {
        Some("sharedmailbox" | "shared") => RecipientKind::Shared,
        Some("roommailbox" | "room") => RecipientKind::Room,
        Some("equipmentmailbox" | "equipment") => RecipientKind::Equipment,
        _ => RecipientKind::User,
    }
}

pub fn mailboxes_from(t: &Table) -> Loaded<Mailbox> {
    let c = Columns::resolve(&t.headers, FileKind::Mailboxes, mbx::FIELDS);
    let mut out = Loaded::default();
    for row in &t.rows {
        let get = |f| c.get(row, f);
        if get(mbx::TYPE).is_some_and(is_system_mailbox) {
            continue;
        }
        let primary = get(mbx::PRIMARY).map(|p| p.trim_start_matches("SMTP:").to_string());
        let identity = [
            mbx::IDENTITY,
            mbx::PRIMARY,
            mbx::UPN,
            mbx::ALIAS,
            mbx::NAME,
            mbx::DISPLAY,
        ]
        .into_iter()
        .find_map(get);
        let Some(identity) = identity else {
            out.findings.push(finding(
                &M008,
                Some(&t.file),
                Some(row.line),
                Some(c.header(mbx::IDENTITY)),
                None,
                "mailbox row names no mailbox".into(),
            ));
            continue;
        };
        let archive_guid = norm_guid(get(mbx::ARCHIVE_GUID));
        let archive = archive_guid.is_some()
            || get(mbx::ARCHIVE_STATUS).is_some_and(|s| s.eq_ignore_ascii_case("active"))
            || get(mbx::ARCHIVE_DB).is_some();
        let forwarding = get(mbx::FWD_SMTP).map(|f| {
            f.split_once(':')
                .filter(|(p, _)| p.eq_ignore_ascii_case("smtp"))
                .map_or(f, |(_, a)| a)
                .to_string()
        });
        out.records.push(Mailbox {
            origin: origin(t, row),
            identity: identity.to_string(),
            alias: get(mbx::ALIAS).map(str::to_string),
            display_name: get(mbx::DISPLAY).map(str::to_string),
            primary_smtp: primary,
            upn: get(mbx::UPN).map(str::to_string),
            exchange_guid: norm_guid(get(mbx::GUID)),
            proxy_addresses: split_multi(get(mbx::ADDRESSES))
                .iter()
                .map(|e| proxy(e))
                .collect(),
            kind: recipient_kind(get(mbx::TYPE)),
            archive,
            archive_guid,
            litigation_hold: parse_bool(get(mbx::HOLD)),
            forwarding,
            forwarding_recipient: get(mbx::FWD_ADDR).map(str::to_string),
            send_on_behalf: split_multi(get(mbx::SOB)),
        });
    }
    out
}

mod st {
    pub const GUID: usize = 0;
    pub const IDENTITY: usize = 1;
    pub const DISPLAY: usize = 2;
    pub const IS_ARCHIVE: usize = 3;
    pub const TOTAL: usize = 4;
    pub const DELETED: usize = 5;
    pub const ITEMS: usize = 6;
    use crate::input::Column as C;
    pub const FIELDS: [C; 7] = [
        C::MailboxGuid,
        C::Identity,
        C::DisplayName,
        C::IsArchiveMailbox,
        C::TotalItemSize,
        C::TotalDeletedItemSize,
        C::ItemCount,
    ];
}

pub fn stats_from(t: &Table) -> Loaded<MailboxStats> {
    let c = Columns::resolve(&t.headers, FileKind::MailboxStats, st::FIELDS);
    let mut out = Loaded::default();
    if !c.has(st::ITEMS) && !t.rows.is_empty() {
        out.findings.push(finding(
            &M011,
            Some(&t.file),
            None,
            None,
            None,
            "the file has no ItemCount column: items are counted as 0 and large items (M006) were not checked".into(),
        ));
    }
    for row in &t.rows {
        let get = |f| c.get(row, f);
        let bad = |field: usize, raw: &str, why: String| {
            finding(
                &M001,
                Some(&t.file),
                Some(row.line),
                Some(c.header(field)),
                Some(raw.to_string()),
                why,
            )
        };
        let raw_total = get(st::TOTAL).unwrap_or_default();
        let total = match parse_size(raw_total) {
            Ok(Size::Bytes(b)) => b,
            Ok(Size::Unlimited) => {
                out.findings.push(bad(
                    st::TOTAL,
                    raw_total,
                    "TotalItemSize is `Unlimited`, which is a quota, not a mailbox's size; row left out".into(),
                ));
                continue;
            }
            Err(e) => {
                out.findings
                    .push(bad(st::TOTAL, raw_total, format!("{e}; row left out")));
                continue;
            }
        };
        let items = match get(st::ITEMS).map(parse_size) {
            None if c.has(st::ITEMS) => {
                out.findings.push(finding(
                    &M012,
                    Some(&t.file),
                    Some(row.line),
                    Some(c.header(st::ITEMS)),
                    None,
                    "ItemCount is blank; counted as 0 items".into(),
                ));
                0
            }
            None => 0,
            Some(Ok(Size::Bytes(n))) => n,
            Some(_) => {
                let raw = get(st::ITEMS).unwrap_or_default();
                out.findings.push(bad(
                    st::ITEMS,
                    raw,
                    "ItemCount is not a whole number; row left out".into(),
                ));
                continue;
            }
        };
        let deleted = match get(st::DELETED).map(parse_size) {
            None => 0,
            Some(Ok(Size::Bytes(b))) => b,
            Some(other) => {
                let raw = get(st::DELETED).unwrap_or_default();
                let why = other
                    .err()
                    .map_or("it is `Unlimited`".to_string(), |e| e.to_string());
                out.findings.push(bad(
                    st::DELETED,
                    raw,
                    format!("TotalDeletedItemSize: {why}; counted as 0"),
                ));
                0
            }
        };
        out.records.push(MailboxStats {
            origin: origin(t, row),
            mailbox_guid: norm_guid(get(st::GUID)),
            identity: get(st::IDENTITY).map(str::to_string),
            display_name: get(st::DISPLAY).map(str::to_string),
            is_archive: parse_bool(get(st::IS_ARCHIVE)),
            total_bytes: total,
            deleted_bytes: deleted,
            items,
        });
    }
    out
}

mod perm {
    pub const MAILBOX: usize = 0;
    pub const USER: usize = 1;
    pub const ACCESS: usize = 2;
    pub const EXTENDED: usize = 3;
    pub const INHERITED: usize = 4;
    pub const DENY: usize = 5;
    pub const CONTROL: usize = 6;
    pub const AUTOMAP: usize = 7;
    pub const SOB: usize = 8;
    use crate::input::Column as C;
    pub const FIELDS: [C; 9] = [
        C::Identity,
        C::User,
        C::AccessRights,
        C::ExtendedRights,
        C::IsInherited,
        C::Deny,
        C::AccessControlType,
        C::AutoMapping,
        C::GrantSendOnBehalfTo,
    ];
}

/// The rights a row grants that Exchange Online can carry.
fn rights(access: Option<&str>, extended: Option<&str>) -> Vec<PermissionRight> {
    let tokens = |s: Option<&str>| -> Vec<String> {
        s.unwrap_or_default()
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .filter(|t| !t.is_empty())
            .map(|t| t.replace('-', "").to_ascii_lowercase())
            .collect()
    };
    let mut out = Vec::new();
    for t in tokens(access).iter().chain(tokens(extended).iter()) {
        let right = match t.as_str() {
            "fullaccess" => PermissionRight::FullAccess,
            "sendas" => PermissionRight::SendAs,
            "sendonbehalf" | "sendonbehalfto" | "grantsendonbehalfto" => {
                PermissionRight::SendOnBehalf
            }
            _ => continue,
        };
        if !out.contains(&right) {
            out.push(right);
        }
    }
    out
}

/// Roles and rights of `Get-MailboxFolderPermission` (folder permissions), which never appear
/// in `Get-MailboxPermission` output.
const FOLDER_ROLES: &[&str] = &[
    "owner",
    "publishingeditor",
    "editor",
    "publishingauthor",
    "author",
    "noneditingauthor",
    "reviewer",
    "contributor",
    "availabilityonly",
    "limiteddetails",
    "readitems",
    "createitems",
    "editowneditems",
    "deleteowneditems",
    "editallitems",
    "deleteallitems",
    "createsubfolders",
    "folderowner",
    "foldercontact",
    "foldervisible",
];

/// The folder roles named in an AccessRights value, as written.
fn folder_roles(access: Option<&str>) -> Vec<String> {
    access
        .unwrap_or_default()
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|t| FOLDER_ROLES.contains(&t.replace('-', "").to_ascii_lowercase().as_str()))
        .map(str::to_string)
        .collect()
}

pub fn permissions_from(t: &Table) -> Loaded<Permission> {
    let c = Columns::resolve(&t.headers, FileKind::Permissions, perm::FIELDS);
    let mut out = Loaded::default();
    for row in &t.rows {
        let get = |f| c.get(row, f);
        if parse_bool(get(perm::INHERITED)) {
            continue;
        }
        let granted = rights(get(perm::ACCESS), get(perm::EXTENDED));
        let roles = folder_roles(get(perm::ACCESS));
        if !roles.is_empty() {
            out.findings.push(finding(
                &P008,
                Some(&t.file),
                Some(row.line),
                Some(c.header(perm::ACCESS)),
                None,
                format!(
                    "{} {} (Get-MailboxFolderPermission), not a mailbox permission; not \
                     migrated as one",
                    roles.join(", "),
                    if roles.len() == 1 {
                        "is a folder role"
                    } else {
                        "are folder roles"
                    }
                ),
            ));
        }
        let sob = split_multi(get(perm::SOB));
        let blank = |field, what: &str| {
            finding(
                &P007,
                Some(&t.file),
                Some(row.line),
                Some(c.header(field)),
                None,
                format!("the row grants a right but names no {what}; not migrated"),
            )
        };
        let Some(mailbox) = get(perm::MAILBOX) else {
            if !granted.is_empty() || !sob.is_empty() {
                out.findings.push(blank(perm::MAILBOX, "mailbox"));
            }
            continue;
        };
        let mut grants: Vec<(String, PermissionRight, usize)> = Vec::new();
        match get(perm::USER) {
            Some(user) => grants.extend(granted.iter().map(|&r| (user.to_string(), r, perm::USER))),
            None if !granted.is_empty() => {
                out.findings.push(blank(perm::USER, "trustee"));
            }
            None => {}
        }
        grants.extend(
            sob.into_iter()
                .map(|u| (u, PermissionRight::SendOnBehalf, perm::SOB)),
        );
        if grants.is_empty() {
            continue;
        }
        let deny = parse_bool(get(perm::DENY))
            || get(perm::CONTROL).is_some_and(|v| v.eq_ignore_ascii_case("deny"));
        for (trustee, right, field) in grants {
            if is_ignored_principal(&trustee) {
                continue;
            }
            let at = |rule, msg: String| {
                finding(
                    rule,
                    Some(&t.file),
                    Some(row.line),
                    Some(c.header(field)),
                    Some(trustee.clone()),
                    msg,
                )
            };
            if deny {
                out.findings.push(at(
                    &P005,
                    format!("deny {right:?} for {trustee} on {mailbox} is not migrated"),
                ));
                continue;
            }
            if is_orphaned_sid(&trustee) {
                out.findings.push(at(&P001, format!("{right:?} on {mailbox} is granted to the unresolved SID {trustee}; not migrated")));
                continue;
            }
            out.records.push(Permission {
                origin: origin(t, row),
                mailbox: mailbox.to_string(),
                trustee,
                right,
                automapping: right == PermissionRight::FullAccess
                    && get(perm::AUTOMAP).map_or(true, |v| parse_bool(Some(v))),
                mailbox_column: c.header(perm::MAILBOX),
                trustee_column: c.header(field),
            });
        }
    }
    out
}

/// The users file read only for the names a trustee may go by and each user's licence (the lint
/// stage owns its rules).
pub fn load_user_keys(path: &Path, project: &Project) -> Result<Vec<User>> {
    Ok(user_keys_from(&read_table(
        path,
        FileKind::Users,
        project.delimiter,
    )?))
}

pub fn user_keys_from(t: &Table) -> Vec<User> {
    use crate::input::Column as C;
    let c = Columns::resolve(
        &t.headers,
        FileKind::Users,
        [
            C::Upn,
            C::DisplayName,
            C::Alias,
            C::PrimarySmtp,
            C::EmailAddresses,
            C::LicenceSku,
        ],
    );
    t.rows
        .iter()
        .filter_map(|row| {
            let upn = c.get(row, 0)?;
            Some(User {
                origin: origin(t, row),
                upn: upn.to_string(),
                display_name: c.get(row, 1).unwrap_or_default().to_string(),
                first_name: None,
                last_name: None,
                alias: c.get(row, 2).map(str::to_string),
                usage_location: None,
                password: None,
                primary_smtp: c.get(row, 3).map(str::to_string),
                proxy_addresses: split_multi(c.get(row, 4))
                    .iter()
                    .map(|e| proxy(e))
                    .collect(),
                licence_sku: c.get(row, 5).map(str::to_string),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;

    fn table(text: &str) -> Table {
        Table::from_csv_text("t.csv", text, b',').unwrap()
    }

    #[test]
    fn mailbox_export_layout() {
        let t = table(
            "Identity,Alias,DisplayName,PrimarySmtpAddress,UserPrincipalName,ExchangeGuid,RecipientTypeDetails,EmailAddresses,ArchiveGuid,ArchiveStatus,LitigationHoldEnabled,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward,ProhibitSendQuota\n\
             contoso.com/Users/Alice,alice,Alice Ng,alice@contoso.com,alice@contoso.com,{AAAA-1},UserMailbox,SMTP:alice@contoso.com;smtp:a@contoso.com,00000000-0000-0000-0000-000000000000,None,False,smtp:alice@gmail.com,,True,49 GB (52,613,349,376 bytes)\n\
             Sales,sales,Sales,sales@contoso.com,,bbbb-2,SharedMailbox,,cccc-3,Active,True,,,False,Unlimited\n\
             Disc,disc,Discovery,,,,DiscoveryMailbox,,,,,,,,\n\
             ,,,,,,UserMailbox,,,,,,,,\n",
        );
        let l = mailboxes_from(&t);
        assert_eq!(l.records.len(), 2);
        let a = &l.records[0];
        assert_eq!(a.exchange_guid.as_deref(), Some("aaaa-1"));
        assert!(!a.archive && a.archive_guid.is_none());
        assert_eq!(a.forwarding.as_deref(), Some("alice@gmail.com"));
        assert_eq!(a.proxy_addresses.len(), 2);
        assert!(a.proxy_addresses[0].primary && !a.proxy_addresses[1].primary);
        let s = &l.records[1];
        assert_eq!(s.kind, RecipientKind::Shared);
        assert!(s.archive && s.litigation_hold);
        assert_eq!(s.archive_guid.as_deref(), Some("cccc-3"));
        assert_eq!(l.findings.len(), 1);
        assert_eq!((l.findings[0].code, l.findings[0].line), ("M008", Some(5)));
    }

    #[test]
    fn stats_rows_with_bad_sizes_are_findings_and_left_out() {
        let t = table(
            "MailboxGuid,DisplayName,IsArchiveMailbox,TotalItemSize,TotalDeletedItemSize,ItemCount,DeletedItemCount\n\
             aaaa-1,Alice,False,\"1.234 GB (1,325,012,345 bytes)\",\"0 B (0 bytes)\",1200,0\n\
             cccc-3,Sales,True,\"2 MB (2,097,152 bytes)\",junk,10,0\n\
             dddd-4,Bob,False,1.2 GB,,5,0\n\
             eeee-5,Eve,False,0 B (0 bytes),,many,0\n",
        );
        let l = stats_from(&t);
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0].total_bytes, 1_325_012_345);
        assert_eq!(l.records[0].items, 1200);
        assert!(l.records[1].is_archive);
        assert_eq!(l.records[1].deleted_bytes, 0);
        let got: Vec<(&str, Option<u64>)> = l.findings.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(
            got,
            [("M001", Some(3)), ("M001", Some(4)), ("M001", Some(5))]
        );
        assert_eq!(l.findings[1].column.as_deref(), Some("TotalItemSize"));
        assert_eq!(l.findings[1].value.as_deref(), Some("1.2 GB"));
    }

    #[test]
    fn a_blank_item_count_is_a_finding_and_a_missing_column_a_skipped_check() {
        let l = stats_from(&table(
            "MailboxGuid,TotalItemSize,ItemCount\naaaa-1,1024,\nbbbb-2,1024,3\n",
        ));
        let got: Vec<(&str, Option<u64>)> = l.findings.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(got, [("M012", Some(2))]);
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0].items, 0);
        let l = stats_from(&table(
            "MailboxGuid,TotalItemSize\naaaa-1,1024\nbbbb-2,1024\n",
        ));
        let got: Vec<(&str, Option<u64>)> = l.findings.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(got, [("M011", None)]);
        assert!(l.findings[0].message.contains("no ItemCount column"));
    }

    #[test]
    fn admin_center_usage_report_gives_plain_byte_counts() {
        let t = table(
            "Report Refresh Date,User Principal Name,Display Name,Item Count,Storage Used (Byte),Deleted Item Size (Byte)\n\
             2026-11-24,ann.lee@contoso.com,Ann Lee,1200,1325012345,1024\n",
        );
        let l = stats_from(&t);
        assert!(l.findings.is_empty());
        let s = &l.records[0];
        assert_eq!(s.identity.as_deref(), Some("ann.lee@contoso.com"));
        assert_eq!(
            (s.total_bytes, s.deleted_bytes, s.items),
            (1_325_012_345, 1024, 1200)
        );
    }

    #[test]
    fn permission_exports_of_every_kind() {
        // Get-MailboxPermission, Get-ADPermission and Get-RecipientPermission rows in one file.
        let t = table(
            "Identity,User,AccessRights,ExtendedRights,IsInherited,Deny\n\
             alice,CONTOSO\\bob,FullAccess,,False,False\n\
             alice,NT AUTHORITY\\SELF,\"FullAccess, ReadPermission\",,False,False\n\
             alice,CONTOSO\\Exchange Servers,FullAccess,,True,False\n\
             alice,S-1-5-21-1004336348-1177238915-682003330-1107,FullAccess,,False,False\n\
             alice,CONTOSO\\carol,ExtendedRight,Send-As,False,False\n\
             alice,CONTOSO\\dave,FullAccess,,False,True\n\
             alice,CONTOSO\\erin,ReadPermission,,False,False\n",
        );
        let l = permissions_from(&t);
        let got: Vec<(&str, PermissionRight, bool)> = l
            .records
            .iter()
            .map(|p| (p.trustee.as_str(), p.right, p.automapping))
            .collect();
        assert_eq!(
            got,
            [
                ("CONTOSO\\bob", PermissionRight::FullAccess, true),
                ("CONTOSO\\carol", PermissionRight::SendAs, false)
            ]
        );
        let codes: Vec<(&str, Option<u64>)> = l.findings.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(codes, [("P001", Some(5)), ("P005", Some(7))]);

        let rp = table(
            "Identity,Trustee,AccessControlType,AccessRights,IsInherited,InheritanceType\n\
             sales,bob@contoso.com,Allow,SendAs,False,None\n\
             sales,carol@contoso.com,Deny,SendAs,False,None\n",
        );
        let l = permissions_from(&rp);
        assert_eq!(l.records.len(), 1);
        assert_eq!(l.records[0].right, PermissionRight::SendAs);
        assert_eq!(l.findings[0].code, "P005");

        let sob = table("Identity,GrantSendOnBehalfTo,AutoMapping\nsales,\"bob;carol\",\n");
        let l = permissions_from(&sob);
        let got: Vec<(&str, PermissionRight)> = l
            .records
            .iter()
            .map(|p| (p.trustee.as_str(), p.right))
            .collect();
        assert_eq!(
            got,
            [
                ("bob", PermissionRight::SendOnBehalf),
                ("carol", PermissionRight::SendOnBehalf)
            ]
        );
    }

    #[test]
    fn a_grant_without_mailbox_or_trustee_is_a_finding() {
        let t = table("Identity,User,AccessRights\n,bob,FullAccess\nsales,,SendAs\nsales,,\n");
        let l = permissions_from(&t);
        assert!(l.records.is_empty());
        let got: Vec<(&str, Option<u64>)> = l.findings.iter().map(|f| (f.code, f.line)).collect();
        // A blank mailbox or trustee is an error (issue 2), not a mapping warning.
        assert_eq!(got, [("P007", Some(2)), ("P007", Some(3))]);
        assert!(l.findings.iter().all(|f| f.severity == Severity::Error));
        assert_eq!(l.findings[1].column.as_deref(), Some("User"));
    }

    #[test]
    fn only_inherited_rows_and_the_sources_own_accounts_are_ignored() {
        let t = table(
            "Identity,User,AccessRights,IsInherited\n\
             ann,NT AUTHORITY\\SELF,FullAccess,False\n\
             ann,BUILTIN\\Administrators,FullAccess,False\n\
             ann,S-1-5-18,FullAccess,False\n\
             ann,CONTOSO\\Domain Admins,FullAccess,True\n\
             ann,CONTOSO\\Domain Admins,FullAccess,False\n\
             ann,Everyone,FullAccess,False\n\
             ann,CONTOSO\\administrators,FullAccess,False\n",
        );
        let l = permissions_from(&t);
        assert!(l.findings.is_empty());
        let kept: Vec<(&str, u64)> = l
            .records
            .iter()
            .map(|p| (p.trustee.as_str(), p.origin.line))
            .collect();
        assert_eq!(
            kept,
            [
                ("CONTOSO\\Domain Admins", 6),
                ("Everyone", 7),
                ("CONTOSO\\administrators", 8)
            ]
        );
    }

    #[test]
    fn automapping_column_is_honoured() {
        let t = table("Identity,User,AccessRights,AutoMapping\nalice,bob,FullAccess,False\n");
        assert!(!permissions_from(&t).records[0].automapping);
    }
}
