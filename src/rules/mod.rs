//! Lint rules: each a stable code plus a small function. The registry below is the one list
//! `cutover rules` prints and the docs are generated from.

use serde::Serialize;

use crate::diag::Severity;

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

pub fn by_code(code: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.code == code)
}

/// The lint rules (file, users, addresses, export damage, groups and members).
pub static RULES: &[Rule] = &[];
