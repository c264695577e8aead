//! What is read of invoices: the detail screen's [`InvoiceInfo`] (with the missing mentions)
//! and the CLI's list ([`Listed`]).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use super::statuses::statuses;
use crate::Result;
use crate::records::direction::Direction;
use crate::records::fields::get;
use crate::records::mentions::{self, Mention};
use crate::records::status::{self, StatusEntry};
use crate::records::vat::{self, VatLine};
use crate::storage::index::Index;
use crate::vault::Vault;

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
            let (cond, values) = status::payment_condition(p, crate::records::retention::today())?;
            // What is owed counts each invoice once.
            sql.push_str(&format!(" AND f.copy_of IS NULL AND {cond}"));
            args.extend(
                values
                    .into_iter()
                    .map(|v| Box::new(v) as Box<dyn rusqlite::ToSql>),
            );
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
}
