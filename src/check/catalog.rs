//! The cmdlet catalog, embedded: which Exchange and Graph cmdlets and parameters exist where.
//!
//! `catalog.json` is derived from `reference/cmdlet-catalog.json` (Microsoft's public
//! PowerShell docs, CC-BY-4.0; source repositories and commits in `reference/README.md` and inside
//! the file) keeping only names, aliases, switches and applicability. `tests/check_catalog.rs` re-derives it and fails if the two
//! drift apart; `CUTOVER_UPDATE_CATALOG=1 cargo test --test check_catalog` rewrites it.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use super::target::{PsVersion, Target};

/// The compact catalog as shipped inside the binary.
pub const EMBEDDED_JSON: &str = include_str!("catalog.json");

/// The environment tokens the compact catalog keeps, in display order.
pub const ENV_TOKENS: [&str; 8] = [
    "exchange2010",
    "exchange2013",
    "exchange2016",
    "exchange2019",
    "exchangeSE",
    "exchangeOnline",
    "graph",
    "bittitan",
];

/// A set of catalog environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnvSet(u16);

impl EnvSet {
    fn from_tokens(tokens: &[String]) -> EnvSet {
        let mut bits = 0u16;
        for t in tokens {
            if let Some(i) = ENV_TOKENS.iter().position(|e| e == t) {
                bits |= 1 << i;
            }
        }
        EnvSet(bits)
    }

    pub fn contains(self, env: &str) -> bool {
        ENV_TOKENS
            .iter()
            .position(|e| *e == env)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    pub fn has(self, target: Target) -> bool {
        self.contains(target.catalog_env())
    }

    /// "exchange2013, exchange2016 and exchangeOnline", for messages.
    pub fn describe(self) -> String {
        let names: Vec<&str> = ENV_TOKENS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, e)| *e)
            .collect();
        match names.split_last() {
            None => "no environment this tool checks".to_string(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub aliases: Vec<String>,
    pub envs: EnvSet,
    /// A SwitchParameter: present or not, `-Name:$false` to pass a value.
    pub switch: bool,
}

#[derive(Debug)]
pub struct Cmdlet {
    pub name: String,
    pub envs: EnvSet,
    pub common: bool,
    pub params: Vec<Param>,
    /// Known by name from a docs listing only (`reference/listings/`): its parameters are not
    /// recorded, so none of them is checked, and an empty `envs` means the listing did not say
    /// where it exists (not that it exists nowhere).
    pub names_only: bool,
}

impl Cmdlet {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// PowerShell's common parameters with their aliases and the version that added them
/// (1.0 had all but the Warning pair, which 2.0 added).
const COMMON: &[(&str, &[&str], PsVersion)] = &[
    ("Verbose", &["vb"], PsVersion::V1),
    ("Debug", &["db"], PsVersion::V1),
    ("ErrorAction", &["ea"], PsVersion::V1),
    ("WarningAction", &["wa"], PsVersion::V2),
    ("ErrorVariable", &["ev"], PsVersion::V1),
    ("WarningVariable", &["wv"], PsVersion::V2),
    ("OutVariable", &["ov"], PsVersion::V1),
    ("OutBuffer", &["ob"], PsVersion::V1),
    ("PipelineVariable", &["pv"], PsVersion::V4),
    ("InformationAction", &["infa"], PsVersion::V5),
    ("InformationVariable", &["iv"], PsVersion::V5),
    ("ProgressAction", &["proga"], PsVersion::V7),
];

/// How a parameter as written binds to a cmdlet on a target, the way PowerShell binds it:
/// an exact name or alias wins, otherwise a prefix must match exactly one parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamMatch {
    /// Binds to this parameter (canonical name).
    Found(String),
    /// The prefix matches several parameters on the target.
    Ambiguous(Vec<String>),
    /// The parameter exists, but not on the target: where it does exist.
    NotOnTarget {
        name: String,
        envs: String,
    },
    /// A common parameter the target's shell does not have yet.
    CommonTooNew {
        name: String,
        since: PsVersion,
    },
    Unknown,
}

pub struct Catalog {
    by_lower: HashMap<String, Cmdlet>,
}

#[derive(Deserialize)]
struct RawCatalog {
    cmdlets: BTreeMap<String, RawCmdlet>,
}

#[derive(Deserialize)]
struct RawCmdlet {
    env: Vec<String>,
    #[serde(default = "yes")]
    common: bool,
    #[serde(default)]
    params: BTreeMap<String, RawParam>,
    #[serde(default)]
    names_only: bool,
}

#[derive(Deserialize)]
struct RawParam {
    env: Option<Vec<String>>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    switch: bool,
}

fn yes() -> bool {
    true
}

impl Catalog {
    /// The embedded catalog, parsed once.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The file is compiled in and checked by tests, so failing here is a build defect.
            Catalog::parse(EMBEDDED_JSON).unwrap_or_else(|e| panic!("embedded catalog: {e}"))
        })
    }

    pub fn parse(json: &str) -> Result<Catalog, serde_json::Error> {
        let raw: RawCatalog = serde_json::from_str(json)?;
        let mut by_lower = HashMap::with_capacity(raw.cmdlets.len());
        for (name, c) in raw.cmdlets {
            let envs = EnvSet::from_tokens(&c.env);
            let params = c
                .params
                .into_iter()
                .map(|(pname, p)| Param {
                    envs: p.env.as_deref().map_or(envs, EnvSet::from_tokens),
                    name: pname,
                    aliases: p.aliases,
                    switch: p.switch,
                })
                .collect();
            by_lower.insert(
                name.to_ascii_lowercase(),
                Cmdlet {
                    name,
                    envs,
                    common: c.common,
                    params,
                    names_only: c.names_only,
                },
            );
        }
        Ok(Catalog { by_lower })
    }

    pub fn len(&self) -> usize {
        self.by_lower.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_lower.is_empty()
    }

    pub fn cmdlet(&self, name: &str) -> Option<&Cmdlet> {
        self.by_lower.get(&name.to_ascii_lowercase())
    }
}

