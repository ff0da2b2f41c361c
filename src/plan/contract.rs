//! `plan.json` (format 2) and the data files it references: the one writer (`cutover plan`
//! and `cutover bundle` both call [`write`]) and the one reader ([`read`], [`step_ops`]).
//!
//! plan.json stays the complete machine contract without repeating 500,000 operations: a
//! step's operations that the bundle runs are the rows of its data file (`data/<step>.csv`,
//! `Op` column then the step's `columns`), named in `ops_file` with its sha256, row count and
//! the values every row shares (`action`, `change`, and the column that holds the `target`).
//! `ops` lists, in full, only what those rules do not give: a row that differs from them
//! (with its `row` index) and the operations already in place (`unchanged`), which no data
//! file holds. The mailbox list is likewise `data/migrationwiz-bulk-add.csv`, people's
//! mailboxes first.
//!
//! Derived operation ids: a jump-box step whose every row's id is its template applied to the
//! row ([`IdPart`], e.g. `"op_id": ["users:ensure:", {"lower": 0}]` in `ops_file`) has no `Op`
//! column; readers derive each id with [`row_id`] (PowerShell: `Import-CutoverData`, from the
//! same template in manifest.json). The writer checks every row first, and only ASCII cells
//! may be lower-cased (Rust's and .NET's `ToLowerInvariant` agree on them); any other step
//! keeps its `Op` column. Source-server steps (PowerShell 1.0/2.0) always keep it.
//!
//! A streaming plan ([`super::spill`]) has written its large steps' data files while it was
//! built, with the same bytes [`write`] would give them: `write` links them under `data/` and
//! states them in plan.json from what their writer kept.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::spill::Spilled;
use super::{Change, Op, Plan, PlannedStep, VERSION};
use crate::error::{Error, Result};

/// Where the data files go, beside plan.json.
pub const DATA_DIR: &str = "data";
/// The mailbox list MigrationWiz's bulk add reads (and the plan's `mailboxes`).
pub const MIGRATIONWIZ_FILE: &str = "data/migrationwiz-bulk-add.csv";
/// People's mailboxes only (DeploymentPro configures Outlook for these).
pub const DEPLOYMENTPRO_FILE: &str = "data/deploymentpro-users.csv";

pub(crate) const BOM: &[u8] = b"\xef\xbb\xbf";

/// A file written as it is made, hashed on the way: a data file of 100,000 rows is never
/// held whole in memory.
pub(crate) struct Hashed {
    file: std::io::BufWriter<fs::File>,
    hash: Sha256,
}

impl Hashed {
    pub(crate) fn create(p: &Path) -> Result<Hashed> {
        let file = fs::File::create(p).map_err(|e| Error::io(p, e))?;
        Ok(Hashed {
            file: std::io::BufWriter::with_capacity(256 * 1024, file),
            hash: Sha256::new(),
        })
    }

    /// Flushes the file and gives its SHA-256.
    pub(crate) fn finish(mut self) -> std::io::Result<String> {
        self.flush()?;
        Ok(hex(&self.hash.finalize()))
    }
}

impl Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Writes `dir/rel` through `fill` and returns its SHA-256.
pub(crate) fn write_streamed(
    dir: &Path,
    rel: &str,
    fill: impl FnOnce(&mut Hashed) -> Result<()>,
) -> Result<String> {
    let p = dir.join(rel);
    let mut w = Hashed::create(&p)?;
    fill(&mut w)?;
    w.finish().map_err(|e| Error::io(&p, e))
}

/// A data file's text (BOM, header, CRLF rows) written to `out`.
pub(crate) fn csv_to<W, I, R>(mut out: W, header: &[&str], rows: I) -> Result<()>
where
    W: Write,
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    out.write_all(BOM).map_err(|e| Error::Other(e.into()))?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(header).map_err(|e| Error::Other(e.into()))?;
    for r in rows {
        w.write_record(r).map_err(|e| Error::Other(e.into()))?;
    }
    w.flush().map_err(|e| Error::Other(e.into()))
}

/// A written data file: path relative to plan.json's folder, `/`-separated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    pub file: String,
    pub sha256: String,
    pub rows: usize,
    /// The template of every row's operation id when the file has no `Op` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_id: Option<Vec<IdPart>>,
}

/// One part of an operation-id template: literal text (a JSON string) or a column of the
/// step's `columns` (0-based), ASCII-lower-cased (`{"lower": k}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IdPart {
    Text(String),
    Lower { lower: usize },
}

