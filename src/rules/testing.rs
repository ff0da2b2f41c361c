//! Helpers for rule tests: lint bytes in memory and look at the codes.

use crate::diag::Finding;
use crate::project::Project;

use super::{lint_inputs, Input, Source};

/// A project with a default usage location, so tests see only the findings they provoke.
pub fn quiet_project() -> Project {
    Project {
        usage_location: Some("US".into()),
        ..Default::default()
    }
}

pub fn lint_with(project: &Project, bytes: &[u8]) -> Vec<Finding> {
    run(project, &[("t.csv", bytes)])
}

pub fn lint_one(bytes: &[u8]) -> Vec<Finding> {
    lint_with(&quiet_project(), bytes)
}

pub fn lint_files(files: &[(&str, &[u8])]) -> Vec<Finding> {
    run(&quiet_project(), files)
}

pub fn lint_files_with(project: &Project, files: &[(&str, &[u8])]) -> Vec<Finding> {
    run(project, files)
}

fn run(project: &Project, files: &[(&str, &[u8])]) -> Vec<Finding> {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(n, b)| Input {
            source: Source::Memory {
                name: n.to_string(),
                bytes: b.to_vec(),
            },
            kind: None,
        })
        .collect();
    lint_inputs(project, &inputs).unwrap().findings
}

pub fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}
