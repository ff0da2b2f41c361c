#!/usr/bin/env python3
"""Writes ps-modules/CutoverSim/*.Commands.ps1: the simulated tenant's command functions, one per
Graph, Exchange Online and Exchange Server command the bundles use, each with the parameter names,
types, mandatory flags, positions and parameter sets of Microsoft's reference (the cmdlet catalog,
derived from MicrosoftDocs/office-docs-powershell and microsoftgraph-docs-powershell, CC-BY-4.0).
Every body hands its bound parameters to the one simulation (CutoverSim.psm1).

Dev tool, run by hand when the bundles start using another command:
    python3 tools/sim-signatures.py reference/cmdlet-catalog.json reference/bittitan-catalog.json
(BitTitan's cmdlets, from BitTitan's SDK examples under the MIT licence, are a separate file for
their separate licence; the cmdlets of every file given are merged, as tests/catalogs/mod.rs does.)
The test tests/rehearse_signatures.rs keeps the output equal to the catalog.
"""
import json
import sys
from pathlib import Path

# The commands the generated steps and Cutover.psm1 / Cutover.ps1 call (grep of templates/ and
# ps-modules/); rehearse fails loudly on a step that calls anything else.
COMMANDS = """Add-ADPermission Add-DistributionGroupMember Add-MailboxPermission Add-RecipientPermission
Confirm-MgDomain Connect-ExchangeOnline Connect-MgGraph Enable-OrganizationCustomization Get-ADPermission
Get-DistributionGroup Get-DistributionGroupMember Get-EXORecipient Get-EXOMailbox Get-ExchangeServer Get-MailContact
Get-Mailbox Get-MailboxDatabase Get-MailboxPermission Get-MailboxPlan Get-MailboxStatistics
Get-ManagementRoleAssignment Get-MessageTrace Get-MessageTraceV2 Get-MgDomain
Get-MgDomainServiceConfigurationRecord Get-MgDomainVerificationDnsRecord Get-MgGroup Get-MgGroupMember
Get-MgSubscribedSku Get-MgUser Get-OrganizationConfig Get-Recipient Get-RecipientPermission
Get-ThrottlingPolicy Get-ThrottlingPolicyAssociation New-DistributionGroup New-MailContact Set-MailContact New-Mailbox
New-ManagementRoleAssignment New-MgDomain New-MgUser New-ThrottlingPolicy Set-DistributionGroup
Set-Mailbox Set-MailboxPlan Set-MgUserLicense Set-ThrottlingPolicy Set-ThrottlingPolicyAssociation
Update-MgUser Disconnect-ExchangeOnline Disconnect-MgGraph
Get-InboundConnector New-InboundConnector Set-InboundConnector
Get-OutboundConnector New-OutboundConnector Set-OutboundConnector
Get-MigrationEndpoint New-MigrationEndpoint Test-MigrationServerAvailability Get-MigrationBatch
New-MigrationBatch Start-MigrationBatch Complete-MigrationBatch Get-MigrationUser
Get-MigrationUserStatistics
Get-BT_Ticket Get-MW_Ticket Get-BT_Customer Get-MW_MailboxConnector Add-MW_MailboxConnector
Get-MW_Mailbox Add-MW_Mailbox Add-MW_MailboxMigration Get-MW_MailboxMigration
Get-MW_MailboxStat""".split()

# Exchange Online's migration commands: the bundles call them only against the tenant, so the
# simulated Exchange Management Shell does not carry them.
ONLINE_ONLY = {"Get-MigrationEndpoint", "New-MigrationEndpoint", "Test-MigrationServerAvailability",
               "Get-MigrationBatch", "New-MigrationBatch", "Start-MigrationBatch",
               "Complete-MigrationBatch", "Get-MigrationUser", "Get-MigrationUserStatistics"}

