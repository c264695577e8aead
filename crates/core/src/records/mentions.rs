//! The mandatory mentions check for invoices received from French suppliers: what the invoice
//! should state and does not, so the owner can ask the supplier for a corrected invoice.
//!
//! The classic mentions (Code général des impôts, art. 242 nonies A of annex II; Code de
//! commerce L441-9): number, issue date, seller's name, SIREN and VAT id, buyer's name, totals,
//! VAT per rate, due date. The reform's added mentions, for invoices issued from 1 September 2026:
//! the buyer's SIREN, the category of the operation (goods, services or both), the option for
//! VAT on debits (services), and the delivery address when it differs from the buyer's.
//!
//! Promises: the check runs only where it means something (an invoice-like document that is not a
//! sale, from a supplier that is French or whose country is unknown; not on credit notes' due
//! dates); it reads the effective fields and, for what structured data cannot say of a PDF, the
//! document's text; a mention that depends on facts no document states (the VAT-on-debits
//! option, a different delivery address) is reported as `check`, never as `missing`.

use serde::Serialize;
use serde_json::Value;

use crate::records::direction::{Direction, id_keys, is_invoice_format};
use crate::records::fields::{get, is_credit_note};

/// One mention the invoice lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Mention {
    /// Which (`number`, `issue_date`, `seller_name`, `seller_siren`, `seller_vat_id`,
    /// `buyer_name`, `totals`, `vat_breakdown`, `due_date`, `buyer_siren`,
    /// `operation_category`, `vat_on_debits`, `delivery_address`).
    pub mention: String,
    /// `missing` (the invoice does not state it) or `check` (it may be required: look).
    pub severity: String,
}

/// The first day the reform's added mentions are required on e-invoices (the large and
/// mid-size companies that issue them from then on).
pub const REFORM_START: &str = "2026-09-01";
/// The first day every issuer must state them (small businesses issue e-invoices from then on):
/// before, on a PDF or paper invoice, their absence is reported as `check`.
pub const REFORM_ALL: &str = "2027-09-01";
/// Invoices up to this amount without VAT may be simplified (CGI art. 242 nonies B): the
/// buyer's identity is not required.
const SIMPLIFIED_UP_TO: &str = "150";

fn has_siren(fields: &Value, party: &str) -> bool {
    ["legal_id", "vat_id"]
        .iter()
        .filter_map(|k| get(fields, &format!("{party}.{k}")))
        .any(|id| id_keys(id).iter().any(|k| k.starts_with("SIREN:")))
}

fn fold(text: &str) -> String {
    crate::records::direction::name_key(text)
}

/// Whether the check applies to a document (see the module documentation).
pub fn applies(fields: &Value, direction: Direction) -> bool {
    if direction == Direction::Sale || !get(fields, "format").is_some_and(is_invoice_format) {
        return false;
    }
    let vat = get(fields, "seller.vat_id").map(|v| v.trim().to_ascii_uppercase());
    match vat {
        Some(v) if v.len() > 2 && v.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic) => {
            v.starts_with("FR")
        }
        _ => true,
    }
}

