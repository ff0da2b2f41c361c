//! The MigrationWiz steps need Windows PowerShell 5.1, so `cutover run` prints their command
//! instead of starting them (as for source-server steps), and takes their results back with
//! `--import-results`. A wave run names that wave's operations in the printed command.

mod common;
mod support;

use common::*;
use cutover::project::{IdentityMode, SourceVersion};

#[test]
fn a_wave_run_prints_the_by_hand_command_with_that_waves_operations() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    // Five users, two mailboxes a wave: waves 1, 2 and 3.
    write_bundle(
        &migration_project(SourceVersion::Ex2016, IdentityMode::Cloud, None),
        &tenant(5),
        &bundle,
    );
    let out = support::cutover(None)
        .args(["run", "--step", "31-mw-verify", "--wave", "2"])
        .arg(&bundle)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("runs in Windows PowerShell 5.1"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("31-mw-verify.ps1"))
        .unwrap_or_else(|| panic!("no command in\n{text}"));
    let at = line.find("-OnlyOpsPath ").expect("the wave's operations") + "-OnlyOpsPath ".len();
    let path = line[at..]
        .split(" -ResultsPath")
        .next()
        .unwrap()
        .trim_matches('\'');
    let listed = std::fs::read_to_string(path).unwrap();
    let data = std::fs::read(bundle.join("data/31-mw-verify.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(&data[3..]);
    let wave2: Vec<String> = rows
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[1] == "2")
        .map(|r| r[0].to_string())
        .collect();
    assert!(!wave2.is_empty());
    assert_eq!(listed.lines().collect::<Vec<_>>(), wave2);
    // Without --wave the command runs every row (no list).
    let out = support::cutover(None)
        .args(["run", "--step", "31-mw-verify"])
        .arg(&bundle)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("31-mw-verify.ps1 -ResultsPath"), "{text}");
    // Until its results are imported, the report says where the step runs, not "not run".
    let run = support::latest_run(&bundle);
    let out = support::cutover(None)
        .args(["report", "--format", "md"])
        .arg(&run)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    let row = md
        .lines()
        .find(|l| l.contains("31-mw-verify"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        row.contains("runs in Windows PowerShell 5.1 on the jump box: import its results"),
        "{row}"
    );
}
