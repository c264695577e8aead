//! The watched import folder: files that scanners, browsers and sync clients write into a folder
//! are imported exactly once, when complete, and then kept, moved or deleted by the folder's
//! policy; files that cannot be stored are set aside in `Failed/` with the reason.
//!
//! The watcher knows nothing of the vault: it hands stable files to an [`ImportTarget`] and acts
//! on the outcome.
//!
//! # What the watcher promises
//!
//! * **Complete files only.** File-system events only make a path a *candidate*. A candidate is
//!   handed to the target once its size and modification time have not changed for
//!   [`WatchOptions::settle`] (the timer restarts on every change or write event) and it can be
//!   opened for reading.
//! * **Exactly once, or set aside.** After the target returns [`FileOutcome::Imported`] or
//!   [`FileOutcome::Duplicate`], the file is kept (and remembered through
//!   [`ImportTarget::remember`], so that neither rescans nor a restart import it again unless its
//!   size or modification time changes), moved to `Imported/YYYY-MM/` or deleted, per
//!   [`AfterImport`]. When the target refuses it, it is moved to `Failed/NAME` next to a
//!   `Failed/NAME.reason.txt` that says why and when. Existing files are never overwritten: a
//!   taken name gets ` (2)`, ` (3)`... before its extension. If moving after a successful import
//!   fails, the file is kept and remembered instead (and a [`WatchState::Error`] says why), so it
//!   is still never imported twice. If moving a refused file fails (read-only folder), the file
//!   is left in place and not retried until it changes.
//! * **Nothing missed.** A full scan runs at start and every [`WatchOptions::rescan`] as a safety
//!   net for network shares and lost events; renames into the folder (a browser finishing
//!   `x.pdf.crdownload` → `x.pdf`) are seen like new files.
//! * **Litter ignored.** Names ending in `.part`, `.crdownload` or `.tmp`, names starting with
//!   `~$`, hidden names (starting with `.`, which covers `.DS_Store`; hidden folders are not
//!   entered either), `Thumbs.db` and `desktop.ini`, directories, symbolic links, and the
//!   watcher's own `Imported/` and `Failed/` folders at the top of the watched folder.
//! * **Retry of refused files.** At each rescan, a file in `Failed/` whose modification time is
//!   newer than its `.reason.txt` (edit it, or just `touch` it) is moved back to the top of the
//!   watched folder (with a unique name) and its reason file is removed; it then goes through
//!   the normal path again. Files in `Failed/` without a reason file are left alone.
//! * **Keeps running.** A missing or unreadable folder, a failed watch or a failed move becomes a
//!   [`WatchEvent::State`] event; the watcher keeps rescanning, re-creates its watch when the
//!   folder comes back and reports [`WatchState::Watching`] again.
//! * **Writes nothing it does not need.** With [`AfterImport::Keep`], nothing is written into the
//!   folder unless an import is refused, so a read-only folder works.
//! * **Quiet when idle.** The control thread sleeps on a channel until an event arrives, a
//!   candidate needs checking (every [`WatchOptions::poll_tick`]) or the next rescan is due. Up to
//!   [`WatchOptions::max_in_flight`] imports run at once on a small pool of threads.
//!
//! Known limits: a file rewritten *while* the target reads it (after it had been stable for the
//! whole settle time) may be stored in its earlier state; the watcher then does not move or
//! delete it and imports the new content as well. A crash between a successful import and the
//! policy action leads to a [`FileOutcome::Duplicate`] at the next start, handled like a success.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher as _};
use serde::{Deserialize, Serialize, Serializer};

use crate::{Error, Result};

/// The folder (at the top of the watched folder) that imported files are moved to.
pub const IMPORTED_DIR: &str = "Imported";
/// The folder (at the top of the watched folder) that refused files are moved to.
pub const FAILED_DIR: &str = "Failed";
/// The suffix of the file, next to a refused file in `Failed/`, that says why it was refused.
pub const REASON_SUFFIX: &str = ".reason.txt";

/// How deep a recursive scan goes below the watched folder.
const MAX_DEPTH: usize = 64;
/// How many times a stable file that cannot be opened is waited for before the target is asked
/// anyway (and refuses it with a readable reason).
const MAX_OPEN_FAILURES: u32 = 5;
/// The longest wait between two checks of a folder that is unavailable.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(5);

