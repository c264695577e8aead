//! Periods of a bundle request: `2026-Q3`, `2026-10`, `2026` or `2026-01-01..2026-06-30`.
//!
//! Promises: [`parse_period`] gives the first and last day of the period (inclusive) as
//! `YYYY-MM-DD`, never a period that ends before it starts; anything else is a `period` setting
//! error naming the accepted forms. [`parse_day`] accepts exactly `YYYY-MM-DD` naming a real day.

use crate::Result;
use crate::error::{Error, Why};

fn date_of(year: i32, month: u8, day: u8) -> Option<time::Date> {
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

fn fmt_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(super) fn parse_day(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    date_of(
        s[..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..].parse().ok()?,
    )
}

fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|y| *y >= 1)
}

fn month_bounds(year: i32, first: u8, last: u8) -> Option<(String, String)> {
    let from = date_of(year, first, 1)?;
    let end_month = time::Month::try_from(last).ok()?;
    let to = date_of(year, last, end_month.length(year))?;
    Some((fmt_date(from), fmt_date(to)))
}

/// Parses a period into its first and last day (`YYYY-MM-DD`, inclusive): `2026-Q3` (a
/// quarter), `2026-10` (a month), `2026` (a year) or `2026-01-01..2026-06-30` (explicit days).
pub fn parse_period(s: &str) -> Result<(String, String)> {
    let t = s.trim();
    let bad = || {
        Error::invalid(
            "period",
            Why::BadFormat {
                value: t.to_owned(),
                format: "2026-Q3, 2026-10, 2026 or 2026-01-01..2026-06-30".into(),
            },
        )
    };
    if let Some((a, b)) = t.split_once("..") {
        let (from, to) = (
            parse_day(a.trim()).ok_or_else(bad)?,
            parse_day(b.trim()).ok_or_else(bad)?,
        );
        if from > to {
            return Err(Error::invalid(
                "period",
                Why::EndsBeforeStart {
                    from: fmt_date(from),
                    to: fmt_date(to),
                },
            ));
        }
        return Ok((fmt_date(from), fmt_date(to)));
    }
    if let Some(y) = parse_year(t) {
        return month_bounds(y, 1, 12).ok_or_else(bad);
    }
    let (y, rest) = t.split_once('-').ok_or_else(bad)?;
    let y = parse_year(y).ok_or_else(bad)?;
    if let Some(q) = rest.strip_prefix(['Q', 'q']) {
        let q: u8 = match q {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => return Err(bad()),
        };
        return month_bounds(y, q * 3 - 2, q * 3).ok_or_else(bad);
    }
    if rest.len() == 2 && rest.bytes().all(|c| c.is_ascii_digit()) {
        let m: u8 = rest.parse().map_err(|_| bad())?;
        if (1..=12).contains(&m) {
            return month_bounds(y, m, m).ok_or_else(bad);
        }
    }
    Err(bad())
}
