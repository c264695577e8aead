//! Invoices as the accountant sees them: purchases and sales, copies of one invoice, lifecycle
//! statuses, and what a received invoice lacks.
//!
//! Promises:
//! - a document's direction is the owner's choice when they made one (a correction of the
//!   `direction` field, with its history), else [`direction::decide`] from the owner's
//!   identifiers; changing `owner-ids` or `owner-names` recomputes every document's.
//! - documents with the same invoice number (compared without case, spaces or punctuation), of
//!   the same kind (invoice or credit note) and date, from the same seller as the group's
//!   original (same company by identifier, else same name) are one invoice: the e-invoice
//!   (Factur-X, UBL, CII) is the original, else the first imported; the others are its copies
//!   (`copy_of`) when both totals are known and equal, left out of the table's rows and totals
//!   and of the bundles' sums; nothing is deleted. One whose total differs or is unknown is not
//!   merged: both are flagged (`copy_conflict`) for review. Groups are recomputed whenever a
//!   member's fields change or one is disposed of; a number shared by more than [`MAX_GROUP`]
//!   documents groups nothing.
//! - lifecycle statuses (from CDAR messages, or set by the owner) attach to the invoice's
//!   original. A message's status attaches only to an invoice whose seller is the issuer it
//!   names (and of the invoice date it gives, if any): a number alone is anyone's; until such an
//!   invoice is in the vault, it waits, unattached. A status dated more than a day ahead is not
//!   recorded. The latest status is the one of the latest day, then the latest
//!   recorded. A disposed invoice takes its statuses with it (unless a copy remains to carry
//!   them); a disposed message takes the statuses it brought. Messages are not signed: the
//!   detail names the message each status came from.
//! - all of this is derived data, written in the transaction that changed its inputs.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};

use crate::Result;
use crate::records::direction::{self, Direction, is_invoice_format, name_key, party_keys};
use crate::records::fields::{self, get, is_credit_note};
use crate::records::mentions::{self, Mention};
use crate::records::status::{self, StatusEntry};
use crate::records::vat::{self, VatLine};
use crate::storage::index::Index;
use crate::storage::settings;
use crate::vault::Vault;

/// An invoice number in comparable form: letters and digits only, upper case.
pub fn number_key(number: &str) -> Option<String> {
    let k: String = number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    (!k.is_empty()).then_some(k)
}

fn is_einvoice(format: &str) -> bool {
    matches!(format, "factur-x" | "ubl" | "cii")
}

fn effective_of(conn: &Connection, doc_id: &str) -> Result<Value> {
    let extracted = Index::extraction(conn, doc_id)?.unwrap_or_else(|| json!({}));
    let corrections = Index::corrections(conn, doc_id)?;
    Ok(fields::effective(&extracted, &corrections))
}

/// The direction of effective fields: the owner's choice, else decided.
pub(crate) fn direction_of(effective: &Value, owner: &direction::Owner) -> Direction {
    get(effective, "direction")
        .and_then(|d| Direction::parse(d).ok())
        .unwrap_or_else(|| direction::decide(effective, owner))
}

