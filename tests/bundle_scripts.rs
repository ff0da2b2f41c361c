//! Every source version x both identity modes: what the generated bundle must always be.

mod catalogs;
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use common::*;
use cutover::bundle::{self, manifest::Manifest, BundleOptions};
use cutover::project::{IdentityMode, SourceVersion};

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn matrix() -> Vec<(SourceVersion, IdentityMode)> {
    SourceVersion::ALL
        .iter()
        .flat_map(|v| [(*v, IdentityMode::Cloud), (*v, IdentityMode::Synced)])
        .collect()
}

/// Every combination, each with the mailbox migration's steps of one engine (see
/// `migration_project`), plus a native cutover migration.
fn bundles() -> Vec<(SourceVersion, IdentityMode, tempfile::TempDir, Manifest)> {
    let t = tenant(40);
    let cutover_batch = (
        SourceVersion::Ex2010,
        IdentityMode::Cloud,
        Some(cutover::plan::migration::NativeType::Cutover),
    );
    matrix()
        .into_iter()
        .map(|(v, i)| (v, i, None))
        .chain([cutover_batch])
        .map(|(v, i, native)| {
            let dir = tempfile::tempdir().unwrap();
            let m = write_bundle(&migration_project(v, i, native), &t, dir.path());
            (v, i, dir, m)
        })
        .collect()
}

fn script_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(BOM),
        "{} has no UTF-8 BOM",
        path.display()
    );
    String::from_utf8(bytes[3..].to_vec()).unwrap()
}

#[test]
fn every_script_parses_with_no_error_node() {
    for (v, i, dir, _) in bundles() {
        let scripts: Vec<PathBuf> = files(dir.path())
            .into_iter()
            .filter(|p| is_script(p))
            .collect();
        assert!(
            scripts.len() >= 10,
            "{v} {i:?}: only {} scripts",
            scripts.len()
        );
        for s in scripts {
            let errs = parse_errors(&script_text(&s));
            assert!(errs.is_empty(), "{v} {i:?} {}: {errs:#?}", s.display());
        }
    }
}

#[test]
fn no_input_value_appears_in_any_script_and_no_password_in_any_file() {
    let corpus = adversarial();
    for (v, i, dir, _) in bundles() {
        let mut data_hits = 0;
        for f in files(dir.path()) {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            assert!(
                !text.contains(PASSWORD_PREFIX),
                "{v} {i:?}: password in {}",
                f.display()
            );
            if is_script(&f) {
                for bad in &corpus {
                    assert!(
                        !text.contains(bad.as_str()),
                        "{v} {i:?}: {:?} in {}",
                        bad,
                        f.display()
                    );
                }
                assert!(!text.contains("user1@contoso.com"), "{}", f.display());
            } else if f.extension().is_some_and(|e| e == "csv") {
                data_hits += corpus.iter().filter(|b| text.contains(b.as_str())).count();
            }
        }
        // The values did reach the bundle: as data, where the scripts read them at run time.
        // (A synced 2003 bundle only verifies UPNs: names, addresses and groups stay in AD.)
        let carries_names = !(v == SourceVersion::Ex2003 && i == IdentityMode::Synced);
        assert!(
            data_hits > 0 || !carries_names,
            "{v} {i:?}: corpus missing from the data files"
        );
    }
}

#[test]
fn manifest_hashes_match_the_files_and_list_every_step() {
    for (v, i, dir, m) in bundles() {
        let on_disk: Manifest =
            serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(on_disk, m);
        assert_eq!(m.source_version, v.as_str());
        assert_eq!(m.identity, i.as_str());
        let mut listed = BTreeSet::new();
        for s in &m.steps {
            let bytes = std::fs::read(dir.path().join(&s.file)).unwrap();
            assert_eq!(bundle::sha256_hex(&bytes), s.sha256, "{}", s.file);
            listed.insert(s.file.clone());
            // The step's ops file is its data file, whose Op column lists the operations, or
            // (a jump-box step's, issue 12) whose rows give them through the step's op_id.
            let ops_file = s.ops_file.as_ref().unwrap();
            assert_eq!(ops_file, &s.data[0]);
            let ops =
                cutover::run::verify::read_planned(&dir.path().join(ops_file), s.op_id.as_deref())
                    .unwrap();
            assert_eq!(ops.len() as u64, s.ops, "{ops_file}");
            let mut r = csv::Reader::from_path(dir.path().join(&s.data[0])).unwrap();
            let has_op = &r.headers().unwrap()[0] == "Op";
            assert_eq!(has_op, s.op_id.is_none(), "{}", s.id);
            if has_op {
                let col: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
                assert_eq!(col, ops, "{}", s.id);
            } else {
                assert_eq!(s.runs_on, "jump-box", "{}", s.id);
            }
            assert!(["source-server", "jump-box"].contains(&s.runs_on.as_str()));
            assert!([
                "powershell-1.0",
                "powershell-2.0",
                "powershell-5.1",
                "pwsh-7"
            ]
            .contains(&s.shell.as_str()));
            if s.runs_on == "jump-box" && s.target == "bittitan" {
                // BitTitan's module needs Windows PowerShell 5.1.
                assert_eq!(s.shell, "powershell-5.1", "{}", s.id);
            } else if s.runs_on == "jump-box" {
                assert_eq!(s.shell, "pwsh-7");
                assert!(
                    ["graph", "exchangeOnline"].contains(&s.target.as_str()),
                    "{}",
                    s.id
                );
            } else {
                assert_eq!(s.target, v.target());
            }
        }
        // The PowerShell 1.0 runtime ships only with the Exchange 2007 scripts that use it.
        let module_files: Vec<&str> = m.modules.iter().map(|d| d.file.as_str()).collect();
        if v == SourceVersion::Ex2007 {
            assert_eq!(module_files, [bundle::MODULE_FILE, bundle::MODULE_PS1_FILE]);
        } else {
            assert_eq!(module_files, [bundle::MODULE_FILE]);
        }
        for d in m.data.iter().chain(&m.modules) {
            let bytes = std::fs::read(dir.path().join(&d.file)).unwrap();
            assert!(bytes.starts_with(BOM), "{}", d.file);
            assert_eq!(bundle::sha256_hex(&bytes), d.sha256, "{}", d.file);
        }
        let scripts: BTreeSet<String> = files(&dir.path().join("steps"))
            .iter()
            .map(|p| format!("steps/{}", p.file_name().unwrap().to_string_lossy()))
            .collect();
        assert_eq!(scripts, listed, "every script is in the manifest");
    }
}

