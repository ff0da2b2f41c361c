//! A newcomer's first hour (issue 11): the conventions engineers expect from a CLI, PLAN.md that
//! can be reviewed at any size, and messages that point to the next step.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use clap::CommandFactory;
use predicates::prelude::*;

use cutover::plan::{markdown, Change, StepKind};
use cutover::project::{IdentityMode, SourceVersion};

fn cutover() -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    c.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    c
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

// ---- CLI conventions ----

#[test]
fn every_flag_and_argument_has_help() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if a.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (no about)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&cutover::cli::Cli::command(), "cutover", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:#?}");
}

#[test]
fn completions_for_each_shell_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F _cutover"),
        ("zsh", "#compdef cutover"),
        ("fish", "complete -c cutover"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = cutover().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {marker} missing");
        assert!(
            text.contains("retry-failed"),
            "{shell}: flags of subcommands"
        );
    }
    cutover().args(["completions", "tcsh"]).assert().code(2);
    let man = cutover().arg("man").output().unwrap();
    assert!(man.status.success());
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(
        man.contains(".TH cutover 1"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("completions"));
}

#[test]
fn a_dash_lints_standard_input() {
    let bytes = std::fs::read(sample("users.csv")).unwrap();
    cutover()
        .args(["lint", "-"])
        .write_stdin(bytes)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("<stdin>:1: warning[U013]"))
        .stdout(predicate::str::contains("checked 1 file (5 rows)"));
}

#[test]
fn a_dash_checks_a_script_from_standard_input() {
    cutover()
        .args(["check", "--target", "exchangeOnline", "-"])
        .write_stdin("Connect-MsolService\nGet-Mailbox -ResultSize Unlimited\n")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("<stdin>:1:"))
        .stdout(predicate::str::contains("Connect-MsolService"));
}