/// Writes into `out` the id `template` gives a row whose `k`th value is `cell(k)`; false when
/// a referenced cell is missing or not ASCII (no id is derived from it).
pub fn derive_id<'a>(
    template: &[IdPart],
    cell: impl Fn(usize) -> Option<&'a str>,
    out: &mut String,
) -> bool {
    out.clear();
    for part in template {
        match part {
            IdPart::Text(t) => out.push_str(t),
            IdPart::Lower { lower } => match cell(*lower) {
                Some(v) if v.is_ascii() => {
                    out.extend(v.chars().map(|c| c.to_ascii_lowercase()));
                }
                _ => return false,
            },
        }
    }
    true
}

/// Whether `template` gives exactly `op`'s id (`buf` is scratch space).
pub(crate) fn fits(template: &[IdPart], op: &Op, buf: &mut String) -> bool {
    derive_id(template, |k| op.value(k), buf) && buf == op.id()
}

/// The one reading of a data-file row's operation id: its first cell (`Op`), or with a
/// template the id derived from its cells. Returns the id and where the step's values start.
pub fn row_id(template: Option<&[IdPart]>, rec: &csv::StringRecord) -> Option<(String, usize)> {
    match template {
        None => Some((rec.get(0)?.to_string(), 1)),
        Some(t) => {
            let mut id = String::new();
            derive_id(t, |k| rec.get(k), &mut id).then_some((id, 0))
        }
    }
}

/// What [`write`] wrote besides plan.json.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Per step id with operations to run: its data file.
    pub steps: Vec<(&'static str, FileRef)>,
    /// The other data files (mailbox lists, the migration's mailboxes).
    pub other: Vec<FileRef>,
}

impl Written {
    pub fn step(&self, id: &str) -> Option<&FileRef> {
        self.steps.iter().find(|(s, _)| *s == id).map(|(_, f)| f)
    }
}

/// `ops_file` of a step in plan.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpsFile {
    #[serde(flatten)]
    pub file: FileRef,
    /// Every row's action, unless `ops` has the row.
    pub action: String,
    /// Every row's change, unless `ops` has the row.
    pub change: String,
    /// The column whose value is every row's target, unless `ops` has the row.
    pub target_column: Option<String>,
}

/// One operation as plan.json states it (format 1 listed every one like this).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOp {
    /// The data file row (0-based, after the header) this record states in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub id: String,
    pub action: String,
    pub target: String,
    pub change: String,
    pub values: Vec<String>,
}

#[derive(Serialize)]
struct OpOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<usize>,
    #[serde(flatten)]
    op: &'a Op,
}

#[derive(Serialize)]
struct StepOut<'a> {
    #[serde(flatten)]
    step: &'a PlannedStep,
    /// Every operation of the step, in the file or not.
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    ops_file: Option<OpsFile>,
    ops: Vec<OpOut<'a>>,
}

#[derive(Serialize)]
struct MailboxesOut<'a> {
    #[serde(flatten)]
    file: &'a FileRef,
    /// The first `users` rows are people's mailboxes, the rest shared and resource ones.
    users: usize,
}

#[derive(Serialize)]
struct PlanOut<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    steps: Vec<StepOut<'a>>,
    mailboxes: MailboxesOut<'a>,
}

/// The values the rows of a step's data file share, and the rows that differ from them.
fn summarise(step: &PlannedStep, file: FileRef) -> (OpsFile, Vec<OpOut<'_>>) {
    let mut pending = step.pending().peekable();
    let first = pending.peek().copied();
    let action = first.map_or("", |o| o.action).to_string();
    let change = first.map_or(Change::Create, |o| o.change);
    let target_col = first.and_then(|o| o.values().position(|v| v == o.target()));
    let mut odd = Vec::new();
    for (row, op) in pending.enumerate() {
        let target_ok = target_col.is_some_and(|k| op.value(k) == Some(op.target()));
        if op.action != action || op.change != change || !target_ok {
            odd.push(OpOut { row: Some(row), op });
        }
    }
    let ops_file = OpsFile {
        file,
        action,
        change: change.as_str().to_string(),
        target_column: target_col
            .and_then(|k| step.columns.get(k))
            .map(|c| c.to_string()),
    };
    (ops_file, odd)
}

/// `summarise` of a spilled step: what its writer kept as it wrote the rows.
fn summarise_spilled<'a>(
    step: &PlannedStep,
    s: &'a Spilled,
    file: FileRef,
) -> (OpsFile, Vec<OpOut<'a>>) {
    let ops_file = OpsFile {
        file,
        action: s.action.to_string(),
        change: s.change.as_str().to_string(),
        target_column: s
            .target_col
            .and_then(|k| step.columns.get(k))
            .map(|c| c.to_string()),
    };
    let odd = s
        .odd
        .iter()
        .map(|(row, op)| OpOut {
            row: Some(*row),
            op,
        })
        .collect();
    (ops_file, odd)
}

