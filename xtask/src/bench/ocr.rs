//! `cargo xtask bench ocr`: reading 300 dpi A4 scans with `coffre extract`, against the
//! `tesseract` program on the same pages in the same run.
//!
//! Measures, on one core: the wall time of `coffre extract PAGE --json` (release build; its
//! worker process runs `tesseract` as its child) and of the baseline `tesseract PAGE - -l
//! fra+eng+deu --psm 3 tsv` (`OMP_THREAD_LIMIT=1`, as Coffre runs it); Coffre's pages per second
//! and the ratio of its time to the baseline's (target: at most 1.2, the OCR is the cost and the
//! rest must not add to it); peak memory.
//!
//! The pages are made in the run: the first page of each of [`PAGES`] one-page A4 text PDFs of
//! the third-party corpus (`../shared/corpus/third-party`, kinds `plain-pdf` and `stripped-pdf`,
//! taken evenly spread in `truth.jsonl` order), rendered at 300 dpi in 8-bit grayscale, once as
//! PNG and once as JPEG of quality 80 (scanners write JPEG), into a temporary folder. Poppler's
//! `pdftocairo` renders them: `pdftoppm -gray` (poppler 22.12) writes RGB PNGs and JPEGs.
//!
//! Noise: every command is pinned to one core (`taskset -c 0`); each page runs on both sides in
//! turn, in [`ROUNDS`] rounds (the baseline first in the first round, Coffre first in the next,
//! and so on), and a side's time for a page is the best of its runs. The totals add up those
//! per-page times.
//!
//! Memory: every command runs under GNU time, whose `%M` is the peak resident size of the whole
//! process tree (the kernel keeps the largest of the waited-for descendants): for the baseline
//! that is `tesseract` alone, for Coffre the largest of the CLI, its worker and the worker's
//! `tesseract`. The worker's own peak is its `VmHWM` in `/proc`, read every 20 ms while it runs
//! (a lower bound by at most the last 20 ms of its life). Figures are the largest over the pages.
//!
//! Promises: without the corpus the benchmark says so and succeeds without measuring; a page
//! Coffre does not report as `format` `image`, or reports with "OCR unavailable", fails it; the
//! number of pages whose invoice number was found is printed as a check that OCR ran.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::util::{have, root};

/// How many PDFs give a page (each page is benchmarked as PNG and as JPEG).
const PAGES: usize = 6;

/// How many times each page runs on each side; the best run counts.
const ROUNDS: usize = 3;

/// Arguments of the baseline after the image path: the languages, page segmentation and output
/// Coffre asks for, the page read from its file as a user of the program would (Coffre gives it
/// as PNG on standard input, with `--dpi`).
const TESSERACT_ARGS: [&str; 6] = ["-", "-l", "fra+eng+deu", "--psm", "3", "tsv"];

