//! PS020: a getter that returns one page (1,000 Exchange objects, 100 Graph users) by default
//! whose output reaches a command that changes things.

use tree_sitter::Node;

use super::{script, starts_with_ignore_case, Checker};
use crate::check::known::{self, Capped};
use crate::check::rules;
use crate::check::script::{Arg, Command};

impl Checker<'_, '_> {
    /// PS020: a capped getter whose output reaches a command that changes things.
    pub(super) fn check_capped_getters(&mut self) {
        let mut hits: Vec<(usize, &'static Capped, String)> = Vec::new();
        for (&node, &scope) in self.script.nodes.iter().zip(&self.script.scopes) {
            match node.kind() {
                "pipeline_chain" => {
                    let mut c = node.walk();
                    let parts: Vec<Node<'_>> = node.named_children(&mut c).collect();
                    for (i, part) in parts.iter().enumerate() {
                        let rest = parts.get(i + 1..).unwrap_or(&[]);
                        if !rest.iter().any(|n| self.consumes_within(*n)) {
                            break;
                        }
                        if let Some((cmd, spec)) = self.capped_at(*part) {
                            hits.push((cmd.line, spec, cmd.name.clone()));
                        } else if let Some(var) = leading_variable(*part, self.src) {
                            if let Some((cmd, spec)) = self.capped_variable(&var, scope, node) {
                                hits.push((
                                    script::line(node),
                                    spec,
                                    format!("{} (via ${var})", cmd.name),
                                ));
                            }
                        }
                    }
                }
                "foreach_statement" => {
                    let mut c = node.walk();
                    let kids: Vec<Node<'_>> = node.named_children(&mut c).collect();
                    let source = kids.iter().find(|n| n.kind() == "pipeline");
                    let body = kids.iter().find(|n| n.kind() == "statement_block");
                    if let (Some(source), Some(body)) = (source, body) {
                        if self.consumes_within(*body) {
                            if let Some(var) = leading_variable(*source, self.src) {
                                if let Some((cmd, spec)) = self.capped_variable(&var, scope, node) {
                                    hits.push((
                                        script::line(node),
                                        spec,
                                        format!("{} (via ${var})", cmd.name),
                                    ));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        hits.sort_by_key(|h| h.0);
        hits.dedup_by(|a, b| a.0 == b.0 && a.2 == b.2);
        for (line, spec, what) in hits {
            self.add_hint(
                &rules::RESULT_SIZE,
                line,
                Some(spec.lift),
                format!(
                    "{what} returns at most {} objects without {}, and its output feeds a change \
                     or an export: the rest are silently skipped",
                    thousands(spec.default_cap),
                    spec.fix
                ),
                format!("add {} to {}", spec.fix, spec.cmdlet),
            );
        }
    }

    fn capped_at(&self, node: Node<'_>) -> Option<(&Command<'_>, &'static Capped)> {
        let cmd = self.command_at(node)?;
        capped(cmd, self).map(|spec| (cmd, spec))
    }

    fn capped_variable(
        &self,
        var: &str,
        scope: usize,
        at: Node<'_>,
    ) -> Option<(&Command<'_>, &'static Capped)> {
        let cmd = self.script.assigned_command(scope, var, at.start_byte())?;
        capped(cmd, self).map(|spec| (cmd, spec))
    }

    fn command_at(&self, node: Node<'_>) -> Option<&Command<'_>> {
        if node.kind() != "command" {
            return None;
        }
        let i = self
            .script
            .commands
            .binary_search_by_key(&node.start_byte(), |c| c.node.start_byte())
            .ok()?;
        self.script.commands.get(i)
    }

    /// Whether a command inside `node` changes Exchange or Graph objects or writes the
    /// objects out (an export missing all but the first page is as silent a loss).
    fn consumes_within(&self, node: Node<'_>) -> bool {
        let cmds = &self.script.commands;
        let from = cmds.partition_point(|c| c.node.start_byte() < node.start_byte());
        cmds.get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.node.start_byte() < node.end_byte())
            .any(|c| {
                let name = known::resolve_alias(&c.name);
                let changes = !known::is_core(name)
                    && known::CHANGING_VERBS
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(c.verb()));
                changes || known::WRITERS.iter().any(|w| w.eq_ignore_ascii_case(name))
            })
    }
}

/// The getter spec when `cmd` is a capped getter called without lifting the cap or selecting.
fn capped(cmd: &Command<'_>, ck: &Checker<'_, '_>) -> Option<&'static Capped> {
    let name = known::resolve_alias(&cmd.name);
    let spec = known::CAPPED_GETTERS
        .iter()
        .find(|s| s.cmdlet.eq_ignore_ascii_case(name))?;
    if spec.positional_selects && cmd.args.iter().any(|a| matches!(a, Arg::Positional(_))) {
        return None;
    }
    let splats = ck.resolved_splats(cmd);
    // An unresolvable splat may lift the cap: give it the benefit of the doubt.
    let unresolved = cmd
        .args
        .iter()
        .filter(|a| matches!(a, Arg::Splat { .. }))
        .count()
        > splats.len();
    if unresolved {
        return None;
    }
    let given = ck.given(cmd, &splats);
    let names_it = |canonical: &str| {
        given
            .iter()
            .any(|g| !g.written.is_empty() && starts_with_ignore_case(canonical, g.written))
    };
    if names_it(spec.lift) || spec.selects.iter().any(|s| names_it(s)) {
        return None;
    }
    Some(spec)
}

fn leading_variable(node: Node<'_>, src: &str) -> Option<String> {
    let mut n = node;
    while matches!(n.kind(), "unary_expression" | "pipeline" | "pipeline_chain") {
        n = n.named_child(0)?;
    }
    if n.kind() != "variable" {
        return None;
    }
    let t = script::text(n, src).strip_prefix('$')?;
    (!t.is_empty()).then(|| t.to_ascii_lowercase())
}

fn thousands(n: u32) -> String {
    match (n / 1000, n % 1000) {
        (0, rest) => rest.to_string(),
        (k, rest) => format!("{k},{rest:03}"),
    }
}
