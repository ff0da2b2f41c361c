//! The lint run: opens every input, streams each once in dependency order (users, groups,
//! audit kinds, members), applies the row rules, then the cross-file checks.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use crate::diag::{Finding, Severity};
use crate::error::Result;
use crate::input::{self, columns, Column, Encoding, FileKind, OpenError, Options, Reader, Row};
use crate::project::Project;

use super::index::{KeyTable, Place, PlaceMap};
use super::sink::{Sink, Unlisted};
use super::{damage, file, groups, users, Rule};
use crate::model::directory::Directory;

/// What to lint: the project's inputs plus `files` (forced to `kind` when given).
pub struct LintRequest<'a> {
    pub project: &'a Project,
    pub files: &'a [PathBuf],
    pub kind: Option<FileKind>,
}

/// One file as the report describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub kind: Option<FileKind>,
    pub rows: u64,
    pub encoding: Option<Encoding>,
    #[serde(serialize_with = "delimiter_str")]
    pub delimiter: Option<u8>,
}

fn delimiter_str<S: Serializer>(d: &Option<u8>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(b) => s.serialize_str(&char::from(*b).to_string()),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LintReport {
    pub files: Vec<FileSummary>,
    pub findings: Vec<Finding>,
    /// Findings over the per-rule cap: counted in the summary, not listed.
    #[serde(skip)]
    pub unlisted: Unlisted,
}

impl LintReport {
    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
    /// Every error found, listed or not.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error) + self.unlisted.errors
    }
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning) + self.unlisted.warnings
    }
    /// Every info found; the "N more" notes are not findings and not counted.
    pub fn infos(&self) -> usize {
        (self.count(Severity::Info) + self.unlisted.infos).saturating_sub(self.unlisted.notes)
    }
    /// Whether a file could not be read at all (the command exits 2).
    pub fn has_unreadable(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.code == file::UNREADABLE.code)
    }
}

/// Where an input's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    Path(PathBuf),
    /// Bytes in memory (the demo's embedded samples), named for the report.
    Memory {
        name: String,
        bytes: Vec<u8>,
    },
}

/// One input: its source and its kind when known in advance.
#[derive(Debug, Clone)]
pub struct Input {
    pub source: Source,
    pub kind: Option<FileKind>,
}

impl Input {
    fn name(&self) -> String {
        match &self.source {
            Source::Path(p) => p.display().to_string(),
            Source::Memory { name, .. } => name.clone(),
        }
    }
}

/// Lints the project's inputs plus the request's files.
pub fn lint(req: &LintRequest<'_>) -> Result<LintReport> {
    let i = &req.project.inputs;
    let mut inputs: Vec<Input> = [
        (&i.users, FileKind::Users),
        (&i.groups, FileKind::Groups),
        (&i.members, FileKind::Members),
        (&i.mailboxes, FileKind::Mailboxes),
        (&i.stats, FileKind::MailboxStats),
        (&i.permissions, FileKind::Permissions),
        (&i.contacts, FileKind::Contacts),
    ]
    .into_iter()
    .filter_map(|(p, k)| {
        p.as_ref().map(|p| Input {
            source: Source::Path(p.clone()),
            kind: Some(k),
        })
    })
    .collect();
    for f in req.files {
        if f.as_os_str() == "-" {
            inputs.push(Input {
                source: Source::Memory {
                    name: "<stdin>".into(),
                    bytes: read_stdin()?,
                },
                kind: req.kind,
            });
            continue;
        }
        let dup = inputs
            .iter()
            .any(|i| matches!(&i.source, Source::Path(p) if same_file(p, f)));
        if !dup {
            inputs.push(Input {
                source: Source::Path(f.clone()),
                kind: req.kind,
            });
        }
    }
    let mut report = lint_inputs(req.project, &inputs)?;
    report.findings.extend(super::settings::check(req.project));
    Ok(report)
}

/// `-` among the files: standard input, held in memory (bounded: a pipe has no size to check).
fn read_stdin() -> Result<Vec<u8>> {
    use std::io::Read;
    const LIMIT: u64 = 2 << 30;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::error::Error::io("<stdin>", e))?;
    if bytes.len() as u64 > LIMIT {
        return Err(crate::error::Error::Usage(
            "standard input is over 2 GiB: save it to a file and lint the file".into(),
        ));
    }
    Ok(bytes)
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// How many rows a key insert or member resolution trails the row that asked for it, so the
/// prefetch issued at the row has landed by the time the table is touched.
pub const DEFER: usize = 16;

/// A uniqueness check waiting for its prefetch.
struct DeferredKey {
    key: u64,
    place: Place,
    /// The rule a second claimant breaks; `None` for names recipients may share (derived
    /// aliases, display names), which the directory records for resolution only.
    rule: Option<&'static Rule>,
    column: Option<usize>,
    value: String,
    what: &'static str,
}

