# CutoverSim.Migration.ps1: the simulated migration engines, dot-sourced by CutoverSim.psm1.
# - MigrationWiz (BitTitan's module): tickets, projects (mailbox connectors), items, passes and
#   their statistics. Shapes and names as BitTitan's SDK examples use them (BitTitan/bittitan-sdk:
#   CreateProject.ps1, AddItemToProject.ps1, StartMigration.ps1, SubmitPreStageMigration.ps1,
#   ResubmitFailedMigrationsIfMailWasMigrated.ps1, GetLastMailboxMigration.ps1). A pass goes
#   Submitted -> Processing -> Completed (or Failed) over the virtual clock; a second submission
#   while one is under way is refused (EntityInstanceInUse, as community scripts built on the
#   module report it).
# - Exchange Online's migration endpoints, batches and users (learn.microsoft.com/powershell/
#   module/exchangepowershell: New-MigrationEndpoint, Test-MigrationServerAvailability,
#   New-MigrationBatch, Start-MigrationBatch, Complete-MigrationBatch, Get-MigrationUser,
#   Get-MigrationUserStatistics; "Use PowerShell to perform a cutover migration to Microsoft 365"):
#   a batch is Created, Syncing once started, Synced when every user synced, Completing/Completed
#   after Complete-MigrationBatch (remote moves only); a cutover batch takes every mailbox of the
#   source, and only one cutover batch can exist at a time.
# Durations are virtual seconds, drawn from the seed per mailbox; Start-Sleep advances them.

function global:Get-Credential {
    # The rehearsal's operator answers a credential prompt (BitTitan sign-in, the source
    # administrator) with a sign-in of the simulated services: a random secret, never stored.
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$UserName = 'operator@rehearsal.invalid', [string]$Message, [string]$Title)
    $secure = New-Object System.Security.SecureString
    foreach ($b in [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(12)) { $secure.AppendChar([char](65 + ($b % 26))) }
    $secure.MakeReadOnly()
    New-Object System.Management.Automation.PSCredential($UserName, $secure)
}

function Get-SimMigrationGuid {
    # A stable GUID for a key (tickets' user ids, customers' organisation ids).
    param([string]$Key)
    $bytes = [System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes('cutoversim|' + $Key))
    (New-Object System.Guid -ArgumentList @(, [byte[]]$bytes[0..15])).ToString()
}

function Get-SimMigrationSeconds {
    # How long a pass or sync of one mailbox takes: a base plus up to as much again.
    param([string]$What, [string]$Key, [double]$Base)
    $Base + $Base * (Get-SimHash ('migration|' + $What + '|' + $Key.ToLowerInvariant()))
}

function Test-SimSourceMailbox {
    # Whether the source organisation has a mailbox at this address (what both engines read).
    param([string]$Address)
    $a = $Address.ToLowerInvariant()
    foreach ($r in (Get-SimTable 'src').Values) {
        if ($r -isnot [System.Collections.IDictionary]) { continue }
        if ([string]$r['RecipientTypeDetails'] -notlike '*Mailbox') { continue }
        if (([string]$r['PrimarySmtpAddress']).ToLowerInvariant() -eq $a) { return $true }
        foreach ($p in @($r['EmailAddresses'])) { if ($null -ne $p -and (Get-SimProxyKey ([string]$p)) -eq $a) { return $true } }
    }
    $false
}

function Get-SimSourceMailboxes {
    param()
    $out = @()
    foreach ($r in (Get-SimTable 'src').Values) {
        if ($r -isnot [System.Collections.IDictionary]) { continue }
        if ([string]$r['RecipientTypeDetails'] -notlike '*Mailbox') { continue }
        $a = [string]$r['PrimarySmtpAddress']
        if ($a -ne '') { $out += $a.ToLowerInvariant() }
    }
    $out | Sort-Object -Unique
}

function Get-SimMailboxSize {
    # Items and bytes the source mailbox holds (drawn from the seed; 200-2,200 items, ~75 kB each).
    param([string]$Address)
    $items = [long](200 + 2000 * (Get-SimHash ('size|' + $Address.ToLowerInvariant())))
    @{ Items = $items; Bytes = $items * 75000 }
}

# ---- MigrationWiz ------------------------------------------------------------------------------

