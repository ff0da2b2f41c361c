//! Bytes to positioned records: encoding, `#TYPE` line, delimiter, header synonyms, file kind.
//!
//! [`open`] sniffs a file and returns a streaming [`Reader`]; [`Reader::next_row`] lends one
//! [`Row`] at a time (the record buffer is reused, so a million rows cost no allocation each).
//! Events the caller may want to report (encoding assumed, `#TYPE` skipped, bytes that were not
//! UTF-8, an unterminated quote) are collected as [`Note`]s; the reader never judges the data.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use csv::{ByteRecord, StringRecord};

pub mod columns;
pub mod country;
pub mod encoding;
pub mod kind;

pub use columns::{Column, Header};
pub use encoding::Encoding;
pub use kind::FileKind;

/// How to read a file; `None` means detect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub kind: Option<FileKind>,
    pub delimiter: Option<u8>,
}

/// Why a file could not be read as a table at all.
#[derive(Debug)]
pub enum OpenError {
    Unreadable(io::Error),
    /// No bytes, or only a byte-order mark and white space.
    Empty,
    /// NUL bytes without a UTF-16 byte-order mark.
    Binary,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Unreadable(e) => write!(f, "cannot read the file: {e}"),
            OpenError::Empty => f.write_str("the file is empty"),
            OpenError::Binary => f.write_str("the file is binary, not text"),
        }
    }
}

/// Something the reader noticed while reading, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The bytes were not UTF-8 and had no byte-order mark; Windows-1252 was assumed.
    AssumedWindows1252,
    /// A `#TYPE ...` line (Windows PowerShell `Export-Csv`) was skipped; it was line 1.
    TypeLine(String),
    /// A record held bytes that are not UTF-8 (replaced with U+FFFD).
    InvalidUtf8 { line: u64 },
    /// A quoted field was never closed; it swallowed the rest of the file from this record.
    UnterminatedQuote { line: u64 },
}

/// A streaming table reader over one file.
pub struct Reader {
    csv: csv::Reader<Normalize<BufReader<Box<dyn Read + Send>>>>,
    /// The current record, validated as UTF-8 once; `None` only between reads.
    record: Option<StringRecord>,
    header: Header,
    kind: Option<FileKind>,
    encoding: Encoding,
    /// Set when a file that began as ASCII turned out to be Windows-1252 past the sniffed prefix.
    late_ansi: Arc<AtomicBool>,
    delimiter: u8,
    line_offset: u64,
    notes: Vec<Note>,
    rows: u64,
    last_line: u64,
    last_had_newline: bool,
    finished: bool,
}

const PREFIX: usize = 64 * 1024;

/// Opens a file and reads its header row.
pub fn open(path: &Path, opts: &Options) -> Result<Reader, OpenError> {
    let file = File::open(path).map_err(OpenError::Unreadable)?;
    from_reader(Box::new(file), opts)
}

/// Like [`open`], from bytes in memory (the demo's embedded samples, tests).
pub fn from_bytes(bytes: &[u8], opts: &Options) -> Result<Reader, OpenError> {
    from_reader(Box::new(Cursor::new(bytes.to_vec())), opts)
}

