//! The one error type callers branch on, and the exit-code contract.
//!
//! Exit status: 0 clean, 1 findings or failures, 2 usage, environment, integrity or I/O error.

use std::path::PathBuf;

/// What a command concluded when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing to report (warnings may have been printed).
    Clean,
    /// Errors in the inputs, or operations that failed.
    Findings,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Something about the machine: pwsh missing or too old, a tool not found.
    #[error("{0}")]
    Environment(String),
    /// A bundle or journal that was changed after it was written.
    #[error("{0}")]
    Integrity(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Every error is exit status 2; findings and failures are `Exit::Findings` (1), not errors.
    pub fn code(&self) -> i32 {
        2
    }

    /// Writing to a closed pipe (`cutover lint | head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            Error::Io { source, .. } => Some(source),
            Error::Other(e) => e.downcast_ref::<std::io::Error>(),
            _ => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