/// A member row waiting for its prefetch (the group is already resolved).
pub struct DeferredMember {
    /// The group as the row names it, resolved with the member after a prefetch; `None` when
    /// the group is known already (a groups file's Members cell).
    pub group: Option<GroupRef>,
    pub gid: Option<u32>,
    pub group_key: u64,
    pub member: String,
    pub base: u64,
    pub place: Place,
    pub column: Option<usize>,
    /// The row resolved on the reader thread; `None`: resolved here, from the state.
    pub pre: Option<groups::MemberPre>,
}

/// A member row's group column, waiting for its prefetch.
pub struct GroupRef {
    pub text: String,
    pub base: u64,
    pub column: Option<usize>,
}

/// Per-file counters for the findings given once per file.
#[derive(Default)]
pub struct FileStats {
    pub passwords: u64,
    pub no_location: u64,
    pub first_no_location: Option<u64>,
    /// Whether the file has a column of the admin-center template's limits (asked at the
    /// first row: most users files have none, and each row looked eleven columns up).
    pub limited_columns: Option<bool>,
}

/// Everything a lint run remembers between rows and files.
pub struct State<'p> {
    pub project: &'p Project,
    pub sink: Sink,
    /// Every name of every recipient (UPNs, aliases, addresses, names, display names), each
    /// with the place of the row that first claimed it.
    pub dir: Directory,
    /// The place of each group's row to the group's number; ask [`State::group_of`].
    pub group_at: PlaceMap<u32>,
    pub group_names: Vec<Box<str>>,
    pub memberships: KeyTable,
    /// Group-in-group memberships for the cycle check.
    pub edges: Vec<(u32, u32, Place)>,
    /// `Members` cells of groups files, resolved once every group is known.
    pub pending: Vec<(u32, String, Place)>,
    pub file_stats: FileStats,
    /// The users files' last UPN domain and what was found for it.
    pub upn_domain: users::DomainMemo,
    pub have_users: bool,
    pub have_groups: bool,
    files: Vec<String>,
    /// Each file's kind, by the same index.
    kinds: Vec<Option<FileKind>>,
    /// The current file's header names, for findings raised after the row is gone.
    header_names: Vec<String>,
    deferred: VecDeque<DeferredKey>,
    pub deferred_members: VecDeque<DeferredMember>,
    pub resolving: VecDeque<groups::Resolving>,
    spare: Vec<String>,
    secrets: Vec<Vec<usize>>,
    file_idx: usize,
    domains_seen: Vec<String>,
}

impl<'p> State<'p> {
    fn new(project: &'p Project, files: Vec<String>) -> Self {
        let n = files.len();
        State {
            project,
            sink: Sink::silencing(super::silenced(&project.lint_select, &project.lint_ignore)),
            dir: Directory::default(),
            group_at: PlaceMap::default(),
            group_names: Vec::new(),
            memberships: KeyTable::default(),
            edges: Vec::new(),
            pending: Vec::new(),
            file_stats: FileStats::default(),
            upn_domain: users::DomainMemo::default(),
            have_users: false,
            have_groups: false,
            files,
            kinds: Vec::new(),
            header_names: Vec::new(),
            deferred: VecDeque::new(),
            deferred_members: VecDeque::new(),
            resolving: VecDeque::new(),
            spare: Vec::new(),
            secrets: vec![Vec::new(); n],
            file_idx: 0,
            domains_seen: Vec::new(),
        }
    }

    pub fn enter_file(&mut self, idx: usize) {
        self.file_idx = idx;
        let name = self.files.get(idx).cloned().unwrap_or_default();
        let secret = self.secrets.get(idx).cloned().unwrap_or_default();
        self.sink.enter(idx, &name, secret);
    }

    pub fn place(&self, line: u64) -> Place {
        Place::new(self.file_idx, line)
    }

    /// Records `key` at `place`; returns the earlier place when the key was already taken.
    pub fn insert(&mut self, key: u64, place: Place) -> Option<Place> {
        self.dir.claim_key(key, place)
    }

    /// Where a key was first seen, counting checks still waiting in the queue.
    pub fn get(&self, key: u64) -> Option<Place> {
        self.dir
            .get(key)
            .or_else(|| self.deferred.iter().find(|d| d.key == key).map(|d| d.place))
    }

    pub fn prefetch(&self, key: u64) {
        self.dir.prefetch(key);
    }

    /// Records a key that must be unique and reports `rule` (on `col` of this row) when it is
    /// not; done a few rows later, after a prefetch.
    pub fn insert_later(
        &mut self,
        key: u64,
        place: Place,
        rule: &'static Rule,
        row: &Row<'_>,
        col: Column,
        what: &'static str,
    ) {
        self.defer(key, place, Some(rule), row, col, what);
    }

