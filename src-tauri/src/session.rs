//! The unlocked vault and what runs over it while the app is open: the ingest queue and the
//! watched import folder. Locking drops all of it: the watcher stops, the queue finishes its
//! jobs in flight, and the vault's keys are wiped when the last reference goes; the import
//! folder is then watched by a locked watcher that seals new files into the vault's inbox
//! (imported at the next unlock).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use coffre_core::intake::ingest::Ingest;
use coffre_core::intake::session::Intake;
use coffre_core::intake::watch::{
    self, WatchConfig, WatchEvent, WatchOptions, WatchState, Watcher,
};
use coffre_core::vault::inbox::IntakeKey;
use coffre_core::{Code, Vault};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::error::ApiError;

/// Files kept in place in the import folder, by relative path: (size, modification time).
type KeptFiles = std::collections::HashMap<PathBuf, (u64, i128)>;

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
            at: coffre_core::storage::audit::now_rfc3339(),
            kind: kind.to_owned(),
            path: path.to_string_lossy().into_owned(),
            detail,
        });
        self.recent.truncate(50);
        // Only a refusal or a retry changes what `Failed/` holds.
        if let Some(folder) = self
            .folder
            .as_ref()
            .filter(|_| matches!(kind, "failed" | "retried"))
        {
            self.failed = watch::failed_files(Path::new(folder), 200);
        }
    }
}

/// An unlocked vault with its queue and watcher (the core's [`Intake`]), and what the
/// import-folder panel shows.
pub struct Session {
    intake: Intake,
    pub watch: Arc<Mutex<WatchInfo>>,
    /// The intake key verified at this unlock and the import folder watched: what a locked
    /// watcher needs, known without waiting for the vault when locking.
    intake_key: IntakeKey,
    folder: Option<WatchConfig>,
}

impl Session {
    /// Starts the ingest queue over `vault` (forwarding its events to the window as `ingest`)
    /// and resumes the remembered import folder, if any.
    /// Files sealed into the inbox while the vault was locked are imported first (the folder's
    /// locked watcher stopped before).
    pub fn start(mut vault: Vault, app: &AppHandle) -> Result<Session, ApiError> {
        app.state::<AppState>().stop_locked_watch();
        let config = vault.watch_config()?;
        let intake_key = vault.intake_key()?;
        // Never a reason not to unlock: what could not be imported stays in the inbox.
        match coffre_core::intake::locked::import_inbox(&mut vault) {
            Ok(inbox) if !inbox.is_empty() => {
                let _ = app.emit("inbox-imported", &inbox);
            }
            Ok(_) => {}
            Err(e) => eprintln!("coffre: files sealed while locked not imported yet: {e}"),
        }
        let intake = Intake::start(vault)?;
        let events = intake.ingest().subscribe();
        let handle = app.clone();
        std::thread::Builder::new()
            .name("ingest-events".into())
            .spawn(move || {
                // Ends when the queue is dropped (its senders go with it).
                for event in events {
                    let _ = handle.emit("ingest", &event);
                }
            })
            .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
        // Jobs a crash left pending are finished now.
        intake.resume(&[])?;
        // The scan for unknown blobs deferred at unlock (they go to quarantine, never deleted):
        // after the first rows are on screen. Blobs are placed only under the vault's lock, so
        // it never races an import.
        let later = Arc::downgrade(intake.vault());
        let _ = std::thread::Builder::new()
            .name("orphan-scan".into())
            .spawn(move || {
                std::thread::sleep(Duration::from_secs(2));
                let result = later.upgrade().map(|v| lock(&v).quarantine_orphan_blobs());
                if let Some(Err(e)) = result {
                    eprintln!("coffre: scan for unknown blobs: {e}");
                }
            });
        let mut session = Session {
            intake,
            watch: Arc::new(Mutex::new(WatchInfo::off(config.as_ref()))),
            intake_key,
            folder: None,
        };
        if let Some(c) = config {
            // A folder that is gone is reported by the watcher itself; other errors too.
            if let Err(e) = session.watch_start(&c, app) {
                lock(&session.watch).health = Health::Error { reason: e.message };
            }
        }
        Ok(session)
    }

    /// The unlocked vault, shared with the queue.
    pub fn vault(&self) -> &Arc<Mutex<Vault>> {
        self.intake.vault()
    }

    pub fn ingest(&self) -> &Arc<Ingest> {
        self.intake.ingest()
    }

    /// Watches `config.folder` (stopping any previous watch).
    pub fn watch_start(&mut self, config: &WatchConfig, app: &AppHandle) -> Result<(), ApiError> {
        *lock(&self.watch) = WatchInfo::off(Some(config));
        self.folder = Some(config.clone());
        let info = self.watch.clone();
        let handle = app.clone();
        let options = WatchOptions {
            after: config.after,
            recursive: config.recursive,
            ..WatchOptions::default()
        };
        self.intake.watch(&config.folder, options, move |event| {
            let snapshot = {
                let mut w = lock(&info);
                w.record(&event);
                w.clone()
            };
            let _ = handle.emit("watch", &snapshot);
        })?;
        Ok(())
    }

    pub fn watch_stop(&mut self) {
        self.folder = None;
        self.intake.unwatch();
        lock(&self.watch).health = Health::Off;
    }

    pub fn watch_info(&self) -> WatchInfo {
        lock(&self.watch).clone()
    }

