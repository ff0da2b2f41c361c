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
}

impl Column {
    pub const COUNT: usize = Column::AutoMapping as usize + 1;

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
    (C::DisplayName, &["displayname"]),
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
];

static MEMBERS: Synonyms = &[
    (
        C::Group,
        &[
            "group",
            "dl",
            "distributionlist",
            "distributiongroup",
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
            "alias",
            "memberaddress",
            "membersmtpaddress",
            "primarysmtpaddress",
            "memberidentity",
            "user",
            "userprincipalname",
            "emailaddress",
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
    (C::Identity, &["identity"]),
    (C::Alias, &["alias"]),
    (C::DisplayName, &["displayname"]),
    (
        C::PrimarySmtp,
        &["primarysmtpaddress", "windowsemailaddress"],
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
];

static STATS: Synonyms = &[
    (C::MailboxGuid, &["mailboxguid", "guid", "exchangeguid"]),
    (C::Identity, &["identity", "mailbox"]),
    (C::DisplayName, &["displayname"]),
    (C::IsArchiveMailbox, &["isarchivemailbox"]),
    (C::TotalItemSize, &["totalitemsize"]),
    (C::TotalDeletedItemSize, &["totaldeleteditemsize"]),
    (C::ItemCount, &["itemcount"]),
    (C::DeletedItemCount, &["deleteditemcount"]),
];

static PERMISSIONS: Synonyms = &[
    (C::Identity, &["identity", "mailbox"]),
    (C::User, &["user", "trustee"]),
    (C::AccessRights, &["accessrights"]),
    (C::ExtendedRights, &["extendedrights"]),
    (C::IsInherited, &["isinherited"]),
    (C::Deny, &["deny"]),
    (C::AutoMapping, &["automapping"]),
];

fn synonyms(kind: FileKind) -> Synonyms {
    match kind {
        FileKind::Users => USERS,
        FileKind::Groups => GROUPS,
        FileKind::Members => MEMBERS,
        FileKind::Mailboxes => MAILBOXES,
        FileKind::MailboxStats => STATS,
        FileKind::Permissions => PERMISSIONS,
    }
}

/// Columns a file of this kind cannot do without.
pub fn required(kind: FileKind) -> &'static [Column] {
    match kind {
        FileKind::Users => &[C::Upn, C::DisplayName],
        FileKind::Groups => &[C::Name],
        FileKind::Members => &[C::Group, C::Member],
        FileKind::Mailboxes => &[C::Identity],
        FileKind::MailboxStats => &[C::TotalItemSize],
        FileKind::Permissions => &[C::Identity, C::User],
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
    }
}

/// Columns that, all present, mark a file as this kind (any one alternative suffices).
fn signatures(kind: FileKind) -> &'static [&'static [Column]] {
    match kind {
        FileKind::Users => &[&[C::Upn]],
        FileKind::Groups => &[&[C::Name]],
        FileKind::Members => &[&[C::Group, C::Member]],
        FileKind::Mailboxes => &[
            &[C::Identity, C::ExchangeGuid],
            &[C::Identity, C::RecipientTypeDetails],
        ],
        FileKind::MailboxStats => &[&[C::TotalItemSize], &[C::ItemCount]],
        FileKind::Permissions => &[&[C::User, C::AccessRights], &[C::User, C::ExtendedRights]],
    }
}

/// Lower-cases and drops separators; `Name [displayName] Required` (Entra bulk template)
/// becomes `displayname`.
pub fn normalise(header: &str) -> String {
    let h = header.trim();
    let h = match (h.find('['), h.find(']')) {
        (Some(a), Some(b)) if a < b => &h[a + 1..b],
        _ => h,
    };
    h.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\u{a0}'))
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

pub fn lookup(kind: FileKind, header: &str) -> Option<Column> {
    let n = normalise(header);
    synonyms(kind)
        .iter()
        .find(|(_, names)| names.contains(&n.as_str()))
        .map(|(c, _)| *c)
}

/// The kind whose signature the headers carry, preferring the one that explains most headers.
pub fn infer_kind<S: AsRef<str>>(headers: &[S]) -> Option<FileKind> {
    let mut best: Option<(usize, FileKind)> = None;
    for kind in FileKind::ALL {
        let cols: Vec<Column> = headers
            .iter()
            .filter_map(|h| lookup(kind, h.as_ref()))
            .collect();
        let signed = signatures(kind)
            .iter()
            .any(|sig| sig.iter().all(|c| cols.contains(c)));
        if signed && best.map_or(true, |(n, _)| cols.len() > n) {
            best = Some((cols.len(), kind));
        }
    }
    best.map(|(_, k)| k)
}

/// A file's header row resolved against its kind.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// Header names as written (trimmed).
    pub names: Vec<String>,
    /// The column each position maps to (`None`: not a column cutover reads).
    pub columns: Vec<Option<Column>>,
    index: Vec<Option<usize>>,
    /// Later positions whose column was already named by an earlier one: (position, first).
    pub duplicates: Vec<(usize, usize)>,
    /// Line the header row is on.
    pub line: u64,
}

impl Header {
    pub fn new(names: Vec<String>, kind: Option<FileKind>, line: u64) -> Header {
        let mut index = vec![None; Column::COUNT];
        let mut columns = Vec::with_capacity(names.len());
        let mut duplicates = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let col = kind.and_then(|k| lookup(k, name));
            if let Some(c) = col {
                match index[c as usize] {
                    Some(first) => duplicates.push((i, first)),
                    None => index[c as usize] = Some(i),
                }
            } else if let Some(first) = names[..i]
                .iter()
                .position(|n| normalise(n) == normalise(name) && !n.trim().is_empty())
            {
                duplicates.push((i, first));
            }
            columns.push(col);
        }
        Header {
            names,
            columns,
            index,
            duplicates,
            line,
        }
    }

    pub fn position(&self, c: Column) -> Option<usize> {
        self.index.get(c as usize).copied().flatten()
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
        assert_eq!(h.duplicates, vec![(1, 0), (3, 2)]);
        assert_eq!(h.position(Column::Upn), Some(0));
    }
}
