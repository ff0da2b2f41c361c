//! Canonical columns, the header synonyms that name them per file kind, and kind inference.
//!
//! Headers come from the playbook (`UserPrincipalName,FirstName,...`, `Name,Address`, `DL,Alias`),
//! the Microsoft 365 admin-center bulk-add template (`User Name`, `Country or Region`, ...,
//! m365-facts 5.4), the Entra bulk-create template (`Name [displayName] Required`), Exchange
//! exports (`PrimarySmtpAddress`, `EmailAddresses`, ...) and the source-export layouts cutover
//! itself writes. Matching ignores case, spaces, `_`, `-` and `.`.

use serde::Serialize;

use super::FileKind;

/// A column as cutover understands it, whatever the file calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Column {
    Upn,
    FirstName,
    LastName,
    DisplayName,
    Password,
    Alias,
    UsageLocation,
    /// Admin-center template: a country *name* such as `United States` (or a code).
    Country,
    PrimarySmtp,
    EmailAddresses,
    LicenceSku,
    JobTitle,
    Department,
    Office,
    OfficePhone,
    MobilePhone,
    Fax,
    AlternateEmail,
    StreetAddress,
    City,
    State,
    PostalCode,
    Name,
    GroupType,
    RequireSenderAuth,
    /// Groups export: the members joined with `;`.
    Members,
    Group,
    Member,
    MemberType,
    Identity,
    ExchangeGuid,
    RecipientTypeDetails,
    ArchiveGuid,
    ArchiveStatus,
    LitigationHold,
    ForwardingSmtpAddress,
    ForwardingAddress,
    DeliverToMailboxAndForward,
    ProhibitSendQuota,
    MailboxGuid,
    IsArchiveMailbox,
    TotalItemSize,
    TotalDeletedItemSize,
    ItemCount,
    DeletedItemCount,
    User,
    AccessRights,
    ExtendedRights,
    IsInherited,
    Deny,
    AutoMapping,
    ArchiveDatabase,
    GrantSendOnBehalfTo,
    /// The recipient's current legacyExchangeDN (`/o=.../cn=...`): Outlook's cached recipients
    /// and replies to old mail address it, so it becomes an X500 address in the tenant.
    LegacyExchangeDn,
    AccessControlType,
    /// A mail contact's outside address (`SMTP:someone@example.net` in Get-MailContact).
    ExternalEmail,
}

impl Column {
    pub const COUNT: usize = Column::ExternalEmail as usize + 1;

    /// The header cutover writes for this column (templates, exports).
    pub fn canonical(self) -> &'static str {
        use Column::*;
        match self {
            Upn => "UserPrincipalName",
            FirstName => "FirstName",
            LastName => "LastName",
            DisplayName => "DisplayName",
            Password => "Password",
            Alias => "Alias",
            UsageLocation => "UsageLocation",
            Country => "Country",
            PrimarySmtp => "PrimarySmtpAddress",
            EmailAddresses => "EmailAddresses",
            LicenceSku => "LicenseSku",
            JobTitle => "JobTitle",
            Department => "Department",
            Office => "Office",
            OfficePhone => "OfficePhone",
            MobilePhone => "MobilePhone",
            Fax => "Fax",
            AlternateEmail => "AlternateEmailAddress",
            StreetAddress => "StreetAddress",
            City => "City",
            State => "State",
            PostalCode => "PostalCode",
            Name => "Name",
            GroupType => "GroupType",
            RequireSenderAuth => "RequireSenderAuthenticationEnabled",
            Members => "Members",
            Group => "Group",
            Member => "Member",
            MemberType => "MemberType",
            Identity => "Identity",
            ExchangeGuid => "ExchangeGuid",
            RecipientTypeDetails => "RecipientTypeDetails",
            ArchiveGuid => "ArchiveGuid",
            ArchiveStatus => "ArchiveStatus",
            LitigationHold => "LitigationHoldEnabled",
            ForwardingSmtpAddress => "ForwardingSmtpAddress",
            ForwardingAddress => "ForwardingAddress",
            DeliverToMailboxAndForward => "DeliverToMailboxAndForward",
            ProhibitSendQuota => "ProhibitSendQuota",
            MailboxGuid => "MailboxGuid",
            IsArchiveMailbox => "IsArchiveMailbox",
            TotalItemSize => "TotalItemSize",
            TotalDeletedItemSize => "TotalDeletedItemSize",
            ItemCount => "ItemCount",
            DeletedItemCount => "DeletedItemCount",
            User => "User",
            AccessRights => "AccessRights",
            ExtendedRights => "ExtendedRights",
            IsInherited => "IsInherited",
            Deny => "Deny",
            AutoMapping => "AutoMapping",
            ArchiveDatabase => "ArchiveDatabase",
            GrantSendOnBehalfTo => "GrantSendOnBehalfTo",
            LegacyExchangeDn => "LegacyExchangeDN",
            AccessControlType => "AccessControlType",
            ExternalEmail => "ExternalEmailAddress",
        }
    }

    /// Columns whose values must never be printed.
    pub fn is_secret(self) -> bool {
        self == Column::Password
    }
}

