//! `cargo xtask bench bundle`: `coffre bundle create` against `zip -r -0` of the same files.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use super::fixtures::{BenchVault, bench_files, timed};
use crate::util::root;

/// 2,000 invoices of 200 KB (about 400 MB): `coffre bundle create` against `zip -r -0` of the
/// same plaintext files, in the same run; time and peak memory of each.
pub(super) fn bundle_bench(coffre: &Path) -> Result<()> {
    const FILES: usize = 2000;
    let work = root().join("target/bench-bundle");
    let _ = std::fs::remove_dir_all(&work);
    bench_files(&work, "invoices", 0, FILES, 200 * 1024)?;
    let v = BenchVault::create(coffre, work.join("vault"))?;
    v.run(&["import", work.join("invoices").to_str().unwrap_or_default()])?;
    v.run(&[
        "consent",
        "grant",
        "--party",
        "Cabinet Martin",
        "--purpose",
        "bookkeeping",
    ])?;
    let out = work.join("bundle.zip");
    let (bundle_s, bundle_kib) = timed(v.cmd().args([
        "bundle",
        "create",
        "--recipient",
        "Cabinet Martin",
        "--period",
        "2026",
        "--out",
        out.to_str().unwrap_or_default(),
    ]))?;
    let zip_out = work.join("baseline.zip");
    let (zip_s, zip_kib) = timed(
        Command::new("zip")
            .args(["-q", "-r", "-0"])
            .arg(&zip_out)
            .arg("invoices")
            .current_dir(&work),
    )?;
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!("bundle of {FILES} invoices of 200 KB (release build, same run):");
    println!(
        "  coffre bundle create  {bundle_s:>6.2} s  peak {:>6.1} MiB  {:>5} MiB written",
        bundle_kib as f64 / 1024.0,
        size(&out) >> 20
    );
    println!(
        "  zip -r -0 (baseline)  {zip_s:>6.2} s  peak {:>6.1} MiB  {:>5} MiB written",
        zip_kib as f64 / 1024.0,
        size(&zip_out) >> 20
    );
    println!(
        "  ratio                 {:.2}x",
        bundle_s / zip_s.max(0.001)
    );
    super::ratio::record(
        "bundle: 2,000 invoices of 200 KB",
        bundle_s,
        "s",
        "zip -r -0",
        zip_s,
        2.0,
    );
    Ok(())
}
