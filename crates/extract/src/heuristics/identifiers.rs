//! Identifiers found in text: VAT ids, IBANs, SIREN/SIRET.
//!
//! Promises: an identifier is returned only when its checksum or national pattern holds (French
//! VAT key, EU VAT patterns, IBAN mod 97, SIREN/SIRET Luhn), compacted (no spaces, dots or
//! dashes).

use std::sync::LazyLock;

use regex::Regex;

use crate::checks;

pub(crate) static VAT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(?:ATU|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|XI|CHE)[ \-]?[0-9A-Z]{2}(?:[ .\-]?[0-9A-Z]{1,4}){1,5}(?-u:\b)")
        .expect("static regex")
});
pub(crate) static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,4}){3,8}(?-u:\b)").expect("static regex")
});
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d[\d ]{7,20}\d").expect("static regex"));

/// Compacts a matched VAT id candidate, dropping trailing groups until it validates.
pub(crate) fn valid_vat_in(s: &str) -> Option<String> {
    longest_valid_prefix(s.split([' ', '.', '-']), checks::is_vat_id)
}

/// Compacts a matched IBAN candidate, dropping trailing groups until it validates.
pub(crate) fn valid_iban_in(s: &str) -> Option<String> {
    longest_valid_prefix(s.split(' '), checks::is_iban)
}

/// The longest run of leading `groups` (empty ones skipped) that, joined and compacted, passes
/// `valid`; compacted.
fn longest_valid_prefix<'a>(
    groups: impl Iterator<Item = &'a str>,
    valid: fn(&str) -> bool,
) -> Option<String> {
    let mut parts: Vec<&str> = groups.filter(|p| !p.is_empty()).collect();
    while !parts.is_empty() {
        let c = checks::compact(&parts.concat());
        if valid(&c) {
            return Some(c);
        }
        // A label glued after the identifier ("NL810433941B01BTW", "…1309IBAN"): letters
        // after the last digit are not part of it.
        let trimmed = c.trim_end_matches(|ch: char| ch.is_ascii_alphabetic());
        if trimmed.len() + 2 <= c.len() && valid(trimmed) {
            return Some(trimmed.to_string());
        }
        parts.pop();
    }
    None
}

pub(crate) fn legal_id_in(s: &str) -> Option<String> {
    for m in DIGIT_RUN.find_iter(s) {
        let c: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        if (c.len() == 14 && checks::is_siret(&c)) || (c.len() == 9 && checks::is_siren(&c)) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::extract_fields;

    #[test]
    fn invalid_identifiers_are_not_returned() {
        let t = "ACME SAS\nSIRET : 732 829 320 00075\nN° TVA : FR45732829320\nIBAN FR76 3000 6000 0112 3456 7890 188\n";
        let f = extract_fields(t);
        assert_eq!(f.seller_legal_id, None);
        assert_eq!(f.seller_vat_id, None);
        assert_eq!(f.iban, None);
    }
}
