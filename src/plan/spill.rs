//! A streaming plan (`cutover plan` and `cutover bundle`): a large step's data file is written
//! as its operations are made, and only what plan.json, PLAN.md, the README, the manifest and
//! the limits step need is kept (counts, the rows that differ from the shared values, the
//! `unchanged` operations, targets where a later step needs them, where each row starts).
//! Memory then follows the directory, not the 500,000 operations of 100,000 users (issue 12).
//!
//! The file's bytes are exactly what [`super::contract::write`] would write for the step, so
//! `contract::write` links it under `data/` instead of writing it again, and reads of the
//! step's operations come back from that one file ([`Spilled::each`]).

use std::fs;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::contract::{fits, row_id, IdPart};
use super::{Change, Op, StepKind};
use crate::error::{Error, Result};

/// Operations a step holds in memory before its data file is started: small steps (the
/// preflight, sources, domains) stay in memory whole; 4,096 keeps the buffer near a megabyte.
pub const SPILL_AT: usize = 4096;

/// The start of the hidden folder's name.
pub const TMP_PREFIX: &str = ".cutover-plan-";

/// Where a streaming plan's data files are until [`super::contract::write`] puts them under
/// `data/`: a hidden folder in the output folder (one filesystem, so they are linked, not
/// copied), removed once they are there. Nothing is made before the first step spills; a plan
/// that is never written (refused, failed) removes what it made, the output folder too when
/// it made it and left it empty.
#[derive(Debug)]
pub struct Store {
    out: PathBuf,
    at: Mutex<Place>,
    spill_at: usize,
}

#[derive(Debug, Default)]
struct Place {
    /// The folder the files are in, once there is one.
    dir: Option<PathBuf>,
    tmp: Option<tempfile::TempDir>,
    made_out: bool,
}

impl Store {
    /// A store for a plan written to `out`.
    pub fn new_in(out: &Path) -> Arc<Store> {
        Store::with_threshold(out, SPILL_AT)
    }

    /// As `new_in`, spilling steps from `spill_at` operations (tests use small ones).
    pub fn with_threshold(out: &Path, spill_at: usize) -> Arc<Store> {
        Arc::new(Store {
            out: out.to_path_buf(),
            at: Mutex::new(Place::default()),
            spill_at: spill_at.max(1),
        })
    }

    fn place(&self) -> std::sync::MutexGuard<'_, Place> {
        self.at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where a new file goes: the hidden folder, made on first use.
    fn new_path(&self, file: &str) -> Result<PathBuf> {
        let mut at = self.place();
        if at.dir.is_none() {
            let out = &self.out;
            at.made_out = !out.exists();
            fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
            let tmp = tempfile::Builder::new()
                .prefix(TMP_PREFIX)
                .tempdir_in(out)
                .map_err(|e| Error::io(out, e))?;
            at.dir = Some(tmp.path().to_path_buf());
            at.tmp = Some(tmp);
        }
        Ok(at.dir.as_deref().unwrap_or(&self.out).join(file))
    }

    fn path(&self, file: &str) -> PathBuf {
        self.place().dir.as_deref().unwrap_or(&self.out).join(file)
    }

    /// Whether the files are still in the hidden folder (not yet under a plan's `data/`).
    pub(crate) fn in_tmp(&self) -> bool {
        self.place().tmp.is_some()
    }

    /// The files are now in `data` (linked or copied there): read them from there, and remove
    /// the hidden folder.
    pub(crate) fn moved_to(&self, data: &Path) -> Result<()> {
        let mut at = self.place();
        at.dir = Some(data.to_path_buf());
        if let Some(t) = at.tmp.take() {
            let p = t.path().to_path_buf();
            t.close().map_err(|e| Error::io(&p, e))?;
        }
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let at = self.at.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = at.tmp.take() {
            drop(t);
            if at.made_out {
                // Only when empty: the plan was never written.
                let _ = fs::remove_dir(&self.out);
            }
        }
    }
}

/// The index of a change in per-change counts.
fn slot(c: Change) -> usize {
    match c {
        Change::Create => 0,
        Change::Update => 1,
        Change::Unchanged => 2,
        Change::Check => 3,
    }
}

