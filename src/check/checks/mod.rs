//! The checks themselves: each reads the `Script` facts and adds findings for one rule.

mod capped;
mod errors;
mod shell;
mod syntax;

pub use errors::ErrorFacts;
pub use syntax::syntax_errors_in;

use std::collections::HashSet;

use tree_sitter::Tree;

use crate::check::catalog::{
    match_param, starts_with_ignore_case, Catalog, Cmdlet, EnvSet, ParamMatch,
};
use crate::check::known;
use crate::check::rules;
use crate::check::script::{self, Arg, Command, ResolvedSplat, Script, Value};
use crate::check::target::{PsVersion, Target};
use crate::diag::Finding;
use crate::rules::Rule;

/// A parameter as a command receives it, written directly or through a resolved splat.
struct Given<'a> {
    written: &'a str,
    line: usize,
    value: Option<&'a Value>,
    splat: Option<&'a str>,
    /// Written `-Name value` (space, not colon) directly on the command.
    spaced: bool,
}

pub struct Checker<'a, 't> {
    pub src: &'a str,
    pub file: &'a str,
    /// The target with the oldest shell: language features are checked against it.
    pub target: Target,
    /// Every target the script runs against (a jump-box script may load Exchange Online and
    /// Graph): a cmdlet or parameter any of them has is fine.
    pub targets: Vec<Target>,
    pub tree: &'t Tree,
    pub script: &'a Script<'t>,
    pub functions: HashSet<String>,
    pub catalog: &'static Catalog,
    pub findings: Vec<Finding>,
    /// The line of the first syntax error, once `run` has found them.
    pub first_error: Option<usize>,
    pub errors: ErrorFacts,
    /// Variables only ever used as `-Identity` values (read on first need).
    pub unset_identity_vars: Option<Vec<String>>,
    /// Findings per rule code so far, listed or not.
    pub counts: std::collections::HashMap<&'static str, usize>,
}

/// Findings of one rule in one file beyond this are counted, not listed: lint's cap.
pub const CAP_PER_RULE: usize = 100;

impl Checker<'_, '_> {
    fn add(&mut self, rule: &Rule, line: Option<usize>, column: Option<&str>, message: String) {
        self.add_listed(rule, line, column, message);
    }

    /// Adds a finding unless its rule already has `CAP_PER_RULE` in this file (those are
    /// counted, and `run` says how many more there were). Returns whether it was listed.
    fn add_listed(
        &mut self,
        rule: &Rule,
        line: Option<usize>,
        column: Option<&str>,
        message: String,
    ) -> bool {
        let n = self.counts.entry(rule.code).or_insert(0);
        *n += 1;
        if *n > CAP_PER_RULE {
            return false;
        }
        self.findings.push(Finding {
            code: rule.code,
            severity: rule.severity,
            file: Some(self.file.to_string()),
            line: line.map(|l| l as u64),
            column: column.map(str::to_string),
            value: None,
            message,
            hint: rule.hint.to_string(),
        });
        true
    }

    fn add_hint(
        &mut self,
        rule: &Rule,
        line: usize,
        column: Option<&str>,
        msg: String,
        hint: String,
    ) {
        if self.add_listed(rule, Some(line), column, msg) {
            if let Some(f) = self.findings.last_mut() {
                f.hint = hint;
            }
        }
    }

    pub fn run(&mut self) {
        if self.targets.contains(&Target::Exchange2007) {
            self.add(
                &rules::EXCHANGE2007,
                None,
                None,
                "Exchange 2007 is not in Microsoft's current docs: cmdlets and parameters are \
                 checked against the Exchange 2010 lists, the closest available"
                    .into(),
            );
        }
        let errors = syntax_errors_in(self.tree, self.src);
        // Past a syntax error the tree is guesswork: names read there are not reported unknown.
        self.first_error = errors.iter().map(|(line, _)| *line).min();
        for (line, what) in errors {
            self.add(&rules::SYNTAX, Some(line), None, what);
        }
        let mut unknown_seen = HashSet::new();
        for cmd in &self.script.commands {
            self.check_command(cmd, &mut unknown_seen);
        }
        self.check_capped_getters();
        self.check_syntax_features();
        self.note_unlisted();
    }

