//! The samples bundle of every source version, in both identity modes, rehearsed in the real
//! pwsh against the simulated tenant: the first rehearsal (steps started with `pwsh -File`, as
//! `cutover run` does) makes the tenant equal the plan; the second (every step started from a
//! session, `& ./steps/NN.ps1`) finds everything `unchanged`. One test per version, so the
//! harness runs them on two threads.

mod rehearse_support;
use rehearse_support::*;

fn version(v: &str) {
    let dir = tempfile::tempdir().unwrap();
    let project = samples_project(dir.path());
    for identity in ["cloud", "synced"] {
        first_then_unchanged(dir.path(), &project, v, identity);
    }
}

macro_rules! versions {
    ($($name:ident => $v:literal),* $(,)?) => {$(
        #[test]
        #[cfg_attr(not(cutover_test_pwsh), ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH")]
        fn $name() {
            version($v);
        }
    )*};
}

versions! {
    exchange_2007 => "2007",
    exchange_2010 => "2010",
    exchange_2013 => "2013",
    exchange_2016 => "2016",
    exchange_2019 => "2019",
    exchange_se => "SE",
}
