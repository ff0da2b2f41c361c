//! `PLAN.md`: the operations grouped by step in run order, for a reviewer, at any size.
//!
//! A step with up to `FULL_LIST` operations lists them all. A larger one (100,000 users make
//! 24 MB of list nobody reads) shows its counts, every exceptional operation in full (updates,
//! and any whose change differs from the step's usual one), an evenly spread sample of the
//! rest, and where the full list is: `plan.json` and, in a bundle, `data/<step>.csv`.

use std::fmt::Write;

use super::{Change, Op, Plan, PlannedStep};
use crate::error::Result;

/// Steps with at most this many operations are listed in full.
pub const FULL_LIST: usize = 100;
/// Routine operations shown from a step over `FULL_LIST`.
pub const SAMPLE: usize = 10;

/// Input values are shown as text: Markdown punctuation is escaped and control characters
/// are made visible, so a value can neither format the page nor hide a line.
pub fn escape(s: &str) -> String {
    const SPECIAL: &[u8] = b"\\`*_[]<>|#!~";
    if s.bytes()
        .all(|b| !SPECIAL.contains(&b) && !b.is_ascii_control() && b < 0x80)
    {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:04X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// One operation: change, id, and the values the id does not already show, so a reviewer sees
/// what will be set.
fn op_line(s: &mut String, step: &PlannedStep, op: &Op) {
    let _ = write!(s, "- {} {}", op.change.as_str(), escape(op.id()));
    let id = op.id().to_lowercase();
    let mut sep = " — ";
    for (col, v) in step.columns.iter().zip(op.values()) {
        let lv = v.to_lowercase();
        if v.is_empty() || id.ends_with(&lv) || id.split(':').any(|seg| seg == lv) {
            continue;
        }
        // A multi-line value (a notice's body) shows its first line; the data file holds the
        // whole text.
        match v.split_once('\n') {
            Some((first, _)) => {
                let _ = write!(
                    s,
                    "{sep}{col}: {} … ({} lines, in data/{}.csv)",
                    escape(first.trim_end()),
                    v.lines().count(),
                    step.id
                );
            }
            None => {
                let _ = write!(s, "{sep}{col}: {}", escape(v));
            }
        }
        sep = ", ";
    }
    s.push('\n');
}

/// Counts, every exceptional operation, a sample of the routine ones, and where the rest are.
fn large_step(s: &mut String, step: &PlannedStep) -> Result<()> {
    let changes = [
        Change::Create,
        Change::Update,
        Change::Unchanged,
        Change::Check,
    ];
    let count = |c: Change| step.count(c);
    // The step's usual change: the most common one (ties: the earlier in `changes`).
    let usual = changes
        .iter()
        .copied()
        .max_by_key(|c| (count(*c), std::cmp::Reverse(*c as u8)))
        .unwrap_or(Change::Create);
    let counts: Vec<String> = changes
        .iter()
        .filter(|c| count(**c) > 0)
        .map(|c| format!("{} {}", count(*c), c.as_str()))
        .collect();
    let exceptional = |o: &Op| o.change != usual || o.change == Change::Update;
    // Routine: the usual change, unless that is an update.
    let routine = if usual == Change::Update {
        0
    } else {
        count(usual)
    };
    let total = step.op_count();
    let _ = writeln!(
        s,
        "{} operations: {}. Full list: plan.json; a bundle's data/{}.csv holds those it runs.\n",
        total,
        counts.join(", "),
        step.id
    );
    let n = routine.min(SAMPLE);
    // Evenly spread, first and last included.
    let wanted: Vec<usize> = (0..n)
        .map(|i| {
            if n > 1 {
                i * (routine - 1) / (n - 1)
            } else {
                0
            }
        })
        .collect();
    let (mut odd, mut sample) = (String::new(), String::new());
    match step.spilled.as_deref() {
        // Only the rows its writer kept can be exceptional: read the sample's rows alone.
        Some(sp) if sp.unchanged.is_empty() && sp.change == usual && usual != Change::Update => {
            let mut skipped = sp
                .odd
                .iter()
                .filter(|(_, o)| exceptional(o))
                .map(|(row, o)| {
                    op_line(&mut odd, step, o);
                    *row
                })
                .collect::<Vec<_>>()
                .into_iter()
                .peekable();
            let mut before = 0;
            for k in &wanted {
                while skipped.next_if(|&e| e <= k + before).is_some() {
                    before += 1;
                }
                op_line(&mut sample, step, &sp.row(k + before)?);
            }
        }
        _ => {
            let (mut k, mut next) = (0, wanted.iter().peekable());
            step.each_op(&mut |o| {
                if exceptional(o) {
                    op_line(&mut odd, step, o);
                } else {
                    while next.next_if(|&&w| w == k).is_some() {
                        op_line(&mut sample, step, o);
                    }
                    k += 1;
                }
                Ok(())
            })?;
        }
    }
    if routine < total {
        let _ = writeln!(
            s,
            "Every operation that is not a routine `{}` ({}):\n",
            usual.as_str(),
            total - routine
        );
        s.push_str(&odd);
        s.push('\n');
    }
    if routine > 0 {
        let _ = writeln!(
            s,
            "A sample of {n} of the {routine} routine `{}` operations, spread over the list:\n",
            usual.as_str()
        );
        s.push_str(&sample);
    }
    Ok(())
}

/// The migration's engine, dates, passes and waves.
fn migration(s: &mut String, mp: &super::migration::MigrationPlan) {
    use super::migration::{human_bytes, pass_text, Engine};
    let _ = writeln!(s, "## Mailbox migration\n");
    let engine = match (mp.engine, mp.native_type) {
        (Engine::Migrationwiz, _) => format!(
            "MigrationWiz (customer {}, project {})",
            escape(mp.customer.as_deref().unwrap_or("")),
            escape(mp.project.as_deref().unwrap_or(""))
        ),
        (Engine::Native, Some(t)) => format!(
            "Exchange Online native {} migration (batches {})",
            t.as_str(),
            escape(&format!("{}-waveN", mp.batch_prefix))
        ),
        (e, _) => e.as_str().to_string(),
    };
    let date = |d: Option<chrono::NaiveDate>| d.map_or("(not set)".to_string(), |d| d.to_string());
    let _ = writeln!(s, "- Engine: {engine}");
    let _ = writeln!(s, "- Pre-stage may start: {}", date(mp.prestage_start));
    let _ = writeln!(
        s,
        "- Cutover (MX change, [schedule] cutover): {} from {}:00",
        date(mp.cutover),
        crate::audit::estimate::CUTOVER_HOUR
    );
    let _ = writeln!(s, "- Full (delta) pass: {}", date(mp.final_pass));
    let _ = writeln!(
        s,
        "- Pre-stage cut-off (ItemEndDate, cutover minus {} days): {}",
        mp.prestage_days,
        date(mp.item_end_date)
    );
    let _ = writeln!(s, "- Pre-stage pass: {}", pass_text(&mp.prestage));
    let _ = writeln!(
        s,
        "- Full pass after the MX change: {}",
        pass_text(&mp.final_pass_estimate)
    );
    if let Some(t) = mp.latest_prestage_start() {
        let _ = writeln!(
            s,
            "- Latest pre-stage start that ends by the cutover evening: {}",
            t.format("%Y-%m-%d %H:%M")
        );
    }
    if let Some(h) = mp.missing_hours() {
        let _ = writeln!(
            s,
            "- **Does not fit**: the pre-stage needs {h} hours more than there are between its start and the cutover (S009)"
        );
    }
    let _ = writeln!(
        s,
        "\n{} in {} (delegates stay together; `cutover run --wave N` runs one). Every mailbox with its wave: {}.\n",
        crate::diag::human::plural(mp.mailbox_count(), "mailbox"),
        crate::diag::human::plural(mp.waves.len(), "wave"),
        mp.data_file
    );
    let _ = writeln!(s, "| Wave | Mailboxes | Data | Items | Hours alone |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    let unknown = "unknown";
    for w in &mp.waves {
        let _ = writeln!(
            s,
            "| {}{} | {} | {} | {} | {} |",
            w.number,
            if w.oversized {
                " (delegate group over the wave size)"
            } else {
                ""
            },
            w.mailboxes.len(),
            w.bytes.map_or(unknown.to_string(), human_bytes),
            w.items.map_or(unknown.to_string(), |i| i.to_string()),
            w.hours.map_or(unknown.to_string(), |h| format!("{h:.1}"))
        );
    }
    s.push('\n');
    if mp.mailbox_count() <= FULL_LIST {
        for (n, m) in mp.mailboxes() {
            let _ = writeln!(
                s,
                "- wave {n}: {} → {}{}",
                escape(&m.source),
                escape(&m.target),
                m.bytes
                    .map(|b| format!(" ({})", human_bytes(b)))
                    .unwrap_or_default()
            );
        }
        s.push('\n');
    }
}

pub fn render(plan: &Plan) -> Result<String> {
    let mut s = String::new();
    let _ = writeln!(s, "# Migration plan\n");
    let _ = writeln!(
        s,
        "Source: Exchange {} · identities: {} · tenant: {} · domains: {}\n",
        plan.source_version,
        plan.identity.as_str(),
        plan.tenant
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "(not set)".into()),
        if plan.domains.is_empty() {
            "(none)".to_string()
        } else {
            plan.domains
                .iter()
                .map(|d| escape(d))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = writeln!(
        s,
        "{} to create, {} to update, {} unchanged, {} checks{}.\n",
        plan.count(Change::Create),
        plan.count(Change::Update),
        plan.count(Change::Unchanged),
        plan.count(Change::Check),
        if plan.from_state {
            " (diffed against the state snapshot)"
        } else {
            " (no state snapshot: the plan assumes nothing exists; every script still looks before it acts)"
        }
    );
    let _ = writeln!(
        s,
        "Steps run in this order; the numbers in their ids leave gaps where a step does not \
         apply to this migration (each kind of step keeps its number in every bundle). \
         `unchanged` operations are not in the bundle. A step with more than {FULL_LIST} \
         operations shows its counts, every update or other exceptional operation, and a sample; \
         the full list is in plan.json (and, in a bundle, data/STEP.csv).\n"
    );
    if let Some(mp) = &plan.migration {
        migration(&mut s, mp);
    }
    for step in &plan.steps {
        let _ = writeln!(
            s,
            "## {} — {}\n\nRuns on: {} · shell: {} · target: {} · {}\n",
            step.id,
            step.title,
            step.place.runs_on,
            step.place.shell,
            step.place.target,
            if step.changes {
                "changes the target"
            } else {
                "read only"
            }
        );
        if step.op_count() <= FULL_LIST {
            step.each_op(&mut |op| {
                op_line(&mut s, step, op);
                Ok(())
            })?;
        } else {
            large_step(&mut s, step)?;
        }
        s.push('\n');
    }
    if !plan.manual.is_empty() {
        let _ = writeln!(s, "## By hand\n");
        for m in &plan.manual {
            let _ = writeln!(s, "- **{}**: {}", m.title, m.text);
        }
        s.push('\n');
    }
    if !plan.notes.is_empty() || !plan.findings.is_empty() {
        let _ = writeln!(s, "## Left out\n");
        for n in &plan.notes {
            let _ = writeln!(s, "- {}", escape(n));
        }
        for f in &plan.findings {
            let _ = writeln!(
                s,
                "- {} {}: {}",
                f.code,
                f.severity.as_str(),
                escape(&f.message)
            );
        }
    }
    Ok(s)
}
