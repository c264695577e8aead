//! The extraction result: what the crate returns and how it serialises.
//!
//! [`Extraction`] serialises (with serde) to the JSON object that is the crate's contract with the
//! rest of Coffre: `format`, `profile`, `number`, `issue_date`, `due_date`, `type_code`,
//! `currency`, `seller` {`name`, `vat_id`, `legal_id`}, `buyer` {`name`, `vat_id`},
//! `total_without_vat`, `total_vat`, `total_with_vat`, `amount_due`, `iban`, `fields`, plus the
//! additions `vat_breakdown`, `lines`, `needs_review`, `issues` and `media_type`. Unknown values
//! are `null`; amounts are decimal strings with a dot; dates are `YYYY-MM-DD`. The extracted plain
//! text is kept out of the JSON (see [`Extraction::text`]).
//!
//! Each `vat_breakdown` item is `{category, rate, taxable_amount, tax_amount, base, amount}`:
//! `base` repeats `taxable_amount` and `amount` repeats `tax_amount` (the short names are an
//! addition; the long ones stay), so `vat_breakdown: [{rate, base, amount}]` reads as well. The
//! rows come from the XML (BG-23) of a structured invoice, or from a VAT summary printed in the
//! text of a plain PDF when its rows agree with their rates and the totals (source `text`).
//!
//! ```
//! use coffre_extract::VatBreakdown;
//! let row = VatBreakdown {
//!     category: Some("S".into()),
//!     rate: Some("20".into()),
//!     taxable_amount: Some("100.00".into()),
//!     tax_amount: Some("20.00".into()),
//! };
//! assert_eq!(
//!     serde_json::to_string(&row).unwrap(),
//!     r#"{"category":"S","rate":"20","taxable_amount":"100.00","tax_amount":"20.00","base":"100.00","amount":"20.00"}"#
//! );
//! ```
//!
//! Every value has its type checked before it leaves the crate ([`Extraction::check_types`],
//! run by [`crate::extract`] on every result): a currency is three ASCII capital letters (the
//! ISO 4217 shape), a type code one to three digits, a date a real `YYYY-MM-DD`, an amount an
//! exact decimal. A value of the wrong type (a currency `=HYPERLINK(...)` in a hostile XML) is
//! dropped (`null`) with an issue, never passed on.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

/// The kind of document the bytes turned out to be, in order of trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    /// A PDF carrying an embedded CII e-invoice (Factur-X, ZUGFeRD 1.0 and 2.x, XRechnung in
    /// PDF); `profile` tells ZUGFeRD 1.0 apart (`ZUGFeRD 1.0 COMFORT`).
    #[serde(rename = "factur-x")]
    FacturX,
    /// A standalone UBL 2.1 Invoice or CreditNote.
    #[serde(rename = "ubl")]
    Ubl,
    /// A standalone UN/CEFACT CII CrossIndustryInvoice (D16B) or ZUGFeRD 1.0
    /// CrossIndustryDocument (`profile` `ZUGFeRD 1.0 ...`).
    #[serde(rename = "cii")]
    Cii,
    /// A PDF without an embedded e-invoice, read through its text.
    #[serde(rename = "pdf-text")]
    PdfText,
    /// A PDF without a text layer whose pages are images, read by OCR.
    #[serde(rename = "pdf-scan")]
    PdfScan,
    /// A PNG or JPEG image, read by OCR.
    #[serde(rename = "image")]
    Image,
    /// An e-mail message (`.eml` or Outlook `.msg`): its headers and body are read, its
    /// attachments are documents of their own.
    #[serde(rename = "message")]
    Message,
    /// A lifecycle status message of e-invoicing platforms (UN/CEFACT CDAR,
    /// `CrossDomainAcknowledgementAndResponse`): the statuses are in `lifecycle`.
    #[serde(rename = "cdar")]
    Cdar,
    /// Anything else.
    #[serde(rename = "other")]
    Other,
}

