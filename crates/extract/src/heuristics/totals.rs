//! The document totals (net, VAT, gross) and the amount due, chosen among the candidates.
//!
//! Promises: net, VAT and gross are returned together only when net + VAT = gross (the VAT may
//! be the sum of per-rate VAT lines); a VAT-exempt invoice (no VAT, net = gross) keeps its net
//! and gross, and so does an invoice whose VAT lines all read zero; with no net total, a gross
//! total is kept alone only when its label is specific ("Grand Total") or it is the only total
//! printed (all its mentions agree); otherwise inconsistent totals are dropped with an issue
//! rather than guessed. The
//! amount due is more confident when it equals the gross total.

use crate::amount::{same, sum_matches};

use super::candidates::Candidate;
use super::labels::Label;
use super::{TextFields, guess};

pub(super) fn totals(cands: &[Candidate], out: &mut TextFields) {
    let of = |l: Label| -> Vec<&Candidate> {
        let mut v: Vec<&Candidate> = cands.iter().filter(|c| c.label == l).collect();
        v.sort_by_key(|c| (std::cmp::Reverse(c.spec), std::cmp::Reverse(c.line)));
        v.truncate(8);
        v
    };
    let (nets, vats, grosses, dues) = (
        of(Label::Net),
        of(Label::Vat),
        of(Label::Gross),
        of(Label::Due),
    );
    // Extra VAT candidate: the sum of the per-rate VAT lines.
    let generic: Vec<&str> = vats
        .iter()
        .filter(|c| c.spec < 3)
        .map(|c| c.value.as_str())
        .collect();
    let mut vat_values: Vec<(String, u8)> =
        vats.iter().map(|c| (c.value.clone(), c.spec)).collect();
    if generic.len() > 1 {
        let mut sum = crate::amount::Decimal::parse("0.00");
        for g in &generic {
            sum = sum.and_then(|s| s.checked_add(crate::amount::Decimal::parse(g)?));
        }
        if let Some(s) = sum {
            vat_values.push((s.to_plain_string(), 1));
        }
    }

    let mut best: Option<(u32, &Candidate, &str, &Candidate)> = None;
    for n in &nets {
        for (v, vs) in &vat_values {
            for g in &grosses {
                if sum_matches(&n.value, v, &g.value) {
                    let score = u32::from(n.spec) + u32::from(*vs) + u32::from(g.spec);
                    if best.as_ref().is_none_or(|b| score > b.0) {
                        best = Some((score, n, v.as_str(), g));
                    }
                }
            }
        }
    }
    if let Some((_, n, v, g)) = best {
        out.total_without_vat = guess(n.value.clone(), 0.97);
        out.total_vat = guess(v, 0.97);
        out.total_with_vat = guess(g.value.clone(), 0.97);
    } else if let (Some(n), Some(g)) = (nets.first(), grosses.first()) {
        if vats.is_empty() && same(&n.value, &g.value) {
            // VAT-exempt invoice: net equals gross.
            out.total_without_vat = guess(n.value.clone(), 0.85);
            out.total_with_vat = guess(g.value.clone(), 0.85);
        } else {
            out.issues.push(format!(
                "totals do not add up (net {} + VAT {} != gross {}): totals left empty",
                n.value,
                vats.first().map_or("?", |v| v.value.as_str()),
                g.value
            ));
        }
    } else if nets.is_empty()
        && !vats.is_empty()
        && vats.iter().all(|v| same(&v.value, "0.00"))
        && let Some(g) = grosses.first()
        && grosses.iter().all(|o| same(&o.value, &g.value))
    {
        // No VAT charged (every VAT line reads zero): the net is the gross.
        out.total_without_vat = guess(g.value.clone(), 0.8);
        out.total_vat = guess("0.00", 0.8);
        out.total_with_vat = guess(g.value.clone(), 0.8);
    } else if nets.is_empty()
        && let Some(g) = grosses.iter().find(|g| g.spec >= 3)
        && grosses
            .iter()
            .filter(|o| o.spec >= 3)
            .all(|o| same(&o.value, &g.value))
    {
        // A specific gross label ("Grand Total") and no net to check it against: the gross
        // alone, less sure when VAT lines were printed that nothing adds up with.
        out.total_with_vat = guess(g.value.clone(), if vats.is_empty() { 0.7 } else { 0.65 });
    } else if nets.is_empty()
        && vats.is_empty()
        && let Some(g) = grosses.iter().find(|g| !g.below)
        && grosses.iter().all(|o| same(&o.value, &g.value))
    {
        // A plain "Total" beside its amount, the only total of the document.
        out.total_with_vat = guess(g.value.clone(), 0.6);
    }

    if let Some(d) = dues.first() {
        let conf = match &out.total_with_vat {
            Some(g) if same(&g.value, &d.value) => 0.97,
            Some(_) => 0.6,
            None => 0.7,
        };
        out.amount_due = guess(d.value.clone(), conf);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{extract_fields, v};

    #[test]
    fn zero_vat_and_a_lone_grand_total() {
        // Every VAT line reads zero: net = gross, right-aligned far from the labels.
        let t = "  Summary\n      Charges                                        $4.11\n\
                 \x20     Tax *                                          $0.00\n\
                 \x20 Total for this invoice                             $4.11\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_without_vat), Some("4.11"));
        assert_eq!(v(&f.total_with_vat), Some("4.11"));
        // A grand total with per-line tax columns and no net total.
        let t = "  Qty   Price    Tax(%)    Tax     Total\n\
                 \x20 Memory card   1   278.61   14.50%   40.39   319.00\n\n\
                 \x20                                   Grand Total        319.00\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_with_vat), Some("319.00"));
        assert_eq!(f.total_without_vat, None);
        // A lone plain total beside its amount; two that disagree give none.
        let t = "  Rechnung\n                                   Total EUR                       34,73\n";
        assert_eq!(v(&extract_fields(t).total_with_vat), Some("34.73"));
        let t = "Total 34.73\nTotal 36.00\n";
        assert_eq!(extract_fields(t).total_with_vat, None);
        // Two grand totals that disagree give none.
        let t = "VAT 5.00\nGrand Total 100.00\nGrand Total 120.00\n";
        assert_eq!(extract_fields(t).total_with_vat, None);
    }

    #[test]
    fn inconsistent_totals_are_dropped() {
        let t = "Invoice No. INV-1\nDate: 2026-01-05\nNet 100.00\nVAT 20.00\nTotal 130.00\n";
        let f = extract_fields(t);
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.total_without_vat, None);
        assert!(!f.issues.is_empty());
    }
}
