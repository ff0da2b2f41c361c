//! The steps a bundle can hold: where each runs, in which shell, against which target.
//! Ids are fixed per kind (`07-users` is always the users step), so a resumed run, an ops
//! file and a reviewer's notes keep meaning the same thing across bundles.

use serde::Serialize;

use crate::bundle::manifest::{
    PHASE_MIGRATE, PHASE_NOTICES, PHASE_POST_CUTOVER, RUNS_ON_JUMP_BOX, RUNS_ON_SOURCE,
};
use crate::project::{IdentityMode, SourceVersion};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    Preflight,
    PreflightExchange,
    StateExport,
    SourceImpersonation,
    SourceThrottling,
    SourceExport,
    Domains,
    Users,
    UsersVerify,
    Licences,
    MailboxesVerify,
    SharedMailboxes,
    SharedMailboxesVerify,
    /// Synced shared, room and equipment mailboxes: licence the synced user (Graph), convert the
    /// mailbox licensing made (Exchange Online), then take the licence back (Graph).
    SharedMailboxesLicence,
    SharedMailboxesConvert,
    SharedMailboxesUnlicence,
    Aliases,
    Groups,
    GroupAliases,
    Contacts,
    Members,
    Limits,
    Permissions,
    DnsRecords,
    MailFlow,
    MailFilter,
    NoticesSend,
    /// MigrationWiz (BitTitan's module, Windows PowerShell 5.1 on the jump box).
    MwProject,
    MwVerify,
    MwPrestage,
    MwStatus,
    MwFull,
    /// Microsoft's own migration (Exchange Online's migration batches).
    NativeEndpoint,
    NativeBatch,
    NativeStart,
    NativeStatus,
    NativeComplete,
    SourceThrottlingRevert,
    SourceImpersonationRevert,
}

pub const JUMP_BOX_SHELL: &str = "pwsh-7";
/// BitTitan's module needs Windows PowerShell 5.1: the MigrationWiz steps run there, by hand
/// on the jump box (like the source-server steps), and their results are imported.
pub const WINDOWS_POWERSHELL_SHELL: &str = crate::bundle::manifest::SHELL_WINDOWS_POWERSHELL;
/// The manifest target (and catalog environment) of the MigrationWiz steps.
pub const BITTITAN_TARGET: &str = "bittitan";

/// Where and how one step runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepPlace {
    pub target: &'static str,
    pub runs_on: &'static str,
    pub shell: &'static str,
}

