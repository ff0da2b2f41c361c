//! Issue 9, "done when": a bounded fuzz of the binary for `lint`, `estimate` and `check`.
//!
//! Generated inputs and flags go through the real CLI under an address-space limit (2 GiB on
//! Linux), so an abort, a panic or unbounded memory fails the property. The exit status must be
//! 0, 1 or 2, and a password in a users file never reaches any output, whatever shape its row
//! has. Bounded for CI: a few dozen cases per command and a 45 s budget for the file (cases past
//! the budget are counted and said, not run). `CUTOVER_FUZZ_CASES=N` runs more locally.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;

const PASSWORD_MARK: &str = "PwZ9!";

fn cases() -> u32 {
    std::env::var("CUTOVER_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40)
}

fn started() -> Instant {
    static T: OnceLock<Instant> = OnceLock::new();
    *T.get_or_init(Instant::now)
}

/// 45 s for CI; `CUTOVER_FUZZ_SECS=N` for a longer local run.
fn budget() -> Duration {
    Duration::from_secs(
        std::env::var("CUTOVER_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(45),
    )
}

/// Whether the file's time budget is spent (the case is then skipped, and says so once).
/// Counts the cases run, and says how many every 500 (`--nocapture` shows it).
fn over_budget() -> bool {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    if n % 500 == 0 {
        eprintln!("cli_fuzz: {n} cases started, {:?}", started().elapsed());
    }
    let over = started().elapsed() > budget();
    if over {
        static SAID: OnceLock<()> = OnceLock::new();
        SAID.get_or_init(|| eprintln!("cli_fuzz: time budget spent; remaining cases skipped"));
    }
    over
}

/// `cutover ARGS` under a 2 GiB address-space limit where the platform has `ulimit -v`.
fn cutover(args: &[String], dir: &Path) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("cutover");
    if cfg!(target_os = "linux") {
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
            .arg(&bin)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    } else {
        Command::new(&bin)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    }
}

fn check_exit(out: &Output, what: &str) -> Result<(), TestCaseError> {
    let code = out.status.code();
    let stderr = String::from_utf8_lossy(&out.stderr);
    prop_assert!(
        matches!(code, Some(0..=2)),
        "{what}: exit {code:?} (a signal or a panic)\n{stderr}"
    );
    prop_assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    Ok(())
}

/// A cell: plain text, the delimiter or a quote inside, look-alikes, controls, bidi, big.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}@contoso\\.com",
        "[A-Za-z ]{0,12}",
        Just(String::new()),
        Just("\"".to_string()),
        Just("a,b".to_string()),
        Just("\"quoted, with comma\"".to_string()),
        Just("O\u{2019}Brien\u{a0}\u{200b}".to_string()),
        Just("\u{202e}nimda".to_string()),
        Just("=1+2".to_string()),
        Just("1.23E+11".to_string()),
        Just("#NAME?".to_string()),
        Just("System.Object[]".to_string()),
        any::<String>().prop_map(|s| s.chars().take(20).collect()),
        (1usize..2000).prop_map(|n| "x".repeat(n)),
    ]
}

/// A users row with its password, then at most one change of shape: a field dropped, one
/// added, two merged by a quoted delimiter, or the password copied into another column.
fn users_row(i: usize) -> impl Strategy<Value = String> {
    (cell(), cell(), cell(), 0u8..6, 0usize..4).prop_map(move |(upn, name, loc, shape, at)| {
        let password = format!("{PASSWORD_MARK}{i}q-Long");
        let mut fields = vec![upn, name, loc, password.clone()];
        match shape {
            0 => {
                fields.remove(at);
            }
            1 => fields.insert(at, "extra".into()),
            2 if at < 3 => {
                let next = fields.remove(at + 1);
                fields[at] = format!("\"{},{}\"", fields[at].replace('"', "\"\""), next);
            }
            3 => fields[at] = password,
            _ => {}
        }
        fields.join(",")
    })
}

fn users_file() -> impl Strategy<Value = String> {
    (0usize..12)
        .prop_flat_map(|n| {
            (0..n)
                .map(users_row)
                .collect::<Vec<_>>()
                .prop_map(|rows| rows.join("\n"))
        })
        .prop_map(|rows| format!("UserPrincipalName,DisplayName,UsageLocation,Password\n{rows}\n"))
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..u64::MAX).prop_map(|n| n.to_string()),
        (0u32..100).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        Just("NaN".to_string()),
        Just("1e308".to_string()),
        Just("-0".to_string()),
        Just("4000000000".to_string()),
        Just("1000000000".to_string()),
    ]
}

fn size_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..u64::MAX).prop_map(|n| format!("{} GB ({n} bytes)", n / 1_000_000_000)),
        Just("Unlimited".to_string()),
        Just("1.2 GB".to_string()),
        Just("18446744073709551615".to_string()),
        Just("99999999999999999999999 bytes".to_string()),
        cell(),
    ]
}

