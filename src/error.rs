//! The one error type of the library.
//!
//! Every variant renders as a single line that names the file (or the
//! parameter) and the problem, so the CLI can print it as it is and exit
//! with code 2.

use std::path::{Path, PathBuf};

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in downhill, each with enough context to act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written at the operating-system level.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// A file was read but its content is not what it claims to be.
    #[error("{}: {message}", path.display())]
    BadFile {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it, in one sentence.
        message: String,
    },
    /// A parameter given by the user is out of its valid range or inconsistent.
    #[error("{0}")]
    BadParameter(String),
    /// A start position lies outside the raster or on a void.
    #[error("{0}")]
    BadStart(String),
    /// A peak name matched nothing in the gazetteer.
    #[error("{0}")]
    UnknownPeak(String),
    /// A claim or a request exceeds one of the run's budgets (memory,
    /// input size, formula size); the message names the budget and how to
    /// raise it.
    #[error("{0}")]
    OverBudget(String),
    /// The user interrupted the work (Ctrl-C) before it finished.
    #[error("interrupted before the work finished; nothing was written")]
    Interrupted,
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            cause: source,
        }
    }

    /// A content error on `path`.
    pub fn bad_file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    /// An invalid parameter.
    pub fn param(message: impl Into<String>) -> Self {
        Error::BadParameter(message.into())
    }
}
