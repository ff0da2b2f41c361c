//! The Markdown report: run facts, a table of steps, the failures with their hints.

use std::fmt::Write;

use super::summary::{Summary, NOT_DONE};

fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

pub fn render(s: &Summary) -> String {
    let mut o = String::new();
    let r = &s.run;
    if r.rehearsal {
        let _ = writeln!(o, "# cutover rehearsal {} (simulated tenant)\n", r.id);
        let _ = writeln!(o, "**REHEARSAL:** every step ran in real PowerShell against cutover's simulated tenant; nothing touched a real service.\n");
        if r.hosted {
            let _ = writeln!(o, "Hosted: every step ran in a fresh runspace of one long-lived pwsh (`--hosted`), not in a pwsh process of its own.\n");
        }
    } else {
        let _ = writeln!(o, "# cutover run {}\n", r.id);
    }
    if let Some(why) = r.stand_in() {
        let _ = writeln!(o, "> **{why}**\n");
    }
    let verdict = if r.complete {
        "every operation done"
    } else {
        "NOT complete: see failures and steps below"
    };
    let _ = writeln!(
        o,
        "**Result:** {verdict}{}\n",
        if r.what_if {
            " (what-if run: nothing was changed)"
        } else {
            ""
        }
    );
    let _ = writeln!(o, "| | |\n|---|---|");
    let facts = [
        ("Bundle", r.bundle.clone().unwrap_or_default()),
        ("Tenant", r.tenant.clone().unwrap_or_default()),
        (
            "Source Exchange",
            r.source_version.clone().unwrap_or_default(),
        ),
        ("Started", r.started.clone()),
        ("Finished", r.finished.clone().unwrap_or_else(|| "-".into())),
        ("State", r.state.clone()),
        (
            "PowerShell",
            r.pwsh_version.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Operations", r.ops.to_string()),
        ("Generator", r.generator.clone()),
    ];
    for (k, v) in facts {
        let _ = writeln!(o, "| {k} | {} |", cell(&v));
    }
    let _ = writeln!(o, "\n## Steps\n");
    let _ = writeln!(o, "| Step | Runs on | Ops | Done | Failed | Not done | What-if | Exit | Time (s) | Last outcome |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for st in &s.steps {
        let get = |k: &str| st.by_status.get(k).copied().unwrap_or(0);
        let done = get("created") + get("updated") + get("unchanged") + get("skipped");
        let _ = writeln!(
            o,
            "| {} {} | {} | {} | {done} | {} | {} | {} | {} | {:.1} | {} |",
            cell(&st.id),
            cell(&st.title),
            cell(&st.runs_on),
            st.ops,
            get("failed"),
            get(NOT_DONE),
            get("whatif"),
            st.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
            st.duration_s,
            cell(&st.outcome_text()),
        );
    }
    let _ = writeln!(o, "\n## Failures ({})\n", s.failures.len());
    if s.failures.is_empty() {
        let _ = writeln!(o, "No operation failed.");
    } else {
        let _ = writeln!(o, "| Step | Operation | Target | Action | Error | Hint |");
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for f in &s.failures {
            let hint = f
                .hint
                .as_ref()
                .map_or_else(String::new, |h| format!("**{}**: {}", h.id, h.fix));
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.step),
                cell(&f.op),
                cell(&f.target),
                cell(&f.action),
                cell(&f.error),
                cell(&hint)
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        let _ = writeln!(o, "\n### Known errors\n");
        for h in s.failures.iter().filter_map(|f| f.hint.as_ref()) {
            if !seen.contains(&h.id) {
                seen.push(h.id);
                let _ = writeln!(
                    o,
                    "- **{}** ({}): {} Fix: {}",
                    h.id, h.title, h.cause, h.fix
                );
            }
        }
    }
    if let Some(m) = &s.migration {
        migration(&mut o, m);
    }
    o
}

fn migration(o: &mut String, m: &super::migration::MigrationSummary) {
    use super::migration::{moved_text, wave_bytes_text, wave_text};
    let _ = writeln!(o, "\n## Mailbox migration\n");
    if !m.waves_run.is_empty() {
        let list: Vec<String> = m.waves_run.iter().map(u32::to_string).collect();
        let _ = writeln!(o, "Waves run: {}\n", list.join(", "));
    }
    let _ = writeln!(
        o,
        "Progress is what the engine reported when the status step last ran; a mailbox without a report says so.\n"
    );
    let _ = writeln!(o, "| Wave | Mailboxes | Data moved |");
    let _ = writeln!(o, "|---:|---|---|");
    for w in &m.waves {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            w.wave,
            wave_text(w),
            wave_bytes_text(w)
        );
    }
    let _ = writeln!(
        o,
        "\n| Wave | Mailbox | Engine | Pass | State | Moved | Items | Errors | Reported | ETA |"
    );
    let _ = writeln!(o, "|---:|---|---|---|---|---|---:|---:|---|---|");
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for x in &m.mailboxes {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            x.wave,
            cell(&x.source),
            cell(&dash(x.engine.clone())),
            cell(&dash(x.pass.clone())),
            cell(&x.state),
            cell(&moved_text(x)),
            dash(x.items.map(|i| i.to_string())),
            dash(x.errors.map(|i| i.to_string())),
            cell(&dash(x.at.clone())),
            cell(&dash(x.eta.clone())),
        );
    }
}
