//! Arbitrary text never panics the checker, and findings always point inside the text.

use cutover::check::{check_source, syntax_errors, Target};
use proptest::prelude::*;

/// Fragments that steer random text into the grammar's interesting corners.
fn powershellish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Get-Mailbox ".to_string()),
        Just("| Set-Mailbox ".to_string()),
        Just("-EmailAddresses ".to_string()),
        Just("@{Add='x'} ".to_string()),
        Just("$p = @{ Identity = 1 }\n".to_string()),
        Just("$p['K'] = 2\n".to_string()),
        Just("@p ".to_string()),
        Just("foreach ($a in $b) { ".to_string()),
        Just("function Do-It { param($x) ".to_string()),
        Just("}\n".to_string()),
        Just("\"$(( ".to_string()),
        Just("[pscustomobject]".to_string()),
        Just("\u{2013}Param ".to_string()),
        Just("\u{2019}".to_string()),
        Just("`\n".to_string()),
        Just("@'\n".to_string()),
        Just("\n'@\n".to_string()),
        "[ -~]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let lines = text.lines().count().max(1) as u64 + 1;
        for t in Target::ALL {
            for f in check_source(&text, "p.ps1", t, &[]) {
                prop_assert!(f.line.map_or(true, |l| l >= 1 && l <= lines));
            }
        }
        let _ = syntax_errors(&text);
    }

    #[test]
    fn never_panics_on_powershell_like_text(text in powershellish()) {
        let lines = text.lines().count().max(1) as u64 + 1;
        for t in [Target::Exchange2010, Target::ExchangeOnline, Target::Graph] {
            for f in check_source(&text, "p.ps1", t, &["Do-It".to_string()]) {
                prop_assert!(f.line.map_or(true, |l| l >= 1 && l <= lines));
            }
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let text = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let _ = check_source(&text, "deep.ps1", Target::Exchange2010, &[]);
    let text = "{".repeat(20000);
    assert!(!syntax_errors(&text).is_empty());
}
