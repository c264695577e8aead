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
//!
//! This file holds the derived columns (`refresh`), disposal and backfill; `copies` the copy
//! groups, `statuses` the lifecycle statuses, `view` what the detail screen and the CLI's list
//! read.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::Result;
use crate::records::direction::{self, Direction, is_invoice_format, party_keys};
use crate::records::fields::{self, get, is_credit_note};
use crate::storage::index::Index;
use crate::storage::settings;
use crate::vault::Vault;

mod copies;
mod statuses;
mod view;

pub(crate) use view::info;
pub use view::{CopyRef, InvoiceInfo, Listed};

use copies::{clusters, regroup};
use statuses::{record_lifecycle, refresh_status};

/// An invoice number in comparable form: letters and digits only, upper case.
pub fn number_key(number: &str) -> Option<String> {
    let k: String = number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    (!k.is_empty()).then_some(k)
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
    let old_key = copy_key_of(tx, doc_id)?;
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

/// A document's copy key, if it has one.
fn copy_key_of(tx: &Connection, doc_id: &str) -> Result<Option<String>> {
    Ok(tx
        .query_row(
            "SELECT copy_key FROM doc_fields WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// Before a document is disposed of: its copies are regrouped without it (a copy becomes the
/// original), its statuses go to the next document of its invoice (which `regroup` hands on to
/// that one's original), and what is left attached to it goes.
pub(crate) fn before_dispose(tx: &Connection, doc_id: &str) -> Result<()> {
    if let Some(key) = copy_key_of(tx, doc_id)? {
        let heir = clusters(tx, &key, None)?
            .into_iter()
            .find(|g| g.iter().any(|m| m.id == doc_id))
            .and_then(|g| g.into_iter().find(|m| m.id != doc_id));
        if let Some(heir) = heir {
            tx.execute(
                "UPDATE invoice_statuses SET doc_id = ?2 WHERE doc_id = ?1",
                params![doc_id, heir.id],
            )?;
        }
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

impl Vault {
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