/// Binds `written` (without its dash) to a parameter of `cmdlet` on `target`.
pub fn match_param(cmdlet: &Cmdlet, target: Target, written: &str) -> ParamMatch {
    let shell = target.min_shell();
    let common: Vec<(&str, &[&str], PsVersion)> = if cmdlet.common {
        COMMON.to_vec()
    } else {
        Vec::new()
    };
    // Candidates PowerShell would see on the target: (canonical name, names that select it).
    let mut on_target: Vec<(&str, Vec<&str>)> = cmdlet
        .params
        .iter()
        .filter(|p| p.envs.has(target))
        .map(|p| {
            let mut names = vec![p.name.as_str()];
            names.extend(p.aliases.iter().map(String::as_str));
            (p.name.as_str(), names)
        })
        .collect();
    for (name, aliases, since) in &common {
        if *since <= shell {
            let mut names = vec![*name];
            names.extend(aliases.iter());
            on_target.push((name, names));
        }
    }
    if let Some(found) = bind(&on_target, written) {
        return found;
    }
    // Not bindable on the target: say where it would bind, if anywhere.
    let everywhere: Vec<(&str, Vec<&str>)> = cmdlet
        .params
        .iter()
        .map(|p| {
            let mut names = vec![p.name.as_str()];
            names.extend(p.aliases.iter().map(String::as_str));
            (p.name.as_str(), names)
        })
        .collect();
    if let Some(ParamMatch::Found(name)) = bind(&everywhere, written) {
        let envs = cmdlet
            .param(&name)
            .map(|p| p.envs.describe())
            .unwrap_or_default();
        return ParamMatch::NotOnTarget { name, envs };
    }
    for (name, aliases, since) in &common {
        let exact = name.eq_ignore_ascii_case(written)
            || aliases.iter().any(|a| a.eq_ignore_ascii_case(written));
        if exact && *since > shell {
            return ParamMatch::CommonTooNew {
                name: (*name).to_string(),
                since: *since,
            };
        }
    }
    ParamMatch::Unknown
}

fn bind(candidates: &[(&str, Vec<&str>)], written: &str) -> Option<ParamMatch> {
    if written.is_empty() {
        return None;
    }
    if let Some((name, _)) = candidates
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(written)))
    {
        return Some(ParamMatch::Found((*name).to_string()));
    }
    let hits: Vec<&str> = candidates
        .iter()
        .filter(|(_, names)| names.iter().any(|n| starts_with_ignore_case(n, written)))
        .map(|(name, _)| *name)
        .collect();
    if hits.len() > 1 {
        return Some(ParamMatch::Ambiguous(
            hits.into_iter().map(str::to_string).collect(),
        ));
    }
    hits.first()
        .map(|one| ParamMatch::Found((*one).to_string()))
}

pub(crate) fn starts_with_ignore_case(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name
            .as_bytes()
            .iter()
            .zip(prefix.as_bytes())
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"cmdlets": {
        "Set-Thing": {"env": ["exchange2010", "exchangeOnline"], "params": {
            "Identity": {},
            "MaxSize": {"env": ["exchangeOnline"]},
            "MaxCount": {},
            "WhatIf": {"aliases": ["wi"], "switch": true}
        }}
    }}"#;

    fn sample() -> Catalog {
        Catalog::parse(SAMPLE).expect("sample parses")
    }

    #[test]
    fn parameters_inherit_the_cmdlet_environments() {
        let cat = sample();
        let c = cat.cmdlet("set-thing").expect("case-insensitive lookup");
        assert!(c.param("Identity").is_some_and(|p| p.envs == c.envs));
        assert_eq!(c.envs.describe(), "exchange2010 and exchangeOnline");
        assert!(c.param("whatif").is_some_and(|p| p.switch));
    }

    #[test]
    fn binding_follows_powershell() {
        let cat = sample();
        let c = cat.cmdlet("Set-Thing").expect("cmdlet");
        let on = |t, w| match_param(c, t, w);
        assert_eq!(
            on(Target::ExchangeOnline, "maxs"),
            ParamMatch::Found("MaxSize".into())
        );
        assert_eq!(
            on(Target::ExchangeOnline, "wi"),
            ParamMatch::Found("WhatIf".into())
        );
        assert!(
            matches!(on(Target::ExchangeOnline, "Max"), ParamMatch::Ambiguous(v) if v.len() == 2)
        );
        // On 2010 only MaxCount exists, so the same prefix is unambiguous there.
        assert_eq!(
            on(Target::Exchange2010, "Max"),
            ParamMatch::Found("MaxCount".into())
        );
        assert!(
            matches!(on(Target::Exchange2010, "MaxSize"), ParamMatch::NotOnTarget { envs, .. } if envs == "exchangeOnline")
        );
        assert_eq!(
            on(Target::Exchange2010, "ErrorAction"),
            ParamMatch::Found("ErrorAction".into())
        );
        assert!(matches!(
            on(Target::Exchange2010, "InformationAction"),
            ParamMatch::CommonTooNew { .. }
        ));
        assert_eq!(on(Target::Exchange2010, "Nope"), ParamMatch::Unknown);
        assert_eq!(on(Target::Exchange2010, ""), ParamMatch::Unknown);
    }
}