function Test-SimBitTitanTicket {
    param($Caller, $Ticket)
    if ($null -ne $Ticket -and $script:Conn.ContainsKey('bittitan')) { return $true }
    Write-SimError $Caller 'The ticket is not valid: sign in with Get-MW_Ticket -Credentials first.' 'InvalidTicket' AuthenticationError $null
    $false
}

function Add-SimBitTitanTypes {
    # The configuration class the SDK examples build with New-Object (MigrationProxy.WebApi).
    if ($null -ne ('MigrationProxy.WebApi.ExchangeConfiguration' -as [type])) { return }
    Add-Type -TypeDefinition 'namespace MigrationProxy.WebApi { public class ExchangeConfiguration { public bool UseAdministrativeCredentials { get; set; } public string Url { get; set; } public string ExchangeItemType { get; set; } public string AdministrativeUsername { get; set; } } }'
}

function Get-SimMwPassStatus {
    # Submitted for 30 s, then Processing until it ends: Completed, or Failed when the source
    # mailbox does not exist (MigrationWiz cannot open it) or a fault is injected for it.
    param($Pass)
    $now = Get-SimClock
    $t = $now - [double]$Pass['SubmittedAt']
    if ($t -lt 30) { return 'Submitted' }
    if ($t -lt [double]$Pass['Seconds']) { return 'Processing' }
    if ([string]$Pass['FailureMessage'] -ne '') { return 'Failed' }
    'Completed'
}

function ConvertTo-SimMwPass {
    param($Pass)
    $end = $null
    if ([string]$Pass['ItemEndDate'] -ne '') { $end = [datetime]::Parse([string]$Pass['ItemEndDate'], [System.Globalization.CultureInfo]::InvariantCulture) }
    $status = Get-SimMwPassStatus $Pass
    $why = $null
    if ($status -eq 'Failed') { $why = [string]$Pass['FailureMessage'] }
    [pscustomobject]@{
        Id = [guid]$Pass['Id']; MailboxId = [guid]$Pass['MailboxId']; ConnectorId = [guid]$Pass['ConnectorId']
        Type = [string]$Pass['Type']; ItemTypes = [string]$Pass['ItemTypes']; ItemEndDate = $end
        Status = $status; FailureMessage = $why; StartDate = [datetime]::UnixEpoch.AddSeconds([double]$Pass['SubmittedAt'])
        CreateDate = [double]$Pass['SubmittedAt']
    }
}

$script:SimCommands['Get-BT_Ticket'] = {
    param($Command, $Bound, $Caller, $Side)
    if ($null -eq $Bound['Credentials']) { Write-SimError $Caller 'Credentials are required.' 'MissingCredentials' AuthenticationError $null; return }
    $script:Conn['bittitan'] = $true
    Add-SimBitTitanTypes
    [pscustomobject]@{ UserId = [guid](Get-SimMigrationGuid ('bt-user|' + $Bound['Credentials'].UserName)); Environment = 'BT'; ServiceType = [string]$Bound['ServiceType'] }
}

$script:SimCommands['Get-MW_Ticket'] = {
    param($Command, $Bound, $Caller, $Side)
    if ($null -eq $Bound['Credentials']) { Write-SimError $Caller 'Credentials are required.' 'MissingCredentials' AuthenticationError $null; return }
    $script:Conn['bittitan'] = $true
    [pscustomobject]@{ UserId = [guid](Get-SimMigrationGuid ('bt-user|' + $Bound['Credentials'].UserName)); Environment = 'BT' }
}

$script:SimCommands['Get-BT_Customer'] = {
    # The BitTitan account's customers: those the rehearsal's plan names (created in the
    # portal beforehand, as BitTitan's examples assume).
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    foreach ($c in @($script:S.config['bittitan_customers'])) {
        if ($null -eq $c) { continue }
        if ($Bound.ContainsKey('CompanyName') -and [string]$c -ne [string]$Bound['CompanyName']) { continue }
        [pscustomobject]@{ CompanyName = [string]$c; OrganizationId = [guid](Get-SimMigrationGuid ('bt-org|' + $c)); PrimaryDomain = '' }
    }
}

