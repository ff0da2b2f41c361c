//! `cutover check FILE.ps1... --target ENV`: read scripts, check them, print findings.
//!
//! Human and SARIF output come from `diag`; JSON is the lint shape
//! (`{"version":1,"files":[...],"findings":[...],"summary":{...}}`) with PowerShell files.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::check::{self, Target};
use crate::cli::{CheckArgs, FindingFormat};
use crate::diag::{self, Finding, Severity};
use crate::error::{Error, Exit, Result};

pub fn run(args: CheckArgs) -> Result<Exit> {
    let target: Target = args
        .target
        .parse()
        .map_err(|e: check::TargetError| Error::Usage(format!("--target: {e}")))?;
    let mut sources = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        sources.push((path.clone(), decode(&bytes)));
    }
    // Functions defined in any file given (e.g. the bundle's module) are known to all of them.
    let functions: Vec<String> = sources
        .iter()
        .flat_map(|(_, text)| check::defined_functions(text))
        .collect();
    let mut findings = Vec::new();
    for (path, text) in &sources {
        findings.extend(check::check_source(
            text,
            &display(path),
            target,
            &functions,
        ));
    }
    let out = match args.format {
        FindingFormat::Human => human(&findings, sources.len()),
        FindingFormat::Json => json_report(&findings, &args.files, target)?,
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

fn display(path: &Path) -> String {
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
    let mut out = diag::human::findings(findings);
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

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
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
    target: &'static str,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

fn json_report(findings: &[Finding], files: &[PathBuf], target: Target) -> Result<String> {
    let (errors, warnings, infos) = diag::human::counts(findings);
    let report = JsonReport {
        version: diag::json::VERSION,
        files: files
            .iter()
            .map(|p| JsonFile {
                path: display(p),
                kind: "powershell",
                target: target.token(),
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

fn json_text(v: &impl Serialize) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v).map_err(anyhow::Error::from)?;
    s.push('\n');
    Ok(s)
}
