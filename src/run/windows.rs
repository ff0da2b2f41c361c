//! The runner on a Windows jump box: what Linux gets from PR_SET_PDEATHSIG and SIGINT.
//!
//! - **Die with the runner.** Each step's pwsh is put in its own job object with
//!   `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`. The runner holds the only handle: when the runner ends
//!   for any reason (killed from Task Manager, console closed, crash), Windows closes the handle and
//!   ends pwsh and everything pwsh started, so no step keeps writing records behind the back of
//!   the run that resumes it. Processes a step left behind are ended when the step is over.
//! - **Ctrl-C.** The step shares the runner's console and process group, so Windows delivers the
//!   user's Ctrl-C to pwsh itself (it stops the running pipeline) at the same moment the runner's
//!   handler sees it; the runner then gives the step the same grace period as on Linux before
//!   ending the job. A timeout has no console event to send to pwsh alone (CTRL_C_EVENT cannot
//!   target one process group, and pwsh treats CTRL_BREAK_EVENT as "exit 149"), so a timed-out
//!   step is ended at once, as the journal records.
//!
//! Built and type-checked in CI with `cargo check --target x86_64-pc-windows-gnu`.

use std::os::windows::io::AsRawHandle;
use std::process::Child;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};

/// The job object one step runs in; dropping it ends whatever is still running in it.
pub struct StepJob(HANDLE);

impl StepJob {
    /// Ties `child` to the runner. Fails where the runner's own job forbids nested jobs
    /// (Windows 7 and Server 2008 R2 under some schedulers): the caller warns and runs on.
    pub fn tie(child: &Child) -> std::io::Result<StepJob> {
        // SAFETY: plain Win32 calls on handles we own; the struct is plain data, zeroed is valid.
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return Err(std::io::Error::last_os_error());
            }
            let job = StepJob(job);
            let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
            limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            let size = u32::try_from(std::mem::size_of_val(&limits)).unwrap_or(u32::MAX);
            if SetInformationJobObject(
                job.0,
                JobObjectExtendedLimitInformation,
                std::ptr::from_ref(&limits).cast(),
                size,
            ) == 0
            {
                return Err(std::io::Error::last_os_error());
            }
            if AssignProcessToJobObject(job.0, child.as_raw_handle() as HANDLE) == 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(job)
        }
    }
}

impl Drop for StepJob {
    fn drop(&mut self) {
        // SAFETY: closed exactly once; KILL_ON_JOB_CLOSE ends what is left in the job.
        unsafe {
            CloseHandle(self.0);
        }
    }
}

/// Ties the step to the runner, or says once why it could not (the run goes on: the step then
/// outlives a killed runner, as on any system without job objects).
pub fn tie_or_warn(child: &Child) -> Option<StepJob> {
    static WARNED: std::sync::Once = std::sync::Once::new();
    match StepJob::tie(child) {
        Ok(job) => Some(job),
        Err(e) => {
            WARNED.call_once(|| {
                eprintln!(
                    "cutover: warning: cannot put the step in a job object ({e}); if the runner \
                     is killed, end pwsh.exe by hand before resuming"
                )
            });
            None
        }
    }
}

/// Whether process `pid` still runs (a run lock left by a runner that died is taken over).
pub fn process_alive(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::STILL_ACTIVE;
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    if pid == 0 {
        return false;
    }
    // SAFETY: a query-only handle we open and close here.
    unsafe {
        let h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if h.is_null() {
            // Access denied means it exists (another user's process); anything else: gone.
            return std::io::Error::last_os_error().raw_os_error() == Some(5);
        }
        let mut code = 0u32;
        let ok = GetExitCodeProcess(h, &mut code) != 0;
        CloseHandle(h);
        !ok || code == STILL_ACTIVE as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Runs only on Windows (`cargo test --lib run::windows` there); CI type-checks it.
    #[test]
    fn closing_the_job_ends_the_step_and_what_it_started() {
        let mut child = std::process::Command::new("cmd")
            .args(["/C", "ping -n 60 127.0.0.1 > NUL"])
            .spawn()
            .expect("start cmd");
        let job = StepJob::tie(&child).expect("job object");
        assert!(child.try_wait().unwrap().is_none(), "still running");
        assert!(process_alive(child.id()));
        drop(job);
        let until = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < until, "the step outlived its job");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!process_alive(child.id()));
    }
}
