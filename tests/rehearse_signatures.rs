//! Every command of the simulated tenant has the signature Microsoft documents: the parameter
//! names, types, aliases, mandatory flags, positions and parameter sets of the vendored cmdlet
//! catalogs (reference/cmdlet-catalog.json and, for BitTitan's module, bittitan-catalog.json), as
//! the real pwsh sees the functions.

mod catalogs;
mod rehearse_support;
use std::collections::{BTreeMap, BTreeSet};

use rehearse_support::pwsh;
use serde_json::Value;

const COMMON: [&str; 14] = [
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ErrorVariable",
    "WarningVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
    "InformationVariable",
    "ProgressAction",
    "WhatIf",
    "Confirm",
];
const ONPREM: [&str; 5] = [
    "exchange2010",
    "exchange2013",
    "exchange2016",
    "exchange2019",
    "exchangeSE",
];
/// Documented exceptions (see tools/sim-signatures.py): mandatory on premises, not online.
const ONLINE_NOT_MANDATORY: [(&str, &str); 4] = [
    ("New-Mailbox", "Password"),
    ("New-Mailbox", "UserPrincipalName"),
    ("Test-MigrationServerAvailability", "SourceMailboxLegacyDN"),
    ("New-MigrationBatch", "CSVData"),
];

fn ps_type(p: &Value) -> &'static str {
    if p["switch"].as_bool() == Some(true) {
        return "System.Management.Automation.SwitchParameter";
    }
    match p["type"].as_str().unwrap_or("") {
        "String" | "System.String" => "System.String",
        "String[]" | "System.String[]" => "System.String[]",
        "Boolean" | "System.Boolean" => "System.Boolean",
        "Int32" | "System.Int32" => "System.Int32",
        "Int64" => "System.Int64",
        // Exchange's UInt32 throttling parameters take $null for "unthrottled"
        // (set-throttlingpolicy): a plain [uint32] would bind $null as 0.
        "UInt32" => "System.Nullable[System.UInt32]",
        "System.Double" => "System.Double",
        "DateTime" | "System.DateTime" => "System.DateTime",
        "SwitchParameter" | "System.Management.Automation.SwitchParameter" => {
            "System.Management.Automation.SwitchParameter"
        }
        "System.Collections.Hashtable" => "System.Collections.Hashtable",
        "System.Collections.IDictionary" => "System.Collections.IDictionary",
        "PSCredential" | "System.Management.Automation.PSCredential" => {
            "System.Management.Automation.PSCredential"
        }
        "SecureString" | "System.Security.SecureString" => "System.Security.SecureString",
        "System.Uri" => "System.Uri",
        "Guid" | "System.Guid" => "System.Guid",
        // Exchange's and Graph's own types do not exist without their modules: an implicit
        // remoting proxy takes them as objects too.
        _ => "System.Object",
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn every_simulated_command_has_the_catalog_signature() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalog: Value = catalogs::vendored();
    let script = r#"
$ErrorActionPreference = 'Stop'
$out = @()
foreach ($f in Get-ChildItem (Join-Path $env:SIM_DIR '*.Commands.ps1')) {
    $name = $f.Name -replace '\.Commands\.ps1$', ''
    $sb = [scriptblock]::Create([IO.File]::ReadAllText($f.FullName) + "`nExport-ModuleMember -Function *-*")
    $m = New-Module -Name ('Sig_' + $name) -ScriptBlock $sb
    foreach ($c in $m.ExportedFunctions.Values) {
        $ps = @{}
        foreach ($p in $c.Parameters.Values) {
            $sets = @{}
            foreach ($k in $p.ParameterSets.Keys) { $sets[$k] = @{ mandatory = $p.ParameterSets[$k].IsMandatory; position = $p.ParameterSets[$k].Position } }
            $t = $p.ParameterType
            $type = $t.FullName
            if ($t.IsGenericType -and $t.GetGenericTypeDefinition() -eq [Nullable`1]) { $type = 'System.Nullable[' + $t.GenericTypeArguments[0].FullName + ']' }
            $ps[$p.Name] = @{ type = $type; aliases = @($p.Aliases); sets = $sets }
        }
        $out += @{ module = $name; command = $c.Name; params = $ps; should = [bool]$c.ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] })[0].SupportsShouldProcess }
    }
    Remove-Module $m
}
ConvertTo-Json -InputObject $out -Depth 8 -Compress
"#;
    let out = pwsh::command()
        .arg("-Command")
        .arg(script)
        .env("SIM_DIR", root.join("ps-modules/CutoverSim"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(seen.len() >= 60, "only {} commands", seen.len());
    let mut problems = Vec::new();
    for f in &seen {
        let module = f["module"].as_str().unwrap();
        let command = f["command"].as_str().unwrap();
        let c = &catalog["cmdlets"][command];
        assert!(c.is_object(), "{command} is not in the catalog");
        let env = match module {
            "CutoverSim.ExchangeServer" => Some("onprem"),
            m if m.starts_with("Microsoft.Graph") || m == "BitTitanManagement" => None,
            _ => Some("exchangeOnline"),
        };
        let applies = |p: &Value| {
            let a: BTreeSet<&str> = p["applicable"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .collect();
            match env {
                None => true,
                Some("onprem") => ONPREM.iter().any(|e| a.contains(e)),
                Some(e) => a.contains(e),
            }
        };
        let want: BTreeMap<&str, &Value> = c["parameters"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| applies(v) && !COMMON.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        let have = f["params"].as_object().unwrap();
        let have_names: BTreeSet<&str> = have
            .keys()
            .map(|k| k.as_str())
            .filter(|k| !COMMON.contains(k))
            .collect();
        let want_names: BTreeSet<&str> = want.keys().copied().collect();
        if have_names != want_names {
            problems.push(format!(
                "{module}/{command}: parameters differ: extra {:?}, missing {:?}",
                &have_names - &want_names,
                &want_names - &have_names
            ));
            continue;
        }
        let documented_should =
            c["parameters"].get("WhatIf").is_some() || c["parameters"].get("Confirm").is_some();
        if f["should"].as_bool() != Some(documented_should) {
            problems.push(format!(
                "{module}/{command}: SupportsShouldProcess {} but the docs say {documented_should}",
                f["should"]
            ));
        }
        let all_sets: BTreeSet<&str> = want
            .values()
            .flat_map(|p| {
                p["sets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str())
            })
            .filter(|s| *s != "__AllParameterSets")
            .collect();
        for (name, p) in &want {
            let h = &have[*name];
            if h["type"].as_str() != Some(ps_type(p)) {
                problems.push(format!(
                    "{module}/{command} -{name}: type {} not {}",
                    h["type"],
                    ps_type(p)
                ));
            }
            let aliases: BTreeSet<&str> = p["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .collect();
            let h_aliases: BTreeSet<&str> = h["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .collect();
            if aliases != h_aliases {
                problems.push(format!(
                    "{module}/{command} -{name}: aliases {h_aliases:?} not {aliases:?}"
                ));
            }
            let mut req: BTreeSet<&str> = p["required_in_sets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .collect();
            if env == Some("exchangeOnline") && ONLINE_NOT_MANDATORY.contains(&(command, *name)) {
                req.clear();
            }
            let sets: BTreeSet<&str> = p["sets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .filter(|s| all_sets.contains(s))
                .collect();
            let h_sets = h["sets"].as_object().unwrap();
            if sets.is_empty() {
                let m = h_sets
                    .get("__AllParameterSets")
                    .and_then(|s| s["mandatory"].as_bool());
                let want_m =
                    req.contains("__AllParameterSets") || (!req.is_empty() && all_sets.is_empty());
                if m != Some(want_m) {
                    problems.push(format!(
                        "{module}/{command} -{name}: mandatory {m:?} not {want_m}"
                    ));
                }
                continue;
            }
            let h_names: BTreeSet<&str> = h_sets.keys().map(|k| k.as_str()).collect();
            if h_names != sets {
                problems.push(format!(
                    "{module}/{command} -{name}: sets {h_names:?} not {sets:?}"
                ));
                continue;
            }
            for s in &sets {
                let m = h_sets[*s]["mandatory"].as_bool().unwrap_or(false);
                if m != req.contains(s) {
                    problems.push(format!(
                        "{module}/{command} -{name} in {s}: mandatory {m} not {}",
                        req.contains(s)
                    ));
                }
                if let Some(pos) = p["positions"].get(*s).and_then(|x| x.as_i64()) {
                    if h_sets[*s]["position"].as_i64() != Some(pos) {
                        problems.push(format!(
                            "{module}/{command} -{name} in {s}: position {} not {pos}",
                            h_sets[*s]["position"]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // Each command the bundles call is simulated (a bundle step calling anything else fails the
    // rehearsal loudly instead of passing over it).
    let names: BTreeSet<&str> = seen.iter().filter_map(|f| f["command"].as_str()).collect();
    for c in [
        "New-MgUser",
        "Set-MgUserLicense",
        "Get-EXORecipient",
        "Set-Mailbox",
        "Add-DistributionGroupMember",
        "Add-RecipientPermission",
        "Get-MailboxStatistics",
        "Get-ADPermission",
    ] {
        assert!(names.contains(c), "{c} is not simulated");
    }
}
