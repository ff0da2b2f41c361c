use std::fmt::Write as _;
use std::io::Write;

use crate::cli::{RulesArgs, RulesFormat};
use crate::error::{Error, Exit, Result};
use crate::rules::{self, Rule};

pub fn run(args: RulesArgs) -> Result<Exit> {
    let all = rules::all();
    let text = match args.format {
        RulesFormat::Human => human(&all),
        RulesFormat::Json => {
            let v = serde_json::json!({ "version": 1, "rules": all });
            let mut s = serde_json::to_string_pretty(&v).map_err(|e| Error::Other(e.into()))?;
            s.push('\n');
            s
        }
        RulesFormat::Markdown => markdown(&all),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))?;
    Ok(Exit::Clean)
}

fn human(all: &[&Rule]) -> String {
    let mut s = String::new();
    for r in all {
        let _ = writeln!(
            s,
            "{} {:<7} {:<32} {}",
            r.code,
            r.severity.as_str(),
            r.name,
            r.summary
        );
        let _ = writeln!(s, "      help: {}", r.hint);
    }
    s
}

/// The generated rule list for the docs.
pub fn markdown(all: &[&Rule]) -> String {
    let mut s = String::from(
        "# cutover rules\n\n| Code | Severity | Name | Summary |\n|---|---|---|---|\n",
    );
    for r in all {
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} |",
            r.code,
            r.severity.as_str(),
            r.name,
            r.summary.replace('|', "\\|")
        );
    }
    for r in all {
        let _ = write!(
            s,
            "\n## {} {}\n\n**{}.** {}\n\n{}\n\nFix: {}\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary,
            r.explanation,
            r.hint
        );
    }
    s
}
