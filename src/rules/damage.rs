//! Export damage (D...): values that PowerShell, Excel or copy-and-paste broke (m365-facts 5).
//! Checked on every cell of every file kind.

use crate::diag::Severity::{Error, Warning};
use crate::input::{Cell, Column, Row};

use super::sink::Sink;
use super::Rule;

pub const TYPE_NAME: Rule = Rule {
    code: "D001",
    name: "collection-type-name",
    severity: Error,
    summary: "the cell holds a .NET type name instead of the values",
    hint: "export multi-valued properties joined: @{n='EmailAddresses';e={$_.EmailAddresses -join ';'}}",
    explanation: "Export-Csv writes each property with .ToString(), so a multi-valued property (EmailAddresses, proxyAddresses, Members) becomes its type name: `System.Object[]`, `System.Collections.ArrayList`, `Microsoft.Exchange.Data.ProxyAddressCollection`, `Microsoft.ActiveDirectory.Management.ADPropertyValueCollection` (m365-facts 5.1). The values are lost.",
};

pub const EXCEL_ERROR: Rule = Rule {
    code: "D002",
    name: "excel-error",
    severity: Error,
    summary: "the cell holds an Excel error value",
    hint: "fix the formula in the workbook and save again, or paste values only",
    explanation: "A formula that failed in Excel is saved as its error text (`#NAME?`, `#VALUE!`, `#REF!`, `#N/A`, `#DIV/0!`, `#NUM!`, `#NULL!`, `#SPILL!`, `#CALC!`); the real value never reached the file (m365-facts 5.3).",
};

pub const SCIENTIFIC: Rule = Rule {
    code: "D003",
    name: "scientific-notation",
    severity: Error,
    summary: "a number was turned into scientific notation",
    hint: "format the column as Text in Excel before typing or pasting long numbers",
    explanation: "Excel shows long digit strings (phone numbers, employee IDs, GUID fragments) as `1.23E+11` and saves them that way; the digits past the fifteenth are gone (m365-facts 5.3).",
};

pub const WHITESPACE: Rule = Rule {
    code: "D004",
    name: "surrounding-whitespace",
    severity: Warning,
    summary: "the value starts or ends with white space",
    hint: "trim the value; cutover trims it, other import tools do not",
    explanation: "Entra ID bulk import fails on whitespace before or after a field (m365-facts 4.1), and a trailing space makes `ann@contoso.com ` a different key to most tools.",
};

pub const INVISIBLE_IN_ID: Rule = Rule {
    code: "D005",
    name: "invisible-character-in-identity",
    severity: Error,
    summary: "an identity value contains a non-breaking or zero-width space",
    hint: "retype the value; invisible characters came from a web page or document",
    explanation: "U+00A0 (no-break space), U+200B..U+200D and U+2060 (zero-width), U+FEFF and other Unicode spaces look like nothing or a space but make a different UPN, alias or address; PowerShell treats U+00A0 as white space that splits arguments (m365-facts 6.1).",
};

pub const INVISIBLE: Rule = Rule {
    code: "D006",
    name: "invisible-character",
    severity: Warning,
    summary: "the value contains a non-breaking or zero-width space",
    hint: "retype the value or replace the character with a plain space",
    explanation: "Invisible and unusual space characters copied from web pages or documents survive into Entra ID and Exchange and break searches and sorting (m365-facts 6.1).",
};

pub const CONTROL: Rule = Rule {
    code: "D007",
    name: "control-character",
    severity: Error,
    summary: "the value contains a control character or a line break",
    hint: "remove the line break or control character (Alt+Enter in Excel adds one)",
    explanation: "Line breaks and other C0/C1 control characters make multi-line names in Entra ID and Exchange and must never reach a generated script (m365-facts 6.3, rule 4).",
};

pub const LOOKALIKE_QUOTE: Rule = Rule {
    code: "D008",
    name: "lookalike-punctuation",
    severity: Error,
    summary: "a UPN, alias or address contains a typographic quote or dash",
    hint: "replace ‘ ’ “ ” with ' and – — with - (word processors replace them as you type)",
    explanation: "Word and Outlook replace ' with ’ and - with –. In a name such as O’Brien that is a real spelling and passes; in a UPN, alias or address the character is not allowed (m365-facts 4.1, 4.3) and PowerShell treats it as a quote or dash (m365-facts 6.1).",
};

