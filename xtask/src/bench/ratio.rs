//! One row of the benchmark table: a figure, the baseline it is compared with (measured in the
//! same run, or a budget), and the limit of their ratio.
//!
//! Shared source: xtask's own benchmarks use it as a module, and the benchmark programs of the
//! crates include this file with `#[path]` (it needs nothing but std). A row is printed, and
//! appended to the file named by `COFFRE_BENCH_TABLE` when `cargo xtask bench` set it; the
//! table at the end of the run is read from there (see `table.rs`).
//!
//! Line format, one row per line, tab-separated: metric, measured, unit, baseline label,
//! baseline value, limit. The ratio is measured / baseline value (lower is better).

#![allow(dead_code)] // each including program uses part of it

use std::io::Write;

/// The environment variable naming the table file.
pub const TABLE_ENV: &str = "COFFRE_BENCH_TABLE";

/// Records one row: `measured` against `baseline_value` (same unit), `limit` the highest
/// acceptable ratio.
pub fn record(
    metric: &str,
    measured: f64,
    unit: &str,
    baseline: &str,
    baseline_value: f64,
    limit: f64,
) {
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    println!(
        "ratio: {metric}: {measured:.3} {unit} / {baseline} {baseline_value:.3} {unit} = {:.2} (limit {limit:.2})",
        measured / baseline_value.max(f64::MIN_POSITIVE)
    );
    let Some(path) = std::env::var_os(TABLE_ENV) else {
        return;
    };
    let line = format!(
        "{}\t{measured}\t{}\t{}\t{baseline_value}\t{limit}\n",
        clean(metric),
        clean(unit),
        clean(baseline)
    );
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "cannot append to the benchmark table {}: {e}",
            path.to_string_lossy()
        );
    }
}