/// What became of one file handed to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Stored durably as a new document (its id).
    Imported(String),
    /// The same content was already in the vault (its id).
    Duplicate(String),
    /// Not imported now (the vault is locking): the file is left as it is, for a later scan.
    Deferred,
}

/// Where the watcher sends stable files. Implemented by the ingest queue over the vault; by a
/// fake in tests.
pub trait ImportTarget: Send + Sync + 'static {
    /// Imports the file at `path` durably (blocking until it is stored or refused). `Err` carries
    /// a reason a person can read (too large, unreadable, vanished, disk full...).
    fn import(&self, path: &Path) -> Result<FileOutcome, String>;
    /// The (size, modification time in ns since the epoch) recorded when `rel` in `folder` was
    /// last handled under the `keep` policy, if any.
    fn recall(&self, folder: &Path, rel: &Path) -> Option<(u64, i128)>;
    /// Records that `rel` in `folder`, of this size and modification time, was handled (`keep`
    /// policy: never import it again unless it changes).
    fn remember(&self, folder: &Path, rel: &Path, size: u64, mtime_ns: i128);
}

/// What the watcher does with a file once the target has stored it (or found it a duplicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterImport {
    /// Leave it where it is; remember it (through the target) so that it is not imported again
    /// unless it changes. Writes nothing into the folder.
    #[default]
    Keep,
    /// Move it to `Imported/YYYY-MM/` (UTC month of the import) in the watched folder.
    Move,
    /// Delete it.
    Delete,
}

impl FromStr for AfterImport {
    type Err = String;

    /// Parses `keep`, `move` or `delete` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Ok(AfterImport::Keep),
            "move" => Ok(AfterImport::Move),
            "delete" => Ok(AfterImport::Delete),
            other => Err(format!(
                "unknown after-import policy {other:?} (expected keep, move or delete)"
            )),
        }
    }
}

impl fmt::Display for AfterImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AfterImport::Keep => "keep",
            AfterImport::Move => "move",
            AfterImport::Delete => "delete",
        })
    }
}

/// How a folder is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOptions {
    /// What to do with a file once imported.
    pub after: AfterImport,
    /// How long a file's size and modification time must stay unchanged before it is imported
    /// (default 2 s).
    pub settle: Duration,
    /// Whether sub-folders are watched too (default: no).
    pub recursive: bool,
    /// How often the whole folder is scanned again, as a safety net for missed events (default
    /// 60 s; at least 100 ms). An unavailable folder is checked at least every 5 s.
    pub rescan: Duration,
    /// How often candidate files are checked while some are waiting to settle (default 200 ms;
    /// at least 10 ms). Nothing is checked while there are no candidates.
    pub poll_tick: Duration,
    /// How many imports may run at once (default 4; 0 is taken as 1).
    pub max_in_flight: usize,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            after: AfterImport::Keep,
            settle: Duration::from_secs(2),
            recursive: false,
            rescan: Duration::from_secs(60),
            poll_tick: Duration::from_millis(200),
            max_in_flight: 4,
        }
    }
}

/// What was done with an imported file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HandledAction {
    /// Left in place and remembered.
    Kept,
    /// Moved to `Imported/YYYY-MM/`.
    Moved,
    /// Deleted.
    Deleted,
}

/// The health of a watch, reported when it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WatchState {
    /// The folder is watched and scanned normally.
    Watching,
    /// The folder is missing, not a folder or cannot be read; the watcher retries.
    FolderUnavailable {
        /// Why, for a person.
        reason: String,
    },
    /// Something went wrong (watch not possible, a move failed, disk full...); the watcher keeps
    /// running and reports [`WatchState::Watching`] again at the next successful rescan.
    Error {
        /// Why, for a person.
        reason: String,
    },
}