/// A step whose operations are in its data file.
#[derive(Debug, Clone)]
pub struct Spilled {
    store: Arc<Store>,
    /// `<step>.csv`, in the store's folder.
    file: String,
    pub sha256: String,
    /// Rows of the file: the operations the step runs.
    pub rows: usize,
    counts: [usize; 4],
    /// What every row shares unless `odd` has it: the first row's action and change, and the
    /// column holding its target.
    pub action: &'static str,
    pub change: Change,
    pub target_col: Option<usize>,
    /// The rows that differ from the shared values, with their row index, in order.
    pub odd: Vec<(usize, Op)>,
    /// The operations no file holds, with their place among all the step's operations.
    pub unchanged: Vec<(usize, Op)>,
    /// Every operation's target in order, for the steps the limits step sets (else empty).
    targets: Option<Vec<Box<str>>>,
    /// Where each row starts in the file, for PLAN.md's sample.
    starts: Vec<u64>,
    /// The first operation id holding a control character (refused by the bundle).
    pub bad_id: Option<String>,
    /// The template every row's id follows, when the file has no `Op` column.
    pub op_id: Option<Vec<IdPart>>,
}

impl PartialEq for Spilled {
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file && self.sha256 == other.sha256 && self.rows == other.rows
    }
}

/// An id holding a line break or other control character (see `bundle::check_ids`).
pub(crate) fn control(id: &str) -> bool {
    // Control characters (Cc) are U+0000-U+001F and U+007F-U+009F; the last run starts with
    // byte 0xC2 in UTF-8, so a byte scan rules most ids out before the character scan.
    id.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) && id.chars().any(char::is_control)
}

impl Spilled {
    pub fn path(&self) -> PathBuf {
        self.store.path(&self.file)
    }

    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn len(&self) -> usize {
        self.rows + self.unchanged.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn count(&self, c: Change) -> usize {
        self.counts[slot(c)]
    }

    /// Every target in order, when the step kept them.
    pub fn targets(&self) -> Option<&[Box<str>]> {
        self.targets.as_deref()
    }

    fn integrity(&self, what: impl std::fmt::Display) -> Error {
        Error::Integrity(format!("{}: {what}", self.path().display()))
    }

    fn reader(&self) -> Result<csv::Reader<std::io::BufReader<fs::File>>> {
        let path = self.path();
        let f = fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        Ok(super::contract::data_reader(
            std::io::BufReader::with_capacity(256 * 1024, f),
        ))
    }

    /// The operation of data-file row `row`, whose cells are `rec` (Op unless the id is
    /// derived, then the values).
    fn op_of(&self, row: usize, rec: &csv::StringRecord) -> Result<Op> {
        let (id, skip) = row_id(self.op_id.as_deref(), rec).ok_or_else(|| {
            self.integrity(format!(
                "row {}: op_id names a missing or non-ASCII cell",
                row + 1
            ))
        })?;
        let id = id.as_str();
        if let Ok(i) = self.odd.binary_search_by_key(&row, |(r, _)| *r) {
            let op = &self.odd[i].1;
            if op.id() != id {
                return Err(self.integrity(format!("row {} is {id}, not {}", row + 1, op.id())));
            }
            return Ok(op.clone());
        }
        let values = rec.iter().skip(skip);
        let target = self
            .target_col
            .and_then(|k| rec.get(k + skip))
            .unwrap_or_default();
        Ok(Op::new(id, self.action, target, self.change, values))
    }

    /// Each operation in plan order, read back from the data file (the `unchanged` ones from
    /// memory, at their places).
    pub fn each(&self, f: &mut dyn FnMut(&Op) -> Result<()>) -> Result<()> {
        if self.rows == 0 {
            // No file under data/ holds a step with nothing to run.
            return self.unchanged.iter().try_for_each(|(_, op)| f(op));
        }
        let mut rdr = self.reader()?;
        let mut rec = csv::StringRecord::new();
        let mut unchanged = self.unchanged.iter().peekable();
        let mut at = 0;
        let mut row = 0;
        let mut header = true;
        while rdr.read_record(&mut rec).map_err(|e| self.integrity(e))? {
            if std::mem::take(&mut header) {
                continue;
            }
            while let Some((_, op)) = unchanged.next_if(|(p, _)| *p == at) {
                f(op)?;
                at += 1;
            }
            f(&self.op_of(row, &rec)?)?;
            row += 1;
            at += 1;
        }
        if row != self.rows {
            return Err(self.integrity(format!("{row} rows, the plan made {}", self.rows)));
        }
        for (_, op) in unchanged {
            f(op)?;
        }
        Ok(())
    }

    /// The operation of row `row`, read from where it starts.
    pub fn row(&self, row: usize) -> Result<Op> {
        let start = *self
            .starts
            .get(row)
            .ok_or_else(|| self.integrity(format!("no row {}", row + 1)))?;
        let path = self.path();
        let mut f = fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        f.seek(std::io::SeekFrom::Start(start))
            .map_err(|e| Error::io(&path, e))?;
        let mut rdr = super::contract::data_reader(std::io::BufReader::new(f));
        let mut rec = csv::StringRecord::new();
        if !rdr.read_record(&mut rec).map_err(|e| self.integrity(e))? {
            return Err(self.integrity(format!("no row {}", row + 1)));
        }
        self.op_of(row, &rec)
    }
}

/// A step's operations as a builder makes them: in memory up to the store's threshold, then
/// in the step's data file.
pub struct Sink {
    kind: StepKind,
    store: Option<Arc<Store>>,
    ops: Vec<Op>,
    out: Option<Writer>,
    keep_targets: bool,
    /// The step's id template: its file is written without `Op` while every row fits.
    op_id: Option<Vec<IdPart>>,
    /// The first write that failed: [`Sink::finish`] returns it.
    error: Option<Error>,
}

struct Writer {
    spilled: Spilled,
    /// Flushed after each row, so its count is where the next row starts.
    csv: csv::Writer<Counted>,
    seen: usize,
    /// Scratch space for the ids a template gives.
    buf: String,
}

/// The data file, counting what reaches it. `flush` does nothing: the csv writer flushes each
/// row into it, and the file is flushed once, by [`super::contract::Hashed::finish`].
struct Counted {
    file: super::contract::Hashed,
    at: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.at += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    pub fn new(kind: StepKind, store: Option<Arc<Store>>, keep_targets: bool) -> Sink {
        Sink {
            kind,
            store,
            ops: Vec::new(),
            out: None,
            keep_targets,
            op_id: None,
            error: None,
        }
    }

