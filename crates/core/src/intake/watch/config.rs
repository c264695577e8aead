//! The import folder remembered in the vault, and the folders the watcher must never be given.
//!
//! Promises: an import folder is refused when watching it would read (and move, delete or set
//! aside) the vault's own files or a backup's: the vault folder or one inside it, or, with
//! sub-folders, a folder holding the vault or the last backup folder; remembering one is checked
//! the same way and audited.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::AfterImport;

/// The import folder the owner chose in the desktop app, remembered in the vault so that
/// watching resumes at the next unlock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchConfig {
    /// The watched folder.
    pub folder: PathBuf,
    /// What to do with a file once imported.
    pub after: AfterImport,
    /// Whether sub-folders are watched too.
    pub recursive: bool,
}

const SETTING_WATCH: &str = "app.watch_folder";

/// `a` is `b` or inside it (paths resolved through symbolic links; a missing path is never
/// inside anything).
use crate::error::{Error, Why};
use crate::vault::outputs::is_within as within;

impl crate::Vault {
    /// Refuses an import folder that would make the watcher read (and move, delete or set
    /// aside) the vault's own files or a backup's: the vault folder or one inside it, or, when
    /// sub-folders are watched, a folder holding the vault or the last backup folder.
    pub fn check_import_folder(&self, folder: &Path, recursive: bool) -> crate::Result<()> {
        let value = folder.display().to_string();
        let refuse = |why: Why| Err(Error::invalid("import folder", why));
        if within(folder, self.dir()) || (recursive && within(self.dir(), folder)) {
            return refuse(Why::OverlapsVault { value });
        }
        if let Some(backup) = self.backup_status()?.folder {
            let backup = Path::new(&backup);
            if within(folder, backup) || (recursive && within(backup, folder)) {
                return refuse(Why::OverlapsBackup { value });
            }
        }
        Ok(())
    }

    /// The remembered import folder, if any.
    pub fn watch_config(&self) -> crate::Result<Option<WatchConfig>> {
        Ok(self
            .raw_setting(SETTING_WATCH)?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Remembers (or, with `None`, forgets) the import folder, which must exist now (a
    /// remembered one that goes missing later is waited for, never forgotten).
    pub fn set_watch_config(&mut self, config: Option<&WatchConfig>) -> crate::Result<()> {
        if let Some(c) = config {
            if !c.folder.is_dir() {
                return Err(Error::invalid(
                    "import folder",
                    Why::NotAFolder {
                        value: c.folder.display().to_string(),
                    },
                ));
            }
            self.check_import_folder(&c.folder, c.recursive)?;
        }
        let value = match config {
            // Fails only on a path that is not valid Unicode.
            Some(c) => serde_json::to_string(c).map_err(|_| {
                Error::invalid(
                    "import folder",
                    Why::NotUnicode {
                        value: c.folder.display().to_string(),
                    },
                )
            })?,
            None => String::new(),
        };
        self.audited("settings.change", None, |tx| {
            crate::storage::index::Index::set_setting(tx, SETTING_WATCH, &value)?;
            Ok((
                (),
                serde_json::json!({ "key": SETTING_WATCH, "value": config }),
            ))
        })
    }
}
