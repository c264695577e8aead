//! Where the CLI gets passphrases and recovery keys: a file, an environment variable, or a
//! no-echo prompt on a terminal, in that order. Nothing read here is ever printed.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use coffre_core::{Passphrase, RecoveryKey};
use zeroize::Zeroizing;

/// Environment variable holding the vault passphrase.
pub const ENV_PASSPHRASE: &str = "COFFRE_PASSPHRASE";
/// Environment variable holding the new passphrase for `passwd` and `recover`.
pub const ENV_NEW_PASSPHRASE: &str = "COFFRE_NEW_PASSPHRASE";

/// Reads a secret file, dropping one trailing line break.
fn read_secret_file(path: &Path) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn from_env(var: &str) -> Option<Passphrase> {
    std::env::var(var).ok().map(Passphrase::new)
}

fn prompt(label: &str) -> Result<Passphrase> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "no passphrase given: set {ENV_PASSPHRASE}, use --passphrase-file, or run in a terminal"
        );
    }
    Ok(Passphrase::new(rpassword::prompt_password(label)?))
}

/// The passphrase of an existing vault.
pub fn existing(file: Option<&Path>) -> Result<Passphrase> {
    if let Some(f) = file {
        return Ok(Passphrase::new(read_secret_file(f)?.to_string()));
    }
    if let Some(p) = from_env(ENV_PASSPHRASE) {
        return Ok(p);
    }
    prompt("Vault passphrase: ")
}

/// A new passphrase: from `file`, then the environment variables in `envs`, else typed twice.
pub fn new_passphrase(file: Option<&Path>, envs: &[&str]) -> Result<Passphrase> {
    if let Some(f) = file {
        return Ok(Passphrase::new(read_secret_file(f)?.to_string()));
    }
    for var in envs {
        if let Some(p) = from_env(var) {
            return Ok(p);
        }
    }
    for _ in 0..3 {
        let first = prompt("New passphrase: ")?;
        if let Err(e) = first.check_strength() {
            eprintln!("{e}");
            continue;
        }
        let second = prompt("Repeat the new passphrase: ")?;
        if first.dangerously_expose() == second.dangerously_expose() {
            return Ok(first);
        }
        eprintln!("The two passphrases differ; try again.");
    }
    bail!("no acceptable passphrase after three tries; nothing was changed")
}

/// The recovery key written in `file`.
pub fn recovery_key(file: &Path) -> Result<RecoveryKey> {
    Ok(RecoveryKey::parse(&read_secret_file(file)?)?)
}

/// Writes the recovery key to a new file readable only by its owner.
pub fn write_recovery_key(file: &Path, key: &RecoveryKey) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(file)
        .with_context(|| format!("creating {}", file.display()))?;
    writeln!(f, "{}", key.to_display_string().as_str())?;
    f.sync_all()?;
    Ok(())
}

/// A bundle password read from a file (one trailing line break dropped); an empty one is refused.
pub fn bundle_password(file: &Path) -> Result<Zeroizing<String>> {
    let text = read_secret_file(file)?;
    if text.is_empty() {
        bail!(
            "{} is empty: a bundle password cannot be empty",
            file.display()
        );
    }
    Ok(text)
}

/// A mail account's password read from a file (one trailing line break dropped); an empty one is
/// refused.
pub fn mail_password(file: &Path) -> Result<Zeroizing<String>> {
    let text = read_secret_file(file)?;
    if text.is_empty() {
        bail!("{} is empty: give the account's password", file.display());
    }
    Ok(text)
}
