//! Documents (the core's `records`): the browse table and its totals, categories, one
//! document's detail and bytes, corrections, category, hold and restriction, save-as, printing,
//! and the supplier memory learned from corrections.

use std::path::PathBuf;

use coffre_core::records::direction::Direction;
use coffre_core::records::retention::Category;
use coffre_core::vault::browse::{BrowseQuery, Page, Totals};
use coffre_core::vault::lifecycle::RetentionRow;
use coffre_core::vault::memory::SupplierLayout;
use coffre_core::{AuditEntry, Code, DocumentDetails, Vault};
use serde::Serialize;
use tauri::State;

use super::{Res, with_vault};
use crate::error::ApiError;
use crate::session::AppState;

#[tauri::command]
pub async fn documents_page(
    state: State<'_, AppState>,
    query: BrowseQuery,
    offset: u64,
    limit: u64,
) -> Res<Page> {
    with_vault(&state, move |v| v.browse(&query, offset, limit)).await
}

#[tauri::command]
pub async fn documents_totals(state: State<'_, AppState>, query: BrowseQuery) -> Res<Totals> {
    with_vault(&state, move |v| v.browse_totals(&query)).await
}

#[tauri::command]
pub fn categories() -> Vec<&'static str> {
    Category::ALL.map(Category::as_str).to_vec()
}

#[derive(Serialize)]
pub struct Detail {
    #[serde(flatten)]
    details: DocumentDetails,
    retention: RetentionRow,
    audit: Vec<AuditEntry>,
}

fn detail(v: &Vault, id: &str) -> coffre_core::Result<Detail> {
    let details = v.details(id)?;
    let id = details.document.id.clone();
    let mut audit = v.audit_entries(Some(&id))?;
    audit.reverse();
    Ok(Detail {
        retention: v.retention_of(&id)?,
        audit,
        details,
    })
}

/// Runs `change` on document `id` in the unlocked vault, then answers the document's detail as
/// it now is.
async fn change_document(
    state: &AppState,
    id: String,
    change: impl FnOnce(&mut Vault, &str) -> coffre_core::Result<()> + Send + 'static,
) -> Res<Detail> {
    with_vault(state, move |v| {
        change(v, &id)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_detail(state: State<'_, AppState>, id: String) -> Res<Detail> {
    with_vault(&state, move |v| detail(v, &id)).await
}

/// The text read from a document (text layer or OCR), when there is one.
#[tauri::command]
pub async fn document_text(state: State<'_, AppState>, id: String) -> Res<Option<String>> {
    with_vault(&state, move |v| v.document_text(&id)).await
}

/// The decrypted bytes, sent as a binary IPC response (never a file).
#[tauri::command]
pub async fn document_bytes(state: State<'_, AppState>, id: String) -> Res<tauri::ipc::Response> {
    let bytes = with_vault(&state, move |v| {
        let (_, bytes) = v.read_document(&id)?;
        Ok(bytes.to_vec())
    })
    .await?;
    Ok(tauri::ipc::Response::new(bytes))
}

#[tauri::command]
pub async fn document_correct(
    state: State<'_, AppState>,
    id: String,
    field: String,
    value: Option<String>,
) -> Res<Detail> {
    change_document(&state, id, move |v, id| {
        let value = value.as_deref().map(str::trim).filter(|s| !s.is_empty());
        v.correct(id, &field, value)
    })
    .await
}

/// Purchase, sale or unknown for several documents at once (the table's bulk action); answers
/// how many changed.
#[tauri::command]
pub async fn documents_set_direction(
    state: State<'_, AppState>,
    ids: Vec<String>,
    direction: Direction,
) -> Res<usize> {
    with_vault(&state, move |v| v.set_direction(&ids, direction)).await
}

/// A lifecycle status set by hand (e.g. paid), reached on `at` (now when absent).
#[tauri::command]
pub async fn document_set_status(
    state: State<'_, AppState>,
    id: String,
    status: String,
    at: Option<String>,
    note: Option<String>,
) -> Res<Detail> {
    change_document(&state, id, move |v, id| {
        v.set_status(id, &status, at.as_deref(), note.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn document_set_category(
    state: State<'_, AppState>,
    id: String,
    category: String,
) -> Res<Detail> {
    change_document(&state, id, move |v, id| {
        v.set_category(id, Category::parse(&category)?)
    })
    .await
}

#[tauri::command]
pub async fn document_hold(state: State<'_, AppState>, id: String, reason: String) -> Res<Detail> {
    change_document(&state, id, move |v, id| v.hold(id, &reason)).await
}

#[tauri::command]
pub async fn document_release(state: State<'_, AppState>, id: String) -> Res<Detail> {
    change_document(&state, id, |v, id| v.release(id)).await
}

#[tauri::command]
pub async fn document_restrict(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> Res<Detail> {
    change_document(&state, id, move |v, id| v.restrict(id, &reason)).await
}

#[tauri::command]
pub async fn document_unrestrict(state: State<'_, AppState>, id: String) -> Res<Detail> {
    change_document(&state, id, |v, id| v.unrestrict(id)).await
}

#[tauri::command]
pub async fn document_save_as(state: State<'_, AppState>, id: String, path: PathBuf) -> Res<()> {
    // The core refuses the vault, the import folder and an existing file, and never writes a
    // partial copy.
    with_vault(&state, move |v| v.save_copy(&id, &path).map(|_| ())).await
}

/// Prints what the window holds for printing (the UI has laid out the documents `ids` in its
/// print-only view, from memory): records `document.print` for each, then opens the operating
/// system's print dialog on the web view. No file is written.
#[tauri::command]
pub async fn documents_print(
    state: State<'_, AppState>,
    webview: tauri::Webview,
    ids: Vec<String>,
) -> Res<()> {
    with_vault(&state, move |v| v.record_print(&ids).map(|_| ())).await?;
    webview
        .print()
        .map_err(|e| ApiError::new(Code::Internal, format!("printing: {e}")))
}

#[tauri::command]
pub async fn supplier_memory(state: State<'_, AppState>) -> Res<Vec<SupplierLayout>> {
    with_vault(&state, |v| v.supplier_memory()).await
}

#[tauri::command]
pub async fn supplier_memory_forget(
    state: State<'_, AppState>,
    id: i64,
) -> Res<Vec<SupplierLayout>> {
    with_vault(&state, move |v| {
        v.forget_supplier_layout(id)?;
        v.supplier_memory()
    })
    .await
}
