//! Ingestion: one queue of import jobs, fed by the CLI, the desktop app's drops and the watched
//! folder, processed by a bounded pool of workers, with progress events for whoever listens.
//!
//! Promises:
//! - every job is journaled in the vault before work starts and ended in the same transaction
//!   that stores its document (or when found a duplicate or refused), so after a crash or a
//!   kill, [`Ingest::resume`] finishes exactly what was in flight; deduplication makes a retried
//!   job harmless: nothing is lost, nothing is stored twice;
//! - the CPU-heavy half of a job (reading, fingerprinting, extraction, encryption) runs on the
//!   workers without holding the vault; only the duplicate check and the commit take its lock;
//!   documents are parsed in extraction worker processes ([`crate::records::worker`]), never here;
//! - [`Ingest::halt`] (the vault is locking) stops at once: the extraction workers are killed,
//!   no further job starts, and every job not committed stays journaled for the next unlock;
//! - explicit files are always taken; folders are walked recursively in a stable (sorted) order,
//!   skipping hidden entries and operating-system litter (`.DS_Store`, `Thumbs.db`,
//!   `desktop.ini`) and never following symbolic links out of the folder.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde::Serialize;

use crate::vault::{
    ImportOutcome, ImportStatus, PartOutcome, Prepared, Sealer, Vault, read_limited,
};
use crate::{Error, Result};

/// Where an import job came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `coffre import`.
    Cli,
    /// Dropped on the desktop app's window or picked in its file dialog.
    Drop,
    /// The watched import folder.
    Watch,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Cli => "cli",
            Origin::Drop => "drop",
            Origin::Watch => "watch",
        }
    }
}

/// Running totals of an ingest queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Counts {
    /// Jobs submitted.
    pub queued: u64,
    /// Stored as new documents.
    pub stored: u64,
    /// Found already in the vault.
    pub duplicate: u64,
    /// Refused (too large, unreadable, vanished...).
    pub failed: u64,
    /// Bytes read by finished jobs.
    pub bytes: u64,
}

impl Counts {
    /// Jobs finished, whatever their outcome.
    pub fn finished(&self) -> u64 {
        self.stored + self.duplicate + self.failed
    }
}

/// What the queue reports, in order for each job: `queued`, `extracting`, `reading` for each page
/// OCR reads (scans), then one of `stored`, `duplicate` or `failed`, each with the totals so far.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum IngestEvent {
    /// The job is journaled and waits for a worker.
    Queued {
        /// Journal id of the job.
        job: i64,
        /// The source file.
        path: PathBuf,
        /// Totals.
        counts: Counts,
    },
    /// A worker is reading and extracting the file.
    Extracting {
        /// Journal id of the job.
        job: i64,
        /// The source file.
        path: PathBuf,
    },
    /// OCR is reading one page of the file (a scan).
    Reading {
        /// Journal id of the job.
        job: i64,
        /// The source file.
        path: PathBuf,
        /// The page being read, from 1.
        page: u32,
        /// How many pages OCR reads.
        pages: u32,
    },
    /// Stored as a new document.
    Stored {
        /// Journal id of the job.
        job: i64,
        /// The source file.
        path: PathBuf,
        /// The new document's id.
        id: String,
        /// Bytes stored.
        bytes: u64,
        /// For an e-mail message: what became of each of its parts.
        parts: Vec<PartOutcome>,
        /// Totals.
        counts: Counts,
    },
    /// The same content is already in the vault.
    Duplicate {
        /// Journal id of the job.
        job: i64,
        /// The source file.
        path: PathBuf,
        /// The existing document's id.
        id: String,
        /// Totals.
        counts: Counts,
    },
    /// The file could not be stored.
    Failed {
        /// Journal id of the job.
        job: i64,
        /// The source file.
        path: PathBuf,
        /// Why, for a person.
        reason: String,
        /// Totals.
        counts: Counts,
    },
}

impl IngestEvent {
    /// The job the event is about.
    pub fn job(&self) -> i64 {
        match self {
            IngestEvent::Queued { job, .. }
            | IngestEvent::Extracting { job, .. }
            | IngestEvent::Reading { job, .. }
            | IngestEvent::Stored { job, .. }
            | IngestEvent::Duplicate { job, .. }
            | IngestEvent::Failed { job, .. } => *job,
        }
    }

    /// True for the last event of a job.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            IngestEvent::Stored { .. } | IngestEvent::Duplicate { .. } | IngestEvent::Failed { .. }
        )
    }
}

type Reply = Sender<Result<ImportOutcome>>;

struct Job {
    id: i64,
    path: PathBuf,
    reply: Option<Reply>,
}

