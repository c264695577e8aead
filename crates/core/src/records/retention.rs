//! Legal retention: how long each document must be kept, and from when.
//!
//! Promises: `retain_until` runs from the end of the fiscal year of the document's issue date (the
//! import date when no issue date is known), for the number of years its category requires under
//! the chosen jurisdiction; February 29 and short months are clamped, never rolled over. This
//! module only computes: holds, restriction and disposal live in the vault, which refuses to
//! dispose of a document before its date without an explicit, audited override.

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::error::Why;
use crate::records::direction::Direction;
use crate::{Error, Result};

/// What kind of document, for retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// An invoice from a supplier.
    InvoiceReceived,
    /// An invoice the owner issued.
    InvoiceIssued,
    /// A credit note (either way).
    CreditNote,
    /// A receipt (till ticket, card slip).
    Receipt,
    /// A contract.
    Contract,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 6] = [
        Category::InvoiceReceived,
        Category::InvoiceIssued,
        Category::CreditNote,
        Category::Receipt,
        Category::Contract,
        Category::Other,
    ];

    /// The kebab-case name (`invoice-received`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::InvoiceReceived => "invoice-received",
            Category::InvoiceIssued => "invoice-issued",
            Category::CreditNote => "credit-note",
            Category::Receipt => "receipt",
            Category::Contract => "contract",
            Category::Other => "other",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Result<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(
                    "category",
                    Why::NotOneOf {
                        value: s.trim().to_owned(),
                        allowed: Category::ALL.map(Category::as_str).join(", "),
                    },
                )
            })
    }

    /// A first guess from the extracted data: credit notes by type code, invoices by format,
    /// issued when the document is a sale (its `direction`, see [`crate::records::direction`]),
    /// images as receipts.
    pub fn guess(fields: &serde_json::Value, direction: Direction) -> Category {
        let get = |p: &str| crate::records::fields::get(fields, p);
        let format = get("format").unwrap_or("other");
        if get("type_code").is_some_and(crate::records::fields::is_credit_note) {
            return Category::CreditNote;
        }
        let seller_is_owner = direction == Direction::Sale;
        match format {
            "factur-x" | "ubl" | "cii" | "pdf-text" | "pdf-scan" | "image"
                if get("number").is_some()
                    || !crate::records::fields::is_read_from_text(format) =>
            {
                if seller_is_owner {
                    Category::InvoiceIssued
                } else {
                    Category::InvoiceReceived
                }
            }
            "image" => Category::Receipt,
            _ => Category::Other,
        }
    }
}

/// Whose rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Jurisdiction {
    /// France: Code de commerce L123-22 (10 years for accounting and supporting documents),
    /// Livre des procédures fiscales L102 B (6 years) for other documents.
    France,
    /// Germany: 8 years for invoices and vouchers (BEG IV, from 2025), 6 for business letters.
    Germany,
    /// The owner's own periods per category (starting from the French ones).
    Custom,
}

impl Jurisdiction {
    /// Parses `france`, `germany` or `custom`.
    pub fn parse(s: &str) -> Result<Jurisdiction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "france" | "fr" => Ok(Jurisdiction::France),
            "germany" | "de" => Ok(Jurisdiction::Germany),
            "custom" => Ok(Jurisdiction::Custom),
            other => Err(Error::invalid(
                "jurisdiction",
                Why::NotOneOf {
                    value: other.to_owned(),
                    allowed: "france, germany, custom".into(),
                },
            )),
        }
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::France => "france",
            Jurisdiction::Germany => "germany",
            Jurisdiction::Custom => "custom",
        }
    }

    /// Years a category is kept under this jurisdiction's preset.
    pub fn preset_years(self, c: Category) -> u32 {
        use Category::*;
        match self {
            Jurisdiction::France | Jurisdiction::Custom => match c {
                InvoiceReceived | InvoiceIssued | CreditNote | Receipt | Contract => 10,
                Other => 6,
            },
            Jurisdiction::Germany => match c {
                InvoiceReceived | InvoiceIssued | CreditNote | Receipt => 8,
                Contract | Other => 6,
            },
        }
    }
}

/// The retention rules in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Policy {
    /// Whose rules.
    pub jurisdiction: Jurisdiction,
    /// The fiscal year's last day (month, day); 31 December by default.
    pub fiscal_year_end: (u8, u8),
    /// With [`Jurisdiction::Custom`]: years per category that differ from the preset.
    pub custom_years: Vec<(Category, u32)>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            jurisdiction: Jurisdiction::France,
            fiscal_year_end: (12, 31),
            custom_years: Vec::new(),
        }
    }
}

pub use crate::support::dates::{format_ymd as format_date, today};

