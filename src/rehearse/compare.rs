//! The simulated tenant's final state against the plan: every user, licence, alias, group,
//! member, contact, limit and permission the plan asks for, and every object the tenant has
//! beyond it. Each planned fact names the operation that should have made it true, so a test can
//! check that no operation recorded as a success left its fact undone.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub step: String,
    pub op: String,
    pub what: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    /// Planned facts checked.
    pub checked: usize,
    pub missing: Vec<Missing>,
    /// Objects (and members, permissions, addresses) the tenant has that the plan does not.
    pub extra: Vec<String>,
}

impl Comparison {
    pub fn matches(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }

    /// Every difference, one per line.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .missing
            .iter()
            .map(|m| format!("missing: {} ({} {})", m.what, m.step, m.op))
            .collect();
        out.extend(self.extra.iter().map(|e| format!("extra:   {e}")));
        out
    }
}

fn key(addr: &str) -> String {
    let a = addr.trim();
    let a = match a.find(':') {
        Some(i) if !a[..i].contains('@') => &a[i + 1..],
        _ => a,
    };
    a.to_lowercase()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn size(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, mul) = if let Some(n) = t.strip_suffix("GB") {
        (n, 1 << 30)
    } else if let Some(n) = t.strip_suffix("MB") {
        (n, 1 << 20)
    } else if let Some(n) = t.strip_suffix("KB") {
        (n, 1 << 10)
    } else {
        (t, 1)
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .map(|n| (n * mul as f64) as i64)
}

const MAILBOXES: [&str; 4] = [
    "UserMailbox",
    "SharedMailbox",
    "RoomMailbox",
    "EquipmentMailbox",
];

pub fn compare(plan: &Value, state: &Value) -> Comparison {
    let tenant = s(&plan["tenant"]).to_lowercase();
    let users: Vec<&Value> = state["t"]["users"]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default();
    let rcp: Vec<&Value> = state["t"]["rcp"]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default();
    let by_id: HashMap<&str, &Value> = rcp.iter().map(|r| (s(&r["Id"]), *r)).collect();
    let mut by_addr: HashMap<String, &Value> = HashMap::new();
    for r in &rcp {
        for a in r["EmailAddresses"].as_array().into_iter().flatten() {
            by_addr.insert(key(s(a)), r);
        }
        if let Some(u) = r["UserPrincipalName"].as_str() {
            by_addr.entry(u.to_lowercase()).or_insert(r);
        }
        by_addr.entry(s(&r["Name"]).to_lowercase()).or_insert(r);
    }
    let user = |upn: &str| {
        users
            .iter()
            .find(|u| s(&u["UserPrincipalName"]).eq_ignore_ascii_case(upn))
    };
    let has_addr = |r: &Value, a: &str| {
        r["EmailAddresses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|x| key(s(x)) == key(a))
    };

    let mut c = Comparison::default();
    let mut planned_users = BTreeSet::new();
    let mut planned_rcp = BTreeSet::new();
    let mut planned_members = BTreeSet::new();
    let mut planned_perms = BTreeSet::new();
    let mut planned_addrs = BTreeSet::new();

    for step in plan["steps"].as_array().into_iter().flatten() {
        let kind = s(&step["kind"]);
        let id = s(&step["id"]);
        let cols: Vec<&str> = step["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect();
        for op in step["ops"].as_array().into_iter().flatten() {
            let vals: HashMap<&str, &str> = cols
                .iter()
                .zip(op["values"].as_array().into_iter().flatten().map(s))
                .map(|(k, v)| (*k, v))
                .collect();
            let v = |k: &str| vals.get(k).copied().unwrap_or("");
            let mut facts: Vec<(String, bool)> = Vec::new();
            match kind {
                "domains" => {
                    let d = &state["t"]["domains"][v("Domain").to_lowercase()];
                    facts.push((
                        format!("domain {} verified", v("Domain")),
                        d["IsVerified"] == Value::Bool(true),
                    ));
                }
                "users" | "users-verify" => {
                    let upn = v("UserPrincipalName");
                    planned_users.insert(upn.to_lowercase());
                    match user(upn) {
                        None => facts.push((format!("user {upn}"), false)),
                        Some(u) => {
                            facts.push((format!("user {upn}"), true));
                            for (col, prop) in [
                                ("DisplayName", "DisplayName"),
                                ("GivenName", "GivenName"),
                                ("Surname", "Surname"),
                                ("UsageLocation", "UsageLocation"),
                            ] {
                                let want = v(col);
                                if !want.is_empty() {
                                    facts.push((
                                        format!("user {upn} {prop} = {want}"),
                                        s(&u[prop]) == want,
                                    ));
                                }
                            }
                        }
                    }
                }
                "licences" => {
                    let upn = v("UserPrincipalName");
                    planned_users.insert(upn.to_lowercase());
                    let sku = super::sku_id(v("SkuPartNumber"));
                    let ok = user(upn).is_some_and(|u| {
                        u["AssignedLicenses"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|l| s(l) == sku)
                    });
                    facts.push((format!("licence {} for {upn}", v("SkuPartNumber")), ok));
                }
                "mailboxes-verify" => {
                    let upn = v("UserPrincipalName");
                    let ok = rcp.iter().any(|r| {
                        s(&r["UserPrincipalName"]).eq_ignore_ascii_case(upn)
                            && s(&r["RecipientTypeDetails"]) == "UserMailbox"
                    });
                    facts.push((format!("mailbox of {upn}"), ok));
                }
                "shared-mailboxes" | "shared-mailboxes-verify" => {
                    let addr = v("PrimarySmtpAddress");
                    planned_rcp.insert(key(addr));
                    let want = format!("{}Mailbox", v("Type"));
                    let ok = by_addr
                        .get(&key(addr))
                        .is_some_and(|r| s(&r["RecipientTypeDetails"]) == want);
                    facts.push((format!("{want} {addr}"), ok));
                }
                "aliases" | "group-aliases" => {
                    let (who, addr) = (v("Identity"), v("Address"));
                    planned_addrs.insert((key(who), key(addr)));
                    let ok = by_addr.get(&key(who)).is_some_and(|r| has_addr(r, addr));
                    facts.push((format!("address {addr} on {who}"), ok));
                }
                "groups" => {
                    let addr = if v("PrimarySmtpAddress").is_empty() {
                        v("Name")
                    } else {
                        v("PrimarySmtpAddress")
                    };
                    planned_rcp.insert(key(addr));
                    match by_addr.get(&key(addr)) {
                        Some(r) if s(&r["RecipientTypeDetails"]).contains("Group") => {
                            facts.push((format!("group {addr}"), true));
                            let want = v("RequireSenderAuthenticationEnabled") == "true";
                            facts.push((
                                format!("group {addr} RequireSenderAuthenticationEnabled = {want}"),
                                r["RequireSenderAuthenticationEnabled"].as_bool() == Some(want),
                            ));
                        }
                        _ => facts.push((format!("group {addr}"), false)),
                    }
                }
                "contacts" => {
                    let ext = v("ExternalEmailAddress");
                    planned_rcp.insert(key(ext));
                    let ok = rcp.iter().any(|r| {
                        s(&r["RecipientTypeDetails"]) == "MailContact"
                            && key(s(&r["ExternalEmailAddress"])) == key(ext)
                    });
                    facts.push((format!("contact {ext}"), ok));
                }
                "members" => {
                    let (g, m) = (v("Group"), v("Member"));
                    planned_members.insert((key(g), key(m)));
                    let ok = by_addr.get(&key(g)).is_some_and(|gr| {
                        gr["Members"].as_array().into_iter().flatten().any(|id| {
                            by_id.get(s(id)).is_some_and(|r| {
                                has_addr(r, m) || s(&r["UserPrincipalName"]).eq_ignore_ascii_case(m)
                            })
                        })
                    });
                    facts.push((format!("member {m} of {g}"), ok));
                }
                "limits" => {
                    let (send, recv) = (size(v("MaxSendSize")), size(v("MaxReceiveSize")));
                    let objects: Vec<(String, &Value)> = if v("Scope") == "mailbox" {
                        // One planned mailbox, by identity.
                        match by_addr.get(&key(v("Identity"))) {
                            Some(r) => vec![(format!("mailbox {}", v("Identity")), *r)],
                            None => {
                                facts.push((
                                    format!("mailbox {} (for its limits)", v("Identity")),
                                    false,
                                ));
                                Vec::new()
                            }
                        }
                    } else if v("Scope") == "mailboxes" || v("Scope") == "other-mailboxes" {
                        rcp.iter()
                            .filter(|r| MAILBOXES.contains(&s(&r["RecipientTypeDetails"])))
                            .map(|r| (format!("mailbox {}", s(&r["PrimarySmtpAddress"])), *r))
                            .collect()
                    } else {
                        state["t"]["plans"]
                            .as_object()
                            .into_iter()
                            .flat_map(|m| m.values())
                            .map(|p| (format!("mailbox plan {}", s(&p["DisplayName"])), p))
                            .collect()
                    };
                    for (what, o) in objects {
                        let ok = o["MaxSendSize"].as_i64() == send
                            && o["MaxReceiveSize"].as_i64() == recv;
                        facts.push((
                            format!(
                                "limits {}/{} on {what}",
                                v("MaxSendSize"),
                                v("MaxReceiveSize")
                            ),
                            ok,
                        ));
                    }
                }
                "permissions" => {
                    let (mb, t, right) = (v("Mailbox"), v("Trustee"), v("Right"));
                    planned_perms.insert((key(mb), key(t), right.to_string()));
                    let field = match right {
                        "FullAccess" => "FullAccess",
                        "SendAs" => "SendAs",
                        _ => "GrantSendOnBehalfTo",
                    };
                    let ok = match (by_addr.get(&key(mb)), by_addr.get(&key(t))) {
                        (Some(m), Some(tr)) => m[field]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|x| s(x) == s(&tr["Id"])),
                        _ => false,
                    };
                    facts.push((format!("{right} for {t} on {mb}"), ok));
                }
                k if k.starts_with("mw-") || k.starts_with("native-") => {
                    let col = |c: &str| v(c).to_string();
                    facts.extend(super::migration::facts(k, &col, state));
                }
                _ => {}
            }
            for (what, ok) in facts {
                c.checked += 1;
                if !ok {
                    c.missing.push(Missing {
                        step: id.to_string(),
                        op: s(&op["id"]).to_string(),
                        what,
                    });
                }
            }
        }
    }

    for u in &users {
        if !planned_users.contains(&s(&u["UserPrincipalName"]).to_lowercase()) {
            c.extra.push(format!("user {}", s(&u["UserPrincipalName"])));
        }
    }
    for r in &rcp {
        let primary = key(s(&r["PrimarySmtpAddress"]));
        let upn = s(&r["UserPrincipalName"]).to_lowercase();
        let planned = planned_rcp.contains(&primary)
            || (s(&r["RecipientTypeDetails"]) == "UserMailbox" && planned_users.contains(&upn));
        if !planned {
            c.extra.push(format!(
                "{} {}",
                s(&r["RecipientTypeDetails"]),
                s(&r["PrimarySmtpAddress"])
            ));
            continue;
        }
        let moera = format!("{}@{tenant}", s(&r["Alias"]).to_lowercase());
        for a in r["EmailAddresses"].as_array().into_iter().flatten() {
            let k = key(s(a));
            if k != primary && k != moera && !planned_addrs.contains(&(primary.clone(), k.clone()))
            {
                c.extra.push(format!(
                    "address {} on {}",
                    s(a),
                    s(&r["PrimarySmtpAddress"])
                ));
            }
        }
        for m in r["Members"].as_array().into_iter().flatten() {
            if let Some(mr) = by_id.get(s(m)) {
                let mk = key(s(&mr["PrimarySmtpAddress"]));
                if !planned_members.contains(&(primary.clone(), mk)) {
                    c.extra.push(format!(
                        "member {} of {}",
                        s(&mr["PrimarySmtpAddress"]),
                        s(&r["PrimarySmtpAddress"])
                    ));
                }
            }
        }
        for (field, right) in [
            ("FullAccess", "FullAccess"),
            ("SendAs", "SendAs"),
            ("GrantSendOnBehalfTo", "SendOnBehalf"),
        ] {
            for t in r[field].as_array().into_iter().flatten() {
                if let Some(tr) = by_id.get(s(t)) {
                    let tk = key(s(&tr["PrimarySmtpAddress"]));
                    if !planned_perms.contains(&(primary.clone(), tk, right.to_string())) {
                        c.extra.push(format!(
                            "{right} for {} on {}",
                            s(&tr["PrimarySmtpAddress"]),
                            s(&r["PrimarySmtpAddress"])
                        ));
                    }
                }
            }
        }
    }
    c.extra.sort();
    c
}
