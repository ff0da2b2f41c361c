//! `file:line: severity[CODE] message`, then the column and value, then `help:` and a summary.

use std::fmt::Write as _;

use super::{Finding, Severity};
use crate::rules::LintReport;

/// Shows a value with invisible and control characters spelled out (`\u{a0}`), so the reader
/// can see what the rule saw.
pub fn show_value(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        let visible = !(c.is_control()
            || matches!(c, '\u{a0}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}' | '\u{205f}'..='\u{2064}' | '\u{3000}' | '\u{feff}' | '\u{180e}' | '\u{fffd}'));
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if visible => s.push(c),
            c => {
                let _ = write!(s, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    s.push('"');
    s
}

/// One finding, three lines at most.
pub fn finding(out: &mut String, f: &Finding) {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => {
            let _ = write!(out, "{file}:{line}: ");
        }
        (Some(file), None) => {
            let _ = write!(out, "{file}: ");
        }
        (None, _) => {}
    }
    let _ = writeln!(out, "{}[{}] {}", f.severity.as_str(), f.code, f.message);
    match (&f.column, &f.value) {
        (Some(c), Some(v)) => {
            let _ = writeln!(out, "  column {c}: {}", show_value(v));
        }
        (Some(c), None) => {
            let _ = writeln!(out, "  column {c}");
        }
        (None, Some(v)) => {
            let _ = writeln!(out, "  value: {}", show_value(v));
        }
        (None, None) => {}
    }
    if !f.hint.is_empty() {
        let _ = writeln!(out, "  help: {}", f.hint);
    }
}

/// `1 file`, `2 files`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Findings then a summary line, for any stage's findings.
pub fn findings(list: &[Finding]) -> String {
    let mut out = String::new();
    for f in list {
        finding(&mut out, f);
    }
    out
}

pub fn counts(list: &[Finding]) -> (usize, usize, usize) {
    let n = |s| list.iter().filter(|f| f.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// The whole lint report as people read it.
pub fn lint_report(r: &LintReport) -> String {
    let mut out = findings(&r.findings);
    if !r.findings.is_empty() {
        out.push('\n');
    }
    let rows: u64 = r.files.iter().map(|f| f.rows).sum();
    let _ = writeln!(
        out,
        "checked {} ({}): {}, {}, {}",
        plural(r.files.len(), "file"),
        plural(rows as usize, "row"),
        plural(r.errors(), "error"),
        plural(r.warnings(), "warning"),
        plural(r.infos(), "info"),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_spelled_out() {
        assert_eq!(show_value("a\u{a0}b\u{200b}"), "\"a\\u{00a0}b\\u{200b}\"");
        assert_eq!(show_value("O’Brien \"x\"\n"), "\"O’Brien \\\"x\\\"\\n\"");
    }

    #[test]
    fn a_finding_renders_location_column_value_and_help() {
        let f = Finding {
            code: "U002",
            severity: Severity::Error,
            file: Some("users.csv".into()),
            line: Some(3),
            column: Some("UserPrincipalName".into()),
            value: Some("ann+x@contoso.com".into()),
            message: "bad".into(),
            hint: "fix it".into(),
        };
        assert_eq!(
            findings(&[f]),
            "users.csv:3: error[U002] bad\n  column UserPrincipalName: \"ann+x@contoso.com\"\n  help: fix it\n"
        );
    }
}
