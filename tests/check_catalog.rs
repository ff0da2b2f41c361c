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
        entry.insert("params".into(), Value::Object(params));
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
