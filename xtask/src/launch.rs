//! `cargo xtask run` and `cargo xtask cli`: the release builds of the desktop app and of the
//! `coffre` CLI, built then launched with the given arguments.
//!
//! Promises: the arguments are passed through unchanged; a non-zero exit fails the task.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup::setup;
use crate::util::{cargo, npm, target_dir};

/// The desktop app, release build, on the default vault (or `--demo`, `--vault DIR`).
pub(crate) fn run(args: &[String]) -> Result<()> {
    setup()?;
    npm(&["run", "build"])?;
    cargo(&[
        "build",
        "--release",
        "--locked",
        "-p",
        "coffre-desktop",
        "--features",
        "tauri/custom-protocol",
    ])?;
    let status = Command::new(target_dir().join("release/coffre-desktop"))
        .args(args)
        .status()
        .context("running coffre-desktop")?;
    if !status.success() {
        bail!("coffre-desktop exited with {status}");
    }
    Ok(())
}

/// The CLI: with no ARGS, the default vault (created if needed) is listed.
pub(crate) fn cli(args: &[String]) -> Result<()> {
    cargo(&["build", "--release", "--locked", "-p", "coffre-cli"])?;
    let bin = target_dir().join("release/coffre");
    let coffre = |a: &[&str]| -> Result<bool> {
        Ok(Command::new(&bin)
            .args(a)
            .status()
            .context("running coffre")?
            .success())
    };
    if !args.is_empty() {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        if !coffre(&a)? {
            bail!("coffre {} failed", a.join(" "));
        }
        return Ok(());
    }
    let status = Command::new(&bin)
        .args(["status", "--json"])
        .output()
        .context("running coffre status")?;
    let exists = String::from_utf8_lossy(&status.stdout).contains("\"exists\":true");
    if !exists {
        eprintln!("No vault yet: creating the default one.");
        if !coffre(&["init"])? {
            bail!("could not create the vault");
        }
    }
    if !coffre(&["list"])? {
        bail!("could not open the vault");
    }
    eprintln!("\nNext: `cargo xtask cli import FILE...`, `cargo xtask cli --help`.");
    Ok(())
}
