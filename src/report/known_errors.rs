//! Known Exchange / Graph / PowerShell errors, and the failure texts of cutover's own step
//! scripts: data (id, patterns, optional scope, cause, fix, an example of the text) plus one
//! matcher. The first entry whose pattern matches (within its scope) wins, so specific entries
//! come before general ones; cutover's own texts come first, as some quote the cmdlet error
//! that caused them. Facts: /work/shared/reference/m365-facts.md sections 1.x, 2.x, 3.4, 4.x.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct KnownError {
    /// Stable id, e.g. `EXO-SERVER-BUSY`.
    pub id: &'static str,
    pub title: &'static str,
    /// Case-insensitive regular expressions; any one matching is enough.
    #[serde(skip)]
    pub patterns: &'static [&'static str],
    /// When not empty, the entry applies only if one of these case-insensitive regular
    /// expressions matches the failed record's step id or the error text: the same Exchange
    /// text can have different causes in different steps.
    #[serde(skip)]
    pub scope: &'static [&'static str],
    pub cause: &'static str,
    pub fix: &'static str,
    /// Whether `--retry-failed` later is the fix (transient), or something must change first.
    pub transient: bool,
    /// A real-shaped error text this entry must match (tested).
    pub example: &'static str,
    /// The step id the example comes from (tested with it; matters for scoped entries).
    #[serde(skip)]
    pub example_step: &'static str,
}

