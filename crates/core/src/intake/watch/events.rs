//! What the watcher reports: events for a log line, a JSON line or a desktop notification, and
//! the health of a watch.
//!
//! Promises: events serialise (serde) as objects tagged by `kind`, states by `status`; paths are
//! strings (lossily converted when not UTF-8).

use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

/// What was done with an imported file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HandledAction {
    /// Left in place and remembered.
    Kept,
    /// Moved to `Imported/YYYY-MM/`.
    Moved,
    /// Deleted.
    Deleted,
}

/// The health of a watch, reported when it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WatchState {
    /// The folder is watched and scanned normally.
    Watching,
    /// The folder is missing, not a folder or cannot be read; the watcher retries.
    FolderUnavailable {
        /// Why, for a person.
        reason: String,
    },
    /// Something went wrong (watch not possible, a move failed, disk full...); the watcher keeps
    /// running and reports [`WatchState::Watching`] again at the next successful rescan.
    Error {
        /// Why, for a person.
        reason: String,
    },
}

/// Something the watcher did or noticed, for a log line, a JSON line or a desktop notification.
///
/// Serialises (serde) as an object tagged by `kind` (`started`, `seen`, `imported`...); paths are
/// strings (lossily converted when not UTF-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WatchEvent {
    /// The watcher started on this folder (absolute path).
    Started {
        /// The watched folder.
        #[serde(serialize_with = "ser_path")]
        folder: PathBuf,
    },
    /// A file became a candidate: it will be imported once it is stable.
    Seen {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
    },
    /// The target stored the file as a new document.
    Imported {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// The new document's id.
        id: String,
    },
    /// The target already had this content.
    Duplicate {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// The existing document's id.
        id: String,
    },
    /// The target refused the file.
    Failed {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// The target's reason.
        reason: String,
        /// Where it was set aside in `Failed/`; `None` when it could not be moved (it is then
        /// left in place and not retried until it changes).
        #[serde(serialize_with = "ser_opt_path")]
        moved_to: Option<PathBuf>,
    },
    /// The after-import policy was applied to an imported (or duplicate) file.
    Handled {
        /// The file.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// What was done.
        action: HandledAction,
        /// Where it went, when moved.
        #[serde(serialize_with = "ser_opt_path")]
        to: Option<PathBuf>,
    },
    /// A refused file that changed in `Failed/` was moved back into the folder to be tried again.
    Retried {
        /// The file in `Failed/`.
        #[serde(serialize_with = "ser_path")]
        path: PathBuf,
        /// Where it now is in the watched folder.
        #[serde(serialize_with = "ser_path")]
        to: PathBuf,
    },
    /// The health of the watch changed.
    State {
        /// The new state.
        state: WatchState,
    },
    /// The watcher stopped (after its in-flight imports finished).
    Stopped,
}

fn ser_path<P: AsRef<Path>, S: Serializer>(path: &P, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.as_ref().to_string_lossy())
}

fn ser_opt_path<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => s.serialize_some(&*p.to_string_lossy()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_kind_tag() -> serde_json::Result<()> {
        let e = WatchEvent::Handled {
            path: PathBuf::from("/in/a.pdf"),
            action: HandledAction::Moved,
            to: Some(PathBuf::from("/in/Imported/2026-03/a.pdf")),
        };
        let v = serde_json::to_value(&e)?;
        assert_eq!(v["kind"], "handled");
        assert_eq!(v["action"], "moved");
        assert_eq!(v["to"], "/in/Imported/2026-03/a.pdf");
        let s = WatchEvent::State {
            state: WatchState::FolderUnavailable {
                reason: "gone".into(),
            },
        };
        let v = serde_json::to_value(&s)?;
        assert_eq!(v["kind"], "state");
        assert_eq!(v["state"]["status"], "folder_unavailable");
        assert_eq!(v["state"]["reason"], "gone");
        let f = WatchEvent::Failed {
            path: PathBuf::from("x"),
            reason: "r".into(),
            moved_to: None,
        };
        assert!(serde_json::to_value(&f)?["moved_to"].is_null());
        Ok(())
    }
}
