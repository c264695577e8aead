//! Measures of the release app (run with `cargo xtask bench app`): time from launch to the first
//! screen, time from unlock to the first rows of a 100,000-document vault, and the memory of the
//! app's processes (the Rust process and WebKit's web and network processes) with those rows
//! shown and after scrolling. Uses the search benchmark's cached vault
//! (`target/bench-vaults/search-100000`, built by `cargo xtask bench search` when missing).

// Shared with the end-to-end test, which uses more of it.
#[allow(dead_code)]
#[path = "webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use webdriver::{Driver, Guard, Result, free_port, xvfb};

const WAIT: Duration = Duration::from_secs(60);

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// Resident memory (KiB) of `pid` and all its descendants, with their names.
fn rss_tree(pid: u32) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let status = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
        let field = |k: &str| {
            status
                .lines()
                .find(|l| l.starts_with(k))
                .map(|l| l[k.len()..].trim().to_owned())
                .unwrap_or_default()
        };
        let kib = field("VmRSS:")
            .trim_end_matches(" kB")
            .trim()
            .parse()
            .unwrap_or(0);
        out.push((field("Name:"), kib));
        let children =
            std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        todo.extend(
            children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    out
}

fn app_pid(binary: &Path) -> Option<u32> {
    let out = Command::new("pgrep")
        .args(["-f", &binary.to_string_lossy()])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .next()
}

/// Launches the app on `vault`; returns the driver and the milliseconds from launch to the
/// first screen (`performance.mark('coffre:first-screen')`, set by the UI when it shows it).
fn launch(port: u16, binary: &Path, vault: &Path) -> Result<(Driver, f64)> {
    let t0 = epoch_ms();
    let driver = Driver::start(port, binary, &["--vault", &vault.to_string_lossy()])?;
    let at = driver.until("the first screen", WAIT, || {
        let v = driver.exec(
            "const m = performance.getEntriesByName('coffre:first-screen')[0]; \
             return m ? performance.timeOrigin + m.startTime : null",
            json!([]),
        )?;
        Ok(v.as_f64())
    })?;
    Ok((driver, at - t0))
}

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let big = root.join("target/bench-vaults/search-100000");
    if !big.join("vault.json").exists() {
        return Err(format!(
            "{} is missing: run `cargo xtask bench search` first",
            big.display()
        ));
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_coffre-desktop"));
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (_x, display) = xvfb(1280, 800)?;
    let mut launches = Vec::new();
    let mut unlocks = Vec::new();
    let mut memory = Vec::new();
    for run in 0..3 {
        let port = free_port()?;
        let _driver = Guard(
            Command::new("WebKitWebDriver")
                .arg(format!("--port={port}"))
                .env("DISPLAY", &display)
                .env("TAURI_WEBVIEW_AUTOMATION", "true")
                .env("HOME", tmp.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("WebKitWebDriver: {e}"))?,
        );
        let (d, launch_ms) = launch(port, &binary, &big)?;
        d.wait("[data-testid=unlock-form]", WAIT)?;
        launches.push(launch_ms);
        d.fill("[data-testid=passphrase]", "bench passphrase")?;
        // Timed inside the page: from the click to the first row in the DOM.
        let v = d.exec_async(
            "const done = arguments[arguments.length - 1]; const t0 = performance.now(); \
             document.querySelector('[data-testid=unlock-submit]').click(); \
             const tick = () => document.querySelector('[data-testid=doc-row]') \
               ? done(performance.now() - t0) : requestAnimationFrame(tick); tick();",
        )?;
        unlocks.push(v.as_f64().unwrap_or(f64::NAN));
        let pid = app_pid(&binary).ok_or("app process not found")?;
        std::thread::sleep(Duration::from_millis(500));
        let shown: u64 = rss_tree(pid).iter().map(|(_, k)| k).sum();
        // Scroll through the table (a page fetch per screenful), then measure again.
        d.exec_async(
            "const done = arguments[arguments.length - 1]; \
             const s = document.querySelector('[data-testid=doc-row]').closest('[data-scroll]') \
               || document.querySelector('[data-testid=doc-row]').parentElement.parentElement; \
             let i = 0; const step = () => { s.scrollTop = s.scrollHeight * i / 40; \
               if (++i <= 40) setTimeout(step, 25); else setTimeout(done, 500); }; step();",
        )?;
        let tree = rss_tree(pid);
        let scrolled: u64 = tree.iter().map(|(_, k)| k).sum();
        if run == 0 {
            for (name, kib) in &tree {
                eprintln!("    {name}: {} MiB", kib / 1024);
            }
        }
        memory.push((shown, scrolled));
        eprintln!(
            "run {run}: launch to unlock screen {launch_ms:.0} ms, unlock to first rows {:.0} ms, \
             memory {} MiB shown / {} MiB after scrolling 100,000 rows",
            unlocks[run],
            shown / 1024,
            scrolled / 1024
        );
        d.quit()?;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "app: launch to unlock screen median {:.0} ms (target < 1000); unlock to first rows of \
         100,000 documents median {:.0} ms (target < 300); memory max {} MiB (target < 300)",
        median(&mut launches),
        median(&mut unlocks),
        memory.iter().map(|(a, b)| a.max(b)).max().unwrap_or(&0) / 1024
    );
    Ok(())
}
