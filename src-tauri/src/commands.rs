//! The `#[tauri::command]`s: each takes the managed state, calls the core on a blocking thread
//! and maps the error to [`ApiError`]. No business rule lives here; the UI's mirror of this
//! list is `ui/src/lib/api.ts`.

use std::path::PathBuf;

use coffre_core::intake::ingest::Origin;
use coffre_core::intake::watch::{AfterImport, WatchConfig};
use coffre_core::privacy::requests::{NewRequest, Request, RequestType};
use coffre_core::records::retention::Category;
use coffre_core::sharing::bundle::{
    BundlePreview, BundleRequest, BundleSummary, ExpectedSigner, VerifyBundleReport,
};
use coffre_core::sharing::consent::{Consent, ConsentEntry, Grant};
use coffre_core::vault::browse::{BrowseQuery, Page, Totals};
use coffre_core::vault::lifecycle::{Disposal, RetentionRow, RetentionStatus, Tombstone};
use coffre_core::{
    AuditEntry, ChainReport, CreateOptions, DocumentDetails, Passphrase, QuarantineReport,
    RecoveryKey, Strength, Vault,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::session::{AppState, Session, WatchInfo, lock};

type Res<T> = Result<T, ApiError>;

/// Runs `f` on a blocking thread; a panic becomes an `internal` error instead of crossing.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Res<T> + Send + 'static) -> Res<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new("internal", format!("the operation failed: {e}")))?
}

/// Runs `f` over the unlocked vault on a blocking thread.
async fn with_vault<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Vault) -> coffre_core::Result<T> + Send + 'static,
) -> Res<T> {
    let vault = state.vault()?;
    blocking(move || Ok(f(&mut lock(&vault))?)).await
}

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
            "weak_passphrase",
            "choose a stronger passphrase: four or more unrelated words",
        ))
    }
}

fn open_session(state: &AppState, app: &AppHandle, vault: Vault) -> Res<()> {
    let minutes = vault.auto_lock_minutes()?;
    state.open(Session::start(vault, app)?, minutes);
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
    open_session(&state, &app, vault)?;
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
    open_session(&state, &app, vault)
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
    open_session(&state, &app, vault)
}

#[tauri::command]
pub async fn vault_lock(state: State<'_, AppState>) -> Res<()> {
    let session = lock(&state.session).take();
    if let Some(s) = session {
        blocking(move || {
            s.close();
            Ok(())
        })
        .await?;
    }
    Ok(())
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
                "internal",
                "the vault is still in use; try again".to_owned(),
            )
        })?;
        Ok(vault.rekey(&next)?)
    })
    .await?;
    open_session(&state, &app, vault)?;
    Ok(Created {
        recovery_key: recovery.to_display_string().to_string(),
    })
}

// ---------------------------------------------------------------- documents

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

