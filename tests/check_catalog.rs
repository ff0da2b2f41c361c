//! The embedded compact catalog must say what the vendored full catalog says.
//!
//! `reference/cmdlet-catalog.json` is the full catalog (Microsoft's docs as data, CC-BY-4.0; see
//! `reference/README.md`). `CUTOVER_UPDATE_CATALOG=1 cargo test --test check_catalog` rewrites
//! `src/check/catalog.json` from it; without the variable the test fails when the two drift apart.

mod catalogs;

use std::path::PathBuf;

use catalogs::vendored;
use serde_json::{json, Map, Value};

const KEPT_ENVS: [&str; 8] = [
    "exchange2010",
    "exchange2013",
    "exchange2016",
    "exchange2019",
    "exchangeSE",
    "exchangeOnline",
    "graph",
    "bittitan",
];

fn kept(envs: &Value) -> Vec<Value> {
    envs.as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e.as_str().is_some_and(|s| KEPT_ENVS.contains(&s)))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The one derivation: names, aliases, switches and applicability, nothing else.
fn derive(full: &Value) -> Value {
    let mut sources = vec![full["source"].clone()];
    if let Some(extra) = full["additional_sources"].as_array() {
        for s in extra {
            sources.push(json!({
                "repo": s["repo"], "commit": s["commit"], "commits": s["commits"],
                "license": s["license"], "path": s["path"],
            }));
        }
    }
    let mut cmdlets = Map::new();
    for (name, c) in full["cmdlets"].as_object().expect("cmdlets object") {
        let env = kept(&c["applicable"]);
        let mut params = Map::new();
        for (pname, p) in c["parameters"].as_object().expect("parameters object") {
            let penv = kept(&p["applicable"]);
            let mut entry = Map::new();
            if penv != env {
                entry.insert("env".into(), Value::Array(penv));
            }
            if p["aliases"].as_array().is_some_and(|a| !a.is_empty()) {
                entry.insert("aliases".into(), p["aliases"].clone());
            }
            if p["switch"] == json!(true) {
                entry.insert("switch".into(), json!(true));
            }
            params.insert(pname.clone(), Value::Object(entry));
        }
        let mut entry = Map::new();
        entry.insert("env".into(), Value::Array(env));
        if c["supports_common_parameters"] == json!(false) {
            entry.insert("common".into(), json!(false));
        }
        if c["names_only"] == json!(true) {
            // The docs listing gave the name only: check knows the cmdlet, never its parameters.
            entry.insert("names_only".into(), json!(true));
        } else {
            entry.insert("params".into(), Value::Object(params));
        }
        cmdlets.insert(name.clone(), Value::Object(entry));
    }
    json!({
        "about": "Compact extract of reference/cmdlet-catalog.json and reference/bittitan-catalog.json for cutover check: cmdlet and parameter names, aliases, which parameters are switches, and the environments each exists in. Derived from Microsoft's public PowerShell reference docs, licensed CC-BY-4.0, and BitTitan's public SDK examples, licensed MIT; see sources for repositories and commits.",
        "license": "CC-BY-4.0 (Microsoft docs); MIT (BitTitan SDK examples, bittitan entries)",
        "schema_version": full["schema_version"],
        "sources": sources,
        "cmdlets": Value::Object(cmdlets),
    })
}

/// One cmdlet per line keeps diffs readable and the file small.
fn render(v: &Value) -> String {
    let mut out = String::from("{\n");
    for key in ["about", "license", "schema_version", "sources"] {
        out.push_str(&format!("\"{key}\": {},\n", v[key]));
    }
    out.push_str("\"cmdlets\": {\n");
    let cmdlets = v["cmdlets"].as_object().expect("cmdlets");
    let n = cmdlets.len();
    for (i, (name, c)) in cmdlets.iter().enumerate() {
        let sep = if i + 1 < n { "," } else { "" };
        out.push_str(&format!("{}: {c}{sep}\n", Value::String(name.clone())));
    }
    out.push_str("}\n}\n");
    out
}

