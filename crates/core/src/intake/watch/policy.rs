//! After the target answered: the after-import policy (keep, move to `Imported/YYYY-MM/`,
//! delete) and refused files set aside in `Failed/` with a reason.
//!
//! Promises: existing files are never overwritten (a taken name gets ` (2)`, ` (3)`... before
//! its extension, and in `Failed/` its reason file's name must be free too); a file that changed
//! while the target read it is neither moved nor deleted; when moving an imported file fails it
//! is kept and remembered, so it is never imported twice; a refused file's reason file is never
//! older than the file, so only a later change means "retry".

use std::ffi::OsString;
use std::fs;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use serde::Serialize;

use super::scan::file_stamp;
use super::watcher::{Job, Memo, Shared};
use super::{
    AfterImport, FAILED_DIR, FileOutcome, HandledAction, IMPORTED_DIR, REASON_SUFFIX, WatchEvent,
    WatchState,
};

/// Imports one stable file and applies the policy to it.
pub(super) fn handle_job(shared: &Shared, job: &Job) -> Memo {
    let outcome = catch_unwind(AssertUnwindSafe(|| shared.target.import(&job.path)))
        .unwrap_or_else(|_| Err("the import failed unexpectedly (internal error)".to_owned()));
    let event = match outcome {
        Ok(FileOutcome::Deferred) => return Memo::Nothing,
        Ok(FileOutcome::Imported(id)) => WatchEvent::Imported {
            path: job.path.clone(),
            id,
        },
        Ok(FileOutcome::Duplicate(id)) => WatchEvent::Duplicate {
            path: job.path.clone(),
            id,
        },
        Err(reason) => return after_failure(shared, job, reason),
    };
    shared.emit(event);
    after_success(shared, job)
}

fn keep(shared: &Shared, job: &Job) -> Memo {
    shared.remember(&job.rel, job.stamp);
    shared.emit(WatchEvent::Handled {
        path: job.path.clone(),
        action: HandledAction::Kept,
        to: None,
    });
    Memo::Kept
}

fn after_success(shared: &Shared, job: &Job) -> Memo {
    if shared.after == AfterImport::Keep {
        return keep(shared, job);
    }
    if file_stamp(&job.path) != Some(job.stamp) {
        // Changed (or gone) while the target read it: do not move or delete what may be newer
        // content; if it is still there it becomes a candidate again.
        return Memo::Nothing;
    }
    let result = if shared.after == AfterImport::Move {
        let dir = shared
            .folder
            .join(IMPORTED_DIR)
            .join(year_month(time::OffsetDateTime::now_utc()));
        move_unique(&job.path, &dir, &shared.names, false).map(Some)
    } else {
        fs::remove_file(&job.path).map(|()| None)
    };
    match result {
        Ok(to) => {
            let action = if to.is_some() {
                HandledAction::Moved
            } else {
                HandledAction::Deleted
            };
            shared.emit(WatchEvent::Handled {
                path: job.path.clone(),
                action,
                to,
            });
            Memo::Nothing
        }
        Err(e) => {
            let verb = if shared.after == AfterImport::Move {
                "move it to Imported/"
            } else {
                "delete it"
            };
            shared.set_state(WatchState::Error {
                reason: format!(
                    "{} was imported but the watcher could not {verb} ({e}); it is kept in place",
                    job.path.display()
                ),
            });
            keep(shared, job)
        }
    }
}

fn after_failure(shared: &Shared, job: &Job, reason: String) -> Memo {
    if file_stamp(&job.path).is_none() {
        // Vanished: nothing to set aside.
        shared.emit(WatchEvent::Failed {
            path: job.path.clone(),
            reason,
            moved_to: None,
        });
        return Memo::Nothing;
    }
    let failed_dir = shared.folder.join(FAILED_DIR);
    match move_unique(&job.path, &failed_dir, &shared.names, true) {
        Ok(to) => {
            if let Err(e) = write_reason(&to, &job.rel, &reason) {
                shared.set_state(WatchState::Error {
                    reason: format!("could not write the reason file for {}: {e}", to.display()),
                });
            }
            shared.emit(WatchEvent::Failed {
                path: job.path.clone(),
                reason,
                moved_to: Some(to),
            });
            Memo::Nothing
        }
        Err(e) => {
            shared.set_state(WatchState::Error {
                reason: format!(
                    "could not set {} aside in {FAILED_DIR}/ ({e}); it is left in place until it changes",
                    job.path.display()
                ),
            });
            shared.emit(WatchEvent::Failed {
                path: job.path.clone(),
                reason,
                moved_to: None,
            });
            Memo::Unmovable
        }
    }
}

fn year_month(t: time::OffsetDateTime) -> String {
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

pub(super) fn reason_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(REASON_SUFFIX);
    PathBuf::from(s)
}

/// Writes `FILE.reason.txt` next to a refused file; its modification time is never older than the
/// file's, so that only a later change of the file means "retry".
fn write_reason(file: &Path, rel: &Path, reason: &str) -> io::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.to_string());
    let text = format!(
        "{reason}\n\nFile: {}\nRefused at: {stamp} (UTC)\n\nTo try again, change or touch the file \
         in this folder: the watcher moves it back at its next rescan.\n",
        rel.display()
    );
    let path = reason_path(file);
    fs::write(&path, text)?;
    if let Ok(file_mtime) = fs::metadata(file).and_then(|m| m.modified())
        && file_mtime > SystemTime::now()
    {
        fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(file_mtime)?;
    }
    Ok(())
}

