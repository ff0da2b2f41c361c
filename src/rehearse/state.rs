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
        .read(true)
        .append(true)
        .open(&log)
        .map_err(|e| Error::io(&log, e))?;
    drop_cut_line(&mut f).map_err(|e| Error::io(&log, e))?;
    f.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| Error::io(&log, e))
}

/// Drops a last line without its newline (a writer killed mid-line: never applied), so the next
/// entry starts a line of its own instead of joining the cut one into a line that is not JSON.
/// A large entry (a group's whole member list) is more than one write, so a kill can cut it.
fn drop_cut_line(f: &mut std::fs::File) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    // Back from the end in blocks until a newline: the cut line is one entry, rarely long.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..n])?;
        if start + n as u64 == len && buf[n - 1] == b'\n' {
            return Ok(());
        }
        if let Some(i) = buf[..n].iter().rposition(|&c| c == b'\n') {
            return f.set_len(start + i as u64 + 1);
        }
        if start == 0 {
            return f.set_len(0);
        }
        end = start;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_after_a_cut_line_starts_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tenant.json");
        write_fresh(&state, &json!({"t": {"users": {}}, "clock": 0.0})).unwrap();
        let log = log_path(&state);
        let kept = r#"{"op":"put","t":"users","id":"a","v":{"Id":"a"}}"#;
        // A second entry cut by a kill mid-write: longer than one block, as a big group is.
        let cut = format!(
            r#"{{"op":"put","t":"users","id":"b","v":{{"Id":"b","X":"{}"#,
            "y".repeat(70_000)
        );
        std::fs::write(&log, format!("{kept}\n{cut}")).unwrap();
        advance_clock(&state, 60.0).unwrap();
        let v = load(&state).unwrap();
        assert_eq!(v["clock"], json!(60.0));
        assert_eq!(v["t"]["users"]["a"]["Id"], "a");
        assert!(
            v["t"]["users"].get("b").is_none(),
            "the cut entry was applied"
        );
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), 2, "{}", &text[..200.min(text.len())]);

        // Nothing cut: every line stays.
        advance_clock(&state, 60.0).unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 3);
        assert_eq!(load(&state).unwrap()["clock"], json!(120.0));

        // A log that is one cut line and nothing else.
        std::fs::write(&log, &cut).unwrap();
        advance_clock(&state, 1.0).unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
        assert_eq!(load(&state).unwrap()["clock"], json!(1.0));
    }
}
