//! Findings from every stage (lint, audit, check) and their renderers.
//!
//! One `Finding` shape for all of them, so human, JSON and SARIF output come from one place,
//! and so does redaction: a finding about a secret column never carries the value.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem found in an input file or script.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable rule code (see `cutover rules`).
    pub code: &'static str,
    pub severity: Severity,
    /// Path as given by the user; `None` for findings about the project as a whole.
    pub file: Option<String>,
    /// 1-based physical line where the record starts; `None` for file-level findings.
    pub line: Option<u64>,
    /// Header name as written in the file (or parameter name for `check`).
    pub column: Option<String>,
    /// The offending value, already redacted where it is a secret (`***`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub message: String,
    pub hint: String,
}

pub mod human;
pub mod json;
pub mod sarif;