#[test]
fn steps_follow_the_source_version_and_identity_mode() {
    for (v, i, dir, m) in bundles() {
        let ids: Vec<&str> = m.steps.iter().map(|s| s.id.as_str()).collect();
        let has = |id: &str| ids.contains(&id);
        assert_eq!(
            has("03-source-impersonation"),
            v != SourceVersion::Ex2003,
            "{v}"
        );
        assert_eq!(
            has("04-source-throttling"),
            v >= SourceVersion::Ex2010,
            "{v}"
        );
        assert_eq!(
            has("90-source-throttling-revert"),
            v >= SourceVersion::Ex2010,
            "{v}"
        );
        assert_eq!(has("07-users"), i == IdentityMode::Cloud);
        assert_eq!(has("07-users-verify"), i == IdentityMode::Synced);
        let aliases = m.steps.iter().find(|s| s.id == "11-aliases");
        match (v, i) {
            (SourceVersion::Ex2003, IdentityMode::Synced) => assert!(aliases.is_none()),
            (_, IdentityMode::Synced) => assert_eq!(aliases.unwrap().runs_on, "source-server"),
            _ => assert_eq!(aliases.unwrap().target, "exchangeOnline"),
        }
        let all: String = files(dir.path())
            .iter()
            .filter(|p| is_script(p))
            .map(|p| script_text(p))
            .collect();
        if v == SourceVersion::Ex2007 {
            assert!(
                all.contains("ms-Exch-EPI-Impersonation")
                    && all.contains("ms-Exch-EPI-May-Impersonate")
            );
        }
        if v == SourceVersion::Ex2010 {
            assert!(all.contains("EWSMaxConcurrency = $null") && !all.contains("'Unlimited'"));
        }
        if v >= SourceVersion::Ex2013 {
            assert!(
                all.contains("EwsMaxBurst = 'Unlimited'")
                    && all.contains("Set-ThrottlingPolicyAssociation")
            );
        }
        let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
        if v == SourceVersion::Ex2003 {
            assert!(readme.contains("Exchange 2003 has no Exchange Management Shell"));
        }
        assert_eq!(
            readme.contains("written to Windows PowerShell 1.0")
                && readme.contains("dot-source `modules/Cutover.ps1`"),
            v == SourceVersion::Ex2007,
            "{v}"
        );
        assert!(readme.contains("ApplicationImpersonation role in\n  February 2025"));
        // Only what this bundle has: no source example or section without a source step, and
        // the step ids named in the prose exist.
        let source = m.steps.iter().any(|s| s.runs_on == "source-server");
        assert_eq!(
            readme.contains("**Source-server steps**"),
            source,
            "{v} {i:?}"
        );
        assert_eq!(
            readme.contains("05-source-export"),
            has("05-source-export"),
            "{v} {i:?}"
        );
        assert_eq!(
            readme.contains("` runs on the source server"),
            aliases.is_some_and(|a| a.runs_on == "source-server"),
            "{v} {i:?}"
        );
        if source {
            assert!(readme.contains("-ResultsPath .\\results-0"), "{v} {i:?}");
        }
        assert!(!readme.contains("C:\\cutover"));
        assert!(readme.contains("Unblock-File") && readme.contains("-Scope Process"));
        assert_eq!(
            readme.contains("2010 needs **SP1 or later**"),
            v == SourceVersion::Ex2010
        );
        assert!(readme.contains("Enable-OrganizationCustomization"));
        assert_eq!(
            readme.contains("09-mailboxes-verify"),
            has("09-mailboxes-verify"),
            "{v} {i:?}"
        );
        assert!(readme.contains("A **gate** step") && readme.contains("--phase post-cutover"));
        for id in [
            "10-aliases",
            "11-groups",
            "13-members",
            "16-dns-records",
            "17-mail-flow",
        ] {
            assert!(!readme.contains(id), "{v} {i:?}: stale step id {id}");
        }
        assert!(
            readme.contains("\"status\":\"created\""),
            "protocol documented"
        );
    }
}

/// Words that must never be emitted: retired modules, Basic auth, string-built commands.
const FORBIDDEN: [&str; 9] = [
    "Invoke-Expression",
    "iex ",
    "Msol",
    "AzureAD",
    "New-PSSession",
    "-Authentication Basic",
    "powershell-liveid",
    "[scriptblock]::Create",
    "Add-PSSnapin",
];

/// Windows PowerShell 2.0 has none of these (source-server scripts and the module).
const NOT_IN_PS2: [&str; 11] = [
    "ConvertTo-Json",
    "[pscustomobject]",
    "[ordered]",
    "$PSItem",
    " -in ",
    " -notin ",
    ".ForEach(",
    ".Where(",
    "::new(",
    "$PSScriptRoot",
    "Csv -Encoding",
];

#[test]
fn scripts_are_strict_and_avoid_retired_and_unsupported_syntax() {
    let get_mailbox = regex::Regex::new(r"Get-Mailbox(\s|\)|$)").unwrap();
    for (v, i, dir, m) in bundles() {
        let module = script_text(&dir.path().join(bundle::MODULE_FILE));
        for w in NOT_IN_PS2 {
            assert!(!module.contains(w), "module uses {w}");
        }
        assert!(module.contains("Set-StrictMode -Version 2.0"));
        // -LiteralPath (PowerShell 3.0) only behind a version test; 2.0 reads a copy.
        for line in module
            .lines()
            .filter(|l| l.contains("-LiteralPath") && !l.trim_start().starts_with('#'))
        {
            assert!(line.contains("PSVersion.Major -ge 3"), "module: {line}");
        }
        if let Ok(bytes) = std::fs::read(dir.path().join(bundle::MODULE_PS1_FILE)) {
            let runtime = String::from_utf8(bytes).unwrap();
            for w in NOT_IN_PS2 {
                assert!(!runtime.contains(w), "Cutover.ps1 uses {w}");
            }
        }
        for s in &m.steps {
            let text = script_text(&dir.path().join(&s.file));
            assert!(text.contains("Set-StrictMode -Version 2.0"), "{}", s.id);
            assert!(text.contains("$ErrorActionPreference = 'Stop'"), "{}", s.id);
            // Exchange 2007's shell may be PowerShell 1.0: -WhatIf is a plain switch there.
            if v == SourceVersion::Ex2007 && s.runs_on == "source-server" {
                assert!(text.contains("[switch]$WhatIf"), "{}", s.id);
                assert!(!text.contains("SupportsShouldProcess"), "{}", s.id);
            } else {
                assert!(text.contains("SupportsShouldProcess = $true"), "{}", s.id);
            }
            for w in FORBIDDEN {
                assert!(!text.contains(w), "{v} {i:?} {}: {w}", s.id);
            }
            if s.runs_on == "source-server" {
                for w in NOT_IN_PS2 {
                    assert!(!text.contains(w), "{v} {}: {w}", s.id);
                }
            } else {
                assert!(!text.contains("ApplicationImpersonation"), "{}", s.id);
            }
            // Get-Mailbox over everything always asks for every mailbox.
            for line in text
                .lines()
                .filter(|l| get_mailbox.is_match(l) && !l.contains("-Identity"))
            {
                assert!(line.contains("-ResultSize Unlimited"), "{}: {line}", s.id);
            }
            // Addresses are only ever added, never set as a replacing list (2007 excepted).
            for line in text.lines().filter(|l| l.contains("-EmailAddresses")) {
                assert!(
                    line.contains("@{ Add = ")
                        || line.contains("$addresses")
                        || line.trim_start().starts_with('#')
                        || line.contains("ShouldProcess(")
                        || line.contains("Test-CutoverWhatIf "),
                    "{}: {line}",
                    s.id
                );
            }
        }
    }
}

#[test]
fn scripts_do_not_grow_with_the_number_of_users() {
    for (v, i) in matrix() {
        let small = tempfile::tempdir().unwrap();
        let big = tempfile::tempdir().unwrap();
        let pr = project(v, i);
        let a = write_bundle(&pr, &tenant(10), small.path());
        let b = write_bundle(&pr, &tenant(1000), big.path());
        assert_eq!(a.steps.len(), b.steps.len());
        for (x, y) in a.steps.iter().zip(&b.steps) {
            assert_eq!(x.sha256, y.sha256, "{v} {i:?} {}", x.id);
        }
        assert_eq!(a.modules, b.modules);
        let users = |m: &Manifest| m.steps.iter().find(|s| s.id == "08-licences").unwrap().ops;
        assert_eq!((users(&a), users(&b)), (10, 1000));
    }
}