    /// Records a name recipients may share (a derived alias, a display name) a few rows later,
    /// after a prefetch.
    pub fn claim_later(&mut self, key: u64, place: Place) {
        self.dir.prefetch(key);
        let value = self.spare_string();
        self.deferred.push_back(DeferredKey {
            key,
            place,
            rule: None,
            column: None,
            value,
            what: "",
        });
        if self.deferred.len() > DEFER {
            self.run_deferred_key();
        }
    }

    fn defer(
        &mut self,
        key: u64,
        place: Place,
        rule: Option<&'static Rule>,
        row: &Row<'_>,
        col: Column,
        what: &'static str,
    ) {
        self.dir.prefetch(key);
        let mut value = self.spare.pop().unwrap_or_default();
        value.clear();
        value.push_str(row.get(col).unwrap_or_default());
        self.deferred.push_back(DeferredKey {
            key,
            place,
            rule,
            column: row.position(col),
            value,
            what,
        });
        if self.deferred.len() > DEFER {
            self.run_deferred_key();
        }
    }

    fn run_deferred_key(&mut self) {
        let Some(d) = self.deferred.pop_front() else {
            return;
        };
        let first = self.dir.claim_key(d.key, d.place);
        if let (Some(first), Some(rule)) = (first, d.rule) {
            let at = self.describe(first);
            let column = d
                .column
                .map(|i| (self.header_names.get(i).map_or("", String::as_str), i));
            self.sink.at(
                rule,
                Some(d.place.line()),
                column,
                Some(&d.value),
                format!("{} is also used at {at}", d.what),
            );
        }
        self.spare.push(d.value);
    }

    /// A reusable string for deferred work.
    pub fn spare_string(&mut self) -> String {
        let mut s = self.spare.pop().unwrap_or_default();
        s.clear();
        s
    }

    pub fn recycle(&mut self, s: String) {
        self.spare.push(s);
    }

    /// The name of a column of the current file by position.
    pub fn header_name(&self, i: usize) -> &str {
        self.header_names.get(i).map_or("", String::as_str)
    }

    /// Runs every deferred check (end of a file).
    fn flush(&mut self) {
        while !self.deferred.is_empty() {
            self.run_deferred_key();
        }
        groups::flush_members(self);
    }

    /// The group whose row is at `p`, if any. Groups are rows of groups files: a place in
    /// another file (a member resolving to a user, most rows) is answered without a lookup in
    /// a map the directory's table keeps pushing out of the cache.
    pub fn group_of(&self, p: Place) -> Option<u32> {
        self.recipients().group_of(p)
    }

    /// What member resolution reads, borrowed from this state.
    pub fn recipients(&self) -> Recipients<'_> {
        Recipients {
            dir: &self.dir,
            group_at: &self.group_at,
            kinds: &self.kinds,
            project: self.project,
            domains_seen: &self.domains_seen,
            any: self.have_users || self.have_groups,
        }
    }

    /// "the user at users.csv:3": a recipient of the directory, for messages.
    pub fn recipient_at(&self, p: Place) -> String {
        let what = if self.group_of(p).is_some() {
            "the group"
        } else {
            match self.kinds.get(p.file()).copied().flatten() {
                Some(FileKind::Users) => "the user",
                Some(FileKind::Mailboxes) => "the mailbox",
                Some(FileKind::Contacts) => "the contact",
                _ => "the recipient",
            }
        };
        format!("{what} at {}", self.describe(p))
    }

    /// `file:line` of a place, for messages.
    pub fn describe(&self, p: Place) -> String {
        let f = self.files.get(p.file()).map_or("?", String::as_str);
        format!("{f}:{}", p.line())
    }

    /// Whether a domain is accepted: the project's domains or its tenant domain; anything
    /// when the project names no domains.
    pub fn accepts(&self, domain: &str) -> bool {
        accepts(self.project, domain)
    }

    /// Remembers the domains users live in, to tell internal from external members when the
    /// project names no domains.
    pub fn note_domain(&mut self, domain: &str) {
        if self.project.domains.is_empty()
            && self.domains_seen.len() < 1000
            && !self
                .domains_seen
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
        {
            self.domains_seen.push(domain.to_ascii_lowercase());
        }
    }

    pub fn is_internal(&self, domain: &str) -> bool {
        self.recipients().is_internal(domain)
    }

    /// Sizes the indexes from the file size up front: growing a table of millions of keys
    /// rehashes them all, twice the memory for a moment.
    fn reserve_for(&mut self, kind: Option<FileKind>, source: &Source) {
        let size = source_size(source);
        // Typical rows: a user row is 60-120 bytes with two or three keys; a member row ~60.
        match kind {
            Some(FileKind::Users) => self.dir.reserve((size / 25) as usize),
            Some(FileKind::Members) => self.memberships.reserve((size / 50) as usize),
            _ => {}
        }
    }

    pub fn add_group(&mut self, name: &str) -> u32 {
        self.group_names.push(name.into());
        (self.group_names.len() - 1) as u32
    }
}

