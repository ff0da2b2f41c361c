# launch.ps1: starts one step of a rehearsal the way a person does from an open session:
# `& .\steps\NN-name.ps1 -ResultsPath ...`, not `pwsh -File`. The step's top level is then a script
# scope, not the global one, so its $ErrorActionPreference does not reach module functions (the
# measured table in the pwsh README); a rehearsal started this way shows whether a step's errors
# still reach its error handling. -Shell exchange first loads the simulated Exchange Server cmdlets,
# as the Exchange Management Shell has them loaded before the user types anything.
param(
    [Parameter(Mandatory = $true)][string]$Script,
    [ValidateSet('none', 'exchange')][string]$Shell = 'none',
    [string]$ModulePath,
    [string]$ResultsPath,
    [string]$OnlyOpsPath,
    [string]$SecretsPath,
    [switch]$WhatIf
)
# An interactive session's defaults, not a script's.
$ErrorActionPreference = 'Continue'
if ($Shell -eq 'exchange') {
    Import-Module (Join-Path $PSScriptRoot 'session/CutoverSim.ExchangeServer.psm1') -Global -DisableNameChecking
}
$StepArgs = @{}
foreach ($k in @('ModulePath', 'ResultsPath', 'OnlyOpsPath', 'SecretsPath')) {
    if ($PSBoundParameters.ContainsKey($k)) { $StepArgs[$k] = $PSBoundParameters[$k] }
}
if ($WhatIf) { $StepArgs['WhatIf'] = $true }
$WhatIfPreference = $false
try {
    & $Script @StepArgs
    if ($null -ne $LASTEXITCODE) { exit [int]$LASTEXITCODE }
    exit 0
}
catch {
    [Console]::Error.WriteLine('The step stopped: ' + [string]$_)
    exit 1
}
