//! The lint JSON contract, version 1:
//! `{"version":1,"files":[{"path","kind","rows","encoding","delimiter"}],"findings":[{"code",
//! "severity","file","line","column","message","hint"}],"summary":{"errors","warnings","infos"}}`.
//! Findings may also carry `value` (redacted where secret); readers ignore unknown fields.

use serde_json::{json, Value};

use crate::rules::LintReport;

pub const VERSION: u32 = 1;

pub fn lint_report(r: &LintReport) -> Value {
    json!({
        "version": VERSION,
        "files": r.files,
        "findings": r.findings,
        "summary": {
            "errors": r.errors(),
            "warnings": r.warnings(),
            "infos": r.infos(),
        },
    })
}
