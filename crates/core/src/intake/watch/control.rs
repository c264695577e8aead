//! The control thread: it sleeps until a file-system event, a finished import, a candidate to
//! check or the next rescan, and keeps the watch itself alive.
//!
//! Promises: a full scan runs at start and every rescan period; a missing or unreadable folder
//! becomes [`WatchState::FolderUnavailable`] and is checked again at least every 5 s; the watch is
//! re-created when the folder comes back (or was replaced); a failed watch falls back on rescans
//! and says so; stopping lets the imports in flight finish and joins the workers.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher as _};

use super::scan::{Candidate, Stamp};
use super::watcher::{Done, IN_WATCHER_THREAD, Job, Memo, Msg, Shared, join_all};
use super::{WatchEvent, WatchOptions, WatchState};

/// The longest wait between two checks of a folder that is unavailable.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(5);

/// The control thread's state.
pub(super) struct Core {
    pub(super) shared: Arc<Shared>,
    pub(super) opts: WatchOptions,
    pub(super) tx: Sender<Msg>,
    pub(super) jobs: Option<Sender<Job>>,
    pub(super) workers: Vec<JoinHandle<()>>,
    pub(super) watch: Option<notify::RecommendedWatcher>,
    /// The identity (device, inode) of the folder the watch was made on, to notice a folder
    /// deleted and re-created between two rescans.
    pub(super) folder_id: Option<(u64, u64)>,
    pub(super) available: bool,
    pub(super) candidates: HashMap<PathBuf, Candidate>,
    pub(super) in_flight: HashSet<PathBuf>,
    pub(super) kept: HashMap<PathBuf, Stamp>,
    pub(super) unmovable: HashMap<PathBuf, Stamp>,
    pub(super) next_rescan: Instant,
    pub(super) next_tick: Instant,
}

#[cfg(unix)]
fn folder_identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn folder_identity(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl Core {
    pub(super) fn folder(&self) -> &Path {
        &self.shared.folder
    }

    pub(super) fn run(mut self, rx: Receiver<Msg>) {
        IN_WATCHER_THREAD.set(true);
        self.shared.emit(WatchEvent::Started {
            folder: self.folder().to_path_buf(),
        });
        loop {
            let now = Instant::now();
            if now >= self.next_rescan {
                self.rescan();
            }
            let now = Instant::now();
            if !self.candidates.is_empty() && now >= self.next_tick {
                self.tick();
                self.dispatch();
                self.next_tick = Instant::now() + self.opts.poll_tick;
            }
            let mut deadline = self.next_rescan;
            if !self.candidates.is_empty() {
                deadline = deadline.min(self.next_tick);
            }
            let timeout = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(timeout) {
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Msg::Notify(event)) => self.on_notify(event),
                Ok(Msg::Done(done)) => self.on_done(done),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        self.watch = None;
        self.jobs = None;
        join_all(std::mem::take(&mut self.workers));
        self.shared.emit(WatchEvent::Stopped);
    }

    pub(super) fn schedule_rescan_within(&mut self, delay: Duration) {
        self.next_rescan = self.next_rescan.min(Instant::now() + delay);
    }

    pub(super) fn on_notify(&mut self, event: notify::Result<notify::Event>) {
        let event = match event {
            Ok(e) => e,
            Err(_) => {
                // Lost events, a vanished sub-folder...: let a rescan sort it out.
                self.schedule_rescan_within(self.opts.settle);
                return;
            }
        };
        if event.need_rescan() {
            self.schedule_rescan_within(Duration::ZERO);
        }
        match event.kind {
            // Opening and reading (ours included) change nothing; a writer closing does.
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
            EventKind::Access(_) => return,
            _ => {}
        }
        let folder_gone = matches!(
            event.kind,
            EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
        );
        for path in &event.paths {
            if path == self.folder() {
                if folder_gone {
                    // The folder itself was removed or moved away: this watch is dead, even if a
                    // folder of the same name (maybe with the same inode number) comes back.
                    self.watch = None;
                    self.folder_id = None;
                }
                self.schedule_rescan_within(Duration::ZERO);
            } else {
                self.consider(path, true);
            }
        }
    }

    pub(super) fn on_done(&mut self, done: Done) {
        self.in_flight.remove(&done.path);
        match done.memo {
            Memo::Nothing => {}
            Memo::Kept => {
                self.kept.insert(done.path.clone(), done.stamp);
            }
            Memo::Unmovable => {
                self.unmovable.insert(done.path.clone(), done.stamp);
            }
        }
        // Changed while it was imported? Then it is a candidate again.
        self.consider(&done.path, false);
        self.dispatch();
    }

    /// Checks the folder, (re-)creates the watch if needed, retries changed refused files and
    /// scans everything.
    pub(super) fn rescan(&mut self) {
        let folder = self.folder().to_path_buf();
        let checked = fs::metadata(&folder).and_then(|m| {
            if m.is_dir() {
                fs::read_dir(&folder).map(|_| folder_identity(&m))
            } else {
                Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"))
            }
        });
        let id = match checked {
            Ok(id) => id,
            Err(e) => {
                self.unavailable(format!("{}: {e}", folder.display()));
                return;
            }
        };
        let mut watch_problem = None;
        if self.watch.is_none() || self.folder_id != id || !self.available {
            self.watch = None;
            match self.make_watch() {
                Ok(w) => {
                    self.watch = Some(w);
                    self.folder_id = id;
                }
                Err(e) => watch_problem = Some(e),
            }
        }
        self.available = true;
        self.retry_failed();
        let seen = self.scan_from(folder.clone(), Some(HashSet::new()));
        if let Some(seen) = seen {
            self.kept.retain(|p, _| seen.contains(p));
            self.unmovable.retain(|p, _| seen.contains(p));
        }
        self.next_rescan = Instant::now() + self.opts.rescan;
        match watch_problem {
            Some(e) => self.shared.set_state(WatchState::Error {
                reason: format!(
                    "cannot watch {} ({e}); relying on rescans every {} s",
                    folder.display(),
                    self.opts.rescan.as_secs_f32()
                ),
            }),
            None => self.shared.set_state(WatchState::Watching),
        }
    }

    pub(super) fn unavailable(&mut self, reason: String) {
        self.watch = None;
        self.folder_id = None;
        self.available = false;
        self.candidates.clear();
        self.shared
            .set_state(WatchState::FolderUnavailable { reason });
        self.next_rescan = Instant::now() + self.opts.rescan.min(UNAVAILABLE_RETRY);
    }

    pub(super) fn make_watch(&self) -> notify::Result<notify::RecommendedWatcher> {
        let tx = self.tx.clone();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(Msg::Notify(event));
        })?;
        let mode = if self.opts.recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        watcher.watch(self.folder(), mode)?;
        Ok(watcher)
    }
}
