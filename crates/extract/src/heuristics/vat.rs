//! The VAT breakdown (BG-23) printed on an invoice: one row per rate with the rate, the taxable
//! base and the VAT amount, read from plain text.
//!
//! Layouts read: a row on one line in any order of columns ("TVA 20 % sur 100,00 : 20,00",
//! "USt 19 % auf 100,00 € 19,00 €", "VAT 20% of 100.00 20.00", "21 % 41,31 8,68 49,99"); rows
//! under a header line naming the columns ("Taux / Base HT / Montant TVA", "Basisbetrag
//! Steuersatz [%] Steuerbetrag"), whose rates may then be written without `%`; a row whose rate
//! ends one line and whose amounts start the next; rates side by side on one line with the bases
//! and the amounts on the next two ("columns"); a rate glued to the base before it ("403,5519"
//! for 403,55 and 19 %, as some text layers join adjacent columns). When no row is printed, a
//! single VAT line ("TVA 20 % : 200,00") with a known net total gives the one row (20, net, VAT).
//!
//! Promises: a row is kept only when its VAT amount is its base times its rate, to two cents
//! (see `row`: the base comes before the amount on the line and is at least 1.00, a 0 % row has a
//! zero amount, and a bare `0` is read as a rate only when a total is known to check it); a line
//! mentioning a discount, surcharge or deposit gives no row. The rows returned have distinct
//! rates, and when the document's net, VAT or gross total is known they add up to it (to a cent
//! per row): otherwise the single subset of rows that does is kept, or none at all. An absent
//! breakdown is preferred to a wrong one. Amounts are normalised like the totals (`1234.56`) and
//! positive on credit notes (type 381, as the totals); rates keep their digits with a dot
//! (`5,5` → `5.5`, `20,0` → `20.0`). The category is `S` for a positive rate and left empty for
//! 0 % (exempt, zero-rated, reverse charge or export cannot be told apart reliably).
//!
//! `row` reads one line; this module finds the lines (headers and their scope, rows split over
//! two lines, columns), weighs the rows against the totals and falls back on a single VAT line.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::VatBreakdown;

use super::TextFields;
use super::numbers::find_amount_spans;

mod row;

use row::{MAX_LINE_NUMBERS, PCT_RATE, Rate, Row, cents, consistent, row_in, same_row, tokens};

/// Non-empty lines after a header line that it governs.
const HEADER_SCOPE: usize = 12;
/// Most candidate rows weighed against the totals.
const MAX_ROWS: usize = 12;

/// A word naming VAT (or a sales tax) in French, English, German, Dutch, Spanish, Italian.
static VAT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:^|[^\p{L}])(?:t\.?v\.?a|vat|tax|taxes|taxe|ust|mwst|umsatzsteuer\p{L}*|",
        r"mehrwertsteuer|steuer(?:betrag|satz|summe|aufschl\p{L}*)?|btw|iva|gst|moms|alv)",
        r"(?:[^\p{L}]|$)"
    ))
    .expect("static regex")
});
/// Lines about something else than VAT that also carry a rate and amounts.
static NOT_VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)skonto|rabatt|nachlass|abschlag|zuschlag|remise|rabais|escompte|discount|",
        r"korting|sconto|descuento|acompte|anzahlung|deposit"
    ))
    .expect("static regex")
});
/// A column name beside the VAT word in a header line.
static COLUMN_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)base|basis|betrag|bedrag|grondslag|net|\bht\b|taxable|montant|amount|warenwert|",
        r"imponible|imponibile|total|summe|satz|taux|\brate\b|tarief|%"
    ))
    .expect("static regex")
});
/// A header with a rate column, whose rows may write their rate without `%`.
static RATE_COLUMN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)%|satz|taux|\brate\b|tarief|prozent|percent|aliquota|tipo")
        .expect("static regex")
});

impl Row {
    fn into_breakdown(self) -> VatBreakdown {
        VatBreakdown {
            category: (self.rate.milli > 0).then(|| "S".to_string()),
            rate: Some(self.rate.text),
            taxable_amount: Some(cents_text(self.base)),
            tax_amount: Some(cents_text(self.amount)),
        }
    }
}

/// Cents as a normalised amount (`-12.30`).
fn cents_text(c: i128) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
}

