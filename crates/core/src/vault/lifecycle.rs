//! A document's life after import: its retention category and date, legal holds, restriction
//! (GDPR art. 18) and disposal by crypto-shredding.
//!
//! Promises:
//! - every document has a retention row, recomputed whenever its issue date or category changes
//!   and whenever the retention settings change (a category set by the owner is kept);
//! - a document on legal hold is never disposed of; before its `retain_until` date it is disposed
//!   of only with an explicit override and a reason, both in the audit trail;
//! - disposal destroys the document key (so every copy of the blob, backups included, becomes
//!   unreadable), deletes the blob, its data and search entry, and keeps a tombstone (id,
//!   category, dates, content MAC, reason, who, when); the WAL is checkpointed and truncated so
//!   the key's old page does not linger there;
//! - a restricted document stays stored but is left out of searches (and later of bundles).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use time::Date;

use crate::error::Why;
use crate::records::retention::{Category, DateTrust, Policy, format_date, parse_date, today};
use crate::storage::index::Index;
use crate::storage::settings::{owner, policy};
use crate::vault::Vault;
use crate::{Error, Result, records::fields, storage::audit};

/// Computes (or recomputes) a document's retention row from its effective fields.
pub(crate) fn compute_retention(tx: &Connection, doc_id: &str) -> Result<()> {
    let policy = policy(tx)?;
    let extracted = Index::extraction(tx, doc_id)?.unwrap_or_else(|| json!({}));
    let corrections = Index::corrections(tx, doc_id)?;
    let effective = fields::effective(&extracted, &corrections);
    let existing: Option<(String, bool)> = tx
        .query_row(
            "SELECT category, category_by_owner FROM retention WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let category = match existing {
        Some((c, true)) => Category::parse(&c)?,
        _ => Category::guess(
            &effective,
            crate::vault::invoices::direction_of(&effective, &owner(tx)?),
        ),
    };
    let imported: String = tx.query_row(
        "SELECT imported_at FROM documents WHERE id = ?1",
        [doc_id],
        |r| r.get(0),
    )?;
    let imported = parse_date(imported.get(..10).unwrap_or_default())?;
    let trust = if corrections.iter().any(|c| c.field == "issue_date") {
        DateTrust::Confirmed
    } else if extracted["fields"]["issue_date"]["source"] == "xml" {
        DateTrust::Structured
    } else {
        DateTrust::Guessed
    };
    let issue = fields::get(&effective, "issue_date")
        .and_then(|d| parse_date(d).ok())
        .map(|d| (d, trust));
    let base = policy.retention_base(category, issue, imported)?;
    let until = policy.retain_until(category, Some(base), imported)?;
    tx.execute(
        "INSERT INTO retention (doc_id, category, retain_until) VALUES (?1, ?2, ?3)
         ON CONFLICT(doc_id) DO UPDATE SET category = excluded.category,
             retain_until = excluded.retain_until",
        params![doc_id, category.as_str(), format_date(until)],
    )?;
    Ok(())
}

/// Gives a retention row to documents that lack one (vaults made before schema 4).
pub(crate) fn compute_missing_retention(vault: &mut Vault) -> Result<()> {
    if !vault.index.needs_backfill("retention")? {
        return Ok(());
    }
    let missing: Vec<String> = {
        let mut stmt = vault
            .index
            .conn()
            .prepare("SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM retention)")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let tx = vault.index.transaction()?;
    for id in &missing {
        compute_retention(&tx, id)?;
    }
    tx.commit()?;
    vault.index.backfilled("retention")
}

/// A document's retention, as shown to the owner.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct RetentionRow {
    /// Document id.
    pub id: String,
    /// Original file name.
    pub name: String,
    /// Retention category.
    pub category: String,
    /// Issue date, when known.
    pub issue_date: Option<String>,
    /// Last day it must be kept.
    pub retain_until: String,
    /// Why it is on legal hold, if it is.
    pub hold_reason: Option<String>,
    /// Why it is restricted, if it is.
    pub restricted_reason: Option<String>,
}

