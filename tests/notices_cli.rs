//! `cutover notices` end to end on the samples: every .eml parses with a standard mail
//! parser (mailparse) and says what the CSV says; overrides, per-user setups and bad
//! settings.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use mailparse::{dateparse, parse_mail, MailHeaderMap};
use predicates::prelude::*;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn cutover() -> Command {
    Command::cargo_bin("cutover").unwrap()
}

/// A copy of the samples with `extra` appended to cutover.toml.
fn project(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(samples()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let toml = dir.path().join("cutover.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(extra);
    std::fs::write(&toml, text).unwrap();
    dir
}

fn notices(config: &Path, out: &Path) -> assert_cmd::assert::Assert {
    cutover()
        .args(["notices", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .assert()
}

fn csv_rows(out: &Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(out.join("notices.csv")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "Message",
            "SendOn",
            "SendBy",
            "To",
            "DisplayName",
            "Subject",
            "Body",
            "File"
        ]
    );
    r.records().map(Result::unwrap).collect()
}

#[test]
fn every_eml_parses_and_matches_the_mail_merge_csv() {
    let out = tempfile::tempdir().unwrap();
    notices(&samples().join("cutover.toml"), out.path())
        .success()
        .stdout(predicate::str::contains("20 messages for 5 users"))
        .stdout(predicate::str::contains("cutover-day   send on 2027-01-15"));
    let rows = csv_rows(out.path());
    assert_eq!(rows.len(), 20);
    let mut ids = std::collections::BTreeSet::new();
    for row in &rows {
        let raw = std::fs::read(out.path().join(&row[7])).unwrap();
        // CRLF line ends only, and 7-bit on the wire (quoted-printable, encoded-words).
        assert!(raw.is_ascii(), "{}", &row[7]);
        for (i, b) in raw.iter().enumerate() {
            if *b == b'\n' {
                assert_eq!(raw[i - 1], b'\r', "bare LF in {}", &row[7]);
            }
        }
        for line in raw.split(|b| *b == b'\n') {
            assert!(line.len() <= 79, "line over 78 characters in {}", &row[7]);
        }
        let mail = parse_mail(&raw).unwrap();
        let h = &mail.headers;
        assert_eq!(h.get_first_value("Subject").unwrap(), row[5]);
        let to = mailparse::addrparse_header(h.get_first_header("To").unwrap()).unwrap();
        let to = to.extract_single_info().unwrap();
        assert_eq!(
            (to.display_name.unwrap_or_default(), to.addr),
            (row[4].to_string(), row[3].to_string())
        );
        let from = mailparse::addrparse_header(h.get_first_header("From").unwrap()).unwrap();
        let from = from.extract_single_info().unwrap();
        assert_eq!(from.addr, "it@contoso.com");
        assert_eq!(from.display_name.as_deref(), Some("Contoso IT"));
        assert_eq!(h.get_first_value("MIME-Version").as_deref(), Some("1.0"));
        assert_eq!(mail.ctype.mimetype, "text/plain");
        assert_eq!(mail.ctype.charset, "utf-8");
        let date = dateparse(&h.get_first_value("Date").unwrap()).unwrap();
        let day = chrono::DateTime::from_timestamp(date, 0)
            .unwrap()
            .date_naive();
        assert_eq!(day.to_string(), row[1]);
        let id = h.get_first_value("Message-ID").unwrap();
        assert!(id.starts_with('<') && id.ends_with("@contoso.com>"), "{id}");
        assert!(ids.insert(id), "Message-ID repeated");
        assert_eq!(mail.get_body().unwrap().replace("\r\n", "\n"), row[6]);
    }
    // The sample's non-ASCII names survive the encoded-words and quoted-printable.
    let sean = rows
        .iter()
        .find(|r| &r[0] == "cutover-day" && r[3].starts_with("sean.obrien"))
        .unwrap();
    assert_eq!(&sean[4], "Seán O’Brien");
    assert!(sean[6].starts_with("Dear Seán,"));
    // [notices] outlook = "deploymentpro": the agent's steps, not the manual profile's.
    assert!(sean[6].contains("a small agent reconfigures Outlook"));
    assert!(!sean[6].contains("Show Profiles"));
    assert!(out.path().join("VARIABLES.md").is_file());
}

#[test]
fn overrides_and_per_user_setups_change_the_text_and_bad_templates_are_refused() {
    let dir = project("templates = \"my-notices\"\nclients = \"clients.csv\"\n");
    // The sample's [notices] table is last in the file, so the lines above land in it.
    std::fs::create_dir(dir.path().join("my-notices")).unwrap();
    std::fs::write(
        dir.path().join("my-notices/reminder.txt.hbs"),
        "Subject: Tomorrow, {{first_name}}\n\nHello {{display_name}}, see you on {{cutover_date}}.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("clients.csv"),
        "UserPrincipalName,Outlook,Mobile\nann.lee@contoso.com,manual,no\nzoe.mueller@contoso.com,none,yes\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let config = dir.path().join("cutover.toml");
    notices(&config, out.path()).success();
    let rows = csv_rows(out.path());
    let get = |kind: &str, who: &str| {
        rows.iter()
            .find(|r| &r[0] == kind && r[3].starts_with(who))
            .unwrap()
            .clone()
    };
    assert_eq!(&get("reminder", "ann.lee")[5], "Tomorrow, Ann");
    let ann = get("cutover-day", "ann.lee");
    assert!(ann[6].contains("Show Profiles"), "manual Outlook steps");
    assert!(!ann[6].contains("Phone or tablet"), "Ann has no phone");
    let zoe = get("cutover-day", "zoe.mueller");
    assert!(!zoe[6].contains("Outlook on your computer"));
    assert!(zoe[6].contains("Phone or tablet"));

    // An undefined variable is refused by lint (S004) before anything is written.
    std::fs::write(
        dir.path().join("my-notices/after.txt.hbs"),
        "Subject: Done\n\n{{frist_name}}\n",
    )
    .unwrap();
    let out2 = tempfile::tempdir().unwrap();
    notices(&config, out2.path())
        .code(1)
        .stderr(predicate::str::contains("S004"))
        .stderr(predicate::str::contains("frist_name"));
    assert_eq!(std::fs::read_dir(out2.path()).unwrap().count(), 0);
}

#[test]
fn without_a_cutover_day_the_estimate_gives_it_and_without_either_it_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(samples()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let toml = dir.path().join("cutover.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let no_dates = text
        .replace("cutover = 2027-01-15\n", "")
        .replace("announce = 2027-01-04\n", "");
    std::fs::write(&toml, &no_dates).unwrap();
    let out = tempfile::tempdir().unwrap();
    notices(&toml, out.path())
        .success()
        .stderr(predicate::str::contains("using the estimate's cutover day"));
    std::fs::write(&toml, no_dates.replace("bandwidth_mbps = 10", "")).unwrap();
    let out = tempfile::tempdir().unwrap();
    notices(&toml, out.path())
        .code(2)
        .stderr(predicate::str::contains("[schedule] cutover"));
}

#[test]
fn variables_are_listed_without_a_project() {
    cutover()
        .args(["notices", "--variables"])
        .assert()
        .success()
        .stdout(predicate::str::contains("`deploymentpro`"))
        .stdout(predicate::str::contains("`cutover_date`"));
}

#[test]
fn a_second_run_needs_force_and_replaces_only_the_notices() {
    let out = tempfile::tempdir().unwrap();
    let config = samples().join("cutover.toml");
    notices(&config, out.path()).success();
    std::fs::write(out.path().join("mine.txt"), "keep").unwrap();
    notices(&config, out.path())
        .code(2)
        .stderr(predicate::str::contains("--force"));
    cutover()
        .args(["notices", "--force", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(out.path().join("mine.txt")).unwrap(),
        "keep"
    );
    assert_eq!(csv_rows(out.path()).len(), 20);
}
