//! The one error type of the crate. Messages name the offending key or note and never quote a
//! secret (a password, a hash, a key or a token).

use std::path::PathBuf;

/// What went wrong, for an operator to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The `[access]` table is invalid; `key` is its dotted path (`access.readers.alice.groups`).
    #[error("access configuration: `{key}`: {message}")]
    Config { key: String, message: String },
    /// A note's frontmatter `access:` or `unlisted:` is invalid (an unknown group, a wrong type).
    #[error("note `{note}`: {message}")]
    Note { note: String, message: String },
    /// A password longer than [`crate::MAX_PASSWORD_BYTES`]; refused before any hashing.
    #[error("a password may have at most {max} bytes")]
    PasswordTooLong { max: usize },
    /// An empty password.
    #[error("a password may not be empty")]
    PasswordEmpty,
    /// The system's random number generator or the hash function failed.
    #[error("{0}")]
    Crypto(String),
    /// A key or generation file of the data directory could not be read, written or trusted.
    #[error("{}: {message}", path.display())]
    KeyFile { path: PathBuf, message: String },
}

impl AccessError {
    pub(crate) fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        AccessError::Config { key: key.into(), message: message.into() }
    }

    pub(crate) fn note(note: &str, message: impl Into<String>) -> Self {
        AccessError::Note { note: note.to_owned(), message: message.into() }
    }
}
