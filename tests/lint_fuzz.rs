//! Arbitrary bytes never panic: not in the library, not in the binary.

use assert_cmd::Command;
use cutover::input::FileKind;
use cutover::project::Project;
use cutover::rules::{lint_inputs, Input, Source};
use proptest::prelude::*;

/// Bytes that look a little like CSV so the parser gets past the header more often.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"UserPrincipalName,DisplayName,Password,EmailAddresses\r\n".to_vec()),
        Just(b"DL,Alias\n".to_vec()),
        Just(b"Name;Address\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just(b"#TYPE x\n".to_vec()),
        Just("SMTP:a@b.com;smtp:".as_bytes().to_vec()),
        Just("O’Brien\u{a0}\u{200b}".as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn all_kinds() -> impl Strategy<Value = Option<FileKind>> {
    prop_oneof![
        Just(None),
        prop::sample::select(FileKind::ALL.to_vec()).prop_map(Some)
    ]
}

proptest! {
    #[test]
    fn library_never_panics(a in csvish(), b in any::<Vec<u8>>(), kind in all_kinds()) {
        let project = Project::default();
        let inputs = vec![
            Input { source: Source::Memory { name: "a.csv".into(), bytes: a }, kind },
            Input { source: Source::Memory { name: "b.csv".into(), bytes: b }, kind: None },
        ];
        let report = lint_inputs(&project, &inputs).unwrap();
        prop_assert_eq!(report.files.len(), 2);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn binary_never_panics(bytes in csvish()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, &bytes).unwrap();
        for format in ["human", "json", "sarif"] {
            let out = Command::cargo_bin("cutover").unwrap()
                .args(["lint", "--format", format]).arg(&path).output().unwrap();
            let code = out.status.code();
            prop_assert!(code == Some(0) || code == Some(1), "{:?}", code);
            let stderr = String::from_utf8_lossy(&out.stderr);
            prop_assert!(!stderr.contains("panicked"), "{}", stderr);
        }
    }
}