/// Where a field's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Read from structured XML (exact).
    Xml,
    /// Guessed from plain text by label heuristics.
    Text,
    /// Guessed by the same heuristics from the text OCR read in page images.
    Ocr,
}

/// An e-mail message's envelope, as it says it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageInfo {
    /// `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// The sender (`Name <address>`).
    pub from: Option<String>,
    /// The recipients.
    pub to: Vec<String>,
    /// The copied recipients.
    pub cc: Vec<String>,
    /// When it was sent (RFC 3339).
    pub date: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// Its attachments (nested messages and ZIP archives opened: `archive.zip/facture.pdf`).
    pub attachments: Vec<AttachmentInfo>,
}

/// One attachment of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// Its file name (inside its container, if any).
    pub name: String,
    /// The media type the message declares.
    pub media_type: String,
    /// Bytes.
    pub size: u64,
    /// Shown in the body rather than attached (`Content-Disposition: inline`).
    pub inline: bool,
}

/// What OCR did on a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OcrRun {
    /// The engine and its version (`tesseract 5.3.0`).
    pub engine: String,
    /// The languages it read, `+`-separated (`fra+eng+deu`).
    pub languages: String,
    /// How many page images the document has (OCR reads at most `Limits::ocr_max_pages`).
    pub pages_total: usize,
    /// The words' mean confidence over the pages read, 0 to 1.
    pub mean_confidence: f64,
    /// Each page read.
    pub pages: Vec<OcrPage>,
}

/// One page OCR read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OcrPage {
    /// Its number, from 1.
    pub page: usize,
    /// The clockwise turn that made it upright before reading (0, 90, 180 or 270 degrees).
    pub rotation: u16,
    /// The tilt straightened before reading, degrees (positive: its lines fell to the right).
    pub skew: f64,
    /// The resolution it was read at, dots per inch.
    pub dpi: u32,
    /// Its words' mean confidence, 0 to 1.
    pub confidence: f64,
    /// How many words were read.
    pub words: usize,
}

/// Provenance of one non-null field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldInfo {
    /// Where the value came from.
    pub source: Source,
    /// Confidence in [0, 1]; 1.0 for values read from XML.
    pub confidence: f64,
}

/// The seller (BG-4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Seller {
    /// BT-27 seller name.
    pub name: Option<String>,
    /// BT-31 seller VAT identifier.
    pub vat_id: Option<String>,
    /// BT-30 seller legal registration identifier (SIREN/SIRET in France).
    pub legal_id: Option<String>,
}

/// The buyer (BG-7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Buyer {
    /// BT-44 buyer name.
    pub name: Option<String>,
    /// BT-48 buyer VAT identifier.
    pub vat_id: Option<String>,
    /// BT-47 buyer legal registration identifier (SIREN/SIRET in France).
    pub legal_id: Option<String>,
}

/// One status a lifecycle message (CDAR) reports about one invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LifecycleStatus {
    /// The invoice's number (MDT-87), as written.
    pub number: Option<String>,
    /// The invoice's issue date, `YYYY-MM-DD`, when given.
    pub issue_date: Option<String>,
    /// Identifiers of the invoice's issuer (MDT-129: SIREN, SIRET, VAT id), as written.
    pub issuer_ids: Vec<String>,
    /// The status code (MDT-105; French reform: 200 deposited ... 212 cashed, 213 rejected).
    pub code: String,
    /// When the status was reached, RFC 3339 or `YYYY-MM-DD`, when given.
    pub date: Option<String>,
    /// The reason given (MDT-113/114), if any.
    pub reason: Option<String>,
}

/// One VAT breakdown entry (BG-23). Serialises with two more keys than it has fields: `base`
/// (= `taxable_amount`) and `amount` (= `tax_amount`); see the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VatBreakdown {
    /// BT-118 VAT category code (S, Z, E, AE, K, G, O, L, M).
    pub category: Option<String>,
    /// BT-119 VAT rate in percent, as written.
    pub rate: Option<String>,
    /// BT-116 taxable amount, as written.
    pub taxable_amount: Option<String>,
    /// BT-117 tax amount, as written.
    pub tax_amount: Option<String>,
}