#[test]
fn a_non_empty_folder_needs_force_and_keeps_runs() {
    let dir = tempfile::tempdir().unwrap();
    let pr = project(SourceVersion::Ex2016, IdentityMode::Cloud);
    let p = make_plan(&pr, &tenant(3));
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = bundle::write(&pr, &p, dir.path(), &BundleOptions::default()).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    let force = BundleOptions {
        force: true,
        ..Default::default()
    };
    bundle::write(&pr, &p, dir.path(), &force).unwrap();
    std::fs::create_dir_all(dir.path().join("runs/1")).unwrap();
    std::fs::write(dir.path().join("steps/stray.ps1"), "x").unwrap();
    bundle::write(&pr, &p, dir.path(), &force).unwrap();
    assert!(dir.path().join("runs/1").is_dir());
    assert!(!dir.path().join("steps/stray.ps1").exists());
}

#[test]
fn secrets_go_to_an_owner_only_file_outside_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    std::fs::create_dir(&out).unwrap();
    let t = tenant(5);
    let inside = bundle::write_secrets(&t, &out.join("secrets.csv"), &out);
    assert!(inside.is_err());
    let path = dir.path().join("secrets.csv");
    assert_eq!(bundle::write_secrets(&t, &path, &out).unwrap(), 5);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("\u{feff}UserPrincipalName,Password\r\n"));
    assert!(text.contains(&format!("user0@contoso.com,{PASSWORD_PREFIX}0-Zq9")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        bundle::write_secrets(&t, &path, &out).is_err(),
        "never overwrites"
    );
}

#[test]
fn a_hostile_tenant_name_stays_a_literal() {
    let dir = tempfile::tempdir().unwrap();
    let mut pr = project(SourceVersion::Ex2016, IdentityMode::Cloud);
    pr.tenant = Some("x\u{2019}; Remove-Item C:\\; '$(y).onmicrosoft.com".into());
    write_bundle(&pr, &tenant(2), dir.path());
    let s = script_text(&dir.path().join("steps/07-users.ps1"));
    assert!(s.contains("$Tenant = 'x\u{2019}\u{2019}; Remove-Item C:\\; ''$(y).onmicrosoft.com'"));
    assert!(parse_errors(&s).is_empty());
    pr.tenant = Some("bad\nname.onmicrosoft.com".into());
    let p = make_plan(&pr, &tenant(2));
    let err = bundle::write(
        &pr,
        &p,
        &dir.path().join("other"),
        &BundleOptions::default(),
    );
    assert!(err.is_err());
}

/// Command names and parameters used in a script, by a walk of its syntax tree.
/// Keys of hashtables that are splatted (`@params`) count as parameters of that command.
fn commands(text: &str) -> Vec<(String, Vec<String>)> {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_pwsh::LANGUAGE.into()).unwrap();
    let tree = p.parse(text, None).unwrap();
    let src = text.as_bytes();
    // Hashtable keys per variable: `$x = @{ K = ... }` and `$x.K = ...`.
    let mut splats: HashMap<String, Vec<String>> = HashMap::new();
    let assign_re = regex::Regex::new(r"(?m)^\s*\$(\w+)\s*=\s*@\{([^}\n]*)").unwrap();
    let inline_key = regex::Regex::new(r"(?:^|[;\n{])\s*(\w+)\s*=").unwrap();
    let line_key = regex::Regex::new(r"(?m)^\s*(\w+)\s*=").unwrap();
    for c in assign_re.captures_iter(text) {
        let keys = splats.entry(c[1].to_lowercase()).or_default();
        for k in inline_key.captures_iter(&c[2]) {
            keys.push(k[1].to_string());
        }
    }
    let multi_re = regex::Regex::new(r"(?ms)^\s*\$(\w+)\s*=\s*@\{\s*$(.*?)^\s*\}").unwrap();
    for c in multi_re.captures_iter(text) {
        let keys = splats.entry(c[1].to_lowercase()).or_default();
        for k in line_key.captures_iter(&c[2]) {
            keys.push(k[1].to_string());
        }
    }
    for c in regex::Regex::new(r"\$(\w+)\.(\w+)\s*=[^=]")
        .unwrap()
        .captures_iter(text)
    {
        splats
            .entry(c[1].to_lowercase())
            .or_default()
            .push(c[2].to_string());
    }
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == "command" {
            if let Some(name) = n.child_by_field_name("command_name") {
                let name = name.utf8_text(src).unwrap().to_string();
                let mut params = Vec::new();
                if let Some(els) = n.child_by_field_name("command_elements") {
                    let mut c2 = els.walk();
                    for e in els.children(&mut c2) {
                        let t = e.utf8_text(src).unwrap();
                        if e.kind() == "command_parameter" {
                            params
                                .push(t.trim_start_matches('-').trim_end_matches(':').to_string());
                        } else if let Some(var) = t.strip_prefix('@') {
                            if let Some(keys) = splats.get(&var.to_lowercase()) {
                                params.extend(keys.iter().cloned());
                            }
                        }
                    }
                }
                out.push((name, params));
            }
        }
        for c in n.children(&mut cursor) {
            stack.push(c);
        }
    }
    out
}

/// PowerShell's own cmdlets the scripts use (not in the Exchange/Graph catalog).
const CORE: [&str; 23] = [
    "ConvertTo-Json",
    // Import-CutoverData reads a step's op_id from manifest.json (behind a 3.0 version test).
    "ConvertFrom-Json",
    "Get-Credential",
    "Get-Command",
    "Split-Path",
    "Join-Path",
    "Import-Module",
    "Set-StrictMode",
    "Import-Csv",
    "Export-Csv",
    "Select-Object",
    "Where-Object",
    "ForEach-Object",
    "Sort-Object",
    "Out-Null",
    "Out-String",
    "Write-Host",
    "New-Object",
    "Add-Member",
    "Test-Path",
    "Get-Module",
    "Start-Sleep",
    "Export-ModuleMember",
];
const COMMON: [&str; 8] = [
    "ErrorAction",
    "WhatIf",
    "Confirm",
    "Verbose",
    "WarningAction",
    "ErrorVariable",
    "OutVariable",
    "Debug",
];

/// The full catalogs vendored in the repository (reference/README.md says where they come from).
fn catalog() -> serde_json::Value {
    catalogs::vendored()
}

/// Problems with `name -params` for `targets` (any one of them must have it).
fn check_command(
    cat: &serde_json::Value,
    name: &str,
    params: &[String],
    targets: &[&str],
    own: &BTreeSet<String>,
) -> Vec<String> {
    let cmdlets = &cat["cmdlets"];
    let applies = |v: &serde_json::Value| {
        v.as_array().is_some_and(|a| {
            a.iter()
                .any(|x| targets.contains(&x.as_str().unwrap_or("")))
        })
    };
    let Some(c) = cmdlets.get(name) else {
        if name.starts_with('$')
            || CORE.contains(&name)
            || own.contains(&name.to_lowercase())
            || name.contains("-Cutover")
        {
            return vec![];
        }
        return vec![format!("{name}: not a known cmdlet for {targets:?}")];
    };
    let mut errs = Vec::new();
    if !applies(&c["applicable"]) {
        errs.push(format!("{name}: not available in {targets:?}"));
    }
    for p in params {
        if COMMON.iter().any(|c| c.eq_ignore_ascii_case(p)) {
            continue;
        }
        let found = c["parameters"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(p));
        match found {
            None => errs.push(format!("{name} -{p}: no such parameter")),
            Some((_, meta)) if !applies(&meta["applicable"]) => {
                errs.push(format!("{name} -{p}: not available in {targets:?}"))
            }
            _ => {}
        }
    }
    errs
}

