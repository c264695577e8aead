//! The `#[tauri::command]`s: each takes the managed state, calls the core on a blocking thread
//! and maps the error to [`ApiError`]. No business rule lives here; the UI's mirror of this
//! list is `ui/src/lib/api.ts`.
//!
//! One file per area, named after the core's folders: [`vault`] (create, unlock, lock,
//! passphrase, settings), [`records`] (documents), [`intake`] (import and the watched folder), [`mail`] (mail accounts),
//! [`sharing`] (consents and bundles), [`retention`], [`privacy`] (GDPR requests), [`storage`]
//! (audit chain and quarantine), [`backup`], and [`app`] (the app's own preferences and
//! updates). This file holds what they share and
//! [`handler`], the list the builder registers.

mod app;
mod backup;
mod intake;
pub mod mail;
mod privacy;
mod records;
mod retention;
mod sharing;
mod storage;
mod vault;

use coffre_core::Code;
use coffre_core::Vault;

use crate::error::ApiError;
use crate::session::{AppState, lock};

type Res<T> = Result<T, ApiError>;

/// Runs `f` on a blocking thread; a panic becomes an `internal` error instead of crossing.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Res<T> + Send + 'static) -> Res<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(Code::Internal, format!("the operation failed: {e}")))?
}

/// Runs `f` over the unlocked vault on a blocking thread.
async fn with_vault<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Vault) -> coffre_core::Result<T> + Send + 'static,
) -> Res<T> {
    let vault = state.vault()?;
    blocking(move || Ok(f(&mut lock(&vault))?)).await
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Every command, for the builder.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        vault::app_info,
        vault::passphrase_strength,
        vault::vault_create,
        vault::vault_unlock,
        vault::vault_recover,
        vault::vault_lock,
        vault::touch,
        vault::change_passphrase,
        records::documents_page,
        records::documents_totals,
        records::categories,
        records::document_detail,
        records::document_bytes,
        records::document_text,
        records::document_correct,
        records::supplier_memory,
        records::supplier_memory_forget,
        records::document_set_category,
        records::documents_set_direction,
        records::document_set_status,
        records::document_hold,
        records::document_release,
        records::document_restrict,
        records::document_unrestrict,
        records::document_save_as,
        records::documents_print,
        intake::import_paths,
        intake::watch_get,
        intake::watch_set,
        intake::watch_stop,
        sharing::consents,
        sharing::consent_history,
        sharing::consent_grant,
        sharing::consent_withdraw,
        sharing::bundle_preview,
        sharing::bundle_create,
        sharing::documents_certify,
        sharing::bundle_verify,
        sharing::bundle_password_check,
        sharing::bundle_generate_password,
        sharing::reveal_in_folder,
        retention::retention_status,
        retention::tombstones,
        retention::dispose,
        privacy::requests,
        privacy::request_new,
        privacy::request_extend,
        privacy::request_close,
        storage::audit_entries,
        storage::audit_verify,
        storage::quarantine_get,
        vault::vault_rekey,
        storage::quarantine_reattach,
        storage::quarantine_purge,
        vault::settings_get,
        vault::settings_set,
        backup::backup_now,
        mail::mail_accounts,
        mail::mail_add,
        mail::mail_test,
        mail::mail_fetch,
        mail::mail_remove,
        app::ui_locale,
        app::app_prefs_get,
        app::app_prefs_set,
        app::update_check,
        app::update_install,
    ]
}