$script:SimCommands['Get-MW_MailboxConnector'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    $name = $null
    if ($Bound.ContainsKey('FilterBy_String_Name')) { $name = [string]$Bound['FilterBy_String_Name'] }
    if ($Bound.ContainsKey('Name')) { $name = [string]$Bound['Name'] }
    foreach ($p in (Get-SimTable 'mwproj').Values) {
        if ($null -ne $name -and [string]$p['Name'] -ne $name) { continue }
        [pscustomobject]@{ Id = [guid]$p['Id']; Name = $p['Name']; ProjectType = $p['ProjectType']; ExportType = $p['ExportType']; ImportType = $p['ImportType']; OrganizationId = [guid]$p['OrganizationId'] }
    }
}

$script:SimCommands['Add-MW_MailboxConnector'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    foreach ($k in @('Name', 'ProjectType', 'ExportType', 'ImportType', 'OrganizationId')) {
        if ([string]$Bound[$k] -eq '') { Write-SimError $Caller ('The ' + $k + ' is required.') 'ValidationError' InvalidArgument $null; return }
    }
    $f = Test-SimFault 'bittitan' $Command ([string]$Bound['Name'])
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $Bound['Name']; return }
    $id = [guid]::NewGuid().ToString()
    $url = ''
    if ($null -ne $Bound['ExportConfiguration']) { $url = [string]$Bound['ExportConfiguration'].Url }
    Set-SimObject 'mwproj' $id @{ Id = $id; Name = [string]$Bound['Name']; ProjectType = [string]$Bound['ProjectType']; ExportType = [string]$Bound['ExportType']; ImportType = [string]$Bound['ImportType']; OrganizationId = [string]$Bound['OrganizationId']; Url = $url }
    [pscustomobject]@{ Id = [guid]$id; Name = [string]$Bound['Name'] }
}

$script:SimCommands['Get-MW_Mailbox'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    $conn = $null
    foreach ($k in @('ConnectorId', 'FilterBy_Guid_ConnectorId')) { if ($Bound.ContainsKey($k)) { $conn = [string]$Bound[$k] } }
    foreach ($i in (Get-SimTable 'mwitem').Values) {
        if ($null -ne $conn -and [string]$i['ConnectorId'] -ne $conn) { continue }
        if ($Bound.ContainsKey('FilterBy_String_ExportEmailAddress') -and ([string]$i['ExportEmailAddress']).ToLowerInvariant() -ne ([string]$Bound['FilterBy_String_ExportEmailAddress']).ToLowerInvariant()) { continue }
        [pscustomobject]@{ Id = [guid]$i['Id']; ConnectorId = [guid]$i['ConnectorId']; ExportEmailAddress = $i['ExportEmailAddress']; ImportEmailAddress = $i['ImportEmailAddress'] }
    }
}

$script:SimCommands['Add-MW_Mailbox'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    $conn = [string]$Bound['ConnectorId']
    if (-not (Get-SimTable 'mwproj').ContainsKey($conn)) { Write-SimError $Caller ('The project ' + $conn + ' was not found.') 'EntityNotFound' ObjectNotFound $conn; return }
    $src = [string]$Bound['ExportEmailAddress']
    foreach ($i in (Get-SimTable 'mwitem').Values) {
        if ([string]$i['ConnectorId'] -eq $conn -and ([string]$i['ExportEmailAddress']).ToLowerInvariant() -eq $src.ToLowerInvariant()) {
            Write-SimError $Caller ('An item with the export email address ' + $src + ' already exists in this project.') 'EntityAlreadyExists' ResourceExists $src
            return
        }
    }
    $f = Test-SimFault 'bittitan' $Command $src
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $src; return }
    $id = [guid]::NewGuid().ToString()
    Set-SimObject 'mwitem' $id @{ Id = $id; ConnectorId = $conn; ExportEmailAddress = $src; ImportEmailAddress = [string]$Bound['ImportEmailAddress'] }
    [pscustomobject]@{ Id = [guid]$id; ConnectorId = [guid]$conn; ExportEmailAddress = $src; ImportEmailAddress = [string]$Bound['ImportEmailAddress'] }
}

