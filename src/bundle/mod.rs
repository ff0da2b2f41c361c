//! Plan + source version to a folder of steps, data files, README and manifest.
//!
//! Scripts never contain input values: each step reads `data/<step>.csv` at run time and binds
//! the values as parameters. The only literal rendered into a script is the tenant name, through
//! `quote::ps_single_quoted`. Scripts and data files are UTF-8 with BOM (Windows PowerShell 5.1
//! reads BOM-less scripts as ANSI, which can turn a letter into a quote character).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use include_dir::{include_dir, Dir};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::Tenant;
use crate::plan::{contract, markdown, Plan, PlannedStep, StepKind, EXCHANGE_GUID_OP};
use crate::project::{IdentityMode, Project, SourceVersion};

pub mod manifest;
pub mod pipeline;
pub mod quote;

use manifest::{DataFile, Manifest, Step};

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");
/// The shared step runtime, kept in `ps-modules/` and embedded.
pub const MODULE: &str = include_str!("../../ps-modules/Cutover.psm1");
pub const MODULE_FILE: &str = "modules/Cutover.psm1";
/// The same runtime for Exchange 2007's shell, which may be PowerShell 1.0 (no modules): a
/// script the 2007 source-server steps dot-source.
pub const MODULE_PS1: &str = include_str!("../../ps-modules/Cutover.ps1");
pub const MODULE_PS1_FILE: &str = "modules/Cutover.ps1";
pub use crate::plan::contract::{DEPLOYMENTPRO_FILE, MIGRATIONWIZ_FILE};

const BOM: &str = "\u{feff}";

#[derive(Debug, Clone, Default)]
pub struct BundleOptions {
    /// Replace the contents of a non-empty output folder.
    pub force: bool,
    /// Whether a secrets file was written for this bundle (the README says how to pass it).
    pub has_secrets: bool,
}

/// The files a bundle writes at its root; `--force` removes only these (and never `runs/`).
/// `ops` is what bundles before plan format 2 wrote.
const OWNED: [&str; 8] = [
    "manifest.json",
    "README.md",
    "PLAN.md",
    "plan.json",
    "steps",
    "data",
    "ops",
    "modules",
];

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// LF to CRLF (Notepad on older Windows Server shows LF-only files as one line).
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Refuses an output path that is a file, or a non-empty folder without `force`.
pub fn check_out(out: &Path, force: bool) -> Result<()> {
    if out.exists() {
        if !out.is_dir() {
            return Err(Error::Usage(format!(
                "{} exists and is not a folder",
                out.display()
            )));
        }
        // A streaming plan's hidden folder of data files is the bundle's own (see plan::spill).
        let non_empty = fs::read_dir(out).map_err(io(out))?.any(|e| {
            e.map_or(true, |e| {
                !e.file_name()
                    .to_string_lossy()
                    .starts_with(crate::plan::spill::TMP_PREFIX)
            })
        });
        if non_empty && !force {
            return Err(Error::Usage(format!(
                "{} is not empty: choose another --out or pass --force to replace the bundle in it",
                out.display()
            )));
        }
    }
    Ok(())
}

fn prepare_dir(out: &Path, force: bool) -> Result<()> {
    check_out(out, force)?;
    if out.exists() {
        for name in OWNED {
            let p = out.join(name);
            if p.is_dir() {
                fs::remove_dir_all(&p).map_err(io(&p))?;
            } else if p.exists() {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
    }
    for sub in ["steps", "data", "modules"] {
        let p = out.join(sub);
        fs::create_dir_all(&p).map_err(io(&p))?;
    }
    Ok(())
}

fn write_file(out: &Path, rel: &str, bytes: &[u8]) -> Result<String> {
    let p = out.join(rel);
    fs::write(&p, bytes).map_err(io(&p))?;
    Ok(sha256_hex(bytes))
}

fn template_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut v: Vec<&include_dir::File<'_>> = dir.files().collect();
    for d in dir.dirs() {
        v.extend(template_files(d));
    }
    v
}

fn handlebars() -> Result<Handlebars<'static>> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // Templates produce PowerShell and Markdown, not HTML; values are prepared in Rust.
    hb.register_escape_fn(handlebars::no_escape);
    for f in template_files(&TEMPLATES) {
        let path = f.path().to_string_lossy().replace('\\', "/");
        let name = path.trim_end_matches(".hbs");
        let name = name.strip_prefix("partials/").unwrap_or(name);
        let name = name.trim_end_matches(".ps1");
        let text = f
            .contents_utf8()
            .ok_or_else(|| Error::Other(anyhow::anyhow!("template {path} is not UTF-8")))?;
        hb.register_template_string(name, text)
            .map_err(|e| Error::Other(anyhow::anyhow!("template {path}: {e}")))?;
    }
    Ok(hb)
}