impl StepKind {
    pub fn id(self) -> &'static str {
        match self {
            StepKind::Preflight => "01-preflight",
            StepKind::PreflightExchange => "00-preflight-exchange",
            StepKind::StateExport => "02-state-export",
            StepKind::SourceImpersonation => "03-source-impersonation",
            StepKind::SourceThrottling => "04-source-throttling",
            StepKind::SourceExport => "05-source-export",
            StepKind::Domains => "06-domains",
            StepKind::Users => "07-users",
            StepKind::UsersVerify => "07-users-verify",
            StepKind::Licences => "08-licences",
            StepKind::MailboxesVerify => "09-mailboxes-verify",
            StepKind::SharedMailboxes => "10-shared-mailboxes",
            StepKind::SharedMailboxesVerify => "10-shared-mailboxes-verify",
            StepKind::SharedMailboxesLicence => "10-shared-mailboxes-1-licence",
            StepKind::SharedMailboxesConvert => "10-shared-mailboxes-2-convert",
            StepKind::SharedMailboxesUnlicence => "10-shared-mailboxes-3-unlicence",
            StepKind::Aliases => "11-aliases",
            StepKind::Groups => "12-groups",
            StepKind::GroupAliases => "13-groups-aliases",
            StepKind::Contacts => "14-contacts",
            StepKind::Members => "15-members",
            StepKind::Limits => "16-limits",
            StepKind::Permissions => "17-permissions",
            StepKind::DnsRecords => "18-dns-records",
            StepKind::MailFlow => "19-mail-flow",
            StepKind::MailFilter => "20-mail-filter",
            StepKind::NoticesSend => "21-notices-send",
            // 3x: the mailbox migration, after every recipient exists (one engine per bundle,
            // so the two engines share the numbers); 80: its last pass after the MX change,
            // before the 9x reverts take the migration account's source access away.
            StepKind::MwProject => "30-mw-project",
            StepKind::MwVerify => "31-mw-verify",
            StepKind::MwPrestage => "32-mw-prestage",
            StepKind::MwStatus => "33-mw-status",
            StepKind::MwFull => "80-mw-full",
            StepKind::NativeEndpoint => "30-migration-endpoint",
            StepKind::NativeBatch => "31-migration-batch",
            StepKind::NativeStart => "32-migration-start",
            StepKind::NativeStatus => "33-migration-status",
            StepKind::NativeComplete => "80-migration-complete",
            StepKind::SourceThrottlingRevert => "90-source-throttling-revert",
            StepKind::SourceImpersonationRevert => "91-source-impersonation-revert",
        }
    }

    /// The op-id prefix (`users` in `users:ensure:alice@contoso.com`).
    pub fn op_prefix(self) -> &'static str {
        match self {
            StepKind::Preflight | StepKind::PreflightExchange => "preflight",
            StepKind::StateExport => "state",
            StepKind::SourceImpersonation => "source-impersonation",
            StepKind::SourceThrottling => "source-throttling",
            StepKind::SourceExport => "source-export",
            StepKind::Domains => "domains",
            StepKind::Users => "users",
            StepKind::UsersVerify => "users",
            StepKind::Licences => "licences",
            StepKind::MailboxesVerify => "mailboxes",
            StepKind::SharedMailboxes
            | StepKind::SharedMailboxesVerify
            | StepKind::SharedMailboxesLicence
            | StepKind::SharedMailboxesConvert
            | StepKind::SharedMailboxesUnlicence => "shared-mailboxes",
            StepKind::Aliases => "aliases",
            StepKind::Groups => "groups",
            StepKind::GroupAliases => "group-aliases",
            StepKind::Contacts => "contacts",
            StepKind::Members => "members",
            StepKind::Limits => "limits",
            StepKind::Permissions => "permissions",
            StepKind::DnsRecords => "dns",
            StepKind::MailFlow => "mail-flow",
            StepKind::MailFilter => "mail-filter",
            StepKind::NoticesSend => "notices",
            StepKind::MwProject
            | StepKind::MwVerify
            | StepKind::MwPrestage
            | StepKind::MwStatus
            | StepKind::MwFull
            | StepKind::NativeEndpoint
            | StepKind::NativeBatch
            | StepKind::NativeStart
            | StepKind::NativeStatus
            | StepKind::NativeComplete => "migration",
            StepKind::SourceThrottlingRevert => "source-throttling-revert",
            StepKind::SourceImpersonationRevert => "source-impersonation-revert",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            StepKind::Preflight => "Preflight: PowerShell, the Graph modules and the Graph sign-in",
            StepKind::PreflightExchange => {
                "Preflight: the Exchange Online module and sign-in (a process of its own)"
            }
            StepKind::StateExport => "Export the tenant's current state (for cutover plan --state)",
            StepKind::SourceImpersonation => {
                "Grant the migration account impersonation on the source"
            }
            StepKind::SourceThrottling => {
                "Relax EWS throttling for the migration account on the source"
            }
            StepKind::SourceExport => {
                "Export mailboxes, statistics, groups, members, contacts and permissions"
            }
            StepKind::Domains => "Add and verify accepted domains in the tenant",
            StepKind::Users => "Ensure cloud users (Microsoft Graph)",
            StepKind::UsersVerify => "Verify synced users exist in Entra ID",
            StepKind::Licences => "Set usage location and assign licences",
            StepKind::MailboxesVerify => "Verify each licensed user has an Exchange Online mailbox",
            StepKind::SharedMailboxes => "Ensure shared, room and equipment mailboxes",
            StepKind::SharedMailboxesVerify => {
                "Verify synced shared, room and equipment mailboxes in Exchange Online"
            }
            StepKind::SharedMailboxesLicence => {
                "Licence the synced shared, room and equipment mailboxes' users (so Exchange Online makes their mailboxes)"
            }
            StepKind::SharedMailboxesConvert => {
                "Wait for each synced shared, room and equipment mailbox and convert it (Set-Mailbox -Type)"
            }
            StepKind::SharedMailboxesUnlicence => {
                "Remove the licence from each converted shared, room and equipment mailbox"
            }
            StepKind::Aliases => "Add secondary addresses (aliases)",
            StepKind::Groups => "Ensure distribution groups",
            StepKind::GroupAliases => "Add the groups' secondary addresses",
            StepKind::Contacts => "Ensure mail contacts (the source's and external members')",
            StepKind::Members => "Add group members (users, contacts, nested groups)",
            StepKind::Limits => {
                "Message size limits on every planned mailbox, the mailboxes beyond the plan and every mailbox plan"
            }
            StepKind::Permissions => "Grant mailbox permissions (FullAccess, SendAs, SendOnBehalf)",
            StepKind::DnsRecords => {
                "Read the DNS records the tenant expects (MX, SPF, autodiscover)"
            }
            StepKind::MailFlow => "Mail-flow check after the MX cutover",
            StepKind::MailFilter => {
                "Connectors, Enhanced Filtering and SPF for the third-party mail filter"
            }
            StepKind::NoticesSend => "Send the users' notices on their dates (Microsoft Graph)",
            StepKind::MwProject => {
                "MigrationWiz: ensure the project (source and destination) and every mailbox item"
            }
            StepKind::MwVerify => "MigrationWiz: a Verification pass per mailbox (credentials)",
            StepKind::MwPrestage => {
                "MigrationWiz: pre-stage pass per mailbox (Full, mail only, up to the cut-off date)"
            }
            StepKind::MwStatus => "MigrationWiz: each mailbox's last pass and what it moved",
            StepKind::MwFull => "MigrationWiz: the full (delta) pass per mailbox after the MX change",
            StepKind::NativeEndpoint => {
                "Exchange Online migration endpoint to the source (ensure, then test it)"
            }
            StepKind::NativeBatch => "Exchange Online migration batch per wave",
            StepKind::NativeStart => "Start each wave's migration batch",
            StepKind::NativeStatus => "Each mailbox's migration status and what it moved",
            StepKind::NativeComplete => "Complete each wave's remote-move batch after the MX change",
            StepKind::SourceThrottlingRevert => "Revert the migration account's throttling policy",
            StepKind::SourceImpersonationRevert => {
                "Remove the migration account's impersonation grant on the source"
            }
        }
    }

    /// Columns of the step's data file after `Op`.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            StepKind::Preflight | StepKind::PreflightExchange => {
                &["Check", "Name", "MinimumVersion"]
            }
            StepKind::StateExport => &["Part"],
            StepKind::SourceImpersonation | StepKind::SourceImpersonationRevert => &["Account"],
            StepKind::SourceThrottling | StepKind::SourceThrottlingRevert => &["Policy", "Account"],
            StepKind::SourceExport => &["Export", "File"],
            StepKind::Domains | StepKind::DnsRecords | StepKind::MailFlow => &["Domain"],
            StepKind::Users => &[
                "UserPrincipalName",
                "DisplayName",
                "GivenName",
                "Surname",
                "MailNickname",
                "UsageLocation",
            ],
            StepKind::UsersVerify | StepKind::MailboxesVerify => &["UserPrincipalName"],
            StepKind::Licences => &["UserPrincipalName", "SkuPartNumber", "UsageLocation"],
            StepKind::SharedMailboxes => {
                &["Name", "DisplayName", "Alias", "PrimarySmtpAddress", "Type"]
            }
            StepKind::SharedMailboxesVerify => &["PrimarySmtpAddress", "Type"],
            StepKind::SharedMailboxesLicence => &[
                "UserPrincipalName",
                "PrimarySmtpAddress",
                "Type",
                "SkuPartNumber",
                "UsageLocation",
            ],
            StepKind::SharedMailboxesConvert => {
                &["UserPrincipalName", "PrimarySmtpAddress", "Type"]
            }
            StepKind::SharedMailboxesUnlicence => &[
                "UserPrincipalName",
                "PrimarySmtpAddress",
                "Type",
                "SkuPartNumber",
            ],
            StepKind::Aliases | StepKind::GroupAliases => &["Identity", "Address"],
            StepKind::Groups => &[
                "Name",
                "DisplayName",
                "Alias",
                "PrimarySmtpAddress",
                "Type",
                "RequireSenderAuthenticationEnabled",
            ],
            StepKind::Contacts => &[
                "Name",
                "ExternalEmailAddress",
                "LegacyExchangeDN",
                "Alias",
                "DisplayName",
                "EmailAddresses",
            ],
            StepKind::Members => &["Group", "Member"],
            StepKind::Limits => &["Scope", "Identity", "MaxSendSize", "MaxReceiveSize"],
            StepKind::Permissions => &["Mailbox", "Trustee", "Right", "AutoMapping"],
            StepKind::MailFilter => &[
                "Kind",
                "Name",
                "Addresses",
                "SmartHost",
                "RequireTls",
                "Domain",
                "Record",
            ],
            StepKind::NoticesSend => &[
                "Message",
                "Sender",
                "To",
                "DisplayName",
                "Subject",
                "Body",
                "SendOn",
                "SendBy",
            ],
            // `Wave` first in every per-mailbox step (`cutover run --wave N` selects on it; the
            // project row's is empty: every wave needs the project). Kind: Project or Item.
            // ItemEndDate is the pre-stage cut-off (yyyy-MM-dd).
            StepKind::MwProject => &[
                "Wave",
                "Kind",
                "Project",
                "Customer",
                "SourceServer",
                "SourceAddress",
                "TargetAddress",
            ],
            StepKind::MwVerify | StepKind::MwStatus | StepKind::MwFull => {
                &["Wave", "Project", "SourceAddress", "TargetAddress"]
            }
            StepKind::MwPrestage => &[
                "Wave",
                "Project",
                "SourceAddress",
                "TargetAddress",
                "ItemEndDate",
            ],
            // Type: cutover, staged or remote-move (Microsoft's three migration types).
            StepKind::NativeEndpoint => &["Type", "Name", "SourceAddress", "RemoteServer"],
            // Mailboxes: the wave's source addresses, `;`-separated (empty for cutover: a
            // cutover batch takes every mailbox and no CSV).
            StepKind::NativeBatch => &[
                "Wave",
                "Type",
                "Name",
                "Endpoint",
                "TargetDeliveryDomain",
                "Mailboxes",
            ],
            StepKind::NativeStart | StepKind::NativeComplete => &["Wave", "Type", "Name"],
            StepKind::NativeStatus => &["Wave", "Name", "SourceAddress"],
        }
    }

    /// Whether the step changes anything (read-only checks and exports do not).
    pub fn changes(self) -> bool {
        !matches!(
            self,
            StepKind::Preflight
                | StepKind::PreflightExchange
                | StepKind::StateExport
                | StepKind::SourceExport
                | StepKind::UsersVerify
                | StepKind::MailboxesVerify
                | StepKind::SharedMailboxesVerify
                | StepKind::DnsRecords
                | StepKind::MailFlow
                | StepKind::MwStatus
                | StepKind::NativeStatus
        )
    }

    /// Later steps fail for sure when one of this step's operations failed (no verified
    /// domain, no user, no mailbox): the runner stops after a gate step that failed.
    pub fn gate(self) -> bool {
        matches!(
            self,
            StepKind::Preflight
                | StepKind::PreflightExchange
                | StepKind::Domains
                | StepKind::Users
                | StepKind::UsersVerify
                | StepKind::MailboxesVerify
                | StepKind::SharedMailboxes
                | StepKind::SharedMailboxesVerify
                | StepKind::SharedMailboxesConvert
                // No pass can start without its project or endpoint.
                | StepKind::MwProject
                | StepKind::NativeEndpoint
        )
    }

    /// `post-cutover` for the checks that only make sense after the MX records point to
    /// Exchange Online and for undoing the source-side grants once the last pass is done;
    /// everything else belongs to the migration.
    pub fn phase(self) -> &'static str {
        match self {
            // The throttling revert runs after the last migration pass, not with the migration.
            StepKind::MailFlow
            | StepKind::SourceThrottlingRevert
            | StepKind::SourceImpersonationRevert
            // The last pass picks up what arrived before the MX change took effect everywhere.
            | StepKind::MwFull
            | StepKind::NativeComplete => PHASE_POST_CUTOVER,
            // Sent on their own dates, never as part of a migrate or post-cutover run.
            StepKind::NoticesSend => PHASE_NOTICES,
            _ => PHASE_MIGRATE,
        }
    }

    /// The PowerShell modules the step's script imports (by calling their commands), with the
    /// oldest version that has every command and parameter it uses. Preflight checks the union
    /// over a bundle's steps, and the bundle README lists it.
    pub fn modules(self) -> &'static [(&'static str, &'static str)] {
        const AUTH: (&str, &str) = ("Microsoft.Graph.Authentication", "2.0.0");
        const USERS: (&str, &str) = ("Microsoft.Graph.Users", "2.0.0");
        const ACTIONS: (&str, &str) = ("Microsoft.Graph.Users.Actions", "2.0.0");
        const DIRECTORY: (&str, &str) = ("Microsoft.Graph.Identity.DirectoryManagement", "2.0.0");
        const GROUPS: (&str, &str) = ("Microsoft.Graph.Groups", "2.0.0");
        const EXO: (&str, &str) = ("ExchangeOnlineManagement", "3.0.0");
        match self {
            StepKind::Preflight => &[AUTH],
            StepKind::Users | StepKind::UsersVerify => &[AUTH, USERS],
            // Get-MgSubscribedSku, Get-MgUser / Update-MgUser, Set-MgUserLicense.
            StepKind::Licences => &[AUTH, DIRECTORY, USERS, ACTIONS],
            // The same, and Get-MgUser -Property mailboxSettings (Microsoft.Graph.Users).
            StepKind::SharedMailboxesLicence | StepKind::SharedMailboxesUnlicence => {
                &[AUTH, DIRECTORY, USERS, ACTIONS]
            }
            StepKind::Domains | StepKind::DnsRecords => &[AUTH, DIRECTORY],
            // Send-MgUserMail.
            StepKind::NoticesSend => &[AUTH, ACTIONS],
            StepKind::StateExport => &[AUTH, DIRECTORY, USERS, GROUPS],
            StepKind::SourceImpersonation
            | StepKind::SourceThrottling
            | StepKind::SourceExport
            | StepKind::SourceThrottlingRevert
            | StepKind::SourceImpersonationRevert => &[],
            // BitTitan's module for Windows PowerShell 5.1; the oldest version is not
            // published with the commands it added, so none is required.
            StepKind::MwProject
            | StepKind::MwVerify
            | StepKind::MwPrestage
            | StepKind::MwStatus
            | StepKind::MwFull => &[],
            StepKind::NativeEndpoint
            | StepKind::NativeBatch
            | StepKind::NativeStart
            | StepKind::NativeStatus
            | StepKind::NativeComplete => &[EXO],
            StepKind::PreflightExchange
            | StepKind::MailboxesVerify
            | StepKind::SharedMailboxes
            | StepKind::SharedMailboxesVerify
            | StepKind::SharedMailboxesConvert
            | StepKind::Aliases
            | StepKind::Groups
            | StepKind::GroupAliases
            | StepKind::Contacts
            | StepKind::Members
            | StepKind::Limits
            | StepKind::Permissions
            | StepKind::MailFlow
            | StepKind::MailFilter => &[EXO],
        }
    }

    pub fn place(self, version: SourceVersion, identity: IdentityMode) -> StepPlace {
        let source = StepPlace {
            target: version.target(),
            runs_on: RUNS_ON_SOURCE,
            shell: version.shell(),
        };
        let graph = StepPlace {
            target: "graph",
            runs_on: RUNS_ON_JUMP_BOX,
            shell: JUMP_BOX_SHELL,
        };
        let exo = StepPlace {
            target: "exchangeOnline",
            runs_on: RUNS_ON_JUMP_BOX,
            shell: JUMP_BOX_SHELL,
        };
        let bittitan = StepPlace {
            target: BITTITAN_TARGET,
            runs_on: RUNS_ON_JUMP_BOX,
            shell: WINDOWS_POWERSHELL_SHELL,
        };
        match self {
            StepKind::SourceImpersonation
            | StepKind::SourceThrottling
            | StepKind::SourceExport
            | StepKind::SourceThrottlingRevert
            | StepKind::SourceImpersonationRevert => source,
            // Synced objects' addresses are mastered in AD: Exchange Online refuses the write.
            StepKind::Aliases if identity == IdentityMode::Synced => source,
            StepKind::Preflight
            | StepKind::StateExport
            | StepKind::Domains
            | StepKind::Users
            | StepKind::UsersVerify
            | StepKind::Licences
            | StepKind::SharedMailboxesLicence
            | StepKind::SharedMailboxesUnlicence
            | StepKind::DnsRecords
            | StepKind::NoticesSend => graph,
            StepKind::PreflightExchange
            | StepKind::MailboxesVerify
            | StepKind::SharedMailboxes
            | StepKind::SharedMailboxesVerify
            | StepKind::SharedMailboxesConvert
            | StepKind::Aliases
            | StepKind::Groups
            | StepKind::GroupAliases
            | StepKind::Contacts
            | StepKind::Members
            | StepKind::Limits
            | StepKind::Permissions
            | StepKind::MailFlow
            | StepKind::MailFilter
            | StepKind::NativeEndpoint
            | StepKind::NativeBatch
            | StepKind::NativeStart
            | StepKind::NativeStatus
            | StepKind::NativeComplete => exo,
            StepKind::MwProject
            | StepKind::MwVerify
            | StepKind::MwPrestage
            | StepKind::MwStatus
            | StepKind::MwFull => bittitan,
        }
    }
}
