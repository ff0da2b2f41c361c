//! PS001: ERROR and MISSING nodes of the parse tree, minus the grammar's known false alarms.

use tree_sitter::Tree;

use super::{script, short};

/// ERROR and MISSING nodes as (line, short description), outermost errors only, then the
/// errors PowerShell reports that the grammar accepts.
pub fn syntax_errors_in(tree: &Tree, src: &str) -> Vec<(usize, String)> {
    let mut out = grammar_errors(tree, src);
    out.extend(reserved_operators(tree, src));
    out.sort();
    out
}

/// `-Password <password>`: the grammar reads `<password>` as a bareword, PowerShell stops at
/// `<` ("The '<' operator is reserved for future use") when it begins an argument.
fn reserved_operators(tree: &Tree, src: &str) -> Vec<(usize, String)> {
    if !src.contains('<') {
        return Vec::new();
    }
    script::nodes(tree)
        .into_iter()
        .filter(|n| n.kind() == "generic_token" && script::text(*n, src).starts_with('<'))
        .map(|n| {
            (
                script::line(n),
                format!(
                    "the '<' operator is reserved for future use (near `{}`): quote the value",
                    short(script::text(n, src))
                ),
            )
        })
        .collect()
}

fn grammar_errors(tree: &Tree, src: &str) -> Vec<(usize, String)> {
    let root = tree.root_node();
    if !root.has_error() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let mut descend = node.has_error() && !script::is_bareword_array_error(node);
        if node.is_missing() {
            out.push((script::line(node), format!("missing `{}`", node.kind())));
            descend = false;
        } else if node.is_error() && !script::is_bareword_array_error(node) {
            let snippet = short(script::text(node, src));
            out.push((script::line(node), format!("syntax error near `{snippet}`")));
            descend = false;
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}