type Synonyms = &'static [(Column, &'static [&'static str])];

use Column as C;

static USERS: Synonyms = &[
    (
        C::Upn,
        &[
            "userprincipalname",
            "upn",
            "username",
            "signinname",
            "userlogonname",
        ],
    ),
    (C::FirstName, &["firstname", "givenname"]),
    (C::LastName, &["lastname", "surname", "sn", "familyname"]),
    (C::DisplayName, &["displayname", "name"]),
    (
        C::Password,
        &[
            "password",
            "initialpassword",
            "temporarypassword",
            "newpassword",
            "passwordprofile",
            "passwd",
            "pwd",
        ],
    ),
    (C::Alias, &["alias", "mailnickname", "nickname"]),
    (C::UsageLocation, &["usagelocation"]),
    (
        C::Country,
        &["countryorregion", "countryregion", "country", "co"],
    ),
    (
        C::PrimarySmtp,
        &[
            "primarysmtpaddress",
            "mail",
            "emailaddress",
            "windowsemailaddress",
            "email",
        ],
    ),
    (C::EmailAddresses, &["emailaddresses", "proxyaddresses"]),
    (
        C::LicenceSku,
        &[
            "licensesku",
            "licencesku",
            "license",
            "licence",
            "sku",
            "skupartnumber",
        ],
    ),
    (C::JobTitle, &["jobtitle", "title"]),
    (C::Department, &["department"]),
    (
        C::Office,
        &["officenumber", "office", "physicaldeliveryofficename"],
    ),
    (
        C::OfficePhone,
        &["officephone", "telephonenumber", "businessphone", "phone"],
    ),
    (C::MobilePhone, &["mobilephone", "mobile"]),
    (C::Fax, &["fax", "facsimiletelephonenumber"]),
    (C::AlternateEmail, &["alternateemailaddress", "othermails"]),
    (C::StreetAddress, &["address", "streetaddress"]),
    (C::City, &["city"]),
    (C::State, &["stateorprovince", "state"]),
    (C::PostalCode, &["ziporpostalcode", "postalcode", "zip"]),
];

static GROUPS: Synonyms = &[
    (
        C::Name,
        &["name", "groupname", "distributionlist", "distributiongroup"],
    ),
    (C::DisplayName, &["displayname"]),
    (C::Alias, &["alias", "mailnickname"]),
    (
        C::PrimarySmtp,
        &[
            "primarysmtpaddress",
            "address",
            "emailaddress",
            "mail",
            "smtpaddress",
            "email",
        ],
    ),
    (C::EmailAddresses, &["emailaddresses", "proxyaddresses"]),
    (
        C::GroupType,
        &["grouptype", "type", "recipienttypedetails", "recipienttype"],
    ),
    (
        C::RequireSenderAuth,
        &["requiresenderauthenticationenabled"],
    ),
    (C::Members, &["members"]),
    (C::Identity, &["identity"]),
    (C::LegacyExchangeDn, &["legacyexchangedn"]),
];

static MEMBERS: Synonyms = &[
    (
        C::Group,
        &[
            "group",
            "dl",
            "distributionlist",
            "distributiongroup",
            // DL membership reports: `GroupName, GroupEmail, MemberName, MemberEmail, ...`.
            "groupemail",
            "groupemailaddress",
            "groupprimarysmtpaddress",
            "groupname",
            "groupidentity",
            "groupaddress",
            "groupsmtpaddress",
            "identity",
        ],
    ),
    (
        C::Member,
        &[
            "member",
            "memberaddress",
            "membersmtpaddress",
            "primarysmtpaddress",
            "emailaddress",
            "userprincipalname",
            "memberidentity",
            "memberemail",
            "memberemailaddress",
            "memberprimarysmtpaddress",
            "memberupn",
            "memberuserprincipalname",
            "user",
            "alias",
            "memberalias",
            "membername",
            "memberdisplayname",
        ],
    ),
    (
        C::MemberType,
        &[
            "membertype",
            "recipienttype",
            "recipienttypedetails",
            "type",
        ],
    ),
];

static MAILBOXES: Synonyms = &[
    // Get-Mailbox's DistinguishedName names the mailbox as well as its Identity does.
    (C::Identity, &["identity", "distinguishedname"]),
    (C::Alias, &["alias", "mailnickname"]),
    (C::DisplayName, &["displayname"]),
    (
        C::PrimarySmtp,
        &["primarysmtpaddress", "windowsemailaddress", "mail"],
    ),
    (C::Upn, &["userprincipalname", "upn"]),
    (C::ExchangeGuid, &["exchangeguid"]),
    (
        C::RecipientTypeDetails,
        &["recipienttypedetails", "recipienttype"],
    ),
    (C::EmailAddresses, &["emailaddresses", "proxyaddresses"]),
    (C::ArchiveGuid, &["archiveguid"]),
    (C::ArchiveStatus, &["archivestatus"]),
    (C::LitigationHold, &["litigationholdenabled"]),
    (C::ForwardingSmtpAddress, &["forwardingsmtpaddress"]),
    (C::ForwardingAddress, &["forwardingaddress"]),
    (
        C::DeliverToMailboxAndForward,
        &["delivertomailboxandforward"],
    ),
    (C::ProhibitSendQuota, &["prohibitsendquota"]),
    (C::ArchiveDatabase, &["archivedatabase", "archivename"]),
    (C::GrantSendOnBehalfTo, &["grantsendonbehalfto"]),
    (C::Name, &["name", "samaccountname"]),
    (C::LegacyExchangeDn, &["legacyexchangedn"]),
];

static STATS: Synonyms = &[
    (C::MailboxGuid, &["mailboxguid", "exchangeguid", "guid"]),
    (
        C::Identity,
        &[
            "identity",
            "mailbox",
            "primarysmtpaddress",
            "userprincipalname",
            "alias",
        ],
    ),
    (C::DisplayName, &["displayname"]),
    (C::IsArchiveMailbox, &["isarchivemailbox"]),
    // Also the Microsoft 365 admin center's mailbox usage report (plain byte counts).
    (C::TotalItemSize, &["totalitemsize", "storageusedbyte"]),
    (
        C::TotalDeletedItemSize,
        &["totaldeleteditemsize", "deleteditemsizebyte"],
    ),
    (C::ItemCount, &["itemcount"]),
    (C::DeletedItemCount, &["deleteditemcount"]),
];

static PERMISSIONS: Synonyms = &[
    // FullAccess reports name the mailbox by its address and the holder `ObjectWithAccess`.
    (
        C::Identity,
        &[
            "identity",
            "mailbox",
            "userprincipalname",
            "primarysmtpaddress",
            "mailboxupn",
            "mailboxaddress",
            "mailboxidentity",
        ],
    ),
    (
        C::User,
        &[
            "user",
            "trustee",
            "objectwithaccess",
            "delegate",
            "grantedto",
            "accessgrantedto",
        ],
    ),
    (
        C::AccessRights,
        &[
            "accessrights",
            "accesstype",
            "permission",
            "permissions",
            "rights",
        ],
    ),
    (C::ExtendedRights, &["extendedrights"]),
    (C::IsInherited, &["isinherited"]),
    (C::Deny, &["deny"]),
    (C::AutoMapping, &["automapping"]),
    (C::AccessControlType, &["accesscontroltype"]),
    (C::GrantSendOnBehalfTo, &["grantsendonbehalfto"]),
];

static CONTACTS: Synonyms = &[
    (C::Name, &["name"]),
    (C::DisplayName, &["displayname"]),
    (C::Alias, &["alias", "mailnickname"]),
    (
        C::ExternalEmail,
        &["externalemailaddress", "targetaddress", "externaladdress"],
    ),
    (
        C::PrimarySmtp,
        &["primarysmtpaddress", "windowsemailaddress", "mail"],
    ),
    (C::EmailAddresses, &["emailaddresses", "proxyaddresses"]),
    (C::LegacyExchangeDn, &["legacyexchangedn"]),
];

fn synonyms(kind: FileKind) -> Synonyms {
    match kind {
        FileKind::Users => USERS,
        FileKind::Groups => GROUPS,
        FileKind::Members => MEMBERS,
        FileKind::Mailboxes => MAILBOXES,
        FileKind::MailboxStats => STATS,
        FileKind::Permissions => PERMISSIONS,
        FileKind::Contacts => CONTACTS,
    }
}

/// The most columns a file may have: Excel's limit (16,384). A wider header is not an export
/// of anything cutover reads, and its rows are not checked.
pub const MAX_COLUMNS: usize = 16_384;

/// Columns a file of this kind cannot do without: each entry is satisfied by any one of its
/// columns (a mailbox inventory may name mailboxes by alias or address instead of Identity).
pub fn required(kind: FileKind) -> &'static [&'static [Column]] {
    match kind {
        FileKind::Users => &[&[C::Upn], &[C::DisplayName]],
        FileKind::Groups => &[&[C::Name]],
        FileKind::Members => &[&[C::Group], &[C::Member]],
        FileKind::Mailboxes => &[&[
            C::Identity,
            C::PrimarySmtp,
            C::Upn,
            C::Alias,
            C::ExchangeGuid,
            C::Name,
        ]],
        FileKind::MailboxStats => &[&[C::TotalItemSize]],
        FileKind::Permissions => &[&[C::Identity], &[C::User]],
        // New-MailContact needs both.
        FileKind::Contacts => &[&[C::Name], &[C::ExternalEmail]],
    }
}

