//! `ecritures.csv`, the accounting-entries preset of a bundle: one line per (invoice, VAT rate),
//! in the columns accounting tools import, named as in the French FEC (Fichier des écritures
//! comptables, art. A47 A-1 LPF) where the FEC has one.
//!
//! Promises: the columns are exactly [`COLUMNS`], in that order; French CSV conventions (UTF-8
//! with BOM, `;`, decimal comma, formula cells defused, by [`crate::support::csv`]); dates as the
//! FEC writes them (`AAAAMMJJ`); purchases go to journal `ACH`, sales to `VT`, and a document
//! whose direction is unknown, or that is a copy of another, gets no line (the README counts
//! them); an invoice's lines add up to its totals (see [`vat::booking_lines`]); credit notes'
//! amounts are negative.

use coffre_extract::amount::Decimal;

use super::index_files::Row;
use crate::records::direction::{Direction, id_keys};
use crate::records::fields::get;
use crate::records::vat;
use crate::support::csv::{Cell, Table};

/// The columns of `ecritures.csv` (a contract), in order.
pub const COLUMNS: [&str; 13] = [
    "JournalCode",
    "PieceRef",
    "PieceDate",
    "CompAuxLib",
    "Siren",
    "NumTVA",
    "MontantHT",
    "TauxTVA",
    "MontantTVA",
    "MontantTTC",
    "Devise",
    "DateEcheance",
    "Fichier",
];

/// A real `YYYY-MM-DD` date as the FEC writes dates (`YYYYMMDD`); empty otherwise.
fn fec_date(d: Option<&str>) -> String {
    d.filter(|d| crate::support::dates::parse_ymd(d).is_some())
        .map(|d| d.replace('-', ""))
        .unwrap_or_default()
}

/// An amount with a decimal comma (negated when `negate`), empty when unknown.
fn amount(d: Option<Decimal>, negate: bool) -> String {
    d.map(|d| if negate { d.negated() } else { d })
        .map(|d| d.to_plain_string().replace('.', ","))
        .unwrap_or_default()
}

/// The SIREN in a party's identifiers, if any.
fn siren(fields: &serde_json::Value, party: &str) -> String {
    ["legal_id", "vat_id"]
        .iter()
        .filter_map(|k| get(fields, &format!("{party}.{k}")))
        .flat_map(id_keys)
        .find_map(|k| k.strip_prefix("SIREN:").map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a row gets accounting lines: not a copy, a purchase or a sale, and not in conflict
/// with another document of the same number (which of the two is right is for the owner to
/// say; booking both would count the invoice twice).
pub(super) fn booked(r: &Row) -> bool {
    r.copy_of.is_none() && r.direction != Direction::Unknown && !r.copy_conflict
}

/// `ecritures.csv` for the rows of a bundle.
pub(super) fn ecritures_csv(rows: &[Row]) -> Vec<u8> {
    let mut t = Table::new(&COLUMNS);
    for r in rows.iter().filter(|r| booked(r)) {
        let (journal, party) = match r.direction {
            Direction::Purchase => ("ACH", "seller"),
            _ => ("VT", "buyer"),
        };
        let f = &r.fields;
        let name = get(f, &format!("{party}.name")).unwrap_or_default();
        let vat_id = get(f, &format!("{party}.vat_id")).unwrap_or_default();
        let siren = siren(f, party);
        let number = r.number.clone().unwrap_or_default();
        // The invoice's own date: the import date the bundle orders by is not a piece date.
        let date = fec_date(get(f, "issue_date"));
        let due = fec_date(r.due_date.as_deref());
        let currency = r.currency.clone().unwrap_or_default();
        let lines = vat::booking_lines(f);
        // A credit note reduces: its amounts are negative, as a whole (printed positive, as
        // EN 16931 has them, they are negated; printed negative already, kept).
        let total = Decimal::parse("0").and_then(|zero| {
            lines
                .iter()
                .filter_map(|l| l.gross.or(l.net))
                .try_fold(zero, Decimal::checked_add)
        });
        let negate = r.credit_note && total.is_some_and(|t| !t.to_plain_string().starts_with('-'));
        for line in lines {
            let amounts = [
                amount(line.net, negate),
                line.rate.replace('.', ","),
                amount(line.vat, negate),
                amount(line.gross, negate),
            ];
            t.row([
                Cell::Text(journal),
                Cell::Text(&number),
                Cell::Text(&date),
                Cell::Text(name),
                Cell::Text(&siren),
                Cell::Text(vat_id),
                Cell::Number(&amounts[0]),
                Cell::Number(&amounts[1]),
                Cell::Number(&amounts[2]),
                Cell::Number(&amounts[3]),
                Cell::Text(&currency),
                Cell::Text(&due),
                Cell::Text(&r.file),
            ]);
        }
    }
    t.into_bytes()
}