/// Whether a step runs in Exchange 2007's shell, which may be Windows PowerShell 1.0: its
/// script keeps to 1.0 and dot-sources `Cutover.ps1` instead of importing the module.
pub fn powershell_1(version: SourceVersion, runs_on: &str) -> bool {
    version == SourceVersion::Ex2007 && runs_on == manifest::RUNS_ON_SOURCE
}

fn template_for(kind: StepKind, version: SourceVersion, runs_on: &str) -> Result<&'static str> {
    if powershell_1(version, runs_on) {
        return match kind {
            StepKind::SourceImpersonation => Ok("steps/source-impersonation-2007"),
            StepKind::SourceImpersonationRevert => Ok("steps/source-impersonation-revert-2007"),
            StepKind::SourceExport => Ok("steps/source-export-2007"),
            StepKind::Aliases => Ok("steps/aliases-2007"),
            _ => Err(Error::Other(anyhow::anyhow!(
                "step {} has no PowerShell 1.0 script for Exchange 2007's shell",
                kind.id()
            ))),
        };
    }
    Ok(match kind {
        StepKind::Preflight | StepKind::PreflightExchange => "steps/preflight",
        StepKind::StateExport => "steps/state-export",
        StepKind::SourceImpersonation => "steps/source-impersonation",
        StepKind::SourceThrottling => "steps/source-throttling",
        StepKind::SourceExport => "steps/source-export",
        StepKind::Domains => "steps/domains",
        StepKind::Users => "steps/users",
        StepKind::UsersVerify => "steps/users-verify",
        StepKind::Licences => "steps/licences",
        StepKind::MailboxesVerify => "steps/mailboxes-verify",
        StepKind::SharedMailboxes => "steps/shared-mailboxes",
        StepKind::SharedMailboxesVerify => "steps/shared-mailboxes-verify",
        StepKind::SharedMailboxesLicence => "steps/shared-mailboxes-licence",
        StepKind::SharedMailboxesConvert => "steps/shared-mailboxes-convert",
        StepKind::SharedMailboxesUnlicence => "steps/shared-mailboxes-unlicence",
        StepKind::Aliases => "steps/aliases",
        StepKind::Groups => "steps/groups",
        StepKind::GroupAliases => "steps/group-aliases",
        StepKind::Contacts => "steps/contacts",
        StepKind::Members => "steps/members",
        StepKind::Limits => "steps/limits",
        StepKind::Permissions => "steps/permissions",
        StepKind::DnsRecords => "steps/dns-records",
        StepKind::MailFlow => "steps/mail-flow",
        StepKind::MailFilter => "steps/mail-filter",
        StepKind::NoticesSend => "steps/notices-send",
        StepKind::MwProject => "steps/migration-mw-project",
        StepKind::MwVerify | StepKind::MwPrestage | StepKind::MwFull => "steps/migration-mw-pass",
        StepKind::MwStatus => "steps/migration-mw-status",
        StepKind::NativeEndpoint => "steps/migration-endpoint",
        StepKind::NativeBatch => "steps/migration-batch",
        StepKind::NativeStart | StepKind::NativeComplete => "steps/migration-start",
        StepKind::NativeStatus => "steps/migration-status",
        StepKind::SourceThrottlingRevert => "steps/source-throttling-revert",
        StepKind::SourceImpersonationRevert => "steps/source-impersonation-revert",
    })
}

