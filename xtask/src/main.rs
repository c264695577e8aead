//! Project automation, in Rust so it runs the same on Linux, macOS and Windows.
//!
//! - `cargo xtask test`: everything CI checks (the UI's type check, unit tests and build, then
//!   format, lints and every Rust test, the end-to-end test of the real app included, then each
//!   fuzzing target for 15 seconds).
//! - `cargo xtask run [--demo | --vault DIR]`: the desktop app (release build) on the default
//!   vault, or on a throw-away demo vault. On Debian/Ubuntu it first installs the system
//!   packages the app needs, then the UI's npm packages.
//! - `cargo xtask cli [ARGS...]`: the `coffre` CLI (release build); with no ARGS it creates the
//!   default vault if there is none, then lists it.
//! - `cargo xtask bench`: the benchmarks, with their baselines measured in the same run.
//! - `cargo xtask fuzz [TARGET...] [--seconds N]`: the committed fuzzing inputs, then each
//!   fuzzing target (all by default) for N seconds (default 600), release build.

use std::path::{Path, PathBuf};
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
        "cli" => cli(&rest),
        "setup" => setup(),
        "bench" => bench(&rest),
        "fuzz" => fuzz(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <test | run [--demo | --vault DIR] | cli [ARGS...] | setup | bench [vault|search|extract|worker|ingest|bundle|backup|app]... | fuzz [TARGET...] [--seconds N]>"
            );
            bail!("unknown task {task:?}")
        }
    }
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `target/` of the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
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

/// Debian packages the desktop app builds against, runs on, and is tested with.
const APT_PACKAGES: &[&str] = &[
    // Building (Tauri 2 on WebKitGTK 4.1) and the vendored OpenSSL of SQLCipher.
    "build-essential",
    "pkg-config",
    "file",
    "perl",
    "make",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "libssl-dev",
    // End-to-end tests: a virtual display, the WebDriver of WebKitGTK, a real drag and drop.
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "xdotool",
    "python3-gi",
    "gir1.2-gtk-3.0",
    // Bundle tests open AES ZIPs with 7-Zip, as an accountant would.
    "p7zip-full",
];

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs what is missing: Debian packages (with apt-get, through sudo unless root) and the
/// UI's npm packages (`npm install`, from the lock file).
fn setup() -> Result<()> {
    if have("apt-get") && have("dpkg-query") {
        let missing: Vec<&str> = APT_PACKAGES
            .iter()
            .copied()
            .filter(|p| {
                !Command::new("dpkg-query")
                    .args(["-W", "-f=${Status}", p])
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("ok installed"))
            })
            .collect();
        if !missing.is_empty() {
            eprintln!("Installing system packages: {}", missing.join(" "));
            let root_user = Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
            let sudo: &[&str] = if root_user { &[] } else { &["sudo"] };
            let run = |args: &[&str]| -> Result<()> {
                let all: Vec<&str> = sudo.iter().chain(args).copied().collect();
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
            };
            run(&["apt-get", "update", "-qq"])?;
            let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
            install.extend(&missing);
            run(&install)?;
        }
    } else {
        eprintln!(
            "Not a Debian/Ubuntu system: install Tauri's prerequisites yourself \
             (https://v2.tauri.app/start/prerequisites/)."
        );
    }
    if !have("npm") {
        bail!("Node.js 20.19+ and npm are needed to build the UI (https://nodejs.org)");
    }
    let ui = root().join("ui");
    if !ui.join("node_modules/.package-lock.json").exists()
        || modified(&ui.join("package-lock.json"))
            > modified(&ui.join("node_modules/.package-lock.json"))
    {
        // `npm install` follows the lock file. Not `npm ci`: registries that serve only this
        // platform's optional packages write locks that `npm ci` then calls out of sync.
        npm(&["install", "--no-audit", "--no-fund"])?;
    }
    Ok(())
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn npm(args: &[&str]) -> Result<()> {
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

fn test() -> Result<()> {
    setup()?;
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
    // Every fuzzing target briefly (the committed crashers first); `cargo xtask fuzz` runs them
    // for 10 minutes each.
    fuzz(&["--seconds".into(), "15".into()])?;
    eprintln!("xtask test: format, lints, every test and a short fuzzing run passed");
    Ok(())
}

/// The desktop app, release build, on the default vault (or `--demo`, `--vault DIR`).
fn run(args: &[String]) -> Result<()> {
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
fn cli(args: &[String]) -> Result<()> {
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

/// The benchmarks, by name: `vault` (blob crypto, import), `search` (latency over 100,000
/// documents), `extract` (extraction against pdftotext), `app` (the desktop app's launch,
/// unlock-to-rows time and memory over 100,000 documents). No name runs them all.
fn bench(names: &[String]) -> Result<()> {
    let all = [
        "vault", "search", "extract", "worker", "ingest", "bundle", "backup", "app",
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
                "unknown benchmark {other:?} (vault, search, extract, worker, ingest, bundle, backup, app)"
            ),
        }
    }
    Ok(())
}

/// A throw-away vault driven through the release `coffre` binary, for the benchmarks.
struct BenchVault {
    bin: PathBuf,
    dir: PathBuf,
}

impl BenchVault {
    /// A new vault in `dir`, with the cheapest accepted key derivation.
    fn create(dir: PathBuf) -> Result<Self> {
        let v = BenchVault {
            bin: target_dir().join("release/coffre"),
            dir,
        };
        v.run(&["init", "--kdf-memory-mib", "19", "--kdf-iterations", "2"])?;
        Ok(v)
    }

    /// `coffre` on this vault, ready for arguments.
    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("COFFRE_VAULT", &self.dir)
            .env("COFFRE_PASSPHRASE", "benchmark passphrase");
        c
    }

    /// Runs `coffre ARGS` quietly; fails when it fails.
    fn run(&self, args: &[&str]) -> Result<()> {
        if !self
            .cmd()
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()?
            .success()
        {
            bail!("coffre {} failed", args.join(" "));
        }
        Ok(())
    }
}