fn from_reader(mut source: Box<dyn Read + Send>, opts: &Options) -> Result<Reader, OpenError> {
    let mut prefix = vec![0u8; PREFIX];
    let mut filled = 0;
    while filled < PREFIX {
        match source.read(&mut prefix[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(OpenError::Unreadable(e)),
        }
    }
    prefix.truncate(filled);
    let encoding = match encoding::sniff(&prefix, filled < PREFIX) {
        encoding::Sniff::Binary => return Err(OpenError::Binary),
        encoding::Sniff::Text(e) => e,
    };
    let body = prefix.get(encoding.bom_len()..).unwrap_or_default();
    if blank(body, encoding) {
        return Err(OpenError::Empty);
    }
    let mut notes = Vec::new();
    if encoding == Encoding::Windows1252 {
        notes.push(Note::AssumedWindows1252);
    }
    let chained: Box<dyn Read + Send> = Box::new(Cursor::new(body.to_vec()).chain(source));
    let late_ansi = Arc::new(AtomicBool::new(false));
    let text: Box<dyn Read + Send> = match encoding {
        Encoding::Utf8 => Box::new(encoding::Utf8OrAnsi::new(chained, late_ansi.clone())),
        Encoding::Utf8Bom => chained,
        other => Box::new(encoding::DecodeReader::new(chained, other)),
    };
    let mut buf = BufReader::with_capacity(256 * 1024, text);
    let mut line_offset = 0;
    let peek = buf.fill_buf().map_err(OpenError::Unreadable)?;
    if peek.starts_with(b"#TYPE") {
        let mut line = Vec::new();
        buf.read_until(b'\n', &mut line)
            .map_err(OpenError::Unreadable)?;
        let text = String::from_utf8_lossy(&line).trim().to_string();
        notes.push(Note::TypeLine(text));
        line_offset = 1;
    }
    let peek = buf.fill_buf().map_err(OpenError::Unreadable)?;
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(peek));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(Normalize::new(buf));
    let mut record = ByteRecord::new();
    let mut header = Header::default();
    let mut kind = opts.kind;
    let got = csv
        .read_byte_record(&mut record)
        .map_err(|e| OpenError::Unreadable(io::Error::other(e)))?;
    if got {
        let line = start_line(&csv, newlines(record.as_slice())) + line_offset;
        let mut padded = Vec::new();
        let names: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let raw = String::from_utf8_lossy(f);
                let trimmed = raw.trim();
                if trimmed.len() != raw.len() && !trimmed.is_empty() {
                    padded.push((i, raw.to_string()));
                }
                trimmed.to_string()
            })
            .collect();
        if kind.is_none() && names.len() <= columns::MAX_COLUMNS {
            kind = columns::infer_kind(&names);
        }
        header = Header::new(names, kind, line);
        header.padded = padded;
    }
    Ok(Reader {
        csv,
        record: Some(StringRecord::from_byte_record_lossy(record)),
        header,
        kind,
        encoding,
        late_ansi,
        delimiter,
        line_offset,
        notes,
        rows: 0,
        last_line: 0,
        last_had_newline: false,
        finished: false,
    })
}

/// The line a record starts on. csv's own record position is where the previous record
/// ended (before any blank lines), so count back from where this one ended instead: the
/// `inner` line breaks inside it ([`newlines`]), and its terminating line break unless it
/// ran into the end.
fn start_line<R: Read>(csv: &csv::Reader<Normalize<R>>, inner: u64) -> u64 {
    let end = csv.position();
    let term = u64::from(!csv.get_ref().unterminated_at(end.byte()));
    end.line().saturating_sub(inner + term).max(1)
}

/// The `\n` bytes in a record's fields. Nearly every record has none, which eight bytes at a
/// time tells: records are short, and memchr's set-up cost more than the scan (twice per
/// record, in a profile).
fn newlines(bytes: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    // A word holds a `\n` exactly when one of its bytes xor `\n` is zero, which the
    // borrow into the high bit of `w - ONES & !w` shows without false alarms.
    let any = words.by_ref().any(|c| {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or_default()) ^ (ONES * 0x0a);
        w.wrapping_sub(ONES) & !w & HIGH != 0
    }) || words.remainder().contains(&b'\n');
    if !any {
        return 0;
    }
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// [`str::trim`], answered without decoding when the text starts and ends with an ASCII
/// character that is no white space (nearly every cell): rows are trimmed cell by cell
/// several times over, and the generic trim decodes a character at each end.
pub fn trim(s: &str) -> &str {
    // `char::is_whitespace` of an ASCII byte: space and \t \n \x0B \x0C \r.
    let plain = |b: u8| b < 0x80 && b != b' ' && !(0x09..=0x0d).contains(&b);
    match s.as_bytes() {
        [] => s,
        [first, .., last] if plain(*first) && plain(*last) => s,
        [only] if plain(*only) => s,
        _ => s.trim(),
    }
}

