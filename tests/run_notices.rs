//! A step in the `notices` phase (the users' notices, sent on their own dates) is left out of
//! every run that does not name it, without making the run unfinished.

mod support;

use predicates::prelude::*;
use support::*;

#[test]
fn a_notices_step_runs_only_when_named() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .step("07-users", 2)
        .step("21-notices-send", 3)
        .build(&tmp.path().join("bundle"));
    let path = bundle.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["steps"][1]["phase"] = "notices".into();
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();

    cutover(None)
        .arg("run")
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("07-users: ok (2 created"))
        .stdout(predicate::str::contains(
            "21-notices-send: skipped (sends the users' notices",
        ));
    let ok = successes_per_op(&latest_run(&bundle));
    assert!(!ok.contains_key("21-notices-send:op1"), "{ok:?}");
    assert_eq!(run_json(&latest_run(&bundle))["state"], "finished");

    cutover(None)
        .args(["run", "--phase", "post-cutover"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("21-notices-send").not());

    cutover(None)
        .args(["run", "--step", "21-notices-send"])
        .arg(&bundle)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("21-notices-send: ok (3 created"));
}