    /// Writes the file without `Op` while every row's id is `template`'s (see
    /// [`super::contract::IdPart`]).
    pub fn with_op_id(mut self, template: Option<Vec<IdPart>>) -> Sink {
        self.op_id = template;
        self
    }

    /// Adds an operation; a write that fails is kept for [`Sink::finish`].
    pub fn push(&mut self, op: Op) {
        if self.error.is_some() {
            return;
        }
        let done = match &mut self.out {
            Some(w) => w.push(op),
            None => {
                self.ops.push(op);
                match &self.store {
                    Some(s) if self.ops.len() >= s.spill_at => self.spill(),
                    _ => Ok(()),
                }
            }
        };
        if let Err(e) = done {
            self.error = Some(e);
        }
    }

    fn spill(&mut self) -> Result<()> {
        let Some(store) = self.store.clone() else {
            return Ok(());
        };
        let file = format!("{}.csv", self.kind.id());
        let path = store.new_path(&file)?;
        let mut data = super::contract::Hashed::create(&path)?;
        data.write_all(super::contract::BOM)
            .map_err(|e| Error::io(&path, e))?;
        let mut w = Writer {
            spilled: Spilled {
                store,
                file,
                sha256: String::new(),
                rows: 0,
                counts: [0; 4],
                action: "",
                change: Change::Create,
                target_col: None,
                odd: Vec::new(),
                unchanged: Vec::new(),
                targets: self.keep_targets.then(Vec::new),
                starts: Vec::new(),
                bad_id: None,
                op_id: self.op_id.clone(),
            },
            csv: csv_writer(data),
            seen: 0,
            buf: String::new(),
        };
        let mut header = if self.op_id.is_some() {
            vec![]
        } else {
            vec!["Op"]
        };
        header.extend_from_slice(self.kind.columns());
        w.put_record(header)?;
        for op in std::mem::take(&mut self.ops) {
            w.push(op)?;
        }
        self.out = Some(w);
        Ok(())
    }

    /// The operations in memory, or the spilled step with its file complete.
    pub fn finish(mut self) -> Result<(Vec<Op>, Option<Spilled>)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Some(w) = self.out.take() else {
            return Ok((self.ops, None));
        };
        let Writer {
            mut spilled, csv, ..
        } = w;
        let path = spilled.path();
        let counted = csv
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        spilled.sha256 = counted.file.finish().map_err(|e| Error::io(&path, e))?;
        spilled.odd.shrink_to_fit();
        spilled.unchanged.shrink_to_fit();
        spilled.starts.shrink_to_fit();
        if let Some(t) = &mut spilled.targets {
            t.shrink_to_fit();
        }
        Ok((Vec::new(), Some(spilled)))
    }