fn blank(body: &[u8], encoding: Encoding) -> bool {
    match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            body.iter().all(|b| b.is_ascii_whitespace() || *b == 0)
        }
        _ => body.iter().all(u8::is_ascii_whitespace),
    }
}

/// The candidate that occurs most often outside quotes on the first line; `,` on a tie.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b',', counts[0]);
    for (d, n) in [(b';', counts[1]), (b'\t', counts[2])] {
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

impl Reader {
    /// The file kind, forced or inferred from the headers (`None`: not recognised).
    pub fn kind(&self) -> Option<FileKind> {
        self.kind
    }

    #[inline]
    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Data rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Events so far; complete once `next_row` has returned `None`.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// Once the rows are read: the line of the last record when the file holds an odd number
    /// of quotes, so that record may hold text an open quote swallowed (even without the
    /// line break that makes it an unterminated-quote note).
    pub fn open_quote_line(&self) -> Option<u64> {
        (self.finished && self.csv.get_ref().odd() && self.rows > 0).then_some(self.last_line)
    }

    /// Takes the notes gathered so far.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// The next data row, or `None` at the end. An I/O error mid-file ends the stream.
    pub fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        if self.finished {
            return Ok(None);
        }
        // Recycle the record's buffers: a ByteRecord to read into, a StringRecord to lend.
        let mut bytes = self
            .record
            .take()
            .map(StringRecord::into_byte_record)
            .unwrap_or_default();
        let got = self.csv.read_byte_record(&mut bytes);
        let got = match got {
            Ok(g) => g,
            Err(e) => {
                self.record = Some(StringRecord::from_byte_record_lossy(bytes));
                return Err(io::Error::other(e));
            }
        };
        if !got {
            self.record = Some(StringRecord::from_byte_record_lossy(bytes));
            self.finished = true;
            if self.last_had_newline && self.csv.get_ref().odd() {
                self.notes.push(Note::UnterminatedQuote {
                    line: self.last_line,
                });
            }
            return Ok(None);
        }
        if self.encoding == Encoding::Utf8 && self.late_ansi.load(Ordering::Relaxed) {
            self.encoding = Encoding::Windows1252;
            self.notes.push(Note::AssumedWindows1252);
        }
        let inner = newlines(bytes.as_slice());
        let line = start_line(&self.csv, inner) + self.line_offset;
        self.last_had_newline = inner > 0;
        let record = match StringRecord::from_byte_record(bytes) {
            Ok(r) => r,
            Err(e) => {
                self.notes.push(Note::InvalidUtf8 { line });
                StringRecord::from_byte_record_lossy(e.into_byte_record())
            }
        };
        self.rows += 1;
        self.last_line = line;
        let record = self.record.insert(record);
        Ok(Some(Row {
            record,
            header: &self.header,
            line,
        }))
    }

    /// [`Self::next_row`] into a caller's record (whose buffers the reader reuses), for a
    /// reader on a thread of its own: returns the record's line, `None` at the end.
    pub fn next_into(&mut self, slot: &mut StringRecord) -> io::Result<Option<u64>> {
        if let Some(r) = self.record.as_mut() {
            std::mem::swap(r, slot);
        }
        let line = match self.next_row()? {
            Some(row) => row.line,
            None => return Ok(None),
        };
        if let Some(r) = self.record.as_mut() {
            std::mem::swap(r, slot);
        }
        Ok(Some(line))
    }
}

/// One data record, borrowed from the reader until the next call.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    record: &'a StringRecord,
    header: &'a Header,
    line: u64,
}

