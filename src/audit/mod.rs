//! Mailbox statistics, permissions and the migration estimate.

use crate::rules::Rule;

pub static RULES: &[Rule] = &[];
