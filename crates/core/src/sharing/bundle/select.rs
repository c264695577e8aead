//! What a bundle request selects: the period, the covering consent, and the documents
//! (restricted ones and, with `since_last`, those already sent unchanged left out).
//!
//! Promises: the consent is asked of [`crate::sharing::consent`] only, both whether one covers
//! the request and, when none does, why; selection writes nothing (a preview is a look); the
//! documents come in one stable order (issue date, then id).

use serde_json::Value;

use super::manifest::sha256_hex;
use super::period::{parse_day, parse_period};
use super::{BundlePreview, BundleRequest};
use crate::error::Why;
use crate::sharing::consent;
use crate::vault::Vault;
use crate::{Error, Result, records::fields};

/// What a bundle request selects (see [`Vault::bundle_preview`]).
pub(super) struct Selection {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) recipient: String,
    /// The purpose asked, trimmed; `None` when not given or blank.
    pub(super) purpose: Option<String>,
    pub(super) categories: Vec<String>,
    pub(super) consent: Option<consent::Consent>,
    pub(super) chosen: Vec<Candidate>,
    pub(super) restricted_skipped: usize,
    pub(super) unchanged_skipped: usize,
}

/// Hashes and counts what passes through to the ZIP.
pub(super) struct Candidate {
    pub(super) doc: crate::Document,
    pub(super) date: String,
    pub(super) category: String,
    pub(super) fields: Value,
    pub(super) fields_digest: String,
    pub(super) invoice: crate::vault::invoices::InvoiceInfo,
    /// Another document of the same invoice this recipient already received (with
    /// `since_last`): this one is then listed as its copy, not booked again.
    pub(super) sent_as: Option<String>,
}

