//! Shared test support: a builder for small bundles with correct hashes, the fake pwsh, and
//! helpers to read a run's journal.
//!
//! The fake pwsh is a separate workspace member, so `CARGO_BIN_EXE_fake-pwsh` does not exist
//! here. `fake_pwsh()` builds it once per test binary with the same cargo, target folder and
//! profile as the running test (`cargo build -p fake-pwsh`), which works on a clean clone under
//! `cargo test --workspace` and under `cargo test --test run` alike.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn fake_pwsh() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executable lives in target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target folder");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("debug");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "fake-pwsh", "--manifest-path"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let status = cmd.status().expect("run cargo build -p fake-pwsh");
        assert!(status.success(), "cargo build -p fake-pwsh failed");
        let bin = profile_dir.join(format!("fake-pwsh{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "{} was not built", bin.display());
        bin
    })
    .clone()
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct StepSpec {
    pub id: String,
    pub runs_on: String,
    pub ops: Option<Vec<String>>,
    pub gate: bool,
    pub phase: Option<String>,
    /// A per-mailbox migration step: each op's `Wave` cell (`None`: empty, every wave).
    pub waves: Option<Vec<Option<u32>>>,
}

/// Writes a bundle the way the contract describes it; the scripts' text does not matter.
///
/// Like `cutover bundle`, each step gets `data/<id>.csv` with an `Op` column (hashed in
/// `data`), and its ops file is checked against that column; `hash_ops_files()` lists the ops
/// files in `data` with their own hash instead.
pub struct BundleBuilder {
    steps: Vec<StepSpec>,
    hash_ops: bool,
    source_version: String,
    mailboxes: Option<Vec<String>>,
}

impl Default for BundleBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BundleBuilder {
    pub fn new() -> Self {
        BundleBuilder {
            steps: Vec::new(),
            hash_ops: false,
            source_version: "2016".into(),
            mailboxes: None,
        }
    }

    /// The manifest's source version; "2007" also ships `modules/Cutover.ps1`, as bundles do.
    pub fn source_version(mut self, v: &str) -> Self {
        self.source_version = v.into();
        self
    }

    pub fn hash_ops_files(mut self) -> Self {
        self.hash_ops = true;
        self
    }

    /// A jump-box step with `n` planned operations `<id>:op<i>`.
    pub fn step(mut self, id: &str, n: usize) -> Self {
        let ops = (1..=n).map(|i| format!("{id}:op{i}")).collect();
        self.steps.push(StepSpec {
            id: id.into(),
            runs_on: "jump-box".into(),
            ops: Some(ops),
            gate: false,
            phase: None,
            waves: None,
        });
        self
    }

    /// A jump-box step without an ops file (operations found at run time only).
    pub fn dynamic_step(mut self, id: &str) -> Self {
        self.steps.push(StepSpec {
            id: id.into(),
            runs_on: "jump-box".into(),
            ops: None,
            gate: false,
            phase: None,
            waves: None,
        });
        self
    }

    pub fn source_step(mut self, id: &str, n: usize) -> Self {
        let ops = (1..=n).map(|i| format!("{id}:op{i}")).collect();
        self.steps.push(StepSpec {
            id: id.into(),
            runs_on: "source-server".into(),
            ops: Some(ops),
            gate: false,
            phase: None,
            waves: None,
        });
        self
    }

    /// A jump-box step whose data file has a `Wave` column: op `<id>:op<i>` is in `waves[i-1]`.
    pub fn wave_step(mut self, id: &str, waves: &[Option<u32>]) -> Self {
        let ops = (1..=waves.len()).map(|i| format!("{id}:op{i}")).collect();
        self.steps.push(StepSpec {
            id: id.into(),
            runs_on: "jump-box".into(),
            ops: Some(ops),
            gate: false,
            phase: None,
            waves: Some(waves.to_vec()),
        });
        self
    }

    /// Adds `data/migration-mailboxes.csv` (the plan's mailboxes) with these rows after the
    /// header `Wave,SourceAddress,TargetUpn,ItemEndDate,EstimatedBytes,EstimatedItems,User`.
    pub fn migration_mailboxes(mut self, rows: &[&str]) -> Self {
        self.mailboxes = Some(rows.iter().map(|r| r.to_string()).collect());
        self
    }

    /// Marks the last step added as a gate (the runner stops after it when it has failures).
    pub fn gate(mut self) -> Self {
        if let Some(s) = self.steps.last_mut() {
            s.gate = true;
        }
        self
    }

    /// Marks the last step added as a post-cutover step.
    pub fn post_cutover(mut self) -> Self {
        if let Some(s) = self.steps.last_mut() {
            s.phase = Some("post-cutover".into());
        }
        self
    }

