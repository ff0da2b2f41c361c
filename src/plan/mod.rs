//! `Tenant` (+ optional state snapshot) to ordered operations with stable ids.
//!
//! An operation id is built from content keys only (`users:ensure:alice@contoso.com`), never
//! from row numbers, so re-ordering or adding rows leaves every other id unchanged and a
//! resumed run knows what it already did. Steps come in run order; each op becomes one row
//! of its step's data file and exactly one result record at run time.

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::HashSet;

use serde::Serialize;

use crate::audit::PermissionGrant;
use crate::bundle::manifest::RUNS_ON_JUMP_BOX;
use crate::diag::Finding;
use crate::error::{Error, Result};
use crate::model::directory::{
    derived_alias, resource_mailbox_name, Recipient, Resolved, TenantDirectory,
};
use crate::model::{Group, Mailbox, PermissionRight, RecipientKind, Tenant, User};
use crate::project::{IdentityMode, Project, SourceVersion};

/// The one minimum PowerShell for a bundle: the runner refuses older, preflight checks it, the
/// READMEs say it. ExchangeOnlineManagement 3.5.0 and later need 7.4 in PowerShell 7, and
/// PowerShell 7.2 and 7.3 are out of support.
pub const MIN_POWERSHELL: &str = "7.4";

pub mod contract;
pub mod markdown;
pub mod migration;
pub mod migration_steps;
pub mod prepare;
pub mod spill;
pub mod state;
pub mod steps;

pub use state::State;
pub use steps::{StepKind, StepPlace};

use spill::{Sink, Spilled, Store};
use state::{proxy_key, StateIndex};

/// Version of `plan.json`; readers refuse another major version. 2: each step's operations
/// live in its data file, referenced from plan.json ([`contract`]).
pub const VERSION: u32 = 2;

/// What an operation will do, as far as the plan can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Create,
    Update,
    Unchanged,
    /// Read-only: a check or an export.
    Check,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Unchanged => "unchanged",
            Change::Check => "check",
        }
    }
}

/// One operation. Its id, values and target live in one buffer (`text`, with where each ends
/// in `ends`), the target only when no value is the same text (it nearly always is one): a
/// bundle of 100,000 users holds 500,000 operations, and one allocation per operation instead
/// of one per string takes a fifth of the process's peak off (issue 12).
#[derive(Clone, PartialEq)]
pub struct Op {
    /// Verb shown to reviewers and written in result records (`ensure`, `add`, ...).
    pub action: &'static str,
    pub change: Change,
    /// Which value is also the target; `None`: the target follows the values in `text`.
    target_value: Option<u8>,
    /// The id, each value, then the target when no value is it, back to back.
    text: Box<str>,
    /// Where each of those ends in `text`.
    ends: Box<[u32]>,
}

impl Op {
    /// `values` are the step's data columns, in `PlannedStep::columns` order. The id is
    /// `<prefix>:<verb>:<key>[:<key>]`, keys lower-case where the service is; the target is
    /// the object the op touches, as the service names it.
    pub fn new<I, S>(id: &str, action: &'static str, target: &str, change: Change, values: I) -> Op
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut text = String::with_capacity(id.len() + target.len() + 64);
        let mut ends = Vec::with_capacity(8);
        let mut push = |v: &str| {
            text.push_str(v);
            ends.push(offset(text.len()));
        };
        push(id);
        let mut target_value = None;
        for (i, v) in values.into_iter().enumerate() {
            let v = v.as_ref();
            if target_value.is_none() && v == target {
                target_value = u8::try_from(i).ok();
            }
            push(v);
        }
        if target_value.is_none() {
            push(target);
        }
        Op {
            action,
            change,
            target_value,
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Stable id: `<prefix>:<verb>:<key>[:<key>]`.
    pub fn id(&self) -> &str {
        self.part(0)
    }

    /// The object the op touches, as the service names it.
    pub fn target(&self) -> &str {
        match self.target_value {
            Some(i) => self.part(usize::from(i) + 1),
            None => self.part(self.ends.len() - 1),
        }
    }

    /// How many values the op has (the step's column count).
    pub fn value_count(&self) -> usize {
        self.ends.len() - if self.target_value.is_some() { 1 } else { 2 }
    }

    /// The `i`th value, if there is one.
    pub fn value(&self, i: usize) -> Option<&str> {
        (i < self.value_count()).then(|| self.part(i + 1))
    }

    /// Values for the step's data columns, in `PlannedStep::columns` order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (1..self.value_count() + 1).map(|i| self.part(i))
    }

    /// Appends a value (a column only some steps' builders fill in last).
    pub fn push_value(&mut self, v: &str) {
        let target = self.target().to_string();
        let mut values: Vec<&str> = self.values().collect();
        values.push(v);
        *self = Op::new(self.id(), self.action, &target, self.change, values);
    }
}

/// An offset into an op's text, which is a few fields of one input row: reaching 4 GiB would
/// take a row of that size. Saturating keeps such a row from wrapping into a wrong slice.
fn offset(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// As the derived form of the struct of separate strings was: `{id, action, target, change,
/// values}` (plan.json's exceptions list).
impl Serialize for Op {
    fn serialize<Ser: serde::Serializer>(
        &self,
        ser: Ser,
    ) -> std::result::Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeStruct;
        let mut st = ser.serialize_struct("Op", 5)?;
        st.serialize_field("id", self.id())?;
        st.serialize_field("action", self.action)?;
        st.serialize_field("target", self.target())?;
        st.serialize_field("change", &self.change)?;
        st.serialize_field("values", &self.values().collect::<Vec<_>>())?;
        st.end()
    }
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("id", &self.id())
            .field("action", &self.action)
            .field("target", &self.target())
            .field("change", &self.change)
            .field("values", &self.values().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedStep {
    pub id: &'static str,
    pub kind: StepKind,
    pub title: &'static str,
    #[serde(flatten)]
    pub place: StepPlace,
    pub changes: bool,
    /// Later steps cannot succeed when this one failed (see `StepKind::gate`).
    pub gate: bool,
    /// `migrate` or `post-cutover` (see `StepKind::phase`).
    pub phase: &'static str,
    pub columns: &'static [&'static str],
    /// In plan.json as the step's data file and what its rows share ([`contract`]). Empty
    /// when the step is `spilled`: read its operations with [`PlannedStep::each_op`].
    #[serde(skip)]
    pub ops: Vec<Op>,
    /// A large step of a streaming plan ([`spill`]): its data file and what is kept of it.
    #[serde(skip)]
    pub spilled: Option<Box<Spilled>>,
}

impl PlannedStep {
    /// The in-memory ops the bundle carries out (everything the state did not show as already
    /// in place); none of a spilled step.
    pub fn pending(&self) -> impl Iterator<Item = &Op> {
        self.ops.iter().filter(|o| o.change != Change::Unchanged)
    }

    /// How many operations the step has, in its file or not.
    pub fn op_count(&self) -> usize {
        self.spilled.as_ref().map_or(self.ops.len(), |s| s.len())
    }

    /// How many of its operations have `change`.
    pub fn count(&self, change: Change) -> usize {
        match &self.spilled {
            Some(s) => s.count(change),
            None => self.ops.iter().filter(|o| o.change == change).count(),
        }
    }

    /// The one way to every operation of a step, in plan order: from memory, or read back
    /// from a spilled step's data file.
    pub fn each_op(&self, f: &mut dyn FnMut(&Op) -> Result<()>) -> Result<()> {
        match &self.spilled {
            Some(s) => s.each(f),
            None => self.ops.iter().try_for_each(f),
        }
    }

    /// Each operation's target, in plan order (a spilled step of the kinds the limits step
    /// reads kept them).
    pub fn each_target(&self, f: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        match self.spilled.as_ref().and_then(|s| s.targets()) {
            Some(t) => t.iter().try_for_each(|t| f(t)),
            None => self.each_op(&mut |o| f(o.target())),
        }
    }
}

/// One mailbox move: where MigrationWiz reads it and where it writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxPair {
    pub source: String,
    pub destination: String,
    /// A person's mailbox (DeploymentPro configures Outlook for these only), not a shared,
    /// room or equipment mailbox.
    pub user: bool,
}

/// Work the bundle cannot script for this source version, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualStep {
    pub title: &'static str,
    pub text: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub version: u32,
    pub generator: String,
    pub source_version: SourceVersion,
    pub identity: IdentityMode,
    pub tenant: Option<String>,
    pub domains: Vec<String>,
    /// Whether a state snapshot was diffed (else every op is `create` or `check`).
    pub from_state: bool,
    /// Written by [`contract::write`], each step's operations referenced from its data file.
    #[serde(skip)]
    pub steps: Vec<PlannedStep>,
    pub manual: Vec<ManualStep>,
    /// Source and destination address of every mailbox to migrate (the BitTitan files; in
    /// plan.json as a reference to them).
    #[serde(skip)]
    pub mailboxes: Vec<MailboxPair>,
    /// The mailbox migration's engine, dates and waves (`[migration]`; `None` for engine none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<migration::MigrationPlan>,
    /// Things the plan had to leave out (unresolvable members, unmapped permissions).
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
}