/// `name` with ` (n)` before its extension (`n` > 1).
fn numbered(name: &std::ffi::OsStr, n: u32) -> OsString {
    if n <= 1 {
        return name.to_owned();
    }
    let p = Path::new(name);
    let mut out = p.file_stem().unwrap_or(name).to_owned();
    out.push(format!(" ({n})"));
    if let (Some(ext), Some(_)) = (p.extension(), p.file_stem()) {
        out.push(".");
        out.push(ext);
    }
    out
}

/// Moves `src` into `dir` (created if needed) under its own name, or the first free numbered
/// variant; never overwrites. `with_reason`: the name's `.reason.txt` must be free too.
pub(super) fn move_unique(
    src: &Path,
    dir: &Path,
    lock: &Mutex<()>,
    with_reason: bool,
) -> io::Result<PathBuf> {
    let name = src
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    fs::create_dir_all(dir)?;
    let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    for n in 1..=10_000 {
        let candidate = dir.join(numbered(name, n));
        if fs::symlink_metadata(&candidate).is_ok()
            || (with_reason && fs::symlink_metadata(reason_path(&candidate)).is_ok())
        {
            continue;
        }
        // A hard link fails if the name is taken, even by another process; then the original
        // goes. Where links are not supported, rename after the check above.
        match fs::hard_link(src, &candidate) {
            Ok(()) => {
                if let Err(e) = fs::remove_file(src) {
                    let _ = fs::remove_file(&candidate);
                    return Err(e);
                }
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
            Err(_) => {
                fs::rename(src, &candidate)?;
                return Ok(candidate);
            }
        }
    }
    Err(io::Error::other(format!(
        "no free name for {} in {}",
        name.to_string_lossy(),
        dir.display()
    )))
}

/// Writes `bytes` as `NAME` (its last component only; a free numbered variant if taken) into
/// the `Failed/` folder of the watched `folder`, with its reason file, as a refused file of the
/// folder would be; the file is synced before the reason is written. For a file that arrived
/// while the vault was locked and whose import was then refused.
pub fn set_aside(folder: &Path, name: &str, bytes: &[u8], reason: &str) -> io::Result<PathBuf> {
    let name = Path::new(name)
        .file_name()
        .filter(|n| !n.is_empty())
        .map_or_else(|| OsString::from("unnamed"), ToOwned::to_owned);
    let dir = folder.join(FAILED_DIR);
    fs::create_dir_all(&dir)?;
    for n in 1..=10_000 {
        let candidate = dir.join(numbered(&name, n));
        if fs::symlink_metadata(reason_path(&candidate)).is_ok() {
            continue;
        }
        let mut file = match fs::File::options()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = io::Write::write_all(&mut file, bytes).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = fs::remove_file(&candidate);
            return Err(e);
        }
        write_reason(&candidate, Path::new(&numbered(&name, n)), reason)?;
        return Ok(candidate);
    }
    Err(io::Error::other(format!(
        "no free name in {}",
        dir.display()
    )))
}

/// A file the watcher set aside in `Failed/`, with the first line of its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct FailedFile {
    /// Its name in `Failed/`.
    pub name: String,
    /// Why it was refused (the first line of `NAME.reason.txt`; empty when that file is gone).
    pub reason: String,
}

/// The files set aside in `folder/Failed/`, by name (at most `limit`; reason files of at most
/// 64 KiB are read).
pub fn failed_files(folder: &Path, limit: usize) -> Vec<FailedFile> {
    let Ok(entries) = fs::read_dir(folder.join(FAILED_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<FailedFile> = entries
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (!name.ends_with(REASON_SUFFIX) && !name.starts_with('.')).then(|| {
                let reason = fs::File::open(reason_path(&e.path()))
                    .and_then(|f| {
                        let mut text = String::new();
                        io::Read::read_to_string(&mut io::Read::take(f, 64 * 1024), &mut text)
                            .map(|_| text)
                    })
                    .map(|t| t.lines().next().unwrap_or_default().to_owned())
                    .unwrap_or_default();
                FailedFile { name, reason }
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names() {
        let n = |s: &str, i| numbered(std::ffi::OsStr::new(s), i);
        assert_eq!(n("a.pdf", 1), "a.pdf");
        assert_eq!(n("a.pdf", 2), "a (2).pdf");
        assert_eq!(n("a.tar.gz", 3), "a.tar (3).gz");
        assert_eq!(n("README", 2), "README (2)");
    }

    #[test]
    fn move_unique_never_overwrites() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let dest = dir.path().join("out");
        fs::create_dir_all(&dest)?;
        fs::write(dest.join("a.pdf"), "old")?;
        fs::write(dest.join("a (2).pdf.reason.txt"), "why")?;
        let lock = Mutex::new(());
        let src = dir.path().join("a.pdf");
        fs::write(&src, "new")?;
        let to = move_unique(&src, &dest, &lock, false)?;
        assert_eq!(to, dest.join("a (2).pdf"));
        assert_eq!(fs::read_to_string(dest.join("a.pdf"))?, "old");
        assert_eq!(fs::read_to_string(&to)?, "new");
        assert!(!src.exists());
        fs::write(&src, "newer")?;
        let to = move_unique(&src, &dest, &lock, true)?;
        assert_eq!(
            to,
            dest.join("a (3).pdf"),
            "a (2).pdf is taken, its reason file too"
        );
        Ok(())
    }

    #[test]
    fn year_month_is_zero_padded() {
        let t = time::macros::datetime!(2026-03-09 23:59 UTC);
        assert_eq!(year_month(t), "2026-03");
    }
}
