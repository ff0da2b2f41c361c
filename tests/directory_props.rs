//! Lint and plan give the same answer for every name: over generated tenants (UPNs across two
//! domains, explicit and derived aliases, proxy addresses, group names and addresses, display
//! names, mail contacts with their Names, explicit aliases or the one derived from the Name,
//! outside and other addresses, drawn from small pools so names collide), each name is put in
//! a members file and
//! both stages must agree on whether it resolves, to which recipient, is ambiguous, is
//! external, or is unknown.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use cutover::project::Project;
use cutover::rules::{lint_inputs, Input, Source};
use proptest::prelude::*;

const WORDS: &[&str] = &["ann", "bob", "sales", "team", "eve"];
const DOMAINS: &[&str] = &["contoso.com", "fabrikam.com"];
const DISPLAY: &[&str] = &["Ann", "Bob", "Sales", "Team Lead"];
/// Contact Names: a Name a group or another contact may have too, and one whose derived alias
/// (`PatPartner`) is no other name.
const CONTACT_NAMES: &[&str] = &["Pat Partner", "Sales", "Kim", "ann"];
/// Outside addresses: the words at example.net, or `partner@example.net`.
const OUTSIDE: &[&str] = &["ann", "bob", "sales", "team", "eve", "partner"];

#[derive(Debug, Clone)]
struct GenContact {
    name: usize,
    alias: Option<usize>,
    external: usize,
    others: Vec<(usize, usize)>,
    display: Option<usize>,
}

fn contact() -> impl Strategy<Value = GenContact> {
    (
        0..CONTACT_NAMES.len(),
        proptest::option::of(0..WORDS.len()),
        0..OUTSIDE.len(),
        proptest::collection::vec((0..WORDS.len(), 0..DOMAINS.len()), 0..2),
        proptest::option::of(0..DISPLAY.len()),
    )
        .prop_map(|(name, alias, external, others, display)| GenContact {
            name,
            alias,
            external,
            others,
            display,
        })
}

#[derive(Debug, Clone)]
struct GenUser {
    local: usize,
    domain: usize,
    alias: Option<usize>,
    proxies: Vec<(usize, usize)>,
    display: usize,
}

#[derive(Debug, Clone)]
struct GenGroup {
    name: usize,
    alias: Option<usize>,
    address: (usize, usize),
    display: Option<usize>,
}

fn address((w, d): (usize, usize)) -> String {
    format!("{}@{}", WORDS[w % WORDS.len()], DOMAINS[d % DOMAINS.len()])
}

fn user() -> impl Strategy<Value = GenUser> {
    (
        0..WORDS.len(),
        0..DOMAINS.len(),
        proptest::option::of(0..WORDS.len()),
        proptest::collection::vec((0..WORDS.len(), 0..DOMAINS.len()), 0..3),
        0..DISPLAY.len(),
    )
        .prop_map(|(local, domain, alias, proxies, display)| GenUser {
            local,
            domain,
            alias,
            proxies,
            display,
        })
}

fn group() -> impl Strategy<Value = GenGroup> {
    (
        0..WORDS.len(),
        proptest::option::of(0..WORDS.len()),
        (0..WORDS.len(), 0..DOMAINS.len()),
        proptest::option::of(0..DISPLAY.len()),
    )
        .prop_map(|(name, alias, address, display)| GenGroup {
            name,
            alias,
            address,
            display,
        })
}

/// A name to look up: any word, any word@domain, any display name, or an outside address.
fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..WORDS.len()).prop_map(|w| WORDS[w].to_uppercase()),
        (0..WORDS.len(), 0..DOMAINS.len()).prop_map(address),
        (0..DISPLAY.len()).prop_map(|d| DISPLAY[d].to_lowercase()),
        Just("partner@example.net".to_string()),
        (0..OUTSIDE.len()).prop_map(|w| format!("{}@EXAMPLE.net", OUTSIDE[w])),
        (0..CONTACT_NAMES.len()).prop_map(|c| CONTACT_NAMES[c].to_uppercase()),
        Just("patpartner".to_string()),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// Resolved, and the second row names the same recipient again.
    Resolved {
        same_as_anchor: bool,
    },
    Ambiguous,
    External,
    Unknown,
}

struct Case {
    users: Vec<String>,
    groups: String,
    members: String,
    contacts: String,
    /// (query, anchor UPN) per probe group, by index.
    probes: Vec<(String, String)>,
}