fn own_functions(text: &str) -> BTreeSet<String> {
    regex::Regex::new(r"(?m)^\s*function\s+([\w-]+)")
        .unwrap()
        .captures_iter(text)
        .map(|c| c[1].to_lowercase())
        .collect()
}

#[test]
fn every_cmdlet_and_parameter_exists_for_the_step_target() {
    let cat = catalog();
    let mut problems = BTreeMap::new();
    for (v, i, dir, m) in bundles() {
        let module = script_text(&dir.path().join(bundle::MODULE_FILE));
        let own_module = own_functions(&module);
        for (name, params) in commands(&module) {
            for e in check_command(
                &cat,
                &name,
                &params,
                &["graph", "exchangeOnline"],
                &own_module,
            ) {
                problems.insert(format!("module: {e}"), ());
            }
        }
        for s in &m.steps {
            let text = script_text(&dir.path().join(&s.file));
            // The catalog starts at Exchange 2010; Exchange 2007's shell is checked against it.
            let target = if s.target == "exchange2007" {
                "exchange2010"
            } else {
                s.target.as_str()
            };
            let own: BTreeSet<String> = own_functions(&text).union(&own_module).cloned().collect();
            let cmds = commands(&text);
            assert!(!cmds.is_empty(), "{}", s.id);
            for (name, params) in cmds {
                for e in check_command(&cat, &name, &params, &[target], &own) {
                    problems.insert(format!("{v} {i:?} {}: {e}", s.id), ());
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{:#?}",
        problems.keys().collect::<Vec<_>>()
    );
}

#[test]
fn the_checker_finds_wrong_cmdlets_and_parameters() {
    // Guards the test above against passing vacuously.
    let cat = catalog();
    let own = BTreeSet::new();
    let cmds = commands("Set-Mailbox -Identity $x -NoSuchParam 1\nGet-MgDomainVerificationDetail -DomainId $d\n$p = @{ Bogus = 1 }\nNew-MgUser @p\n");
    let errs: Vec<String> = cmds
        .iter()
        .flat_map(|(n, p)| check_command(&cat, n, p, &["exchangeOnline"], &own))
        .collect();
    assert!(errs.iter().any(|e| e.contains("-NoSuchParam")), "{errs:?}");
    assert!(
        errs.iter()
            .any(|e| e.contains("Get-MgDomainVerificationDetail")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("New-MgUser: not available")),
        "{errs:?}"
    );
    let graph: Vec<String> = cmds
        .iter()
        .flat_map(|(n, p)| check_command(&cat, n, p, &["graph"], &own))
        .collect();
    assert!(graph.iter().any(|e| e.contains("-Bogus")), "{graph:?}");
    assert!(!parse_errors("Write-Host ('a'").is_empty());
}

#[test]
fn operations_the_state_shows_in_place_are_not_in_the_bundle() {
    let t = tenant(3);
    let pr = project(SourceVersion::Ex2016, IdentityMode::Cloud);
    let users: Vec<serde_json::Value> = t
        .users
        .iter()
        .map(|u| {
            serde_json::json!({"upn": u.upn, "display_name": u.display_name,
            "given_name": u.first_name, "surname": u.last_name, "usage_location": "GB",
            "licences": ["O365_BUSINESS_PREMIUM"]})
        })
        .collect();
    let state = cutover::plan::State::from_json(
        &serde_json::json!({"version": 1, "users": users}).to_string(),
    )
    .unwrap();
    let p = cutover::plan::build(&pr, &t, Some(&state)).unwrap();
    assert_eq!(
        p.step(cutover::plan::StepKind::Users)
            .unwrap()
            .pending()
            .count(),
        0
    );
    let dir = tempfile::tempdir().unwrap();
    let m = bundle::write(&pr, &p, dir.path(), &BundleOptions::default()).unwrap();
    let ids: Vec<&str> = m.steps.iter().map(|s| s.id.as_str()).collect();
    assert!(
        !ids.contains(&"07-users") && !ids.contains(&"08-licences"),
        "{ids:?}"
    );
    assert!(ids.contains(&"11-aliases"));
    let md = std::fs::read_to_string(dir.path().join("PLAN.md")).unwrap();
    assert!(md.contains("- unchanged users:ensure:user0@contoso.com"));
}

#[test]
fn exchange_online_aliases_always_use_the_add_form() {
    for (v, i, dir, m) in bundles() {
        let step = m.steps.iter().find(|s| s.id == "11-aliases");
        let Some(step) = step else { continue };
        let text = script_text(&dir.path().join(&step.file));
        let add_form = text.contains("-EmailAddresses @{ Add = $r.Address }");
        let onprem_2007 = v == SourceVersion::Ex2007 && step.runs_on == "source-server";
        assert_eq!(add_form, !onprem_2007, "{v} {i:?}");
    }
}

// ---- Exchange 2007: source-server scripts keep to Windows PowerShell 1.0 ----

fn parse(text: &str) -> tree_sitter::Tree {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_pwsh::LANGUAGE.into()).unwrap();
    p.parse(text, None).unwrap()
}

/// Every node of the tree, named and anonymous, in document order.
fn all_nodes(tree: &tree_sitter::Tree) -> Vec<tree_sitter::Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        out.push(n);
        let mut c = n.walk();
        let kids: Vec<_> = n.children(&mut c).collect();
        stack.extend(kids.into_iter().rev());
    }
    out
}

fn text_of<'a>(n: tree_sitter::Node<'_>, src: &'a str) -> &'a str {
    &src[n.byte_range()]
}

fn line_of(n: tree_sitter::Node<'_>) -> usize {
    n.start_position().row + 1
}

/// The command name and `-Parameter` names of a `command` node.
fn command_parts(n: tree_sitter::Node<'_>, src: &str) -> Option<(String, Vec<String>)> {
    let name = text_of(n.child_by_field_name("command_name")?, src).to_string();
    let mut params = Vec::new();
    if let Some(els) = n.child_by_field_name("command_elements") {
        let mut c = els.walk();
        for e in els.children(&mut c) {
            if e.kind() == "command_parameter" {
                let p = text_of(e, src).trim_start_matches('-');
                params.push(p.split(':').next().unwrap_or(p).to_string());
            }
        }
    }
    Some((name, params))
}

fn child_kinds(n: tree_sitter::Node<'_>) -> Vec<&'static str> {
    let mut c = n.walk();
    let kinds = n.children(&mut c).map(|k| k.kind()).collect();
    kinds
}

fn ancestors(n: tree_sitter::Node<'_>) -> impl Iterator<Item = tree_sitter::Node<'_>> {
    std::iter::successors(n.parent(), |p| p.parent())
}

/// Cmdlets Windows PowerShell 1.0 does not have.
const CMDLETS_AFTER_PS1: [&str; 17] = [
    "Import-Module",
    "Export-ModuleMember",
    "New-Module",
    "Get-Module",
    "Remove-Module",
    "Add-Type",
    "Invoke-Command",
    "Start-Job",
    "New-PSSession",
    "ConvertTo-Json",
    "ConvertFrom-Json",
    "ConvertTo-Csv",
    "ConvertFrom-Csv",
    "Get-Random",
    "Select-Xml",
    "Test-Connection",
    "Set-StrictMode",
];

/// Parameters added after 1.0 to cmdlets 1.0 has.
const PARAMETERS_AFTER_PS1: [(&str, &str); 13] = [
    ("Import-Csv", "Delimiter"),
    ("Import-Csv", "Encoding"),
    ("Import-Csv", "Header"),
    ("Import-Csv", "UseCulture"),
    ("Import-Csv", "LiteralPath"),
    ("Export-Csv", "Delimiter"),
    ("Export-Csv", "UseCulture"),
    ("Export-Csv", "Append"),
    ("Out-File", "NoNewline"),
    ("Set-Content", "NoNewline"),
    ("Get-Content", "Raw"),
    ("Get-Content", "Tail"),
    ("New-Object", "Property"),
];

/// Syntax tree kinds of constructs PowerShell 1.0 cannot parse or run.
const KINDS_AFTER_PS1: [&str; 15] = [
    "try_statement",
    "catch_clause",
    "finally_clause",
    "data_statement",
    "class_statement",
    "enum_statement",
    "using_statement",
    "parallel_statement",
    "inlinescript_statement",
    "pipeline_chain_tail",
    "ternary_expression",
    "null_coalesce_expression",
    "null_coalesce_argument_expression",
    "invocation_foreach_expression",
    "invocation_where_expression",
];

/// Automatic variables 1.0 lacks, and preferences a 1.0 step must not rely on (its -WhatIf
/// is a plain switch, so $WhatIfPreference is not set by it).
const VARIABLES_AFTER_PS1: [&str; 7] = [
    "psitem",
    "psscriptroot",
    "pscommandpath",
    "pscmdlet",
    "psboundparameters",
    "psversiontable",
    "whatifpreference",
];

/// Every construct of `text` Windows PowerShell 1.0 does not have, found by walking the
/// tree-sitter-pwsh syntax tree, as "line: what".
fn not_in_powershell_1(text: &str) -> Vec<String> {
    let tree = parse(text);
    let mut out = Vec::new();
    for n in all_nodes(&tree) {
        let t = text_of(n, text);
        let at = line_of(n);
        let kind = n.kind();
        if KINDS_AFTER_PS1.contains(&kind) {
            out.push(format!("{at}: {kind}"));
        }
        match kind {
            // Named attributes ([CmdletBinding()], [Parameter(Mandatory)], [ValidateX()]);
            // type constraints ([string]) are type literals and fine.
            "attribute" if child_kinds(n).contains(&"attribute_name") => {
                out.push(format!("{at}: attribute {t}"))
            }
            "comment" if t.starts_with("<#") => out.push(format!("{at}: block comment")),
            "block_name" if t.eq_ignore_ascii_case("dynamicparam") => {
                out.push(format!("{at}: dynamicparam"))
            }
            "type_name" => {
                let lower = t.to_ascii_lowercase();
                if ["pscustomobject", "ordered"].contains(&lower.as_str()) {
                    out.push(format!("{at}: [{t}]"));
                }
            }
            "member_name" => {
                let lower = t.to_ascii_lowercase();
                if ["new", "foreach", "where", "getnewclosure"].contains(&lower.as_str()) {
                    out.push(format!("{at}: .{t}"));
                }
            }
            "variable" => {
                if t.starts_with('@') {
                    out.push(format!("{at}: splatting {t}"));
                }
                let name = t.trim_start_matches(['$', '@']).to_ascii_lowercase();
                if VARIABLES_AFTER_PS1.contains(&name.as_str()) || name.starts_with("using:") {
                    out.push(format!("{at}: variable {t}"));
                }
            }
            "command" => {
                let Some((name, params)) = command_parts(n, text) else {
                    continue;
                };
                if let Some(c) = CMDLETS_AFTER_PS1
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(&name))
                {
                    // Set-StrictMode only where the shell is asked first whether it has it.
                    let guarded = *c == "Set-StrictMode"
                        && ancestors(n).any(|a| {
                            a.kind() == "if_statement"
                                && a.child_by_field_name("condition").is_some_and(|c| {
                                    text_of(c, text).contains("Get-Command Set-StrictMode")
                                })
                        });
                    if !guarded {
                        out.push(format!("{at}: cmdlet {name}"));
                    }
                }
                for (cmd, param) in PARAMETERS_AFTER_PS1 {
                    if cmd.eq_ignore_ascii_case(&name)
                        && params.iter().any(|p| p.eq_ignore_ascii_case(param))
                    {
                        out.push(format!("{at}: {name} -{param}"));
                    }
                }
                // Where-Object Name -eq x (the 3.0 simplified syntax).
                if [
                    "Where-Object",
                    "ForEach-Object",
                    "where",
                    "foreach",
                    "?",
                    "%",
                ]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&name))
                    && params.iter().any(|p| {
                        !["FilterScript", "Process", "Begin", "End"]
                            .iter()
                            .any(|ok| ok.eq_ignore_ascii_case(p))
                    })
                {
                    out.push(format!("{at}: {name} without a script block"));
                }
            }
            _ if !n.is_named() && kind.starts_with('-') => {
                // Operators: -join -split -in -notin -shl -shr and their c/i forms.
                let op = kind.trim_start_matches('-').to_ascii_lowercase();
                let base = op
                    .strip_prefix(['c', 'i'])
                    .filter(|b| ["split", "in", "notin"].contains(b))
                    .unwrap_or(&op);
                if ["join", "split", "in", "notin", "shl", "shr"].contains(&base) {
                    out.push(format!("{at}: operator {kind}"));
                }
            }
            _ => {}
        }
    }
    out
}

