//! Supplier memory: how each supplier lays out its invoices, learned from the owner's
//! corrections and used first on that supplier's next plain or scanned invoices.
//!
//! When the owner corrects a field of a document that was read from its text (not an
//! e-invoice), [`learn`] asks `coffre_extract::memory` where each corrected value is printed and
//! beside which label, and keeps that anchor for the supplier, known by its identifiers (its VAT
//! id, SIREN or IBAN as corrected or read; else every identifier the text prints that is not the
//! owner's or the buyer's). When a document is imported or re-extracted, [`apply`] looks for a
//! remembered supplier among the identifiers its text prints and reads each remembered field by
//! its anchor: the value found replaces the heuristics' guess in the stored extraction and its
//! `fields[...]` entry says `{"source": "supplier-memory"}`. Corrections still win over it.
//!
//! Promises: kept only in the encrypted index, never in the audit trail (labels and names may be
//! personal data: the trail records only that a row was forgotten); a row goes with the document
//! it was learned from (erasing that document erases what was learned from it); the newest
//! correction of a field for a supplier replaces older ones; e-invoices are never changed by
//! memory; the owner lists and forgets rows ([`Vault::supplier_memory`],
//! [`Vault::forget_supplier_layout`]).

use coffre_extract::memory::{self as layout, Anchor, Placement};
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Kind;
use crate::records::fields;
use crate::storage::index::Index;
use crate::storage::settings::owner_ids;
use crate::vault::Vault;
use crate::{Error, Result};

/// The `fields[...].source` of a value read by supplier memory.
pub const SOURCE: &str = "supplier-memory";

/// The fields that identify the seller.
const SELLER_IDS: [&str; 3] = ["seller.vat_id", "seller.legal_id", "iban"];

/// Confidence given to a value read by supplier memory.
const CONFIDENCE: f64 = 0.95;

/// Formats read from text, which memory may improve.
fn read_from_text(data: &Value) -> bool {
    fields::get(data, "format").is_some_and(fields::is_read_from_text)
}

/// One remembered layout of one field of one supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct SupplierLayout {
    /// Row id (what [`Vault::forget_supplier_layout`] takes).
    pub id: i64,
    /// The supplier's name when it was learned, if known.
    pub supplier: Option<String>,
    /// The identifiers that recognise the supplier (VAT ids, SIREN, IBAN).
    pub ids: Vec<String>,
    /// The field (`number`, `issue_date`, `total_with_vat`...).
    pub field: String,
    /// The label printed beside the value (normalised).
    pub label: String,
    /// Where the value was: `right` of the label or `below:N` lines.
    pub placement: String,
    /// The document it was learned from.
    pub doc_id: String,
    /// When, RFC 3339 UTC.
    pub learned_at: String,
}

