//! Lifecycle statuses of an invoice: those e-invoicing platforms report (the French reform's
//! codes, carried by CDAR messages) and those the owner sets by hand (e.g. paid).
//!
//! Promises: one vocabulary for both sources, keyed by stable names (`refused`, `paid`, ...) that
//! the UI translates; a platform code outside the table is kept as `other` with its code, never
//! mapped to a guess; what counts as settled or refused is decided here, once.

use serde::Serialize;

use crate::error::Why;
use crate::{Error, Result};

/// The statuses of the French e-invoicing reform (code, name), in code order.
pub const STATUSES: [(&str, &str); 15] = [
    ("200", "deposited"),
    ("201", "issued"),
    ("202", "received"),
    ("203", "made-available"),
    ("204", "taken-over"),
    ("205", "approved"),
    ("206", "partly-approved"),
    ("207", "disputed"),
    ("208", "suspended"),
    ("209", "completed"),
    ("210", "refused"),
    ("211", "payment-sent"),
    ("212", "paid"),
    ("213", "rejected"),
    ("214", "endorsed"),
];

/// The name of a platform status code (`other` outside the table).
pub fn name_of_code(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code.trim())
        .map_or("other", |(_, n)| n)
}

/// The code of a status name, when it has one.
pub fn code_of(name: &str) -> Option<&'static str> {
    STATUSES.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

/// Checks a status the owner sets by hand: one of the names of [`STATUSES`].
pub fn parse_manual(name: &str) -> Result<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    STATUSES
        .iter()
        .find(|(_, s)| *s == n)
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            Error::invalid(
                "status",
                Why::NotOneOf {
                    value: name.trim().to_owned(),
                    allowed: STATUSES.map(|(_, s)| s).join(", "),
                },
            )
        })
}

/// Statuses after which nothing is owed any more: paid by the buyer or cashed by the seller.
pub const SETTLED: [&str; 2] = ["payment-sent", "paid"];
/// Statuses that end the invoice without payment.
pub const REFUSED: [&str; 2] = ["refused", "rejected"];

/// One status of an invoice, as the detail screen and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct StatusEntry {
    /// The name (`refused`, `paid`, ... or `other`).
    pub status: String,
    /// The platform's code, when it came from a platform.
    pub code: Option<String>,
    /// When it was reached (RFC 3339 or `YYYY-MM-DD`).
    pub at: String,
    /// `platform` (a lifecycle message) or `owner` (set by hand).
    pub source: String,
    /// The reason or note given.
    pub reason: Option<String>,
    /// The lifecycle message it came from (a document id).
    pub message: Option<String>,
}

/// The table's payment filters (`unpaid`, `due-week`, `overdue`, `refused`) as an SQL condition
/// on `doc_fields f` and the values of its `?` (dates relative to `today`).
pub fn payment_condition(filter: &str, today: time::Date) -> Result<(String, Vec<String>)> {
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let unpaid = format!(
        "f.payable = 1 AND COALESCE(f.status, '') NOT IN ({}, {})",
        quoted(&SETTLED),
        quoted(&REFUSED)
    );
    Ok(match filter {
        "unpaid" => (unpaid, Vec::new()),
        "due-week" => (
            format!("{unpaid} AND f.due_date >= ? AND f.due_date <= ?"),
            vec![
                today.to_string(),
                today.saturating_add(time::Duration::days(6)).to_string(),
            ],
        ),
        "overdue" => (
            format!("{unpaid} AND f.due_date < ?"),
            vec![today.to_string()],
        ),
        "refused" => (format!("f.status IN ({})", quoted(&REFUSED)), Vec::new()),
        other => {
            return Err(Error::invalid(
                "payment",
                Why::NotOneOf {
                    value: other.to_owned(),
                    allowed: "unpaid, due-week, overdue, refused".into(),
                },
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(name_of_code("210"), "refused");
        assert_eq!(name_of_code(" 212 "), "paid");
        assert_eq!(name_of_code("299"), "other");
        assert_eq!(code_of("paid"), Some("212"));
        assert_eq!(parse_manual("Paid").unwrap(), "paid");
        assert!(parse_manual("other").is_err());
        let today = time::macros::date!(2026 - 12 - 02);
        assert!(payment_condition("due-week", today).is_ok());
        assert!(payment_condition("paid", today).is_err());
    }
}