pub const LOSSY_EXPORT: Rule = Rule {
    code: "D009",
    name: "lossy-export",
    severity: Warning,
    summary: "letters seem to have been replaced by '?' or U+FFFD",
    hint: "export again with -Encoding UTF8 (Windows PowerShell 5.1 defaults to ASCII)",
    explanation: "Windows PowerShell 5.1 Export-Csv writes ASCII by default: every non-ASCII letter becomes `?` (m365-facts 5.1). `Jos? Garc?a` was José García; the original is lost and must be exported again.",
};

/// Columns that identify an object or carry an address.
pub fn is_identity(c: Column) -> bool {
    use Column::*;
    matches!(
        c,
        Upn | Alias
            | PrimarySmtp
            | EmailAddresses
            | Name
            | Group
            | Member
            | Identity
            | User
            | MailboxGuid
            | ExchangeGuid
            | ArchiveGuid
            | ForwardingSmtpAddress
            | AlternateEmail
    )
}

/// Sizes and quotas: a French-locale export groups digits with (narrow) no-break spaces
/// (`1\u{a0}234,5 Mo`), which the audit's size parser reads; not damage.
fn is_size(cell: &Cell<'_>) -> bool {
    use Column::*;
    cell.column
        .is_some_and(|c| matches!(c, TotalItemSize | TotalDeletedItemSize | ProhibitSendQuota))
        || {
            let n = crate::input::columns::normalise(cell.header);
            n.ends_with("quota") || n.ends_with("itemsize")
        }
}

/// Columns where a typographic quote or dash cannot belong.
fn is_address_like(c: Column) -> bool {
    use Column::*;
    matches!(
        c,
        Upn | Alias | PrimarySmtp | EmailAddresses | ForwardingSmtpAddress | AlternateEmail
    )
}

fn is_name(c: Column) -> bool {
    use Column::*;
    matches!(c, DisplayName | FirstName | LastName | Name)
}

pub fn is_type_name(v: &str) -> bool {
    let v = v.trim();
    (v.starts_with("System.") && (v.ends_with("[]") || v.starts_with("System.Collections.")))
        || v.starts_with("Microsoft.Exchange.Data.")
        || v.starts_with("Microsoft.ActiveDirectory.Management.")
        || v == "Deserialized.System.Object[]"
}

pub fn is_excel_error(v: &str) -> bool {
    const ERRORS: [&str; 9] = [
        "#NAME?", "#VALUE!", "#REF!", "#N/A", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
    ];
    let v = v.trim();
    v.starts_with('#') && ERRORS.iter().any(|e| v.eq_ignore_ascii_case(e))
}

/// `1.23E+11`, `4E+15`: a digit, optional fraction, `E`, signed exponent.
pub fn is_scientific(v: &str) -> bool {
    let v = v.trim().as_bytes();
    let Some(e) = v.iter().position(|&b| b == b'E' || b == b'e') else {
        return false;
    };
    let (mant, exp) = (&v[..e], &v[e + 1..]);
    let mant_ok = match mant {
        [d] => d.is_ascii_digit(),
        [d, b'.', rest @ ..] => {
            d.is_ascii_digit() && !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    let exp = exp
        .strip_prefix(b"+")
        .or_else(|| exp.strip_prefix(b"-"))
        .unwrap_or(exp);
    mant_ok && !exp.is_empty() && exp.len() <= 3 && exp.iter().all(u8::is_ascii_digit)
}

pub const BIDI_CONTROL: Rule = Rule {
    code: "D010",
    name: "bidi-control",
    severity: Error,
    summary: "the value contains a bidirectional control character (U+202A..U+202E, U+2066..U+2069)",
    hint: "retype the value without the direction override; it came from copied right-to-left text or is an attempt to mislead",
    explanation: "Embedding, override and isolate controls reorder how text is displayed (Unicode UAX #9): `admin@contoso.com` can show as something else in PLAN.md, a report or a console, so a reviewer approves what the tenant never gets. Like other control characters they never reach a generated script (m365-facts 6.3, rule 4).",
};

/// Unicode's explicit directional embeddings, overrides and isolates (UAX #9).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{a0}' | '\u{2000}'
            ..='\u{200d}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{2060}'
                | '\u{3000}'
                | '\u{feff}'
                | '\u{180e}'
    )
}

fn is_lookalike(c: char) -> bool {
    matches!(
        c,
        '\u{2018}'
            | '\u{2019}'
            | '\u{201a}'
            | '\u{201b}'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{201e}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2032}'
    )
}

