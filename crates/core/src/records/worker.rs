//! Untrusted documents are parsed in a child process: the extraction worker.
//!
//! A PDF, an XML file or an image from outside can be hostile (a decompression bomb, a parser
//! bug that loops or crashes). Coffre never parses one in the process that holds the vault: an
//! [`Extractor`] hands the bytes to a *worker*, a child process started from the same program
//! with [`WORKER_ARG`], which runs [`coffre_extract::extract_with_progress`] and answers in the
//! frames of [`crate::records::frames`]: progress reports as they happen, the extraction's JSON
//! and text, and for an e-mail message each of its parts (attachments, taken out here, never
//! in the vault's process). The worker:
//!
//! - caps its own address space (`RLIMIT_AS`, [`WorkerLimits::memory_bytes`]) and writes no core
//!   dump (`RLIMIT_CORE` = 0) before it reads anything;
//! - is killed, not abandoned, when it takes longer than [`WorkerLimits::wall`];
//! - receives the plaintext through a pipe (never a file) and is killed when the vault locks
//!   ([`Extractor::halt`]), so no plaintext outlives the unlock in a stray process;
//! - is kept warm between documents (one per ingest thread) and replaced after any failure.
//!
//! A worker that dies (memory cap, signal, time limit) is retried once with a fresh worker; a
//! second death yields an extraction that says the document "could not be read" (flagged for
//! review, still stored and found by name), so no file can make the vault crash or replay.
//!
//! Shells call [`serve_if_requested`] first thing in `main`. On Windows the memory cap is not
//! applied yet (a job object would do it); the time limit and the process boundary hold.

use std::ffi::OsString;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::records::frames::{
    MessagePart, TAG_END, TAG_JSON, TAG_PART, TAG_PROGRESS, TAG_TEXT, progress_bytes, progress_of,
    read_frame, read_part, write_frame, write_part, write_tagged,
};

/// The first argument that makes a Coffre program serve as an extraction worker.
pub const WORKER_ARG: &str = "--coffre-extract-worker";

/// Environment variable that overrides the worker's memory cap, in MiB (packagers, tests).
pub const MEMORY_ENV: &str = "COFFRE_WORKER_MEMORY_MIB";

/// The first bytes a worker writes, so a program that is not a worker is told apart at once.
const HELLO: &[u8] = b"coffre-extract-worker/3";

/// The worker's exit code when a document does not fit in its memory cap.
const EXIT_OUT_OF_MEMORY: i32 = 3;

/// Largest frame accepted from a worker (the JSON or the text of one document).
const MAX_FRAME: u64 = 256 * 1024 * 1024;

/// Resource bounds of one worker process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimits {
    /// Address-space cap of the worker, in bytes.
    pub memory_bytes: u64,
    /// Wall-clock budget for one document; the worker is killed after it.
    pub wall: Duration,
}

impl Default for WorkerLimits {
    fn default() -> Self {
        let mib = std::env::var(MEMORY_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|m| *m >= 16)
            .unwrap_or(1024);
        WorkerLimits {
            memory_bytes: mib * 1024 * 1024,
            // Above the extractor's own PDF budget (20 s), which ends most slow files cleanly,
            // and room for OCR: a scan of 20 pages at a few seconds a page.
            wall: Duration::from_secs(180),
        }
    }
}

/// How untrusted documents are parsed.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// In a worker process: `program` started with `args` then [`WORKER_ARG`].
    Process {
        /// The program (by default this very program).
        program: PathBuf,
        /// Arguments before [`WORKER_ARG`].
        args: Vec<OsString>,
        /// Its limits.
        limits: WorkerLimits,
    },
    /// In this process. Only for tests and benchmarks over trusted files: a hostile file can
    /// then exhaust this process's memory.
    InProcess,
}

impl Isolation {
    /// A worker started from the running program (which must call [`serve_if_requested`]).
    pub fn this_program() -> Isolation {
        Isolation::Process {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("coffre")),
            args: Vec::new(),
            limits: WorkerLimits::default(),
        }
    }
}

static ISOLATION: RwLock<Option<Isolation>> = RwLock::new(None);

/// Sets how extractors created from now on parse documents (process-wide; by default a worker
/// started from the running program).
pub fn configure(isolation: Isolation) {
    *ISOLATION.write().unwrap_or_else(|p| p.into_inner()) = Some(isolation);
}

/// The isolation in force (see [`configure`]).
pub fn isolation() -> Isolation {
    ISOLATION
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_else(|| {
            if cfg!(test) {
                // The unit tests' harness cannot serve as a worker; their inputs are fixtures.
                Isolation::InProcess
            } else {
                Isolation::this_program()
            }
        })
}

