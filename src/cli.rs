//! Command-line shape (clap derive). Parsing only: behaviour lives in `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "Lint, plan, bundle, run and report Exchange to Microsoft 365 migrations",
    propagate_version = true
)]
pub struct Cli {
    /// Print only findings, failures and errors: no progress, summaries or next-step hints.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint user, group, member, mailbox, statistics and permission CSVs.
    Lint(LintArgs),
    /// List every rule code with its severity, message and fix.
    Rules(RulesArgs),
    /// Write a commented cutover.toml and empty CSV templates.
    Init(InitArgs),
    /// Write a valid synthetic tenant (users, groups, members) of any size.
    Synth(SynthArgs),
    /// Compute the operations a migration needs; writes plan.json and PLAN.md.
    Plan(PlanArgs),
    /// Write a reviewable folder of PowerShell steps, data files and a manifest.
    Bundle(BundleArgs),
    /// Parse PowerShell scripts and check cmdlets and parameters against a target.
    Check(CheckArgs),
    /// Execute a bundle's jump-box steps through pwsh, recording one result per operation.
    Run(RunArgs),
    /// Run the whole bundle in real pwsh against a simulated tenant, then compare it with the plan.
    Rehearse(RehearseArgs),
    /// Turn a run's journal into a report (HTML, Markdown, JSON, CSV).
    Report(ReportArgs),
    /// Estimate data volume, transfer time and a migration schedule.
    Estimate(EstimateArgs),
    /// Lint, plan and bundle the built-in samples, and show a demo run.
    Demo(DemoArgs),
    /// Write the users' notices (announcement, reminder, cutover day, checklist) as .eml
    /// files and a mail-merge CSV, with the dates from [schedule].
    Notices(NoticesArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output: `cutover man > cutover.1`.
    Man,
    /// Internal (`cutover rehearse --hosted`): one step through the rehearsal's pwsh host.
    #[command(hide = true)]
    StepClient(StepClientArgs),
}

/// `cutover step-client --socket S -- PWSH ARGS...`: started by the runner in place of pwsh.
#[derive(Debug, Args)]
pub struct StepClientArgs {
    /// The host's Unix domain socket.
    #[arg(long, value_name = "PATH")]
    pub socket: PathBuf,
    /// The pwsh command line the runner would have started, program first.
    #[arg(last = true, required = true)]
    pub argv: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Settings shared by every command that reads a project: each mirrors a `cutover.toml` key.
#[derive(Debug, Clone, Default, Args)]
pub struct ProjectArgs {
    /// Project file (default: ./cutover.toml when it exists).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Accepted domain (repeatable).
    #[arg(long = "domain", value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// Tenant's initial domain (*.onmicrosoft.com).
    #[arg(long, value_name = "NAME.onmicrosoft.com")]
    pub tenant: Option<String>,
    /// Source Exchange version: 2003, 2007, 2010, 2013, 2016, 2019 or SE.
    #[arg(long, value_name = "VERSION")]
    pub source_version: Option<String>,
    /// Default usage location (ISO 3166 alpha-2) for users without one.
    #[arg(long, value_name = "CC")]
    pub usage_location: Option<String>,
    /// Where identities are mastered: cloud (created in Entra ID) or synced (Entra Connect).
    #[arg(long, value_name = "MODE")]
    pub identity: Option<String>,
    /// Users CSV (UserPrincipalName, names, addresses; `[inputs] users`).
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Distribution groups CSV (`[inputs] groups`).
    #[arg(long, value_name = "FILE")]
    pub groups: Option<PathBuf>,
    /// Group memberships CSV: one group and one member per row (`[inputs] members`).
    #[arg(long, value_name = "FILE")]
    pub members: Option<PathBuf>,
    /// Mailboxes export (Get-Mailbox; written by step 05-source-export; `[inputs] mailboxes`).
    #[arg(long, value_name = "FILE")]
    pub mailboxes: Option<PathBuf>,
    /// Mailbox statistics export (Get-MailboxStatistics; written by step 05-source-export).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Mailbox permissions export (Full Access, Send As; written by step 05-source-export).
    #[arg(long, value_name = "FILE")]
    pub permissions: Option<PathBuf>,
    /// Mail contacts export (Get-MailContact with LegacyExchangeDN; written by step
    /// 05-source-export; `[inputs] contacts`).
    #[arg(long, value_name = "FILE")]
    pub contacts: Option<PathBuf>,
    /// Force the field delimiter instead of detecting it: `,` `;` `|` or `tab`.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Report only these rule codes or prefixes (U002,M0): as ruff's --select; `[lint] select`.
    /// Errors are always reported: they stop a plan.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Silence these warning or info codes or prefixes (M005,U1): as ruff's --ignore;
    /// `[lint] ignore`.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files to lint (kind inferred from headers; `-` reads standard input); adds to the
    /// project's inputs. A project folder (holding a cutover.toml) lints that project.
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Force the file kind for FILES: users, groups, members, mailboxes, mailbox-stats, permissions.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Output: human (coloured on a terminal unless NO_COLOR), json, or sarif for code scanning.
    #[arg(long, value_enum, default_value_t = FindingFormat::Human)]
    pub format: FindingFormat,
    /// Treat warnings as errors for the exit status.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output: human, json, or markdown (the rules reference).
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to write into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of users.
    #[arg(long, default_value_t = 100)]
    pub users: u64,
    /// Number of groups (default: users / 50, at least 1).
    #[arg(long, value_name = "N")]
    pub groups: Option<u64>,
    /// Number of memberships (default: as many as users).
    #[arg(long, value_name = "N")]
    pub memberships: Option<u64>,
    /// Mail domain of every address.
    #[arg(long, default_value = "contoso.com")]
    pub domain: String,
    /// Random seed: the same seed writes the same tenant.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// File layout: cutover's own, or the playbook's hand-made CSVs (users with passwords and
    /// no alias, DLs `Name,Address`, members `DL,Alias`).
    #[arg(long, value_enum, default_value_t = crate::synth::Format::Cutover)]
    pub format: crate::synth::Format,
    /// Folder to write users.csv, groups.csv and members.csv into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Tenant state snapshot (JSON) to diff against.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Folder for plan.json and PLAN.md.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Tenant state snapshot (JSON, from step 02-state-export) to diff against: what exists
    /// already becomes `unchanged` or an update.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Bundle folder to write (must be new or empty; see --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite an existing bundle folder.
    #[arg(long)]
    pub force: bool,
    /// Where to write the users' initial passwords (owner-only, outside the bundle) for
    /// `cutover run --secrets`. Required when the users file has passwords.
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// PowerShell scripts to check (functions defined in any of them are known to all; `-`
    /// reads standard input).
    #[arg(required_unless_present = "bundle")]
    pub files: Vec<PathBuf>,
    /// exchange2007 exchange2010 exchange2013 exchange2016 exchange2019 exchangeSE exchangeOnline
    /// graph bittitan; several comma-separated for a script that uses them together
    /// (exchangeOnline,graph).
    #[arg(long, value_name = "TARGETS", required_unless_present = "bundle")]
    pub target: Option<String>,
    /// Check every step of a bundle against its own target (from manifest.json), with the
    /// bundle's modules.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["files", "target"])]
    pub bundle: Option<PathBuf>,
    /// Output: human, json, or sarif.
    #[arg(long, value_enum, default_value_t = FindingFormat::Human)]
    pub format: FindingFormat,
}

#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// Bundle folder (holds manifest.json).
    pub bundle: PathBuf,
    /// PowerShell 7 to run the steps with (else CUTOVER_PWSH, else pwsh on PATH).
    #[arg(long, value_name = "PATH")]
    pub pwsh: Option<PathBuf>,
    /// Inject throttling, transient errors and failed objects, drawn from this seed.
    #[arg(long, value_name = "SEED")]
    pub faults: Option<u64>,
    /// The simulated tenant's state file (default BUNDLE/rehearsals/tenant.json). A second
    /// rehearsal with the same file starts from the first one's end.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Provisioning delays of the simulated services: none, realistic or long (virtual time).
    #[arg(long, value_name = "PROFILE", default_value = "none")]
    pub delays: String,
    /// Each step's wait budget for objects still being provisioned, as `cutover run --wait`
    /// (virtual time here). Default 30m.
    #[arg(long, value_name = "DURATION")]
    pub wait: Option<String>,
    /// Start every step from a session (`& ./steps/NN.ps1`), as the README shows for the
    /// source-server steps, instead of `pwsh -File` as `cutover run` does.
    #[arg(long)]
    pub session: bool,
    /// Every step in a fresh runspace of one long-lived pwsh: faster, the same scoping as -File
    /// or a session, but one process (the default starts one pwsh per step, as `cutover run`).
    #[arg(long)]
    pub hosted: bool,
    /// Pass -WhatIf to every step.
    #[arg(long)]
    pub what_if: bool,
    /// Continue the latest rehearsal (skips operations already done).
    #[arg(long)]
    pub resume: bool,
    /// Redo only the failed operations of the latest rehearsal.
    #[arg(long, conflicts_with = "resume")]
    pub retry_failed: bool,
    /// Initial passwords file from `cutover bundle --secrets-out`.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// Go on after a gate step with failed operations.
    #[arg(long)]
    pub continue_past_gates: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Bundle folder (holds manifest.json).
    pub bundle: PathBuf,
    /// Run only these steps (repeatable).
    #[arg(long = "step", value_name = "ID")]
    pub steps: Vec<String>,
    /// Pass -WhatIf:$true to every step and record whatif results.
    #[arg(long)]
    pub what_if: bool,
    /// PowerShell 7 executable (else CUTOVER_PWSH, else pwsh on PATH).
    #[arg(long, value_name = "PATH")]
    pub pwsh: Option<PathBuf>,
    /// Secrets file handed to the users step at run time; its values are masked in everything
    /// the run records (with --import-results too).
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// Continue the latest run: skip operations that already succeeded.
    #[arg(long)]
    pub resume: bool,
    /// Continue the latest run, doing only the operations that failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// Record a results file written on the source server: STEP FILE.
    #[arg(long, num_args = 2, value_names = ["STEP", "FILE"])]
    pub import_results: Option<Vec<String>>,
    /// Kill a step that runs longer than this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Stop a step that writes no result record and no output line for this long: MINUTES, or
    /// a number with s, m or h (90s, 30m, 2h). Off by default.
    #[arg(long, value_name = "MINUTES")]
    pub idle_timeout: Option<String>,
    /// How long each step may wait for objects the services are still provisioning (new users,
    /// mailboxes after licensing, groups, contacts) before it records them failed: MINUTES, or a
    /// number with s, m or h (90s, 30m, 2h); 0 waits not at all. Default 30m.
    #[arg(long, value_name = "DURATION")]
    pub wait: Option<String>,
    /// Go on after a gate step (domains, users, mailboxes verified) that has failed operations.
    #[arg(long)]
    pub continue_past_gates: bool,
    /// migrate (default: every step but the post-cutover ones) or post-cutover (only those,
    /// after the MX change). Naming steps with --step overrides it.
    #[arg(long, value_enum, value_name = "PHASE", conflicts_with = "steps")]
    pub phase: Option<RunPhase>,
    /// Refuse to run unless the bundle digest (printed by `cutover bundle`, shown in PLAN.md)
    /// is this one: the review handshake.
    #[arg(long, value_name = "DIGEST")]
    pub expect_digest: Option<String>,
    /// Only migration wave N's mailboxes in the per-mailbox migration steps (PLAN.md lists the
    /// waves); the other steps run as usual.
    #[arg(long, value_name = "N", conflicts_with = "import_results")]
    pub wave: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunPhase {
    Migrate,
    PostCutover,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run folder (BUNDLE/runs/<timestamp>) or a bundle (its latest run).
    pub path: PathBuf,
    /// Output: html (one self-contained page), md, json, or csv (one row per operation).
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Bandwidth the migrations share, in megabits per second (or `[estimate] bandwidth_mbps`).
    #[arg(long, value_name = "MBPS")]
    pub bandwidth_mbps: Option<f64>,
    /// Concurrent migrations (default: 3 per 1 Mbps, the playbook's guideline).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// Items older than this many days are pre-staged.
    #[arg(long, value_name = "DAYS")]
    pub prestage_days: Option<u32>,
    /// Mailbox size for the size findings (default: the licence's, else 50; `[audit] mailbox_limit_gb`).
    #[arg(long, value_name = "GB")]
    pub mailbox_limit_gb: Option<f64>,
    /// Share of each mailbox's data assumed newer than the pre-stage cut-off (0 to 1; default 0.1).
    #[arg(long, value_name = "FRACTION")]
    pub recent_fraction: Option<f64>,
    /// Mailboxes per batch (default: the concurrency). Delegate groups are never split.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Schedule from this day (YYYY-MM-DD; default today): pre-stage starts the Monday on or after it.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Output: table, json or csv (one row per mailbox).
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(Debug, Args)]
pub struct NoticesArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Folder for the .eml files (one folder per message), notices.csv and VARIABLES.md.
    #[arg(long, value_name = "DIR", required_unless_present = "variables")]
    pub out: Option<PathBuf>,
    /// Replace the notices an earlier run wrote in --out.
    #[arg(long)]
    pub force: bool,
    /// Print the variables notice templates may use, and exit.
    #[arg(long)]
    pub variables: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo bundle (default: a new temporary folder that is kept).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// PowerShell 7 for the demo's rehearsal (else CUTOVER_PWSH, else pwsh on PATH; without one
    /// the demo shows its labelled stand-in run).
    #[arg(long, value_name = "PATH")]
    pub pwsh: Option<PathBuf>,
}
