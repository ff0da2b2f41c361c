//! Parse PowerShell with tree-sitter-pwsh and check it against the cmdlet catalog.

use crate::rules::Rule;

pub static RULES: &[Rule] = &[];
