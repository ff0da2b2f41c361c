//! The notice templates: built in (`templates/notices/`), overridable file by file from a
//! folder in the engineer's project, and the variables they may use.
//!
//! A template is `Subject: ...` on its first line, then the body. Handlebars, no HTML
//! escaping (plain text), strict: a variable that is not defined is an error, and
//! `cutover lint` reports it before anything is rendered (S004).

use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use include_dir::{include_dir, Dir};
use regex::Regex;

use crate::error::{Error, Result};

use super::Kind;

static BUILT_IN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates/notices");

/// Every variable a notice template may use, with what it holds. This table is the
/// documentation (`cutover notices --variables`, `VARIABLES.md` beside the notices).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "first_name",
        "The user's first name (the display name when there is none).",
    ),
    ("display_name", "The user's display name."),
    (
        "email",
        "The user's address (user principal name) in Microsoft 365.",
    ),
    (
        "organisation",
        "[notices] organisation, else the first accepted domain.",
    ),
    ("sender_name", "[notices] sender_name, else \"IT\"."),
    (
        "helpdesk",
        "[notices] helpdesk, else the sender's address, else \"your IT help desk\".",
    ),
    (
        "announce_date",
        "Day of the announcement, e.g. Friday 4 December 2026.",
    ),
    (
        "reminder_date",
        "Day of the reminder: the day before the cutover.",
    ),
    (
        "cutover_date",
        "The cutover day ([schedule] cutover, else the estimate's).",
    ),
    (
        "cutover_time",
        "Local time the cutover starts ([schedule] cutover_time, default 18:00).",
    ),
    (
        "after_date",
        "Day of the after-cutover checklist (default: first weekday after the cutover).",
    ),
    (
        "webmail_url",
        "[notices] webmail_url (default https://outlook.office.com/mail/).",
    ),
    (
        "outlook",
        "True when the user has Outlook on a computer (with or without DeploymentPro).",
    ),
    (
        "deploymentpro",
        "True when BitTitan DeploymentPro reconfigures the user's Outlook.",
    ),
    (
        "outlook_manual",
        "True when the user has Outlook and sets up the new profile by hand.",
    ),
    (
        "mobile",
        "True when the user reads work mail on a phone or tablet.",
    ),
];

/// One template's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: Kind,
    pub text: String,
    /// The override file, or `None` for the built-in template.
    pub path: Option<PathBuf>,
}

impl Source {
    pub fn origin(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("templates/notices/{}", file_name(self.kind)),
        }
    }
}

pub fn file_name(kind: Kind) -> String {
    format!("{}.txt.hbs", kind.id())
}

/// The template for each kind: the project's override when the folder has the file.
pub fn load(overrides: Option<&Path>) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let name = file_name(kind);
        let over = overrides.map(|d| d.join(&name)).filter(|p| p.is_file());
        let source = match over {
            Some(p) => {
                let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
                Source {
                    kind,
                    text: text.trim_start_matches('\u{feff}').to_string(),
                    path: Some(p),
                }
            }
            None => {
                let text = BUILT_IN
                    .get_file(&name)
                    .and_then(|f| f.contents_utf8())
                    .ok_or_else(|| {
                        Error::Other(anyhow::anyhow!("built-in notice template {name} missing"))
                    })?;
                Source {
                    kind,
                    text: text.to_string(),
                    path: None,
                }
            }
        };
        out.push(source);
    }
    if let Some(d) = overrides {
        if !d.is_dir() {
            return Err(Error::Usage(format!(
                "[notices] templates = {}: no such folder",
                d.display()
            )));
        }
    }
    Ok(out)
}

/// A variable a template names that is not in `VARIABLES`: its name and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    pub name: String,
    pub line: u64,
}

/// The names used in `{{name}}`, `{{{name}}}`, `{{#if name}}` and `{{#unless name}}` that
/// are not defined. Comments, `else` and closing tags name nothing.
pub fn undefined(text: &str) -> Vec<Undefined> {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| Regex::new(r"\{\{\{?~?\s*(#if|#unless|[#/!>^]?)\s*([^\s}~]*)").ok())
        .as_ref()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for c in re.captures_iter(line) {
            let tag = c.get(1).map_or("", |m| m.as_str());
            let name = c.get(2).map_or("", |m| m.as_str());
            if matches!(tag, "/" | "!") || name == "else" || name.starts_with('!') {
                continue;
            }
            let defined =
                matches!(tag, "" | "#if" | "#unless") && VARIABLES.iter().any(|(v, _)| *v == name);
            if !defined {
                let shown = if tag.is_empty() || tag.starts_with("#i") || tag.starts_with("#u") {
                    name.to_string()
                } else {
                    format!("{tag}{name}")
                };
                out.push(Undefined {
                    name: shown,
                    line: i as u64 + 1,
                });
            }
        }
    }
    out
}

/// Splits `Subject: ...` from the body; `None` when the first line is not a subject.
pub fn split_subject(rendered: &str) -> Option<(String, String)> {
    let (first, rest) = rendered.split_once('\n').unwrap_or((rendered, ""));
    let subject = first
        .trim_end_matches('\r')
        .strip_prefix("Subject:")?
        .trim();
    if subject.is_empty() {
        return None;
    }
    Some((subject.to_string(), rest.to_string()))
}

/// A registry with each kind's template under its id.
pub fn registry(sources: &[Source]) -> Result<Handlebars<'static>> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    for s in sources {
        hb.register_template_string(s.kind.id(), &s.text)
            .map_err(|e| Error::Usage(format!("notice template {}: {e}", s.origin())))?;
    }
    Ok(hb)
}

/// `VARIABLES.md`: the documentation written beside the notices.
pub fn variables_markdown() -> String {
    let mut s = String::from(
        "# Notice template variables\n\nA template is `Subject: ...` on its first line, then the \
         body (plain text). Use `{{name}}` for a value and `{{#if name}}...{{/if}}` (or \
         `{{#unless name}}`) for a section that depends on the user's setup. Override a \
         template by putting a file of the same name (announcement.txt.hbs, reminder.txt.hbs, \
         cutover-day.txt.hbs, after.txt.hbs) in the folder `[notices] templates` names.\n\n\
         | variable | value |\n|---|---|\n",
    );
    for (name, text) in VARIABLES {
        s.push_str(&format!("| `{name}` | {text} |\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_use_only_defined_variables_and_have_a_subject() {
        for s in load(None).unwrap() {
            assert_eq!(undefined(&s.text), [], "{}", s.origin());
            assert!(split_subject(&s.text).is_some(), "{}", s.origin());
        }
    }

    #[test]
    fn undefined_names_are_found_with_their_line() {
        let t = "Subject: {{first_name}}\n{{#if mobil}}x{{else}}y{{/if}}\n{{! a comment}}{{> part}}\n{{ organisation }} {{{email}}} {{nme}}";
        let got = undefined(t);
        assert_eq!(
            got,
            [
                Undefined {
                    name: "mobil".into(),
                    line: 2
                },
                Undefined {
                    name: ">part".into(),
                    line: 3
                },
                Undefined {
                    name: "nme".into(),
                    line: 4
                },
            ]
        );
    }

    #[test]
    fn every_variable_is_documented_once() {
        let md = variables_markdown();
        for (name, _) in VARIABLES {
            assert_eq!(md.matches(&format!("`{name}`")).count(), 1, "{name}");
        }
    }
}