# Default parameter sets the reference does not give, where a documented example needs one to
# bind. New-MigrationBatch: Microsoft's cutover example "New-MigrationBatch -Name CutoverBatch
# -SourceEndpoint CutoverEndpoint -AutoStart" ("Use PowerShell to perform a cutover migration to
# Microsoft 365", step 3) names parameters of five sets; the cmdlet binds it, so its default is one
# of them: Onboarding, the set of the onboarding (cutover, staged, remote move) examples. [INFERRED]
DEFAULT_SETS = {"New-MigrationBatch": "Onboarding"}

COMMON = {"Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ErrorVariable",
          "WarningVariable", "OutVariable", "OutBuffer", "PipelineVariable", "InformationVariable",
          "ProgressAction", "WhatIf", "Confirm"}
ONPREM = {"exchange2010", "exchange2013", "exchange2016", "exchange2019", "exchangeSE"}
# Types the session knows without the real modules; everything else is [object] (an implicit
# remoting proxy does the same with Exchange's own types). UInt32 is nullable: Exchange's UInt32
# throttling parameters take $null for "unthrottled" (set-throttlingpolicy), which a plain
# [uint32] would turn into 0.
TYPES = {
    "String": "string", "System.String": "string", "String[]": "string[]", "System.String[]": "string[]",
    "Boolean": "bool", "System.Boolean": "bool", "Int32": "int", "System.Int32": "int",
    "Int64": "long", "UInt32": "System.Nullable[uint32]", "System.Double": "double", "DateTime": "datetime",
    "System.DateTime": "datetime", "SwitchParameter": "switch",
    "System.Management.Automation.SwitchParameter": "switch", "System.Collections.Hashtable": "hashtable",
    "System.Collections.IDictionary": "System.Collections.IDictionary", "PSCredential": "pscredential",
    "System.Management.Automation.PSCredential": "pscredential", "SecureString": "securestring",
    "System.Security.SecureString": "securestring", "System.Uri": "uri", "Guid": "guid", "System.Guid": "guid",
}


# Where the combined on-premises/online reference marks a parameter mandatory that Exchange Online
# does not require. New-Mailbox: "New-Mailbox -Shared -Name "Sales Department" -DisplayName
# "Sales Department" -Alias Sales" is the documented Exchange Online example (learn.microsoft.com/
# powershell/module/exchangepowershell/new-mailbox, example 3): no -Password, no -UserPrincipalName.
# Test-MigrationServerAvailability: "Test-MigrationServerAvailability -ExchangeOutlookAnywhere
# -Autodiscover -EmailAddress <email address for on-premises administrator> -Credentials
# $credentials" is Microsoft's documented cutover test ("Use PowerShell to perform a cutover
# migration to Microsoft 365", step 1; the page's own SYNTAX brackets the parameter too): no
# -SourceMailboxLegacyDN. New-MigrationBatch: the same page's cutover batch, "New-MigrationBatch
# -Name CutoverBatch -SourceEndpoint CutoverEndpoint -AutoStart" (step 3), has no -CSVData.
ONLINE_NOT_MANDATORY = {("New-Mailbox", "Password"), ("New-Mailbox", "UserPrincipalName"),
                        ("Test-MigrationServerAvailability", "SourceMailboxLegacyDN"),
                        ("New-MigrationBatch", "CSVData")}


def ps_type(p):
    if p.get("switch"):
        return "switch"
    return TYPES.get(p.get("type") or "", "object")


def facades(name, c):
    """(facade module, parameter filter) pairs for one catalog entry."""
    if c["platform"] in ("graph", "bittitan"):
        return [(c["module"], None)]
    out = []
    mods = c.get("modules") or [c["module"]]
    if c.get("exo_module_native"):
        out.append(("ExchangeOnlineManagement", "exchangeOnline"))
    elif "ExchangeOnlineManagement" in mods:
        out.append(("CutoverSim.ExchangeOnline", "exchangeOnline"))
    if "ExchangeServer" in mods and name not in ONLINE_ONLY:
        out.append(("CutoverSim.ExchangeServer", "onprem"))
    return out


def applies(p, env):
    if env is None:
        return True
    a = set(p.get("applicable") or [])
    return (env in a) if env != "onprem" else bool(a & ONPREM)