/// Whether a domain is accepted: the project's domains or its tenant domain; anything when
/// the project names no domains.
pub(super) fn accepts(project: &Project, domain: &str) -> bool {
    project.accepts_domain(domain)
        || project
            .tenant
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(domain))
}

/// What member resolution reads: the directory and what tells its recipients apart, all
/// complete once the recipients' files are read (members files come after them). A members
/// file's rows are resolved against it on the reader thread while the rules run.
#[derive(Clone, Copy)]
pub struct Recipients<'a> {
    pub dir: &'a Directory,
    group_at: &'a PlaceMap<u32>,
    kinds: &'a [Option<FileKind>],
    project: &'a Project,
    domains_seen: &'a [String],
    /// Whether any users or groups file is linted: else members are not resolved at all.
    pub any: bool,
}

impl Recipients<'_> {
    /// The group whose row is at `p`, if any. Groups are rows of groups files: a place in
    /// another file (a member resolving to a user, most rows) is answered without a lookup in
    /// a map the directory's table keeps pushing out of the cache.
    pub fn group_of(&self, p: Place) -> Option<u32> {
        if self.kinds.get(p.file()).copied().flatten() != Some(FileKind::Groups) {
            return None;
        }
        self.group_at.get(&p.raw()).copied()
    }

    /// Whether an address's domain is the organisation's: the accepted domains, or when the
    /// project names none, the domains its users live in.
    pub fn is_internal(&self, domain: &str) -> bool {
        if self.project.domains.is_empty() {
            self.domains_seen
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
                || self
                    .project
                    .tenant
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(domain))
        } else {
            accepts(self.project, domain)
        }
    }
}

/// A [`Recipients`] lent to the reader thread for a members file: the directory moved out of
/// the state (nothing claims a name while members are read), the small maps copied, so the
/// rules' thread keeps its own for messages.
struct Lent {
    dir: Directory,
    group_at: PlaceMap<u32>,
    kinds: Vec<Option<FileKind>>,
    domains_seen: Vec<String>,
    any: bool,
}

impl Lent {
    fn take(st: &mut State<'_>) -> Lent {
        Lent {
            dir: std::mem::take(&mut st.dir),
            group_at: st.group_at.clone(),
            kinds: st.kinds.clone(),
            domains_seen: st.domains_seen.clone(),
            any: st.have_users || st.have_groups,
        }
    }

    fn view<'a>(&'a self, project: &'a Project) -> Recipients<'a> {
        Recipients {
            dir: &self.dir,
            group_at: &self.group_at,
            kinds: &self.kinds,
            project,
            domains_seen: &self.domains_seen,
            any: self.any,
        }
    }

    fn give_back(self, st: &mut State<'_>) {
        st.dir = self.dir;
    }
}

/// An input's size in bytes (0 when unknown).
fn source_size(source: &Source) -> u64 {
    match source {
        Source::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
        Source::Memory { bytes, .. } => bytes.len() as u64,
    }
}

fn order(kind: Option<FileKind>) -> u8 {
    match kind {
        Some(FileKind::Users) => 0,
        Some(FileKind::Groups) => 1,
        Some(FileKind::Mailboxes) => 2,
        Some(FileKind::MailboxStats) => 3,
        Some(FileKind::Permissions) => 4,
        Some(FileKind::Contacts) => 5,
        Some(FileKind::Members) => 6,
        None => 7,
    }
}

/// Lints a list of inputs; the lower-level entry point (`lint` builds the list).
pub fn lint_inputs(project: &Project, inputs: &[Input]) -> Result<LintReport> {
    lint_inputs_with(project, inputs, ReaderThread::Auto)
}