/// `?` right after a letter, as in `Jos?` (a name never legitimately has one there).
fn has_lossy_question_mark(v: &str) -> bool {
    // U+FFFD is EF BF BD: a cell with neither `?` nor an 0xEF byte (nearly every cell asked)
    // is answered without a substring search.
    let b = v.as_bytes();
    if !b.iter().any(|&c| c == b'?' || c == 0xef) {
        return false;
    }
    v.contains('\u{fffd}')
        || v.char_indices()
            .any(|(i, c)| c == '?' && v[..i].chars().next_back().is_some_and(char::is_alphabetic))
}

/// Every damage check on one cell.
pub fn check_cell(sink: &mut Sink, line: u64, cell: &Cell<'_>, secret: bool) {
    let at = Some((cell.header, cell.index));
    // The sink masks the value of a secret column (`***`).
    cell_damage(cell, secret, &mut |rule, msg| {
        sink.at(rule, Some(line), at, Some(cell.value), msg.into())
    });
}

/// The damage of one cell, each rule with its message, in the order they are reported. The
/// one place the checks live: [`check_cell`] reports them, [`row_is_clean`] only asks.
fn cell_damage(cell: &Cell<'_>, secret: bool, emit: &mut dyn FnMut(&'static Rule, &'static str)) {
    let v = cell.value;
    if v.trim().is_empty() {
        return;
    }
    let col = cell.column;
    let printable_ascii = v.bytes().all(|b| (0x20..0x7f).contains(&b));
    let trimmed = v.trim();
    let first = trimmed.as_bytes().first().copied().unwrap_or_default();
    let mut specific = false;
    if (first == b'S' || first == b'M' || first == b'D') && is_type_name(v) {
        emit(&TYPE_NAME, "the value is a .NET type name");
        specific = true;
    } else if first == b'#' && is_excel_error(v) {
        emit(&EXCEL_ERROR, "the value is an Excel error");
        specific = true;
    } else if first.is_ascii_digit() && is_scientific(v) {
        emit(&SCIENTIFIC, "the value is in scientific notation");
        specific = true;
    }
    if v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']) {
        if secret {
            emit(
                &WHITESPACE,
                "the password starts or ends with white space (the value is not shown): \
                 whoever signs in must type it too",
            );
        } else {
            emit(&WHITESPACE, "leading or trailing white space");
        }
    }
    if printable_ascii {
        // `#NAME?` already has its own finding: the more specific one is enough.
        if !specific && col.is_some_and(is_name) && v.contains('?') && has_lossy_question_mark(v) {
            emit(&LOSSY_EXPORT, "a '?' follows a letter");
        }
        return;
    }
    let identity = col.is_some_and(is_identity);
    let mut invisible = false;
    let mut control = false;
    let mut lookalike = false;
    let mut bidi = false;
    for c in v.chars() {
        bidi |= is_bidi_control(c);
        invisible |= is_invisible(c);
        control |= c.is_control();
        lookalike |= is_lookalike(c);
    }
    if invisible && !is_size(cell) {
        let rule = if identity {
            &INVISIBLE_IN_ID
        } else {
            &INVISIBLE
        };
        emit(
            rule,
            "contains an invisible or non-standard space (U+00A0, U+200B ...)",
        );
    }
    if bidi {
        emit(
            &BIDI_CONTROL,
            "contains a bidirectional control character that changes how the text displays",
        );
    }
    if control {
        emit(&CONTROL, "contains a control character or line break");
    }
    if lookalike && col.is_some_and(is_address_like) {
        emit(&LOOKALIKE_QUOTE, "contains a typographic quote or dash");
    }
    if !specific
        && (col.is_some_and(is_name) || v.contains('\u{fffd}'))
        && has_lossy_question_mark(v)
    {
        emit(&LOSSY_EXPORT, "'?' or U+FFFD where a letter was");
    }
}

/// Damage checks on every cell of a row.
pub fn check_row(sink: &mut Sink, row: &Row<'_>, secret: &[usize]) {
    let line = row.line();
    for cell in row.cells() {
        check_cell(sink, line, &cell, secret.contains(&cell.index));
    }
}

/// Whether [`check_row`] would report nothing for the row (asked on the reader thread, so
/// the rules' thread skips clean rows).
pub fn row_is_clean(row: &Row<'_>) -> bool {
    // The bytes' test of `surely_clean` over the whole row at once (the cells end to end, in
    // blocks the compiler vectorises), then only each cell's ends and first byte: cell by
    // cell, the bytes' loop was most of the reader thread's checks (callgrind).
    // A row whose cells all pass is answered from the values alone, without making the
    // cells (a header name and column each).
    if plain_text(row.text().as_bytes()) && row.values().all(surely_clean_ends) {
        return true;
    }
    row.cells().all(|cell| {
        if surely_clean(cell.value) {
            return true;
        }
        let mut clean = true;
        cell_damage(&cell, false, &mut |_, _| clean = false);
        clean
    })
}

