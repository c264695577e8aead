//! Exact decimal amounts: validation of the amounts read from invoices and exact arithmetic on
//! them, without floating point.
//!
//! Amounts are carried around as the invoice's own decimal strings (dot as the decimal
//! separator, invoice's own scale). [`Decimal`] parses such a string into an integer mantissa
//! and a scale, so that sums and comparisons are exact (`"100.0"` equals `"100.00"`).

/// An exact decimal number: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// The most digits accepted in one amount (keeps every operation inside i128).
const MAX_DIGITS: usize = 30;

impl Decimal {
    /// Parses `[+-]digits[.digits]` (XML Schema `xs:decimal` lexical form, at most 30 digits).
    pub fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim();
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if int.len() + frac.len() > MAX_DIGITS {
            return None;
        }
        let mut mantissa: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa * 10 + i128::from(b - b'0');
        }
        Some(Decimal {
            mantissa: if neg { -mantissa } else { mantissa },
            scale: frac.len() as u32,
        })
    }

    fn rescale(self, scale: u32) -> Option<i128> {
        let factor = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        self.mantissa.checked_mul(factor)
    }

    /// Exact sum.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        Some(Decimal {
            mantissa: self.rescale(scale)?.checked_add(other.rescale(scale)?)?,
            scale,
        })
    }

    /// The value with the opposite sign.
    pub fn negated(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    /// Exact difference.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(other.negated())
    }

    /// Exact equality of values, whatever the scales.
    pub fn same_value(self, other: Decimal) -> bool {
        let scale = self.scale.max(other.scale);
        match (self.rescale(scale), other.rescale(scale)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// The value written with a dot and its own scale (e.g. `-12.60`).
    pub fn to_plain_string(self) -> String {
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        let sign = if self.mantissa < 0 { "-" } else { "" };
        if scale == 0 {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }

    /// The value as a whole number of `10^-scale` units (`12.3` at scale 2 is `1230`); `None`
    /// when the value has more decimals than `scale` or does not fit.
    pub fn units(self, scale: u32) -> Option<i128> {
        self.rescale(scale)
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }
}

/// Validates an amount as written in XML and returns it trimmed (a leading `+` dropped).
pub fn xml_amount(s: &str) -> Option<String> {
    let t = s.trim();
    Decimal::parse(t)?;
    Some(t.trim_start_matches('+').to_string())
}

/// True when `a + b == c` exactly (all three must parse).
pub fn sum_matches(a: &str, b: &str, c: &str) -> bool {
    match (Decimal::parse(a), Decimal::parse(b), Decimal::parse(c)) {
        (Some(a), Some(b), Some(c)) => a.checked_add(b).is_some_and(|s| s.same_value(c)),
        _ => false,
    }
}

/// True when two amounts have the same value.
pub fn same(a: &str, b: &str) -> bool {
    matches!((Decimal::parse(a), Decimal::parse(b)), (Some(a), Some(b)) if a.same_value(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_sum() {
        assert!(sum_matches("1000.00", "200", "1200.0"));
        assert!(!sum_matches("1000.01", "200", "1200.0"));
        assert!(sum_matches("-10.5", "-2.1", "-12.60"));
        assert!(same("100", "100.000"));
        assert_eq!(xml_amount(" +12.30 "), Some("12.30".to_string()));
        assert_eq!(xml_amount("12,30"), None);
        assert_eq!(xml_amount("."), None);
        assert_eq!(xml_amount("1e5"), None);
        assert!(Decimal::parse(&"9".repeat(31)).is_none());
        let sum = Decimal::parse("-0.05").and_then(|a| a.checked_add(Decimal::parse("0.02")?));
        assert_eq!(sum.map(Decimal::to_plain_string), Some("-0.03".to_string()));
        assert_eq!(
            Decimal::parse("12").map(Decimal::to_plain_string),
            Some("12".to_string())
        );
    }
}
