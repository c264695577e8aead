//! The cost of parsing in a worker process: the extraction benchmark's documents (the
//! extractor's committed fixtures: real producers' PDFs, UBL and CII files, and the third-party
//! corpus in `../shared/corpus/third-party/files` when it is there), each extracted in this
//! process and through a warm extraction worker, in the same run; plus `pdftotext FILE -` on the
//! PDFs as the outside baseline. Scanned PDFs (`scan-*`, read by OCR) are left out: `cargo xtask
//! bench ocr` compares them with tesseract. Prints one line per file and the ratios.
//!
//! `cargo bench -p coffre-core --bench worker` (or `cargo xtask bench worker`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coffre_core::records::worker::{Extractor, Isolation};

#[path = "../../../xtask/src/bench/ratio.rs"]
mod ratio;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pdf" || x == "xml"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Mean time of `f` over at least 5 runs and about `budget`.
fn mean(budget: Duration, mut f: impl FnMut()) -> Duration {
    f(); // warm caches (and the worker)
    let start = Instant::now();
    let mut n = 0u32;
    while n < 5 || start.elapsed() < budget {
        f();
        n += 1;
    }
    start.elapsed() / n
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // The worker is this very program, started with the worker argument.
    coffre_core::records::worker::serve_if_requested();
    let test_mode = std::env::args().any(|a| a == "--test");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut paths = files(&root.join("../extract/tests/fixtures"));
    paths.extend(files(
        &root.join("../../../shared/corpus/third-party/files"),
    ));
    if test_mode {
        paths.truncate(2);
    }
    let budget = Duration::from_millis(if test_mode { 1 } else { 400 });
    let in_process = Extractor::new(Isolation::InProcess);
    let worker = Extractor::new(Isolation::this_program());
    let has_pdftotext = Command::new("pdftotext")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_ok();
    println!(
        "{:<44} {:>10} {:>10} {:>7} {:>10}",
        "document", "in-proc ms", "worker ms", "ratio", "pdftotext"
    );
    let (mut sum_in, mut sum_w, mut sum_pdf_w, mut sum_p) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let mut scans = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // A PDF without text is read by OCR (seconds a page, where pdftotext reads nothing):
        // `cargo xtask bench ocr` measures that against tesseract.
        if name.starts_with("scan-") || name.contains("-scan") {
            scans += 1;
            continue;
        }
        let t_in = mean(budget, || {
            in_process.extract(&bytes, &name).unwrap();
        });
        let t_w = mean(budget, || {
            worker.extract(&bytes, &name).unwrap();
        });
        sum_in += t_in;
        sum_w += t_w;
        let mut pdf = String::from("-");
        if has_pdftotext && name.ends_with(".pdf") {
            let t_p = mean(budget, || {
                let _ = Command::new("pdftotext")
                    .arg(path)
                    .arg("-")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            });
            sum_p += t_p;
            sum_pdf_w += t_w;
            pdf = format!("{:.3}", ms(t_p));
        }
        println!(
            "{:<44} {:>10.3} {:>10.3} {:>7.2} {:>10}",
            name.chars().take(44).collect::<String>(),
            ms(t_in),
            ms(t_w),
            t_w.as_secs_f64() / t_in.as_secs_f64(),
            pdf
        );
    }
    println!(
        "overall ({} documents): worker / in-process = {:.2} (sum {:.1} ms / {:.1} ms)",
        paths.len(),
        sum_w.as_secs_f64() / sum_in.as_secs_f64().max(1e-9),
        ms(sum_w),
        ms(sum_in)
    );
    if sum_p > Duration::ZERO {
        println!(
            "PDFs with text ({scans} scanned PDFs left out): worker / pdftotext = {:.2} (sum {:.1} ms / {:.1} ms)",
            sum_pdf_w.as_secs_f64() / sum_p.as_secs_f64(),
            ms(sum_pdf_w),
            ms(sum_p)
        );
        if !test_mode {
            ratio::record(
                "extraction in the warm worker: PDFs",
                ms(sum_pdf_w),
                "ms",
                "pdftotext",
                ms(sum_p),
                1.3,
            );
        }
    }
}