impl Plan {
    pub fn step(&self, kind: StepKind) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    pub fn count(&self, change: Change) -> usize {
        self.steps.iter().map(|s| s.count(change)).sum()
    }
}

/// The migration account is a value the source steps need; without it they are manual.
const NEEDS_ACCOUNT: ManualStep = ManualStep {
    title: "Source impersonation and throttling",
    text: "No migration account is set ([source] migration_account in cutover.toml), so the \
           bundle has no impersonation or throttling step: set it and bundle again. By hand: \
           on Exchange 2007 grant the account the ms-Exch-EPI-Impersonation right on each Client \
           Access server and ms-Exch-EPI-May-Impersonate on each mailbox database \
           (Add-ADPermission -ExtendedRights); on 2010 and later run New-ManagementRoleAssignment \
           -Role ApplicationImpersonation -User <account>, then give the account a throttling \
           policy with New-ThrottlingPolicy and Set-ThrottlingPolicyAssociation ($null values on \
           2010, Unlimited on 2013 and later).",
};

const EX2003_MANUAL: ManualStep = ManualStep {
    title: "Exchange 2003: permissions, export and aliases by hand",
    text: "Exchange 2003 has no Exchange Management Shell, so nothing can be scripted on the \
           source. Grant the migration account Full Access on the mailboxes in Active Directory \
           Users and Computers (Exchange Advanced > Mailbox Rights), or Receive As / Send As on \
           the mailbox store in Exchange System Manager (administrators are denied by default, \
           so use a dedicated account). There are no throttling policies on 2003. Export users \
           and groups with csvde -u (multi-valued attributes are ;-separated) and convert them \
           to the CSV layouts cutover lint reads. With synced identities, add secondary \
           addresses to the users' proxyAddresses in Active Directory (Entra Connect carries \
           them to the tenant).",
};

const SYNCED_GROUPS: ManualStep = ManualStep {
    title: "Synced groups, contacts and memberships",
    text: "With synced identities Entra Connect brings the distribution groups, mail contacts \
           and their members from Active Directory, and Exchange Online refuses to change synced \
           objects (\"out of the current user's write scope\"), so this bundle has no group, \
           contact or member step. Keep managing them on premises; check in the tenant that \
           each group from the groups file arrived (Get-DistributionGroup) once sync has run. A \
           group your Entra Connect scope leaves out must be created in the cloud by hand.",
};

const DEST_IMPERSONATION: ManualStep = ManualStep {
    title: "Destination access for the migration tool",
    text: "Exchange Online removed the ApplicationImpersonation role (February 2025), so the \
           bundle grants nothing on the destination. Register an Entra app with application \
           permissions and admin consent as your migration tool documents (BitTitan: \
           'Performing Migration using only API permissions'); EWS itself is being retired in \
           Exchange Online from October 2026.",
};

/// Builds the plan in memory. `tenant` comes from `model::load::load_tenant` after lint passed.
pub fn build(project: &Project, tenant: &Tenant, state: Option<&State>) -> Result<Plan> {
    build_with(project, tenant, state, None)
}

/// Builds the plan; with a `store`, each large step's data file is written as it is made
/// ([`spill`]), and [`contract::write`] puts it under `data/`.
pub fn build_with(
    project: &Project,
    tenant: &Tenant,
    state: Option<&State>,
    store: Option<Arc<Store>>,
) -> Result<Plan> {
    let ix = state.map(StateIndex::new);
    // Groups, contacts and members need nothing the earlier steps make: they are built on a
    // second core while this one builds the rest (a third of the plan's time at 100,000 users).
    let (mut b, side) = std::thread::scope(|scope| {
        let side = scope.spawn(|| {
            let mut g = Builder::new(project, tenant, ix.as_ref(), store.clone());
            g.groups_contacts_members();
            g
        });
        let mut b = Builder::new(project, tenant, ix.as_ref(), store.clone());
        let mailboxes = mailbox_pairs(tenant);
        b.migration = migration::build(project, tenant, &mailboxes);
        b.mailboxes = mailboxes;
        b.state_export();
        b.source_steps();
        b.domains();
        b.users();
        b.shared_mailboxes();
        b.aliases();
        let side = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (b, side)
    });
    // In the order one builder would have made them.
    b.steps.extend(side.steps);
    b.manual.extend(side.manual);
    b.notes.extend(side.notes);
    b.findings.extend(side.findings);
    if let Some(e) = side.error {
        return Err(e);
    }
    b.limits();
    b.permissions();
    b.dns_and_mail_flow();
    b.mail_filter()?;
    b.notices_send()?;
    b.migration_steps()?;
    b.revert();
    b.preflight();
    let Builder {
        steps,
        manual,
        notes,
        findings,
        migration,
        mailboxes,
        error,
        ..
    } = b;
    if let Some(e) = error {
        return Err(e);
    }
    Ok(Plan {
        version: VERSION,
        generator: format!("cutover {}", env!("CARGO_PKG_VERSION")),
        source_version: project.source_version,
        identity: project.identity,
        tenant: project.tenant.clone(),
        domains: project.domains.clone(),
        from_state: state.is_some(),
        steps,
        manual,
        mailboxes,
        migration,
        notes,
        findings,
    })
}

/// Every mailbox to migrate, once: the users' mailboxes, then the shared and resource ones.
pub(crate) fn mailbox_pairs(tenant: &Tenant) -> Vec<MailboxPair> {
    let mut seen = HashSet::default();
    let mut pairs = Vec::new();
    for u in &tenant.users {
        if u.upn.trim().is_empty() || !seen.insert(lower(&u.upn)) {
            continue;
        }
        seen.insert(user_address(u));
        pairs.push(MailboxPair {
            source: user_address(u),
            destination: u.upn.trim().to_string(),
            user: true,
        });
    }
    for m in resource_mailboxes(tenant) {
        let address = mailbox_address(m);
        if seen.insert(address.clone()) {
            pairs.push(MailboxPair {
                source: address.clone(),
                destination: address,
                user: false,
            });
        }
    }
    pairs
}

