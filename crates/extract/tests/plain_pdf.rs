//! Plain-PDF extraction measured on generated invoices with known truth: per-field precision
//! and recall, printed, with overall thresholds asserted.

mod support;

use std::collections::BTreeMap;

use coffre_extract::{Format, Limits, amount, extract};
use support::invoices::generate;

const N: u64 = 90;

#[test]
fn generated_plain_pdfs_precision_recall() {
    let limits = Limits::default();
    // field -> (true positives, false positives, false negatives)
    let mut stats: BTreeMap<&'static str, (u32, u32, u32)> = BTreeMap::new();
    let mut lost_words = 0usize;
    // VAT breakdown rows: (found, in the generator's breakdown, in the breakdown).
    let mut vat_rows = (0usize, 0usize, 0usize);
    for i in 0..N {
        let g = generate(i);
        let e = extract(&g.pdf, Some("invoice.pdf"), &limits);
        assert_eq!(e.format, Format::PdfText, "#{i}: {:?}", e.issues);
        let text = e.text().unwrap_or_default().to_string();
        let missing: Vec<&String> = g
            .words
            .iter()
            .filter(|w| !text.contains(w.as_str()))
            .collect();
        if !missing.is_empty() {
            lost_words += missing.len();
            println!(
                "#{i} {:?}: words missing from the text: {missing:?}",
                g.style
            );
        }
        let same = |a: &str, b: &Option<String>| b.as_deref().is_some_and(|b| amount::same(a, b));
        vat_rows.0 += e.vat_breakdown.len();
        vat_rows.2 += g.vat_breakdown.len();
        for row in &e.vat_breakdown {
            let known = g.vat_breakdown.iter().any(|(r, b, v)| {
                same(r, &row.rate) && same(b, &row.taxable_amount) && same(v, &row.tax_amount)
            });
            assert!(known, "#{i}: VAT row {row:?} not in {:?}", g.vat_breakdown);
            vat_rows.1 += 1;
        }
        let got = e.field_values();
        for (key, want) in &g.truth.fields {
            let have = got.iter().find(|(k, _)| k == key).and_then(|(_, v)| *v);
            let s = stats.entry(key).or_default();
            match (have, want.as_deref()) {
                (Some(h), Some(w)) if h == w => s.0 += 1,
                (Some(h), w) => {
                    s.1 += 1;
                    if w.is_some() {
                        s.2 += 1;
                    }
                    println!(
                        "#{i} {:?} {:?} layout {} cw {}: {key}: got {h:?}, want {w:?}",
                        g.lang, g.style, g.layout, g.column_wise
                    );
                }
                (None, Some(w)) => {
                    s.2 += 1;
                    println!(
                        "#{i} {:?} {:?} layout {} cw {}: {key}: missed {w:?}",
                        g.lang, g.style, g.layout, g.column_wise
                    );
                }
                (None, None) => {}
            }
            if have.is_some() {
                let f = e
                    .fields
                    .get(*key)
                    .expect("provenance for every non-null field");
                assert_eq!(f.source, coffre_extract::Source::Text);
                assert!((0.0..=1.0).contains(&f.confidence));
            }
        }
    }
    println!(
        "{:<18} {:>9} {:>9} {:>5} {:>5} {:>5}",
        "field", "precision", "recall", "tp", "fp", "fn"
    );
    let (mut tp, mut fp, mut fnn) = (0, 0, 0);
    for (k, (t, p, n)) in &stats {
        let prec = f64::from(*t) / f64::from((t + p).max(1));
        let rec = f64::from(*t) / f64::from((t + n).max(1));
        println!("{k:<18} {prec:>9.3} {rec:>9.3} {t:>5} {p:>5} {n:>5}");
        tp += t;
        fp += p;
        fnn += n;
    }
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fnn);
    println!(
        "overall over {N} invoices: precision {precision:.3}, recall {recall:.3}; words lost by the text layer: {lost_words}"
    );
    println!(
        "VAT breakdown rows: {} found, all right, of {} (the invoices print per-rate VAT without \
         bases: only one-rate invoices give their row)",
        vat_rows.0, vat_rows.2
    );
    assert_eq!(lost_words, 0, "text silently lost");
    assert!(precision >= 0.98, "precision {precision:.3}");
    assert!(recall >= 0.97, "recall {recall:.3}");
}