/// Something the watcher did or noticed, for a log line, a JSON line or a desktop notification.
///
/// Serialises (serde) as an object tagged by `kind` (`started`, `seen`, `imported`...); paths are
/// strings (lossily converted when not UTF-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WatchEvent {
    /// The watcher started on this folder (absolute path).
    Started {
        /// The watched folder.
        #[serde(serialize_with = "ser_path")]
        folder: PathBuf,
    },
    /// A file became a candidate: it will be imported once it is stable.
    Seen {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
    },
    /// The target stored the file as a new document.
    Imported {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// The new document's id.
        id: String,
    },
    /// The target already had this content.
    Duplicate {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// The existing document's id.
        id: String,
    },
    /// The target refused the file.
    Failed {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// The target's reason.
        reason: String,
        /// Where it was set aside in `Failed/`; `None` when it could not be moved (it is then
        /// left in place and not retried until it changes).
        #[serde(serialize_with = "ser_opt_path")]
        moved_to: Option<PathBuf>,
    },
    /// The after-import policy was applied to an imported (or duplicate) file.
    Handled {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// What was done.
        action: HandledAction,
        /// Where it went, when moved.
        #[serde(serialize_with = "ser_opt_path")]
        to: Option<PathBuf>,
    },
    /// A refused file that changed in `Failed/` was moved back into the folder to be tried again.
    Retried {
        /// The file in `Failed/`.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// Where it now is in the watched folder.
        #[serde(serialize_with = "ser_path")]
        to: PathBuf,
    },
    /// The health of the watch changed.
    State {
        /// The new state.
        state: WatchState,
    },
    /// The watcher stopped (after its in-flight imports finished).
    Stopped,
}

fn ser_path<P: AsRef<Path>, S: Serializer>(path: &P, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.as_ref().to_string_lossy())
}

fn ser_opt_path<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => s.serialize_some(&*p.to_string_lossy()),
        None => s.serialize_none(),
    }
}

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
    static IN_WATCHER_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A file's size and modification time: what "unchanged" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    mtime_ns: i128,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            size: meta.len(),
            mtime_ns: meta.modified().map(system_time_ns).unwrap_or(0),
        }
    }
}

fn system_time_ns(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => i128::try_from(e.duration().as_nanos()).map_or(i128::MIN, |n| -n),
    }
}

/// The stamp of a regular file (not following symbolic links), if it is one.
fn file_stamp(path: &Path) -> Option<Stamp> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Some(Stamp::of(&m)),
        _ => None,
    }
}

enum Msg {
    Notify(notify::Result<notify::Event>),
    Done(Done),
    Stop,
}

struct Job {
    path: PathBuf,
    rel: PathBuf,
    stamp: Stamp,
}

struct Done {
    path: PathBuf,
    stamp: Stamp,
    memo: Memo,
}

/// What the control thread must remember about a file after a worker handled it.
enum Memo {
    Nothing,
    /// Kept in place (and remembered through the target): skip it while unchanged.
    Kept,
    /// Refused and could not be set aside: skip it while unchanged.
    Unmovable,
}

type EventFn = Box<dyn Fn(WatchEvent) + Send>;

/// What the control thread and the import workers share.
struct Shared {
    folder: PathBuf,
    after: AfterImport,
    target: Arc<dyn ImportTarget>,
    events: Mutex<EventFn>,
    state: Mutex<Option<WatchState>>,
    /// Serialises picking a free name and moving a file there.
    names: Mutex<()>,
}

impl Shared {
    fn emit(&self, event: WatchEvent) {
        let f = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        // A panicking callback must not take the watcher down with it.
        let _ = catch_unwind(AssertUnwindSafe(|| f(event)));
    }

    /// Reports `state` if it differs from the last one reported.
    fn set_state(&self, state: WatchState) {
        let mut last = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if last.as_ref() != Some(&state) {
            *last = Some(state.clone());
            drop(last);
            self.emit(WatchEvent::State { state });
        }
    }

    fn recall(&self, rel: &Path) -> Option<(u64, i128)> {
        catch_unwind(AssertUnwindSafe(|| self.target.recall(&self.folder, rel)))
            .ok()
            .flatten()
    }

    fn remember(&self, rel: &Path, stamp: Stamp) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            self.target
                .remember(&self.folder, rel, stamp.size, stamp.mtime_ns)
        }));
    }
}