fn bundles_2007() -> Vec<(IdentityMode, tempfile::TempDir, Manifest)> {
    let t = tenant(20);
    [IdentityMode::Cloud, IdentityMode::Synced]
        .into_iter()
        .map(|i| {
            let dir = tempfile::tempdir().unwrap();
            let m = write_bundle(&project(SourceVersion::Ex2007, i), &t, dir.path());
            (i, dir, m)
        })
        .collect()
}

fn source_steps(m: &Manifest) -> Vec<&bundle::manifest::Step> {
    m.steps
        .iter()
        .filter(|s| s.runs_on == "source-server")
        .collect()
}

#[test]
fn exchange_2007_source_scripts_use_powershell_1_features_only() {
    for (i, dir, m) in bundles_2007() {
        let steps = source_steps(&m);
        let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
        let mut want = vec!["03-source-impersonation", "05-source-export"];
        if i == IdentityMode::Synced {
            want.push("11-aliases");
        }
        // The post-cutover revert of the 2007 grant (its AD extended rights).
        want.push("91-source-impersonation-revert");
        assert_eq!(ids, want, "{i:?}");
        let runtime = dir.path().join(bundle::MODULE_PS1_FILE);
        let mut scripts: Vec<PathBuf> = steps.iter().map(|s| dir.path().join(&s.file)).collect();
        scripts.push(runtime);
        for f in scripts {
            let text = script_text(&f);
            assert_eq!(parse_errors(&text), Vec::<String>::new(), "{}", f.display());
            assert_eq!(
                not_in_powershell_1(&text),
                Vec::<String>::new(),
                "{i:?} {}",
                f.display()
            );
        }
        // The manifest names the shell the scripts are written to; the 1.0 runtime is shipped
        // and hashed.
        for s in steps {
            assert_eq!(s.shell, "powershell-1.0", "{}", s.id);
        }
        assert!(m.modules.iter().any(|d| d.file == bundle::MODULE_PS1_FILE));
    }
}