/// 300 dpi A4 grayscale scans through `coffre extract` and through `tesseract`, one core.
pub(super) fn ocr_bench(coffre: &Path) -> Result<()> {
    let corpus = root().join("../shared/corpus/third-party");
    if !corpus.join("truth.jsonl").exists() {
        println!(
            "bench ocr: skipped, no corpus at {} (the third-party PDFs the pages are made from)",
            corpus.display()
        );
        return Ok(());
    }
    for (program, package) in [
        ("pdftocairo", "poppler-utils"),
        ("pdfinfo", "poppler-utils"),
        ("tesseract", "tesseract-ocr"),
        ("/usr/bin/time", "time"),
    ] {
        if !have(program) {
            bail!("{program} is not installed (Debian package {package}; `cargo xtask setup`)");
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix("coffre-bench-ocr")
        .tempdir()?;
    let pages = make_pages(&corpus, tmp.path())?;
    let pin: Vec<String> = if have("taskset") {
        vec!["taskset".into(), "-c".into(), "0".into()]
    } else {
        eprintln!("(taskset not installed: commands are not pinned to one core)");
        Vec::new()
    };

    // Per page: the best time of each side, and the peaks over all runs.
    let mut best = vec![[f64::INFINITY; 2]; pages.len()];
    let mut tesseract_kib = 0;
    let mut tree_kib = 0;
    let (mut worker_kib, mut worker_tess_kib) = (None, None);
    let mut found = 0;
    let width = pages.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for round in 0..ROUNDS {
        eprintln!(
            "round {} of {ROUNDS} ({} pages, each on both sides)",
            round + 1,
            pages.len()
        );
        for (i, page) in pages.iter().enumerate() {
            let p = page.path.to_str().context("page path")?;
            let mut tess: Vec<&str> = vec!["tesseract", p];
            tess.extend(TESSERACT_ARGS);
            let coffre_cmd = [
                coffre.to_str().context("coffre path")?,
                "extract",
                p,
                "--json",
            ];
            let sides: [&[&str]; 2] = [&tess, &coffre_cmd];
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut number = None;
            for side in order {
                let run = measure(&pin, sides[side])?;
                best[i][side] = best[i][side].min(run.secs);
                if side == 0 {
                    tesseract_kib = tesseract_kib.max(run.tree_kib);
                    continue;
                }
                tree_kib = tree_kib.max(run.tree_kib);
                let seen = |depth, name: &str| run.peaks.get(&(depth, name.to_owned())).copied();
                worker_kib = worker_kib.max(seen(1, "coffre"));
                worker_tess_kib = worker_tess_kib.max(seen(2, "tesseract"));
                let json: serde_json::Value = serde_json::from_slice(&run.stdout)
                    .with_context(|| format!("coffre extract {}: not JSON", page.name))?;
                if json["format"] != "image" {
                    bail!(
                        "coffre extract {}: format is not \"image\": {json}",
                        page.name
                    );
                }
                if json["issues"].to_string().contains("OCR unavailable") {
                    bail!("coffre extract {}: OCR unavailable: {json}", page.name);
                }
                number = json["number"].as_str().map(|n| format!("{n:?}"));
            }
            if round == ROUNDS - 1 {
                found += usize::from(number.is_some());
                eprintln!(
                    "  {:<width$}  tesseract {:>6.2} s  coffre {:>6.2} s  number {}",
                    page.name,
                    best[i][0],
                    best[i][1],
                    number.as_deref().unwrap_or("-")
                );
            }
        }
    }

    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "OCR of 300 dpi A4 grayscale pages from {PAGES} third-party PDFs, one core{}, \
         best of {ROUNDS} runs per page:",
        if pin.is_empty() {
            ""
        } else {
            " (taskset -c 0)"
        }
    );
    println!(
        "  {:<10} {:>5}  {:>11}  {:>8}  {:>14}  {:>13}",
        "pages", "n", "tesseract s", "coffre s", "coffre pages/s", "ratio (≤ 1.2)"
    );
    for (label, filter) in [
        ("PNG", Some("png")),
        ("JPEG q80", Some("jpg")),
        ("all", None),
    ] {
        let rows: Vec<usize> = (0..pages.len())
            .filter(|&i| filter.is_none_or(|ext| pages[i].path.extension() == Some(ext.as_ref())))
            .collect();
        let base: f64 = rows.iter().map(|&i| best[i][0]).sum();
        let ours: f64 = rows.iter().map(|&i| best[i][1]).sum();
        println!(
            "  {label:<10} {:>5}  {base:>11.2}  {ours:>8.2}  {:>14.3}  {:>13.3}",
            rows.len(),
            rows.len() as f64 / ours,
            ours / base
        );
    }
    let ratio = best.iter().map(|b| b[1]).sum::<f64>() / best.iter().map(|b| b[0]).sum::<f64>();
    println!(
        "  target ratio ≤ 1.2: {}",
        if ratio <= 1.2 { "met" } else { "NOT met" }
    );
    super::ratio::record(
        "OCR: 300 dpi pages",
        best.iter().map(|b| b[1]).sum::<f64>(),
        "s",
        "tesseract",
        best.iter().map(|b| b[0]).sum::<f64>(),
        1.2,
    );
    println!("peak memory (largest page):");
    println!(
        "  tesseract alone (baseline)   {:>7.1} MiB",
        mib(tesseract_kib)
    );
    println!(
        "  coffre extract, whole tree   {:>7.1} MiB  (largest of CLI, worker, tesseract)",
        mib(tree_kib)
    );
    let polled = |kib: Option<u64>| {
        kib.map_or("not seen".into(), |k| {
            format!("{:>7.1} MiB  (VmHWM, read every 20 ms)", mib(k))
        })
    };
    println!("  worker process alone         {}", polled(worker_kib));
    println!("  tesseract under the worker   {}", polled(worker_tess_kib));
    println!(
        "fields: a number found on {found} of {} pages (format image)",
        pages.len()
    );
    Ok(())
}

/// One benchmark page.
struct Page {
    /// Source PDF and image kind, for the progress lines.
    name: String,
    /// The image file.
    path: PathBuf,
}

/// Renders the first page of [`PAGES`] one-page A4 text PDFs of the corpus into `dir`, as PNG
/// and as JPEG.
fn make_pages(corpus: &Path, dir: &Path) -> Result<Vec<Page>> {
    let truth = std::fs::read_to_string(corpus.join("truth.jsonl"))?;
    let mut candidates = Vec::new();
    for line in truth.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let record: serde_json::Value = serde_json::from_str(line)?;
        if record["kind"] != "plain-pdf" && record["kind"] != "stripped-pdf" {
            continue;
        }
        let file = record["file"]
            .as_str()
            .context("truth.jsonl line without file")?;
        let pdf = corpus.join(file);
        let info = Command::new("pdfinfo").arg(&pdf).output()?;
        let info = String::from_utf8_lossy(&info.stdout);
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        // A4 is 595 x 842 points.
        let size: Vec<f64> = field("Page size:")
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        let near = |a: f64, b: f64| (a - b).abs() < 2.0;
        let a4 = matches!(size.as_slice(), &[w, h, ..] if near(w, 595.3) && near(h, 841.9));
        if field("Pages:") == "1" && a4 {
            candidates.push(pdf);
        }
    }
    if candidates.len() < PAGES {
        bail!(
            "only {} one-page A4 text PDFs in {}",
            candidates.len(),
            corpus.display()
        );
    }
    let mut pages = Vec::new();
    for k in 0..PAGES {
        let pdf = &candidates[k * candidates.len() / PAGES];
        let stem = pdf
            .file_stem()
            .context("PDF name")?
            .to_string_lossy()
            .into_owned();
        for (flags, ext) in [
            (&["-png"][..], "png"),
            (&["-jpeg", "-jpegopt", "quality=80"][..], "jpg"),
        ] {
            let out = dir.join(format!("{k}-{ext}-{stem}"));
            let ok = Command::new("pdftocairo")
                .args(["-r", "300", "-gray", "-f", "1", "-l", "1", "-singlefile"])
                .args(flags)
                .arg(pdf)
                .arg(&out)
                .status()?
                .success();
            let path = dir.join(format!("{k}-{ext}-{stem}.{ext}"));
            if !ok || !path.exists() {
                bail!("pdftocairo could not render {}", pdf.display());
            }
            pages.push(Page {
                name: format!("{stem}.{ext}"),
                path,
            });
        }
    }
    Ok(pages)
}