    pub fn build(self, root: &Path) -> PathBuf {
        let write = |rel: &str, bytes: &[u8]| -> String {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
            sha256(bytes)
        };
        let module = write(
            "modules/Cutover.psm1",
            "\u{feff}function Write-CutoverResult { param($Record) }\n".as_bytes(),
        );
        let mut modules = vec![json!({"file": "modules/Cutover.psm1", "sha256": module})];
        if self.source_version == "2007" {
            let ps1 = write(
                "modules/Cutover.ps1",
                "\u{feff}function Write-CutoverResult { param($Record) }\n".as_bytes(),
            );
            modules.push(json!({"file": "modules/Cutover.ps1", "sha256": ps1}));
        }
        let mut data = Vec::new();
        let mut steps = Vec::new();
        for s in &self.steps {
            let file = format!("steps/{}.ps1", s.id);
            let hash = write(&file, format!("\u{feff}# step {}\n", s.id).as_bytes());
            let data_rel = format!("data/{}.csv", s.id);
            let mut csv = match &s.waves {
                Some(_) => String::from("\u{feff}Op,Wave,Target\n"),
                None => String::from("\u{feff}Op,Target\n"),
            };
            for (i, op) in s.ops.iter().flatten().enumerate() {
                let wave = match s.waves.as_ref().map(|w| w.get(i).copied().flatten()) {
                    Some(Some(n)) => format!("{n},"),
                    Some(None) => ",".to_string(),
                    None => String::new(),
                };
                csv.push_str(&format!("{op},{wave}{}\n", op.replace(':', "-")));
            }
            let data_hash = write(&data_rel, csv.as_bytes());
            data.push(json!({"file": data_rel, "sha256": data_hash}));
            let (ops_file, n) = match &s.ops {
                Some(ops) => {
                    let rel = format!("ops/{}.txt", s.id);
                    let mut text = ops.join("\n");
                    text.push('\n');
                    let h = write(&rel, text.as_bytes());
                    if self.hash_ops {
                        data.push(json!({"file": rel, "sha256": h}));
                    }
                    (Value::String(rel), ops.len())
                }
                None => (Value::Null, 0),
            };
            let mut step = json!({
                "id": s.id,
                "title": format!("Step {}", s.id),
                "file": file,
                "target": "graph",
                "runs_on": s.runs_on,
                "shell": if s.runs_on == "jump-box" { "pwsh-7" } else { "powershell-5.1" },
                "sha256": hash,
                "ops": n,
                "ops_file": ops_file,
                "data": [data_rel],
                "changes": true,
            });
            // Only when set, so the default-less manifests of older bundles stay covered.
            if s.gate {
                step["gate"] = Value::Bool(true);
            }
            if let Some(p) = &s.phase {
                step["phase"] = Value::String(p.clone());
            }
            steps.push(step);
        }
        if let Some(rows) = &self.mailboxes {
            let mut csv = String::from(
                "\u{feff}Wave,SourceAddress,TargetUpn,ItemEndDate,EstimatedBytes,EstimatedItems,User\r\n",
            );
            for r in rows {
                csv.push_str(r);
                csv.push_str("\r\n");
            }
            let rel = "data/migration-mailboxes.csv";
            let h = write(rel, csv.as_bytes());
            data.push(json!({"file": rel, "sha256": h}));
        }
        let manifest = json!({
            "format": 1,
            "generator": "cutover test",
            "source_version": self.source_version,
            "identity": "cloud",
            "tenant": "contoso.onmicrosoft.com",
            "steps": steps,
            "data": data,
            "modules": modules,
        });
        std::fs::write(
            root.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
        root.to_path_buf()
    }
}

/// Writes a fake-pwsh scenario file and returns its path.
pub fn scenario(dir: &Path, name: &str, value: Value) -> PathBuf {
    let p = dir.join(format!("{name}.scenario.json"));
    std::fs::write(&p, serde_json::to_vec(&value).unwrap()).unwrap();
    p
}

/// `cutover` with the fake pwsh and a clean environment for the runner's variables.
pub fn cutover(scenario: Option<&Path>) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("cutover").unwrap();
    cmd.env_remove("CUTOVER_RESULTS")
        .env_remove("CUTOVER_STEP")
        .env_remove("CUTOVER_ONLY_OPS")
        .env("CUTOVER_PWSH", fake_pwsh());
    match scenario {
        Some(s) => cmd.env("FAKE_PWSH_SCENARIO", s),
        None => cmd.env_remove("FAKE_PWSH_SCENARIO"),
    };
    cmd
}

/// The latest run folder of a bundle (panics when there is none).
pub fn latest_run(bundle: &Path) -> PathBuf {
    latest_run_if_any(bundle).expect("a run folder")
}

pub fn latest_run_if_any(bundle: &Path) -> Option<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(bundle.join("runs"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("run.json").is_file())
        .collect();
    runs.sort();
    runs.pop()
}

pub fn run_json(run: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap()
}

/// Every parsable record of a run's journal.
pub fn records(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("results.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// Successful records per op, over the whole journal.
pub fn successes_per_op(run: &Path) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in records(run) {
        let st = r["status"].as_str().unwrap_or("");
        if matches!(st, "created" | "updated" | "unchanged" | "skipped") {
            *m.entry(r["op"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    m
}

/// The last status of each op.
pub fn last_status(run: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for r in records(run) {
        m.insert(
            r["op"].as_str().unwrap().to_string(),
            r["status"].as_str().unwrap().to_string(),
        );
    }
    m
}
