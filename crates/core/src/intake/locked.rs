//! The watched folder while the vault is locked: each stable file is sealed into the vault's
//! inbox with the intake public key ([`IntakeKey::seal_file`]), then kept, moved or deleted by
//! the folder's policy like an imported one; the next unlock imports the inbox
//! ([`crate::vault::Vault::import_inbox`]).
//!
//! Promises: the watcher hands a file to [`SealTarget`] only once it is complete, and acts on the
//! plaintext only after the sealed file is durable; a file the sealer refuses (too large, a
//! link, unreadable) goes to `Failed/` with the reason, as when unlocked. Under the `keep`
//! policy, files sealed are remembered in memory only (nothing about them is written in clear):
//! after a restart they are sealed again and found duplicates at the unlock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::Result;
use crate::intake::watch::{FileOutcome, ImportTarget, WatchEvent, WatchOptions, Watcher};
use crate::vault::inbox::IntakeKey;

/// Seals the watched folder's files into the inbox.
pub struct SealTarget {
    key: IntakeKey,
    folder: PathBuf,
    kept: Mutex<HashMap<PathBuf, (u64, i128)>>,
}

impl ImportTarget for SealTarget {
    fn import(&self, path: &Path) -> std::result::Result<FileOutcome, String> {
        self.key
            .seal_file(&self.folder, path)
            .map(FileOutcome::Imported)
            .map_err(|e| e.to_string())
    }

    fn recall(&self, _folder: &Path, rel: &Path) -> Option<(u64, i128)> {
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(rel)
            .copied()
    }

    fn remember(&self, _folder: &Path, rel: &Path, size: u64, mtime_ns: i128) {
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rel.to_path_buf(), (size, mtime_ns));
    }
}

/// Watches `folder` while the vault is locked, sealing to `key`. The folder must have been
/// checked against the vault ([`crate::vault::Vault::check_import_folder`]) while unlocked.
pub fn watch_locked(
    key: IntakeKey,
    folder: &Path,
    options: WatchOptions,
    on_event: impl Fn(WatchEvent) + Send + 'static,
) -> Result<Watcher> {
    let target = Arc::new(SealTarget {
        key,
        folder: folder.to_path_buf(),
        kept: Mutex::new(HashMap::new()),
    });
    Watcher::start(folder, options, target, on_event)
}
