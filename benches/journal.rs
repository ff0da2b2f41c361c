//! Records per second through the journal, with the fake pwsh.
//!
//! Run: `cargo bench --bench journal` (release build; builds tools/fake-pwsh in release too).
//! Prints: end-to-end (fake step writes N records, one write each, the runner follows them into
//! progress and run.json), the runner's journal reading alone, and report summarising.
//! `JOURNAL_BENCH_OPS` sets N (default 200000).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use cutover::run::journal::{Records, Tail};
use cutover::run::{run_bundle, Mode, ProgressMode, RunOptions};

fn main() {
    let n: usize = std::env::var("JOURNAL_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let fake = support::fake_pwsh();
    let tmp = tempfile::tempdir().expect("temp dir");
    let bundle = support::BundleBuilder::new()
        .step("05-users", n)
        .build(&tmp.path().join("bundle"));

    let mut opts = RunOptions::new(&bundle);
    opts.pwsh = Some(fake);
    opts.mode = Mode::Fresh;
    opts.progress = ProgressMode::Hidden;
    let started = Instant::now();
    let outcome = run_bundle(&opts).expect("run");
    let end_to_end = started.elapsed().as_secs_f64();
    assert!(outcome.all_done, "every record must arrive");
    let results = outcome.run_dir.join("results.jsonl");
    let bytes = std::fs::metadata(&results).map(|m| m.len()).unwrap_or(0);

    let started = Instant::now();
    let mut count = 0usize;
    let mut tail = Tail::open(&results, 0).expect("open journal");
    tail.poll(|r| {
        if r.is_ok() {
            count += 1
        }
    })
    .expect("read journal");
    let tail_s = started.elapsed().as_secs_f64();
    assert_eq!(count, n);

    let started = Instant::now();
    let recs = Records::read(&results).expect("read");
    let last = recs.last_status();
    let read_s = started.elapsed().as_secs_f64();
    assert_eq!(last.of_step("05-users").count(), n);

    let started = Instant::now();
    let html = cutover::report::render(&outcome.run_dir, cutover::report::ReportFormat::Json)
        .expect("report");
    let report_s = started.elapsed().as_secs_f64();
    assert!(html.contains("\"version\": 1"));

    let rate = |secs: f64| n as f64 / secs;
    println!("records: {n} ({:.1} MB journal)", bytes as f64 / 1e6);
    println!(
        "end to end (fake pwsh writes, runner follows): {end_to_end:.3} s = {:.0} records/s",
        rate(end_to_end)
    );
    println!(
        "runner journal tail (parse + validate):         {tail_s:.3} s = {:.0} records/s",
        rate(tail_s)
    );
    println!(
        "journal read + last status per op (resume):     {read_s:.3} s = {:.0} records/s",
        rate(read_s)
    );
    println!(
        "report json (read + summarise + render):        {report_s:.3} s = {:.0} records/s",
        rate(report_s)
    );
}