impl<'a> Row<'a> {
    /// A record read by [`Reader::next_into`], against its file's header.
    pub fn new(record: &'a StringRecord, header: &'a Header, line: u64) -> Row<'a> {
        Row {
            record,
            header,
            line,
        }
    }

    /// Physical 1-based line the record starts on in the original file.
    #[inline]
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The raw cell for a column (untrimmed), if the file has that column and this row
    /// reaches it; of several synonyms of the column, the first non-blank one.
    #[inline]
    pub fn get(&self, c: Column) -> Option<&'a str> {
        self.cell(self.position(c)?)
    }

    /// The position this row's value of a column comes from: the best-named header, or a
    /// later synonym when that cell is blank.
    #[inline]
    pub fn position(&self, c: Column) -> Option<usize> {
        match self.header.positions_of(c) {
            [] => None,
            [only] => Some(*only),
            all => all
                .iter()
                .copied()
                .find(|&i| self.cell(i).is_some_and(|v| !trim(v).is_empty()))
                .or(all.first().copied()),
        }
    }

    /// The cell trimmed, `None` when absent or blank.
    #[inline]
    pub fn value(&self, c: Column) -> Option<&'a str> {
        self.get(c).map(trim).filter(|s| !s.is_empty())
    }

    /// The cell at a position.
    #[inline]
    pub fn cell(&self, i: usize) -> Option<&'a str> {
        self.record.get(i)
    }

    /// The header this row is read against.
    pub fn header(&self) -> &'a Header {
        self.header
    }

    /// Number of fields in this record.
    #[inline]
    pub fn width(&self) -> usize {
        self.record.len()
    }

    /// Every cell with its header name (`""` past the header) and column.
    pub fn cells(&self) -> impl Iterator<Item = Cell<'a>> + 'a {
        let header = self.header;
        self.record.iter().enumerate().map(move |(i, value)| Cell {
            index: i,
            header: header.names.get(i).map_or("", String::as_str),
            column: header.columns.get(i).copied().flatten(),
            value,
        })
    }

    /// Every cell's value, in order.
    #[inline]
    pub fn values(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.record.iter()
    }

    /// The fields' text end to end, without separators.
    #[inline]
    pub fn text(&self) -> &'a str {
        self.record.as_slice()
    }

    /// Whether a cell holds a line break (`\n` or a lone `\r`).
    pub fn has_line_break(&self) -> bool {
        memchr::memchr2(b'\n', b'\r', self.record.as_slice().as_bytes()).is_some()
    }

    /// Whether every cell is empty or white space.
    pub fn is_blank(&self) -> bool {
        // The fields' text end to end, without separators: blank exactly when every field
        // trims to nothing, and the first character that is not white space answers.
        self.record.as_slice().chars().all(char::is_whitespace)
    }
}

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub index: usize,
    pub header: &'a str,
    pub column: Option<Column>,
    pub value: &'a str,
}

/// Turns CRLF into LF as bytes pass (so every record ends with one counted `\n`), counts `"`
/// bytes (an odd total means a quote was opened and never closed) and remembers how the
/// stream ended.
struct Normalize<R> {
    inner: R,
    stage: Vec<u8>,
    pos: usize,
    len: usize,
    held_cr: bool,
    eof: bool,
    quotes: u64,
    total: u64,
    last: u8,
}

impl<R> Normalize<R> {
    fn new(inner: R) -> Self {
        Normalize {
            inner,
            stage: vec![0; 64 * 1024],
            pos: 0,
            len: 0,
            held_cr: false,
            eof: false,
            quotes: 0,
            total: 0,
            last: 0,
        }
    }

    fn odd(&self) -> bool {
        self.quotes % 2 == 1
    }

    /// Whether a record ending at byte `end` of the output ran into the end of the stream
    /// without a line break.
    fn unterminated_at(&self, end: u64) -> bool {
        self.eof && end >= self.total && (self.last != b'\n' || self.odd())
    }
}

