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

/// Whether findings written to standard output get colour: on a terminal, unless `NO_COLOR`
/// is set (no-color.org); `CLICOLOR_FORCE` forces it (a pager that keeps colours).
pub fn colour_stdout() -> bool {
    use std::io::IsTerminal;
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0");
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    set("CLICOLOR_FORCE") || std::io::stdout().is_terminal()
}

fn paint(colour: bool, style: &str, text: &str) -> String {
    if colour {
        format!("\x1b[{style}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// One finding, three lines at most.
pub fn finding(out: &mut String, f: &Finding) {
    finding_styled(out, f, false);
}

/// One finding, its severity and code coloured when `colour` (red errors, yellow warnings).
pub fn finding_styled(out: &mut String, f: &Finding, colour: bool) {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => {
            let _ = write!(out, "{file}:{line}: ");
        }
        (Some(file), None) => {
            let _ = write!(out, "{file}: ");
        }
        (None, _) => {}
    }
    let style = match f.severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;36",
    };
    let label = format!("{}[{}]", f.severity.as_str(), f.code);
    let _ = writeln!(out, "{} {}", paint(colour, style, &label), f.message);
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
        let _ = writeln!(out, "  {} {}", paint(colour, "1;32", "help:"), f.hint);
    }
}

/// `1 file`, `2 files`, `2 mailboxes`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else if word.ends_with(['s', 'x']) || word.ends_with("ch") {
        format!("{n} {word}es")
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
    lint_report_styled(r, false, false)
}

/// The lint report with colour, or (quiet) the findings without the summary line.
pub fn lint_report_styled(r: &LintReport, colour: bool, quiet: bool) -> String {
    let mut out = String::new();
    for f in &r.findings {
        finding_styled(&mut out, f, colour);
    }
    if quiet {
        return out;
    }
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
