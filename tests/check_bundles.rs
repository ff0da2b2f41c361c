//! The generator's own output must pass `cutover check`: every step of a bundle for the
//! samples, for every source version and both identity modes, against the step's target.

mod samples_config;
use assert_cmd::Command;
use serde_json::Value;

fn cutover() -> Command {
    Command::cargo_bin("cutover").expect("binary")
}

#[test]
fn every_generated_step_passes_check_for_its_target() {
    let config = format!("{}/samples/cutover.toml", env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("tempdir");
    for version in ["2003", "2007", "2010", "2013", "2016", "2019", "SE"] {
        for identity in ["cloud", "synced"] {
            let out = work.path().join(format!("{version}-{identity}"));
            let secrets = work.path().join(format!("{version}-{identity}.secrets"));
            cutover()
                .args(["bundle", "--config", &config, "--source-version", version])
                .args(["--identity", identity, "--out"])
                .arg(&out)
                .arg("--secrets-out")
                .arg(&secrets)
                .assert()
                .code(0);
            let v = check_clean(&out, &format!("{version} {identity}"));
            // The module is checked against the targets of the steps that load it: its
            // jump-box connection functions are not "missing" on the source server.
            let ps005: Vec<&Value> = v["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter(|f| f["code"] == "PS005")
                .collect();
            assert!(ps005.is_empty(), "{version} {identity}: {ps005:#?}");
            let checked = v["files"].as_array().map_or(0, Vec::len);
            assert!(
                checked >= 2,
                "{version} {identity}: only {checked} files checked"
            );
        }
    }
}

/// The samples with a `[migration]` table, in a folder of their own.
fn samples_with_migration(dir: &std::path::Path, migration: &str) -> String {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for e in std::fs::read_dir(&samples).expect("samples") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            std::fs::copy(e.path(), dir.join(e.file_name())).expect("copy");
        }
    }
    let config = dir.join("cutover.toml");
    let toml = std::fs::read_to_string(&config).expect("toml");
    std::fs::write(&config, samples_config::with_migration(&toml, migration)).expect("write");
    config.display().to_string()
}

/// The migration steps of both engines pass `cutover check` for their targets: MigrationWiz's
/// against BitTitan's cmdlets in Windows PowerShell 5.1, the native ones against Exchange
/// Online's, for each native type where Microsoft supports the source.
#[test]
fn migration_steps_pass_check_for_their_targets() {
    let mw = "engine = \"migrationwiz\"\ncustomer = \"Contoso\"\nsource_server = \"https://mail.contoso.com/EWS/Exchange.asmx\"\n";
    let native = |t: &str| {
        format!(
            "engine = \"native\"\nendpoint_type = \"{t}\"\nsource_server = \"hybrid.contoso.com\"\nsource_admin = \"administrator@contoso.com\"\n"
        )
    };
    let cases = [
        ("2016", "cloud", mw.to_string(), "30-mw-project"),
        ("2010", "cloud", native("cutover"), "31-migration-batch"),
        ("2007", "synced", native("staged"), "31-migration-batch"),
        (
            "2016",
            "synced",
            native("remote-move"),
            "80-migration-complete",
        ),
    ];
    for (version, identity, migration, expect) in cases {
        let work = tempfile::tempdir().expect("tempdir");
        let config = samples_with_migration(work.path(), &migration);
        let out = work.path().join("bundle");
        cutover()
            .args(["bundle", "--config", &config, "--source-version", version])
            .args(["--identity", identity, "--out"])
            .arg(&out)
            .arg("--secrets-out")
            .arg(work.path().join("secrets.csv"))
            .assert()
            .code(0);
        assert!(
            out.join(format!("steps/{expect}.ps1")).exists(),
            "{version} {identity}: no {expect}"
        );
        check_clean(&out, &format!("{version} {identity}"));
    }
}

/// `cutover check --bundle` on `out`: exit 0 and nothing above info. Returns the JSON report.
fn check_clean(out: &std::path::Path, what: &str) -> Value {
    let report = cutover()
        .args(["check", "--format", "json", "--bundle"])
        .arg(out)
        .output()
        .expect("run check");
    let v: Value = serde_json::from_slice(&report.stdout).expect("json report");
    let problems: Vec<&Value> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(
        problems.is_empty() && report.status.code() == Some(0),
        "{what}: {problems:#?}"
    );
    v
}