/// PowerShell-ish text: real and unknown cmdlets, thousands of parameters, broken syntax.
fn script() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Get-Mailbox -ResultSize Unlimited | Set-Mailbox -EmailAddresses @{Add='x'}\n".to_string()),
        Just("Connect-MsolService\nNew-MgUser -DisplayName 'a' -PasswordProfile @{Password='PwZ9!x'}\n".to_string()),
        Just("$p = @{Identity='a'; Bogus=1}; Set-Mailbox @p\n".to_string()),
        Just("function f { param($x) }\n".to_string()),
        Just("{ ( [ \" ' @\" ".to_string()),
        (1usize..1000).prop_map(|n| format!("Set-Mailbox{}\n", " -Bogus 1".repeat(n))),
        (1usize..500).prop_map(|n| format!("{}1{}\n", "(".repeat(n), ")".repeat(n))),
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lint_never_fails_badly_nor_prints_a_password(
        users in users_file(),
        format in prop::sample::select(vec!["human", "json", "sarif"]),
        tenant in prop_oneof![Just(None), cell().prop_map(Some)],
        kind in prop_oneof![Just(None), Just(Some("users")), Just(Some("groups"))],
    ) {
        if over_budget() {
            return Ok(());
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("users.csv"), &users).unwrap();
        let mut args: Vec<String> = vec!["lint".into(), "users.csv".into(), "--format".into(), format.into()];
        if let Some(t) = tenant {
            args.extend(["--tenant".into(), t]);
        }
        if let Some(k) = kind {
            args.extend(["--kind".into(), k.into()]);
        }
        let out = cutover(&args, dir.path());
        check_exit(&out, "lint")?;
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            prop_assert!(!text.contains(PASSWORD_MARK), "password printed for\n{users}\n{text}");
        }
    }

    #[test]
    fn estimate_never_fails_badly(
        bandwidth in number(),
        concurrency in prop_oneof![Just(None), number().prop_map(Some)],
        batch in prop_oneof![Just(None), number().prop_map(Some)],
        prestage in prop_oneof![Just(None), number().prop_map(Some)],
        sizes in prop::collection::vec((cell(), size_cell(), size_cell()), 0..8),
        in_toml in any::<bool>(),
    ) {
        if over_budget() {
            return Ok(());
        }
        let dir = tempfile::tempdir().unwrap();
        let mut mailboxes = String::from("DisplayName,PrimarySmtpAddress,ExchangeGuid\n");
        let mut stats = String::from("DisplayName,MailboxGuid,TotalItemSize,ItemCount\n");
        for (i, (name, size, items)) in sizes.iter().enumerate() {
            let guid = format!("00000000-0000-0000-0000-{i:012}");
            mailboxes.push_str(&format!("\"{}\",m{i}@contoso.com,{guid}\n", name.replace('"', "")));
            stats.push_str(&format!("\"{}\",{guid},\"{size}\",\"{items}\"\n", name.replace('"', "")));
        }
        std::fs::write(dir.path().join("mailboxes.csv"), mailboxes).unwrap();
        std::fs::write(dir.path().join("stats.csv"), stats).unwrap();
        let mut args: Vec<String> = vec!["estimate".into(), "--start".into(), "2026-11-30".into()];
        if in_toml {
            let mut toml = String::from("[inputs]\nmailboxes = \"mailboxes.csv\"\nstats = \"stats.csv\"\n[estimate]\n");
            toml.push_str(&format!("bandwidth_mbps = {bandwidth}\n"));
            if let Some(c) = &concurrency {
                toml.push_str(&format!("concurrency = {c}\n"));
            }
            std::fs::write(dir.path().join("cutover.toml"), toml).unwrap();
            args.extend(["--config".into(), "cutover.toml".into()]);
        } else {
            args.extend([
                "--mailboxes".into(), "mailboxes.csv".into(),
                "--stats".into(), "stats.csv".into(),
                format!("--bandwidth-mbps={bandwidth}"),
            ]);
            if let Some(c) = concurrency {
                args.push(format!("--concurrency={c}"));
            }
        }
        if let Some(b) = batch {
            args.push(format!("--batch-size={b}"));
        }
        if let Some(p) = prestage {
            args.push(format!("--prestage-days={p}"));
        }
        let out = cutover(&args, dir.path());
        check_exit(&out, "estimate")?;
    }

    #[test]
    fn check_never_fails_badly(
        text in script(),
        target in prop::sample::select(vec!["exchangeOnline", "graph", "exchange2007", "exchange2010", "exchangeSE", "exchangeOnline,graph"]),
        format in prop::sample::select(vec!["human", "json", "sarif"]),
    ) {
        if over_budget() {
            return Ok(());
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.ps1"), &text).unwrap();
        let args: Vec<String> = vec![
            "check".into(), "x.ps1".into(), "--target".into(), target.into(),
            "--format".into(), format.into(),
        ];
        let out = cutover(&args, dir.path());
        check_exit(&out, "check")?;
    }
}
