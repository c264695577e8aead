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

/// `YYYY-MM-DD` as the FEC writes dates (`YYYYMMDD`); empty when absent.
fn fec_date(d: Option<&str>) -> String {
    d.map(|d| d.replace('-', "")).unwrap_or_default()
}

/// A decimal with a comma, negated for a credit note.
fn amount(d: Decimal, credit_note: bool) -> String {
    let d = if credit_note && !d.is_zero() {
        Decimal::parse(&format!("-{}", d.to_plain_string().trim_start_matches('-'))).unwrap_or(d)
    } else {
        d
    };
    d.to_plain_string().replace('.', ",")
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

/// Whether a row gets accounting lines.
pub(super) fn booked(r: &Row) -> bool {
    r.copy_of.is_none() && r.direction != Direction::Unknown
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
        let date = fec_date(Some(&r.date));
        let due = fec_date(r.due_date.as_deref());
        let currency = r.currency.clone().unwrap_or_default();
        for line in vat::booking_lines(f) {
            let amounts = [
                amount(line.net, r.credit_note),
                line.rate.replace('.', ","),
                amount(line.vat, r.credit_note),
                amount(line.gross, r.credit_note),
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
