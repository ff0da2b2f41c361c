//! One walk over a tree-sitter-pwsh tree, turning nodes into the facts the checks read:
//! commands with their arguments, hashtable variables usable as splats, function definitions.

use std::collections::HashMap;

use tree_sitter::{Node, Parser, Tree};

/// A parse tree and the text it was parsed from.
pub struct Parsed {
    pub tree: Tree,
    /// The source, with the grammar workaround below applied (same length and lines).
    pub src: String,
}

/// Parses PowerShell source. `None` only if tree-sitter gives up (it normally returns a tree
/// with ERROR nodes instead).
///
/// tree-sitter-pwsh 0.38 is wrong about a few things PowerShell accepts; the text is normalised
/// so that they parse (same lines; offsets refer to `Parsed::src`):
/// - typographic quotes and dashes, which PowerShell's tokenizer treats as `"` `'` `-`
///   (`$svc.AutoDiscoverUrl(“user@contoso.com”)`, `Get-Mailbox –Identity x`), become ASCII;
/// - a function whose `param(...)` block is followed by a statement on the same line
///   (`function F { param($a) $a }`): the space after the block becomes `;`;
/// - an index or member after a method call in a command argument (`Write-Host
///   $a.Split('x')[0]`, `$a.Trim().Length`): the argument is put in parentheses, which
///   PowerShell reads the same way;
/// - a label after `break` / `continue` (`break outer`): the label is blanked (the checks do
///   not follow loops);
/// - `default` on the same line as the clause before it (`'a' { 1 } default { 2 }`): a `;`
///   goes between them.
pub fn parse(text: &str) -> Option<Parsed> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_pwsh::LANGUAGE.into())
        .ok()?;
    let mut src = normalise_typography(text);
    let mut tree = parser.parse(&src, None)?;
    // Each round fixes every case found; nested ones may need another round.
    for _ in 0..8 {
        if !tree.root_node().has_error() {
            break;
        }
        let mut edits = param_block_fixes(&tree, &src);
        edits.extend(index_after_call_fixes(&tree, &src));
        edits.extend(loop_label_fixes(&tree, &src));
        edits.extend(switch_default_fixes(&tree, &src));
        if edits.is_empty() {
            break;
        }
        // Applied from the end so that earlier offsets stay valid.
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        edits.dedup_by_key(|e| e.0);
        for (at, edit) in edits {
            match edit {
                Edit::Replace(with) => {
                    if src.is_char_boundary(at) && src.is_char_boundary(at + 1) {
                        src.replace_range(at..at + 1, with);
                    }
                }
                Edit::Insert(what) => {
                    if src.is_char_boundary(at) {
                        src.insert_str(at, what);
                    }
                }
                Edit::Blank(len) => {
                    let end = at + len;
                    if src.is_char_boundary(at) && src.is_char_boundary(end) && end <= src.len() {
                        src.replace_range(at..end, &" ".repeat(len));
                    }
                }
            }
        }
        tree = parser.parse(&src, None)?;
    }
    Some(Parsed { tree, src })
}

/// `switch ($x) { 'a' { 1 } default { 2 } }`: the grammar wants a separator before `default`.
fn switch_default_fixes(tree: &Tree, src: &str) -> Vec<(usize, Edit)> {
    let mut fixes = Vec::new();
    for node in nodes(tree) {
        if !node.is_error() || node.parent().map(|p| p.kind()) != Some("switch_clause") {
            continue;
        }
        let mut c = node.walk();
        let kids: Vec<Node<'_>> = node.children(&mut c).collect();
        for pair in kids.windows(2) {
            let (block, word) = (pair[0], pair[1]);
            if block.kind() == "statement_block"
                && text(word, src).trim().eq_ignore_ascii_case("default")
            {
                let at = block.end_byte();
                fixes.push(match src.as_bytes().get(at) {
                    Some(b' ' | b'\t') => (at, Edit::Replace(";")),
                    _ => (at, Edit::Insert(";")),
                });
            }
        }
    }
    fixes
}

