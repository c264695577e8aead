//! `cargo xtask bench [NAME...]`: the benchmarks, each with its baseline measured in the same
//! run.
//!
//! Promises: the names are run in the order given (all of them when none is given); an
//! unknown name fails the task. The criterion benchmarks run through `cargo bench`; `ingest`,
//! `bundle`, `backup` and `ocr` drive the release `coffre` binary (see their modules). Every
//! benchmark records its ratios against their baselines (`ratio.rs`); the run ends with their
//! table, and fails when one is past its limit by more than 20 % (`table.rs`). `--quick`
//! leaves out the sizes that take long to build (the 1,000,000-document search vault).

mod backup;
mod bundle;
mod fixtures;
mod ingest;
mod ocr;
mod ratio;
mod table;

use std::process::Command;

use anyhow::{Result, bail};

use crate::setup::setup;
use crate::util::{cargo, npm, root, target_dir};
use backup::backup_bench;
use bundle::bundle_bench;
use ingest::ingest_bench;
use ocr::ocr_bench;

/// The benchmarks, by name: `vault` (blob crypto, import), `search` (search and table latency
/// over 100,000 and 1,000,000 documents), `extract` (extraction against pdftotext), `worker`
/// (extraction in the warm worker against pdftotext), `backup` (against restic), `app` (the
/// desktop app's launch, unlock-to-rows time and memory over the same vaults), `ocr` (300 dpi scans through
/// `coffre extract` against the `tesseract` program), `mail` (an IMAP folder fetched into a
/// vault against Python's `imaplib` download). No name runs them all.
pub(crate) fn bench(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<String> = args.iter().filter(|a| *a != "--quick").cloned().collect();
    let table = target_dir().join("bench-table.tsv");
    let _ = std::fs::remove_file(&table);
    // SAFETY: xtask is single-threaded here; the benchmarks it starts inherit the variable.
    unsafe { std::env::set_var(ratio::TABLE_ENV, &table) };
    let run = run_benches(&names, quick);
    let printed = table::print_table(&table);
    run.and(printed)
}

/// Runs `f` with `COFFRE_BENCH_DOCS` set to `docs` for the benchmarks it starts.
fn with_docs(docs: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    // SAFETY: xtask is single-threaded here.
    unsafe { std::env::set_var("COFFRE_BENCH_DOCS", docs) };
    let result = f();
    // SAFETY: as above.
    unsafe { std::env::remove_var("COFFRE_BENCH_DOCS") };
    result
}

/// The search benchmark over a vault of `docs` documents (built once, then cached).
fn search_bench(docs: &str) -> Result<()> {
    with_docs(docs, || {
        cargo(&[
            "bench",
            "--locked",
            "-p",
            "coffre-core",
            "--bench",
            "search",
        ])
    })
}

fn run_benches(names: &[String], quick: bool) -> Result<()> {
    // The vault sizes of `search` and `app`: 1,000,000 documents take long to build once.
    let sizes: &[&str] = if quick {
        &["100000"]
    } else {
        &["100000", "1000000"]
    };
    let all = [
        "vault", "search", "extract", "worker", "ingest", "bundle", "backup", "ocr", "mail", "app",
    ];
    let chosen: Vec<&str> = if names.is_empty() {
        all.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    for name in chosen {
        match name {
            "vault" => {
                eprintln!("== baseline: openssl speed -evp aes-256-gcm (one core, 64 KiB blocks)");
                let status = Command::new("openssl")
                    .args([
                        "speed",
                        "-evp",
                        "aes-256-gcm",
                        "-seconds",
                        "3",
                        "-bytes",
                        "65536",
                    ])
                    .status();
                if !matches!(status, Ok(s) if s.success()) {
                    eprintln!("(openssl not available: no baseline)");
                }
                cargo(&["bench", "--locked", "-p", "coffre-core", "--bench", "vault"])?;
            }
            "search" => {
                for docs in sizes {
                    search_bench(docs)?;
                }
            }
            "extract" => cargo(&[
                "bench",
                "--locked",
                "-p",
                "coffre-extract",
                "--bench",
                "extract",
            ])?,
            "worker" => cargo(&[
                "bench",
                "--locked",
                "-p",
                "coffre-core",
                "--bench",
                "worker",
            ])?,
            "ingest" => ingest_bench()?,
            "bundle" => bundle_bench()?,
            "backup" => backup_bench()?,
            "ocr" => ocr_bench()?,
            "mail" => {
                setup()?; // Dovecot
                cargo(&["bench", "--locked", "-p", "coffre-cli", "--bench", "mail"])?
            }
            "app" => {
                setup()?;
                npm(&["run", "build"])?;
                for docs in sizes {
                    if !root()
                        .join(format!("target/bench-vaults/search-{docs}/vault.json"))
                        .exists()
                    {
                        search_bench(docs)?;
                    }
                    with_docs(docs, || {
                        cargo(&[
                            "bench",
                            "--locked",
                            "-p",
                            "coffre-desktop",
                            "--bench",
                            "app",
                        ])
                    })?;
                }
            }
            other => bail!(
                "unknown benchmark {other:?} (vault, search, extract, worker, ingest, bundle, backup, ocr, mail, app)"
            ),
        }
    }
    Ok(())
}