/// A prepared document waiting for the next group commit, and where its outcome goes.
struct Ready {
    prepared: Prepared,
    job: i64,
    reply: Sender<Result<ImportOutcome>>,
}

struct Shared {
    vault: Arc<Mutex<Vault>>,
    /// Prepared documents waiting for a commit: whichever worker next holds the vault commits
    /// them all in one transaction ("group commit": one WAL sync for many documents).
    ready: Mutex<Vec<Ready>>,
    sealer: Sealer,
    /// Largest file accepted, in bytes (the vault's setting at start; see `set_max_size`).
    max_size: std::sync::atomic::AtomicU64,
    subscribers: Mutex<Vec<Sender<IngestEvent>>>,
    counts: Mutex<Counts>,
    /// Set by [`Ingest::halt`]: no job starts any more.
    halted: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not stop imports: the data under these locks stays consistent
    // (every vault change is a transaction).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn emit(&self, event: IngestEvent) {
        lock(&self.subscribers).retain(|s| s.send(event.clone()).is_ok());
    }

    fn count(&self, f: impl FnOnce(&mut Counts)) -> Counts {
        let mut c = lock(&self.counts);
        f(&mut c);
        *c
    }
}

/// The import queue over one unlocked vault.
pub struct Ingest {
    shared: Arc<Shared>,
    jobs: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl Ingest {
    /// Changes the largest file accepted from now on (after the vault's setting changed).
    pub fn set_max_size(&self, bytes: u64) {
        self.shared
            .max_size
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// Starts `workers` worker threads (at least one) over the vault.
    pub fn start(vault: Arc<Mutex<Vault>>, workers: usize) -> Result<Ingest> {
        let (sealer, max_size) = {
            let v = lock(&vault);
            (v.sealer(), v.max_import_size()?)
        };
        let shared = Arc::new(Shared {
            vault,
            ready: Mutex::new(Vec::new()),
            sealer,
            max_size: std::sync::atomic::AtomicU64::new(max_size),
            subscribers: Mutex::new(Vec::new()),
            counts: Mutex::new(Counts::default()),
            halted: std::sync::atomic::AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..workers.max(1))
            .map(|i| {
                let shared = Arc::clone(&shared);
                let rx = Arc::clone(&rx);
                std::thread::Builder::new()
                    .name(format!("coffre-ingest-{i}"))
                    .spawn(move || {
                        loop {
                            let job = lock(&rx).recv();
                            match job {
                                Ok(job) => run_job(&shared, job),
                                Err(_) => break,
                            }
                        }
                    })
                    .map_err(Error::from)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Ingest {
            shared,
            jobs: Some(tx),
            workers,
        })
    }

    /// The number of workers that suits this machine (its available cores).
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// A new stream of events from now on.
    pub fn subscribe(&self) -> Receiver<IngestEvent> {
        let (tx, rx) = mpsc::channel();
        lock(&self.shared.subscribers).push(tx);
        rx
    }

    /// The totals so far.
    pub fn counts(&self) -> Counts {
        *lock(&self.shared.counts)
    }

    fn enqueue(&self, id: i64, path: PathBuf, reply: Option<Reply>) {
        let counts = self.shared.count(|c| c.queued += 1);
        self.shared.emit(IngestEvent::Queued {
            job: id,
            path: path.clone(),
            counts,
        });
        if let Some(tx) = &self.jobs {
            // The workers live as long as the sender: this cannot fail while `self` is alive.
            let _ = tx.send(Job { id, path, reply });
        }
    }

    /// Journals and queues files; returns their job ids in the same order.
    pub fn submit(&self, paths: &[PathBuf], origin: Origin) -> Result<Vec<i64>> {
        let ids = lock(&self.shared.vault).journal_jobs(paths, origin.as_str())?;
        for (id, path) in ids.iter().zip(paths) {
            self.enqueue(*id, path.clone(), None);
        }
        Ok(ids)
    }

    /// Queues again the jobs a crash or kill left unfinished, except those for `except` (sources
    /// about to be submitted anew, whose old jobs are ended as superseded). Returns the resumed
    /// jobs.
    pub fn resume(&self, except: &[PathBuf]) -> Result<Vec<(i64, PathBuf)>> {
        let pending = lock(&self.shared.vault).pending_jobs()?;
        let mut resumed = Vec::new();
        for (id, path, _origin) in pending {
            if except.contains(&path) {
                lock(&self.shared.vault).end_job(id, "superseded", None, None)?;
                continue;
            }
            self.enqueue(id, path.clone(), None);
            resumed.push((id, path));
        }
        Ok(resumed)
    }

    /// Journals, queues and waits for one file (for the watched folder).
    /// [`Error::Interrupted`] when the queue halted first: the job stays journaled.
    pub fn import_and_wait(&self, path: &Path, origin: Origin) -> Result<ImportOutcome> {
        if self.shared.halted.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let id = lock(&self.shared.vault).journal_jobs(&[path.to_path_buf()], origin.as_str())?[0];
        let (tx, rx) = mpsc::channel();
        self.enqueue(id, path.to_path_buf(), Some(tx));
        rx.recv().unwrap_or(Err(Error::Interrupted))
    }

    /// Waits for every queued job, then stops the workers.
    pub fn finish(mut self) {
        self.stop();
    }

    /// Stops at once, for a lock: kills the extraction workers, starts no further job, and
    /// leaves every job not yet committed journaled (it resumes at the next unlock). Jobs being
    /// read end with [`Error::Interrupted`]; a commit already under way completes.
    pub fn halt(&self) {
        self.shared
            .halted
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.shared.sealer.halt();
    }

    fn stop(&mut self) {
        self.jobs.take();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }

    /// The vault behind the queue.
    pub fn vault(&self) -> &Arc<Mutex<Vault>> {
        &self.shared.vault
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_job(shared: &Shared, job: Job) {
    if shared.halted.load(std::sync::atomic::Ordering::SeqCst) {
        // Stays pending in the journal.
        if let Some(tx) = job.reply {
            let _ = tx.send(Err(Error::Interrupted));
        }
        return;
    }
    shared.emit(IngestEvent::Extracting {
        job: job.id,
        path: job.path.clone(),
    });
    let result = import_one(shared, &job);
    let (event, reply) = match result {
        Ok((outcome, bytes)) => {
            let doc = outcome.document();
            let event = match outcome.status {
                ImportStatus::Imported => IngestEvent::Stored {
                    job: job.id,
                    path: job.path.clone(),
                    id: doc.id.clone(),
                    bytes,
                    parts: outcome.parts.clone(),
                    counts: shared.count(|c| {
                        c.stored += 1;
                        c.bytes += bytes;
                    }),
                },
                ImportStatus::Duplicate => IngestEvent::Duplicate {
                    job: job.id,
                    path: job.path.clone(),
                    id: doc.id.clone(),
                    counts: shared.count(|c| {
                        c.duplicate += 1;
                        c.bytes += bytes;
                    }),
                },
            };
            (event, Ok(outcome))
        }
        Err(Error::Interrupted) => {
            // Not the file's fault: the job stays pending for the next unlock.
            if let Some(tx) = job.reply {
                let _ = tx.send(Err(Error::Interrupted));
            }
            return;
        }
        Err(e) => {
            let reason = failure_reason(&e);
            let _ = lock(&shared.vault).end_job(job.id, "failed", None, Some(&reason));
            let event = IngestEvent::Failed {
                job: job.id,
                path: job.path.clone(),
                reason: reason.clone(),
                counts: shared.count(|c| c.failed += 1),
            };
            (event, Err(e))
        }
    };
    shared.emit(event);
    if let Some(tx) = job.reply {
        let _ = tx.send(reply);
    }
}

/// Why a job failed, for a person (the path is known to every listener).
fn failure_reason(e: &Error) -> String {
    match e {
        Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// One job: read and fingerprint; duplicate check under the lock; extract and encrypt without
/// it; commit under it.
fn import_one(shared: &Shared, job: &Job) -> Result<(ImportOutcome, u64)> {
    let path = &job.path;
    let file = File::open(path).map_err(Error::io(path))?;
    let meta = file.metadata().map_err(Error::io(path))?;
    if !meta.is_file() {
        return Err(Error::io(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let max_size = shared.max_size.load(std::sync::atomic::Ordering::Relaxed);
    if meta.len() > max_size {
        return Err(Error::TooLarge { limit: max_size });
    }
    let plain = read_limited(std::io::BufReader::new(file), max_size).map_err(|e| match e {
        Error::Io { path: None, source } => Error::io(path)(source),
        other => other,
    })?;
    let bytes = plain.len() as u64;
    let fp = shared.sealer.fingerprint(&plain);
    {
        let mut vault = lock(&shared.vault);
        if let Some(existing) = vault.find_duplicate(&fp)? {
            vault.end_job(job.id, "duplicate", Some(&existing.id), None)?;
            return Ok((ImportOutcome::duplicate(existing), bytes));
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unnamed".into());
    let prepared = shared
        .sealer
        .prepare_with_progress(&name, &plain, fp, &mut |p| {
            let coffre_extract::Progress::OcrPage { page, pages } = p;
            shared.emit(IngestEvent::Reading {
                job: job.id,
                path: path.clone(),
                page: u32::try_from(page).unwrap_or(u32::MAX),
                pages: u32::try_from(pages).unwrap_or(u32::MAX),
            });
        })?;
    drop(plain);
    let (reply, outcome) = mpsc::channel();
    lock(&shared.ready).push(Ready {
        prepared,
        job: job.id,
        reply,
    });
    {
        let mut vault = lock(&shared.vault);
        // Whoever holds the vault commits everything ready, this job's and the others'. The
        // batch may be empty: another worker committed this job while this one waited.
        let batch = std::mem::take(&mut *lock(&shared.ready));
        if !batch.is_empty() {
            let (items, replies): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|r| ((r.prepared, Some(r.job)), r.reply))
                .unzip();
            match vault.commit_batch(items) {
                Ok(results) => {
                    for (result, reply) in results.into_iter().zip(replies) {
                        let _ = reply.send(result);
                    }
                }
                Err(e) => {
                    let reason = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(Error::from(std::io::Error::other(reason.clone()))));
                    }
                }
            }
        }
    }
    let outcome = outcome
        .recv()
        .map_err(|_| Error::from(std::io::Error::other("the commit was lost")))??;
    Ok((outcome, bytes))
}

/// The ingest queue as the watched folder's target: files are journaled and imported by the
/// queue's workers; the folder's memory of files kept in place lives in the vault.
pub struct QueueTarget {
    ingest: Arc<Ingest>,
}

impl QueueTarget {
    /// Feeds the watched folder's files to `ingest`.
    pub fn new(ingest: Arc<Ingest>) -> Self {
        QueueTarget { ingest }
    }
}

impl crate::intake::watch::ImportTarget for QueueTarget {
    fn import(
        &self,
        path: &Path,
    ) -> std::result::Result<crate::intake::watch::FileOutcome, String> {
        use crate::intake::watch::FileOutcome;
        match self.ingest.import_and_wait(path, Origin::Watch) {
            Ok(o) if o.is_imported() => Ok(FileOutcome::Imported(o.document.id)),
            Ok(o) => Ok(FileOutcome::Duplicate(o.document.id)),
            Err(Error::Interrupted) => Ok(FileOutcome::Deferred),
            Err(e) => Err(failure_reason(&e)),
        }
    }

    fn recall(&self, folder: &Path, rel: &Path) -> Option<(u64, i128)> {
        lock(self.ingest.vault())
            .watch_recall(&folder.to_string_lossy(), &rel.to_string_lossy())
            .ok()
            .flatten()
    }

    fn remember(&self, folder: &Path, rel: &Path, size: u64, mtime_ns: i128) {
        // Failing to remember only means the file is read again later (and found a duplicate).
        let _ = lock(self.ingest.vault()).watch_remember(
            &folder.to_string_lossy(),
            &rel.to_string_lossy(),
            size,
            mtime_ns,
        );
    }
}

/// Names never imported from a folder walk.
const LITTER: &[&str] = &["Thumbs.db", "desktop.ini", "ehthumbs.db"];

fn is_skipped(name: &str) -> bool {
    name.starts_with('.') || LITTER.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// Expands `paths` into files: each item is a file to import or a path that could not be read.
pub fn collect_files(paths: &[PathBuf]) -> Vec<Result<PathBuf, (PathBuf, Error)>> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, &mut out),
            Ok(_) => out.push(Ok(path.clone())),
            Err(e) => out.push(Err((path.clone(), Error::io(path)(e)))),
        }
    }
    out
}

fn walk(root: &Path, out: &mut Vec<Result<PathBuf, (PathBuf, Error)>>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_skipped(&e.file_name().to_string_lossy()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => out.push(Ok(e.into_path())),
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let err = e
                    .into_io_error()
                    .map(|io| Error::io(&path)(io))
                    .unwrap_or_else(|| Error::io(&path)(std::io::Error::other("filesystem loop")));
                out.push(Err((path, err)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_litter() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/.git")).unwrap();
        for f in [
            "a.pdf",
            "b/c.xml",
            "b/.git/x",
            ".hidden",
            "Thumbs.db",
            "b/.DS_Store",
        ] {
            std::fs::write(root.join(f), b"x").unwrap();
        }
        let got: Vec<PathBuf> = collect_files(&[root.to_path_buf(), root.join("missing")])
            .into_iter()
            .map(|r| match r {
                Ok(p) => p.strip_prefix(root).unwrap().to_path_buf(),
                Err((p, _)) => {
                    PathBuf::from(format!("ERR {}", p.file_name().unwrap().to_string_lossy()))
                }
            })
            .collect();
        assert_eq!(
            got,
            vec![
                PathBuf::from("a.pdf"),
                PathBuf::from("b/c.xml"),
                PathBuf::from("ERR missing")
            ]
        );
    }
}
