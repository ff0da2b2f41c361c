//! `cutover rehearse --hosted`: every step in a fresh runspace of ONE long-lived pwsh.
//!
//! A step's fixed cost in a new pwsh process is mostly process start, parsing and JIT, which a
//! long-lived process pays once. The runner is left as it is: it still starts one process per
//! step, but in hosted mode that process is `cutover step-client --socket S -- PWSH ARGS...`, a
//! client that sends the exact pwsh command line, its working directory and its environment to
//! the host (`ps-modules/CutoverSim/host.ps1`) over a Unix domain socket, relays the step's
//! stdout and stderr to its own, and exits with the step's exit code. So the runner's logs, wait
//! lines, first error line, timeouts, Ctrl-C (the client asks the host to stop the step) and a
//! killed run (the host dies with `cutover`, a dropped client stops its step) stay as they are.
//! The host starts each step as `pwsh -File` would (host.ps1 says how), so file mode and session
//! mode (launch.ps1 is then the -File script) keep their scoping.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The hidden subcommand the runner starts per step in hosted mode.
pub const CLIENT_COMMAND: &str = "step-client";

/// Names the cutover executable that serves as the client when the library is used from
/// another program (a test binary); otherwise it is this executable or a `cutover` beside it.
pub const ENV_CLIENT: &str = "CUTOVER_STEP_CLIENT";

/// The cutover executable for the client: `CUTOVER_STEP_CLIENT`, else this executable when it
/// is cutover, else `cutover` in its folder or the folder above (cargo's `target/PROFILE/deps`
/// layout, where tests call the library).
pub fn client_exe() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_CLIENT).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::Environment(format!("cannot find the cutover executable: {e}")))?;
    let name = format!("cutover{}", std::env::consts::EXE_SUFFIX);
    if exe.file_name().is_some_and(|n| n == name.as_str()) {
        return Ok(exe);
    }
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|d| d.join(&name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Environment(format!(
                "--hosted needs the cutover executable to start each step's client: set {ENV_CLIENT}"
            ))
        })
}

/// The argv prefix that makes the runner start `cutover step-client` instead of pwsh: the
/// runner's own pwsh argv follows it.
pub fn client_prefix(socket: &Path) -> Result<Vec<OsString>> {
    let exe = client_exe()?;
    Ok(vec![
        exe.into_os_string(),
        CLIENT_COMMAND.into(),
        "--socket".into(),
        socket.as_os_str().to_owned(),
        "--".into(),
    ])
}

#[cfg(unix)]
pub use unix::{client_main, StepHost};

#[cfg(not(unix))]
pub struct StepHost;

#[cfg(not(unix))]
impl StepHost {
    pub fn start(_pwsh: &Path, _script: &Path, _log: &Path) -> Result<StepHost> {
        Err(Error::Usage(
            "--hosted needs Unix domain sockets from Rust's standard library, which it has on \
             Linux and macOS only: rehearse without --hosted here"
                .into(),
        ))
    }

    pub fn socket(&self) -> &Path {
        Path::new("")
    }

    pub fn version(&self) -> &str {
        ""
    }
}

#[cfg(not(unix))]
pub fn client_main(_socket: &Path, _argv: &[OsString]) -> i32 {
    eprintln!("cutover step-client: not available on this platform");
    2
}

/// The request a client sends: 8 hex digits (its length), then UTF-8 JSON.
pub fn request(argv: &[OsString], cwd: &Path, env: &[(OsString, OsString)]) -> Vec<u8> {
    let env: serde_json::Map<String, serde_json::Value> = env
        .iter()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                serde_json::Value::String(v.to_string_lossy().into_owned()),
            )
        })
        .collect();
    let body = serde_json::json!({
        "argv": argv.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
        "cwd": cwd.to_string_lossy(),
        "env": env,
    })
    .to_string();
    let mut out = format!("{:08x}", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// One line from the host: a line of the step's stdout or stderr, or its exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Stdout(&'a str),
    Stderr(&'a str),
    Exit(i32),
    Bad,
}

pub fn parse_frame(line: &str) -> Frame<'_> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if let Some(t) = line.strip_prefix("1 ") {
        Frame::Stdout(t)
    } else if let Some(t) = line.strip_prefix("2 ") {
        Frame::Stderr(t)
    } else if let Some(code) = line.strip_prefix("x ") {
        code.trim().parse().map_or(Frame::Bad, Frame::Exit)
    } else {
        Frame::Bad
    }
}

