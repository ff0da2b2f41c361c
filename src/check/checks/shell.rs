//! PS030: language features newer than the target's shell.

use std::collections::HashSet;

use tree_sitter::Node;

use super::{script, Checker};
use crate::check::known;
use crate::check::rules;
use crate::check::target::PsVersion;

impl Checker<'_, '_> {
    pub(super) fn shell(
        &mut self,
        line: usize,
        column: Option<&str>,
        what: &str,
        since: PsVersion,
    ) {
        self.add(
            &rules::SHELL_VERSION,
            Some(line),
            column,
            format!(
                "{what} needs PowerShell {}; {} scripts run in {}",
                since.as_str(),
                self.target,
                self.target.shell_label()
            ),
        );
    }

    /// PS030 for language features (not commands).
    pub(super) fn check_syntax_features(&mut self) {
        let version = self.target.min_shell();
        if version >= PsVersion::V7 {
            return;
        }
        let module = self.is_module();
        let mut seen: HashSet<(usize, &'static str)> = HashSet::new();
        for &node in &self.script.nodes {
            let t = script::text(node, self.src);
            let feature: Option<(&'static str, PsVersion)> = match node.kind() {
                "type_literal" => {
                    let name = t.trim_matches(['[', ']']).trim().to_ascii_lowercase();
                    known::NEWER_TYPES
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(n, v)| {
                            (
                                if *n == "ordered" {
                                    "[ordered]"
                                } else {
                                    "[pscustomobject]"
                                },
                                *v,
                            )
                        })
                }
                "variable" => {
                    let name = t
                        .trim_start_matches('$')
                        .trim_matches(['{', '}'])
                        .to_ascii_lowercase();
                    match name.as_str() {
                        _ if t.starts_with('@') => Some(("splatting (@name)", PsVersion::V2)),
                        "psitem" => Some(("$PSItem", PsVersion::V3)),
                        "psscriptroot" if !module => {
                            Some(("$PSScriptRoot outside a module", PsVersion::V3))
                        }
                        "psscriptroot" => Some(("$PSScriptRoot", PsVersion::V2)),
                        "pscommandpath" => Some(("$PSCommandPath", PsVersion::V3)),
                        "pscmdlet" => Some(("$PSCmdlet", PsVersion::V2)),
                        "psboundparameters" => Some(("$PSBoundParameters", PsVersion::V2)),
                        "psversiontable" => Some(("$PSVersionTable", PsVersion::V2)),
                        n if n.starts_with("using:") => Some(("$using: variables", PsVersion::V3)),
                        _ => None,
                    }
                }
                "try_statement" | "catch_clause" | "finally_clause" => {
                    Some(("try/catch/finally (use trap)", PsVersion::V2))
                }
                "data_statement" => Some(("data sections", PsVersion::V2)),
                // Named attributes ([CmdletBinding()], [Parameter()], [ValidateX()]); type
                // constraints such as [string] are type literals and fine in 1.0.
                "attribute" if has_child(node, "attribute_name") => Some((
                    "attributes such as [CmdletBinding()] and [Parameter()]",
                    PsVersion::V2,
                )),
                "comment" if t.starts_with("<#") => Some(("block comments <# #>", PsVersion::V2)),
                "block_name" if t.eq_ignore_ascii_case("dynamicparam") => {
                    Some(("dynamicparam blocks", PsVersion::V2))
                }
                kind if !node.is_named() && kind.starts_with('-') => {
                    match kind.trim_start_matches('-').to_ascii_lowercase().as_str() {
                        "join" => Some(("the -join operator", PsVersion::V2)),
                        "split" | "isplit" | "csplit" => {
                            Some(("the -split operator", PsVersion::V2))
                        }
                        "shl" | "shr" => Some(("the -shl/-shr operators", PsVersion::V3)),
                        _ => None,
                    }
                }
                "comparison_operator" => match t.to_ascii_lowercase().as_str() {
                    "-in" | "-iin" | "-cin" => Some(("the -in operator", PsVersion::V3)),
                    "-notin" | "-inotin" | "-cnotin" => {
                        Some(("the -notin operator", PsVersion::V3))
                    }
                    _ => None,
                },
                "invocation_foreach_expression" => Some(("the .ForEach() method", PsVersion::V4)),
                "invocation_where_expression" => Some(("the .Where() method", PsVersion::V4)),
                "invocation_expression" => member_call(node, self.src),
                "class_statement" => Some(("class definitions", PsVersion::V5)),
                "enum_statement" => Some(("enum definitions", PsVersion::V5)),
                "using_statement" => Some(("using statements", PsVersion::V5)),
                "command_name" if t.eq_ignore_ascii_case("using") => {
                    Some(("using statements", PsVersion::V5))
                }
                "ternary_expression" => Some(("the ternary operator (a ? b : c)", PsVersion::V7)),
                "null_coalesce_expression" => Some(("the ?? operator", PsVersion::V7)),
                "pipeline_chain_tail" => Some(("&& and || between pipelines", PsVersion::V7)),
                "assignment_operator" if t.trim() == "??=" => {
                    Some(("the ??= operator", PsVersion::V7))
                }
                _ => None,
            };
            if let Some((what, since)) = feature {
                let line = script::line(node);
                if since > version && seen.insert((line, what)) {
                    self.shell(line, None, what, since);
                }
            }
        }
    }
}

fn member_call(node: Node<'_>, src: &str) -> Option<(&'static str, PsVersion)> {
    let mut c = node.walk();
    let member = node
        .named_children(&mut c)
        .find(|n| n.kind() == "member_name")?;
    let name = script::text(member, src).to_ascii_lowercase();
    let t = script::text(node, src);
    match name.as_str() {
        "getnewclosure" => Some(("the .GetNewClosure() method", PsVersion::V2)),
        "foreach" => Some(("the .ForEach() method", PsVersion::V4)),
        "where" => Some(("the .Where() method", PsVersion::V4)),
        "new" if t.contains("]::") => Some(("[Type]::new()", PsVersion::V5)),
        _ => None,
    }
}

fn has_child(node: Node<'_>, kind: &str) -> bool {
    let mut c = node.walk();
    let found = node.children(&mut c).any(|k| k.kind() == kind);
    found
}