pub static CATALOG: &[KnownError] = &[
    // cutover's own step scripts (templates/steps, ps-modules): what they throw or record.
    KnownError {
        id: "CUTOVER-DOMAIN-NOT-VERIFIED",
        title: "Domain added, not verified yet",
        patterns: &[r"Domain added but not verified yet"],
        scope: &[],
        cause: "The domain is in the tenant, but Microsoft has not seen its verification TXT record yet: it is not published, or DNS has not propagated (up to the record's TTL, often an hour).",
        fix: "Publish the TXT record listed in the bundle's domain-verification.csv at the domain's DNS host, check it with nslookup -type=txt DOMAIN, then `cutover run BUNDLE --resume`.",
        transient: false,
        example: "Domain added but not verified yet: publish the TXT record in domain-verification.csv, wait for DNS, then run this step again. Domain verification failed.",
        example_step: "06-domains",
    },
    KnownError {
        id: "CUTOVER-USER-NOT-SYNCED",
        title: "User not in Entra ID (synced identities)",
        patterns: &[r"Not in Entra ID"],
        scope: &[],
        cause: "Entra Connect has not synchronised this on-premises user: its OU or attributes are outside the sync scope, its UPN suffix is not a verified domain (it then syncs as name@tenant.onmicrosoft.com), or no sync cycle has run since it was created.",
        fix: "In Entra Connect check the OU and attribute filtering and the UPN suffix, run Start-ADSyncSyncCycle -PolicyType Delta on the sync server, then `cutover run BUNDLE --resume`.",
        transient: false,
        example: "Not in Entra ID: check the Entra Connect scope (OU and attribute filtering), the UPN suffix, and that a sync cycle has run.",
        example_step: "07-users-verify",
    },
    KnownError {
        id: "CUTOVER-USER-CLOUD-ONLY",
        title: "Cloud-only user where a synced one is expected",
        patterns: &[r"is a cloud-only user, not synced"],
        scope: &[],
        cause: "A user with this UPN was created in the cloud, not synchronised from Active Directory; Entra Connect will not take it over on its own and may create a duplicate.",
        fix: "Hard-match it to its AD account (set the cloud user's onPremisesImmutableId to the AD account's ms-DS-ConsistencyGuid / objectGUID in base64) or delete the cloud user, run a sync cycle, then resume.",
        transient: false,
        example: "Exists but is a cloud-only user, not synced from Active Directory: match it to its AD account (hard match) before the migration.",
        example_step: "07-users-verify",
    },
    KnownError {
        id: "CUTOVER-NO-SUBSCRIPTION",
        title: "Licence SKU not in the tenant",
        patterns: &[r"The tenant has no subscription"],
        scope: &[],
        cause: "The licence named in the users CSV (SkuPartNumber) is not a subscription of this tenant: a typo, a SKU of another tenant, or a subscription not bought yet.",
        fix: "List what the tenant has with Get-MgSubscribedSku | Select SkuPartNumber,ConsumedUnits; correct the licence in the CSV (then regenerate the bundle) or buy the subscription, and resume.",
        transient: false,
        example: "The tenant has no subscription ENTERPRISEPACK (Get-MgSubscribedSku lists what it has).",
        example_step: "08-licences",
    },
    KnownError {
        id: "CUTOVER-NO-MAILBOX-YET",
        title: "Mailbox not provisioned yet",
        patterns: &[r"No mailbox yet"],
        scope: &[],
        cause: "Exchange Online creates the mailbox asynchronously after an Exchange licence is assigned: minutes, and up to 24 hours before it is a support case.",
        fix: "Wait, then `cutover run BUNDLE --resume` (this step is a gate: the steps after it wait for it). After 24 hours check the user's licence includes Exchange Online and is not in error (Get-MgUserLicenseDetail).",
        transient: true,
        example: "No mailbox yet: Exchange Online provisions it after licensing (minutes, up to 24 hours). Retry later.",
        example_step: "09-mailboxes-verify",
    },
    KnownError {
        id: "CUTOVER-MAIL-USER-TRAP",
        title: "Synced user became a mail user, not a mailbox",
        patterns: &[r"Is a MailUser, not a mailbox"],
        scope: &[],
        cause: "The synced object still carries its on-premises mailbox attributes (msExchMailboxGuid), so Exchange Online treats the mailbox as still on premises and makes a MailUser; no mailbox will ever be created for it.",
        fix: "For a migration with a third-party tool: stop syncing msExchMailboxGuid for these users (Entra Connect inbound rule, AuthoritativeNull), run a full sync; the licensed user then becomes a mailbox. Then resume.",
        transient: false,
        example: "Is a MailUser, not a mailbox: the synced object still carries on-premises mailbox attributes (its ExchangeGuid / msExchMailboxGuid came from AD), so Exchange Online will not create a mailbox for it.",
        example_step: "09-mailboxes-verify",
    },
    KnownError {
        id: "CUTOVER-WRONG-RECIPIENT-TYPE",
        title: "Recipient is not a user mailbox",
        patterns: &[r"Is an? \w+, not a UserMailbox"],
        scope: &[],
        cause: "The address belongs to another kind of recipient (shared or room mailbox, contact, group) than the user mailbox the data expects.",
        fix: "Check the row in the users CSV: a shared or resource mailbox needs no licence and is migrated as such; correct the data, regenerate the bundle and resume.",
        transient: false,
        example: "Is a SharedMailbox, not a UserMailbox.",
        example_step: "09-mailboxes-verify",
    },
    KnownError {
        id: "CUTOVER-NOT-ONE-MATCH",
        title: "Identity matches no object or several",
        patterns: &[r"Expected one [\w ]+? (for|named) .{0,300}, found \d+", r"The UPN matches \d+ recipients"],
        scope: &[],
        cause: "The identity in the data matched 0 objects (not created, synchronised or provisioned yet, or a typo) or more than one (a display name or alias shared by several recipients).",
        fix: "Found 0: check the identity, and retry once the object exists. Found more than one: use the primary SMTP address in the data, regenerate the bundle, then resume.",
        transient: false,
        example: "Expected one mailbox for ann@contoso.com, found 0",
        example_step: "10-aliases",
    },
    KnownError {
        id: "CUTOVER-BLANK-IDENTITY",
        title: "Blank identity refused",
        patterns: &[r"is blank: refusing to pass an empty identity"],
        scope: &[],
        cause: "A required cell of this row is empty. cutover refuses to call a cmdlet with an empty -Identity, which some Exchange cmdlets treat as every object.",
        fix: "Fill in the cell in the input CSV, run `cutover lint`, regenerate the bundle, then run it again (the data files are hashed: do not edit them in the bundle).",
        transient: false,
        example: "Column Identity is blank: refusing to pass an empty identity to a cmdlet.",
        example_step: "10-aliases",
    },
    KnownError {
        id: "CUTOVER-ROW-WITHOUT-OP",
        title: "Data row without an operation id",
        patterns: &[r"Data row without an Op id"],
        scope: &[],
        cause: "A row of the step's data file has no Op value: the file was edited or produced by something other than `cutover bundle`.",
        fix: "Regenerate the bundle with `cutover bundle --force` rather than editing its data files.",
        transient: false,
        example: "Data row without an Op id.",
        example_step: "11-groups",
    },
    KnownError {
        id: "CUTOVER-NO-SERVICE-RECORDS",
        title: "Tenant lists no DNS records for the domain",
        patterns: &[r"The tenant lists no service records for this domain"],
        scope: &[],
        cause: "Microsoft lists the MX and other service records only for a domain that is added and verified in the tenant.",
        fix: "Finish step 06-domains (verification) first, then `cutover run BUNDLE --resume`.",
        transient: false,
        example: "The tenant lists no service records for this domain: is it added and verified (step 06-domains)?",
        example_step: "16-dns-records",
    },
    KnownError {
        id: "CUTOVER-NO-MAIL-FLOW",
        title: "No mail reached Exchange Online yet",
        patterns: &[r"No message to this domain reached Exchange Online"],
        scope: &[],
        cause: "The message trace shows no message to the domain in the last hour: the public MX record does not point to Exchange Online yet, the old record is still cached (TTL), or simply no mail was sent.",
        fix: "Check the public MX (nslookup -type=mx DOMAIN) against dns-records.csv, send a test message from an outside mailbox, then run `cutover run BUNDLE --step 17-mail-flow` again.",
        transient: true,
        example: "No message to this domain reached Exchange Online in the last hour: check the public MX record, send a test message from outside and run this step again.",
        example_step: "17-mail-flow",
    },
    KnownError {
        id: "CUTOVER-SOME-OPERATIONS-FAILED",
        title: "Summary of failures found at run time",
        patterns: &[r"failed: see the dyn records of this step"],
        scope: &[],
        cause: "This record sums up the operations the step discovered at run time; each failure has its own record (an id with :dyn:) with the real error.",
        fix: "Read the step's other failures in this report, fix their causes, then `cutover run BUNDLE --retry-failed` (the step re-runs whole; it is idempotent).",
        transient: false,
        example: "3 of 120 failed: see the dyn records of this step.",
        example_step: "14-limits",
    },
    KnownError {
        id: "CUTOVER-PREFLIGHT",
        title: "Jump box not ready (PowerShell or module version)",
        patterns: &[r"Module \S+ is missing", r"Module \S+ \S+ is older than", r"PowerShell \S+ is too old"],
        scope: &[],
        cause: "The jump box lacks a PowerShell module the bundle uses (ExchangeOnlineManagement, Microsoft.Graph.*) or has one too old for the cmdlets and parameters the steps call.",
        fix: "Run the command the message names (Install-Module / Update-Module NAME -Scope CurrentUser, or install PowerShell 7), open a new pwsh, then resume.",
        transient: false,
        example: "Module ExchangeOnlineManagement is missing: Install-Module ExchangeOnlineManagement -Scope CurrentUser",
        example_step: "01-preflight",
    },
    KnownError {
        id: "CUTOVER-SOURCE-NOT-EFFECTIVE",
        title: "Source change not visible yet",
        patterns: &[r"The role assignment is not visible after creating it", r"The association did not take effect"],
        scope: &[],
        cause: "The source server made the change but reads it back from a domain controller that has not replicated it yet.",
        fix: "Wait for Active Directory replication (minutes; repadmin /syncall to hurry it), then run the step again on the source server and import its results.",
        transient: true,
        example: "The role assignment is not visible after creating it.",
        example_step: "03-source-impersonation",
    },
    KnownError {
        id: "CUTOVER-BUNDLE-MISMATCH",
        title: "Data the script does not know",
        patterns: &[r"Unknown (right|export|check): ", r"Step returned an unknown status"],
        scope: &[],
        cause: "A data file names a right, export or check its script does not handle: the bundle's files come from different cutover versions, or were edited.",
        fix: "Regenerate the whole bundle with one cutover version (`cutover bundle --force`) and run it again; report it if it persists.",
        transient: false,
        example: "Unknown right: ReadPermission",
        example_step: "15-permissions",
    },
    // Exchange Online texts that mean one specific thing for a migration.
    KnownError {
        id: "EXO-TENANT-DEHYDRATED",
        title: "Tenant not customisable yet (dehydrated)",
        patterns: &[r"Enable-OrganizationCustomization"],
        scope: &[],
        cause: "New tenants start 'dehydrated' (Get-OrganizationConfig shows IsDehydrated True): some settings, such as mailbox plans (Set-MailboxPlan) and custom role groups, cannot be changed until the organisation is customised.",
        fix: "Run Enable-OrganizationCustomization once in Exchange Online PowerShell (it cannot be undone and may take a while to apply), then `cutover run BUNDLE --retry-failed`.",
        transient: false,
        example: "Set-MailboxPlan: This operation is not available in the current version of Exchange Online. Please run Enable-OrganizationCustomization first.",
        example_step: "14-limits",
    },
    KnownError {
        id: "EXO-GROUP-MANAGER",
        title: "Not a manager of the group",
        patterns: &[r"manager of the group"],
        scope: &[],
        cause: "Changing a group's members needs its owner (ManagedBy), or an admin using -BypassSecurityGroupManagerCheck with the Security Group Creation and Membership role (in Organization Management).",
        fix: "Run the step as a member of Organization Management (cutover's members step passes -BypassSecurityGroupManagerCheck), or add the admin to the group's ManagedBy, then `cutover run BUNDLE --retry-failed`.",
        transient: false,
        example: "You don't have sufficient permissions. This operation can only be performed by a manager of the group.",
        example_step: "13-members",
    },
    KnownError {
        id: "MSONLINE-RETIRED",
        title: "MSOnline PowerShell is retired",
        patterns: &[r"MSOnline is retiring", r"aka\.ms/MSOnlineRetirement", r"\bMsol\w*'? is not recognized"],
        scope: &[],
        cause: "The MSOnline module (Connect-MsolService, *-Msol*) was retired between April and May 2025 and no longer works; it never ran in PowerShell 7.",
        fix: "Use Microsoft Graph PowerShell: Connect-MgGraph, New-MgUser, Update-MgUser, Set-MgUserLicense (Microsoft's MSOnline-to-Graph cmdlet map). Regenerate the bundle with this cutover: it emits Graph cmdlets.",
        transient: false,
        example: "MSOnline is retiring and access is disallowed. For more information, see https://aka.ms/MSOnlineRetirement.",
        example_step: "",
    },
    KnownError {
        id: "EXO-BASIC-AUTH-RPS",
        title: "Basic auth / Remote PowerShell to Exchange Online is gone",
        patterns: &[
            r"powershell-liveid",
            r"Basic authentication is (currently )?disabled",
            r"Connecting to remote server \S*outlook\.office365\.com failed",
            r"Access is denied.{0,200}(WinRM|remote server|PSSession)",
            r"(WinRM|remote server|PSSession).{0,200}Access is denied",
        ],
        scope: &[],
        cause: "Basic authentication for Exchange Online Remote PowerShell was switched off on 1 October 2022, and Remote PowerShell itself was retired for every tenant on 1 October 2023.",
        fix: "Connect with the ExchangeOnlineManagement V3 module (Connect-ExchangeOnline, modern auth, REST) instead of New-PSSession to outlook.office365.com/powershell-liveid.",
        transient: false,
        example: "New-PSSession : [outlook.office365.com] Connecting to remote server outlook.office365.com failed with the following error message : Access is denied.",
        example_step: "",
    },
    KnownError {
        id: "EXO-SERVER-BUSY",
        title: "Exchange throttling (server busy)",
        patterns: &[r"ErrorServerBusy", r"\bServer ?Busy\b", r"Micro delay applied"],
        scope: &[],
        cause: "Exchange throttled the account: its budget ran out (EWS ErrorServerBusy with a back-off hint, or the Remote PowerShell era's 'Micro delay applied').",
        fix: "Wait a few minutes, then `cutover run BUNDLE --retry-failed`. Avoid parallel sessions under the same admin account. On-premises EWS can use a dedicated migration throttling policy (New-ThrottlingPolicy); Exchange Online throttling cannot be switched off.",
        transient: true,
        example: "The server cannot service this request right now. Try again later. (ErrorServerBusy, BackOffMilliseconds 30000)",
        example_step: "",
    },
    KnownError {
        id: "EWS-CONNECTION-COUNT",
        title: "EWS concurrent connection limit",
        patterns: &[r"ErrorExceededConnectionCount"],
        scope: &[],
        cause: "More concurrent EWS connections than the throttling policy's EWSMaxConcurrency allows (10 by default on Exchange 2010, 27 on 2013 and later).",
        fix: "Run fewer connections at once, or on-premises assign the migration account a throttling policy with a higher EWSMaxConcurrency, then retry the failures.",
        transient: true,
        example: "ErrorExceededConnectionCount: You have exceeded the available concurrent connections for your account.",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-THROTTLED",
        title: "Microsoft Graph throttling (HTTP 429)",
        patterns: &[r"Too many retries performed", r"\bTooManyRequests\b", r"Too Many Requests", r"\b429\b"],
        scope: &[],
        cause: "Microsoft Graph throttled the requests (HTTP 429). The Graph PowerShell SDK retries 3 times and then gives up with 'Too many retries performed'.",
        fix: "Wait (honour Retry-After when present), then `cutover run BUNDLE --retry-failed`. Avoid running other bulk Graph jobs for the same tenant at the same time.",
        transient: true,
        example: "Too many retries performed. More than 3 retries encountered while sending the request. (HTTP status 429 TooManyRequests)",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-UNAVAILABLE",
        title: "Microsoft Graph temporarily unavailable (503/504)",
        patterns: &[r"\bServiceUnavailable\b", r"\bGatewayTimeout\b", r"\b503\b.{0,40}Service Unavailable", r"\b504\b.{0,40}Gateway"],
        scope: &[],
        cause: "A transient Graph service error (HTTP 503 or 504).",
        fix: "Retry later with `cutover run BUNDLE --retry-failed`.",
        transient: true,
        example: "Response status code does not indicate success: ServiceUnavailable (Service Unavailable).",
        example_step: "",
    },
    KnownError {
        id: "EXO-REST-TIMEOUT",
        title: "Exchange Online cmdlet timed out",
        patterns: &[r"operation has timed out", r"request timed out", r"timed out after"],
        scope: &[],
        cause: "Exchange Online REST-backed cmdlets stop after 15 minutes; very large calls (e.g. Update-DistributionGroupMember with 10,000 members) hit it.",
        fix: "Split the work: about 5,000 members per Update-DistributionGroupMember, then Add-DistributionGroupMember one by one for the rest; then retry the failures.",
        transient: true,
        example: "Update-DistributionGroupMember: The operation has timed out.",
        example_step: "",
    },
    KnownError {
        id: "EXO-PROXY-IN-USE",
        title: "Email address already used by another object",
        patterns: &[r"proxy address .{0,300}is already being used"],
        scope: &[],
        cause: "Another recipient (a mailbox, contact, group, or a soft-deleted mailbox) already has this SMTP address.",
        fix: "Find the owner: Get-Recipient -Filter \"EmailAddresses -eq 'smtp:ADDRESS'\" (and Get-Mailbox -SoftDeletedMailbox); remove the duplicate or correct the CSV, then retry.",
        transient: false,
        example: "The proxy address \"SMTP:ann@contoso.com\" is already being used by the proxy addresses or LegacyExchangeDN of \"Ann Lee\". Please choose another proxy address.",
        example_step: "",
    },
    KnownError {
        id: "EXO-MAILBOX-NOT-PROVISIONED",
        title: "Mailbox not provisioned yet",
        // Every Exchange Online not-found names its server: only where a mailbox is expected
        // (aliases, permissions, limits, mailbox checks) is "not provisioned yet" the likely cause.
        patterns: &[r"couldn't be found on '"],
        scope: &[r"^\d+-(aliases|permissions|limits|mailboxes)", r"\bmailbox"],
        cause: "Exchange Online creates the mailbox asynchronously after an Exchange licence is assigned: minutes, and up to 24 hours before it is a support case.",
        fix: "Wait, then `cutover run BUNDLE --resume` (it redoes the failures and, past a gate step such as 09-mailboxes-verify, goes on). If it still fails after 24 hours, check the user's licence includes Exchange Online.",
        transient: true,
        example: "The operation couldn't be performed because object 'ann@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'.",
        example_step: "10-aliases",
    },
    KnownError {
        id: "EXO-OBJECT-NOT-FOUND",
        title: "Object not found",
        patterns: &[r"operation couldn't be performed because object .{0,300}couldn't be found", r"ManagementObjectNotFoundException"],
        scope: &[],
        cause: "No recipient has this identity: a typo in the data, an object not created or synchronised yet, or one deleted meanwhile.",
        fix: "Check the identity in the data files; if the object was created moments ago, retry the failures in a few minutes.",
        transient: false,
        example: "The operation couldn't be performed because object 'sales-team' couldn't be found.",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-NOT-FOUND",
        title: "Graph object not found (replication delay)",
        patterns: &[r"Request_ResourceNotFound", r"does not exist or one of its queried reference-property objects are not present"],
        scope: &[],
        cause: "Graph could not find the object: right after New-MgUser this is replication delay (tens of seconds to about 2 minutes), otherwise a wrong id.",
        fix: "Retry the failures after a few minutes; if it persists, check the user principal name in the data.",
        transient: true,
        example: "Resource 'ann@contoso.com' does not exist or one of its queried reference-property objects are not present. Status: 404 (NotFound) ErrorCode: Request_ResourceNotFound",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-USAGE-LOCATION",
        title: "Licence needs a usage location",
        patterns: &[r"usage ?location"],
        scope: &[],
        cause: "A licence can only be assigned to a user whose usageLocation (ISO 3166-1 alpha-2 country code) is set; synced users have none by default.",
        fix: "Set it (Update-MgUser -UserId UPN -UsageLocation US), or give cutover a default usage location (--usage-location / usage_location in cutover.toml), regenerate the bundle and retry.",
        transient: false,
        example: "License assignment cannot be done for user with invalid usage location. Status: 400 (BadRequest)",
        example_step: "",
    },
    KnownError {
        id: "EXO-WRITE-SCOPE",
        title: "Synced object: change it on-premises",
        patterns: &[r"out of the current user's write scope", r"being synchroni[sz]ed from your on-premises organization"],
        scope: &[],
        cause: "The object is synchronised from on-premises Active Directory (Entra Connect); its attributes (proxyAddresses, mailNickname, display name ...) are mastered there.",
        fix: "Make the change in on-premises AD (or the Exchange server) and let it synchronise; do not retry from here.",
        transient: false,
        example: "The operation on mailbox \"Ann Lee\" failed because it's out of the current user's write scope. The action 'Set-Mailbox' can't be performed on the object 'Ann Lee' because the object is being synchronized from your on-premises organization.",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-INSUFFICIENT-PRIVILEGES",
        title: "Insufficient Graph permissions",
        patterns: &[r"Authorization_RequestDenied", r"Insufficient privileges to complete the operation"],
        scope: &[],
        cause: "The signed-in account or app lacks the permission: creating users and assigning licences needs User.ReadWrite.All, reading SKUs Organization.Read.All.",
        fix: "Connect-MgGraph -Scopes User.ReadWrite.All,Organization.Read.All with an account that can consent (or grant admin consent), then retry.",
        transient: false,
        example: "Insufficient privileges to complete the operation. Status: 403 (Forbidden) ErrorCode: Authorization_RequestDenied",
        example_step: "",
    },
    KnownError {
        id: "PS-CMDLET-NOT-FOUND",
        title: "Cmdlet not available (module not loaded or not connected)",
        patterns: &[r"is not recognized as (the|a) name of a cmdlet"],
        scope: &[],
        cause: "PowerShell does not know the cmdlet: its module (ExchangeOnlineManagement, Microsoft.Graph.*) is not installed or imported, the session is not connected, or the account's role does not include the cmdlet.",
        fix: "Install-Module ExchangeOnlineManagement / Microsoft.Graph on the jump box, connect (Connect-ExchangeOnline, Connect-MgGraph) and check the admin role, then retry.",
        transient: false,
        example: "The term 'Set-Mailbox' is not recognized as a name of a cmdlet, function, script file, or executable program.",
        example_step: "",
    },
    KnownError {
        id: "EWS-IMPERSONATE-USER-DENIED",
        title: "EWS: not allowed to impersonate this user",
        patterns: &[r"ErrorImpersonateUserDenied"],
        scope: &[],
        cause: "The migration account may not impersonate this mailbox. Exchange 2007: the ms-Exch-EPI-May-Impersonate right is missing on the mailbox database or user. Exchange 2010 and later: the ApplicationImpersonation role assignment (or its scope) does not cover the user. Exchange Online removed ApplicationImpersonation in February 2025.",
        fix: "Exchange 2007: Add-ADPermission ... -ExtendedRights ms-Exch-EPI-May-Impersonate on the databases. 2010+: New-ManagementRoleAssignment -Role ApplicationImpersonation -User <svc> (scope covering the user). Exchange Online: an app registration with the full_access_as_app application permission.",
        transient: false,
        example: "ErrorImpersonateUserDenied: The account does not have permission to impersonate the requested user.",
        example_step: "",
    },
    KnownError {
        id: "EWS-IMPERSONATION-DENIED",
        title: "EWS: account may not impersonate at all",
        patterns: &[r"ErrorImpersonationDenied"],
        scope: &[],
        cause: "The migration account has no impersonation right. Exchange 2007: ms-Exch-EPI-Impersonation is missing on the Client Access server (and admin group membership denies it). Exchange 2010 and later: no ApplicationImpersonation role assignment.",
        fix: "Exchange 2007: Add-ADPermission on each Client Access server with -ExtendedRights ms-Exch-EPI-Impersonation, using an account outside the admin groups. 2010+: New-ManagementRoleAssignment -Role ApplicationImpersonation -User <svc>.",
        transient: false,
        example: "ErrorImpersonationDenied: The server to which the application is connected cannot impersonate the requested user due to insufficient permission.",
        example_step: "",
    },
    KnownError {
        id: "EXO-MAILBOX-QUOTA",
        title: "Mailbox quota exceeded",
        patterns: &[r"\bquota\b", r"QuotaExceeded", r"mailbox is full", r"exceeded the maximum size"],
        scope: &[],
        cause: "The mailbox (or archive) is over its quota (ProhibitSendQuota / ProhibitSendReceiveQuota) or the licence's mailbox size.",
        fix: "Raise the quota or license a bigger mailbox / enable the archive, or reduce the data before moving it; then retry.",
        transient: false,
        example: "The mailbox has exceeded its ProhibitSendReceiveQuota limit (QuotaExceededException).",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-UPN-EXISTS",
        title: "User principal name already taken",
        patterns: &[r"same value for property userPrincipalName already exists"],
        scope: &[],
        cause: "Another object in the directory already has this userPrincipalName: the user exists already (created by hand, by an earlier run, or synchronised).",
        fix: "If it is the same person, give cutover a state snapshot so the plan updates instead of creating; otherwise choose another UPN in the CSV.",
        transient: false,
        example: "Another object with the same value for property userPrincipalName already exists. Status: 400 (BadRequest) ErrorCode: Request_BadRequest",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-DOMAIN-NOT-VERIFIED",
        title: "UPN domain is not a verified domain",
        patterns: &[r"domain portion of the userPrincipalName property is invalid", r"must use one of the verified domain names", r"not a verified domain", r"domain (is )?not verified"],
        scope: &[],
        cause: "The domain part of the userPrincipalName must be a verified domain of the tenant.",
        fix: "Add and verify the domain in the Microsoft 365 admin center (DNS TXT record) before creating the users, or use the tenant's onmicrosoft.com domain; then retry.",
        transient: false,
        example: "Property userPrincipalName is invalid. The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        example_step: "",
    },
    KnownError {
        id: "GRAPH-PASSWORD-POLICY",
        title: "Password does not meet the policy",
        patterns: &[r"password does not comply", r"PasswordProfile.{0,100}(complexity|invalid)", r"password complexity"],
        scope: &[],
        cause: "Entra ID passwords need 8 to 256 characters and 3 of 4 classes (lower, upper, digit, symbol), no Unicode; banned passwords are refused.",
        fix: "Fix the password in the secrets file (never in the CSVs) and retry the failures.",
        transient: false,
        example: "The specified password does not comply with password complexity requirements. Please provide a different password.",
        example_step: "",
    },
    KnownError {
        id: "EXO-NAME-IN-USE",
        title: "Name already used",
        patterns: &[r#"The name "?[^"]{0,300}"? is already being used"#],
        scope: &[],
        cause: "A recipient with this Name exists already (an earlier run, or created by hand).",
        fix: "If it is the same object, let the step treat it as existing (state snapshot); otherwise rename it in the data, then retry.",
        transient: false,
        example: "The name \"Sales Team\" is already being used. Please try another name.",
        example_step: "",
    },
];

struct Compiled {
    patterns: Vec<Regex>,
    scope: Vec<Regex>,
}

fn regexes(list: &[&str]) -> Vec<Regex> {
    list.iter()
        .filter_map(|p| RegexBuilder::new(p).case_insensitive(true).build().ok())
        .collect()
}

fn compiled() -> &'static [Compiled] {
    static C: OnceLock<Vec<Compiled>> = OnceLock::new();
    C.get_or_init(|| {
        CATALOG
            .iter()
            .map(|k| Compiled {
                patterns: regexes(k.patterns),
                scope: regexes(k.scope),
            })
            .collect()
    })
}