/// A step's script text (without BOM). Depends on the plan's settings, never on its data.
pub fn render_step(hb: &Handlebars<'_>, plan: &Plan, step: &PlannedStep) -> Result<String> {
    let tenant = quote::ps_single_quoted(plan.tenant.as_deref().unwrap_or(""))?;
    let v = plan.source_version;
    let mut ctx = json!({
        "step_id": step.id,
        "title": step.title,
        "generator": plan.generator,
        "source_version": v.as_str(),
        "identity": plan.identity.as_str(),
        "runs_on": step.place.runs_on,
        "shell": step.place.shell,
        "target": step.place.target,
        "jump_box": step.place.runs_on == manifest::RUNS_ON_JUMP_BOX,
        "tenant_literal": tenant,
        "is2010": v == SourceVersion::Ex2010,
        "synced": plan.identity == IdentityMode::Synced,
        "revert_file": format!("steps/{}.ps1", StepKind::SourceThrottlingRevert.id()),
        // The MigrationWiz pass a pass step submits, and whether a native step completes.
        "pass": match step.kind {
            StepKind::MwVerify => "verify",
            StepKind::MwPrestage => "prestage",
            StepKind::MwFull => "full",
            _ => "",
        },
        "pass_verify": step.kind == StepKind::MwVerify,
        "pass_prestage": step.kind == StepKind::MwPrestage,
        "pass_full": step.kind == StepKind::MwFull,
        "complete": step.kind == StepKind::NativeComplete,
    });
    // Added apart: one more key in the literal above passes serde_json's macro recursion limit.
    ctx["exchange_preflight"] = json!(step.kind == StepKind::PreflightExchange);
    hb.render(template_for(step.kind, v, step.place.runs_on)?, &ctx)
        .map_err(|e| Error::Other(anyhow::anyhow!("rendering {}: {e}", step.id)))
}

fn csv_bytes<I, R>(header: &[&str], rows: I) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut buf = Vec::new();
    contract::csv_to(&mut buf, header, rows)?;
    Ok(buf)
}

/// An id holding a line break or other control character would split or hide a line of its
/// ops file, so the bundle is refused before anything is written (lint rejects such values).
fn check_ids(steps: &[PlannedStep]) -> Result<()> {
    use crate::plan::spill::control;
    // The first such id in step order (a spilled step's writer noted its first). Reading
    // ids scattered over the heap waits on memory, so the steps are split over two cores.
    let first = |list: &[usize]| {
        list.iter().find_map(|&i| match &steps[i].spilled {
            Some(s) => s.bad_id.as_deref().map(|id| (i, id)),
            None => steps[i]
                .pending()
                .map(|op| op.id())
                .find(|id| control(id))
                .map(|id| (i, id)),
        })
    };
    let sizes: Vec<usize> = steps.iter().map(|s| s.op_count()).collect();
    let (mut here, mut there) = contract::two_halves(&sizes);
    here.sort_unstable();
    there.sort_unstable();
    let found = std::thread::scope(|scope| {
        let other = scope.spawn(|| first(&there));
        let mine = first(&here);
        let theirs = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        [mine, theirs].into_iter().flatten().min_by_key(|(i, _)| *i)
    });
    match found {
        Some((_, id)) => Err(Error::Usage(format!(
            "operation id {id:?} holds a control character: fix the input value it comes from"
        ))),
        None => Ok(()),
    }
}

