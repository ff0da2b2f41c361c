//! A 1,000-user synthetic tenant rehearses clean (tenant equal to the plan) and a second
//! rehearsal finds everything unchanged: 2016 cloud by default, every other source version x
//! identity in the long suite (`CUTOVER_LONG_TESTS=1`). Prints the time each took.

mod rehearse_support;
use std::time::Instant;

use cutover::run::protocol::Status;
use rehearse_support::*;

fn thousand(version: &str, identity: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = synth_project(dir.path(), 1000);
    let b = bundle(dir.path(), &project, version, identity);
    let mut o = options(&b);
    let t = Instant::now();
    let first = rehearse(&o);
    eprintln!(
        "1,000 users {version} {identity}: first rehearsal {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(first.clean(), "{}", account(&first));
    o.session = true;
    let t = Instant::now();
    let second = rehearse(&o);
    eprintln!(
        "1,000 users {version} {identity}: second rehearsal {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(second.clean(), "{}", account(&second));
    for r in records(&second) {
        // The state export ran before the first rehearsal created the users (see
        // first_then_unchanged).
        let want = if r.step.ends_with("-state-export") {
            Status::Updated
        } else {
            Status::Unchanged
        };
        assert_eq!(r.status, want, "{r:?}");
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn thousand_users_cloud() {
    thousand("2016", "cloud");
}

// The long suite: every other source version x identity.
long_matrix! { thousand;
    long_2007_cloud => ("2007", "cloud"), long_2007_synced => ("2007", "synced"),
    long_2010_cloud => ("2010", "cloud"), long_2010_synced => ("2010", "synced"),
    long_2013_cloud => ("2013", "cloud"), long_2013_synced => ("2013", "synced"),
    long_2016_synced => ("2016", "synced"),
    long_2019_cloud => ("2019", "cloud"), long_2019_synced => ("2019", "synced"),
    long_se_cloud => ("SE", "cloud"), long_se_synced => ("SE", "synced"),
}
