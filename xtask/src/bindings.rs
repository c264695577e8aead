//! `cargo xtask bindings`: writes the UI's TypeScript declarations of the core's types
//! (`ui/src/lib/generated/`, by ts-rs), and `cargo xtask test`'s check that the committed ones
//! are current.
//!
//! Promise: the check fails when a core type the UI receives (error codes and reasons,
//! settings, documents, consents, requests, retention, audit, bundles, backups, import events)
//! changed without its declaration being regenerated and committed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::root;

const GENERATED: &str = "ui/src/lib/generated";

/// Writes the declarations into `dir` (replacing what is there).
fn generate(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "test",
            "--quiet",
            "--locked",
            "--package",
            "coffre-core",
            "--features",
            "typescript",
            "--lib",
            "export_bindings",
        ])
        .env("TS_RS_EXPORT_DIR", dir)
        // 64-bit integers cross the IPC as JSON numbers (ids, sizes, counts stay far below 2^53).
        .env("TS_RS_LARGE_INT", "number")
        .current_dir(root())
        .status()
        .context("running the ts-rs export")?;
    if !status.success() {
        bail!("the ts-rs export failed");
    }
    Ok(())
}

fn files(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let bytes = std::fs::read(&path)?;
        out.push((path.strip_prefix(dir)?.to_path_buf(), bytes));
    }
    out.sort();
    Ok(out)
}

/// `cargo xtask bindings`.
pub(crate) fn bindings() -> Result<()> {
    generate(&root().join(GENERATED))?;
    eprintln!("xtask bindings: {GENERATED} written");
    Ok(())
}

/// Fails when the committed declarations differ from freshly generated ones.
pub(crate) fn check_bindings() -> Result<()> {
    let fresh = tempfile::tempdir()?;
    generate(fresh.path())?;
    if files(fresh.path())? != files(&root().join(GENERATED))? {
        bail!("{GENERATED} is out of date: run `cargo xtask bindings` and commit the result");
    }
    Ok(())
}
