//! Bundle a synthetic tenant of 100,000 users (2,000 groups, 100,000 memberships), as
//! `cutover bundle` does (lint, load, plan, write), and compare with merely parsing the same
//! input files with the csv crate.
//!
//!     cargo bench --bench bundle
//!
//! CUTOVER_BENCH_USERS (default 100000), CUTOVER_BENCH_ROUNDS (default 3) and
//! CUTOVER_BENCH_KEEP (keep the bundles) adjust it. Each round parses the inputs (the floor)
//! and then bundles them, so both see the same machine; the fastest round of each is shown.
//! Peak memory is the process high-water mark (VmHWM) after the last round.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cutover::bundle::pipeline::{make, Outcome};
use cutover::project::{IdentityMode, Inputs, Project, SourceVersion};

fn csv_parse(files: &[PathBuf]) -> u64 {
    let mut rows = 0;
    for f in files {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(f)
            .expect("open");
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).expect("parse") {
            rows += 1;
        }
    }
    rows
}

/// CPU time of the whole process so far (every thread), in seconds: on a shared machine wall
/// time also counts the time other processes held the cores.
fn cpu_s() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage fills the struct it is given and touches nothing else.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
            return t(u.ru_utime) + t(u.ru_stime);
        }
    }
    0.0
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let n: u64 = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rounds: usize = std::env::var("CUTOVER_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let keep = std::env::var("CUTOVER_BENCH_KEEP").is_ok();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = cutover::synth::Options::new(n, None, None);
    o.seed = 7;
    let w = cutover::synth::write(&dir.path().join("in"), &o).expect("synth");
    let files = vec![w.users.clone(), w.groups.clone(), w.members.clone()];
    let input_mb = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum::<u64>() as f64
        / 1e6;
    let project = Project {
        domains: vec!["contoso.com".into()],
        tenant: Some("contoso.onmicrosoft.com".into()),
        source_version: SourceVersion::Ex2016,
        identity: IdentityMode::Cloud,
        migration_account: Some("CONTOSO\\svc".into()),
        licence_sku: Some("O365_BUSINESS_PREMIUM".into()),
        inputs: Inputs {
            users: Some(w.users.clone()),
            groups: Some(w.groups.clone()),
            members: Some(w.members.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut floor = Duration::MAX;
    let mut best = Duration::MAX;
    let (mut floor_cpu, mut best_cpu) = (f64::MAX, f64::MAX);
    let mut last = (0u64, 0u64, 0u64, 0u64);
    for round in 1..=rounds.max(1) {
        let (t, c) = (Instant::now(), cpu_s());
        std::hint::black_box(csv_parse(&files));
        floor = floor.min(t.elapsed());
        floor_cpu = floor_cpu.min(cpu_s() - c);
        let out = dir.path().join(format!("b{round}"));
        let (t, c) = (Instant::now(), cpu_s());
        let made = make(&project, None, &out, false, None).expect("bundle");
        let took = t.elapsed();
        best = best.min(took);
        best_cpu = best_cpu.min(cpu_s() - c);
        let Outcome::Written { manifest, .. } = made else {
            panic!("the synthetic tenant lints clean");
        };
        let ops: u64 = manifest.steps.iter().map(|s| s.ops).sum();
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        last = (
            ops,
            walk(&out),
            size(&out.join("plan.json")),
            size(&out.join("PLAN.md")),
        );
        println!(
            "round {round}: bundle {:.3} s, parse {:.3} s",
            took.as_secs_f64(),
            floor.as_secs_f64()
        );
        if !keep && round < rounds {
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    let (ops, bytes, plan_json, plan_md) = last;
    println!(
        "input: {n} users, {} groups, {} memberships, {input_mb:.1} MB; {ops} operations",
        o.groups, o.memberships
    );
    println!(
        "bundle written: {:.1} MB (plan.json {:.3} MB, PLAN.md {:.2} MB)",
        bytes as f64 / 1e6,
        plan_json as f64 / 1e6,
        plan_md as f64 / 1e6
    );
    println!(
        "csv crate parse: {:.3} s wall, {floor_cpu:.3} s cpu",
        floor.as_secs_f64()
    );
    println!(
        "cutover bundle:  {:.3} s wall, {best_cpu:.3} s cpu (lint, load, plan, write)",
        best.as_secs_f64()
    );
    println!(
        "bundle / parse: {:.1}x wall, {:.1}x cpu",
        best.as_secs_f64() / floor.as_secs_f64(),
        best_cpu / floor_cpu
    );
    if let Some(peak) = peak_rss_mb() {
        println!("peak RSS of this process: {peak:.0} MB");
    }
    if keep {
        println!("kept {}", dir.keep().display());
    }
}

fn walk(p: &Path) -> u64 {
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
