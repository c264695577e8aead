//! One row of a VAT breakdown read from one line of text: the numbers of the line (amounts,
//! rates with `%`, and under a rate column bare rates), and the one combination of a rate, a
//! base and a VAT amount that agree.
//!
//! Promises: amounts come from [`find_amount_spans`] (normalised like every amount), rates are
//! at most 30 % and keep their digits with a dot; a row's amount is its base times its rate to
//! two cents, its base is at least 1.00, base and amount have the same sign, a 0 % row has a
//! zero amount; a line where several different rows agree gives none.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::amount::Decimal;
use crate::heuristics::numbers::{find_amount_spans, normalise};

/// Highest rate read as a VAT rate, in thousandths of a percent (30 %).
const MAX_RATE: i128 = 30_000;
/// Largest gap between a row's VAT amount and its base times its rate, in cents.
const ROW_TOLERANCE: i128 = 2;
/// Most numbers on a line read as a row (a breakdown row holds a handful; this bounds the work
/// on hostile text).
pub(super) const MAX_LINE_NUMBERS: usize = 24;
/// Longest line (bytes) whose numbers are read at all.
const MAX_LINE_BYTES: usize = 1000;

/// A rate written with `%` ("20 %", "5,5%", "19.00 %").
pub(super) static PCT_RATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{1,3}(?:[.,]\d{1,3})?)\s*%").expect("static regex"));
/// A rate written without `%` ("19", "7,0", "0"), read only under a rate column.
static BARE_RATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[1-9]\d?(?:[.,]\d{1,2})?|0(?:[.,]0{1,2})?").expect("static regex")
});
/// An amount with a rate glued after its two decimals.
static GLUED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(-?\d+([.,])\d{2})([1-9]\d?(?:[.,]\d{1,2})?)$").expect("static regex")
});
/// A whitespace-separated word.
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\S+").expect("static regex"));
/// A rate and an amount that the amount reader took for one number with a thousands space.
static SPACED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([1-9]\d?) (\d{3}[.,]\d{2})$").expect("static regex"));

/// A rate as written: `text` with a dot, `milli` in thousandths of a percent.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rate {
    pub(super) text: String,
    pub(super) milli: i128,
    /// Written with `%`.
    pub(super) pct: bool,
}

impl Rate {
    pub(super) fn parse(text: &str, pct: bool) -> Option<Rate> {
        let text = text.replace(',', ".");
        let milli = Decimal::parse(&text)?.units(3)?;
        (milli <= MAX_RATE).then_some(Rate { text, milli, pct })
    }
}

/// A number on a line: an amount (in cents), a rate, or both (`20,00` under a rate header).
#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) start: usize,
    pub(super) amount: Option<i128>,
    pub(super) rate: Option<Rate>,
}

/// One candidate row, amounts in cents.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub(super) rate: Rate,
    pub(super) base: i128,
    pub(super) amount: i128,
}

/// A normalised amount (`-12.30`) in cents.
pub(super) fn cents(amount: &str) -> Option<i128> {
    Decimal::parse(amount)?.units(2)
}

/// True when `amount` is `base` × `rate` to [`ROW_TOLERANCE`], with the row's other rules.
pub(super) fn consistent(rate: &Rate, base: i128, amount: i128) -> bool {
    if base.abs() < 100 || (amount != 0 && (base > 0) != (amount > 0)) {
        return false;
    }
    if rate.milli == 0 {
        return amount == 0;
    }
    amount != 0
        && (amount.abs() * 100_000 - base.abs() * rate.milli).abs() <= ROW_TOLERANCE * 100_000
}