/// The retention overview.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct RetentionStatus {
    /// The day the status was computed for.
    pub today: String,
    /// The rules in force.
    pub policy: Policy,
    /// Documents whose retention has ended and that are not on hold: they may be disposed of.
    pub due: Vec<RetentionRow>,
    /// Documents on legal hold.
    pub on_hold: Vec<RetentionRow>,
    /// Restricted documents.
    pub restricted: Vec<RetentionRow>,
    /// Number of documents by the year their retention ends.
    #[cfg_attr(feature = "typescript", ts(type = "Record<string, number>"))]
    pub by_year: BTreeMap<String, u64>,
    /// Documents disposed of so far (tombstones).
    pub disposed: u64,
}

/// What became of one document asked to be disposed of.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Disposal {
    /// Document id.
    pub id: String,
    /// Original file name (when known).
    pub name: String,
    /// Disposed (`true`) or refused (`false`, with the reason).
    pub disposed: bool,
    /// Why it was refused, or the recorded reason of the disposal.
    pub reason: String,
}

/// A disposed document's record.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Tombstone {
    /// The id the document had.
    pub id: String,
    /// Its category.
    pub category: String,
    /// Its issue date, when known.
    pub issue_date: Option<String>,
    /// When it was imported.
    pub imported_at: String,
    /// Its retention date.
    pub retain_until: String,
    /// Its keyed content fingerprint (hex).
    pub content_mac: String,
    /// Why it was disposed of.
    pub reason: String,
    /// Whether it was disposed of before its date, by override.
    pub overridden: bool,
    /// Who disposed of it (the operating-system user).
    pub disposed_by: String,
    /// When.
    pub disposed_at: String,
}

fn who() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "owner".into())
}

const ROW_SQL: &str = "SELECT d.id, d.name, r.category, f.issue_date, r.retain_until,
        r.hold_reason, r.restricted_reason
    FROM retention r JOIN documents d ON d.id = r.doc_id
    LEFT JOIN doc_fields f ON f.doc_id = d.id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RetentionRow> {
    Ok(RetentionRow {
        id: r.get(0)?,
        name: r.get(1)?,
        category: r.get(2)?,
        issue_date: r.get(3)?,
        retain_until: r.get(4)?,
        hold_reason: r.get(5)?,
        restricted_reason: r.get(6)?,
    })
}

impl Vault {
    /// The retention rules in force.
    pub fn retention_policy(&self) -> Result<Policy> {
        policy(self.index.conn())
    }

    /// One document's retention.
    pub fn retention_of(&self, id_or_prefix: &str) -> Result<RetentionRow> {
        let doc = self.document(id_or_prefix)?;
        Ok(self
            .index
            .conn()
            .query_row(&format!("{ROW_SQL} WHERE d.id = ?1"), [&doc.id], row)?)
    }

