//! `cargo xtask bench ingest`: importing with `coffre import` against a watched folder, and the
//! CPU an idle watcher uses.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use super::fixtures::{BenchVault, bench_files};
use crate::util::root;

/// 1,000 PDFs of 200 KB through `coffre import` and through a watched folder (files/s), and the
/// CPU a watcher with nothing to do uses.
pub(super) fn ingest_bench(coffre: &Path) -> Result<()> {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    const FILES: usize = 1000;
    let work = root().join("target/bench-ingest");
    let _ = std::fs::remove_dir_all(&work);
    let src = bench_files(&work, "src", 0, FILES, 200 * 1024)?;

    // 1. coffre import of the folder.
    let v1 = BenchVault::create(coffre, work.join("vault-import"))?;
    let start = Instant::now();
    v1.run(&["import", src.to_str().unwrap_or_default()])?;
    let import_s = start.elapsed().as_secs_f64();

    // 2. The same files moved into a watched folder (settle 300 ms).
    let v2 = BenchVault::create(coffre, work.join("vault-watch"))?;
    let inbox = work.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    let mut child = v2
        .cmd()
        .args([
            "watch",
            inbox.to_str().unwrap_or_default(),
            "--after",
            "move",
            "--settle-ms",
            "300",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("watch stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    // Idle CPU first: the watcher on an empty folder for 10 s.
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        if line.contains("\"watching\"") {
            break;
        }
    }
    let ticks = |pid: u32| -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    };
    let t0 = ticks(child.id());
    std::thread::sleep(Duration::from_secs(10));
    let idle = match (t0, ticks(child.id())) {
        (Some(a), Some(b)) => format!(
            "{:.2} % of one core ({} ticks of 10 ms in 10 s)",
            (b - a) as f64 / 10.0,
            b - a
        ),
        _ => "not measured (no /proc)".into(),
    };
    let start = Instant::now();
    for entry in std::fs::read_dir(&src)? {
        let p = entry?.path();
        std::fs::rename(&p, inbox.join(p.file_name().context("name")?))?;
    }
    let mut handled = 0;
    while handled < FILES {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .context("watcher stalled")?;
        if line.contains("\"kind\":\"handled\"") {
            handled += 1;
        }
    }
    let watch_s = start.elapsed().as_secs_f64();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();

    println!("ingest of {FILES} PDFs of 200 KB (release build):");
    println!(
        "  coffre import      {import_s:>6.2} s  {:>7.1} files/s",
        FILES as f64 / import_s
    );
    println!(
        "  watched folder     {watch_s:>6.2} s  {:>7.1} files/s  (settle 300 ms, move policy)",
        FILES as f64 / watch_s
    );
    println!("  idle watcher CPU   {idle}");
    Ok(())
}