/// The mentions a received French invoice lacks; empty when the check does not apply.
/// `text` is the document's text (PDFs, scans), used for what fields cannot say.
pub fn missing(fields: &Value, direction: Direction, text: Option<&str>) -> Vec<Mention> {
    if !applies(fields, direction) {
        return Vec::new();
    }
    let text = fold(text.unwrap_or_default());
    let has = |p: &str| get(fields, p).is_some_and(|v| !v.trim().is_empty());
    let said = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let mut out = Vec::new();
    let mut report = |mention: &str, severity: &str| {
        out.push(Mention {
            mention: mention.to_owned(),
            severity: severity.to_owned(),
        });
    };
    // A supplier under the VAT franchise (CGI art. 293 B) charges no VAT and has no VAT
    // breakdown to show, usually no VAT id either.
    let franchise = said(&["293 b", "293b"]);
    let simplified = get(fields, "total_without_vat")
        .and_then(coffre_extract::amount::Decimal::parse)
        .zip(coffre_extract::amount::Decimal::parse(SIMPLIFIED_UP_TO))
        .and_then(|(net, limit)| limit.checked_sub(net))
        .is_some_and(|room| !room.to_plain_string().starts_with('-'));
    for (mention, present) in [
        ("number", has("number")),
        ("issue_date", has("issue_date")),
        ("seller_name", has("seller.name")),
        (
            "seller_siren",
            has_siren(fields, "seller") || said(&["siren", "siret", "rcs"]),
        ),
        ("seller_vat_id", has("seller.vat_id") || franchise),
        (
            "buyer_name",
            has("buyer.name") || has("buyer.vat_id") || simplified,
        ),
        (
            "totals",
            has("total_with_vat") && (has("total_without_vat") || has("total_vat")),
        ),
        (
            "vat_breakdown",
            !crate::records::vat::lines(fields).is_empty() || franchise,
        ),
    ] {
        if !present {
            report(mention, "missing");
        }
    }
    let credit = get(fields, "type_code").is_some_and(is_credit_note);
    if !credit && !has("due_date") && !said(&["echeance", "date de paiement", "payable le"]) {
        report("due_date", "missing");
    }
    let date = get(fields, "issue_date");
    if date.is_some_and(|d| d < REFORM_START) {
        return out;
    }
    let structured =
        !crate::records::fields::is_read_from_text(get(fields, "format").unwrap_or(""));
    // An e-invoice from the reform's start, or any invoice once every issuer is in, must state
    // them; a PDF of the year between may come from a business not yet in the reform.
    let required = if structured || date.is_none_or(|d| d >= REFORM_ALL) {
        "missing"
    } else {
        "check"
    };
    // The buyer's SIREN: BT-47, or one printed beside the seller's.
    let buyer_siren = has_siren(fields, "buyer")
        || simplified
        || (!structured && text.matches("siren").count() + text.matches("siret").count() >= 2);
    if !buyer_siren {
        report("buyer_siren", required);
    }
    // The category of the operation: the French business process codes (B goods, S services,
    // M both) or the words.
    let process = get(fields, "business_process").map(|p| p.trim().to_ascii_uppercase());
    let category = process
        .as_deref()
        .and_then(|p| p.chars().next().filter(|_| p.len() == 2))
        .filter(|c| matches!(c, 'B' | 'S' | 'M'));
    let category = category.or_else(|| {
        if said(&[
            "livraison de biens",
            "livraisons de biens",
            "biens et services",
            "operation mixte",
        ]) {
            Some('M')
                .filter(|_| said(&["biens et services", "operation mixte"]))
                .or(Some('B'))
        } else if said(&["prestation de services", "prestations de services"]) {
            Some('S')
        } else {
            None
        }
    });
    if category.is_none() {
        report("operation_category", required);
    }
    // VAT on debits: stated by BT-8 "due at the invoice date" (UNTDID 2475 code 5 in CII,
    // UNTDID 2005 code 3 in UBL) or in words; required only when the supplier opted for it,
    // which no document says otherwise.
    let debits = get(fields, "vat_point_code").is_some_and(|c| matches!(c.trim(), "3" | "5"))
        || said(&["debits"]);
    if category != Some('B') && !debits {
        report("vat_on_debits", "check");
    }
    if category != Some('S') && !has("delivery_address") && structured {
        report("delivery_address", "check");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(m: &[Mention]) -> Vec<String> {
        m.iter()
            .map(|m| format!("{}:{}", m.mention, m.severity))
            .collect()
    }

    fn complete_2026() -> Value {
        json!({
            "format": "cii", "number": "F-1", "issue_date": "2026-10-02", "due_date": "2026-11-01",
            "type_code": "380", "business_process": "S1", "vat_point_code": "3",
            "seller": { "name": "Au bon moulin", "vat_id": "FR11999999998", "legal_id": "99999999800010" },
            "buyer": { "name": "Ma jolie boutique", "legal_id": "787878784" },
            "total_without_vat": "1000.00", "total_vat": "200.00", "total_with_vat": "1200.00",
            "vat_breakdown": [{ "rate": "20", "taxable_amount": "1000.00", "tax_amount": "200.00" }]
        })
    }

    #[test]
    fn a_complete_received_invoice_lacks_nothing() {
        assert!(missing(&complete_2026(), Direction::Purchase, None).is_empty());
    }

    #[test]
    fn the_reform_mentions_are_asked_from_september_2026() {
        let mut f = complete_2026();
        f["buyer"]["legal_id"] = Value::Null;
        f["business_process"] = Value::Null;
        f["vat_point_code"] = Value::Null;
        assert_eq!(
            names(&missing(&f, Direction::Unknown, None)),
            [
                "buyer_siren:missing",
                "operation_category:missing",
                "vat_on_debits:check",
                "delivery_address:check"
            ]
        );
        f["issue_date"] = json!("2026-08-31");
        assert!(missing(&f, Direction::Purchase, None).is_empty());
    }

    #[test]
    fn classic_mentions_and_where_the_check_does_not_apply() {
        let f = json!({ "format": "pdf-text", "issue_date": "2025-03-01",
                        "seller": { "name": "Boulangerie" }, "total_with_vat": "12.00" });
        assert_eq!(
            names(&missing(
                &f,
                Direction::Purchase,
                Some("Facture, échéance à réception")
            )),
            [
                "number:missing",
                "seller_siren:missing",
                "seller_vat_id:missing",
                "buyer_name:missing",
                "totals:missing",
                "vat_breakdown:missing"
            ]
        );
        // Issued by the owner, from a German supplier, or not an invoice: nothing to check.
        assert!(missing(&f, Direction::Sale, None).is_empty());
        let mut german = complete_2026();
        german["seller"]["vat_id"] = json!("DE123456789");
        german["number"] = Value::Null;
        assert!(missing(&german, Direction::Purchase, None).is_empty());
        assert!(missing(&json!({ "format": "message" }), Direction::Unknown, None).is_empty());
    }

    #[test]
    fn franchise_small_amounts_and_pdfs_before_every_issuer_is_in() {
        // A sole trader under the VAT franchise: no VAT id, no breakdown, and that is right.
        let f = json!({ "format": "pdf-text", "number": "12", "issue_date": "2026-03-02",
                        "due_date": "2026-04-01", "seller": { "name": "Atelier" },
                        "buyer": { "name": "Client" }, "total_with_vat": "80.00",
                        "total_without_vat": "80.00" });
        let text = "SIRET 123 456 789 00012 - TVA non applicable, art. 293 B du CGI";
        assert!(missing(&f, Direction::Purchase, Some(text)).is_empty());
        // A PDF of 2026-10 from a business that may not issue e-invoices yet: to check; the
        // same from 2027-09: missing; up to 150 EUR without VAT, no buyer identity asked.
        let mut f = complete_2026();
        f["format"] = json!("pdf-text");
        f["buyer"] = json!({ "name": "Ma jolie boutique" });
        f["business_process"] = Value::Null;
        let sev = |f: &Value| {
            names(&missing(
                f,
                Direction::Purchase,
                Some("RCS Lyon 999 999 998"),
            ))
        };
        assert_eq!(sev(&f), ["buyer_siren:check", "operation_category:check"]);
        f["issue_date"] = json!("2027-09-01");
        assert_eq!(
            sev(&f),
            ["buyer_siren:missing", "operation_category:missing"]
        );
        f["total_without_vat"] = json!("150.00");
        assert_eq!(sev(&f), ["operation_category:missing"]);
    }

    #[test]
    fn a_pdf_states_its_category_and_option_in_words() {
        let mut f = complete_2026();
        f["format"] = json!("pdf-text");
        f["business_process"] = Value::Null;
        f["vat_point_code"] = Value::Null;
        f["buyer"]["legal_id"] = Value::Null;
        let text = "SIREN 999 999 998 ... Client SIREN 787 878 784. Prestations de services. \
                    Option pour le paiement de la taxe d'après les débits.";
        assert!(missing(&f, Direction::Purchase, Some(text)).is_empty());
    }
}
