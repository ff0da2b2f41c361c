//! File-level rules (F...): can the file be read as the table it claims to be.

use crate::diag::Severity::{Error, Warning};
use crate::input::{columns, FileKind, Header, Note, OpenError, Row};

use super::sink::Sink;
use super::Rule;

pub const UNREADABLE: Rule = Rule {
    code: "F001",
    name: "unreadable",
    severity: Error,
    summary: "the file cannot be read",
    hint: "check the path and permissions; cutover exits with status 2",
    explanation: "The file does not exist, is a folder, or cannot be read. Nothing in it can be checked, so the run ends with exit status 2 (an I/O error) after reporting every file.",
};

pub const EMPTY: Rule = Rule {
    code: "F002",
    name: "empty-file",
    severity: Error,
    summary: "the file is empty",
    hint: "export again; the file must have a header row and at least one record",
    explanation: "The file has no bytes, or only a byte-order mark, a `#TYPE` line or white space. An export that failed half-way often leaves such a file behind.",
};

pub const BINARY: Rule = Rule {
    code: "F003",
    name: "binary-file",
    severity: Error,
    summary: "the file is binary, not CSV text",
    hint: "save the sheet as \"CSV UTF-8 (Comma delimited)\", not as .xlsx",
    explanation: "The file contains NUL bytes without a UTF-16 byte-order mark: it is most likely an Excel workbook (.xlsx, .xls) or another binary format renamed to .csv (m365-facts 5.3).",
};

pub const NO_HEADER: Rule = Rule {
    code: "F004",
    name: "no-header",
    severity: Error,
    summary: "the first row is data, not a header",
    hint: "add the header row, e.g. UserPrincipalName,FirstName,LastName,DisplayName",
    explanation: "Import-Csv takes the first row as column names, so a file without a header loses its first record and every property name is a data value. Headers are matched case-insensitively with synonyms (`cutover init` writes templates).",
};

pub const UNKNOWN_KIND: Rule = Rule {
    code: "F005",
    name: "unknown-kind",
    severity: Error,
    summary: "the headers do not say what the file holds",
    hint: "rename the headers (see `cutover init`) or pass --kind users|groups|members|mailboxes|mailbox-stats|permissions",
    explanation: "cutover infers the kind of a file from its header names (users need a UPN column such as `UserPrincipalName` or `User Name`; groups `Name`; members `DL`/`Group` and `Alias`/`Member`). None matched, so the rows cannot be checked against any rule set.",
};

pub const MISSING_COLUMN: Rule = Rule {
    code: "F006",
    name: "missing-column",
    severity: Error,
    summary: "a required column is missing",
    hint: "add the column (see `cutover init` for the canonical headers)",
    explanation: "Users need a UPN and a display name (Graph requires both, m365-facts 4.1 and 4.3); groups need a name; member rows need the group and the member. Rows of a file missing one are not checked further.",
};

pub const DUPLICATE_COLUMN: Rule = Rule {
    code: "F007",
    name: "duplicate-column",
    severity: Error,
    summary: "two columns have the same name",
    hint: "delete or rename one of the columns",
    explanation: "Import-Csv refuses a header that names a member twice (names compared ignoring case, spaces and punctuation); cutover reads the first. Two different names for one column, as Exchange exports carry (`PrimarySmtpAddress` and `WindowsEmailAddress`, `User` and `Trustee`), are not duplicates: each row's value is the first non-blank one, the better-known name first.",
};

pub const RAGGED_ROW: Rule = Rule {
    code: "F008",
    name: "ragged-row",
    severity: Error,
    summary: "the row has more or fewer fields than the header",
    hint: "quote values that contain the delimiter, or remove the stray delimiter",
    explanation: "A value with an unquoted comma (or semicolon) shifts every later value into the wrong column; a short row leaves columns empty. Import-Csv silently drops extra values and fills missing ones with nothing.",
};

pub const UNTERMINATED_QUOTE: Rule = Rule {
    code: "F009",
    name: "unterminated-quote",
    severity: Error,
    summary: "a quoted value is never closed",
    hint: "close the quote; a quote inside a quoted value is written twice (\"\")",
    explanation: "An opening `\"` without its closing one makes the rest of the file a single value: every later record is lost.",
};

pub const ASSUMED_ENCODING: Rule = Rule {
    code: "F010",
    name: "assumed-encoding",
    severity: Warning,
    summary: "the file is not UTF-8; Windows-1252 was assumed",
    hint: "save as \"CSV UTF-8\" (Excel) or Export-Csv -Encoding UTF8 and check accented names",
    explanation: "The bytes have no byte-order mark and are not valid UTF-8, as Excel's \"CSV (Comma delimited)\" and Windows PowerShell's Set-Content write them (the ANSI code page, m365-facts 5.1 and 5.3). cutover decoded them as Windows-1252; if the file came from another code page, names are wrong.",
};