#[test]
fn embedded_catalog_matches_the_vendored_catalog() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let full = vendored();
    let derived = derive(&full);
    let embedded_path = root.join("src/check/catalog.json");
    if std::env::var_os("CUTOVER_UPDATE_CATALOG").is_some() {
        std::fs::write(&embedded_path, render(&derived)).expect("write catalog.json");
        return;
    }
    let embedded: Value = serde_json::from_str(cutover::check::catalog::EMBEDDED_JSON)
        .expect("embedded catalog is JSON");
    assert_eq!(
        embedded, derived,
        "src/check/catalog.json differs from reference/cmdlet-catalog.json; regenerate with \
         CUTOVER_UPDATE_CATALOG=1 cargo test --test check_catalog, then rerun"
    );
    assert_eq!(
        cutover::check::catalog::Catalog::get().len() as u64,
        full["counts"]["cmdlets"].as_u64().expect("count")
    );
}

#[test]
fn embedded_catalog_keeps_attribution_and_source_commit() {
    let v: Value = serde_json::from_str(cutover::check::catalog::EMBEDDED_JSON).expect("JSON");
    assert!(v["license"]
        .as_str()
        .is_some_and(|l| l.contains("CC-BY-4.0")));
    let sources = v["sources"].as_array().expect("sources");
    assert!(sources
        .iter()
        .any(|s| s["repo"] == "MicrosoftDocs/office-docs-powershell"
            && s["commit"].as_str().is_some_and(|c| c.len() == 40)));
    assert!(sources
        .iter()
        .any(|s| s["repo"] == "MicrosoftDocs/microsoftgraph-docs-powershell"));
}

#[test]
fn vendored_catalog_records_its_licence_and_source_commits() {
    let full = vendored();
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/README.md"),
    )
    .expect("reference/README.md");
    assert!(full["source"]["license"]
        .as_str()
        .is_some_and(|l| l.contains("CC-BY-4.0")));
    let mut commits = vec![full["source"]["commit"].as_str().expect("source commit")];
    for s in full["additional_sources"]
        .as_array()
        .expect("additional_sources")
    {
        for c in s["commits"].as_array().expect("commits") {
            commits.push(c.as_str().expect("commit"));
        }
    }
    for c in commits {
        assert_eq!(c.len(), 40, "a full commit id: {c}");
        assert!(
            readme.contains(c),
            "reference/README.md must name source commit {c} of the vendored catalog"
        );
    }
    assert!(readme.contains("CC-BY-4.0") && readme.contains("CUTOVER_UPDATE_CATALOG=1"));
}

/// The names of one docs listing (`reference/listings/NAME`), and the commit its header records.
fn listing(name: &str) -> (Vec<String>, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("reference/listings")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let commit = text
        .lines()
        .filter(|l| l.starts_with('#'))
        .flat_map(|l| l.split(|c: char| !c.is_ascii_hexdigit()))
        .find(|w| w.len() == 40)
        .unwrap_or_else(|| panic!("{name}: the header names no commit"))
        .to_string();
    let names = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    (names, commit)
}

/// Every docs listing read, with the environment its names are known to exist in (the Exchange
/// service map says nothing about versions; every Graph module is `graph`).
const LISTINGS: [(&str, Option<&str>); 7] = [
    ("exchange-ps.txt", None),
    ("graph-authentication.txt", Some("graph")),
    ("graph-users.txt", Some("graph")),
    ("graph-users-actions.txt", Some("graph")),
    ("graph-groups.txt", Some("graph")),
    ("graph-identity-directorymanagement.txt", Some("graph")),
    ("graph-identity-signins.txt", Some("graph")),
];

/// Issue 10 item 9: every Exchange, EXO and Graph Users / Groups / Identity cmdlet named in the
/// docs listings is in the catalog, in the environment the listing establishes; the ones real
/// scripts were seen to use and the catalog once lacked are among them.
#[test]
fn every_cmdlet_of_the_docs_listings_is_in_the_catalog() {
    let full = vendored();
    let cmdlets = full["cmdlets"].as_object().expect("cmdlets");
    let by_lower: std::collections::HashMap<String, &Value> = cmdlets
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let embedded = cutover::check::catalog::Catalog::get();
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/README.md"),
    )
    .expect("reference/README.md");
    let mut total = 0;
    for (file, env) in LISTINGS {
        let (names, commit) = listing(file);
        assert!(names.len() > 10, "{file}: {} names", names.len());
        assert!(
            readme.contains(&commit) && readme.contains(file),
            "reference/README.md must name {file} and its commit {commit}"
        );
        for name in &names {
            let entry = by_lower
                .get(&name.to_ascii_lowercase())
                .unwrap_or_else(|| panic!("{file}: {name} is not in the catalog"));
            let compact = embedded
                .cmdlet(name)
                .unwrap_or_else(|| panic!("{file}: {name} is not in the embedded catalog"));
            if let Some(env) = env {
                assert!(
                    entry["applicable"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|e| e == env)),
                    "{file}: {name} is not applicable to {env}"
                );
                assert!(compact.envs.contains(env), "{name}: compact env");
            }
        }
        total += names.len();
    }
    assert!(total > 2500, "{total} names read");
    for name in [
        "Invoke-MgGraphRequest",
        "Get-MgUserMemberOf",
        "Get-TransportRule",
        "Search-Mailbox",
    ] {
        assert!(embedded.cmdlet(name).is_some(), "{name} is still missing");
    }
}