#[test]
fn the_powershell_1_checker_finds_what_1_0_lacks() {
    // Guards the test above against passing vacuously: one line per construct it must find.
    let cases: [(&str, &str); 22] = [
        ("try { 1 } catch { 2 }", "try_statement"),
        ("try { 1 } finally { 2 }", "finally_clause"),
        (
            "function f { [CmdletBinding()] param() }",
            "attribute [CmdletBinding()]",
        ),
        (
            "param([Parameter(Mandatory = $true)][string]$a)",
            "attribute [Parameter",
        ),
        (
            "param([ValidateNotNullOrEmpty()]$a)",
            "attribute [ValidateNotNullOrEmpty()]",
        ),
        ("Import-Module $p -Force", "cmdlet Import-Module"),
        (
            "Export-ModuleMember -Function *",
            "cmdlet Export-ModuleMember",
        ),
        ("Add-Type -TypeDefinition $t", "cmdlet Add-Type"),
        ("Set-StrictMode -Version 2.0", "cmdlet Set-StrictMode"),
        ("New-Thing @params", "splatting @params"),
        ("$s = $a -join ';'", "operator -join"),
        ("$s = -join $a", "operator -join"),
        ("$a = $s -split ';'", "operator -split"),
        ("if ($a -notin $b) { }", "operator -notin"),
        ("Write-Host $PSScriptRoot", "variable $PSScriptRoot"),
        ("$x | Where-Object { $PSItem }", "variable $PSItem"),
        ("$PSCmdlet.ShouldProcess('a', 'b')", "variable $PSCmdlet"),
        (
            "Import-Csv -Path $p -Delimiter ';'",
            "Import-Csv -Delimiter",
        ),
        (
            "$x | Out-File -FilePath $p -NoNewline",
            "Out-File -NoNewline",
        ),
        ("<# help #>\nWrite-Host 1", "block comment"),
        ("$o = [pscustomobject]@{ A = 1 }", "[pscustomobject]"),
        (
            "Get-Mailbox | Where-Object Name -eq 'x'",
            "Where-Object without a script block",
        ),
    ];
    for (code, want) in cases {
        let found = not_in_powershell_1(code);
        assert!(
            found.iter().any(|f| f.contains(want)),
            "{code:?}: {found:?}"
        );
    }
    // What 1.0 has raises nothing.
    let fine = "param([string]$a = '', [switch]$WhatIf)\n\
        if ($null -ne (Get-Command Set-StrictMode -ErrorAction SilentlyContinue)) { Set-StrictMode -Version 2.0 }\n\
        trap { $e = $_; continue }\n\
        $x = [string]::Join(';', [string[]]@('a')) -replace 'a', 'b'\n\
        $h = @\"\nhere\n\"@\n\
        $o = New-Object PSObject\n\
        $o | Add-Member -MemberType NoteProperty -Name A -Value 1\n\
        @(Get-Mailbox -ResultSize Unlimited) | Where-Object { $_.Name -notmatch 'x' }\n";
    assert_eq!(not_in_powershell_1(fine), Vec::<String>::new());
    // A 2.0 step as the Exchange 2010 bundle writes it fails the check.
    let dir = tempfile::tempdir().unwrap();
    write_bundle(
        &project(SourceVersion::Ex2010, IdentityMode::Synced),
        &tenant(2),
        dir.path(),
    );
    let found = not_in_powershell_1(&script_text(&dir.path().join("steps/05-source-export.ps1")));
    for want in [
        "attribute [CmdletBinding",
        "cmdlet Import-Module",
        "block comment",
        "operator -join",
    ] {
        assert!(found.iter().any(|f| f.contains(want)), "{want}: {found:?}");
    }
    // The -WhatIf guard of the contract test below: found before a change, missed without it.
    for (code, want) in [
        ("if (Test-CutoverWhatIf -Target $a -Action 'x') { return 'whatif' }\nSet-Mailbox -Identity $a", true),
        ("if ($other) { return 'whatif' }\nSet-Mailbox -Identity $a", false),
        ("Set-Mailbox -Identity $a\nif (Test-CutoverWhatIf -Target $a -Action 'x') { return 'whatif' }", false),
    ] {
        let tree = parse(code);
        let set = all_nodes(&tree)
            .into_iter()
            .find(|n| n.kind() == "command" && text_of(*n, code).starts_with("Set-Mailbox"))
            .unwrap();
        assert_eq!(guarded_by_whatif(set, code), want, "{code}");
    }
    let found = not_in_powershell_1(&script_text(&dir.path().join(bundle::MODULE_FILE)));
    assert!(
        found.iter().any(|f| f.contains("try_statement")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("cmdlet Export-ModuleMember")),
        "{found:?}"
    );
}

/// The text of `function NAME { ... }` in `text`, found in its syntax tree.
fn function_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let tree = parse(text);
    all_nodes(&tree)
        .into_iter()
        .filter(|n| n.kind() == "function_statement")
        .find(|n| {
            let mut c = n.walk();
            let found = n.children(&mut c).any(|k| {
                k.kind() == "function_name" && text_of(k, text).eq_ignore_ascii_case(name)
            });
            found
        })
        .map(|n| text_of(n, text))
}

#[test]
fn the_powershell_1_runtime_writes_the_same_records_as_the_module() {
    let ps1 = bundle::MODULE_PS1;
    let psm1 = bundle::MODULE;
    // The record, its JSON escaping, the -OnlyOpsPath test, the blank-identity guard and the
    // transient-error test are the module's own code, letter for letter.
    for f in [
        "Resolve-CutoverPath",
        "ConvertTo-CutoverJsonString",
        "ConvertTo-CutoverJsonCount",
        "ConvertTo-CutoverProgressJson",
        "Write-CutoverResult",
        "Test-CutoverOp",
        "Import-CutoverData",
        "Find-CutoverBlank",
        "Test-CutoverTransient",
        "Test-CutoverNotFound",
        "Get-CutoverRetryDelay",
        "Test-CutoverHasAddress",
        "Get-CutoverExportStatus",
    ] {
        let a = function_text(ps1, f).unwrap_or_else(|| panic!("Cutover.ps1 lacks {f}"));
        assert_eq!(Some(a), function_text(psm1, f), "{f} differs");
    }
    // Initialize-CutoverStep: the module's lines, plus the hand-made -WhatIf.
    let init = function_text(ps1, "Initialize-CutoverStep").unwrap();
    for line in function_text(psm1, "Initialize-CutoverStep")
        .unwrap()
        .lines()
    {
        if !line.trim_start().starts_with("param(") {
            assert!(init.contains(line), "Initialize-CutoverStep lost {line:?}");
        }
    }
    assert!(init.contains("$script:CutoverWhatIf = $WhatIfMode"));
    // Invoke-CutoverRow: the same checks before the body runs.
    let head = |t: &str| {
        let f = function_text(t, "Invoke-CutoverRow").unwrap();
        f[..f.find("$attempt = 0").unwrap()].to_string()
    };
    assert_eq!(head(ps1), head(psm1));
}

#[test]
fn preflight_pairs_the_exchange_module_with_powershell_and_mail_flow_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let m = write_bundle(
        &project(SourceVersion::Ex2016, IdentityMode::Cloud),
        &tenant(2),
        dir.path(),
    );
    let text = |id: &str| {
        let s = m.steps.iter().find(|s| s.id == id).unwrap();
        script_text(&dir.path().join(&s.file))
    };
    let pre = text("01-preflight");
    assert!(pre.contains("$have -ge [version]'3.10.0' -and $ps -lt [version]'7.6'"));
    assert!(pre.contains("$have -ge [version]'3.5.0' -and $ps -lt [version]'7.4'"));
    assert!(pre.contains("Install-Module ExchangeOnlineManagement -RequiredVersion 3.9.2"));
    let flow = text("19-mail-flow");
    assert!(flow.contains("Get-Command -Name 'Get-MessageTraceV2'"));
    let v2 = flow.find("Get-MessageTraceV2 -StartDate").unwrap();
    let v1 = flow.find("Get-MessageTrace -StartDate").unwrap();
    assert!(
        v2 < v1,
        "V2 first, the retiring cmdlet only as the fallback"
    );
}

