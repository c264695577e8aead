//! The audit trail: an append-only chain of entries, each MACed with the audit key over its
//! content and the previous entry's MAC.
//!
//! Promises: every state change of the vault appends an entry in the same transaction as the
//! change; [`verify`] detects any entry modified, inserted, deleted or reordered, and a cut tail,
//! through the MACed head record kept beside the chain. Entries hold ids and file names, never
//! document content or secrets; they live inside the encrypted index.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::Result;
use crate::crypto::MacKey;

/// The MAC before the first entry.
const GENESIS: [u8; 32] = [0u8; 32];

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// What happened (`vault.create`, `vault.unlock`, `document.import`, `document.read`, ...).
    pub action: String,
    /// The document concerned, if any.
    pub doc_id: Option<String>,
    /// Details as a JSON object.
    pub detail: serde_json::Value,
}

/// The outcome of a chain check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: u64,
    /// What is wrong, in chain order; empty when the chain is intact.
    pub faults: Vec<String>,
}

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
    key.mac_parts(&[b"coffre/v1/audit-head", &seq.to_be_bytes(), mac])
}

/// The current time, RFC 3339 UTC with exactly three fractional digits (sortable as text).
pub fn now_rfc3339() -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(FORMAT)
        .expect("UTC time formats")
}

/// Appends an entry. Call inside the transaction that makes the change it records.
pub fn append(
    conn: &Connection,
    key: &MacKey,
    action: &str,
    doc_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<i64> {
    let head: Option<(i64, Vec<u8>)> = conn
        .query_row("SELECT seq, mac FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (prev_seq, prev_mac) = head.unwrap_or((0, GENESIS.to_vec()));
    let seq = prev_seq + 1;
    let at = now_rfc3339();
    let detail = detail.to_string();
    let mac = entry_mac(
        key,
        &prev_mac,
        seq,
        &at,
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
        params![seq, &mac[..], &head_mac(key, seq, &mac)[..]],
    )?;
    Ok(seq)
}

/// Every entry, in chain order (optionally only those about one document).
pub fn entries(conn: &Connection, doc_id: Option<&str>) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, action, doc_id, detail FROM audit
         WHERE ?1 IS NULL OR doc_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([doc_id], |r| {
        let detail: String = r.get(4)?;
        Ok(AuditEntry {
            seq: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            doc_id: r.get(3)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Checks the whole chain and its head.
pub fn verify(conn: &Connection, key: &MacKey) -> Result<ChainReport> {
    let mut report = ChainReport::default();
    let mut stmt =
        conn.prepare("SELECT seq, at, action, doc_id, detail, mac FROM audit ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut prev_seq = 0i64;
    let mut prev_mac = GENESIS.to_vec();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let at: String = r.get(1)?;
        let action: String = r.get(2)?;
        let doc: Option<String> = r.get(3)?;
        let detail: String = r.get(4)?;
        let mac: Vec<u8> = r.get(5)?;
        report.entries += 1;
        if seq != prev_seq + 1 {
            report.faults.push(format!(
                "entries {} to {} are missing",
                prev_seq + 1,
                seq - 1
            ));
        }
        if !key.verify_parts(
            &[
                &prev_mac,
                &seq.to_be_bytes(),
                at.as_bytes(),
                action.as_bytes(),
                doc.as_deref().unwrap_or("").as_bytes(),
                detail.as_bytes(),
            ],
            &mac,
        ) {
            report.faults.push(format!(
                "entry {seq} ({action}) was altered, inserted or moved"
            ));
        }
        prev_seq = seq;
        prev_mac = mac;
    }
    let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac, head_mac FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match head {
        None if prev_seq == 0 => {}
        None => report
            .faults
            .push("the chain's head record is missing".into()),
        Some((seq, mac, hmac)) => {
            if !key.verify_parts(&[b"coffre/v1/audit-head", &seq.to_be_bytes(), &mac], &hmac) {
                report
                    .faults
                    .push("the chain's head record was altered".into());
            } else if seq != prev_seq || mac != prev_mac {
                report.faults.push(format!(
                    "the chain ends at entry {prev_seq} but its head says {seq}: entries were \
                     removed or replaced at the end"
                ));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random_key;

    fn chain(n: usize) -> (Connection, MacKey) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::index::MIGRATIONS[0]).unwrap();
        let key = MacKey::new(&random_key().unwrap());
        for i in 0..n {
            append(
                &conn,
                &key,
                "document.import",
                Some(&format!("doc{i}")),
                serde_json::json!({ "i": i }),
            )
            .unwrap();
        }
        (conn, key)
    }

    fn faults(conn: &Connection, key: &MacKey) -> Vec<String> {
        verify(conn, key).unwrap().faults
    }

    #[test]
    fn intact_chain_verifies() {
        let (conn, key) = chain(5);
        let r = verify(&conn, &key).unwrap();
        assert_eq!(r.entries, 5);
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!(entries(&conn, Some("doc3")).unwrap().len(), 1);
    }

    #[test]
    fn each_kind_of_tampering_is_detected() {
        let tamper: &[(&str, &str)] = &[
            (
                "modified detail",
                "UPDATE audit SET detail = '{\"i\":9}' WHERE seq = 3",
            ),
            (
                "modified action",
                "UPDATE audit SET action = 'vault.unlock' WHERE seq = 2",
            ),
            (
                "modified time",
                "UPDATE audit SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 4",
            ),
            ("deleted middle", "DELETE FROM audit WHERE seq = 3"),
            ("deleted first", "DELETE FROM audit WHERE seq = 1"),
            ("deleted tail", "DELETE FROM audit WHERE seq = 5"),
            (
                "deleted tail and head rewound",
                "DELETE FROM audit WHERE seq = 5;
                 UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit WHERE seq = 4)",
            ),
            (
                "reordered",
                "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;
                 UPDATE audit SET seq = 3 WHERE seq = 100",
            ),
            (
                "inserted",
                "INSERT INTO audit (seq, at, action, doc_id, detail, mac)
                 SELECT 6, at, action, doc_id, detail, mac FROM audit WHERE seq = 5",
            ),
            ("head removed", "DELETE FROM audit_head"),
            ("everything removed", "DELETE FROM audit"),
        ];
        for (what, sql) in tamper {
            let (conn, key) = chain(5);
            conn.execute_batch(sql).unwrap();
            assert!(!faults(&conn, &key).is_empty(), "{what} went unnoticed");
        }
    }

    #[test]
    fn another_key_does_not_verify() {
        let (conn, _) = chain(2);
        assert!(!faults(&conn, &MacKey::new(&random_key().unwrap())).is_empty());
    }
}