impl Serialize for VatBreakdown {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut row = serializer.serialize_struct("VatBreakdown", 6)?;
        row.serialize_field("category", &self.category)?;
        row.serialize_field("rate", &self.rate)?;
        row.serialize_field("taxable_amount", &self.taxable_amount)?;
        row.serialize_field("tax_amount", &self.tax_amount)?;
        row.serialize_field("base", &self.taxable_amount)?;
        row.serialize_field("amount", &self.tax_amount)?;
        row.end()
    }
}

/// One invoice line (BG-25), for structured invoices only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Line {
    /// BT-126 line identifier.
    pub id: Option<String>,
    /// BT-153 item name.
    pub name: Option<String>,
    /// BT-129 invoiced quantity, as written.
    pub quantity: Option<String>,
    /// BT-130 unit of measure code.
    pub unit_code: Option<String>,
    /// BT-131 line net amount, as written.
    pub net_amount: Option<String>,
    /// BT-152 VAT rate of the line, as written.
    pub vat_rate: Option<String>,
}

/// Everything extracted from one document. Never absent: problems are listed in `issues` and
/// raise `needs_review`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extraction {
    /// The document kind.
    pub format: Format,
    /// Guideline / profile (e.g. `EN 16931`, `BASIC`, `XRECHNUNG`) or the raw specification id.
    pub profile: Option<String>,
    /// BT-1 invoice number.
    pub number: Option<String>,
    /// BT-2 issue date, `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// BT-9 due date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// BT-3 type code (380 invoice, 381 credit note, ...).
    pub type_code: Option<String>,
    /// BT-5 invoice currency code.
    pub currency: Option<String>,
    /// The seller.
    pub seller: Seller,
    /// The buyer.
    pub buyer: Buyer,
    /// BT-109 total without VAT.
    pub total_without_vat: Option<String>,
    /// BT-110 total VAT in the invoice currency.
    pub total_vat: Option<String>,
    /// BT-112 total with VAT.
    pub total_with_vat: Option<String>,
    /// BT-115 amount due for payment.
    pub amount_due: Option<String>,
    /// BT-84 payee IBAN, without spaces.
    pub iban: Option<String>,
    /// Provenance of each non-null field, keyed by field path (`number`, `seller.name`, ...).
    pub fields: BTreeMap<String, FieldInfo>,
    /// BG-23 VAT breakdown: from the XML of structured invoices, from a printed VAT summary that
    /// agrees with the totals for plain PDFs (else empty).
    pub vat_breakdown: Vec<VatBreakdown>,
    /// BG-25 invoice lines (structured invoices).
    pub lines: Vec<Line>,
    /// What OCR did, when the document was read by OCR (scans and photos).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrRun>,
    /// What an e-mail message says of itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageInfo>,
    /// BT-23 business process type (in France, the "cadre de facturation": B1 goods, S1
    /// services, M1 mixed, ...), from structured invoices.
    pub business_process: Option<String>,
    /// BT-8 VAT point date code, from structured invoices: in CII UNTDID 2475 (5 invoice date,
    /// i.e. VAT on debits in France; 29 delivery date; 72 payment date), in UBL UNTDID 2005
    /// (3, 35, 432 for the same).
    pub vat_point_code: Option<String>,
    /// BG-15 deliver-to address, one line, from structured invoices.
    pub delivery_address: Option<String>,
    /// For a lifecycle message ([`Format::Cdar`]): the statuses it reports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle: Vec<LifecycleStatus>,
    /// True when a human should look at this document.
    pub needs_review: bool,
    /// Human-readable problems met while extracting.
    pub issues: Vec<String>,
    /// Media type of the input (`application/pdf`, `application/xml`, `image/png`, ...).
    pub media_type: String,
    /// Extracted plain text, for full-text search; not serialised.
    #[serde(skip)]
    pub text: Option<String>,
    /// True when a time budget ran out and a thread was left running: the caller should end
    /// the process that ran the extraction. Not serialised.
    #[serde(skip)]
    pub abandoned_work: bool,
}

