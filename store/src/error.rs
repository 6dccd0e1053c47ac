//! The one error type of the store.

use std::path::PathBuf;

/// Why the audit layer could not do what it was asked. The CLI maps each
/// kind to an exit code (see [`StoreError::kind`]).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing a file or directory failed (disk full, I/O error,
    /// read-only file system, an fsync that failed).
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done, lower case (`write`, `sync directory`, ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another process holds the directory (or an earlier run left it in a
    /// state only a person should resolve).
    #[error("{0}")]
    Locked(String),
    /// The state store cannot be trusted as it is: its log or a segment is
    /// unreadable, damaged or was changed; or a committed run has not
    /// reached it yet. Nothing is written until a person resolves it.
    #[error("{0}")]
    State(String),
    /// Bytes that should be ours are not what they should be (a staged
    /// intent that does not parse, a Parquet file that cannot be encoded).
    #[error("{0}")]
    Corrupt(String),
}

/// The broad class of a [`StoreError`], for mapping to exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// [`StoreError::Io`].
    Io,
    /// [`StoreError::Locked`].
    Locked,
    /// [`StoreError::State`].
    State,
    /// [`StoreError::Corrupt`].
    Corrupt,
}

impl StoreError {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Io { .. } => ErrorKind::Io,
            StoreError::Locked(_) => ErrorKind::Locked,
            StoreError::State(_) => ErrorKind::State,
            StoreError::Corrupt(_) => ErrorKind::Corrupt,
        }
    }

    /// An [`StoreError::Io`] naming `action` and `path`.
    pub fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Adds what was being done, and to which path, to an I/O result.
pub(crate) trait IoContext<T> {
    /// Maps the error to [`StoreError::Io`].
    fn at(self, action: &'static str, path: &std::path::Path) -> Result<T, StoreError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, action: &'static str, path: &std::path::Path) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::io(action, path, e))
    }
}
