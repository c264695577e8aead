//! The workspace's folders the fuzzer reads from and writes to, found from this crate's location
//! at build time (the fuzzer is a development tool run from a checkout).

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ sits in the workspace")
        .to_path_buf()
}

/// The extraction fixtures (`crates/extract/tests/fixtures`).
pub fn fixtures() -> PathBuf {
    root().join("crates/extract/tests/fixtures")
}

/// One of the public corpora beside the workspace (`../shared/corpus/NAME`), when present.
pub fn shared_corpus(name: &str) -> Option<PathBuf> {
    let p = root().join("../shared/corpus").join(name);
    p.is_dir().then_some(p)
}

/// The committed regression inputs (`fuzz/regressions`), one folder per target.
pub fn regressions() -> PathBuf {
    root().join("fuzz/regressions")
}

/// Where runs write by default (`target/fuzz`).
pub fn default_out() -> PathBuf {
    root().join("target/fuzz")
}

/// Every regular file under `dir` (recursively, sorted), skipping hidden names.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}