/// Writes the bundle for `plan` into `out` and returns its manifest (also written).
pub fn write(project: &Project, plan: &Plan, out: &Path, opts: &BundleOptions) -> Result<Manifest> {
    check_ids(&plan.steps)?;
    prepare_dir(out, opts.force)?;
    let hb = handlebars()?;
    // plan.json and the data files it references: the steps' operations, the mailbox lists.
    let written = contract::write(plan, out)?;
    let mut steps = Vec::new();
    let mut data = Vec::new();
    // A step with nothing left to do (the state showed it all in place) has no data file and
    // is left out.
    for step in &plan.steps {
        let Some(f) = written.step(step.id) else {
            continue;
        };
        let script = format!("{BOM}{}", crlf(&render_step(&hb, plan, step)?));
        let file = format!("steps/{}.ps1", step.id);
        let sha256 = write_file(out, &file, script.as_bytes())?;
        data.push(DataFile {
            file: f.file.clone(),
            sha256: f.sha256.clone(),
        });
        steps.push(Step {
            id: step.id.to_string(),
            title: step.title.to_string(),
            file,
            target: step.place.target.to_string(),
            runs_on: step.place.runs_on.to_string(),
            shell: step.place.shell.to_string(),
            sha256,
            ops: f.rows as u64,
            // The data file's Op column is the step's list of planned operations.
            ops_file: Some(f.file.clone()),
            op_id: f.op_id.clone(),
            data: vec![f.file.clone()],
            changes: step.changes,
            gate: step.gate,
            phase: step.phase.to_string(),
        });
    }
    data.extend(written.other.iter().map(|f| DataFile {
        file: f.file.clone(),
        sha256: f.sha256.clone(),
    }));
    let module = format!("{BOM}{}", crlf(MODULE));
    let mut modules = vec![DataFile {
        file: MODULE_FILE.to_string(),
        sha256: write_file(out, MODULE_FILE, module.as_bytes())?,
    }];
    if steps
        .iter()
        .any(|s| powershell_1(plan.source_version, &s.runs_on))
    {
        let ps1 = format!("{BOM}{}", crlf(MODULE_PS1));
        modules.push(DataFile {
            file: MODULE_PS1_FILE.to_string(),
            sha256: write_file(out, MODULE_PS1_FILE, ps1.as_bytes())?,
        });
    }
    let readme = render_readme(&hb, project, plan, &steps, opts)?;
    write_file(out, "README.md", readme.as_bytes())?;
    let manifest = Manifest {
        format: manifest::FORMAT,
        generator: plan.generator.clone(),
        source_version: plan.source_version.as_str().to_string(),
        identity: plan.identity.as_str().to_string(),
        tenant: plan.tenant.clone(),
        steps,
        data,
        modules,
    };
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Other(e.into()))?;
    write_file(out, "manifest.json", json.as_bytes())?;
    // After the manifest, whose digest it shows (PLAN.md is not in the manifest).
    let digest = manifest::digest(json.as_bytes());
    let plan_md = format!("{}{}", markdown::render(plan)?, digest_section(&digest));
    write_file(out, "PLAN.md", plan_md.as_bytes())?;
    Ok(manifest)
}

/// The digest of a written bundle (sha256 of its manifest.json), as `cutover run` computes it.
pub fn written_digest(out: &Path) -> Result<String> {
    let path = out.join("manifest.json");
    let bytes = fs::read(&path).map_err(io(&path))?;
    Ok(manifest::digest(&bytes))
}

/// PLAN.md's closing section: the value a reviewer approves and the runner checks.
fn digest_section(digest: &str) -> String {
    format!(
        "\n## Review handshake\n\n\
         Bundle digest (sha256 of `manifest.json`, which pins every step, module, data and ops \
         file):\n\n    {digest}\n\n\
         Approve this value, and run exactly what you approved with\n\n    \
         cutover run BUNDLE --expect-digest {digest}\n\n\
         The runner refuses a bundle with another digest, and checks each step's files again \
         right before the step starts.\n"
    )
}