fn rows(conn: &Connection) -> Result<Vec<SupplierLayout>> {
    let mut stmt = conn.prepare(
        "SELECT id, supplier, ids, field, label, placement, doc_id, learned_at
         FROM supplier_memory ORDER BY id DESC",
    )?;
    let out = stmt
        .query_map([], |r| {
            let ids: String = r.get(2)?;
            Ok(SupplierLayout {
                id: r.get(0)?,
                supplier: r.get(1)?,
                ids: ids.split(',').map(str::to_owned).collect(),
                field: r.get(3)?,
                label: r.get(4)?,
                placement: r.get(5)?,
                doc_id: r.get(6)?,
                learned_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(out)
}

/// A supplier's identifiers in comparable form: compacted, upper case, SIRETs as their SIREN.
fn key(id: &str) -> String {
    let c = coffre_extract::checks::compact(id).to_ascii_uppercase();
    if c.len() == 14 && c.bytes().all(|b| b.is_ascii_digit()) {
        c[..9].to_owned()
    } else {
        c
    }
}

/// The identifiers of the seller of a document: those its (effective) fields give, else those
/// its text prints, never the owner's or the buyer's.
fn seller_ids(conn: &Connection, data: &Value, text: &str) -> Result<Vec<String>> {
    let mut not: Vec<String> = owner_ids(conn)?.iter().map(|i| key(i)).collect();
    not.extend(fields::get(data, "buyer.vat_id").map(key));
    let keep = |ids: Vec<String>| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in ids.iter().map(|i| key(i)) {
            if !id.is_empty() && !not.contains(&id) && !out.contains(&id) {
                out.push(id);
            }
        }
        out
    };
    let own = keep(
        SELLER_IDS
            .iter()
            .filter_map(|f| fields::get(data, f).map(str::to_owned))
            .collect(),
    );
    Ok(if own.is_empty() {
        keep(layout::identifiers(text))
    } else {
        own
    })
}

/// Learns (again) from the owner's corrections of document `doc_id`, whose effective fields are
/// `effective`: each corrected field whose value is printed beside a label becomes the
/// supplier's anchor for that field, replacing an older one. Nothing is learned for
/// e-invoices, without text, or without an identifier of the supplier.
pub(super) fn learn(tx: &Connection, doc_id: &str, effective: &Value) -> Result<usize> {
    tx.execute("DELETE FROM supplier_memory WHERE doc_id = ?1", [doc_id])?;
    if !read_from_text(effective) {
        return Ok(0);
    }
    let Some(text) = Index::body(tx, doc_id)? else {
        return Ok(0);
    };
    let ids = seller_ids(tx, effective, &text)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut corrected: Vec<String> = Index::corrections(tx, doc_id)?
        .into_iter()
        .map(|c| c.field)
        .filter(|f| layout::learnable(f))
        .collect();
    corrected.sort();
    corrected.dedup();
    let older = rows(tx)?;
    let mut learned = 0;
    for field in corrected {
        let Some(value) = fields::get(effective, &field) else {
            continue;
        };
        let Some(anchor) = layout::learn(&text, &field, value) else {
            continue;
        };
        for old in older
            .iter()
            .filter(|o| o.field == field && o.ids.iter().any(|i| ids.contains(i)))
        {
            tx.execute("DELETE FROM supplier_memory WHERE id = ?1", [old.id])?;
        }
        tx.execute(
            "INSERT INTO supplier_memory (supplier, ids, field, label, placement, doc_id, learned_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                fields::get(effective, "seller.name"),
                ids.join(","),
                field,
                anchor.label,
                anchor.placement.as_text(),
                doc_id,
                crate::storage::audit::now_rfc3339(),
            ],
        )?;
        learned += 1;
    }
    Ok(learned)
}

/// Reads the remembered fields of the document's supplier into `data` (an extraction, before
/// it is stored), marking each `supplier-memory`. Returns the fields set.
pub(super) fn apply(conn: &Connection, data: &mut Value, text: &str) -> Result<Vec<String>> {
    if !read_from_text(data) || text.is_empty() {
        return Ok(Vec::new());
    }
    let known = rows(conn)?;
    if known.is_empty() {
        return Ok(Vec::new());
    }
    // Rows never hold the owner's ids, so every identifier on the page may be looked up.
    let printed: Vec<String> = SELLER_IDS
        .iter()
        .filter_map(|f| fields::get(data, f).map(key))
        .chain(layout::identifiers(text).iter().map(|i| key(i)))
        .collect();
    let mut set: Vec<String> = Vec::new();
    for row in known
        .iter()
        .filter(|r| r.ids.iter().any(|i| printed.contains(i)))
    {
        let Some(placement) = Placement::from_text(&row.placement) else {
            continue;
        };
        if set.contains(&row.field) {
            continue;
        }
        let anchor = Anchor {
            field: row.field.clone(),
            label: row.label.clone(),
            placement,
        };
        let Some(value) = layout::recall(text, &anchor) else {
            continue;
        };
        let Ok(Some(value)) = fields::validate(&row.field, Some(&value)) else {
            continue;
        };
        fields::set(data, &row.field, Some(&value));
        if let Some(obj) = data.as_object_mut() {
            let infos = obj.entry("fields").or_insert_with(|| json!({}));
            if let Some(infos) = infos.as_object_mut() {
                infos.insert(
                    row.field.clone(),
                    json!({ "source": SOURCE, "confidence": CONFIDENCE }),
                );
            }
        }
        set.push(row.field.clone());
    }
    Ok(set)
}

impl Vault {
    /// Everything supplier memory has learned, newest first.
    pub fn supplier_memory(&self) -> Result<Vec<SupplierLayout>> {
        rows(self.index.conn())
    }

    /// Forgets one remembered layout (audited, without its label or the supplier's name).
    pub fn forget_supplier_layout(&mut self, id: i64) -> Result<()> {
        self.audited("supplier-memory.forget", None, |tx| {
            let field: Option<String> = tx
                .query_row(
                    "SELECT field FROM supplier_memory WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .ok();
            let Some(field) = field else {
                return Err(Error::not_found(Kind::SupplierLayout, id.to_string()));
            };
            tx.execute("DELETE FROM supplier_memory WHERE id = ?1", [id])?;
            Ok(((), json!({ "id": id, "field": field })))
        })
    }
}
