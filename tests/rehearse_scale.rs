//! A 1,000-user synthetic tenant rehearses clean (tenant equal to the plan) and a second
//! rehearsal finds everything unchanged, in both identity modes on one source version (the full
//! version matrix runs on the samples). Prints the time each took.

mod rehearse_support;
use std::time::Instant;

use cutover::run::protocol::Status;
use rehearse_support::*;

fn thousand(identity: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = synth_project(dir.path(), 1000);
    let b = bundle(dir.path(), &project, "2016", identity);
    let mut o = options(&b);
    let t = Instant::now();
    let first = rehearse(&o);
    eprintln!(
        "1,000 users {identity}: first rehearsal {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(first.clean(), "{}", account(&first));
    o.session = true;
    let t = Instant::now();
    let second = rehearse(&o);
    eprintln!(
        "1,000 users {identity}: second rehearsal {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(second.clean(), "{}", account(&second));
    for r in records(&second) {
        assert!(r.status == Status::Unchanged || is_export(&r), "{r:?}");
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn thousand_users_cloud() {
    thousand("cloud");
}