pub const TYPE_LINE: Rule = Rule {
    code: "F011",
    name: "type-line",
    severity: Warning,
    summary: "a #TYPE line precedes the header; it was skipped",
    hint: "export with Export-Csv -NoTypeInformation",
    explanation: "Windows PowerShell 5.1 Export-Csv writes `#TYPE <type name>` as the first line unless -NoTypeInformation is given (m365-facts 5.1). cutover skips it and still counts it as line 1, so line numbers match the file.",
};

pub const INVALID_UTF8: Rule = Rule {
    code: "F012",
    name: "invalid-utf8",
    severity: Error,
    summary: "the row holds bytes that are not UTF-8",
    hint: "re-save the whole file in one encoding (UTF-8 with BOM)",
    explanation: "The file started as UTF-8 but this record holds bytes that are not, typically two exports of different encodings pasted together. The bytes were read as U+FFFD, so the value is damaged.",
};

pub const BLANK_ROW: Rule = Rule {
    code: "F013",
    name: "blank-row",
    severity: Error,
    summary: "the row has no values",
    hint: "delete the row (Excel leaves `,,,` rows after deleted content)",
    explanation: "Import-Csv turns a row of empty fields into an object whose every property is empty. Fed to a Get- cmdlet as -Identity, an empty value selects every object (m365-facts 4.6).",
};

pub const FORMAT_TABLE: Rule = Rule {
    code: "F014",
    name: "format-table-output",
    severity: Error,
    summary: "the file holds Format-Table output, not objects",
    hint: "export with Select-Object instead of Format-Table / Format-List before Export-Csv",
    explanation: "Piping Format-Table or Format-List to Export-Csv writes formatting objects (headers such as `ClassId2e4f51ef21dd47e99d3c952918aff9cd`), not the data (m365-facts 5.1).",
};

pub const HEADER_REPEATED: Rule = Rule {
    code: "F015",
    name: "header-repeated",
    severity: Error,
    summary: "the header row is repeated inside the file",
    hint: "delete the repeated header (and #TYPE) lines: the file is several exports pasted together",
    explanation: "Exports concatenated with their headers (`type a.csv b.csv > all.csv`, or Export-Csv -Append from several runs in Windows PowerShell 5.1 without -NoTypeInformation) repeat the header row, sometimes after a `#TYPE` line. Import-Csv reads the repeat as a record whose values are the column names, so a step would act on a user called `UserPrincipalName`. The repeat is reported once and not checked as data.",
};

pub const PADDED_HEADER: Rule = Rule {
    code: "F016",
    name: "header-with-spaces",
    severity: Warning,
    summary: "a header name starts or ends with white space",
    hint: "remove the spaces around the column name",
    explanation: "Import-Csv keeps the spaces in the property name, so the script's `$row.licenseToAssign` is `$null` for a column written ` licenseToAssign`: every row silently lacks the value. cutover trims header names and reads the column; the generated steps read the data file as Import-Csv does.",
};

pub const TOO_MANY_COLUMNS: Rule = Rule {
    code: "F017",
    name: "too-many-columns",
    severity: Error,
    summary: "the header has more columns than any export cutover reads",
    hint: "check that the file is a CSV export (one header row, one record per line)",
    explanation: "Excel stops at 16,384 columns and no Exchange or Entra export comes near that. A wider header is damage (a file without line breaks, a binary file read as text); its rows are not checked, so the time and memory lint needs stay bounded.",
};

/// The finding for a file that could not be opened as a table.
pub fn open_error(sink: &mut Sink, e: &OpenError) {
    let rule = match e {
        OpenError::Unreadable(_) => &UNREADABLE,
        OpenError::Empty => &EMPTY,
        OpenError::Binary => &BINARY,
    };
    sink.file(rule, e.to_string());
}

/// A header of values that look like data: addresses, numbers or nothing at all.
pub fn looks_like_data(names: &[String]) -> bool {
    names.iter().all(|n| n.is_empty())
        || names.iter().any(|n| {
            n.contains('@') || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        })
}

fn is_format_table(names: &[String]) -> bool {
    names.iter().any(|n| {
        let n = n.to_ascii_lowercase();
        n.starts_with("classid2e4f51ef21dd47e99d3c952918aff9cd") || n == "pageheaderentry"
    })
}

