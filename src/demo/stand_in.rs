//! The demo's stand-in for `pwsh`. No PowerShell exists on the machines cutover is built and
//! demonstrated on, so `cutover demo` shows the runner and the report against this stand-in,
//! and says so loudly. It runs no script and touches no tenant: it answers the runner's version
//! probe and, for each step, writes one result record per planned operation, failing one
//! chosen operation so the report has a failure to explain.
//!
//! It is the cutover executable itself, reached through a link named [`EXE_STEM`]: only
//! `cutover demo` creates that link, in its own folder.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::run::protocol::{ResultRecord, Status, ENV_RESULTS, ENV_STEP, PROBE_ARGS, WHATIF_ARG};

/// File stem of the link through which the cutover executable acts as the stand-in.
pub const EXE_STEM: &str = "cutover-demo-pwsh";
/// The operation id the stand-in fails (set by `cutover demo` for the step process).
pub const ENV_FAIL_OP: &str = "CUTOVER_DEMO_FAIL_OP";
/// What the stand-in answers to the version probe: it passes the runner's check, and every
/// journal and report of a demo run names it for what it is.
pub const VERSION: &str = "7.4.6-demo-stand-in";
/// The error text of the failed operation: a real Exchange Online message for a mailbox that is
/// still being provisioned, so the report shows its hint.
pub const FAIL_TEXT: &str = "The operation couldn't be performed because object couldn't be found on 'AM0PR01A001.PROD.OUTLOOK.COM'. (demo stand-in: nothing was sent anywhere)";

/// Whether this process was started through the stand-in link.
pub fn invoked() -> bool {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s == EXE_STEM))
        .unwrap_or(false)
}

/// Runs as the stand-in and returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match act(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cutover demo stand-in: {e}");
            1
        }
    }
}

fn act(args: &[String]) -> Result<(), String> {
    if args.len() == PROBE_ARGS.len() + 1 && args[..PROBE_ARGS.len()] == PROBE_ARGS {
        println!("{VERSION}");
        return Ok(());
    }
    let script = value_after(args, "-File").ok_or("expected -File SCRIPT")?;
    let results = std::env::var(ENV_RESULTS).map_err(|_| format!("{ENV_RESULTS} is not set"))?;
    let step = std::env::var(ENV_STEP).map_err(|_| format!("{ENV_STEP} is not set"))?;
    // Like a step's script: the runner's list when given, else every row of its data file.
    let root = bundle_root(Path::new(script))?;
    let ops_file = match value_after(args, "-OnlyOpsPath") {
        Some(p) => PathBuf::from(p),
        None => root.join("data").join(format!("{step}.csv")),
    };
    // A data file without an Op column: its ids come from the manifest's template.
    let op_id = crate::run::verify::read_manifest(&root)
        .ok()
        .and_then(|m| m.steps.into_iter().find(|s| s.id == step))
        .and_then(|s| s.op_id);
    let ops = if ops_file.exists() {
        crate::run::verify::read_planned(&ops_file, op_id.as_deref()).map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    let what_if = args.iter().any(|a| a == WHATIF_ARG);
    let fail = std::env::var(ENV_FAIL_OP).ok();
    println!("cutover demo stand-in: pretending to run {step}; no PowerShell, no tenant");
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&results)
        .map_err(|e| format!("{results}: {e}"))?;
    for op in ops.iter().map(String::as_str) {
        let failed = !what_if && fail.as_deref() == Some(op);
        let status = if what_if {
            Status::Whatif
        } else if failed {
            Status::Failed
        } else {
            Status::Created
        };
        let mut parts = op.splitn(3, ':');
        let _step_kind = parts.next();
        let action = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or(op).to_string();
        let record = ResultRecord {
            step: step.clone(),
            op: op.to_string(),
            action,
            target,
            status,
            error: failed.then(|| FAIL_TEXT.to_string()),
            at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            progress: None,
        };
        let line = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        // One write per record, as the real steps do, so the runner sees each as it lands.
        out.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("{results}: {e}"))?;
    }
    Ok(())
}

fn value_after<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a.eq_ignore_ascii_case(name))
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// `BUNDLE/steps/NN.ps1` -> `BUNDLE`.
fn bundle_root(script: &Path) -> Result<PathBuf, String> {
    script
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{}: not inside a bundle's steps folder", script.display()))
}

/// Creates the stand-in link (a hard link, else a copy, of this executable) in `dir`.
pub fn install(dir: &Path) -> crate::error::Result<PathBuf> {
    use crate::error::Error;
    let exe = std::env::current_exe()
        .map_err(|e| Error::Environment(format!("cannot find the cutover executable: {e}")))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let link = dir.join(format!("{EXE_STEM}{}", std::env::consts::EXE_SUFFIX));
    if !link.exists() && std::fs::hard_link(&exe, &link).is_err() {
        std::fs::copy(&exe, &link).map_err(|e| Error::io(&link, e))?;
    }
    Ok(link)
}
