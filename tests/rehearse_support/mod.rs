//! Shared by the rehearsal tests: projects and bundles made with the cutover binary, rehearsals
//! through the library against the real pwsh, and checks of the journal they leave.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cutover::rehearse::{self, Delays, RehearseOptions, RehearseOutcome};
use cutover::run::journal::Records;
use cutover::run::protocol::{ResultRecord, Status};

#[path = "../pwsh/mod.rs"]
pub mod pwsh;

pub const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");

/// The samples with a licence SKU (so users get mailboxes, as a real migration needs), a
/// migration account and a third-party mail filter, without the mailbox-migration engine.
pub fn samples_project(dir: &Path) -> PathBuf {
    let p = dir.join("project");
    std::fs::create_dir_all(&p).unwrap();
    for e in std::fs::read_dir(SAMPLES).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), p.join(e.file_name())).unwrap();
    }
    let toml = std::fs::read_to_string(p.join("cutover.toml")).unwrap();
    let toml = toml.replacen(
        "[tenant]\n",
        "[tenant]\nlicence_sku = \"O365_BUSINESS_PREMIUM\"\n",
        1,
    );
    // A migration account, so the impersonation and throttling steps are rehearsed too.
    let toml = toml.replacen(
        "[source]\n",
        "[source]\nmigration_account = \"CONTOSO\\\\svc-migration\"\n",
        1,
    );
    // A third-party mail filter, so its connectors are rehearsed and compared too (an IPv6
    // range and a wide one, which the plan leaves out of or splits for SenderIPAddresses).
    let toml = format!(
        "{toml}\n[mail_filter]\nvendor = \"Mimecast\"\nip_ranges = [\"192.0.2.0/24\", \"198.51.100.0/23\", \"2001:db8::/48\"]\nsmarthost = \"relay.example.com\"\nspf_include = \"_netblocks.example.com\"\n"
    );
    // The mailbox-migration steps are rehearsed by `rehearse_migration` (each engine, a few
    // mailboxes); leaving them out here keeps the version x identity matrix within CI's budget.
    let toml = toml.replacen("engine = \"migrationwiz\"", "engine = \"none\"", 1);
    std::fs::write(p.join("cutover.toml"), toml).unwrap();
    p
}

/// A synthetic tenant of `users` users (cutover synth: users, groups, members) with a licence SKU.
pub fn synth_project(dir: &Path, users: usize) -> PathBuf {
    let p = dir.join("project");
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["synth", "--users", &users.to_string(), "--out"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "synth: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        p.join("cutover.toml"),
        "[tenant]\nname = \"contoso.onmicrosoft.com\"\ndomains = [\"contoso.com\"]\nusage_location = \"US\"\n\
         identity = \"cloud\"\nlicence_sku = \"O365_BUSINESS_PREMIUM\"\n\n[source]\nversion = \"2016\"\n\n\
         [inputs]\nusers = \"users.csv\"\ngroups = \"groups.csv\"\nmembers = \"members.csv\"\n",
    )
    .unwrap();
    p
}

pub struct Bundled {
    pub bundle: PathBuf,
    pub secrets: PathBuf,
}

/// `cutover bundle` of a project for a source version and identity mode.
pub fn bundle(dir: &Path, project: &Path, version: &str, identity: &str) -> Bundled {
    let bundle = dir.join(format!("bundle-{version}-{identity}"));
    let secrets = dir.join(format!("secrets-{version}-{identity}.csv"));
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .current_dir(project)
        .args([
            "bundle",
            "--source-version",
            version,
            "--identity",
            identity,
            "--force",
            "--out",
        ])
        .arg(&bundle)
        .arg("--secrets-out")
        .arg(&secrets)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bundle {version} {identity}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Bundled { bundle, secrets }
}

/// Whether the rehearsal tests run every step in a fresh runspace of one long-lived pwsh
/// (`RehearseOptions.hosted`, `cutover rehearse --hosted`) rather than one pwsh process per step.
/// The one switch: `rehearse_matrix` still starts some rehearsals per process on purpose.
pub const HOSTED: bool = true;

pub fn options(b: &Bundled) -> RehearseOptions {
    let mut o = RehearseOptions::new(&b.bundle);
    o.pwsh = Some(pwsh::path());
    o.hosted = HOSTED;
    o.progress = cutover::run::ProgressMode::Hidden;
    if b.secrets.exists() {
        o.secrets = Some(b.secrets.clone());
    }
    o.delays = Delays::None;
    o
}

/// `o` with one host kept for every hosted rehearsal made from it (clones included): pwsh's
/// start and its warm-up paid once per test, not once per rehearsal (`rehearse::SharedHost`).
pub fn with_shared_host(mut o: RehearseOptions) -> RehearseOptions {
    o.host = Some(
        rehearse::SharedHost::start(&o.bundle, o.pwsh.as_deref())
            .unwrap_or_else(|e| panic!("host for {}: {e}", o.bundle.display())),
    );
    o
}

pub fn rehearse(o: &RehearseOptions) -> RehearseOutcome {
    rehearse::rehearse(o).unwrap_or_else(|e| panic!("rehearse {}: {e}", o.bundle.display()))
}

pub fn records(out: &RehearseOutcome) -> Vec<ResultRecord> {
    Records::read(&out.run.run_dir.join("results.jsonl"))
        .unwrap()
        .records
}