/// Rewrites a document's invoice columns from its effective fields, then the copies of its
/// number (old and new), its statuses and, for a lifecycle message, the statuses it reports.
pub(crate) fn refresh(tx: &Connection, doc_id: &str, effective: &Value) -> Result<()> {
    let owner = settings::owner(tx)?;
    let format = get(effective, "format").unwrap_or("");
    let invoice = is_invoice_format(format);
    let credit = get(effective, "type_code").is_some_and(is_credit_note);
    let due = get(effective, "due_date").filter(|d| crate::support::dates::parse_ymd(d).is_some());
    // Something is owed: not a credit note, and not an invoice that says nothing is due.
    let nothing_due = get(effective, "amount_due")
        .and_then(fields::scaled_e4)
        .is_some_and(|v| v == 0);
    let key = invoice
        .then(|| get(effective, "number").and_then(number_key))
        .flatten();
    let old_key: Option<String> = tx
        .query_row(
            "SELECT copy_key FROM doc_fields WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let seller_ids = party_keys(effective, "seller")
        .into_iter()
        .collect::<Vec<_>>()
        .join(",");
    tx.execute(
        "UPDATE doc_fields SET direction = ?2, due_date = ?3, payable = ?4, copy_key = ?5,
             seller_ids = ?6
         WHERE doc_id = ?1",
        params![
            doc_id,
            direction_of(effective, &owner).as_str(),
            due,
            invoice && !credit && !nothing_due,
            key,
            seller_ids
        ],
    )?;
    if let Some(old) = old_key.filter(|o| Some(o) != key.as_ref()) {
        tx.execute(
            "UPDATE doc_fields SET copy_of = NULL, copy_conflict = 0 WHERE doc_id = ?1",
            [doc_id],
        )?;
        // A platform's statuses named the old number: they wait for an invoice that has it.
        tx.execute(
            "UPDATE invoice_statuses SET doc_id = NULL WHERE doc_id = ?1 AND source = 'platform'",
            [doc_id],
        )?;
        regroup(tx, &old, None)?;
    }
    if format == "cdar" {
        record_lifecycle(tx, doc_id, effective)?;
    }
    if let Some(k) = &key {
        regroup(tx, k, None)?;
    } else {
        refresh_status(tx, doc_id)?;
    }
    Ok(())
}

/// One member of a copy group.
struct Member {
    id: String,
    einvoice: bool,
    rowid: i64,
    keys: BTreeSet<String>,
    name: String,
    total: Option<i64>,
    credit: bool,
    date: Option<String>,
}

/// Most documents one number may have for them to be grouped: beyond, the number is not an
/// invoice's (a receipt's "1", a misread) and grouping would cost every import a long walk.
const MAX_GROUP: usize = 50;

fn same_seller(a: &Member, b: &Member) -> bool {
    if !a.keys.is_empty() && !b.keys.is_empty() {
        return direction::same_company(&a.keys, &b.keys);
    }
    !a.name.is_empty() && a.name == b.name
}

/// The members of the documents with this copy key, clustered by seller; each cluster's
/// original first. Read from `doc_fields` alone (one indexed lookup, no extraction parsed).
fn clusters(tx: &Connection, key: &str, exclude: Option<&str>) -> Result<Vec<Vec<Member>>> {
    let mut stmt = tx.prepare_cached(
        "SELECT f.doc_id, COALESCE(f.format, ''), d.rowid, f.total_e4,
                COALESCE(f.seller_ids, ''), COALESCE(f.seller_name, ''),
                COALESCE(f.type_code, ''), f.issue_date
         FROM doc_fields f JOIN documents d ON d.id = f.doc_id WHERE f.copy_key = ?1
         LIMIT ?2",
    )?;
    let mut members: Vec<Member> = stmt
        .query_map(params![key, MAX_GROUP as i64 + 1], |r| {
            let format: String = r.get(1)?;
            let ids: String = r.get(4)?;
            let name: String = r.get(5)?;
            Ok(Member {
                id: r.get(0)?,
                einvoice: is_einvoice(&format),
                rowid: r.get(2)?,
                total: r.get(3)?,
                keys: ids
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect(),
                name: name_key(&name),
                credit: is_credit_note(&r.get::<_, String>(6)?),
                date: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    members.retain(|m| Some(m.id.as_str()) != exclude);
    if members.len() > MAX_GROUP {
        // Each stands alone (see MAX_GROUP).
        return Ok(members.into_iter().map(|m| vec![m]).collect());
    }
    members.sort_by_key(|m| (!m.einvoice, m.rowid));
    // A document joins a group when it is the same kind of document (invoice or credit note)
    // of the same date from the same seller as the group's original: never through another
    // member (a document with only a name would bridge two companies of that name).
    let mut out: Vec<Vec<Member>> = Vec::new();
    for m in members {
        let same_invoice = |o: &Member| {
            same_seller(o, &m)
                && o.credit == m.credit
                && (o.date.is_none() || m.date.is_none() || o.date == m.date)
        };
        match out.iter_mut().find(|c| same_invoice(&c[0])) {
            Some(c) => c.push(m),
            None => out.push(vec![m]),
        }
    }
    Ok(out)
}

/// Recomputes the copies of one invoice number (leaving `exclude` out, a document about to be
/// disposed of), moves statuses to each group's original and links waiting ones.
fn regroup(tx: &Connection, key: &str, exclude: Option<&str>) -> Result<()> {
    let groups = clusters(tx, key, exclude)?;
    let mut set = tx.prepare_cached(
        "UPDATE doc_fields SET copy_of = ?2, copy_conflict = ?3 WHERE doc_id = ?1",
    )?;
    for group in &groups {
        let original = &group[0];
        // A copy only when both totals are known and equal: a total OCR missed is not a match.
        let agrees = |m: &Member| m.total.is_some() && m.total == original.total;
        let conflict = group[1..].iter().any(|m| !agrees(m));
        set.execute(params![original.id, Option::<String>::None, conflict])?;
        for m in &group[1..] {
            if agrees(m) {
                set.execute(params![m.id, original.id, false])?;
                tx.execute(
                    "UPDATE invoice_statuses SET doc_id = ?2 WHERE doc_id = ?1",
                    params![m.id, original.id],
                )?;
            } else {
                set.execute(params![m.id, Option::<String>::None, true])?;
            }
        }
    }
    link_waiting(tx, key, &groups)?;
    for m in groups.iter().flatten() {
        refresh_status(tx, &m.id)?;
    }
    Ok(())
}

/// Attaches statuses waiting for an invoice with this copy key to the original whose seller
/// is their issuer (or to the only invoice with that number when the message names no issuer).
fn link_waiting(tx: &Connection, key: &str, groups: &[Vec<Member>]) -> Result<()> {
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
fn refresh_status(tx: &Connection, doc_id: &str) -> Result<()> {
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
fn record_lifecycle(tx: &Connection, message_id: &str, effective: &Value) -> Result<()> {
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

/// Before a document is disposed of: its copies are regrouped without it (a copy becomes the
/// original and takes its statuses), and the statuses still attached to it go.
pub(crate) fn before_dispose(tx: &Connection, doc_id: &str) -> Result<()> {
    let key: Option<String> = tx
        .query_row(
            "SELECT copy_key FROM doc_fields WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if let Some(key) = key {
        let groups = clusters(tx, &key, Some(doc_id))?;
        // The statuses follow the original of the disposed document's seller, if one remains.
        let own = clusters(tx, &key, None)?
            .into_iter()
            .find(|g| g.iter().any(|m| m.id == doc_id));
        if let Some(own) = own
            && let Some(heir) = own.iter().find(|m| m.id != doc_id)
        {
            let heir_original = groups
                .iter()
                .find(|g| g.iter().any(|m| m.id == heir.id))
                .map(|g| g[0].id.clone());
            if let Some(h) = heir_original {
                tx.execute(
                    "UPDATE invoice_statuses SET doc_id = ?2 WHERE doc_id = ?1",
                    params![doc_id, h],
                )?;
            }
        }
        tx.execute(
            "UPDATE doc_fields SET copy_key = NULL WHERE doc_id = ?1",
            [doc_id],
        )?;
        regroup(tx, &key, Some(doc_id))?;
    }
    tx.execute(
        "DELETE FROM invoice_statuses WHERE doc_id = ?1 OR message_id = ?1",
        [doc_id],
    )?;
    Ok(())
}

/// Recomputes every document's direction (after the owner's identifiers changed).
pub(crate) fn recompute_directions(tx: &Connection) -> Result<usize> {
    let owner = settings::owner(tx)?;
    let ids: Vec<String> = {
        let mut stmt = tx.prepare("SELECT doc_id FROM doc_fields")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for id in &ids {
        let eff = effective_of(tx, id)?;
        tx.execute(
            "UPDATE doc_fields SET direction = ?2 WHERE doc_id = ?1",
            params![id, direction_of(&eff, &owner).as_str()],
        )?;
    }
    Ok(ids.len())
}

/// Another document of the same invoice, as the detail screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct CopyRef {
    /// Its id.
    pub id: String,
    /// Its file name.
    pub name: String,
    /// Its format (`factur-x`, `pdf-text`, ...).
    pub format: Option<String>,
    /// Its total with VAT.
    pub total_with_vat: Option<String>,
}

/// What the detail screen shows of a document as an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct InvoiceInfo {
    /// Purchase, sale or unknown.
    pub direction: Direction,
    /// Whether the owner chose it (else it was decided from their identifiers).
    pub direction_by_owner: bool,
    /// The original, when this document is a copy.
    pub copy_of: Option<CopyRef>,
    /// The copies, when this document is an original.
    pub copies: Vec<CopyRef>,
    /// Documents with the same number and seller but another total (to review).
    pub conflicts: Vec<CopyRef>,
    /// The latest status.
    pub status: Option<String>,
    /// Every status, oldest first (the original's, for a copy).
    pub statuses: Vec<StatusEntry>,
    /// VAT per rate.
    pub vat: Vec<VatLine>,
    /// Mandatory mentions the invoice lacks (received French invoices).
    pub mentions: Vec<Mention>,
}

const COPY_REF: &str = "SELECT d.id, d.name, f.format, f.total_with_vat
     FROM doc_fields f JOIN documents d ON d.id = f.doc_id";

fn copy_ref(r: &rusqlite::Row<'_>) -> rusqlite::Result<CopyRef> {
    Ok(CopyRef {
        id: r.get(0)?,
        name: r.get(1)?,
        format: r.get(2)?,
        total_with_vat: r.get(3)?,
    })
}

fn copy_refs(
    conn: &Connection,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<CopyRef>> {
    let mut stmt = conn.prepare(&format!("{COPY_REF} WHERE {condition} ORDER BY d.rowid"))?;
    let rows = stmt.query_map(args, copy_ref)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The statuses attached to a document, oldest first.
pub(crate) fn statuses(conn: &Connection, doc_id: &str) -> Result<Vec<StatusEntry>> {
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

/// A document's invoice view (see [`InvoiceInfo`]).
pub(crate) fn info(conn: &Connection, doc_id: &str, effective: &Value) -> Result<InvoiceInfo> {
    let (direction, copy_of, conflict, key, status): (
        String,
        Option<String>,
        bool,
        Option<String>,
        Option<String>,
    ) = conn
        .query_row(
            "SELECT direction, copy_of, copy_conflict, copy_key, status FROM doc_fields
             WHERE doc_id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .unwrap_or_else(|| ("unknown".into(), None, false, None, None));
    let direction = Direction::parse(&direction).unwrap_or(Direction::Unknown);
    let original = copy_of.clone().unwrap_or_else(|| doc_id.to_owned());
    let copy_of = match &copy_of {
        Some(o) => copy_refs(conn, "d.id = ?1", &[o])?.into_iter().next(),
        None => None,
    };
    let copies = copy_refs(conn, "f.copy_of = ?1 AND d.id <> ?2", &[&original, &doc_id])?;
    let conflicts = match (&key, conflict) {
        (Some(k), true) => copy_refs(
            conn,
            "f.copy_key = ?1 AND f.copy_conflict = 1 AND d.id <> ?2",
            &[k, &doc_id],
        )?,
        _ => Vec::new(),
    };
    let body = Index::body(conn, doc_id)?;
    Ok(InvoiceInfo {
        direction,
        direction_by_owner: get(effective, "direction").is_some(),
        copy_of,
        copies,
        conflicts,
        status,
        statuses: statuses(conn, &original)?,
        vat: vat::lines(effective),
        mentions: mentions::missing(effective, direction, body.as_deref()),
    })
}

/// A document of `coffre list`: the stored document with its direction, original and status.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The document.
    #[serde(flatten)]
    pub document: crate::Document,
    /// `purchase`, `sale` or `unknown`.
    pub direction: Direction,
    /// The original's id when this document is a copy of another, else null.
    pub copy_of: Option<String>,
    /// The latest lifecycle status.
    pub status: Option<String>,
}

impl Vault {
    /// Every document with its direction, original and status; only those of `direction` and
    /// matching the payment filter (`unpaid`, `due-week`, `overdue`, `refused`) when given.
    pub fn list_documents(
        &self,
        direction: Option<Direction>,
        payment: Option<&str>,
    ) -> Result<Vec<Listed>> {
        let conn = self.index.conn();
        let mut sql = String::from(
            "SELECT f.doc_id, f.direction, f.copy_of, f.status FROM doc_fields f WHERE 1",
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(d) = direction {
            sql.push_str(" AND f.direction = ?");
            args.push(Box::new(d.as_str()));
        }
        if let Some(p) = payment {
            let (cond, dates) = status::payment_condition(p)?;
            // What is owed counts each invoice once.
            sql.push_str(&format!(" AND f.copy_of IS NULL AND {cond}"));
            let today = crate::records::retention::today();
            if dates >= 1 {
                args.push(Box::new(today.to_string()));
            }
            if dates == 2 {
                args.push(Box::new(
                    today.saturating_add(time::Duration::days(6)).to_string(),
                ));
            }
        }
        let mut stmt = conn.prepare(&sql)?;
        let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|b| b.as_ref()).collect();
        let found: BTreeMap<String, (String, Option<String>, Option<String>)> = stmt
            .query_map(params.as_slice(), |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(self
            .documents()?
            .into_iter()
            .filter_map(|document| {
                let (d, copy_of, status) = found.get(&document.id)?.clone();
                Some(Listed {
                    direction: Direction::parse(&d).unwrap_or(Direction::Unknown),
                    document,
                    copy_of,
                    status,
                })
            })
            .collect())
    }

    /// Sets the direction of documents (the owner's decision, kept with its history like any
    /// correction); `Unknown` hands the decision back to the owner's identifiers. Returns how
    /// many changed.
    pub fn set_direction(&mut self, ids: &[String], direction: Direction) -> Result<usize> {
        let value = (direction != Direction::Unknown).then_some(direction.as_str());
        let mut changed = 0;
        for id in ids {
            let before = self.details(id)?;
            self.correct(id, "direction", value)?;
            if self.details(id)?.corrections.len() != before.corrections.len() {
                changed += 1;
            }
        }
        Ok(changed)
    }

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

    /// Computes the invoice columns of documents stored before they existed, once.
    pub(crate) fn backfill_invoices(&mut self) -> Result<()> {
        if !self.index.needs_backfill("invoices")? {
            return Ok(());
        }
        let ids = self.index.document_ids()?;
        let tx = self.index.transaction()?;
        for id in &ids {
            let eff = effective_of(&tx, id)?;
            refresh(&tx, id, &eff)?;
        }
        tx.commit()?;
        self.index.backfilled("invoices")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{CreateOptions, KdfParams, Passphrase};

    use super::*;

    fn count(v: &Vault, sql: &str) -> i64 {
        v.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A disposed invoice leaves no status naming it (its number is in `copy_key`), and a
    /// disposed message takes the statuses it brought; a status waiting for its invoice stays
    /// unattached until then.
    #[test]
    fn disposal_leaves_no_status_behind() {
        crate::records::worker::configure(crate::records::worker::Isolation::InProcess);
        let tmp = tempfile::tempdir().unwrap();
        let (mut v, _) = Vault::create(
            &tmp.path().join("v"),
            &Passphrase::new("invoices unit pass".into()),
            &CreateOptions {
                kdf: KdfParams::MINIMUM,
            },
        )
        .unwrap();
        let cdar = |number: &str, code: &str| {
            format!(
                r#"<rsm:CrossDomainAcknowledgementAndResponse
  xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
  <rsm:AcknowledgementDocument><ram:ReferenceReferencedDocument>
    <ram:IssuerAssignedID>{number}</ram:IssuerAssignedID>
    <ram:ProcessConditionCode>{code}</ram:ProcessConditionCode>
    <ram:IssuerTradeParty><ram:GlobalID schemeID="0002">732829320</ram:GlobalID></ram:IssuerTradeParty>
  </ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>"#
            )
        };
        let import = |v: &mut Vault, name: &str, bytes: &[u8]| {
            let p = tmp.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            v.import_file(&p, None).unwrap().document().id.clone()
        };
        let waiting = import(
            &mut v,
            "cdv-later.xml",
            cdar("FA-2026-0099", "212").as_bytes(),
        );
        let msg = import(&mut v, "cdv.xml", cdar("FA-2026-0001", "210").as_bytes());
        let ubl = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../extract/tests/fixtures/ubl-invoice-eur.xml"),
        )
        .unwrap();
        let invoice = import(&mut v, "f.xml", &ubl);
        v.set_status(&invoice, "disputed", None, None).unwrap();
        assert_eq!(
            count(
                &v,
                "SELECT COUNT(*) FROM invoice_statuses WHERE doc_id IS NULL"
            ),
            1,
            "FA-2026-0099 waits for its invoice"
        );
        assert_eq!(
            v.details(&invoice).unwrap().invoice.status.as_deref(),
            Some("disputed")
        );
        v.dispose(std::slice::from_ref(&invoice), false, Some("test"), None)
            .unwrap();
        assert_eq!(
            count(
                &v,
                "SELECT COUNT(*) FROM invoice_statuses WHERE copy_key = 'FA20260001'"
            ),
            0
        );
        v.dispose(&[msg, waiting], false, Some("test"), None)
            .unwrap();
        assert_eq!(count(&v, "SELECT COUNT(*) FROM invoice_statuses"), 0);
    }

    #[test]
    fn numbers_compare_without_case_spaces_or_punctuation() {
        assert_eq!(number_key("fa-2017 / 0010").as_deref(), Some("FA20170010"));
        assert_eq!(number_key(" - "), None);
    }
}
