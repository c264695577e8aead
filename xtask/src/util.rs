//! Helpers shared by the tasks: the workspace's folders, and running `cargo` and `npm`.
//!
//! Promises: commands run from the workspace root (`npm` from `ui/`), echo themselves on stderr
//! first, and fail the task when they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `target/` of the workspace.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// The workspace folder. `cargo xtask` (a `cargo run` alias) sets `CARGO_MANIFEST_DIR` at run
/// time: that one wins over the folder baked in at build time, which is another checkout's when
/// two checkouts share a target folder.
pub(crate) fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

pub(crate) fn cargo(args: &[&str]) -> Result<()> {
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

pub(crate) fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

pub(crate) fn npm(args: &[&str]) -> Result<()> {
    eprintln!("$ npm {} (in ui/)", args.join(" "));
    let ok = Command::new("npm")
        .args(args)
        .current_dir(root().join("ui"))
        .status()
        .context("running npm")?
        .success();
    if !ok {
        bail!("npm {} failed", args.join(" "));
    }
    Ok(())
}

/// Runs a command as root: directly when this is root, else through `sudo`.
pub(crate) fn as_root(args: &[&str]) -> Result<()> {
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let sudo: &[&str] = if root_user { &[] } else { &["sudo"] };
    let all: Vec<&str> = sudo.iter().chain(args).copied().collect();
    eprintln!("$ {}", all.join(" "));
    let ok = Command::new(all[0])
        .args(&all[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .with_context(|| format!("running {}", all.join(" ")))?
        .success();
    if !ok {
        bail!("{} failed", all.join(" "));
    }
    Ok(())
}
