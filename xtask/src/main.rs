//! Project automation, in Rust so it runs the same on Linux, macOS and Windows.
//!
//! - `cargo xtask test`: everything CI checks (format, lints, every test).
//! - `cargo xtask run [ARGS...]`: the app on the default vault. Today the app is the `coffre`
//!   CLI: with no ARGS it creates the default vault if there is none, then lists it.
//! - `cargo xtask bench`: the benchmarks, with their baselines measured in the same run.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

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
        "run" => run(&rest),
        "bench" => bench(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <test | run [ARGS...] | bench [vault|search|extract]...>"
            );
            bail!("unknown task {task:?}")
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn cargo(args: &[&str]) -> Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(root())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

fn test() -> Result<()> {
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
    cargo(&["test", "--workspace", "--locked"])?;
    eprintln!("xtask test: format, lints and every test passed");
    Ok(())
}

fn run(args: &[String]) -> Result<()> {
    cargo(&["build", "--release", "--locked", "-p", "coffre-cli"])?;
    let bin = root().join("target/release/coffre");
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
    eprintln!("\nNext: `cargo xtask run import FILE...`, `cargo xtask run --help`.");
    Ok(())
}

/// The benchmarks, by name: `vault` (blob crypto, import), `search` (latency over 100,000
/// documents), `extract` (extraction against pdftotext). No name runs them all.
fn bench(names: &[String]) -> Result<()> {
    let all = ["vault", "search", "extract"];
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
            other => bail!("unknown benchmark {other:?} (vault, search, extract)"),
        }
    }
    Ok(())
}
