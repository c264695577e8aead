//! The watched folder while the vault is locked: each stable file is sealed into the vault's
//! inbox with the intake public key ([`IntakeKey::seal_file`]), then kept, moved or deleted by
//! the folder's policy like an imported one; the next unlock imports the inbox
//! ([`crate::vault::Vault::import_inbox`]).
//!
//! Promises: the watcher hands a file to [`SealTarget`] only once it is complete, and acts on the
//! plaintext only after the sealed file is durable; a file the sealer refuses (too large, a
//! link, unreadable) goes to `Failed/` with the reason, as when unlocked. Under the `keep`
//! policy, the files the vault already remembers are known from the start ([`kept_files`],
//! read while unlocked) and files sealed are remembered in memory only (nothing about them is
//! written in clear): after a restart those are sealed again and found duplicates at the unlock.
//! [`import_inbox`] is the one import of the inbox both shells run at unlock: a file refused for
//! good goes to the `Failed/` of the folder it came from, like a file refused while unlocked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::Result;
use crate::intake::watch::{
    FAILED_DIR, FileOutcome, IMPORTED_DIR, ImportTarget, WatchConfig, WatchEvent, WatchOptions,
    Watcher, set_aside,
};
use crate::vault::Vault;
use crate::vault::inbox::{InboxItem, IntakeKey};

/// What the vault remembers of the files kept in place in the import folder (`keep` policy), by
/// path relative to it: read while unlocked, so that locking does not seal them all again.
pub fn kept_files(vault: &Vault, config: &WatchConfig) -> HashMap<PathBuf, (u64, i128)> {
    let mut kept = HashMap::new();
    let depth = if config.recursive { usize::MAX } else { 1 };
    let folder_text = config.folder.to_string_lossy();
    let walk = walkdir::WalkDir::new(&config.folder)
        .min_depth(1)
        .max_depth(depth)
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1 || (e.file_name() != IMPORTED_DIR && e.file_name() != FAILED_DIR)
        });
    for entry in walk.flatten().filter(|e| e.file_type().is_file()) {
        let Ok(rel) = entry.path().strip_prefix(&config.folder) else {
            continue;
        };
        if let Ok(Some(stamp)) = vault.watch_recall(&folder_text, &rel.to_string_lossy()) {
            kept.insert(rel.to_path_buf(), stamp);
        }
    }
    kept
}

/// Imports the inbox ([`Vault::import_inbox`]), setting aside in the `Failed/` of the folder a
/// file came from what is refused for good (kept in the inbox when that folder is gone).
pub fn import_inbox(vault: &mut Vault) -> Result<Vec<InboxItem>> {
    vault.import_inbox(&|folder, name, bytes, reason| {
        if !folder.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not there any more",
                folder.display()
            )));
        }
        set_aside(folder, name, bytes, reason)
    })
}

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

/// Watches `folder` while the vault is locked, sealing to `key`; `kept` is what
/// [`kept_files`] read. The folder must have been checked against the vault
/// ([`Vault::check_import_folder`]) while unlocked.
pub fn watch_locked(
    key: IntakeKey,
    folder: &Path,
    options: WatchOptions,
    kept: HashMap<PathBuf, (u64, i128)>,
    on_event: impl Fn(WatchEvent) + Send + 'static,
) -> Result<Watcher> {
    let target = Arc::new(SealTarget {
        key,
        folder: folder.to_path_buf(),
        kept: Mutex::new(kept),
    });
    Watcher::start(folder, options, target, on_event)
}
