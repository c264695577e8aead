//! Copy groups: the documents of one invoice (same number, kind, date and seller as the
//! group's original), the original first; see the module above for the rules.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

use super::statuses::{link_waiting, refresh_status};
use crate::Result;
use crate::records::direction::{self, name_key};
use crate::records::fields::is_credit_note;

fn is_einvoice(format: &str) -> bool {
    matches!(format, "factur-x" | "ubl" | "cii")
}

/// One member of a copy group.
pub(super) struct Member {
    pub(super) id: String,
    einvoice: bool,
    rowid: i64,
    pub(super) keys: BTreeSet<String>,
    name: String,
    total: Option<i64>,
    credit: bool,
    pub(super) date: Option<String>,
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
pub(super) fn clusters(
    tx: &Connection,
    key: &str,
    exclude: Option<&str>,
) -> Result<Vec<Vec<Member>>> {
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
pub(super) fn regroup(tx: &Connection, key: &str, exclude: Option<&str>) -> Result<()> {
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