/// The numbers of `line` (none when it is over [`MAX_LINE_BYTES`]); bare rates (without `%`)
/// only when `bare` (under a rate column).
/// `split_spaced` reads "19 100,00" as a rate and an amount rather than 19100.00.
pub(super) fn tokens(line: &str, bare: bool, split_spaced: bool) -> Vec<Tok> {
    if line.len() > MAX_LINE_BYTES {
        return Vec::new();
    }
    let mut toks = Vec::new();
    let spans = find_amount_spans(line);
    for (span, value) in &spans {
        let spaced = SPACED
            .captures(&line[span.clone()])
            .filter(|_| split_spaced);
        if let Some(c) = spaced {
            let (r, a) = (c.get(1).expect("group"), c.get(2).expect("group"));
            toks.push(Tok {
                start: span.start,
                amount: None,
                rate: Rate::parse(r.as_str(), false),
            });
            toks.push(Tok {
                start: span.start + a.start(),
                amount: normalise(a.as_str()).and_then(|v| cents(&v)),
                rate: None,
            });
        } else {
            toks.push(Tok {
                start: span.start,
                amount: cents(value),
                rate: None,
            });
        }
    }
    let overlaps = |s: usize, e: usize| spans.iter().any(|(sp, _)| s < sp.end && sp.start < e);
    let prev_ok = |s: usize| {
        line[..s]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_digit() || c == '.' || c == ','))
    };
    for c in PCT_RATE.captures_iter(line) {
        let m = c.get(1).expect("group");
        if prev_ok(m.start())
            && !overlaps(m.start(), m.end())
            && let Some(rate) = Rate::parse(m.as_str(), true)
        {
            toks.push(Tok {
                start: m.start(),
                amount: None,
                rate: Some(rate),
            });
        }
    }
    if bare {
        for m in BARE_RATE.find_iter(line) {
            let before = line[..m.start()].chars().next_back();
            let after = &line[m.end()..];
            let bounded = before.is_none_or(|c| c.is_whitespace() || c == '(')
                && after
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == ')')
                && !after.trim_start().starts_with('%');
            if !bounded {
                continue;
            }
            if let Some(t) = toks
                .iter_mut()
                .find(|t| t.start == m.start() && t.amount.is_some())
            {
                // A whole amount-shaped token ("20,00"): an amount or a rate.
                t.rate = Rate::parse(m.as_str(), false);
            } else if !overlaps(m.start(), m.end()) {
                toks.push(Tok {
                    start: m.start(),
                    amount: None,
                    rate: Rate::parse(m.as_str(), false),
                });
            }
        }
        glued(line, &spans, &mut toks);
    }
    toks.sort_by_key(|t| t.start);
    toks
}

/// "403,5519 76,67": an amount with a rate glued to it, followed by an amount.
fn glued(line: &str, spans: &[(Range<usize>, String)], toks: &mut Vec<Tok>) {
    let mut words = WORD
        .find_iter(line)
        .map(|m| (m.start(), m.as_str()))
        .peekable();
    while let Some((at, w)) = words.next() {
        let next_is_amount = words
            .peek()
            .is_some_and(|(n, _)| spans.iter().any(|(sp, _)| sp.start == *n));
        let Some(c) = GLUED.captures(w).filter(|_| next_is_amount) else {
            continue;
        };
        let (amount, sep, rate) = (&c[1], &c[2], c.get(3).expect("group"));
        let same_sep = !rate.as_str().contains(['.', ',']) || rate.as_str().contains(sep);
        if spans
            .iter()
            .any(|(sp, _)| sp.start < at + w.len() && at < sp.end)
            || !same_sep
        {
            continue;
        }
        toks.push(Tok {
            start: at,
            amount: normalise(amount).and_then(|v| cents(&v)),
            rate: None,
        });
        toks.push(Tok {
            start: at + rate.start(),
            amount: None,
            rate: Rate::parse(rate.as_str(), false),
        });
    }
}