/// Where the host's own diagnostics go (not a step's: those go to the step's logs).
pub fn host_log(sim_dir: &Path) -> PathBuf {
    sim_dir.join("host.log")
}

#[cfg(unix)]
mod unix {
    use std::ffi::OsString;
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc, Mutex};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use super::{parse_frame, request, Frame};
    use crate::error::{Error, Result};

    /// How long the host may take to start (a cold pwsh compiles its framing class once).
    const START_TIMEOUT: Duration = Duration::from_secs(60);
    /// How long a client tries to reach a host that is (re)starting.
    const CONNECT_TIMEOUT: Duration = Duration::from_secs(90);
    const POLL: Duration = Duration::from_millis(50);

    /// The long-lived pwsh of one rehearsal. Dropped: killed. A host that ends (a step it could
    /// not stop made it exit) is started again for the next step.
    pub struct StepHost {
        socket: PathBuf,
        // The socket's folder, removed on drop.
        _dir: tempfile::TempDir,
        shared: Arc<Shared>,
        watcher: Option<JoinHandle<()>>,
        version: String,
    }

    struct Shared {
        child: Mutex<Option<Child>>,
        stop: AtomicBool,
        pwsh: PathBuf,
        script: PathBuf,
        socket: PathBuf,
        log: PathBuf,
    }

    impl StepHost {
        /// Starts `pwsh -File host.ps1 -Socket S` and waits until it listens.
        pub fn start(pwsh: &Path, script: &Path, log: &Path) -> Result<StepHost> {
            // A short path: socket addresses are limited to about 100 bytes.
            let dir = tempfile::Builder::new()
                .prefix("cutover-host")
                .tempdir()
                .map_err(|e| Error::io(std::env::temp_dir(), e))?;
            let socket = dir.path().join("s");
            let shared = Arc::new(Shared {
                child: Mutex::new(None),
                stop: AtomicBool::new(false),
                pwsh: pwsh.to_path_buf(),
                script: script.to_path_buf(),
                socket: socket.clone(),
                log: log.to_path_buf(),
            });
            let (child, version) = spawn(&shared)?;
            *lock(&shared.child) = Some(child);
            let watch = Arc::clone(&shared);
            let watcher = std::thread::spawn(move || watch_host(&watch));
            Ok(StepHost {
                socket,
                _dir: dir,
                shared,
                watcher: Some(watcher),
                version,
            })
        }

        pub fn socket(&self) -> &Path {
            &self.socket
        }

        /// `$PSVersionTable.PSVersion` of the host's pwsh, as it reported it when ready.
        pub fn version(&self) -> &str {
            &self.version
        }
    }

    impl Drop for StepHost {
        fn drop(&mut self) {
            self.shared.stop.store(true, Ordering::SeqCst);
            if let Some(mut c) = lock(&self.shared.child).take() {
                let _ = c.kill();
                let _ = c.wait();
            }
            if let Some(w) = self.watcher.take() {
                let _ = w.join();
            }
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The host's ready line: this prefix, then its pwsh version.
    const READY: &str = "cutover-host: ready";

    fn spawn(s: &Shared) -> Result<(Child, String)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)
            .map_err(|e| Error::io(&s.log, e))?;
        let err = log.try_clone().map_err(|e| Error::io(&s.log, e))?;
        let mut command = Command::new(&s.pwsh);
        command
            .args(crate::run::protocol::STEP_ARGS)
            .arg(&s.script)
            .arg("-Socket")
            .arg(&s.socket)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .env("NO_COLOR", "1")
            .envs(crate::rehearse::runtime_env());
        {
            use std::os::unix::process::CommandExt;
            // Its own process group: a Ctrl-C at the terminal reaches the runner and the step's
            // client (which asks the host to stop the step), not the host itself.
            command.process_group(0);
        }
        crate::run::exec::die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| Error::Environment(format!("cannot start {}: {e}", s.pwsh.display())))?;
        let stdout = child.stdout.take();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let Some(out) = stdout else { return };
            let mut log = log;
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if let Some(v) = line.trim().strip_prefix(READY) {
                    let _ = tx.send(v.trim().to_string());
                }
                let _ = writeln!(log, "{line}");
            }
        });
        let started = Instant::now();
        loop {
            match rx.recv_timeout(POLL) {
                Ok(version) => return Ok((child, version)),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::Environment(format!(
                        "the rehearsal's pwsh host ended before it was ready (its log: {})",
                        s.log.display()
                    )));
                }
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Environment(format!(
                    "the rehearsal's pwsh host was not ready within {} s (its log: {})",
                    START_TIMEOUT.as_secs(),
                    s.log.display()
                )));
            }
        }
    }

    fn watch_host(s: &Shared) {
        while !s.stop.load(Ordering::SeqCst) {
            std::thread::sleep(POLL);
            let mut guard = lock(&s.child);
            let ended = match guard.as_mut() {
                Some(c) => !matches!(c.try_wait(), Ok(None)),
                None => false,
            };
            if ended && !s.stop.load(Ordering::SeqCst) {
                // Clients waiting to connect retry until this one listens.
                *guard = spawn(s).ok().map(|(c, _)| c);
            }
        }
    }

    /// `cutover step-client --socket S -- ARGV...`: one step through the host.
    pub fn client_main(socket: &Path, argv: &[OsString]) -> i32 {
        match client(socket, argv) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("cutover step-client: {e}");
                1
            }
        }
    }

    fn connect(socket: &Path) -> std::io::Result<UnixStream> {
        let started = Instant::now();
        loop {
            match UnixStream::connect(socket) {
                Ok(s) => return Ok(s),
                Err(e) if started.elapsed() < CONNECT_TIMEOUT => {
                    let _ = e;
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn client(socket: &Path, argv: &[OsString]) -> std::io::Result<i32> {
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = Arc::clone(&stop);
            // SIGINT from the runner (its timeout or the user's Ctrl-C): ask the host to stop the
            // step, and relay what it writes while it stops, as pwsh would.
            let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
        }
        let mut stream = connect(socket)?;
        let cwd = std::env::current_dir()?;
        let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        stream.write_all(&request(argv, &cwd, &env))?;
        stream.set_read_timeout(Some(POLL))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        let mut line = Vec::new();
        let mut asked = false;
        loop {
            if stop.load(Ordering::SeqCst) && !asked {
                asked = true;
                let _ = stream.write_all(b"s");
            }
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => {
                    return Err(std::io::Error::other(
                        "the rehearsal's pwsh host ended during the step",
                    ))
                }
                Ok(_) if line.last() == Some(&b'\n') => {}
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(e),
            }
            let text = String::from_utf8_lossy(&line);
            match parse_frame(&text) {
                Frame::Stdout(t) => {
                    let mut o = stdout.lock();
                    writeln!(o, "{t}")?;
                    o.flush()?;
                }
                Frame::Stderr(t) => {
                    let mut e = stderr.lock();
                    writeln!(e, "{t}")?;
                    e.flush()?;
                }
                Frame::Exit(code) => return Ok(code),
                Frame::Bad => {
                    return Err(std::io::Error::other(format!(
                        "the rehearsal's pwsh host sent {:?}",
                        text.trim_end()
                    )))
                }
            }
            line.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_and_anything_else_is_bad() {
        assert_eq!(parse_frame("1 hello\n"), Frame::Stdout("hello"));
        assert_eq!(parse_frame("2 \n"), Frame::Stderr(""));
        assert_eq!(parse_frame("x 7\n"), Frame::Exit(7));
        assert_eq!(parse_frame("x -1"), Frame::Exit(-1));
        assert_eq!(parse_frame("x seven"), Frame::Bad);
        assert_eq!(parse_frame("3 what"), Frame::Bad);
    }

    #[test]
    fn a_request_is_its_length_then_json() {
        let r = request(
            &["pwsh".into(), "-File".into(), "a b.ps1".into()],
            Path::new("/w d"),
            &[("K".into(), "v'\"".into())],
        );
        let len = usize::from_str_radix(std::str::from_utf8(&r[..8]).unwrap(), 16).unwrap();
        assert_eq!(len, r.len() - 8);
        let v: serde_json::Value = serde_json::from_slice(&r[8..]).unwrap();
        assert_eq!(v["argv"][2], "a b.ps1");
        assert_eq!(v["cwd"], "/w d");
        assert_eq!(v["env"]["K"], "v'\"");
    }
}