fn render_readme(
    hb: &Handlebars<'_>,
    project: &Project,
    plan: &Plan,
    steps: &[Step],
    opts: &BundleOptions,
) -> Result<String> {
    let esc = markdown::escape;
    let source_steps: Vec<&Step> = steps
        .iter()
        .filter(|s| s.runs_on == manifest::RUNS_ON_SOURCE)
        .collect();
    // The example names a step this bundle really has, with its results file beside it.
    let source_example = source_steps.first().map(|s| {
        json!({
            "file": format!(".\\{}", s.file.replace('/', "\\")),
            "results": format!(".\\results-{}.jsonl", s.id.split('-').next().unwrap_or(&s.id)),
        })
    });
    let has = |kind: StepKind| steps.iter().any(|s| s.id == kind.id());
    let aliases_on_source = source_steps.iter().any(|s| s.id == StepKind::Aliases.id());
    let mut ctx = json!({
        "generator": plan.generator,
        "source_version": plan.source_version.as_str(),
        "identity": plan.identity.as_str(),
        "tenant": plan.tenant.as_deref().map(esc).unwrap_or_else(|| "(not set)".into()),
        "domains": if project.domains.is_empty() { "(none)".to_string() }
                   else { project.domains.iter().map(|d| esc(d)).collect::<Vec<_>>().join(", ") },
        "steps": steps.iter().map(|s| json!({
            "id": s.id, "title": s.title, "file": s.file, "runs_on": s.runs_on,
            "shell": s.shell, "target": s.target, "ops": s.ops, "changes": s.changes,
            "gate": s.gate, "post_cutover": s.phase == manifest::PHASE_POST_CUTOVER,
            "phase": s.phase,
        })).collect::<Vec<_>>(),
        "mail_filter": mail_filter_context(project, has(StepKind::MailFilter))?,
        "notices": plan.step(StepKind::NoticesSend).filter(|_| has(StepKind::NoticesSend)).map(|_| json!({
            "sender": project.notices.sender.as_deref().map(esc).unwrap_or_default(),
            "messages": project.notices.graph_messages.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
        })),
        "first_domain": project.domains.first().map(|d| esc(d)).unwrap_or_else(|| "contoso.com".into()),
        "manual": plan.manual.iter().map(|m| json!({"title": m.title, "text": m.text})).collect::<Vec<_>>(),
        "synced": plan.identity == IdentityMode::Synced,
        "has_secrets": opts.has_secrets,
        "has_revert": plan.step(StepKind::SourceThrottlingRevert).is_some(),
        "has_impersonation_revert": has(StepKind::SourceImpersonationRevert),
        "has_source": !source_steps.is_empty(),
        "source_example": source_example,
        "has_source_export": has(StepKind::SourceExport),
        "has_mailboxes_verify": has(StepKind::MailboxesVerify),
        "aliases_on_source": aliases_on_source,
        "is2010": plan.source_version == SourceVersion::Ex2010,
        "has_shared": has(StepKind::SharedMailboxes) || has(StepKind::SharedMailboxesVerify),

        "modules": readme_modules(plan)?,
        "id": {
            "preflight": StepKind::Preflight.id(),
            "preflight_exchange": StepKind::PreflightExchange.id(),
            "source_export": StepKind::SourceExport.id(),
            "users": StepKind::Users.id(),
            "users_verify": StepKind::UsersVerify.id(),
            "mailboxes_verify": StepKind::MailboxesVerify.id(),
            "shared": StepKind::SharedMailboxes.id(),
            "shared_verify": StepKind::SharedMailboxesVerify.id(),

            "aliases": StepKind::Aliases.id(),
            "groups": StepKind::Groups.id(),
            "members": StepKind::Members.id(),
            "limits": StepKind::Limits.id(),
            "dns": StepKind::DnsRecords.id(),
            "mail_flow": StepKind::MailFlow.id(),
            "revert": StepKind::SourceThrottlingRevert.id(),
            "impersonation_revert": StepKind::SourceImpersonationRevert.id(),
            "mail_filter": StepKind::MailFilter.id(),
            "notices": StepKind::NoticesSend.id(),
        },
        "powershell_1": steps.iter().any(|s| powershell_1(plan.source_version, &s.runs_on)),
        "migration": migration_context(plan, &has),
    });
    // Added apart: one more key in the literal above passes serde_json's macro recursion limit.
    let mut guid = false;
    if let Some(s) = plan.step(StepKind::PreflightExchange) {
        s.each_op(&mut |o| {
            guid |= o.id().starts_with(EXCHANGE_GUID_OP);
            Ok(())
        })?;
    }
    ctx["has_exchange_guid"] = json!(guid);
    ctx["id"]["preflight_exchange"] = json!(StepKind::PreflightExchange.id());
    ctx["has_shared_convert"] = json!(has(StepKind::SharedMailboxesConvert));
    ctx["has_shared_unlicence"] = json!(has(StepKind::SharedMailboxesUnlicence));
    for (key, kind) in [
        ("shared_licence", StepKind::SharedMailboxesLicence),
        ("shared_convert", StepKind::SharedMailboxesConvert),
        ("shared_unlicence", StepKind::SharedMailboxesUnlicence),
    ] {
        ctx["id"][key] = json!(kind.id());
    }
    hb.render("README.md", &ctx)
        .map_err(|e| Error::Other(anyhow::anyhow!("rendering README.md: {e}")))
}

