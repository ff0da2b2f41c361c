//! Lint rules: each a stable code plus a small function. The registry below is the one list
//! `cutover rules` prints and the docs are generated from.
//!
//! Codes: `F` file level, `U` users, `A` addresses, `D` export damage, `G` groups and members,
//! `C` contacts, `S` project settings (schedule, notices, mail filter, tenant and domains).
//! `lint` streams every file once, keeping only unique-key indexes, then runs the cross-file
//! checks (member resolution, nesting cycles) on those indexes.

use serde::Serialize;

use crate::diag::Severity;

pub mod address;
pub mod contacts;
mod cycles;
pub mod damage;
mod engine;
pub mod file;
pub mod groups;
mod index;
pub mod mailboxes;
pub mod settings;
mod sink;
pub mod users;

pub use engine::{
    lint, lint_inputs, lint_inputs_with, FileSummary, Input, LintReport, LintRequest, ReaderThread,
    Source,
};
pub use sink::{Unlisted, REDACTED};

/// A rule's fixed description. Messages may add detail; the code and severity never change.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub code: &'static str,
    /// kebab-case name, e.g. `upn-syntax`.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: &'static str,
    /// One line: how to fix it.
    pub hint: &'static str,
    /// A paragraph: why it matters, with the fact's source where there is one.
    pub explanation: &'static str,
}

/// Every rule of every stage, in code order.
pub fn all() -> Vec<&'static Rule> {
    let mut v: Vec<&'static Rule> = RULES
        .iter()
        .chain(crate::audit::RULES)
        .chain(crate::check::RULES)
        .collect();
    v.sort_by_key(|r| r.code);
    v
}

/// `--select` / `--ignore` (and `[lint]` in cutover.toml), as ruff has them: each entry a code
/// or a prefix of codes. Errors are never silenced: the plan refuses them, so hiding one would
/// only hide why. Returns the codes silenced.
pub fn silenced(select: &[String], ignore: &[String]) -> Vec<&'static str> {
    let matches = |list: &[String], code: &str| list.iter().any(|p| code.starts_with(p.as_str()));
    all()
        .into_iter()
        .filter(|r| r.severity != crate::diag::Severity::Error)
        .filter(|r| (!select.is_empty() && !matches(select, r.code)) || matches(ignore, r.code))
        .map(|r| r.code)
        .collect()
}

/// Refuses an unknown code or prefix, and an error-severity code given to `ignore`.
pub fn check_selection(select: &[String], ignore: &[String]) -> crate::error::Result<()> {
    let rules = all();
    for (flag, list) in [("--select", select), ("--ignore", ignore)] {
        for p in list {
            if !rules.iter().any(|r| r.code.starts_with(p.as_str())) {
                return Err(crate::error::Error::Usage(format!(
                    "{flag} {p}: no rule code starts with {p} (`cutover rules` lists them)"
                )));
            }
        }
    }
    for p in ignore {
        if let Some(r) = rules
            .iter()
            .find(|r| r.code == p && r.severity == crate::diag::Severity::Error)
        {
            return Err(crate::error::Error::Usage(format!(
                "--ignore {p}: {} is an error ({}), and a plan is never made from inputs with \
                 errors; fix the data instead (warnings and infos can be ignored)",
                r.code, r.summary
            )));
        }
    }
    Ok(())
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.code == code)
}

/// The lint rules (file, users, addresses, export damage, groups and members).
pub static RULES: &[Rule] = &[
    address::SYNTAX,
    address::DOMAIN,
    address::MULTIPLE_PRIMARY,
    address::DUPLICATE,
    address::PRIMARY_MISMATCH,
    address::TOO_LONG,
    damage::TYPE_NAME,
    damage::EXCEL_ERROR,
    damage::SCIENTIFIC,
    damage::WHITESPACE,
    damage::INVISIBLE_IN_ID,
    damage::INVISIBLE,
    damage::CONTROL,
    damage::LOOKALIKE_QUOTE,
    damage::LOSSY_EXPORT,
    damage::BIDI_CONTROL,
    file::UNREADABLE,
    file::EMPTY,
    file::BINARY,
    file::NO_HEADER,
    file::UNKNOWN_KIND,
    file::MISSING_COLUMN,
    file::DUPLICATE_COLUMN,
    file::RAGGED_ROW,
    file::UNTERMINATED_QUOTE,
    file::ASSUMED_ENCODING,
    file::TYPE_LINE,
    file::INVALID_UTF8,
    file::BLANK_ROW,
    file::FORMAT_TABLE,
    file::HEADER_REPEATED,
    file::PADDED_HEADER,
    file::TOO_MANY_COLUMNS,
    groups::NAME_BLANK,
    groups::NAME_LENGTH,
    groups::NAME_DUPLICATE,
    groups::COLLIDES_WITH_USER,
    groups::UNKNOWN_GROUP,
    groups::UNRESOLVED_MEMBER,
    groups::EXTERNAL_MEMBER,
    groups::DUPLICATE_MEMBERSHIP,
    groups::CYCLE,
    groups::DISPLAY_NAME_LENGTH,
    groups::MEMBER_BLANK,
    groups::AMBIGUOUS,
    mailboxes::NAME_COLLISION,
    settings::SCHEDULE_ORDER,
    settings::IP_RANGE,
    settings::SMARTHOST,
    settings::TEMPLATE_VARIABLE,
    settings::NO_RANGES,
    settings::SENDER_RANGE_SPLIT,
    settings::NOTICES_SETTINGS,
    settings::MIGRATION_SETTINGS,
    settings::MIGRATION_FIT,
    settings::MIGRATION_CUTOVER_LIMIT,
    settings::MIGRATION_CUTOVER_SIZE,
    settings::PROJECT_TENANT,
    contacts::INCOMPLETE,
    contacts::LEGACY_DN,
    users::UPN_BLANK,
    users::UPN_SYNTAX,
    users::UPN_LENGTH,
    users::UPN_DOMAIN,
    users::UPN_DUPLICATE,
    users::ALIAS_SYNTAX,
    users::ALIAS_LENGTH,
    users::ALIAS_DUPLICATE,
    users::DISPLAY_NAME_BLANK,
    users::DISPLAY_NAME_LENGTH,
    users::NAME_LENGTH,
    users::PASSWORD_POLICY,
    users::PLAINTEXT_PASSWORDS,
    users::USAGE_LOCATION,
    users::USAGE_LOCATION_MISSING,
    users::FIELD_LENGTH,
];

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_documented() {
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
        for r in RULES {
            assert!(
                r.code.len() == 4 && "FUADGSC".contains(&r.code[..1]),
                "{}",
                r.code
            );
            assert!(
                r.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                r.name
            );
            assert!(!r.summary.is_empty() && !r.hint.is_empty(), "{}", r.code);
            assert!(
                r.explanation.contains("m365-facts")
                    || r.explanation.contains("Microsoft Learn")
                    || r.code.starts_with('F')
                    || r.code.starts_with('S'),
                "{} cites no source",
                r.code
            );
            assert_eq!(by_code(r.code).map(|x| x.name), Some(r.name));
        }
    }
}
