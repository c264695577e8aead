//! `cargo xtask bench [NAME...]`: the benchmarks, each with its baseline measured in the same
//! run.
//!
//! Promises: the names are run in the order given (all of them when none is given); an
//! unknown name or option fails the task before anything is built. Everything the chosen
//! benchmarks run comes from one build (`build.rs`): the benchmark programs, and the `coffre`
//! binary that `ingest`, `bundle`, `backup` and `ocr` drive (see their modules). Every
//! benchmark records its ratios against their baselines (`ratio.rs`); the run ends with their
//! table, and fails when one is past its limit by more than 20 % (`table.rs`). `--quick`
//! leaves out the sizes that take long to build (the 1,000,000-document search vault);
//! `--debug-app` measures the desktop app from the tests' debug build instead of a release
//! build of it (CI: the release build alone took 7 of CI's 60 minutes).

mod backup;
mod build;
mod bundle;
mod fixtures;
mod ingest;
mod ocr;
mod ratio;
mod table;

use std::process::Command;

use anyhow::{Result, bail};

use crate::setup::setup;
use crate::util::{npm, root, target_dir};
use backup::backup_bench;
use build::{Mode, Programs};
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
    let debug_app = args.iter().any(|a| a == "--debug-app");
    let names: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    if let Some(flag) = args
        .iter()
        .find(|a| a.starts_with("--") && *a != "--quick" && *a != "--debug-app")
    {
        bail!("unknown option {flag} (--quick, --debug-app)");
    }
    let table = target_dir().join("bench-table.tsv");
    let _ = std::fs::remove_file(&table);
    // SAFETY: xtask is single-threaded here; the benchmarks it starts inherit the variable.
    unsafe { std::env::set_var(ratio::TABLE_ENV, &table) };
    let run = run_benches(&names, quick, debug_app);
    let printed = table::print_table(&table);
    run.and(printed)
}

/// The benchmarks that are a program of their own (`crates/*/benches/`, `tests/e2e/bench.rs`),
/// named like it; the others drive the `coffre` binary.
const PROGRAMS: [&str; 6] = ["vault", "search", "extract", "worker", "mail", "app"];

fn run_benches(names: &[String], quick: bool, debug_app: bool) -> Result<()> {
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
    if let Some(other) = chosen.iter().find(|n| !all.contains(n)) {
        bail!(
            "unknown benchmark {other:?} (vault, search, extract, worker, ingest, bundle, backup, ocr, mail, app)"
        );
    }
    let app = chosen.contains(&"app");
    if app || chosen.contains(&"mail") {
        setup()?; // Dovecot; the app's packages and the UI's
    }
    if app {
        // The app embeds ui/dist when it is compiled.
        npm(&["run", "build"])?;
    }
    // The app measures over the search benchmark's vault: built first when missing.
    let vault_missing = |docs: &str| {
        !root()
            .join(format!("target/bench-vaults/search-{docs}/vault.json"))
            .exists()
    };
    let needs_search =
        chosen.contains(&"search") || (app && sizes.iter().any(|d| vault_missing(d)));
    let mut release: Vec<&str> = chosen
        .iter()
        .filter(|n| !(debug_app && **n == "app"))
        .filter(|n| PROGRAMS.contains(n))
        .copied()
        .chain(needs_search.then_some("search"))
        .collect();
    release.sort_unstable();
    release.dedup();
    let cli = chosen
        .iter()
        .any(|n| ["ingest", "bundle", "backup", "ocr"].contains(n));
    let mut programs = Programs::build(&release, cli, Mode::Release)?;
    if app && debug_app {
        programs.merge(Programs::build(&["app"], false, Mode::Test)?);
    }
    let coffre = || programs.coffre();
    for name in chosen {
        let started = std::time::Instant::now();
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
                programs.run("vault", &[])?;
            }
            "search" => {
                for docs in sizes {
                    programs.run("search", &[("COFFRE_BENCH_DOCS", docs)])?;
                }
            }
            "extract" | "worker" | "mail" => programs.run(name, &[])?,
            "ingest" => ingest_bench(coffre()?)?,
            "bundle" => bundle_bench(coffre()?)?,
            "backup" => backup_bench(coffre()?)?,
            "ocr" => ocr_bench(coffre()?)?,
            "app" => {
                for docs in sizes {
                    if vault_missing(docs) {
                        programs.run("search", &[("COFFRE_BENCH_DOCS", docs)])?;
                    }
                    programs.run("app", &[("COFFRE_BENCH_DOCS", docs)])?;
                }
            }
            _ => unreachable!("names checked above"),
        }
        eprintln!("== {name}: {:.0} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}