/// Puts a spilled step's file at `dir/rel`: a second name for the same file while it is in the
/// plan's hidden folder (one filesystem), else a copy.
fn place_spilled(s: &Spilled, dir: &Path, rel: &str) -> Result<()> {
    let from = s.path();
    let to = dir.join(rel);
    if fs::canonicalize(&from).ok() == fs::canonicalize(&to).ok() && to.exists() {
        return Ok(());
    }
    match fs::remove_file(&to) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&to, e)),
        _ => {}
    }
    if s.store().in_tmp() && fs::hard_link(&from, &to).is_ok() {
        return Ok(());
    }
    fs::copy(&from, &to).map_err(|e| Error::io(&to, e))?;
    Ok(())
}

/// Writes each step's data file (the operations it runs), the mailbox lists and the
/// migration's mailboxes into `dir/data/`, then `dir/plan.json` referencing them.
pub fn write(plan: &Plan, dir: &Path) -> Result<Written> {
    let data = dir.join(DATA_DIR);
    fs::create_dir_all(&data).map_err(|e| Error::io(&data, e))?;
    let mut written = Written::default();
    let files = step_files(plan, dir)?;
    let mut steps = Vec::with_capacity(plan.steps.len());
    for (step, file) in plan.steps.iter().zip(files) {
        let mut out = StepOut {
            step,
            count: step.op_count(),
            ops_file: None,
            ops: Vec::new(),
        };
        if let Some(file) = file {
            written.steps.push((step.id, file.clone()));
            let (ops_file, odd) = match &step.spilled {
                Some(s) => summarise_spilled(step, s, file),
                None => summarise(step, file),
            };
            out.ops_file = Some(ops_file);
            out.ops = odd;
        }
        match &step.spilled {
            Some(s) => out
                .ops
                .extend(s.unchanged.iter().map(|(_, op)| OpOut { row: None, op })),
            None => out.ops.extend(
                step.ops
                    .iter()
                    .filter(|o| o.change == Change::Unchanged)
                    .map(|op| OpOut { row: None, op }),
            ),
        }
        steps.push(out);
    }
    // Every spilled file is under data/ now: read from there, and the hidden folder goes.
    for s in plan.steps.iter().filter_map(|s| s.spilled.as_deref()) {
        if s.store().in_tmp() {
            s.store().moved_to(&data)?;
        }
    }
    // People's mailboxes first, so the plan can say how many rows are theirs.
    let people = || plan.mailboxes.iter().filter(|m| m.user);
    let others = plan.mailboxes.iter().filter(|m| !m.user);
    let sha = write_streamed(dir, MIGRATIONWIZ_FILE, |w| {
        csv_to(
            w,
            &["Source Email", "Destination Email"],
            people()
                .chain(others)
                .map(|m| [m.source.as_str(), m.destination.as_str()]),
        )
    })?;
    let users = people().count();
    let mailboxes = FileRef {
        file: MIGRATIONWIZ_FILE.to_string(),
        sha256: sha,
        rows: plan.mailboxes.len(),
        op_id: None,
    };
    let sha = write_streamed(dir, DEPLOYMENTPRO_FILE, |w| {
        csv_to(
            w,
            &["UserPrincipalName"],
            people().map(|m| [m.destination.as_str()]),
        )
    })?;
    written.other.push(mailboxes.clone());
    written.other.push(FileRef {
        file: DEPLOYMENTPRO_FILE.to_string(),
        sha256: sha,
        rows: users,
        op_id: None,
    });
    if let Some(mp) = &plan.migration {
        let rows = super::migration::mailbox_rows(mp);
        let sha = write_streamed(dir, super::migration::MAILBOXES_FILE, |w| {
            csv_to(w, &super::migration::MAILBOX_COLUMNS, rows.iter())
        })?;
        written.other.push(FileRef {
            file: super::migration::MAILBOXES_FILE.to_string(),
            sha256: sha,
            rows: rows.len(),
            op_id: None,
        });
    }
    let out = PlanOut {
        plan,
        steps,
        mailboxes: MailboxesOut {
            file: &mailboxes,
            users,
        },
    };
    let path = dir.join("plan.json");
    write_streamed(dir, "plan.json", |w| {
        serde_json::to_writer(w, &out).map_err(|e| match e.io_error_kind() {
            Some(kind) => Error::io(&path, std::io::Error::new(kind, e)),
            None => Error::Other(e.into()),
        })
    })?;
    Ok(written)
}

