//! `cutover check FILE.ps1... --target ENV`: read scripts, check them, print findings.
//!
//! Human and SARIF output come from `diag`; JSON is the lint shape
//! (`{"version":1,"files":[...],"findings":[...],"summary":{...}}`) with PowerShell files.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bundle::manifest::{Manifest, FORMAT};
use crate::check::{self, PsVersion, Target};
use crate::cli::{CheckArgs, FindingFormat};
use crate::diag::{self, Finding, Severity};
use crate::error::{Error, Exit, Result};

use super::json_text;
use crate::diag::human::plural;

/// One script to check and the target it runs against.
struct Job {
    path: PathBuf,
    text: String,
    targets: Vec<Target>,
}

pub fn run(args: CheckArgs) -> Result<Exit> {
    let jobs = match (&args.bundle, &args.target) {
        (Some(dir), _) => bundle_jobs(dir)?,
        (None, Some(target)) => {
            let targets = parse_targets(target)?;
            let mut jobs = Vec::with_capacity(args.files.len());
            for path in &args.files {
                jobs.push(Job {
                    text: read_script(path)?,
                    path: path.clone(),
                    targets: targets.clone(),
                });
            }
            jobs
        }
        (None, None) => return Err(Error::Usage("--target or --bundle is required".into())),
    };
    // Functions defined in any file given (e.g. the bundle's module) are known to all of them.
    let functions: Vec<String> = jobs
        .iter()
        .flat_map(|job| check::defined_functions(&job.text))
        .collect();
    let mut findings = Vec::new();
    for job in &jobs {
        findings.extend(check::check_source_for(
            &job.text,
            &display(&job.path),
            &job.targets,
            &functions,
        ));
    }
    let out = match args.format {
        FindingFormat::Human => human(&findings, jobs.len()),
        FindingFormat::Json => json_report(&findings, &jobs)?,
        FindingFormat::Sarif => json_text(&diag::sarif::render(&findings))?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::io("<stdout>", e))?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    Ok(if errors > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// `exchangeOnline` or a comma-separated list (`exchangeOnline,graph`) for scripts that run
/// against several targets at once.
fn parse_targets(list: &str) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for token in list.split(',').filter(|t| !t.trim().is_empty()) {
        let target: Target = token
            .parse()
            .map_err(|e: check::TargetError| Error::Usage(format!("--target: {e}")))?;
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    if targets.is_empty() {
        return Err(Error::Usage("--target: no target given".into()));
    }
    Ok(targets)
}

/// A script file, or standard input for `-`.
fn read_script(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        use std::io::Read;
        const LIMIT: u64 = 256 << 20;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("<stdin>", e))?;
        if bytes.len() as u64 > LIMIT {
            return Err(Error::Usage(
                "standard input is over 256 MiB: save the script to a file".into(),
            ));
        }
        return Ok(decode(&bytes));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(decode(&bytes))
}

/// Every step of a bundle with its manifest target; the modules once, against the step target
/// with the oldest shell that loads it (a .psm1 imported on an Exchange 2010 server must be
/// PowerShell 2.0; the .ps1 runtime a 2007 step dot-sources must be 1.0).
fn bundle_jobs(dir: &Path) -> Result<Vec<Job>> {
    let manifest_path = dir.join("manifest.json");
    let bytes = std::fs::read(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Integrity(format!(
            "{}: not a bundle manifest: {e}",
            manifest_path.display()
        ))
    })?;
    if manifest.format != FORMAT {
        return Err(Error::Integrity(format!(
            "{}: manifest format {} is not supported (expected {FORMAT})",
            manifest_path.display(),
            manifest.format
        )));
    }
    let mut jobs = Vec::new();
    for step in &manifest.steps {
        // Exchange 2003 steps are instructions for people; there is no shell to check against.
        let Ok(target) = step.target.parse::<Target>() else {
            if step.target.eq_ignore_ascii_case("exchange2003") {
                continue;
            }
            return Err(Error::Integrity(format!(
                "{}: step {} has unknown target '{}'",
                manifest_path.display(),
                step.id,
                step.target
            )));
        };
        let path = inside(dir, &step.file, &manifest_path)?;
        jobs.push(Job {
            text: read_script(&path)?,
            path,
            targets: vec![target],
        });
    }
    // A .psm1 is imported, so only shells with modules (2.0 and later) load it; the plain
    // .ps1 runtime is what a PowerShell 1.0 step dot-sources instead.
    let targets: Vec<Target> = jobs
        .iter()
        .flat_map(|j| j.targets.iter().copied())
        .collect();
    for module in &manifest.modules {
        let is_module = module.file.to_ascii_lowercase().ends_with(".psm1");
        let oldest = targets
            .iter()
            .copied()
            .filter(|t| !is_module || t.min_shell() >= PsVersion::V2)
            .min_by_key(|t| t.min_shell());
        if let Some(target) = oldest {
            let path = inside(dir, &module.file, &manifest_path)?;
            jobs.push(Job {
                text: read_script(&path)?,
                path,
                targets: vec![target],
            });
        }
    }
    Ok(jobs)
}

/// A manifest path joined to the bundle root; paths that leave the bundle are refused.
fn inside(dir: &Path, file: &str, manifest_path: &Path) -> Result<PathBuf> {
    let relative = Path::new(file);
    let escapes = relative.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if escapes || file.is_empty() {
        return Err(Error::Integrity(format!(
            "{}: '{file}' is not a path inside the bundle",
            manifest_path.display()
        )));
    }
    Ok(dir.join(relative))
}

fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "<stdin>".into();
    }
    path.display().to_string()
}

/// Scripts arrive as UTF-8 (with or without BOM), UTF-16 with BOM, or the Windows code page.
fn decode(bytes: &[u8]) -> String {
    let (text, _, _) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((enc, _)) => enc.decode(bytes),
        None => match std::str::from_utf8(bytes) {
            Ok(s) => return s.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252.decode(bytes),
        },
    };
    text.into_owned()
}

fn human(findings: &[Finding], files: usize) -> String {
    let colour = diag::human::colour_stdout();
    let mut out = String::new();
    for f in findings {
        diag::human::finding_styled(&mut out, f, colour);
    }
    if super::quiet() {
        return out;
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    let (e, w, i) = diag::human::counts(findings);
    out.push_str(&format!(
        "checked {}: {}, {}, {}\n",
        plural(files, "file"),
        plural(e, "error"),
        plural(w, "warning"),
        plural(i, "info")
    ));
    out
}

/// The lint JSON shape, fields in this order.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    files: Vec<JsonFile>,
    findings: &'a [Finding],
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFile {
    path: String,
    kind: &'static str,
    /// The target token, or several joined with `,`.
    target: String,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

fn json_report(findings: &[Finding], jobs: &[Job]) -> Result<String> {
    let (errors, warnings, infos) = diag::human::counts(findings);
    let report = JsonReport {
        version: diag::json::VERSION,
        files: jobs
            .iter()
            .map(|job| JsonFile {
                path: display(&job.path),
                kind: "powershell",
                target: job
                    .targets
                    .iter()
                    .map(|t| t.token())
                    .collect::<Vec<_>>()
                    .join(","),
            })
            .collect(),
        findings,
        summary: JsonSummary {
            errors,
            warnings,
            infos,
        },
    };
    json_text(&report)
}