    /// Stops everything and waits (up to 30 s) for the commands still running on the vault, so
    /// that once this returns the vault is dropped (keys wiped) and its folder unlocked (see
    /// [`Intake::close`]).
    pub fn close(self) {
        drop(self.close_keeping_vault());
    }

    /// What a watcher needs to go on once the vault is locked: the folder, how it is watched,
    /// the intake key verified at this unlock, and the files kept in place the vault remembers.
    /// `None` when no folder is watched. The queue is halted first, so the vault is free soon.
    fn locked_intake(&self) -> Option<(WatchConfig, IntakeKey, KeptFiles)> {
        let config = self.folder.clone()?;
        self.intake.ingest().halt();
        let kept = coffre_core::intake::locked::kept_files(&lock(self.vault()), &config);
        Some((config, self.intake_key.clone(), kept))
    }

    /// [`Session::close`], handing back the vault when nothing else holds it any more (for an
    /// operation that needs it whole, like a master-key rotation).
    pub fn close_keeping_vault(self) -> Option<Vault> {
        lock(&self.watch).health = Health::Off;
        self.intake.close()
    }
}

/// What the app knows before and after unlocking.
pub struct AppState {
    pub dir: PathBuf,
    pub demo_passphrase: Option<String>,
    pub session: Mutex<Option<Session>>,
    /// The owner's last sign of life: `touch` from the UI on input, or an unlock.
    pub last_activity: Mutex<Instant>,
    /// The vault's auto-lock delay, read at unlock and when changed (0: never).
    pub auto_lock_minutes: AtomicU32,
    /// While locked: the import folder's watcher that seals new files into the inbox.
    locked_watch: Mutex<Option<Watcher>>,
    /// Files opened with Coffre while it was locked, imported at the next unlock.
    opened: Mutex<Vec<PathBuf>>,
    /// The last backup time seen while unlocked (for the tray while locked).
    pub last_backup: Mutex<Option<String>>,
}

impl AppState {
    pub fn new(dir: PathBuf, demo_passphrase: Option<String>) -> Self {
        AppState {
            dir,
            demo_passphrase,
            session: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            auto_lock_minutes: AtomicU32::new(coffre_core::vault::DEFAULT_AUTO_LOCK_MINUTES),
            locked_watch: Mutex::new(None),
            opened: Mutex::new(Vec::new()),
            last_backup: Mutex::new(None),
        }
    }

    /// Files opened with Coffre: imported now if unlocked, else at the next unlock.
    pub fn open_files(&self, files: Vec<PathBuf>) {
        if files.is_empty() {
            return;
        }
        lock(&self.opened).extend(files);
        self.import_opened();
    }

    /// Queues the files opened while locked, once unlocked.
    fn import_opened(&self) {
        let Some(ingest) = lock(&self.session).as_ref().map(|s| s.ingest().clone()) else {
            return;
        };
        let files = std::mem::take(&mut *lock(&self.opened));
        if !files.is_empty()
            && let Err(e) = ingest.submit(&files, coffre_core::intake::ingest::Origin::Drop)
        {
            eprintln!("coffre: opened files not imported: {e}");
        }
    }

    /// Locks the vault (if unlocked): the session closes (keys wiped), and an import folder
    /// goes on being watched, each new file sealed into the inbox with the intake key this
    /// session verified. True if it was unlocked.
    pub fn lock_now(&self) -> bool {
        let Some(session) = lock(&self.session).take() else {
            return false;
        };
        let next = session.locked_intake();
        session.close();
        if let Some((config, key, kept)) = next {
            let options = WatchOptions {
                after: config.after,
                recursive: config.recursive,
                ..WatchOptions::default()
            };
            let watch = coffre_core::intake::locked::watch_locked(
                key,
                &config.folder,
                options,
                kept,
                |_| {},
            );
            match watch {
                Ok(w) => {
                    if let Some(old) = lock(&self.locked_watch).replace(w) {
                        old.stop();
                    }
                }
                Err(e) => eprintln!("coffre: import folder not watched while locked: {e}"),
            }
        }
        true
    }

    /// Stops the locked watcher, if any (at unlock, and when the app quits).
    pub fn stop_locked_watch(&self) {
        if let Some(w) = lock(&self.locked_watch).take() {
            w.stop();
        }
    }

    /// The unlocked vault, or the `locked` error. Not activity: the window polls (settings,
    /// pages, progress) without the owner; only `touch`, sent on the owner's input, is.
    pub fn vault(&self) -> Result<Arc<Mutex<Vault>>, ApiError> {
        lock(&self.session)
            .as_ref()
            .map(|s| s.vault().clone())
            .ok_or_else(ApiError::locked)
    }

    pub fn touch(&self) {
        *lock(&self.last_activity) = Instant::now();
    }

    /// Installs an unlocked vault (closing any previous session).
    pub fn open(&self, session: Session, auto_lock_minutes: u32) {
        self.auto_lock_minutes
            .store(auto_lock_minutes, Ordering::Relaxed);
        self.touch();
        if let Some(old) = lock(&self.session).replace(session) {
            old.close();
        }
        self.import_opened();
    }

    /// Locks the vault if the owner has been away longer than the auto-lock delay; true if it
    /// did. The UI locks on its own too; this also covers a hidden window whose timers sleep.
    pub fn lock_if_idle(&self) -> bool {
        let minutes = self.auto_lock_minutes.load(Ordering::Relaxed);
        if minutes == 0
            || lock(&self.last_activity).elapsed() < Duration::from_secs(60 * u64::from(minutes))
        {
            return false;
        }
        self.lock_now()
    }
}
