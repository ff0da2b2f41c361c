//! Plan + source version to a folder of steps, data files, README and manifest.

pub mod manifest;
pub mod quote;