/// What the README says about moving the mailboxes: the engine's steps, and which of
/// Microsoft's native migration types this source and identity mode allow (and why not).
fn migration_context(plan: &Plan, has: &dyn Fn(StepKind) -> bool) -> serde_json::Value {
    use crate::plan::migration::{unsupported, Engine, NativeType};
    let native_types = [
        NativeType::Cutover,
        NativeType::Staged,
        NativeType::RemoteMove,
    ]
    .iter()
    .map(|&t| {
        let why = unsupported(t, plan.source_version, plan.identity);
        json!({"type": t.as_str(), "supported": why.is_none(), "why": why.unwrap_or("")})
    })
    .collect::<Vec<_>>();
    let engine = plan.migration.as_ref().map_or(Engine::None, |m| m.engine);
    let native_type = plan
        .migration
        .as_ref()
        .and_then(|m| m.native_type)
        .map(|t| t.as_str());
    json!({
        "engine": engine.as_str(),
        "migrationwiz": has(StepKind::MwProject),
        "native": has(StepKind::NativeEndpoint),
        "native_type": native_type,
        "completes": has(StepKind::NativeComplete),
        "native_types": native_types,
        "any_native": native_types.iter().any(|t| t["supported"] == json!(true)),
        "id": {
            "mw_project": StepKind::MwProject.id(),
            "mw_verify": StepKind::MwVerify.id(),
            "mw_prestage": StepKind::MwPrestage.id(),
            "mw_status": StepKind::MwStatus.id(),
            "mw_full": StepKind::MwFull.id(),
            "endpoint": StepKind::NativeEndpoint.id(),
            "batch": StepKind::NativeBatch.id(),
            "start": StepKind::NativeStart.id(),
            "status": StepKind::NativeStatus.id(),
            "complete": StepKind::NativeComplete.id(),
        },
    })
}

/// What the README says about `[mail_filter]` (`null` without one or without its step).
fn mail_filter_context(project: &Project, has_step: bool) -> Result<serde_json::Value> {
    let Some(m) = project.mail_filter.as_ref().filter(|_| has_step) else {
        return Ok(serde_json::Value::Null);
    };
    let esc = markdown::escape;
    let ranges = crate::mail_filter::ranges(m)?;
    // Names, host and record go inside code spans, where escaping would show: they hold only
    // the characters lint (S002, S003) and `connector_name` allow, never a backtick.
    Ok(json!({
        "vendor": esc(&m.vendor),
        "inbound": crate::mail_filter::inbound_name(m),
        "outbound": m.smarthost.as_ref().map(|_| crate::mail_filter::outbound_name(m)),
        "smarthost": m.smarthost.as_deref().map(|h| h.replace('`', "")),
        "require_tls": m.require_tls,
        "sender_count": crate::mail_filter::sender_ranges(&ranges).len(),
        "skip_count": ranges.len(),
        "spf": crate::mail_filter::spf_record(Some(m)).replace('`', ""),
    }))
}

