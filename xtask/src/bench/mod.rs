//! `cargo xtask bench [NAME...]`: the benchmarks, each with its baseline measured in the same
//! run.
//!
//! Promises: the names are run in the order given (all of them when none is given); an
//! unknown name fails the task. The criterion benchmarks run through `cargo bench`; `ingest`,
//! `bundle`, `backup` and `ocr` drive the release `coffre` binary (see their modules).

mod backup;
mod bundle;
mod fixtures;
mod ingest;
mod ocr;

use std::process::Command;

use anyhow::{Result, bail};

use crate::setup::setup;
use crate::util::{cargo, npm, root};
use backup::backup_bench;
use bundle::bundle_bench;
use ingest::ingest_bench;
use ocr::ocr_bench;

/// The benchmarks, by name: `vault` (blob crypto, import), `search` (latency over 100,000
/// documents), `extract` (extraction against pdftotext), `app` (the desktop app's launch,
/// unlock-to-rows time and memory over 100,000 documents), `ocr` (300 dpi scans through
/// `coffre extract` against the `tesseract` program), `mail` (an IMAP folder fetched into a
/// vault against Python's `imaplib` download). No name runs them all.
pub(crate) fn bench(names: &[String]) -> Result<()> {
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
            "search" => cargo(&[
                "bench",
                "--locked",
                "-p",
                "coffre-core",
                "--bench",
                "search",
            ])?,
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
                // The release app over the search benchmark's 100,000-document vault.
                if !root()
                    .join("target/bench-vaults/search-100000/vault.json")
                    .exists()
                {
                    cargo(&[
                        "bench",
                        "--locked",
                        "-p",
                        "coffre-core",
                        "--bench",
                        "search",
                    ])?;
                }
                setup()?;
                npm(&["run", "build"])?;
                cargo(&[
                    "bench",
                    "--locked",
                    "-p",
                    "coffre-desktop",
                    "--bench",
                    "app",
                ])?
            }
            other => bail!(
                "unknown benchmark {other:?} (vault, search, extract, worker, ingest, bundle, backup, ocr, mail, app)"
            ),
        }
    }
    Ok(())
}