/// The one row `line` holds: a rate and, in that order, a base and an amount that agree with it.
/// Rates written with `%` win over bare ones; when several bases agree with the same amount
/// (goods value and taxable base both printed), the one nearest before the amount is the base.
/// `None` when no combination, or several different amounts, agree.
pub(super) fn row_in(line: &str, bare: bool) -> Option<Row> {
    // (row, start of the base, start of the amount)
    let mut found: Vec<(Row, usize, usize)> = Vec::new();
    for split in [false, true] {
        if split && !bare {
            break;
        }
        let toks = tokens(line, bare, split);
        if toks.len() > MAX_LINE_NUMBERS {
            return None;
        }
        for (ri, r) in toks.iter().enumerate() {
            let Some(rate) = r.rate.as_ref().filter(|r| r.pct || bare) else {
                continue;
            };
            for (bi, b) in toks.iter().enumerate() {
                for (ai, a) in toks.iter().enumerate().skip(bi + 1) {
                    let (Some(base), Some(amount)) = (b.amount, a.amount) else {
                        continue;
                    };
                    if ri != bi && ri != ai && consistent(rate, base, amount) {
                        let row = Row {
                            rate: rate.clone(),
                            base,
                            amount,
                        };
                        found.push((row, b.start, a.start));
                    }
                }
            }
        }
    }
    if found.iter().any(|(r, ..)| r.rate.pct) {
        found.retain(|(r, ..)| r.rate.pct);
    }
    let (first, _, amount_at) = found.first()?.clone();
    if found.iter().all(|(r, ..)| same_row(r, &first)) {
        return Some(first);
    }
    if found.iter().any(|f| f.2 != amount_at) {
        return None;
    }
    let nearest = found.iter().map(|f| f.1).max()?;
    found.retain(|f| f.1 == nearest);
    let (row, ..) = found.remove(0);
    found.iter().all(|(r, ..)| same_row(r, &row)).then_some(row)
}

pub(super) fn same_row(a: &Row, b: &Row) -> bool {
    a.rate.milli == b.rate.milli && a.base == b.base && a.amount == b.amount
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str, pct: bool) -> Rate {
        Rate::parse(text, pct).expect("rate")
    }

    /// The row of `line` as (rate, base, amount).
    fn row(line: &str, bare: bool) -> Option<(String, i128, i128)> {
        row_in(line, bare).map(|r| (r.rate.text, r.base, r.amount))
    }

    #[test]
    fn amount_is_base_times_rate_to_two_cents() {
        assert!(
            consistent(&rate("19", true), 8739, 1661),
            "16.6041 printed 16.61"
        );
        assert!(consistent(&rate("7", false), 1690, 118));
        assert!(
            !consistent(&rate("20", true), 10000, 2003),
            "three cents off"
        );
        assert!(
            consistent(&rate("5,5", true), -19800, -1089),
            "a credit note row"
        );
        assert!(!consistent(&rate("2", true), 28000, -560), "opposite signs");
        assert!(!consistent(&rate("19", true), 5, 1), "base under 1.00");
        assert!(consistent(&rate("0", true), 53075, 0));
        assert!(!consistent(&rate("0", true), 53075, 1));
        assert!(!consistent(&rate("20", true), 10000, 0));
        assert_eq!(Rate::parse("55", true), None, "over 30 %");
        assert_eq!(rate("5,50", true).text, "5.50");
    }

    #[test]
    fn one_row_per_line_or_none() {
        assert_eq!(
            row("TVA 20 % sur 100,00 : 20,00", false),
            Some(("20".into(), 10000, 2000))
        );
        // Bare rates only under a rate column; glued to the base, or read inside "19 100,00".
        assert_eq!(row("Umsatzsteuer 198,00 19 37,62", false), None);
        assert_eq!(
            row("Umsatzsteuer 198,00 19 37,62", true),
            Some(("19".into(), 19800, 3762))
        );
        assert_eq!(
            row("(S) 410,10 -6,55 403,5519 76,67", true),
            Some(("19".into(), 40355, 7667))
        );
        assert_eq!(
            row("19 100,00 19,00", true),
            Some(("19".into(), 10000, 1900))
        );
        // Goods value and taxable base both agree with the amount: the nearer is the base.
        assert_eq!(
            row("-2,90 0,08 -2,82 -0,20 7,0 -3,02", true),
            Some(("7.0".into(), -282, -20))
        );
        // Two different amounts agree: no row.
        assert_eq!(row("TVA 10 % 100,00 10,00 200,00 20,00", false), None);
        // A rate with `%` wins over a bare number.
        assert_eq!(
            row("20 % 3 100,00 20,00", true),
            Some(("20".into(), 10000, 2000))
        );
    }
}
