//! The one wiring of an unlocked vault with what runs over it: the ingest queue and, when asked,
//! a watched import folder. Both shells use it (the CLI's `import` and `watch`, the app's
//! session), so the order of starting and stopping is written once.
//!
//! Promises:
//! - [`Intake::start`] starts the queue over the vault; [`Intake::resume`] re-queues the jobs a
//!   crash or kill left journaled, so nothing offered before is lost;
//! - [`Intake::watch`] refuses a folder that overlaps the vault or the backup folder
//!   ([`Vault::check_import_folder`]) and replaces any previous watch;
//! - [`Intake::close`] halts the queue first (extraction workers are killed, files not yet stored
//!   stay journaled for the next unlock), stops the watcher, finishes the queue, waits up to 30 s
//!   for other holders of the vault, then hands the vault back when it is the last holder
//!   (dropping it wipes the keys).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::Result;
use crate::intake::ingest::{Ingest, QueueTarget};
use crate::intake::watch::{WatchEvent, WatchOptions, Watcher};
use crate::vault::Vault;

/// Locks the shared vault. Every vault change is a transaction, so the data under a poisoned
/// lock is consistent: a panic elsewhere never locks the owner out.
pub fn lock(vault: &Mutex<Vault>) -> MutexGuard<'_, Vault> {
    vault.lock().unwrap_or_else(|p| p.into_inner())
}

/// An unlocked vault with its ingest queue and, optionally, a watched folder.
pub struct Intake {
    vault: Arc<Mutex<Vault>>,
    ingest: Option<Arc<Ingest>>,
    watcher: Option<Watcher>,
}

impl Intake {
    /// Starts the ingest queue over `vault`.
    pub fn start(vault: Vault) -> Result<Intake> {
        let vault = Arc::new(Mutex::new(vault));
        let ingest = Arc::new(Ingest::start(vault.clone(), Ingest::default_workers())?);
        Ok(Intake {
            vault,
            ingest: Some(ingest),
            watcher: None,
        })
    }

    /// The vault, shared with the queue.
    pub fn vault(&self) -> &Arc<Mutex<Vault>> {
        &self.vault
    }

    /// The ingest queue (present until [`Intake::close`]).
    pub fn ingest(&self) -> &Arc<Ingest> {
        self.ingest
            .as_ref()
            .expect("the queue lives until close, which consumes the intake")
    }

    /// Queues again the imports a crash or kill left unfinished, except those of `except`
    /// (about to be submitted anew); returns them.
    pub fn resume(&self, except: &[PathBuf]) -> Result<Vec<(i64, PathBuf)>> {
        self.ingest().resume(except)
    }

    /// Watches `folder` (stopping any previous watch); `on_event` receives every event, on the
    /// watcher's threads.
    pub fn watch(
        &mut self,
        folder: &Path,
        options: WatchOptions,
        on_event: impl Fn(WatchEvent) + Send + 'static,
    ) -> Result<()> {
        self.unwatch();
        lock(&self.vault).check_import_folder(folder, options.recursive)?;
        let target = Arc::new(QueueTarget::new(self.ingest().clone()));
        self.watcher = Some(Watcher::start(folder, options, target, on_event)?);
        Ok(())
    }

    /// Stops watching, if watching.
    pub fn unwatch(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.stop();
        }
    }

    /// Stops everything (see the module's promises) and hands the vault back when nothing else
    /// holds it any more.
    pub fn close(mut self) -> Option<Vault> {
        if let Some(ingest) = &self.ingest {
            ingest.halt();
        }
        self.unwatch();
        if let Some(ingest) = self.ingest.take() {
            match Arc::try_unwrap(ingest) {
                Ok(ingest) => ingest.finish(),
                Err(shared) => drop(shared),
            }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Arc::strong_count(&self.vault) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        Arc::try_unwrap(self.vault)
            .ok()
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
    }
}
