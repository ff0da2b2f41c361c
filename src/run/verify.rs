//! Open a bundle and prove it is the one that was generated: manifest format, safe paths and the
//! sha256 of every step, module, data and ops file, before anything runs.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bundle::manifest::{self, Manifest, Step};
use crate::error::{Error, Result};
use crate::plan::contract::IdPart;

/// A verified bundle: every path below is inside `root` and its hash matched the manifest.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub root: PathBuf,
    pub manifest: Manifest,
    /// sha256 of `manifest.json` as read: the bundle digest a reviewer approves (`manifest::digest`).
    pub digest: String,
    pub steps: Vec<BundleStep>,
}

#[derive(Debug, Clone)]
pub struct BundleStep {
    pub step: Step,
    pub script: PathBuf,
    /// The planned operation ids from the step's ops file (empty without one).
    pub planned: Vec<String>,
}

impl BundleStep {
    pub fn id(&self) -> &str {
        &self.step.id
    }

    pub fn runs_here(&self) -> bool {
        manifest::runs_in_runner(&self.step.runs_on, &self.step.shell)
    }
}

impl Bundle {
    pub fn step(&self, id: &str) -> Option<&BundleStep> {
        self.steps.iter().find(|s| s.id() == id)
    }

    /// The module every step imports: `Cutover.psm1` when listed, else the first module.
    pub fn module_path(&self) -> Option<PathBuf> {
        let modules = &self.manifest.modules;
        modules
            .iter()
            .find(|m| m.file.ends_with("Cutover.psm1"))
            .or_else(|| modules.first())
            .map(|m| self.root.join(&m.file))
    }
}

/// Reads `manifest.json` and checks format and hashes; names the first file that differs.
pub fn open_verified(root: &Path) -> Result<Bundle> {
    // Absolute, so the command lines in the journal name the files whatever the working folder.
    let root = &std::path::absolute(root).map_err(|e| Error::io(root, e))?;
    refuse_symlinks(root)?;
    let (manifest, digest) = read_manifest_and_digest(root)?;
    // Data and modules first: ops files may be checked against the data files' Op column.
    let mut verified = std::collections::HashMap::new();
    for f in manifest.modules.iter().chain(&manifest.data) {
        let path = check_file(root, &f.file, &f.sha256)?;
        verified.insert(f.file.clone(), path);
    }
    let mut steps = Vec::with_capacity(manifest.steps.len());
    let mut seen = std::collections::HashSet::new();
    for step in &manifest.steps {
        if !valid_step_id(&step.id) {
            return Err(Error::Integrity(format!(
                "manifest.json: step id {:?} may only use letters, digits, '.', '_' and '-'",
                step.id
            )));
        }
        if !seen.insert(step.id.clone()) {
            return Err(Error::Integrity(format!(
                "manifest.json: step id {} appears twice",
                step.id
            )));
        }
        let script = check_file(root, &step.file, &step.sha256)?;
        let planned = match &step.ops_file {
            Some(ops_file) => verified_ops(root, step, ops_file, &verified)?,
            None => Vec::new(),
        };
        steps.push(BundleStep {
            step: step.clone(),
            script,
            planned,
        });
    }
    Ok(Bundle {
        root: root.to_path_buf(),
        manifest,
        digest,
        steps,
    })
}

/// A step's ops file, verified by its own hash when `data` lists it, else against the `Op`
/// column of the step's (hashed) data files: every operation row carries its id there.
fn verified_ops(
    root: &Path,
    step: &Step,
    ops_file: &str,
    verified: &std::collections::HashMap<String, PathBuf>,
) -> Result<Vec<String>> {
    let path = safe_join(root, ops_file)?;
    if !path.is_file() {
        return Err(Error::Integrity(format!(
            "bundle file {ops_file} is missing (listed in manifest.json)"
        )));
    }
    let ops = read_planned(&path, step.op_id.as_deref())?;
    if verified.contains_key(ops_file) {
        return Ok(ops);
    }
    let mut from_data: Option<Vec<String>> = None;
    for data in &step.data {
        if let Some(p) = verified.get(data) {
            if let Some(column) = op_column(p, None)? {
                from_data.get_or_insert_with(Vec::new).extend(column);
            }
        }
    }
    let Some(mut expected) = from_data else {
        return Err(Error::Integrity(format!(
            "ops file {ops_file} of step {} has no sha256 in manifest.json and the step has no \
             hashed data file with an Op column to check it against",
            step.id
        )));
    };
    let mut got = ops.clone();
    expected.sort();
    got.sort();
    if expected != got {
        return Err(Error::Integrity(format!(
            "bundle file {ops_file} was changed after the bundle was written (it no longer matches \
             the Op column of {}); regenerate the bundle with `cutover bundle`",
            step.data.join(", ")
        )));
    }
    Ok(ops)
}

