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
    // Looked up by key, not by scanning: a 10,000-user plan has tens of thousands of facts.
    let mut users_by_upn: HashMap<String, &Value> = HashMap::new();
    for u in &users {
        users_by_upn
            .entry(s(&u["UserPrincipalName"]).to_lowercase())
            .or_insert(*u);
    }
    let user = |upn: &str| users_by_upn.get(&upn.to_lowercase()).copied();
    let user_mailboxes: BTreeSet<String> = rcp
        .iter()
        .filter(|r| s(&r["RecipientTypeDetails"]) == "UserMailbox")
        .map(|r| s(&r["UserPrincipalName"]).to_lowercase())
        .collect();
    let has_addr = |r: &Value, a: &str| {
        r["EmailAddresses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|x| key(s(x)) == key(a))
    };

    // Mailboxes a `mailbox` row of a limits step sets by identity.
    let limited: BTreeSet<String> = plan["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|st| s(&st["kind"]) == "limits")
        .flat_map(|st| {
            let cols: Vec<&str> = st["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            let scope = cols.iter().position(|c| *c == "Scope");
            let ident = cols.iter().position(|c| *c == "Identity");
            st["ops"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |op| {
                    let vals = op["values"].as_array()?;
                    if s(vals.get(scope?)?) != "mailbox" {
                        return None;
                    }
                    Some(key(s(vals.get(ident?)?)))
                })
        })
        .collect();
    // Synced shared mailboxes whose licence the plan takes back after conversion.
    let unlicensed: BTreeSet<String> = plan["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|st| s(&st["kind"]) == "shared-mailboxes-unlicence")
        .flat_map(|st| st["ops"].as_array().into_iter().flatten())
        .filter_map(|op| op["values"].as_array()?.get(1).map(|a| key(s(a))))
        .collect();
    let has_licence = |u: &Value, part: &str| {
        let sku = super::sku_id(part);
        u["AssignedLicenses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| s(l) == sku)
    };
    let mut c = Comparison::default();
    let mut planned_users = BTreeSet::new();
    let mut planned_rcp = BTreeSet::new();
    let mut planned_members = BTreeSet::new();
    let mut planned_perms = BTreeSet::new();
    let mut planned_addrs = BTreeSet::new();
    let mut planned_connectors = BTreeSet::new();

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
                    let ok = user(upn).is_some_and(|u| has_licence(u, v("SkuPartNumber")));
                    facts.push((format!("licence {} for {upn}", v("SkuPartNumber")), ok));
                }
                "mailboxes-verify" => {
                    let upn = v("UserPrincipalName");
                    let ok = user_mailboxes.contains(&upn.to_lowercase());
                    facts.push((format!("mailbox of {upn}"), ok));
                }
                // Synced: the licence is a means, not an end. Its user must exist; the licence
                // itself is a fact only where the plan keeps it (no unlicence operation).
                "shared-mailboxes-licence" => {
                    let upn = v("UserPrincipalName");
                    planned_users.insert(upn.to_lowercase());
                    match user(upn) {
                        None => facts.push((format!("user {upn}"), false)),
                        Some(u) => {
                            facts.push((format!("user {upn}"), true));
                            if !unlicensed.contains(&key(v("PrimarySmtpAddress"))) {
                                facts.push((
                                    format!("licence {} kept for {upn}", v("SkuPartNumber")),
                                    has_licence(u, v("SkuPartNumber")),
                                ));
                            }
                        }
                    }
                }
                "shared-mailboxes-unlicence" => {
                    let upn = v("UserPrincipalName");
                    planned_users.insert(upn.to_lowercase());
                    let ok = user(upn).is_some_and(|u| !has_licence(u, v("SkuPartNumber")));
                    facts.push((format!("no licence {} for {upn}", v("SkuPartNumber")), ok));
                }
                "shared-mailboxes" | "shared-mailboxes-verify" | "shared-mailboxes-convert" => {
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
                    let found = rcp.iter().find(|r| {
                        s(&r["RecipientTypeDetails"]) == "MailContact"
                            && key(s(&r["ExternalEmailAddress"])) == key(ext)
                    });
                    facts.push((format!("contact {ext}"), found.is_some()));
                    // The addresses the step ensures (a member's contact has none of them).
                    let dn = v("LegacyExchangeDN").trim();
                    let wanted = v("EmailAddresses")
                        .split(';')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_string)
                        .chain((!dn.is_empty()).then(|| format!("X500:{dn}")));
                    for a in wanted {
                        planned_addrs.insert((key(ext), key(&a)));
                        let ok = found.is_some_and(|r| has_addr(r, &a));
                        facts.push((format!("contact {ext} address {a}"), ok));
                    }
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
                    } else if v("Scope") == "other-mailboxes" {
                        // Only the mailboxes no `mailbox` row names: the planned ones are the
                        // facts of their own operations (the step leaves them out of its listing).
                        rcp.iter()
                            .filter(|r| MAILBOXES.contains(&s(&r["RecipientTypeDetails"])))
                            .filter(|r| {
                                !limited.contains(&key(s(&r["PrimarySmtpAddress"])))
                                    && !limited.contains(&s(&r["UserPrincipalName"]).to_lowercase())
                            })
                            .map(|r| (format!("mailbox {}", s(&r["PrimarySmtpAddress"])), *r))
                            .collect()
                    } else if v("Scope") == "mailbox-plans" {
                        state["t"]["plans"]
                            .as_object()
                            .into_iter()
                            .flat_map(|m| m.values())
                            .map(|p| (format!("mailbox plan {}", s(&p["DisplayName"])), p))
                            .collect()
                    } else {
                        facts.push((
                            format!("limits scope {:?} is not one the compare knows", v("Scope")),
                            false,
                        ));
                        Vec::new()
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
                "mail-filter" => mail_filter_facts(state, &v, &mut facts, &mut planned_connectors),
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
    for (k, con) in state["t"]["connectors"].as_object().into_iter().flatten() {
        if !planned_connectors.contains(k) {
            c.extra.push(format!(
                "{} connector {}",
                if s(&con["Direction"]) == "out" {
                    "outbound"
                } else {
                    "inbound"
                },
                s(&con["Name"])
            ));
        }
    }
    c.extra.sort();
    c
}

/// The values of a `;`-separated cell, lower-cased, as a set.
fn list_cell(text: &str) -> BTreeSet<String> {
    text.split(';')
        .map(|x| x.trim().to_lowercase())
        .filter(|x| !x.is_empty())
        .collect()
}

fn list_value(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| s(x).to_lowercase())
        .collect()
}

/// The connectors a `mail-filter` row plans (the SPF rows are DNS, outside the tenant).
fn mail_filter_facts<'a>(
    state: &Value,
    v: &dyn Fn(&str) -> &'a str,
    facts: &mut Vec<(String, bool)>,
    planned: &mut BTreeSet<String>,
) {
    let (dir, label) = match v("Kind") {
        "Inbound" | "EnhancedFiltering" => ("in", "inbound"),
        "Outbound" => ("out", "outbound"),
        _ => return,
    };
    let name = v("Name");
    let k = format!("{dir}|{}", name.to_lowercase());
    planned.insert(k.clone());
    let con = &state["t"]["connectors"][&k];
    if con.is_null() {
        facts.push((format!("{label} connector {name}"), false));
        return;
    }
    let all = BTreeSet::from(["*".to_string()]);
    let tls = v("RequireTls") == "true";
    let mut check =
        |what: &str, ok: bool| facts.push((format!("{label} connector {name} {what}"), ok));
    match v("Kind") {
        "Inbound" => {
            check(
                "ConnectorType Partner",
                s(&con["ConnectorType"]) == "Partner",
            );
            check(
                &format!("SenderIPAddresses {}", v("Addresses")),
                list_value(&con["SenderIPAddresses"]) == list_cell(v("Addresses")),
            );
            check("SenderDomains *", list_value(&con["SenderDomains"]) == all);
            check(
                "RestrictDomainsToIPAddresses",
                con["RestrictDomainsToIPAddresses"] == Value::Bool(true),
            );
            check(
                &format!("RequireTls {tls}"),
                con["RequireTls"] == Value::Bool(tls),
            );
            check("Enabled", con["Enabled"] == Value::Bool(true));
        }
        "EnhancedFiltering" => {
            check(
                &format!("EFSkipIPs {}", v("Addresses")),
                list_value(&con["EFSkipIPs"]) == list_cell(v("Addresses")),
            );
            check(
                "EFSkipLastIP false",
                con["EFSkipLastIP"] == Value::Bool(false),
            );
        }
        _ => {
            check(
                "ConnectorType Partner",
                s(&con["ConnectorType"]) == "Partner",
            );
            check(
                &format!("SmartHosts {}", v("SmartHost")),
                list_value(&con["SmartHosts"]) == list_cell(v("SmartHost")),
            );
            check(
                "RecipientDomains *",
                list_value(&con["RecipientDomains"]) == all,
            );
            check(
                "UseMXRecord false",
                con["UseMXRecord"] == Value::Bool(false),
            );
            check(
                &format!(
                    "TlsSettings {}",
                    if tls { "EncryptionOnly" } else { "none" }
                ),
                if tls {
                    s(&con["TlsSettings"]) == "EncryptionOnly"
                } else {
                    con["TlsSettings"].is_null()
                },
            );
            check("Enabled", con["Enabled"] == Value::Bool(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits_plan() -> Value {
        json!({"tenant": "contoso.onmicrosoft.com", "steps": [{
        "id": "16-limits", "kind": "limits",
        "columns": ["Scope", "Identity", "MaxSendSize", "MaxReceiveSize"],
        "ops": [
            {"id": "limits:set:mailbox:ann@contoso.com", "values": ["mailbox", "ann@contoso.com", "50MB", "60MB"]},
            {"id": "limits:set:other-mailboxes", "values": ["other-mailboxes", "", "50MB", "60MB"]},
            {"id": "limits:set:mailbox-plans", "values": ["mailbox-plans", "", "50MB", "60MB"]}
        ]}]})
    }

    fn mailbox(addr: &str, send: i64) -> Value {
        json!({"Id": addr, "Name": addr, "PrimarySmtpAddress": addr, "UserPrincipalName": addr,
               "EmailAddresses": [format!("SMTP:{addr}")], "RecipientTypeDetails": "SharedMailbox",
               "MaxSendSize": send, "MaxReceiveSize": 60 << 20})
    }

    #[test]
    fn each_limit_fact_belongs_to_the_operation_that_sets_it() {
        // ann's limits are wrong, bob's (beyond the plan) and the plan's are right: only ann's
        // own operation misses, never the listing operations.
        let state = json!({"t": {"users": {}, "rcp": {
            "a": mailbox("ann@contoso.com", 1), "b": mailbox("bob@contoso.com", 50 << 20)
        }, "plans": {"p": {"DisplayName": "ExchangeOnline", "MaxSendSize": 50 << 20, "MaxReceiveSize": 60 << 20}}}});
        let c = compare(&limits_plan(), &state);
        let ops: Vec<&str> = c.missing.iter().map(|m| m.op.as_str()).collect();
        assert_eq!(
            ops,
            ["limits:set:mailbox:ann@contoso.com"],
            "{:?}",
            c.missing
        );
        // Facts: ann, bob (other mailboxes), the one plan.
        assert_eq!(c.checked, 3);
        // A planned mailbox with wrong limits is not a miss of the other-mailboxes listing, and
        // a wrong mailbox plan is the mailbox-plans operation's.
        let state = json!({"t": {"users": {}, "rcp": {"a": mailbox("ann@contoso.com", 50 << 20)},
            "plans": {"p": {"DisplayName": "ExchangeOnline", "MaxSendSize": 1, "MaxReceiveSize": 60 << 20}}}});
        let c = compare(&limits_plan(), &state);
        let ops: Vec<&str> = c.missing.iter().map(|m| m.op.as_str()).collect();
        assert_eq!(ops, ["limits:set:mailbox-plans"], "{:?}", c.missing);
    }

    fn shared_plan() -> Value {
        let step = |id: &str, kind: &str, cols: Value, ops: Value| json!({"id": id, "kind": kind, "columns": cols, "ops": ops});
        json!({"tenant": "contoso.onmicrosoft.com", "steps": [
            step("10-shared-mailboxes-1-licence", "shared-mailboxes-licence",
                json!(["UserPrincipalName", "PrimarySmtpAddress", "Type", "SkuPartNumber", "UsageLocation"]),
                json!([
                    {"id": "l:info", "values": ["info@contoso.com", "info@contoso.com", "Shared", "SKU", "GB"]},
                    {"id": "l:held", "values": ["held@contoso.com", "held@contoso.com", "Room", "SKU", "GB"]}
                ])),
            step("10-shared-mailboxes-2-convert", "shared-mailboxes-convert",
                json!(["UserPrincipalName", "PrimarySmtpAddress", "Type"]),
                json!([
                    {"id": "c:info", "values": ["info@contoso.com", "info@contoso.com", "Shared"]},
                    {"id": "c:held", "values": ["held@contoso.com", "held@contoso.com", "Room"]}
                ])),
            step("10-shared-mailboxes-3-unlicence", "shared-mailboxes-unlicence",
                json!(["UserPrincipalName", "PrimarySmtpAddress", "Type", "SkuPartNumber"]),
                json!([{"id": "u:info", "values": ["info@contoso.com", "info@contoso.com", "Shared", "SKU"]}]))
        ]})
    }

    fn synced_state(info: (&str, bool), held: (&str, bool)) -> Value {
        let sku = super::super::sku_id("SKU");
        let user = |upn: &str, licensed: bool| {
            json!({"Id": upn, "UserPrincipalName": upn,
                   "AssignedLicenses": if licensed { json!([sku]) } else { json!([]) }})
        };
        let rcp = |addr: &str, kind: &str| {
            json!({"Id": addr, "Name": addr, "Alias": addr.split('@').next(), "PrimarySmtpAddress": addr,
                   "UserPrincipalName": addr, "EmailAddresses": [format!("SMTP:{addr}")],
                   "RecipientTypeDetails": kind})
        };
        json!({"t": {
            "users": {"i": user("info@contoso.com", info.1), "h": user("held@contoso.com", held.1)},
            "rcp": {"i": rcp("info@contoso.com", info.0), "h": rcp("held@contoso.com", held.0)}
        }})
    }

    #[test]
    fn synced_shared_mailboxes_are_their_kind_and_licensed_only_where_the_plan_keeps_it() {
        let plan = shared_plan();
        let done = compare(
            &plan,
            &synced_state(("SharedMailbox", false), ("RoomMailbox", true)),
        );
        assert!(done.matches(), "{:?} {:?}", done.missing, done.extra);
        // Facts: two users, the held room's kept licence, two kinds, one licence removed.
        assert_eq!(done.checked, 6);
        // Still a MailUser with its licence: the conversion and the removal are missing; the
        // held room without its licence misses the kept licence.
        let c = compare(
            &plan,
            &synced_state(("MailUser", true), ("RoomMailbox", false)),
        );
        let ops: BTreeSet<&str> = c.missing.iter().map(|m| m.op.as_str()).collect();
        assert_eq!(
            ops,
            BTreeSet::from(["c:info", "u:info", "l:held"]),
            "{:?}",
            c.missing
        );
        assert!(c.extra.is_empty(), "{:?}", c.extra);
    }

    fn filter_plan() -> Value {
        json!({"tenant": "contoso.onmicrosoft.com", "steps": [{
        "id": "20-mail-filter", "kind": "mail-filter",
        "columns": ["Kind", "Name", "Addresses", "SmartHost", "RequireTls", "Domain", "Record"],
        "ops": [
            {"id": "in", "values": ["Inbound", "From Filter", "192.0.2.0/24;198.51.100.0/24", "", "false", "", ""]},
            {"id": "ef", "values": ["EnhancedFiltering", "From Filter", "192.0.2.0/24", "", "", "", ""]},
            {"id": "out", "values": ["Outbound", "To Filter", "", "relay.example.com", "true", "", ""]},
            {"id": "spf", "values": ["Spf", "", "", "", "", "contoso.com", "v=spf1 -all"]}
        ]}]})
    }

    #[test]
    fn connectors_are_compared_setting_by_setting_and_extra_ones_listed() {
        let inbound = json!({"Name": "From Filter", "Direction": "in", "ConnectorType": "Partner",
            "SenderDomains": ["*"], "SenderIPAddresses": ["198.51.100.0/24", "192.0.2.0/24"],
            "RestrictDomainsToIPAddresses": true, "RequireTls": false, "Enabled": true,
            "EFSkipIPs": ["192.0.2.0/24"], "EFSkipLastIP": false});
        let outbound = json!({"Name": "To Filter", "Direction": "out", "ConnectorType": "Partner",
            "RecipientDomains": ["*"], "SmartHosts": ["relay.example.com"], "UseMXRecord": false,
            "TlsSettings": "EncryptionOnly", "Enabled": true});
        let state =
            json!({"t": {"connectors": {"in|from filter": inbound, "out|to filter": outbound}}});
        let c = compare(&filter_plan(), &state);
        assert!(c.matches(), "{:?}", c.lines());
        assert_eq!(c.checked, 6 + 2 + 6);
        // A connector that lets anyone relay (UseMXRecord), no Enhanced Filtering, one extra.
        let mut bad = state.clone();
        bad["t"]["connectors"]["out|to filter"]["UseMXRecord"] = json!(true);
        bad["t"]["connectors"]["in|from filter"]["EFSkipIPs"] = json!([]);
        bad["t"]["connectors"]["in|other"] = json!({"Name": "Other", "Direction": "in"});
        let c = compare(&filter_plan(), &bad);
        let ops: Vec<&str> = c.missing.iter().map(|m| m.op.as_str()).collect();
        assert_eq!(ops, ["ef", "out"], "{:?}", c.missing);
        assert_eq!(c.extra, ["inbound connector Other"]);
        // None at all: one miss per connector row.
        let c = compare(&filter_plan(), &json!({"t": {}}));
        assert_eq!(c.missing.len(), 3, "{:?}", c.missing);
    }

    #[test]
    fn a_contact_is_compared_with_every_address_the_step_gives_it() {
        let plan = json!({"tenant": "contoso.onmicrosoft.com", "steps": [{
        "id": "14-contacts", "kind": "contacts",
        "columns": ["Name", "ExternalEmailAddress", "LegacyExchangeDN", "Alias", "DisplayName", "EmailAddresses"],
        "ops": [
            {"id": "contacts:ensure:kim@fabrikam.net", "values": ["Kim", "kim@fabrikam.net", "/o=C/cn=kim", "kim", "", "smtp:kim@contoso.com;X500:/o=Old/cn=kim"]},
            {"id": "contacts:ensure:lee@example.org", "values": ["lee@example.org", "lee@example.org", "", "", "", ""]}
        ]}]});
        let contact = |ext: &str, addrs: &[&str]| {
            let mut all = vec![format!("SMTP:{ext}")];
            all.extend(addrs.iter().map(|a| a.to_string()));
            json!({"Id": ext, "Name": ext, "PrimarySmtpAddress": ext, "ExternalEmailAddress": format!("SMTP:{ext}"),
                   "EmailAddresses": all, "RecipientTypeDetails": "MailContact"})
        };
        let full = json!({"t": {"users": {}, "rcp": {
            "k": contact("kim@fabrikam.net", &["smtp:kim@contoso.com", "X500:/o=Old/cn=kim", "x500:/o=C/cn=kim"]),
            "l": contact("lee@example.org", &[])
        }}});
        let c = compare(&plan, &full);
        assert!(c.matches(), "{:?}", c.lines());
        // Kim and its three addresses, lee.
        assert_eq!(c.checked, 5);
        let short = json!({"t": {"users": {}, "rcp": {
            "k": contact("kim@fabrikam.net", &["smtp:kim@contoso.com"]),
            "l": contact("lee@example.org", &[])
        }}});
        let c = compare(&plan, &short);
        let ops: Vec<&str> = c.missing.iter().map(|m| m.op.as_str()).collect();
        // The two X500 addresses missing, each a miss of kim's operation.
        assert_eq!(
            ops,
            [
                "contacts:ensure:kim@fabrikam.net",
                "contacts:ensure:kim@fabrikam.net"
            ],
            "{:?}",
            c.missing
        );
    }
}
