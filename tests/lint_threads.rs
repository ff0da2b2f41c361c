//! Lint reads large files on a thread of its own while the rules run: the findings must be the
//! ones the single-threaded loop gives, in the same order, with the same file summaries. Compared
//! on every lint fixture (alone and with the files of its folder), on synthetic tenants of both
//! layouts, and on a synthetic tenant with damage mixed in (so there is something to compare,
//! over the per-rule cap, across many batches).

use std::io::Write;
use std::path::{Path, PathBuf};

use cutover::project::Project;
use cutover::rules::{lint_inputs_with, Input, LintReport, ReaderThread, Source};

fn inputs(files: &[PathBuf]) -> Vec<Input> {
    files
        .iter()
        .map(|f| Input {
            source: Source::Path(f.clone()),
            kind: None,
        })
        .collect()
}

fn project(usage_location: bool) -> Project {
    Project {
        domains: vec!["contoso.com".into()],
        usage_location: usage_location.then(|| "US".into()),
        ..Default::default()
    }
}

/// Lints `files` both ways and insists on one answer; returns it.
fn same_both_ways(project: &Project, files: &[PathBuf]) -> LintReport {
    let i = inputs(files);
    let off = lint_inputs_with(project, &i, ReaderThread::Off).expect("lint, one thread");
    let on = lint_inputs_with(project, &i, ReaderThread::On).expect("lint, reader thread");
    assert_eq!(off, on, "{files:?}");
    // The machine output too, byte for byte.
    assert_eq!(
        serde_json::to_string(&off).unwrap(),
        serde_json::to_string(&on).unwrap(),
        "{files:?}"
    );
    let auto = lint_inputs_with(project, &i, ReaderThread::Auto).expect("lint, auto");
    assert_eq!(off, auto, "{files:?}");
    off
}

fn data_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            data_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt"))
        {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_lints_the_same_on_one_thread_and_two() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    data_files(&root, &mut files);
    assert!(files.len() > 30, "fixtures found: {}", files.len());
    let mut with_findings = 0;
    for f in &files {
        let r = same_both_ways(&project(true), std::slice::from_ref(f));
        if !r.findings.is_empty() {
            with_findings += 1;
        }
    }
    // Each folder's files together: cross-file checks (members against users and groups).
    let mut folders: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| f.parent())
        .map(Path::to_path_buf)
        .collect();
    folders.dedup();
    for d in folders {
        let together: Vec<PathBuf> = files
            .iter()
            .filter(|f| f.parent() == Some(&d))
            .cloned()
            .collect();
        same_both_ways(&project(false), &together);
    }
    assert!(
        with_findings > 10,
        "fixtures with findings: {with_findings}"
    );
}

fn synth(dir: &Path, users: u64, format: cutover::synth::Format) -> Vec<PathBuf> {
    let mut o = cutover::synth::Options::new(users, Some(users / 40), Some(users));
    o.seed = 11;
    o.format = format;
    let w = cutover::synth::write(dir, &o).expect("synth");
    vec![w.users, w.groups, w.members]
}

#[test]
fn synthetic_tenants_of_both_layouts_lint_the_same() {
    for (format, location) in [
        (cutover::synth::Format::Cutover, false),
        (cutover::synth::Format::Playbook, true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let files = synth(dir.path(), 10_000, format);
        let r = same_both_ways(&project(location), &files);
        assert_eq!(
            r.files.iter().map(|f| f.rows).sum::<u64>(),
            10_000 + 250 + 10_000
        );
    }
}

/// Rewrites a synthetic file: its header, then each row followed by what `extra` adds after it
/// (given the row's index, the row, all rows and the header). Returns the file for a tail.
fn rewrite(
    path: &Path,
    mut extra: impl FnMut(&mut std::fs::File, usize, &str, &[&str], &str),
) -> std::fs::File {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "{header}").unwrap();
    for (i, row) in rows.iter().enumerate() {
        writeln!(f, "{row}").unwrap();
        extra(&mut f, i, row, &rows, &header);
    }
    f
}

#[test]
fn a_damaged_tenant_lints_the_same_past_the_caps() {
    let dir = tempfile::tempdir().unwrap();
    let files = synth(dir.path(), 10_000, cutover::synth::Format::Cutover);
    let mut f = rewrite(&files[0], |f, i, _, rows, header| {
        match i % 97 {
            // A repeated UPN (U005) and a repeated alias, far from the first.
            0 => writeln!(f, "{}", rows[i / 2]).unwrap(),
            // A blank row, a ragged row, damage in a cell.
            13 => writeln!(f, ",,").unwrap(),
            29 => writeln!(f, "x{i}@contoso.com").unwrap(),
            41 => writeln!(f, "bad user{i}@contoso.com,#NAME?, {i} ").unwrap(),
            // An export pasted in: #TYPE line and header again.
            71 if i % 3 == 0 => writeln!(f, "#TYPE Selected.Object\n{header}").unwrap(),
            _ => {}
        }
    });
    // A quote left open at the end swallows the rest.
    writeln!(f, "\"open@contoso.com,Open").unwrap();
    drop(f);
    let r = same_both_ways(&project(false), &files);
    let codes: std::collections::BTreeSet<&str> = r.findings.iter().map(|f| f.code).collect();
    for c in ["U002", "U005", "F008", "F009", "F013", "F015", "D002"] {
        assert!(codes.contains(c), "{c} in {codes:?}");
    }
    assert!(r.errors() > 200, "{}", r.errors());
}