#[test]
fn graph_and_exchange_choose_certificate_sign_in_by_the_same_rule() {
    let m = bundle::MODULE;
    let graph = function_text(m, "Connect-CutoverGraph").unwrap();
    let exo = function_text(m, "Connect-CutoverExchange").unwrap();
    for f in [graph, exo] {
        assert!(f.contains("$certTenant = Get-CutoverCertificateTenant -Tenant $Tenant"));
        assert!(
            !f.contains("$env:CUTOVER_TENANT_ID"),
            "one rule, in one place"
        );
    }
    assert!(graph.contains("-TenantId $certTenant -CertificateThumbprint"));
    assert!(exo.contains("-Organization $certTenant"));
    let rule = function_text(m, "Get-CutoverCertificateTenant").unwrap();
    assert!(rule.contains("$env:CUTOVER_APP_ID -and $env:CUTOVER_CERT_THUMBPRINT"));
    assert!(
        rule.contains("throw"),
        "no silent fall-back to interactive sign-in"
    );
}

#[test]
fn the_source_export_never_grows_an_array_with_plus_equals() {
    let dir = tempfile::tempdir().unwrap();
    for v in [SourceVersion::Ex2010, SourceVersion::Ex2016] {
        let out = dir.path().join(v.as_str());
        write_bundle(&project(v, IdentityMode::Cloud), &tenant(2), &out);
        let text = script_text(&out.join("steps/05-source-export.ps1"));
        assert!(!text.contains(" += "), "{v}: quadratic array growth");
        assert!(text.contains("New-Object System.Collections.ArrayList"));
        assert_eq!(text.matches("[void]$out.Add(").count(), 5);
        assert_eq!(text.matches("[void]$stats.Add(").count(), 2);
    }
}

#[test]
fn mailbox_checks_look_recipients_up_by_a_documented_parameter() {
    let dir = tempfile::tempdir().unwrap();
    for identity in [IdentityMode::Cloud, IdentityMode::Synced] {
        let m = write_bundle(
            &project(SourceVersion::Ex2016, identity),
            &tenant(2),
            dir.path().join(identity.as_str()).as_path(),
        );
        let text = |id: &str| {
            let s = m.steps.iter().find(|s| s.id == id).unwrap();
            script_text(&dir.path().join(identity.as_str()).join(&s.file))
        };
        let verify = text("09-mailboxes-verify");
        assert!(verify.contains("Get-EXORecipient -UserPrincipalName $id"));
        assert!(!verify.contains("Get-Recipient -Identity"));
        let shared = if identity == IdentityMode::Cloud {
            "10-shared-mailboxes"
        } else {
            "10-shared-mailboxes-2-convert"
        };
        let shared = text(shared);
        assert!(
            shared.contains("Get-EXORecipient -PrimarySmtpAddress $r.PrimarySmtpAddress")
                || shared.contains("Get-EXORecipient -PrimarySmtpAddress $id")
        );
    }
}

#[test]
fn operations_on_just_created_objects_retry_not_found_within_a_budget() {
    for text in [bundle::MODULE, bundle::MODULE_PS1] {
        let row = function_text(text, "Invoke-CutoverRow").unwrap();
        assert!(row.contains("[switch]$RetryNotFound"));
        assert!(row.contains("Get-CutoverRetryDelay -ErrorRecord $err -Attempt $attempt -RetryNotFound $RetryNotFound.IsPresent"));
        let delay = function_text(text, "Get-CutoverRetryDelay").unwrap();
        assert!(delay.contains("Test-CutoverNotFound $ErrorRecord"));
        // Bounded by time (the step's --wait budget, counted as time slept), not by attempts.
        assert!(delay.contains("$script:CutoverWaitBudget - $script:CutoverWaited"));
        assert!(text.contains("$script:CutoverWaitBudget = 1800"));
        assert!(text.contains("$env:CUTOVER_WAIT_SECONDS"));
    }
    // Graph after New-MgUser, Exchange Online after licensing, the contacts step's X500 right
    // after New-MailContact; never where not-found is the normal answer (ensure steps look
    // first, catching not-found, and create).
    let dir = tempfile::tempdir().unwrap();
    let m = write_bundle(
        &project(SourceVersion::Ex2016, IdentityMode::Cloud),
        &tenant(2),
        dir.path(),
    );
    for s in &m.steps {
        let text = script_text(&dir.path().join(&s.file));
        let retries = text.contains("-RetryNotFound");
        let want = [
            "08-licences",
            "11-aliases",
            "13-groups-aliases",
            "14-contacts",
            "15-members",
            "16-limits",
            "17-permissions",
        ]
        .contains(&s.id.as_str());
        assert_eq!(retries, want, "{}", s.id);
    }
}

#[test]
fn the_powershell_1_runtime_records_each_operation_once() {
    // Every way out of Invoke-CutoverRow writes exactly one record, except the skip of an
    // operation -OnlyOpsPath does not list; the retry loop leaves only by return.
    let text = bundle::MODULE_PS1;
    let f = function_text(text, "Invoke-CutoverRow").unwrap();
    let tree = parse(f);
    let mut returns = 0;
    for n in all_nodes(&tree) {
        if n.kind() != "flow_control_statement" {
            continue;
        }
        let t = text_of(n, f);
        assert!(!t.starts_with("break"), "{t}");
        if !t.starts_with("return") {
            continue;
        }
        returns += 1;
        let prev = n.prev_named_sibling().map(|p| text_of(p, f)).unwrap_or("");
        let skip = ancestors(n).any(|a| {
            a.kind() == "if_statement"
                && a.child_by_field_name("condition")
                    .is_some_and(|c| text_of(c, f) == "-not (Test-CutoverOp $op)")
        });
        assert!(
            prev.starts_with("Write-CutoverResult ") || skip,
            "return without a record after {prev:?}"
        );
    }
    assert_eq!(returns, 5);
    // Errors of the body come back through the trap, not as a failure of the whole step.
    let trapped = function_text(text, "Invoke-CutoverTrapped").unwrap();
    let tree = parse(trapped);
    let traps: Vec<&str> = all_nodes(&tree)
        .into_iter()
        .filter(|n| n.kind() == "trap_statement")
        .map(|n| text_of(n, trapped))
        .collect();
    assert_eq!(traps.len(), 1);
    assert!(
        traps[0].contains("$outcome['Error'] = $_")
            && traps[0]
                .trim_end_matches('}')
                .trim_end()
                .ends_with("continue")
    );
    let write = function_text(text, "Write-CutoverResult").unwrap();
    assert_eq!(write.matches("AppendAllText").count(), 1);
}

/// Whether `n` runs only after a `Test-CutoverWhatIf` check that returns 'whatif' earlier in
/// one of its enclosing blocks.
fn guarded_by_whatif(n: tree_sitter::Node<'_>, src: &str) -> bool {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.kind() == "statement_list" {
            let mut prev = cur.prev_named_sibling();
            while let Some(s) = prev {
                if s.kind() == "if_statement"
                    && s.child_by_field_name("condition")
                        .is_some_and(|c| text_of(c, src).starts_with("Test-CutoverWhatIf "))
                    && text_of(s, src).contains("return 'whatif'")
                {
                    return true;
                }
                prev = s.prev_named_sibling();
            }
        }
        cur = p;
    }
    false
}

