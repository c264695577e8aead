//! `coffre backup create|list|verify|restore` and `coffre export` end to end.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, pdf_files};
use serde_json::Value;

/// A new vault with `n` generated PDFs of `len` bytes imported from the folder `a`.
fn vault_with_files(n: usize, len: usize) -> Env {
    let env = Env::new();
    import_files(&env, "a", n, len);
    env
}

/// Imports `n` generated PDFs of `len` bytes, written to the folder `dir`.
fn import_files(env: &Env, dir: &str, n: usize, len: usize) {
    env.ok(&[
        "import",
        pdf_files(&env.path(dir), n, len).to_str().unwrap(),
    ]);
}

/// Restores the backup in `backup` to the new vault `restored`; its path.
fn restore(env: &Env, backup: &Path) -> PathBuf {
    let restored = env.path("restored");
    env.ok(&[
        "backup",
        "restore",
        backup.to_str().unwrap(),
        "--to",
        restored.to_str().unwrap(),
    ]);
    restored
}

#[test]
fn back_up_change_back_up_verify_tamper_and_restore() {
    let env = vault_with_files(5, 5000);
    let b = env.path("backup");
    env.ok(&["backup", "create", "--to", b.to_str().unwrap()]);
    import_files(&env, "b", 8, 7000);
    let s = env.json(&["backup", "create", "--to", b.to_str().unwrap(), "--json"]);
    assert_eq!(s["documents"], 13);
    assert!(
        s["blobs_copied"].as_u64().unwrap() <= 8,
        "incremental: old blobs are not copied again"
    );
    assert!(
        env.ok(&["backup", "verify", b.to_str().unwrap()])
            .starts_with("ok: ")
    );

    let restored = restore(&env, &b);
    let original = env.json(&["list", "--json"]);
    let copy: Value = serde_json::from_str(&common::ok(&restored, &["list", "--json"])).unwrap();
    assert_eq!(original, copy, "same documents and metadata");
    let id = original[0]["id"].as_str().unwrap();
    assert_eq!(
        env.run(&["cat", id]).stdout,
        common::coffre(&restored, &["cat", id]).stdout
    );
    assert!(common::ok(&restored, &["verify"]).starts_with("ok: 13 documents"));

    // A flipped byte in a backed-up blob is named.
    let blob = b.join("blobs").join(&id[..2]).join(id);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let out = env.run(&["backup", "verify", b.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(id));
}

#[test]
fn a_backup_killed_midway_is_completed_by_the_next_run() {
    let env = vault_with_files(200, 100_000);
    let b = env.path("backup");
    let mut child = env
        .cmd(&["backup", "create", "--to", b.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(120));
    child.kill().unwrap(); // SIGKILL, wherever it is
    child.wait().unwrap();
    env.ok(&["backup", "create", "--to", b.to_str().unwrap()]);
    assert!(
        env.ok(&["backup", "verify", b.to_str().unwrap()])
            .starts_with("ok: ")
    );
    let restored = restore(&env, &b);
    assert!(common::ok(&restored, &["verify"]).starts_with("ok: 200 documents"));
}

#[test]
fn export_writes_everything_in_plain_files() {
    let env = vault_with_files(3, 1000);
    let out = env.path("export");
    let o = env.run(&["export", "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("PLAINTEXT"));
    assert_eq!(std::fs::read_dir(out.join("documents")).unwrap().count(), 3);
    for f in [
        "documents.json",
        "documents.csv",
        "consents.json",
        "requests.json",
        "audit.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    assert!(env.audit_actions().iter().any(|a| a == "vault.export"));
    assert!(
        !env.run(&["export", "--out", out.to_str().unwrap()])
            .status
            .success(),
        "never over existing files"
    );
}