/// When this process was started as a worker (first argument [`WORKER_ARG`]), serves requests
/// on standard input and output until it closes, then exits; otherwise returns at once.
/// Programs call it first thing in `main`.
pub fn serve_if_requested() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(WORKER_ARG.as_ref()) {
        return;
    }
    let memory = args
        .next()
        .and_then(|a| a.to_str().and_then(|s| s.parse::<u64>().ok()))
        .unwrap_or_else(|| WorkerLimits::default().memory_bytes);
    std::process::exit(match serve(memory) {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::OutOfMemory => EXIT_OUT_OF_MEMORY,
        Err(_) => 2,
    });
}

/// Forbids core dumps of this process (and of the processes it starts): a crash must not write
/// keys or plaintext to disk. The CLI and the app call it first thing; workers too.
pub fn disable_core_dumps() {
    #[cfg(unix)]
    {
        // Best effort: nothing more can be done where the system refuses.
        let _ = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0);
    }
}

fn apply_limits(memory: u64) {
    disable_core_dumps();
    #[cfg(unix)]
    {
        // Best effort: a platform that refuses still has the time limit and the process boundary.
        let _ = rlimit::setrlimit(rlimit::Resource::AS, memory, memory);
    }
    #[cfg(not(unix))]
    let _ = memory;
}

fn serve(memory: u64) -> io::Result<()> {
    apply_limits(memory);
    let mut input = BufReader::new(io::stdin().lock());
    let mut output = BufWriter::new(io::stdout().lock());
    write_frame(&mut output, HELLO)?;
    output.flush()?;
    loop {
        let Some(name) = read_frame(&mut input, 4096)? else {
            return Ok(());
        };
        let name = String::from_utf8_lossy(&name).into_owned();
        let Some(bytes) = read_frame(&mut input, MAX_FRAME)? else {
            return Ok(());
        };
        // Progress goes out as it happens; a parent that stopped reading ends this process.
        let mut sent = Ok(());
        let (e, parts) = coffre_extract::extract_with_parts(
            &bytes,
            Some(&name),
            &coffre_extract::Limits::default(),
            &mut |p| {
                if sent.is_ok() {
                    sent = write_tagged(&mut output, TAG_PROGRESS, &progress_bytes(p))
                        .and_then(|()| output.flush());
                }
            },
        );
        sent?;
        drop(bytes);
        write_tagged(&mut output, TAG_JSON, e.to_json().as_bytes())?;
        write_tagged(
            &mut output,
            TAG_TEXT,
            e.text().unwrap_or_default().as_bytes(),
        )?;
        for part in &parts {
            write_part(&mut output, part)?;
        }
        write_tagged(&mut output, TAG_END, b"")?;
        output.flush()?;
        if e.abandoned_work {
            // A timed-out PDF thread is still running: end the process to stop it.
            return Ok(());
        }
    }
}

/// The result of extracting one document.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The extraction contract's JSON (see `coffre-extract`), as the extractor wrote it.
    pub json: String,
    /// The plain text, for search.
    pub text: String,
    /// An e-mail message's parts (attachments), each to be stored as a document of its own.
    pub parts: Vec<MessagePart>,
    /// Why no worker could read it, when none could (the document is stored flagged).
    pub unreadable: Option<String>,
}

impl Extracted {
    fn of(e: &coffre_extract::Extraction) -> Self {
        Extracted {
            json: e.to_json(),
            text: e.text().unwrap_or_default().to_owned(),
            parts: Vec::new(),
            unreadable: None,
        }
    }

    /// The JSON as a value.
    pub fn data(&self) -> serde_json::Value {
        serde_json::from_str(&self.json).unwrap_or_else(|_| json!({ "needs_review": true }))
    }

    /// What is stored for a document no worker could read: its kind from its first bytes,
    /// flagged for review with the reason.
    fn unreadable(bytes: &[u8], name: &str, reason: &str) -> Self {
        let mut x = Extracted::of(&coffre_extract::not_read(
            bytes,
            Some(name),
            format!("{UNREADABLE}: {reason}"),
        ));
        x.unreadable = Some(reason.to_owned());
        x
    }
}

/// The start of the issue recorded for a document no worker could read.
pub const UNREADABLE: &str = "could not be read";

/// Why a worker gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Died {
    /// It ran past its time budget and was killed.
    Timeout(Duration),
    /// It ended without an answer (memory cap, crash, signal).
    Crashed(String),
    /// It could not be started or is not a worker.
    Unavailable(String),
    /// [`Extractor::halt`] stopped it (the vault is locking): not the document's fault.
    Halted,
}

impl std::fmt::Display for Died {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Died::Timeout(d) => write!(f, "the reader took longer than {} s", d.as_secs()),
            Died::Crashed(how) => write!(f, "the reader stopped ({how})"),
            Died::Unavailable(why) => write!(f, "the reader could not start ({why})"),
            Died::Halted => f.write_str("stopped because the vault locked"),
        }
    }
}

