//! Which files the watcher takes, and when: the ignore rules, stability (size and modification
//! time unchanged for the settle delay), the candidates table, scanning, and the retry of
//! refused files that changed in `Failed/`.
//!
//! Promises: file-system events and scans only make a path a candidate; a candidate is handed to
//! a worker once its stamp has not changed for the settle delay and it can be opened (after a few
//! failed opens the target is asked anyway, to refuse it with a reason); a file kept or left in
//! place is skipped while its stamp is unchanged; directories, links, litter and the watcher's
//! own `Imported/` and `Failed/` are never candidates.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::control::Core;
use super::policy::{move_unique, reason_path};
use super::watcher::Job;
use super::{FAILED_DIR, IMPORTED_DIR, REASON_SUFFIX, WatchEvent, WatchState};

/// How deep a recursive scan goes below the watched folder.
const MAX_DEPTH: usize = 64;
/// How many times a stable file that cannot be opened is waited for before the target is asked
/// anyway (and refuses it with a readable reason).
const MAX_OPEN_FAILURES: u32 = 5;

/// A file's size and modification time: what "unchanged" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub(super) size: u64,
    pub(super) mtime_ns: i128,
}

impl Stamp {
    pub(super) fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            size: meta.len(),
            mtime_ns: meta.modified().map(system_time_ns).unwrap_or(0),
        }
    }
}

fn system_time_ns(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => i128::try_from(e.duration().as_nanos()).map_or(i128::MIN, |n| -n),
    }
}

/// The stamp of a regular file (not following symbolic links), if it is one.
pub(super) fn file_stamp(path: &Path) -> Option<Stamp> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Some(Stamp::of(&m)),
        _ => None,
    }
}

/// Whether a file or folder name is never imported (nor entered).
fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || lower.ends_with(".part")
        || lower.ends_with(".crdownload")
        || lower.ends_with(".tmp")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
}

/// A file waiting to become stable.
pub(super) struct Candidate {
    pub(super) stamp: Stamp,
    /// When its stamp last changed (or a write event was seen).
    pub(super) since: Instant,
    pub(super) ready: bool,
    pub(super) open_failures: u32,
}

