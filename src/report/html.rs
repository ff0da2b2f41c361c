//! The HTML report: one self-contained file (inline CSS and SVG, no script, no external asset;
//! a Content-Security-Policy forbids any fetch), readable on screen and on paper.

use std::fmt::Write;

use super::summary::{StepSummary, Summary, NOT_DONE};

const CSS: &str = r#"
:root { --ok:#2e7d32; --fail:#c62828; --todo:#9e9e9e; --whatif:#1565c0; --skip:#8d6e63; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#222; margin: 2em auto; max-width: 72em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
.verdict { font-weight: 600; padding: .4em .7em; border-radius: 4px; display: inline-block; }
.verdict.ok { background: #e8f5e9; color: var(--ok); }
.verdict.bad { background: #ffebee; color: var(--fail); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; }
dl.facts dt { font-weight: 600; }
/* Words wrap at word boundaries; only a token longer than its column (an id, an address)
   is broken, and then at the <wbr> after its ':' '@' '.' separators first. */
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; }
th, td { border: 1px solid #ddd; padding: .3em .5em; vertical-align: top; text-align: left; overflow-wrap: anywhere; word-break: normal; hyphens: none; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.err { font-family: ui-monospace, Consolas, monospace; font-size: .9em; white-space: pre-wrap; }
/* Fixed layout: the columns get these shares of the page whatever the cells hold. */
#failure-table { table-layout: fixed; }
#failure-table col.step { width: 11%; } #failure-table col.op { width: 19%; }
#failure-table col.target { width: 14%; } #failure-table col.action { width: 7%; }
#failure-table col.error { width: 27%; } #failure-table col.hint { width: 22%; }
.banner { border: 2px solid #ef6c00; background: #fff3e0; color: #8a3c00; padding: .6em .8em; border-radius: 4px; font-weight: 600; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -.1em; }
.hint b { display: block; }
.muted { color: #666; }
footer { margin-top: 2em; font-size: .85em; color: #666; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr, .hint { page-break-inside: avoid; break-inside: avoid; }
  h2 { page-break-after: avoid; break-after: avoid; }
}
"#;

/// Status, label, colour of each chart segment, in drawing order.
const SEGMENTS: [(&str, &str, &str); 7] = [
    ("created", "created", "#2e7d32"),
    ("updated", "updated", "#43a047"),
    ("unchanged", "unchanged", "#81c784"),
    ("skipped", "skipped", "#8d6e63"),
    ("whatif", "what-if", "#1565c0"),
    ("failed", "failed", "#c62828"),
    (NOT_DONE, "not done", "#bdbdbd"),
];

pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// Escaped, with a break opportunity after each `:` `@` `.` `\\` `/`, so a long id or address
/// wraps at its separators rather than at an arbitrary letter.
fn breakable(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        o.push_str(&esc(c.encode_utf8(&mut [0; 4])));
        if matches!(c, ':' | '@' | '.' | '\\' | '/') {
            o.push_str("<wbr>");
        }
    }
    o
}

fn chart(st: &StepSummary) -> String {
    const W: f64 = 240.0;
    const H: f64 = 16.0;
    let total: u64 = st.by_status.values().sum();
    let mut o = format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#,
        esc(&format!("{}: {}", st.id, label(st)))
    );
    if total == 0 {
        let _ = write!(
            o,
            r##"<rect x="0" y="0" width="{W}" height="{H}" fill="#eeeeee"><title>no operations</title></rect>"##
        );
    } else {
        let mut x = 0.0;
        for (key, name, colour) in SEGMENTS.iter() {
            let n = st.by_status.get(*key).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let w = W * n as f64 / total as f64;
            let _ = write!(
                o,
                r#"<rect x="{x:.2}" y="0" width="{w:.2}" height="{H}" fill="{colour}"><title>{name}: {n}</title></rect>"#
            );
            x += w;
        }
    }
    o.push_str("</svg>");
    o
}

fn label(st: &StepSummary) -> String {
    SEGMENTS
        .iter()
        .filter_map(|(key, name, _)| {
            let n = st.by_status.get(*key).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {name}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Mailbox state groups of the wave chart, in drawing order: key, label, colour.
const WAVE_SEGMENTS: [(&str, &str, &str); 5] = [
    ("done", "done", "#2e7d32"),
    ("running", "running", "#1565c0"),
    ("stopped", "stopped", "#8d6e63"),
    ("failed", "failed", "#c62828"),
    ("none", super::migration::NO_STATUS, "#bdbdbd"),
];

/// One bar per wave: its mailboxes by state (counts, never bytes: a wave without estimates or
/// reports still has mailboxes), with the moved-of-estimated bytes as text beside it.
fn wave_chart(w: &super::migration::WaveProgress) -> String {
    const W: f64 = 240.0;
    const H: f64 = 16.0;
    let counts = [w.done, w.running, w.stopped, w.failed, w.no_status];
    let text = super::migration::wave_text(w);
    let mut o = format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#,
        esc(&format!("wave {}: {text}", w.wave))
    );
    let mut x = 0.0;
    for ((_, name, colour), n) in WAVE_SEGMENTS.iter().zip(counts) {
        if n == 0 || w.mailboxes == 0 {
            continue;
        }
        let width = W * n as f64 / w.mailboxes as f64;
        let _ = write!(
            o,
            r#"<rect x="{x:.2}" y="0" width="{width:.2}" height="{H}" fill="{colour}"><title>{}: {n}</title></rect>"#,
            esc(name)
        );
        x += width;
    }
    o.push_str("</svg>");
    o
}

fn migration(o: &mut String, m: &super::migration::MigrationSummary) {
    use super::migration::{moved_text, wave_bytes_text, wave_text};
    o.push_str(r#"<section id="migration"><h2>Mailbox migration</h2>"#);
    if !m.waves_run.is_empty() {
        let list: Vec<String> = m.waves_run.iter().map(u32::to_string).collect();
        let _ = write!(o, "<p>Waves run: {}</p>", esc(&list.join(", ")));
    }
    o.push_str(
        "<p class=\"muted\">Progress is what the engine reported when the status step last ran; a mailbox without a report says so.</p><p class=\"legend\">",
    );
    for (_, name, colour) in WAVE_SEGMENTS.iter() {
        let _ = write!(
            o,
            r#"<span><i style="background:{colour}"></i>{}</span>"#,
            esc(name)
        );
    }
    o.push_str(
        "</p>\n<table id=\"wave-table\"><thead><tr><th>Wave</th><th>Mailboxes</th><th>Data moved</th></tr></thead><tbody>\n",
    );
    for w in &m.waves {
        let _ = writeln!(
            o,
            r#"<tr><td class="num">{}</td><td>{}<br><span class="muted">{}</span></td><td>{}</td></tr>"#,
            w.wave,
            wave_chart(w),
            esc(&wave_text(w)),
            esc(&wave_bytes_text(w))
        );
    }
    o.push_str(
        "</tbody></table>\n<table id=\"mailbox-table\"><thead><tr><th>Wave</th><th>Mailbox</th><th>Engine</th><th>Pass</th><th>State</th><th>Moved</th><th>Items</th><th>Errors</th><th>Reported</th><th>ETA</th></tr></thead><tbody>\n",
    );
    let dash = |v: Option<String>| esc(&v.unwrap_or_else(|| "-".into()));
    for x in &m.mailboxes {
        let _ = writeln!(
            o,
            r#"<tr class="{}"><td class="num">{}</td><td>{}<br><span class="muted">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>"#,
            x.class,
            x.wave,
            breakable(&x.source),
            breakable(&x.target),
            dash(x.engine.clone()),
            dash(x.pass.clone()),
            esc(&x.state),
            esc(&moved_text(x)),
            dash(x.items.map(|i| i.to_string())),
            dash(x.errors.map(|i| i.to_string())),
            dash(x.at.clone()),
            dash(x.eta.clone()),
        );
    }
    o.push_str("</tbody></table></section>\n");
}

pub fn render(s: &Summary) -> String {
    let r = &s.run;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cutover run {id}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>cutover run {id}</h1>
"#,
        id = esc(&r.id)
    );
    if let Some(why) = r.stand_in() {
        let _ = writeln!(
            o,
            r#"<p class="banner" id="stand-in" role="note">{}</p>"#,
            esc(&why)
        );
    }
    let (class, verdict) = if r.complete {
        ("ok", "Every operation done.")
    } else {
        ("bad", "Not complete: see the failures and steps below.")
    };
    let _ = writeln!(
        o,
        r#"<p class="verdict {class}" id="verdict">{verdict}{}</p>
</header>"#,
        match (r.rehearsal, r.what_if) {
            (true, true) =>
                " REHEARSAL against a simulated tenant (what-if): nothing touched a real service.",
            (true, false) =>
                " REHEARSAL against a simulated tenant: nothing touched a real service.",
            (false, true) => " What-if run: nothing was changed.",
            (false, false) => "",
        }
    );
    if r.hosted {
        let _ = writeln!(
            o,
            "<p>Hosted: every step ran in a fresh runspace of one long-lived pwsh (<code>--hosted</code>), not in a pwsh process of its own.</p>"
        );
    }

    let _ = writeln!(o, r#"<section id="facts"><h2>Run</h2><dl class="facts">"#);
    let count = |k: &str| r.by_status.get(k).copied().unwrap_or(0);
    let facts: Vec<(&str, String)> = vec![
        ("Bundle", r.bundle.clone().unwrap_or_else(|| "-".into())),
        ("Tenant", r.tenant.clone().unwrap_or_else(|| "-".into())),
        (
            "Source Exchange",
            r.source_version.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Started", r.started.clone()),
        ("Finished", r.finished.clone().unwrap_or_else(|| "-".into())),
        ("State", r.state.clone()),
        (
            "PowerShell",
            match (&r.pwsh_version, &r.pwsh_path) {
                (Some(v), Some(p)) => format!("{v} ({p})"),
                _ => "-".into(),
            },
        ),
        (
            "Operations",
            format!(
                "{} in all: {} done, {} failed, {} not done{}",
                r.ops,
                count("created") + count("updated") + count("unchanged") + count("skipped"),
                count("failed"),
                count(NOT_DONE),
                if r.what_if {
                    format!(", {} what-if", count("whatif"))
                } else {
                    String::new()
                }
            ),
        ),
        ("Generator", r.generator.clone()),
    ];
    for (k, v) in facts {
        let _ = writeln!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    if r.bad_lines > 0 {
        let _ = writeln!(
            o,
            "<dt>Journal</dt><dd>{} unreadable line(s) (a record cut short by a kill)</dd>",
            r.bad_lines
        );
    }
    o.push_str("</dl></section>\n");

    o.push_str(r#"<section id="steps"><h2>Steps</h2><p class="legend">"#);
    for (_, name, colour) in SEGMENTS.iter() {
        let _ = write!(
            o,
            r#"<span><i style="background:{colour}"></i>{name}</span>"#
        );
    }
    o.push_str(
        "</p>\n<table id=\"step-table\"><thead><tr><th>Step</th><th>Status</th><th>Operations</th>\
         <th>Exit code</th><th>Time (s)</th><th>Attempts</th><th>Last outcome</th></tr></thead><tbody>\n",
    );
    for st in &s.steps {
        let outcome = st.outcome_text();
        let _ = writeln!(
            o,
            r#"<tr><td><b>{}</b><br><span class="muted">{}</span></td><td>{}<br><span class="muted">{}</span></td><td class="num">{}</td><td class="num">{}</td><td class="num">{:.1}</td><td class="num">{}</td><td>{}</td></tr>"#,
            esc(&st.id),
            esc(&st.title),
            chart(st),
            esc(&label(st)),
            st.ops,
            st.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
            st.duration_s,
            st.attempts,
            esc(&outcome)
        );
    }
    o.push_str("</tbody></table></section>\n");

    let _ = writeln!(
        o,
        r#"<section id="failures"><h2>Failures ({})</h2>"#,
        s.failures.len()
    );
    if s.failures.is_empty() {
        o.push_str(r#"<p id="no-failures">No operation failed.</p>"#);
    } else {
        o.push_str(
            "<table id=\"failure-table\"><colgroup><col class=\"step\"><col class=\"op\">\
             <col class=\"target\"><col class=\"action\"><col class=\"error\"><col class=\"hint\">\
             </colgroup><thead><tr><th>Step</th><th>Operation</th><th>Target</th>\
             <th>Action</th><th>Error</th><th>Hint</th></tr></thead><tbody>\n",
        );
        for f in &s.failures {
            let hint = f.hint.as_ref().map_or_else(String::new, |h| {
                format!(
                    r#"<div class="hint"><b>{}</b>{}</div>"#,
                    esc(h.id),
                    esc(h.fix)
                )
            });
            let _ = writeln!(
                o,
                r#"<tr><td class="id">{}</td><td class="id">{}</td><td>{}</td><td>{}</td><td class="err">{}</td><td>{hint}</td></tr>"#,
                esc(&f.step),
                breakable(&f.op),
                breakable(&f.target),
                esc(&f.action),
                esc(&f.error)
            );
        }
        o.push_str("</tbody></table>\n");
        let mut seen: Vec<&str> = Vec::new();
        let hints: Vec<_> = s
            .failures
            .iter()
            .filter_map(|f| f.hint.as_ref())
            .filter(|h| {
                let new = !seen.contains(&h.id);
                seen.push(h.id);
                new
            })
            .collect();
        if !hints.is_empty() {
            o.push_str("<h3>Known errors</h3><dl class=\"facts\">\n");
            for h in hints {
                let _ = writeln!(
                    o,
                    "<dt>{} <span class=\"muted\">{}</span></dt><dd>{} <b>Fix:</b> {}</dd>",
                    esc(h.id),
                    esc(h.title),
                    esc(h.cause),
                    esc(h.fix)
                );
            }
            o.push_str("</dl>\n");
        }
    }
    o.push_str("</section>\n");
    if let Some(m) = &s.migration {
        migration(&mut o, m);
    }
    let _ = writeln!(
        o,
        "<footer>Written by {} from the run journal. Every count is the last recorded status of each operation.</footer>\n</body>\n</html>",
        esc(&r.generator)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_addresses_may_break_at_their_separators_only() {
        assert_eq!(
            breakable("users:ensure:a<b@x.com"),
            "users:<wbr>ensure:<wbr>a&lt;b@<wbr>x.<wbr>com"
        );
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            esc("<script>\"a\"&'b'\u{7}"),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;\u{fffd}"
        );
    }
}