def function(name, c, env):
    params = {k: v for k, v in c["parameters"].items() if applies(v, env) and k not in COMMON}
    should = "WhatIf" in c["parameters"] or "Confirm" in c["parameters"]
    sets = [s for s in c["parameter_sets"] if s != "__AllParameterSets"]
    used_sets = {s for v in params.values() for s in v.get("sets", []) if s != "__AllParameterSets"}
    sets = [s for s in sets if s in used_sets]
    # A set named on a parameter but missing from the page's SYNTAX (New-MigrationBatch: XO1,
    # PointInTimeRecoveryOnboarding) is a set all the same: PowerShell binds by the parameters.
    sets += sorted(used_sets - set(sets))
    default = DEFAULT_SETS.get(name) or next((s for s, v in c["parameter_sets"].items() if v.get("default") and s in sets), None)
    if default is None and sets:
        default = "Identity" if "Identity" in sets else sets[0]
    attrs = []
    if default:
        attrs.append("DefaultParameterSetName = '%s'" % default)
    if should:
        attrs.append("SupportsShouldProcess = $true")
    lines = ["function %s {" % name, "    # %s" % c.get("online_version", ""),
             "    [CmdletBinding(%s)]" % ", ".join(attrs), "    param("]
    plines = []
    for pname, p in params.items():
        a = []
        psets = [s for s in p.get("sets", []) if s in sets]
        req = set(p.get("required_in_sets") or [])
        if env == "exchangeOnline" and (name, pname) in ONLINE_NOT_MANDATORY:
            req = set()
        pos = p.get("positions") or {}
        if not psets:
            bits = []
            if "__AllParameterSets" in req or (req and not sets):
                bits.append("Mandatory = $true")
            if "__AllParameterSets" in pos:
                bits.append("Position = %d" % pos["__AllParameterSets"])
            a.append("[Parameter(%s)]" % ", ".join(bits))
        else:
            for s in psets:
                bits = ["ParameterSetName = '%s'" % s]
                if s in req:
                    bits.append("Mandatory = $true")
                if s in pos:
                    bits.append("Position = %d" % pos[s])
                a.append("[Parameter(%s)]" % ", ".join(bits))
        if p.get("aliases"):
            a.append("[Alias(%s)]" % ", ".join("'%s'" % x for x in p["aliases"]))
        a.append("[%s]$%s" % (ps_type(p), pname))
        plines.append("\n".join("        " + x for x in a))
    lines.append(",\n".join(plines))
    lines.append("    )")
    lines.append("    Invoke-CutoverSim -Command '%s' -Bound $PSBoundParameters -Caller $PSCmdlet -Side $script:CutoverSimSide" % name)
    lines.append("}")
    return "\n".join(lines)


def main():
    cat = {}
    for path in sys.argv[1:]:
        for name, c in json.load(open(path, encoding="utf-8"))["cmdlets"].items():
            if name in cat:
                sys.exit("%s is in more than one catalog" % name)
            cat[name] = c
    out = {}
    for name in COMMANDS:
        if name not in cat:
            print("not in the catalog:", name, file=sys.stderr)
            continue
        for mod, env in facades(name, cat[name]):
            out.setdefault(mod, []).append(function(name, cat[name], env))
    root = Path(__file__).resolve().parent.parent / "ps-modules" / "CutoverSim"
    for mod, funcs in sorted(out.items()):
        licence = ("BitTitan's SDK examples,\n# MIT" if mod == "BitTitanManagement"
                   else "Microsoft's reference,\n# CC-BY-4.0")
        text = ("\ufeff# Generated by tools/sim-signatures.py from the cmdlet catalog (%s): the simulated %s commands. Do not edit by hand.\n\n"
                % (licence, mod))
        text += "\n\n".join(funcs) + "\n"
        (root / ("%s.Commands.ps1" % mod)).write_text(text, encoding="utf-8")
        print(mod, len(funcs))


main()
