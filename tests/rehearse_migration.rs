//! The mailbox migration's steps rehearsed in the real pwsh against the simulated engines, a few
//! mailboxes each (seconds): MigrationWiz (BitTitan's module, simulated from BitTitan's SDK
//! examples) and a native remote move (Exchange Online's migration batches). The first rehearsal
//! creates the project, items, endpoint and batches and submits the passes; the status steps
//! write one progress record per mailbox; a second rehearsal submits nothing twice. A service
//! error (an injected fault, written with Write-Error by the simulation) is recorded `failed`
//! with the service's own text.

mod rehearse_support;
use cutover::run::protocol::{ResultRecord, Status};
use rehearse_support::*;

fn project_with(dir: &std::path::Path, migration: &str) -> std::path::PathBuf {
    let p = synth_project(dir, 3);
    let toml = std::fs::read_to_string(p.join("cutover.toml")).unwrap();
    std::fs::write(
        p.join("cutover.toml"),
        format!("{toml}\n[schedule]\ncutover = 2026-12-12\n\n[migration]\n{migration}"),
    )
    .unwrap();
    p
}

const MIGRATIONWIZ: &str = "engine = \"migrationwiz\"\ncustomer = \"Contoso Ltd\"\n\
    project = \"Contoso mailboxes\"\nsource_server = \"https://mail.contoso.com/EWS/Exchange.asmx\"\n";
const REMOTE_MOVE: &str = "engine = \"native\"\nendpoint_type = \"remote-move\"\n\
    source_server = \"hybrid.contoso.com\"\n";

fn of_step<'a>(recs: &'a [ResultRecord], step: &str) -> Vec<&'a ResultRecord> {
    recs.iter().filter(|r| r.step == step).collect()
}

/// The migration steps' own facts (the comparison also lists what the steps not run would do).
fn migration_missing(out: &cutover::rehearse::RehearseOutcome) -> Vec<String> {
    out.comparison
        .missing
        .iter()
        .filter(|m| m.step.starts_with("3"))
        .map(|m| format!("{m:?}"))
        .collect()
}

/// One run, then one from a session: the first creates and submits (`steps`), the status step
/// reports each mailbox's pass with the engine's own state, the second changes nothing.
/// `only`: rehearse just the migration steps (seconds) instead of the whole bundle.
fn rehearse_twice(
    migration: &str,
    identity: &str,
    steps: &[&str],
    status: &str,
    engine: &str,
    only: bool,
) {
    let dir = tempfile::tempdir().unwrap();
    let p = project_with(dir.path(), migration);
    let b = bundle(dir.path(), &p, "2016", identity);
    let mut o = options(&b);
    if only {
        o.steps = steps
            .iter()
            .chain([&status])
            .map(|s| s.to_string())
            .collect();
    }
    let first = rehearse(&o);
    if only {
        assert!(first.run.all_done, "{}", account(&first));
        assert_eq!(migration_missing(&first), Vec::<String>::new());
    } else {
        assert!(first.clean(), "{}", account(&first));
    }
    let recs = records(&first);
    let mailboxes = of_step(&recs, status).len();
    assert_eq!(
        mailboxes,
        3,
        "one status record per mailbox\n{}",
        account(&first)
    );
    for s in steps {
        let done = of_step(&recs, s);
        assert!(!done.is_empty(), "{s}: no records\n{}", account(&first));
        assert!(
            done.iter()
                .all(|r| matches!(r.status, Status::Created | Status::Updated)),
            "{s}: {done:?}"
        );
    }
    for r in of_step(&recs, status) {
        assert_eq!(r.status, Status::Unchanged, "{r:?}");
        let p = r.progress.as_ref().expect("a progress field");
        assert_eq!(p.engine, engine);
        assert!(!p.state.is_empty(), "{r:?}");
        assert!(
            r.op.ends_with(&r.target),
            "the target is the mailbox: {r:?}"
        );
    }
    o.session = true;
    let second = rehearse(&o);
    if only {
        assert!(second.run.all_done, "{}", account(&second));
    } else {
        assert!(second.clean(), "{}", account(&second));
    }
    for r in records(&second) {
        if steps.contains(&r.step.as_str()) {
            assert_eq!(r.status, Status::Unchanged, "submitted twice: {r:?}");
        }
    }
}

