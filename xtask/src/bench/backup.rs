//! `cargo xtask bench backup`: `coffre backup create`, first and incremental, against `rsync -a`.

use std::process::Command;

use anyhow::{Context, Result, bail};

use super::fixtures::{BenchVault, bench_files};
use crate::util::{cargo, root};

/// 10,000 documents of 20 KB: the first backup and an incremental one (after 100 more
/// documents) against `rsync -a` of the vault folder to a fresh and to an up-to-date copy, in the
/// same run.
pub(super) fn backup_bench() -> Result<()> {
    const FILES: usize = 10_000;
    cargo(&["build", "--release", "--locked", "-p", "coffre-cli"])?;
    let work = root().join("target/bench-backup");
    let _ = std::fs::remove_dir_all(&work);
    let v = BenchVault::create(work.join("vault"))?;
    let vault = v.dir.clone();
    let first = bench_files(&work, "src1", 0, FILES, 20 * 1024)?;
    v.run(&["import", first.to_str().unwrap_or_default()])?;
    let dest = work.join("backup");
    let mirror = work.join("rsync-copy");
    let rsync = |label: &str| -> Result<f64> {
        let start = std::time::Instant::now();
        let ok = Command::new("rsync")
            .arg("-a")
            .arg(format!("{}/", vault.display()))
            .arg(&mirror)
            .status()
            .context("rsync (Debian package rsync)")?
            .success();
        if !ok {
            bail!("rsync {label} failed");
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let backup = || -> Result<f64> {
        let start = std::time::Instant::now();
        v.run(&[
            "backup",
            "create",
            "--to",
            dest.to_str().unwrap_or_default(),
        ])?;
        Ok(start.elapsed().as_secs_f64())
    };
    let b1 = backup()?;
    let r1 = rsync("first")?;
    let more = bench_files(&work, "src2", FILES, 100, 20 * 1024)?;
    v.run(&["import", more.to_str().unwrap_or_default()])?;
    std::thread::sleep(std::time::Duration::from_millis(1100)); // one generation per second
    let b2 = backup()?;
    let r2 = rsync("incremental")?;
    println!("backup of {FILES} documents of 20 KB (release build, same run):");
    println!(
        "  first:        coffre backup create {b1:>6.2} s   rsync -a {r1:>6.2} s   ratio {:.2}x",
        b1 / r1
    );
    println!(
        "  incremental:  coffre backup create {b2:>6.2} s   rsync -a {r2:>6.2} s   ratio {:.2}x  (+100 documents)",
        b2 / r2
    );
    Ok(())
}
