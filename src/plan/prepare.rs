//! Lint, load and plan a project in one call: what `cutover plan`, `cutover bundle` and
//! `cutover demo` share. A plan is never made from inputs lint rejects.

use crate::error::Result;
use crate::model::Tenant;
use crate::project::Project;
use crate::rules::{self, LintReport, LintRequest};

use std::path::Path;

use super::spill::Store;
use super::{build_with, Plan, State};

pub enum Prepared {
    /// Lint found errors (the report says which); nothing was planned.
    Refused(LintReport),
    Ready {
        lint: LintReport,
        tenant: Box<Tenant>,
        plan: Box<Plan>,
    },
}

/// With `out`, the plan streams its large steps' data files into it as it makes them
/// ([`super::spill`]): only after lint passed, so a refused plan writes nothing.
pub fn prepare(project: &Project, state: Option<&State>, out: Option<&Path>) -> Result<Prepared> {
    // Without them the bundle has no domains step, every address check is skipped and mail
    // to the tenant's domains has nowhere to land: refuse rather than write it silently.
    let missing = rules::settings::missing_tenant_settings(project);
    if !missing.is_empty() {
        return Err(crate::error::Error::Usage(format!(
            "the project does not name {}",
            missing.join(" or ")
        )));
    }
    let lint = rules::lint(&LintRequest {
        project,
        files: &[],
        kind: None,
    })?;
    if lint.errors() > 0 || lint.has_unreadable() {
        return Ok(Prepared::Refused(lint));
    }
    let tenant = crate::model::load::load_tenant(project)?;
    let store = out.map(Store::new_in);
    let plan = build_with(project, &tenant, state, store)?;
    Ok(Prepared::Ready {
        lint,
        tenant: Box::new(tenant),
        plan: Box::new(plan),
    })
}
