//! Collects findings for one lint run: fills in the file, column and (redacted) value, and caps
//! how many of one rule one file may report so a badly damaged million-row file stays small.

use std::collections::HashMap;

use crate::diag::{Finding, Severity};
use crate::input::{Column, Row};

use super::Rule;

/// Findings of one rule in one file beyond this are counted, not kept.
pub const CAP_PER_RULE: u32 = 100;

pub const REDACTED: &str = "***";

#[derive(Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    counts: HashMap<(usize, &'static str), u32>,
    file_idx: usize,
    file: Option<String>,
    secret_columns: Vec<usize>,
    /// Codes `--select` / `--ignore` silenced: never listed, never counted.
    silenced: Vec<&'static str>,
    /// The line and secret cells of the row being checked: a value or message equal to one
    /// of them is masked whatever column it is reported under. The cells are the first
    /// `secret_count` of `secret_values`, whose strings are reused from row to row.
    secret_line: Option<u64>,
    secret_values: Vec<String>,
    secret_count: usize,
    /// A row whose fields are shifted (too few or too many) in a file with a secret column:
    /// any of its cells may be the password, so none is shown.
    masked_row: Option<u64>,
}

impl Sink {
    pub fn silencing(codes: Vec<&'static str>) -> Sink {
        Sink {
            silenced: codes,
            ..Sink::default()
        }
    }

    /// Subsequent findings belong to this file; `secret` lists header positions never shown.
    pub fn enter(&mut self, idx: usize, file: &str, secret: Vec<usize>) {
        self.file_idx = idx;
        self.file = Some(file.to_string());
        self.secret_columns = secret;
        self.secret_line = None;
        self.secret_count = 0;
        self.masked_row = None;
    }

    /// Whether the current file has a secret column (its rows may hold a password anywhere
    /// once their fields are shifted).
    pub fn has_secrets(&self) -> bool {
        !self.secret_columns.is_empty()
    }

