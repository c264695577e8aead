//! The app's own preferences, kept outside the vault because they matter while it is locked:
//! whether closing the window keeps Coffre in the tray, and when updates were last looked for.
//! A small JSON file in the app's configuration folder, written atomically; nothing secret.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The preferences (see the module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Closing the window hides it and Coffre keeps running in the tray (watching the import
    /// folder, backing up on schedule); off: closing quits.
    pub close_to_tray: bool,
    /// When updates were last looked for (RFC 3339), at most once a day.
    pub last_update_check: Option<String>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            close_to_tray: true,
            last_update_check: None,
        }
    }
}

/// The preferences and their file.
pub struct PrefsFile {
    path: Option<PathBuf>,
    current: Mutex<Prefs>,
}

impl PrefsFile {
    /// Reads `path` (defaults when it is missing or unreadable); `None`: kept in memory only.
    pub fn load(path: Option<PathBuf>) -> Self {
        let current = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        PrefsFile {
            path,
            current: Mutex::new(current),
        }
    }

    pub fn get(&self) -> Prefs {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes the preferences and writes them.
    pub fn update(&self, change: impl FnOnce(&mut Prefs)) -> std::io::Result<Prefs> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut current);
        if let Some(path) = &self.path {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let json = serde_json::to_vec_pretty(&*current).map_err(std::io::Error::other)?;
            coffre_core::support::files::write_atomic(path, &json)
                .map_err(std::io::Error::other)?;
        }
        Ok(current.clone())
    }
}
