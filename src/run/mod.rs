//! Execute a bundle through pwsh and journal one result per operation.

pub mod protocol;