#[test]
fn select_and_ignore_silence_rules_from_flags_and_cutover_toml() {
    let mailboxes = sample("mailboxes.csv");
    let with = cutover().arg("lint").arg(&mailboxes).output().unwrap();
    let with = String::from_utf8(with.stdout).unwrap();
    assert!(with.contains("warning[M005]"), "{with}");

    cutover()
        .args(["lint", "--ignore", "M005"])
        .arg(&mailboxes)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("M005").not())
        .stdout(predicate::str::contains("0 warnings"));
    // --select keeps only what it names (errors always show).
    cutover()
        .args(["lint", "--select", "M011"])
        .arg(&mailboxes)
        .assert()
        .stdout(predicate::str::contains("M005").not())
        .stdout(predicate::str::contains("info[M011]"));

    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("cutover.toml");
    std::fs::write(
        &toml,
        format!(
            "[inputs]\nmailboxes = {:?}\n\n[lint]\nignore = [\"M005\"]\n",
            mailboxes.display().to_string()
        ),
    )
    .unwrap();
    cutover()
        .arg("lint")
        .arg("--config")
        .arg(&toml)
        .assert()
        .stdout(predicate::str::contains("M005").not());

    // An error cannot be silenced, an unknown code is a usage error.
    cutover()
        .args(["lint", "--ignore", "U001"])
        .arg(sample("users.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("U001 is an error"));
    cutover()
        .args(["lint", "--select", "ZZ9"])
        .arg(sample("users.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule code starts with ZZ9"));
}

#[test]
fn findings_are_coloured_only_when_asked_and_never_with_no_color() {
    let users = sample("users.csv");
    // Piped (as here): no colour.
    cutover()
        .arg("lint")
        .arg(&users)
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    cutover()
        .env("CLICOLOR_FORCE", "1")
        .arg("lint")
        .arg(&users)
        .assert()
        .stdout(predicate::str::contains("\x1b[1;33mwarning[U013]\x1b[0m"));
    cutover()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .arg("lint")
        .arg(&users)
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn quiet_prints_findings_but_no_summary() {
    cutover()
        .args(["--quiet", "lint"])
        .arg(sample("users.csv"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warning[U013]"))
        .stdout(predicate::str::contains("checked 1 file").not());
}

#[test]
fn one_minimum_powershell_version_everywhere() {
    let min = cutover::plan::MIN_POWERSHELL;
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains(&format!("PowerShell {min}+")), "README");
    for other in ["7.2+", "7.2 or later", "7.3+"] {
        assert!(!readme.contains(other), "README still says {other}");
    }
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/README.md.hbs"),
    )
    .unwrap();
    assert!(
        template.contains(&format!("PowerShell {min}+")),
        "bundle README"
    );
    assert_eq!(cutover::run::pwsh::min_version(), (7, 4));
}

// ---- PLAN.md at any size, bundle before the work ----

#[test]
fn plan_md_for_a_large_tenant_shows_counts_exceptions_a_sample_and_the_data_files() {
    let project = common::project(SourceVersion::Ex2016, IdentityMode::Cloud);
    let mut plan = common::make_plan(&project, &common::tenant(3_000));
    let users = plan
        .steps
        .iter_mut()
        .find(|s| s.kind == StepKind::Users)
        .expect("users step");
    assert!(users.ops.len() > markdown::FULL_LIST);
    users.ops[1234].change = Change::Update;
    let updated = users.ops[1234].id().to_string();
    let md = markdown::render(&plan).unwrap();
    let lines = md.lines().count();
    assert!(lines < 700, "{lines} lines for 3,000 users");
    let section = &md[md.find("## 07-users").unwrap()..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    assert!(
        section.contains("3000 operations: 2999 create, 1 update. Full list: plan.json; a bundle's data/07-users.csv"),
        "{section}"
    );
    assert!(section.contains("Every operation that is not a routine `create` (1):"));
    assert!(section.contains(&format!("- update {}", markdown::escape(&updated))));
    assert!(section.contains("A sample of 10 of the 2999 routine `create` operations"));
    let listed = section.lines().filter(|l| l.starts_with("- ")).count();
    assert_eq!(listed, 11, "one update and a sample of ten");
    // Small steps are still listed in full.
    assert!(md.contains("## 06-domains"));
}

#[test]
fn bundle_refuses_a_non_empty_out_before_reading_anything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "x").unwrap();
    // The users file does not exist: refusing --out first proves no input was read.
    cutover()
        .args(["bundle", "--users"])
        .arg(dir.path().join("missing.csv"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not empty"))
        .stderr(predicate::str::contains("missing.csv").not());
}

// ---- messages that point to the next step ----

#[test]
fn estimate_without_exports_names_the_step_that_writes_them() {
    cutover()
        .args(["estimate", "--bandwidth-mbps", "10"])
        .current_dir(tempfile::tempdir().unwrap().path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("05-source-export"));
    cutover()
        .args(["estimate", "--source-version", "2003"])
        .current_dir(tempfile::tempdir().unwrap().path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "Exchange 2003 has no Exchange Management Shell",
        ));
}

#[test]
fn report_of_a_missing_folder_says_it_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    cutover()
        .arg("report")
        .arg(dir.path().join("nosuch"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nosuch: no such folder"));
}

#[test]
fn a_forced_delimiter_is_named_when_no_kind_matches() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("users.csv");
    std::fs::write(&f, "UserPrincipalName,DisplayName\na@contoso.com,A\n").unwrap();
    cutover()
        .args(["lint", "--delimiter", "|"])
        .arg(&f)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[F005]"))
        .stdout(predicate::str::contains("split at --delimiter '|'"));
    cutover()
        .arg("lint")
        .arg(&f)
        .assert()
        .stdout(predicate::str::contains("--delimiter").not());
}

#[test]
fn step_number_gaps_are_explained_in_the_bundle_readme_and_plan() {
    let project = common::project(SourceVersion::Ex2016, IdentityMode::Cloud);
    let tenant = common::tenant(3);
    let plan = common::make_plan(&project, &tenant);
    let dir = tempfile::tempdir().unwrap();
    common::write_bundle(&project, &tenant, dir.path());
    let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    assert!(readme.contains("a gap is a step left out, not a step missing"));
    assert!(markdown::render(&plan)
        .unwrap()
        .contains("leave gaps where a step does not apply"));
}