impl Extraction {
    /// An empty result of the given format and media type.
    pub fn empty(format: Format, media_type: &str) -> Self {
        Extraction {
            format,
            profile: None,
            number: None,
            issue_date: None,
            due_date: None,
            type_code: None,
            currency: None,
            seller: Seller::default(),
            buyer: Buyer::default(),
            total_without_vat: None,
            total_vat: None,
            total_with_vat: None,
            amount_due: None,
            iban: None,
            fields: BTreeMap::new(),
            vat_breakdown: Vec::new(),
            lines: Vec::new(),
            ocr: None,
            message: None,
            business_process: None,
            vat_point_code: None,
            delivery_address: None,
            lifecycle: Vec::new(),
            needs_review: false,
            issues: Vec::new(),
            media_type: media_type.to_string(),
            text: None,
            abandoned_work: false,
        }
    }

    /// The extracted plain text (PDF text layer), if any.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Records a problem and flags the document for review.
    pub fn issue(&mut self, message: impl Into<String>) {
        self.issues.push(message.into());
        self.needs_review = true;
    }

    /// The contract JSON (without the plain text).
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail; fall back to a minimal object.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Every scalar field as (path, value), in contract order.
    pub fn field_values(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("number", self.number.as_deref()),
            ("issue_date", self.issue_date.as_deref()),
            ("due_date", self.due_date.as_deref()),
            ("type_code", self.type_code.as_deref()),
            ("currency", self.currency.as_deref()),
            ("seller.name", self.seller.name.as_deref()),
            ("seller.vat_id", self.seller.vat_id.as_deref()),
            ("seller.legal_id", self.seller.legal_id.as_deref()),
            ("buyer.name", self.buyer.name.as_deref()),
            ("buyer.vat_id", self.buyer.vat_id.as_deref()),
            ("total_without_vat", self.total_without_vat.as_deref()),
            ("total_vat", self.total_vat.as_deref()),
            ("total_with_vat", self.total_with_vat.as_deref()),
            ("amount_due", self.amount_due.as_deref()),
            ("iban", self.iban.as_deref()),
        ]
    }

    /// Drops every value that does not have its field's type, recording an issue for each (see
    /// the module documentation). Free-text fields (number, names, identifiers) are left as they
    /// are: whoever writes them out escapes them for their format.
    pub fn check_types(&mut self) {
        let mut issues = Vec::new();
        let mut check =
            |what: &str, slot: &mut Option<String>, ok: fn(&str) -> bool, kind: &str| {
                if let Some(v) = slot.as_deref()
                    && !ok(v)
                {
                    issues.push(format!("{what} {v:?} is not {kind}: dropped"));
                    *slot = None;
                }
            };
        check(
            "currency",
            &mut self.currency,
            is_currency_code,
            "a three-letter ISO 4217 currency code",
        );
        check(
            "type_code",
            &mut self.type_code,
            is_type_code,
            "a document type code (digits)",
        );
        check("issue_date", &mut self.issue_date, is_date, "a date");
        check("due_date", &mut self.due_date, is_date, "a date");
        for (what, slot) in [
            ("total_without_vat", &mut self.total_without_vat),
            ("total_vat", &mut self.total_vat),
            ("total_with_vat", &mut self.total_with_vat),
            ("amount_due", &mut self.amount_due),
        ] {
            check(what, slot, is_amount, "a decimal amount");
        }
        for b in &mut self.vat_breakdown {
            check("VAT rate", &mut b.rate, is_amount, "a decimal rate");
            check(
                "VAT taxable amount",
                &mut b.taxable_amount,
                is_amount,
                "a decimal amount",
            );
            check(
                "VAT amount",
                &mut b.tax_amount,
                is_amount,
                "a decimal amount",
            );
        }
        for l in &mut self.lines {
            check(
                "line amount",
                &mut l.net_amount,
                is_amount,
                "a decimal amount",
            );
        }
        for i in issues {
            self.issue(i);
        }
        self.drop_null_provenance();
    }

    /// Removes provenance entries of fields that are now null.
    fn drop_null_provenance(&mut self) {
        let null: Vec<&'static str> = self
            .field_values()
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k)
            .collect();
        for key in null {
            self.fields.remove(key);
        }
    }

    /// Sets `fields` so that every non-null scalar field has an entry with the given source and
    /// confidence, unless it already has one; removes entries of null fields.
    pub fn fill_provenance(&mut self, source: Source, confidence: f64) {
        let present: Vec<(&'static str, bool)> = self
            .field_values()
            .into_iter()
            .map(|(k, v)| (k, v.is_some()))
            .collect();
        for (key, is_set) in present {
            if is_set {
                self.fields
                    .entry(key.to_string())
                    .or_insert(FieldInfo { source, confidence });
            } else {
                self.fields.remove(key);
            }
        }
    }
}

