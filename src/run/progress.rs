//! Progress of one step: a bar on a terminal, plain lines otherwise, or nothing.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, else plain lines.
    Auto,
    Plain,
    Hidden,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct StepProgress {
    step: String,
    kind: Kind,
    total: Option<u64>,
    done: u64,
    failed: u64,
    started: Instant,
}

enum Kind {
    Bar(ProgressBar),
    Plain { last: Instant },
    Hidden,
}

impl StepProgress {
    pub fn start(mode: ProgressMode, step: &str, total: Option<u64>) -> StepProgress {
        let kind = match mode {
            ProgressMode::Hidden => Kind::Hidden,
            ProgressMode::Auto if std::io::stderr().is_terminal() => {
                let bar = ProgressBar::with_draw_target(
                    Some(total.unwrap_or(0)),
                    ProgressDrawTarget::stderr(),
                );
                let style = ProgressStyle::with_template(
                    "{prefix:>14} [{bar:30}] {pos}/{len} {msg} {per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(step.to_string());
                bar.enable_steady_tick(Duration::from_millis(200));
                Kind::Bar(bar)
            }
            ProgressMode::Auto | ProgressMode::Plain => {
                eprintln!(
                    "{step}: started ({} operation{})",
                    total.map_or_else(|| "all".to_string(), |t| t.to_string()),
                    if total == Some(1) { "" } else { "s" }
                );
                Kind::Plain {
                    last: Instant::now(),
                }
            }
        };
        StepProgress {
            step: step.to_string(),
            kind,
            total,
            done: 0,
            failed: 0,
            started: Instant::now(),
        }
    }

    pub fn record(&mut self, failed: bool) {
        self.done += 1;
        if failed {
            self.failed += 1;
        }
        match &mut self.kind {
            Kind::Bar(bar) => {
                if self.total.map_or(true, |t| self.done > t) {
                    bar.set_length(self.done);
                }
                bar.set_position(self.done);
                if failed {
                    bar.set_message(format!("{} failed", self.failed));
                }
            }
            Kind::Plain { last } => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    eprintln!("{}", self.line());
                }
            }
            Kind::Hidden => {}
        }
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.done as f64 / secs;
        let total = self
            .total
            .map_or_else(|| "?".to_string(), |t| t.to_string());
        let eta = match self.total {
            Some(t) if rate > 0.0 && t > self.done => {
                format!(", ETA {:.0} s", (t - self.done) as f64 / rate)
            }
            _ => String::new(),
        };
        format!(
            "{}: {}/{total} done, {} failed, {rate:.1}/s{eta}",
            self.step, self.done, self.failed
        )
    }

    pub fn finish(self, outcome: &str) {
        let line = self.line();
        // A clean exit with failed operations is not "ok" (the step summary says the same).
        let outcome = if outcome == "ok" && self.failed > 0 {
            "finished with failures"
        } else {
            outcome
        };
        match self.kind {
            Kind::Bar(bar) => {
                bar.finish_and_clear();
                eprintln!("{line} ({outcome})");
            }
            Kind::Plain { .. } => eprintln!("{line} ({outcome})"),
            Kind::Hidden => {}
        }
    }
}