#[test]
fn exchange_2007_source_scripts_keep_the_step_contract() {
    for (i, dir, m) in bundles_2007() {
        for s in source_steps(&m) {
            let text = script_text(&dir.path().join(&s.file));
            let tree = parse(&text);
            let nodes = all_nodes(&tree);
            let ctx = format!("{i:?} {}", s.id);
            // The runner's parameters, -WhatIf a plain switch.
            let params: Vec<&str> = nodes
                .iter()
                .filter(|n| n.kind() == "script_parameter")
                .filter(|n| {
                    n.parent()
                        .and_then(|p| p.parent())
                        .is_some_and(|b| b.parent() == Some(tree.root_node()))
                })
                .map(|n| text_of(*n, &text))
                .collect();
            assert_eq!(
                params,
                [
                    "[switch]$WhatIf",
                    "[string]$ModulePath = ''",
                    "[string]$ResultsPath = ''",
                    "[string]$OnlyOpsPath = ''",
                    "[string]$SecretsPath = ''",
                ],
                "{ctx}"
            );
            let mut commands = Vec::new();
            for n in nodes.iter().filter(|n| n.kind() == "command") {
                let (name, ps) = command_parts(*n, &text).unwrap_or_default();
                commands.push((*n, name, ps));
            }
            let named = |want: &str| {
                commands
                    .iter()
                    .filter(|(_, n, _)| n == want)
                    .collect::<Vec<_>>()
            };
            // The runtime is dot-sourced from -ModulePath.
            assert!(
                nodes.iter().any(|n| n.kind() == "command"
                    && child_kinds(*n).contains(&"command_invocation_operator")
                    && text_of(*n, &text) == ". $ModulePath"),
                "{ctx}"
            );
            // `cutover run` tells users to pass the .psm1 for every source step: the .ps1
            // beside it is what a 1.0 step loads.
            assert!(
                text.contains("elseif ($ModulePath -like '*.psm1') { $ModulePath = [System.IO.Path]::ChangeExtension($ModulePath, '.ps1') }"),
                "{ctx}"
            );
            // -ResultsPath, -OnlyOpsPath and -WhatIf reach the runtime.
            let init = named("Initialize-CutoverStep");
            assert_eq!(init.len(), 1, "{ctx}");
            assert_eq!(
                init[0].2,
                ["Step", "ResultsPath", "OnlyOpsPath", "WhatIfMode"],
                "{ctx}"
            );
            let init_text = text_of(init[0].0, &text);
            for v in [
                "$ResultsPath",
                "$OnlyOpsPath",
                "$WhatIf.IsPresent",
                &format!("'{}'", s.id),
            ] {
                assert!(init_text.contains(v), "{ctx}: {v}");
            }
            // Data come from the step's data file at run time.
            let data = named("Import-CutoverData");
            assert_eq!(data.len(), 1, "{ctx}");
            assert!(
                text_of(data[0].0, &text).contains(&format!("'{}.csv'", s.id)),
                "{ctx}"
            );
            // Every row goes through Invoke-CutoverRow (one record each); any other record is
            // for an object found at run time, never the row's own operation.
            let loops: Vec<_> = nodes
                .iter()
                .filter(|n| {
                    n.kind() == "foreach_statement"
                        && text_of(**n, &text).starts_with("foreach ($row in $Rows)")
                })
                .collect();
            assert_eq!(loops.len(), 1, "{ctx}");
            let rows = named("Invoke-CutoverRow");
            assert_eq!(rows.len(), 1, "{ctx}");
            assert!(ancestors(rows[0].0).any(|a| a == *loops[0]), "{ctx}");
            assert!(
                text_of(rows[0].0, &text).starts_with("Invoke-CutoverRow -Row $row "),
                "{ctx}"
            );
            for (n, _, _) in named("Write-CutoverResult") {
                let t = text_of(*n, &text);
                assert!(t.starts_with("Write-CutoverResult -Op $Op "), "{ctx}: {t}");
                assert!(!ancestors(*n).any(|a| a == rows[0].0), "{ctx}: {t}");
            }
            // Nothing changes without asking Test-CutoverWhatIf first.
            let changes: Vec<_> = commands
                .iter()
                .filter(|(_, name, _)| {
                    [
                        "Add-", "Set-", "New-", "Remove-", "Enable-", "Disable-", "Update-",
                    ]
                    .iter()
                    .any(|v| name.starts_with(v))
                        && !name.contains("-Cutover")
                        // The shell's own, changing nothing in Exchange or AD.
                        && !["Set-StrictMode", "New-Object", "Add-Member"].contains(&name.as_str())
                })
                .collect();
            if s.id != "05-source-export" {
                assert!(!changes.is_empty(), "{ctx}");
            }
            for (n, name, _) in changes {
                assert!(
                    guarded_by_whatif(*n, &text),
                    "{ctx}: {name} runs under -WhatIf"
                );
            }
        }
    }
}

/// Top-level items of a `@( a, (b), 'c,d' )` literal: commas outside brackets and quotes.
fn array_items(literal: &str) -> usize {
    let inner = literal
        .trim()
        .strip_prefix("@(")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not an @() literal: {literal}"));
    let (mut depth, mut quote, mut items) = (0i32, None, 1);
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '{' | '[') => depth += 1,
            (None, ')' | '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => items += 1,
            _ => {}
        }
    }
    items
}

#[test]
fn exchange_2007_export_lines_have_as_many_values_as_columns() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(
        &project(SourceVersion::Ex2007, IdentityMode::Cloud),
        &tenant(2),
        dir.path(),
    );
    let text = script_text(&dir.path().join("steps/05-source-export.ps1"));
    let tree = parse(&text);
    let nodes = all_nodes(&tree);
    let mut lines = 0;
    for branch in nodes.iter().filter(|n| {
        n.kind() == "if_statement"
            && n.child_by_field_name("condition")
                .is_some_and(|c| text_of(c, &text).starts_with("$r.Export -eq "))
    }) {
        let body = text_of(*branch, &text);
        let cmd = |name: &str| -> Vec<String> {
            all_nodes(&tree)
                .into_iter()
                .filter(|n| n.kind() == "command" && ancestors(*n).any(|a| a == *branch))
                .map(|n| text_of(n, &text).to_string())
                .filter(|t| t.starts_with(name))
                .collect()
        };
        let new = cmd("New-CutoverCsv -Columns ");
        assert_eq!(new.len(), 1, "{body}");
        let columns = array_items(new[0].trim_start_matches("New-CutoverCsv -Columns "));
        for line in cmd("Add-CutoverCsvLine $csv ") {
            let arg = line.trim_start_matches("Add-CutoverCsvLine $csv ");
            let literal = if arg == "$values" {
                let at = body.find("$values = @(").expect("$values assigned");
                let rest = &body[at + "$values = ".len()..];
                rest.lines().next().unwrap().to_string()
            } else {
                arg.to_string()
            };
            assert_eq!(array_items(&literal), columns, "{line}");
            lines += 1;
        }
    }
    // Stats, members, and the three kinds of permission row.
    assert_eq!(lines, 5);
    assert_eq!(array_items("@('a', (f $x 'b,c'), @(1, 2))"), 3);
}