/// `Some(rate column)` for a header line: a VAT word and, besides it, a column name
/// ("Umsatzsteuer" alone names no column), and no number. What follows a first amount is another
/// column of the page (a header beside a totals block: "Taxe  Base  Montant    Total HT  624,90
/// €") and is ignored, when at least three words come before it.
fn header(line: &str) -> Option<bool> {
    let spans = find_amount_spans(line);
    let head = spans.first().map_or(line, |(span, _)| &line[..span.start]);
    let words = head.split_whitespace().count();
    let plain = !PCT_RATE.is_match(head) && words >= if spans.is_empty() { 2 } else { 3 };
    let others = VAT_WORD.replace_all(head, " ");
    (plain && VAT_WORD.is_match(head) && COLUMN_WORD.is_match(&others))
        .then(|| RATE_COLUMN.is_match(head))
}

/// Every candidate row of the text, in document order.
fn table_rows(lines: &[&str]) -> Vec<Row> {
    let next_nonempty =
        |i: usize| (i + 1..lines.len().min(i + 4)).find(|&j| !lines[j].trim().is_empty());
    let mut rows = Vec::new();
    let mut scope: Option<(bool, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let at = i;
        i += 1;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rate_column) = header(line) {
            scope = Some((rate_column, HEADER_SCOPE));
            continue;
        }
        let governed = scope.is_some_and(|(_, left)| left > 0);
        let bare = governed && scope.is_some_and(|(rate_column, _)| rate_column);
        if let Some((_, left)) = scope.as_mut() {
            *left = left.saturating_sub(1);
        }
        if !(governed || VAT_WORD.is_match(line)) || NOT_VAT.is_match(line) {
            continue;
        }
        if let Some(row) = row_in(line, bare) {
            rows.push(row);
            continue;
        }
        // A line of rates without amounts: the amounts are on the next line(s).
        let rates: Vec<Rate> = tokens(line, false, false)
            .into_iter()
            .filter_map(|t| t.rate)
            .collect();
        if rates.is_empty() || !find_amount_spans(line).is_empty() {
            continue;
        }
        let usable = |j: usize| !NOT_VAT.is_match(lines[j]) && !PCT_RATE.is_match(lines[j]);
        let Some(j) = next_nonempty(at).filter(|&j| usable(j)) else {
            continue;
        };
        if rates.len() == 1 && find_amount_spans(lines[j]).len() >= 2 {
            if let Some(row) = row_in(&format!("{line} {}", lines[j]), bare) {
                rows.push(row);
                i = j + 1;
            }
        } else if let Some(k) = next_nonempty(j).filter(|&k| usable(k))
            && let Some(mut found) = columns(&rates, lines[j], lines[k])
        {
            rows.append(&mut found);
            i = k + 1;
        }
    }
    rows
}

/// Rates side by side, then a line of bases and a line of amounts (either order), one per rate.
fn columns(rates: &[Rate], first: &str, second: &str) -> Option<Vec<Row>> {
    let amounts = |l: &str| -> Option<Vec<i128>> {
        let v: Vec<i128> = find_amount_spans(l)
            .iter()
            .filter_map(|(_, a)| cents(a))
            .collect();
        (v.len() == rates.len()).then_some(v)
    };
    let (a, b) = (amounts(first)?, amounts(second)?);
    for (bases, vats) in [(&a, &b), (&b, &a)] {
        let ok = rates
            .iter()
            .zip(bases.iter().zip(vats.iter()))
            .all(|(r, (base, vat))| consistent(r, *base, *vat));
        if ok {
            let rows = rates.iter().zip(bases.iter().zip(vats.iter()));
            return Some(
                rows.map(|(r, (base, vat))| Row {
                    rate: r.clone(),
                    base: *base,
                    amount: *vat,
                })
                .collect(),
            );
        }
    }
    None
}

/// The document's totals in cents, where known.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    net: Option<i128>,
    vat: Option<i128>,
    gross: Option<i128>,
}

impl Totals {
    fn of(out: &TextFields) -> Totals {
        let c = |g: &Option<super::Guess>| g.as_ref().and_then(|g| cents(&g.value));
        Totals {
            net: c(&out.total_without_vat),
            vat: c(&out.total_vat),
            gross: c(&out.total_with_vat),
        }
    }