/// `break outer` / `continue outer`: the grammar has no label there.
fn loop_label_fixes(tree: &Tree, src: &str) -> Vec<(usize, Edit)> {
    let mut fixes = Vec::new();
    for node in nodes(tree) {
        if !node.is_error() {
            continue;
        }
        let t = text(node, src);
        let lower = t.to_ascii_lowercase();
        let Some(keyword) = ["break", "continue"]
            .into_iter()
            .find(|k| lower.starts_with(k))
        else {
            continue;
        };
        let rest = &t[keyword.len()..];
        let label = rest.trim_start_matches([' ', '\t']);
        let gap = rest.len() - label.len();
        let len = label
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if gap > 0 && len > 0 {
            fixes.push((node.start_byte() + keyword.len() + gap, Edit::Blank(len)));
        }
    }
    fixes
}

/// A change to the source at a byte offset (see `parse`).
enum Edit {
    /// Replace the one ASCII byte there.
    Replace(&'static str),
    Insert(&'static str),
    /// Replace this many bytes (ASCII, on one line) with spaces.
    Blank(usize),
}

/// Typographic quotes and dashes as the ASCII characters PowerShell's tokenizer takes them for
/// (its `SpecialChars`: U+2018-U+201B are single quotes, U+201C-U+201E double quotes,
/// U+2013-U+2015 dashes). No line breaks change.
fn normalise_typography(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{201e}' => '"',
            '\u{2013}' | '\u{2014}' | '\u{2015}' => '-',
            other => other,
        })
        .collect()
}

fn param_block_fixes(tree: &Tree, src: &str) -> Vec<(usize, Edit)> {
    let mut fixes = Vec::new();
    for node in nodes(tree) {
        if !node.is_error() || node.parent().map(|p| p.kind()) != Some("function_statement") {
            continue;
        }
        let Some(block) = node.named_child(0).filter(|b| b.kind() == "param_block") else {
            continue;
        };
        let at = block.end_byte();
        if matches!(src.as_bytes().get(at), Some(b' ' | b'\t')) {
            fixes.push((at, Edit::Replace(";")));
        }
    }
    fixes
}

