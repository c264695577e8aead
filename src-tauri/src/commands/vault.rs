//! The vault itself: what the start screen needs, create, unlock, recover and lock, the
//! passphrase (strength, change, rekey), the owner's activity for auto-lock, and the settings.

use std::sync::atomic::Ordering;

use coffre_core::Code;
use coffre_core::storage::settings::Setting;
use coffre_core::{CreateOptions, Passphrase, RecoveryKey, Strength, Vault};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use zeroize::Zeroizing;

use super::{Res, blocking, with_vault};
use crate::error::ApiError;
use crate::session::{AppState, Session, lock};

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    vault_dir: String,
    vault_exists: bool,
    unlocked: bool,
    demo: bool,
    demo_passphrase: Option<String>,
    default_export_dir: String,
    path_separator: String,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        vault_dir: state.dir.to_string_lossy().into_owned(),
        vault_exists: state.dir.join("vault.json").exists(),
        unlocked: lock(&state.session).is_some(),
        demo: state.demo_passphrase.is_some(),
        demo_passphrase: state.demo_passphrase.clone(),
        default_export_dir: dirs::document_dir()
            .or_else(dirs::home_dir)
            .unwrap_or_else(std::env::temp_dir)
            .to_string_lossy()
            .into_owned(),
        path_separator: std::path::MAIN_SEPARATOR.to_string(),
    }
}

#[tauri::command]
pub fn passphrase_strength(passphrase: String) -> Strength {
    Passphrase::new(passphrase).strength()
}

/// The app's rule for a new passphrase: strong enough to recommend (see `Passphrase::strength`).
fn strong_enough(pass: &Passphrase) -> Res<()> {
    if pass.strength().acceptable {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::WeakPassphrase,
            "choose a stronger passphrase: four or more unrelated words",
        ))
    }
}

/// Starts the session on a blocking thread (it imports what arrived while locked first).
async fn open_session(state: &AppState, app: &AppHandle, vault: Vault) -> Res<()> {
    let minutes = vault.auto_lock_minutes()?;
    let handle = app.clone();
    let session = blocking(move || Session::start(vault, &handle)).await?;
    state.open(session, minutes);
    Ok(())
}

/// The owner is active (the UI calls this on input, at most every 30 s).
#[tauri::command]
pub fn touch(state: State<'_, AppState>) {
    state.touch();
}

#[derive(Serialize)]
pub struct Created {
    recovery_key: String,
}

#[tauri::command]
pub async fn vault_create(
    state: State<'_, AppState>,
    app: AppHandle,
    passphrase: String,
) -> Res<Created> {
    let pass = Passphrase::new(passphrase);
    strong_enough(&pass)?;
    let dir = state.dir.clone();
    let (vault, recovery) =
        blocking(move || Ok(Vault::create(&dir, &pass, &CreateOptions::default())?)).await?;
    let recovery_key = recovery.to_display_string().to_string();
    open_session(&state, &app, vault).await?;
    Ok(Created { recovery_key })
}

#[tauri::command]
pub async fn vault_unlock(
    state: State<'_, AppState>,
    app: AppHandle,
    passphrase: String,
) -> Res<()> {
    let pass = Passphrase::new(passphrase);
    let dir = state.dir.clone();
    // The scan for orphan blobs runs once the first screen is up (Session::start).
    let options = coffre_core::OpenOptions {
        defer_orphan_scan: true,
        ..Default::default()
    };
    let vault = blocking(move || Ok(Vault::open_with(&dir, &pass, &options)?)).await?;
    open_session(&state, &app, vault).await
}

#[tauri::command]
pub async fn vault_recover(
    state: State<'_, AppState>,
    app: AppHandle,
    recovery_key: String,
    new_passphrase: String,
) -> Res<()> {
    let key = Zeroizing::new(recovery_key);
    let pass = Passphrase::new(new_passphrase);
    strong_enough(&pass)?;
    let dir = state.dir.clone();
    let vault = blocking(move || {
        let recovery = RecoveryKey::parse(&key)?;
        let mut vault = Vault::open_with_recovery_key(&dir, &recovery)?;
        vault.change_passphrase(&pass)?;
        Ok(vault)
    })
    .await?;
    open_session(&state, &app, vault).await
}

#[tauri::command]
pub async fn vault_lock(app: AppHandle) -> Res<()> {
    blocking(move || {
        app.state::<AppState>().lock_now();
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn change_passphrase(
    state: State<'_, AppState>,
    current: String,
    next: String,
) -> Res<()> {
    let (current, next) = (Passphrase::new(current), Passphrase::new(next));
    strong_enough(&next)?;
    with_vault(&state, move |v| {
        v.check_passphrase(&current)?;
        v.change_passphrase(&next)
    })
    .await
}

/// Rotates the master key (new passphrase, new recovery key, shown once): the session is
/// closed, the vault rotated, and a new session opened on it.
#[tauri::command]
pub async fn vault_rekey(
    state: State<'_, AppState>,
    app: AppHandle,
    current: String,
    next: String,
) -> Res<Created> {
    let (current, next) = (Passphrase::new(current), Passphrase::new(next));
    strong_enough(&next)?;
    with_vault(&state, move |v| v.check_passphrase(&current)).await?;
    let session = lock(&state.session).take().ok_or_else(ApiError::locked)?;
    let (vault, recovery) = blocking(move || {
        let vault = session.close_keeping_vault().ok_or_else(|| {
            ApiError::new(
                Code::Internal,
                "the vault is still in use; try again".to_owned(),
            )
        })?;
        Ok(vault.rekey(&next)?)
    })
    .await?;
    open_session(&state, &app, vault).await?;
    Ok(Created {
        recovery_key: recovery.to_display_string().to_string(),
    })
}

/// The settings screen's data: every setting, and the backup situation it reminds of.
#[derive(Serialize)]
pub struct Settings {
    #[serde(flatten)]
    settings: coffre_core::storage::settings::Settings,
    backup: coffre_core::backup::BackupStatus,
}

fn settings(v: &Vault) -> coffre_core::Result<Settings> {
    Ok(Settings {
        settings: v.settings()?,
        backup: v.backup_status()?,
    })
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Res<Settings> {
    with_vault(&state, |v| settings(v)).await
}

/// Changes one setting, named as the CLI names it (`max-import-size`, `auto-lock-minutes`...),
/// from the user's text; the running auto-lock and import queue follow at once.
#[tauri::command]
pub async fn settings_set(state: State<'_, AppState>, key: String, value: String) -> Res<Settings> {
    let setting = Setting::parse(&key)?;
    let view = with_vault(&state, move |v| {
        v.set_setting(setting, &value)?;
        settings(v)
    })
    .await?;
    match setting {
        Setting::AutoLockMinutes => state
            .auto_lock_minutes
            .store(view.settings.auto_lock_minutes, Ordering::Relaxed),
        Setting::MaxImportSize => {
            if let Some(ingest) = lock(&state.session).as_ref().map(Session::ingest) {
                ingest.set_max_size(view.settings.max_import_size);
            }
        }
        _ => {}
    }
    Ok(view)
}
