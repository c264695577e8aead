//! Candidate values: every value a label points at, before any choice between them.
//!
//! Promises: a value is read on the label's own line (up to the next label), or, when the
//! label's line holds no value, below it: a name under its label, stacked labels followed by
//! exactly as many stacked values in the same order, or a header row of labels followed by a
//! row of values in the same order. Values below their labels are marked `below`, and nothing
//! is read from a line that holds labels of its own.

use std::sync::LazyLock;

use regex::Regex;

use super::columns::column_values;
use super::identifiers::legal_id_in;
use super::labels::{Hit, Label, label_hits, pieces};
use super::values::{lone_value, value_for};
use super::{dates, numbers};

#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) label: Label,
    pub(super) spec: u8,
    pub(super) value: String,
    pub(super) line: usize,
    /// Value read from the line after its label (stacked or header-row layout).
    pub(super) below: bool,
}

impl Candidate {
    /// The value `value` that the label `hit` points at, read on line `line`: the label's own
    /// line, or one below it (`below`).
    fn new(hit: &Hit, value: String, line: usize, below: bool) -> Candidate {
        Candidate {
            label: hit.label,
            spec: hit.spec,
            value,
            line,
            below,
        }
    }
}

/// Every value the labels of `lines` (with their `hits`) point at.
pub(super) fn collect(lines: &[&str], indents: &[usize], hits: &[Vec<Hit>]) -> Vec<Candidate> {
    let mut cands: Vec<Candidate> = Vec::new();
    let next_nonempty = |i: usize| (i + 1..lines.len().min(i + 3)).find(|&j| !lines[j].is_empty());

    // Pass 1: values on the label's own line.
    let mut valued = vec![0usize; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let hs = &hits[i];
        for (k, h) in hs.iter().enumerate() {
            let region_end = hs
                .get(k + 1)
                .map_or(line.len(), |n| n.start)
                .min(h.scope_end);
            let region = &line[h.end..region_end];
            // An IBAN wrapped in a narrow column continues on the next line (unlabelled); the
            // mod-97 check decides whether the joined groups are one IBAN.
            // In positioned text the continuation is the piece of the next line in the
            // label's (or the value's) column.
            let wrapped_iban = || {
                let j = next_nonempty(i).filter(|&j| hits[j].is_empty())?;
                let col = |at: usize| indents[i] + line[..at].chars().count();
                let value_at = h.end + (region.len() - region.trim_start().len());
                [lines[j].to_string()]
                    .into_iter()
                    .chain(
                        [col(h.start), col(value_at)].map(|c| in_column(lines[j], indents[j], c)),
                    )
                    .filter(|next| !next.is_empty())
                    .find_map(|next| {
                        value_for(Label::Iban, &format!("{} {next}", region.trim_end()))
                    })
            };
            let value = value_for(h.label, region).or_else(|| {
                (h.label == Label::Iban && k + 1 == hs.len())
                    .then(wrapped_iban)
                    .flatten()
            });
            if let Some(v) = value {
                valued[i] += 1;
                cands.push(Candidate::new(h, v, i, false));
            } else if let Some(v) = value_before(line, hs, k) {
                valued[i] += 1;
                cands.push(Candidate::new(h, v, i, true));
            }
        }
    }
    let no_hits: Vec<Hit> = Vec::new();
    let hits_at = |i: usize| hits.get(i).unwrap_or(&no_hits);
    let useful = |i: usize| -> Vec<Hit> {
        hits_at(i)
            .iter()
            .filter(|h| h.label != Label::Ignore)
            .copied()
            .collect()
    };
    let has_useful = |i: usize| hits_at(i).iter().any(|h| h.label != Label::Ignore);
    // A line holding one non-name label and no value (a stacked label).
    // A title alone ("FACTURE") is a stacked label only over a line without labels: above
    // "Facture N°" it is a heading.
    let heading = |i: usize, h: &Hit| {
        h.label == Label::Number
            && h.spec < 3
            && h.end - h.start == lines[i].len()
            && next_nonempty(i).is_some_and(|j| hits_at(j).iter().any(|h| h.label != Label::Ignore))
    };
    let lone_label = |i: usize| -> Option<Hit> {
        let u = useful(i);
        (valued.get(i) == Some(&0) && hits_at(i).len() == 1 && u.len() == 1)
            .then(|| u[0])
            .filter(|h| !matches!(h.label, Label::Buyer | Label::Seller) && !heading(i, h))
    };

    // Pass 2: values below their labels.
    for (i, line) in lines.iter().enumerate() {
        let hs = &hits[i];
        let u = useful(i);
        if valued[i] > 0 || u.is_empty() || line.is_empty() {
            continue;
        }
        let parties: Vec<Hit> = u
            .iter()
            .filter(|h| matches!(h.label, Label::Buyer | Label::Seller))
            .copied()
            .collect();
        // A name below its label, in the label's column (party blocks may stand side by side,
        // or a party heading may share its line with other text); a label must start its
        // column (nothing but spaces before it in it), and stand alone in it when the line
        // holds other labels.
        for h in &parties {
            let col = indents[i] + line[..h.start].chars().count();
            let cell = in_column(line, indents[i], col);
            let alone = parties.len() == u.len() || cell.len() == h.end - h.start;
            if alone
                && cell.starts_with(&line[h.start..h.end])
                && let Some((j, v)) = name_below(lines, indents, i, col, h.label)
            {
                cands.push(Candidate::new(h, v, j, true));
            }
        }
        if !parties.is_empty() && parties.len() == u.len() {
            continue;
        }
        if let Some(first) = lone_label(i) {
            // Stacked labels, then as many stacked values in the same order. A run that
            // started on an earlier line was handled there.
            if i > 0 && lone_label(i - 1).is_some() {
                continue;
            }
            let mut run = vec![(i, first)];
            while let Some(h) = lone_label(run[run.len() - 1].0 + 1) {
                run.push((run[run.len() - 1].0 + 1, h));
            }
            let Some(start) = next_nonempty(run[run.len() - 1].0) else {
                continue;
            };
            let values: Vec<usize> = (start..(start + run.len()).min(lines.len())).collect();
            let pairs: Vec<(Hit, usize, String)> = run
                .iter()
                .zip(values.iter())
                .filter(|(_, j)| !has_useful(**j))
                .filter_map(|((_, h), j)| lone_value(h.label, lines[*j]).map(|v| (*h, *j, v)))
                .collect();
            // The value run must be exactly as long as the label run.
            let after = start + run.len();
            let overflow = after < lines.len()
                && !has_useful(after)
                && run
                    .iter()
                    .any(|(_, h)| lone_value(h.label, lines[after]).is_some());
            if pairs.len() == run.len() && !overflow {
                for (h, j, v) in pairs {
                    cands.push(Candidate::new(&h, v, j, true));
                }
            }
        } else if hs.len() > 1 {
            // Header row: labels in one line, values in the same order in the next, or else
            // in the same columns (see `columns`).
            let before = cands.len();
            if u.len() == hs.len() {
                header_row(lines, i, &u, &has_useful, &mut cands);
            }
            let paired: Vec<Label> = cands[before..].iter().map(|c| c.label).collect();
            let rest: Vec<Hit> = u
                .iter()
                .filter(|h| !paired.contains(&h.label))
                .copied()
                .collect();
            for (h, j, v) in column_values(lines, indents, i, &rest, has_useful) {
                cands.push(Candidate::new(&h, v, j, true));
            }
        }
    }
    title_dates(lines, &mut cands);
    cands
}