/// Parses `YYYY-MM-DD` (surrounding spaces allowed) into a setting error naming the shape.
pub fn parse_date(s: &str) -> Result<Date> {
    crate::support::dates::parse_ymd_field("date", s)
}

/// The date in `year` with this month and day, clamped to the month's length (29 February in a
/// common year is the 28th).
fn clamped(year: i32, month: u8, day: u8) -> Result<Date> {
    let no_such = || {
        Error::invalid(
            "fiscal-year-end",
            Why::NoSuchDate {
                value: format!("{year}-{month:02}-{day:02}"),
            },
        )
    };
    let m = Month::try_from(month).map_err(|_| no_such())?;
    let last = time::util::days_in_month(m, year);
    Date::from_calendar_date(year, m, day.min(last)).map_err(|_| no_such())
}

impl Policy {
    /// Parses a fiscal-year end written `MM-DD` (e.g. `12-31`, `06-30`).
    pub fn parse_fiscal_year_end(s: &str) -> Result<(u8, u8)> {
        let bad = || {
            Error::invalid(
                "fiscal-year-end",
                Why::BadFormat {
                    value: s.trim().to_owned(),
                    format: "MM-DD".into(),
                },
            )
        };
        let (m, d) = s.trim().split_once('-').ok_or_else(bad)?;
        let (m, d): (u8, u8) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        let month = Month::try_from(m).map_err(|_| bad())?;
        // Valid in a leap year (so 02-29 is accepted and clamped in common years).
        if d == 0 || d > time::util::days_in_month(month, 2028) {
            return Err(bad());
        }
        Ok((m, d))
    }

    /// Years `category` is kept.
    pub fn years(&self, category: Category) -> u32 {
        if self.jurisdiction == Jurisdiction::Custom
            && let Some((_, y)) = self.custom_years.iter().find(|(c, _)| *c == category)
        {
            return *y;
        }
        self.jurisdiction.preset_years(category)
    }

    /// The last day of the fiscal year that contains `date`.
    pub fn fiscal_year_end_of(&self, date: Date) -> Result<Date> {
        let (m, d) = self.fiscal_year_end;
        let this_year = clamped(date.year(), m, d)?;
        if date <= this_year {
            Ok(this_year)
        } else {
            clamped(date.year() + 1, m, d)
        }
    }

    /// The day retention counts from. The issue date only when it can be trusted: confirmed by
    /// the owner, or read from an e-invoice's XML and plausible (not more than a year after the
    /// import, and not so old that its retention would already be over when it was imported);
    /// otherwise, a date guessed from text or an implausible one, the import date, until the
    /// owner confirms it. No unconfirmed date can make a document due by itself.
    pub fn retention_base(
        &self,
        category: Category,
        issue_date: Option<(Date, DateTrust)>,
        imported: Date,
    ) -> Result<Date> {
        match issue_date {
            Some((date, DateTrust::Confirmed)) => Ok(date),
            Some((date, DateTrust::Structured)) => {
                let too_late = date > imported.saturating_add(time::Duration::days(366));
                let over_at_import = self.retain_until(category, Some(date), imported)? < imported;
                Ok(if too_late || over_at_import {
                    imported
                } else {
                    date
                })
            }
            Some((_, DateTrust::Guessed)) | None => Ok(imported),
        }
    }

    /// The last day a document must be kept: the end of its fiscal year plus the category's years.
    pub fn retain_until(
        &self,
        category: Category,
        issue_date: Option<Date>,
        imported: Date,
    ) -> Result<Date> {
        let base = issue_date.unwrap_or(imported);
        let fye = self.fiscal_year_end_of(base)?;
        let years = self.years(category) as i32;
        // Keep the fiscal-year end's own day (a 29 February end becomes the 28th when needed).
        clamped(
            fye.year() + years,
            self.fiscal_year_end.0,
            self.fiscal_year_end.1,
        )
    }
}

