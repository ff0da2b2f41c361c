//! `cutover check FILE.ps1... --target ENV`: read scripts, check them, print findings.
//!
//! The printers here are minimal stand-ins until the shared renderers in `diag` exist; the
//! JSON shape is the lint one (`{"version":1,"files":[...],"findings":[...],"summary":{...}}`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::check::{self, Target};
use crate::cli::{CheckArgs, FindingFormat};
use crate::diag::{Finding, Severity};
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
        FindingFormat::Sarif => sarif(&findings)?,
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

fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

fn human(findings: &[Finding], files: usize) -> String {
    let mut out = String::new();
    for f in findings {
        let place = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{file}:{line}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{place}{}[{}]: {}\n  hint: {}\n",
            f.severity.as_str(),
            f.code,
            f.message,
            f.hint
        ));
    }
    let (e, w, i) = counts(findings);
    out.push_str(&format!(
        "checked {files} file{}: {e} error{}, {w} warning{}, {i} info\n",
        plural(files),
        plural(e),
        plural(w)
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
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
    let (errors, warnings, infos) = counts(findings);
    let report = JsonReport {
        version: 1,
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
    let mut s = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
    s.push('\n');
    Ok(s)
}

fn sarif(findings: &[Finding]) -> Result<String> {
    let rules: Vec<_> = check::RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.explanation },
                "help": { "text": r.hint },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let mut region = json!({});
            if let Some(line) = f.line {
                region = json!({ "startLine": line });
            }
            json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": format!("{} ({})", f.message, f.hint) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.clone().unwrap_or_default() },
                        "region": region,
                    }
                }],
            })
        })
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cutover",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&v).map_err(anyhow::Error::from)?;
    s.push('\n');
    Ok(s)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
