//! The real parser beside the grammar (issue 17 item 5): every generated step, every module and
//! every PowerShell test fixture is parsed with PowerShell's own parser
//! (`[System.Management.Automation.Language.Parser]::ParseFile`), in one pwsh process, and its
//! verdict is compared with `cutover check`'s. Each file is decoded as its target shell reads it
//! (`check::decode_script`): without a BOM, Windows PowerShell reads Windows-1252, pwsh UTF-8.

mod pwsh;
mod samples_config;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use cutover::check::{self, Target};
use serde_json::Value;

/// One file to compare: where it came from, the text its shell reads, and what must hold.
struct Case {
    label: String,
    text: String,
    /// Generated scripts and modules must parse; fixtures only have to agree.
    must_parse: bool,
}

const PARSE_MANY: &str = r#"
$ErrorActionPreference = 'Stop'
$paths = [System.IO.File]::ReadAllLines($env:CUTOVER_PARSE_LIST)
$out = foreach ($p in $paths) {
    $tokens = $null; $errors = $null
    [void][System.Management.Automation.Language.Parser]::ParseFile($p, [ref]$tokens, [ref]$errors)
    ,@($errors | ForEach-Object { '{0}: {1}' -f $_.Extent.StartLineNumber, $_.Message })
}
ConvertTo-Json -InputObject @($out) -Depth 4 -Compress
"#;

/// Parses every file in one pwsh process; the errors of each, in order.
fn real_parser_errors(files: &[PathBuf], work: &Path) -> Vec<Vec<String>> {
    let list = work.join("files.txt");
    let lines: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, lines.join("\n")).expect("write list");
    let out = pwsh::command()
        .arg("-Command")
        .arg(PARSE_MANY)
        .env("CUTOVER_PARSE_LIST", &list)
        .output()
        .expect("start pwsh");
    assert!(
        out.status.success(),
        "pwsh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let all = v.as_array().expect("array").clone();
    assert_eq!(all.len(), files.len(), "one answer per file");
    all.iter()
        .map(|errs| {
            errs.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn case(label: String, bytes: &[u8], targets: &[Target], must_parse: bool) -> Case {
    let decoded = check::decode_script(bytes, check::reads_as_ansi(targets));
    Case {
        label,
        text: decoded.text,
        must_parse,
    }
}

/// Steps and modules of a bundle per source version and identity mode, with their targets.
fn generated(work: &Path) -> Vec<Case> {
    let root = env!("CARGO_MANIFEST_DIR");
    let config = format!("{root}/samples/cutover.toml");
    let mut cases = Vec::new();
    for version in ["2007", "2010", "2013", "2016", "2019", "SE"] {
        for identity in ["cloud", "synced"] {
            let out = work.join(format!("{version}-{identity}"));
            Command::cargo_bin("cutover")
                .expect("binary")
                .args(["bundle", "--config", &config, "--source-version", version])
                .args(["--identity", identity, "--out"])
                .arg(&out)
                .arg("--secrets-out")
                .arg(work.join(format!("{version}-{identity}.secrets")))
                .assert()
                .code(0);
            let manifest: Value =
                serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("read"))
                    .expect("manifest");
            let mut all_targets = Vec::new();
            for step in manifest["steps"].as_array().expect("steps") {
                let Ok(target) = step["target"].as_str().unwrap_or("").parse::<Target>() else {
                    continue;
                };
                all_targets.push(target);
                let file = step["file"].as_str().expect("file");
                let bytes = std::fs::read(out.join(file)).expect("read step");
                cases.push(case(
                    format!("{version}-{identity}/{file}"),
                    &bytes,
                    &[target],
                    true,
                ));
            }
            for module in manifest["modules"].as_array().expect("modules") {
                let file = module["file"].as_str().expect("file");
                let bytes = std::fs::read(out.join(file)).expect("read module");
                cases.push(case(
                    format!("{version}-{identity}/{file}"),
                    &bytes,
                    &all_targets,
                    true,
                ));
            }
        }
    }
    cases
}

/// The migration steps of both engines (a copy of the samples with a `[migration]` table).
fn generated_migration(work: &Path) -> Vec<Case> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut cases = Vec::new();
    let tables = [
        ("2016", "cloud", "engine = \"migrationwiz\"\ncustomer = \"Contoso\"\nsource_server = \"https://mail.contoso.com/EWS/Exchange.asmx\"\n"),
        ("2010", "cloud", "engine = \"native\"\nendpoint_type = \"cutover\"\nsource_admin = \"administrator@contoso.com\"\n"),
        ("2016", "synced", "engine = \"native\"\nendpoint_type = \"remote-move\"\nsource_server = \"hybrid.contoso.com\"\n"),
    ];
    for (version, identity, table) in tables {
        let dir = work.join(format!("migration-{version}-{identity}"));
        std::fs::create_dir_all(&dir).expect("dir");
        for e in std::fs::read_dir(&samples).expect("samples") {
            let e = e.expect("entry");
            if e.file_type().expect("type").is_file() {
                std::fs::copy(e.path(), dir.join(e.file_name())).expect("copy");
            }
        }
        let config = dir.join("cutover.toml");
        let toml = std::fs::read_to_string(&config).expect("toml");
        std::fs::write(&config, samples_config::with_migration(&toml, table)).expect("write");
        let out = dir.join("bundle");
        Command::cargo_bin("cutover")
            .expect("binary")
            .arg("bundle")
            .arg("--config")
            .arg(&config)
            .args(["--source-version", version, "--identity", identity, "--out"])
            .arg(&out)
            .arg("--secrets-out")
            .arg(dir.join("secrets.csv"))
            .assert()
            .code(0);
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("read"))
                .expect("manifest");
        for step in manifest["steps"].as_array().expect("steps") {
            let file = step["file"].as_str().expect("file");
            if !file.contains("-mw-") && !file.contains("-migration-") {
                continue;
            }
            let target: Target = step["target"]
                .as_str()
                .unwrap_or("")
                .parse()
                .expect("target");
            let bytes = std::fs::read(out.join(file)).expect("read step");
            cases.push(case(
                format!("migration-{version}-{identity}/{file}"),
                &bytes,
                &[target],
                true,
            ));
        }
    }
    assert!(cases.len() >= 10, "{} migration steps", cases.len());
    cases
}