/// A cell [`cell_damage`] reports nothing for, told from its bytes in one pass: empty, or
/// printable ASCII without `?` (the lossy-export check) and characters U+00C0 to U+07FF
/// (accented Latin, Greek, Cyrillic, Hebrew, Arabic letters: none of them white space, a
/// control, invisible, a bidi control, a lookalike quote or U+FFFD), no space at either end
/// (white space), and none of what the specific checks need: a `#` first (Excel errors), a
/// letter that starts a type name with a `.` in the cell, a digit first with an `E`
/// (scientific notation). Any other cell is asked of `cell_damage` itself.
fn surely_clean(v: &str) -> bool {
    plain_text(v.as_bytes()) && surely_clean_ends(v)
}

/// A byte [`surely_clean`] lets through: printable ASCII but `?`, or a byte of a character
/// U+00C0..U+07FF. A non-ASCII byte passes when it is a continuation byte or a lead byte of
/// that range (0xC3..0xDF): in valid UTF-8 every continuation byte follows a lead byte, so a
/// character outside the range brings a lead byte (0xC2, 0xE0 and up) that fails the text. A
/// third of a million-user file's rows hold an accented name: without this, each went
/// through `cell_damage`.
fn plain_byte(c: u8) -> bool {
    let ascii = (c.wrapping_sub(0x20) < 0x5f) & (c != b'?');
    let letter = (0x80..=0xdf).contains(&c) & (c != 0xc2);
    ascii | letter
}

/// Whether every byte is a [`plain_byte`]: in blocks of fixed length without an early exit
/// inside one, which the compiler vectorises.
fn plain_text(b: &[u8]) -> bool {
    const BLOCK: usize = 32;
    let mut blocks = b.chunks_exact(BLOCK);
    for block in &mut blocks {
        if !block.iter().fold(true, |ok, &c| ok & plain_byte(c)) {
            return false;
        }
    }
    blocks
        .remainder()
        .iter()
        .fold(true, |ok, &c| ok & plain_byte(c))
}

