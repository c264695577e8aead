//! The rollback record: a small MACed file, `head.json`, beside the index that remembers how far
//! the audit chain went (sequence number and MAC of its last entry) and how many documents the
//! index held, rewritten after every committed change.
//!
//! Promises: opening refuses an index whose chain stops before the recorded entry, or whose
//! entry at the recorded sequence has another MAC (an older copy put back, a sync conflict, a
//! lost write-ahead log), instead of acting on it. A record that lags behind the index (a crash
//! between the commit and the record's rewrite) is normal and accepted: only an index *older*
//! than the record is refused. The record is authenticated with a key derived from the master
//! key, so it can be neither forged nor edited without the passphrase; it holds no secret and no
//! document data. What it cannot see: the whole folder put back together (index and record
//! from the same day), which is a restore, not a rollback.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::format::crypto::MacKey;
use crate::{Error, Result};

/// File name of the record, in the vault folder.
pub const HEAD_FILE: &str = "head.json";

const LABEL: &[u8] = b"coffre/v1/head-record";

/// Where the index stands: its last audit entry and its document count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Sequence number of the last audit entry (0: none).
    pub seq: i64,
    /// MAC of that entry.
    pub mac: [u8; 32],
    /// Documents in the index.
    pub documents: i64,
}

impl Head {
    /// The head of the index behind `conn` (inside or outside a transaction).
    pub fn of(conn: &Connection) -> Result<Head> {
        let (seq, mac) = conn
            .query_row("SELECT seq, mac FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .optional()?
            .unwrap_or((0, vec![0; 32]));
        let documents = conn.query_row("SELECT n FROM document_count", [], |r| r.get(0))?;
        Ok(Head {
            seq,
            mac: mac.try_into().unwrap_or([0; 32]),
            documents,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct RecordFile {
    version: u32,
    seq: i64,
    mac: String,
    documents: i64,
    tag: String,
}

/// Writes and checks the record of one vault.
pub struct Recorder {
    path: PathBuf,
    key: MacKey,
}

/// What the record says of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The index is at or past the record.
    Current,
    /// There is no record (a vault from before it existed, or the file was removed).
    NoRecord,
    /// The index is older than, or diverges from, the record: the reason.
    Behind(String),
}

impl Recorder {
    /// The recorder of the vault at `dir`.
    pub fn new(dir: &Path, key: MacKey) -> Self {
        Recorder {
            path: dir.join(HEAD_FILE),
            key,
        }
    }

    fn tag(&self, seq: i64, mac: &[u8; 32], documents: i64) -> [u8; 32] {
        self.key
            .mac_parts(&[LABEL, &seq.to_be_bytes(), mac, &documents.to_be_bytes()])
    }

    fn authentic(&self, seq: i64, mac: &[u8; 32], documents: i64, tag: &[u8]) -> bool {
        self.key.verify_parts(
            &[LABEL, &seq.to_be_bytes(), mac, &documents.to_be_bytes()],
            tag,
        )
    }

    /// Records `head` durably (temporary file, fsync, rename, folder fsync).
    pub fn write(&self, head: &Head) -> Result<()> {
        let file = RecordFile {
            version: 1,
            seq: head.seq,
            mac: hex::encode(head.mac),
            documents: head.documents,
            tag: hex::encode(self.tag(head.seq, &head.mac, head.documents)),
        };
        let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        crate::support::files::write_atomic(&self.path, text.as_bytes())
    }

    /// The recorded head: `None` without a record, an error when the record is not authentic.
    pub fn read(&self) -> Result<Option<Head>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&self.path)(e)),
        };
        let bad = |reason: &str| Error::IndexRolledBack {
            reason: format!("the record {} is {reason}", self.path.display()),
        };
        let file: RecordFile =
            serde_json::from_slice(&bytes).map_err(|_| bad("damaged (not readable)"))?;
        let mac: [u8; 32] = hex::decode(&file.mac)
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or_else(|| bad("damaged (bad MAC field)"))?;
        let tag = hex::decode(&file.tag).map_err(|_| bad("damaged (bad tag)"))?;
        if file.version != 1 || !self.authentic(file.seq, &mac, file.documents, &tag) {
            return Err(bad("not authentic (altered, or from another vault)"));
        }
        Ok(Some(Head {
            seq: file.seq,
            mac,
            documents: file.documents,
        }))
    }

    /// Compares the index behind `conn` with the record.
    pub fn check(&self, conn: &Connection) -> Result<Check> {
        let Some(recorded) = self.read()? else {
            return Ok(Check::NoRecord);
        };
        let now = Head::of(conn)?;
        if now.seq < recorded.seq {
            return Ok(Check::Behind(format!(
                "its audit trail ends at entry {} with {} documents, but this vault last \
                 recorded entry {} with {} documents",
                now.seq, now.documents, recorded.seq, recorded.documents
            )));
        }
        if recorded.seq == 0 {
            return Ok(Check::Current);
        }
        let mac: Option<Vec<u8>> = conn
            .query_row(
                "SELECT mac FROM audit WHERE seq = ?1",
                [recorded.seq],
                |r| r.get(0),
            )
            .optional()?;
        if mac.as_deref() != Some(&recorded.mac[..]) {
            return Ok(Check::Behind(format!(
                "its audit entry {} differs from the one this vault recorded (another copy's \
                 history)",
                recorded.seq
            )));
        }
        Ok(Check::Current)
    }
}