/// The required columns a header lacks, each as `Name` or `one of A, B, C`.
pub fn missing_required(kind: FileKind, header: &Header) -> Vec<String> {
    required(kind)
        .iter()
        .filter(|any| !any.iter().any(|c| header.has(*c)))
        .map(|any| describe_any(any))
        .collect()
}

fn describe_any(any: &[Column]) -> String {
    match any {
        [one] => one.canonical().to_string(),
        _ => format!(
            "one of {}",
            any.iter()
                .map(|c| c.canonical())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The headers cutover writes for a kind (`init` templates, synthetic tenants, exports).
pub fn canonical_headers(kind: FileKind) -> &'static [Column] {
    match kind {
        FileKind::Users => &[
            C::Upn,
            C::FirstName,
            C::LastName,
            C::DisplayName,
            C::Alias,
            C::UsageLocation,
            C::EmailAddresses,
            C::Password,
        ],
        FileKind::Groups => &[
            C::Name,
            C::DisplayName,
            C::Alias,
            C::PrimarySmtp,
            C::EmailAddresses,
            C::GroupType,
            C::RequireSenderAuth,
            C::LegacyExchangeDn,
        ],
        FileKind::Members => &[C::Group, C::Member, C::MemberType],
        FileKind::Mailboxes => &[
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
            C::LitigationHold,
            C::ForwardingSmtpAddress,
            C::ForwardingAddress,
            C::DeliverToMailboxAndForward,
            C::ProhibitSendQuota,
            C::LegacyExchangeDn,
        ],
        FileKind::MailboxStats => &[
            C::MailboxGuid,
            C::DisplayName,
            C::IsArchiveMailbox,
            C::TotalItemSize,
            C::TotalDeletedItemSize,
            C::ItemCount,
            C::DeletedItemCount,
        ],
        FileKind::Permissions => &[
            C::Identity,
            C::User,
            C::AccessRights,
            C::ExtendedRights,
            C::IsInherited,
            C::Deny,
        ],
        FileKind::Contacts => &[
            C::Name,
            C::DisplayName,
            C::Alias,
            C::ExternalEmail,
            C::PrimarySmtp,
            C::EmailAddresses,
            C::LegacyExchangeDn,
        ],
    }
}

/// Columns that, all present, mark a file as this kind (any one alternative suffices).
fn signatures(kind: FileKind) -> &'static [&'static [Column]] {
    match kind {
        FileKind::Users => &[&[C::Upn]],
        FileKind::Groups => &[&[C::Name]],
        FileKind::Members => &[&[C::Group, C::Member]],
        // Properties only a mailbox has: Get-User and Get-Recipient exports also carry
        // Identity and RecipientTypeDetails, and are not mailbox exports.
        FileKind::Mailboxes => &[
            &[C::ExchangeGuid],
            &[C::ArchiveGuid],
            &[C::ArchiveStatus],
            &[C::ArchiveDatabase],
            &[C::LitigationHold],
            &[C::ProhibitSendQuota],
            &[C::ForwardingSmtpAddress],
            &[C::DeliverToMailboxAndForward],
        ],
        FileKind::MailboxStats => &[&[C::TotalItemSize], &[C::ItemCount]],
        FileKind::Permissions => &[&[C::User, C::AccessRights], &[C::User, C::ExtendedRights]],
        // Only a contact has an outside address of its own.
        FileKind::Contacts => &[&[C::ExternalEmail]],
    }
}

/// Signatures that decide only when no kind's own signature matches: a mailbox inventory
/// (`Alias, DisplayName, RecipientTypeDetails`) carries nothing only a mailbox has, but no other
/// kind claims it either.
fn weak_signatures(kind: FileKind) -> &'static [&'static [Column]] {
    match kind {
        FileKind::Mailboxes => &[&[C::Alias, C::RecipientTypeDetails]],
        _ => &[],
    }
}