fn join_all(handles: Vec<JoinHandle<()>>) {
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

/// Imports one stable file and applies the policy to it.
fn handle_job(shared: &Shared, job: &Job) -> Memo {
    let outcome = catch_unwind(AssertUnwindSafe(|| shared.target.import(&job.path)))
        .unwrap_or_else(|_| Err("the import failed unexpectedly (internal error)".to_owned()));
    let event = match outcome {
        Ok(FileOutcome::Deferred) => return Memo::Nothing,
        Ok(FileOutcome::Imported(id)) => WatchEvent::Imported {
            path: job.path.clone(),
            id,
        },
        Ok(FileOutcome::Duplicate(id)) => WatchEvent::Duplicate {
            path: job.path.clone(),
            id,
        },
        Err(reason) => return after_failure(shared, job, reason),
    };
    shared.emit(event);
    after_success(shared, job)
}

fn keep(shared: &Shared, job: &Job) -> Memo {
    shared.remember(&job.rel, job.stamp);
    shared.emit(WatchEvent::Handled {
        path: job.path.clone(),
        action: HandledAction::Kept,
        to: None,
    });
    Memo::Kept
}

fn after_success(shared: &Shared, job: &Job) -> Memo {
    if shared.after == AfterImport::Keep {
        return keep(shared, job);
    }
    if file_stamp(&job.path) != Some(job.stamp) {
        // Changed (or gone) while the target read it: do not move or delete what may be newer
        // content; if it is still there it becomes a candidate again.
        return Memo::Nothing;
    }
    let result = if shared.after == AfterImport::Move {
        let dir = shared
            .folder
            .join(IMPORTED_DIR)
            .join(year_month(time::OffsetDateTime::now_utc()));
        move_unique(&job.path, &dir, &shared.names, false).map(Some)
    } else {
        fs::remove_file(&job.path).map(|()| None)
    };
    match result {
        Ok(to) => {
            let action = if to.is_some() {
                HandledAction::Moved
            } else {
                HandledAction::Deleted
            };
            shared.emit(WatchEvent::Handled {
                path: job.path.clone(),
                action,
                to,
            });
            Memo::Nothing
        }
        Err(e) => {
            let verb = if shared.after == AfterImport::Move {
                "move it to Imported/"
            } else {
                "delete it"
            };
            shared.set_state(WatchState::Error {
                reason: format!(
                    "{} was imported but the watcher could not {verb} ({e}); it is kept in place",
                    job.path.display()
                ),
            });
            keep(shared, job)
        }
    }
}

fn after_failure(shared: &Shared, job: &Job, reason: String) -> Memo {
    if file_stamp(&job.path).is_none() {
        // Vanished: nothing to set aside.
        shared.emit(WatchEvent::Failed {
            path: job.path.clone(),
            reason,
            moved_to: None,
        });
        return Memo::Nothing;
    }
    let failed_dir = shared.folder.join(FAILED_DIR);
    match move_unique(&job.path, &failed_dir, &shared.names, true) {
        Ok(to) => {
            if let Err(e) = write_reason(&to, &job.rel, &reason) {
                shared.set_state(WatchState::Error {
                    reason: format!("could not write the reason file for {}: {e}", to.display()),
                });
            }
            shared.emit(WatchEvent::Failed {
                path: job.path.clone(),
                reason,
                moved_to: Some(to),
            });
            Memo::Nothing
        }
        Err(e) => {
            shared.set_state(WatchState::Error {
                reason: format!(
                    "could not set {} aside in {FAILED_DIR}/ ({e}); it is left in place until it changes",
                    job.path.display()
                ),
            });
            shared.emit(WatchEvent::Failed {
                path: job.path.clone(),
                reason,
                moved_to: None,
            });
            Memo::Unmovable
        }
    }
}

fn year_month(t: time::OffsetDateTime) -> String {
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

fn reason_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(REASON_SUFFIX);
    PathBuf::from(s)
}

/// Writes `FILE.reason.txt` next to a refused file; its modification time is never older than the
/// file's, so that only a later change of the file means "retry".
fn write_reason(file: &Path, rel: &Path, reason: &str) -> io::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.to_string());
    let text = format!(
        "{reason}\n\nFile: {}\nRefused at: {stamp} (UTC)\n\nTo try again, change or touch the file \
         in this folder: the watcher moves it back at its next rescan.\n",
        rel.display()
    );
    let path = reason_path(file);
    fs::write(&path, text)?;
    if let Ok(file_mtime) = fs::metadata(file).and_then(|m| m.modified())
        && file_mtime > SystemTime::now()
    {
        fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(file_mtime)?;
    }
    Ok(())
}

