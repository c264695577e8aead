//! The watched import folder: files that scanners, browsers and sync clients write into a folder
//! are imported exactly once, when complete, and then kept, moved or deleted by the folder's
//! policy; files that cannot be stored are set aside in `Failed/` with the reason.
//!
//! The watcher knows nothing of the vault: it hands stable files to an [`ImportTarget`] and acts
//! on the outcome.
//!
//! # What the watcher promises
//!
//! * **Complete files only.** File-system events only make a path a *candidate*. A candidate is
//!   handed to the target once its size and modification time have not changed for
//!   [`WatchOptions::settle`] (the timer restarts on every change or write event) and it can be
//!   opened for reading.
//! * **Exactly once, or set aside.** After the target returns [`FileOutcome::Imported`] or
//!   [`FileOutcome::Duplicate`], the file is kept (and remembered through
//!   [`ImportTarget::remember`], so that neither rescans nor a restart import it again unless its
//!   size or modification time changes), moved to `Imported/YYYY-MM/` or deleted, per
//!   [`AfterImport`]. When the target refuses it, it is moved to `Failed/NAME` next to a
//!   `Failed/NAME.reason.txt` that says why and when. Existing files are never overwritten: a
//!   taken name gets ` (2)`, ` (3)`... before its extension. If moving after a successful import
//!   fails, the file is kept and remembered instead (and a [`WatchState::Error`] says why), so it
//!   is still never imported twice. If moving a refused file fails (read-only folder), the file
//!   is left in place and not retried until it changes.
//! * **Nothing missed.** A full scan runs at start and every [`WatchOptions::rescan`] as a safety
//!   net for network shares and lost events; renames into the folder (a browser finishing
//!   `x.pdf.crdownload` → `x.pdf`) are seen like new files.
//! * **Litter ignored.** Names ending in `.part`, `.crdownload` or `.tmp`, names starting with
//!   `~$`, hidden names (starting with `.`, which covers `.DS_Store`; hidden folders are not
//!   entered either), `Thumbs.db` and `desktop.ini`, directories, symbolic links, and the
//!   watcher's own `Imported/` and `Failed/` folders at the top of the watched folder.
//! * **Retry of refused files.** At each rescan, a file in `Failed/` whose modification time is
//!   newer than its `.reason.txt` (edit it, or just `touch` it) is moved back to the top of the
//!   watched folder (with a unique name) and its reason file is removed; it then goes through
//!   the normal path again. Files in `Failed/` without a reason file are left alone.
//! * **Keeps running.** A missing or unreadable folder, a failed watch or a failed move becomes a
//!   [`WatchEvent::State`] event; the watcher keeps rescanning, re-creates its watch when the
//!   folder comes back and reports [`WatchState::Watching`] again.
//! * **Writes nothing it does not need.** With [`AfterImport::Keep`], nothing is written into the
//!   folder unless an import is refused, so a read-only folder works.
//! * **Quiet when idle.** The control thread sleeps on a channel until an event arrives, a
//!   candidate needs checking (every [`WatchOptions::poll_tick`]) or the next rescan is due. Up to
//!   [`WatchOptions::max_in_flight`] imports run at once on a small pool of threads.
//!
//! Known limits: a file rewritten *while* the target reads it (after it had been stable for the
//! whole settle time) may be stored in its earlier state; the watcher then does not move or
//! delete it and imports the new content as well. A crash between a successful import and the
//! policy action leads to a [`FileOutcome::Duplicate`] at the next start, handled like a success.

//!
//! Modules: `watcher` (the [`Watcher`] handle, its threads and what they share), `control` (the
//! control thread: events, rescans, the watch itself), `scan` (which files are eligible, when
//! they are stable, scanning, retry of refused files), `policy` (after an import: keep, move or
//! delete; `Failed/` and its reasons), `events` (what the watcher reports), `config` (the import
//! folder remembered in the vault, and the folders refused).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Result;

mod config;
mod control;
mod events;
mod policy;
mod scan;
mod watcher;

