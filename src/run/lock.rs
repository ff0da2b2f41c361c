//! One runner per bundle at a time: two runners resuming the same journal would send the same
//! operations twice. `BUNDLE/runs/.lock` holds the owner's pid; a lock whose process is gone
//! (a killed runner) is taken over.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    pub fn acquire(bundle: &Path) -> Result<RunLock> {
        let runs = bundle.join(super::journal::RUNS_DIR);
        std::fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let path = runs.join(".lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| t.trim().parse::<u32>().ok());
                    match owner {
                        Some(pid) if alive(pid) => {
                            return Err(Error::Usage(format!(
                            "another cutover (pid {pid}) is running this bundle; wait for it to \
                                 finish (or, if it is gone, delete {})",
                            path.display()
                        )))
                        }
                        // Stale (its runner was killed) or unreadable: take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Usage(format!(
            "{}: could not take the run lock",
            path.display()
        )))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid == 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(windows)]
fn alive(pid: u32) -> bool {
    super::windows::process_alive(pid)
}

#[cfg(not(any(unix, windows)))]
fn alive(_pid: u32) -> bool {
    // No cheap portable check: assume it is alive; the message says how to clear a stale lock.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        assert!(RunLock::acquire(dir.path()).is_err());
        drop(first);
        assert!(RunLock::acquire(dir.path()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("runs")).unwrap();
        // Not a running process: pid_max is far below this on Linux.
        std::fs::write(dir.path().join("runs/.lock"), "2147483000\n").unwrap();
        assert!(RunLock::acquire(dir.path()).is_ok());
    }
}
