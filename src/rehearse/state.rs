//! The simulated tenant's state as `CutoverSim.psm1` keeps it: a JSON snapshot plus an
//! append-only log beside it (`STATE.log`), one idempotent entry per line (`put` a whole object,
//! `del`, `set` a top-level key, or a `batch` of one command's entries). A line without its
//! newline was cut off by a kill: not applied.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::error::{Error, Result};

pub fn log_path(state: &Path) -> PathBuf {
    let mut p = state.as_os_str().to_os_string();
    p.push(".log");
    PathBuf::from(p)
}

/// A new state file (and an empty log).
pub fn write_fresh(state: &Path, value: &Value) -> Result<()> {
    if let Some(dir) = state.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let text = serde_json::to_string(value).map_err(anyhow::Error::from)?;
    std::fs::write(state, text).map_err(|e| Error::io(state, e))?;
    let log = log_path(state);
    std::fs::write(&log, "").map_err(|e| Error::io(&log, e))
}

/// The current state: the snapshot with every complete log entry applied.
pub fn load(state: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(state).map_err(|e| Error::io(state, e))?;
    let mut v: Value = serde_json::from_str(&text).map_err(|e| {
        Error::Integrity(format!(
            "{}: not a simulated tenant state: {e}",
            state.display()
        ))
    })?;
    let log = log_path(state);
    let text = match std::fs::read_to_string(&log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(&log, e)),
    };
    let complete = match text.rfind('\n') {
        Some(i) => &text[..i],
        None => "",
    };
    for line in complete.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(line).map_err(|err| {
            Error::Integrity(format!("{}: a log line is not JSON: {err}", log.display()))
        })?;
        apply(&mut v, &e);
    }
    Ok(v)
}

fn apply(v: &mut Value, e: &Value) {
    let key = |k: &str| e[k].as_str().unwrap_or("").to_string();
    match e["op"].as_str() {
        Some("put") => {
            v["t"][key("t")][key("id")] = e["v"].clone();
        }
        Some("del") => {
            if let Some(t) = v["t"][key("t")].as_object_mut() {
                t.remove(&key("id"));
            }
        }
        Some("set") => {
            v[key("k")] = e["v"].clone();
        }
        // One service call's changes, written as one line so a kill keeps all or none of them.
        Some("batch") => {
            for x in e["e"].as_array().into_iter().flatten() {
                apply(v, x);
            }
        }
        _ => {}
    }
}

/// Changes the seed, faults and delays of an existing state for the next rehearsal (a log entry,
/// like every change).
pub fn reconfigure(state: &Path, seed: u64, faults: Option<u64>, delays: &str) -> Result<()> {
    let mut v = load(state)?;
    let mut config = v["config"].take();
    config["seed"] = json!(seed);
    config["faults"] = match faults {
        Some(_) => json!({"throttle": 0.3, "failed": 0.12}),
        None => Value::Null,
    };
    config["delays"] = super::Delays::parse(delays).unwrap_or_default().bounds();
    append_set(state, "config", config)
}

/// Appends one `set` entry to the state's log, the way the simulation itself records a change.
fn append_set(state: &Path, key: &str, value: Value) -> Result<()> {
    let line = serde_json::to_string(&json!({"op": "set", "k": key, "v": value}))
        .map_err(anyhow::Error::from)?;
    let log = log_path(state);
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(|e| Error::io(&log, e))?;
    f.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| Error::io(&log, e))
}

/// The tenant's objects only (users, recipients, domains, mailbox plans, connectors): what a what-if run must
/// leave as it was. The clock, retry counters and the source side are left out.
pub fn tenant_objects(v: &Value) -> Value {
    json!({
        "users": v["t"]["users"], "rcp": v["t"]["rcp"], "domains": v["t"]["domains"],
        "plans": v["t"]["plans"], "misc": v["t"]["misc"], "connectors": v["t"]["connectors"]
    })
}

/// Moves the simulation's clock on by `seconds` (an operator coming back later).
pub fn advance_clock(state: &Path, seconds: f64) -> Result<()> {
    let v = load(state)?;
    let now = v["clock"].as_f64().unwrap_or(0.0) + seconds;
    append_set(state, "clock", json!(now))
}
