//! Lifecycle statuses: those a CDAR message reports (waiting for their invoice until it is
//! here), those the owner sets, and each document's latest.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::copies::{Member, clusters};
use super::number_key;
use crate::Result;
use crate::records::direction;
use crate::records::status::{self, StatusEntry};
use crate::vault::Vault;

/// Attaches statuses waiting for an invoice with this copy key to the original whose seller
/// is their issuer (or to the only invoice with that number when the message names no issuer).
pub(super) fn link_waiting(tx: &Connection, key: &str, groups: &[Vec<Member>]) -> Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let mut stmt = tx.prepare_cached(
        "SELECT id, issuer, invoice_date FROM invoice_statuses
         WHERE copy_key = ?1 AND doc_id IS NULL",
    )?;
    let waiting: Vec<(i64, String, Option<String>)> = stmt
        .query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, issuer, date) in waiting {
        // The issuer must be named and be the invoice's seller (a number alone is anyone's),
        // and the invoice's date, when the message gives it, must be the invoice's.
        let ids: Vec<String> = serde_json::from_str(&issuer).unwrap_or_default();
        let keys: BTreeSet<String> = ids.iter().flat_map(|i| direction::id_keys(i)).collect();
        let target = groups.iter().map(|g| &g[0]).find(|o| {
            direction::same_company(&o.keys, &keys)
                && (date.is_none() || o.date.is_none() || o.date == date)
        });
        if let Some(t) = target {
            tx.execute(
                "UPDATE invoice_statuses SET doc_id = ?2 WHERE id = ?1",
                params![id, t.id],
            )?;
        }
    }
    Ok(())
}

/// Rewrites a document's latest status.
pub(super) fn refresh_status(tx: &Connection, doc_id: &str) -> Result<()> {
    tx.execute(
        "UPDATE doc_fields SET status = (SELECT status FROM invoice_statuses
             WHERE doc_id = ?1 ORDER BY substr(at, 1, 10) DESC, recorded_at DESC, id DESC
             LIMIT 1)
         WHERE doc_id = ?1",
        [doc_id],
    )?;
    Ok(())
}

/// Replaces the statuses a lifecycle message reports (from its effective fields).
pub(super) fn record_lifecycle(tx: &Connection, message_id: &str, effective: &Value) -> Result<()> {
    let before: Vec<Option<String>> = {
        let mut stmt = tx
            .prepare_cached("SELECT DISTINCT doc_id FROM invoice_statuses WHERE message_id = ?1")?;
        stmt.query_map([message_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    tx.execute(
        "DELETE FROM invoice_statuses WHERE message_id = ?1",
        [message_id],
    )?;
    for d in before.into_iter().flatten() {
        refresh_status(tx, &d)?;
    }
    let entries = effective
        .get("lifecycle")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let now = crate::storage::audit::now_rfc3339();
    // A status without a date takes the time the message was imported (stable across
    // re-extractions); one dated more than a day ahead is not recorded (no platform reports
    // tomorrow's payment: a wrong clock, or a forgery meant to stay the latest status).
    let imported_at: String = tx.query_row(
        "SELECT imported_at FROM documents WHERE id = ?1",
        [message_id],
        |r| r.get(0),
    )?;
    let tomorrow = crate::records::retention::today()
        .saturating_add(time::Duration::days(1))
        .to_string();
    let mut keys = BTreeSet::new();
    for e in entries {
        let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(key), Some(code)) = (s("number").as_deref().and_then(number_key), s("code"))
        else {
            continue;
        };
        let issuer: Vec<String> = e
            .get("issuer_ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let at = s("date").unwrap_or_else(|| imported_at.clone());
        if at.get(..10).is_none_or(|day| day > tomorrow.as_str()) {
            continue;
        }
        tx.execute(
            "INSERT INTO invoice_statuses (doc_id, copy_key, issuer, invoice_date, status, code,
                 at, reason, source, message_id, recorded_at)
             VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'platform', ?8, ?9)",
            params![
                key,
                serde_json::to_string(&issuer).unwrap_or_else(|_| "[]".into()),
                s("issue_date"),
                status::name_of_code(&code),
                code,
                at,
                s("reason"),
                message_id,
                now
            ],
        )?;
        keys.insert(key);
    }
    for key in keys {
        let groups = clusters(tx, &key, None)?;
        link_waiting(tx, &key, &groups)?;
        for m in groups.iter().flatten() {
            refresh_status(tx, &m.id)?;
        }
    }
    Ok(())
}

/// The statuses attached to a document, oldest first.
pub(super) fn statuses(conn: &Connection, doc_id: &str) -> Result<Vec<StatusEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, code, at, source, reason, message_id FROM invoice_statuses
         WHERE doc_id = ?1 ORDER BY substr(at, 1, 10), recorded_at, id",
    )?;
    let rows = stmt.query_map([doc_id], |r| {
        Ok(StatusEntry {
            status: r.get(0)?,
            code: r.get(1)?,
            at: r.get(2)?,
            source: r.get(3)?,
            reason: r.get(4)?,
            message: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Vault {
    /// Records a status set by hand (e.g. `paid`) on a document's invoice (its original when it
    /// is a copy), reached on `at` (`YYYY-MM-DD`, now when absent), with an optional note.
    pub fn set_status(
        &mut self,
        id_or_prefix: &str,
        name: &str,
        at: Option<&str>,
        note: Option<&str>,
    ) -> Result<()> {
        let name = status::parse_manual(name)?;
        let doc = self.document(id_or_prefix)?;
        let at = match at.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => crate::support::dates::parse_ymd(a)
                .map(|_| a.to_owned())
                .ok_or_else(|| {
                    crate::Error::invalid(
                        "at",
                        crate::error::Why::BadFormat {
                            value: a.to_owned(),
                            format: "YYYY-MM-DD".into(),
                        },
                    )
                })?,
            // Now, to the second: it comes after what a platform reported earlier today.
            None => crate::storage::audit::now_rfc3339(),
        };
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let id = doc.id.clone();
        self.audited("invoice.status", Some(&id), |tx| {
            let (original, key): (String, Option<String>) = tx.query_row(
                "SELECT COALESCE(copy_of, doc_id), copy_key FROM doc_fields WHERE doc_id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            tx.execute(
                "INSERT INTO invoice_statuses (doc_id, copy_key, issuer, status, code, at, reason,
                     source, message_id, recorded_at)
                 VALUES (?1, ?2, '[]', ?3, ?4, ?5, ?6, 'owner', NULL, ?7)",
                params![
                    original,
                    key.unwrap_or_default(),
                    name,
                    status::code_of(name),
                    at,
                    note,
                    crate::storage::audit::now_rfc3339()
                ],
            )?;
            refresh_status(tx, &original)?;
            Ok(((), json!({ "status": name, "at": at })))
        })
    }
}