    /// The row about to be checked: its secret cells are masked wherever they show up.
    /// Returns whether the row is masked whole: in a file with a secret column, a row with too
    /// few or too many fields, or one whose quoted field runs over a line break (its record
    /// may hold the rest of an earlier row, password included, under other headers).
    /// `plain`: the reader thread found the row has the header's width and no line break.
    pub fn begin_row(&mut self, row: &Row<'_>, plain: bool) -> bool {
        let shifted = !plain && (row.width() != row.header().len() || row.has_line_break());
        self.masked_row = (shifted && self.has_secrets()).then(|| row.line());
        let mut n = 0;
        for v in self
            .secret_columns
            .iter()
            .filter_map(|&i| row.cell(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            if n == self.secret_values.len() {
                self.secret_values.push(String::new());
            }
            if let Some(s) = self.secret_values.get_mut(n) {
                s.clear();
                s.push_str(v);
                n += 1;
            }
        }
        self.secret_count = n;
        self.secret_line = (n > 0).then(|| row.line());
        self.masked_row.is_some()
    }

    /// The current row's secret cells (none once another row began).
    fn row_secrets(&self) -> &[String] {
        match self.secret_line {
            Some(_) => self
                .secret_values
                .get(..self.secret_count)
                .unwrap_or_default(),
            None => &[],
        }
    }

    fn row_secret_in(&self, line: Option<u64>, text: &str) -> bool {
        match (self.secret_line, line) {
            (Some(l), Some(line)) if l == line => {
                self.row_secrets().iter().any(|v| text.contains(v.as_str()))
            }
            _ => false,
        }
    }

    fn keep(&mut self, rule: &'static Rule) -> bool {
        let n = self.counts.entry((self.file_idx, rule.code)).or_insert(0);
        *n += 1;
        *n <= CAP_PER_RULE
    }

    /// A finding at a line and column (header name) with its value as written.
    pub fn at(
        &mut self,
        rule: &'static Rule,
        line: Option<u64>,
        column: Option<(&str, usize)>,
        value: Option<&str>,
        message: String,
    ) {
        if self.silenced.contains(&rule.code) || !self.keep(rule) {
            return;
        }
        let secret = column.is_some_and(|(_, i)| self.secret_columns.contains(&i))
            || value.is_some_and(|v| self.row_secret_in(line, v))
            || (line.is_some() && line == self.masked_row);
        let message = if self.row_secret_in(line, &message) {
            self.mask_row_secrets(message)
        } else {
            message
        };
        // A value spanning lines may be the rest of the file an open quote swallowed, later
        // rows' passwords included: the message says what is wrong, the value is not shown.
        let value = value.filter(|v| !v.contains(['\n', '\r']));
        self.findings.push(Finding {
            code: rule.code,
            severity: rule.severity,
            file: self.file.clone(),
            line,
            column: column.map(|(n, _)| n.to_string()),
            value: value.map(|v| if secret { REDACTED.into() } else { v.into() }),
            message,
            hint: rule.hint.to_string(),
        });
    }

    fn mask_row_secrets(&self, mut text: String) -> String {
        for v in self.row_secrets() {
            text = text.replace(v.as_str(), REDACTED);
        }
        text
    }

    /// Drops the values of the current file's findings on a line whose record an unterminated
    /// quote ran into: the cells there hold other columns' text (a password among them).
    pub fn scrub_line(&mut self, line: u64) {
        for f in self.findings.iter_mut().rev() {
            if f.file != self.file {
                break;
            }
            if f.line == Some(line) {
                f.value = None;
            }
        }
    }

    /// A finding about a whole file.
    pub fn file(&mut self, rule: &'static Rule, message: String) {
        self.at(rule, None, None, None, message);
    }

    /// A finding about a row's column, showing the cell.
    pub fn cell(&mut self, rule: &'static Rule, row: &Row<'_>, c: Column, message: String) {
        let h = row.header();
        let column = row
            .position(c)
            .map(|i| (h.names.get(i).map_or("", String::as_str), i));
        self.at(rule, Some(row.line()), column, row.get(c), message);
    }

    /// A finding about a row as a whole.
    pub fn row(&mut self, rule: &'static Rule, row: &Row<'_>, message: String) {
        self.at(rule, Some(row.line()), None, None, message);
    }

    /// Adds one info note per (file, rule) that went over the cap, saying how many were not
    /// listed; returns the findings and the counts of the unlisted ones.
    pub fn finish(mut self, files: &[String]) -> (Vec<Finding>, Unlisted) {
        let mut over: Vec<((usize, &'static str), u32)> = self
            .counts
            .iter()
            .filter(|(_, n)| **n > CAP_PER_RULE)
            .map(|(k, n)| (*k, *n))
            .collect();
        over.sort();
        let mut unlisted = Unlisted::default();
        for ((idx, code), n) in over {
            if let Some(rule) = super::by_code(code) {
                let more = (n - CAP_PER_RULE) as usize;
                match rule.severity {
                    Severity::Error => unlisted.errors += more,
                    Severity::Warning => unlisted.warnings += more,
                    Severity::Info => unlisted.infos += more,
                }
                unlisted.notes += 1;
                self.findings.push(Finding {
                    code: rule.code,
                    severity: Severity::Info,
                    file: files.get(idx).cloned(),
                    line: None,
                    column: None,
                    value: None,
                    message: format!(
                        "{more} more {} {}s in this file were not listed ({})",
                        rule.code,
                        rule.severity.as_str(),
                        rule.summary
                    ),
                    hint: rule.hint.to_string(),
                });
            }
        }
        (self.findings, unlisted)
    }
}

/// Findings counted but not listed (over the per-rule cap), and the notes that say so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unlisted {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// The "N more" notes among the listed findings (infos that are not findings).
    pub notes: usize,
}