/// What each chosen document is a copy of inside the bundle: its original when the original is
/// in the bundle too; else the first of its copies in the bundle stands for the original (so an
/// invoice whose original is in another period, or restricted, still counts once); `None` for
/// the documents that count.
pub(super) fn copies_within(chosen: &[Candidate]) -> Vec<Option<String>> {
    let included: std::collections::HashSet<&str> =
        chosen.iter().map(|c| c.doc.id.as_str()).collect();
    let mut stand_in: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    chosen
        .iter()
        .map(|c| {
            if let Some(sent) = &c.sent_as {
                return Some(sent.clone());
            }
            let original = c.invoice.copy_of.as_ref()?.id.as_str();
            if included.contains(original) {
                return Some(original.to_owned());
            }
            match stand_in.get(original) {
                Some(first) => Some((*first).to_owned()),
                None => {
                    stand_in.insert(original, c.doc.id.as_str());
                    None
                }
            }
        })
        .collect()
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

impl Vault {
    /// Explains why no active consent covers a disclosure, in
    /// [`consent::not_covering_reason`]'s words (the same rule as [`consent::covering`]).
    pub(super) fn missing_consent(&self, sel: &Selection) -> Result<Error> {
        let what = consent::not_covering_reason(
            &self.consents()?,
            &sel.recipient,
            sel.purpose.as_deref(),
            &sel.from,
            &sel.to,
            &sel.categories,
        );
        Ok(Error::NoConsent { what })
    }

    /// The documents of the period and categories, with the number of restricted ones.
    fn bundle_candidates(
        &self,
        from: &str,
        to: &str,
        categories: &[String],
    ) -> Result<(Vec<Candidate>, usize)> {
        let mut out = Vec::new();
        let mut restricted = 0;
        for doc in self.documents()? {
            let details = self.details(&doc.id)?;
            let date = fields::get(&details.fields, "issue_date")
                .filter(|d| parse_day(d).is_some())
                .map(str::to_owned)
                .unwrap_or_else(|| doc.imported_at.get(..10).unwrap_or_default().to_owned());
            if date.as_str() < from || date.as_str() > to {
                continue;
            }
            let retention = self.retention_of(&doc.id)?;
            if !categories.is_empty()
                && !categories.iter().any(|c| same_text(c, &retention.category))
            {
                continue;
            }
            if retention.restricted_reason.is_some() {
                restricted += 1;
                continue;
            }
            let fields_digest =
                sha256_hex(&serde_json::to_vec(&details.fields).unwrap_or_default());
            out.push(Candidate {
                doc,
                date,
                category: retention.category,
                fields: details.fields,
                fields_digest,
                invoice: details.invoice,
                sent_as: None,
            });
        }
        out.sort_by(|a, b| (&a.date, &a.doc.id).cmp(&(&b.date, &b.doc.id)));
        Ok((out, restricted))
    }

    /// Was this document, in any version, sent to `recipient`?
    fn ever_sent(&self, recipient: &str, doc_id: &str) -> Result<bool> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT b.recipient FROM bundle_documents bd JOIN bundles b ON b.id = bd.bundle_id
             WHERE bd.doc_id = ?1",
        )?;
        let rows = stmt.query_map([doc_id], |r| r.get::<_, String>(0))?;
        for r in rows {
            if same_text(&r?, recipient) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Was this document, with this content and these fields, already sent to `recipient`?
    fn already_sent(&self, recipient: &str, c: &Candidate) -> Result<bool> {
        let mut stmt = self.conn().prepare(
            "SELECT b.recipient FROM bundle_documents bd JOIN bundles b ON b.id = bd.bundle_id
             WHERE bd.doc_id = ?1 AND bd.sha256 = ?2 AND bd.fields_digest = ?3",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![c.doc.id, c.doc.sha256, c.fields_digest],
            |r| r.get::<_, String>(0),
        )?;
        for r in rows {
            if same_text(&r?, recipient) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What a request would put in a bundle: the period, the covering consent if any, and the
    /// documents (restricted ones and, with `since_last`, unchanged ones left out).
    pub(super) fn bundle_selection(&self, req: &BundleRequest) -> Result<Selection> {
        let (from, to) = parse_period(&req.period)?;
        let recipient = req.recipient.trim().to_owned();
        if recipient.is_empty() {
            return Err(Error::invalid("recipient", Why::Required));
        }
        let purpose = req
            .purpose
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let categories: Vec<String> = req
            .categories
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let consent = self.consent_covering(&recipient, purpose, &from, &to, &categories)?;
        // Until crate::storage::schema::BUNDLES joins the index migrations (idempotent afterwards).
        self.conn().execute_batch(crate::storage::schema::BUNDLES)?;
        let (candidates, restricted_skipped) = self.bundle_candidates(&from, &to, &categories)?;
        let mut chosen = Vec::new();
        let mut unchanged_skipped = 0;
        for mut c in candidates {
            if req.since_last && self.already_sent(&recipient, &c)? {
                unchanged_skipped += 1;
                continue;
            }
            if req.since_last {
                // The PDF went in an earlier bundle and its Factur-X (now the original) comes
                // in this one: the accountant has booked the invoice already.
                let original = c.invoice.copy_of.as_ref().map(|o| o.id.clone());
                let group = original
                    .into_iter()
                    .chain(c.invoice.copies.iter().map(|o| o.id.clone()))
                    .filter(|id| *id != c.doc.id);
                for id in group {
                    if self.ever_sent(&recipient, &id)? {
                        c.sent_as = Some(id);
                        break;
                    }
                }
            }
            chosen.push(c);
        }
        Ok(Selection {
            from,
            to,
            recipient,
            purpose: purpose.map(str::to_owned),
            categories,
            consent,
            chosen,
            restricted_skipped,
            unchanged_skipped,
        })
    }

    /// What [`Vault::bundle_create`] would write for `req` (its `password` and `out` are not
    /// used), without writing anything or recording anything: for a look before sending.
    pub fn bundle_preview(&self, req: &BundleRequest) -> Result<BundlePreview> {
        let sel = self.bundle_selection(req)?;
        let mut sums = crate::vault::browse::CurrencySums::default();
        // Each invoice counts once.
        let copies = copies_within(&sel.chosen);
        for (c, _) in sel.chosen.iter().zip(&copies).filter(|(_, o)| o.is_none()) {
            let field = |name: &str| c.fields.get(name).and_then(Value::as_str);
            let Some(v) = field("total_with_vat").and_then(crate::records::fields::scaled_e4)
            else {
                continue;
            };
            let credit = field("type_code").is_some_and(crate::records::fields::is_credit_note);
            sums.add(field("currency").unwrap_or_default(), v, credit);
        }
        Ok(BundlePreview {
            period_from: sel.from,
            period_to: sel.to,
            consent: sel.consent,
            documents: sel.chosen.len(),
            document_ids: sel.chosen.iter().map(|c| c.doc.id.clone()).collect(),
            restricted_skipped: sel.restricted_skipped,
            unchanged_skipped: sel.unchanged_skipped,
            by_currency: sums.into_totals(),
        })
    }
}