fn case(
    users: &[GenUser],
    groups: &[GenGroup],
    contacts: &[GenContact],
    queries: &[(String, usize)],
) -> Case {
    let mut seen = BTreeSet::new();
    let mut upns = Vec::new();
    let mut text = String::from("UserPrincipalName,DisplayName,Alias,EmailAddresses\n");
    for u in users {
        let upn = address((u.local, u.domain));
        if !seen.insert(upn.clone()) {
            continue;
        }
        let alias = u.alias.map_or("", |a| WORDS[a]);
        let proxies: Vec<String> = u
            .proxies
            .iter()
            .map(|p| format!("smtp:{}", address(*p)))
            .collect();
        text.push_str(&format!(
            "{upn},{},{alias},{}\n",
            DISPLAY[u.display],
            proxies.join(";")
        ));
        upns.push(upn);
    }
    let mut g = String::from("Name,DisplayName,Alias,PrimarySmtpAddress\n");
    for gr in groups {
        g.push_str(&format!(
            "{},{},{},{}\n",
            // Capitalised: group names compare without regard to case, like every name.
            WORDS[gr.name].to_uppercase(),
            gr.display.map_or("", |d| DISPLAY[d]),
            gr.alias.map_or("", |a| WORDS[a]),
            address(gr.address)
        ));
    }
    let mut m = String::from("Group,Member\n");
    let mut probes = Vec::new();
    for (i, (q, anchor)) in queries.iter().enumerate() {
        let anchor = upns[anchor % upns.len()].clone();
        g.push_str(&format!("zz-probe-{i},,,zz-probe-{i}@contoso.com\n"));
        m.push_str(&format!("zz-probe-{i},{q}\nzz-probe-{i},{anchor}\n"));
        probes.push((q.clone(), anchor));
    }
    // As 05-source-export writes it: the outside address with its SMTP: prefix.
    let mut c = String::from("Name,DisplayName,Alias,ExternalEmailAddress,EmailAddresses\n");
    for ct in contacts {
        let others: Vec<String> = ct
            .others
            .iter()
            .map(|a| format!("smtp:{}", address(*a)))
            .collect();
        c.push_str(&format!(
            "{},{},{},SMTP:{}@example.net,{}\n",
            CONTACT_NAMES[ct.name],
            ct.display.map_or("", |d| DISPLAY[d]),
            ct.alias.map_or("", |a| WORDS[a]),
            OUTSIDE[ct.external],
            others.join(";")
        ));
    }
    Case {
        users: vec![text],
        groups: g,
        members: m,
        contacts: c,
        probes,
    }
}