/// The export's shared, room and equipment mailboxes that have an address to create them by.
fn resource_mailboxes(tenant: &Tenant) -> impl Iterator<Item = &Mailbox> {
    tenant
        .mailboxes
        .iter()
        .filter(|m| m.kind != RecipientKind::User && !mailbox_address(m).is_empty())
}

/// The `-Type` of a shared, room or equipment mailbox (New-Mailbox switch, Set-Mailbox value).
fn resource_type(m: &Mailbox) -> &'static str {
    match m.kind {
        RecipientKind::Room => "Room",
        RecipientKind::Equipment => "Equipment",
        _ => "Shared",
    }
}

/// The address a mailbox from the export is known by: its primary SMTP address, else its UPN.
fn mailbox_address(m: &Mailbox) -> String {
    m.primary_smtp
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .or(m.upn.as_deref())
        .map(lower)
        .unwrap_or_default()
}

struct Builder<'a> {
    project: &'a Project,
    tenant: &'a Tenant,
    state: Option<&'a StateIndex<'a>>,
    steps: Vec<PlannedStep>,
    manual: Vec<ManualStep>,
    notes: Vec<String>,
    findings: Vec<Finding>,
    /// The synced users: the Exchange Online preflight checks that none carries its on-premises
    /// mailbox GUID into the tenant.
    exchange_guid_checks: Vec<String>,

    /// Built before the steps: the migration steps are generated from its waves.
    migration: Option<migration::MigrationPlan>,
    mailboxes: Vec<MailboxPair>,
    /// Where large steps' data files are written as they are made (a streaming plan).
    store: Option<Arc<Store>>,
    /// The first data file write that failed: the plan fails with it.
    error: Option<Error>,
}

/// The steps whose targets the limits step reads: a spilled one keeps them.
const MAILBOX_STEPS: [StepKind; 4] = [
    StepKind::MailboxesVerify,
    StepKind::SharedMailboxes,
    StepKind::SharedMailboxesVerify,
    StepKind::SharedMailboxesConvert,
];

/// The op-id prefix of the preflight's per-user ExchangeGuid check.
pub const EXCHANGE_GUID_OP: &str = "preflight:exchange-guid:";

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The template the ids of a step's operations follow, for the large jump-box steps: their
/// data files then need no `Op` column (issue 12; [`contract::IdPart`]). The ids are still
/// made by the builders below; the writer keeps the column unless every row fits.
/// Source-server steps (PowerShell 1.0/2.0) get none.
pub(crate) fn op_id_template(kind: StepKind, place: &StepPlace) -> Option<Vec<contract::IdPart>> {
    use contract::IdPart::{Lower, Text};
    if place.runs_on != RUNS_ON_JUMP_BOX {
        return None;
    }
    let text = |s: &str| Text(s.to_string());
    Some(match kind {
        StepKind::Users => vec![text("users:ensure:"), Lower { lower: 0 }],
        StepKind::UsersVerify => vec![text("users:verify-synced:"), Lower { lower: 0 }],
        StepKind::Licences => vec![
            text("licences:assign:"),
            Lower { lower: 0 },
            text(":"),
            Lower { lower: 1 },
        ],
        StepKind::MailboxesVerify => vec![text("mailboxes:verify:"), Lower { lower: 0 }],
        StepKind::Members => vec![
            text("members:add:"),
            Lower { lower: 0 },
            text(":"),
            Lower { lower: 1 },
        ],
        _ => return None,
    })
}

/// The address a user's mailbox is known by in the tenant.
fn user_address(u: &User) -> String {
    lower(u.primary_smtp.as_deref().unwrap_or(&u.upn))
}

/// The alias the users step sets: the user's own, else the one Exchange would derive (the
/// directory resolves members by the same name).
fn mail_nickname(u: &User) -> String {
    match &u.alias {
        Some(a) if !a.trim().is_empty() => a.trim().to_string(),
        _ => derived_alias(&u.upn).unwrap_or(u.upn.trim()).to_string(),
    }
}

/// The address a group is known by in the tenant: its primary SMTP address, else its name.
fn group_key(g: &Group) -> String {
    lower(g.primary_smtp.as_deref().unwrap_or(&g.name))
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(str::trim).unwrap_or("").to_string()
}

impl<'a> Builder<'a> {
    fn new(
        project: &'a Project,
        tenant: &'a Tenant,
        state: Option<&'a StateIndex<'a>>,
        store: Option<Arc<Store>>,
    ) -> Self {
        Builder {
            store,
            error: None,
            project,
            tenant,
            state,
            steps: Vec::new(),
            manual: Vec::new(),
            notes: Vec::new(),
            findings: Vec::new(),
            exchange_guid_checks: Vec::new(),

            migration: None,
            mailboxes: Vec::new(),
        }
    }

    /// Where a step's operations go as they are made: see [`Builder::push_sink`].
    fn sink(&self, kind: StepKind) -> Sink {
        Sink::new(kind, self.store.clone(), MAILBOX_STEPS.contains(&kind))
            .with_op_id(self.op_id_template(kind))
    }

    fn op_id_template(&self, kind: StepKind) -> Option<Vec<contract::IdPart>> {
        op_id_template(
            kind,
            &kind.place(self.project.source_version, self.project.identity),
        )
    }