/// The non-empty values of a CSV's `Op` column (or the ids `op_id` derives), or None without
/// either.
fn op_column(path: &Path, op_id: Option<&[IdPart]>) -> Result<Option<Vec<String>>> {
    Ok(op_rows(path, op_id)?.map(|r| r.ops))
}

/// A bundle data file's operations: every non-empty `Op` cell and, when the file has the
/// column, the same row's `Wave` cell (`plan::migration::WAVE_COLUMN`).
pub struct OpRows {
    pub ops: Vec<String>,
    /// One cell per op, trimmed; `None` when the file has no `Wave` column.
    pub waves: Option<Vec<String>>,
}

/// The one reader of a bundle data file's `Op` (and `Wave`) column; None without `Op`. With
/// `op_id` (the manifest step's template) the file has no `Op` column: each row's id is
/// derived from its cells (`plan::contract::row_id`).
pub fn op_rows(path: &Path, op_id: Option<&[IdPart]>) -> Result<Option<OpRows>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| Error::Integrity(format!("{}: {e}", path.display())))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let col = find("Op");
    if col.is_none() && op_id.is_none() {
        return Ok(None);
    }
    let wave_col = find(crate::plan::migration::WAVE_COLUMN);
    let mut out = OpRows {
        ops: Vec::new(),
        waves: wave_col.map(|_| Vec::new()),
    };
    let mut id = String::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Integrity(format!("{}: {e}", path.display())))?;
        let cell = match (col, op_id) {
            (Some(c), _) => rec.get(c),
            (None, Some(t)) => {
                if !crate::plan::contract::derive_id(t, |k| rec.get(k), &mut id) {
                    return Err(Error::Integrity(format!(
                        "{}: a row has no ASCII cell where the step's op_id reads one",
                        path.display()
                    )));
                }
                Some(id.as_str())
            }
            (None, None) => None,
        };
        if let Some(v) = cell.map(str::trim).filter(|v| !v.is_empty()) {
            out.ops.push(v.to_string());
            if let (Some(waves), Some(w)) = (out.waves.as_mut(), wave_col) {
                waves.push(rec.get(w).unwrap_or("").trim().to_string());
            }
        }
    }
    Ok(Some(out))
}

/// Reads and parses `manifest.json` without checking hashes (reports use it on finished runs).
pub fn read_manifest(root: &Path) -> Result<Manifest> {
    read_manifest_and_digest(root).map(|(m, _)| m)
}

/// The manifest and the digest of the very bytes it was parsed from.
fn read_manifest_and_digest(root: &Path) -> Result<(Manifest, String)> {
    let path = root.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{}: not a bundle (no manifest.json); write one with `cutover bundle`",
                root.display()
            ))
        } else {
            Error::io(&path, e)
        }
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Integrity(format!("{}: not valid JSON: {e}", path.display())))?;
    match value.get("format").and_then(|f| f.as_u64()) {
        Some(f) if f == u64::from(manifest::FORMAT) => {}
        Some(f) => {
            return Err(Error::Integrity(format!(
                "{}: manifest format {f} is not supported (this cutover reads format {})",
                path.display(),
                manifest::FORMAT
            )))
        }
        None => {
            return Err(Error::Integrity(format!(
                "{}: no numeric \"format\" field",
                path.display()
            )))
        }
    }
    let manifest = serde_json::from_value(value)
        .map_err(|e| Error::Integrity(format!("{}: not a valid manifest: {e}", path.display())))?;
    Ok((manifest, manifest::digest(text.as_bytes())))
}

/// The one reader of a step's `ops_file`: a `.csv` is a data file whose `Op` column lists the
/// planned operations (plan format 2 bundles point there instead of repeating the ids), or
/// whose rows give them through `op_id`, the manifest step's template; any other file has one
/// id per line (older bundles' `ops/<step>.txt`).
pub fn read_planned(path: &Path, op_id: Option<&[IdPart]>) -> Result<Vec<String>> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return op_column(path, op_id)?.ok_or_else(|| {
            Error::Integrity(format!(
                "{}: the step's ops file has no Op column",
                path.display()
            ))
        });
    }
    read_ops_file(path)
}