/// `Cmd $a.Split('x')[0]`: the grammar reads the argument as `$a.Split` and `('x')`, then fails
/// on `[` (or on `.` in `$a.Trim().Length`). The argument (from its first token to the end of the index and any member access or
/// call that follows without a space) is wrapped in parentheses.
fn index_after_call_fixes(tree: &Tree, src: &str) -> Vec<(usize, Edit)> {
    let mut fixes = Vec::new();
    for node in nodes(tree) {
        if !node.is_error() {
            continue;
        }
        let mut c = node.walk();
        let kids: Vec<Node<'_>> = node.children(&mut c).collect();
        // The ERROR holds the command and the `[` that follows it ...
        let mut found: Vec<(Vec<Node<'_>>, usize)> = Vec::new();
        for pair in kids.windows(2) {
            let (command, bracket) = (pair[0], pair[1]);
            if command.kind() == "command"
                && matches!(bracket.kind(), "[" | ".")
                && bracket.start_byte() == command.end_byte()
            {
                let mut c2 = command.walk();
                let elements = command
                    .children(&mut c2)
                    .find(|n| n.kind() == "command_elements");
                if let Some(elements) = elements {
                    let mut c3 = elements.walk();
                    found.push((elements.children(&mut c3).collect(), bracket.start_byte()));
                }
            }
        }
        // ... or starts with the `[`, inside the command's elements.
        if kids.first().is_some_and(|k| matches!(k.kind(), "[" | ".")) {
            // The parent is the command's elements, or an ERROR holding them flattened.
            if let Some(parent) = node.parent() {
                let mut c2 = parent.walk();
                let before: Vec<Node<'_>> = parent
                    .children(&mut c2)
                    .take_while(|k| k.start_byte() < node.start_byte())
                    .collect();
                found.push((before, node.start_byte()));
            }
        }
        for (elements, bracket) in found {
            let Some(start) = glued_argument_start(&elements, bracket) else {
                continue;
            };
            let Some(end) = glued_end(src, bracket) else {
                continue;
            };
            fixes.push((start, Edit::Insert("(")));
            fixes.push((end, Edit::Insert(")")));
        }
    }
    fixes
}

/// Where the argument that ends at `bracket` begins: the command's last elements, back to the
/// first one that follows a separator, when the last is a method call's argument list.
fn glued_argument_start(elements: &[Node<'_>], bracket: usize) -> Option<usize> {
    let last = elements.last()?;
    if last.kind() != "argument_list" || last.end_byte() != bracket {
        return None;
    }
    let mut start = last.start_byte();
    for k in elements.iter().rev().skip(1) {
        if k.kind() == "command_argument_sep" || k.end_byte() != start {
            break;
        }
        start = k.start_byte();
    }
    (start < last.start_byte()).then_some(start)
}

/// The end of `[...]` at `at` and of any `[...]`, `.name` or `(...)` glued to it, skipping
/// quoted text; `None` when the brackets do not close on the line.
fn glued_end(src: &str, at: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut i = at;
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    while let Some(&b) = bytes.get(i) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            } else if b == b'\n' {
                return None;
            }
            i += 1;
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'[' | b'(' => depth += 1,
            b']' | b')' => {
                depth = depth.checked_sub(1)?;
            }
            b'\n' | b'\r' if depth > 0 => return None,
            b'.' if depth == 0 => {}
            _ if depth == 0 && !(b.is_ascii_alphanumeric() || b == b'_') => break,
            _ => {}
        }
        i += 1;
    }
    (depth == 0 && quote.is_none() && i > at).then_some(i)
}

/// Names after `function` / `filter` at the start of a line, read from the text alone (for a
/// script whose tree has errors).
pub fn lexical_functions(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in src.lines() {
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if !(keyword.eq_ignore_ascii_case("function") || keyword.eq_ignore_ascii_case("filter")) {
            continue;
        }
        if let Some(name) = words.next() {
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// Every node of the tree in document order, without recursion (inputs may nest deeply).
pub fn nodes(tree: &Tree) -> Vec<Node<'_>> {
    nodes_with_scopes(tree).0
}

/// Every node in document order with the scope it runs in: the innermost enclosing function
/// (its start byte + 1), or the script itself (0). Tracked during the walk because asking
/// tree-sitter for a node's parent costs a descent from the root each time.
pub fn nodes_with_scopes(tree: &Tree) -> (Vec<Node<'_>>, Vec<usize>) {
    let mut nodes = Vec::new();
    let mut scopes = Vec::new();
    // Functions being walked: (depth of the function node, scope id of its body).
    let mut frames: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        while frames.last().is_some_and(|(d, _)| *d >= depth) {
            frames.pop();
        }
        nodes.push(node);
        scopes.push(frames.last().map_or(0, |(_, s)| *s));
        if node.kind() == "function_statement" {
            frames.push((depth, node.start_byte() + 1));
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return (nodes, scopes);
            }
            depth = depth.saturating_sub(1);
        }
    }
}

pub fn text<'a>(node: Node<'_>, src: &'a str) -> &'a str {
    src.get(node.byte_range()).unwrap_or("")
}

pub fn line(node: Node<'_>) -> usize {
    node.start_position().row + 1
}

