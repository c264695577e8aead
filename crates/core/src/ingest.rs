//! Ingestion: turning what the user offers (files and folders) into the list of files to import.
//!
//! Promises: explicit files are always taken; folders are walked recursively in a stable
//! (sorted) order, skipping hidden entries and operating-system litter (`.DS_Store`,
//! `Thumbs.db`, `desktop.ini`) and never following symbolic links out of the folder.

use std::path::{Path, PathBuf};

use crate::Error;

/// Names never imported from a folder walk.
const LITTER: &[&str] = &["Thumbs.db", "desktop.ini", "ehthumbs.db"];

fn is_skipped(name: &str) -> bool {
    name.starts_with('.') || LITTER.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// Expands `paths` into files: each item is a file to import or a path that could not be read.
pub fn collect_files(paths: &[PathBuf]) -> Vec<Result<PathBuf, (PathBuf, Error)>> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, &mut out),
            Ok(_) => out.push(Ok(path.clone())),
            Err(e) => out.push(Err((path.clone(), Error::io(path)(e)))),
        }
    }
    out
}

fn walk(root: &Path, out: &mut Vec<Result<PathBuf, (PathBuf, Error)>>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_skipped(&e.file_name().to_string_lossy()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => out.push(Ok(e.into_path())),
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let err = e
                    .into_io_error()
                    .map(|io| Error::io(&path)(io))
                    .unwrap_or_else(|| Error::io(&path)(std::io::Error::other("filesystem loop")));
                out.push(Err((path, err)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_litter() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/.git")).unwrap();
        for f in [
            "a.pdf",
            "b/c.xml",
            "b/.git/x",
            ".hidden",
            "Thumbs.db",
            "b/.DS_Store",
        ] {
            std::fs::write(root.join(f), b"x").unwrap();
        }
        let got: Vec<PathBuf> = collect_files(&[root.to_path_buf(), root.join("missing")])
            .into_iter()
            .map(|r| match r {
                Ok(p) => p.strip_prefix(root).unwrap().to_path_buf(),
                Err((p, _)) => {
                    PathBuf::from(format!("ERR {}", p.file_name().unwrap().to_string_lossy()))
                }
            })
            .collect();
        assert_eq!(
            got,
            vec![
                PathBuf::from("a.pdf"),
                PathBuf::from("b/c.xml"),
                PathBuf::from("ERR missing")
            ]
        );
    }
}