/// The modules the jump-box steps call into, as `Name (version or later)`, in preflight's order:
/// the same list preflight checks.
fn readme_modules(plan: &Plan) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for s in plan
        .steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Preflight | StepKind::PreflightExchange))
    {
        s.each_op(&mut |op| {
            if op.value(0) == Some("module") {
                let v = |i| op.value(i).unwrap_or_default();
                out.push(format!("{} {} or later", v(1), v(2)));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// How many users carry an initial password in the inputs.
pub fn password_count(tenant: &Tenant) -> usize {
    tenant.users.iter().filter(|u| u.password.is_some()).count()
}

/// An absolute form of `p` that resolves symbolic links and `..` through its nearest existing
/// ancestor, so a path into a folder that does not exist yet still compares correctly: below
/// that ancestor nothing exists, so `..` there is resolved by name, as the folders will be.
fn resolved(p: &Path) -> PathBuf {
    use std::path::Component;
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let mut rest = Vec::new();
    let mut base = p.as_path();
    loop {
        if let Ok(c) = fs::canonicalize(base) {
            let mut out = c;
            for name in rest.iter().rev() {
                match name {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other.as_os_str()),
                }
            }
            return out;
        }
        let mut comps = base.components();
        match (comps.next_back(), comps.as_path()) {
            (Some(last), parent) if !parent.as_os_str().is_empty() => {
                rest.push(last);
                base = parent;
            }
            _ => return p.clone(),
        }
    }
}

/// Where `--secrets-out` really writes: refused inside the bundle folder (also through a
/// missing folder and `..`, or a symbolic link) and when something is already there. Creates
/// the missing folders on the way (owner-only on Unix), then checks the real path again.
pub fn secrets_target(path: &Path, bundle: &Path) -> Result<PathBuf> {
    let inside = || {
        Error::Usage(format!(
            "--secrets-out {} is inside the bundle folder: passwords must stay outside it",
            path.display()
        ))
    };
    if resolved(path).starts_with(resolved(bundle)) {
        return Err(inside());
    }
    if fs::symlink_metadata(path).is_ok() {
        return Err(Error::Usage(format!(
            "{} already exists: remove it or choose another --secrets-out",
            path.display()
        )));
    }
    let name = path.file_name().ok_or_else(|| {
        Error::Usage(format!(
            "--secrets-out {}: name a file, not a folder",
            path.display()
        ))
    })?;
    let parent = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.exists() {
        let mut dirs = fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            dirs.mode(0o700);
        }
        dirs.create(parent).map_err(io(parent))?;
    }
    let real = fs::canonicalize(parent).map_err(io(parent))?.join(name);
    if real.starts_with(resolved(bundle)) {
        return Err(inside());
    }
    Ok(real)
}

/// Writes `UserPrincipalName,Password` for every user with a password to `target` (from
/// `secrets_target`), a file only its owner can read (mode 0600 set when it is created, before
/// any byte is written); never over an existing file.
pub fn write_secrets_file(tenant: &Tenant, target: &Path) -> Result<usize> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Usage(format!(
                "{} already exists: remove it or choose another --secrets-out",
                target.display()
            ))
        } else {
            Error::io(target, e)
        }
    })?;
    let rows: Vec<[&str; 2]> = tenant
        .users
        .iter()
        .filter_map(|u| u.password.as_ref().map(|p| [u.upn.trim(), p.expose()]))
        .collect();
    let bytes = csv_bytes(&["UserPrincipalName", "Password"], rows.iter().copied())?;
    f.write_all(&bytes).map_err(io(target))?;
    Ok(rows.len())
}

/// `secrets_target` and `write_secrets_file` in one (the bundle pipeline calls them apart, so
/// the secrets are written last, after the bundle).
pub fn write_secrets(tenant: &Tenant, path: &Path, bundle: &Path) -> Result<usize> {
    let target = secrets_target(path, bundle)?;
    write_secrets_file(tenant, &target)
}

#[cfg(test)]
mod tests;