/// What one measured command did.
struct Run {
    /// Wall time, seconds.
    secs: f64,
    /// Peak resident KiB of the whole tree (GNU time `%M`).
    tree_kib: u64,
    /// Largest `VmHWM` seen, KiB, by (depth below the command, process name); depth 0 is the
    /// command itself.
    peaks: BTreeMap<(usize, String), u64>,
    /// Its standard output.
    stdout: Vec<u8>,
}

/// Runs `pin` + `argv` under GNU time, watching its processes' peak memory; fails when it fails.
fn measure(pin: &[String], argv: &[&str]) -> Result<Run> {
    let report = tempfile::NamedTempFile::new()?;
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .args(pin)
        .args(argv)
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("/usr/bin/time")?;
    let start = Instant::now();
    let time_pid = child.id();
    let (mut out, mut err) = (
        child.stdout.take().context("stdout")?,
        child.stderr.take().context("stderr")?,
    );
    let stdout = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let stderr = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peaks = BTreeMap::new();
            while !done.load(Ordering::Relaxed) {
                let mut tree = Vec::new();
                // Depth 0 is GNU time's child: the command.
                descendants(time_pid, 0, &mut tree);
                for (pid, depth) in tree {
                    if let Some((name, kib)) = peak_of(pid) {
                        let e = peaks.entry((depth - 1, name)).or_insert(0);
                        *e = kib.max(*e);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peaks
        })
    };
    let status = child.wait()?;
    let secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let peaks = watcher.join().unwrap_or_default();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        bail!(
            "{} failed ({status}): {}",
            argv.join(" "),
            String::from_utf8_lossy(&stderr).trim()
        );
    }
    let tree_kib = std::fs::read_to_string(report.path())?
        .split_whitespace()
        .last()
        .and_then(|w| w.parse().ok())
        .context("GNU time gave no %M")?;
    Ok(Run {
        secs,
        tree_kib,
        peaks,
        stdout,
    })
}

/// The processes below `pid`, each with its depth (its children are at `depth + 1`).
fn descendants(pid: u32, depth: usize, out: &mut Vec<(u32, usize)>) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for task in tasks.flatten() {
        let Ok(kids) = std::fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        for kid in kids.split_whitespace().filter_map(|k| k.parse().ok()) {
            out.push((kid, depth + 1));
            descendants(kid, depth + 1, out);
        }
    }
}

/// A live process's name and peak resident size (`VmHWM`, KiB).
fn peak_of(pid: u32) -> Option<(String, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let kib = field("VmHWM:")?
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((field("Name:")?.to_owned(), kib))
}