$script:SimCommands['Add-MW_MailboxMigration'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    $mid = [string]$Bound['MailboxId']
    $item = (Get-SimTable 'mwitem')[$mid]
    if ($null -eq $item) { Write-SimError $Caller ('The mailbox ' + $mid + ' was not found.') 'EntityNotFound' ObjectNotFound $mid; return }
    $type = [string]$Bound['Type']
    if (@('Verification', 'Trial', 'Full') -notcontains $type) { Write-SimError $Caller ('Unknown migration type ' + $type + '.') 'ValidationError' InvalidArgument $type; return }
    foreach ($p in (Get-SimTable 'mwpass').Values) {
        if ([string]$p['MailboxId'] -eq $mid -and @('Submitted', 'Processing') -contains (Get-SimMwPassStatus $p)) {
            Write-SimError $Caller ('EntityInstanceInUse: a migration is already submitted for ' + $item['ExportEmailAddress'] + '.') 'EntityInstanceInUse' ResourceBusy $mid
            return
        }
    }
    $src = [string]$item['ExportEmailAddress']
    $f = Test-SimFault 'bittitan' $Command $src
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $src; return }
    $why = ''
    if (-not (Test-SimSourceMailbox $src)) { $why = 'Your migration failed checking source credentials. The mailbox ' + $src + ' could not be found on the source server.' }
    $base = 1800
    if ($type -eq 'Verification') { $base = 120 }
    elseif ($type -eq 'Trial') { $base = 300 }
    $end = ''
    if ($Bound.ContainsKey('ItemEndDate')) { $end = ([datetime]$Bound['ItemEndDate']).ToString('yyyy-MM-dd', [System.Globalization.CultureInfo]::InvariantCulture) }
    $id = [guid]::NewGuid().ToString()
    Set-SimObject 'mwpass' $id @{
        Id = $id; MailboxId = $mid; ConnectorId = [string]$Bound['ConnectorId']; Type = $type; ItemTypes = [string]$Bound['ItemTypes']
        ItemEndDate = $end; SubmittedAt = (Get-SimClock); Seconds = (Get-SimMigrationSeconds $type $src $base); FailureMessage = $why
    }
    ConvertTo-SimMwPass (Get-SimTable 'mwpass')[$id]
}

$script:SimCommands['Get-MW_MailboxMigration'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    $all = @((Get-SimTable 'mwpass').Values | Where-Object {
            (-not $Bound.ContainsKey('MailboxId') -or [string]$_['MailboxId'] -eq [string]$Bound['MailboxId']) -and
            (-not $Bound.ContainsKey('FilterBy_Guid_ConnectorId') -or [string]$_['ConnectorId'] -eq [string]$Bound['FilterBy_Guid_ConnectorId'])
        } | Sort-Object -Property @{ Expression = { [double]$_['SubmittedAt'] }; Descending = [bool]$Bound['SortBy_CreateDate_Descending'] })
    $skip = 0
    if ($Bound.ContainsKey('PageOffset')) { $skip = [int]$Bound['PageOffset'] }
    $take = 100
    if ($Bound.ContainsKey('PageSize')) { $take = [int]$Bound['PageSize'] }
    foreach ($p in @($all | Select-Object -Skip $skip -First $take)) { ConvertTo-SimMwPass $p }
}

$script:SimCommands['Get-MW_MailboxStat'] = {
    # Per item type, what the completed and running passes moved: Mail for a mail-only pass,
    # everything for a full one (a pre-stage pass copies the share of mail older than its end
    # date; the full pass after it the rest).
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimBitTitanTicket $Caller $Bound['Ticket'])) { return }
    $mid = [string]$Bound['MailboxId']
    $item = (Get-SimTable 'mwitem')[$mid]
    if ($null -eq $item) { Write-SimError $Caller ('The mailbox ' + $mid + ' was not found.') 'EntityNotFound' ObjectNotFound $mid; return }
    $size = Get-SimMailboxSize ([string]$item['ExportEmailAddress'])
    $share = 0.0
    foreach ($p in (Get-SimTable 'mwpass').Values) {
        if ([string]$p['MailboxId'] -ne $mid -or [string]$p['Type'] -eq 'Verification' -or [string]$p['FailureMessage'] -ne '') { continue }
        $st = Get-SimMwPassStatus $p
        if ($st -eq 'Submitted') { continue }
        $done = [Math]::Min(1.0, ((Get-SimClock) - [double]$p['SubmittedAt']) / [double]$p['Seconds'])
        $part = 1.0 - $share
        if ([string]$p['ItemEndDate'] -ne '') { $part = 0.8 }
        $share = [Math]::Min(1.0, $share + $part * $done)
    }
    $items = [long]([double]$size.Items * $share)
    $bytes = [long]([double]$size.Bytes * $share)
    [pscustomobject]@{
        MailboxId = [guid]$mid
        MigrationStatsInfos = @([pscustomobject]@{ ItemType = 'Mail'; MigrationStats = [pscustomobject]@{ SuccessCountTotal = $items; SuccessSizeTotal = $bytes; ErrorCountTotal = 0 } })
    }
}

