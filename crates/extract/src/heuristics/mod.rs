//! Invoice fields from plain text, by labels in French, English and German.
//!
//! Works on text alone (unit-testable without PDFs). Promises: a value is returned only when a
//! label points at it (or, for names, a legal-form pattern or a repetition supports it);
//! identifiers are returned only when their checksum or national pattern holds (SIREN/SIRET
//! Luhn, French VAT key, EU VAT patterns, IBAN mod 97); totals are cross-checked
//! (net + VAT = gross) and, when no consistent combination exists, the totals are dropped
//! rather than guessed. Each value carries a confidence in [0, 1].
//!
//! The way through: `labels` finds the labels of each line, `candidates` reads the values they
//! point at (with `values` and `identifiers`), then `totals`, `parties` and `document` choose
//! the fields; this module picks the number and the dates; last, `vat` reads the per-rate VAT
//! breakdown and keeps it only when it agrees with the chosen totals.

pub mod dates;
pub mod numbers;

mod candidates;
mod columns;
mod document;
pub(crate) mod identifiers;
mod labels;
mod names;
mod parties;
mod totals;
pub(crate) mod values;
mod vat;

use crate::model::VatBreakdown;

use candidates::Candidate;
use document::{currency, type_code};
use identifiers::{IBAN, valid_iban_in};
use labels::{Hit, Label, label_hits};
use parties::parties;
use totals::totals;

/// A value found in text with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// The value, normalised (dates `YYYY-MM-DD`, amounts `1234.56`, ids without spaces).
    pub value: String,
    /// Confidence in [0, 1].
    pub confidence: f64,
}

/// Everything the heuristics found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextFields {
    /// BT-1.
    pub number: Option<Guess>,
    /// BT-2.
    pub issue_date: Option<Guess>,
    /// BT-9.
    pub due_date: Option<Guess>,
    /// BT-3 (380 or 381).
    pub type_code: Option<Guess>,
    /// BT-5.
    pub currency: Option<Guess>,
    /// BT-27.
    pub seller_name: Option<Guess>,
    /// BT-31.
    pub seller_vat_id: Option<Guess>,
    /// BT-30.
    pub seller_legal_id: Option<Guess>,
    /// BT-44.
    pub buyer_name: Option<Guess>,
    /// BT-48.
    pub buyer_vat_id: Option<Guess>,
    /// BT-109.
    pub total_without_vat: Option<Guess>,
    /// BT-110.
    pub total_vat: Option<Guess>,
    /// BT-112.
    pub total_with_vat: Option<Guess>,
    /// BT-115.
    pub amount_due: Option<Guess>,
    /// BT-84.
    pub iban: Option<Guess>,
    /// BG-23: the per-rate rows of a printed VAT summary, only when they agree with their rates
    /// and with the totals above (see the `vat` module); empty otherwise.
    pub vat_breakdown: Vec<VatBreakdown>,
    /// Problems noticed (inconsistent totals...).
    pub issues: Vec<String>,
}

fn guess(value: impl Into<String>, confidence: f64) -> Option<Guess> {
    Some(Guess {
        value: value.into(),
        confidence,
    })
}

/// Guesses invoice fields from plain text.
pub fn extract_fields(text: &str) -> TextFields {
    // Fonts re-encoded by PostScript's ISOLatin1Encoding show '-' as U+2212 MINUS SIGN.
    let text: String = text
        .chars()
        .map(|c| match c {
            '\u{2212}' | '\u{2010}' | '\u{2011}' => '-',
            // No-break spaces inside labels ("Rechnungssumme ohne USt.") and names.
            '\u{a0}' | '\u{202f}' => ' ',
            other => other,
        })
        .collect();
    let text = text.as_str();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    // Where each trimmed line starts on the page, in characters (the text layer keeps columns).
    let indents: Vec<usize> = text
        .lines()
        .map(|l| l.chars().take_while(|c| c.is_whitespace()).count())
        .collect();
    let hits: Vec<Vec<Hit>> = lines.iter().map(|l| label_hits(l)).collect();
    let cands = candidates::collect(&lines, &indents, &hits);

    let mut out = TextFields::default();
    let best = |label: Label| -> Option<&Candidate> {
        cands
            .iter()
            .filter(|c| c.label == label)
            .max_by_key(|c| (c.spec, !c.below, std::cmp::Reverse(c.line)))
    };

    out.number =
        best(Label::Number).and_then(|c| guess(c.value.clone(), if c.below { 0.8 } else { 0.9 }));
    out.issue_date = best(Label::IssueDate)
        .and_then(|c| guess(c.value.clone(), if c.spec >= 3 { 0.92 } else { 0.85 }));
    out.due_date = best(Label::DueDate).and_then(|c| guess(c.value.clone(), 0.88));
    if let (Some(i), Some(d)) = (&out.issue_date, &out.due_date) {
        if d.value < i.value {
            out.issues.push(format!(
                "due date {} before issue date {}: dropped",
                d.value, i.value
            ));
            out.due_date = None;
        } else if d.value == i.value
            && best(Label::DueDate)
                .is_some_and(|c| c.line == best(Label::IssueDate).map_or(usize::MAX, |x| x.line))
        {
            // Same date read twice from one line: likely one value for two labels.
            out.due_date = None;
        }
    }

    totals(&cands, &mut out);
    parties(&lines, &indents, &hits, &cands, &mut out);
    out.currency = currency(text);
    out.type_code = type_code(&lines);
    credit_note_sign(&mut out);
    out.iban = cands
        .iter()
        .find(|c| c.label == Label::Iban)
        .map(|c| c.value.clone())
        .or_else(|| IBAN.find_iter(text).find_map(|m| valid_iban_in(m.as_str())))
        .and_then(|v| guess(v, 0.95));
    out.vat_breakdown = vat::breakdown(&lines, &out);
    out
}

