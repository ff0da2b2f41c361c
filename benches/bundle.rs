//! Plan and bundle 100,000 users (plus groups and memberships) and report the time of each.
//! Run: cargo bench --bench bundle   (release profile; one line per round)
//! CUTOVER_BENCH_USERS (default 100000), CUTOVER_BENCH_ROUNDS (default 3) and
//! CUTOVER_BENCH_KEEP (keep the bundles) adjust it.

use std::sync::Arc;
use std::time::Instant;

use cutover::bundle::{self, BundleOptions};
use cutover::model::{Group, GroupKind, Membership, Origin, ProxyAddress, Tenant, User};
use cutover::plan;
use cutover::project::{IdentityMode, Project, SourceVersion};

fn tenant(users: usize, groups: usize) -> Tenant {
    let file: Arc<str> = Arc::from("users.csv");
    let origin = |line: usize| Origin {
        file: file.clone(),
        line: line as u64,
    };
    let users: Vec<User> = (0..users)
        .map(|i| User {
            origin: origin(i + 2),
            upn: format!("user{i}@contoso.com"),
            display_name: format!("User {i}"),
            first_name: Some("User".into()),
            last_name: Some(format!("{i}")),
            alias: Some(format!("user{i}")),
            usage_location: Some("GB".into()),
            password: None,
            primary_smtp: None,
            proxy_addresses: vec![ProxyAddress {
                primary: false,
                kind: "smtp".into(),
                address: format!("u{i}@contoso.com"),
            }],
            licence_sku: Some("O365_BUSINESS_PREMIUM".into()),
        })
        .collect();
    let groups_v: Vec<Group> = (0..groups)
        .map(|g| Group {
            origin: origin(g + 2),
            name: format!("Group {g}"),
            display_name: None,
            alias: Some(format!("group{g}")),
            primary_smtp: Some(format!("group{g}@contoso.com")),
            proxy_addresses: vec![],
            kind: GroupKind::Distribution,
            accept_external: Some(false),
        })
        .collect();
    let memberships = (0..users.len())
        .map(|i| Membership {
            origin: origin(i + 2),
            group: format!("group{}@contoso.com", i % groups),
            member: format!("user{i}@contoso.com"),
        })
        .collect();
    Tenant {
        users,
        groups: groups_v,
        memberships,
        ..Default::default()
    }
}

fn main() {
    let n = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let project = Project {
        domains: vec!["contoso.com".into()],
        tenant: Some("contoso.onmicrosoft.com".into()),
        source_version: SourceVersion::Ex2016,
        identity: IdentityMode::Cloud,
        migration_account: Some("CONTOSO\\svc".into()),
        ..Default::default()
    };
    let t = tenant(n, (n / 50).max(1));
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = std::env::var("CUTOVER_BENCH_KEEP").is_ok();
    let rounds = std::env::var("CUTOVER_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for round in 1..=rounds {
        let out = dir.path().join(format!("b{round}"));
        let start = Instant::now();
        let p = plan::build(&project, &t, None).expect("plan");
        let planned = start.elapsed();
        let m = bundle::write(&project, &p, &out, &BundleOptions::default()).expect("bundle");
        let total = start.elapsed();
        let ops: u64 = m.steps.iter().map(|s| s.ops).sum();
        let bytes: u64 = walk(&out);
        println!(
            "round {round}: {n} users, {ops} operations: plan {:.3}s, plan+bundle {:.3}s, {:.1} MB written",
            planned.as_secs_f64(),
            total.as_secs_f64(),
            bytes as f64 / 1e6
        );
    }
    if keep {
        println!("kept {}", dir.keep().display());
    }
}

fn walk(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
