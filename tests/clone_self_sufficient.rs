//! A clone is self-sufficient: no code, test, bench or build script reads the reference folder
//! that sits beside the project on the team's machines. Only CI may point tests at a pwsh there,
//! through CUTOVER_TEST_PWSH (set by .ci/run, which this test does not scan).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn nothing_reads_the_shared_folder_beside_the_project() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("build.rs")];
    for dir in ["src", "tests", "benches", "tools"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 20, "found the sources: {}", files.len());
    // Built at run time so this file does not match itself.
    let needles = [format!("../{}/", "shared"), format!("..\\\\{}", "shared")];
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f).is_ok_and(|t| needles.iter().any(|n| t.contains(n.as_str())))
        })
        .map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "these read ../shared, which a user's clone does not have; vendor what they need \
         (reference/, tests/fixtures/) instead: {offenders:?}"
    );
}