impl<R: Read> Read for Normalize<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut out = 0;
        while out < buf.len() {
            if self.pos == self.len {
                if self.eof || out > 0 {
                    break;
                }
                let n = self.inner.read(&mut self.stage)?;
                self.pos = 0;
                self.len = n;
                if n == 0 {
                    self.eof = true;
                    if self.held_cr {
                        self.held_cr = false;
                        buf[out] = b'\r';
                        out += 1;
                    }
                }
                continue;
            }
            if self.held_cr {
                self.held_cr = false;
                if self.stage[self.pos] != b'\n' {
                    buf[out] = b'\r';
                    out += 1;
                    continue;
                }
            }
            let avail = &self.stage[self.pos..self.len];
            let take = avail.len().min(buf.len() - out);
            // One pass over what fits: the runs between the CRs a LF follows are copied, those
            // CRs dropped; a lone CR is kept (it goes with the next run). A CR that ends the
            // stage waits for the next byte. Every line of a CRLF file has one: a search per
            // CR cost more than the rest of the line's reading.
            let mut from = 0;
            for i in memchr::memchr_iter(b'\r', &avail[..take]) {
                match avail.get(i + 1) {
                    Some(b'\n') => {}
                    Some(_) => continue,
                    None => self.held_cr = true,
                }
                let run = i - from;
                buf[out..out + run].copy_from_slice(&avail[from..i]);
                out += run;
                from = i + 1;
            }
            let run = take - from;
            buf[out..out + run].copy_from_slice(&avail[from..take]);
            out += run;
            self.pos += take;
        }
        let done = &buf[..out];
        self.quotes += memchr::memchr_iter(b'"', done).count() as u64;
        self.total += out as u64;
        if let Some(&b) = done.last() {
            self.last = b;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_and_newlines_agree_with_the_plain_versions() {
        let texts = [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\t",
            "\u{b}a",
            "a\u{c}",
            "\u{a0}a",
            "a\u{3000}",
            "\u{85}",
            "é",
            " é ",
            "ab",
            "a b",
            "\r\n",
            "x\u{2028}",
        ];
        for t in texts {
            assert_eq!(trim(t), t.trim(), "{t:?}");
        }
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'x'; len];
                if let Some(c) = b.get_mut(at) {
                    *c = b'\n';
                }
                b.push(b'\n');
                b.truncate(len);
                let plain = b.iter().filter(|&&c| c == b'\n').count() as u64;
                assert_eq!(newlines(&b), plain, "{len} {at}");
            }
        }
        assert_eq!(newlines(b"\n\n\n\n\n\n\n\n\n"), 9);
        assert_eq!(newlines(&[0x8a; 16]), 0);
    }

    /// An inner reader that hands out a few bytes at a time, so CRs fall at every edge.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn normalize_drops_exactly_the_crs_a_lf_follows() {
        let text = b"a,b\r\nc\rd,\"e\r\n\r\nf\"\r\r\n\r\rg\n\r";
        let want: Vec<u8> = text
            .iter()
            .enumerate()
            .filter(|&(i, &c)| !(c == b'\r' && text.get(i + 1) == Some(&b'\n')))
            .map(|(_, &c)| c)
            .collect();
        for inner in 1..=7 {
            for outer in 1..=9 {
                let mut n = Normalize::new(Trickle(text, inner));
                let mut got = Vec::new();
                let mut buf = vec![0; outer];
                loop {
                    let k = n.read(&mut buf).unwrap();
                    if k == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..k]);
                }
                assert_eq!(got, want, "inner {inner}, outer {outer}");
                assert_eq!(n.quotes, 2);
            }
        }
    }

    fn read_all(bytes: &[u8], opts: &Options) -> (Reader, Vec<(u64, Vec<String>)>) {
        let mut r = from_bytes(bytes, opts).unwrap();
        let mut rows = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            rows.push((
                row.line(),
                row.cells().map(|c| c.value.to_string()).collect(),
            ));
        }
        (r, rows)
    }

    #[test]
    fn lines_are_physical_and_count_the_type_line_and_multiline_cells() {
        let text = b"#TYPE Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox\r\n\"UserPrincipalName\",\"DisplayName\"\r\n\"a@contoso.com\",\"A\r\nB\"\r\n\r\n\"b@contoso.com\",\"B\"\r\n";
        let (r, rows) = read_all(text, &Options::default());
        assert_eq!(r.kind(), Some(FileKind::Users));
        assert_eq!(r.header().line, 2);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[1].0, 6);
        assert!(matches!(&r.notes()[0], Note::TypeLine(t) if t.starts_with("#TYPE Deserialized")));
    }

    #[test]
    fn delimiters_are_sniffed_or_forced() {
        let (r, rows) = read_all(b"UPN;DisplayName\na@x.com;A\n", &Options::default());
        assert_eq!(r.delimiter(), b';');
        assert_eq!(rows[0].1, ["a@x.com", "A"]);
        let (r, _) = read_all(b"UPN\tDisplayName\na@x.com\tA\n", &Options::default());
        assert_eq!(r.delimiter(), b'\t');
        let forced = Options {
            delimiter: Some(b';'),
            ..Default::default()
        };
        let (r, rows) = read_all(b"UPN,DisplayName\na@x.com,A\n", &forced);
        assert_eq!(r.delimiter(), b';');
        assert_eq!(rows[0].1, ["a@x.com,A"]);
    }

    #[test]
    fn utf16_and_1252_decode_with_notes() {
        let mut le = vec![0xFF, 0xFE];
        for u in "UPN\tDisplayName\r\na@x.com\tZoë\r\n".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let (r, rows) = read_all(&le, &Options::default());
        assert_eq!(r.encoding(), Encoding::Utf16Le);
        assert_eq!(rows, vec![(2, vec!["a@x.com".into(), "Zoë".into()])]);
        let (r, rows) = read_all(b"UPN,DisplayName\na@x.com,Zo\xEB\n", &Options::default());
        assert_eq!(r.encoding(), Encoding::Windows1252);
        assert_eq!(r.notes(), &[Note::AssumedWindows1252]);
        assert_eq!(rows[0].1[1], "Zoë");
    }

    #[test]
    fn ansi_bytes_past_the_sniffed_prefix_are_1252_with_the_right_lines() {
        let mut text = b"UPN,DisplayName\n".to_vec();
        for i in 0..5000 {
            text.extend_from_slice(format!("u{i}@x.com,User {i}\n").as_bytes());
        }
        assert!(text.len() > PREFIX);
        text.extend_from_slice(b"zoe@x.com,Zo\xEB\n");
        let (r, rows) = read_all(&text, &Options::default());
        assert_eq!(r.encoding(), Encoding::Windows1252);
        assert_eq!(r.notes(), &[Note::AssumedWindows1252]);
        assert_eq!(
            rows.last().unwrap(),
            &(5002, vec!["zoe@x.com".into(), "Zoë".into()])
        );
    }

    #[test]
    fn empty_binary_and_unterminated_quote() {
        assert!(matches!(
            from_bytes(b"", &Options::default()),
            Err(OpenError::Empty)
        ));
        assert!(matches!(
            from_bytes(b"\xEF\xBB\xBF \r\n", &Options::default()),
            Err(OpenError::Empty)
        ));
        assert!(matches!(
            from_bytes(b"PK\x03\x04\0\0", &Options::default()),
            Err(OpenError::Binary)
        ));
        let (r, rows) = read_all(
            b"UPN,DisplayName\na@x.com,\"A\nb@x.com,B\nc@x.com,C\n",
            &Options::default(),
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(r.notes(), &[Note::UnterminatedQuote { line: 2 }]);
    }

    #[test]
    fn row_api_reads_columns_by_meaning() {
        let mut r = from_bytes(
            b"User Name,Display Name,Country or Region\n a@x.com ,A,United States\n",
            &Options::default(),
        )
        .unwrap();
        let row = r.next_row().unwrap().unwrap();
        assert_eq!(row.get(Column::Upn), Some(" a@x.com "));
        assert_eq!(row.value(Column::Upn), Some("a@x.com"));
        assert_eq!(row.value(Column::Country), Some("United States"));
        assert_eq!(row.get(Column::Password), None);
        assert_eq!(row.width(), 3);
    }
}
