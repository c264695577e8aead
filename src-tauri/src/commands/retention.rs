//! Retention: the status of every document against its retention period, the tombstones left
//! by disposals, and disposal itself.

use coffre_core::vault::lifecycle::{Disposal, RetentionStatus, Tombstone};
use tauri::State;

use super::{Res, blank_to_none, with_vault};
use crate::session::AppState;

#[tauri::command]
pub async fn retention_status(state: State<'_, AppState>) -> Res<RetentionStatus> {
    with_vault(&state, |v| v.retention_status(None)).await
}

#[tauri::command]
pub async fn tombstones(state: State<'_, AppState>) -> Res<Vec<Tombstone>> {
    with_vault(&state, |v| v.tombstones()).await
}

#[tauri::command]
pub async fn dispose(
    state: State<'_, AppState>,
    ids: Vec<String>,
    early_reason: Option<String>,
) -> Res<Vec<Disposal>> {
    with_vault(&state, move |v| {
        v.dispose(&ids, false, blank_to_none(early_reason).as_deref(), None)
    })
    .await
}
