//! Project to bundle on disk: lint, load, plan, secrets file, bundle. `cutover bundle` and
//! `cutover demo` call this.

use std::path::Path;

use crate::error::{Error, Result};
use crate::plan::prepare::{prepare, Prepared};
use crate::plan::{Plan, State};
use crate::project::{IdentityMode, Project};
use crate::rules::LintReport;

use super::manifest::Manifest;
use super::{check_out, password_count, secrets_target, write, write_secrets_file, BundleOptions};

pub enum Outcome {
    /// Lint found errors; nothing was written.
    Refused(LintReport),
    Written {
        lint: LintReport,
        /// The loaded inputs (the caller may drop them, or leave them to the process's end).
        tenant: Box<crate::model::Tenant>,
        plan: Box<Plan>,
        manifest: Box<Manifest>,
        /// Passwords written to the secrets file (0 when none).
        secrets: usize,
        /// Passwords in the inputs that were not used (synced identities).
        ignored_passwords: usize,
    },
}

pub fn make(
    project: &Project,
    state: Option<&State>,
    out: &Path,
    force: bool,
    secrets_out: Option<&Path>,
) -> Result<Outcome> {
    make_with(project, state, out, force, secrets_out, &mut |_| {})
}

/// `make`, telling `stage` what it is doing: lint and plan, then writing (progress on large
/// tenants).
pub fn make_with(
    project: &Project,
    state: Option<&State>,
    out: &Path,
    force: bool,
    secrets_out: Option<&Path>,
    stage: &mut dyn FnMut(&str),
) -> Result<Outcome> {
    // Before the work, not after: a 300,000-user tenant takes seconds to lint and plan.
    check_out(out, force)?;
    stage("linting and planning the inputs");
    let (lint, tenant, plan) = match prepare(project, state, Some(out))? {
        Prepared::Refused(r) => return Ok(Outcome::Refused(r)),
        Prepared::Ready { lint, tenant, plan } => (lint, tenant, plan),
    };
    let passwords = password_count(&tenant);
    let cloud = project.identity == IdentityMode::Cloud;
    let mut target = None;
    if cloud && passwords > 0 {
        let Some(path) = secrets_out else {
            return Err(Error::Usage(format!(
                "the users file holds {passwords} password(s), which never go into a bundle: \
                 pass --secrets-out FILE (outside the bundle) and later `cutover run --secrets FILE`"
            )));
        };
        target = Some(secrets_target(path, out)?);
    }
    let opts = BundleOptions {
        force,
        has_secrets: target.is_some(),
    };
    let ops: usize = plan.steps.iter().map(|s| s.op_count()).sum();
    stage(&format!(
        "writing {} steps ({ops} operations) to {}",
        plan.steps.len(),
        out.display()
    ));
    let manifest = write(project, &plan, out, &opts)?;
    // Last: a bundle refused or failed on the way leaves no secrets file behind.
    let secrets = match &target {
        Some(t) => write_secrets_file(&tenant, t)?,
        None => 0,
    };
    Ok(Outcome::Written {
        lint,
        tenant,
        plan,
        manifest: Box::new(manifest),
        secrets,
        ignored_passwords: if cloud { 0 } else { passwords },
    })
}
