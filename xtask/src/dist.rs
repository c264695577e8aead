//! `cargo xtask dist [--debug]`: the installers of the OS this runs on, built with Tauri's
//! bundler into `target/dist/`; and `cargo xtask package-check`: the Linux `.deb` installed,
//! run and removed as a user would.
//!
//! Promises (dist): the UI and the `coffre` CLI are built first and the CLI is bundled beside
//! the app (Tauri's `externalBin`: `/usr/bin/coffre` on Linux, next to the app's program on
//! Windows and macOS). On Linux the packages are a `.deb` and an `.rpm` (both made offline by
//! the bundler itself), plus an AppImage only when its tools are already in Tauri's cache.
//! Updater artifacts (`.sig`) are made only when `TAURI_SIGNING_PRIVATE_KEY` is set; Windows
//! code signing uses the certificate whose thumbprint is `TAURI_WINDOWS_THUMBPRINT`, macOS the
//! bundler's own `APPLE_*` variables (see docs/release.md). `--debug` packages the debug build
//! the tests use (CI's package check: the packaging is what it tests, without a second build).
//!
//! Promises (package-check, Linux, root or sudo): `dpkg -i` of the `.deb` in `target/dist/`,
//! the installed `coffre --version`, the installed app started under Xvfb and its first screen
//! (create a vault) checked through WebDriver (the `installed_app_first_screen` end-to-end
//! test), then `dpkg -r`, after which none of the package's files remain.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup::setup;
use crate::util::{as_root, cargo, npm, root, target_dir};

/// The package's name (from `productName`, lower-cased by the bundler).
const PACKAGE: &str = "coffre";

