//! `cargo xtask setup`: the system and npm packages the app and its tests need.
//!
//! Promises: only what is missing is installed (Debian packages through apt-get, with sudo
//! unless root; the UI's npm packages, with `npm ci`, when the lock file is newer than `node_modules`); on other
//! systems it says what to install instead.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{as_root, have, modified, npm, root};

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
    // Mail tests write their messages with Python's `email` package, as a mail client would,
    // and fetch them from a real IMAP server (Dovecot) over TLS with a test CA made by openssl.
    "python3",
    "dovecot-imapd",
    "openssl",
    // The .msg tests convert their messages with a third-party Outlook writer (Python, in a
    // virtual environment: see `msg_writer`).
    "python3-venv",
    // Bundle tests open AES ZIPs with 7-Zip, as an accountant would.
    "p7zip-full",
    // The baselines of the benchmarks (same run): pdftotext for extraction, restic and rsync
    // for backups, zip for bundles.
    "poppler-utils",
    "restic",
    "rsync",
    "zip",
    // OCR of scans and photos: Tesseract 5 and its French, English and German models.
    "tesseract-ocr",
    "tesseract-ocr-fra",
    "tesseract-ocr-eng",
    "tesseract-ocr-deu",
];

/// Installs what is missing: Debian packages (with apt-get, through sudo unless root) and the
/// UI's npm packages (`npm ci`, from the lock file).
pub(crate) fn setup() -> Result<()> {
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
            as_root(&["apt-get", "update", "-qq"])?;
            let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
            install.extend(&missing);
            as_root(&install)?;
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
    msg_writer()?;
    let ui = root().join("ui");
    if !ui.join("node_modules/.package-lock.json").exists()
        || modified(&ui.join("package-lock.json"))
            > modified(&ui.join("node_modules/.package-lock.json"))
    {
        // The lock file lists every platform's optional packages: `npm ci` installs exactly it.
        npm(&["ci", "--no-audit", "--no-fund"])?;
    }
    Ok(())
}

/// The third-party Outlook `.msg` writer the mail tests convert their messages with
/// (`aspose-email-foss`, MIT, pure Python), in a virtual environment of its own under the user's
/// cache (`$XDG_CACHE_HOME` or `~/.cache`, then `coffre/py-mail`): Debian's Python refuses
/// `pip install` outside one.
const MSG_WRITER_VERSION: &str = "aspose-email-foss==26.3";

fn msg_writer() -> Result<()> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")));
    let Some(cache) = cache else {
        return Ok(());
    };
    let venv = cache.join("coffre/py-mail");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import aspose.email_foss.msg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready || !have("python3") {
        return Ok(());
    }
    eprintln!("Installing {MSG_WRITER_VERSION} into {}", venv.display());
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("python3 -m venv")?
        .success()
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", MSG_WRITER_VERSION])
            .status()
            .context("pip install")?
            .success();
    if !ok {
        bail!("installing {MSG_WRITER_VERSION} failed");
    }
    Ok(())
}
