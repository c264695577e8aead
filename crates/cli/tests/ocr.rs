//! Scans on the command line: a scanned invoice (a JPEG photo and an image-only PDF from the
//! third-party corpus) is imported, read by OCR, and found by a word printed on it; without
//! Tesseract a scan is kept, marked "OCR unavailable", and `coffre reextract` reads it once
//! Tesseract is there. Skips, saying so, without the corpus or `tesseract`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{command, init, ok, stdout};
use serde_json::Value;

fn scans() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party/files");
    let tesseract = Command::new("tesseract").arg("--version").output().is_ok();
    (tesseract && dir.is_dir()).then_some(dir)
}

#[test]
fn a_word_printed_on_a_scan_is_found_by_search() {
    let Some(dir) = scans() else {
        eprintln!("skipped: the corpus or tesseract is not here");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let vault = t.path().join("vault");
    init(&vault);
    let jpeg = dir.join("scan-i2d-NetpresseInvoice-a.jpg");
    let pdf = dir.join("scan-i2d-AzureInterior-a.pdf");
    ok(
        &vault,
        &["import", jpeg.to_str().unwrap(), pdf.to_str().unwrap()],
    );

    let hits: Value =
        serde_json::from_str(&ok(&vault, &["search", "Villeurbanne", "--json"])).unwrap();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let id = hits[0]["document"]["id"]
        .as_str()
        .or(hits[0]["id"].as_str())
        .unwrap()
        .to_owned();
    let shown: Value = serde_json::from_str(&ok(&vault, &["show", &id, "--json"])).unwrap();
    assert_eq!(shown["format"], "image");
    assert_eq!(shown["number"], "2022089083", "{shown}");
    assert_eq!(shown["fields"]["number"]["source"], "ocr");

    let out = ok(&vault, &["search", "--kind", "pdf-scan", "--json"]);
    let scans: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(scans.as_array().unwrap().len(), 1, "{out}");
}

#[test]
fn without_tesseract_a_scan_is_kept_and_reextract_reads_it_later() {
    let Some(dir) = scans() else {
        eprintln!("skipped: the corpus or tesseract is not here");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let vault = t.path().join("vault");
    init(&vault);
    let jpeg = dir.join("scan-i2d-NetpresseInvoice-a.jpg");
    // No tesseract on the PATH: the import succeeds and says why nothing was read.
    let out = command(&vault, &["import", jpeg.to_str().unwrap(), "--json"])
        .env("PATH", t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let row: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    let id = row["id"].as_str().expect("an id").to_owned();
    let shown: Value = serde_json::from_str(&ok(&vault, &["show", &id, "--json"])).unwrap();
    assert_eq!(shown["number"], Value::Null);
    assert!(shown["ocr"].is_null(), "{shown}");
    let issues = shown["issues"].to_string();
    assert!(issues.contains("OCR unavailable"), "{issues}");
    let text = ok(&vault, &["show", &id]);
    assert!(
        text.contains("ocr          not run: OCR unavailable"),
        "{text}"
    );

    // Tesseract back: re-extraction reads it, and `show` tells how.
    ok(&vault, &["reextract", &id]);
    let shown: Value = serde_json::from_str(&ok(&vault, &["show", &id, "--json"])).unwrap();
    assert_eq!(shown["number"], "2022089083", "{shown}");
    assert_eq!(shown["ocr"]["languages"], "fra+eng+deu");
    assert!(
        shown["ocr"]["engine"]
            .as_str()
            .unwrap()
            .starts_with("tesseract")
    );
    let confidence = shown["ocr"]["mean_confidence"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&confidence), "{confidence}");
    let text = ok(&vault, &["show", &id]);
    assert!(
        text.contains("1 of 1 pages read, mean confidence"),
        "{text}"
    );
}