    fn known(&self) -> bool {
        self.net.is_some() || self.vat.is_some() || self.gross.is_some()
    }

    /// True when `rows` have distinct rates and add up to every known total.
    fn fit(&self, rows: &[&Row]) -> bool {
        let distinct = rows
            .iter()
            .enumerate()
            .all(|(i, r)| rows[..i].iter().all(|o| o.rate.milli != r.rate.milli));
        let tol = rows.len() as i128;
        let base: i128 = rows.iter().map(|r| r.base).sum();
        let vat: i128 = rows.iter().map(|r| r.amount).sum();
        let near = |total: Option<i128>, sum: i128| total.is_none_or(|t| (t - sum).abs() <= tol);
        distinct && near(self.net, base) && near(self.vat, vat) && near(self.gross, base + vat)
    }
}

/// The rows to return: all of them when they fit the totals, else the one subset that does.
fn select(mut rows: Vec<Row>, totals: &Totals) -> Vec<Row> {
    let mut unique: Vec<Row> = Vec::new();
    for r in rows.drain(..) {
        if !unique.iter().any(|u| same_row(u, &r)) {
            unique.push(r);
        }
    }
    if unique.len() > MAX_ROWS {
        return Vec::new();
    }
    if totals.fit(&unique.iter().collect::<Vec<_>>()) {
        return unique;
    }
    if !totals.known() {
        return Vec::new();
    }
    let subset = |mask: u32| -> Vec<&Row> {
        let picked = unique
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0);
        picked.map(|(_, r)| r).collect()
    };
    let fitting: Vec<u32> = (1..(1u32 << unique.len()))
        .filter(|&m| totals.fit(&subset(m)))
        .collect();
    match fitting.as_slice() {
        [m] => subset(*m).into_iter().cloned().collect(),
        _ => Vec::new(),
    }
}

/// One VAT line ("TVA 20 % : 200,00") and the net total: the single row of a one-rate invoice.
/// Needs the only rate written on VAT lines, the VAT total printed after it, and net × rate = VAT.
fn single_rate(lines: &[&str], totals: &Totals) -> Option<Row> {
    let (net, vat) = (totals.net?, totals.vat?);
    let mut rates: Vec<Rate> = Vec::new();
    let mut printed: Option<Rate> = None;
    for line in lines {
        if !VAT_WORD.is_match(line) || NOT_VAT.is_match(line) {
            continue;
        }
        let toks = tokens(line, false, false);
        if toks.len() > MAX_LINE_NUMBERS {
            continue;
        }
        for (k, t) in toks.iter().enumerate() {
            let Some(r) = &t.rate else { continue };
            if !rates.iter().any(|o| o.milli == r.milli) {
                rates.push(r.clone());
            }
            if toks[k..].iter().any(|a| a.amount == Some(vat)) {
                printed = Some(r.clone());
            }
        }
    }
    let rate = printed.filter(|r| rates.len() == 1 && r.milli > 0)?;
    consistent(&rate, net, vat).then_some(Row {
        rate,
        base: net,
        amount: vat,
    })
}

/// The VAT breakdown printed in `lines` (see the module documentation), checked against the
/// totals and type code already chosen in `out`.
pub(super) fn breakdown(lines: &[&str], out: &TextFields) -> Vec<VatBreakdown> {
    let mut rows = table_rows(lines);
    let credit = out.type_code.as_ref().is_some_and(|g| g.value == "381");
    if credit && !rows.is_empty() && rows.iter().all(|r| r.base < 0 && r.amount <= 0) {
        for r in &mut rows {
            r.base = -r.base;
            r.amount = -r.amount;
        }
    }
    let totals = Totals::of(out);
    if !totals.known() {
        // A bare 0 is too common a number to be read as a rate without totals to agree with.
        rows.retain(|r| r.rate.pct || r.rate.milli != 0);
    }
    let chosen = if rows.is_empty() {
        single_rate(lines, &totals).into_iter().collect()
    } else {
        select(rows, &totals)
    };
    chosen.into_iter().map(Row::into_breakdown).collect()
}

#[cfg(test)]
mod tests {
    use super::super::extract_fields;
    use super::header;

    /// The rows of `text` as (rate, base, amount).
    fn rows(text: &str) -> Vec<(String, String, String)> {
        extract_fields(text)
            .vat_breakdown
            .into_iter()
            .map(|b| {
                let s = |v: Option<String>| v.unwrap_or_default();
                (s(b.rate), s(b.taxable_amount), s(b.tax_amount))
            })
            .collect()
    }