/// The known error a failed operation's error text matches, if any. `step` is the record's
/// step id: scoped entries apply only when it (or the text) is in their scope.
pub fn explain(step: &str, error: &str) -> Option<&'static KnownError> {
    if error.trim().is_empty() {
        return None;
    }
    CATALOG
        .iter()
        .zip(compiled())
        .find(|(_, c)| {
            c.patterns.iter().any(|re| re.is_match(error))
                && (c.scope.is_empty()
                    || c.scope
                        .iter()
                        .any(|re| re.is_match(step) || re.is_match(error)))
        })
        .map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_large_unique_and_every_pattern_compiles() {
        assert!(CATALOG.len() >= 15);
        let mut ids: Vec<_> = CATALOG.iter().map(|k| k.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len(), "duplicate id");
        for (k, c) in CATALOG.iter().zip(compiled()) {
            assert_eq!(
                (c.patterns.len(), c.scope.len()),
                (k.patterns.len(), k.scope.len()),
                "{}: a pattern does not compile",
                k.id
            );
        }
    }

    /// Each entry's own example maps to that entry (no earlier entry shadows it).
    #[test]
    fn every_entry_matches_its_example() {
        for k in CATALOG {
            assert_eq!(
                explain(k.example_step, k.example).map(|e| e.id),
                Some(k.id),
                "{}",
                k.example
            );
        }
    }

    #[test]
    fn real_world_texts() {
        let cases = [
            ("Server Busy", "EXO-SERVER-BUSY"),
            ("WARNING: Micro delay applied. Actual delayed: 21956 msecs", "EXO-SERVER-BUSY"),
            ("Response status code does not indicate success: 429 (Too Many Requests).", "GRAPH-THROTTLED"),
            ("Connect-MsolService : The term 'Connect-MsolService' is not recognized as the name of a cmdlet", "MSONLINE-RETIRED"),
            ("The term 'Get-EXOMailbox' is not recognized as the name of a cmdlet, function", "PS-CMDLET-NOT-FOUND"),
            ("Set-MgUserLicense: License assignment failed because service plans ... UsageLocation is required", "GRAPH-USAGE-LOCATION"),
            ("Couldn't find object \"x\". ManagementObjectNotFoundException", "EXO-OBJECT-NOT-FOUND"),
            ("Basic authentication is currently disabled in the client configuration", "EXO-BASIC-AUTH-RPS"),
        ];
        for (text, id) in cases {
            assert_eq!(explain("05-users", text).map(|k| k.id), Some(id), "{text}");
        }
    }

    #[test]
    fn unknown_and_empty_texts_have_no_hint() {
        assert!(explain("05-users", "").is_none());
        assert!(explain("05-users", "Something unexpected happened").is_none());
        // A number that merely contains 429 is not throttling.
        assert!(explain("05-users", "object id 14290 was renamed").is_none());
    }

    /// Every Exchange Online not-found names its server: "not provisioned yet" only where a
    /// mailbox is expected; a missing group or contact is a plain not-found.
    #[test]
    fn not_found_on_a_server_means_not_provisioned_only_for_mailboxes() {
        let text = "The operation couldn't be performed because object 'sales@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'.";
        for step in [
            "13-members",
            "11-groups",
            "11-groups-aliases",
            "12-contacts",
        ] {
            assert_eq!(
                explain(step, text).map(|k| k.id),
                Some("EXO-OBJECT-NOT-FOUND"),
                "{step}"
            );
        }
        for step in [
            "10-aliases",
            "15-permissions",
            "14-limits",
            "09-mailboxes-verify",
        ] {
            assert_eq!(
                explain(step, text).map(|k| k.id),
                Some("EXO-MAILBOX-NOT-PROVISIONED"),
                "{step}"
            );
        }
        let named = "Add-MailboxPermission: The operation couldn't be performed because object 'ann@contoso.com' couldn't be found on 'X.PROD.OUTLOOK.COM'.";
        assert_eq!(
            explain("13-members", named).map(|k| k.id),
            Some("EXO-MAILBOX-NOT-PROVISIONED")
        );
    }

    /// Texts the step scripts build at run time, beyond each entry's own example.
    #[test]
    fn the_scripts_own_failure_texts() {
        let cases = [
            ("08-licences", "No usage location: set one in the users CSV or cutover.toml (usage_location); licences need it.", "GRAPH-USAGE-LOCATION"),
            ("11-groups", "Expected one group for sales, found 2", "CUTOVER-NOT-ONE-MATCH"),
            ("09-mailboxes-verify", "The UPN matches 2 recipients.", "CUTOVER-NOT-ONE-MATCH"),
            ("04-source-throttling", "Expected one account named svc-mig, found 0", "CUTOVER-NOT-ONE-MATCH"),
            ("03-source-impersonation", "Some grants failed: see the dyn records of this step.", "CUTOVER-SOME-OPERATIONS-FAILED"),
            ("01-preflight", "Module Microsoft.Graph.Users 2.1.0 is older than 2.25.0: Update-Module Microsoft.Graph.Users", "CUTOVER-PREFLIGHT"),
            ("01-preflight", "PowerShell 7.1.3 is too old: install PowerShell 7.4 or later.", "CUTOVER-PREFLIGHT"),
            ("04-source-throttling", "The association did not take effect.", "CUTOVER-SOURCE-NOT-EFFECTIVE"),
            ("05-source-export", "Unknown export: Folders", "CUTOVER-BUNDLE-MISMATCH"),
            // The verification error Graph gives is quoted after cutover's own text: ours wins.
            ("06-domains", "Domain added but not verified yet: publish the TXT record in domain-verification.csv, wait for DNS, then run this step again. Domain verification failed: the domain is not verified.", "CUTOVER-DOMAIN-NOT-VERIFIED"),
            ("12-contacts", "Column ExternalEmailAddress is blank: refusing to pass an empty identity to a cmdlet.", "CUTOVER-BLANK-IDENTITY"),
        ];
        for (step, text, id) in cases {
            assert_eq!(explain(step, text).map(|k| k.id), Some(id), "{text}");
        }
    }
}
