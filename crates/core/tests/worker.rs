//! Extraction in worker processes, with stand-in workers that misbehave on purpose: one that
//! hangs (killed at its time limit, retried once, then the document is stored "could not be
//! read" and never replayed), and locking in the middle of a queue (workers killed, keys gone
//! within a second, every job not stored left journaled for the next unlock).
//!
//! The isolation is process-wide, so these tests live in a test binary of their own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffre_core::intake::ingest::{Ingest, IngestEvent, Origin};
use coffre_core::records::worker::{self, Isolation, UNREADABLE, WorkerLimits};
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};

const PASS: &str = "worker test passphrase";

/// The isolation is one setting per process: these tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A program that answers the worker handshake, starts a program of its own (as a worker
/// starts Tesseract: a `sleep` for [`engine_marker`] seconds), then hangs: a parser stuck on a
/// hostile file.
fn hanging_worker(dir: &Path) -> PathBuf {
    let path = dir.join("hanging-worker");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '\\027\\000\\000\\000\\000\\000\\000\\000coffre-extract-worker/3'\n\
             sleep {} &\nexec sleep 600\n",
            engine_marker()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn configure_hanging(dir: &Path, wall: Duration) {
    worker::configure(Isolation::Process {
        program: hanging_worker(dir),
        args: Vec::new(),
        limits: WorkerLimits {
            memory_bytes: 256 << 20,
            wall,
        },
    });
}

fn new_vault(dir: &Path) -> Vault {
    Vault::create(
        dir,
        &Passphrase::new(PASS.into()),
        &CreateOptions {
            kdf: KdfParams::MINIMUM,
        },
    )
    .unwrap()
    .0
}

/// The stand-in engine's `sleep` duration, unique to this test process.
fn engine_marker() -> String {
    format!("600.{}", std::process::id())
}

/// Live stand-in engines of this test process's workers, whoever their parent is now.
#[cfg(target_os = "linux")]
fn engines_left() -> usize {
    let cmd = format!("sleep\x00{}\x00", engine_marker());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let running = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z");
            running && std::fs::read(e.path().join("cmdline")).unwrap_or_default() == cmd.as_bytes()
        })
        .count()
}

/// Live processes running `sleep 600` whose parent is this test process: hung workers.
#[cfg(target_os = "linux")]
fn hung_workers() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            // Field 4 of /proc/PID/stat is the parent's pid; a zombie (state Z) is not running.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            fields.get(2) == Some(&me.as_str())
                && fields.first() != Some(&"Z")
                && cmd.starts_with(b"sleep\x00600")
        })
        .count()
}

#[test]
fn a_hanging_worker_is_killed_retried_once_then_the_document_is_flagged_and_never_replayed() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    configure_hanging(tmp.path(), Duration::from_millis(700));
    let dir = tmp.path().join("v");
    let src = tmp.path().join("hostile.pdf");
    std::fs::write(&src, b"%PDF-1.7 stands in for a file that hangs the parser").unwrap();

    let vault = Arc::new(Mutex::new(new_vault(&dir)));
    let ingest = Ingest::start(Arc::clone(&vault), 1).unwrap();
    let events = ingest.subscribe();
    let started = Instant::now();
    ingest
        .submit(std::slice::from_ref(&src), Origin::Cli)
        .unwrap();
    let stored = loop {
        match events.recv_timeout(Duration::from_secs(30)).unwrap() {
            IngestEvent::Stored { id, .. } => break id,
            IngestEvent::Failed { reason, .. } => panic!("failed: {reason}"),
            _ => {}
        }
    };
    // Two attempts of 0.7 s each, not a minute of waiting.
    assert!(started.elapsed() < Duration::from_secs(10));
    ingest.finish();
    #[cfg(target_os = "linux")]
    assert_eq!(
        hung_workers(),
        0,
        "the hung workers were killed, not abandoned"
    );
    #[cfg(target_os = "linux")]
    assert_eq!(
        engines_left(),
        0,
        "what the workers started was killed with them"
    );

    let mut v = Arc::try_unwrap(vault).ok().unwrap().into_inner().unwrap();
    let details = v.details(&stored).unwrap();
    assert_eq!(details.fields["needs_review"], true);
    let issue = details.fields["issues"][0].as_str().unwrap().to_owned();
    assert!(issue.starts_with(UNREADABLE), "{issue}");
    assert!(issue.contains("longer than"), "{issue}");
    assert_eq!(details.document.name, "hostile.pdf");
    // Found by name, the original bytes intact.
    let hits = v
        .search(&coffre_core::SearchQuery {
            text: "hostile".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        &*v.read_document(&stored).unwrap().1,
        &std::fs::read(&src).unwrap()[..]
    );
    // Nothing waits in the journal: the next start does not try it again.
    assert!(v.pending_jobs().unwrap().is_empty());
    drop(v);
    let v = Arc::new(Mutex::new(
        Vault::open(&dir, &Passphrase::new(PASS.into())).unwrap(),
    ));
    let ingest = Ingest::start(Arc::clone(&v), 1).unwrap();
    assert!(ingest.resume(&[]).unwrap().is_empty());
}