    fn r(rate: &str, base: &str, amount: &str) -> (String, String, String) {
        (rate.into(), base.into(), amount.into())
    }

    #[test]
    fn french_table_and_inline_rows() {
        let t = "Facture FA-1\nTaxe Base Montant\nTVA collectée (vente) 20,0% 81,90 € 16,38 €\n\
                 TVA collectée (vente) 5,5% 543,00 € 29,87 €\nTotal HT 624,90 €\n\
                 Total taxes 46,25 €\nTotal TTC 671,15 €\n";
        assert_eq!(
            rows(t),
            [r("20.0", "81.90", "16.38"), r("5.5", "543.00", "29.87")]
        );
        let b = &extract_fields(t).vat_breakdown[0];
        assert_eq!(b.category.as_deref(), Some("S"));
        let t = "Total HT 100,00 €\nTVA 20 % sur 100,00 : 20,00 €\nTotal TTC 120,00 €\n";
        assert_eq!(rows(t), [r("20", "100.00", "20.00")]);
        // Header with a bare rate column, rate first ("19 100,00" is not 19100.00).
        let t = "Taux Base HT Montant TVA\n20,00 1 000,00 200,00\n5,5 100,00 5,50\n";
        assert_eq!(
            rows(t),
            [r("20.00", "1000.00", "200.00"), r("5.5", "100.00", "5.50")]
        );
        assert_eq!(
            rows("Taux TVA Base Montant\n19 100,00 19,00\n"),
            [r("19", "100.00", "19.00")]
        );
        // A 0 % row: written with `%`, zero amount, no category guessed.
        let t =
            "Tax Base Amount\nTVA 0% livraisons intracommunautaires\n(vente) 2,076.76 € 0.00 €\n";
        assert_eq!(rows(t), [r("0", "2076.76", "0.00")]);
        assert_eq!(extract_fields(t).vat_breakdown[0].category, None);
    }

    #[test]
    fn header_lines() {
        assert_eq!(header("Taxe Base Montant"), Some(false));
        assert_eq!(header("USt. Satz Nettopreis Ust.-Betrag"), Some(true));
        assert_eq!(header("Taux Base HT Montant TVA"), Some(true));
        assert_eq!(
            header("Taxe   Base   Montant      Total HT   624,90 €"),
            Some(false)
        );
        assert_eq!(header("Umsatzsteuer  S ( ) 275,00 7 19,25"), None);
        assert_eq!(header("Steuerbetrag in EUR 76,67"), None);
        assert_eq!(header("TVA 20 % Base"), None);
        assert_eq!(header("Désignation Quantité Prix"), None);
    }

    #[test]
    fn german_layouts() {
        let t = "Nettobetrag 100,00 €\nUSt 19 % auf 100,00 € 19,00 €\nBruttobetrag 119,00 €\n";
        assert_eq!(rows(t), [r("19", "100.00", "19.00")]);
        // Header above, bare rates, a blank line between rows, a glued base and rate.
        let t = "Art (Kategorie) Warenwert Zu-/Abschlag Basisbetrag Steuersatz [%] Steuerbetrag\n\n\
                 Umsatzsteuer  S ( ) 275,00 7 19,25\n\nUmsatzsteuer  S ( ) 198,00 19 37,62\n";
        assert_eq!(
            rows(t),
            [r("7", "275.00", "19.25"), r("19", "198.00", "37.62")]
        );
        let t = "Art (Kategorie) Warenwert Zu-/Abschlag Basisbetrag USt. % Steuerbetrag\n\
                 Umsatzsteuer  (S) 410,10 -6,55 403,5519 76,67\n";
        assert_eq!(rows(t), [r("19", "403.55", "76.67")]);
        // Rate after the amounts; the base is the net column, not the goods value.
        let t = "Warenwert Zu-/Abschlag Nettobetrag MwSt-Betrag MwSt-% Endbetrag\n\
                 326,50 -8,10 321,40 61,07 19,0 382,47\n130,70 -3,11 127,59 8,93 7,0 136,52\n";
        assert_eq!(
            rows(t),
            [r("19.0", "321.40", "61.07"), r("7.0", "127.59", "8.93")]
        );
    }