/// The members file is resolved on the reader thread against the directory the rules built:
/// every kind of member finding, past the caps, must come out as the single thread gives it.
#[test]
fn a_damaged_members_file_lints_the_same_past_the_caps() {
    let dir = tempfile::tempdir().unwrap();
    let files = synth(dir.path(), 10_000, cutover::synth::Format::Cutover);
    let f = rewrite(&files[2], |f, i, row, rows, header| {
        let group = row.split(',').next().unwrap();
        match i % 11 {
            // G005: no such group; G006: no such member; G007: an outside address.
            0 => writeln!(f, "Nope {i},{}", row.split(',').nth(1).unwrap()).unwrap(),
            1 => writeln!(f, "{group},ghost{i}@contoso.com,User").unwrap(),
            2 => writeln!(f, "{group},partner{i}@fabrikam.com,User").unwrap(),
            // G008: the same membership again, far from the first.
            3 => writeln!(f, "{}", rows[i / 2]).unwrap(),
            // G011: no member; G012: a display name many users share.
            4 => writeln!(f, "{group},,User").unwrap(),
            5 => writeln!(f, "{group},David Lee,User").unwrap(),
            // Groups in groups (G009 when they close a cycle).
            6 => writeln!(f, "{group},dl-{:05}@contoso.com,Group", i % 250).unwrap(),
            // Damage and a ragged row.
            7 => writeln!(f, "{group},#NAME?,User").unwrap(),
            8 => writeln!(f, "{group}").unwrap(),
            9 if i % 5 == 0 => writeln!(f, "#TYPE Selected.Object\n{header}").unwrap(),
            _ => {}
        }
    });
    drop(f);
    let r = same_both_ways(&project(false), &files);
    let codes: std::collections::BTreeSet<&str> = r.findings.iter().map(|f| f.code).collect();
    for c in [
        "G005", "G006", "G007", "G008", "G009", "G011", "G012", "D002", "F008", "F015",
    ] {
        assert!(codes.contains(c), "{c} in {codes:?}");
    }
    // Past the cap of 100 listed per rule: which ones are listed depends on the order.
    assert!(r.errors() > 2_000, "{}", r.errors());
}

/// A users file's UPNs are hashed on the reader thread: duplicates that differ in case or
/// padding, blank UPNs and UPNs or aliases every syntax rule rejects, past the caps, must come
/// out as the single thread gives them.
#[test]
fn a_damaged_users_file_lints_the_same_past_the_caps() {
    let dir = tempfile::tempdir().unwrap();
    let files = synth(dir.path(), 10_000, cutover::synth::Format::Cutover);
    let f = rewrite(&files[0], |f, i, row, rows, _| {
        let rest = row.split_once(',').unwrap().1;
        let upn = rows[i / 2].split(',').next().unwrap();
        match i % 13 {
            // U005: an earlier UPN in upper case, padded.
            0 => writeln!(f, " {} ,{rest}", upn.to_uppercase()).unwrap(),
            // U001: no UPN.
            1 => writeln!(f, ",{rest}").unwrap(),
            // U002 in each of the domain's ways, and '..' before the '@'.
            2 => writeln!(f, "d{i}@contoso.123,{rest}").unwrap(),
            3 => writeln!(f, "d{i}@-contoso.com,{rest}").unwrap(),
            4 => writeln!(f, "d{i}@contoso,{rest}").unwrap(),
            5 => writeln!(f, "d{i}@contoso..com,{rest}").unwrap(),
            6 => writeln!(f, "d..{i}@contoso.com,{rest}").unwrap(),
            // U006: '..' in an alias (the alias column is the fifth).
            7 => {
                let mut cells: Vec<String> = row.split(',').map(str::to_string).collect();
                cells[0] = format!("a{i}@contoso.com");
                cells[4] = format!("a..{i}");
                writeln!(f, "{}", cells.join(",")).unwrap()
            }
            _ => {}
        }
    });
    drop(f);
    let r = same_both_ways(&project(false), &files);
    // Past the cap: 100 listed and the note of how many more.
    let count = |c: &str| r.findings.iter().filter(|f| f.code == c).count();
    for c in ["U001", "U002", "U005", "U006"] {
        assert!(count(c) > 100, "{c}: {}", count(c));
    }
    let messages: std::collections::BTreeSet<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == "U002")
        .map(|f| f.message.as_str())
        .collect();
    for m in [
        "numeric top-level domain",
        "starts or ends with '-'",
        "without a '.'",
        "empty or over-long domain label",
        "two '.' in a row",
    ] {
        assert!(
            messages.iter().any(|x| x.contains(m)),
            "{m} in {messages:?}"
        );
    }
}
