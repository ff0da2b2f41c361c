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

/// One run of the migrate phase, then one from a session: the first creates and submits, the
/// status step reports each mailbox's pass with the engine's own state, the second changes
/// nothing.
fn rehearse_twice(migration: &str, identity: &str, steps: &[&str], status: &str, engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = project_with(dir.path(), migration);
    let b = bundle(dir.path(), &p, "2016", identity);
    let mut o = options(&b);
    let first = rehearse(&o);
    assert!(first.clean(), "{}", account(&first));
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
            done.iter().all(|r| r.status == Status::Created),
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
    assert!(second.clean(), "{}", account(&second));
    for r in records(&second) {
        if steps.contains(&r.step.as_str()) {
            assert_eq!(r.status, Status::Unchanged, "submitted twice: {r:?}");
        }
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn migrationwiz_steps_rehearse() {
    rehearse_twice(
        MIGRATIONWIZ,
        "cloud",
        &["30-mw-project", "31-mw-verify", "32-mw-prestage"],
        "33-mw-status",
        "migrationwiz",
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
        &["30-migration-endpoint", "31-migration-batch"],
        "33-migration-status",
        "native",
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
    let out = rehearse(&o);
    let recs = records(&out);
    let failed: Vec<&ResultRecord> = recs
        .iter()
        .filter(|r| r.step.contains("-mw-") && r.status == Status::Failed)
        .collect();
    assert!(
        !failed.is_empty(),
        "no fault hit a migration step\n{}",
        account(&out)
    );
    for r in failed {
        let e = r.error.as_deref().unwrap_or("");
        assert!(
            e.contains("out of the current user's write scope") || e.contains("ErrorServerBusy"),
            "{r:?}"
        );
    }
}

/// A seed whose faults hit at least one MigrationWiz operation of the synthetic project.
const FAULT_SEED: u64 = 7;