/// Lower-cases and keeps only letters and digits; `Name [displayName] Required` (Entra bulk
/// template) becomes `displayname`, `Storage Used (Byte)` `storageusedbyte`.
pub fn normalise(header: &str) -> String {
    let h = header.trim();
    let h = match (h.find('['), h.find(']')) {
        (Some(a), Some(b)) if a < b => &h[a + 1..b],
        _ => h,
    };
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a header names a password, in a file of any kind (or of none): such a column's
/// values are never shown.
pub fn is_secret_header(header: &str) -> bool {
    let n = normalise(header);
    USERS
        .iter()
        .any(|(c, names)| c.is_secret() && names.contains(&n.as_str()))
}

/// The column a header names in a kind, and the synonym's rank (0: the best name).
fn lookup_ranked(kind: FileKind, normalised: &str) -> Option<(Column, usize)> {
    synonyms(kind).iter().find_map(|(c, names)| {
        names
            .iter()
            .position(|n| *n == normalised)
            .map(|rank| (*c, rank))
    })
}

pub fn lookup(kind: FileKind, header: &str) -> Option<Column> {
    lookup_ranked(kind, &normalise(header)).map(|(c, _)| c)
}

/// What the headers say about a file's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inference {
    Kind(FileKind),
    /// Several kinds fit equally well.
    Ambiguous(Vec<FileKind>),
    Unknown,
}

