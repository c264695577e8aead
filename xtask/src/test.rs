//! `cargo xtask test`: everything CI checks, in order, stopping at the first failure.
//!
//! Promises: setup, then the check that the UI's generated declarations are current, the UI's
//! type check, unit tests and build, then `cargo fmt --check`,
//! clippy with warnings denied, every Rust test (the end-to-end test required, `COFFRE_E2E=1`),
//! then each fuzzing target for 15 seconds.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bindings::check_bindings;
use crate::fuzz::fuzz;
use crate::setup::setup;
use crate::util::{cargo, npm, root};

pub(crate) fn test() -> Result<()> {
    setup()?;
    // The UI's declarations of the core's types must be current before the UI is checked.
    check_bindings()?;
    npm(&["run", "check"])?;
    npm(&["test"])?;
    // The app embeds ui/dist when it is compiled: build the UI before any cargo step.
    npm(&["run", "build"])?;
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])?;
    // COFFRE_E2E: the end-to-end test fails (rather than skips) when its tools are missing.
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--workspace", "--locked"])
        .env("COFFRE_E2E", "1")
        .current_dir(root())
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("cargo test --workspace failed");
    }
    // Every fuzzing target briefly (the committed crashers first), with the debug build the
    // tests just made (overflow checks on); `cargo xtask fuzz` runs a release build for 10
    // minutes each.
    fuzz(&["--debug".into(), "--seconds".into(), "15".into()])?;
    eprintln!("xtask test: format, lints, every test and a short fuzzing run passed");
    Ok(())
}
