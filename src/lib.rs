//! cutover: lint, plan, bundle, run and report on-premises Exchange to Microsoft 365 migrations.
//!
//! Data flows one way: `input` (bytes to records) -> `model` (typed records) ->
//! `rules` / `audit` / `plan` -> `bundle` (templates + ps-modules) -> `run` -> `report`.
//! `diag` renders findings from any stage; `check` parses PowerShell beside the flow.

pub mod audit;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod diag;
pub mod error;
pub mod input;
pub mod mail_filter;
pub mod model;
pub mod notices;
pub mod plan;
pub mod project;
pub mod rehearse;
pub mod report;
pub mod rules;
pub mod run;
pub mod spreadsheet;
pub mod synth;

pub use error::{Error, Exit};