/// A literal value as PowerShell would see it, when it is one: quotes removed.
pub fn literal(node: Node<'_>, src: &str) -> Option<String> {
    let mut n = node;
    // Unwrap the single-child wrappers the grammar puts around values.
    while matches!(
        n.kind(),
        "unary_expression" | "pipeline" | "pipeline_chain" | "argument_expression"
    ) && n.named_child_count() == 1
    {
        n = n.named_child(0)?;
    }
    let t = text(n, src);
    match n.kind() {
        "string_literal" => {
            let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
            // An expandable string with `$` is not a literal.
            if t.starts_with('"') && inner.contains('$') {
                None
            } else {
                Some(inner.to_string())
            }
        }
        "generic_token" | "simple_name" | "integer_literal" | "key_expression" => {
            Some(t.trim().to_string())
        }
        _ => None,
    }
}

/// Where a value came from, enough for the checks that look at values.
#[derive(Debug, Clone)]
pub struct Value {
    /// The literal text (quotes removed) when the value is a plain literal.
    pub literal: Option<String>,
    /// Keys when the value is a hashtable literal (`@{Add=...}`).
    pub hash_keys: Option<Vec<String>>,
    /// The variable name (lowercase, no `$`) when the value is a bare variable.
    pub variable: Option<String>,
    /// Raw source text, for pattern checks.
    pub raw: String,
}

impl Value {
    fn of(node: Node<'_>, src: &str) -> Value {
        let hash = find_hash_literal(node);
        Value {
            literal: literal(node, src),
            hash_keys: hash.map(|h| hash_entries(h, src).into_iter().map(|(k, _)| k).collect()),
            variable: bare_variable(node, src),
            raw: text(node, src).to_string(),
        }
    }
}

/// One argument of a command, in order.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `-Name`, `-Name value` or `-Name:value`; `name` without the dash.
    Param {
        name: String,
        line: usize,
        value: Option<Value>,
        /// `-Name:value` rather than `-Name value`.
        colon: bool,
    },
    /// `@name`: the variable name, lowercase.
    Splat { var: String, line: usize, at: usize },
    /// A positional value.
    Positional(Value),
}

#[derive(Debug, Clone)]
pub struct Command<'t> {
    /// As written, without a module qualifier (`Microsoft.PowerShell.Utility\`).
    pub name: String,
    pub line: usize,
    pub node: Node<'t>,
    pub args: Vec<Arg>,
    pub scope: usize,
}

impl Command<'_> {
    pub fn verb(&self) -> &str {
        self.name.split('-').next().unwrap_or("")
    }
}

/// What is known about a hashtable variable at a point of the script.
#[derive(Debug, Clone)]
enum HashEvent {
    /// `$p = @{...}`: replaces what was known.
    Literal(Vec<(String, Value)>),
    /// `$p.Key = ...`, `$p['Key'] = ...`, `$p.Add('Key', ...)`, `$p += @{...}`.
    Add(Vec<(String, Value)>),
    /// Any other assignment: from here on the keys are unknown.
    Unknown,
}

/// A hashtable's known keys with their values.
pub type Keys = Vec<(String, Value)>;

/// A splat resolved at its call: variable, line, keys.
pub type ResolvedSplat = (String, usize, Keys);

/// A variable (in a scope) and where it was assigned from: byte offset, index of the command.
type Assignments = HashMap<(usize, String), Vec<(usize, Option<usize>)>>;

/// The facts one script yields.
pub struct Script<'t> {
    /// Every node in document order, walked once and shared by the checks.
    pub nodes: Vec<Node<'t>>,
    /// The scope of each node in `nodes` (see `nodes_with_scopes`).
    pub scopes: Vec<usize>,
    pub commands: Vec<Command<'t>>,
    pub functions: Vec<String>,
    /// (scope, variable) -> events in document order (byte offset, event).
    hashes: HashMap<(usize, String), Vec<(usize, HashEvent)>>,
    /// Variables assigned directly from a command: (scope, variable) -> (offset, command index).
    assigned_from: Assignments,
}

/// `$name` / `${name}` -> `name` lowercase; `None` for anything else.
fn variable_name(t: &str) -> Option<String> {
    let t = t.strip_prefix('$')?;
    let t = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(t);
    let t = t.strip_prefix("script:").unwrap_or(t);
    (!t.is_empty()).then(|| t.to_ascii_lowercase())
}

