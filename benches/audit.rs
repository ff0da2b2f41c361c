//! Audit of 100,000 mailboxes of statistics: load, join, rules and the estimate.
//!
//! Run: `cargo bench --bench audit` (release). Prints wall time per phase, rows per second and
//! peak resident memory. Set `AUDIT_BENCH_MAILBOXES` for another size.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::NaiveDate;
use cutover::audit::estimate::{estimate, Settings};
use cutover::audit::{audit, load};
use cutover::project::Project;

fn size(bytes: u64) -> String {
    let gb = bytes as f64 / (1u64 << 30) as f64;
    let grouped = bytes
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",");
    format!("\"{gb:.3} GB ({grouped} bytes)\"")
}

/// CPU time this thread has run, in nanoseconds: on a shared machine, wall time also counts
/// the time other processes held the CPU.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Rows in the files, parsed by the csv crate and nothing else.
fn csv_parse(files: &[std::path::PathBuf]) -> u64 {
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

fn main() {
    let n: u64 = std::env::var("AUDIT_BENCH_MAILBOXES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut m, mut s, mut p) = (String::new(), String::new(), String::new());
    m.push_str("Identity,Alias,DisplayName,PrimarySmtpAddress,UserPrincipalName,ExchangeGuid,RecipientTypeDetails,EmailAddresses,ArchiveGuid,ArchiveStatus,LitigationHoldEnabled,ForwardingSmtpAddress,ForwardingAddress,DeliverToMailboxAndForward,ProhibitSendQuota\n");
    s.push_str("MailboxGuid,DisplayName,IsArchiveMailbox,TotalItemSize,TotalDeletedItemSize,ItemCount,DeletedItemCount\n");
    p.push_str("Identity,User,AccessRights,ExtendedRights,IsInherited,Deny\n");
    let mut stats_rows = 0u64;
    for i in 0..n {
        let kind = if i % 50 == 0 {
            "SharedMailbox"
        } else {
            "UserMailbox"
        };
        let archive = i % 10 == 0;
        let guid = format!("{i:08x}-0000-4000-8000-000000000000");
        let aguid = format!("{i:08x}-0000-4000-8000-00000000000a");
        let _ = writeln!(
            m,
            "contoso.com/Users/User {i},user{i},User {i},user{i}@contoso.com,user{i}@contoso.com,{guid},{kind},SMTP:user{i}@contoso.com;smtp:u{i}@contoso.com,{},{},False,,,False,Unlimited",
            if archive { aguid.as_str() } else { "" },
            if archive { "Active" } else { "None" },
        );
        let bytes = (i * 7_919_993) % (60u64 << 30);
        let _ = writeln!(
            s,
            "{guid},User {i},False,{},{},{},0",
            size(bytes),
            size(bytes / 20),
            1 + bytes / 75_000
        );
        stats_rows += 1;
        if archive {
            let _ = writeln!(
                s,
                "{aguid},Personal Archive - User {i},True,{},0 B (0 bytes),{},0",
                size(bytes / 3),
                1 + bytes / 300_000
            );
            stats_rows += 1;
        }
        if i % 4 == 0 && i > 0 {
            let _ = writeln!(
                p,
                "contoso.com/Users/User {i},CONTOSO\\user{},FullAccess,,False,False",
                i - 1
            );
            let _ = writeln!(
                p,
                "contoso.com/Users/User {i},NT AUTHORITY\\SELF,FullAccess,,False,False"
            );
        }
    }
    let paths = [("m.csv", &m), ("s.csv", &s), ("p.csv", &p)].map(|(name, text)| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write fixture");
        path
    });
    let project = Project {
        domains: vec!["contoso.com".into()],
        ..Default::default()
    };

    let runs: u32 = std::env::var("AUDIT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let settings = Settings {
        bandwidth_mbps: 100.0,
        concurrency: None,
        prestage_days: 90,
        recent_fraction: 0.1,
        batch_size: None,
        start: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
    };
    // The machine is shared: each phase's fastest of `runs` is the figure, in wall time and in
    // CPU time (what the audit itself costs, whoever else is running).
    let mut best = [(f64::MAX, f64::MAX); 6];
    // The floor: merely parsing the same three files with the csv crate, interleaved with the
    // audit's runs so both see the same machine.
    let mut floor = (f64::MAX, f64::MAX);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = (Instant::now(), cpu_ns());
        std::hint::black_box(csv_parse(&paths));
        floor = (
            floor.0.min(start.0.elapsed().as_secs_f64() * 1000.0),
            floor.1.min(cpu_ns().saturating_sub(start.1) as f64 / 1e6),
        );
        let start = (Instant::now(), cpu_ns());
        let mut marks = Vec::with_capacity(6);
        let mut mark = |from: (Instant, u64)| {
            let now = (Instant::now(), cpu_ns());
            marks.push((
                now.0.duration_since(from.0).as_secs_f64() * 1000.0,
                now.1.saturating_sub(from.1) as f64 / 1e6,
            ));
            now
        };
        let mailboxes = load::load_mailboxes(&paths[0], &project).expect("mailboxes");
        let t = mark(start);
        let stats = load::load_stats(&paths[1], &project).expect("stats");
        let t = mark(t);
        let perms = load::load_permissions(&paths[2], &project).expect("permissions");
        let t = mark(t);
        let a = audit(
            &mailboxes.records,
            &stats.records,
            &perms.records,
            &[],
            &project,
        );
        let t = mark(t);
        let e = estimate(&mailboxes.records, &a.usage, &a.groups, &settings);
        mark(t);
        mark(start);
        for (slot, (wall, cpu)) in best.iter_mut().zip(marks) {
            *slot = (slot.0.min(wall), slot.1.min(cpu));
        }
        last = Some((
            perms.records.len(),
            a.findings.len(),
            e.total_bytes,
            e.batches.len(),
        ));
    }
    let (perm_rows, finding_count, total_bytes, batch_count) = last.unwrap_or_default();
    let row = |name: &str, (wall, cpu): (f64, f64), note: String| {
        println!("  {name:<18}{wall:>9.1} ms wall {cpu:>9.1} ms cpu  {note}");
    };
    println!(
        "audit bench: {n} mailboxes, {stats_rows} statistics rows, {perm_rows} permission rows; fastest of {runs} runs"
    );
    let [m, s, p, a, e, total] = best;
    row("load mailboxes", m, String::new());
    row("load statistics", s, String::new());
    row("load permissions", p, String::new());
    row("audit (rules)", a, format!("{finding_count} findings"));
    row(
        "estimate",
        e,
        format!("{total_bytes} bytes, {batch_count} batches"),
    );
    row(
        "statistics audit",
        (s.0 + a.0 + e.0, s.1 + a.1 + e.1),
        "load statistics + audit + estimate".into(),
    );
    row(
        "total",
        total,
        format!(
            "{:.0} statistics rows/s (cpu)",
            stats_rows as f64 / (total.1 / 1000.0)
        ),
    );
    row(
        "csv crate parse",
        floor,
        "the floor: same files, no checks".into(),
    );
    println!(
        "  total / parse    {:>8.1}x wall {:>8.1}x cpu",
        total.0 / floor.0,
        total.1 / floor.1
    );
    if let Some(kb) = peak_rss_kb() {
        println!("  peak RSS         {:>8.1} MB", kb as f64 / 1024.0);
    }
}
