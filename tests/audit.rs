//! The audit over people's own exports (UTF-16, `;`, `#TYPE`, no GUIDs), through the library
//! entry points `lint` and `plan` call.

use std::path::{Path, PathBuf};

use cutover::audit::{self, load};
use cutover::input::FileKind;
use cutover::model::{PermissionRight, Tenant};
use cutover::project::Project;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

fn project() -> Project {
    Project {
        domains: vec!["fabrikam.com".into()],
        ..Default::default()
    }
}

fn files() -> Vec<(PathBuf, FileKind)> {
    vec![
        (fixture("own-mailboxes.csv"), FileKind::Mailboxes),
        (fixture("own-stats.csv"), FileKind::MailboxStats),
        (fixture("own-permissions.csv"), FileKind::Permissions),
    ]
}

fn summary(findings: &[cutover::diag::Finding]) -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = findings
        .iter()
        .map(|f| {
            let file = f.file.as_deref().map(|p| {
                Path::new(p)
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            });
            (
                f.code.to_string(),
                file.unwrap_or_default(),
                f.line.unwrap_or(0),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn own_exports_give_every_audit_finding_at_its_physical_line() {
    let findings = audit::lint_inputs(&project(), &files()).unwrap();
    let s = |c: &str, f: &str, l: u64| (c.to_string(), f.to_string(), l);
    assert_eq!(
        summary(&findings),
        [
            s("M001", "own-stats.csv", 8),
            s("M002", "own-stats.csv", 7),
            s("M003", "own-stats.csv", 4),
            s("M005", "own-mailboxes.csv", 5),
            s("M006", "own-stats.csv", 5),
            s("M007", "own-mailboxes.csv", 3),
            s("P001", "own-permissions.csv", 5),
            s("P002", "own-permissions.csv", 7),
            s("P003", "own-permissions.csv", 8),
            s("P004", "own-mailboxes.csv", 3),
        ]
    );
    let m001 = findings.iter().find(|f| f.code == "M001").unwrap();
    assert_eq!(m001.value.as_deref(), Some("1.5 GB"));
    assert_eq!(m001.column.as_deref(), Some("TotalItemSize"));
    let m003 = findings.iter().find(|f| f.code == "M003").unwrap();
    assert!(
        m003.message.contains("64424509440 bytes"),
        "{}",
        m003.message
    );
}

#[test]
fn without_accepted_domains_the_forwarding_rule_says_it_was_skipped() {
    let findings = audit::lint_inputs(&Project::default(), &files()).unwrap();
    assert!(!findings.iter().any(|f| f.code == "M007"));
    let skipped: Vec<&cutover::diag::Finding> =
        findings.iter().filter(|f| f.code == "M011").collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].severity, cutover::diag::Severity::Info);
    assert!(
        skipped[0].message.contains("no accepted domains") && skipped[0].message.contains("M007"),
        "{}",
        skipped[0].message
    );
    // With domains the check runs and says nothing about skipping.
    let findings = audit::lint_inputs(&project(), &files()).unwrap();
    assert!(!findings.iter().any(|f| f.code == "M011"));
}

#[test]
fn statistics_without_any_mailbox_export_say_which_checks_were_skipped() {
    let only_stats = [(fixture("own-stats.csv"), FileKind::MailboxStats)];
    let findings = audit::lint_inputs(&project(), &only_stats).unwrap();
    let skipped: Vec<&str> = findings
        .iter()
        .filter(|f| f.code == "M011")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(skipped.len(), 1, "{findings:?}");
    assert!(
        skipped[0].contains("no mailbox export") && skipped[0].contains("M003"),
        "{}",
        skipped[0]
    );
    assert!(!findings.iter().any(|f| f.code == "M003"));
}

#[test]
fn cross_file_rules_use_the_projects_mailbox_file_when_lint_was_given_none() {
    let mut p = project();
    p.inputs.mailboxes = Some(fixture("own-mailboxes.csv"));
    let only_stats = [(fixture("own-stats.csv"), FileKind::MailboxStats)];
    let codes: Vec<&str> = audit::lint_inputs(&p, &only_stats)
        .unwrap()
        .iter()
        .map(|f| f.code)
        .collect();
    assert!(
        codes.contains(&"M002") && codes.contains(&"M003"),
        "{codes:?}"
    );
    // Findings about the mailbox file itself (M007 is one) belong to whoever lints that file.
    assert!(!codes.contains(&"M007"));
}

#[test]
fn an_unreadable_users_file_gives_no_context_but_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.csv");
    std::fs::write(&users, b"\x00\x01\x02binary\x00").unwrap();
    let mut p = project();
    p.inputs.users = Some(users);
    let findings = audit::lint_inputs(&p, &files()).unwrap();
    assert!(findings.iter().any(|f| f.code == "P002"));
}