/// Header checks. Returns whether rows can be checked against the kind's rules.
pub fn header(sink: &mut Sink, h: &Header, kind: Option<FileKind>) -> bool {
    if h.is_empty() {
        sink.file(&EMPTY, "the file has no header row and no records".into());
        return false;
    }
    if h.len() > columns::MAX_COLUMNS {
        sink.at(
            &TOO_MANY_COLUMNS,
            Some(h.line),
            None,
            None,
            format!(
                "the header has {} columns; cutover reads at most {}",
                h.len(),
                columns::MAX_COLUMNS
            ),
        );
        return false;
    }
    for (i, written) in &h.padded {
        sink.at(
            &PADDED_HEADER,
            Some(h.line),
            Some((h.names.get(*i).map_or("", String::as_str), *i)),
            None,
            format!("the column is written '{written}': Import-Csv keeps the spaces in the name"),
        );
    }
    if is_format_table(&h.names) {
        sink.at(
            &FORMAT_TABLE,
            Some(h.line),
            None,
            None,
            "the header names formatting objects".into(),
        );
        return false;
    }
    let Some(kind) = kind else {
        if looks_like_data(&h.names) {
            sink.at(
                &NO_HEADER,
                Some(h.line),
                None,
                None,
                format!("line {} holds values, not column names", h.line),
            );
        } else {
            let message = match columns::infer(&h.names) {
                columns::Inference::Ambiguous(kinds) => format!(
                    "the headers fit several kinds equally well ({}); pass --kind",
                    kinds
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => match columns::closest(&h.names) {
                    Some((closest, lacks)) if !lacks.is_empty() => format!(
                        "no file kind matches the headers {}; closest is {closest}, which lacks {}",
                        h.names.join(", "),
                        lacks.join(" and ")
                    ),
                    _ => format!("no file kind matches the headers {}", h.names.join(", ")),
                },
            };
            sink.at(&UNKNOWN_KIND, Some(h.line), None, None, message);
        }
        return false;
    };
    for &(later, first) in &h.duplicates {
        let name = h.names.get(later).map_or("", String::as_str);
        let first_name = h.names.get(first).map_or("", String::as_str);
        sink.at(
            &DUPLICATE_COLUMN,
            Some(h.line),
            Some((name, later)),
            None,
            format!(
                "column {} ('{name}') repeats the name of column {} ('{first_name}')",
                later + 1,
                first + 1
            ),
        );
    }
    let missing = columns::missing_required(kind, h);
    for what in &missing {
        sink.at(
            &MISSING_COLUMN,
            Some(h.line),
            None,
            None,
            format!("a {kind} file needs a {what} column"),
        );
    }
    missing.is_empty()
}

/// A record that repeats the header row (or is a `#TYPE` line before such a repeat).
pub fn repeats_header(row: &Row<'_>) -> bool {
    let h = row.header();
    row.width() == h.len()
        && !h.is_empty()
        && row.cells().all(|c| {
            h.names
                .get(c.index)
                .is_some_and(|n| crate::input::trim(c.value).eq_ignore_ascii_case(n))
        })
}

/// `#TYPE Selected.Microsoft...` as a record: the start of a second export.
pub fn is_type_line(row: &Row<'_>) -> bool {
    row.cell(0)
        .is_some_and(|v| v.trim_start().starts_with("#TYPE "))
        && (1..row.width()).all(|i| {
            row.cell(i)
                .map_or(true, |v| crate::input::trim(v).is_empty())
        })
}

/// Row-shape checks every file gets. Returns false for a blank row (nothing more to check).
pub fn row_shape(sink: &mut Sink, row: &Row<'_>) -> bool {
    let want = row.header().len();
    if row.width() != want {
        sink.row(
            &RAGGED_ROW,
            row,
            format!("the row has {} fields; the header has {want}", row.width()),
        );
    }
    if row.is_blank() {
        sink.row(&BLANK_ROW, row, "every field of the row is empty".into());
        return false;
    }
    true
}

/// Findings for what the reader noticed.
pub fn notes(sink: &mut Sink, notes: &[Note]) {
    for n in notes {
        match n {
            Note::AssumedWindows1252 => sink.file(
                &ASSUMED_ENCODING,
                "the bytes are not UTF-8; read as Windows-1252".into(),
            ),
            Note::TypeLine(t) => sink.at(
                &TYPE_LINE,
                Some(1),
                None,
                Some(t),
                "line 1 is a #TYPE line".into(),
            ),
            Note::InvalidUtf8 { line } => sink.at(
                &INVALID_UTF8,
                Some(*line),
                None,
                None,
                "bytes that are not UTF-8 were replaced with U+FFFD".into(),
            ),
            Note::UnterminatedQuote { line } => sink.at(
                &UNTERMINATED_QUOTE,
                Some(*line),
                None,
                None,
                "a quote opened in this record is never closed; the rest of the file is one value"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{codes, lint_one};

    #[test]
    fn f001_f002_f003_open_errors() {
        let mut s = Sink::default();
        open_error(&mut s, &OpenError::Binary);
        open_error(&mut s, &OpenError::Empty);
        open_error(
            &mut s,
            &OpenError::Unreadable(std::io::Error::from(std::io::ErrorKind::NotFound)),
        );
        let c: Vec<&str> = s.findings.iter().map(|f| f.code).collect();
        assert_eq!(c, ["F003", "F002", "F001"]);
        assert_eq!(codes(&lint_one(b"")), ["F002"]);
        assert_eq!(codes(&lint_one(b"PK\x03\x04\0\0\0")), ["F003"]);
    }

    #[test]
    fn f004_no_header_and_f005_unknown_kind() {
        assert_eq!(codes(&lint_one(b"ann@contoso.com,Ann\n")), ["F004"]);
        assert_eq!(codes(&lint_one(b"Foo,Bar\n1,2\n")), ["F005"]);
    }

    #[test]
    fn f006_missing_and_f007_duplicate_columns() {
        let r = lint_one(b"UserPrincipalName\nann@contoso.com\n");
        assert_eq!(codes(&r), ["F006"]);
        let r = lint_one(b"UPN,DisplayName,Display Name\nann@contoso.com,Ann,x\n");
        assert_eq!(codes(&r), ["F007"]);
        assert_eq!(r[0].column.as_deref(), Some("Display Name"));
        // Synonyms of one column are not duplicates: the first non-blank one counts.
        let r = lint_one(b"UPN,DisplayName,UserPrincipalName\nann@contoso.com,Ann,\n");
        assert_eq!(codes(&r), Vec::<&str>::new());
        let r = lint_one(b"UPN,DisplayName,UserPrincipalName\n,Ann,bad user@contoso.com\n");
        assert_eq!(codes(&r), ["U002"]);
        assert_eq!(r[0].column.as_deref(), Some("UserPrincipalName"));
    }

    #[test]
    fn f008_ragged_and_f013_blank_rows() {
        let r = lint_one(b"UPN,DisplayName\nann@contoso.com,Ann,Lee\n,\n");
        assert_eq!(codes(&r), ["F008", "F013"]);
        assert_eq!(r[0].line, Some(2));
        assert_eq!(r[1].line, Some(3));
    }

    #[test]
    fn f009_unterminated_quote() {
        let r = lint_one(b"UPN,DisplayName\nann@contoso.com,\"Ann\nbob@contoso.com,Bob\n");
        assert!(codes(&r).contains(&"F009"), "{r:?}");
    }

    #[test]
    fn f010_f011_f012_reader_notes() {
        let r = lint_one(b"UPN,DisplayName\nann@contoso.com,Zo\xEB\n");
        assert_eq!(codes(&r), ["F010"]);
        let r = lint_one(b"#TYPE Selected.System.Management.Automation.PSCustomObject\nUPN,DisplayName\nann@contoso.com,Ann\n");
        assert_eq!(codes(&r), ["F011"]);
        let mut big = b"UPN,DisplayName\n".to_vec();
        for i in 0..5000 {
            big.extend_from_slice(format!("u{i}@contoso.com,User {i}\n").as_bytes());
        }
        let mut late = big.clone();
        // Windows-1252 first seen past the sniffed prefix: still the whole file's encoding.
        late.extend_from_slice(b"late@contoso.com,Zo\xEB\n");
        assert_eq!(codes(&lint_one(&late)), ["F010"]);
        // After a real UTF-8 character, a bad byte is damage in that record.
        big.extend_from_slice("zoe@contoso.com,Zoë\n".as_bytes());
        big.extend_from_slice(b"late@contoso.com,Zo\xEB\n");
        let r = lint_one(&big);
        assert_eq!(codes(&r), ["D009", "F012"]);
        assert_eq!(r[1].line, Some(5003));
    }

    #[test]
    fn f014_format_table_output() {
        let r = lint_one(b"ClassId2e4f51ef21dd47e99d3c952918aff9cd,pageHeaderEntry\nx,y\n");
        assert_eq!(codes(&r), ["F014"]);
    }
}
