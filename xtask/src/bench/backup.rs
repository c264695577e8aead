//! `cargo xtask bench backup`: `coffre backup create`, first and incremental, against restic
//! (which also encrypts and deduplicates; the Debian package `restic`) and `rsync -a` (a plain
//! copy), on the same vault folder in the same run.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::fixtures::{BenchVault, bench_files};
use super::ratio::record;
use crate::setup::setup;
use crate::util::root;

/// Runs `command` and returns its wall time in seconds; fails when it fails.
fn timed(label: &str, command: &mut Command) -> Result<f64> {
    let start = std::time::Instant::now();
    let out = command
        .output()
        .with_context(|| format!("{label} (is it installed?)"))?;
    if !out.status.success() {
        bail!("{label} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(start.elapsed().as_secs_f64())
}

fn restic(repo: &Path) -> Command {
    let mut c = Command::new("restic");
    c.arg("--repo")
        .arg(repo)
        .args(["--quiet", "--no-cache"])
        .env("RESTIC_PASSWORD", "bench passphrase");
    c
}

/// 10,000 documents of 20 KB: the first backup and an incremental one (after 100 more
/// documents), each against restic and rsync on the same vault folder.
pub(super) fn backup_bench(coffre: &Path) -> Result<()> {
    const FILES: usize = 10_000;
    setup()?; // restic, rsync
    let work = root().join("target/bench-backup");
    if work.exists() {
        // Left by a run that stopped early. ext4 skips inodes freed within the last ~30 s
        // when it allocates new ones, and the first tool to create 10,000 files right after
        // 40,000 were deleted pays for it (3x here): wait before measuring anyone.
        std::fs::remove_dir_all(&work).context("removing the last run's files")?;
        eprintln!("(removed a previous run's files: waiting 40 s for the filesystem)");
        std::thread::sleep(std::time::Duration::from_secs(40));
    }
    let v = BenchVault::create(coffre, work.join("vault"))?;
    let vault = v.dir.clone();
    let first = bench_files(&work, "src1", 0, FILES, 20 * 1024)?;
    v.run(&["import", first.to_str().unwrap_or_default()])?;
    let dest = work.join("backup");
    let mirror = work.join("rsync-copy");
    let repo = work.join("restic-repo");
    timed("restic init", restic(&repo).arg("init"))?;
    let restic_backup = || timed("restic backup", restic(&repo).arg("backup").arg(&vault));
    let rsync = || {
        timed(
            "rsync -a",
            Command::new("rsync")
                .arg("-a")
                .arg(format!("{}/", vault.display()))
                .arg(&mirror),
        )
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
    // Before each measure, what the step before wrote is flushed: the tool measured then pays
    // for its own writes only (Coffre's one `syncfs` would otherwise also flush the source
    // files this benchmark generated).
    let settle = || -> Result<()> { timed("sync", &mut Command::new("sync")).map(|_| ()) };
    // Each tool reads the same files from the page cache: one reading pass first (reading
    // only: deleting a copy would slow whoever creates files next, see above).
    timed(
        "reading the vault",
        Command::new("sh")
            .arg("-c")
            .arg("find \"$0\" -type f -exec cat {} + > /dev/null")
            .arg(&vault),
    )?;
    settle()?;
    let b1 = backup()?;
    settle()?;
    let s1 = restic_backup()?;
    settle()?;
    let r1 = rsync()?;
    let more = bench_files(&work, "src2", FILES, 100, 20 * 1024)?;
    v.run(&["import", more.to_str().unwrap_or_default()])?;
    std::thread::sleep(std::time::Duration::from_millis(1100)); // one generation per second
    settle()?;
    let b2 = backup()?;
    settle()?;
    let s2 = restic_backup()?;
    settle()?;
    let r2 = rsync()?;
    println!("backup of {FILES} documents of 20 KB (release build, same run):");
    println!(
        "  first:        coffre {b1:>6.2} s   restic {s1:>6.2} s   rsync -a {r1:>6.2} s   coffre/restic {:.2}x",
        b1 / s1
    );
    println!(
        "  incremental:  coffre {b2:>6.2} s   restic {s2:>6.2} s   rsync -a {r2:>6.2} s   coffre/restic {:.2}x  (+100 documents)",
        b2 / s2
    );
    record(
        "backup: first, 10,000 x 20 KB",
        b1,
        "s",
        "restic backup",
        s1,
        1.0,
    );
    record(
        "backup: incremental, +100",
        b2,
        "s",
        "restic backup",
        s2,
        1.0,
    );
    // Removed now rather than at the next run's start (see above).
    std::fs::remove_dir_all(&work).context("removing the benchmark's files")?;
    Ok(())
}
