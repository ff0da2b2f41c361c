//! Mailbox statistics, permissions and the migration estimate.

pub mod findings;
pub mod load;
pub mod principal;
pub mod rows;
pub mod size;

use std::path::PathBuf;

use serde::Serialize;

use crate::diag::Finding;
use crate::error::Result;
use crate::input::FileKind;
use crate::model::{PermissionRight, Tenant};
use crate::project::Project;

pub use findings::RULES;

/// Findings for the audit kinds (mailboxes, mailbox-stats, permissions) among the files
/// `cutover lint` was given, read with the same input layer. Called by `lint`.
pub fn lint_inputs(_project: &Project, _files: &[(PathBuf, FileKind)]) -> Result<Vec<Finding>> {
    Ok(Vec::new())
}

/// A permission to grant in Exchange Online, both sides mapped to destination identities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionGrant {
    /// Destination mailbox (primary SMTP address or UPN in the tenant).
    pub mailbox: String,
    /// Destination principal (UPN).
    pub trustee: String,
    pub right: PermissionRight,
    /// FullAccess only.
    pub automapping: bool,
}

/// Maps source permissions to destination grants. A principal that cannot be mapped is a
/// finding, never a silent drop. Called by `plan` to feed the bundle's permissions step.
pub fn plan_permissions(
    _tenant: &Tenant,
    _project: &Project,
) -> (Vec<PermissionGrant>, Vec<Finding>) {
    (Vec::new(), Vec::new())
}
