//! What the simulated migration engines must hold after a rehearsal, per planned operation of
//! the migration steps (the compare's part for them; see `compare`). Read-only steps (status)
//! and the passes after the MX change (not run in a migrate-phase rehearsal) add no facts.

use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn table<'a>(state: &'a Value, name: &str) -> Vec<&'a Value> {
    state["t"][name]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default()
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// `(what, holds)` for one operation of a migration step of kind `kind`; `v` reads the op's
/// data columns.
pub fn facts(kind: &str, v: &dyn Fn(&str) -> String, state: &Value) -> Vec<(String, bool)> {
    let projects = table(state, "mwproj");
    let project = |name: &str| projects.iter().find(|p| s(&p["Name"]) == name).copied();
    let item = |proj: &str, source: &str| {
        let p = project(proj)?;
        table(state, "mwitem").into_iter().find(|i| {
            s(&i["ConnectorId"]) == s(&p["Id"]) && same(s(&i["ExportEmailAddress"]), source)
        })
    };
    let passes_of = |proj: &str, source: &str| -> Vec<&Value> {
        let Some(i) = item(proj, source) else {
            return Vec::new();
        };
        table(state, "mwpass")
            .into_iter()
            .filter(|p| s(&p["MailboxId"]) == s(&i["Id"]))
            .collect()
    };
    let batch = |name: &str| {
        table(state, "migbatch")
            .into_iter()
            .find(|b| same(s(&b["Identity"]), name))
    };
    match kind {
        "mw-project" if v("Kind") == "Project" => {
            let p = v("Project");
            vec![(format!("MigrationWiz project {p}"), project(&p).is_some())]
        }
        "mw-project" => {
            let (p, src, dst) = (v("Project"), v("SourceAddress"), v("TargetAddress"));
            let ok = item(&p, &src).is_some_and(|i| same(s(&i["ImportEmailAddress"]), &dst));
            vec![(format!("MigrationWiz item {src} -> {dst}"), ok)]
        }
        "mw-verify" => {
            let src = v("SourceAddress");
            let ok = passes_of(&v("Project"), &src)
                .iter()
                .any(|p| s(&p["Type"]) == "Verification");
            vec![(format!("Verification pass of {src}"), ok)]
        }
        "mw-prestage" => {
            let (src, end) = (v("SourceAddress"), v("ItemEndDate"));
            let ok = passes_of(&v("Project"), &src).iter().any(|p| {
                s(&p["Type"]) == "Full"
                    && s(&p["ItemTypes"]) == "Mail"
                    && s(&p["ItemEndDate"]) == end
            });
            vec![(format!("pre-stage pass of {src} up to {end}"), ok)]
        }
        "native-endpoint" => {
            let name = v("Name");
            let ok = table(state, "migep")
                .iter()
                .any(|e| same(s(&e["Identity"]), &name));
            vec![(format!("migration endpoint {name}"), ok)]
        }
        "native-batch" => {
            let name = v("Name");
            let mut out = vec![(format!("migration batch {name}"), batch(&name).is_some())];
            for m in v("Mailboxes").split(';').filter(|m| !m.trim().is_empty()) {
                let ok = batch(&name).is_some_and(|b| {
                    b["Users"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|u| same(s(u), m))
                });
                out.push((format!("{m} in migration batch {name}"), ok));
            }
            out
        }
        "native-start" => {
            let name = v("Name");
            let ok = batch(&name).is_some_and(|b| !b["StartedAt"].is_null());
            vec![(format!("migration batch {name} started"), ok)]
        }
        _ => Vec::new(),
    }
}