    /// One finding per rule over the cap, saying how many were not listed (as lint does).
    fn note_unlisted(&mut self) {
        let mut over: Vec<(&'static str, usize)> = self
            .counts
            .iter()
            .filter(|(_, n)| **n > CAP_PER_RULE)
            .map(|(c, n)| (*c, *n))
            .collect();
        over.sort_unstable();
        for (code, n) in over {
            if let Some(rule) = rules::RULES.iter().find(|r| r.code == code) {
                self.findings.push(Finding {
                    code: rule.code,
                    severity: rule.severity,
                    file: Some(self.file.to_string()),
                    line: None,
                    column: None,
                    value: None,
                    message: format!(
                        "{} more {} findings in this file were not listed ({})",
                        n - CAP_PER_RULE,
                        rule.code,
                        rule.summary
                    ),
                    hint: rule.hint.to_string(),
                });
            }
        }
    }

    /// Direct parameters plus the keys of resolvable splats, in order.
    fn given<'c>(&self, cmd: &'c Command<'_>, splats: &'c [ResolvedSplat]) -> Vec<Given<'c>> {
        let mut out = Vec::new();
        for arg in &cmd.args {
            match arg {
                Arg::Param {
                    name,
                    line,
                    value,
                    colon,
                } => out.push(Given {
                    written: name,
                    line: *line,
                    value: value.as_ref(),
                    splat: None,
                    spaced: !colon,
                }),
                Arg::Splat { var, line, .. } => {
                    for (svar, sline, keys) in splats {
                        if svar == var && sline == line {
                            out.extend(keys.iter().map(|(k, v)| Given {
                                written: k,
                                line: *line,
                                value: Some(v),
                                splat: Some(svar),
                                spaced: false,
                            }));
                        }
                    }
                }
                Arg::Positional(_) => {}
            }
        }
        out
    }

    fn resolved_splats(&self, cmd: &Command<'_>) -> Vec<ResolvedSplat> {
        cmd.args
            .iter()
            .filter_map(|a| match a {
                Arg::Splat { var, line, at } => self
                    .script
                    .splat_keys(cmd.scope, var, *at)
                    .map(|keys| (var.clone(), *line, keys)),
                _ => None,
            })
            .collect()
    }

    fn check_command(&mut self, cmd: &Command<'_>, unknown_seen: &mut HashSet<String>) {
        let name = known::resolve_alias(&cmd.name).to_string();
        let splats = self.resolved_splats(cmd);
        let given = self.given(cmd, &splats);
        if let Some(module) = known::retired_module(&name) {
            self.retired(cmd, &name, module);
            return;
        }
        if let Some(cmdlet) = self.catalog.cmdlet(&name) {
            // A name-only entry without environments: the docs listing did not say where it
            // exists, so its absence from the target is unknown, not a finding.
            let where_unknown = cmdlet.names_only && cmdlet.envs == EnvSet::default();
            if !where_unknown && !self.targets.iter().any(|t| cmdlet.envs.has(*t)) {
                let in_module_function = self.is_module() && cmd.scope != 0;
                let rule = if in_module_function {
                    &rules::MODULE_OTHER_TARGET
                } else {
                    &rules::CMDLET_NOT_ON_TARGET
                };
                self.add(
                    rule,
                    Some(cmd.line),
                    None,
                    format!(
                        "{} does not exist in {}; it exists in {}",
                        cmdlet.name,
                        self.target_label(),
                        cmdlet.envs.describe()
                    ),
                );
                return;
            }
            // Parameters of a name-only entry are not recorded: none is ever reported unknown.
            if !cmdlet.names_only {
                for g in &given {
                    self.check_param(cmdlet, g);
                }
            }
            self.check_cmdlet_patterns(cmdlet, cmd, &given);
            return;
        }
        self.check_core_patterns(cmd, &name, &given);
        let known = known::is_core(&name) || self.functions.contains(&name.to_ascii_lowercase());
        let after_error = self.first_error.is_some_and(|l| cmd.line >= l);
        if !known
            && !after_error
            && looks_like_verb_noun(&name)
            && unknown_seen.insert(name.to_ascii_lowercase())
        {
            self.add(
                &rules::UNKNOWN_COMMAND,
                Some(cmd.line),
                None,
                format!(
                    "{name} is not in the cmdlet catalog, not a core cmdlet and not defined in \
                     the files checked; its parameters are not checked"
                ),
            );
        }
    }

    fn is_module(&self) -> bool {
        self.file.to_ascii_lowercase().ends_with(".psm1")
    }

    fn target_label(&self) -> String {
        let labels: Vec<String> = self
            .targets
            .iter()
            .map(|t| match t {
                Target::Exchange2007 => "exchange2007 (checked as exchange2010)".to_string(),
                t => t.token().to_string(),
            })
            .collect();
        labels.join(" or ")
    }

    /// Binds a parameter on any of the targets: found on one is found; otherwise what the
    /// oldest-shell target says (ambiguity first, as PowerShell would report it).
    fn bind(&self, cmdlet: &Cmdlet, written: &str) -> ParamMatch {
        let results: Vec<ParamMatch> = self
            .targets
            .iter()
            .map(|t| match_param(cmdlet, *t, written))
            .collect();
        if let Some(found) = results.iter().find(|m| matches!(m, ParamMatch::Found(_))) {
            return found.clone();
        }
        if let Some(ambiguous) = results
            .iter()
            .find(|m| matches!(m, ParamMatch::Ambiguous(_)))
        {
            return ambiguous.clone();
        }
        match_param(cmdlet, self.target, written)
    }

    fn check_param(&mut self, cmdlet: &Cmdlet, g: &Given<'_>) {
        let via = g
            .splat
            .map(|s| format!(" (key of splatted @{s})"))
            .unwrap_or_default();
        let column = Some(g.written);
        match self.bind(cmdlet, g.written) {
            ParamMatch::Found(name) => {
                let is_switch = cmdlet.param(&name).is_some_and(|p| p.switch);
                let boolean = g.value.map(|v| v.raw.to_ascii_lowercase());
                if is_switch && g.spaced && matches!(boolean.as_deref(), Some("$true" | "$false")) {
                    let value = g.value.map(|v| v.raw.as_str()).unwrap_or_default();
                    self.add(
                        &rules::SWITCH_VALUE,
                        Some(g.line),
                        column,
                        format!(
                            "{} -{name} is a switch: `-{name} {value}` passes {value} as a separate \
                             positional argument; write -{name} or -{name}:{value}",
                            cmdlet.name
                        ),
                    );
                }
            }
            ParamMatch::Ambiguous(names) => self.add(
                &rules::PARAM_NOT_ON_TARGET,
                Some(g.line),
                column,
                format!(
                    "-{}{via} is ambiguous for {}: it could be -{}",
                    g.written,
                    cmdlet.name,
                    names.join(", -")
                ),
            ),
            ParamMatch::NotOnTarget { name, envs } => self.add(
                &rules::PARAM_NOT_ON_TARGET,
                Some(g.line),
                column,
                format!(
                    "{} -{name}{via} does not exist in {}; it exists in {envs}",
                    cmdlet.name,
                    self.target_label()
                ),
            ),
            ParamMatch::CommonTooNew { name, since } => self.add(
                &rules::SHELL_VERSION,
                Some(g.line),
                column,
                format!(
                    "-{name} needs PowerShell {}; {} scripts run in {}",
                    since.as_str(),
                    self.target,
                    self.target.shell_label()
                ),
            ),
            ParamMatch::Unknown => self.add(
                &rules::PARAM_NOT_ON_TARGET,
                Some(g.line),
                column,
                format!("{} has no parameter -{}{via}", cmdlet.name, g.written),
            ),
        }
    }

    fn retired(&mut self, cmd: &Command<'_>, name: &str, module: &str) {
        let rule = if module == "MSOnline" {
            &rules::MSONLINE
        } else {
            &rules::AZUREAD
        };
        let replacement = known::RETIRED_REPLACEMENTS
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(name))
            .map(|(_, to)| *to);
        let msg = match replacement {
            Some(to) => {
                format!("{name} ({module}) no longer works; use {to} (Microsoft Graph PowerShell)")
            }
            None => format!(
                "{name} ({module}) no longer works; use the Microsoft Graph PowerShell cmdlet \
                 listed in {}",
                known::CMDLET_MAP_URL
            ),
        };
        self.add(rule, Some(cmd.line), None, msg);
    }

    /// Patterns on catalog cmdlets: EXO impersonation, replacing proxy addresses.
    fn check_cmdlet_patterns(&mut self, cmdlet: &Cmdlet, cmd: &Command<'_>, given: &[Given<'_>]) {
        let canonical: Vec<Option<String>> = given
            .iter()
            .map(|g| match self.bind(cmdlet, g.written) {
                ParamMatch::Found(name) => Some(name),
                _ => None,
            })
            .collect();
        let bound = |wanted: &str| {
            given
                .iter()
                .zip(&canonical)
                .find(|(_, name)| {
                    name.as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                })
                .map(|(g, _)| g)
        };
        self.check_errors_reach_catch(cmdlet, cmd, given, &canonical);
        self.check_identity_variable(given, &canonical);
        if cmdlet.name.eq_ignore_ascii_case("Connect-ExchangeOnline") {
            // `-UseRPSSession:$false` asks for the REST connection, which is fine.
            let rps = bound("UseRPSSession").filter(|g| {
                g.value
                    .map(|v| v.raw.to_ascii_lowercase())
                    .map_or(true, |v| v != "$false")
            });
            if let Some(g) = rps {
                self.add(
                    &rules::EXO_REMOTE_SESSION,
                    Some(g.line),
                    Some("UseRPSSession"),
                    "Connect-ExchangeOnline -UseRPSSession asks for Remote PowerShell, disabled for \
                     all tenants since 1 Oct 2023 (the parameter is deprecated from module 3.9.2); \
                     drop it to use the REST cmdlets"
                        .into(),
                );
            }
        }
        if self.targets.contains(&Target::ExchangeOnline)
            && cmdlet
                .name
                .eq_ignore_ascii_case("New-ManagementRoleAssignment")
        {
            let role = bound("Role")
                .and_then(|g| g.value)
                .and_then(|v| v.literal.clone());
            if role.is_some_and(|r| r.eq_ignore_ascii_case("ApplicationImpersonation")) {
                self.add(
                    &rules::EXO_IMPERSONATION,
                    Some(cmd.line),
                    Some("Role"),
                    "ApplicationImpersonation was removed from Exchange Online in February 2025; \
                     this assignment fails"
                        .into(),
                );
            }
        }
        // Exchange 2007 has no @{Add=...} form: writing back the whole list is its only way.
        if !self.targets.contains(&Target::Exchange2007)
            && cmd.verb().eq_ignore_ascii_case("Set")
            && cmdlet.param("EmailAddresses").is_some()
        {
            if let Some(g) = bound("EmailAddresses") {
                if let Some(v) = g.value {
                    if !self.is_add_remove(v, cmd) {
                        self.add(
                            &rules::EMAIL_REPLACE,
                            Some(g.line),
                            Some("EmailAddresses"),
                            format!(
                                "{} -EmailAddresses {} replaces every proxy address of the \
                                 object with this value",
                                cmdlet.name,
                                short(&v.raw)
                            ),
                        );
                    }
                }
            }
        }
    }

    fn is_add_remove(&self, v: &Value, cmd: &Command<'_>) -> bool {
        let keys: Option<Vec<String>> = match (&v.hash_keys, &v.variable) {
            (Some(keys), _) => Some(keys.clone()),
            (None, Some(var)) => self
                .script
                .splat_keys(cmd.scope, var, cmd.node.start_byte())
                .map(|k| k.into_iter().map(|(k, _)| k).collect()),
            _ => None,
        };
        keys.is_some_and(|k| {
            !k.is_empty()
                && k.iter().all(|k| {
                    ["Add", "Remove", "+", "-"]
                        .iter()
                        .any(|op| k.eq_ignore_ascii_case(op))
                })
        })
    }

    /// Patterns on core cmdlets: retired modules, Exchange Online remote sessions.
    fn check_core_patterns(&mut self, cmd: &Command<'_>, name: &str, given: &[Given<'_>]) {
        let arg = |canonical: &str| {
            given
                .iter()
                .find(|g| !g.written.is_empty() && starts_with_ignore_case(canonical, g.written))
        };
        if name.eq_ignore_ascii_case("Import-Module") || name.eq_ignore_ascii_case("Install-Module")
        {
            let mut names: Vec<String> = cmd
                .args
                .iter()
                .filter_map(|a| match a {
                    Arg::Positional(v) => v.literal.clone(),
                    _ => None,
                })
                .collect();
            if let Some(v) = arg("Name")
                .and_then(|g| g.value)
                .and_then(|v| v.literal.clone())
            {
                names.push(v);
            }
            for m in names {
                if let Some(retired) = known::RETIRED_MODULES
                    .iter()
                    .find(|r| r.eq_ignore_ascii_case(&m))
                {
                    let rule = if *retired == "MSOnline" {
                        &rules::MSONLINE
                    } else {
                        &rules::AZUREAD
                    };
                    self.add(
                        rule,
                        Some(cmd.line),
                        None,
                        format!(
                            "{name} {retired}: the module is retired; use the Microsoft.Graph \
                             modules (Microsoft.Graph.Users, Microsoft.Graph.Identity.DirectoryManagement)"
                        ),
                    );
                }
            }
        }
        if name.eq_ignore_ascii_case("New-PSSession") {
            let uri = arg("ConnectionUri")
                .and_then(|g| g.value)
                .map(|v| v.raw.to_ascii_lowercase());
            // A URI on the next line (the playbook's layout) is still part of the statement text.
            let whole = script::text(cmd.node, self.src).to_ascii_lowercase();
            let cloud = ["ps.outlook.com", "outlook.office365.com"]
                .iter()
                .any(|h| uri.as_deref().is_some_and(|u| u.contains(h)) || whole.contains(h));
            let basic = arg("Authentication")
                .and_then(|g| g.value)
                .and_then(|v| v.literal.clone())
                .is_some_and(|a| a.eq_ignore_ascii_case("Basic"));
            let exchange_config = arg("ConfigurationName")
                .and_then(|g| g.value)
                .and_then(|v| v.literal.clone())
                .is_some_and(|c| c.eq_ignore_ascii_case("Microsoft.Exchange"));
            let why = if cloud && basic {
                Some("a Basic-auth Remote PowerShell session to Exchange Online")
            } else if cloud {
                Some("a Remote PowerShell session to Exchange Online")
            } else if basic && self.targets.iter().any(|t| t.is_cloud()) {
                Some("a Basic-auth session")
            } else if exchange_config && self.targets.contains(&Target::ExchangeOnline) {
                Some("a Remote PowerShell session (Microsoft.Exchange configuration)")
            } else {
                None
            };
            if let Some(why) = why {
                self.add(
                    &rules::EXO_REMOTE_SESSION,
                    Some(cmd.line),
                    None,
                    format!(
                        "New-PSSession opens {why}, which Exchange Online no longer accepts \
                         (Basic auth off since 1 Oct 2022, Remote PowerShell off since 1 Oct 2023)"
                    ),
                );
            }
        }
        let version = self.target.min_shell();
        if let Some((_, since)) = known::NEWER_CMDLETS
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(name))
        {
            if *since > version && !guarded_by_get_command(cmd.node, name, self.src) {
                self.shell(cmd.line, None, name, *since);
            }
        }
        for (cmdlet, param, since) in known::NEWER_PARAMETERS {
            if cmdlet.eq_ignore_ascii_case(name) && *since > version {
                if let Some(g) = arg(param) {
                    self.shell(g.line, Some(param), &format!("{name} -{param}"), *since);
                }
            }
        }
        if version < PsVersion::V6 {
            if let Some(g) = given
                .iter()
                .find(|g| g.written.len() >= 3 && starts_with_ignore_case("Encoding", g.written))
            {
                let value = g.value.and_then(|v| v.literal.clone()).unwrap_or_default();
                if let Some(enc) = known::NEWER_ENCODINGS
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(&value))
                {
                    self.shell(
                        g.line,
                        Some("Encoding"),
                        &format!("-Encoding {enc}"),
                        PsVersion::V6,
                    );
                }
            }
        }
        if version < PsVersion::V3 && name.eq_ignore_ascii_case("Where-Object") {
            let simplified = given.iter().any(|g| {
                !(starts_with_ignore_case("FilterScript", g.written)
                    || starts_with_ignore_case("InputObject", g.written)
                    || is_common(g.written))
            });
            if simplified {
                self.shell(
                    cmd.line,
                    None,
                    "Where-Object's comparison syntax (Where-Object Name -eq value)",
                    PsVersion::V3,
                );
            }
        }
    }
}

