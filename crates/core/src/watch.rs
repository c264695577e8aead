//! The watched import folder: files that scanners, browsers and sync clients write into a folder
//! are imported exactly once, when complete, and then kept, moved or deleted by the folder's
//! policy; files that cannot be stored are set aside in `Failed/` with the reason.
//!
//! The watcher knows nothing of the vault: it hands stable files to an [`ImportTarget`] and acts
//! on the outcome. (The watcher itself is being written; this is its interface.)

use std::path::Path;

/// What became of one file handed to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Stored durably as a new document (its id).
    Imported(String),
    /// The same content was already in the vault (its id).
    Duplicate(String),
}

/// Where the watcher sends stable files. Implemented by the ingest queue over the vault; by a
/// fake in tests.
pub trait ImportTarget: Send + Sync + 'static {
    /// Imports the file at `path` durably (blocking until it is stored or refused). `Err` carries
    /// a reason a person can read (too large, unreadable, vanished, disk full...).
    fn import(&self, path: &Path) -> Result<FileOutcome, String>;
    /// The (size, modification time in ns since the epoch) recorded when `rel` in `folder` was
    /// last handled under the `keep` policy, if any.
    fn recall(&self, folder: &Path, rel: &Path) -> Option<(u64, i128)>;
    /// Records that `rel` in `folder`, of this size and modification time, was handled (`keep`
    /// policy: never import it again unless it changes).
    fn remember(&self, folder: &Path, rel: &Path, size: u64, mtime_ns: i128);
}