/// [`lint_inputs`], choosing when files are read on a thread of their own.
pub fn lint_inputs_with(
    project: &Project,
    inputs: &[Input],
    threads: ReaderThread,
) -> Result<LintReport> {
    let opts = |kind| Options {
        kind,
        delimiter: project.delimiter,
    };
    let mut opened: Vec<std::result::Result<Reader, OpenError>> = inputs
        .iter()
        .map(|i| match &i.source {
            Source::Path(p) => input::open(p, &opts(i.kind)),
            Source::Memory { bytes, .. } => input::from_bytes(bytes, &opts(i.kind)),
        })
        .collect();
    let names: Vec<String> = inputs.iter().map(Input::name).collect();
    let kinds: Vec<Option<FileKind>> = opened
        .iter()
        .zip(inputs)
        .map(|(r, i)| r.as_ref().ok().and_then(Reader::kind).or(i.kind))
        .collect();
    let mut st = State::new(project, names.clone());
    st.kinds.clone_from(&kinds);
    st.have_users = kinds.contains(&Some(FileKind::Users));
    st.have_groups = kinds.contains(&Some(FileKind::Groups));
    for (i, r) in opened.iter().enumerate() {
        if let Ok(r) = r {
            let h = r.header();
            // By meaning in the file's kind, and by name whatever the kind: a `Password` column
            // in a file of unknown or forced kind is still a password.
            st.secrets[i] = (0..h.len())
                .filter(|&c| {
                    h.columns
                        .get(c)
                        .copied()
                        .flatten()
                        .is_some_and(Column::is_secret)
                        || h.names.get(c).is_some_and(|n| columns::is_secret_header(n))
                })
                .collect();
        }
    }
    let mut sequence: Vec<usize> = (0..inputs.len()).collect();
    sequence.sort_by_key(|&i| order(kinds[i]));
    let mut summaries: Vec<FileSummary> = names
        .iter()
        .zip(&kinds)
        .map(|(n, k)| FileSummary {
            path: n.clone(),
            kind: *k,
            rows: 0,
            encoding: None,
            delimiter: None,
        })
        .collect();
    let mut audit_files: Vec<(PathBuf, FileKind)> = Vec::new();
    let mut pending_resolved = false;
    for i in sequence {
        // A groups file's Members cells may name any recipient: resolved once every file
        // that defines one (users, groups, mailboxes, contacts) is read.
        if !pending_resolved && order(kinds[i]) > order(Some(FileKind::Contacts)) {
            groups::resolve_pending(&mut st);
            pending_resolved = true;
        }
        st.enter_file(i);
        st.reserve_for(kinds[i], &inputs[i].source);
        match &mut opened[i] {
            Err(e) => file::open_error(&mut st.sink, e),
            Ok(reader) => {
                let threaded = match threads {
                    ReaderThread::Off => false,
                    ReaderThread::On => true,
                    ReaderThread::Auto => source_size(&inputs[i].source) >= THREAD_BYTES,
                };
                lint_file(&mut st, reader, threaded)?;
                let s = &mut summaries[i];
                s.rows = reader.rows();
                s.encoding = Some(reader.encoding());
                s.delimiter = Some(reader.delimiter());
                if let (Some(k), Source::Path(p)) = (kinds[i], &inputs[i].source) {
                    if k.is_audit() {
                        audit_files.push((p.clone(), k));
                    }
                }
            }
        }
    }
    if !pending_resolved {
        groups::resolve_pending(&mut st);
    }
    super::cycles::report(&mut st);
    drop(opened);
    let (mut findings, unlisted) = st.sink.finish(&names);
    if !audit_files.is_empty() {
        // The users files of this run map permission trustees for the audit.
        let users = inputs
            .iter()
            .zip(&kinds)
            .filter_map(|(i, k)| match (&i.source, k) {
                (Source::Path(p), Some(FileKind::Users)) => Some((p.clone(), FileKind::Users)),
                _ => None,
            });
        audit_files.extend(users);
        // The audit's findings do not pass through the sink: --select / --ignore here.
        let silenced = super::silenced(&project.lint_select, &project.lint_ignore);
        findings.extend(
            crate::audit::lint_inputs(project, &audit_files)?
                .into_iter()
                .filter(|f| !silenced.contains(&f.code)),
        );
    }
    let pos = |f: &Finding| {
        f.file
            .as_deref()
            .and_then(|n| names.iter().position(|x| x == n))
            .unwrap_or(usize::MAX)
    };
    findings.sort_by_key(|f| (pos(f), f.line.unwrap_or(0)));
    Ok(LintReport {
        files: summaries,
        findings,
        unlisted,
    })
}

