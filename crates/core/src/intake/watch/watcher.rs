//! The [`Watcher`] handle and its threads: one control thread and a small pool of import
//! workers, and what they share.
//!
//! Promises: a watch starts only on an existing folder; stopping (or dropping) the handle waits
//! for the imports in flight and joins every thread, except when called from the watcher's own
//! threads (the events callback), where it cannot wait for itself; a panicking target or events
//! callback never takes the watcher down.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::control::Core;
use super::policy::handle_job;
use super::scan::Stamp;
use super::{AfterImport, ImportTarget, WatchEvent, WatchOptions, WatchState};
use crate::{Error, Result};

/// A running watch of one folder. Stopping it (with [`Watcher::stop`] or by dropping it) waits for
/// the imports in flight to finish and joins its threads.
pub struct Watcher {
    folder: PathBuf,
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// Starts watching `folder` (which must be an existing folder; it is made absolute, without
    /// resolving symbolic links). Files already in it are candidates at once. `events` is called
    /// from the watcher's threads, one call at a time.
    pub fn start<F>(
        folder: impl AsRef<Path>,
        options: WatchOptions,
        target: Arc<dyn ImportTarget>,
        events: F,
    ) -> Result<Watcher>
    where
        F: Fn(WatchEvent) + Send + 'static,
    {
        let given = folder.as_ref();
        let folder = std::path::absolute(given).map_err(Error::io(given))?;
        let meta = fs::metadata(&folder).map_err(Error::io(&folder))?;
        if !meta.is_dir() {
            return Err(Error::io(&folder)(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a folder",
            )));
        }
        let mut options = options;
        options.max_in_flight = options.max_in_flight.max(1);
        options.poll_tick = options.poll_tick.max(Duration::from_millis(10));
        options.rescan = options.rescan.max(Duration::from_millis(100));

        let shared = Arc::new(Shared {
            folder: folder.clone(),
            after: options.after,
            target,
            events: Mutex::new(Box::new(events)),
            state: Mutex::new(None),
            names: Mutex::new(()),
        });
        let (tx, rx) = mpsc::channel::<Msg>();
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let mut workers = Vec::with_capacity(options.max_in_flight);
        for i in 0..options.max_in_flight {
            let shared = Arc::clone(&shared);
            let job_rx = Arc::clone(&job_rx);
            let done = tx.clone();
            let spawned = thread::Builder::new()
                .name(format!("coffre-watch-import-{i}"))
                .spawn(move || worker(&shared, &job_rx, &done));
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => {
                    drop(job_tx);
                    join_all(workers);
                    return Err(Error::io(&folder)(e));
                }
            }
        }
        let core = Core {
            shared,
            opts: options,
            tx: tx.clone(),
            jobs: Some(job_tx),
            workers,
            watch: None,
            folder_id: None,
            available: true,
            candidates: HashMap::new(),
            in_flight: HashSet::new(),
            kept: HashMap::new(),
            unmovable: HashMap::new(),
            next_rescan: Instant::now(),
            next_tick: Instant::now(),
        };
        // If spawning fails, the closure (and with it the core, its job sender and its worker
        // handles) is dropped: the workers see the closed job channel and end on their own.
        let thread = thread::Builder::new()
            .name("coffre-watch".into())
            .spawn(move || core.run(rx))
            .map_err(Error::io(&folder))?;
        Ok(Watcher {
            folder,
            tx,
            thread: Some(thread),
        })
    }

    /// The watched folder (absolute).
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Stops watching: waits for the imports in flight to finish, then joins the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.tx.send(Msg::Stop);
            // Stopped from the events callback (one of the watcher's own threads): joining would
            // wait for ourselves; the threads end on their own once this call returns.
            if !IN_WATCHER_THREAD.get() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

thread_local! {
    /// Set on the watcher's own threads.
    pub(super) static IN_WATCHER_THREAD: Cell<bool> = const { Cell::new(false) };
}

pub(super) enum Msg {
    Notify(notify::Result<notify::Event>),
    Done(Done),
    Stop,
}

pub(super) struct Job {
    pub(super) path: PathBuf,
    pub(super) rel: PathBuf,
    pub(super) stamp: Stamp,
}

pub(super) struct Done {
    pub(super) path: PathBuf,
    pub(super) stamp: Stamp,
    pub(super) memo: Memo,
}

/// What the control thread must remember about a file after a worker handled it.
pub(super) enum Memo {
    Nothing,
    /// Kept in place (and remembered through the target): skip it while unchanged.
    Kept,
    /// Refused and could not be set aside: skip it while unchanged.
    Unmovable,
}

type EventFn = Box<dyn Fn(WatchEvent) + Send>;

/// What the control thread and the import workers share.
pub(super) struct Shared {
    pub(super) folder: PathBuf,
    pub(super) after: AfterImport,
    pub(super) target: Arc<dyn ImportTarget>,
    pub(super) events: Mutex<EventFn>,
    pub(super) state: Mutex<Option<WatchState>>,
    /// Serialises picking a free name and moving a file there.
    pub(super) names: Mutex<()>,
}

impl Shared {
    pub(super) fn emit(&self, event: WatchEvent) {
        let f = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        // A panicking callback must not take the watcher down with it.
        let _ = catch_unwind(AssertUnwindSafe(|| f(event)));
    }

    /// Reports `state` if it differs from the last one reported.
    pub(super) fn set_state(&self, state: WatchState) {
        let mut last = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if last.as_ref() != Some(&state) {
            *last = Some(state.clone());
            drop(last);
            self.emit(WatchEvent::State { state });
        }
    }

    pub(super) fn recall(&self, rel: &Path) -> Option<(u64, i128)> {
        catch_unwind(AssertUnwindSafe(|| self.target.recall(&self.folder, rel)))
            .ok()
            .flatten()
    }

    pub(super) fn remember(&self, rel: &Path, stamp: Stamp) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            self.target
                .remember(&self.folder, rel, stamp.size, stamp.mtime_ns)
        }));
    }
}

pub(super) fn join_all(handles: Vec<JoinHandle<()>>) {
    for h in handles {
        let _ = h.join();
    }
}

/// An import worker: takes jobs until the job channel closes.
fn worker(shared: &Shared, jobs: &Mutex<Receiver<Job>>, done: &Sender<Msg>) {
    IN_WATCHER_THREAD.set(true);
    loop {
        let job = {
            let rx = jobs.lock().unwrap_or_else(PoisonError::into_inner);
            rx.recv()
        };
        let Ok(job) = job else { return };
        let memo = handle_job(shared, &job);
        let _ = done.send(Msg::Done(Done {
            path: job.path,
            stamp: job.stamp,
            memo,
        }));
    }
}