/// A running worker process.
struct Worker {
    child: Arc<Mutex<Child>>,
    stdin: BufWriter<ChildStdin>,
    frames: Receiver<io::Result<Vec<u8>>>,
}

impl Worker {
    fn spawn(program: &PathBuf, args: &[OsString], limits: &WorkerLimits) -> Result<Self, Died> {
        let mut command = Command::new(program);
        command
            .args(args)
            .arg(WORKER_ARG)
            .arg(limits.memory_bytes.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, so that killing it kills what it started (Tesseract).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|e| Died::Unavailable(format!("{}: {e}", program.display())))?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, o),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Died::Unavailable("no pipes".into()));
            }
        };
        let (tx, frames) = mpsc::channel();
        std::thread::Builder::new()
            .name("coffre-worker-pipe".into())
            .spawn(move || {
                let mut r = BufReader::new(stdout);
                loop {
                    let frame = match read_frame(&mut r, MAX_FRAME) {
                        Ok(Some(f)) => Ok(f),
                        Ok(None) => Err(io::ErrorKind::UnexpectedEof.into()),
                        Err(e) => Err(e),
                    };
                    let end = frame.is_err();
                    if tx.send(frame).is_err() || end {
                        return;
                    }
                }
            })
            .map_err(|e| Died::Unavailable(e.to_string()))?;
        let mut worker = Worker {
            child: Arc::new(Mutex::new(child)),
            stdin: BufWriter::new(stdin),
            frames,
        };
        match worker.frame(Instant::now() + Duration::from_secs(10)) {
            Ok(hello) if hello == HELLO => Ok(worker),
            Ok(_) | Err(_) => {
                worker.kill();
                Err(Died::Unavailable(format!(
                    "{} did not answer as an extraction worker",
                    program.display()
                )))
            }
        }
    }

    fn frame(&mut self, deadline: Instant) -> Result<Vec<u8>, Died> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.frames.recv_timeout(wait) {
            Ok(Ok(f)) => Ok(f),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(Died::Crashed(self.status())),
            Err(RecvTimeoutError::Timeout) => Err(Died::Timeout(Duration::ZERO)),
        }
    }

    /// How the process ended, once it has.
    fn status(&self) -> String {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let status = match child.wait() {
            Ok(s) => s,
            Err(e) => return e.to_string(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            match status.signal() {
                // Rust aborts when an allocation fails under the address-space cap.
                Some(6) => return "memory limit reached or internal error".into(),
                Some(9) => return "killed".into(),
                Some(sig) => return format!("signal {sig}"),
                None => {}
            }
        }
        match status.code() {
            Some(EXIT_OUT_OF_MEMORY) => "memory limit reached".into(),
            _ => status.to_string(),
        }
    }

    fn request(
        &mut self,
        name: &str,
        bytes: &[u8],
        wall: Duration,
        progress: &mut dyn FnMut(coffre_extract::Progress),
    ) -> Result<Extracted, Died> {
        let deadline = Instant::now() + wall;
        let sent = write_frame(&mut self.stdin, name.as_bytes())
            .and_then(|()| write_frame(&mut self.stdin, bytes))
            .and_then(|()| self.stdin.flush());
        if sent.is_err() {
            return Err(Died::Crashed(self.status()));
        }
        let answer = (|| {
            let json = loop {
                let frame = self.frame(deadline)?;
                match frame.split_first() {
                    Some((&TAG_PROGRESS, data)) => {
                        if let Some(p) = progress_of(data) {
                            progress(p);
                        }
                    }
                    Some((&TAG_JSON, json)) => break json.to_vec(),
                    _ => return Err(Died::Crashed("an answer out of order".into())),
                }
            };
            let text = match self.frame(deadline)?.split_first() {
                Some((&TAG_TEXT, text)) => String::from_utf8_lossy(text).into_owned(),
                _ => return Err(Died::Crashed("an answer out of order".into())),
            };
            let mut parts = Vec::new();
            loop {
                let frame = self.frame(deadline)?;
                match frame.split_first() {
                    Some((&TAG_PART, data)) => parts
                        .push(read_part(data).ok_or_else(|| Died::Crashed("a bad part".into()))?),
                    Some((&TAG_END, _)) => break,
                    _ => return Err(Died::Crashed("an answer out of order".into())),
                }
            }
            Ok(Extracted {
                json: String::from_utf8_lossy(&json).into_owned(),
                text,
                parts,
                unreadable: None,
            })
        })();
        match answer {
            Err(Died::Timeout(_)) => {
                self.kill();
                Err(Died::Timeout(wall))
            }
            other => other,
        }
    }

    fn kill(&self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        kill_group(&mut child);
        let _ = child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Extracts documents under the process's [`Isolation`], with a pool of warm workers. Shared
/// by the ingest threads; dropping it (or [`Extractor::halt`]) kills every worker.
pub struct Extractor {
    isolation: Isolation,
    idle: Mutex<Vec<Worker>>,
    live: Mutex<Vec<Weak<Mutex<Child>>>>,
    halted: AtomicBool,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("isolation", &self.isolation)
            .finish_non_exhaustive()
    }
}

impl Default for Extractor {
    fn default() -> Self {
        Extractor::new(isolation())
    }
}

impl Extractor {
    /// An extractor with its own pool.
    pub fn new(isolation: Isolation) -> Self {
        Extractor {
            isolation,
            idle: Mutex::new(Vec::new()),
            live: Mutex::new(Vec::new()),
            halted: AtomicBool::new(false),
        }
    }

    /// Extracts one document. A worker that dies is replaced and the document tried once more;
    /// after a second death the result says the document could not be read. Only
    /// [`Died::Halted`] is returned as an error: the vault is locking and the job must stay
    /// journaled for the next unlock.
    pub fn extract(&self, bytes: &[u8], name: &str) -> Result<Extracted, Died> {
        self.extract_with_progress(bytes, name, &mut |_| {})
    }

    /// [`Extractor::extract`], telling `progress` where the extraction is (each page OCR
    /// reads) as the worker reports it.
    pub fn extract_with_progress(
        &self,
        bytes: &[u8],
        name: &str,
        progress: &mut dyn FnMut(coffre_extract::Progress),
    ) -> Result<Extracted, Died> {
        let Isolation::Process {
            program,
            args,
            limits,
        } = &self.isolation
        else {
            let limits = coffre_extract::Limits::default();
            let (e, parts) =
                coffre_extract::extract_with_parts(bytes, Some(name), &limits, progress);
            let mut x = Extracted::of(&e);
            x.parts = parts.into_iter().map(MessagePart::from).collect();
            return Ok(x);
        };
        let mut last = None;
        for _ in 0..2 {
            match self.attempt(program, args, limits, bytes, name, progress) {
                Ok(x) => return Ok(x),
                Err(Died::Halted) => return Err(Died::Halted),
                // Killed by the halt, not by the document.
                Err(_) if self.halted.load(Ordering::SeqCst) => return Err(Died::Halted),
                Err(e) => last = Some(e),
            }
        }
        let reason = last.map_or_else(String::new, |e| e.to_string());
        Ok(Extracted::unreadable(bytes, name, &reason))
    }

    fn attempt(
        &self,
        program: &PathBuf,
        args: &[OsString],
        limits: &WorkerLimits,
        bytes: &[u8],
        name: &str,
        progress: &mut dyn FnMut(coffre_extract::Progress),
    ) -> Result<Extracted, Died> {
        if self.halted.load(Ordering::SeqCst) {
            return Err(Died::Halted);
        }
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut worker = match idle {
            Some(w) => w,
            None => {
                let w = Worker::spawn(program, args, limits)?;
                let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
                live.retain(|c| c.strong_count() > 0);
                live.push(Arc::downgrade(&w.child));
                w
            }
        };
        // A halt between the check above and the registration must still reach this worker.
        if self.halted.load(Ordering::SeqCst) {
            return Err(Died::Halted);
        }
        let result = worker.request(name, bytes, limits.wall, progress);
        let done = worker
            .child
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .try_wait()
            .map_or(true, |s| s.is_some());
        if result.is_ok() && !done && !self.halted.load(Ordering::SeqCst) {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(worker);
        }
        result
    }

    /// Whether [`Extractor::halt`] was called.
    pub fn is_halted(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }

    /// Kills every worker, busy or idle, and refuses further work: the documents being read
    /// return [`Died::Halted`] at once.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::SeqCst);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
        for child in self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            if let Some(child) = child.upgrade() {
                kill_group(&mut child.lock().unwrap_or_else(|p| p.into_inner()));
            }
        }
    }
}

/// Kills a worker and every process of its group (the OCR engine it may be running), so no
/// plaintext outlives it in a child.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
}

impl Drop for Extractor {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_is_not_a_worker_is_unavailable_and_the_document_unreadable() {
        let x = Extractor::new(Isolation::Process {
            program: PathBuf::from("/bin/true"),
            args: Vec::new(),
            limits: WorkerLimits::default(),
        });
        let got = x.extract(b"%PDF-1.4 hello", "a.pdf").unwrap();
        let data = got.data();
        assert_eq!(data["needs_review"], true);
        assert!(
            data["issues"][0].as_str().unwrap().starts_with(UNREADABLE),
            "{data}"
        );
        assert_eq!(data["format"], "pdf-text");
    }

    #[test]
    fn halted_extractors_refuse_work() {
        let x = Extractor::new(Isolation::this_program());
        x.halt();
        assert_eq!(x.extract(b"x", "x").unwrap_err(), Died::Halted);
    }
}