    #[test]
    fn english_layouts() {
        let t = "Subtotal $100.00\nVAT 20% of 100.00 20.00\nTotal $120.00\n";
        assert_eq!(rows(t), [r("20", "100.00", "20.00")]);
        let t = "Subtotal $ 112.90\nTax 15% on $ 112.90 $ 16.94\nTotal $ 129.84\n";
        assert_eq!(rows(t), [r("15", "112.90", "16.94")]);
        // Rates as columns, bases and amounts on the lines below.
        let t = "VAT rate 5% 20%\nNet 200.00 1,000.00\nVAT 10.00 200.00\nTotal 1,410.00\n";
        assert_eq!(
            rows(t),
            [r("5", "200.00", "10.00"), r("20", "1000.00", "200.00")]
        );
        // A single VAT line and the net total.
        let t = "Net amount 593.36\nVAT 21% 124.61\nTotal 717.97\n";
        assert_eq!(rows(t), [r("21", "593.36", "124.61")]);
    }

    #[test]
    fn credit_note_rows_are_positive() {
        let t = "Avoir AV-2017-0005\nTaxe Base Montant\nTVA 20,0% -20,48 € -4,10 €\n\
                 TVA 5,5% -198,00 € -10,89 €\nTotal HT -218,48 €\nTotal taxes -14,99 €\n\
                 Total TTC -233,47 €\n";
        assert_eq!(
            rows(t),
            [r("20.0", "20.48", "4.10"), r("5.5", "198.00", "10.89")]
        );
    }

    #[test]
    fn inconsistent_rows_are_rejected() {
        // Amount is not base × rate.
        assert!(rows("TVA 20 % sur 100,00 : 25,00\n").is_empty());
        // Consistent rows that do not add up to the totals: the whole breakdown goes.
        let t = "Total HT 300,00\nTVA 20 % sur 100,00 : 20,00\nTotal TVA 20,00\nTotal TTC 320,00\n";
        assert!(rows(t).is_empty());
        // A discount is not VAT, and a base and amount of opposite signs are no row.
        assert!(rows("TVA: remise 10 % sur 200,00 : 20,00\n").is_empty());
        assert!(rows("MwSt 2,00% Basisbetrag: 280,00 Betrag: -5,60\n").is_empty());
        // Two different rows for one rate and no totals: ambiguous.
        assert!(rows("TVA 20% 100,00 20,00\nTVA 20% 50,00 10,00\n").is_empty());
        // Without a rate header, a number without `%` is no rate.
        assert!(rows("Umsatzsteuer 275,00 7 19,25\n").is_empty());
        // A single VAT line that does not agree with the net total.
        assert!(rows("Net 100.00\nVAT 20% 30.00\nTotal 130.00\n").is_empty());
        // Two rates without bases: nothing to derive.
        let t = "Subtotal 1,250.00\nVAT 20% 200.00\nVAT 5% 12.50\nTotal 1,462.50\n";
        assert!(rows(t).is_empty());
    }

    #[test]
    fn hostile_lines_are_bounded() {
        let numbers: String = (0..20_000)
            .map(|i| format!("{},{:02} ", i % 30, i % 100))
            .collect();
        let t = format!("Taux Base Montant TVA\n{numbers}\nTVA 20 % {numbers}\n");
        let start = std::time::Instant::now();
        assert!(rows(&t).is_empty());
        let short: String = (0..30).map(|i| format!("{i},00 ")).collect();
        assert!(rows(&format!("Taux Base Montant TVA\n{short}\n")).is_empty());
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn rows_that_fit_the_totals_are_kept_among_line_rows() {
        // Line items mention VAT too; only the summary adds up to the totals.
        let t = "Produit TVA 20% 50,00 10,00 60,00\nProduit TVA 20% 50,00 10,00 60,00\n\
                 Service TVA 5,5% 100,00 5,50 105,50\nTaux Base Montant TVA\n\
                 20 % 100,00 20,00\n5,5 % 100,00 5,50\nTotal HT 200,00\nTotal TVA 25,50\n\
                 Total TTC 225,50\n";
        assert_eq!(
            rows(t),
            [r("5.5", "100.00", "5.50"), r("20", "100.00", "20.00")]
        );
    }
}