/// Streams one file through the rules.
fn lint_file(st: &mut State<'_>, reader: &mut Reader, threaded: bool) -> Result<()> {
    let notes = reader.take_notes();
    file::notes(&mut st.sink, &notes);
    st.header_names.clone_from(&reader.header().names);
    let kind = reader.kind();
    let checked = file::header(&mut st.sink, reader.header(), kind);
    if let (false, Some(d)) = (checked, st.project.delimiter) {
        // Headers that match no kind after a forced split: the delimiter is the likely cause.
        if let Some(f) = st.sink.findings.last_mut() {
            if f.code == file::UNKNOWN_KIND.code && f.line == Some(reader.header().line) {
                let shown = if d == b'\t' {
                    "tab".to_string()
                } else {
                    (d as char).to_string()
                };
                f.message.push_str(&format!(
                    " (split at --delimiter '{shown}'; without it cutover detects the delimiter)"
                ));
            }
        }
    }
    let header_line = reader.header().line;
    let password_column = reader
        .header()
        .position(Column::Password)
        .map(|i| (reader.header().name_of(Column::Password).to_string(), i));
    let secret = st.secrets.get(st.file_idx).cloned().unwrap_or_default();
    if reader.header().len() > input::columns::MAX_COLUMNS {
        // Reported by `file::header`; rows this wide are not checked.
        st.flush();
        return Ok(());
    }
    let mut rows = RowState {
        kind,
        checked,
        secret,
        type_line: None,
    };
    if !(threaded && read_on_a_thread(st, reader, &mut rows)) {
        loop {
            match reader.next_row() {
                Ok(Some(row)) => rows.row(st, &row, false, None, None),
                Ok(None) => break,
                Err(e) => {
                    rows.unreadable(st, &e);
                    break;
                }
            }
        }
    }
    st.flush();
    let notes = reader.take_notes();
    for n in &notes {
        if let input::Note::UnterminatedQuote { line } = n {
            st.sink.scrub_line(*line);
        }
    }
    if let Some(line) = reader.open_quote_line() {
        st.sink.scrub_line(line);
    }
    file::notes(&mut st.sink, &notes);
    if checked && kind == Some(FileKind::Users) {
        users::finish_file(
            st,
            header_line,
            password_column.as_ref().map(|(n, i)| (n.as_str(), *i)),
        );
    }
    Ok(())
}

/// What the row loop of one file carries from row to row.
struct RowState {
    kind: Option<FileKind>,
    /// Whether the header matched a kind (rows of an unknown file get the damage checks only).
    checked: bool,
    secret: Vec<usize>,
    /// A `#TYPE` line seen as a record, waiting to see whether a repeated header follows it.
    type_line: Option<u64>,
}

impl RowState {
    /// Every check of one data row, in the file's order. A `plain` row ([`plain_row`], asked
    /// on the reader thread) skips the checks that would find nothing in it.
    /// `member`: a members file's row resolved on the reader thread; `user`: a users file's
    /// row hashed there.
    fn row(
        &mut self,
        st: &mut State<'_>,
        row: &Row<'_>,
        plain: bool,
        member: Option<groups::MemberPre>,
        user: Option<users::UserKeys>,
    ) {
        if plain {
            self.after_type_line(st);
        } else if !self.shape(st, row) {
            return;
        }
        let masked = st.sink.begin_row(row, plain);
        if !plain {
            damage::check_row(&mut st.sink, row, &self.secret);
        }
        // A row with too few or too many fields (or a quoted field over a line break) may have
        // its cells under the wrong headers: in a file with a password column any of them may
        // be a password, so only the damage checks (values masked) see it, and no rule indexes
        // or quotes its cells.
        if !self.checked || masked {
            return;
        }
        match self.kind {
            Some(FileKind::Users) => users::check(st, row, user),
            Some(FileKind::Groups) => groups::check_group(st, row),
            Some(FileKind::Members) => groups::check_member(st, row, member),
            Some(FileKind::Mailboxes) => super::mailboxes::check_mailbox(st, row),
            Some(FileKind::Contacts) => super::contacts::check_contact(st, row),
            _ => {}
        }
    }

    /// A `#TYPE` line waiting for a repeated header that did not come: reported alone.
    fn after_type_line(&mut self, st: &mut State<'_>) {
        if let Some(line) = self.type_line.take() {
            st.sink.at(
                &file::HEADER_REPEATED,
                Some(line),
                None,
                None,
                "a #TYPE line repeats here: another export was pasted in".into(),
            );
        }
    }

    /// `#TYPE` lines, repeated headers, ragged and blank rows; false when the row is not a
    /// data row to check further.
    fn shape(&mut self, st: &mut State<'_>, row: &Row<'_>) -> bool {
        if file::is_type_line(row) {
            if let Some(line) = self.type_line.replace(row.line()) {
                st.sink.at(
                    &file::HEADER_REPEATED,
                    Some(line),
                    None,
                    None,
                    "a #TYPE line repeats here: another export was pasted in".into(),
                );
            }
            return false;
        }
        if file::repeats_header(row) {
            let message = match self.type_line.take() {
                Some(t) => format!(
                    "the #TYPE line (line {t}) and the header row repeat here: another export \
                     was pasted in"
                ),
                None => "the header row repeats here: another export was pasted in".into(),
            };
            st.sink.at(
                &file::HEADER_REPEATED,
                Some(row.line()),
                None,
                None,
                message,
            );
            return false;
        }
        self.after_type_line(st);
        file::row_shape(&mut st.sink, row)
    }

    /// Reading stopped mid-file: the rows before were checked, the rest is not there.
    fn unreadable(&mut self, st: &mut State<'_>, e: &std::io::Error) {
        st.sink
            .file(&file::UNREADABLE, format!("reading stopped: {e}"));
    }
}

