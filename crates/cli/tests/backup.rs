//! `coffre backup create|list|verify|restore` and `coffre export` end to end.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{PASS, coffre, init, ok};
use serde_json::Value;

fn files(dir: &Path, n: usize, size: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let body: Vec<u8> = format!("%PDF-1.4 {i}\n")
            .bytes()
            .chain((0..size).map(|j| (j * 7 + i) as u8))
            .collect();
        std::fs::write(dir.join(format!("f{i:03}.pdf")), body).unwrap();
    }
    dir.to_path_buf()
}

#[test]
fn back_up_change_back_up_verify_tamper_and_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let b = tmp.path().join("backup");
    init(&v);
    ok(
        &v,
        &[
            "import",
            files(&tmp.path().join("a"), 5, 5000).to_str().unwrap(),
        ],
    );
    ok(&v, &["backup", "create", "--to", b.to_str().unwrap()]);
    ok(
        &v,
        &[
            "import",
            files(&tmp.path().join("b"), 8, 7000).to_str().unwrap(),
        ],
    );
    let s: Value = serde_json::from_str(&ok(
        &v,
        &["backup", "create", "--to", b.to_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(s["documents"], 13);
    assert!(
        s["blobs_copied"].as_u64().unwrap() <= 8,
        "incremental: old blobs are not copied again"
    );
    assert!(ok(&v, &["backup", "verify", b.to_str().unwrap()]).starts_with("ok: "));

    let restored = tmp.path().join("restored");
    ok(
        &v,
        &[
            "backup",
            "restore",
            b.to_str().unwrap(),
            "--to",
            restored.to_str().unwrap(),
        ],
    );
    let original: Value = serde_json::from_str(&ok(&v, &["list", "--json"])).unwrap();
    let copy: Value = serde_json::from_str(&ok(&restored, &["list", "--json"])).unwrap();
    assert_eq!(original, copy, "same documents and metadata");
    let id = original[0]["id"].as_str().unwrap();
    assert_eq!(
        coffre(&v, &["cat", id]).stdout,
        coffre(&restored, &["cat", id]).stdout
    );
    assert!(ok(&restored, &["verify"]).starts_with("ok: 13 documents"));

    // A flipped byte in a backed-up blob is named.
    let blob = b.join("blobs").join(&id[..2]).join(id);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let out = coffre(&v, &["backup", "verify", b.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(id));
}

#[test]
fn a_backup_killed_midway_is_completed_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let b = tmp.path().join("backup");
    init(&v);
    ok(
        &v,
        &[
            "import",
            files(&tmp.path().join("a"), 200, 100_000).to_str().unwrap(),
        ],
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["backup", "create", "--to", b.to_str().unwrap()])
        .env("COFFRE_VAULT", &v)
        .env("COFFRE_PASSPHRASE", PASS)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(120));
    child.kill().unwrap(); // SIGKILL, wherever it is
    child.wait().unwrap();
    ok(&v, &["backup", "create", "--to", b.to_str().unwrap()]);
    assert!(ok(&v, &["backup", "verify", b.to_str().unwrap()]).starts_with("ok: "));
    let restored = tmp.path().join("restored");
    ok(
        &v,
        &[
            "backup",
            "restore",
            b.to_str().unwrap(),
            "--to",
            restored.to_str().unwrap(),
        ],
    );
    assert!(ok(&restored, &["verify"]).starts_with("ok: 200 documents"));
}

#[test]
fn export_writes_everything_in_plain_files() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    init(&v);
    ok(
        &v,
        &[
            "import",
            files(&tmp.path().join("a"), 3, 1000).to_str().unwrap(),
        ],
    );
    let out = tmp.path().join("export");
    let o = coffre(&v, &["export", "--out", out.to_str().unwrap()]);
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
    let audit: Value = serde_json::from_str(&ok(&v, &["audit", "--json"])).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "vault.export")
    );
    assert!(
        !coffre(&v, &["export", "--out", out.to_str().unwrap()])
            .status
            .success(),
        "never over existing files"
    );
}