# ---- Exchange Online's migration ---------------------------------------------------------------

function Find-SimMigrationObject {
    param([string]$Table, [string]$Identity)
    foreach ($o in (Get-SimTable $Table).Values) { if (([string]$o['Identity']).ToLowerInvariant() -eq $Identity.ToLowerInvariant()) { return $o } }
    $null
}

function Get-SimBatchState {
    # Created until started; Syncing until every user's initial sync is done, then Synced;
    # Completing for 10 minutes after Complete-MigrationBatch, then Completed.
    param($Batch)
    $now = Get-SimClock
    if ($null -ne $Batch['CompletedAt']) {
        if ($now - [double]$Batch['CompletedAt'] -lt 600) { return 'Completing' }
        return 'Completed'
    }
    if ($null -eq $Batch['StartedAt']) { return 'Created' }
    foreach ($u in @($Batch['Users'])) {
        if ($now -lt [double]$Batch['StartedAt'] + (Get-SimMigrationSeconds 'sync' ([string]$u) 1800)) { return 'Syncing' }
    }
    'Synced'
}

function Get-SimMigrationUserState {
    param($Batch, [string]$User)
    if (-not (Test-SimSourceMailbox $User)) {
        if ($null -eq $Batch['StartedAt']) { return @('Queued', 'none') }
        return @('Failed', ('Error: MigrationRecipientNotFoundException: A recipient wasn''t found for "' + $User + '" on the source server.'))
    }
    $b = Get-SimBatchState $Batch
    switch ($b) {
        'Created' { return @('Queued', '') }
        'Completing' { return @('Completing', '') }
        'Completed' { return @('Completed', '') }
    }
    if ((Get-SimClock) -lt [double]$Batch['StartedAt'] + (Get-SimMigrationSeconds 'sync' $User 1800)) { return @('Syncing', '') }
    @('Synced', '')
}

$script:SimCommands['Get-MigrationEndpoint'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    foreach ($e in (Get-SimTable 'migep').Values) {
        if ($Bound.ContainsKey('Identity') -and ([string]$e['Identity']).ToLowerInvariant() -ne ([string]$Bound['Identity']).ToLowerInvariant()) { continue }
        [pscustomobject]@{ Identity = $e['Identity']; EndpointType = $e['EndpointType']; RemoteServer = $e['RemoteServer']; UseAutoDiscover = [bool]$e['Autodiscover'] }
    }
}

$script:SimCommands['Test-MigrationServerAvailability'] = {
    # Success when the endpoint exists or the source answers for the address / server given with
    # a credential; otherwise Failed with the reason, as the cmdlet reports it (Result, Message).
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    if ($Bound.ContainsKey('Endpoint')) {
        if ($null -eq (Find-SimMigrationObject 'migep' ([string]$Bound['Endpoint']))) {
            $e = New-SimNotFound 'tenant' $Bound['Endpoint']; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound['Endpoint']; return
        }
        return [pscustomobject]@{ Result = 'Success'; Message = ''; ConnectionSettings = $null }
    }
    if ($null -eq $Bound['Credentials']) { Write-SimError $Caller 'The Credentials parameter is required.' 'ParameterBindingException' InvalidArgument $null; return }
    if ($Bound.ContainsKey('EmailAddress') -and -not (Test-SimSourceMailbox ([string]$Bound['EmailAddress']))) {
        return [pscustomobject]@{ Result = 'Failed'; Message = ('The Autodiscover service couldn''t be located for ' + $Bound['EmailAddress'] + '.'); ConnectionSettings = $null }
    }
    [pscustomobject]@{ Result = 'Success'; Message = ''; ConnectionSettings = $null }
}

$script:SimCommands['New-MigrationEndpoint'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    $name = [string]$Bound['Name']
    if ($null -ne (Find-SimMigrationObject 'migep' $name)) {
        Write-SimError $Caller ('The migration endpoint "' + $name + '" already exists.') 'MigrationEndpointDuplicateException' ResourceExists $name; return
    }
    if (-not $Caller.ShouldProcess($name, 'New-MigrationEndpoint')) { return }
    $f = Test-SimFault 'exchange' $Command $name
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $name; return }
    $type = 'ExchangeOutlookAnywhere'
    if ([bool]$Bound['ExchangeRemoteMove']) { $type = 'ExchangeRemoteMove' }
    Set-SimObject 'migep' $name.ToLowerInvariant() @{ Identity = $name; EndpointType = $type; RemoteServer = [string]$Bound['RemoteServer']; Autodiscover = [bool]$Bound['Autodiscover'] }
    [pscustomobject]@{ Identity = $name; EndpointType = $type }
}

