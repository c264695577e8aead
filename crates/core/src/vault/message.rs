//! E-mail messages in the vault: a message (`.eml`, `.msg`) is one document, byte-identical,
//! and each part the mail rules keep (`mail.*` settings, [`coffre_extract::mail::rules`]) is a
//! document of its own, linked to it (`document_parts`), all made durable in one transaction.
//!
//! Promises: a message is stored with all its kept parts or not at all; a part whose content is
//! already in the vault is linked, not stored again; the same message imported again (the same
//! bytes, or the same Message-ID with the same body and parts, as when a mailbox re-delivers
//! it with other transport headers) is a duplicate; the parts the rules skip are named, with
//! why, in the import's outcome. A document's `parent` is the first message it was stored
//! from.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::Result;
use crate::format::crypto::MacKey;
use crate::storage::index::{Document, Index};
use crate::vault::Vault;

/// What became of one part of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct PartOutcome {
    /// Its name in the message (`facture.pdf`, `archive.zip/facture.pdf`).
    pub name: String,
    /// `imported`, `duplicate` (linked to the document already stored) or `skipped`.
    pub status: PartStatus,
    /// The document it is (none when skipped).
    pub id: Option<String>,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// See [`PartOutcome::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum PartStatus {
    /// Stored as a new document.
    Imported,
    /// Already in the vault: linked.
    Duplicate,
    /// Left out by the mail rules.
    Skipped,
}

impl PartOutcome {
    pub(crate) fn skipped(name: &str, reason: String) -> Self {
        PartOutcome {
            name: name.to_owned(),
            status: PartStatus::Skipped,
            id: None,
            reason: Some(reason),
        }
    }
}

/// One part of a stored message.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct MessagePartRow {
    /// Its name in the message.
    pub name: String,
    /// The document.
    pub document: Document,
}

/// A message's key: a keyed MAC of its Message-ID, its text and its parts' contents, so that
/// the same message delivered again with other transport headers is found.
pub(crate) fn key(mac: &MacKey, message_id: &str, text: &str, parts: &[[u8; 32]]) -> [u8; 32] {
    let text_digest = crate::format::crypto::sha256_of(text.as_bytes());
    let mut items: Vec<&[u8]> = vec![b"coffre message v1", message_id.as_bytes(), &text_digest];
    items.extend(parts.iter().map(|p| p.as_slice()));
    mac.mac_parts(&items)
}

/// The message stored under this key, if any.
pub(crate) fn find(conn: &Connection, key: &[u8; 32]) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT doc_id FROM message_keys WHERE key = ?1",
            [&key[..]],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records a stored message's key.
pub(crate) fn remember(tx: &Connection, key: &[u8; 32], doc_id: &str) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO message_keys (key, doc_id) VALUES (?1, ?2)",
        params![&key[..], doc_id],
    )?;
    Ok(())
}

/// Links a part to its message (once).
pub(crate) fn link(
    tx: &Connection,
    parent: &str,
    child: &str,
    name: &str,
    position: usize,
) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO document_parts (parent, child, name, position)
         VALUES (?1, ?2, ?3, ?4)",
        params![parent, child, name, position as i64],
    )?;
    Ok(())
}

impl Vault {
    /// The parts of a message, in their order in it (empty for any other document).
    pub fn message_parts(&self, id: &str) -> Result<Vec<MessagePartRow>> {
        let conn = self.index.conn();
        let mut stmt = conn.prepare(
            "SELECT child, name FROM document_parts WHERE parent = ?1 ORDER BY position, rowid",
        )?;
        let links: Vec<(String, String)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        links
            .into_iter()
            .map(|(child, name)| {
                Ok(MessagePartRow {
                    name,
                    document: Index::resolve_in(conn, &child)?,
                })
            })
            .collect()
    }

    /// The messages a document was found in, first one first.
    pub fn messages_of(&self, id: &str) -> Result<Vec<Document>> {
        let conn = self.index.conn();
        let mut stmt =
            conn.prepare("SELECT parent FROM document_parts WHERE child = ?1 ORDER BY rowid")?;
        let parents: Vec<String> = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        parents.iter().map(|p| Index::resolve_in(conn, p)).collect()
    }
}
