//! Reviewed snapshots of the Markdown and JSON reports (times, paths, durations filtered).

mod support;

use serde_json::json;
use support::*;

#[test]
fn markdown_and_json_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = BundleBuilder::new()
        .source_step("01-export", 1)
        .step("05-users", 4)
        .step("06-licences", 3)
        .build(&tmp.path().join("bundle"));
    let s = scenario(
        tmp.path(),
        "mixed",
        json!({"steps": {
            "05-users": {"fail": ["05-users:op2"], "error": "Another object with the same value for property userPrincipalName already exists."},
            "06-licences": {"fail": ["06-licences:op1"], "error": "License assignment cannot be done for user with invalid usage location.", "crash_after": 2}
        }}),
    );
    cutover(Some(&s)).arg("run").arg(&bundle).assert().code(1);
    let run = latest_run(&bundle);
    let render = |format: &str| {
        let out = cutover(None)
            .args(["report", "--format", format])
            .arg(&run)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let tmp_path = tmp.path().display().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&tmp_path), "[TMP]");
    settings.add_filter(r"\d{8}T\d{6}Z(-\d{3})?", "[RUN]");
    settings.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]");
    settings.add_filter(r"cutover \d+\.\d+\.\d+", "cutover [VERSION]");
    settings.add_filter(r#""duration_s": [0-9.e-]+"#, r#""duration_s": "[SECS]""#);
    settings.add_filter(r"\| \d+\.\d \|", "| [SECS] |");
    settings.add_filter(r#""pwsh_path": "[^"]*""#, r#""pwsh_path": "[FAKE-PWSH]""#);
    settings.bind(|| {
        insta::assert_snapshot!("report_md", render("md"));
        insta::assert_snapshot!("report_json", render("json"));
    });
}

fn regex_escape(s: &str) -> String {
    regex::escape(s)
}
