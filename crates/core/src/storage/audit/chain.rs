//! The chain itself: how each entry is MACed over its content and the previous entry's MAC, the
//! MACed head record, appending and listing.
//!
//! Promises: an entry is appended after the last one present, MACed with the audit key over its
//! sequence number, time, action, document and detail and the previous entry's stored MAC; the head
//! record (last sequence number and MAC, MACed) is rewritten by every append, and left unsealed
//! (never verifying) when the chain it extends was found tampered with, so that an append never
//! launders tampering; listings show pruned entries as stubs in place.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{AuditEntry, GENESIS, HEAD_LABEL, PRUNED_ACTION, UNSEALED, now_rfc3339};
use crate::Result;
use crate::format::crypto::MacKey;

fn entry_mac(
    key: &MacKey,
    prev: &[u8],
    seq: i64,
    at: &str,
    action: &str,
    doc: &str,
    detail: &str,
) -> [u8; 32] {
    key.mac_parts(&[
        prev,
        &seq.to_be_bytes(),
        at.as_bytes(),
        action.as_bytes(),
        doc.as_bytes(),
        detail.as_bytes(),
    ])
}

fn head_mac(key: &MacKey, seq: i64, mac: &[u8]) -> [u8; 32] {
    key.mac_parts(&[HEAD_LABEL, &seq.to_be_bytes(), mac])
}

/// One row of the `audit` table.
pub(super) struct Stored {
    pub(super) seq: i64,
    pub(super) at: String,
    pub(super) action: String,
    pub(super) doc: Option<String>,
    pub(super) detail: String,
    pub(super) mac: Vec<u8>,
    pub(super) pruned_by: Option<i64>,
}

impl Stored {
    /// The entry as shown: a pruned entry becomes a stub naming its original action.
    pub(super) fn into_entry(self) -> AuditEntry {
        match self.pruned_by {
            Some(checkpoint) => AuditEntry {
                seq: self.seq,
                at: String::new(),
                action: PRUNED_ACTION.to_owned(),
                doc_id: None,
                detail: serde_json::json!({ "action": self.action, "checkpoint": checkpoint }),
            },
            None => AuditEntry {
                seq: self.seq,
                at: self.at,
                action: self.action,
                doc_id: self.doc,
                detail: serde_json::from_str(&self.detail)
                    .unwrap_or(serde_json::Value::String(self.detail)),
            },
        }
    }

    /// The columns [`Stored::read`] expects, `pruned_by` standing in as NULL on a schema without
    /// pruning.
    pub(super) fn select(pruning: bool) -> String {
        format!(
            "SELECT seq, at, action, doc_id, detail, mac, {} FROM audit",
            if pruning { "pruned_by" } else { "NULL" }
        )
    }

    pub(super) fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Stored {
            seq: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            doc: r.get(3)?,
            detail: r.get(4)?,
            mac: r.get(5)?,
            pruned_by: r.get(6)?,
        })
    }

    /// Whether the entry's own MAC holds, given the stored MAC of the entry before it.
    pub(super) fn authentic(&self, key: &MacKey, prev_mac: &[u8]) -> bool {
        key.verify_parts(
            &[
                prev_mac,
                &self.seq.to_be_bytes(),
                self.at.as_bytes(),
                self.action.as_bytes(),
                self.doc.as_deref().unwrap_or("").as_bytes(),
                self.detail.as_bytes(),
            ],
            &self.mac,
        )
    }

    /// Whether the content columns are erased, as in a stub.
    pub(super) fn is_erased(&self) -> bool {
        self.at.is_empty() && self.doc.is_none() && self.detail.is_empty()
    }
}

/// Whether the database has the pruning column (the schema of [`AUDIT_PRUNING`](crate::storage::schema::AUDIT_PRUNING)).
pub(super) fn has_pruning(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('audit') WHERE name = 'pruned_by')",
        [],
        |r| r.get(0),
    )?)
}

/// Appends an entry. Call inside the transaction that makes the change it records.
pub fn append(
    conn: &Connection,
    key: &MacKey,
    action: &str,
    doc_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<i64> {
    append_at(conn, key, &now_rfc3339(), action, doc_id, detail)
}

/// Appends an entry dated `at` (RFC 3339 UTC as written by [`now_rfc3339`]).
pub(super) fn append_at(
    conn: &Connection,
    key: &MacKey,
    at: &str,
    action: &str,
    doc_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<i64> {
    let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac, head_mac FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // The head is trusted only if its MAC holds and it names the last entry. Otherwise the chain
    // was tampered with (cut, extended or its head rewritten): the entry goes after the last one
    // present, and the head stays unsealed, so that this append does not launder the tampering
    // and every later check still reports it.
    let sealed = match (&head, &last) {
        (None, None) => true,
        (Some((seq, mac, hmac)), Some((last_seq, last_mac))) => {
            seq == last_seq
                && mac == last_mac
                && key.verify_parts(&[HEAD_LABEL, &seq.to_be_bytes(), mac], hmac)
        }
        _ => false,
    };
    let (prev_seq, prev_mac) = last.unwrap_or((0, GENESIS.to_vec()));
    let seq = prev_seq + 1;
    let detail = detail.to_string();
    let mac = entry_mac(
        key,
        &prev_mac,
        seq,
        at,
        action,
        doc_id.unwrap_or(""),
        &detail,
    );
    conn.execute(
        "INSERT INTO audit (seq, at, action, doc_id, detail, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, at, action, doc_id, detail, &mac[..]],
    )?;
    conn.execute(
        "INSERT INTO audit_head (id, seq, mac, head_mac) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac,
                                       head_mac = excluded.head_mac",
        params![
            seq,
            &mac[..],
            &(if sealed {
                head_mac(key, seq, &mac)
            } else {
                UNSEALED
            })[..]
        ],
    )?;
    Ok(seq)
}

/// Every entry, in chain order, or only those about one document.
///
/// Pruned stubs are listed in place (so that the numbering has no holes) with an empty `at`,
/// the action [`PRUNED_ACTION`] and the detail `{"action": <original action>, "checkpoint": id}`;
/// having no document any more, they never appear in a listing by document.
pub fn entries(conn: &Connection, doc_id: Option<&str>) -> Result<Vec<AuditEntry>> {
    let filter = if doc_id.is_some() {
        "doc_id = ?1"
    } else {
        "?1 IS NULL"
    };
    let mut stmt = conn.prepare(&format!(
        "{} WHERE {filter} ORDER BY seq",
        Stored::select(has_pruning(conn)?)
    ))?;
    let rows = stmt.query_map([doc_id], |r| Ok(Stored::read(r)?.into_entry()))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// At most `limit` entries before sequence number `before` (all when `None`), newest first:
/// the audit log a page at a time.
pub fn entries_page(conn: &Connection, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(&format!(
        "{} WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        Stored::select(has_pruning(conn)?)
    ))?;
    let rows = stmt.query_map(rusqlite::params![before.unwrap_or(i64::MAX), limit], |r| {
        Ok(Stored::read(r)?.into_entry())
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
