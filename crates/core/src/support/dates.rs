//! Calendar dates as Coffre writes them: `YYYY-MM-DD`, through the `time` crate.
//!
//! Promises: [`parse_ymd`] accepts exactly ten characters of that shape naming a real calendar
//! day (no sign, no fifth year digit, no spaces, no 30 February) and nothing else;
//! [`format_ymd`] writes what it reads back.

use time::Date;

use crate::error::{Error, Result, Why};
use time::format_description::BorrowedFormatItem;

const YMD: &[BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Today, in UTC.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Parses a `YYYY-MM-DD` date; `None` for anything else.
pub fn parse_ymd(value: &str) -> Option<Date> {
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if shaped {
        Date::parse(value, YMD).ok()
    } else {
        None
    }
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses a `YYYY-MM-DD` date the user typed (surrounding spaces allowed), refusing it as
/// [`Why::BadFormat`] for `field` when it is not one.
pub fn parse_ymd_field(field: &str, value: &str) -> Result<Date> {
    parse_ymd(value.trim()).ok_or_else(|| {
        Error::invalid(
            field,
            Why::BadFormat {
                value: value.trim().to_owned(),
                format: "YYYY-MM-DD".into(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_days_of_the_one_shape() {
        let d = parse_ymd("2028-02-29").unwrap();
        assert_eq!(format_ymd(d), "2028-02-29");
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-01",
            "+2026-01-01",
            " 2026-01-01",
            "2026/01/01",
            "20260101",
            "",
            "2026-01-01T00:00",
            "abc€x",
        ] {
            assert_eq!(parse_ymd(bad), None, "{bad:?}");
        }
    }
}
