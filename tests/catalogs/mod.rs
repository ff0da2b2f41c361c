//! The one loader of the vendored cmdlet catalogs for tests: Microsoft's
//! (`reference/cmdlet-catalog.json`, CC-BY-4.0) and BitTitan's (`reference/bittitan-catalog.json`,
//! MIT), kept in separate files for their separate licences and merged here into one value of
//! the same shape. `tools/sim-signatures.py` merges the same two files the same way.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{json, Value};

pub const FILES: [&str; 2] = [
    "reference/cmdlet-catalog.json",
    "reference/bittitan-catalog.json",
];

fn read(rel: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the vendored catalog {} is unreadable: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}

/// Microsoft's catalog with BitTitan's cmdlets added, its source recorded as one more
/// `additional_sources` entry and the counts summed. A cmdlet name in both files is a mistake.
pub fn vendored() -> Value {
    let mut full = read(FILES[0]);
    let bt = read(FILES[1]);
    let cmdlets = full["cmdlets"].as_object_mut().expect("cmdlets object");
    for (name, c) in bt["cmdlets"].as_object().expect("bittitan cmdlets object") {
        assert!(
            cmdlets.insert(name.clone(), c.clone()).is_none(),
            "{name} is in both catalogs"
        );
    }
    let commits = bt["source"]["commits"].clone();
    full["additional_sources"]
        .as_array_mut()
        .expect("additional_sources")
        .push(json!({
            "repo": bt["source"]["repo"],
            "commit": commits[0],
            "commits": commits,
            "license": bt["source"]["license"],
            "path": bt["source"]["path"],
        }));
    for (k, v) in bt["environment_tokens"].as_object().expect("tokens") {
        full["environment_tokens"][k] = v.clone();
    }
    for k in ["cmdlets", "parameters"] {
        let sum = full["counts"][k].as_u64().unwrap_or(0) + bt["counts"][k].as_u64().unwrap_or(0);
        full["counts"][k] = json!(sum);
    }
    full
}