/// The kind whose signature the headers carry, preferring the one that explains most headers,
/// then the one whose signature is the most specific (`Group` + `Member` over `Name`).
pub fn infer<S: AsRef<str>>(headers: &[S]) -> Inference {
    let mut scored: Vec<((usize, usize), FileKind)> = Vec::new();
    for weak in [false, true] {
        for kind in FileKind::ALL {
            let cols: Vec<Column> = headers
                .iter()
                .filter_map(|h| lookup(kind, h.as_ref()))
                .collect();
            let sigs = if weak {
                weak_signatures(kind)
            } else {
                signatures(kind)
            };
            let signature = sigs
                .iter()
                .filter(|sig| sig.iter().all(|c| cols.contains(c)))
                .map(|sig| sig.len())
                .max();
            if let Some(sig) = signature {
                scored.push(((cols.len(), sig), kind));
            }
        }
        if !scored.is_empty() {
            break;
        }
    }
    let Some(best) = scored.iter().map(|(s, _)| *s).max() else {
        return Inference::Unknown;
    };
    let kinds: Vec<FileKind> = scored
        .into_iter()
        .filter(|(s, _)| *s == best)
        .map(|(_, k)| k)
        .collect();
    match kinds.as_slice() {
        [k] => Inference::Kind(*k),
        _ => Inference::Ambiguous(kinds),
    }
}

/// The kind that comes closest when none fits: the one that recognises most headers (in
/// `FileKind::ALL` order on a tie), with the columns it would still need. `None` when no kind
/// recognises any header.
pub fn closest<S: AsRef<str>>(headers: &[S]) -> Option<(FileKind, Vec<String>)> {
    let mut best: Option<(usize, FileKind, Vec<Column>)> = None;
    for kind in FileKind::ALL {
        let cols: Vec<Column> = headers
            .iter()
            .filter_map(|h| lookup(kind, h.as_ref()))
            .collect();
        if cols.is_empty() || best.as_ref().is_some_and(|(n, _, _)| *n >= cols.len()) {
            continue;
        }
        best = Some((cols.len(), kind, cols));
    }
    let (_, kind, cols) = best?;
    let mut lacks: Vec<String> = Vec::new();
    // The signature it is nearest to completing, then the required columns.
    let nearest = signatures(kind)
        .iter()
        .min_by_key(|sig| sig.iter().filter(|c| !cols.contains(c)).count());
    if let Some(sig) = nearest {
        lacks.extend(
            sig.iter()
                .filter(|c| !cols.contains(c))
                .map(|c| c.canonical().to_string()),
        );
    }
    for any in required(kind) {
        let d = describe_any(any);
        if !any.iter().any(|c| cols.contains(c)) && !lacks.contains(&d) {
            lacks.push(d);
        }
    }
    Some((kind, lacks))
}

/// The kind the headers name, `None` when none or several fit.
pub fn infer_kind<S: AsRef<str>>(headers: &[S]) -> Option<FileKind> {
    match infer(headers) {
        Inference::Kind(k) => Some(k),
        Inference::Ambiguous(_) | Inference::Unknown => None,
    }
}