/// Header row: labels in line `i`, values in the same order in the next non-empty line (the
/// dates to the date labels, the amounts to the amount labels, when there are as many of one
/// as of the other; the first word to a leading number label).
fn header_row(
    lines: &[&str],
    i: usize,
    u: &[Hit],
    has_useful: &dyn Fn(usize) -> bool,
    cands: &mut Vec<Candidate>,
) {
    let Some(j) = (i + 1..lines.len().min(i + 3)).find(|&j| !lines[j].is_empty()) else {
        return;
    };
    if has_useful(j) {
        return;
    }
    let next = lines[j];
    // The dates of the value row go to the date labels, its amounts to the amount
    // labels, each in order, when there are as many of one as of the other.
    let mut pair_in_order = |is_kind: fn(Label) -> bool, values: Vec<String>| {
        let labels: Vec<&Hit> = u.iter().filter(|h| is_kind(h.label)).collect();
        if !labels.is_empty() && values.len() == labels.len() {
            for (h, value) in labels.into_iter().zip(values) {
                cands.push(Candidate::new(h, value, j, true));
            }
        }
    };
    pair_in_order(
        Label::is_date,
        dates::find_dates(next).into_iter().map(|d| d.2).collect(),
    );
    pair_in_order(
        Label::is_amount,
        numbers::find_amounts(next)
            .into_iter()
            .map(|a| a.1)
            .collect(),
    );
    if u[0].label == Label::Number {
        let first = next.split_whitespace().next().unwrap_or("");
        if let Some(v) = value_for(Label::Number, first) {
            cands.push(Candidate::new(&u[0], v, j, true));
        }
    }
}

/// "of / du / vom / von / dated / del / van" between an invoice number and a date.
static DATE_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\s,]*(?:du|vom|von|dated|of|del|van|d\.d\.|en date du)[\s:]*$")
        .expect("static regex")
});