/// `name` with ` (n)` before its extension (`n` > 1).
fn numbered(name: &std::ffi::OsStr, n: u32) -> OsString {
    if n <= 1 {
        return name.to_owned();
    }
    let p = Path::new(name);
    let mut out = p.file_stem().unwrap_or(name).to_owned();
    out.push(format!(" ({n})"));
    if let (Some(ext), Some(_)) = (p.extension(), p.file_stem()) {
        out.push(".");
        out.push(ext);
    }
    out
}

/// Moves `src` into `dir` (created if needed) under its own name, or the first free numbered
/// variant; never overwrites. `with_reason`: the name's `.reason.txt` must be free too.
fn move_unique(src: &Path, dir: &Path, lock: &Mutex<()>, with_reason: bool) -> io::Result<PathBuf> {
    let name = src
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    fs::create_dir_all(dir)?;
    let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    for n in 1..=10_000 {
        let candidate = dir.join(numbered(name, n));
        if fs::symlink_metadata(&candidate).is_ok()
            || (with_reason && fs::symlink_metadata(reason_path(&candidate)).is_ok())
        {
            continue;
        }
        // A hard link fails if the name is taken, even by another process; then the original
        // goes. Where links are not supported, rename after the check above.
        match fs::hard_link(src, &candidate) {
            Ok(()) => {
                if let Err(e) = fs::remove_file(src) {
                    let _ = fs::remove_file(&candidate);
                    return Err(e);
                }
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
            Err(_) => {
                fs::rename(src, &candidate)?;
                return Ok(candidate);
            }
        }
    }
    Err(io::Error::other(format!(
        "no free name for {} in {}",
        name.to_string_lossy(),
        dir.display()
    )))
}

/// Whether a file or folder name is never imported (nor entered).
fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || lower.ends_with(".part")
        || lower.ends_with(".crdownload")
        || lower.ends_with(".tmp")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
}

/// A file waiting to become stable.
struct Candidate {
    stamp: Stamp,
    /// When its stamp last changed (or a write event was seen).
    since: Instant,
    ready: bool,
    open_failures: u32,
}

/// The control thread's state.
struct Core {
    shared: Arc<Shared>,
    opts: WatchOptions,
    tx: Sender<Msg>,
    jobs: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    watch: Option<notify::RecommendedWatcher>,
    /// The identity (device, inode) of the folder the watch was made on, to notice a folder
    /// deleted and re-created between two rescans.
    folder_id: Option<(u64, u64)>,
    available: bool,
    candidates: HashMap<PathBuf, Candidate>,
    in_flight: HashSet<PathBuf>,
    kept: HashMap<PathBuf, Stamp>,
    unmovable: HashMap<PathBuf, Stamp>,
    next_rescan: Instant,
    next_tick: Instant,
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
    fn folder(&self) -> &Path {
        &self.shared.folder
    }