/// The rest of [`surely_clean`] once the bytes are plain: no space at either end, and none of
/// what the specific checks need.
fn surely_clean_ends(v: &str) -> bool {
    let b = v.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return true;
    };
    first != b' '
        && last != b' '
        && match first {
            b'#' => false,
            b'S' | b'M' | b'D' => !b.contains(&b'.'),
            b'0'..=b'9' => !b.iter().any(|&c| c | 0x20 == b'e'),
            _ => true,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{codes, lint_one};

    /// The reader thread's shortcut skips the checks only for rows they find nothing in.
    #[test]
    fn row_is_clean_agrees_with_the_checks() {
        let values = [
            "",
            "Ann",
            " Ann",
            "Ann ",
            "\tAnn",
            "Ann\t",
            "Sales",
            "Müller",
            "Seán",
            "Zoë Ñandú",
            "Ωμέγα",
            "Иван",
            "Müller?",
            "Jos\u{e9}?",
            "Ann\u{a0}",
            "\u{a1}Hola",
            "a\u{85}b",
            "Ann\u{2000}",
            "\u{c0}\u{2019}",
            "\u{7ff}\u{800}",
            "Søren\u{fffd}",
            "\u{e9}\u{202e}",
            "S\u{e9}.x",
            "7\u{e9}E",
            " \u{e9}",
            "\u{e9}\u{1680}",
            "日本",
            "System.Object[]",
            "System Administrators",
            "Microsoft.Exchange.Data.X",
            "Dept",
            "#NAME?",
            "#general",
            "1.2E+5",
            "12",
            "4E+15",
            "Jos? Ruiz",
            "Stra?e",
            "a?",
            "?",
            "a\u{a0}b",
            "a\u{200b}",
            "\u{fffd}x",
            "it\u{2019}s",
            "a\u{202e}b",
            "x\u{7}",
            "D.Lee",
            "Sales.x",
            "Mr X",
            "1e5",
            "1.5e3",
            "12 East",
            "7",
            "Deserialized.System.Object[]",
            "Ann.Lee",
            "#REF!",
            "#N/A",
        ];
        let mut clean = 0;
        for v in values {
            for header in ["FirstName", "Department", "Alias", "Mobile Phone"] {
                let text = format!("UPN,DisplayName,{header}\nann@contoso.com,Ann,\"{v}\"\n");
                let mut r = crate::input::from_bytes(text.as_bytes(), &Default::default()).unwrap();
                let row = r.next_row().unwrap().unwrap();
                let mut sink = Sink::default();
                check_row(&mut sink, &row, &[]);
                assert_eq!(
                    row_is_clean(&row),
                    sink.findings.is_empty(),
                    "{header}: {v:?} {:?}",
                    sink.findings
                );
                clean += usize::from(sink.findings.is_empty());
            }
        }
        // Both answers occur.
        assert!(clean > 10 && clean < values.len() * 4 - 20, "{clean}");
    }

    fn one(header: &str, value: &str) -> Vec<&'static str> {
        let text = format!("UPN,DisplayName,{header}\nann@contoso.com,Ann,\"{value}\"\n");
        codes(&lint_one(text.as_bytes()))
            .into_iter()
            .filter(|c| c.starts_with('D'))
            .collect()
    }

    #[test]
    fn d001_type_names() {
        assert!(is_type_name("System.Object[]"));
        assert!(is_type_name("System.Collections.ArrayList"));
        assert!(is_type_name(
            "Microsoft.Exchange.Data.ProxyAddressCollection"
        ));
        assert!(is_type_name(
            "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection"
        ));
        assert!(!is_type_name("System Administrators"));
        assert_eq!(one("EmailAddresses", "System.Object[]"), ["D001"]);
    }

    #[test]
    fn d002_excel_errors() {
        assert!(is_excel_error("#NAME?"));
        assert!(is_excel_error("#REF!"));
        assert!(!is_excel_error("#general"));
        assert_eq!(one("Department", "#VALUE!"), ["D002"]);
        // Not also D009 for the `E?`: one finding per cell.
        assert_eq!(one("FirstName", "#NAME?"), ["D002"]);
    }

    #[test]
    fn d003_scientific_notation() {
        assert!(is_scientific("1.23E+11"));
        assert!(is_scientific("4E+15"));
        assert!(!is_scientific("1E"));
        assert!(!is_scientific("12E+3"));
        assert!(!is_scientific("Engineering"));
        assert_eq!(one("Mobile Phone", "4.47911E+11"), ["D003"]);
    }

    #[test]
    fn d004_whitespace() {
        assert_eq!(one("Department", " Sales"), ["D004"]);
        // The damage under the spaces is still named.
        assert_eq!(one("EmailAddresses", " System.Object[] "), ["D001", "D004"]);
        assert_eq!(one("Department", " #NAME?"), ["D002", "D004"]);
        assert_eq!(one("Mobile Phone", "4.47911E+11 "), ["D003", "D004"]);
        // A padded password is reported too; the sink masks its value.
        assert_eq!(one("Password", " Pa55 word! "), ["D004"]);
    }

    #[test]
    fn d005_d006_invisible_characters() {
        assert_eq!(one("Alias", "ann\u{200b}"), ["D005"]);
        // Issue 9.16: a right-to-left override makes `moc.osotnoc@nna` display as an address.
        assert_eq!(one("Alias", "ann\u{202e}nimda"), ["D010"]);
        assert_eq!(one("DisplayName", "Ann \u{2066}Lee\u{2069}"), ["D010"]);
        assert_eq!(one("Department", "Sales\u{a0}EU"), ["D006"]);
        // Sizes and quotas grouped the French way are not damage.
        assert_eq!(
            one("IssueWarningQuota", "1\u{a0}234\u{a0}567 octets"),
            Vec::<&str>::new()
        );
        let stats = "MailboxGuid,TotalItemSize,ItemCount\n1b2c,\"1,5 Go (1\u{202f}610\u{202f}612\u{202f}736 octets)\",10\n";
        assert!(lint_one(stats.as_bytes()).iter().all(|f| f.code != "D006"));
    }

    #[test]
    fn d007_control_characters() {
        assert_eq!(one("Department", "Sales\nEU"), ["D007"]);
        assert_eq!(one("Department", "Sales\u{7}"), ["D007"]);
    }

    #[test]
    fn d008_lookalike_quotes_only_where_they_cannot_belong() {
        assert_eq!(one("Alias", "o’brien"), ["D008"]);
        assert_eq!(one("Alias", "ann–lee"), ["D008"]);
        let ok = lint_one("UPN,DisplayName\nob@contoso.com,Seán O’Brien\n".as_bytes());
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn d009_lossy_export() {
        assert_eq!(one("FirstName", "Jos?"), ["D009"]);
        assert_eq!(one("Department", "R\u{fffd}D"), ["D009"]);
        assert_eq!(one("Department", "Who? Us"), Vec::<&str>::new());
    }
}
