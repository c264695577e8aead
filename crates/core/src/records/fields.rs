//! Invoice fields as the owner sees them: what extraction found, overlaid with the owner's
//! corrections, and the derived forms the index needs (filter columns, full-text).
//!
//! Promises: an extraction is never modified; corrections are kept beside it, with their history,
//! and always win over extracted values (also after a re-extraction). Corrected values are
//! validated like extracted ones: dates `YYYY-MM-DD`, amounts exact decimals with a dot, currency
//! ISO 4217 letters, IBAN with a valid checksum.

use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Why;
use crate::{Error, Result};

/// Fields the owner may correct, by path in the extraction JSON.
pub const CORRECTABLE: &[&str] = &[
    "number",
    "issue_date",
    "due_date",
    "type_code",
    "currency",
    "seller.name",
    "seller.vat_id",
    "seller.legal_id",
    "buyer.name",
    "buyer.vat_id",
    "buyer.legal_id",
    "total_without_vat",
    "total_vat",
    "total_with_vat",
    "amount_due",
    "iban",
    "vat_breakdown",
    "direction",
];

/// Correctable fields that are not text the owner searches for.
const NOT_SEARCHED: [&str; 2] = ["vat_breakdown", "direction"];

/// One correction of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Correction {
    /// The field path (`number`, `seller.name`, ...).
    pub field: String,
    /// The value before (extracted or previously corrected).
    pub old_value: Option<String>,
    /// The value set; `None` clears the field.
    pub new_value: Option<String>,
    /// When, RFC 3339 UTC.
    pub at: String,
}

/// Type codes of credit notes (UNTDID 1001). Every reading path gives a credit note's amounts
/// positive, as EN 16931 does: the type code says it reduces what is owed, and sums subtract it.
pub const CREDIT_NOTE_CODES: [&str; 11] = [
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

/// Whether a UNTDID 1001 type code is a credit note's.
pub fn is_credit_note(code: &str) -> bool {
    CREDIT_NOTE_CODES.contains(&code.trim())
}

/// [`CREDIT_NOTE_CODES`] as an SQL list (`'81','83',...`), for `IN (...)`.
pub fn credit_note_sql_list() -> String {
    CREDIT_NOTE_CODES.map(|c| format!("'{c}'")).join(",")
}

/// Whether an extraction of this format was read from a text by heuristics (a PDF's text, or
/// OCR's in a scan or photo) rather than exactly from an e-invoice: its values are estimates.
pub fn is_read_from_text(format: &str) -> bool {
    matches!(format, "pdf-text" | "pdf-scan" | "image")
}

fn is_date(v: &str) -> bool {
    crate::support::dates::parse_ymd(v).is_some()
}

/// Checks (and normalises) a value for `field`; `None` or blank clears it.
pub fn validate(field: &str, value: Option<&str>) -> Result<Option<String>> {
    if !CORRECTABLE.contains(&field) {
        return Err(Error::invalid(
            "field",
            Why::NotOneOf {
                value: field.to_owned(),
                allowed: CORRECTABLE.join(", "),
            },
        ));
    }
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = |why: Why| Error::invalid(field, why);
    let value = || v.to_owned();
    let v = match field {
        "issue_date" | "due_date" if !is_date(v) => {
            return Err(bad(Why::BadFormat {
                value: value(),
                format: "YYYY-MM-DD".into(),
            }));
        }
        "total_without_vat" | "total_vat" | "total_with_vat" | "amount_due" => amount(field, v)?,
        "currency" => {
            let up = v.to_ascii_uppercase();
            if up.len() != 3 || !up.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(Why::NotACurrency { value: value() }));
            }
            up
        }
        "vat_breakdown" => crate::records::vat::format(&crate::records::vat::parse(v)?),
        "direction" => crate::records::direction::Direction::parse(v)?
            .as_str()
            .to_owned(),
        "iban" => {
            let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            let compact = compact.to_ascii_uppercase();
            if !coffre_extract::checks::is_iban(&compact) {
                return Err(bad(Why::NotAnIban { value: value() }));
            }
            compact
        }
        _ => v.to_owned(),
    };
    Ok(Some(v))
}