impl Core {
    /// The path relative to the folder, if it is one the watcher may import (or enter).
    pub(super) fn eligible<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        let rel = path.strip_prefix(self.folder()).ok()?;
        let mut count = 0;
        for (i, c) in rel.components().enumerate() {
            let Component::Normal(name) = c else {
                return None;
            };
            let name = name.to_string_lossy();
            if is_ignored_name(&name) || (i == 0 && (name == IMPORTED_DIR || name == FAILED_DIR)) {
                return None;
            }
            count += 1;
        }
        if count == 0 || (!self.opts.recursive && count > 1) || count > MAX_DEPTH {
            return None;
        }
        Some(rel)
    }

    /// Makes `path` a candidate if it is an eligible regular file not already handled.
    pub(super) fn consider(&mut self, path: &Path, from_event: bool) {
        if !self.available || self.in_flight.contains(path) {
            return;
        }
        let Some(rel) = self.eligible(path) else {
            return;
        };
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        if meta.is_dir() {
            if from_event && self.opts.recursive {
                // A folder moved or copied in: its files raise no events of their own.
                self.scan_from(path.to_path_buf(), None);
            }
            return;
        }
        if !meta.is_file() {
            return;
        }
        let stamp = Stamp::of(&meta);
        let now = Instant::now();
        if let Some(c) = self.candidates.get_mut(path) {
            if from_event || c.stamp != stamp {
                c.stamp = stamp;
                c.since = now;
                c.ready = false;
            }
            return;
        }
        if self.kept.get(path) == Some(&stamp) || self.unmovable.get(path) == Some(&stamp) {
            return;
        }
        if let Some((size, mtime_ns)) = self.shared.recall(rel)
            && size == stamp.size
            && mtime_ns == stamp.mtime_ns
        {
            self.kept.insert(path.to_path_buf(), stamp);
            return;
        }
        if self.candidates.is_empty() {
            self.next_tick = now + self.opts.poll_tick;
        }
        self.candidates.insert(
            path.to_path_buf(),
            Candidate {
                stamp,
                since: now,
                ready: false,
                open_failures: 0,
            },
        );
        self.shared.emit(WatchEvent::Seen {
            path: path.to_path_buf(),
        });
    }

    /// Checks every candidate: forgets vanished ones, restarts the settle timer of changed ones,
    /// marks the others ready once settled.
    pub(super) fn tick(&mut self) {
        let now = Instant::now();
        let settle = self.opts.settle;
        self.candidates.retain(|path, c| match file_stamp(path) {
            None => false,
            Some(s) if s != c.stamp => {
                c.stamp = s;
                c.since = now;
                c.ready = false;
                true
            }
            Some(_) => {
                if now.duration_since(c.since) >= settle {
                    c.ready = true;
                }
                true
            }
        });
    }

    /// Hands ready candidates to the workers, oldest first, while there is room.
    pub(super) fn dispatch(&mut self) {
        while self.in_flight.len() < self.opts.max_in_flight {
            let next = self
                .candidates
                .iter()
                .filter(|(_, c)| c.ready)
                .min_by_key(|(_, c)| c.since)
                .map(|(p, _)| p.clone());
            let Some(path) = next else { return };
            let Some(mut c) = self.candidates.remove(&path) else {
                return;
            };
            match file_stamp(&path) {
                None => continue,
                Some(s) if s != c.stamp => {
                    c.stamp = s;
                    c.since = Instant::now();
                    c.ready = false;
                    self.candidates.insert(path, c);
                    continue;
                }
                Some(_) => {}
            }
            if fs::File::open(&path).is_err() && c.open_failures < MAX_OPEN_FAILURES {
                // Still locked by its writer (Windows), or unreadable: wait another settle time,
                // a few times, then let the target refuse it with a reason.
                c.open_failures += 1;
                c.since = Instant::now();
                c.ready = false;
                self.candidates.insert(path, c);
                continue;
            }
            let Some(rel) = self.eligible(&path).map(Path::to_path_buf) else {
                continue;
            };
            let Some(jobs) = &self.jobs else { return };
            self.in_flight.insert(path.clone());
            let job = Job {
                path: path.clone(),
                rel,
                stamp: c.stamp,
            };
            if jobs.send(job).is_err() {
                self.in_flight.remove(&path);
                return;
            }
        }
    }

    /// Considers every file under `start` (only `start` itself when not recursive). With `seen`,
    /// returns the regular files found.
    pub(super) fn scan_from(
        &mut self,
        start: PathBuf,
        mut seen: Option<HashSet<PathBuf>>,
    ) -> Option<HashSet<PathBuf>> {
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if self.opts.recursive && self.eligible(&path).is_some() {
                        stack.push(path);
                    }
                } else if kind.is_file() {
                    self.consider(&path, false);
                    if let Some(seen) = seen.as_mut() {
                        seen.insert(path);
                    }
                }
            }
        }
        seen
    }

    /// Moves files of `Failed/` that changed since they were refused back into the folder.
    pub(super) fn retry_failed(&mut self) {
        let failed_dir = self.folder().join(FAILED_DIR);
        let Ok(entries) = fs::read_dir(&failed_dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(REASON_SUFFIX) || name.starts_with('.') {
                continue;
            }
            if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                continue;
            }
            let reason = reason_path(&path);
            let (Ok(file_mtime), Ok(reason_mtime)) = (
                entry.metadata().and_then(|m| m.modified()),
                fs::metadata(&reason).and_then(|m| m.modified()),
            ) else {
                continue;
            };
            if file_mtime <= reason_mtime {
                continue;
            }
            let folder = self.folder().to_path_buf();
            match move_unique(&path, &folder, &self.shared.names, false) {
                Ok(to) => {
                    let _ = fs::remove_file(&reason);
                    self.shared.emit(WatchEvent::Retried {
                        path: path.clone(),
                        to: to.clone(),
                    });
                    self.consider(&to, false);
                }
                Err(e) => self.shared.set_state(WatchState::Error {
                    reason: format!("could not move {} back to retry it: {e}", path.display()),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_names() {
        for name in [
            "x.pdf.part",
            "x.pdf.crdownload",
            "x.PDF.CRDOWNLOAD",
            "scan.tmp",
            "~$invoice.docx",
            ".hidden.pdf",
            ".DS_Store",
            "Thumbs.db",
            "thumbs.db",
            "desktop.ini",
        ] {
            assert!(is_ignored_name(name), "{name} should be ignored");
        }
        for name in ["invoice.pdf", "part.pdf", "tmp", "a~$b.pdf", "Imported.pdf"] {
            assert!(!is_ignored_name(name), "{name} should not be ignored");
        }
    }
}
