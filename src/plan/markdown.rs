//! `PLAN.md`: every operation, grouped by step in run order, for a reviewer.

use std::fmt::Write;

use super::{Change, Plan};

/// Input values are shown as text: Markdown punctuation is escaped and control characters
/// are made visible, so a value can neither format the page nor hide a line.
pub fn escape(s: &str) -> String {
    const SPECIAL: &[u8] = b"\\`*_[]<>|#!~";
    if s.bytes()
        .all(|b| !SPECIAL.contains(&b) && !b.is_ascii_control() && b < 0x80)
    {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:04X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Migration plan\n");
    let _ = writeln!(
        s,
        "Source: Exchange {} · identities: {} · tenant: {} · domains: {}\n",
        plan.source_version,
        plan.identity.as_str(),
        plan.tenant
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "(not set)".into()),
        if plan.domains.is_empty() {
            "(none)".to_string()
        } else {
            plan.domains
                .iter()
                .map(|d| escape(d))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = writeln!(
        s,
        "{} to create, {} to update, {} unchanged, {} checks{}.\n",
        plan.count(Change::Create),
        plan.count(Change::Update),
        plan.count(Change::Unchanged),
        plan.count(Change::Check),
        if plan.from_state {
            " (diffed against the state snapshot)"
        } else {
            " (no state snapshot: the plan assumes nothing exists; every script still looks before it acts)"
        }
    );
    let _ = writeln!(
        s,
        "Steps run in this order. `unchanged` operations are not in the bundle.\n"
    );
    for step in &plan.steps {
        let _ = writeln!(
            s,
            "## {} — {}\n\nRuns on: {} · shell: {} · target: {} · {}\n",
            step.id,
            step.title,
            step.place.runs_on,
            step.place.shell,
            step.place.target,
            if step.changes {
                "changes the target"
            } else {
                "read only"
            }
        );
        for op in &step.ops {
            let _ = write!(s, "- {} {}", op.change.as_str(), escape(&op.id));
            // The values the id does not already show, so a reviewer sees what will be set.
            let id = op.id.to_lowercase();
            let mut sep = " — ";
            for (col, v) in step.columns.iter().zip(&op.values) {
                let lv = v.to_lowercase();
                if v.is_empty() || id.ends_with(&lv) || id.split(':').any(|seg| seg == lv) {
                    continue;
                }
                // A multi-line value (a notice's body) shows its first line; the data file
                // holds the whole text.
                match v.split_once('\n') {
                    Some((first, _)) => {
                        let _ = write!(
                            s,
                            "{sep}{col}: {} … ({} lines, in data/{}.csv)",
                            escape(first.trim_end()),
                            v.lines().count(),
                            step.id
                        );
                    }
                    None => {
                        let _ = write!(s, "{sep}{col}: {}", escape(v));
                    }
                }
                sep = ", ";
            }
            s.push('\n');
        }
        s.push('\n');
    }
    if !plan.manual.is_empty() {
        let _ = writeln!(s, "## By hand\n");
        for m in &plan.manual {
            let _ = writeln!(s, "- **{}**: {}", m.title, m.text);
        }
        s.push('\n');
    }
    if !plan.notes.is_empty() || !plan.findings.is_empty() {
        let _ = writeln!(s, "## Left out\n");
        for n in &plan.notes {
            let _ = writeln!(s, "- {}", escape(n));
        }
        for f in &plan.findings {
            let _ = writeln!(
                s,
                "- {} {}: {}",
                f.code,
                f.severity.as_str(),
                escape(&f.message)
            );
        }
    }
    s
}