#[test]
fn locking_mid_queue_stops_within_a_second_and_keeps_the_rest_journaled() {
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    // Each document would take a minute: the lock must not wait for them.
    configure_hanging(tmp.path(), Duration::from_secs(60));
    let dir = tmp.path().join("v");
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let paths: Vec<PathBuf> = (0..20)
        .map(|i| {
            let p = src.join(format!("f{i:02}.pdf"));
            std::fs::write(&p, format!("%PDF-1.4 document {i}")).unwrap();
            p
        })
        .collect();

    let vault = Arc::new(Mutex::new(new_vault(&dir)));
    let ingest = Ingest::start(Arc::clone(&vault), 2).unwrap();
    let events = ingest.subscribe();
    ingest.submit(&paths, Origin::Drop).unwrap();
    // Wait until two workers are reading.
    let mut extracting = 0;
    while extracting < 2 {
        if let IngestEvent::Extracting { .. } =
            events.recv_timeout(Duration::from_secs(10)).unwrap()
        {
            extracting += 1;
        }
    }
    let started = Instant::now();
    ingest.halt();
    ingest.finish();
    let v = Arc::try_unwrap(vault).unwrap_or_else(|_| panic!("the queue let go of the vault"));
    drop(v); // keys wiped, lock released
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "locked in {:?}",
        started.elapsed()
    );
    #[cfg(target_os = "linux")]
    assert_eq!(hung_workers(), 0, "the workers were killed");
    // Nothing failed, nothing stored: every job waits for the next unlock, with its path.
    assert!(
        events
            .try_iter()
            .all(|e| !matches!(e, IngestEvent::Failed { .. } | IngestEvent::Stored { .. }))
    );
    let v = Vault::open(&dir, &Passphrase::new(PASS.into())).unwrap();
    let pending: Vec<PathBuf> = v.pending_jobs().unwrap().into_iter().map(|j| j.1).collect();
    assert_eq!(pending, paths);
    assert!(v.documents().unwrap().is_empty());
}

/// A file name that is not UTF-8 is journaled exactly, so a resumed job finds its file.
#[cfg(unix)]
#[test]
fn a_non_utf8_file_name_is_resumed_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let _turn = serial();
    let tmp = tempfile::tempdir().unwrap();
    worker::configure(Isolation::InProcess);
    let src = tmp
        .path()
        .join(std::ffi::OsStr::from_bytes(b"facture-\xff\xfe.pdf"));
    std::fs::write(&src, b"%PDF-1.4 latin-1 name").unwrap();
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    v.journal_jobs(std::slice::from_ref(&src), "cli").unwrap();
    drop(v); // as if killed before the job ran
    let v = Arc::new(Mutex::new(
        Vault::open(&dir, &Passphrase::new(PASS.into())).unwrap(),
    ));
    let ingest = Ingest::start(Arc::clone(&v), 1).unwrap();
    let resumed = ingest.resume(&[]).unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].1, src);
    ingest.finish();
    let v = v.lock().unwrap();
    assert_eq!(v.documents().unwrap().len(), 1);
    assert!(v.pending_jobs().unwrap().is_empty());
}
