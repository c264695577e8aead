//! Reading the value of one label from a piece of text: an invoice number, a date, an amount,
//! a name or an identifier.
//!
//! Promises: values come normalised (dates `YYYY-MM-DD`, amounts `1234.56`, identifiers
//! compacted and checked); a number is at least 3 characters with a digit and is not a date; a
//! name has at least two letters and at most 80 characters. [`lone_value`] accepts a line only
//! when it holds nothing but the value (and currency signs).

use std::sync::LazyLock;

use regex::Regex;

use super::identifiers::{IBAN, VAT_ID, legal_id_in, valid_iban_in, valid_vat_in};
use super::labels::Label;
use super::{dates, numbers};

static NUMBER_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\s:.#°º]*(?:n[°º]\s*)?[:.]?\s*([A-Za-z0-9][A-Za-z0-9\-/_.]*)")
        .expect("static regex")
});

/// "1/2", "3/12": a page counter, not an invoice number.
static PAGE_COUNTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,2}/\d{1,2}$").expect("static regex"));

pub(crate) fn clean_name(s: &str) -> Option<String> {
    let t = s
        .trim()
        .trim_start_matches([':', '-', '–'])
        .trim()
        .trim_end_matches([',', ';', ':']);
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || t.chars().count() > 80 {
        return None;
    }
    Some(t.to_string())
}

/// Reads the value of one label from a piece of text.
pub(super) fn value_for(label: Label, region: &str) -> Option<String> {
    match label {
        Label::Number => {
            let c = NUMBER_TOKEN.captures(region)?;
            let tok = c.get(1)?.as_str().trim_end_matches(['.', '/', '-', '_']);
            let ok = (3..=30).contains(&tok.len())
                && tok.chars().any(|ch| ch.is_ascii_digit())
                && dates::find_dates(tok).is_empty()
                && !PAGE_COUNTER.is_match(tok);
            ok.then(|| tok.to_string())
        }
        Label::IssueDate | Label::DueDate => {
            dates::find_dates(region).into_iter().next().map(|d| d.2)
        }
        Label::Net | Label::Vat | Label::Gross | Label::Due => {
            numbers::find_amounts(region).pop().map(|a| a.1)
        }
        Label::Seller | Label::Buyer => clean_name(region).filter(|n| {
            // An identifier ("Customer: 2", "Nummer 12345") is not a name.
            let digits = n.chars().filter(char::is_ascii_digit).count();
            digits <= n.chars().filter(|c| c.is_alphabetic()).count()
        }),
        Label::VatId => VAT_ID
            .find_iter(region)
            .find_map(|m| valid_vat_in(m.as_str())),
        Label::LegalId => legal_id_in(region),
        Label::Iban => IBAN
            .find_iter(region)
            .find_map(|m| valid_iban_in(m.as_str())),
        Label::Ignore => None,
    }
}

/// A line made only of one value (plus currency signs): for label-above-value layouts.
pub(super) fn lone_value(label: Label, line: &str) -> Option<String> {
    let v = value_for(label, line)?;
    let rest: String = line
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .replace("EUR", "")
        .replace("USD", "")
        .replace("GBP", "")
        .replace("CHF", "");
    let v_alnum: String = v.chars().filter(|c| c.is_alphanumeric()).collect();
    let ok = if label.is_amount() || label.is_date() {
        // Only digits (and month names for dates) may remain.
        let found = if label.is_amount() {
            numbers::find_amounts(line).len() == 1
        } else {
            dates::find_dates(line).len() == 1
        };
        found && (label.is_date() || rest.chars().all(|c| c.is_ascii_digit()))
    } else {
        rest.len() <= v_alnum.len() + 2
    };
    ok.then_some(v)
}
