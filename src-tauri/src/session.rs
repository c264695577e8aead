//! The unlocked vault and what runs over it while the app is open: the ingest queue and the
//! watched import folder. Locking drops all of it: the watcher stops, the queue finishes its
//! jobs in flight, and the vault's keys are wiped when the last reference goes.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use coffre_core::Vault;
use coffre_core::ingest::{Ingest, QueueTarget};
use coffre_core::watch::{self, WatchConfig, WatchEvent, WatchOptions, WatchState, Watcher};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::error::ApiError;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every vault change is a transaction: the data under a poisoned lock is consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The health of the import folder, as the UI shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Health {
    Off,
    Watching,
    FolderUnavailable { reason: String },
    Error { reason: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentEvent {
    pub at: String,
    pub kind: String,
    pub path: String,
    pub detail: Option<String>,
}

/// What the import-folder panel shows (`WatchInfo` in ui/src/lib/api.ts).
#[derive(Debug, Clone, Serialize)]
pub struct WatchInfo {
    pub folder: Option<String>,
    pub after: watch::AfterImport,
    pub recursive: bool,
    pub health: Health,
    pub imported: u64,
    pub duplicates: u64,
    pub failed: Vec<watch::FailedFile>,
    pub recent: VecDeque<RecentEvent>,
}

impl WatchInfo {
    fn off(config: Option<&WatchConfig>) -> Self {
        WatchInfo {
            folder: config.map(|c| c.folder.to_string_lossy().into_owned()),
            after: config.map(|c| c.after).unwrap_or_default(),
            recursive: config.is_some_and(|c| c.recursive),
            health: Health::Off,
            imported: 0,
            duplicates: 0,
            failed: config.map_or_else(Vec::new, |c| watch::failed_files(&c.folder, 200)),
            recent: VecDeque::new(),
        }
    }

    fn record(&mut self, event: &WatchEvent) {
        let (kind, path, detail) = match event {
            WatchEvent::Imported { path, .. } => {
                self.imported += 1;
                ("imported", path, None)
            }
            WatchEvent::Duplicate { path, .. } => {
                self.duplicates += 1;
                ("duplicate", path, None)
            }
            WatchEvent::Failed { path, reason, .. } => ("failed", path, Some(reason.clone())),
            WatchEvent::Retried { path, .. } => ("retried", path, None),
            WatchEvent::State { state } => {
                self.health = match state {
                    WatchState::Watching => Health::Watching,
                    WatchState::FolderUnavailable { reason } => Health::FolderUnavailable {
                        reason: reason.clone(),
                    },
                    WatchState::Error { reason } => Health::Error {
                        reason: reason.clone(),
                    },
                };
                return;
            }
            WatchEvent::Started { .. } => {
                self.health = Health::Watching;
                return;
            }
            WatchEvent::Stopped => {
                self.health = Health::Off;
                return;
            }
            _ => return,
        };
        self.recent.push_front(RecentEvent {
            at: coffre_core::audit::now_rfc3339(),
            kind: kind.to_owned(),
            path: path.to_string_lossy().into_owned(),
            detail,
        });
        self.recent.truncate(50);
        if let Some(folder) = self.folder.as_ref().filter(|_| kind != "imported") {
            self.failed = watch::failed_files(Path::new(folder), 200);
        }
    }
}

/// An unlocked vault with its queue and watcher.
pub struct Session {
    pub vault: Arc<Mutex<Vault>>,
    ingest: Option<Arc<Ingest>>,
    watcher: Option<Watcher>,
    pub watch: Arc<Mutex<WatchInfo>>,
}

impl Session {
    /// Starts the ingest queue over `vault` (forwarding its events to the window as `ingest`)
    /// and resumes the remembered import folder, if any.
    pub fn start(vault: Vault, app: &AppHandle) -> Result<Session, ApiError> {
        let config = vault.watch_config()?;
        let vault = Arc::new(Mutex::new(vault));
        let ingest = Arc::new(Ingest::start(vault.clone(), Ingest::default_workers())?);
        let events = ingest.subscribe();
        let handle = app.clone();
        std::thread::Builder::new()
            .name("ingest-events".into())
            .spawn(move || {
                // Ends when the queue is dropped (its senders go with it).
                for event in events {
                    let _ = handle.emit("ingest", &event);
                }
            })
            .map_err(|e| ApiError::new("internal", e.to_string()))?;
        // Jobs a crash left pending are finished now.
        ingest.resume(&[])?;
        let mut session = Session {
            vault,
            ingest: Some(ingest),
            watcher: None,
            watch: Arc::new(Mutex::new(WatchInfo::off(config.as_ref()))),
        };
        if let Some(c) = config {
            // A folder that is gone is reported by the watcher itself; other errors too.
            if let Err(e) = session.watch_start(&c, app) {
                lock(&session.watch).health = Health::Error { reason: e.message };
            }
        }
        Ok(session)
    }

    pub fn ingest(&self) -> Result<&Arc<Ingest>, ApiError> {
        self.ingest.as_ref().ok_or_else(ApiError::locked)
    }

    /// Watches `config.folder` (stopping any previous watch).
    pub fn watch_start(&mut self, config: &WatchConfig, app: &AppHandle) -> Result<(), ApiError> {
        self.watch_stop();
        *lock(&self.watch) = WatchInfo::off(Some(config));
        let target = Arc::new(QueueTarget::new(self.ingest()?.clone()));
        let info = self.watch.clone();
        let handle = app.clone();
        let options = WatchOptions {
            after: config.after,
            recursive: config.recursive,
            ..WatchOptions::default()
        };
        let watcher = Watcher::start(&config.folder, options, target, move |event| {
            let snapshot = {
                let mut w = lock(&info);
                w.record(&event);
                w.clone()
            };
            let _ = handle.emit("watch", &snapshot);
        })?;
        self.watcher = Some(watcher);
        Ok(())
    }

    pub fn watch_stop(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.stop();
        }
        lock(&self.watch).health = Health::Off;
    }

    pub fn watch_info(&self) -> WatchInfo {
        lock(&self.watch).clone()
    }

    /// Stops everything; the vault is dropped (keys wiped, lock released) once the last job
    /// holding it ends.
    pub fn close(mut self) {
        self.watch_stop();
        if let Some(ingest) = self.ingest.take() {
            match Arc::try_unwrap(ingest) {
                Ok(ingest) => ingest.finish(),
                Err(shared) => drop(shared),
            }
        }
    }
}

/// What the app knows before and after unlocking.
pub struct AppState {
    pub dir: PathBuf,
    pub demo_passphrase: Option<String>,
    pub session: Mutex<Option<Session>>,
}

impl AppState {
    /// The unlocked vault, or the `locked` error.
    pub fn vault(&self) -> Result<Arc<Mutex<Vault>>, ApiError> {
        lock(&self.session)
            .as_ref()
            .map(|s| s.vault.clone())
            .ok_or_else(ApiError::locked)
    }
}
