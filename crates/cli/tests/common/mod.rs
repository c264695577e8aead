//! Helpers shared by the CLI's end-to-end tests: run the real `coffre` binary on a vault.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The passphrase of every test vault.
pub const PASS: &str = "correct horse battery staple";

/// `coffre ARGS` on `vault`, with the passphrase in the environment and no terminal, ready to
/// run.
pub fn command(vault: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coffre"));
    c.args(args)
        .env("COFFRE_VAULT", vault)
        .env("COFFRE_PASSPHRASE", PASS)
        .env_remove("COFFRE_NEW_PASSPHRASE")
        .stdin(Stdio::null());
    c
}

/// `coffre ARGS` on `vault`, with the passphrase in the environment and no terminal.
pub fn coffre(vault: &Path, args: &[&str]) -> Output {
    command(vault, args).output().unwrap()
}

/// `coffre ARGS`, which must succeed; its standard output.
pub fn ok(vault: &Path, args: &[&str]) -> String {
    let out = coffre(vault, args);
    assert!(
        out.status.success(),
        "coffre {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new vault with the cheapest accepted key derivation (tests unlock it many times).
pub fn init(vault: &Path) {
    ok(
        vault,
        &["init", "--kdf-memory-mib", "19", "--kdf-iterations", "2"],
    );
}

/// One of the extractor's fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}