/// Whether a row needs none of the row-shape and damage checks: the header's width, no
/// `#TYPE` line, repeated header or blank row, no line break in a cell, no damage. Asked on
/// the reader thread with the same functions the checks use, so a plain row is one they
/// would report nothing for.
fn plain_row(row: &Row<'_>) -> bool {
    row.width() == row.header().len()
        && !row.has_line_break()
        && !row.is_blank()
        && !file::is_type_line(row)
        && !file::repeats_header(row)
        && damage::row_is_clean(row)
}

/// When the lint reads a file on a thread of its own while the rules run on the caller's.
/// The findings are the same either way, in the same order (tests/lint_threads.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderThread {
    /// Every file on the caller's thread.
    Off,
    /// Every file on a reader thread.
    On,
    /// Files large enough to repay starting a thread.
    Auto,
}

/// Below this a file is read on the caller's thread: starting a thread costs more than it saves.
const THREAD_BYTES: u64 = 1 << 20;

/// Records per batch handed from the reader thread to the rules, and batches in flight: the
/// memory between the two stays a few thousand records, whatever the file's size.
const BATCH: usize = 1024;
const IN_FLIGHT: usize = 4;

/// Resolves a batch of a members file's rows, each lookup after a prefetch issued [`DEFER`]
/// rows earlier, so the misses of the directory's table overlap.
fn resolve_members(r: &Recipients<'_>, header: &input::Header, batch: &mut Batch) {
    let slots = batch.records.get_mut(..batch.len).unwrap_or_default();
    for s in slots.iter().take(DEFER) {
        if let Some(k) = &s.keys {
            k.prefetch(r);
        }
    }
    for i in 0..slots.len() {
        if let Some(k) = slots.get(i + DEFER).and_then(|s| s.keys.as_ref()) {
            k.prefetch(r);
        }
        if let Some(s) = slots.get_mut(i) {
            s.member = s
                .keys
                .map(|k| k.resolve(r, &Row::new(&s.record, header, s.line)));
        }
    }
}

/// One record read on the reader thread.
struct Slot {
    record: csv::StringRecord,
    line: u64,
    /// Whether it is a [`plain_row`].
    plain: bool,
    /// A members file's row hashed, then resolved against the recipients.
    keys: Option<groups::MemberKeys>,
    member: Option<groups::MemberPre>,
    /// A users file's row hashed.
    user: Option<users::UserKeys>,
}

/// Records read on the reader thread, lent to the rules, sent back to be refilled.
#[derive(Default)]
struct Batch {
    records: Vec<Slot>,
    len: usize,
    /// Reading stopped after these records.
    error: Option<std::io::Error>,
}

/// Decodes, splits and validates the file's records on a second thread while this one runs
/// the rules: the reader is the one [`Reader`], so every record, line and note is the one the
/// single-threaded loop sees, and the rules see them in the same order. A members file's rows
/// are also resolved there, by the one resolver the rules use ([`groups::pre_resolve`]),
/// against the recipients read before: the rules' thread only reports and deduplicates.
/// Returns false, having read nothing, when no thread could be started.
fn read_on_a_thread(st: &mut State<'_>, reader: &mut Reader, rows: &mut RowState) -> bool {
    let lent = (rows.checked && rows.kind == Some(FileKind::Members)).then(|| Lent::take(st));
    let project = st.project;
    let view = lent.as_ref().map(|l| l.view(project));
    let read = read_batches(st, reader, rows, view);
    if let Some(l) = lent {
        l.give_back(st);
    }
    read
}