#[test]
fn a_missing_file_is_an_io_error_not_a_panic() {
    let err = audit::lint_inputs(&project(), &[(fixture("nope.csv"), FileKind::Permissions)]);
    assert!(matches!(err, Err(cutover::Error::Io { .. })));
}

#[test]
fn plan_permissions_maps_every_grant_and_reports_the_rest() {
    let p = project();
    let tenant = Tenant {
        mailboxes: load::load_mailboxes(&fixture("own-mailboxes.csv"), &p)
            .unwrap()
            .records,
        permissions: load::load_permissions(&fixture("own-permissions.csv"), &p)
            .unwrap()
            .records,
        ..Default::default()
    };
    let (grants, findings) = audit::plan_permissions(&tenant, &p);
    let got: Vec<(&str, &str, PermissionRight, bool)> = grants
        .iter()
        .map(|g| {
            (
                g.mailbox.as_str(),
                g.trustee.as_str(),
                g.right,
                g.automapping,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "support@fabrikam.com",
                "anna@fabrikam.com",
                PermissionRight::FullAccess,
                true
            ),
            (
                "support@fabrikam.com",
                "jonas@fabrikam.com",
                PermissionRight::SendAs,
                false
            ),
            (
                "anna@fabrikam.com",
                "jonas@fabrikam.com",
                PermissionRight::SendOnBehalf,
                false
            ),
        ]
    );
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["P002", "P003"]);
}

/// The repro of issue 4's review: a users file among lint's positional files maps trustees
/// exactly as `--users` does.
#[test]
fn a_users_file_given_positionally_maps_permission_trustees() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let users = write(
        "users.csv",
        "UserPrincipalName,DisplayName,Alias,UsageLocation\nann@contoso.com,Ann,ann,US\nzed@contoso.com,Zed,zed,US\n",
    );
    let mb = write(
        "mb1.csv",
        "Identity,Alias,DisplayName,PrimarySmtpAddress,ExchangeGuid,RecipientTypeDetails\ncontoso.com/Users/Ann,ann,Ann,ann@contoso.com,11111111-1111-1111-1111-111111111111,UserMailbox\n",
    );
    let rp = write(
        "rp.csv",
        "Identity,Trustee,AccessControlType,AccessRights,IsInherited,InheritanceType\ncontoso.com/Users/Ann,CONTOSO\\zed,Allow,SendAs,False,None\n",
    );
    let run = |args: &[&std::ffi::OsStr]| {
        let out = assert_cmd::Command::cargo_bin("cutover")
            .unwrap()
            .current_dir(dir.path())
            .args(["lint", "--domain", "contoso.com", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let positional = run(&[users.as_os_str(), mb.as_os_str(), rp.as_os_str()]);
    assert!(positional.contains("\"findings\""), "{positional}");
    assert!(!positional.contains("P002"), "{positional}");
    let flag = run(&[
        "--users".as_ref(),
        users.as_os_str(),
        mb.as_os_str(),
        rp.as_os_str(),
    ]);
    assert!(!flag.contains("P002"), "{flag}");
    // Without any users file the trustee is not among those migrated.
    let without = run(&[mb.as_os_str(), rp.as_os_str()]);
    assert!(without.contains("P002"), "{without}");
}

#[test]
fn audit_findings_are_capped_per_rule_and_file_like_lints() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.csv");
    let mut text = String::from("MailboxGuid,TotalItemSize,ItemCount\n");
    for i in 0..150 {
        text.push_str(&format!("g-{i},1.5 GB,1\n"));
    }
    std::fs::write(&stats, text).unwrap();
    let mut p = project();
    p.inputs.mailboxes = Some(fixture("own-mailboxes.csv"));
    let findings = audit::lint_inputs(&p, &[(stats, FileKind::MailboxStats)]).unwrap();
    let m001: Vec<&cutover::diag::Finding> = findings.iter().filter(|f| f.code == "M001").collect();
    assert_eq!(m001.len(), 101);
    assert_eq!(m001.iter().filter(|f| f.line.is_some()).count(), 100);
    assert!(m001
        .iter()
        .any(|f| f.line.is_none() && f.message.starts_with("50 more M001 findings")));
}
