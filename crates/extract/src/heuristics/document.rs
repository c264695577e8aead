//! Document-wide fields read without labels: the currency (BT-5) and the type code (BT-3).
//!
//! Promises: the currency is the code or sign used throughout the text ("Rs" before a number is the rupee) (less confident when
//! another one appears, none when no currency has four fifths of the mentions); the type code
//! is 381 when the head of the document says credit note, else 380 when it says invoice (also
//! when spelt with spaced-out letters).

use std::sync::LazyLock;

use regex::Regex;

use super::{Guess, guess};

static CURRENCY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(EUR|USD|GBP|CHF|CAD|JPY|SEK|DKK|NOK|PLN|CZK|HUF|INR)(?-u:\b)|€|\$|£|₹|(?-u:\b)Rs\.?\s?-?\d")
        .expect("static regex")
});
static CREDIT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:avoir|credit note|gutschrift|rechnungskorrektur|stornorechnung|creditnota|creditfactuur|nota de cr[ée]dito|factura rectificativa|nota di credito)\b")
        .expect("static regex")
});
static INVOICE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:facture|invoice|\p{L}*rechnung|factuur|factura|fattura)\b")
        .expect("static regex")
});

pub(super) fn currency(text: &str) -> Option<Guess> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for m in CURRENCY.find_iter(text) {
        let code = match m.as_str() {
            "€" => "EUR",
            "$" => "USD",
            "£" => "GBP",
            "₹" => "INR",
            rupees if rupees.starts_with("Rs") => "INR",
            other => other,
        };
        *counts.entry(code).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let (code, n) = counts.iter().max_by_key(|(_, n)| **n)?;
    if *n == total {
        guess(*code, if *code == "USD" { 0.8 } else { 0.95 })
    } else if *n * 5 >= total * 4 {
        guess(*code, 0.6)
    } else {
        None
    }
}

/// A word written with its letters spaced out ("R E C H N U N G").
static SPACED_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:\p{L} ){3,}\p{L}\b").expect("static regex"));

pub(super) fn type_code(lines: &[&str]) -> Option<Guess> {
    let head: Vec<String> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .take(12)
        .map(|l| {
            SPACED_WORD
                .replace_all(l, |c: &regex::Captures| c[0].replace(' ', ""))
                .into_owned()
        })
        .collect();
    if head.iter().any(|l| CREDIT_WORD.is_match(l)) {
        return guess("381", 0.85);
    }
    if head.iter().any(|l| INVOICE_WORD.is_match(l)) {
        return guess("380", 0.85);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{extract_fields, v};

    #[test]
    fn rupees_and_spaced_out_titles() {
        let f = extract_fields("Grand Total                 Rs 1939\nPaid (Rs 1939)\n");
        assert_eq!(v(&f.currency), Some("INR"));
        assert_eq!(v(&extract_fields("Total ₹ 319.00\n").currency), Some("INR"));
        assert_eq!(extract_fields("Mrs Smith\nYours 12\n").currency, None);
        let f = extract_fields("Lieferant      Käufer      W A R E N R E C H N U N G    Seite 1\n");
        assert_eq!(v(&f.type_code), Some("380"));
    }
}
