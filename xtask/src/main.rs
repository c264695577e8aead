//! Project automation, in Rust so it runs the same on Linux, macOS and Windows.
//!
//! - `cargo xtask test`: everything CI checks (the UI's type check, unit tests and build, then
//!   format, lints and every Rust test, the end-to-end test of the real app included, then each
//!   fuzzing target for 15 seconds in the tests' debug build).
//! - `cargo xtask run [--demo | --vault DIR]`: the desktop app (release build) on the default
//!   vault, or on a throw-away demo vault. On Debian/Ubuntu it first installs the system
//!   packages the app needs, then the UI's npm packages.
//! - `cargo xtask cli [ARGS...]`: the `coffre` CLI (release build); with no ARGS it creates the
//!   default vault if there is none, then lists it.
//! - `cargo xtask dist [--debug]`: the installers of this OS in `target/dist/` (Tauri's bundler);
//!   `cargo xtask package-check`: the `.deb` installed, run, checked and removed (Linux, CI).
//! - `cargo xtask bench`: the benchmarks, with their baselines measured in the same run.
//! - `cargo xtask fuzz [TARGET...] [--seconds N]`: the committed fuzzing inputs, then each
//!   fuzzing target (all by default) for N seconds (default 600), release build (`--debug`:
//!   the debug build `cargo test` made).

mod bench;
mod bindings;
mod dist;
mod fuzz;
mod launch;
mod setup;
mod test;
mod util;

use std::process::ExitCode;

use anyhow::{Result, bail};

use bench::bench;
use fuzz::fuzz;
use launch::{cli, run};
use setup::setup;
use test::test;

fn main() -> ExitCode {
    match dispatch() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "test" => test(),
        "bindings" => bindings::bindings(),
        "run" => run(&rest),
        "cli" => cli(&rest),
        "setup" => setup(),
        "dist" => dist::dist(&rest),
        "package-check" => dist::package_check(),
        "bench" => bench(&rest),
        "fuzz" => fuzz(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <test | bindings | run [--demo | --vault DIR] | cli [ARGS...] | setup | dist [--debug] | package-check | bench [--quick] [--debug-app] [vault|search|extract|worker|ingest|bundle|backup|ocr|mail|app]... | fuzz [TARGET...] [--seconds N] [--debug]>"
            );
            bail!("unknown task {task:?}")
        }
    }
}
