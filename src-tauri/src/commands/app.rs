//! The app itself rather than the vault: its language for the tray and notifications, its
//! preferences (keep in the tray, start at login), and updates.

use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

use super::Res;
use crate::error::ApiError;
use crate::prefs::PrefsFile;
use crate::updates::{self, Available};

/// The UI's language changed (or the window started): the tray and notifications follow.
#[tauri::command]
pub fn ui_locale(lang: String) {
    crate::texts::set_locale(&lang);
}

#[derive(Serialize)]
pub struct AppPrefs {
    /// Closing the window keeps Coffre running in the tray.
    close_to_tray: bool,
    /// Coffre starts (in the tray) when the owner logs in.
    autostart: bool,
}

fn prefs(app: &AppHandle, file: &PrefsFile) -> AppPrefs {
    AppPrefs {
        close_to_tray: file.get().close_to_tray,
        autostart: app.autolaunch().is_enabled().unwrap_or(false),
    }
}

#[tauri::command]
pub fn app_prefs_get(app: AppHandle, file: State<'_, PrefsFile>) -> AppPrefs {
    prefs(&app, &file)
}

#[tauri::command]
pub fn app_prefs_set(
    app: AppHandle,
    file: State<'_, PrefsFile>,
    close_to_tray: Option<bool>,
    autostart: Option<bool>,
) -> Res<AppPrefs> {
    let io = |e: String| ApiError::new(coffre_core::Code::Io, e);
    if let Some(keep) = close_to_tray {
        file.update(|p| p.close_to_tray = keep)
            .map_err(|e| io(e.to_string()))?;
    }
    match autostart {
        Some(true) => app.autolaunch().enable().map_err(|e| io(e.to_string()))?,
        Some(false) => app.autolaunch().disable().map_err(|e| io(e.to_string()))?,
        None => {}
    }
    Ok(prefs(&app, &file))
}

/// Looks for an update now; what it offers, if anything (installing is [`update_install`]).
#[tauri::command]
pub async fn update_check(app: AppHandle) -> Res<Option<Available>> {
    updates::check_now(&app).await
}

/// Installs the update the last check found (refused while a job runs), then restarts.
#[tauri::command]
pub async fn update_install(app: AppHandle) -> Res<()> {
    updates::install(&app).await
}
