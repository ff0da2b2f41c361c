//! The tenant state snapshot `cutover plan --state FILE` diffs against.
//!
//! Written by the bundle's `02-state-export` step on the jump box (Graph + Exchange Online,
//! read only). Shape, version 1 (unknown fields are ignored, every list may be absent):
//!
//! ```json
//! {"version":1,"exported_at":"2026-11-25T12:00:00Z","tenant":"contoso.onmicrosoft.com",
//!  "domains":[{"id":"contoso.com","is_verified":true}],
//!  "users":[{"upn":"alice@contoso.com","display_name":"Alice","given_name":"Alice",
//!            "surname":"Smith","usage_location":"US","licences":["SPE_E3"],
//!            "on_premises_sync_enabled":false}],
//!  "mailboxes":[{"upn":"alice@contoso.com","primary_smtp":"alice@contoso.com",
//!               "recipient_type_details":"UserMailbox","email_addresses":["SMTP:alice@contoso.com"]}],
//!  "groups":[{"name":"Sales","primary_smtp":"sales@contoso.com",
//!             "require_sender_authentication":false,"email_addresses":["smtp:sales@contoso.com"],
//!             "members":["alice@contoso.com"]}],
//!  "contacts":[{"external_email_address":"partner@example.net"}]}
//! ```
//! Addresses and UPNs compare case-insensitively. What a snapshot does not show is never taken
//! as already in place: the bundle's own export (Graph only) has no `require_sender_authentication`
//! and no `contacts`, so those groups plan as updates and those contacts as creates.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct State {
    pub version: u32,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub domains: Vec<StateDomain>,
    #[serde(default)]
    pub users: Vec<StateUser>,
    #[serde(default)]
    pub mailboxes: Vec<StateMailbox>,
    #[serde(default)]
    pub groups: Vec<StateGroup>,
    #[serde(default)]
    pub contacts: Vec<StateContact>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StateDomain {
    pub id: String,
    #[serde(default)]
    pub is_verified: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StateUser {
    pub upn: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub usage_location: Option<String>,
    #[serde(default)]
    pub licences: Vec<String>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StateMailbox {
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub primary_smtp: Option<String>,
    #[serde(default)]
    pub recipient_type_details: Option<String>,
    #[serde(default)]
    pub email_addresses: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StateGroup {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub primary_smtp: Option<String>,
    #[serde(default)]
    pub require_sender_authentication: Option<bool>,
    #[serde(default)]
    pub email_addresses: Vec<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StateContact {
    pub external_email_address: String,
}

impl State {
    pub fn from_json(text: &str) -> Result<State> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let probe: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::Usage(format!("state snapshot is not JSON: {e}")))?;
        match probe.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => {
                return Err(Error::Usage(format!(
                    "state snapshot version {v} is not supported (this cutover reads version {VERSION})"
                )))
            }
            None => return Err(Error::Usage("state snapshot has no \"version\"".into())),
        }
        serde_json::from_value(probe).map_err(|e| {
            Error::Usage(format!(
                "state snapshot does not have the expected shape: {e}"
            ))
        })
    }

    pub fn load(path: &Path) -> Result<State> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        State::from_json(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
    }
}

/// Lower-cased lookups over a `State`, built once per plan.
#[derive(Debug, Default)]
pub(crate) struct StateIndex<'a> {
    pub users: HashMap<String, &'a StateUser>,
    pub mailbox_addresses: HashMap<String, HashSet<String>>,
    pub groups: HashMap<String, &'a StateGroup>,
    pub group_members: HashMap<String, HashSet<String>>,
    pub group_addresses: HashMap<String, HashSet<String>>,
    pub contacts: HashSet<String>,
    pub domains: HashMap<String, bool>,
}

/// `smtp:a@b` / `SMTP:a@b` / `a@b` to `smtp:a@b`, lower-case; other types keep their prefix.
pub(crate) fn proxy_key(address: &str) -> String {
    let lower = address.trim().to_lowercase();
    if lower.contains(':') {
        lower
    } else {
        format!("smtp:{lower}")
    }
}

impl<'a> StateIndex<'a> {
    pub fn new(s: &'a State) -> Self {
        let mut ix = StateIndex::default();
        for u in &s.users {
            ix.users.insert(u.upn.to_lowercase(), u);
        }
        for m in &s.mailboxes {
            let set: HashSet<String> = m.email_addresses.iter().map(|a| proxy_key(a)).collect();
            for k in [&m.upn, &m.primary_smtp].into_iter().flatten() {
                ix.mailbox_addresses.insert(k.to_lowercase(), set.clone());
            }
        }
        for g in &s.groups {
            let members: HashSet<String> = g.members.iter().map(|m| m.to_lowercase()).collect();
            let addresses: HashSet<String> =
                g.email_addresses.iter().map(|a| proxy_key(a)).collect();
            for k in [&g.primary_smtp, &g.name].into_iter().flatten() {
                ix.groups.insert(k.to_lowercase(), g);
                ix.group_members.insert(k.to_lowercase(), members.clone());
                ix.group_addresses
                    .insert(k.to_lowercase(), addresses.clone());
            }
        }
        for c in &s.contacts {
            ix.contacts.insert(c.external_email_address.to_lowercase());
        }
        for d in &s.domains {
            ix.domains.insert(d.id.to_lowercase(), d.is_verified);
        }
        ix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("state.rs");
        let start = doc.find("//! {\"version\"").unwrap();
        let end = doc.find("//! ```\n//! Addresses").unwrap();
        let json: String = doc[start..end]
            .lines()
            .map(|l| l.trim_start_matches("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        let s = State::from_json(&json).unwrap();
        assert_eq!(s.users[0].licences, ["SPE_E3"]);
        assert_eq!(s.groups[0].members, ["alice@contoso.com"]);
        assert!(s.domains[0].is_verified);
    }

    #[test]
    fn wrong_or_missing_version_is_refused() {
        assert!(State::from_json("{\"version\":2}").is_err());
        assert!(State::from_json("{}").is_err());
        assert!(State::from_json("[").is_err());
        assert!(State::from_json("\u{feff}{\"version\":1}").is_ok());
    }
}