    fn run(mut self, rx: Receiver<Msg>) {
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

    fn schedule_rescan_within(&mut self, delay: Duration) {
        self.next_rescan = self.next_rescan.min(Instant::now() + delay);
    }

    fn on_notify(&mut self, event: notify::Result<notify::Event>) {
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

    fn on_done(&mut self, done: Done) {
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

    /// The path relative to the folder, if it is one the watcher may import (or enter).
    fn eligible<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        let rel = path.strip_prefix(self.folder()).ok()?;
        let mut count = 0;
        for (i, c) in rel.components().enumerate() {
            let Component::Normal(name) = c else {
                return None;
            };
            let name = name.to_string_lossy();
            if is_ignored_name(&name) || (i == 0 && (name == IMPORTED_DIR || name == FAILED_DIR)) {
                return None;
            }
            count += 1;
        }
        if count == 0 || (!self.opts.recursive && count > 1) || count > MAX_DEPTH {
            return None;
        }
        Some(rel)
    }

    /// Makes `path` a candidate if it is an eligible regular file not already handled.
    fn consider(&mut self, path: &Path, from_event: bool) {
        if !self.available || self.in_flight.contains(path) {
            return;
        }
        let Some(rel) = self.eligible(path) else {
            return;
        };
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        if meta.is_dir() {
            if from_event && self.opts.recursive {
                // A folder moved or copied in: its files raise no events of their own.
                self.scan_from(path.to_path_buf(), None);
            }
            return;
        }
        if !meta.is_file() {
            return;
        }
        let stamp = Stamp::of(&meta);
        let now = Instant::now();
        if let Some(c) = self.candidates.get_mut(path) {
            if from_event || c.stamp != stamp {
                c.stamp = stamp;
                c.since = now;
                c.ready = false;
            }
            return;
        }
        if self.kept.get(path) == Some(&stamp) || self.unmovable.get(path) == Some(&stamp) {
            return;
        }
        if let Some((size, mtime_ns)) = self.shared.recall(rel)
            && size == stamp.size
            && mtime_ns == stamp.mtime_ns
        {
            self.kept.insert(path.to_path_buf(), stamp);
            return;
        }
        if self.candidates.is_empty() {
            self.next_tick = now + self.opts.poll_tick;
        }
        self.candidates.insert(
            path.to_path_buf(),
            Candidate {
                stamp,
                since: now,
                ready: false,
                open_failures: 0,
            },
        );
        self.shared.emit(WatchEvent::Seen {
            path: path.to_path_buf(),
        });
    }

    /// Checks every candidate: forgets vanished ones, restarts the settle timer of changed ones,
    /// marks the others ready once settled.
    fn tick(&mut self) {
        let now = Instant::now();
        let settle = self.opts.settle;
        self.candidates.retain(|path, c| match file_stamp(path) {
            None => false,
            Some(s) if s != c.stamp => {
                c.stamp = s;
                c.since = now;
                c.ready = false;
                true
            }
            Some(_) => {
                if now.duration_since(c.since) >= settle {
                    c.ready = true;
                }
                true
            }
        });
    }

    /// Hands ready candidates to the workers, oldest first, while there is room.
    fn dispatch(&mut self) {
        while self.in_flight.len() < self.opts.max_in_flight {
            let next = self
                .candidates
                .iter()
                .filter(|(_, c)| c.ready)
                .min_by_key(|(_, c)| c.since)
                .map(|(p, _)| p.clone());
            let Some(path) = next else { return };
            let Some(mut c) = self.candidates.remove(&path) else {
                return;
            };
            match file_stamp(&path) {
                None => continue,
                Some(s) if s != c.stamp => {
                    c.stamp = s;
                    c.since = Instant::now();
                    c.ready = false;
                    self.candidates.insert(path, c);
                    continue;
                }
                Some(_) => {}
            }
            if fs::File::open(&path).is_err() && c.open_failures < MAX_OPEN_FAILURES {
                // Still locked by its writer (Windows), or unreadable: wait another settle time,
                // a few times, then let the target refuse it with a reason.
                c.open_failures += 1;
                c.since = Instant::now();
                c.ready = false;
                self.candidates.insert(path, c);
                continue;
            }
            let Some(rel) = self.eligible(&path).map(Path::to_path_buf) else {
                continue;
            };
            let Some(jobs) = &self.jobs else { return };
            self.in_flight.insert(path.clone());
            let job = Job {
                path: path.clone(),
                rel,
                stamp: c.stamp,
            };
            if jobs.send(job).is_err() {
                self.in_flight.remove(&path);
                return;
            }
        }
    }

    /// Checks the folder, (re-)creates the watch if needed, retries changed refused files and
    /// scans everything.
    fn rescan(&mut self) {
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

    fn unavailable(&mut self, reason: String) {
        self.watch = None;
        self.folder_id = None;
        self.available = false;
        self.candidates.clear();
        self.shared
            .set_state(WatchState::FolderUnavailable { reason });
        self.next_rescan = Instant::now() + self.opts.rescan.min(UNAVAILABLE_RETRY);
    }

    fn make_watch(&self) -> notify::Result<notify::RecommendedWatcher> {
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

    /// Considers every file under `start` (only `start` itself when not recursive). With `seen`,
    /// returns the regular files found.
    fn scan_from(
        &mut self,
        start: PathBuf,
        mut seen: Option<HashSet<PathBuf>>,
    ) -> Option<HashSet<PathBuf>> {
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if self.opts.recursive && self.eligible(&path).is_some() {
                        stack.push(path);
                    }
                } else if kind.is_file() {
                    self.consider(&path, false);
                    if let Some(seen) = seen.as_mut() {
                        seen.insert(path);
                    }
                }
            }
        }
        seen
    }

    /// Moves files of `Failed/` that changed since they were refused back into the folder.
    fn retry_failed(&mut self) {
        let failed_dir = self.folder().join(FAILED_DIR);
        let Ok(entries) = fs::read_dir(&failed_dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(REASON_SUFFIX) || name.starts_with('.') {
                continue;
            }
            if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                continue;
            }
            let reason = reason_path(&path);
            let (Ok(file_mtime), Ok(reason_mtime)) = (
                entry.metadata().and_then(|m| m.modified()),
                fs::metadata(&reason).and_then(|m| m.modified()),
            ) else {
                continue;
            };
            if file_mtime <= reason_mtime {
                continue;
            }
            let folder = self.folder().to_path_buf();
            match move_unique(&path, &folder, &self.shared.names, false) {
                Ok(to) => {
                    let _ = fs::remove_file(&reason);
                    self.shared.emit(WatchEvent::Retried {
                        path: path.clone(),
                        to: to.clone(),
                    });
                    self.consider(&to, false);
                }
                Err(e) => self.shared.set_state(WatchState::Error {
                    reason: format!("could not move {} back to retry it: {e}", path.display()),
                }),
            }
        }
    }
}

