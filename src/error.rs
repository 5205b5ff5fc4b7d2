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
    /// A named parameter breaks one of its rules: which parameter, the value
    /// given and the rule, so that a front end can name it in its own words
    /// (the command line names the flag).
    #[error("{0}")]
    Invalid(InvalidParameter),
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
    /// An output path is refused: writing there would replace something
    /// that is not downhill's to replace.
    #[error("{}: {}", path.display(), refusal.in_words("choose another output directory", "replace it with force"))]
    Refused {
        /// The file or directory concerned.
        path: PathBuf,
        /// Why it is refused.
        refusal: Refusal,
    },
    /// The user interrupted the work (Ctrl-C) before it finished.
    #[error("interrupted before the work finished; nothing was written")]
    Interrupted,
}

/// Why an output path is refused ([`Error::Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The output directory's path is an existing file.
    NotADirectory,
    /// A directory stands where a file would be written.
    DirectoryInTheWay,
    /// A file downhill did not write (no manifest entry) would be replaced.
    NotOurs,
}

impl Refusal {
    /// The refusal in one sentence; `elsewhere` says how to choose another
    /// output directory and `force` how to allow the replacement, in the
    /// words of the front end (the command line names its flags).
    pub fn in_words(self, elsewhere: &str, force: &str) -> String {
        match self {
            Refusal::NotADirectory => format!("exists and is not a directory; {elsewhere}"),
            Refusal::DirectoryInTheWay => {
                format!("is a directory where downhill would write a file; {elsewhere}")
            }
            Refusal::NotOurs => {
                format!("already exists and was not written by downhill; {force}, or {elsewhere}")
            }
        }
    }
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

    /// An invalid parameter, as a sentence (prefer [`Error::invalid`]).
    pub fn param(message: impl Into<String>) -> Self {
        Error::BadParameter(message.into())
    }

    /// The named `parameter` with `value` breaks `rule`.
    pub fn invalid(parameter: &'static str, value: impl ToString, rule: impl Into<String>) -> Self {
        Error::Invalid(InvalidParameter {
            parameter,
            value: value.to_string(),
            rule: rule.into(),
        })
    }
}

/// A parameter of the library that breaks one of its rules.
///
/// `parameter` is the library's name for it (the field or argument name,
/// e.g. `"alpha"`, `"max_steps"`, `"snap_radius_m"`), never a command-line
/// flag: front ends map it to their own spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParameter {
    /// The library's name of the parameter (a Rust identifier).
    pub parameter: &'static str,
    /// The value given, as the user wrote it or as it was parsed.
    pub value: String,
    /// The rule it breaks, e.g. "must be positive" or "at most 10000 m".
    pub rule: String,
}

impl InvalidParameter {
    /// The message with the parameter spelt as `name` (e.g. a CLI flag).
    pub fn render_as(&self, name: &str) -> String {
        format!("{name} {}: {}", self.value, self.rule)
    }
}

impl std::fmt::Display for InvalidParameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {}: {}", self.parameter, self.value, self.rule)
    }
}
