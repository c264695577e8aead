//! Dates written in invoices: numeric (14/10/2026, 14.10.2026, 2026-10-14, 14/10/26) and with
//! month names in French, English and German (14 octobre 2026, October 14, 2026, 14. Oktober 2026).
//!
//! Promises: every date returned is a real calendar date, as `YYYY-MM-DD`. Numeric dates are
//! read day-first (European order) unless only month-first is possible (e.g. 10/14/2026).

use std::sync::LazyLock;

use regex::Regex;

/// True for a real calendar date between the years 1900 and 2199.
pub fn valid_ymd(y: u32, m: u32, d: u32) -> bool {
    if !(1900..=2199).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let max = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= max
}

fn ymd(y: u32, m: u32, d: u32) -> Option<String> {
    valid_ymd(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// The month number of a French, English or German month name or usual abbreviation.
pub fn month_number(name: &str) -> Option<u32> {
    let n = name.trim_end_matches('.').to_lowercase();
    let m = match n.as_str() {
        "janvier" | "janv" | "january" | "jan" | "januar" | "jänner" | "jän" | "januari"
        | "enero" | "ene" | "gennaio" | "genn" | "gen" => 1,
        "février" | "fevrier" | "févr" | "fevr" | "fév" | "fev" | "february" | "feb"
        | "februar" | "februari" | "febrero" | "febbraio" => 2,
        "mars" | "march" | "mar" | "märz" | "maerz" | "mär" | "maart" | "mrt" | "marzo" => 3,
        "avril" | "avr" | "april" | "apr" | "abril" | "abr" | "aprile" => 4,
        "mai" | "may" | "mei" | "mayo" | "maggio" | "mag" => 5,
        "juin" | "june" | "jun" | "juni" | "junio" | "giugno" | "giu" => 6,
        "juillet" | "juil" | "july" | "jul" | "juli" | "julio" | "luglio" | "lug" => 7,
        "août" | "aout" | "august" | "aug" | "augustus" | "agosto" | "ago" => 8,
        "septembre" | "sept" | "september" | "sep" | "septiembre" | "settembre" | "set" => 9,
        "octobre" | "oct" | "october" | "oktober" | "okt" | "octubre" | "ottobre" | "ott" => 10,
        "novembre" | "nov" | "november" | "noviembre" => 11,
        "décembre" | "decembre" | "déc" | "dec" | "december" | "dezember" | "dez" | "diciembre"
        | "dic" | "dicembre" => 12,
        _ => return None,
    };
    Some(m)
}

static ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)(\d{4})-(\d{2})-(\d{2})(?-u:\b)").expect("static regex"));
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(\d{1,2})([./-])(\d{1,2})([./-])(\d{4}|\d{2})(?-u:\b)")
        .expect("static regex")
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(\d{1,2})(?:er|º)?\.?\s+(?:de\s+)?(\p{L}+\.?)\s+(?:de\s+)?(\d{4})(?-u:\b)",
    )
    .expect("static regex")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\p{L}+\.?)\s+(\d{1,2})(?:st|nd|rd|th)?\s?,?\s+(\d{4})\b")
        .expect("static regex")
});

/// All dates found in `s`, as (byte offset, byte end, `YYYY-MM-DD`), in order, non-overlapping.
pub fn find_dates(s: &str) -> Vec<(usize, usize, String)> {
    let mut found: Vec<(usize, usize, String)> = Vec::new();
    for c in ISO.captures_iter(s) {
        let (Ok(y), Ok(m), Ok(d)) = (c[1].parse(), c[2].parse(), c[3].parse()) else {
            continue;
        };
        if let (Some(v), Some(all)) = (ymd(y, m, d), c.get(0)) {
            found.push((all.start(), all.end(), v));
        }
    }
    for c in NUMERIC.captures_iter(s) {
        if c[2] != c[4] {
            continue;
        }
        let (Ok(a), Ok(b), Ok(mut y)) = (
            c[1].parse::<u32>(),
            c[3].parse::<u32>(),
            c[5].parse::<u32>(),
        ) else {
            continue;
        };
        if c[5].len() == 2 {
            y += 2000;
        }
        let v = ymd(y, b, a).or_else(|| if &c[2] == "/" { ymd(y, a, b) } else { None });
        if let (Some(v), Some(all)) = (v, c.get(0)) {
            found.push((all.start(), all.end(), v));
        }
    }
    for c in DAY_MONTH.captures_iter(s) {
        let (Ok(d), Some(m), Ok(y)) = (c[1].parse(), month_number(&c[2]), c[3].parse()) else {
            continue;
        };
        if let (Some(v), Some(all)) = (ymd(y, m, d), c.get(0)) {
            found.push((all.start(), all.end(), v));
        }
    }
    for c in MONTH_DAY.captures_iter(s) {
        let (Some(m), Ok(d), Ok(y)) = (month_number(&c[1]), c[2].parse(), c[3].parse()) else {
            continue;
        };
        if let (Some(v), Some(all)) = (ymd(y, m, d), c.get(0)) {
            found.push((all.start(), all.end(), v));
        }
    }
    found.sort_by_key(|f| (f.0, std::cmp::Reverse(f.1)));
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for f in found {
        if out.last().is_none_or(|l| f.0 >= l.1) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Option<String> {
        find_dates(s).into_iter().next().map(|d| d.2)
    }

    #[test]
    fn formats() {
        assert_eq!(one("Date : 14/10/2026"), Some("2026-10-14".into()));
        assert_eq!(one("Datum: 14.10.2026"), Some("2026-10-14".into()));
        assert_eq!(one("2026-10-14"), Some("2026-10-14".into()));
        assert_eq!(one("le 14 octobre 2026"), Some("2026-10-14".into()));
        assert_eq!(one("le 1er août 2026"), Some("2026-08-01".into()));
        assert_eq!(one("October 14, 2026"), Some("2026-10-14".into()));
        assert_eq!(one("14. Oktober 2026"), Some("2026-10-14".into()));
        assert_eq!(one("14 März 2026"), Some("2026-03-14".into()));
        assert_eq!(one("10/14/2026"), Some("2026-10-14".into()));
        assert_eq!(one("14/10/26"), Some("2026-10-14".into()));
        assert_eq!(one("31/02/2026"), None);
        assert_eq!(one("Total 14,50"), None);
        assert_eq!(find_dates("14/10/2026 au 13/11/2026").len(), 2);
    }
}
