//! A recurring time of the owner's day or week ("every day at 12:30", "every Friday at 18:00"),
//! in the computer's time zone: when the last occurrence was, and when the next one is.
//!
//! Promises: text round-trips (`off`, `daily HH:MM`, `weekly DAY HH:MM`, DAY as `mon`..`sun`);
//! occurrences are wall-clock times of the given zone, so a daylight-saving change neither
//! skips nor doubles a day (a time that does not exist that day is taken as the moment the clock
//! jumps to; one that exists twice as its first occurrence).

use std::fmt;
use std::str::FromStr;

use jiff::ZonedDateTime as Zoned;
use jiff::civil::{Time, Weekday};

use crate::error::{Error, Why};

/// When something recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Never.
    Off,
    /// Every day at this time.
    Daily(Time),
    /// Every week on this day at this time.
    Weekly(Weekday, Time),
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

fn bad(text: &str) -> Error {
    Error::invalid(
        "schedule",
        Why::NotOneOf {
            value: text.trim().to_owned(),
            allowed: "off, daily HH:MM, weekly DAY HH:MM (DAY: mon..sun)".into(),
        },
    )
}

fn parse_time(text: &str) -> Option<Time> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

impl FromStr for Schedule {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        match words.as_slice() {
            ["off"] => Ok(Schedule::Off),
            ["daily", at] => parse_time(at).map(Schedule::Daily).ok_or_else(|| bad(text)),
            ["weekly", day, at] => {
                let day = DAYS
                    .iter()
                    .find(|(name, _)| day.starts_with(name))
                    .map(|(_, d)| *d);
                match (day, parse_time(at)) {
                    (Some(d), Some(t)) => Ok(Schedule::Weekly(d, t)),
                    _ => Err(bad(text)),
                }
            }
            _ => Err(bad(text)),
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |t: &Time| format!("{:02}:{:02}", t.hour(), t.minute());
        match self {
            Schedule::Off => f.write_str("off"),
            Schedule::Daily(t) => write!(f, "daily {}", hm(t)),
            Schedule::Weekly(d, t) => {
                let name = DAYS.iter().find(|(_, w)| w == d).map_or("mon", |(n, _)| n);
                write!(f, "weekly {name} {}", hm(t))
            }
        }
    }
}

impl Schedule {
    /// The occurrence on the day of `day` (in `day`'s zone), if the schedule has one that day.
    fn on(&self, day: &Zoned) -> Option<Zoned> {
        let (at, weekday) = match self {
            Schedule::Off => return None,
            Schedule::Daily(t) => (*t, None),
            Schedule::Weekly(d, t) => (*t, Some(*d)),
        };
        if weekday.is_some_and(|w| w != day.weekday()) {
            return None;
        }
        day.date()
            .to_datetime(at)
            .to_zoned_datetime(day.time_zone().clone())
            .ok()
    }

    /// The latest occurrence at or before `now` (within the last eight days).
    pub fn last(&self, now: &Zoned) -> Option<Zoned> {
        let mut day = now.clone();
        for _ in 0..8 {
            if let Some(at) = self.on(&day).filter(|at| at <= now) {
                return Some(at);
            }
            day = day.yesterday().ok()?;
        }
        None
    }

    /// The first occurrence after `now` (within the next eight days).
    pub fn next(&self, now: &Zoned) -> Option<Zoned> {
        let mut day = now.clone();
        for _ in 0..8 {
            if let Some(at) = self.on(&day).filter(|at| at > now) {
                return Some(at);
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;

    fn paris() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    fn at(text: &str) -> Zoned {
        text.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned_datetime(paris())
            .unwrap()
    }

    #[test]
    fn parses_and_prints() {
        for text in [
            "off",
            "daily 12:30",
            "weekly fri 18:00",
            "daily 00:00",
            "weekly sun 23:59",
        ] {
            assert_eq!(text.parse::<Schedule>().unwrap().to_string(), text);
        }
        assert_eq!(
            " Weekly Friday 7:05 "
                .parse::<Schedule>()
                .unwrap()
                .to_string(),
            "weekly fri 07:05"
        );
        for bad in [
            "",
            "daily",
            "daily 24:00",
            "daily 12:60",
            "hourly 12:00",
            "weekly xyz 10:00",
            "daily -1:00",
        ] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn last_and_next_occurrences() {
        let daily: Schedule = "daily 12:30".parse().unwrap();
        let now = at("2026-12-01T13:00");
        assert_eq!(daily.last(&now).unwrap(), at("2026-12-01T12:30"));
        assert_eq!(daily.next(&now).unwrap(), at("2026-12-02T12:30"));
        let before = at("2026-12-01T12:00");
        assert_eq!(daily.last(&before).unwrap(), at("2026-11-30T12:30"));
        assert_eq!(daily.next(&before).unwrap(), at("2026-12-01T12:30"));
        // 2026-12-04 is a Friday.
        let weekly: Schedule = "weekly fri 18:00".parse().unwrap();
        assert_eq!(weekly.last(&now).unwrap(), at("2026-11-27T18:00"));
        assert_eq!(weekly.next(&now).unwrap(), at("2026-12-04T18:00"));
        assert_eq!(Schedule::Off.last(&now), None);
        assert_eq!(Schedule::Off.next(&now), None);
    }

    #[test]
    fn daylight_saving_neither_skips_nor_doubles() {
        // Paris springs forward on 2026-03-29 at 02:00 (to 03:00), falls back on 2026-10-25.
        let nightly: Schedule = "daily 02:30".parse().unwrap();
        let spring = nightly.next(&at("2026-03-28T03:00")).unwrap();
        assert_eq!(spring.date(), "2026-03-29".parse().unwrap(), "not skipped");
        let after = nightly.next(&spring).unwrap();
        assert_eq!(after, at("2026-03-30T02:30"));
        let fall = nightly.next(&at("2026-10-24T03:00")).unwrap();
        assert_eq!(fall.date(), "2026-10-25".parse().unwrap());
        assert_eq!(
            nightly.next(&fall).unwrap(),
            at("2026-10-26T02:30"),
            "not doubled"
        );
        // A wall-clock noon stays noon across the change.
        let noon: Schedule = "daily 12:00".parse().unwrap();
        assert_eq!(
            noon.next(&at("2026-03-29T00:00")).unwrap(),
            at("2026-03-29T12:00")
        );
    }
}
