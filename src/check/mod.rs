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

/// A script's text as its shell reads it.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// The bytes were UTF-8 with non-ASCII characters and no BOM, read as Windows-1252.
    pub misread_utf8: bool,
}

/// Whether the oldest shell among `targets` is Windows PowerShell, which reads a file without a
/// byte-order mark in the ANSI code page (Windows-1252 here); PowerShell 7 reads it as UTF-8.
pub fn reads_as_ansi(targets: &[Target]) -> bool {
    targets.iter().any(|t| t.min_shell() < PsVersion::V6)
}

/// Decodes script bytes the way the shell does: a BOM decides; without one, Windows PowerShell
/// uses Windows-1252 (so `0x93`/`0x94` are typographic quotes, which are quotes to PowerShell)
/// and PowerShell 7 uses UTF-8 (falling back to Windows-1252 for bytes that are not UTF-8).
pub fn decode_script(bytes: &[u8], ansi: bool) -> Decoded {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        return Decoded {
            text: enc.decode(bytes).0.into_owned(),
            misread_utf8: false,
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if !ansi || s.is_ascii() => Decoded {
            text: s.to_string(),
            misread_utf8: false,
        },
        utf8 => Decoded {
            text: encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
            misread_utf8: utf8.is_ok(),
        },
    }
}

/// PS031 for a file `decode_script` flagged.
pub fn misread_utf8_finding(file: &str) -> Finding {
    Finding {
        code: rules::ANSI_ENCODING.code,
        severity: rules::ANSI_ENCODING.severity,
        file: Some(file.to_string()),
        line: None,
        column: None,
        value: None,
        message: "the file is UTF-8 without a byte-order mark: Windows PowerShell reads it as \
                  Windows-1252, so every non-ASCII character (accents, typographic quotes) \
                  changes"
            .into(),
        hint: rules::ANSI_ENCODING.hint.into(),
    }
}

/// Syntax errors as (1-based line, short description); empty when the text parses.
pub fn syntax_errors(text: &str) -> Vec<(usize, String)> {
    match script::parse(text) {
        Some(p) => checks::syntax_errors_in(&p.tree, &p.src),
        None => vec![(1, "the parser gave up on this text".to_string())],
    }
}

/// Whether `name` is a command of the PowerShell 5.1 or 7 core modules (or one of their
/// aliases cutover resolves).
pub fn is_core_command(name: &str) -> bool {
    known::is_core(known::resolve_alias(name))
}

/// Names of the functions a script defines (`function Verb-Noun`, `filter ...`).
pub fn defined_functions(text: &str) -> Vec<String> {
    match script::parse(text) {
        Some(p) => {
            let mut names = script::Script::read(&p.tree, &p.src).functions;
            if p.tree.root_node().has_error() {
                names.extend(script::lexical_functions(&p.src));
            }
            names
        }
        None => script::lexical_functions(text),
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
    // A syntax error can hide a definition from the tree; PowerShell would not run the script,
    // but calls to the function are not "unknown" either.
    let lexical = if tree.root_node().has_error() {
        script::lexical_functions(text)
    } else {
        Vec::new()
    };
    let functions: HashSet<String> = script
        .functions
        .iter()
        .chain(extra_functions)
        .chain(&lexical)
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
        first_error: None,
        errors: checks::ErrorFacts::read(&script.nodes, text),
        unset_identity_vars: None,
        counts: std::collections::HashMap::new(),
    };
    checker.run();
    let mut findings = checker.findings;
    findings.sort_by(|a, b| a.line.cmp(&b.line).then(a.code.cmp(b.code)));
    findings
}