function ConvertTo-SimBatch {
    param($Batch)
    [pscustomobject]@{ Identity = $Batch['Identity']; Status = (Get-SimBatchState $Batch); MigrationType = $Batch['MigrationType']; SourceEndpoint = $Batch['SourceEndpoint']; TotalCount = @($Batch['Users']).Count }
}

$script:SimCommands['Get-MigrationBatch'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    if ($Bound.ContainsKey('Identity')) {
        $b = Find-SimMigrationObject 'migbatch' ([string]$Bound['Identity'])
        if ($null -eq $b) { $e = New-SimNotFound 'tenant' $Bound['Identity']; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound['Identity']; return }
        return ConvertTo-SimBatch $b
    }
    foreach ($b in (Get-SimTable 'migbatch').Values) { ConvertTo-SimBatch $b }
}

$script:SimCommands['New-MigrationBatch'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    $name = [string]$Bound['Name']
    if ($null -ne (Find-SimMigrationObject 'migbatch' $name)) {
        Write-SimError $Caller ('A migration batch named "' + $name + '" already exists.') 'MigrationBatchDuplicateException' ResourceExists $name; return
    }
    $ep = Find-SimMigrationObject 'migep' ([string]$Bound['SourceEndpoint'])
    if ($null -eq $ep) { $e = New-SimNotFound 'tenant' $Bound['SourceEndpoint']; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound['SourceEndpoint']; return }
    $users = @()
    $type = 'ExchangeRemoteMove'
    if ($null -eq $Bound['CSVData']) {
        if ([string]$ep['EndpointType'] -ne 'ExchangeOutlookAnywhere') {
            Write-SimError $Caller 'The CSVData parameter is required for this migration type.' 'MigrationCSVRequiredException' InvalidArgument $name; return
        }
        # A cutover migration: every mailbox of the source, one batch at a time.
        foreach ($b in (Get-SimTable 'migbatch').Values) {
            if ([string]$b['MigrationType'] -eq 'ExchangeOutlookAnywhere' -and [bool]$b['Cutover'] -and (Get-SimBatchState $b) -ne 'Completed') {
                Write-SimError $Caller 'Only one cutover migration batch can exist at a time.' 'MigrationPermanentException' InvalidOperation $name; return
            }
        }
        $users = @(Get-SimSourceMailboxes)
        $type = 'ExchangeOutlookAnywhere'
    }
    else {
        $text = [System.Text.Encoding]::UTF8.GetString([byte[]]$Bound['CSVData']).TrimStart([char]0xFEFF)
        $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() -ne '' })
        if ($lines.Count -lt 2 -or $lines[0].Split(',')[0].Trim() -ne 'EmailAddress') {
            Write-SimError $Caller 'The CSV file must have an EmailAddress column and at least one row.' 'MigrationCSVParsingException' InvalidData $name; return
        }
        $users = @($lines | Select-Object -Skip 1 | ForEach-Object { $_.Split(',')[0].Trim().ToLowerInvariant() })
        $type = [string]$ep['EndpointType']
        if ($type -eq 'ExchangeRemoteMove' -and [string]$Bound['TargetDeliveryDomain'] -eq '') {
            Write-SimError $Caller 'The TargetDeliveryDomain parameter is required for a remote move.' 'ParameterBindingException' InvalidArgument $name; return
        }
    }
    if (-not $Caller.ShouldProcess($name, 'New-MigrationBatch')) { return }
    $f = Test-SimFault 'exchange' $Command $name
    if ($null -ne $f) { Write-SimError $Caller $f[0] $f[1] $f[2] $name; return }
    $b = @{ Identity = $name; MigrationType = $type; SourceEndpoint = [string]$ep['Identity']; Users = $users; Cutover = ($null -eq $Bound['CSVData']); StartedAt = $null; CompletedAt = $null }
    if ([bool]$Bound['AutoStart']) { $b.StartedAt = Get-SimClock }
    Set-SimObject 'migbatch' $name.ToLowerInvariant() $b
    ConvertTo-SimBatch $b
}