/// The target a fixture is written for, from its path (`.../exchange2010.ps1`,
/// `.../graph/...`); PowerShell 7 when the path names none.
fn fixture_targets(path: &Path) -> Vec<Target> {
    let p = path.display().to_string().to_ascii_lowercase();
    Target::ALL
        .iter()
        .copied()
        .filter(|t| p.contains(&t.token().to_ascii_lowercase()))
        .collect()
}

fn fixtures(dir: &Path, out: &mut Vec<Case>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            fixtures(&path, out);
            continue;
        }
        let name = path.display().to_string().to_ascii_lowercase();
        if !(name.ends_with(".ps1") || name.ends_with(".psm1")) {
            continue;
        }
        let mut targets = fixture_targets(&path);
        if targets.is_empty() {
            targets.push(Target::Graph);
        }
        let bytes = std::fs::read(&path).expect("read fixture");
        out.push(case(path.display().to_string(), &bytes, &targets, false));
    }
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn cutover_check_and_the_real_parser_agree_on_every_script() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("tempdir");
    let mut cases = generated(work.path());
    cases.extend(generated_migration(work.path()));
    // Every PowerShell file the project ships in ps-modules/ (the step runtime, the simulated
    // tenant), read as the oldest shell that loads it would.
    let mut shipped = Vec::new();
    fixtures(&root.join("ps-modules"), &mut shipped);
    assert!(
        shipped.len() >= 2,
        "ps-modules holds {} scripts",
        shipped.len()
    );
    for mut c in shipped {
        let bytes = std::fs::read(&c.label).expect("read module");
        c = case(
            c.label,
            &bytes,
            &[Target::Exchange2007, Target::Graph],
            true,
        );
        cases.push(c);
    }
    fixtures(&root.join("tests/fixtures"), &mut cases);
    let generated_count = cases.iter().filter(|c| c.must_parse).count();
    assert!(
        generated_count > 50,
        "only {generated_count} generated files"
    );

    // The real parser reads each text as written here, UTF-8 with BOM: the decoding is done.
    let copies = work.path().join("texts");
    std::fs::create_dir_all(&copies).expect("mkdir");
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = copies.join(format!("{i}.ps1"));
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            bytes.extend_from_slice(c.text.as_bytes());
            std::fs::write(&p, bytes).expect("write copy");
            p
        })
        .collect();
    let real = real_parser_errors(&files, work.path());

    let mut problems = Vec::new();
    for (c, real_errors) in cases.iter().zip(&real) {
        let ours = check::syntax_errors(&c.text);
        if c.must_parse && !real_errors.is_empty() {
            problems.push(format!("{}: PowerShell: {real_errors:?}", c.label));
        }
        if ours.is_empty() != real_errors.is_empty() {
            problems.push(format!(
                "{}: cutover {ours:?} but PowerShell {real_errors:?}",
                c.label
            ));
        }
    }
    eprintln!(
        "real parser: {} files ({generated_count} generated or shipped), {} disagreements",
        cases.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn every_core_module_command_of_the_real_pwsh_is_known() {
    let out = pwsh::command()
        .arg("-Command")
        .arg(
            "Get-Command -CommandType Cmdlet,Function -Module Microsoft.PowerShell.*,PSReadLine,\
             PackageManagement,PowerShellGet | ForEach-Object Name",
        )
        .output()
        .expect("start pwsh");
    let names = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = names
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    assert!(names.len() > 200, "only {} commands listed", names.len());
    let unknown: Vec<&&str> = names
        .iter()
        .filter(|n| !check::is_core_command(n))
        .collect();
    assert!(
        unknown.is_empty(),
        "not known to cutover check: {unknown:?}"
    );
}
