//! Sharing: consents (list, history, grant, withdraw), bundles for a recipient (preview,
//! create, verify, password rule and generator), showing a written bundle in its folder, and
//! integrity certificates for an auditor.

use std::path::PathBuf;

use coffre_core::Code;
use coffre_core::sharing::bundle::{
    BundlePreview, BundleRequest, BundleSummary, ExpectedSigner, VerifyBundleReport,
};
use coffre_core::sharing::certificate::{CertifySummary, Lang};
use coffre_core::sharing::consent::{Consent, ConsentEntry, Grant};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use zeroize::Zeroizing;

use super::{Res, blank_to_none, blocking, with_vault};
use crate::error::ApiError;
use crate::session::AppState;

#[tauri::command]
pub async fn consents(state: State<'_, AppState>) -> Res<Vec<Consent>> {
    with_vault(&state, |v| v.consents()).await
}

#[tauri::command]
pub async fn consent_history(state: State<'_, AppState>) -> Res<Vec<ConsentEntry>> {
    with_vault(&state, |v| v.consent_history()).await
}

#[derive(Deserialize)]
pub struct GrantInput {
    party: String,
    purpose: String,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    evidence: Option<String>,
}

#[tauri::command]
pub async fn consent_grant(state: State<'_, AppState>, grant: GrantInput) -> Res<Consent> {
    with_vault(&state, move |v| {
        v.consent_grant(&Grant {
            party: grant.party,
            purpose: grant.purpose,
            from: blank_to_none(grant.from),
            to: blank_to_none(grant.to),
            categories: grant.categories,
            evidence: blank_to_none(grant.evidence),
        })
    })
    .await
}

#[tauri::command]
pub async fn consent_withdraw(
    state: State<'_, AppState>,
    id: i64,
    note: Option<String>,
) -> Res<()> {
    with_vault(&state, move |v| {
        v.consent_withdraw(id, blank_to_none(note).as_deref())
            .map(drop)
    })
    .await
}

#[derive(Deserialize)]
pub struct BundleInput {
    recipient: String,
    purpose: Option<String>,
    period: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    since_last: bool,
    #[serde(default)]
    decimal_comma: bool,
    #[serde(default)]
    preset: coffre_core::sharing::bundle::Preset,
}

impl BundleInput {
    fn request(self, password: Option<String>, out: PathBuf) -> BundleRequest {
        BundleRequest {
            recipient: self.recipient,
            purpose: blank_to_none(self.purpose),
            period: self.period,
            categories: self.categories,
            since_last: self.since_last,
            password: password.filter(|p| !p.is_empty()).map(Zeroizing::new),
            decimal_comma: self.decimal_comma,
            preset: self.preset,
            out,
        }
    }
}

#[derive(Serialize)]
pub struct Preview {
    #[serde(flatten)]
    preview: BundlePreview,
    rows: Vec<coffre_core::vault::browse::Row>,
}

#[tauri::command]
pub async fn bundle_preview(state: State<'_, AppState>, input: BundleInput) -> Res<Preview> {
    with_vault(&state, move |v| {
        let preview = v.bundle_preview(&input.request(None, PathBuf::new()))?;
        let rows = v.browse_rows(&preview.document_ids[..preview.document_ids.len().min(200)])?;
        Ok(Preview { preview, rows })
    })
    .await
}

#[tauri::command]
pub async fn bundle_create(
    state: State<'_, AppState>,
    app: AppHandle,
    input: BundleInput,
    password: Option<String>,
    out: PathBuf,
) -> Res<BundleSummary> {
    // The core refuses an existing file (a bundle sent is a record), the vault and the import
    // folder.
    let req = input.request(password, out);
    with_vault(&state, move |v| {
        if let Some(dir) = req.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| coffre_core::Error::Io {
                path: Some(dir.to_path_buf()),
                source,
            })?;
        }
        v.bundle_create(&req, &mut |p| {
            let _ = app.emit("bundle-progress", &p);
        })
    })
    .await
}

/// Checks a bundle against the unlocked vault's own signing key: a bundle signed by any other
/// key does not verify.
#[tauri::command]
pub async fn bundle_verify(
    state: State<'_, AppState>,
    path: PathBuf,
    password: Option<String>,
) -> Res<VerifyBundleReport> {
    let key = with_vault(&state, |v| v.signing_public_key()).await?;
    let password = password.filter(|p| !p.is_empty()).map(Zeroizing::new);
    blocking(move || {
        Ok(coffre_core::sharing::bundle::bundle_verify(
            &path,
            password.as_deref().map(String::as_str),
            Some(&ExpectedSigner::PublicKey(key)),
        )?)
    })
    .await
}

/// The core's bundle password rule: `weak_password` when refused.
#[tauri::command]
pub fn bundle_password_check(password: String) -> Res<()> {
    let password = Zeroizing::new(password);
    Ok(coffre_core::sharing::bundle::check_password(&password)?)
}

/// A strong bundle password, for the owner to see once and pass on.
#[tauri::command]
pub fn bundle_generate_password() -> Res<String> {
    Ok(coffre_core::sharing::bundle::generate_password()?.to_string())
}

#[tauri::command]
pub fn reveal_in_folder(path: PathBuf) -> Res<()> {
    tauri_plugin_opener::reveal_item_in_dir(&path)
        .map_err(|e| ApiError::new(Code::Io, format!("{}: {e}", path.display())))
}

/// Writes the integrity certificate of documents `ids` to `path` (chosen in a save dialog), in
/// `lang` (`en` or `fr`, the UI's language).
#[tauri::command]
pub async fn documents_certify(
    state: State<'_, AppState>,
    ids: Vec<String>,
    lang: Lang,
    path: String,
) -> Res<CertifySummary> {
    with_vault(&state, move |v| {
        v.certify_to(&ids, lang, &PathBuf::from(path))
    })
    .await
}