/// A name-only entry records no parameters and says where its name came from; full entries
/// keep every parameter. The counts in the file match its entries.
#[test]
fn name_only_entries_are_marked_and_sourced() {
    let full = vendored();
    let cmdlets = full["cmdlets"].as_object().expect("cmdlets");
    let mut names_only = 0;
    for (name, c) in cmdlets {
        if c["names_only"] == json!(true) {
            names_only += 1;
            assert_eq!(c["parameters"], json!({}), "{name}");
            let listing = c["source"]["listing"].as_str().unwrap_or_default();
            assert!(
                LISTINGS.iter().any(|(f, _)| listing.ends_with(f)),
                "{name}: listing {listing}"
            );
            assert_eq!(
                c["source"]["commit"].as_str().map(str::len),
                Some(40),
                "{name}"
            );
        } else {
            // A full entry records its page's syntax and parameters (two Graph cmdlets have
            // no parameters of their own).
            assert!(
                c["parameters"].is_object() && c["parameter_sets"].is_object(),
                "{name}: a full entry without its syntax"
            );
        }
    }
    assert_eq!(full["counts"]["names_only_cmdlets"], json!(names_only));
    assert_eq!(full["counts"]["cmdlets"], json!(cmdlets.len()));
}

/// `cutover check` knows a name-only cmdlet but never judges its parameters or, when the listing
/// gave no environment, its target; a full entry still gets both.
#[test]
fn check_never_reports_parameters_of_a_name_only_cmdlet() {
    use cutover::check::{check_source, Target};
    let codes = |src: &str, target: Target| -> Vec<&'static str> {
        check_source(src, "t.ps1", target, &[])
            .into_iter()
            .map(|f| f.code)
            .collect()
    };
    let cat = cutover::check::catalog::Catalog::get();
    let search = cat.cmdlet("Search-Mailbox").expect("in the catalog");
    assert!(search.names_only);
    for target in [
        Target::Exchange2010,
        Target::Exchange2019,
        Target::ExchangeOnline,
    ] {
        let found = codes(
            "Search-Mailbox -Identity ann -NoSuchParameter 1 -ErrorAction Stop\n",
            target,
        );
        assert!(found.is_empty(), "{target:?}: {found:?}");
    }
    // Get-TransportRule, read from its page, is a full entry: its parameters are checked
    // per version (-DlpPolicy arrived with Exchange 2013).
    let rule = cat.cmdlet("Get-TransportRule").expect("in the catalog");
    assert!(!rule.names_only);
    assert!(codes("Get-TransportRule -State Enabled\n", Target::Exchange2010).is_empty());
    assert!(!codes("Get-TransportRule -DlpPolicy x\n", Target::Exchange2010).is_empty());
    assert!(codes("Get-TransportRule -DlpPolicy x\n", Target::Exchange2016).is_empty());
    // Invoke-MgGraphRequest, read from its page, is a full entry too.
    assert!(codes(
        "Invoke-MgGraphRequest -Method GET -Uri $u -OutputType PSObject -RHV h\n",
        Target::Graph
    )
    .is_empty());
    assert!(!codes(
        "Invoke-MgGraphRequest -Uri $u -HttpMethod GET\n",
        Target::Graph
    )
    .is_empty());
    // A Graph name-only cmdlet is known to exist in Graph only.
    assert!(codes("Get-MgUserMemberOf -UserId $u -All\n", Target::Graph).is_empty());
    assert!(!codes("Get-MgUserMemberOf -UserId $u -All\n", Target::Exchange2016).is_empty());
    // The full entries are unchanged: an unknown parameter is still reported.
    assert!(!codes("Get-Mailbox -NoSuchParameter 1\n", Target::ExchangeOnline).is_empty());
}