/// `n` sample PDFs of `size` bytes, numbered from `from`, in a new folder `work/name`.
fn bench_files(work: &Path, name: &str, from: usize, n: usize, size: usize) -> Result<PathBuf> {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir)?;
    for i in from..from + n {
        std::fs::write(dir.join(format!("facture-{i:05}.pdf")), sample_pdf(i, size))?;
    }
    Ok(dir)
}

/// A valid one-page PDF invoice of about `size` bytes (an unreferenced stream pads it), unique
/// by `i`.
fn sample_pdf(i: usize, size: usize) -> Vec<u8> {
    let text = format!(
        "BT /F1 12 Tf 72 720 Td (FACTURE N\\260 F-2026-{i:05}) Tj 0 -20 Td (Date : 14/10/2026) Tj \
         0 -20 Td (Total TTC : {},{:02} EUR) Tj ET",
        100 + i,
        i % 100
    );
    let pad: Vec<u8> = (0..size.saturating_sub(1200))
        .map(|j| b'A' + ((j * 7 + i) % 26) as u8)
        .collect();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", text.len()).into_bytes(),
            text.into_bytes(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", pad.len()).into_bytes(),
            pad,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// 1,000 PDFs of 200 KB through `coffre import` and through a watched folder (files/s), and the
/// CPU a watcher with nothing to do uses.
fn ingest_bench() -> Result<()> {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    const FILES: usize = 1000;
    cargo(&["build", "--release", "--locked", "-p", "coffre-cli"])?;
    let work = root().join("target/bench-ingest");
    let _ = std::fs::remove_dir_all(&work);
    let src = bench_files(&work, "src", 0, FILES, 200 * 1024)?;

    // 1. coffre import of the folder.
    let v1 = BenchVault::create(work.join("vault-import"))?;
    let start = Instant::now();
    v1.run(&["import", src.to_str().unwrap_or_default()])?;
    let import_s = start.elapsed().as_secs_f64();

    // 2. The same files moved into a watched folder (settle 300 ms).
    let v2 = BenchVault::create(work.join("vault-watch"))?;
    let inbox = work.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    let mut child = v2
        .cmd()
        .args([
            "watch",
            inbox.to_str().unwrap_or_default(),
            "--after",
            "move",
            "--settle-ms",
            "300",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("watch stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    // Idle CPU first: the watcher on an empty folder for 10 s.
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        if line.contains("\"watching\"") {
            break;
        }
    }
    let ticks = |pid: u32| -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    };
    let t0 = ticks(child.id());
    std::thread::sleep(Duration::from_secs(10));
    let idle = match (t0, ticks(child.id())) {
        (Some(a), Some(b)) => format!(
            "{:.2} % of one core ({} ticks of 10 ms in 10 s)",
            (b - a) as f64 / 10.0,
            b - a
        ),
        _ => "not measured (no /proc)".into(),
    };
    let start = Instant::now();
    for entry in std::fs::read_dir(&src)? {
        let p = entry?.path();
        std::fs::rename(&p, inbox.join(p.file_name().context("name")?))?;
    }
    let mut handled = 0;
    while handled < FILES {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .context("watcher stalled")?;
        if line.contains("\"kind\":\"handled\"") {
            handled += 1;
        }
    }
    let watch_s = start.elapsed().as_secs_f64();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();

    println!("ingest of {FILES} PDFs of 200 KB (release build):");
    println!(
        "  coffre import      {import_s:>6.2} s  {:>7.1} files/s",
        FILES as f64 / import_s
    );
    println!(
        "  watched folder     {watch_s:>6.2} s  {:>7.1} files/s  (settle 300 ms, move policy)",
        FILES as f64 / watch_s
    );
    println!("  idle watcher CPU   {idle}");
    Ok(())
}

/// Runs `cmd` under GNU time; returns (seconds, peak resident KiB).
fn timed(cmd: &mut Command) -> Result<(f64, u64)> {
    let report = std::env::temp_dir().join(format!("coffre-time-{}", std::process::id()));
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&report)
        .arg(program)
        .args(args);
    for (k, v) in envs {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let ok = timed
        .stdout(std::process::Stdio::null())
        .status()
        .context("/usr/bin/time (Debian package time)")?
        .success();
    if !ok {
        bail!("{:?} failed", cmd.get_program());
    }
    let text = std::fs::read_to_string(&report)?;
    let _ = std::fs::remove_file(&report);
    let mut parts = text.split_whitespace();
    let secs: f64 = parts.next().context("time output")?.parse()?;
    let kib: u64 = parts.next().context("time output")?.parse()?;
    Ok((secs, kib))
}

/// 2,000 invoices of 200 KB (about 400 MB): `coffre bundle create` against `zip -r -0` of the
/// same plaintext files, in the same run; time and peak memory of each.
fn bundle_bench() -> Result<()> {
    const FILES: usize = 2000;
    cargo(&["build", "--release", "--locked", "-p", "coffre-cli"])?;
    let work = root().join("target/bench-bundle");
    let _ = std::fs::remove_dir_all(&work);
    bench_files(&work, "invoices", 0, FILES, 200 * 1024)?;
    let v = BenchVault::create(work.join("vault"))?;
    v.run(&["import", work.join("invoices").to_str().unwrap_or_default()])?;
    v.run(&[
        "consent",
        "grant",
        "--party",
        "Cabinet Martin",
        "--purpose",
        "bookkeeping",
    ])?;
    let out = work.join("bundle.zip");
    let (bundle_s, bundle_kib) = timed(v.cmd().args([
        "bundle",
        "create",
        "--recipient",
        "Cabinet Martin",
        "--period",
        "2026",
        "--out",
        out.to_str().unwrap_or_default(),
    ]))?;
    let zip_out = work.join("baseline.zip");
    let (zip_s, zip_kib) = timed(
        Command::new("zip")
            .args(["-q", "-r", "-0"])
            .arg(&zip_out)
            .arg("invoices")
            .current_dir(&work),
    )?;
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!("bundle of {FILES} invoices of 200 KB (release build, same run):");
    println!(
        "  coffre bundle create  {bundle_s:>6.2} s  peak {:>6.1} MiB  {:>5} MiB written",
        bundle_kib as f64 / 1024.0,
        size(&out) >> 20
    );
    println!(
        "  zip -r -0 (baseline)  {zip_s:>6.2} s  peak {:>6.1} MiB  {:>5} MiB written",
        zip_kib as f64 / 1024.0,
        size(&zip_out) >> 20
    );
    println!(
        "  ratio                 {:.2}x",
        bundle_s / zip_s.max(0.001)
    );
    Ok(())
}

/// 10,000 documents of 20 KB: the first backup and an incremental one (after 100 more
/// documents) against `rsync -a` of the vault folder to a fresh and to an up-to-date copy, in the
/// same run.
fn backup_bench() -> Result<()> {
    const FILES: usize = 10_000;
    cargo(&["build", "--release", "--locked", "-p", "coffre-cli"])?;
    let work = root().join("target/bench-backup");
    let _ = std::fs::remove_dir_all(&work);
    let v = BenchVault::create(work.join("vault"))?;
    let vault = v.dir.clone();
    let first = bench_files(&work, "src1", 0, FILES, 20 * 1024)?;
    v.run(&["import", first.to_str().unwrap_or_default()])?;
    let dest = work.join("backup");
    let mirror = work.join("rsync-copy");
    let rsync = |label: &str| -> Result<f64> {
        let start = std::time::Instant::now();
        let ok = Command::new("rsync")
            .arg("-a")
            .arg(format!("{}/", vault.display()))
            .arg(&mirror)
            .status()
            .context("rsync (Debian package rsync)")?
            .success();
        if !ok {
            bail!("rsync {label} failed");
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let backup = || -> Result<f64> {
        let start = std::time::Instant::now();
        v.run(&[
            "backup",
            "create",
            "--to",
            dest.to_str().unwrap_or_default(),
        ])?;
        Ok(start.elapsed().as_secs_f64())
    };
    let b1 = backup()?;
    let r1 = rsync("first")?;
    let more = bench_files(&work, "src2", FILES, 100, 20 * 1024)?;
    v.run(&["import", more.to_str().unwrap_or_default()])?;
    std::thread::sleep(std::time::Duration::from_millis(1100)); // one generation per second
    let b2 = backup()?;
    let r2 = rsync("incremental")?;
    println!("backup of {FILES} documents of 20 KB (release build, same run):");
    println!(
        "  first:        coffre backup create {b1:>6.2} s   rsync -a {r1:>6.2} s   ratio {:.2}x",
        b1 / r1
    );
    println!(
        "  incremental:  coffre backup create {b2:>6.2} s   rsync -a {r2:>6.2} s   ratio {:.2}x  (+100 documents)",
        b2 / r2
    );
    Ok(())
}

/// Fuzzing (`coffre-fuzz`, release build): the committed inputs of `fuzz/regressions` first,
/// then each target (all when none is named) for `--seconds` (default 600). Fails when anything
/// crashed, hung or went over the memory cap; findings are in `target/fuzz/crashes`.
fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = "600".to_string();
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => seconds = it.next().context("--seconds needs a value")?.clone(),
            t => targets.push(t.to_string()),
        }
    }
    if targets.is_empty() {
        targets.push("all".into());
    }
    cargo(&["build", "--release", "--locked", "-p", "coffre-fuzz"])?;
    let bin = target_dir().join("release/coffre-fuzz");
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