pub(crate) fn dist(args: &[String]) -> Result<()> {
    let debug = match args {
        [] => false,
        [a] if a == "--debug" => true,
        _ => bail!("usage: cargo xtask dist [--debug]"),
    };
    setup()?;
    npm(&["run", "build"])?;
    let profile = if debug { "debug" } else { "release" };
    if debug {
        // The debug programs exactly as `cargo test --workspace` builds them (the same
        // features, so nothing is rebuilt after the tests); `tauri bundle` then packages them.
        cargo(&["test", "--workspace", "--locked", "--no-run"])?;
    } else {
        cargo(&["build", "--locked", "--release", "-p", "coffre-cli"])?;
    }

    // Tauri's externalBin: the program named after the target triple, beside the app's crate.
    let triple = host_triple()?;
    let exe = std::env::consts::EXE_SUFFIX;
    let sidecars = root().join("src-tauri/binaries");
    std::fs::create_dir_all(&sidecars)?;
    let cli = target_dir().join(profile).join(format!("coffre{exe}"));
    std::fs::copy(&cli, sidecars.join(format!("coffre-{triple}{exe}")))
        .with_context(|| format!("copying {}", cli.display()))?;

    let mut overlay = serde_json::json!({ "bundle": { "externalBin": ["binaries/coffre"] } });
    if std::env::var_os("TAURI_SIGNING_PRIVATE_KEY").is_some() {
        overlay["bundle"]["createUpdaterArtifacts"] = true.into();
    }
    if let Ok(thumbprint) = std::env::var("TAURI_WINDOWS_THUMBPRINT") {
        overlay["bundle"]["windows"] = serde_json::json!({
            "certificateThumbprint": thumbprint,
            "digestAlgorithm": "sha256",
            "timestampUrl": "http://timestamp.digicert.com",
        });
    }
    let mut tauri: Vec<String> = if debug {
        vec!["bundle".into(), "--ci".into(), "--debug".into()]
    } else {
        vec!["build".into(), "--ci".into()]
    };
    if cfg!(target_os = "linux") {
        let mut bundles = vec!["deb", "rpm"];
        if appimage_tools() {
            bundles.push("appimage");
        }
        tauri.extend(["--bundles".into(), bundles.join(",")]);
    }
    tauri.extend(["--config".into(), overlay.to_string()]);
    if !debug {
        tauri.extend(["--".into(), "--locked".into()]);
    }
    let bin = root().join("ui/node_modules/.bin/tauri");
    eprintln!("$ tauri {} (in src-tauri/)", tauri.join(" "));
    let ok = Command::new(&bin)
        .args(&tauri)
        .current_dir(root().join("src-tauri"))
        .status()
        .with_context(|| format!("running {}", bin.display()))?
        .success();
    if !ok {
        bail!("tauri build failed");
    }

    let out = target_dir().join("dist");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    // The installers sit one level down (`bundle/deb/`, `bundle/nsis/`...); deeper files are
    // the bundler's working copies.
    let bundles = target_dir().join(profile).join("bundle");
    let kinds = std::fs::read_dir(&bundles).with_context(|| format!("{}", bundles.display()))?;
    let made: Vec<PathBuf> = kinds
        .flatten()
        .filter_map(|k| std::fs::read_dir(k.path()).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .filter(|p| p.is_file())
        .collect();
    for file in made {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name else { continue };
        let installer = [
            ".deb",
            ".rpm",
            ".AppImage",
            ".exe",
            ".msi",
            ".dmg",
            ".sig",
            ".tar.gz",
        ]
        .iter()
        .any(|ext| name.ends_with(ext));
        if installer {
            std::fs::copy(&file, out.join(&name))?;
            eprintln!("dist: {}", out.join(&name).display());
        }
    }
    Ok(())
}

/// AppImages need linuxdeploy, which the bundler would otherwise download.
fn appimage_tools() -> bool {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    cache.is_some_and(|c| c.join("tauri/linuxdeploy-x86_64.AppImage").exists())
}

fn host_triple() -> Result<String> {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV printed no host")
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// Installs the `.deb` of `target/dist/`, checks the installed CLI and app, and removes it.
pub(crate) fn package_check() -> Result<()> {
    let debs: Vec<PathBuf> = walk(&target_dir().join("dist"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    let [deb] = debs.as_slice() else {
        bail!("expected one .deb in target/dist (run cargo xtask dist first), found {debs:?}");
    };
    let checked = as_root(&["dpkg", "-i", &deb.to_string_lossy()]).and_then(|()| check_installed());
    // Removed whatever the checks said.
    as_root(&["dpkg", "-r", PACKAGE])?;
    checked?;
    for left in ["/usr/bin/coffre", "/usr/bin/coffre-desktop"] {
        if Path::new(left).exists() {
            bail!("{left} is still there after dpkg -r");
        }
    }
    let listed = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", PACKAGE])
        .output()?;
    if String::from_utf8_lossy(&listed.stdout).contains("ok installed") {
        bail!("dpkg still lists {PACKAGE} as installed");
    }
    eprintln!("package-check: installed, ran, showed its first screen, removed");
    Ok(())
}

fn check_installed() -> Result<()> {
    let version = Command::new("/usr/bin/coffre")
        .arg("--version")
        .output()
        .context("running the installed coffre")?;
    let printed = String::from_utf8_lossy(&version.stdout);
    if !version.status.success() || !printed.contains(env!("CARGO_PKG_VERSION")) {
        bail!("the installed `coffre --version` printed {printed:?}");
    }
    eprintln!("installed: {}", printed.trim());
    let desktop = Path::new("/usr/share/applications/Coffre.desktop");
    if !desktop.exists() {
        bail!("{} was not installed", desktop.display());
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        // `--workspace`: the features `cargo xtask test` built with, so nothing is rebuilt.
        .args([
            "test",
            "--locked",
            "--workspace",
            "--test",
            "e2e",
            "installed_app_first_screen",
            "--",
            "--ignored",
            "--exact",
        ])
        .env("COFFRE_INSTALLED_APP", "/usr/bin/coffre-desktop")
        .env("COFFRE_E2E", "1")
        .current_dir(root())
        .status()
        .context("running the installed app's test")?;
    if !status.success() {
        bail!("the installed app did not show its first screen");
    }
    Ok(())
}