/// Whether the command runs only inside `if (... Get-Command NAME ...) { }`: a script that asks
/// the shell first may use what a newer shell has.
fn guarded_by_get_command(node: tree_sitter::Node<'_>, name: &str, src: &str) -> bool {
    let probe = format!("get-command {}", name.to_ascii_lowercase());
    std::iter::successors(node.parent(), |p| p.parent()).any(|a| {
        a.kind() == "if_statement"
            && a.child_by_field_name("condition").is_some_and(|c| {
                script::text(c, src)
                    .to_ascii_lowercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(&probe)
            })
    })
}

fn short(raw: &str) -> String {
    let one_line = raw.lines().next().unwrap_or("").trim();
    if one_line.chars().count() > 40 {
        format!("{}...", one_line.chars().take(40).collect::<String>())
    } else {
        one_line.to_string()
    }
}

fn looks_like_verb_noun(name: &str) -> bool {
    match name.split_once('-') {
        Some((verb, noun)) => {
            verb.len() >= 2
                && !noun.is_empty()
                && verb.chars().all(|c| c.is_ascii_alphabetic())
                && noun.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

const COMMON_NAMES: &[&str] = &[
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "ErrorVariable",
    "WarningVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
    "InformationAction",
    "InformationVariable",
    "vb",
    "db",
    "ea",
    "wa",
    "ev",
    "wv",
    "ov",
    "ob",
    "pv",
    "infa",
    "iv",
];

fn is_common(written: &str) -> bool {
    COMMON_NAMES.iter().any(|c| c.eq_ignore_ascii_case(written))
}