    /// Runs one retention `UPDATE` (`?1` is the document id) and records `action` in the audit
    /// trail, in one transaction.
    fn update_retention(
        &mut self,
        id_or_prefix: &str,
        action: &str,
        sql: &str,
        extra: &[&dyn rusqlite::ToSql],
        detail: serde_json::Value,
    ) -> Result<()> {
        let doc = self.document(id_or_prefix)?;
        self.audited(action, Some(&doc.id), |tx| {
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&doc.id];
            args.extend_from_slice(extra);
            tx.execute(sql, args.as_slice())?;
            compute_retention(tx, &doc.id)?;
            Ok(((), detail))
        })
    }

    /// Sets a document's retention category (kept over the automatic guess) and recomputes its
    /// date.
    pub fn set_category(&mut self, id_or_prefix: &str, category: Category) -> Result<()> {
        self.update_retention(
            id_or_prefix,
            "document.category",
            "UPDATE retention SET category = ?2, category_by_owner = 1 WHERE doc_id = ?1",
            &[&category.as_str()],
            json!({ "category": category.as_str() }),
        )
    }

    /// Puts a document on legal hold: it cannot be disposed of until released.
    pub fn hold(&mut self, id_or_prefix: &str, reason: &str) -> Result<()> {
        let reason = non_empty("reason", reason)?;
        self.update_retention(
            id_or_prefix,
            "document.hold",
            "UPDATE retention SET hold_reason = ?2, hold_at = ?3 WHERE doc_id = ?1",
            &[&reason, &crate::storage::audit::now_rfc3339()],
            json!({ "reason": reason }),
        )
    }

    /// Releases a legal hold.
    pub fn release(&mut self, id_or_prefix: &str) -> Result<()> {
        self.update_retention(
            id_or_prefix,
            "document.release",
            "UPDATE retention SET hold_reason = NULL, hold_at = NULL WHERE doc_id = ?1",
            &[],
            json!({}),
        )
    }

    /// Restricts a document (GDPR art. 18): kept, but left out of searches and bundles.
    pub fn restrict(&mut self, id_or_prefix: &str, reason: &str) -> Result<()> {
        let reason = non_empty("reason", reason)?;
        let doc = self.document(id_or_prefix)?;
        let restrict = |v: &mut Vault, id: &str, reason: &str| {
            v.update_retention(
                id,
                "document.restrict",
                "UPDATE retention SET restricted_reason = ?2, restricted_at = ?3 WHERE doc_id = ?1",
                &[&reason, &crate::storage::audit::now_rfc3339()],
                json!({ "reason": reason }),
            )
        };
        restrict(self, &doc.id, reason)?;
        // An e-mail message holds its parts' bytes: it is restricted with them.
        for message in self.messages_of(&doc.id)? {
            let why = format!("{reason} (it holds {}, restricted)", doc.name);
            restrict(self, &message.id, &why)?;
        }
        Ok(())
    }

    /// Lifts a restriction.
    pub fn unrestrict(&mut self, id_or_prefix: &str) -> Result<()> {
        self.update_retention(
            id_or_prefix,
            "document.unrestrict",
            "UPDATE retention SET restricted_reason = NULL, restricted_at = NULL WHERE doc_id = ?1",
            &[],
            json!({}),
        )
    }

    /// The retention overview on `today` (UTC today when `None`).
    pub fn retention_status(&self, today_: Option<Date>) -> Result<RetentionStatus> {
        let today = format_date(today_.unwrap_or_else(today));
        let conn = self.index.conn();
        let rows = |filter: &str, arg: Option<&str>| -> Result<Vec<RetentionRow>> {
            let mut stmt = conn.prepare(&format!(
                "{ROW_SQL} WHERE {filter} ORDER BY r.retain_until, d.id"
            ))?;
            let found = match arg {
                Some(a) => stmt
                    .query_map([a], row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
                None => stmt
                    .query_map([], row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            };
            Ok(found)
        };
        let mut by_year = BTreeMap::new();
        let mut stmt = conn.prepare(
            "SELECT substr(retain_until, 1, 4), count(*) FROM retention GROUP BY 1 ORDER BY 1",
        )?;
        for r in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (y, n) = r?;
            by_year.insert(y, n as u64);
        }
        Ok(RetentionStatus {
            due: rows(
                "r.retain_until < ?1 AND r.hold_reason IS NULL",
                Some(&today),
            )?,
            on_hold: rows("r.hold_reason IS NOT NULL", None)?,
            restricted: rows("r.restricted_reason IS NOT NULL", None)?,
            by_year,
            disposed: conn.query_row("SELECT count(*) FROM tombstones", [], |r| {
                r.get::<_, i64>(0)
            })? as u64,
            policy: policy(conn)?,
            today,
        })
    }

    /// Disposes of documents by crypto-shredding. With `due`, every document whose retention has
    /// ended and that is not on hold; otherwise the given ids. A document on hold is always
    /// refused; one whose retention has not ended is refused unless `override_reason` is given.
    /// Each outcome is reported; refusals change nothing.
    pub fn dispose(
        &mut self,
        ids: &[String],
        due: bool,
        override_reason: Option<&str>,
        on: Option<Date>,
    ) -> Result<Vec<Disposal>> {
        let today = format_date(on.unwrap_or_else(today));
        let override_reason = match override_reason {
            Some(r) => Some(non_empty("override reason", r)?),
            None => None,
        };
        let mut targets: Vec<String> = Vec::new();
        if due {
            targets.extend(self.retention_status(on)?.due.into_iter().map(|r| r.id));
        }
        for id in ids {
            targets.push(self.document(id)?.id);
        }
        let audit_key = self.audit_key();
        let mut out = Vec::new();
        for id in targets {
            let r = self.retention_of(&id)?;
            let refuse = |reason: String| Disposal {
                id: r.id.clone(),
                name: r.name.clone(),
                disposed: false,
                reason,
            };
            if let Some(hold) = &r.hold_reason {
                out.push(refuse(format!("on legal hold: {hold}")));
                continue;
            }
            let early = today <= r.retain_until;
            if early && override_reason.is_none() {
                out.push(refuse(format!(
                    "must be kept until {} ({}); an override with a reason is required",
                    r.retain_until, r.category
                )));
                continue;
            }
            let reason = match (early, override_reason) {
                (true, Some(o)) => o.to_owned(),
                _ => format!("retention ended on {}", r.retain_until),
            };
            let tx = self.index.transaction()?;
            let (imported_at, content_mac, rowid): (String, Vec<u8>, i64) = tx.query_row(
                "SELECT imported_at, content_mac, rowid FROM documents WHERE id = ?1",
                [&id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            tx.execute(
                "INSERT INTO tombstones (doc_id, category, issue_date, imported_at, retain_until,
                     content_mac, sha256, reason, override, disposed_by, disposed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    r.category,
                    r.issue_date,
                    imported_at,
                    r.retain_until,
                    content_mac,
                    // No plain SHA-256: it would confirm a guessed file. The keyed MAC stays.
                    Vec::<u8>::new(),
                    reason,
                    early,
                    who(),
                    crate::storage::audit::now_rfc3339()
                ],
            )?;
            // FTS5 secure-delete (schema 11) removes the tokens themselves.
            tx.execute("DELETE FROM doc_fts WHERE rowid = ?1", [rowid])?;
            // Where it came from (the journal keeps source paths) and content digests in the
            // sharing ledger (a plain hash would confirm a guessed file) go with it.
            tx.execute("DELETE FROM import_jobs WHERE doc_id = ?1", [&id])?;
            tx.execute(
                "UPDATE bundle_documents SET sha256 = '', fields_digest = '' WHERE doc_id = ?1",
                [&id],
            )?;
            // Its copies lose their original (one of them takes its place), and its statuses go.
            crate::vault::invoices::before_dispose(&tx, &id)?;
            // Cascades to the document key, extraction, corrections, fields and retention rows.
            tx.execute("DELETE FROM documents WHERE id = ?1", [&id])?;
            audit::append(
                &tx,
                &audit_key,
                "document.dispose",
                Some(&id),
                json!({ "reason": reason, "override": early, "category": r.category,
                        "retain_until": r.retain_until }),
            )?;
            tx.commit()?;
            // The key is gone: the blob is unreadable wherever it is. Remove this copy too (a
            // crash here leaves an orphan that the next open collects).
            self.store.remove(&id)?;
            out.push(Disposal {
                id: r.id.clone(),
                name: r.name.clone(),
                disposed: true,
                reason,
            });
        }
        if out.iter().any(|d| d.disposed) {
            self.index
                .conn()
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        Ok(out)
    }

    /// Every tombstone, oldest disposal first.
    pub fn tombstones(&self) -> Result<Vec<Tombstone>> {
        let mut stmt = self.index.conn().prepare(
            "SELECT doc_id, category, issue_date, imported_at, retain_until, content_mac, reason,
                    override, disposed_by, disposed_at FROM tombstones ORDER BY disposed_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Tombstone {
                id: r.get(0)?,
                category: r.get(1)?,
                issue_date: r.get(2)?,
                imported_at: r.get(3)?,
                retain_until: r.get(4)?,
                content_mac: hex::encode(r.get::<_, Vec<u8>>(5)?),
                reason: r.get(6)?,
                overridden: r.get(7)?,
                disposed_by: r.get(8)?,
                disposed_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn non_empty<'a>(what: &str, s: &'a str) -> Result<&'a str> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::invalid(what, Why::Required));
    }
    Ok(t)
}