/// How far an issue date can be trusted to count retention from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTrust {
    /// Entered or confirmed by the owner (a correction).
    Confirmed,
    /// Read exactly from an e-invoice's XML.
    Structured,
    /// Guessed from a PDF's text.
    Guessed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_trusted_plausible_dates_count() {
        let p = Policy::default();
        let c = Category::InvoiceReceived;
        let imported = d("2026-11-30");
        let base = |date: &str, trust| {
            p.retention_base(c, Some((d(date), trust)), imported)
                .unwrap()
        };
        assert_eq!(base("2019-03-01", DateTrust::Structured), d("2019-03-01"));
        // An e-invoice claiming 1990 would be due at import: the import date counts instead.
        assert_eq!(base("1990-01-01", DateTrust::Structured), imported);
        assert_eq!(base("2031-01-01", DateTrust::Structured), imported);
        // Guessed from text: the import date until the owner confirms.
        assert_eq!(base("2019-03-01", DateTrust::Guessed), imported);
        assert_eq!(base("1990-01-01", DateTrust::Confirmed), d("1990-01-01"));
        assert_eq!(p.retention_base(c, None, imported).unwrap(), imported);
    }

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn france_counts_ten_years_from_the_end_of_the_fiscal_year() {
        let p = Policy::default();
        let until = |issue: &str| {
            format_date(
                p.retain_until(Category::InvoiceReceived, Some(d(issue)), d("2030-01-01"))
                    .unwrap(),
            )
        };
        assert_eq!(until("2026-01-01"), "2036-12-31");
        assert_eq!(
            until("2026-12-31"),
            "2036-12-31",
            "the last day belongs to its fiscal year"
        );
        // Without an issue date, the import date counts.
        let no_issue = p
            .retain_until(Category::InvoiceReceived, None, d("2027-01-01"))
            .unwrap();
        assert_eq!(format_date(no_issue), "2037-12-31");
        assert_eq!(p.years(Category::Other), 6);
    }

    #[test]
    fn fiscal_year_boundaries_and_leap_days() {
        let june = Policy {
            fiscal_year_end: (6, 30),
            ..Policy::default()
        };
        let until = |p: &Policy, issue: &str| {
            format_date(
                p.retain_until(Category::InvoiceIssued, Some(d(issue)), d(issue))
                    .unwrap(),
            )
        };
        assert_eq!(until(&june, "2026-06-30"), "2036-06-30");
        assert_eq!(until(&june, "2026-07-01"), "2037-06-30");
        // A fiscal year ending on 29 February: in common years it ends on the 28th.
        let feb = Policy {
            fiscal_year_end: (2, 29),
            ..Policy::default()
        };
        assert_eq!(until(&feb, "2027-02-28"), "2037-02-28");
        assert_eq!(until(&feb, "2027-03-01"), "2038-02-28");
        assert_eq!(until(&feb, "2028-02-29"), "2038-02-28");
        assert_eq!(
            until(&feb, "2026-03-01"),
            "2037-02-28",
            "FY ends 2027-02-28, +10 years"
        );
        let feb_in_leap = Policy {
            jurisdiction: Jurisdiction::Germany,
            ..feb.clone()
        };
        assert_eq!(
            until(&feb_in_leap, "2027-12-01"),
            "2036-02-29",
            "FY ends 2028-02-29, +8 = 2036 (leap)"
        );
        assert_eq!(Policy::parse_fiscal_year_end("02-29").unwrap(), (2, 29));
        assert!(Policy::parse_fiscal_year_end("02-30").is_err());
        assert!(Policy::parse_fiscal_year_end("13-01").is_err());
    }

    #[test]
    fn germany_and_custom_periods() {
        let de = Policy {
            jurisdiction: Jurisdiction::Germany,
            ..Policy::default()
        };
        assert_eq!(de.years(Category::InvoiceReceived), 8);
        assert_eq!(de.years(Category::Contract), 6);
        let custom = Policy {
            jurisdiction: Jurisdiction::Custom,
            custom_years: vec![(Category::Receipt, 3)],
            ..Policy::default()
        };
        assert_eq!(custom.years(Category::Receipt), 3);
        assert_eq!(custom.years(Category::InvoiceReceived), 10);
    }

    #[test]
    fn categories_are_guessed_from_the_data() {
        let owner = crate::records::direction::Owner {
            ids: vec!["FR44732829320".to_owned()],
            names: Vec::new(),
        };
        let inv = |seller_vat: &str, code: &str| json!({"format": "ubl", "number": "1", "type_code": code, "seller": {"vat_id": seller_vat}});
        let guess = |f: &serde_json::Value| {
            Category::guess(f, crate::records::direction::decide(f, &owner))
        };
        assert_eq!(guess(&inv("DE123", "380")), Category::InvoiceReceived);
        assert_eq!(
            guess(&inv("FR 44 732 829 320", "380")),
            Category::InvoiceIssued
        );
        assert_eq!(guess(&inv("DE123", "381")), Category::CreditNote);
        assert_eq!(guess(&json!({"format": "image"})), Category::Receipt);
        assert_eq!(guess(&json!({"format": "pdf-text"})), Category::Other);
        assert_eq!(guess(&json!({"format": "other"})), Category::Other);
        assert_eq!(
            Category::parse("credit-note").unwrap(),
            Category::CreditNote
        );
        assert!(Category::parse("invoice").is_err());
    }
}
