//! Amounts written in invoices: "1 234,56", "1.234,56", "1,234.56", "1'234.56", "1234,56".
//!
//! Promises: only amounts with exactly two decimals are recognised (totals are written that
//! way; this keeps "1,234" and "30 jours" from being read as money), a number followed by `%`
//! is a rate and is skipped, and the result is normalised to digits with a dot ("1234.56").

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"-?\d{1,3}(?:[ \u{a0}\u{202f}]\d{3})+[.,]\d{2}",
        r"|-?\d{1,3}(?:\.\d{3})+,\d{2}",
        r"|-?\d{1,3}(?:,\d{3})+\.\d{2}",
        r"|-?\d{1,3}(?:['’]\d{3})+\.\d{2}",
        r"|-?\d+[.,]\d{2}",
    ))
    .expect("static regex")
});

/// Normalises one amount token to `[-]digits.dd`.
pub fn normalise(token: &str) -> Option<String> {
    let t = token.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let bytes: Vec<char> = body.chars().collect();
    if bytes.len() < 4 {
        return None;
    }
    let (int, frac) = bytes.split_at(bytes.len() - 3);
    if !matches!(frac[0], '.' | ',') || !frac[1..].iter().all(char::is_ascii_digit) {
        return None;
    }
    let digits: String = int.iter().filter(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let frac: String = frac[1..].iter().collect();
    Some(format!("{}{digits}.{frac}", if neg { "-" } else { "" }))
}

/// All amounts in `s`, as (byte offset, normalised value), skipping rates (followed by `%`) and
/// pieces of longer numbers.
pub fn find_amounts(s: &str) -> Vec<(usize, String)> {
    find_amount_spans(s)
        .into_iter()
        .map(|(span, v)| (span.start, v))
        .collect()
}

/// The amounts of [`find_amounts`] with the byte range each was read from.
pub fn find_amount_spans(s: &str) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(m) = AMOUNT.find_at(s, from) {
        let before = s[..m.start()].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            // The end of a longer number (skipped), or a space-grouped match that starts inside
            // the number before it ("2017 201,00", "5,5 100,00"): look again after its space.
            from = m
                .as_str()
                .find([' ', '\u{a0}', '\u{202f}'])
                .map_or(m.end(), |k| m.start() + k);
            continue;
        }
        from = m.end();
        let after = &s[m.end()..];
        let mut ac = after.chars();
        match ac.next() {
            Some(c) if c.is_ascii_digit() => continue,
            Some('.' | ',') if ac.next().is_some_and(|c| c.is_ascii_digit()) => continue,
            _ => {}
        }
        if after.trim_start().starts_with('%') {
            continue;
        }
        if let Some(v) = normalise(m.as_str()) {
            out.push((m.range(), v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> Vec<String> {
        find_amounts(s).into_iter().map(|a| a.1).collect()
    }

    #[test]
    fn number_formats() {
        assert_eq!(all("Total HT 1 234,56 €"), ["1234.56"]);
        assert_eq!(all("Netto 1.234,56 EUR"), ["1234.56"]);
        assert_eq!(all("Net $1,234.56"), ["1234.56"]);
        assert_eq!(all("CHF 1'234.56"), ["1234.56"]);
        assert_eq!(all("TVA 20 % 246,91"), ["246.91"]);
        assert_eq!(all("TVA 5,50 % 11,00"), ["11.00"]);
        assert_eq!(all("MwSt. 19% 190,00"), ["190.00"]);
        assert_eq!(all("100,00 20,00"), ["100.00", "20.00"]);
        assert_eq!(all("-12,00"), ["-12.00"]);
        assert_eq!(all("1,234 and 30 jours"), Vec::<String>::new());
        assert_eq!(all("0,50"), ["0.50"]);
        assert_eq!(all("12 345 678,90"), ["12345678.90"]);
        // A rate with one decimal before an amount is not the start of "5 100,00".
        assert_eq!(all("5,5 100,00 5,50"), ["100.00", "5.50"]);
        assert_eq!(all("Virement 05/11/2017 201,00 €"), ["201.00"]);
        assert_eq!(all("12.34.56,78"), Vec::<String>::new());
        assert_eq!(all("8.00-20.00"), ["8.00"]);
    }
}