/// A file the watcher set aside in `Failed/`, with the first line of its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    /// Its name in `Failed/`.
    pub name: String,
    /// Why it was refused (the first line of `NAME.reason.txt`; empty when that file is gone).
    pub reason: String,
}

/// The files set aside in `folder/Failed/`, by name (at most `limit`; reason files of at most
/// 64 KiB are read).
pub fn failed_files(folder: &Path, limit: usize) -> Vec<FailedFile> {
    let Ok(entries) = fs::read_dir(folder.join(FAILED_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<FailedFile> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (!name.ends_with(REASON_SUFFIX) && !name.starts_with('.')).then(|| {
                let reason = fs::File::open(reason_path(&e.path()))
                    .and_then(|f| {
                        let mut text = String::new();
                        io::Read::read_to_string(&mut io::Read::take(f, 64 * 1024), &mut text)
                            .map(|_| text)
                    })
                    .map(|t| t.lines().next().unwrap_or_default().to_owned())
                    .unwrap_or_default();
                FailedFile { name, reason }
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.truncate(limit);
    out
}

/// The import folder the owner chose in the desktop app, remembered in the vault so that
/// watching resumes at the next unlock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchConfig {
    /// The watched folder.
    pub folder: PathBuf,
    /// What to do with a file once imported.
    pub after: AfterImport,
    /// Whether sub-folders are watched too.
    pub recursive: bool,
}

const SETTING_WATCH: &str = "app.watch_folder";

/// `a` is `b` or inside it (paths resolved through symbolic links; a missing path is never
/// inside anything).
use crate::vault::outputs::is_within as within;

impl crate::Vault {
    /// Refuses an import folder that would make the watcher read (and move, delete or set
    /// aside) the vault's own files or a backup's: the vault folder or one inside it, or, when
    /// sub-folders are watched, a folder holding the vault or the last backup folder.
    pub fn check_import_folder(&self, folder: &Path, recursive: bool) -> crate::Result<()> {
        let refuse = |what: &str| {
            Err(crate::Error::Setting {
                key: "import folder".into(),
                reason: format!("{} {what}: choose a folder of its own", folder.display()),
            })
        };
        if within(folder, self.dir()) {
            return refuse("is inside the vault");
        }
        if recursive && within(self.dir(), folder) {
            return refuse("holds the vault in a sub-folder");
        }
        if let Some(backup) = self.backup_status()?.folder {
            let backup = Path::new(&backup);
            if within(folder, backup) || (recursive && within(backup, folder)) {
                return refuse("is or holds the backup folder");
            }
        }
        Ok(())
    }

    /// The remembered import folder, if any.
    pub fn watch_config(&self) -> crate::Result<Option<WatchConfig>> {
        Ok(self
            .index
            .setting(SETTING_WATCH)?
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Remembers (or, with `None`, forgets) the import folder.
    pub fn set_watch_config(&mut self, config: Option<&WatchConfig>) -> crate::Result<()> {
        if let Some(c) = config {
            self.check_import_folder(&c.folder, c.recursive)?;
        }
        let value = match config {
            Some(c) => serde_json::to_string(c).map_err(|e| crate::Error::Setting {
                key: SETTING_WATCH.into(),
                reason: e.to_string(),
            })?,
            None => String::new(),
        };
        self.audited("settings.change", None, |tx| {
            crate::storage::index::Index::set_setting(tx, SETTING_WATCH, &value)?;
            Ok((
                (),
                serde_json::json!({ "key": SETTING_WATCH, "value": config }),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_import_parses_and_displays() {
        for (s, p) in [
            ("keep", AfterImport::Keep),
            ("Move", AfterImport::Move),
            (" DELETE ", AfterImport::Delete),
        ] {
            assert_eq!(s.parse::<AfterImport>(), Ok(p));
            assert_eq!(p.to_string().parse::<AfterImport>(), Ok(p));
        }
        assert!("archive".parse::<AfterImport>().is_err());
    }

    #[test]
    fn ignored_names() {
        for name in [
            "x.pdf.part",
            "x.pdf.crdownload",
            "x.PDF.CRDOWNLOAD",
            "scan.tmp",
            "~$invoice.docx",
            ".hidden.pdf",
            ".DS_Store",
            "Thumbs.db",
            "thumbs.db",
            "desktop.ini",
        ] {
            assert!(is_ignored_name(name), "{name} should be ignored");
        }
        for name in ["invoice.pdf", "part.pdf", "tmp", "a~$b.pdf", "Imported.pdf"] {
            assert!(!is_ignored_name(name), "{name} should not be ignored");
        }
    }

    #[test]
    fn numbered_names() {
        let n = |s: &str, i| numbered(std::ffi::OsStr::new(s), i);
        assert_eq!(n("a.pdf", 1), "a.pdf");
        assert_eq!(n("a.pdf", 2), "a (2).pdf");
        assert_eq!(n("a.tar.gz", 3), "a.tar (3).gz");
        assert_eq!(n("README", 2), "README (2)");
    }

    #[test]
    fn move_unique_never_overwrites() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let dest = dir.path().join("out");
        fs::create_dir_all(&dest)?;
        fs::write(dest.join("a.pdf"), "old")?;
        fs::write(dest.join("a (2).pdf.reason.txt"), "why")?;
        let lock = Mutex::new(());
        let src = dir.path().join("a.pdf");
        fs::write(&src, "new")?;
        let to = move_unique(&src, &dest, &lock, false)?;
        assert_eq!(to, dest.join("a (2).pdf"));
        assert_eq!(fs::read_to_string(dest.join("a.pdf"))?, "old");
        assert_eq!(fs::read_to_string(&to)?, "new");
        assert!(!src.exists());
        fs::write(&src, "newer")?;
        let to = move_unique(&src, &dest, &lock, true)?;
        assert_eq!(
            to,
            dest.join("a (3).pdf"),
            "a (2).pdf is taken, its reason file too"
        );
        Ok(())
    }

    #[test]
    fn year_month_is_zero_padded() {
        let t = time::macros::datetime!(2026-03-09 23:59 UTC);
        assert_eq!(year_month(t), "2026-03");
    }

    #[test]
    fn events_serialise_with_a_kind_tag() -> serde_json::Result<()> {
        let e = WatchEvent::Handled {
            path: PathBuf::from("/in/a.pdf"),
            action: HandledAction::Moved,
            to: Some(PathBuf::from("/in/Imported/2026-03/a.pdf")),
        };
        let v = serde_json::to_value(&e)?;
        assert_eq!(v["kind"], "handled");
        assert_eq!(v["action"], "moved");
        assert_eq!(v["to"], "/in/Imported/2026-03/a.pdf");
        let s = WatchEvent::State {
            state: WatchState::FolderUnavailable {
                reason: "gone".into(),
            },
        };
        let v = serde_json::to_value(&s)?;
        assert_eq!(v["kind"], "state");
        assert_eq!(v["state"]["status"], "folder_unavailable");
        assert_eq!(v["state"]["reason"], "gone");
        let f = WatchEvent::Failed {
            path: PathBuf::from("x"),
            reason: "r".into(),
            moved_to: None,
        };
        assert!(serde_json::to_value(&f)?["moved_to"].is_null());
        Ok(())
    }
}