/// The last record of each operation.
pub fn last(records: &[ResultRecord]) -> BTreeMap<(String, String), ResultRecord> {
    let mut m = BTreeMap::new();
    for r in records {
        m.insert((r.step.clone(), r.op.clone()), r.clone());
    }
    m
}

/// A readable account of a rehearsal for assertion messages.
pub fn account(out: &RehearseOutcome) -> String {
    let mut s = String::new();
    for st in &out.run.steps {
        s.push_str(&format!("{}: {:?}\n", st.id, st.status));
    }
    for r in records(out).iter().filter(|r| r.status == Status::Failed) {
        s.push_str(&format!(
            "FAILED {} {}: {}\n",
            r.step,
            r.op,
            r.error.as_deref().unwrap_or("")
        ));
    }
    for l in out.comparison.lines() {
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(&format!("journal {}\n", out.run.run_dir.display()));
    s
}

/// Read-only exports: they write local files on every run (`created` the first time, then
/// `unchanged` or `updated` against the last export), and change nothing in the service.
pub fn is_export(r: &ResultRecord) -> bool {
    r.action == "export"
}

/// First rehearsal (as `o` says, started with `pwsh -File` unless `o.session`): every operation
/// succeeded, the tenant equals the plan. Second, from a session: every operation `unchanged`,
/// the tenant still equals the plan. The second runs hosted (`HOSTED`) whatever the first did:
/// a session step in a fresh runspace is a session step in a fresh pwsh
/// (`rehearse_hosted::samples_2007_in_session_mode_rehearse_the_same_hosted` holds them to the
/// same records and tenant), and one pwsh per step costs about 20 s more per samples rehearsal.
pub fn first_then_unchanged_with(o: &RehearseOptions, version: &str, identity: &str) {
    let first = rehearse(o);
    assert!(
        first.clean(),
        "first rehearsal {version} {identity}:\n{}",
        account(&first)
    );
    assert!(first.comparison.checked > 0);
    for r in records(&first) {
        assert_ne!(r.status, Status::Failed, "{version} {identity}: {r:?}");
    }
    second_unchanged(o, version, identity);
}

/// A rehearsal of a tenant an earlier one filled, every step started from a session and hosted
/// (`HOSTED`): every operation `unchanged`, the tenant still equals the plan.
pub fn second_unchanged(o: &RehearseOptions, version: &str, identity: &str) {
    let mut o = o.clone();
    o.hosted = HOSTED;
    o.session = true;
    let second = rehearse(&o);
    assert!(
        second.clean(),
        "second rehearsal {version} {identity}:\n{}",
        account(&second)
    );
    // Exports too: the source exports wrote the same files as the first rehearsal's. The
    // tenant's state export ran before the first rehearsal created anything, so the second one
    // truthfully differs from it (`updated`). A DNS check has no resolver here (`skipped`).
    for r in records(&second) {
        let want = if r.step.ends_with("-state-export") {
            Status::Updated
        } else if r.action == "check" && r.status == Status::Skipped {
            Status::Skipped
        } else {
            Status::Unchanged
        };
        assert_eq!(
            r.status,
            want,
            "second rehearsal {version} {identity}: {r:?}\n{}",
            account(&second)
        );
    }
}

/// The samples without their one name collision (the group and the shared mailbox both named
/// "Sales", which Exchange Online refuses): for tests about resuming, not about collisions.
pub fn samples_project_without_collision(dir: &Path) -> PathBuf {
    let p = samples_project(dir);
    let groups = std::fs::read_to_string(p.join("groups.csv")).unwrap();
    std::fs::write(
        p.join("groups.csv"),
        groups.replacen("\nSales,", "\nSales Team,", 1),
    )
    .unwrap();
    p
}

/// The (step, op) ids of every planned operation of the migrate phase: what a rehearsal that ran
/// through must have a record for (post-cutover steps wait for `--phase post-cutover`; notices go
/// out on their own dates).
pub fn migrate_ops(bundle: &Path) -> Vec<(String, String)> {
    let plan: serde_json::Value = cutover::plan::contract::read(bundle).unwrap();
    let mut ops = Vec::new();
    for step in plan["steps"].as_array().unwrap() {
        if step["phase"] != "migrate" {
            continue;
        }
        for op in step["ops"].as_array().unwrap() {
            ops.push((
                step["id"].as_str().unwrap().to_string(),
                op["id"].as_str().unwrap().to_string(),
            ));
        }
    }
    ops
}

/// One test per (source version, identity) for the long suite: compiled as ignored, with the
/// reason, unless `CUTOVER_LONG_TESTS=1` (and a pwsh) were set when the tests were built, so the
/// default `cargo test` never counts them as passed. `$f(version, identity)` is the test body.
#[macro_export]
macro_rules! long_matrix {
    ($f:path; $($name:ident => ($v:literal, $i:literal)),* $(,)?) => {$(
        #[test]
        #[cfg_attr(
            not(cutover_long_tests),
            ignore = "long suite: set CUTOVER_LONG_TESTS=1 to run every source version x identity"
        )]
        #[cfg_attr(
            all(cutover_long_tests, not(cutover_test_pwsh)),
            ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
        )]
        fn $name() {
            $f($v, $i);
        }
    )*};
}
