//! Column tables: a header row of labels over rows of values, matched by where they sit on the
//! page (the positioned text layer pads columns to their character position).
//!
//! Promises: a value is read under a label only when its cell overlaps the label's cell more
//! than any other header cell, and exactly one cell under the label's cell reads as its value. Numbers
//! and dates come from the first row below the header; amounts from the last row of the run of
//! purely numeric rows below it (a totals row under per-rate rows), never from a row holding
//! words (a line item). Nothing is read from a row that holds labels of its own.

use super::labels::{Hit, Label};
use super::values::lone_value;

/// The cells of a line (pieces separated by two or more spaces), as (first column, last column
/// + 1, byte start, text), columns counted in characters from the page's left edge.
fn cells(line: &str, indent: usize) -> Vec<(usize, usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut push = |from: usize, to: usize| {
        let raw = &line[from..to];
        let text = raw.trim();
        if !text.is_empty() {
            let at = from + raw.find(text).unwrap_or(0);
            let col = indent + line[..at].chars().count();
            out.push((col, col + text.chars().count(), at, text));
        }
    };
    for (at, _) in line.match_indices("  ") {
        if at > start {
            push(start, at);
        }
        start = at + 2;
    }
    if start < line.len() {
        push(start, line.len());
    }
    out
}

/// For each cell of `row`, the index of the header cell it overlaps most (None on no overlap or
/// a tie).
fn owners(
    header: &[(usize, usize, usize, &str)],
    row: &[(usize, usize, usize, &str)],
) -> Vec<Option<usize>> {
    row.iter()
        .map(|&(s, e, _, _)| {
            let overlap =
                |&(hs, he, _, _): &(usize, usize, usize, &str)| he.min(e).saturating_sub(hs.max(s));
            let best = header.iter().map(overlap).max().unwrap_or(0);
            let winners: Vec<usize> = (0..header.len())
                .filter(|&k| overlap(&header[k]) == best)
                .collect();
            (best > 0 && winners.len() == 1).then(|| winners[0])
        })
        .collect()
}

/// A row made only of numbers, amounts, rates and short tokens (currency codes, units): the
/// totals row of a table, not a line item.
fn numeric_row(line: &str) -> bool {
    !line.is_empty()
        && line.chars().any(|c| c.is_ascii_digit())
        && line
            .split_whitespace()
            .all(|w| w.chars().filter(|c| c.is_alphabetic()).count() <= 3)
}

/// The values under the labels `hits` of the header line `i`, read by column from the rows
/// below (see the module's promises). `has_labels(j)` says whether line `j` holds labels.
pub(super) fn column_values(
    lines: &[&str],
    indents: &[usize],
    i: usize,
    hits: &[Hit],
    has_labels: impl Fn(usize) -> bool,
) -> Vec<(Hit, usize, String)> {
    let header = cells(lines[i], indents[i]);
    if header.len() < 2 {
        return Vec::new();
    }
    // The rows below: non-empty lines, up to two blank lines apart, until a line with labels.
    let mut rows: Vec<usize> = Vec::new();
    let mut j = i + 1;
    let mut blanks = 0;
    while j < lines.len() && rows.len() < 8 {
        if lines[j].is_empty() {
            blanks += 1;
            if blanks > 2 {
                break;
            }
        } else {
            if has_labels(j) {
                break;
            }
            blanks = 0;
            rows.push(j);
        }
        j += 1;
    }
    let Some(&first) = rows.first() else {
        return Vec::new();
    };
    let amount_row = rows
        .iter()
        .take_while(|&&r| numeric_row(lines[r]))
        .last()
        .copied();
    let mut out = Vec::new();
    for h in hits {
        let Some(k) = header
            .iter()
            .position(|c| (c.2..c.2 + c.3.len()).contains(&h.start))
        else {
            continue;
        };
        let row = match h.label {
            Label::Number | Label::IssueDate | Label::DueDate => first,
            l if l.is_amount() => match amount_row {
                Some(r) => r,
                None => continue,
            },
            _ => continue,
        };
        let cells_below = cells(lines[row], indents[row]);
        let own = owners(&header, &cells_below);
        // The cells under the label's cell that read as its value: exactly one.
        let mine: Vec<String> = (0..cells_below.len())
            .filter(|&c| own[c] == Some(k))
            .filter_map(|c| lone_value(h.label, cells_below[c].3))
            .collect();
        if let [v] = &mine[..] {
            out.push((*h, row, v.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{extract_fields, v};

    #[test]
    fn header_row_values_by_column() {
        // A title word as a column header, among other headers; values right-aligned.
        let t = "          Klant                Order                                 Factuur datum             Factuur       Vervaldatum\n\
                 \n\
                 \x20         SCONL0303006280999   SCONL000000444                             8-9-2022        VF1005193039          22-9-2022\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("VF1005193039"));
        assert_eq!(v(&f.issue_date), Some("2022-09-08"));
        assert_eq!(v(&f.due_date), Some("2022-09-22"));
    }

    #[test]
    fn totals_row_under_per_rate_rows() {
        let t = "  Warenwert  Zu-/Abschlag  Skonto sofort    Nettobetrag    MwSt-Betrag  MwSt-%     Endbetrag\n\
                 \x20    326,50      -8,10                     321,40          61,07   19,0          382,47\n\
                 \x20    130,70      -3,11                     127,59           8,93    7,0          136,52\n\
                 \n\
                 \x20    457,20     -11,21                     448,99          70,00      EUR        518,99\n\
                 \n\
                 \x20ACME GMBH    USt-IdNr: DE123456789\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_without_vat), Some("448.99"));
        assert_eq!(v(&f.total_vat), Some("70.00"));
        assert_eq!(v(&f.total_with_vat), Some("518.99"));
        // Dutch VAT summary: the base ("Grondslag") under its header, the rate column skipped.
        let t = "        BTW %     Grondslag  BTW bedrag        Totaal\n\
                 \x20         21 %        41,31         8,68        49,99\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_without_vat), Some("41.31"));
        assert_eq!(v(&f.total_vat), Some("8.68"));
        assert_eq!(v(&f.total_with_vat), Some("49.99"));
    }

    #[test]
    fn line_items_give_no_totals() {
        // A line item (words) under amount headers is not a totals row.
        let t = "  Description      Qty     Net     VAT      Total\n\
                 \x20 Consulting work    2    50,00   100,00      20,00     120,00\n";
        let f = extract_fields(t);
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.total_without_vat, None);
    }
}