$script:SimCommands['Start-MigrationBatch'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    $b = Find-SimMigrationObject 'migbatch' ([string]$Bound['Identity'])
    if ($null -eq $b) { $e = New-SimNotFound 'tenant' $Bound['Identity']; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound['Identity']; return }
    if (-not $Caller.ShouldProcess([string]$b['Identity'], 'Start-MigrationBatch')) { return }
    $b.StartedAt = Get-SimClock
    Set-SimObject 'migbatch' ([string]$b['Identity']).ToLowerInvariant() $b
}

$script:SimCommands['Complete-MigrationBatch'] = {
    # Finalises a remote move (local, cross-forest or remote move batches only).
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    $b = Find-SimMigrationObject 'migbatch' ([string]$Bound['Identity'])
    if ($null -eq $b) { $e = New-SimNotFound 'tenant' $Bound['Identity']; Write-SimError $Caller $e[0] $e[1] $e[2] $Bound['Identity']; return }
    if ([string]$b['MigrationType'] -ne 'ExchangeRemoteMove') {
        Write-SimError $Caller ('The migration batch "' + $b['Identity'] + '" can''t be completed: only local, cross-forest and remote move batches are completed.') 'MigrationBatchCannotBeCompletedException' InvalidOperation $b['Identity']; return
    }
    if ((Get-SimBatchState $b) -ne 'Synced') {
        Write-SimError $Caller ('The migration batch "' + $b['Identity'] + '" can''t be completed because it is ' + (Get-SimBatchState $b) + '.') 'MigrationBatchCannotBeCompletedException' InvalidOperation $b['Identity']; return
    }
    if (-not $Caller.ShouldProcess([string]$b['Identity'], 'Complete-MigrationBatch')) { return }
    $b.CompletedAt = Get-SimClock
    Set-SimObject 'migbatch' ([string]$b['Identity']).ToLowerInvariant() $b
}

function Find-SimMigrationUser {
    param([string]$Identity)
    $id = $Identity.ToLowerInvariant()
    foreach ($b in (Get-SimTable 'migbatch').Values) { if (@($b['Users']) -contains $id) { return $b } }
    $null
}

$script:SimCommands['Get-MigrationUser'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    foreach ($b in (Get-SimTable 'migbatch').Values) {
        if ($Bound.ContainsKey('BatchId') -and ([string]$b['Identity']).ToLowerInvariant() -ne ([string]$Bound['BatchId']).ToLowerInvariant()) { continue }
        foreach ($u in @($b['Users'])) {
            if ($Bound.ContainsKey('Identity') -and [string]$u -ne ([string]$Bound['Identity']).ToLowerInvariant()) { continue }
            $st = Get-SimMigrationUserState $b $u
            [pscustomobject]@{ Identity = $u; BatchId = $b['Identity']; Status = $st[0]; ErrorSummary = $st[1] }
        }
    }
}

$script:SimCommands['Get-MigrationUserStatistics'] = {
    param($Command, $Bound, $Caller, $Side)
    if (-not (Test-SimExchangeSession $Caller 'tenant')) { return }
    $who = [string]$Bound['Identity']
    $b = Find-SimMigrationUser $who
    if ($null -eq $b) { $e = New-SimNotFound 'tenant' $who; Write-SimError $Caller $e[0] $e[1] $e[2] $who; return }
    $st = Get-SimMigrationUserState $b $who
    $size = Get-SimMailboxSize $who
    $share = 0.0
    if ($null -ne $b['StartedAt'] -and $st[0] -ne 'Failed') {
        $share = [Math]::Min(1.0, ((Get-SimClock) - [double]$b['StartedAt']) / (Get-SimMigrationSeconds 'sync' $who 1800))
    }
    $bytes = [long]([double]$size.Bytes * $share)
    [pscustomobject]@{
        Identity = $who.ToLowerInvariant(); BatchId = $b['Identity']; Status = $st[0]; ErrorSummary = $st[1]
        SyncedItemCount = [long]([double]$size.Items * $share); SkippedItemCount = 0
        BytesTransferred = ('{0:N1} MB ({1} bytes)' -f ($bytes / 1MB), $bytes.ToString('N0', [System.Globalization.CultureInfo]::InvariantCulture))
    }
}
