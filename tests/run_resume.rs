//! Kill the runner at random points, many times, and prove that resuming finishes the run with
//! every operation done exactly once (successful records per op, counted over the journal).
//!
//! The points come from a small seeded generator: set `KILL_SEED` to replay a failure.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use support::*;

const ITERATIONS: u64 = 40;
const STEPS: [(&str, usize); 3] = [("05-users", 30), ("06-licences", 30), ("07-mailboxes", 30)];

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[cfg(unix)]
#[test]
fn killed_runs_resume_to_every_op_exactly_once() {
    let seed = std::env::var("KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_125);
    let mut rng = Lcg(seed);
    let fake = fake_pwsh();
    let cutover_bin = assert_cmd::cargo::cargo_bin("cutover");
    let mut kills = 0;
    let mut mid_step_kills = 0;
    let expected: usize = STEPS.iter().map(|(_, n)| n).sum();
    for iteration in 0..ITERATIONS {
        let tmp = tempfile::tempdir().unwrap();
        let mut builder = BundleBuilder::new();
        for (id, n) in STEPS {
            builder = builder.step(id, n);
        }
        let bundle = builder.build(&tmp.path().join("bundle"));
        let slow = scenario(tmp.path(), "slow", json!({"default": {"delay_ms": 1}}));
        // Up to three kills per iteration, then a resume that is allowed to finish.
        let rounds = 1 + rng.below(3);
        for round in 0..=rounds {
            let mut cmd = Command::new(&cutover_bin);
            cmd.arg("run");
            if round > 0 {
                cmd.arg("--resume");
            }
            cmd.arg(&bundle)
                .env("CUTOVER_PWSH", &fake)
                .env("FAKE_PWSH_SCENARIO", &slow)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut child = cmd.spawn().unwrap();
            if round < rounds {
                std::thread::sleep(Duration::from_millis(rng.below(250)));
                // SIGKILL: no handler, no cleanup; the step dies with the runner.
                let _ = child.kill();
                let _ = child.wait();
                kills += 1;
                let done = latest_run_if_any(&bundle).map_or(0, |r| successes_per_op(&r).len());
                if done > 0 && done < expected {
                    mid_step_kills += 1;
                }
            } else {
                let status = child.wait().unwrap();
                assert_eq!(
                    status.code(),
                    Some(0),
                    "seed {seed} iteration {iteration}: final resume failed"
                );
            }
        }
        let run = latest_run(&bundle);
        let ok = successes_per_op(&run);
        assert_eq!(
            ok.len(),
            expected,
            "seed {seed} iteration {iteration}: ops missing"
        );
        let twice: Vec<_> = ok.iter().filter(|(_, &n)| n != 1).collect();
        assert!(
            twice.is_empty(),
            "seed {seed} iteration {iteration}: ops done more than once: {twice:?}"
        );
    }
    assert!(kills >= ITERATIONS, "{kills} kills");
    // The kills must land while steps write, or the test proves nothing.
    assert!(
        mid_step_kills >= ITERATIONS / 4,
        "only {mid_step_kills} of {kills} kills hit a half-done journal"
    );
    eprintln!("{kills} kills, {mid_step_kills} mid-step, seed {seed}");
}
