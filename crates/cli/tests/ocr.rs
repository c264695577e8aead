//! Scans on the command line: a scanned invoice (a JPEG photo and an image-only PDF from the
//! third-party corpus) is imported, read by OCR, and found by a word printed on it. Skips,
//! saying so, without the corpus or `tesseract`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{init, ok};
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