/// The date that follows an invoice number on its own line ("Rechnung Nr. 471102 vom
/// 05.03.2018", "Facture n° 12345 du 2 juillet 2015"), or starts the next line when the
/// number's line ends with the linking word: an issue date candidate.
fn title_dates(lines: &[&str], cands: &mut Vec<Candidate>) {
    let mut found = Vec::new();
    for c in cands
        .iter()
        .filter(|c| c.label == Label::Number && !c.below)
    {
        let line = lines[c.line];
        let Some(pos) = line.find(c.value.as_str()) else {
            continue;
        };
        let after = &line[pos + c.value.len()..];
        let date = match dates::find_dates(after).into_iter().next() {
            Some((start, _, d)) => DATE_OF.is_match(&after[..start]).then_some((d, c.line)),
            None => {
                let next = lines.get(c.line + 1).copied().unwrap_or("");
                match dates::find_dates(next).into_iter().next() {
                    Some((0, _, d)) if DATE_OF.is_match(after) && !after.trim().is_empty() => {
                        Some((d, c.line + 1))
                    }
                    _ => None,
                }
            }
        };
        if let Some((value, line)) = date {
            found.push(Candidate {
                label: Label::IssueDate,
                spec: 2,
                value,
                line,
                below: false,
            });
        }
    }
    cands.extend(found);
}

/// The value written just before the last label of a line that ends with that label (and
/// its colon): right-aligned values come first in the text layer ("19 april 2014Factuurdatum:").
/// Only numbers, dates and amounts, and only when the text before the label is that value alone;
/// or a SIREN written just before "RCS" ("B 421 938 861 RCS Paris"), wherever the label sits.
fn value_before(line: &str, hs: &[Hit], k: usize) -> Option<String> {
    let h = hs[k];
    let start = if k == 0 { 0 } else { hs[k - 1].end };
    if h.label == Label::LegalId {
        // "B 421 938 861 RCS Paris": the SIREN written just before its register's label.
        let m = SIREN_BEFORE.captures(&line[start..h.start])?;
        return legal_id_in(&m[1]).filter(|v| v.len() == 9);
    }
    let kind = h.label == Label::Number || h.label.is_date() || h.label.is_amount();
    let at_end = k + 1 == hs.len() && line[h.end..].trim_matches([':', ' ']).is_empty();
    if !kind || !at_end || !line[h.end..].contains(':') {
        return None;
    }
    let before = line[start..h.start].trim();
    if before.is_empty() {
        return None;
    }
    lone_value(h.label, before)
}

/// Nine digits (in groups of three or not) ending the text before a legal id's label.
static SIREN_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d\s]\s*)(\d{3} ?\d{3} ?\d{3})\s*$").expect("static regex")
});

/// A "Key: value" line ("Nummer : 12345", "Telefon: ..."), which is not a party's name.
static KEY_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}][\p{L}\s.\-/]{0,30}:").expect("static regex"));
/// A line naming the party explicitly under its heading ("Name: Lieferant GmbH").
static NAME_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:name|nom|naam|nombre|nome|firma|company|soci[ée]t[ée]|raison sociale)\s*:\s*(.+)$")
        .expect("static regex")
});
static LONG_DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{5}").expect("static regex"));

/// The party name under a party label on line `i`: the first of the next few lines that is
/// neither a "Key: value" line, nor an identifier line (long digit runs), nor a parenthesised
/// note; an explicit "Name: X" line gives X. Stops at a line with labels of its own.
fn name_below(
    lines: &[&str],
    indents: &[usize],
    i: usize,
    col: usize,
    label: Label,
) -> Option<(usize, String)> {
    let mut seen = 0;
    for (j, line) in lines.iter().enumerate().skip(i + 1) {
        // Party blocks side by side: only the label's own column counts.
        let line = &in_column(line, indents.get(j).copied().unwrap_or(0), col);
        if j > i + 8 {
            return None;
        }
        if line.is_empty() {
            continue;
        }
        seen += 1;
        if seen > 4 || label_hits(line).iter().any(|h| h.label != Label::Ignore) {
            return None;
        }
        if let Some(c) = NAME_LINE.captures(line) {
            return value_for(label, &c[1]).map(|v| (j, v));
        }
        if KEY_LINE.is_match(line) || LONG_DIGITS.is_match(line) || line.starts_with('(') {
            continue;
        }
        return lone_value(label, line).map(|v| (j, v));
    }
    None
}