fn read_batches(
    st: &mut State<'_>,
    reader: &mut Reader,
    rows: &mut RowState,
    recipients: Option<Recipients<'_>>,
) -> bool {
    use std::sync::mpsc;
    let header = &reader.header().clone();
    // A users file's UPN is hashed on the reader thread too: the rules' thread is the busier
    // one while users are read, the reader while members are.
    let users_file = rows.checked && rows.kind == Some(FileKind::Users);
    let members = recipients.is_some();
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    for _ in 0..IN_FLIGHT + 1 {
        // A send fails only when the receiver is gone, which it is not yet.
        let _ = empty_tx.send(Batch::default());
    }
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("cutover-read".into())
            .spawn_scoped(scope, move || {
                // Ends when a batch comes back no more (the rules stopped) or the file ends.
                while let Ok(mut batch) = empty_rx.recv() {
                    batch.len = 0;
                    let mut done = false;
                    while batch.len < BATCH {
                        if batch.records.len() == batch.len {
                            batch.records.push(Slot {
                                // Sized for a typical row: grown from nothing, each of the
                                // thousands of slots reallocated several times.
                                record: csv::StringRecord::with_capacity(256, header.len()),
                                line: 0,
                                plain: false,
                                keys: None,
                                member: None,
                                user: None,
                            });
                        }
                        let Some(slot) = batch.records.get_mut(batch.len) else {
                            break;
                        };
                        match reader.next_into(&mut slot.record) {
                            Ok(Some(l)) => {
                                slot.line = l;
                                let row = Row::new(&slot.record, header, l);
                                // A members file's reader also resolves: there the rules'
                                // thread, the idler one, asks whether the row is plain.
                                slot.plain = recipients.is_none() && plain_row(&row);
                                slot.member = None;
                                slot.keys = recipients.and_then(|_| groups::MemberKeys::of(&row));
                                slot.user = users_file.then(|| users::UserKeys::of(&row));
                                batch.len += 1;
                            }
                            Ok(None) => {
                                done = true;
                                break;
                            }
                            Err(e) => {
                                batch.error = Some(e);
                                done = true;
                                break;
                            }
                        }
                    }
                    if let Some(r) = &recipients {
                        resolve_members(r, header, &mut batch);
                    }
                    if full_tx.send(batch).is_err() || done {
                        break;
                    }
                }
            });
        if spawned.is_err() {
            return false;
        }
        while let Ok(mut batch) = full_rx.recv() {
            for s in batch.records.iter_mut().take(batch.len) {
                let row = Row::new(&s.record, header, s.line);
                let plain = if members { plain_row(&row) } else { s.plain };
                rows.row(st, &row, plain, s.member, s.user.take());
            }
            if let Some(e) = batch.error.take() {
                rows.unreadable(st, &e);
                break;
            }
            let _ = empty_tx.send(batch);
        }
        drop(empty_tx);
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::quiet_project;

    #[test]
    fn the_summary_counts_findings_over_the_cap_and_not_the_note() {
        let mut text = String::from("UserPrincipalName,DisplayName\n");
        for i in 0..250 {
            text.push_str(&format!("bad user{i}@contoso.com,A{i}\n"));
        }
        let input = Input {
            source: Source::Memory {
                name: "many.csv".into(),
                bytes: text.into_bytes(),
            },
            kind: None,
        };
        let r = lint_inputs(&quiet_project(), &[input]).unwrap();
        let listed = r.findings.iter().filter(|f| f.code == "U002").count();
        assert_eq!(listed, 101);
        assert_eq!(r.errors(), 250);
        assert_eq!((r.warnings(), r.infos()), (0, 0));
        let note = r
            .findings
            .iter()
            .find(|f| f.severity == Severity::Info)
            .unwrap();
        assert_eq!(note.code, "U002");
        assert!(note.message.starts_with("150 more U002 errors"), "{note:?}");
    }

    #[test]
    fn a_quote_left_open_at_the_end_of_the_file_shows_no_value() {
        let text = "UserPrincipalName,DisplayName,Password\na@contoso.com,\"Ann,Sup3rSecret! ";
        let r = crate::rules::testing::lint_one(text.as_bytes());
        assert!(r.iter().any(|f| f.code == "D004"), "{r:?}");
        assert!(!format!("{r:?}").contains("Sup3rSecret"), "{r:?}");
    }

    #[test]
    fn a_short_or_long_row_of_a_file_with_passwords_never_shows_its_cells() {
        let text = "UserPrincipalName,DisplayName,UsageLocation,Password\n\
                    ann@contoso.com,Ann,Hunter2!Secretxx\n\
                    bob@contoso.com,Bob,US,Pa55word!Bob,Extra!Secret9\n\
                    cy@contoso.com,Cy,Zz9!Same-Pass,Zz9!Same-Pass\n";
        let r = crate::rules::testing::lint_one(text.as_bytes());
        assert_eq!(r.iter().filter(|f| f.code == "F008").count(), 2, "{r:?}");
        let shown = format!("{r:?}");
        for secret in [
            "Hunter2!Secretxx",
            "Extra!Secret9",
            "Pa55word!Bob",
            "Zz9!Same-Pass",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // Found by tests/cli_fuzz.rs: a quote runs over a line break and the record that results
        // has the header's width, with the first row's password (copied into its UPN) in front.
        let merged = "UserPrincipalName,DisplayName,UsageLocation,Password\n\
                      PwZ9!0q-Long,\",a@contoso.com,PwZ9!0q-Long\n\
                      a@contoso.com,\",a@contoso.com,PwZ9!1q-Long\n";
        let m = crate::rules::testing::lint_one(merged.as_bytes());
        assert!(!format!("{m:?}").contains("PwZ9!"), "{m:?}");
        // The well-formed row is still checked: its bad country code is reported, masked.
        assert!(
            r.iter().any(|f| f.code == "U014" && f.line == Some(4)),
            "{r:?}"
        );
    }
}