pub use config::WatchConfig;
pub use events::{HandledAction, WatchEvent, WatchState};
pub use policy::{FailedFile, failed_files, set_aside};
pub use watcher::Watcher;

/// The folder (at the top of the watched folder) that imported files are moved to.
pub const IMPORTED_DIR: &str = "Imported";
/// The folder (at the top of the watched folder) that refused files are moved to.
pub const FAILED_DIR: &str = "Failed";
/// The suffix of the file, next to a refused file in `Failed/`, that says why it was refused.
pub const REASON_SUFFIX: &str = ".reason.txt";

/// What became of one file handed to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Stored durably as a new document (its id).
    Imported(String),
    /// The same content was already in the vault (its id).
    Duplicate(String),
    /// Not imported now (the vault is locking): the file is left as it is, for a later scan.
    Deferred,
}

/// Where the watcher sends stable files. Implemented by the ingest queue over the vault; by a
/// fake in tests.
pub trait ImportTarget: Send + Sync + 'static {
    /// Imports the file at `path` durably (blocking until it is stored or refused). `Err` carries
    /// a reason a person can read (too large, unreadable, vanished, disk full...).
    fn import(&self, path: &Path) -> Result<FileOutcome, String>;
    /// The (size, modification time in ns since the epoch) recorded when `rel` in `folder` was
    /// last handled under the `keep` policy, if any.
    fn recall(&self, folder: &Path, rel: &Path) -> Option<(u64, i128)>;
    /// Records that `rel` in `folder`, of this size and modification time, was handled (`keep`
    /// policy: never import it again unless it changes).
    fn remember(&self, folder: &Path, rel: &Path, size: u64, mtime_ns: i128);
}

/// What the watcher does with a file once the target has stored it (or found it a duplicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum AfterImport {
    /// Leave it where it is; remember it (through the target) so that it is not imported again
    /// unless it changes. Writes nothing into the folder.
    #[default]
    Keep,
    /// Move it to `Imported/YYYY-MM/` (UTC month of the import) in the watched folder.
    Move,
    /// Delete it.
    Delete,
}

impl FromStr for AfterImport {
    type Err = crate::Error;

    /// Parses `keep`, `move` or `delete` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Ok(AfterImport::Keep),
            "move" => Ok(AfterImport::Move),
            "delete" => Ok(AfterImport::Delete),
            other => Err(crate::Error::invalid(
                "after",
                crate::Why::NotOneOf {
                    value: other.to_owned(),
                    allowed: "keep, move, delete".into(),
                },
            )),
        }
    }
}

impl fmt::Display for AfterImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AfterImport::Keep => "keep",
            AfterImport::Move => "move",
            AfterImport::Delete => "delete",
        })
    }
}

/// How a folder is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOptions {
    /// What to do with a file once imported.
    pub after: AfterImport,
    /// How long a file's size and modification time must stay unchanged before it is imported
    /// (default 2 s).
    pub settle: Duration,
    /// Whether sub-folders are watched too (default: no).
    pub recursive: bool,
    /// How often the whole folder is scanned again, as a safety net for missed events (default
    /// 60 s; at least 100 ms). An unavailable folder is checked at least every 5 s.
    pub rescan: Duration,
    /// How often candidate files are checked while some are waiting to settle (default 200 ms;
    /// at least 10 ms). Nothing is checked while there are no candidates.
    pub poll_tick: Duration,
    /// How many imports may run at once (default 4; 0 is taken as 1).
    pub max_in_flight: usize,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            after: AfterImport::Keep,
            settle: Duration::from_secs(2),
            recursive: false,
            rescan: Duration::from_secs(60),
            poll_tick: Duration::from_millis(200),
            max_in_flight: 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_import_parses_and_displays() {
        for (s, p) in [
            ("keep", AfterImport::Keep),
            ("Move", AfterImport::Move),
            (" DELETE ", AfterImport::Delete),
        ] {
            assert_eq!(s.parse::<AfterImport>().unwrap(), p);
            assert_eq!(p.to_string().parse::<AfterImport>().unwrap(), p);
        }
        assert!("archive".parse::<AfterImport>().is_err());
    }
}