fn project(dir: &Path) -> Project {
    Project {
        domains: DOMAINS.iter().map(|d| d.to_string()).collect(),
        tenant: Some("contoso.onmicrosoft.com".into()),
        usage_location: Some("US".into()),
        inputs: cutover::project::Inputs {
            users: Some(dir.join("users.csv")),
            groups: Some(dir.join("groups.csv")),
            members: Some(dir.join("members.csv")),
            contacts: Some(dir.join("contacts.csv")),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Lint's answer per probe: from the findings on the probe's two member rows.
fn lint_answers(dir: &Path, n: usize) -> Vec<(Answer, Answer)> {
    let inputs: Vec<Input> = ["users.csv", "groups.csv", "members.csv", "contacts.csv"]
        .iter()
        .map(|f| Input {
            source: Source::Path(dir.join(f)),
            kind: None,
        })
        .collect();
    let report = lint_inputs(&project(dir), &inputs).unwrap();
    let members = dir.join("members.csv").display().to_string();
    let mut codes: HashMap<u64, Vec<&str>> = HashMap::new();
    for f in &report.findings {
        if f.file.as_deref() == Some(members.as_str()) {
            codes.entry(f.line.unwrap_or(0)).or_default().push(f.code);
        }
    }
    let answer = |line: u64| -> Answer {
        let c = codes.get(&line).cloned().unwrap_or_default();
        if c.contains(&"G012") {
            Answer::Ambiguous
        } else if c.contains(&"G007") {
            Answer::External
        } else if c.contains(&"G006") {
            Answer::Unknown
        } else {
            Answer::Resolved {
                same_as_anchor: c.contains(&"G008"),
            }
        }
    };
    (0..n as u64)
        .map(|i| {
            let a = answer(2 * i + 2);
            let mut b = answer(2 * i + 3);
            // The duplicate is reported on the anchor row; the query row carries the answer.
            let dup = matches!(
                b,
                Answer::Resolved {
                    same_as_anchor: true
                }
            );
            if dup {
                b = Answer::Resolved {
                    same_as_anchor: false,
                };
            }
            let a = match a {
                Answer::Resolved { .. } => Answer::Resolved {
                    same_as_anchor: dup,
                },
                other => other,
            };
            (a, b)
        })
        .collect()
}

/// The plan's answer per probe: from its member and contact operations and its notes.
fn plan_answers(dir: &Path, probes: &[(String, String)]) -> Vec<(Answer, Answer)> {
    let p = project(dir);
    let tenant = cutover::model::load::load_tenant(&p).unwrap();
    let plan = cutover::plan::build(&p, &tenant, None).unwrap();
    let ops: Vec<&str> = plan
        .steps
        .iter()
        .flat_map(|s| s.ops.iter().map(|o| o.id()))
        .collect();
    // Recipients of the inputs, by the key the plan adds them by: users, groups, and the
    // contacts of the export (whose Name is no address, unlike an outside member's contact).
    let canonical: BTreeSet<&str> = plan
        .steps
        .iter()
        .flat_map(|s| &s.ops)
        .filter_map(|o| {
            let id = o.id();
            id.strip_prefix("users:ensure:")
                .or_else(|| id.strip_prefix("groups:ensure:"))
                .or_else(|| {
                    id.strip_prefix("contacts:ensure:")
                        .filter(|_| o.value(0).is_some_and(|n| !n.contains('@')))
                })
        })
        .collect();
    let members = dir.join("members.csv").display().to_string();
    let noted = |line: usize| {
        plan.notes
            .iter()
            .find(|n| n.starts_with(&format!("{members}:{line}:")))
            .map(|n| {
                if n.contains("names both") {
                    Answer::Ambiguous
                } else {
                    Answer::Unknown
                }
            })
    };
    probes
        .iter()
        .enumerate()
        .map(|(i, (q, anchor))| {
            let prefix = format!("members:add:zz-probe-{i}@contoso.com:");
            let ops_here: Vec<&str> = ops
                .iter()
                .filter_map(|id| id.strip_prefix(prefix.as_str()))
                .collect();
            let b = noted(2 * i + 3).unwrap_or(Answer::Resolved {
                same_as_anchor: false,
            });
            let a = noted(2 * i + 2).unwrap_or_else(|| {
                let lower = q.to_lowercase();
                if ops.contains(&format!("contacts:ensure:{lower}").as_str())
                    && !canonical.contains(lower.as_str())
                {
                    return Answer::External;
                }
                // The anchor (a UPN) resolved to its user, known by that UPN.
                let anchor_member = (b != Answer::Ambiguous).then(|| anchor.to_lowercase());
                let other = ops_here
                    .iter()
                    .find(|m| Some(m.to_string()) != anchor_member);
                match other {
                    None => Answer::Resolved {
                        same_as_anchor: true,
                    },
                    Some(m) if canonical.contains(m) => Answer::Resolved {
                        same_as_anchor: false,
                    },
                    Some(_) => Answer::Unknown,
                }
            });
            (a, b)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn lint_and_plan_resolve_every_name_alike(
        users in proptest::collection::vec(user(), 1..7),
        groups in proptest::collection::vec(group(), 0..4),
        contacts in proptest::collection::vec(contact(), 0..4),
        queries in proptest::collection::vec((query(), 0usize..8), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let c = case(&users, &groups, &contacts, &queries);
        std::fs::write(dir.path().join("users.csv"), &c.users[0]).unwrap();
        std::fs::write(dir.path().join("groups.csv"), &c.groups).unwrap();
        std::fs::write(dir.path().join("members.csv"), &c.members).unwrap();
        std::fs::write(dir.path().join("contacts.csv"), &c.contacts).unwrap();
        let lint = lint_answers(dir.path(), c.probes.len());
        let plan = plan_answers(dir.path(), &c.probes);
        for (i, (l, p)) in lint.iter().zip(&plan).enumerate() {
            prop_assert_eq!(
                l, p,
                "probe {} ({:?})\nusers:\n{}\ngroups:\n{}\ncontacts:\n{}",
                i, c.probes[i], c.users[0], c.groups, c.contacts
            );
        }
    }
}
