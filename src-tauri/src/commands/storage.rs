//! Storage: the audit chain (pages and verification) and the quarantine of stray blob files.

use coffre_core::{AuditEntry, ChainReport, QuarantineReport};
use tauri::State;

use super::{Res, with_vault};
use crate::session::AppState;

#[tauri::command]
pub async fn audit_entries(
    state: State<'_, AppState>,
    before: Option<i64>,
    limit: u32,
) -> Res<Vec<AuditEntry>> {
    with_vault(&state, move |v| v.audit_page(before, limit.min(1000))).await
}

#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Res<ChainReport> {
    with_vault(&state, |v| v.verify_audit()).await
}

#[tauri::command]
pub async fn quarantine_get(state: State<'_, AppState>) -> Res<QuarantineReport> {
    with_vault(&state, |v| v.quarantine()).await
}

/// Puts back the quarantined files whose document exists again; their ids.
#[tauri::command]
pub async fn quarantine_reattach(state: State<'_, AppState>) -> Res<Vec<String>> {
    with_vault(&state, |v| v.reattach_quarantined()).await
}

/// Deletes every quarantined file that belongs to no document; their ids.
#[tauri::command]
pub async fn quarantine_purge(state: State<'_, AppState>) -> Res<Vec<String>> {
    with_vault(&state, |v| v.purge_quarantine(&[])).await
}
