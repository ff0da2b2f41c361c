//! The seam between the input layer and the audit loaders: a file as header names plus rows of
//! cells, each row with the physical line it starts on. Loaders resolve the columns they read
//! once per file through `Columns`, by the header synonyms people's own exports use.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::input::{self, Column, FileKind, Header, OpenError, Options, Reader};

/// One record: its cells in header order and the 1-based physical line it starts on.
/// (`StringRecord` keeps a row's cells in one buffer: one allocation per row, not per cell.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub line: u64,
    pub cells: csv::StringRecord,
}

/// A whole file as the input layer delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The path as the user gave it (findings print it).
    pub file: Arc<str>,
    /// Header names as written.
    pub headers: Vec<String>,
    pub rows: Vec<RawRow>,
}

impl Table {
    /// Builds a table from text (tests, embedded samples). The first line is the header.
    pub fn from_csv_text(file: &str, text: &str, delimiter: u8) -> Result<Table> {
        let opts = Options {
            kind: None,
            delimiter: Some(delimiter),
        };
        let reader = match input::from_bytes(text.as_bytes(), &opts) {
            Ok(r) => r,
            Err(OpenError::Empty) => return Ok(Table::empty(file)),
            Err(e) => return Err(Error::Usage(format!("{file}: {e}"))),
        };
        collect(file, reader)
    }

    fn empty(file: &str) -> Table {
        Table {
            file: Arc::from(file),
            headers: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// Reads a file through the input layer (encodings, `#TYPE` line, delimiter, physical lines,
/// the same as `cutover lint`). An empty file is an empty table.
pub fn read_table(path: &Path, kind: FileKind, delimiter: Option<u8>) -> Result<Table> {
    let file = path.display().to_string();
    let opts = Options {
        kind: Some(kind),
        delimiter,
    };
    let reader = match input::open(path, &opts) {
        Ok(r) => r,
        Err(OpenError::Empty) => return Ok(Table::empty(&file)),
        Err(OpenError::Unreadable(e)) => return Err(Error::io(path, e)),
        Err(e) => return Err(Error::Usage(format!("{file}: {e}"))),
    };
    collect(&file, reader)
}

fn collect(file: &str, mut reader: Reader) -> Result<Table> {
    let headers = reader.header().names.clone();
    let mut rows = Vec::new();
    while let Some(row) = reader
        .next_row()
        .map_err(|e| Error::Usage(format!("{file}: {e}")))?
    {
        if row.is_blank() {
            continue;
        }
        let cells: csv::StringRecord = (0..row.width()).filter_map(|i| row.cell(i)).collect();
        rows.push(RawRow {
            line: row.line(),
            cells,
        });
    }
    Ok(Table {
        file: Arc::from(file),
        headers,
        rows,
    })
}

/// Where each field a loader reads sits in a file, resolved once from the header through the
/// input layer's synonym table (the same names `cutover lint` reads). A field may sit in
/// several columns (a file joining `Get-MailboxPermission`'s `User` and
/// `Get-RecipientPermission`'s `Trustee`): the first non-blank one, best name first, wins.
pub struct Columns<const N: usize> {
    header: Header,
    fields: [Column; N],
}

impl<const N: usize> Columns<N> {
    /// `fields[i]` is the column field `i` reads in a file of `kind`.
    pub fn resolve(headers: &[String], kind: FileKind, fields: [Column; N]) -> Self {
        Columns {
            header: Header::new(headers.to_vec(), Some(kind), 1),
            fields,
        }
    }

    fn positions(&self, field: usize) -> &[usize] {
        self.fields
            .get(field)
            .map_or(&[], |&c| self.header.positions_of(c))
    }

    pub fn has(&self, field: usize) -> bool {
        !self.positions(field).is_empty()
    }

    /// The trimmed cell, `None` when the column is missing or the cell is blank.
    pub fn get<'r>(&self, row: &'r RawRow, field: usize) -> Option<&'r str> {
        self.positions(field).iter().find_map(|&i| {
            let v = row.cells.get(i)?.trim();
            (!v.is_empty()).then_some(v)
        })
    }

    /// The header as the file wrote it (for findings), else the column's canonical name.
    pub fn header(&self, field: usize) -> String {
        self.fields
            .get(field)
            .map_or_else(String::new, |&c| self.header.name_of(c).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_line_bom_and_semicolons_keep_physical_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        std::fs::write(
            &p,
            "\u{feff}#TYPE Deserialized.Microsoft.Exchange.Data.Mapi.MailboxStatistics\nA;B\n1;\"x\ny\"\n2;z\n",
        )
        .unwrap();
        let t = read_table(&p, FileKind::MailboxStats, None).unwrap();
        assert_eq!(t.headers, ["A", "B"]);
        let lines: Vec<u64> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 5]);
        assert_eq!(t.rows[0].cells.get(1), Some("x\ny"));
    }

    #[test]
    fn crlf_and_lf_give_the_same_lines() {
        for text in ["A,B\r\n1,2\r\n\r\n3,4\r\n", "A,B\n1,2\n\n3,4\n"] {
            let t = Table::from_csv_text("f", text, b',').unwrap();
            let lines: Vec<u64> = t.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4], "{text:?}");
        }
    }

    #[test]
    fn columns_resolve_synonyms_and_blank_cells_are_none() {
        let t = Table::from_csv_text("f", "Mailbox,Trustee\na@x.com, \n", b',').unwrap();
        let c = Columns::resolve(
            &t.headers,
            FileKind::Permissions,
            [Column::Identity, Column::User, Column::Deny],
        );
        assert_eq!(c.get(&t.rows[0], 0), Some("a@x.com"));
        assert_eq!(c.get(&t.rows[0], 1), None);
        assert!(!c.has(2));
        assert_eq!(c.header(1), "Trustee");
        assert_eq!(c.header(2), "Deny");
        let t = Table::from_csv_text("f", "User,Trustee\n,bob\nann,\n", b',').unwrap();
        let c = Columns::resolve(&t.headers, FileKind::Permissions, [Column::User]);
        assert_eq!(c.get(&t.rows[0], 0), Some("bob"));
        assert_eq!(c.get(&t.rows[1], 0), Some("ann"));
        // Headers normalise as the input layer does: case, spaces and punctuation ignored.
        let t = Table::from_csv_text("f", "Storage Used (Byte)\n42\n", b',').unwrap();
        let c = Columns::resolve(&t.headers, FileKind::MailboxStats, [Column::TotalItemSize]);
        assert_eq!(c.get(&t.rows[0], 0), Some("42"));
    }
}
