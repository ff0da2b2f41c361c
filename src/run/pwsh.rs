//! Find PowerShell 7 and ask it for its version before any step runs.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::protocol::{PROBE_ARGS, PROBE_COMMAND};
use crate::error::{Error, Result};

/// The oldest PowerShell the runner accepts: the bundle's one minimum (`plan::MIN_POWERSHELL`).
/// Modules may need more (ExchangeOnlineManagement 3.10 needs 7.6): preflight checks those.
pub fn min_version() -> (u32, u32) {
    parse_version(crate::plan::MIN_POWERSHELL).unwrap_or((7, 4))
}
pub const ENV_PWSH: &str = "CUTOVER_PWSH";
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pwsh {
    pub path: PathBuf,
    pub version: String,
}

/// `--pwsh`, then `CUTOVER_PWSH`, then `pwsh` on PATH.
pub fn discover(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return existing(p, "--pwsh");
    }
    if let Some(p) = std::env::var_os(ENV_PWSH).filter(|v| !v.is_empty()) {
        return existing(Path::new(&p), ENV_PWSH);
    }
    find_on_path(std::env::var_os("PATH")).ok_or_else(|| {
        Error::Environment(format!(
            "PowerShell 7 (pwsh) was not found on PATH: install PowerShell {} or later, \
                 or name it with --pwsh PATH or CUTOVER_PWSH",
            crate::plan::MIN_POWERSHELL
        ))
    })
}

fn existing(p: &Path, source: &str) -> Result<PathBuf> {
    if p.is_file() {
        Ok(p.to_path_buf())
    } else if p.components().count() == 1 {
        // A bare name such as `pwsh-preview`: look it up like a shell would.
        find_named(std::env::var_os("PATH"), p.as_os_str()).ok_or_else(|| {
            Error::Environment(format!("{source} {}: not found on PATH", p.display()))
        })
    } else {
        Err(Error::Environment(format!(
            "{source} {}: no such file",
            p.display()
        )))
    }
}

fn find_on_path(path: Option<OsString>) -> Option<PathBuf> {
    find_named(path, "pwsh".as_ref())
}

fn find_named(path: Option<OsString>, name: &std::ffi::OsStr) -> Option<PathBuf> {
    let path = path?;
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
        if cfg!(windows) {
            let mut exe = candidate.into_os_string();
            exe.push(".exe");
            let exe = PathBuf::from(exe);
            if exe.is_file() {
                return Some(exe);
            }
        }
    }
    None
}

/// Runs the version probe and refuses anything older than the minimum (Windows PowerShell 5.1 included).
pub fn probe(path: &Path) -> Result<Pwsh> {
    let mut child = Command::new(path)
        .args(PROBE_ARGS)
        .arg(PROBE_COMMAND)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Environment(format!("cannot start {}: {e}", path.display())))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || read_all(stdout.as_mut()));
    let err_reader = std::thread::spawn(move || read_all(stderr.as_mut()));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > PROBE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Environment(format!(
                    "{} did not answer the version probe within {} s",
                    path.display(),
                    PROBE_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(Error::io(path, e)),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(Error::Environment(format!(
            "{} failed the version probe ({status}): {}",
            path.display(),
            err.trim()
        )));
    }
    let version = out
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    check_version(path, version)?;
    Ok(Pwsh {
        path: path.to_path_buf(),
        version: version.to_string(),
    })
}

fn read_all<R: Read>(r: Option<&mut R>) -> String {
    let mut buf = Vec::new();
    if let Some(r) = r {
        let _ = r.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// `7.4.6`, `7.5.0-preview.3`, `5.1.19041.4291` to (major, minor).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// A pwsh that reported its version some other way than the probe (the rehearsal's host prints
/// `$PSVersionTable.PSVersion` when it is ready): the same minimum applies.
pub fn reported(path: &Path, version: &str) -> Result<Pwsh> {
    check_version(path, version)?;
    Ok(Pwsh {
        path: path.to_path_buf(),
        version: version.to_string(),
    })
}

fn check_version(path: &Path, version: &str) -> Result<()> {
    match parse_version(version) {
        Some(v) if v >= min_version() => Ok(()),
        Some(_) => Err(Error::Environment(format!(
            "{} is PowerShell {version}; cutover runs steps with PowerShell {} or later \
             (Windows PowerShell 5.1 cannot load the current Graph and Exchange Online modules): \
             install PowerShell 7 and pass --pwsh or set CUTOVER_PWSH",
            path.display(),
            crate::plan::MIN_POWERSHELL
        ))),
        None => Err(Error::Environment(format!(
            "{} answered the version probe with {version:?}, not a PowerShell version",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(parse_version("7.4.6"), Some((7, 4)));
        assert_eq!(parse_version("7.5.0-preview.3"), Some((7, 5)));
        assert_eq!(parse_version("5.1.19041.4291"), Some((5, 1)));
        assert_eq!(parse_version("7"), None);
        assert_eq!(parse_version("garbage"), None);
        let p = Path::new("pwsh");
        assert!(check_version(p, "7.4.0").is_ok());
        assert!(
            check_version(p, "7.3.9").is_err(),
            "7.3 is below the bundle's minimum"
        );
        assert!(check_version(p, "7.10.1").is_ok());
        assert!(check_version(p, "7.1.7").is_err());
        assert!(check_version(p, "5.1.19041.4291").is_err());
        assert!(check_version(p, "").is_err());
    }
}