/// An amount the owner typed (`1234,50` or `1234.50`) as an exact decimal with a dot; refused
/// when it is not one (no sign `+`, no spaces, no formula).
pub fn amount(field: &str, v: &str) -> Result<String> {
    let dotted = v.trim().replace(',', ".");
    if coffre_extract::amount::Decimal::parse(&dotted).is_none() || dotted.contains('+') {
        return Err(Error::invalid(
            field,
            Why::NotAnAmount {
                value: v.trim().to_owned(),
            },
        ));
    }
    Ok(dotted)
}

/// The value at a field path (`seller.name`) of an extraction JSON.
pub fn get<'a>(data: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.')
        .try_fold(data, |v, key| v.get(key))
        .and_then(Value::as_str)
}

pub(crate) fn set(data: &mut Value, path: &str, value: Option<&str>) {
    let mut target = data;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if keys.peek().is_none() {
            if let Some(obj) = target.as_object_mut() {
                obj.insert(key.to_owned(), value.map_or(Value::Null, |v| json!(v)));
            }
            return;
        }
        if target.get(key).is_none_or(|v| !v.is_object())
            && let Some(obj) = target.as_object_mut()
        {
            obj.insert(key.to_owned(), json!({}));
        }
        match target.get_mut(key) {
            Some(next) => target = next,
            None => return,
        }
    }
}

/// The extraction with the latest correction of each field applied; corrected fields get
/// `"source": "correction"` in `fields`. A stored extraction whose currency is not three capital
/// letters (one made before extraction checked types, or by a misbehaving worker) has it read as
/// null: such a value never reaches the index, a bundle or an export.
pub fn effective(extraction: &Value, corrections: &[Correction]) -> Value {
    let mut out = extraction.clone();
    if !out.is_object() {
        out = json!({});
    }
    if out.get("currency").is_some_and(|c| {
        !c.as_str()
            .is_some_and(coffre_extract::model::is_currency_code)
    }) && let Some(obj) = out.as_object_mut()
    {
        obj.insert("currency".into(), Value::Null);
    }
    for c in corrections {
        if c.field == "vat_breakdown" {
            // Stored in the owner's text form; the JSON gets the extraction's shape.
            let lines = c.new_value.as_deref().map(crate::records::vat::parse);
            if let (Some(obj), Some(Ok(lines))) = (out.as_object_mut(), lines) {
                obj.insert("vat_breakdown".into(), crate::records::vat::to_json(&lines));
            } else if c.new_value.is_none()
                && let Some(obj) = out.as_object_mut()
            {
                obj.insert("vat_breakdown".into(), json!([]));
            }
        } else {
            set(&mut out, &c.field, c.new_value.as_deref());
        }
        if let Some(fields) = out.get_mut("fields").and_then(Value::as_object_mut) {
            match &c.new_value {
                Some(_) => {
                    fields.insert(
                        c.field.clone(),
                        json!({ "source": "correction", "confidence": 1.0 }),
                    );
                }
                None => {
                    fields.remove(&c.field);
                }
            }
        }
    }
    out
}

/// An amount as an integer count of 1/10,000 units, for range filters (exact up to 4 decimals;
/// further decimals are cut).
pub fn scaled_e4(amount: &str) -> Option<i64> {
    coffre_extract::amount::Decimal::parse(amount)?;
    let (neg, body) = match amount.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.trim().trim_start_matches('+')),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut frac4: String = frac.chars().take(4).collect();
    while frac4.len() < 4 {
        frac4.push('0');
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let v = int
        .checked_mul(10_000)?
        .checked_add(frac4.parse::<i64>().ok()?)?;
    Some(if neg { -v } else { v })
}

const MONTHS: [[&str; 3]; 12] = [
    ["january", "janvier", "januar"],
    ["february", "fevrier", "februar"],
    ["march", "mars", "marz"],
    ["april", "avril", "april"],
    ["may", "mai", "mai"],
    ["june", "juin", "juni"],
    ["july", "juillet", "juli"],
    ["august", "aout", "august"],
    ["september", "septembre", "september"],
    ["october", "octobre", "oktober"],
    ["november", "novembre", "november"],
    ["december", "decembre", "dezember"],
];

