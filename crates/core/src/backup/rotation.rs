//! Which generations rotation keeps.
//!
//! Promises: pure (no file touched); the newest `last` generations are always kept, and the
//! newest of each of the most recent days, ISO weeks and months that have one; a name that is
//! not a generation time is always kept.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::format::parse_generation;

/// Which generations rotation keeps: the newest `last` ones, and the newest generation of each
/// of the `daily` most recent days, `weekly` most recent ISO weeks and `monthly` most recent
/// months that have one (UTC). Counting days, weeks and months that have a backup, not calendar
/// days back from today, means a pause in backups never makes rotation delete everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The most recent generations always kept (at least the one just made).
    pub last: u32,
    /// Days kept.
    pub daily: u32,
    /// ISO weeks kept.
    pub weekly: u32,
    /// Months kept.
    pub monthly: u32,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            last: 1,
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

/// The generations rotation keeps, among `generations` (ids like `2026-11-23T12-45-00Z`). Ids
/// that are not such timestamps are always kept (they are not this code's to delete).
pub fn generations_to_keep(generations: &[String], rotation: &Rotation) -> BTreeSet<String> {
    let mut keep = BTreeSet::new();
    let mut dated: Vec<(OffsetDateTime, &String)> = Vec::new();
    for g in generations {
        match parse_generation(g) {
            Some(t) => dated.push((t, g)),
            None => {
                keep.insert(g.clone());
            }
        }
    }
    dated.sort_by(|a, b| b.cmp(a)); // newest first
    for (_, g) in dated.iter().take(rotation.last as usize) {
        keep.insert((*g).clone());
    }
    let mut bucket = |limit: u32, key: &dyn Fn(OffsetDateTime) -> (i32, u32, u32)| {
        let mut seen = BTreeSet::new();
        for (t, g) in &dated {
            if seen.len() >= limit as usize {
                break;
            }
            // The first generation met in a bucket is its newest.
            if seen.insert(key(*t)) {
                keep.insert((*g).clone());
            }
        }
    };
    bucket(rotation.daily, &|t| {
        (t.year(), u32::from(u8::from(t.month())), u32::from(t.day()))
    });
    bucket(rotation.weekly, &|t| {
        let (y, w, _) = t.date().to_iso_week_date();
        (y, u32::from(w), 0)
    });
    bucket(rotation.monthly, &|t| {
        (t.year(), u32::from(u8::from(t.month())), 0)
    });
    keep
}

#[cfg(test)]
mod tests {
    use super::super::format::GENERATION_ID;
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn kept(gens: &[String], r: &Rotation) -> Vec<String> {
        generations_to_keep(gens, r).into_iter().collect()
    }

    #[test]
    fn rotation_keeps_the_newest_per_day_week_and_month() {
        // Hourly backups over 60 days (2026-01-01 to 2026-03-01, a Sunday).
        let start = parse_generation("2026-01-01T00-00-00Z").unwrap();
        let gens: Vec<String> = (0..60 * 24)
            .map(|h| {
                (start + time::Duration::hours(h))
                    .format(GENERATION_ID)
                    .unwrap()
            })
            .collect();
        let keep = kept(&gens, &Rotation::default());
        // The last 7 days (2026-02-23 to 2026-03-01): their 23:00 backups, the newest of each.
        for d in 23..=28 {
            assert!(keep.contains(&format!("2026-02-{d:02}T23-00-00Z")), "{d}");
        }
        let newest = gens.last().unwrap().clone();
        assert!(keep.contains(&newest));
        // Weeks: Sundays' last backups (ISO weeks end on Sunday): 2026-02-22, -15, -08.
        for d in ["2026-02-22", "2026-02-15", "2026-02-08"] {
            assert!(keep.contains(&format!("{d}T23-00-00Z")), "{d}");
        }
        // Months: the newest of January.
        assert!(keep.contains(&"2026-01-31T23-00-00Z".to_owned()));
        // Nothing else: 7 days + 3 more weeks + January (February's newest is already kept).
        assert_eq!(keep.len(), 7 + 3 + 1, "{keep:?}");
        assert!(!keep.contains(&"2026-02-23T12-00-00Z".to_owned()));
    }

    #[test]
    fn rotation_counts_periods_with_backups_not_calendar_days() {
        // Monthly backups for two years, then a pause: the last 12 months with a backup stay.
        let gens: Vec<String> = (0..24)
            .map(|i| format!("{}-{:02}-15T10-00-00Z", 2024 + i / 12, i % 12 + 1))
            .collect();
        let keep = kept(&gens, &Rotation::default());
        assert_eq!(keep.len(), 12);
        assert_eq!(keep.first().unwrap(), "2025-01-15T10-00-00Z");
        assert_eq!(keep.last().unwrap(), "2025-12-15T10-00-00Z");

        // Several on one day: only the newest of the day, unless `last` asks for more.
        let same_day = ids(&[
            "2026-11-23T08-00-00Z",
            "2026-11-23T12-00-00Z",
            "2026-11-23T12-00-01Z",
        ]);
        assert_eq!(
            kept(&same_day, &Rotation::default()),
            ids(&["2026-11-23T12-00-01Z"])
        );
        let r = Rotation {
            last: 2,
            ..Rotation::default()
        };
        assert_eq!(
            kept(&same_day, &r),
            ids(&["2026-11-23T12-00-00Z", "2026-11-23T12-00-01Z"])
        );
        // Names that are not generation times are never deleted.
        let odd = ids(&["notes", "2026-11-23T08-00-00Z", "2026-11-24T08-00-00Z"]);
        let none = Rotation {
            last: 1,
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        assert_eq!(kept(&odd, &none), ids(&["2026-11-24T08-00-00Z", "notes"]));
        assert!(kept(&[], &Rotation::default()).is_empty());
    }

    #[test]
    fn iso_weeks_span_years() {
        // 2026-12-31 (Thursday) and 2027-01-03 (Sunday) are both in ISO week 2026-W53.
        let gens = ids(&["2026-12-31T10-00-00Z", "2027-01-03T10-00-00Z"]);
        let weekly_only = Rotation {
            last: 0,
            daily: 0,
            weekly: 5,
            monthly: 0,
        };
        assert_eq!(kept(&gens, &weekly_only), ids(&["2027-01-03T10-00-00Z"]));
        let monthly_only = Rotation {
            last: 0,
            daily: 0,
            weekly: 0,
            monthly: 5,
        };
        assert_eq!(kept(&gens, &monthly_only), gens);
    }
}
