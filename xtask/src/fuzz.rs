//! `cargo xtask fuzz [TARGET...] [--seconds N]`: the committed crashers, then fuzzing.
//!
//! Promises: every target is run even when an earlier one fails; the task fails when any did.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{cargo, target_dir};

/// Fuzzing (`coffre-fuzz`, release build): the committed inputs of `fuzz/regressions` first,
/// then each target (all when none is named) for `--seconds` (default 600). Fails when anything
/// crashed, hung or went over the memory cap; findings are in `target/fuzz/crashes`.
/// `--debug` runs the debug build `cargo test --workspace` made instead of building one (the
/// short run of `cargo xtask test`: a release build of everything would cost CI minutes).
pub(crate) fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = "600".to_string();
    let mut targets = Vec::new();
    let mut debug = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => seconds = it.next().context("--seconds needs a value")?.clone(),
            "--debug" => debug = true,
            t => targets.push(t.to_string()),
        }
    }
    if targets.is_empty() {
        targets.push("all".into());
    }
    let bin = if debug {
        let bin = target_dir().join("debug/coffre-fuzz");
        if !bin.exists() {
            bail!(
                "{} is missing: run cargo test --workspace first",
                bin.display()
            );
        }
        bin
    } else {
        cargo(&["build", "--release", "--locked", "-p", "coffre-fuzz"])?;
        target_dir().join("release/coffre-fuzz")
    };
    let mut failed = Vec::new();
    if !Command::new(&bin).arg("regress").status()?.success() {
        failed.push("regress".to_string());
    }
    for t in &targets {
        let status = Command::new(&bin)
            .args(["run", t, "--seconds", &seconds])
            .status()
            .context("running coffre-fuzz")?;
        if !status.success() {
            failed.push(t.clone());
        }
    }
    if !failed.is_empty() {
        bail!(
            "fuzzing failed: {} (see target/fuzz/crashes)",
            failed.join(", ")
        );
    }
    Ok(())
}
