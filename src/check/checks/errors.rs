//! PS022: a module command inside `try` whose errors never reach the `catch`; PS023: an
//! `-Identity` variable the script never sets.

use crate::check::catalog::Cmdlet;
use crate::check::rules;
use crate::check::script::{self, Command};

use super::{short, Checker, Given};

/// Where `try` bodies are and from where an ErrorAction default is in effect.
#[derive(Debug, Default)]
pub struct ErrorFacts {
    /// Byte ranges of `try { ... }` bodies (not their catch or finally blocks).
    pub try_bodies: Vec<(usize, usize)>,
    /// The offset of the first statement that makes Stop the default for every command:
    /// `$PSDefaultParameterValues['*:ErrorAction'] = 'Stop'` (or `.Add(...)`, or a literal
    /// with that key), or `$global:ErrorActionPreference = 'Stop'`.
    pub default_from: Option<usize>,
}

impl ErrorFacts {
    pub fn read(nodes: &[tree_sitter::Node<'_>], src: &str) -> ErrorFacts {
        let mut facts = ErrorFacts::default();
        for node in nodes {
            if node.kind() != "try_statement" {
                continue;
            }
            let mut c = node.walk();
            let body = node
                .named_children(&mut c)
                .find(|n| n.kind() == "statement_block");
            if let Some(body) = body {
                facts.try_bodies.push((body.start_byte(), body.end_byte()));
            }
        }
        let mut offset = 0;
        for line in src.split_inclusive('\n') {
            let code = line.split('#').next().unwrap_or("").to_ascii_lowercase();
            let stop = code.contains("stop");
            let default =
                code.contains("psdefaultparametervalues") && code.contains("*:erroraction");
            let global = code.contains("$global:erroractionpreference");
            if stop && (default || global) {
                facts.default_from = Some(offset);
                break;
            }
            offset += line.len();
        }
        facts
    }
}

/// Automatic variables PowerShell sets itself.
const AUTOMATIC: &[&str] = &[
    "_",
    "psitem",
    "args",
    "input",
    "this",
    "matches",
    "true",
    "false",
    "null",
    "pscmdlet",
    "psboundparameters",
    "myinvocation",
    "psscriptroot",
    "pscommandpath",
    "host",
    "home",
    "pwd",
    "error",
    "lastexitcode",
    "sender",
    "event",
    "eventargs",
];

impl Checker<'_, '_> {
    pub(super) fn check_errors_reach_catch(
        &mut self,
        cmdlet: &Cmdlet,
        cmd: &Command<'_>,
        given: &[Given<'_>],
        canonical: &[Option<String>],
    ) {
        let at = cmd.node.start_byte();
        let in_try = self
            .errors
            .try_bodies
            .iter()
            .any(|(s, e)| *s <= at && at < *e);
        if !in_try || self.errors.default_from.is_some_and(|d| d < at) {
            return;
        }
        let action = given
            .iter()
            .zip(canonical)
            .find(|(_, n)| n.as_deref() == Some("ErrorAction"))
            .map(|(g, _)| g);
        if let Some(g) = action {
            // Stop, a value not known here (a variable), or errors deliberately silenced
            // (a probe such as `Get-Mailbox x -ErrorAction SilentlyContinue`): nothing to say.
            let literal = g.value.and_then(|v| v.literal.clone());
            if literal.map_or(true, |l| {
                ["stop", "silentlycontinue", "ignore"]
                    .iter()
                    .any(|ok| l.eq_ignore_ascii_case(ok))
            }) {
                return;
            }
        }
        self.add(
            &rules::TRY_WITHOUT_STOP,
            Some(cmd.line),
            None,
            format!(
                "{} inside try runs without -ErrorAction Stop and no ErrorAction default is in \
                 effect: its non-terminating errors never reach the catch",
                cmdlet.name
            ),
        );
    }

    pub(super) fn check_identity_variable(
        &mut self,
        given: &[Given<'_>],
        canonical: &[Option<String>],
    ) {
        let Some(g) = given
            .iter()
            .zip(canonical)
            .find(|(g, n)| n.as_deref() == Some("Identity") && g.splat.is_none())
            .map(|(g, _)| g)
        else {
            return;
        };
        let Some(var) = g.value.and_then(|v| v.variable.clone()) else {
            return;
        };
        if var.contains(':') || AUTOMATIC.contains(&var.as_str()) || self.dot_sources() {
            return;
        }
        if self.unset_identity_vars.is_none() {
            let vars = identity_only_variables(self.script, self.src);
            self.unset_identity_vars = Some(vars);
        }
        if self
            .unset_identity_vars
            .as_ref()
            .is_some_and(|v| v.contains(&var))
        {
            self.add(
                &rules::IDENTITY_UNSET,
                Some(g.line),
                Some("Identity"),
                format!(
                    "-Identity {} uses a variable this script never sets: the command runs with \
                     an empty identity",
                    short(g.value.map_or("", |v| v.raw.as_str()))
                ),
            );
        }
    }

    /// A script that dot-sources another may get its variables from it.
    fn dot_sources(&self) -> bool {
        self.src.lines().any(|l| {
            let t = l.trim_start();
            t.starts_with(". ") && t.len() > 2
        })
    }
}

/// Variables whose every mention in the text is an `-Identity` value: never assigned, looped
/// over, declared as a parameter or named by `-OutVariable`/`Set-Variable`.
fn identity_only_variables(script: &script::Script<'_>, src: &str) -> Vec<String> {
    use std::collections::HashMap;
    let mut identity_uses: HashMap<String, usize> = HashMap::new();
    for cmd in &script.commands {
        for arg in &cmd.args {
            if let script::Arg::Param {
                name,
                value: Some(v),
                ..
            } = arg
            {
                let is_identity = !name.is_empty()
                    && "identity".starts_with(&name.to_ascii_lowercase())
                    && name.len() >= 2;
                if let (true, Some(var)) = (is_identity, &v.variable) {
                    *identity_uses.entry(var.clone()).or_default() += 1;
                }
            }
        }
    }
    // Comments do not set variables (`# $Guid comes from ...`).
    let lower: String = src
        .lines()
        .map(|l| {
            let code = match l.find(" #") {
                Some(i) => &l[..i],
                None if l.trim_start().starts_with('#') => "",
                None => l,
            };
            format!("{}\n", code.to_ascii_lowercase())
        })
        .collect();
    identity_uses
        .into_iter()
        .filter(|(var, uses)| mentions(&lower, var) == *uses)
        .map(|(var, _)| var)
        .collect()
}

/// Whole-word mentions of `word` in `text` (with or without `$`).
fn mentions(text: &str, word: &str) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
        .count()
}
