//! `coffre_extract::extract` per document, on the committed PDF fixtures (real producers and
//! Ghostscript), generated plain PDFs of 1, 5 and 20 pages, a UBL and a CII file.
//!
//! Before criterion runs, a plain timing loop measures `extract` and `pdftotext FILE -`
//! (poppler-utils, spawned as a process, so its figure includes process start-up) on the same
//! PDFs in the same run and prints the ratio per file and overall. Without pdftotext the
//! baseline is skipped with a message.
//!
//! `cargo bench -p coffre-extract --bench extract` (criterion options after `--`).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../../../xtask/src/bench/ratio.rs"]
mod ratio;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coffre_extract::{Limits, extract};
use criterion::{Criterion, Throughput};
use support::invoices::generate;
use support::{OpStyle, Placed, build_doc, save};

struct Doc {
    name: String,
    bytes: Vec<u8>,
    is_pdf: bool,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A plain invoice of `pages` pages: the generated invoice #`seed` as page one, then pages of
/// item rows (50 lines each) continuing the table.
fn multi_page(seed: u64, pages: usize) -> Vec<u8> {
    if pages == 1 {
        return generate(seed).pdf;
    }
    let mut all = vec![vec![
        Placed {
            x: 50.0,
            y: 800.0,
            text: "ACME Conseil SAS".into(),
        },
        Placed {
            x: 50.0,
            y: 786.0,
            text: "FACTURE".into(),
        },
        Placed {
            x: 50.0,
            y: 772.0,
            text: format!("Facture N° F-2026-{seed:04}"),
        },
        Placed {
            x: 50.0,
            y: 758.0,
            text: "Date : 14/10/2026".into(),
        },
    ]];
    for p in 1..pages {
        let mut items = Vec::new();
        for k in 0..50 {
            let y = 800.0 - 14.0 * k as f32;
            let n = p * 50 + k;
            items.push(Placed {
                x: 50.0,
                y,
                text: format!("Prestation de service n° {n} (forfait)"),
            });
            items.push(Placed {
                x: 380.0,
                y,
                text: format!("{},{:02}", 100 + n, n % 100),
            });
        }
        if p + 1 == pages {
            items.push(Placed {
                x: 330.0,
                y: 60.0,
                text: "Total TTC 1 200,00 €".into(),
            });
        }
        all.push(items);
    }
    save(&mut build_doc(&all, OpStyle::TdTj))
}

fn documents() -> Vec<Doc> {
    let mut docs = Vec::new();
    let dir = fixtures_dir();
    let mut pdfs = files_with_ext(&dir, "pdf");
    for producer in ["libreoffice", "pdftex", "chromium"] {
        pdfs.extend(files_with_ext(&dir.join("real").join(producer), "pdf"));
    }
    for p in pdfs {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        docs.push(Doc {
            name,
            bytes,
            is_pdf: true,
        });
    }
    for pages in [1, 5, 20] {
        docs.push(Doc {
            name: format!("generated-{pages}p.pdf"),
            bytes: multi_page(7, pages),
            is_pdf: true,
        });
    }
    for xml in ["ubl-invoice-eur.xml", "cii-invoice-eur.xml"] {
        docs.push(Doc {
            name: xml.to_string(),
            bytes: support::fixture(xml),
            is_pdf: false,
        });
    }
    docs
}

/// Mean wall time of `f` over enough runs to fill about `budget` (at least 3 runs).
fn mean_time(budget: Duration, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < 3 || start.elapsed() < budget {
        f();
        runs += 1;
    }
    start.elapsed() / runs
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times extract and `pdftotext FILE -` on the same PDFs; prints per-file and overall ratios.
fn pdftotext_baseline(docs: &[Doc]) {
    let available = Command::new("pdftotext")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !available {
        println!("pdftotext not found (install poppler-utils): baseline comparison skipped");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("coffre-extract-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&tmp) {
        println!(
            "cannot create {}: {e}; baseline comparison skipped",
            tmp.display()
        );
        return;
    }
    let limits = Limits::default();
    let budget = Duration::from_millis(400);
    // `pdftotext -v` starts the process and exits: an estimate of the start-up share.
    let startup = mean_time(budget, || {
        let _ = Command::new("pdftotext").arg("-v").output();
    });
    println!(
        "pdftotext start-up estimate (pdftotext -v): {:.3} ms",
        ms(startup)
    );
    println!(
        "{:<28} {:>12} {:>14} {:>7} {:>12} {:>9}",
        "document", "extract ms", "pdftotext ms", "ratio", "net of start", "ratio net"
    );
    let (mut sum_e, mut sum_p, mut files) = (Duration::ZERO, Duration::ZERO, 0u32);
    for d in docs.iter().filter(|d| d.is_pdf) {
        let path = tmp.join(&d.name);
        if std::fs::write(&path, &d.bytes).is_err() {
            continue;
        }
        let te = mean_time(budget, || {
            black_box(extract(black_box(&d.bytes), Some(&d.name), &limits));
        });
        let mut ok = true;
        let tp = mean_time(budget, || {
            let out = Command::new("pdftotext")
                .arg(&path)
                .arg("-")
                .stderr(Stdio::null())
                .output();
            ok &= out.is_ok_and(|o| o.status.success());
        });
        if !ok {
            println!("{:<28} pdftotext failed on this file", d.name);
            continue;
        }
        sum_e += te;
        sum_p += tp;
        files += 1;
        let net = tp.saturating_sub(startup).max(Duration::from_micros(1));
        println!(
            "{:<28} {:>12.3} {:>14.3} {:>7.2} {:>12.3} {:>9.2}",
            d.name,
            ms(te),
            ms(tp),
            te.as_secs_f64() / tp.as_secs_f64(),
            ms(net),
            te.as_secs_f64() / net.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
    if sum_p > Duration::ZERO {
        let net = sum_p
            .saturating_sub(startup * files)
            .max(Duration::from_micros(1));
        println!(
            "{:<28} {:>12.3} {:>14.3} {:>7.2} {:>12.3} {:>9.2}   (sums over the PDFs)",
            "overall",
            ms(sum_e),
            ms(sum_p),
            sum_e.as_secs_f64() / sum_p.as_secs_f64(),
            ms(net),
            sum_e.as_secs_f64() / net.as_secs_f64()
        );
        ratio::record(
            "extraction in process: PDFs",
            ms(sum_e),
            "ms",
            "pdftotext",
            ms(sum_p),
            1.3,
        );
    }
}

fn bench_extract(c: &mut Criterion, docs: &[Doc]) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("extract");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for d in docs {
        group.throughput(Throughput::Bytes(d.bytes.len() as u64));
        group.bench_function(&d.name, |b| {
            b.iter(|| extract(black_box(&d.bytes), Some(&d.name), &limits));
        });
    }
    group.finish();
}

fn main() {
    let docs = documents();
    // Under `cargo test --benches` criterion runs each benchmark once; skip the baseline there.
    let test_mode = std::env::args().any(|a| a == "--test");
    if !test_mode {
        pdftotext_baseline(&docs);
    }
    let mut c = Criterion::default().configure_from_args();
    bench_extract(&mut c, &docs);
    c.final_summary();
}
