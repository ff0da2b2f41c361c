//! Known Exchange / Graph / PowerShell errors: data (id, patterns, cause, fix, an example of the
//! text) plus one matcher. The first entry whose pattern matches wins, so specific entries come
//! before general ones. Facts: /work/shared/reference/m365-facts.md sections 1.x, 2.x, 3.4, 4.x.

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
    pub cause: &'static str,
    pub fix: &'static str,
    /// Whether `--retry-failed` later is the fix (transient), or something must change first.
    pub transient: bool,
    /// A real-shaped error text this entry must match (tested).
    pub example: &'static str,
}

pub static CATALOG: &[KnownError] = &[
    KnownError {
        id: "MSONLINE-RETIRED",
        title: "MSOnline PowerShell is retired",
        patterns: &[r"MSOnline is retiring", r"aka\.ms/MSOnlineRetirement", r"\bMsol\w*'? is not recognized"],
        cause: "The MSOnline module (Connect-MsolService, *-Msol*) was retired between April and May 2025 and no longer works; it never ran in PowerShell 7.",
        fix: "Use Microsoft Graph PowerShell: Connect-MgGraph, New-MgUser, Update-MgUser, Set-MgUserLicense (Microsoft's MSOnline-to-Graph cmdlet map). Regenerate the bundle with this cutover: it emits Graph cmdlets.",
        transient: false,
        example: "MSOnline is retiring and access is disallowed. For more information, see https://aka.ms/MSOnlineRetirement.",
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
        cause: "Basic authentication for Exchange Online Remote PowerShell was switched off on 1 October 2022, and Remote PowerShell itself was retired for every tenant on 1 October 2023.",
        fix: "Connect with the ExchangeOnlineManagement V3 module (Connect-ExchangeOnline, modern auth, REST) instead of New-PSSession to outlook.office365.com/powershell-liveid.",
        transient: false,
        example: "New-PSSession : [outlook.office365.com] Connecting to remote server outlook.office365.com failed with the following error message : Access is denied.",
    },
    KnownError {
        id: "EXO-SERVER-BUSY",
        title: "Exchange throttling (server busy)",
        patterns: &[r"ErrorServerBusy", r"\bServer ?Busy\b", r"Micro delay applied"],
        cause: "Exchange throttled the account: its budget ran out (EWS ErrorServerBusy with a back-off hint, or the Remote PowerShell era's 'Micro delay applied').",
        fix: "Wait a few minutes, then `cutover run BUNDLE --retry-failed`. Avoid parallel sessions under the same admin account. On-premises EWS can use a dedicated migration throttling policy (New-ThrottlingPolicy); Exchange Online throttling cannot be switched off.",
        transient: true,
        example: "The server cannot service this request right now. Try again later. (ErrorServerBusy, BackOffMilliseconds 30000)",
    },
    KnownError {
        id: "EWS-CONNECTION-COUNT",
        title: "EWS concurrent connection limit",
        patterns: &[r"ErrorExceededConnectionCount"],
        cause: "More concurrent EWS connections than the throttling policy's EWSMaxConcurrency allows (10 by default on Exchange 2010, 27 on 2013 and later).",
        fix: "Run fewer connections at once, or on-premises assign the migration account a throttling policy with a higher EWSMaxConcurrency, then retry the failures.",
        transient: true,
        example: "ErrorExceededConnectionCount: You have exceeded the available concurrent connections for your account.",
    },
    KnownError {
        id: "GRAPH-THROTTLED",
        title: "Microsoft Graph throttling (HTTP 429)",
        patterns: &[r"Too many retries performed", r"\bTooManyRequests\b", r"Too Many Requests", r"\b429\b"],
        cause: "Microsoft Graph throttled the requests (HTTP 429). The Graph PowerShell SDK retries 3 times and then gives up with 'Too many retries performed'.",
        fix: "Wait (honour Retry-After when present), then `cutover run BUNDLE --retry-failed`. Avoid running other bulk Graph jobs for the same tenant at the same time.",
        transient: true,
        example: "Too many retries performed. More than 3 retries encountered while sending the request. (HTTP status 429 TooManyRequests)",
    },
    KnownError {
        id: "GRAPH-UNAVAILABLE",
        title: "Microsoft Graph temporarily unavailable (503/504)",
        patterns: &[r"\bServiceUnavailable\b", r"\bGatewayTimeout\b", r"\b503\b.{0,40}Service Unavailable", r"\b504\b.{0,40}Gateway"],
        cause: "A transient Graph service error (HTTP 503 or 504).",
        fix: "Retry later with `cutover run BUNDLE --retry-failed`.",
        transient: true,
        example: "Response status code does not indicate success: ServiceUnavailable (Service Unavailable).",
    },
    KnownError {
        id: "EXO-REST-TIMEOUT",
        title: "Exchange Online cmdlet timed out",
        patterns: &[r"operation has timed out", r"request timed out", r"timed out after"],
        cause: "Exchange Online REST-backed cmdlets stop after 15 minutes; very large calls (e.g. Update-DistributionGroupMember with 10,000 members) hit it.",
        fix: "Split the work: about 5,000 members per Update-DistributionGroupMember, then Add-DistributionGroupMember one by one for the rest; then retry the failures.",
        transient: true,
        example: "Update-DistributionGroupMember: The operation has timed out.",
    },
    KnownError {
        id: "EXO-PROXY-IN-USE",
        title: "Email address already used by another object",
        patterns: &[r"proxy address .{0,300}is already being used"],
        cause: "Another recipient (a mailbox, contact, group, or a soft-deleted mailbox) already has this SMTP address.",
        fix: "Find the owner: Get-Recipient -Filter \"EmailAddresses -eq 'smtp:ADDRESS'\" (and Get-Mailbox -SoftDeletedMailbox); remove the duplicate or correct the CSV, then retry.",
        transient: false,
        example: "The proxy address \"SMTP:ann@contoso.com\" is already being used by the proxy addresses or LegacyExchangeDN of \"Ann Lee\". Please choose another proxy address.",
    },
    KnownError {
        id: "EXO-MAILBOX-NOT-PROVISIONED",
        title: "Mailbox not provisioned yet",
        patterns: &[r"couldn't be found on '[^']*\.PROD\.OUTLOOK\.COM'", r"couldn't be found on '"],
        cause: "Exchange Online creates the mailbox asynchronously after an Exchange licence is assigned: minutes, and up to 24 hours before it is a support case.",
        fix: "Wait, then `cutover run BUNDLE --retry-failed`. If it still fails after 24 hours, check the user's licence includes Exchange Online.",
        transient: true,
        example: "The operation couldn't be performed because object 'ann@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'.",
    },
    KnownError {
        id: "EXO-OBJECT-NOT-FOUND",
        title: "Object not found",
        patterns: &[r"operation couldn't be performed because object .{0,300}couldn't be found", r"ManagementObjectNotFoundException"],
        cause: "No recipient has this identity: a typo in the data, an object not created or synchronised yet, or one deleted meanwhile.",
        fix: "Check the identity in the data files; if the object was created moments ago, retry the failures in a few minutes.",
        transient: false,
        example: "The operation couldn't be performed because object 'sales-team' couldn't be found.",
    },
    KnownError {
        id: "GRAPH-NOT-FOUND",
        title: "Graph object not found (replication delay)",
        patterns: &[r"Request_ResourceNotFound", r"does not exist or one of its queried reference-property objects are not present"],
        cause: "Graph could not find the object: right after New-MgUser this is replication delay (tens of seconds to about 2 minutes), otherwise a wrong id.",
        fix: "Retry the failures after a few minutes; if it persists, check the user principal name in the data.",
        transient: true,
        example: "Resource 'ann@contoso.com' does not exist or one of its queried reference-property objects are not present. Status: 404 (NotFound) ErrorCode: Request_ResourceNotFound",
    },
    KnownError {
        id: "GRAPH-USAGE-LOCATION",
        title: "Licence needs a usage location",
        patterns: &[r"usage ?location"],
        cause: "A licence can only be assigned to a user whose usageLocation (ISO 3166-1 alpha-2 country code) is set; synced users have none by default.",
        fix: "Set it (Update-MgUser -UserId UPN -UsageLocation US), or give cutover a default usage location (--usage-location / usage_location in cutover.toml), regenerate the bundle and retry.",
        transient: false,
        example: "License assignment cannot be done for user with invalid usage location. Status: 400 (BadRequest)",
    },
    KnownError {
        id: "EXO-WRITE-SCOPE",
        title: "Synced object: change it on-premises",
        patterns: &[r"out of the current user's write scope", r"being synchroni[sz]ed from your on-premises organization"],
        cause: "The object is synchronised from on-premises Active Directory (Entra Connect); its attributes (proxyAddresses, mailNickname, display name ...) are mastered there.",
        fix: "Make the change in on-premises AD (or the Exchange server) and let it synchronise; do not retry from here.",
        transient: false,
        example: "The operation on mailbox \"Ann Lee\" failed because it's out of the current user's write scope. The action 'Set-Mailbox' can't be performed on the object 'Ann Lee' because the object is being synchronized from your on-premises organization.",
    },
    KnownError {
        id: "GRAPH-INSUFFICIENT-PRIVILEGES",
        title: "Insufficient Graph permissions",
        patterns: &[r"Authorization_RequestDenied", r"Insufficient privileges to complete the operation"],
        cause: "The signed-in account or app lacks the permission: creating users and assigning licences needs User.ReadWrite.All, reading SKUs Organization.Read.All.",
        fix: "Connect-MgGraph -Scopes User.ReadWrite.All,Organization.Read.All with an account that can consent (or grant admin consent), then retry.",
        transient: false,
        example: "Insufficient privileges to complete the operation. Status: 403 (Forbidden) ErrorCode: Authorization_RequestDenied",
    },
    KnownError {
        id: "PS-CMDLET-NOT-FOUND",
        title: "Cmdlet not available (module not loaded or not connected)",
        patterns: &[r"is not recognized as (the|a) name of a cmdlet"],
        cause: "PowerShell does not know the cmdlet: its module (ExchangeOnlineManagement, Microsoft.Graph.*) is not installed or imported, the session is not connected, or the account's role does not include the cmdlet.",
        fix: "Install-Module ExchangeOnlineManagement / Microsoft.Graph on the jump box, connect (Connect-ExchangeOnline, Connect-MgGraph) and check the admin role, then retry.",
        transient: false,
        example: "The term 'Set-Mailbox' is not recognized as a name of a cmdlet, function, script file, or executable program.",
    },
    KnownError {
        id: "EWS-IMPERSONATE-USER-DENIED",
        title: "EWS: not allowed to impersonate this user",
        patterns: &[r"ErrorImpersonateUserDenied"],
        cause: "The migration account may not impersonate this mailbox. Exchange 2007: the ms-Exch-EPI-May-Impersonate right is missing on the mailbox database or user. Exchange 2010 and later: the ApplicationImpersonation role assignment (or its scope) does not cover the user. Exchange Online removed ApplicationImpersonation in February 2025.",
        fix: "Exchange 2007: Add-ADPermission ... -ExtendedRights ms-Exch-EPI-May-Impersonate on the databases. 2010+: New-ManagementRoleAssignment -Role ApplicationImpersonation -User <svc> (scope covering the user). Exchange Online: an app registration with the full_access_as_app application permission.",
        transient: false,
        example: "ErrorImpersonateUserDenied: The account does not have permission to impersonate the requested user.",
    },
    KnownError {
        id: "EWS-IMPERSONATION-DENIED",
        title: "EWS: account may not impersonate at all",
        patterns: &[r"ErrorImpersonationDenied"],
        cause: "The migration account has no impersonation right. Exchange 2007: ms-Exch-EPI-Impersonation is missing on the Client Access server (and admin group membership denies it). Exchange 2010 and later: no ApplicationImpersonation role assignment.",
        fix: "Exchange 2007: Add-ADPermission on each Client Access server with -ExtendedRights ms-Exch-EPI-Impersonation, using an account outside the admin groups. 2010+: New-ManagementRoleAssignment -Role ApplicationImpersonation -User <svc>.",
        transient: false,
        example: "ErrorImpersonationDenied: The server to which the application is connected cannot impersonate the requested user due to insufficient permission.",
    },
    KnownError {
        id: "EXO-MAILBOX-QUOTA",
        title: "Mailbox quota exceeded",
        patterns: &[r"\bquota\b", r"QuotaExceeded", r"mailbox is full", r"exceeded the maximum size"],
        cause: "The mailbox (or archive) is over its quota (ProhibitSendQuota / ProhibitSendReceiveQuota) or the licence's mailbox size.",
        fix: "Raise the quota or license a bigger mailbox / enable the archive, or reduce the data before moving it; then retry.",
        transient: false,
        example: "The mailbox has exceeded its ProhibitSendReceiveQuota limit (QuotaExceededException).",
    },
    KnownError {
        id: "GRAPH-UPN-EXISTS",
        title: "User principal name already taken",
        patterns: &[r"same value for property userPrincipalName already exists"],
        cause: "Another object in the directory already has this userPrincipalName: the user exists already (created by hand, by an earlier run, or synchronised).",
        fix: "If it is the same person, give cutover a state snapshot so the plan updates instead of creating; otherwise choose another UPN in the CSV.",
        transient: false,
        example: "Another object with the same value for property userPrincipalName already exists. Status: 400 (BadRequest) ErrorCode: Request_BadRequest",
    },
    KnownError {
        id: "GRAPH-DOMAIN-NOT-VERIFIED",
        title: "UPN domain is not a verified domain",
        patterns: &[r"domain portion of the userPrincipalName property is invalid", r"must use one of the verified domain names", r"not a verified domain", r"domain (is )?not verified"],
        cause: "The domain part of the userPrincipalName must be a verified domain of the tenant.",
        fix: "Add and verify the domain in the Microsoft 365 admin center (DNS TXT record) before creating the users, or use the tenant's onmicrosoft.com domain; then retry.",
        transient: false,
        example: "Property userPrincipalName is invalid. The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
    },
    KnownError {
        id: "GRAPH-PASSWORD-POLICY",
        title: "Password does not meet the policy",
        patterns: &[r"password does not comply", r"PasswordProfile.{0,100}(complexity|invalid)", r"password complexity"],
        cause: "Entra ID passwords need 8 to 256 characters and 3 of 4 classes (lower, upper, digit, symbol), no Unicode; banned passwords are refused.",
        fix: "Fix the password in the secrets file (never in the CSVs) and retry the failures.",
        transient: false,
        example: "The specified password does not comply with password complexity requirements. Please provide a different password.",
    },
    KnownError {
        id: "EXO-NAME-IN-USE",
        title: "Name already used",
        patterns: &[r#"The name "?[^"]{0,300}"? is already being used"#],
        cause: "A recipient with this Name exists already (an earlier run, or created by hand).",
        fix: "If it is the same object, let the step treat it as existing (state snapshot); otherwise rename it in the data, then retry.",
        transient: false,
        example: "The name \"Sales Team\" is already being used. Please try another name.",
    },
];

fn compiled() -> &'static [Vec<Regex>] {
    static C: OnceLock<Vec<Vec<Regex>>> = OnceLock::new();
    C.get_or_init(|| {
        CATALOG
            .iter()
            .map(|k| {
                k.patterns
                    .iter()
                    .filter_map(|p| RegexBuilder::new(p).case_insensitive(true).build().ok())
                    .collect()
            })
            .collect()
    })
}

/// The known error an error text matches, if any.
pub fn explain(error: &str) -> Option<&'static KnownError> {
    if error.trim().is_empty() {
        return None;
    }
    CATALOG
        .iter()
        .zip(compiled())
        .find(|(_, res)| res.iter().any(|re| re.is_match(error)))
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
        for (k, res) in CATALOG.iter().zip(compiled()) {
            assert_eq!(
                res.len(),
                k.patterns.len(),
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
                explain(k.example).map(|e| e.id),
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
            assert_eq!(explain(text).map(|k| k.id), Some(id), "{text}");
        }
    }

    #[test]
    fn unknown_and_empty_texts_have_no_hint() {
        assert!(explain("").is_none());
        assert!(explain("Something unexpected happened").is_none());
        // A number that merely contains 429 is not throttling.
        assert!(explain("object id 14290 was renamed").is_none());
    }
}