    /// `ops` as this (empty) sink's step: spilled when a store is set and they pass its
    /// threshold.
    pub fn of(mut self, ops: Vec<Op>) -> Result<(Vec<Op>, Option<Spilled>)> {
        match &self.store {
            Some(s) if ops.len() >= s.spill_at => {
                self.ops = ops;
                self.spill()?;
                self.finish()
            }
            _ => Ok((ops, None)),
        }
    }
}

fn csv_writer(data: super::contract::Hashed) -> csv::Writer<Counted> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Counted {
            file: data,
            at: super::contract::BOM.len() as u64,
        })
}

impl Writer {
    fn put_record<I>(&mut self, rec: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.csv
            .write_record(rec)
            .and_then(|_| self.csv.flush().map_err(csv::Error::from))
            .map_err(|e| Error::Other(e.into()))
    }

    fn push(&mut self, op: Op) -> Result<()> {
        let s = &mut self.spilled;
        s.counts[slot(op.change)] += 1;
        if let Some(t) = &mut s.targets {
            t.push(op.target().into());
        }
        let at = self.seen;
        self.seen += 1;
        if op.change == Change::Unchanged {
            s.unchanged.push((at, op));
            return Ok(());
        }
        if s.bad_id.is_none() && control(op.id()) {
            s.bad_id = Some(op.id().to_string());
        }
        if let Some(t) = &s.op_id {
            if !fits(t, &op, &mut self.buf) {
                self.keep_op_column()?;
            }
        }
        let s = &mut self.spilled;
        let row = s.rows;
        if row == 0 {
            s.action = op.action;
            s.change = op.change;
            s.target_col = op.values().position(|v| v == op.target());
        }
        let target_ok = s
            .target_col
            .is_some_and(|k| op.value(k) == Some(op.target()));
        let odd = op.action != s.action || op.change != s.change || !target_ok;
        s.rows += 1;
        s.starts.push(self.csv.get_ref().at);
        let skip = usize::from(s.op_id.is_some());
        self.put_record(std::iter::once(op.id()).chain(op.values()).skip(skip))?;
        if odd {
            self.spilled.odd.push((row, op));
        }
        Ok(())
    }

    /// A row's id is not its template's: the step keeps its `Op` column. The file so far (every
    /// row of which fitted) is written again with the column, the ids derived from the rows.
    fn keep_op_column(&mut self) -> Result<()> {
        let Some(t) = self.spilled.op_id.take() else {
            return Ok(());
        };
        let path = self.spilled.path();
        // The name stays `<step>.csv` (the store moves files by name): the rows so far are
        // read back from a second name.
        let old = path.with_extension("csv.part");
        let fresh = csv_writer(super::contract::Hashed::create(&old)?);
        let done = std::mem::replace(&mut self.csv, fresh)
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        done.file.finish().map_err(|e| Error::io(&path, e))?;
        // `old` now holds an empty file: swap the names.
        fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
        fs::rename(&path, &old).map_err(|e| Error::io(&old, e))?;
        let mut data = super::contract::Hashed::create(&path)?;
        data.write_all(super::contract::BOM)
            .map_err(|e| Error::io(&path, e))?;
        let _ = std::mem::replace(&mut self.csv, csv_writer(data));
        let f = fs::File::open(&old).map_err(|e| Error::io(&old, e))?;
        let mut body = std::io::BufReader::with_capacity(256 * 1024, f);
        let mut bom = [0u8; 3];
        std::io::Read::read_exact(&mut body, &mut bom).map_err(|e| Error::io(&old, e))?;
        let mut rdr = super::contract::data_reader(body);
        let mut rec = csv::StringRecord::new();
        let mut header = true;
        self.spilled.starts.clear();
        while rdr
            .read_record(&mut rec)
            .map_err(|e| Error::Integrity(format!("{}: {e}", old.display())))?
        {
            if std::mem::take(&mut header) {
                self.put_record(std::iter::once("Op").chain(rec.iter()))?;
                continue;
            }
            let (id, _) = row_id(Some(&t), &rec).ok_or_else(|| {
                Error::Integrity(format!("{}: a row does not fit its op_id", old.display()))
            })?;
            self.spilled.starts.push(self.csv.get_ref().at);
            self.put_record(std::iter::once(id.as_str()).chain(rec.iter()))?;
        }
        drop(rdr);
        fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
        Ok(())
    }
}