fn bare_variable(node: Node<'_>, src: &str) -> Option<String> {
    let mut n = node;
    while matches!(
        n.kind(),
        "unary_expression" | "pipeline" | "pipeline_chain" | "argument_expression"
    ) && n.named_child_count() == 1
    {
        n = n.named_child(0)?;
    }
    (n.kind() == "variable")
        .then(|| variable_name(text(n, src)))
        .flatten()
}

/// The hashtable literal a value is, possibly through a cast (`[hashtable]@{}`, `[ordered]@{}`).
fn find_hash_literal(node: Node<'_>) -> Option<Node<'_>> {
    let mut n = node;
    loop {
        match n.kind() {
            "hash_literal_expression" => return Some(n),
            "unary_expression"
            | "pipeline"
            | "pipeline_chain"
            | "assignment_value"
            | "argument_expression"
            | "expression_with_unary_operator" => {
                if n.named_child_count() != 1 {
                    return None;
                }
                n = n.named_child(0)?;
            }
            "cast_expression" => {
                let count = n.named_child_count();
                n = n.named_child(count.checked_sub(1)?)?;
            }
            _ => return None,
        }
    }
}

fn hash_entries(hash: Node<'_>, src: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut c = hash.walk();
    for body in hash.named_children(&mut c) {
        if body.kind() != "hash_literal_body" {
            continue;
        }
        let mut c2 = body.walk();
        for entry in body.named_children(&mut c2) {
            if entry.kind() != "hash_entry" {
                continue;
            }
            let mut c3 = entry.walk();
            let mut key = None;
            let mut value = None;
            for part in entry.named_children(&mut c3) {
                match part.kind() {
                    "key_expression" => key = key_name(part, src),
                    _ if value.is_none() => value = Some(Value::of(part, src)),
                    _ => {}
                }
            }
            if let (Some(k), Some(v)) = (key, value) {
                out.push((k, v));
            }
        }
    }
    out
}

fn key_name(key: Node<'_>, src: &str) -> Option<String> {
    let t = text(key, src).trim();
    let unquoted = t
        .strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
        .unwrap_or(t);
    // `'+'` and `'-'` are Exchange's add/remove keys for multi-valued properties.
    let ok = unquoted == "+"
        || (!unquoted.is_empty()
            && unquoted
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-'));
    ok.then(|| unquoted.to_string())
}

impl<'t> Script<'t> {
    pub fn read(tree: &'t Tree, src: &str) -> Script<'t> {
        let (nodes, scopes) = nodes_with_scopes(tree);
        let mut script = Script {
            nodes,
            scopes,
            commands: Vec::new(),
            functions: Vec::new(),
            hashes: HashMap::new(),
            assigned_from: HashMap::new(),
        };
        let mut pending_assign: Vec<(usize, usize, String, Node<'t>)> = Vec::new();
        for i in 0..script.nodes.len() {
            let (Some(&node), Some(&scope)) = (script.nodes.get(i), script.scopes.get(i)) else {
                break;
            };
            match node.kind() {
                "command" => {
                    if let Some(cmd) = read_command(node, scope, src) {
                        script.commands.push(cmd);
                    }
                }
                "ERROR" if is_bareword_array_error(node) => {
                    script
                        .commands
                        .extend(read_error_commands(node, scope, src));
                }
                "function_statement" => {
                    let mut c = node.walk();
                    let name = node
                        .named_children(&mut c)
                        .find(|n| n.kind() == "function_name")
                        .map(|n| text(n, src).trim().to_string());
                    if let Some(name) = name.filter(|n| !n.is_empty()) {
                        script.functions.push(name);
                    }
                }
                "assignment_expression" => {
                    script.read_assignment(node, scope, src, &mut pending_assign);
                }
                "invocation_expression" => script.read_add_call(node, scope, src),
                _ => {}
            }
        }
        // Commands read from ERROR nodes come before the commands nested in them.
        script.commands.sort_by_key(|c| c.node.start_byte());
        // Link `$x = Get-Mailbox ...` to the command once all commands are known.
        for (at, scope, var, value) in pending_assign {
            let start = value.start_byte();
            let i = script
                .commands
                .partition_point(|c| c.node.start_byte() < start);
            let idx = script
                .commands
                .get(i)
                .filter(|c| c.node.start_byte() == start)
                .map(|_| i);
            script
                .assigned_from
                .entry((scope, var))
                .or_default()
                .push((at, idx));
        }
        // Assignments from commands were linked last: restore document order.
        for events in script.assigned_from.values_mut() {
            events.sort_by_key(|(at, _)| *at);
        }
        script
    }

    fn read_assignment(
        &mut self,
        node: Node<'t>,
        scope: usize,
        src: &str,
        pending: &mut Vec<(usize, usize, String, Node<'t>)>,
    ) {
        let mut c = node.walk();
        let kids: Vec<Node<'t>> = node.named_children(&mut c).collect();
        let left = kids
            .iter()
            .find(|n| n.kind() == "left_assignment_expression");
        let op = kids
            .iter()
            .find(|n| n.kind() == "assignment_operator")
            .map(|n| text(*n, src).trim());
        let value = kids.iter().find(|n| n.kind() == "assignment_value");
        let (Some(left), Some(op), Some(value)) = (left, op, value) else {
            return;
        };
        let at = node.start_byte();
        // Strip a type constraint: `[hashtable]$p = ...`.
        let mut target = *left;
        loop {
            match target.kind() {
                "left_assignment_expression"
                | "unary_expression"
                | "expression_with_unary_operator" => {
                    let Some(n) = target.named_child(0) else {
                        return;
                    };
                    target = n;
                }
                "cast_expression" => {
                    let count = target.named_child_count();
                    let Some(n) = count.checked_sub(1).and_then(|i| target.named_child(i)) else {
                        return;
                    };
                    target = n;
                }
                _ => break,
            }
        }
        match target.kind() {
            "variable" => {
                let Some(var) = variable_name(text(target, src)) else {
                    return;
                };
                let event = match (op, find_hash_literal(*value)) {
                    ("=", Some(h)) => HashEvent::Literal(hash_entries(h, src)),
                    ("+=", Some(h)) => HashEvent::Add(hash_entries(h, src)),
                    _ => HashEvent::Unknown,
                };
                self.hashes
                    .entry((scope, var.clone()))
                    .or_default()
                    .push((at, event));
                if op == "=" {
                    if let Some(cmd) = first_command_of(*value) {
                        pending.push((at, scope, var, cmd));
                    } else {
                        self.assigned_from
                            .entry((scope, var))
                            .or_default()
                            .push((at, None));
                    }
                }
            }
            // `$p['Key'] = v` and `$p.Key = v` add a key to a known hashtable.
            "element_access" | "member_access" => {
                let mut c = target.walk();
                let parts: Vec<Node<'t>> = target.named_children(&mut c).collect();
                let Some(var) = parts
                    .first()
                    .filter(|n| n.kind() == "variable")
                    .and_then(|n| variable_name(text(*n, src)))
                else {
                    return;
                };
                let key = parts.get(1).and_then(|k| match k.kind() {
                    "member_name" => key_name(*k, src),
                    _ => literal(*k, src),
                });
                let event = match key {
                    Some(k) => HashEvent::Add(vec![(k, Value::of(*value, src))]),
                    None => HashEvent::Unknown,
                };
                self.hashes
                    .entry((scope, var))
                    .or_default()
                    .push((at, event));
            }
            _ => {}
        }
    }

    /// `$p.Add('Key', value)`.
    fn read_add_call(&mut self, node: Node<'t>, scope: usize, src: &str) {
        let mut c = node.walk();
        let parts: Vec<Node<'t>> = node.named_children(&mut c).collect();
        let (Some(var), Some(member), Some(args)) = (parts.first(), parts.get(1), parts.get(2))
        else {
            return;
        };
        if var.kind() != "variable"
            || member.kind() != "member_name"
            || !text(*member, src).eq_ignore_ascii_case("add")
        {
            return;
        }
        let Some(var) = variable_name(text(*var, src)) else {
            return;
        };
        let list = args
            .named_child(0)
            .filter(|n| n.kind() == "argument_expression_list");
        let Some(list) = list else { return };
        let mut c2 = list.walk();
        let items: Vec<Node<'t>> = list.named_children(&mut c2).collect();
        let event = match (items.first().and_then(|k| literal(*k, src)), items.get(1)) {
            (Some(k), Some(v)) => HashEvent::Add(vec![(k, Value::of(*v, src))]),
            _ => HashEvent::Unknown,
        };
        self.hashes
            .entry((scope, var))
            .or_default()
            .push((node.start_byte(), event));
    }

    /// The keys a splat of `var` at `at` passes, with their values; `None` when the hashtable
    /// is not a literal known in this scope (such splats are not checked).
    pub fn splat_keys(&self, scope: usize, var: &str, at: usize) -> Option<Vec<(String, Value)>> {
        let events = self.hashes.get(&(scope, var.to_string()))?;
        let before = events.get(..events.partition_point(|(pos, _)| *pos < at))?;
        // Only the last literal (or unknown assignment) and the additions after it matter.
        let from = before
            .iter()
            .rposition(|(_, e)| !matches!(e, HashEvent::Add(_)))?;
        let (_, HashEvent::Literal(literal)) = before.get(from)? else {
            return None;
        };
        let mut keys = literal.clone();
        for (_, event) in before.get(from + 1..).unwrap_or(&[]) {
            if let HashEvent::Add(k) = event {
                keys.extend(k.iter().cloned());
            }
        }
        Some(keys)
    }

    /// The command whose output `var` holds at `at`, when it was assigned straight from one.
    pub fn assigned_command(&self, scope: usize, var: &str, at: usize) -> Option<&Command<'t>> {
        let events = self.assigned_from.get(&(scope, var.to_string()))?;
        let n = events.partition_point(|(pos, _)| *pos < at);
        let (_, idx) = events.get(n.checked_sub(1)?)?;
        self.commands.get((*idx)?)
    }
}

/// The first command of the pipeline an assignment's value is, if it is one.
fn first_command_of(value: Node<'_>) -> Option<Node<'_>> {
    let chain = value.named_child(0)?;
    if chain.kind() != "pipeline_chain" {
        return None;
    }
    chain.named_child(0).filter(|n| n.kind() == "command")
}

fn read_command<'t>(node: Node<'t>, scope: usize, src: &str) -> Option<Command<'t>> {
    let mut c = node.walk();
    let kids: Vec<Node<'t>> = node.named_children(&mut c).collect();
    let name_node = kids.iter().find(|n| n.kind() == "command_name")?;
    let elements: Vec<Node<'t>> = kids
        .iter()
        .filter(|n| n.kind() == "command_elements")
        .flat_map(|e| {
            let mut c2 = e.walk();
            e.named_children(&mut c2).collect::<Vec<_>>()
        })
        .collect();
    Some(command_from_parts(node, *name_node, elements, scope, src))
}

/// The commands of an ERROR node accepted by `is_bareword_array_error`: its children are the
/// flattened pipeline, `|`-separated, each command a `command_name` and its elements.
fn read_error_commands<'t>(node: Node<'t>, scope: usize, src: &str) -> Vec<Command<'t>> {
    let mut out = Vec::new();
    let mut c = node.walk();
    let kids: Vec<Node<'t>> = node.children(&mut c).collect();
    for segment in kids.split(|n| n.kind() == "|") {
        let mut parts = segment.iter().skip_while(|n| n.kind() != "command_name");
        if let Some(name_node) = parts.next() {
            let elements = parts.filter(|n| n.is_named()).copied().collect();
            out.push(command_from_parts(
                *name_node, *name_node, elements, scope, src,
            ));
        }
    }
    out
}

fn command_from_parts<'t>(
    node: Node<'t>,
    name_node: Node<'t>,
    elements: Vec<Node<'t>>,
    scope: usize,
    src: &str,
) -> Command<'t> {
    let written = text(name_node, src).trim();
    // `Module\Verb-Noun` runs Verb-Noun from Module.
    let name = written.rsplit('\\').next().unwrap_or(written).to_string();
    let mut args = Vec::new();
    let items: Vec<Node<'t>> = elements
        .into_iter()
        .filter(|n| n.kind() != "command_argument_sep" && n.kind() != "comment")
        .collect();
    let mut i = 0;
    while let Some(item) = items.get(i) {
        i += 1;
        let t = text(*item, src);
        if item.kind() == "command_parameter" || is_dash_parameter(*item, t) {
            let name = t
                .trim_start_matches(['-', '\u{2013}', '\u{2014}', '\u{2015}'])
                .trim_end_matches(':')
                .to_string();
            let colon = src.as_bytes().get(item.end_byte()) == Some(&b':') || t.ends_with(':');
            let value = match items.get(i) {
                Some(next) if next.kind() != "command_parameter" => {
                    i += 1;
                    Some(Value::of(*next, src))
                }
                _ => None,
            };
            args.push(Arg::Param {
                name,
                line: line(*item),
                value,
                colon,
            });
        } else if let Some(var) = splat_variable(*item, src) {
            args.push(Arg::Splat {
                var,
                line: line(*item),
                at: item.start_byte(),
            });
        } else {
            args.push(Arg::Positional(Value::of(*item, src)));
        }
    }
    Command {
        name,
        line: line(node),
        node,
        args,
        scope,
    }
}

