//! Lint's key indexes are the recipient directory's (`model::directory`).

pub use crate::model::directory::keys::*;
