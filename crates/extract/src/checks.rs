//! Identifier checksums: Luhn, SIREN, SIRET, French VAT key, EU VAT id patterns, IBAN mod 97.
//!
//! Every function here is pure, total (never panics) and takes identifiers either with or without
//! the usual separators (spaces, dots, dashes), which are ignored. A `true` answer means the
//! identifier is well formed and its check digits (where they exist) are right; it says nothing
//! about whether the identifier is actually registered.

/// Removes spaces (including non-breaking ones), dots and dashes, and upper-cases the rest.
pub fn compact(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '\u{a0}' | '\u{202f}'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The Luhn check over a string of ASCII digits (false for anything else or empty input).
pub fn luhn(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// A French SIREN: 9 digits passing Luhn.
pub fn is_siren(id: &str) -> bool {
    let c = compact(id);
    c.len() == 9 && luhn(&c)
}

/// A French SIRET: 14 digits passing Luhn, whose first 9 form a valid SIREN; La Poste
/// establishments (SIREN 356000000) use the digit-sum-multiple-of-5 rule instead.
pub fn is_siret(id: &str) -> bool {
    let c = compact(id);
    if c.len() != 14 || !c.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if c.starts_with("356000000") {
        let sum: u32 = c.bytes().map(|b| u32::from(b - b'0')).sum();
        return sum.is_multiple_of(5);
    }
    luhn(&c) && luhn(&c[..9])
}

/// The two-digit key of a French VAT number for a SIREN: (12 + 3 × (SIREN mod 97)) mod 97.
pub fn fr_vat_key(siren: &str) -> Option<u32> {
    let c = compact(siren);
    if c.len() != 9 {
        return None;
    }
    let n: u64 = c.parse().ok()?;
    Some(((12 + 3 * (n % 97)) % 97) as u32)
}

/// A French VAT id `FRkk` + SIREN with a numeric key that matches the SIREN.
pub fn is_fr_vat(id: &str) -> bool {
    let c = compact(id);
    if c.len() != 13 || !c.starts_with("FR") {
        return false;
    }
    let (key, siren) = (&c[2..4], &c[4..]);
    if !siren.bytes().all(|b| b.is_ascii_digit()) || !key.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match (key.parse::<u32>(), fr_vat_key(siren)) {
        (Ok(k), Some(expected)) => k == expected,
        _ => false,
    }
}

/// Checks an EU (and UK, Swiss) VAT id: French ones by their key, the others by their national
/// pattern only.
pub fn is_vat_id(id: &str) -> bool {
    let c = compact(id);
    if c.len() < 4 || !c.is_ascii() {
        return false;
    }
    let (cc, rest) = c.split_at(2);
    let digits = |n: std::ops::RangeInclusive<usize>| {
        n.contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
    };
    match cc {
        "FR" => is_fr_vat(&c),
        "AT" => {
            rest.len() == 9
                && rest.starts_with('U')
                && rest[1..].bytes().all(|b| b.is_ascii_digit())
        }
        "BE" => digits(10..=10) && (rest.starts_with('0') || rest.starts_with('1')),
        "BG" => digits(9..=10),
        "CY" => {
            rest.len() == 9
                && rest[..8].bytes().all(|b| b.is_ascii_digit())
                && rest.as_bytes()[8].is_ascii_uppercase()
        }
        "CZ" => digits(8..=10),
        "DE" | "EE" | "EL" | "PT" => digits(9..=9),
        "DK" | "FI" | "HU" | "LU" | "MT" | "SI" => digits(8..=8),
        "ES" => {
            rest.len() == 9
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                && rest[1..8].bytes().all(|b| b.is_ascii_digit())
        }
        "HR" | "IT" | "LV" => digits(11..=11),
        "IE" => {
            (8..=9).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                && rest.as_bytes()[0].is_ascii_digit()
        }
        "LT" => digits(9..=9) || digits(12..=12),
        "NL" => {
            rest.len() == 12
                && rest[..9].bytes().all(|b| b.is_ascii_digit())
                && &rest[9..10] == "B"
                && rest[10..].bytes().all(|b| b.is_ascii_digit())
        }
        "PL" | "SK" => digits(10..=10),
        "RO" => digits(2..=10),
        "SE" => digits(12..=12) && rest.ends_with("01"),
        "GB" | "XI" => digits(9..=9) || digits(12..=12),
        "CH" => {
            // CHE-123.456.789 MWST/TVA/IVA
            let core = rest.trim_end_matches("MWST").trim_end_matches("TVA");
            core.len() == 10
                && core.starts_with('E')
                && core[1..].bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// An IBAN: country code, two check digits, up to 30 alphanumerics, passing mod 97 == 1.
pub fn is_iban(id: &str) -> bool {
    let c = compact(id);
    if !(15..=34).contains(&c.len()) || !c.is_ascii() {
        return false;
    }
    let b = c.as_bytes();
    if !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_uppercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
        || !b.iter().all(|x| x.is_ascii_alphanumeric())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &ch in b[4..].iter().chain(b[..4].iter()) {
        if ch.is_ascii_digit() {
            rem = (rem * 10 + u32::from(ch - b'0')) % 97;
        } else {
            let v = u32::from(ch - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_siren_siret() {
        assert!(is_siren("732 829 320"));
        assert!(!is_siren("732 829 321"));
        assert!(is_siret("73282932000074"));
        assert!(!is_siret("73282932000075"));
        assert!(is_siret("35600000000010"));
        assert!(!is_siren("12345678"));
    }

    #[test]
    fn french_vat_key() {
        assert_eq!(fr_vat_key("732829320"), Some(44));
        assert!(is_fr_vat("FR44732829320"));
        assert!(is_fr_vat("FR 44 732 829 320"));
        assert!(!is_fr_vat("FR45732829320"));
        assert!(is_vat_id("DE123456789"));
        assert!(!is_vat_id("DE12345678"));
        assert!(is_vat_id("NL123456789B01"));
        assert!(!is_vat_id("XX123"));
    }

    #[test]
    fn iban() {
        assert!(is_iban("FR76 3000 6000 0112 3456 7890 189"));
        assert!(is_iban("DE89370400440532013000"));
        assert!(is_iban("GB82 WEST 1234 5698 7654 32"));
        assert!(!is_iban("DE89370400440532013001"));
        assert!(!is_iban("DE89"));
    }
}