/// PowerShell reads `–Name`, `—Name` and `―Name` as parameters too (its tokenizer treats
/// U+2013..U+2015 as dashes); the grammar sees them as barewords.
fn is_dash_parameter(node: Node<'_>, t: &str) -> bool {
    let mut chars = t.chars();
    node.kind() == "generic_token"
        && matches!(chars.next(), Some('\u{2013}' | '\u{2014}' | '\u{2015}'))
        && chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// tree-sitter-pwsh 0.38 rejects a bareword that follows an expression in a command's array
/// argument (`Select-Object $a, Name` or `Select-Object @{...}, Name`), which PowerShell reads
/// as the string 'Name'. Such an ERROR node holds only command parts and barewords, one of them
/// right after a comma; it is not reported as a syntax error and its command is still checked.
pub fn is_bareword_array_error(node: Node<'_>) -> bool {
    if !node.is_error() || node.child_count() == 0 {
        return false;
    }
    let mut after_comma = false;
    let mut c = node.walk();
    for (i, child) in node.children(&mut c).enumerate() {
        if child.has_error() || child.is_missing() {
            return false;
        }
        match child.kind() {
            "simple_name" => {
                let prev = if i == 0 {
                    node.prev_sibling()
                } else {
                    child.prev_sibling()
                };
                after_comma |= prev.is_some_and(|p| p.kind() == ",");
            }
            ","
            | "|"
            | "command_name"
            | "command_argument_sep"
            | "unary_expression"
            | "command_parameter"
            | "generic_token"
            | "comment" => {}
            _ => return false,
        }
    }
    after_comma
}

/// `@name` used as an argument.
fn splat_variable(node: Node<'_>, src: &str) -> Option<String> {
    let mut n = node;
    while n.kind() == "unary_expression" && n.named_child_count() == 1 {
        n = n.named_child(0)?;
    }
    if n.kind() != "variable" {
        return None;
    }
    let t = text(n, src).strip_prefix('@')?;
    (!t.is_empty()).then(|| t.to_ascii_lowercase())
}
