//! `cutover run --wave N`: the per-mailbox migration steps carry each operation's wave in the
//! `Wave` column of their data file (`plan::migration::WAVE_COLUMN`); a wave run keeps only
//! that wave's operations (and the rows of no wave, which every wave needs) in those steps.
//! Steps without the column are left as they are.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::verify::{op_rows, Bundle, BundleStep, OpRows};
use crate::error::{Error, Result};

/// Why a per-wave step did nothing in a wave run.
pub const NOT_IN_WAVE: &str = "no operations of this step in the wave asked for";

/// The operations of the rows whose `Wave` is `wave` (or empty), and every wave the file
/// names; `None` when the file has no `Wave` column. The file was verified against the manifest.
fn wave_ops(
    path: &std::path::Path,
    op_id: Option<&[crate::plan::contract::IdPart]>,
    wave: u32,
) -> Result<Option<(HashSet<String>, BTreeSet<u32>)>> {
    let Some(OpRows {
        ops,
        waves: Some(cells),
    }) = op_rows(path, op_id)?
    else {
        return Ok(None);
    };
    let mut keep = HashSet::new();
    let mut seen = BTreeSet::new();
    for (op, cell) in ops.into_iter().zip(cells) {
        // A row of no wave (a MigrationWiz project the mailbox rows need) belongs to every wave.
        let n = if cell.is_empty() {
            None
        } else {
            match cell.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => continue,
            }
        };
        if let Some(n) = n {
            seen.insert(n);
        }
        if n.is_none() || n == Some(wave) {
            keep.insert(op);
        }
    }
    Ok(Some((keep, seen)))
}

/// Every step with a `Wave` column, narrowed to wave `wave`'s planned operations (and the rows
/// of no wave), by step id. Refused when the bundle has no waves, or none numbered `wave`.
pub fn restrict(bundle: &Bundle, wave: u32) -> Result<HashMap<String, BundleStep>> {
    let mut narrowed = HashMap::new();
    let mut waves = BTreeSet::new();
    for step in &bundle.steps {
        let mut keep: Option<HashSet<String>> = None;
        for rel in &step.step.data {
            let path = super::verify::safe_join(&bundle.root, rel)?;
            if let Some((ops, seen)) = wave_ops(&path, step.step.op_id.as_deref(), wave)? {
                waves.extend(seen);
                keep.get_or_insert_with(HashSet::new).extend(ops);
            }
        }
        if let Some(keep) = keep {
            let mut view = step.clone();
            view.planned.retain(|op| keep.contains(op));
            narrowed.insert(step.id().to_string(), view);
        }
    }
    if narrowed.is_empty() {
        return Err(Error::Usage(
            "--wave: this bundle has no migration waves (set [migration] engine in cutover.toml and bundle again)".into(),
        ));
    }
    if !waves.contains(&wave) {
        let list: Vec<String> = waves.iter().map(u32::to_string).collect();
        return Err(Error::Usage(format!(
            "--wave {wave}: no such wave in this bundle (waves: {})",
            list.join(", ")
        )));
    }
    Ok(narrowed)
}

/// The step as a wave run sees it: narrowed when it has waves, else the bundle's own.
pub fn view<'a>(narrowed: &'a HashMap<String, BundleStep>, step: &'a BundleStep) -> &'a BundleStep {
    narrowed.get(step.id()).unwrap_or(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_the_wave_and_every_wave_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(
            &p,
            "\u{feff}Op,Wave,SourceAddress\r\nm:p,,\r\nm:a,1,a@x\r\nm:b,2,b@x\r\nm:c,2,c@x\r\n",
        )
        .unwrap();
        let (ops, seen) = wave_ops(&p, None, 2).unwrap().unwrap();
        let want = ["m:p", "m:b", "m:c"].map(String::from);
        assert_eq!(ops, HashSet::from(want));
        assert_eq!(seen, BTreeSet::from([1, 2]));
        std::fs::write(&p, "\u{feff}Op,Domain\r\nd:x,x\r\n").unwrap();
        assert!(wave_ops(&p, None, 1).unwrap().is_none());
    }
}
