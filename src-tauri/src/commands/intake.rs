//! Intake: files and folders dropped on the window go to the ingest queue; the watched import
//! folder is read, set and stopped.

use std::path::PathBuf;

use coffre_core::intake::ingest::Origin;
use coffre_core::intake::watch::{AfterImport, WatchConfig};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use super::{Res, blocking, with_vault};
use crate::error::ApiError;
use crate::session::{AppState, WatchInfo, lock};

#[derive(Serialize)]
pub struct Queued {
    jobs: Vec<i64>,
}

#[tauri::command]
pub async fn import_paths(state: State<'_, AppState>, paths: Vec<PathBuf>) -> Res<Queued> {
    let ingest = lock(&state.session)
        .as_ref()
        .ok_or_else(ApiError::locked)?
        .ingest()
        .clone();
    blocking(move || {
        // Folders are walked; unreadable entries come back as failed jobs through the queue.
        let files: Vec<PathBuf> = coffre_core::intake::ingest::collect_files(&paths)
            .into_iter()
            .map(|r| r.unwrap_or_else(|(p, _)| p))
            .collect();
        Ok(Queued {
            jobs: ingest.submit(&files, Origin::Drop)?,
        })
    })
    .await
}

#[tauri::command]
pub fn watch_get(state: State<'_, AppState>) -> Res<WatchInfo> {
    Ok(lock(&state.session)
        .as_ref()
        .ok_or_else(ApiError::locked)?
        .watch_info())
}

#[tauri::command]
pub async fn watch_set(
    state: State<'_, AppState>,
    app: AppHandle,
    folder: PathBuf,
    after: String,
    recursive: bool,
) -> Res<WatchInfo> {
    let after: AfterImport = after.parse()?;
    let config = WatchConfig {
        folder,
        after,
        recursive,
    };
    let remembered = config.clone();
    // Checked (not the vault, not a backup) and remembered first, then started.
    with_vault(&state, move |v| v.set_watch_config(Some(&remembered))).await?;
    blocking(move || {
        let state = app.state::<AppState>();
        let mut guard = lock(&state.session);
        let session = guard.as_mut().ok_or_else(ApiError::locked)?;
        session.watch_start(&config, &app)?;
        Ok(session.watch_info())
    })
    .await
}

#[tauri::command]
pub async fn watch_stop(state: State<'_, AppState>, app: AppHandle) -> Res<WatchInfo> {
    with_vault(&state, |v| v.set_watch_config(None)).await?;
    blocking(move || {
        let state = app.state::<AppState>();
        let mut guard = lock(&state.session);
        let session = guard.as_mut().ok_or_else(ApiError::locked)?;
        session.watch_stop();
        Ok(session.watch_info())
    })
    .await
}