    fn push_sink(&mut self, kind: StepKind, sink: Sink) {
        match sink.finish() {
            Ok((ops, spilled)) => self.push_step(kind, ops, spilled),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    fn push(&mut self, kind: StepKind, ops: Vec<Op>) {
        let sink = Sink::new(kind, self.store.clone(), MAILBOX_STEPS.contains(&kind))
            .with_op_id(self.op_id_template(kind));
        match sink.of(ops) {
            Ok((ops, spilled)) => self.push_step(kind, ops, spilled),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    fn push_step(&mut self, kind: StepKind, mut ops: Vec<Op>, spilled: Option<Spilled>) {
        if ops.is_empty() && spilled.is_none() {
            return;
        }
        // A list grown by doubling holds up to twice its length until the bundle is written.
        ops.shrink_to_fit();
        self.steps.push(PlannedStep {
            id: kind.id(),
            kind,
            title: kind.title(),
            place: kind.place(self.project.source_version, self.project.identity),
            changes: kind.changes(),
            gate: kind.gate(),
            phase: kind.phase(),
            columns: kind.columns(),
            ops,
            spilled: spilled.map(Box::new),
        });
    }

    fn change(&self, f: impl FnOnce(&StateIndex<'a>) -> Change) -> Change {
        self.state.map_or(Change::Create, f)
    }

    /// Two gate steps, run first: Graph and Exchange Online each in a process of its own (their
    /// modules' assemblies conflict in one process, msgraph-sdk-powershell issue 3394). Each
    /// checks PowerShell, every module the bundle's steps call into, and signs in.
    fn preflight(&mut self) {
        let mut graph: Vec<(&str, &str)> = Vec::new();
        let mut exchange: Vec<(&str, &str)> = Vec::new();
        for step in self
            .steps
            .iter()
            .filter(|s| s.place.runs_on == RUNS_ON_JUMP_BOX)
        {
            for &(name, min) in step.kind.modules() {
                let list = if name.starts_with("Microsoft.Graph.") {
                    &mut graph
                } else {
                    &mut exchange
                };
                if !list.iter().any(|(n, _)| *n == name) {
                    list.push((name, min));
                }
            }
        }
        // The ExchangeGuid prerequisite runs in the Exchange Online preflight, whatever else the
        // bundle does there (Get-EXORecipient, ExchangeOnlineManagement 3).
        if !self.exchange_guid_checks.is_empty()
            && !exchange
                .iter()
                .any(|(n, _)| *n == "ExchangeOnlineManagement")
        {
            exchange.push(("ExchangeOnlineManagement", "3.0.0"));
        }
        // Sign-in needs Authentication whatever else is used.
        if !graph.is_empty()
            && !graph
                .iter()
                .any(|(n, _)| *n == "Microsoft.Graph.Authentication")
        {
            graph.insert(0, ("Microsoft.Graph.Authentication", "2.0.0"));
        }
        let checks = |prefix: &str, modules: &[(&str, &str)], connect: (&str, &str)| {
            let mut ops = vec![op(
                format!("{prefix}powershell"),
                "check",
                "PowerShell",
                Change::Check,
                ["powershell", "PowerShell", MIN_POWERSHELL],
            )];
            for (name, min) in modules {
                ops.push(op(
                    format!("preflight:module:{}", name.to_lowercase()),
                    "check",
                    name,
                    Change::Check,
                    ["module", name, min],
                ));
            }
            ops.push(op(
                format!("preflight:connect:{}", connect.0),
                "connect",
                connect.1,
                Change::Check,
                ["connect", connect.0, ""],
            ));
            ops
        };
        let mut front = Vec::new();
        for (kind, prefix, modules, connect) in [
            (
                StepKind::PreflightExchange,
                "preflight:exchange:",
                &exchange,
                ("exchange", "Exchange Online"),
            ),
            (
                StepKind::Preflight,
                "preflight:",
                &graph,
                ("graph", "Microsoft Graph"),
            ),
        ] {
            if modules.is_empty() {
                continue;
            }
            let mut ops = checks(prefix, modules, connect);
            if kind == StepKind::PreflightExchange {
                // The msExchMailboxGuid prerequisite of synced identities, after the sign-in.
                for upn in &self.exchange_guid_checks {
                    ops.push(op(
                        format!("{EXCHANGE_GUID_OP}{}", lower(upn)),
                        "check",
                        upn,
                        Change::Check,
                        ["exchange-guid", upn.as_str(), ""],
                    ));
                }
            }
            let before = self.steps.len();
            self.push(kind, ops);
            front.extend(self.steps.drain(before..));
        }
        self.steps.splice(0..0, front);
    }

    fn state_export(&mut self) {
        let ops = vec![op(
            "state:export",
            "export",
            "state.json",
            Change::Check,
            ["all"],
        )];
        self.push(StepKind::StateExport, ops);
    }

    fn source_steps(&mut self) {
        let v = self.project.source_version;
        if !v.has_shell() {
            self.manual.push(EX2003_MANUAL);
            return;
        }
        match self.project.migration_account.as_deref().map(str::trim) {
            Some(acct) if !acct.is_empty() => {
                let key = lower(acct);
                self.push(
                    StepKind::SourceImpersonation,
                    vec![op(
                        format!("source-impersonation:grant:{key}"),
                        "grant",
                        acct,
                        Change::Create,
                        [acct],
                    )],
                );
                // Exchange 2007 has no throttling-policy objects to set.
                if v >= SourceVersion::Ex2010 {
                    self.push(
                        StepKind::SourceThrottling,
                        vec![
                            op(
                                format!("source-throttling:policy:{}", lower(POLICY)),
                                "ensure",
                                POLICY,
                                Change::Create,
                                [POLICY, ""],
                            ),
                            op(
                                format!("source-throttling:assign:{key}"),
                                "assign",
                                acct,
                                Change::Create,
                                [POLICY, acct],
                            ),
                        ],
                    );
                }
            }
            _ => self.manual.push(NEEDS_ACCOUNT),
        }
        let exports = [
            ("mailboxes", "mailboxes.csv"),
            ("mailbox-stats", "mailbox-stats.csv"),
            ("groups", "groups.csv"),
            ("members", "members.csv"),
            ("contacts", "contacts.csv"),
            ("permissions", "permissions.csv"),
        ];
        let ops = exports
            .iter()
            .map(|(what, file)| {
                op(
                    format!("source-export:{what}"),
                    "export",
                    file,
                    Change::Check,
                    [*what, *file],
                )
            })
            .collect();
        self.push(StepKind::SourceExport, ops);
    }

    fn domains(&mut self) {
        let mut ops = Vec::new();
        for d in &self.project.domains {
            let change = self.change(|s| match s.domains.get(d) {
                Some(true) => Change::Unchanged,
                Some(false) => Change::Update,
                None => Change::Create,
            });
            ops.push(op(format!("domains:ensure:{d}"), "ensure", d, change, [d]));
        }
        self.push(StepKind::Domains, ops);
    }

    fn users(&mut self) {
        let synced = self.project.identity == IdentityMode::Synced;
        let kind = if synced {
            StepKind::UsersVerify
        } else {
            StepKind::Users
        };
        let mut users_ops = self.sink(kind);
        let mut lic_ops = self.sink(StepKind::Licences);
        let mut mbx_ops = self.sink(StepKind::MailboxesVerify);
        let mut seen = HashSet::default();
        for u in &self.tenant.users {
            let upn = u.upn.trim();
            let key = upn.to_lowercase();
            if upn.is_empty() || !seen.insert(key.clone()) {
                continue;
            }
            let location = u
                .usage_location
                .clone()
                .or_else(|| self.project.usage_location.clone());
            if synced {
                // A synced user whose on-premises mailbox GUID reached Exchange Online stays a
                // MailUser when licensed, here or by group-based licensing: checked for every
                // synced user before anything changes.
                self.exchange_guid_checks.push(upn.to_string());
                users_ops.push(op(
                    format!("users:verify-synced:{key}"),
                    "verify",
                    upn,
                    Change::Check,
                    [upn],
                ));
            } else {
                let change = self.change(|s| match s.users.get(&key) {
                    None => Change::Create,
                    Some(su) => {
                        let same = |a: &Option<String>, b: &Option<String>| {
                            a.as_deref().map(str::trim).unwrap_or("")
                                == b.as_deref().map(str::trim).unwrap_or("")
                        };
                        let location_ok = location.is_none() || same(&su.usage_location, &location);
                        if su.display_name.as_deref() == Some(u.display_name.trim())
                            && (u.first_name.is_none() || same(&su.given_name, &u.first_name))
                            && (u.last_name.is_none() || same(&su.surname, &u.last_name))
                            && location_ok
                        {
                            Change::Unchanged
                        } else {
                            Change::Update
                        }
                    }
                });
                users_ops.push(op(
                    format!("users:ensure:{key}"),
                    "ensure",
                    upn,
                    change,
                    [
                        upn.to_string(),
                        u.display_name.trim().to_string(),
                        opt(&u.first_name),
                        opt(&u.last_name),
                        mail_nickname(u),
                        opt(&location),
                    ],
                ));
            }
            let sku = u
                .licence_sku
                .clone()
                .or_else(|| self.project.licence_sku.clone());
            if let Some(sku) = sku.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
                let change = self.change(|s| match s.users.get(&key) {
                    Some(su) if su.licences.iter().any(|l| l.eq_ignore_ascii_case(&sku)) => {
                        Change::Unchanged
                    }
                    _ => Change::Create,
                });
                lic_ops.push(op(
                    format!("licences:assign:{key}:{}", sku.to_lowercase()),
                    "assign",
                    upn,
                    change,
                    [upn.to_string(), sku.clone(), opt(&location)],
                ));
                mbx_ops.push(op(
                    format!("mailboxes:verify:{key}"),
                    "verify",
                    upn,
                    Change::Check,
                    [upn],
                ));
            }
        }
        self.push_sink(kind, users_ops);
        self.push_sink(StepKind::Licences, lic_ops);
        self.push_sink(StepKind::MailboxesVerify, mbx_ops);
    }

    /// Shared, room and equipment mailboxes have no user row, so the users step never makes
    /// them; without them their mail has nowhere to go and their permissions nothing to land on.
    /// Synced: see `synced_shared_mailboxes`.
    fn shared_mailboxes(&mut self) {
        let synced = self.project.identity == IdentityMode::Synced;
        if let (true, Some(sku)) = (synced, self.temporary_licence()) {
            return self.synced_shared_mailboxes(sku);
        }
        let mut ops = Vec::new();
        let mut seen = HashSet::default();
        for m in resource_mailboxes(self.tenant) {
            let address = mailbox_address(m);
            if !seen.insert(address.clone()) {
                continue;
            }
            let kind = resource_type(m);
            if synced {
                // No licence SKU to make the mailbox with: verified only, and the verify step
                // says what to do for each one still a MailUser.
                ops.push(op(
                    format!("shared-mailboxes:verify:{address}"),
                    "verify",
                    &address,
                    Change::Check,
                    [address.clone(), kind.to_string()],
                ));
                continue;
            }
            let change = self.change(|s| {
                if s.mailbox_addresses.contains_key(&address) {
                    Change::Unchanged
                } else {
                    Change::Create
                }
            });
            let alias = opt(&m.alias);
            let display = opt(&m.display_name);
            let name = resource_mailbox_name(Some(&display), Some(&alias), &address).to_string();
            ops.push(op(
                format!("shared-mailboxes:ensure:{address}"),
                "ensure",
                &address,
                change,
                [name, display, alias, address.clone(), kind.to_string()],
            ));
        }
        let kind = if synced {
            StepKind::SharedMailboxesVerify
        } else {
            StepKind::SharedMailboxes
        };
        self.push(kind, ops);
    }

    /// The licence a synced shared mailbox's user gets until its mailbox exists and is
    /// converted: the project's `licence_sku`, else the one most users' rows name (the first by
    /// name on a tie); `None` when nothing is licensed.
    fn temporary_licence(&self) -> Option<String> {
        let trimmed = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(sku) = trimmed(&self.project.licence_sku) {
            return Some(sku);
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for u in &self.tenant.users {
            if let Some(sku) = trimmed(&u.licence_sku) {
                *counts.entry(sku).or_default() += 1;
            }
        }
        let most = counts.values().copied().max()?;
        counts.into_iter().find(|(_, n)| *n == most).map(|(s, _)| s)
    }

    /// Synced identities, no hybrid: Entra Connect brings an on-premises shared, room or
    /// equipment mailbox's user, and Exchange Online shows it as a MailUser ("Any on premises
    /// mailbox should be represented by a mail user object within the service", Microsoft's
    /// archived blog "Office 365: Users have both a cloud and on premises mailbox",
    /// learn.microsoft.com/archive/blogs/timmcmic/office-365-users-have-both-a-cloud-and-on-premises-mailbox).
    /// Nothing in the cloud receives its migrated mail until a mailbox exists. With the
    /// msExchMailboxGuid prerequisite met (00-preflight-exchange checks each one), licensing the
    /// user makes Exchange Online create a user mailbox; it is converted with `Set-Mailbox
    /// -Type Shared|Room|Equipment`; then the licence is removed, because a shared or resource
    /// mailbox needs none unless it holds over 50 GB, has an archive or is on litigation hold
    /// (learn.microsoft.com/microsoft-365/admin/email/about-shared-mailboxes). Those keep it
    /// and the plan says why (the same reasons as the audit's M005).
    fn synced_shared_mailboxes(&mut self, sku: String) {
        use crate::audit::join::{join_stats, MailboxIndex};
        let ix = MailboxIndex::new(&self.tenant.mailboxes);
        let (usage, _) = join_stats(&ix, &self.tenant.mailboxes, &self.tenant.stats);
        let location = opt(&self.project.usage_location);
        let (mut licence, mut convert, mut unlicence) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen = HashSet::default();
        for (i, m) in self.tenant.mailboxes.iter().enumerate() {
            let address = mailbox_address(m);
            if m.kind == RecipientKind::User || address.is_empty() || !seen.insert(address.clone())
            {
                continue;
            }
            let kind = resource_type(m);
            let upn = m
                .upn
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| address.clone());
            self.exchange_guid_checks.push(upn.clone());
            licence.push(op(
                format!("shared-mailboxes:licence:{address}"),
                "assign",
                &upn,
                Change::Update,
                [
                    upn.clone(),
                    address.clone(),
                    kind.to_string(),
                    sku.clone(),
                    location.clone(),
                ],
            ));
            convert.push(op(
                format!("shared-mailboxes:convert:{address}"),
                "convert",
                &address,
                Change::Update,
                [upn.clone(), address.clone(), kind.to_string()],
            ));
            let why = usage
                .get(i)
                .map(|u| crate::audit::checks::licence_reasons(m, u))
                .unwrap_or_default();
            if why.is_empty() {
                unlicence.push(op(
                    format!("shared-mailboxes:unlicence:{address}"),
                    "remove",
                    &upn,
                    Change::Update,
                    [upn.clone(), address.clone(), kind.to_string(), sku.clone()],
                ));
            } else {
                self.notes.push(format!(
                    "{}:{}: {} keeps its {sku} licence after conversion: it {} (a shared or resource mailbox needs a licence then; Exchange Online Plan 2 for over 50 GB or a hold)",
                    m.origin.file,
                    m.origin.line,
                    address,
                    why.join(", ")
                ));
            }
        }
        self.push(StepKind::SharedMailboxesLicence, licence);
        self.push(StepKind::SharedMailboxesConvert, convert);
        self.push(StepKind::SharedMailboxesUnlicence, unlicence);
    }

    fn aliases(&mut self) {
        if self.project.identity == IdentityMode::Synced && !self.project.source_version.has_shell()
        {
            // No shell on 2003: the synced addresses are set in AD by hand (see EX2003_MANUAL).
            return;
        }
        // Synced: the alias step writes to the on-premises mailbox, which already has every
        // address the source export lists for it (Entra Connect carries them to the tenant).
        let on_premises: HashSet<(String, String)> =
            if self.project.identity == IdentityMode::Synced {
                self.tenant
                    .mailboxes
                    .iter()
                    .flat_map(|m| {
                        let names = [&m.upn, &m.primary_smtp]
                            .into_iter()
                            .flatten()
                            .map(|n| lower(n))
                            .collect::<Vec<_>>();
                        m.proxy_addresses.iter().flat_map(move |p| {
                            let key = proxy_key(&format!("{}:{}", p.kind, p.address.trim()));
                            names.clone().into_iter().map(move |n| (n, key.clone()))
                        })
                    })
                    .collect()
            } else {
                HashSet::default()
            };
        let mut ops = self.sink(StepKind::Aliases);
        let mut seen = HashSet::default();
        for u in &self.tenant.users {
            let identity = u.upn.trim();
            let mbx = user_address(u);
            // A primary address apart from the UPN (users file or mailbox export) is made the
            // cloud mailbox's primary; otherwise mail to it bounces once the MX moves. Synced
            // mailboxes already have it on premises.
            if self.project.identity == IdentityMode::Cloud && mbx != lower(identity) {
                let id = format!("aliases:primary:{}:smtp:{mbx}", lower(identity));
                if seen.insert(id.clone()) {
                    let change = self.change(|s| {
                        let has = s
                            .mailbox_addresses
                            .get(&lower(identity))
                            .is_some_and(|set| set.contains(&format!("smtp:{mbx}")));
                        if has {
                            Change::Update
                        } else {
                            Change::Create
                        }
                    });
                    ops.push(op(
                        id,
                        "add",
                        identity,
                        change,
                        [identity.to_string(), format!("SMTP:{mbx}")],
                    ));
                }
            }
            for p in &u.proxy_addresses {
                if p.primary || !(p.kind == "smtp" || p.kind == "x500") {
                    continue;
                }
                let address = format!("{}:{}", p.kind, p.address.trim());
                let key = proxy_key(&address);
                if on_premises.contains(&(lower(identity), key.clone()))
                    || on_premises.contains(&(mbx.clone(), key.clone()))
                {
                    continue;
                }
                if key == format!("smtp:{mbx}") || key == format!("smtp:{}", lower(identity)) {
                    continue;
                }
                let id = format!("aliases:add:{}:{key}", lower(identity));
                if !seen.insert(id.clone()) {
                    continue;
                }
                let change = self.change(|s| {
                    let has = [lower(identity), mbx.clone()]
                        .iter()
                        .filter_map(|k| s.mailbox_addresses.get(k))
                        .any(|set| set.contains(&key));
                    if has {
                        Change::Unchanged
                    } else {
                        Change::Create
                    }
                });
                ops.push(op(
                    id,
                    "add",
                    identity,
                    change,
                    [identity.to_string(), address],
                ));
            }
        }
        // Cloud shared and resource mailboxes are new objects: their old addresses (X500 for
        // replies to old mail) are added like a user's. Synced ones carry theirs from AD.
        if self.project.identity == IdentityMode::Cloud {
            for m in resource_mailboxes(self.tenant) {
                let mbx = mailbox_address(m);
                for p in &m.proxy_addresses {
                    if p.primary || !(p.kind == "smtp" || p.kind == "x500") {
                        continue;
                    }
                    let address = format!("{}:{}", p.kind, p.address.trim());
                    let key = proxy_key(&address);
                    let id = format!("aliases:add:{mbx}:{key}");
                    if key == format!("smtp:{mbx}") || !seen.insert(id.clone()) {
                        continue;
                    }
                    let change = self.change(|s| match s.mailbox_addresses.get(&mbx) {
                        Some(set) if set.contains(&key) => Change::Unchanged,
                        _ => Change::Create,
                    });
                    ops.push(op(id, "add", &mbx, change, [mbx.clone(), address]));
                }
            }
        }
        self.push_sink(StepKind::Aliases, ops);
    }

    fn groups_contacts_members(&mut self) {
        if self.project.identity == IdentityMode::Synced {
            // Entra Connect syncs the groups, contacts and memberships too: Exchange Online
            // refuses writes to them (write scope), so the jump box gets no step for them.
            if !(self.tenant.groups.is_empty()
                && self.tenant.memberships.is_empty()
                && self.tenant.contacts.is_empty())
            {
                self.manual.push(SYNCED_GROUPS);
            }
            return;
        }
        let mut group_ops = Vec::new();
        let mut group_ids = HashSet::default();
        // Exchange Online refuses a second recipient of one Name (lint G013): the shared,
        // room and equipment mailboxes are made first and keep theirs.
        let mut group_names: HashSet<String> = resource_mailboxes(self.tenant)
            .map(|m| {
                let address = mailbox_address(m);
                lower(resource_mailbox_name(
                    m.display_name.as_deref(),
                    m.alias.as_deref(),
                    &address,
                ))
            })
            .collect();
        for g in &self.tenant.groups {
            // Group names are unique (lint G003): a second group of one name is never created,
            // and the directory gives it no names.
            if !group_names.insert(lower(&g.name)) {
                self.notes.push(format!(
                    "{}:{}: a group or mailbox named '{}' comes earlier; this group is left out",
                    g.origin.file, g.origin.line, g.name
                ));
                continue;
            }
            let key = group_key(g);
            // Exchange Online rejects external senders unless told otherwise.
            let require_auth = !g.accept_external.unwrap_or(false);
            let change = self.change(|s| match s.groups.get(&key) {
                None => Change::Create,
                // Graph does not show a group's sender authentication, so a Graph-only snapshot
                // leaves it unknown: unknown is an update (the step compares at run time), never
                // a silent "unchanged" that drops the external-mail fix.
                Some(sg) => match sg.require_sender_authentication {
                    Some(v) if v == require_auth => Change::Unchanged,
                    _ => Change::Update,
                },
            });
            let id = format!("groups:ensure:{key}");
            if !group_ids.insert(id.clone()) {
                continue;
            }
            group_ops.push(op(
                id,
                "ensure",
                &key,
                change,
                [
                    g.name.trim().to_string(),
                    opt(&g.display_name),
                    opt(&g.alias),
                    opt(&g.primary_smtp),
                    match g.kind {
                        crate::model::GroupKind::Distribution => "Distribution".to_string(),
                        crate::model::GroupKind::Security => "Security".to_string(),
                    },
                    if require_auth { "true" } else { "false" }.to_string(),
                ],
            ));
        }
        let alias_ops = self.group_aliases();
        let dir = TenantDirectory::new(self.tenant);
        // Every contact of the source's contacts export, then the members outside the
        // accepted domains; keyed by the outside address. A contact whose Name another
        // recipient has (lint G013) or whose outside address an earlier contact has is made
        // once, as the directory says.
        let mut contacts: BTreeMap<String, ContactRow> = BTreeMap::new();
        for (i, c) in self.tenant.contacts.iter().enumerate() {
            if !dir.has_contact(i) {
                if !contacts.contains_key(&c.external) {
                    self.notes.push(format!(
                        "{}:{}: an earlier recipient has the Name or address of contact '{}'; it is left out",
                        c.origin.file,
                        c.origin.line,
                        c.name.trim()
                    ));
                }
                continue;
            }
            contacts.insert(
                c.external.clone(),
                ContactRow {
                    name: c.name.trim().to_string(),
                    alias: opt(&c.alias),
                    display: opt(&c.display_name),
                    addresses: c
                        .addresses
                        .iter()
                        .map(|a| format!("smtp:{a}"))
                        .chain(c.x500.iter().map(|x| format!("X500:{x}")))
                        .collect::<Vec<_>>()
                        .join(";"),
                    legacy_dn: c.legacy_dn.clone(),
                },
            );
        }
        let mut member_ops = self.sink(StepKind::Members);
        let mut seen = HashSet::default();
        for m in &self.tenant.memberships {
            // For notes only: most memberships have none.
            let at = At(&m.origin);
            let group = match dir.resolve_group(&m.group) {
                Resolved::Found(r) => self.recipient_address(r),
                Resolved::Ambiguous(a, b) => {
                    self.notes.push(format!(
                        "{at}: group '{}' names both {} and {}; membership of '{}' skipped",
                        m.group,
                        self.describe(a),
                        self.describe(b),
                        m.member
                    ));
                    continue;
                }
                Resolved::Missing => {
                    self.notes.push(format!(
                        "{at}: group '{}' is not in the groups file; membership of '{}' skipped",
                        m.group, m.member
                    ));
                    continue;
                }
            };
            let member = match dir.resolve(&m.member) {
                Resolved::Found(r) => self.recipient_address(r),
                Resolved::Ambiguous(a, b) => {
                    self.notes.push(format!(
                        "{at}: member '{}' of '{}' names both {} and {}; skipped",
                        m.member,
                        m.group,
                        self.describe(a),
                        self.describe(b)
                    ));
                    continue;
                }
                Resolved::Missing => {
                    let name = lower(&m.member);
                    let Some((_, domain)) = name.rsplit_once('@') else {
                        self.notes.push(format!(
                            "{at}: member '{}' of '{}' is neither a known user or group nor an address; skipped",
                            m.member, m.group
                        ));
                        continue;
                    };
                    if !self.project.domains.is_empty() && !self.project.accepts_domain(domain) {
                        contacts
                            .entry(name.clone())
                            .or_insert_with(|| ContactRow::for_address(&name));
                    }
                    name
                }
            };
            let id = format!("members:add:{group}:{member}");
            if !seen.insert(id.clone()) {
                continue;
            }
            let change = self.change(|s| match s.group_members.get(&group) {
                Some(set) if set.contains(&member) => Change::Unchanged,
                _ => Change::Create,
            });
            member_ops.push(op(id, "add", &group, change, [group.clone(), member]));
        }
        let contact_ops = contacts
            .into_iter()
            .map(|(c, row)| {
                // The state export knows contacts, not their addresses: one with an X500 or
                // other addresses to add may still change.
                let change = self.change(|s| {
                    let adds = row.legacy_dn.is_some() || !row.addresses.is_empty();
                    match (s.contacts.contains(&c), adds) {
                        (true, false) => Change::Unchanged,
                        (true, true) => Change::Update,
                        (false, _) => Change::Create,
                    }
                });
                op(
                    format!("contacts:ensure:{c}"),
                    "ensure",
                    &c,
                    change,
                    [
                        row.name,
                        c.clone(),
                        row.legacy_dn.unwrap_or_default(),
                        row.alias,
                        row.display,
                        row.addresses,
                    ],
                )
            })
            .collect();
        self.push(StepKind::Groups, group_ops);
        self.push(StepKind::GroupAliases, alias_ops);
        self.push(StepKind::Contacts, contact_ops);
        self.push_sink(StepKind::Members, member_ops);
    }

    /// The address a recipient of the directory is known by in the tenant (the members
    /// step's `-Member` and the "already a member?" key).
    fn recipient_address(&self, r: Recipient) -> String {
        match r {
            Recipient::User(i) => self.tenant.users.get(i).map(user_address),
            Recipient::Group(i) => self.tenant.groups.get(i).map(group_key),
            Recipient::Mailbox(i) => self.tenant.mailboxes.get(i).map(mailbox_address),
            // The outside address is the cloud contact's primary address (New-MailContact
            // -ExternalEmailAddress), which Get-DistributionGroupMember shows; a MailContact is
            // a supported member (Add-DistributionGroupMember -Member).
            Recipient::Contact(i) => self.tenant.contacts.get(i).map(|c| c.external.clone()),
        }
        .unwrap_or_default()
    }

    /// "the user ann@contoso.com (users.csv:2)", for notes.
    fn describe(&self, r: Recipient) -> String {
        let (what, origin) = match r {
            Recipient::User(i) => ("user", self.tenant.users.get(i).map(|u| &u.origin)),
            Recipient::Group(i) => ("group", self.tenant.groups.get(i).map(|g| &g.origin)),
            Recipient::Mailbox(i) => ("mailbox", self.tenant.mailboxes.get(i).map(|m| &m.origin)),
            Recipient::Contact(i) => ("contact", self.tenant.contacts.get(i).map(|c| &c.origin)),
        };
        let at = origin.map_or(String::new(), |o| format!(" ({}:{})", o.file, o.line));
        format!("the {what} {}{at}", self.recipient_address(r))
    }

    /// Secondary SMTP and X500 addresses of each group (old addresses keep receiving mail).
    fn group_aliases(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        let mut seen = HashSet::default();
        for g in &self.tenant.groups {
            let key = group_key(g);
            for p in &g.proxy_addresses {
                if p.primary || !(p.kind == "smtp" || p.kind == "x500") {
                    continue;
                }
                let address = format!("{}:{}", p.kind, p.address.trim());
                let akey = proxy_key(&address);
                if akey == format!("smtp:{key}") {
                    continue;
                }
                let id = format!("group-aliases:add:{key}:{akey}");
                if !seen.insert(id.clone()) {
                    continue;
                }
                let change = self.change(|s| match s.group_addresses.get(&key) {
                    Some(a) if a.contains(&akey) => Change::Unchanged,
                    _ => Change::Create,
                });
                ops.push(op(id, "add", &key, change, [key.clone(), address]));
            }
        }
        ops
    }

    fn limits(&mut self) {
        let send = format!("{}MB", self.project.max_send_mb);
        let receive = format!("{}MB", self.project.max_receive_mb);
        // Every mailbox this plan provisions (licensed users, shared/room/equipment), by
        // identity, one operation each: a listing would silently miss those still being
        // provisioned. Two listing operations remain: the mailbox plans (which set the values
        // for mailboxes created later) and the mailboxes beyond the plan, said to be such.
        let mut ops = self.sink(StepKind::Limits);
        let mut seen = HashSet::default();
        for s in self
            .steps
            .iter()
            .filter(|s| MAILBOX_STEPS.contains(&s.kind))
        {
            let read = s.each_target(&mut |target| {
                let identity = target.trim();
                let key = lower(identity);
                if identity.is_empty() || seen.contains(&key) {
                    return Ok(());
                }
                let id = format!("limits:set:mailbox:{key}");
                seen.insert(key);
                // The mailbox is this plan's own new one: its limits are set for the first
                // time (and PLAN.md shows them as routine, not as thousands of exceptions).
                ops.push(op(
                    id,
                    "set",
                    identity,
                    Change::Create,
                    [
                        "mailbox".to_string(),
                        identity.to_string(),
                        send.clone(),
                        receive.clone(),
                    ],
                ));
                Ok(())
            });
            if let Err(e) = read {
                self.error.get_or_insert(e);
                return;
            }
        }
        for scope in ["other-mailboxes", "mailbox-plans"] {
            ops.push(op(
                format!("limits:set:{scope}"),
                "set",
                scope,
                Change::Update,
                [
                    scope.to_string(),
                    String::new(),
                    send.clone(),
                    receive.clone(),
                ],
            ));
        }
        self.push_sink(StepKind::Limits, ops);
    }

    fn permissions(&mut self) {
        let (grants, findings) = crate::audit::plan_permissions(self.tenant, self.project);
        self.findings.extend(findings);
        let mut seen = HashSet::default();
        let ops = grants
            .iter()
            .filter_map(|g: &PermissionGrant| {
                let right = match g.right {
                    PermissionRight::FullAccess => "FullAccess",
                    PermissionRight::SendAs => "SendAs",
                    PermissionRight::SendOnBehalf => "SendOnBehalf",
                };
                let id = format!(
                    "permissions:{}:{}:{}",
                    right.to_lowercase(),
                    lower(&g.mailbox),
                    lower(&g.trustee)
                );
                seen.insert(id.clone()).then(|| {
                    op(
                        id,
                        "grant",
                        g.mailbox.trim(),
                        Change::Create,
                        [
                            g.mailbox.trim().to_string(),
                            g.trustee.trim().to_string(),
                            right.to_string(),
                            if g.automapping { "true" } else { "false" }.to_string(),
                        ],
                    )
                })
            })
            .collect();
        self.push(StepKind::Permissions, ops);
    }

    fn dns_and_mail_flow(&mut self) {
        let dns = self
            .project
            .domains
            .iter()
            .map(|d| op(format!("dns:records:{d}"), "read", d, Change::Check, [d]))
            .collect();
        let flow = self
            .project
            .domains
            .iter()
            .map(|d| {
                op(
                    format!("mail-flow:check:{d}"),
                    "check",
                    d,
                    Change::Check,
                    [d],
                )
            })
            .collect();
        self.push(StepKind::DnsRecords, dns);
        self.push(StepKind::MailFlow, flow);
        self.manual.push(DEST_IMPERSONATION);
    }

    /// `[mail_filter]`: the inbound connector, Enhanced Filtering on it, the outbound connector
    /// when outbound goes through the smarthost, and each domain's SPF record.
    fn mail_filter(&mut self) -> Result<()> {
        let Some(m) = &self.project.mail_filter else {
            return Ok(());
        };
        let ranges = crate::mail_filter::ranges(m)?;
        let inbound = crate::mail_filter::inbound_name(m);
        let tls = if m.require_tls { "true" } else { "false" };
        let key = lower(&inbound);
        let senders = crate::mail_filter::sender_ranges(&ranges).join(";");
        let mut ops = Vec::new();
        if !senders.is_empty() {
            ops.push(op(
                format!("mail-filter:inbound:{key}"),
                "ensure",
                &inbound,
                Change::Create,
                [
                    "Inbound",
                    inbound.as_str(),
                    senders.as_str(),
                    "",
                    tls,
                    "",
                    "",
                ],
            ));
        }
        let skip = crate::mail_filter::skip_ranges(&ranges).join(";");
        ops.push(op(
            format!("mail-filter:enhanced-filtering:{key}"),
            "set",
            &inbound,
            Change::Update,
            [
                "EnhancedFiltering",
                inbound.as_str(),
                skip.as_str(),
                "",
                "",
                "",
                "",
            ],
        ));
        if let Some(host) = &m.smarthost {
            let outbound = crate::mail_filter::outbound_name(m);
            ops.push(op(
                format!("mail-filter:outbound:{}", lower(&outbound)),
                "ensure",
                &outbound,
                Change::Create,
                [
                    "Outbound",
                    outbound.as_str(),
                    "",
                    host.as_str(),
                    tls,
                    "",
                    "",
                ],
            ));
        }
        let record = crate::mail_filter::spf_record(Some(m));
        for d in &self.project.domains {
            ops.push(op(
                format!("mail-filter:spf:{d}"),
                "check",
                d,
                Change::Check,
                ["Spf", "", "", "", "", d.as_str(), record.as_str()],
            ));
        }
        self.push(StepKind::MailFilter, ops);
        Ok(())
    }

    /// The notices Graph sends (`[notices] graph_messages`), when a sender and a cutover day
    /// are set: one op per user and message.
    fn notices_send(&mut self) -> Result<()> {
        let n = &self.project.notices;
        if n.sender.is_none() || self.project.schedule.cutover.is_none() {
            return Ok(());
        }
        let dates = crate::notices::Dates::resolve(self.project, None)?;
        let built = crate::notices::build(self.project, self.tenant, dates)?;
        let ops = built
            .messages
            .iter()
            .filter(|m| n.graph_messages.iter().any(|k| k == m.kind.id()))
            .map(|m| {
                op(
                    m.op_id(),
                    "send",
                    &m.to,
                    Change::Create,
                    [
                        m.kind.id().to_string(),
                        built.sender.clone(),
                        m.to.clone(),
                        m.to_name.clone(),
                        m.subject.clone(),
                        m.body.clone(),
                        m.send_on.to_string(),
                        m.send_by.to_string(),
                    ],
                )
            })
            .collect();
        self.push(StepKind::NoticesSend, ops);
        Ok(())
    }

    /// The mailbox migration's steps (`[migration]` engine), after every recipient exists and
    /// before the reverts take the migration account's source access away.
    fn migration_steps(&mut self) -> Result<()> {
        let Some(mp) = &self.migration else {
            return Ok(());
        };
        let all = migration_steps::steps(
            mp,
            self.project.tenant.as_deref(),
            self.project.source_version,
            self.project.identity,
        )
        .map_err(|e| Error::Usage(format!("[migration]: {e}")))?;
        for (kind, ops) in all {
            self.push(kind, ops);
        }
        Ok(())
    }

    fn revert(&mut self) {
        {
            let acct = self.first_target(StepKind::SourceThrottling, "assign");
            if let Some(acct) = acct {
                let ops = vec![op(
                    format!("source-throttling-revert:assign:{}", lower(&acct)),
                    "revert",
                    &acct,
                    Change::Update,
                    [POLICY, acct.as_str()],
                )];
                self.push(StepKind::SourceThrottlingRevert, ops);
            }
        }
        // The impersonation grant goes once the last pass is done: the RBAC assignment the
        // impersonation step made (2010 and later), or 2007's two AD extended rights.
        {
            let acct = self.first_target(StepKind::SourceImpersonation, "grant");
            if let Some(acct) = acct {
                let ops = vec![op(
                    format!("source-impersonation-revert:remove:{}", lower(&acct)),
                    "remove",
                    &acct,
                    Change::Update,
                    [acct.as_str()],
                )];
                self.push(StepKind::SourceImpersonationRevert, ops);
            }
        }
    }

    /// The target of the first operation of step `kind` with `action`.
    fn first_target(&mut self, kind: StepKind, action: &str) -> Option<String> {
        let step = self.steps.iter().find(|s| s.kind == kind)?;
        let mut found = None;
        let read = step.each_op(&mut |o| {
            if found.is_none() && o.action == action {
                found = Some(o.target().to_string());
            }
            Ok(())
        });
        if let Err(e) = read {
            self.error.get_or_insert(e);
        }
        found
    }
}

/// `file:line` of a record, formatted only when a note uses it.
struct At<'a>(&'a crate::model::Origin);

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.0.file, self.0.line)
    }
}

/// The throttling policy the bundle creates for the migration account.
pub const POLICY: &str = "CutoverMigration";

fn op<I, S>(
    id: impl AsRef<str>,
    action: &'static str,
    target: &str,
    change: Change,
    values: I,
) -> Op
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Op::new(id.as_ref(), action, target, change, values)
}

/// One contacts-step row: what New-MailContact and Set-MailContact are given.
struct ContactRow {
    name: String,
    alias: String,
    display: String,
    /// Other addresses to add (`smtp:` and `X500:` entries), `;`-separated.
    addresses: String,
    legacy_dn: Option<String>,
}

impl ContactRow {
    /// The contact of a member outside the accepted domains, named by its address.
    fn for_address(address: &str) -> ContactRow {
        ContactRow {
            name: address.to_string(),
            alias: String::new(),
            display: String::new(),
            addresses: String::new(),
            legacy_dn: None,
        }
    }
}

#[cfg(test)]
mod tests;
