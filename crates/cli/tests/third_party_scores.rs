//! `coffre extract --json` judged by the third-party corpus's own scorer
//! (`../shared/corpus/third-party/score.py`, written beside invoices nobody here made): every
//! field of every e-invoice exact, no run error, and on plain and stripped PDFs a precision of at
//! least 0.97 for every field and recall above a floor (the figures measured when it was last
//! raised); scans read by OCR above their own floors. Skips, saying so, without the corpus,
//! `python3` or (for scans) `tesseract`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Lowest precision accepted for any field read from text (issue 15: 0.97).
const MIN_PRECISION: f64 = 0.97;
/// Recall floors per kind (all fields together), a little below what was measured when last
/// raised (plain 0.907, stripped 0.901).
const RECALL_FLOORS: &[(&str, f64)] = &[("plain-pdf", 0.88), ("stripped-pdf", 0.88)];

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party");
    dir.join("score.py").is_file().then_some(dir)
}

/// score.py's JSON for some kinds (comma-separated): the object printed before the summary
/// line.
fn score(dir: &Path, kind: &str) -> Value {
    let out = Command::new("python3")
        .arg(dir.join("score.py"))
        .arg(env!("CARGO_BIN_EXE_coffre"))
        .args(["--json", "--jobs", "2"])
        .args(kind.split(',').flat_map(|k| ["--kind", k]))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "score.py: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let end = text.rfind('}').expect("a JSON object");
    serde_json::from_str(&text[..=end]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// No document crashed, timed out, exited non-zero or printed no JSON.
fn assert_no_run_error(s: &Value, kind: &str) {
    let errors = s["run_errors"].as_object().expect("run_errors by kind");
    assert!(
        errors.values().all(|n| n.as_u64() == Some(0)),
        "{kind}: run errors {errors:?}: {}",
        s["errors"]
    );
}

/// Scans read by OCR (Tesseract): floors below what was measured when last raised (P 0.975,
/// R 0.822 over 40 scans).
const SCAN_FLOORS: (f64, f64) = (0.95, 0.79);

/// Issue 16: recall on scans is at least this share of the recall the same invoices get from
/// their digital text.
const SCAN_TO_DIGITAL: f64 = 0.8;

/// The recall the scanned invoices get from their digital text: over every (source document,
/// field) pair of the scans' truth, the share the digital run got right (its failures list
/// every field it missed or got wrong).
fn digital_recall_of_scanned(dir: &Path, digital: &Value) -> f64 {
    let failed: std::collections::HashSet<(String, String)> = digital["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("file"), s("field"))
        })
        .collect();
    let truth = std::fs::read_to_string(dir.join("truth.jsonl")).unwrap();
    let (mut n, mut ok) = (0usize, 0usize);
    for line in truth.lines().filter(|l| !l.trim().is_empty()) {
        let r: Value = serde_json::from_str(line).unwrap();
        if r["kind"] != "scanned" {
            continue;
        }
        // "the truth of files/X.pdf (same page, scanned)"
        let by = r["truth_by"].as_str().expect("truth_by");
        let from = by.find("files/").expect("a source file");
        let source = by[from..].split(' ').next().unwrap().to_owned();
        for field in r["truth"].as_object().unwrap().keys() {
            n += 1;
            ok += usize::from(!failed.contains(&(source.clone(), field.clone())));
        }
    }
    ok as f64 / n.max(1) as f64
}

#[test]
fn third_party_scans_are_read_by_ocr() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: ../shared/corpus/third-party is not here");
        return;
    };
    let installed = |p: &str| Command::new(p).arg("--version").output().is_ok();
    if !installed("python3") || !installed("tesseract") {
        eprintln!("skipped: python3 or tesseract is not installed");
        return;
    }
    let s = score(&dir, "scanned");
    assert_no_run_error(&s, "scanned");
    let k = &s["kinds"]["scanned"];
    let (p, r) = (
        k["precision"].as_f64().unwrap(),
        k["recall"].as_f64().unwrap(),
    );
    let digital = digital_recall_of_scanned(&dir, &score(&dir, "plain-pdf,stripped-pdf"));
    eprintln!(
        "scanned: precision {p:.3}, recall {r:.3}; the same invoices from their text: recall \
         {digital:.3} (ratio {:.3})",
        r / digital
    );
    assert!(
        p >= SCAN_FLOORS.0 && r >= SCAN_FLOORS.1,
        "scans: P {p:.3} R {r:.3} below {SCAN_FLOORS:?}: {}",
        s["failures"]
    );
    assert!(
        r >= SCAN_TO_DIGITAL * digital,
        "scans: recall {r:.3} is less than {SCAN_TO_DIGITAL} of the digital {digital:.3}"
    );
}

#[test]
fn third_party_invoices_are_read_as_their_producers_wrote_them() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: ../shared/corpus/third-party is not here");
        return;
    };
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    for kind in ["einvoice-xml", "einvoice-pdf"] {
        let s = score(&dir, kind);
        let k = &s["kinds"][kind];
        assert_no_run_error(&s, kind);
        assert_eq!(
            k["ok"], k["n"],
            "{kind}: not every field exact: {}",
            s["failures"]
        );
    }
    for (kind, floor) in RECALL_FLOORS {
        let s = score(&dir, kind);
        assert_no_run_error(&s, kind);
        let recall = s["kinds"][kind]["recall"].as_f64().unwrap();
        eprintln!("{kind}: recall {recall:.3}");
        assert!(
            recall >= *floor,
            "{kind}: recall {recall:.3} < {floor}: {}",
            s["failures"]
        );
        for (field, f) in s["fields"][kind].as_object().unwrap() {
            let (ok, wrong) = (f["ok"].as_u64().unwrap(), f["wrong"].as_u64().unwrap());
            if ok + wrong > 0 {
                let p = ok as f64 / (ok + wrong) as f64;
                assert!(
                    p >= MIN_PRECISION,
                    "{kind} {field}: precision {p:.3} < {MIN_PRECISION}: {}",
                    s["failures"]
                );
            }
        }
    }
}
