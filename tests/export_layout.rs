//! The audit loop closes: what the bundle's source-export step writes is exactly what
//! `cutover lint` reads. For every source version with a shell, the column list each export
//! passes to Export-Csv equals the canonical header of that file kind, and those headers are
//! recognised as that kind without `--kind`.

use std::path::Path;

use assert_cmd::Command;
use cutover::input::columns::{canonical_headers, infer_kind};
use cutover::input::FileKind;

/// `(export name, columns)` for each `$r.Export -eq 'NAME'` branch of an export script.
fn exports(script: &str) -> Vec<(String, Vec<String>)> {
    let branch = regex::Regex::new(r"\$r\.Export -eq '([a-z-]+)'").unwrap();
    let columns = regex::Regex::new(r"-Columns @\(([^)]*)\)").unwrap();
    let quoted = regex::Regex::new(r"'([^']*)'").unwrap();
    let starts: Vec<_> = branch.captures_iter(script).collect();
    let mut out = Vec::new();
    for (i, cap) in starts.iter().enumerate() {
        let from = cap.get(0).unwrap().end();
        let to = starts
            .get(i + 1)
            .map_or(script.len(), |c| c.get(0).unwrap().start());
        let body = &script[from..to];
        let cols = columns
            .captures(body)
            .unwrap_or_else(|| panic!("no -Columns list in the '{}' export", &cap[1]));
        let names = quoted
            .captures_iter(&cols[1])
            .map(|c| c[1].to_string())
            .collect();
        out.push((cap[1].to_string(), names));
    }
    out
}

fn bundle(samples: &Path, version: &str, out: &Path) {
    Command::cargo_bin("cutover")
        .unwrap()
        .args(["bundle", "--config"])
        .arg(samples.join("cutover.toml"))
        .args(["--source-version", version, "--out"])
        .arg(out)
        .arg("--secrets-out")
        .arg(out.with_extension("secrets.csv"))
        .assert()
        .success();
}

#[test]
fn source_export_columns_are_the_layouts_lint_reads() {
    let dir = tempfile::tempdir().unwrap();
    let samples = dir.path().join("samples");
    cutover::demo::write_samples(&samples).unwrap();
    for version in ["2007", "2010", "2013", "2016", "2019", "SE"] {
        let out = dir.path().join(format!("b-{version}"));
        bundle(&samples, version, &out);
        let script_path = std::fs::read_dir(out.join("steps"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("source-export"))
            .unwrap_or_else(|| panic!("{version}: no source-export step"));
        let script = std::fs::read_to_string(&script_path).unwrap();
        let found = exports(&script);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "mailboxes",
                "mailbox-stats",
                "groups",
                "contacts",
                "members",
                "permissions"
            ],
            "{version}"
        );
        for (name, columns) in &found {
            let kind: FileKind = name.parse().unwrap();
            let canonical: Vec<&str> = canonical_headers(kind)
                .iter()
                .map(|c| c.canonical())
                .collect();
            assert_eq!(columns, &canonical, "{version} {name}");
            assert_eq!(infer_kind(columns), Some(kind), "{version} {name}");
        }
    }
}

#[test]
fn the_layout_extractor_sees_a_wrong_column() {
    let script = "if ($r.Export -eq 'members') {\n Export-CutoverRows -Rows $o -File $r.File -Columns @('Group', 'Membre', 'MemberType')\n}";
    let found = exports(script);
    let canonical: Vec<&str> = canonical_headers(FileKind::Members)
        .iter()
        .map(|c| c.canonical())
        .collect();
    assert_eq!(found.len(), 1);
    assert_ne!(found[0].1, canonical);
}