/// Each step's data file (None for a step with nothing to run), written on two cores: the
/// largest files go alternately to the one with fewer rows so far.
fn step_files(plan: &Plan, dir: &Path) -> Result<Vec<Option<FileRef>>> {
    // Spilled steps' files are written already.
    let rows: Vec<usize> = plan
        .steps
        .iter()
        .map(|s| match s.spilled {
            Some(_) => 0,
            None => s.pending().count(),
        })
        .collect();
    let (here, there) = two_halves(&rows);
    let write_one = |i: usize| -> Result<(usize, FileRef)> {
        let step = &plan.steps[i];
        let rel = format!("{DATA_DIR}/{}.csv", step.id);
        let op_id = template_of(step);
        let sha256 = write_streamed(dir, &rel, |w| data_file(w, step, op_id.is_some()))?;
        Ok((
            i,
            FileRef {
                file: rel,
                sha256,
                rows: rows[i],
                op_id,
            },
        ))
    };
    let done: Vec<Result<(usize, FileRef)>> = std::thread::scope(|scope| {
        let other = scope.spawn(|| there.iter().map(|&i| write_one(i)).collect::<Vec<_>>());
        let mut done: Vec<_> = here.iter().map(|&i| write_one(i)).collect();
        done.extend(
            other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        done
    });
    let mut files = vec![None; rows.len()];
    for r in done {
        let (i, f) = r?;
        files[i] = Some(f);
    }
    for (i, step) in plan.steps.iter().enumerate() {
        let Some(s) = step.spilled.as_deref().filter(|s| s.rows > 0) else {
            continue;
        };
        let rel = format!("{DATA_DIR}/{}.csv", step.id);
        place_spilled(s, dir, &rel)?;
        files[i] = Some(FileRef {
            file: rel,
            sha256: s.sha256.clone(),
            rows: s.rows,
            op_id: s.op_id.clone(),
        });
    }
    Ok(files)
}

/// The indexes of the non-zero `sizes` in two lists of about equal total size, for two cores:
/// the largest go alternately to the one with less so far.
pub(crate) fn two_halves(sizes: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] > 0).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let (mut here, mut there) = (Vec::new(), Vec::new());
    let (mut load_here, mut load_there) = (0, 0);
    for i in order {
        if load_here <= load_there {
            here.push(i);
            load_here += sizes[i];
        } else {
            there.push(i);
            load_there += sizes[i];
        }
    }
    (here, there)
}

/// The template a step's data file is written with (no `Op` column): the step's own, when
/// every operation the file holds fits it.
fn template_of(step: &PlannedStep) -> Option<Vec<IdPart>> {
    let t = super::op_id_template(step.kind, &step.place)?;
    let mut buf = String::new();
    step.pending().all(|op| fits(&t, op, &mut buf)).then_some(t)
}

fn data_file(out: impl Write, step: &PlannedStep, template: bool) -> Result<()> {
    let mut header = if template { vec![] } else { vec!["Op"] };
    header.extend_from_slice(step.columns);
    let skip = usize::from(template);
    csv_to(
        out,
        &header,
        step.pending()
            .map(|op| std::iter::once(op.id()).chain(op.values()).skip(skip)),
    )
}

/// How a data file is parsed, here and for a streaming plan's read-back ([`Spilled::each`]):
/// the header is the first record, and callers check each row's width.
pub(crate) fn data_reader<R: std::io::Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r)
}

fn integrity(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Integrity(format!("{}: {what}", path.display()))
}