/// Operation ids, one per line; a BOM, `\r` and blank lines are tolerated.
fn read_ops_file(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn valid_step_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Joins a manifest path (relative, `/`-separated) to the root, refusing anything that leaves it.
pub fn safe_join(root: &Path, rel: &str) -> Result<PathBuf> {
    let bad = rel.is_empty()
        || rel.starts_with('/')
        || rel.contains('\\')
        || rel.contains(':')
        || rel
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(Error::Integrity(format!(
            "manifest.json: path {rel:?} must be relative to the bundle, '/'-separated, without '..'"
        )));
    }
    Ok(rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c)))
}

fn check_file(root: &Path, rel: &str, expected: &str) -> Result<PathBuf> {
    let path = safe_join(root, rel)?;
    refuse_symlink_on_path(root, rel)?;
    let actual = match sha256_file(&path) {
        Ok(h) => h,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Integrity(format!(
                "bundle file {rel} is missing (listed in manifest.json)"
            )))
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    if !actual.eq_ignore_ascii_case(expected.trim()) {
        return Err(Error::Integrity(format!(
            "bundle file {rel} was changed after the bundle was written (sha256 {actual}, manifest says {expected}); \
             regenerate the bundle with `cutover bundle` instead of editing it"
        )));
    }
    Ok(path)
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `--expect-digest`: the hex digest, with or without a `sha256:` prefix, any case.
pub fn check_digest(bundle: &Bundle, expected: &str) -> Result<()> {
    let want = expected.trim();
    let want = want.strip_prefix("sha256:").unwrap_or(want);
    if want.eq_ignore_ascii_case(&bundle.digest) {
        return Ok(());
    }
    Err(Error::Integrity(format!(
        "bundle digest is {}, but --expect-digest says {want}: this is not the bundle that was \
         reviewed (manifest.json differs); compare with the digest in its PLAN.md and regenerate \
         or review again",
        bundle.digest
    )))
}

/// Refuses a bundle with a symbolic link anywhere in it (a step, data or module file, a folder
/// such as `steps/` or `runs/`): a link would run or overwrite what the manifest does not pin.
pub fn refuse_symlinks(root: &Path) -> Result<()> {
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir == root => return Ok(()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if kind.is_symlink() {
                return Err(symlink_error(root, &entry.path()));
            }
            if kind.is_dir() {
                todo.push(entry.path());
            }
        }
    }
    Ok(())
}

fn symlink_error(root: &Path, path: &Path) -> Error {
    let rel = path.strip_prefix(root).unwrap_or(path);
    Error::Integrity(format!(
        "bundle path {} is a symbolic link: a bundle holds only real files and folders; \
         regenerate it with `cutover bundle`",
        rel.display()
    ))
}

/// Refuses when any component of `rel` below `root` is a symbolic link now.
fn refuse_symlink_on_path(root: &Path, rel: &str) -> Result<()> {
    let mut p = root.to_path_buf();
    for c in rel.split('/') {
        p.push(c);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(symlink_error(root, &p));
        }
    }
    Ok(())
}

/// Hashes a step's files again right before its process starts: the script, the modules, its
/// data files and its ops file must still be what the manifest (read once, at the start) says.
/// A file changed while earlier steps ran is named and the step is not started.
pub fn recheck_step(bundle: &Bundle, step: &BundleStep) -> Result<()> {
    let root = &bundle.root;
    check_file(root, &step.step.file, &step.step.sha256)?;
    let listed = |rel: &str| bundle.manifest.data.iter().find(|d| d.file == rel);
    for m in &bundle.manifest.modules {
        check_file(root, &m.file, &m.sha256)?;
    }
    for rel in &step.step.data {
        if let Some(d) = listed(rel) {
            check_file(root, &d.file, &d.sha256)?;
        }
    }
    if let Some(ops_file) = &step.step.ops_file {
        match listed(ops_file) {
            Some(d) => {
                check_file(root, &d.file, &d.sha256)?;
            }
            None => {
                refuse_symlink_on_path(root, ops_file)?;
                let path = safe_join(root, ops_file)?;
                if read_planned(&path, step.step.op_id.as_deref())? != step.planned {
                    return Err(Error::Integrity(format!(
                        "bundle file {ops_file} was changed while the run was going; \
                         regenerate the bundle with `cutover bundle`"
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_join_refuses_escapes() {
        let root = Path::new("/b");
        assert!(safe_join(root, "steps/01-a.ps1").is_ok());
        for bad in [
            "../x",
            "/etc/passwd",
            "steps/../../x",
            "C:/x",
            "steps\\x",
            "",
            "a//b",
        ] {
            assert!(safe_join(root, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn step_ids_are_file_name_safe() {
        assert!(valid_step_id("05-users"));
        assert!(!valid_step_id("05/users"));
        assert!(!valid_step_id(".."));
        assert!(!valid_step_id(""));
    }

    #[test]
    fn sha256_of_known_bytes() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