/// A file's header row resolved against its kind.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// Header names as written (trimmed).
    pub names: Vec<String>,
    /// The column each position maps to (`None`: not a column cutover reads).
    pub columns: Vec<Option<Column>>,
    /// Per column, the positions naming it, best synonym first (`RecipientTypeDetails`
    /// before `RecipientType`); a row's value is the first non-blank one.
    positions: Vec<Vec<usize>>,
    /// Later positions repeating an earlier header name: (position, first).
    pub duplicates: Vec<(usize, usize)>,
    /// Header cells written with leading or trailing white space, as written: Import-Csv keeps
    /// it in the property name, so `$row.Name` is `$null`.
    pub padded: Vec<(usize, String)>,
    /// Line the header row is on.
    pub line: u64,
}

impl Header {
    pub fn new(names: Vec<String>, kind: Option<FileKind>, line: u64) -> Header {
        let normalised: Vec<String> = names.iter().map(|n| normalise(n)).collect();
        let mut ranked: Vec<Vec<(usize, usize)>> = vec![Vec::new(); Column::COUNT];
        let mut columns = Vec::with_capacity(names.len());
        let mut duplicates = Vec::new();
        // First position of each name: one pass, so a header of a million columns stays linear.
        let mut seen: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::with_capacity(normalised.len().min(MAX_COLUMNS));
        for (i, n) in normalised.iter().enumerate() {
            // Only the same name twice is a duplicate; two synonyms of one column (Exchange
            // exports carry `PrimarySmtpAddress` and `WindowsEmailAddress`) are alternatives.
            let first = if n.is_empty() {
                None
            } else {
                match seen.entry(n.as_str()) {
                    std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(i);
                        None
                    }
                }
            };
            if let Some(first) = first {
                duplicates.push((i, first));
            }
            let col = kind.and_then(|k| lookup_ranked(k, n));
            if let (Some((c, rank)), None) = (col, first) {
                if let Some(slot) = ranked.get_mut(c as usize) {
                    slot.push((rank, i));
                }
            }
            columns.push(col.map(|(c, _)| c));
        }
        let positions = ranked
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.into_iter().map(|(_, i)| i).collect()
            })
            .collect();
        Header {
            names,
            columns,
            positions,
            duplicates,
            padded: Vec::new(),
            line,
        }
    }

    /// The position of a column's best-named header.
    pub fn position(&self, c: Column) -> Option<usize> {
        self.positions_of(c).first().copied()
    }

    /// Every position naming a column, best synonym first.
    pub fn positions_of(&self, c: Column) -> &[usize] {
        self.positions.get(c as usize).map_or(&[], Vec::as_slice)
    }

    pub fn has(&self, c: Column) -> bool {
        self.position(c).is_some()
    }

    /// The header as the file wrote it for a column (falls back to the canonical name).
    pub fn name_of(&self, c: Column) -> &str {
        self.position(c)
            .and_then(|i| self.names.get(i))
            .map_or(c.canonical(), String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playbook_headers_infer_their_kinds() {
        let users = [
            "UserPrincipalName",
            "FirstName",
            "LastName",
            "DisplayName",
            "Password",
        ];
        assert_eq!(infer_kind(&users), Some(FileKind::Users));
        assert_eq!(infer_kind(&["Name", "Address"]), Some(FileKind::Groups));
        assert_eq!(infer_kind(&["DL", "Alias"]), Some(FileKind::Members));
        assert_eq!(infer_kind(&["Foo", "Bar"]), None);
    }

    #[test]
    fn admin_center_template_is_users_with_country() {
        let t = "User Name,First Name,Last Name,Display Name,Job Title,Department,Office Number,Office Phone,Mobile Phone,Fax,Alternate email address,Address,City,State or Province,ZIP or Postal Code,Country or Region";
        let names: Vec<&str> = t.split(',').collect();
        assert_eq!(names.len(), 16);
        assert_eq!(infer_kind(&names), Some(FileKind::Users));
        let h = Header::new(
            names.iter().map(|s| s.to_string()).collect(),
            Some(FileKind::Users),
            1,
        );
        assert!(h.columns.iter().all(Option::is_some), "{:?}", h.columns);
        assert_eq!(h.position(Column::Country), Some(15));
        assert_eq!(h.name_of(Column::Upn), "User Name");
        let fifteen: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| *n != "Alternate email address")
            .collect();
        assert_eq!(infer_kind(&fifteen), Some(FileKind::Users));
    }

    #[test]
    fn export_layouts_infer_their_kinds() {
        for kind in FileKind::ALL {
            let names: Vec<&str> = canonical_headers(kind)
                .iter()
                .map(|c| c.canonical())
                .collect();
            assert_eq!(infer_kind(&names), Some(kind), "{names:?}");
        }
        let mbx = "Identity,Alias,DisplayName,PrimarySmtpAddress,UserPrincipalName,ExchangeGuid,RecipientTypeDetails,EmailAddresses,ArchiveGuid,ArchiveStatus,LitigationHoldEnabled,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward,ProhibitSendQuota";
        let v: Vec<&str> = mbx.split(',').collect();
        assert_eq!(infer_kind(&v), Some(FileKind::Mailboxes));
        let stats = "MailboxGuid,DisplayName,IsArchiveMailbox,TotalItemSize,TotalDeletedItemSize,ItemCount,DeletedItemCount";
        let v: Vec<&str> = stats.split(',').collect();
        assert_eq!(infer_kind(&v), Some(FileKind::MailboxStats));
        let perms = "Identity,User,AccessRights,ExtendedRights,IsInherited,Deny";
        let v: Vec<&str> = perms.split(',').collect();
        assert_eq!(infer_kind(&v), Some(FileKind::Permissions));
        let groups = "Name,DisplayName,Alias,PrimarySmtpAddress,EmailAddresses,GroupType,RequireSenderAuthenticationEnabled";
        let v: Vec<&str> = groups.split(',').collect();
        assert_eq!(infer_kind(&v), Some(FileKind::Groups));
        assert_eq!(
            infer_kind(&["Group", "Member", "MemberType"]),
            Some(FileKind::Members)
        );
    }

    /// Header rows of real exports and templates, and the kind each must be read as.
    const REAL_EXPORTS: &[(&str, &str, Option<FileKind>)] = &[
        (
            "Get-Mailbox",
            "Name,Alias,DisplayName,PrimarySmtpAddress,WindowsEmailAddress,UserPrincipalName,RecipientType,RecipientTypeDetails,ExchangeGuid,Identity,EmailAddresses,ArchiveGuid,ArchiveStatus,ArchiveDatabase,LitigationHoldEnabled,ForwardingAddress,ForwardingSmtpAddress,DeliverToMailboxAndForward,GrantSendOnBehalfTo,ProhibitSendQuota",
            Some(FileKind::Mailboxes),
        ),
        (
            "Get-Mailbox, own selection",
            "Name,Alias,DisplayName,PrimarySmtpAddress,RecipientTypeDetails,ForwardingSmtpAddress,LitigationHoldEnabled,ArchiveDatabase,GrantSendOnBehalfTo",
            Some(FileKind::Mailboxes),
        ),
        (
            "Get-DistributionGroup",
            "Name,Alias,DisplayName,PrimarySmtpAddress,EmailAddresses,GroupType,RecipientType,RecipientTypeDetails,RequireSenderAuthenticationEnabled,Identity",
            Some(FileKind::Groups),
        ),
        (
            "Get-DistributionGroupMember joined with its group",
            "Group,Name,Alias,PrimarySmtpAddress,RecipientType",
            Some(FileKind::Members),
        ),
        (
            "Get-MailboxStatistics",
            "DisplayName,MailboxGuid,ItemCount,TotalItemSize,TotalDeletedItemSize,DeletedItemCount,IsArchiveMailbox,LastLogonTime,Database",
            Some(FileKind::MailboxStats),
        ),
        (
            "admin center mailbox usage report",
            "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Created Date,Last Activity Date,Item Count,Storage Used (Byte),Issue Warning Quota (Byte),Prohibit Send Quota (Byte),Prohibit Send/Receive Quota (Byte),Deleted Item Count,Deleted Item Size (Byte),Report Period",
            Some(FileKind::MailboxStats),
        ),
        (
            "Get-MailboxPermission",
            "Identity,User,AccessRights,IsInherited,Deny",
            Some(FileKind::Permissions),
        ),
        (
            "Get-RecipientPermission",
            "Identity,Trustee,AccessControlType,AccessRights,IsInherited,InheritanceType",
            Some(FileKind::Permissions),
        ),
        (
            "Get-ADPermission",
            "Identity,User,Deny,AccessRights,ExtendedRights,IsInherited,Properties,ChildObjectTypes,InheritedObjectType,InheritanceType",
            Some(FileKind::Permissions),
        ),
        (
            "permissions joined (User + Trustee)",
            "Identity,User,Trustee,AccessRights,ExtendedRights,IsInherited,Deny,AccessControlType",
            Some(FileKind::Permissions),
        ),
        (
            "Get-User",
            "Identity,Name,Alias,FirstName,LastName,DisplayName,UserPrincipalName,WindowsEmailAddress,RecipientType,RecipientTypeDetails,Department,Title,City,CountryOrRegion",
            Some(FileKind::Users),
        ),
        (
            "Get-User with a mailbox's addresses",
            "Identity,Name,Alias,GivenName,Surname,DisplayName,PrimarySmtpAddress,WindowsEmailAddress,EmailAddresses,UserPrincipalName,RecipientType,RecipientTypeDetails",
            Some(FileKind::Users),
        ),
        (
            "admin-center template",
            "User Name,First Name,Last Name,Display Name,Job Title,Department,Office Number,Office Phone,Mobile Phone,Fax,Alternate email address,Address,City,State or Province,ZIP or Postal Code,Country or Region",
            Some(FileKind::Users),
        ),
        (
            "playbook users",
            "UserPrincipalName,FirstName,LastName,DisplayName,Password",
            Some(FileKind::Users),
        ),
        ("playbook DLs", "Name,Address", Some(FileKind::Groups)),
        ("playbook members", "DL,Alias", Some(FileKind::Members)),
        ("unknown", "Login,Password", None),
    ];

    #[test]
    fn real_export_headers_infer_their_kinds() {
        for (what, header, want) in REAL_EXPORTS {
            let names: Vec<&str> = header.split(',').collect();
            assert_eq!(infer_kind(&names), *want, "{what}");
            let Some(kind) = want else { continue };
            let h = Header::new(names.iter().map(|n| n.to_string()).collect(), *want, 1);
            assert_eq!(h.duplicates, [], "{what}: synonyms are not duplicates");
            assert!(h.columns.iter().any(Option::is_some), "{what} as {kind}");
        }
    }

    #[test]
    fn synonyms_that_are_different_columns_prefer_the_better_one() {
        let names = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        let h = Header::new(
            names("RecipientType,RecipientTypeDetails,WindowsEmailAddress,PrimarySmtpAddress"),
            Some(FileKind::Mailboxes),
            1,
        );
        assert_eq!(h.position(Column::RecipientTypeDetails), Some(1));
        assert_eq!(h.position(Column::PrimarySmtp), Some(3));
        let h = Header::new(
            names("GroupType,RecipientType,RecipientTypeDetails"),
            Some(FileKind::Groups),
            1,
        );
        assert_eq!(h.positions_of(Column::GroupType), [0, 2, 1]);
        // A member is read by its address before its alias.
        let h = Header::new(
            names("Group,Name,Alias,PrimarySmtpAddress,RecipientType"),
            Some(FileKind::Members),
            1,
        );
        assert_eq!(h.positions_of(Column::Member), [3, 2]);
    }

    #[test]
    fn an_exact_tie_is_ambiguous() {
        // `Name` signs a groups file and `ItemCount` a statistics file, one header each.
        let Inference::Ambiguous(mut kinds) = infer(&["Name", "ItemCount"]) else {
            panic!("not ambiguous");
        };
        kinds.sort_by_key(|k| k.to_string());
        assert_eq!(kinds, [FileKind::Groups, FileKind::MailboxStats]);
        assert_eq!(infer_kind(&["Name", "ItemCount"]), None);
        let r = crate::rules::testing::lint_one(b"Name,ItemCount\nx,1\n");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code, "F005");
        assert!(r[0].message.contains("several kinds"), "{}", r[0].message);
    }

    #[test]
    fn headers_are_trimmed_case_insensitive_and_bracketed_names_work() {
        assert_eq!(
            lookup(FileKind::Users, "  user_principal_NAME "),
            Some(Column::Upn)
        );
        assert_eq!(
            lookup(FileKind::Users, "Name [displayName] Required"),
            Some(Column::DisplayName)
        );
        assert_eq!(
            lookup(FileKind::Users, "User name [userPrincipalName] Required"),
            Some(Column::Upn)
        );
    }

    #[test]
    fn duplicate_columns_are_recorded() {
        let h = Header::new(
            vec![
                "UPN".into(),
                "UserPrincipalName".into(),
                "X".into(),
                "x".into(),
            ],
            Some(FileKind::Users),
            1,
        );
        // Two synonyms of one column are alternatives (best name first), not duplicates;
        // the same name twice is.
        assert_eq!(h.duplicates, vec![(3, 2)]);
        assert_eq!(h.positions_of(Column::Upn), [1, 0]);
        assert_eq!(h.position(Column::Upn), Some(1));
        let h = Header::new(
            vec!["DisplayName".into(), "Display Name".into()],
            Some(FileKind::Users),
            1,
        );
        assert_eq!(h.duplicates, vec![(1, 0)]);
        assert_eq!(h.positions_of(Column::DisplayName), [0]);
    }
}
