//! The ingest queue: parallel workers, events per job, counts, duplicates racing each other,
//! failures reported and journaled.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use coffre_core::intake::ingest::{Ingest, IngestEvent, Origin};
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};

fn vault(dir: &std::path::Path) -> Arc<Mutex<Vault>> {
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (v, _) = Vault::create(
        &dir.join("v"),
        &Passphrase::new("ingest test pass".into()),
        &opts,
    )
    .unwrap();
    Arc::new(Mutex::new(v))
}

#[test]
fn a_batch_is_stored_once_with_events_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let mut paths: Vec<PathBuf> = (0..120)
        .map(|i| {
            let p = src.join(format!("f{i}.pdf"));
            std::fs::write(&p, format!("%PDF-1.4 document {i} {}", "x".repeat(i * 100))).unwrap();
            p
        })
        .collect();
    // Two files with the same bytes, racing through different workers, and one that vanished.
    std::fs::write(src.join("copy-a.pdf"), b"%PDF same").unwrap();
    std::fs::write(src.join("copy-b.pdf"), b"%PDF same").unwrap();
    paths.extend([
        src.join("copy-a.pdf"),
        src.join("copy-b.pdf"),
        src.join("gone.pdf"),
    ]);

    let v = vault(tmp.path());
    let ingest = Ingest::start(Arc::clone(&v), 3).unwrap();
    let events = ingest.subscribe();
    let ids = ingest.submit(&paths, Origin::Drop).unwrap();
    assert_eq!(ids.len(), paths.len());

    let mut seen: HashMap<i64, Vec<&'static str>> = HashMap::new();
    let mut finals = 0;
    let mut last_counts = None;
    while finals < paths.len() {
        let e = events
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("events keep coming");
        let kind = match &e {
            IngestEvent::Queued { .. } => "queued",
            IngestEvent::Extracting { .. } => "extracting",
            IngestEvent::Reading { .. } => "reading",
            IngestEvent::Stored { counts, .. }
            | IngestEvent::Duplicate { counts, .. }
            | IngestEvent::Failed { counts, .. } => {
                last_counts = Some(*counts);
                match e {
                    IngestEvent::Stored { .. } => "stored",
                    IngestEvent::Duplicate { .. } => "duplicate",
                    _ => "failed",
                }
            }
        };
        finals += usize::from(e.is_final());
        seen.entry(e.job()).or_default().push(kind);
    }
    ingest.finish();
    for id in &ids {
        let kinds = &seen[id];
        assert_eq!(&kinds[..2], ["queued", "extracting"], "job {id}: {kinds:?}");
        assert_eq!(kinds.len(), 3);
    }
    let c = last_counts.unwrap();
    assert_eq!(
        (c.queued, c.stored, c.duplicate, c.failed),
        (123, 121, 1, 1)
    );
    let v = v.lock().unwrap();
    assert_eq!(v.documents().unwrap().len(), 121);
    assert!(
        v.pending_jobs().unwrap().is_empty(),
        "every job ended in the journal"
    );
}

#[test]
fn import_and_wait_reports_the_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(tmp.path());
    v.lock().unwrap().set_import_limit_for_session(10);
    let ingest = Ingest::start(Arc::clone(&v), 2).unwrap();
    let small = tmp.path().join("small.xml");
    let big = tmp.path().join("big.xml");
    std::fs::write(&small, b"<a/>").unwrap();
    std::fs::write(&big, b"<a>0123456789</a>").unwrap();
    assert!(ingest.import_and_wait(&small, Origin::Watch).is_ok());
    assert!(
        ingest
            .import_and_wait(&small, Origin::Watch)
            .is_ok_and(|o| !o.is_imported())
    );
    let err = ingest.import_and_wait(&big, Origin::Watch).unwrap_err();
    assert!(
        err.to_string().contains("import limit of 10 bytes"),
        "{err}"
    );
    // A limit changed while the queue runs applies to the next files.
    ingest.set_max_size(1000);
    assert!(ingest.import_and_wait(&big, Origin::Watch).is_ok());
    ingest.set_max_size(3);
    let other = tmp.path().join("other.xml");
    std::fs::write(&other, b"<b/>").unwrap();
    let err = ingest.import_and_wait(&other, Origin::Watch).unwrap_err();
    assert!(err.to_string().contains("import limit of 3 bytes"), "{err}");
}

#[test]
fn a_group_commit_stores_each_content_once() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(tmp.path());
    let mut v = v.lock().unwrap();
    let sealer = v.sealer();
    let mut batch = Vec::new();
    for (name, body) in [("a.xml", "<a/>"), ("copy.xml", "<a/>"), ("b.xml", "<b/>")] {
        let fp = sealer.fingerprint(body.as_bytes());
        batch.push((sealer.prepare(name, body.as_bytes(), fp).unwrap(), None));
    }
    let results = v.commit_batch(batch).unwrap();
    let kinds: Vec<&str> = results
        .iter()
        .map(|r| {
            if r.as_ref().unwrap().is_imported() {
                "imported"
            } else {
                "duplicate"
            }
        })
        .collect();
    assert_eq!(kinds, ["imported", "duplicate", "imported"]);
    assert_eq!(v.documents().unwrap().len(), 2);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("v/tmp")).unwrap().count(),
        0
    );
    assert!(v.verify().unwrap().is_ok());
}

#[test]
fn a_scan_reports_each_page_ocr_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("scan.pdf");
    std::fs::write(&path, coffre_core::records::sample::scan_pdf(3)).unwrap();
    let v = vault(tmp.path());
    let ingest = Ingest::start(Arc::clone(&v), 1).unwrap();
    let events = ingest.subscribe();
    ingest
        .submit(std::slice::from_ref(&path), Origin::Drop)
        .unwrap();
    let mut pages = Vec::new();
    loop {
        let e = events
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("events keep coming");
        if let IngestEvent::Reading { page, pages: n, .. } = &e {
            pages.push((*page, *n));
        }
        if e.is_final() {
            assert!(matches!(e, IngestEvent::Stored { .. }), "{e:?}");
            break;
        }
    }
    let tesseract = std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok();
    // Without Tesseract, OCR stops at the first page ("OCR unavailable").
    let want: &[(u32, u32)] = if tesseract {
        &[(1, 3), (2, 3), (3, 3)]
    } else {
        &[(1, 3)]
    };
    assert_eq!(pages, want);
}