/// Credit notes carry positive amounts and type code 381, as in EN 16931 (and the XML path):
/// a credit note printed with negative totals ("Total TTC -233,47 €") is given positive ones.
/// Negative totals under no title become a credit note; under an invoice title they stay
/// negative (a negative invoice, type 380, as its XML would say).
fn credit_note_sign(out: &mut TextFields) {
    let negative = |g: &Option<Guess>| g.as_ref().is_some_and(|g| g.value.starts_with('-'));
    let main = [&out.total_with_vat, &out.total_without_vat];
    if !main.iter().any(|g| negative(g)) || main.iter().any(|g| g.is_some() && !negative(g)) {
        return;
    }
    match out.type_code.as_ref().map(|g| g.value.as_str()) {
        Some("381") => {}
        None => out.type_code = guess("381", 0.7),
        Some(_) => return,
    }
    for g in [
        &mut out.total_without_vat,
        &mut out.total_vat,
        &mut out.total_with_vat,
        &mut out.amount_due,
    ]
    .into_iter()
    .flatten()
    {
        if let Some(abs) = g.value.strip_prefix('-') {
            g.value = abs.to_string();
        }
    }
}

/// The value of a guess, if any: what the tests of this module and its parts compare.
#[cfg(test)]
fn v(g: &Option<Guess>) -> Option<&str> {
    g.as_ref().map(|g| g.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_invoice() {
        let t = "ACME SAS\n12 rue de la Paix 75002 Paris\nSIRET : 732 829 320 00074\nN° TVA intracommunautaire : FR44732829320\n\nFACTURE\nFacture N° F-2026-0042\nDate : 14/10/2026\nÉchéance : 13/11/2026\n\nClient : Dupont SARL\nTVA : FR 40 303 265 045\n\nDésignation Qté Prix unitaire Total HT\nConseil 2 500,00 1 000,00\n\nTotal HT 1 000,00 €\nTVA 20 % 200,00 €\nTotal TTC 1 200,00 €\nNet à payer 1 200,00 €\nIBAN : FR76 3000 6000 0112 3456 7890 189\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("F-2026-0042"));
        assert_eq!(v(&f.issue_date), Some("2026-10-14"));
        assert_eq!(v(&f.due_date), Some("2026-11-13"));
        assert_eq!(v(&f.total_without_vat), Some("1000.00"));
        assert_eq!(v(&f.total_vat), Some("200.00"));
        assert_eq!(v(&f.total_with_vat), Some("1200.00"));
        assert_eq!(v(&f.amount_due), Some("1200.00"));
        assert_eq!(v(&f.seller_name), Some("ACME SAS"));
        assert_eq!(v(&f.buyer_name), Some("Dupont SARL"));
        assert_eq!(v(&f.seller_vat_id), Some("FR44732829320"));
        assert_eq!(v(&f.buyer_vat_id), Some("FR40303265045"));
        assert_eq!(v(&f.seller_legal_id), Some("73282932000074"));
        assert_eq!(v(&f.iban), Some("FR7630006000011234567890189"));
        assert_eq!(v(&f.currency), Some("EUR"));
        assert_eq!(v(&f.type_code), Some("380"));
    }

    #[test]
    fn german_header_row() {
        let t = "Müller Technik GmbH · Hauptstr. 1 · 10115 Berlin\nRechnung\nRechnungsnummer Rechnungsdatum Fällig am\nRE-2026-17 14.10.2026 28.10.2026\nNettobetrag 1.000,00 EUR\nMwSt. 19 % 190,00 EUR\nBruttobetrag 1.190,00 EUR\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("RE-2026-17"));
        assert_eq!(v(&f.issue_date), Some("2026-10-14"));
        assert_eq!(v(&f.due_date), Some("2026-10-28"));
        assert_eq!(v(&f.total_with_vat), Some("1190.00"));
        assert_eq!(v(&f.seller_name), Some("Müller Technik GmbH"));
    }

    #[test]
    fn english_credit_note_multi_rate_without_vat_total() {
        let t = "CREDIT NOTE\nNorthwind Trading Ltd\nCredit note no. CN-00017\nDate: October 14, 2026\nDelivery date: October 2, 2026\nBill to:\nGlobex Corporation\n\nSubtotal £1,250.00\nVAT 20% £200.00\nVAT 5% £12.50\nTotal £1,462.50\nVAT No: GB123456789\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.type_code), Some("381"));
        assert_eq!(v(&f.number), Some("CN-00017"));
        assert_eq!(
            v(&f.issue_date),
            Some("2026-10-14"),
            "not the delivery date"
        );
        assert_eq!(v(&f.total_vat), Some("212.50"), "sum of the per-rate lines");
        assert_eq!(v(&f.total_with_vat), Some("1462.50"));
        assert_eq!(v(&f.currency), Some("GBP"));
        assert_eq!(v(&f.buyer_name), Some("Globex Corporation"));
        assert_eq!(v(&f.seller_name), Some("Northwind Trading Ltd"));
        assert_eq!(v(&f.seller_vat_id), Some("GB123456789"));
    }

    #[test]
    fn vat_exempt_and_labels_inside_names() {
        let t = "Atelier Dubois\nFacture N° 2026-12\nDate : 1er mars 2026\nKunde: Kunde Bau AG\nTotal HT 300,00 €\nTVA non applicable, art. 293 B du CGI\nTotal TTC 300,00 €\nAtelier Dubois - SIREN 732 829 320\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.issue_date), Some("2026-03-01"));
        assert_eq!(v(&f.buyer_name), Some("Kunde Bau AG"));
        assert_eq!(v(&f.total_without_vat), Some("300.00"));
        assert_eq!(v(&f.total_with_vat), Some("300.00"));
        assert_eq!(v(&f.total_vat), None);
        assert_eq!(v(&f.seller_name), Some("Atelier Dubois"));
        assert_eq!(v(&f.seller_legal_id), Some("732829320"));
    }

    #[test]
    fn empty_and_garbage_text() {
        assert_eq!(extract_fields(""), TextFields::default());
        let f = extract_fields("Total Total Total\n%%%% 12,34 % 56,78 %\nDate: 99/99/9999");
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.issue_date, None);
    }

    #[test]
    fn title_line_numbers_and_dates() {
        let f = extract_fields("ACME SAS\nFacture FA-2017-0010\nDate : 13/11/2017\n");
        assert_eq!(v(&f.number), Some("FA-2017-0010"));
        let f = extract_fields("Invoice VT/2022/0001\nDesign services\n");
        assert_eq!(v(&f.number), Some("VT/2022/0001"));
        let f = extract_fields("Handelsrechnung Nr. 471102 vom 05.03.2018\nLieferant GmbH\n");
        assert_eq!(v(&f.number), Some("471102"));
        assert_eq!(v(&f.issue_date), Some("2018-03-05"));
        assert_eq!(v(&f.type_code), Some("380"));
        let f = extract_fields("Rechnung Nr. 471102 vom\n05.03.2018\n");
        assert_eq!(
            v(&f.issue_date),
            Some("2018-03-05"),
            "date on the next line"
        );
        let f = extract_fields("Facture n°562044387 du 02 Juillet 2015\n");
        assert_eq!(v(&f.issue_date), Some("2015-07-02"));
        let f = extract_fields("Invoice No. 88-12 dated 3 March 2024\n");
        assert_eq!(v(&f.issue_date), Some("2024-03-03"));
        // A title followed by words, a page number or a date gives no number.
        for t in [
            "Rechnung Seite 1\n",
            "Invoice Summary\n",
            "Facture du 12/01/2023\n",
        ] {
            assert_eq!(extract_fields(t).number, None, "{t}");
        }
        // A date after other words on the number's line is not the issue date.
        let f = extract_fields("Facture n° 2022089 le-tout-lyon.fr du 06/12/2022\n");
        assert_eq!(f.issue_date, None);
    }

    #[test]
    fn preceding_invoice_date_is_not_the_issue_date() {
        let t = "AVOIR\nAvoir n° AV-12\nDate de facture associée : 02/01/2020\nDate : 15/01/2020\n";
        assert_eq!(v(&extract_fields(t).issue_date), Some("2020-01-15"));
        let t = "CREDIT NOTE\nOriginal invoice date: 2020-01-02\nDate: 2020-01-15\n";
        assert_eq!(v(&extract_fields(t).issue_date), Some("2020-01-15"));
    }

    #[test]
    fn credit_note_amounts_are_positive_with_type_381() {
        let t = "Au bon moulin SARL\nAvoir AV-2017-0005\nDate de facture 16/11/2017\n\
                 Total HT -218,48 €\nTotal taxes -14,99 €\nTotal TTC -233,47 €\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.type_code), Some("381"));
        assert_eq!(v(&f.total_without_vat), Some("218.48"));
        assert_eq!(v(&f.total_vat), Some("14.99"));
        assert_eq!(v(&f.total_with_vat), Some("233.47"));
        // Negative totals without a title: a credit note too.
        let f = extract_fields("Net -100.00\nVAT -20.00\nTotal -120.00\n");
        assert_eq!(v(&f.type_code), Some("381"));
        assert_eq!(v(&f.total_with_vat), Some("120.00"));
        // Under an invoice title they stay negative (type 380, as the XML would say).
        let f = extract_fields("Rechnung\nNetto -100,00\nMwSt. -19,00\nBrutto -119,00\n");
        assert_eq!(v(&f.type_code), Some("380"));
        assert_eq!(v(&f.total_with_vat), Some("-119.00"));
    }

    #[test]
    fn payment_terms_give_the_due_date() {
        let t = "Rechnung Nr. 1\nRechnungsdatum 13.06.2015\n\
                 Bitte überweisen Sie bis zum 04.07.2015.\n";
        assert_eq!(v(&extract_fields(t).due_date), Some("2015-07-04"));
        let t = "Rechnungsdatum 31.10.2018\n  Beschreibung                     Fälligkeit     Teilzahlung\n\
                 \x20 Zahlbar ohne Abschlag bis        20.11.2018\n\
                 \x20 Zahlbar mit 2% Skonto bis        14.11.2018\n";
        assert_eq!(v(&extract_fields(t).due_date), Some("2018-11-20"));
        let t = "Rechnungsdatum 30.10.2018\n  Beschreibung     Fälligkeit     Teilzahlung\n\
                 \x20                  29.11.2018\n";
        assert_eq!(v(&extract_fields(t).due_date), Some("2018-11-29"));
        // A service period is not a payment term.
        let t = "Rechnungsdatum 30.06.2015\nLeistungszeitraum vom 01.06.2015 bis zum 30.06.2015\n";
        assert_eq!(extract_fields(t).due_date, None);
        let t = "Invoice Date 11/03/2017\n   Total    2,076.76 €\n   Residual    1,453.76 €\n";
        assert_eq!(v(&extract_fields(t).amount_due), Some("1453.76"));
    }

    #[test]
    fn german_dutch_total_labels_and_glued_columns() {
        let t = "Rechnungssumme ohne USt.858,75\nSteuerbetrag in GBP 163,16\nBruttosumme 1021,91\nZahlbetrag 521,91\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_without_vat), Some("858.75"));
        assert_eq!(v(&f.total_vat), Some("163.16"));
        assert_eq!(v(&f.total_with_vat), Some("1021.91"));
        // Right-aligned values come out before (and glued to) their labels.
        let t = "FACTUUR\n993548900Factuurnummer: \n 19 april 2014Factuurdatum: \n\
                 Subtotaal € 717,97Exclusief BTW € 593,36\nBTW 21% € 124,61\nTotaal € 717,97\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("993548900"));
        assert_eq!(v(&f.issue_date), Some("2014-04-19"));
        assert_eq!(v(&f.total_without_vat), Some("593.36"));
        assert_eq!(v(&f.total_with_vat), Some("717.97"));
        let t = "Tax Total 0.00 €\nNet total 2,076.76 €\nTotal 2,076.76 €\n";
        assert_eq!(v(&extract_fields(t).total_vat), Some("0.00"));
        // Spanish and Italian month names.
        assert_eq!(
            v(&extract_fields("Fecha: 5 de marzo de 2024\n").issue_date),
            Some("2024-03-05")
        );
        assert_eq!(
            v(&extract_fields("Data fattura: 5 marzo 2024\n").issue_date),
            Some("2024-03-05")
        );
    }
}