const MW_STEPS: [&str; 3] = ["30-mw-project", "31-mw-verify", "32-mw-prestage"];
const NATIVE_STEPS: [&str; 3] = [
    "30-migration-endpoint",
    "31-migration-batch",
    "32-migration-start",
];

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn migrationwiz_steps_rehearse() {
    rehearse_twice(
        MIGRATIONWIZ,
        "cloud",
        &MW_STEPS,
        "33-mw-status",
        "migrationwiz",
        true,
    );
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn native_remote_move_steps_rehearse() {
    rehearse_twice(
        REMOTE_MOVE,
        "synced",
        &NATIVE_STEPS,
        "33-migration-status",
        "native",
        true,
    );
}

/// A cutover batch: every mailbox of the source, no CSV; the endpoint found by Autodiscover
/// from an on-premises mailbox's address (the synthetic tenant's first user).
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn native_cutover_steps_rehearse() {
    rehearse_twice(
        CUTOVER,
        "cloud",
        &NATIVE_STEPS,
        "33-migration-status",
        "native",
        true,
    );
}

const CUTOVER: &str = "engine = \"native\"\nendpoint_type = \"cutover\"\n\
    source_admin = \"francois.tanaka.0@contoso.com\"\n";

/// The whole bundle with each engine, twice (minutes: opt-in).
#[test]
#[cfg_attr(
    not(all(cutover_test_pwsh, cutover_long_tests)),
    ignore = "long: set CUTOVER_LONG_TESTS=1 (and CUTOVER_TEST_PWSH)"
)]
fn whole_bundles_with_each_engine_rehearse() {
    rehearse_twice(
        MIGRATIONWIZ,
        "cloud",
        &MW_STEPS,
        "33-mw-status",
        "migrationwiz",
        false,
    );
    rehearse_twice(
        REMOTE_MOVE,
        "synced",
        &NATIVE_STEPS,
        "33-migration-status",
        "native",
        false,
    );
}

/// With the simulation's faults on, an operation of a migration step that the service refuses
/// is `failed` with the service's message (the Write-Error text), never a success.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_service_error_is_recorded_failed_with_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = project_with(dir.path(), MIGRATIONWIZ);
    let b = bundle(dir.path(), &p, "2016", "cloud");
    let mut o = options(&b);
    o.faults = Some(FAULT_SEED);
    o.continue_past_gates = true;
    o.steps = MW_STEPS.iter().map(|s| s.to_string()).collect();
    let out = rehearse(&o);
    let recs = records(&out);
    let failed: Vec<&ResultRecord> = recs.iter().filter(|r| r.status == Status::Failed).collect();
    assert!(
        !failed.is_empty(),
        "no fault hit a migration step\n{}",
        account(&out)
    );
    // The service's own text (the simulation's injected refusal) is the record's error; what
    // depended on the refused operation fails naming it; no failure is without its reason.
    let service = |r: &&ResultRecord| {
        r.error
            .as_deref()
            .is_some_and(|e| e.contains("out of the current user's write scope"))
    };
    assert!(failed.iter().any(service), "{failed:#?}");
    for r in &failed {
        assert!(
            r.error.as_deref().is_some_and(|e| !e.trim().is_empty()),
            "{r:?}"
        );
    }
    // A failed operation's effect is missing, never reported done.
    let last = last(&recs);
    for m in &out.comparison.missing {
        if let Some(r) = last.get(&(m.step.clone(), m.op.clone())) {
            assert!(!r.status.is_success(), "{m:?}: {r:?}");
        }
    }
}

/// A seed whose faults hit at least one MigrationWiz operation of the synthetic project.
const FAULT_SEED: u64 = 7;
