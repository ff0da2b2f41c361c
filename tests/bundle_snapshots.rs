//! The generated scripts for Exchange 2007, 2010 and 2016 sources, as a reviewer reads them.
//! Scripts depend only on the plan's settings, so these also pin what every bundle contains.

mod common;

use common::*;
use cutover::project::{IdentityMode, SourceVersion};

fn snapshot(version: SourceVersion, identity: IdentityMode, only: &[&str]) {
    snapshot_of(&project(version, identity), only);
}

fn snapshot_of(p: &cutover::project::Project, only: &[&str]) {
    let (version, identity) = (p.source_version, p.identity);
    let dir = tempfile::tempdir().unwrap();
    let m = write_bundle(p, &tenant(3), dir.path());
    let mut seen = 0;
    for s in &m.steps {
        if !only.is_empty() && !only.contains(&s.id.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(dir.path().join(&s.file)).unwrap();
        let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
        let name = format!("{}-{}-{}", version.as_str(), identity.as_str(), s.id);
        insta::with_settings!({filters => vec![(r"cutover \d+\.\d+\.\d+", "cutover [VERSION]")]}, {
            insta::assert_snapshot!(name, text);
        });
        seen += 1;
    }
    assert!(
        seen > 0 && (only.is_empty() || seen == only.len()),
        "{seen}"
    );
}

#[test]
fn exchange_2007_source_scripts() {
    snapshot(
        SourceVersion::Ex2007,
        IdentityMode::Synced,
        &[
            "03-source-impersonation",
            "05-source-export",
            "11-aliases",
            "91-source-impersonation-revert",
        ],
    );
}

#[test]
fn exchange_2010_source_scripts() {
    snapshot(
        SourceVersion::Ex2010,
        IdentityMode::Synced,
        &[
            "03-source-impersonation",
            "04-source-throttling",
            "05-source-export",
            "11-aliases",
            "90-source-throttling-revert",
        ],
    );
}

#[test]
fn exchange_2016_cloud_bundle() {
    snapshot(SourceVersion::Ex2016, IdentityMode::Cloud, &[]);
}

#[test]
fn exchange_2016_synced_differences() {
    snapshot(
        SourceVersion::Ex2016,
        IdentityMode::Synced,
        &[
            "07-users-verify",
            "09-mailboxes-verify",
            "10-shared-mailboxes-1-licence",
            "10-shared-mailboxes-2-convert",
            "10-shared-mailboxes-3-unlicence",
            "11-aliases",
        ],
    );
}

#[test]
fn migrationwiz_steps() {
    snapshot_of(
        &migration_project(SourceVersion::Ex2016, IdentityMode::Cloud, None),
        &[
            "30-mw-project",
            "31-mw-verify",
            "32-mw-prestage",
            "33-mw-status",
            "80-mw-full",
        ],
    );
}

#[test]
fn native_remote_move_steps() {
    snapshot_of(
        &migration_project(SourceVersion::Ex2016, IdentityMode::Synced, None),
        &[
            "30-migration-endpoint",
            "31-migration-batch",
            "32-migration-start",
            "33-migration-status",
            "80-migration-complete",
        ],
    );
}