#[tauri::command]
pub async fn document_detail(state: State<'_, AppState>, id: String) -> Res<Detail> {
    with_vault(&state, move |v| detail(v, &id)).await
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
    with_vault(&state, move |v| {
        let value = value.as_deref().map(str::trim).filter(|s| !s.is_empty());
        v.correct(&id, &field, value)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_set_category(
    state: State<'_, AppState>,
    id: String,
    category: String,
) -> Res<Detail> {
    with_vault(&state, move |v| {
        v.set_category(&id, Category::parse(&category)?)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_hold(state: State<'_, AppState>, id: String, reason: String) -> Res<Detail> {
    with_vault(&state, move |v| {
        v.hold(&id, &reason)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_release(state: State<'_, AppState>, id: String) -> Res<Detail> {
    with_vault(&state, move |v| {
        v.release(&id)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_restrict(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> Res<Detail> {
    with_vault(&state, move |v| {
        v.restrict(&id, &reason)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_unrestrict(state: State<'_, AppState>, id: String) -> Res<Detail> {
    with_vault(&state, move |v| {
        v.unrestrict(&id)?;
        detail(v, &id)
    })
    .await
}

#[tauri::command]
pub async fn document_save_as(state: State<'_, AppState>, id: String, path: PathBuf) -> Res<()> {
    // The core refuses the vault, the import folder and an existing file, and never writes a
    // partial copy.
    with_vault(&state, move |v| v.save_copy(&id, &path).map(|_| ())).await
}

// ---------------------------------------------------------------- import

#[derive(Serialize)]
pub struct Queued {
    jobs: Vec<i64>,
}

#[tauri::command]
pub async fn import_paths(state: State<'_, AppState>, paths: Vec<PathBuf>) -> Res<Queued> {
    let ingest = lock(&state.session)
        .as_ref()
        .ok_or_else(ApiError::locked)?
        .ingest()?
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
    let after: AfterImport = after.parse().map_err(ApiError::invalid)?;
    if !folder.is_dir() {
        return Err(ApiError::invalid(format!(
            "{} is not a folder",
            folder.display()
        )));
    }
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

// ---------------------------------------------------------------- sharing

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

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[tauri::command]
pub async fn consent_grant(state: State<'_, AppState>, grant: GrantInput) -> Res<Consent> {
    with_vault(&state, move |v| {
        let id = v.consent_grant(&Grant {
            party: grant.party,
            purpose: grant.purpose,
            from: blank_to_none(grant.from),
            to: blank_to_none(grant.to),
            categories: grant.categories,
            evidence: blank_to_none(grant.evidence),
        })?;
        v.consents()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| coffre_core::Error::NoSuchDocument(format!("consent {id}")))
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
        .map_err(|e| ApiError::new("io", format!("{}: {e}", path.display())))
}

// ---------------------------------------------------------------- retention, privacy, audit

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

#[tauri::command]
pub async fn requests(state: State<'_, AppState>) -> Res<Vec<Request>> {
    with_vault(&state, |v| v.requests()).await
}

#[derive(Deserialize)]
pub struct NewRequestInput {
    subject: String,
    email: Option<String>,
    kind: RequestType,
    received: Option<String>,
}

fn request_by_id(v: &Vault, id: i64) -> coffre_core::Result<Request> {
    v.request(id)?
        .map(|(r, _)| r)
        .ok_or_else(|| coffre_core::Error::NoSuchDocument(format!("request {id}")))
}

#[tauri::command]
pub async fn request_new(state: State<'_, AppState>, input: NewRequestInput) -> Res<Request> {
    with_vault(&state, move |v| {
        let id = v.request_new(&NewRequest {
            subject: input.subject,
            email: blank_to_none(input.email),
            vat_id: None,
            siren: None,
            kind: input.kind,
            received: blank_to_none(input.received)
                .unwrap_or_else(|| coffre_core::records::retention::today().to_string()),
        })?;
        request_by_id(v, id)
    })
    .await
}

#[tauri::command]
pub async fn request_extend(state: State<'_, AppState>, id: i64, reason: String) -> Res<Request> {
    with_vault(&state, move |v| {
        v.request_extend(id, &reason)?;
        request_by_id(v, id)
    })
    .await
}

#[tauri::command]
pub async fn request_close(state: State<'_, AppState>, id: i64, outcome: String) -> Res<Request> {
    with_vault(&state, move |v| {
        v.request_close(id, &outcome)?;
        request_by_id(v, id)
    })
    .await
}

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

// ---------------------------------------------------------------- settings and backups

#[derive(Serialize)]
pub struct Settings {
    jurisdiction: String,
    fiscal_year_end: String,
    auto_lock_minutes: u32,
    owner_ids: Vec<String>,
    max_import_mb: u64,
    backup: coffre_core::backup::BackupStatus,
}

fn settings(v: &Vault) -> coffre_core::Result<Settings> {
    let policy = v.retention_policy()?;
    Ok(Settings {
        jurisdiction: policy.jurisdiction.as_str().to_owned(),
        fiscal_year_end: format!(
            "{:02}-{:02}",
            policy.fiscal_year_end.0, policy.fiscal_year_end.1
        ),
        auto_lock_minutes: v.auto_lock_minutes()?,
        owner_ids: v
            .retention_setting("owner-ids")?
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        max_import_mb: v.max_import_size()? / (1024 * 1024),
        backup: v.backup_status()?,
    })
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Res<Settings> {
    with_vault(&state, |v| settings(v)).await
}

#[tauri::command]
pub async fn settings_set(
    state: State<'_, AppState>,
    app: AppHandle,
    key: String,
    value: String,
) -> Res<Settings> {
    // A new import limit also reaches the running queue (for the next files), once saved.
    let new_limit = (key == "max_import_mb")
        .then(|| value.trim().parse::<u64>().ok())
        .flatten()
        .map(|mb| mb * 1024 * 1024);
    let settings = with_vault(&state, move |v| {
        let auto_lock = &app.state::<AppState>().auto_lock_minutes;
        let number = |what: &str| {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| coffre_core::Error::Setting {
                    key: what.to_owned(),
                    reason: format!("{value:?} is not a whole number"),
                })
        };
        match key.as_str() {
            "jurisdiction" | "fiscal_year_end" | "owner_ids" => {
                v.set_retention_setting(&key.replace('_', "-"), &value)?
            }
            "auto_lock_minutes" => {
                let minutes = number(&key)?;
                v.set_auto_lock_minutes(minutes)?;
                auto_lock.store(minutes, std::sync::atomic::Ordering::Relaxed);
            }
            "max_import_mb" => v.set_max_import_size(u64::from(number(&key)?) * 1024 * 1024)?,
            "backup_warn_days" => v.set_backup_warn_after_days(number(&key)?)?,
            other => {
                return Err(coffre_core::Error::Setting {
                    key: other.to_owned(),
                    reason: "unknown setting".into(),
                });
            }
        }
        settings(v)
    })
    .await?;
    if let (Some(bytes), Some(Ok(ingest))) = (
        new_limit,
        lock(&state.session).as_ref().map(Session::ingest),
    ) {
        ingest.set_max_size(bytes);
    }
    Ok(settings)
}

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

/// Every command, for the builder.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        passphrase_strength,
        vault_create,
        vault_unlock,
        vault_recover,
        vault_lock,
        touch,
        change_passphrase,
        documents_page,
        documents_totals,
        categories,
        document_detail,
        document_bytes,
        document_correct,
        document_set_category,
        document_hold,
        document_release,
        document_restrict,
        document_unrestrict,
        document_save_as,
        import_paths,
        watch_get,
        watch_set,
        watch_stop,
        consents,
        consent_history,
        consent_grant,
        consent_withdraw,
        bundle_preview,
        bundle_create,
        bundle_verify,
        bundle_password_check,
        bundle_generate_password,
        reveal_in_folder,
        retention_status,
        tombstones,
        dispose,
        requests,
        request_new,
        request_extend,
        request_close,
        audit_entries,
        audit_verify,
        quarantine_get,
        vault_rekey,
        quarantine_reattach,
        quarantine_purge,
        settings_get,
        settings_set,
        backup_now,
    ]
}
