//! Parse PowerShell with tree-sitter-pwsh and check it against the cmdlet catalog.
//!
//! `check_source` is what `cutover check` and the bundle tests call: syntax errors, cmdlets and
//! parameters that do not exist for the target, retired cmdlets and sessions, the playbook's
//! traps, and language features newer than the target's shell. Rules live in `rules.rs`.

pub mod catalog;
mod checks;
mod known;
mod rules;
mod script;
pub mod target;

use std::collections::HashSet;

pub use rules::RULES;
pub use target::{PsVersion, Target, TargetError};

use crate::diag::Finding;

/// Syntax errors as (1-based line, short description); empty when the text parses.
pub fn syntax_errors(text: &str) -> Vec<(usize, String)> {
    match script::parse(text) {
        Some(p) => checks::syntax_errors_in(&p.tree, &p.src),
        None => vec![(1, "the parser gave up on this text".to_string())],
    }
}

/// Names of the functions a script defines (`function Verb-Noun`, `filter ...`).
pub fn defined_functions(text: &str) -> Vec<String> {
    match script::parse(text) {
        Some(p) => script::Script::read(&p.tree, &p.src).functions,
        None => Vec::new(),
    }
}

/// Checks one script for `target`. `extra_functions` are commands defined elsewhere (e.g. the
/// bundle's module) that the script may call. Findings come sorted by line.
pub fn check_source(
    text: &str,
    file: &str,
    target: Target,
    extra_functions: &[String],
) -> Vec<Finding> {
    check_source_for(text, file, &[target], extra_functions)
}

/// Checks one script that runs against several targets at once (a jump-box script that loads
/// both Exchange Online and Graph): a cmdlet or parameter any of them has is accepted, and
/// language features are checked against the oldest shell among them. No targets, no findings.
pub fn check_source_for(
    text: &str,
    file: &str,
    targets: &[Target],
    extra_functions: &[String],
) -> Vec<Finding> {
    let Some(&target) = targets.iter().min_by_key(|t| t.min_shell()) else {
        return Vec::new();
    };
    let Some(parsed) = script::parse(text) else {
        return vec![Finding {
            code: rules::SYNTAX.code,
            severity: rules::SYNTAX.severity,
            file: Some(file.to_string()),
            line: None,
            column: None,
            value: None,
            message: "the parser gave up on this text".into(),
            hint: rules::SYNTAX.hint.into(),
        }];
    };
    let (tree, text) = (&parsed.tree, parsed.src.as_str());
    let script = script::Script::read(tree, text);
    let functions: HashSet<String> = script
        .functions
        .iter()
        .chain(extra_functions)
        .map(|f| f.to_ascii_lowercase())
        .collect();
    let mut checker = checks::Checker {
        src: text,
        file,
        target,
        targets: targets.to_vec(),
        tree,
        script: &script,
        functions,
        catalog: catalog::Catalog::get(),
        findings: Vec::new(),
    };
    checker.run();
    let mut findings = checker.findings;
    findings.sort_by(|a, b| a.line.cmp(&b.line).then(a.code.cmp(b.code)));
    findings
}
