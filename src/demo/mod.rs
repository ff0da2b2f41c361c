//! The built-in samples, embedded so `cutover demo` works from any folder, and the demo's
//! stand-in for pwsh.

pub mod stand_in;

use std::path::Path;

use crate::error::{Error, Result};
use crate::project::Project;

/// The sample files by name, as shipped in `samples/`.
pub const SAMPLES: [(&str, &str); 7] = [
    ("cutover.toml", include_str!("../../samples/cutover.toml")),
    ("users.csv", include_str!("../../samples/users.csv")),
    ("groups.csv", include_str!("../../samples/groups.csv")),
    ("members.csv", include_str!("../../samples/members.csv")),
    ("mailboxes.csv", include_str!("../../samples/mailboxes.csv")),
    (
        "mailbox-stats.csv",
        include_str!("../../samples/mailbox-stats.csv"),
    ),
    (
        "permissions.csv",
        include_str!("../../samples/permissions.csv"),
    ),
];

/// Writes the samples into `dir` and returns the project that points at them.
pub fn write_samples(dir: &Path) -> Result<Project> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, text) in SAMPLES {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Project::from_file(&dir.join("cutover.toml"))
}

/// The licence the demo's rehearsal assigns (a rehearsal needs mailboxes, which Exchange Online
/// creates only for licensed users).
pub const DEMO_LICENCE: &str = "O365_BUSINESS_PREMIUM";

/// Adds `licence_sku` to the written samples' cutover.toml and reads the project again.
pub fn license_samples(dir: &Path) -> Result<Project> {
    let path = dir.join("cutover.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let text = text.replacen(
        "[tenant]\n",
        &format!("[tenant]\nlicence_sku = \"{DEMO_LICENCE}\"\n"),
        1,
    );
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    Project::from_file(&path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{lint, LintRequest};

    #[test]
    fn samples_lint_without_errors_but_with_instructive_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let project = write_samples(dir.path()).unwrap();
        let report = lint(&LintRequest {
            project: &project,
            files: &[],
            kind: None,
        })
        .unwrap();
        assert_eq!(report.errors(), 0, "{:#?}", report.findings);
        let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
        // A plaintext-password file, an external member, external forwarding: worth a look.
        for code in ["U013", "G007", "M007"] {
            assert!(codes.contains(&code), "{code} in {codes:?}");
        }
        assert_eq!(report.files.len(), 6);
        assert!(report.files.iter().all(|f| f.rows > 0));
    }
}
