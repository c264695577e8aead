//! Helpers shared by the CLI's end-to-end tests: run the real `coffre` binary on a vault.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

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

/// `coffre ARGS`, which must succeed; all it printed.
pub fn ok_output(vault: &Path, args: &[&str]) -> Output {
    let out = coffre(vault, args);
    assert!(
        out.status.success(),
        "coffre {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// `coffre ARGS`, which must succeed; its standard output.
pub fn ok(vault: &Path, args: &[&str]) -> String {
    stdout(&ok_output(vault, args))
}

/// A new vault with the cheapest accepted key derivation (tests unlock it many times); what
/// `init` printed.
pub fn init(vault: &Path) -> String {
    ok(
        vault,
        &["init", "--kdf-memory-mib", "19", "--kdf-iterations", "2"],
    )
}

/// A file of the third-party corpus (`../shared/corpus/third-party/files/NAME`), or `None`
/// (said on stderr) when the corpus is not beside the project: the test then skips.
pub fn third_party(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/third-party/files")
        .join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

/// A process's standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A process's standard error, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One of the extractor's fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

/// Writes `data` to `path`, creating its folder.
pub fn write(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// File number `i` of a batch: a PDF header naming `i`, then `len` bytes of a pattern shifted by
/// `i` (every file of a batch differs).
pub fn pdf_body(i: usize, len: usize) -> Vec<u8> {
    format!("%PDF-1.4 doc {i}\n")
        .bytes()
        .chain((0..len).map(|j| (j * 13 + i) as u8))
        .collect()
}

/// `n` files `f000.pdf`, `f001.pdf`... of [`pdf_body`]s of `len` bytes in `dir` (created);
/// `dir`.
pub fn pdf_files(dir: &Path, n: usize, len: usize) -> PathBuf {
    for i in 0..n {
        write(&dir.join(format!("f{i:03}.pdf")), &pdf_body(i, len));
    }
    dir.to_path_buf()
}

/// A temporary folder for one test, with a vault at `vault` in it.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub vault: PathBuf,
}

impl Env {
    /// A temporary folder and the path of a vault in it, not created yet.
    pub fn empty() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let vault = tmp.path().join("vault");
        Env { tmp, vault }
    }

    /// A temporary folder with a new vault in it (see [`init`]).
    pub fn new() -> Env {
        let env = Env::empty();
        init(&env.vault);
        env
    }

    /// `rel` in the temporary folder (outside the vault).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// See [`command`].
    pub fn cmd(&self, args: &[&str]) -> Command {
        command(&self.vault, args)
    }

    /// See [`coffre`].
    pub fn run(&self, args: &[&str]) -> Output {
        coffre(&self.vault, args)
    }

    /// `coffre ARGS` with `passphrase` given instead of the vault's.
    pub fn run_with(&self, passphrase: &str, args: &[&str]) -> Output {
        self.cmd(args)
            .env("COFFRE_PASSPHRASE", passphrase)
            .output()
            .unwrap()
    }

    /// See [`ok_output`].
    pub fn ok_output(&self, args: &[&str]) -> Output {
        ok_output(&self.vault, args)
    }

    /// See [`ok`].
    pub fn ok(&self, args: &[&str]) -> String {
        ok(&self.vault, args)
    }

    /// `coffre ARGS`, which must succeed, its output parsed as one JSON value.
    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// Imports `path` (one file); the new document's id.
    pub fn import(&self, path: &Path) -> String {
        let out = self.ok(&["import", "--json", path.to_str().unwrap()]);
        let line: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        line["id"].as_str().unwrap().to_owned()
    }

    /// Writes `name` with `bytes` in the temporary folder and imports it; the document's id.
    pub fn import_bytes(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.path(name);
        write(&path, bytes);
        self.import(&path)
    }

    /// `coffre consent grant` to "Cabinet Martin" for bookkeeping, with `extra` flags; its output.
    pub fn grant_consent(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "consent",
            "grant",
            "--party",
            "Cabinet Martin",
            "--purpose",
            "bookkeeping",
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// Every document (`coffre list --json`).
    pub fn list(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["list", "--json"])).unwrap()
    }

    /// The action of every audit entry (`coffre audit --json`).
    pub fn audit_actions(&self) -> Vec<String> {
        let v: Vec<Value> = serde_json::from_str(&self.ok(&["audit", "--json"])).unwrap();
        v.iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The encrypted file of document `id`.
    pub fn blob(&self, id: &str) -> PathBuf {
        self.vault.join("blobs").join(&id[..2]).join(id)
    }

    /// Every file under the vault's `blobs/`, sorted.
    pub fn blobs(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = walkdir::WalkDir::new(self.vault.join("blobs"))
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        out.sort();
        out
    }

    /// The vault's index database.
    pub fn index(&self) -> PathBuf {
        self.vault.join("index.db")
    }
}

/// `bundle create` for "Cabinet Martin" over `period` into `out`, then `extra` flags.
pub fn bundle_create_args<'a>(period: &'a str, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "bundle",
        "create",
        "--recipient",
        "Cabinet Martin",
        "--period",
        period,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}
