//! Backups: a backup of the vault written now to a chosen folder.

use std::path::PathBuf;

use tauri::State;

use super::{Res, with_vault};
use crate::session::AppState;

#[tauri::command]
pub async fn backup_now(
    state: State<'_, AppState>,
    folder: PathBuf,
) -> Res<coffre_core::backup::BackupSummary> {
    with_vault(&state, move |v| {
        v.backup_create(&folder, &coffre_core::backup::Rotation::default())
    })
    .await
}