/// The piece of `line` (which starts at column `indent`) in the column starting at `col`:
/// when the line holds several pieces apart (two or more spaces), the one starting nearest
/// `col`, if it starts within a few characters of it; the whole line otherwise.
fn in_column(line: &str, indent: usize, col: usize) -> String {
    let pieces: Vec<(usize, &str)> = pieces(line)
        .into_iter()
        .map(|(at, p)| (indent + line[..at].chars().count(), p))
        .collect();
    if pieces.len() < 2 {
        // One piece: in the column unless it lies wholly beside it.
        let start = pieces.first().map_or(indent, |p| p.0);
        let end = start + line.chars().count();
        let beside = start > col + 4 || end <= col;
        return if beside {
            String::new()
        } else {
            line.to_string()
        };
    }
    pieces
        .iter()
        .min_by_key(|(at, _)| at.abs_diff(col))
        .filter(|(at, _)| at.abs_diff(col) <= 4)
        .map(|(_, p)| p.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::{extract_fields, v};

    #[test]
    fn iban_wrapped_onto_the_next_line() {
        let t = "Facture N° F-1\nIBAN : DE18 4306 0967 1234\n5678 00\n";
        assert_eq!(v(&extract_fields(t).iban), Some("DE18430609671234567800"));
        // A next line that does not complete a valid IBAN is not used.
        let t = "Facture N° F-1\nIBAN : DE18 4306 0967 1234\n5678 01\n";
        assert_eq!(v(&extract_fields(t).iban), None);
    }

    #[test]
    fn positioned_layout_titles_and_party_headings() {
        // A title alone in its column, the number below it ("# ..."); a page counter is not one.
        let t = "  Sammy Ltd\n  sammy@fake.com                                   INVOICE\n\n\
                 \x20                                                  # invoice_number_1\n\n\
                 \x20                                            Date:         Jan 1, 2022\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("invoice_number_1"));
        assert_eq!(v(&f.issue_date), Some("2022-01-01"));
        // A title heading stacked labels and values is not one of them.
        let t = "  FACTURE\n  Facture N°\n  F-2026-6141\n  Date d'émission :\n  2026-02-17\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("F-2026-6141"));
        assert_eq!(v(&f.issue_date), Some("2026-02-17"));
        assert_eq!(extract_fields("RECHNUNG\n1/2\n").number, None);
        // A type code between the title and its number, columns padded.
        let t = "    Handelsrechnung (380)            Nr. 471102       vom 05.03.2018\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("471102"));
        assert_eq!(v(&f.issue_date), Some("2018-03-05"));
        // "Month d , yyyy" with a space before the comma.
        let t = "      Invoice Date:                                   August 3 , 2014\n";
        assert_eq!(v(&extract_fields(t).issue_date), Some("2014-08-03"));
        // A party heading at the end of a line holding other labels, the name in its column.
        let t = "  * May include estimated US sales tax, VAT, GST and CT        Service Provider:\n\
                 \x20 ** This is not a VAT invoice                              (Not for remittance)\n\
                 \x20                                                            Amazing Web Services, Inc.\n\
                 \x20 *** Check the statement attached\n";
        assert_eq!(
            v(&extract_fields(t).seller_name),
            Some("Amazing Web Services, Inc.")
        );
        // A line wholly beside the heading's column is not its name.
        let t = "  Notes here, VAT included                                     Seller:\n\
                 \x20 Some Words Here\n";
        assert_eq!(extract_fields(t).seller_name, None);
    }

    #[test]
    fn iban_wrapped_in_its_column() {
        let t = "  Garten GmbH & Co.  USt-IdNr.: DE287431956  IBAN: DE18 4306 0967 1234\n\
                 \x20 KG                  Amtsgericht Dresden    5678 00\n";
        assert_eq!(v(&extract_fields(t).iban), Some("DE18430609671234567800"));
    }

    #[test]
    fn siren_before_its_register_label() {
        let t = "Free SAS au capital de 3.441.812 Euros − B 421 938 861 RCS Paris − Siège social\n";
        assert_eq!(v(&extract_fields(t).seller_legal_id), Some("421938861"));
        // Part of a longer digit run: not a SIREN.
        let t = "Capital 1 421 938 861 RCS Paris\n";
        assert_eq!(extract_fields(t).seller_legal_id, None);
    }

    #[test]
    fn stacked_labels_then_stacked_values() {
        let t = "Facture N° F-9\nTotal HT\nTVA 20 %\nTotal TTC\n1 000,00 €\n200,00 €\n1 200,00 €\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_without_vat), Some("1000.00"));
        assert_eq!(v(&f.total_vat), Some("200.00"));
        assert_eq!(v(&f.total_with_vat), Some("1200.00"));
        // Labels and values that do not pair up one to one give nothing.
        let t = "Total HT\nTotal TTC\n1 000,00 €\n200,00 €\n1 200,00 €\n";
        let f = extract_fields(t);
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.total_without_vat, None);
        // One label above one value.
        let t = "Invoice number\nINV-77\nDate\n2026-01-02\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("INV-77"));
        assert_eq!(v(&f.issue_date), Some("2026-01-02"));
    }
}