/// The searchable text of the fields: values, amounts in the usual spellings (1234.56,
/// 1234,56), the issue month's name in English, French and German, and the item names.
pub fn search_text(data: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    for path in CORRECTABLE.iter().filter(|p| !NOT_SEARCHED.contains(p)) {
        let Some(v) = get(data, path) else { continue };
        parts.push(v.to_owned());
        if path.starts_with("total") || *path == "amount_due" {
            parts.push(v.replace('.', ","));
        }
    }
    if let Some(date) = get(data, "issue_date")
        && let Some(m) = date.get(5..7).and_then(|m| m.parse::<usize>().ok())
        && (1..=12).contains(&m)
    {
        parts.extend(MONTHS[m - 1].iter().map(|s| (*s).to_owned()));
    }
    if let Some(lines) = data.get("lines").and_then(Value::as_array) {
        for line in lines {
            if let Some(name) = line.get("name").and_then(Value::as_str) {
                parts.push(name.to_owned());
            }
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_normalises_or_refuses() {
        assert_eq!(
            validate("total_with_vat", Some("1234,50"))
                .unwrap()
                .unwrap(),
            "1234.50"
        );
        assert!(validate("total_with_vat", Some("1 234,50")).is_err());
        assert!(validate("issue_date", Some("14/10/2026")).is_err());
        assert!(validate("issue_date", Some("2026-02-30")).is_err());
        assert_eq!(validate("currency", Some("eur")).unwrap().unwrap(), "EUR");
        assert_eq!(
            validate("iban", Some("fr76 3000 6000 0112 3456 7890 189"))
                .unwrap()
                .unwrap(),
            "FR7630006000011234567890189"
        );
        assert!(validate("iban", Some("FR7630006000011234567890188")).is_err());
        assert_eq!(validate("seller.name", Some("  ")).unwrap(), None);
        assert!(validate("size", Some("1")).is_err());
    }

    #[test]
    fn corrections_overlay_the_extraction() {
        let extracted = json!({
            "number": "F-1", "seller": { "name": "ACME", "vat_id": null },
            "fields": { "number": { "source": "text", "confidence": 0.8 }, "seller.name": { "source": "text", "confidence": 0.7 } }
        });
        let c = |field: &str, v: Option<&str>| Correction {
            field: field.into(),
            old_value: None,
            new_value: v.map(Into::into),
            at: String::new(),
        };
        let eff = effective(
            &extracted,
            &[
                c("number", Some("F-2")),
                c("seller.vat_id", Some("FR40303265045")),
                c("seller.name", None),
            ],
        );
        assert_eq!(get(&eff, "number"), Some("F-2"));
        assert_eq!(eff["fields"]["number"]["source"], "correction");
        assert_eq!(get(&eff, "seller.vat_id"), Some("FR40303265045"));
        assert_eq!(eff["seller"]["name"], Value::Null);
        assert!(eff["fields"].get("seller.name").is_none());
        assert_eq!(
            extracted["number"], "F-1",
            "the extraction itself is untouched"
        );
        let hostile = json!({ "currency": "=HYPERLINK(\"http://x\",\"y\")" });
        assert_eq!(effective(&hostile, &[])["currency"], Value::Null);
        assert_eq!(
            effective(&json!({ "currency": "EUR" }), &[])["currency"],
            "EUR"
        );
        assert!(effective(&json!({}), &[]).get("currency").is_none());
    }

    #[test]
    fn amounts_scale_exactly() {
        assert_eq!(scaled_e4("1234.56"), Some(12_345_600));
        assert_eq!(scaled_e4("-0.5"), Some(-5_000));
        assert_eq!(scaled_e4("10"), Some(100_000));
        assert_eq!(scaled_e4("1.23456"), Some(12_345));
        assert_eq!(scaled_e4("abc"), None);
    }

    #[test]
    fn search_text_has_months_and_amount_spellings() {
        let t = search_text(
            &json!({ "issue_date": "2026-03-14", "total_with_vat": "1234.56",
                                      "lines": [{ "name": "Croissants" }] }),
        );
        for w in ["march", "mars", "1234.56", "1234,56", "Croissants"] {
            assert!(t.contains(w), "{w} missing in {t}");
        }
    }
}