/// Three ASCII capital letters: the shape of an ISO 4217 currency code (`EUR`, `USD`).
pub fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// One to three digits: an UNTDID 1001 document type code (`380`, `381`).
fn is_type_code(s: &str) -> bool {
    (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A real calendar day written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    crate::xml::iso_date(s).is_some()
}

/// An exact decimal number (`-12.50`).
fn is_amount(s: &str) -> bool {
    crate::amount::Decimal::parse(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_breakdown_rows_serialise_long_and_short_keys() {
        let mut e = Extraction::empty(Format::PdfText, "application/pdf");
        e.vat_breakdown.push(VatBreakdown {
            category: None,
            rate: Some("5.5".into()),
            taxable_amount: Some("543.00".into()),
            tax_amount: Some("29.87".into()),
        });
        e.vat_breakdown.push(VatBreakdown::default());
        let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        let rows = json["vat_breakdown"].as_array().unwrap();
        assert_eq!(
            rows[0],
            serde_json::json!({
                "category": null, "rate": "5.5", "taxable_amount": "543.00",
                "tax_amount": "29.87", "base": "543.00", "amount": "29.87"
            })
        );
        let keys: Vec<&str> = rows[1]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        assert!(rows[1]["base"].is_null() && rows[1]["amount"].is_null());
    }

    #[test]
    fn values_of_the_wrong_type_are_dropped_with_an_issue() {
        let mut e = Extraction::empty(Format::Ubl, "application/xml");
        e.currency = Some("=HYPERLINK(\"http://x\",\"y\")".into());
        e.type_code = Some("380".into());
        e.issue_date = Some("2026-02-30".into());
        e.total_with_vat = Some("-12.50".into());
        e.total_vat = Some("=1+1".into());
        e.vat_breakdown.push(VatBreakdown {
            rate: Some("20".into()),
            tax_amount: Some("@SUM(A1)".into()),
            ..VatBreakdown::default()
        });
        e.fill_provenance(Source::Xml, 1.0);
        e.check_types();
        assert_eq!(e.currency, None);
        assert_eq!(e.issue_date, None);
        assert_eq!(e.total_vat, None);
        assert_eq!(e.vat_breakdown[0].tax_amount, None);
        assert_eq!(e.vat_breakdown[0].rate.as_deref(), Some("20"));
        assert_eq!(e.type_code.as_deref(), Some("380"));
        assert_eq!(e.total_with_vat.as_deref(), Some("-12.50"));
        assert!(e.needs_review);
        assert_eq!(e.issues.len(), 4, "{:?}", e.issues);
        assert!(e.issues[0].contains("currency"), "{:?}", e.issues);
        assert!(!e.fields.contains_key("currency"));
        for ok in ["EUR", "USD", "GBP"] {
            assert!(is_currency_code(ok));
        }
        for bad in ["eur", "EURO", "E1R", "", "€", "=A1"] {
            assert!(!is_currency_code(bad), "{bad:?}");
        }
    }
}