/// A data file named by plan.json, checked against its sha256, as rows of cells (header
/// first, BOM removed).
fn read_rows(dir: &Path, f: &FileRef) -> Result<Vec<csv::StringRecord>> {
    let path = crate::run::verify::safe_join(dir, &f.file)?;
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    if hex(&Sha256::digest(&bytes)) != f.sha256 {
        return Err(integrity(
            &path,
            "changed after plan.json was written (sha256 differs); plan again",
        ));
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
    let mut rdr = data_reader(body);
    let mut rows = Vec::new();
    for rec in rdr.records() {
        rows.push(rec.map_err(|e| integrity(&path, e))?);
    }
    if f.rows.checked_add(1) != Some(rows.len()) {
        return Err(integrity(
            &path,
            format!(
                "{} rows, plan.json says {}",
                rows.len().saturating_sub(1),
                f.rows
            ),
        ));
    }
    Ok(rows)
}

fn from_value<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T> {
    serde_json::from_value(v.clone())
        .map_err(|e| Error::Integrity(format!("plan.json: {what}: {e}")))
}

/// The one reader of a step's operations: the rows of its data file with the shared values
/// (or the row's own record from `ops`), then the operations no file holds. `dir` is
/// plan.json's folder, `step` one of its `steps`.
pub fn step_ops(dir: &Path, step: &Value) -> Result<Vec<PlanOp>> {
    let listed: Vec<PlanOp> = match step.get("ops") {
        Some(v) => from_value(v, "a step's ops")?,
        None => Vec::new(),
    };
    let Some(f) = step.get("ops_file").filter(|v| !v.is_null()) else {
        return Ok(listed);
    };
    let f: OpsFile = from_value(f, "a step's ops_file")?;
    let columns: Vec<String> = match step.get("columns") {
        Some(v) => from_value(v, "a step's columns")?,
        None => Vec::new(),
    };
    let rows = read_rows(dir, &f.file)?;
    let path = Path::new(&f.file.file);
    let header: Vec<&str> = rows[0].iter().collect();
    let template = f.file.op_id.as_deref();
    let skip = usize::from(template.is_none());
    if (template.is_none() && header.first() != Some(&"Op"))
        || header.get(skip..) != Some(&columns.iter().map(String::as_str).collect::<Vec<_>>()[..])
    {
        return Err(integrity(
            path,
            "its header is not Op (or, with op_id, nothing) and the step's columns",
        ));
    }
    let target_col = match &f.target_column {
        Some(c) => Some(
            columns
                .iter()
                .position(|x| x == c)
                .ok_or_else(|| integrity(path, format!("no column {c}")))?,
        ),
        None => None,
    };
    let mut own: HashMap<usize, PlanOp> = HashMap::new();
    let mut rest = Vec::new();
    for op in listed {
        match op.row {
            Some(r) => {
                own.insert(r, op);
            }
            None => rest.push(op),
        }
    }
    let mut ops = Vec::with_capacity(f.file.rows + rest.len());
    for (i, rec) in rows.iter().skip(1).enumerate() {
        let (id, skip) = row_id(template, rec).ok_or_else(|| {
            integrity(
                path,
                format!("row {}: op_id names a missing or non-ASCII cell", i + 1),
            )
        })?;
        let values: Vec<String> = rec.iter().skip(skip).map(str::to_string).collect();
        let op = match own.remove(&i) {
            Some(o) if o.id == id && o.values == values => o,
            Some(o) => {
                return Err(integrity(
                    path,
                    format!("row {} is {id}, plan.json says {}", i + 1, o.id),
                ))
            }
            None => PlanOp {
                row: Some(i),
                target: target_col
                    .and_then(|k| values.get(k).cloned())
                    .unwrap_or_default(),
                id,
                action: f.action.clone(),
                change: f.change.clone(),
                values,
            },
        };
        ops.push(op);
    }
    if let Some(r) = own.keys().next() {
        return Err(integrity(
            path,
            format!("plan.json names row {r}, which the file does not have"),
        ));
    }
    ops.extend(rest);
    Ok(ops)
}

/// Reads `dir/plan.json` (refusing another format) with every step's `ops` and the
/// `mailboxes` expanded to full lists, as format 1 held them.
pub fn read(dir: &Path) -> Result<Value> {
    let path = dir.join("plan.json");
    let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let mut plan: Value = serde_json::from_str(&text)
        .map_err(|e| integrity(&path, format!("not a valid plan: {e}")))?;
    match plan.get("version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => {}
        v => {
            return Err(integrity(
                &path,
                format!(
                    "plan format {} is not supported (this cutover reads format {VERSION}); \
                     plan again",
                    v.map_or("(none)".to_string(), |v| v.to_string())
                ),
            ))
        }
    }
    if let Some(steps) = plan.get_mut("steps").and_then(Value::as_array_mut) {
        for step in steps {
            let ops = step_ops(dir, step)?;
            step["ops"] = serde_json::to_value(ops).map_err(|e| Error::Other(e.into()))?;
        }
    }
    if let Some(m) = plan.get("mailboxes").filter(|m| m.is_object()) {
        let f: FileRef = from_value(m, "mailboxes")?;
        let users = m.get("users").and_then(Value::as_u64).unwrap_or(0) as usize;
        let rows = read_rows(dir, &f)?;
        let list: Vec<Value> = rows
            .iter()
            .skip(1)
            .enumerate()
            .map(|(i, r)| {
                serde_json::json!({
                    "source": r.get(0).unwrap_or(""),
                    "destination": r.get(1).unwrap_or(""),
                    "user": i < users,
                })
            })
            .collect();
        plan["mailboxes"] = Value::Array(list);
    }
    Ok(plan)
}
