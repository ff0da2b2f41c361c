//! Parse PowerShell with tree-sitter-pwsh and check it against the cmdlet catalog.

pub mod catalog;
pub mod target;

pub use target::{PsVersion, Target, TargetError};

use crate::rules::Rule;

pub static RULES: &[Rule] = &[];
