//! The VAT breakdown read from the text of real third-party PDFs, when the third-party corpus is
//! present (`../../../shared/corpus/third-party` from this crate; see its `SOURCES.md`).
//!
//! Stripped PDFs are real Factur-X/ZUGFeRD PDFs whose XML was removed: read as text, the rows they
//! give are compared to the BG-23 breakdown of the XML still carried by the original e-invoice
//! PDF (same `origin` in `truth.jsonl`). Precision must be 1 (no row that is not in the XML, by
//! rate, base and amount as decimals); recall is printed and held above a floor. Pages that do not
//! print the XML's totals (`not_visible` in the truth) show other figures than their XML, and XMLs
//! without a BG-23 (MINIMUM profile) have nothing to compare with: their rows are only checked to
//! be consistent and to add up to the totals. Plain PDFs (invoice2data, Hetzner) have no BG-23
//! truth: their rows must be consistent and add up to the truth's totals where it gives them.
//!
//! The e-invoice PDFs themselves are read a second time through their text layer only, and the
//! rows compared to their own XML in the same way (amounts in absolute value: the text reader
//! gives credit notes and corrections positive amounts, some XMLs negative ones).

mod support;

use std::path::Path;

use coffre_extract::amount::Decimal;
use coffre_extract::{Extraction, Format, Limits, VatBreakdown, extract, heuristics, pdf};

/// Rows found on stripped PDFs with a comparable XML breakdown must reach this recall: 13 of 13
/// with the positioned text layer (`pdf::layout`).
const RECALL_FLOOR: f64 = 1.0;
/// The same for the e-invoice PDFs read through their text (69 of 72 with the positioned text
/// layer, 66 with pdf-extract's plain text).
const EINVOICE_RECALL_FLOOR: f64 = 0.95;

fn read(dir: &Path, file: &str) -> Extraction {
    let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    extract(&bytes, Some(file), &Limits::default())
}

/// A value in hundredths of a unit (rates and amounts alike), when it has at most two decimals.
fn hundredths(v: &Option<String>) -> Option<i128> {
    Decimal::parse(v.as_deref()?)?.units(2)
}

/// (rate, base, amount) in hundredths.
fn key(b: &VatBreakdown) -> Option<(i128, i128, i128)> {
    Some((
        hundredths(&b.rate)?,
        hundredths(&b.taxable_amount)?,
        hundredths(&b.tax_amount)?,
    ))
}

/// The amount is the base times the rate, to two cents, checked here independently.
fn consistent(b: &VatBreakdown) -> bool {
    key(b).is_some_and(|(rate, base, amount)| (amount * 10_000 - base * rate).abs() <= 2 * 10_000)
}

/// The rows add up to the totals given (to a cent per row); no rows is no claim.
fn adds_up(rows: &[VatBreakdown], net: Option<&str>, vat: Option<&str>) -> bool {
    if rows.is_empty() {
        return true;
    }
    let tol = rows.len() as i128;
    let sum = |f: fn(&(i128, i128, i128)) -> i128| rows.iter().filter_map(key).map(|k| f(&k)).sum();
    let near = |total: Option<&str>, s: i128| {
        total
            .and_then(|t| Decimal::parse(t)?.units(2))
            .is_none_or(|t| (t - s).abs() <= tol)
    };
    near(net, sum(|k| k.1)) && near(vat, sum(|k| k.2))
}

fn show(rows: &[VatBreakdown]) -> String {
    let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let rows: Vec<String> = rows
        .iter()
        .map(|b| {
            let (r, t, a) = (cell(&b.rate), cell(&b.taxable_amount), cell(&b.tax_amount));
            format!("{r}% {t} {a}")
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

#[test]
fn stripped_pdfs_give_the_breakdown_of_their_xml() {
    let Some(dir) = support::third_party_dir() else {
        println!("NOTE: third-party corpus ../../../shared/corpus/third-party absent: skipped");
        return;
    };
    let truth = std::fs::read_to_string(dir.join("truth.jsonl")).expect("truth.jsonl");
    let docs: Vec<serde_json::Value> = truth
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .collect();
    let (mut found, mut right, mut expected, mut files) = (0usize, 0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for t in docs.iter().filter(|t| t["kind"] == "stripped-pdf") {
        let file = t["file"].as_str().expect("file");
        let original = docs
            .iter()
            .find(|o| {
                let same = |k: &str| o["origin"][k] == t["origin"][k];
                o["kind"] == "einvoice-pdf" && same("repo") && same("commit") && same("path")
            })
            .and_then(|o| o["file"].as_str())
            .unwrap_or_else(|| panic!("{file}: no original e-invoice PDF in the corpus"));
        let text = read(&dir, file);
        assert_eq!(text.format, Format::PdfText, "{file}: read as text");
        let xml = read(&dir, original);
        assert_eq!(xml.format, Format::FacturX, "{original}: read from its XML");
        let rows = &text.vat_breakdown;
        for b in rows {
            assert!(consistent(b), "{file}: inconsistent row {b:?}");
        }
        let not_visible = |k: &str| {
            t["not_visible"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == k))
        };
        let page_differs = not_visible("total_without_vat") || not_visible("total_vat");
        if page_differs || xml.vat_breakdown.is_empty() {
            let why = if page_differs {
                "page does not print the XML's totals"
            } else {
                "XML without BG-23"
            };
            let (net, vat) = if page_differs {
                (text.total_without_vat.as_deref(), text.total_vat.as_deref())
            } else {
                (xml.total_without_vat.as_deref(), xml.total_vat.as_deref())
            };
            assert!(adds_up(rows, net, vat), "{file}: {} vs totals", show(rows));
            println!("{file}: {why}: text {} (not compared)", show(rows));
            continue;
        }
        files += 1;
        expected += xml.vat_breakdown.len();
        found += rows.len();
        let truth_keys: Vec<_> = xml.vat_breakdown.iter().filter_map(key).collect();
        for b in rows {
            if key(b).is_some_and(|k| truth_keys.contains(&k)) {
                right += 1;
            } else {
                wrong.push(format!("{file}: row {b:?} not in the XML"));
            }
        }
        println!(
            "{file}: text {} / XML {}",
            show(rows),
            show(&xml.vat_breakdown)
        );
    }
    if files == 0 {
        println!("NOTE: no stripped PDF in the corpus: skipped");
        return;
    }
    let recall = right as f64 / expected as f64;
    println!(
        "VAT breakdown from text, {files} stripped PDFs: {found} rows found, {right} right, \
         {expected} in the XML: precision {:.3}, recall {recall:.3}",
        if found == 0 {
            1.0
        } else {
            right as f64 / found as f64
        }
    );
    assert!(wrong.is_empty(), "wrong rows:\n{}", wrong.join("\n"));
    assert!(
        recall >= RECALL_FLOOR,
        "recall {recall:.3} < {RECALL_FLOOR}"
    );
}

#[test]
fn plain_pdfs_give_no_inconsistent_row() {
    let Some(dir) = support::third_party_dir() else {
        println!("NOTE: third-party corpus ../../../shared/corpus/third-party absent: skipped");
        return;
    };
    let truth = std::fs::read_to_string(dir.join("truth.jsonl")).expect("truth.jsonl");
    let mut with_rows = 0;
    for line in truth.lines().filter(|l| !l.trim().is_empty()) {
        let t: serde_json::Value = serde_json::from_str(line).expect("truth line");
        if t["kind"] != "plain-pdf" {
            continue;
        }
        let file = t["file"].as_str().expect("file");
        let e = read(&dir, file);
        let rows = &e.vat_breakdown;
        for b in rows {
            assert!(consistent(b), "{file}: inconsistent row {b:?}");
        }
        let total = |k: &str| t["truth"][k].as_str();
        assert!(
            adds_up(rows, total("total_without_vat"), total("total_vat")),
            "{file}: {} does not add up to the truth's totals",
            show(rows)
        );
        // What the text itself says, too.
        let (net, vat) = (e.total_without_vat.as_deref(), e.total_vat.as_deref());
        assert!(adds_up(rows, net, vat), "{file}: {}", show(rows));
        with_rows += usize::from(!rows.is_empty());
        println!("{file}: {}", show(rows));
    }
    println!("plain PDFs with a VAT breakdown read from text: {with_rows}");
}

#[test]
fn einvoice_pdfs_read_as_text_give_the_breakdown_of_their_xml() {
    let Some(dir) = support::third_party_dir() else {
        println!("NOTE: third-party corpus ../../../shared/corpus/third-party absent: skipped");
        return;
    };
    let truth = std::fs::read_to_string(dir.join("truth.jsonl")).expect("truth.jsonl");
    let abs = |k: (i128, i128, i128)| (k.0, k.1.abs(), k.2.abs());
    let (mut found, mut right, mut expected, mut files) = (0usize, 0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for line in truth.lines().filter(|l| !l.trim().is_empty()) {
        let t: serde_json::Value = serde_json::from_str(line).expect("truth line");
        if t["kind"] != "einvoice-pdf" {
            continue;
        }
        let file = t["file"].as_str().expect("file");
        let bytes = std::fs::read(dir.join(file)).expect("corpus file");
        let xml = extract(&bytes, Some(file), &Limits::default());
        let Some(text) = pdf::process(&bytes, &Limits::default())
            .ok()
            .and_then(|c| c.text)
        else {
            continue;
        };
        let f = heuristics::extract_fields(&text);
        let rows = &f.vat_breakdown;
        for b in rows {
            assert!(consistent(b), "{file}: inconsistent row {b:?}");
        }
        let value = |g: &Option<heuristics::Guess>| g.as_ref().map(|g| g.value.clone());
        let (net, vat) = (value(&f.total_without_vat), value(&f.total_vat));
        assert!(
            adds_up(rows, net.as_deref(), vat.as_deref()),
            "{file}: {}",
            show(rows)
        );
        // The page prints other totals than its XML: the XML is not its truth.
        let differs = |text: &Option<String>, xml: &Option<String>| {
            let units = |v: &Option<String>| Decimal::parse(v.as_deref()?)?.units(2);
            matches!((units(text), units(xml)), (Some(a), Some(b)) if a.abs() != b.abs())
        };
        if xml.vat_breakdown.is_empty()
            || differs(&net, &xml.total_without_vat)
            || differs(&vat, &xml.total_vat)
        {
            println!("{file}: not compared: text {}", show(rows));
            continue;
        }
        files += 1;
        expected += xml.vat_breakdown.len();
        found += rows.len();
        let truth_keys: Vec<_> = xml.vat_breakdown.iter().filter_map(key).map(abs).collect();
        for b in rows {
            if key(b).is_some_and(|k| truth_keys.contains(&abs(k))) {
                right += 1;
            } else {
                wrong.push(format!("{file}: row {b:?} not in the XML"));
            }
        }
    }
    if files == 0 {
        println!("NOTE: no e-invoice PDF in the corpus: skipped");
        return;
    }
    let recall = right as f64 / expected as f64;
    println!(
        "VAT breakdown from the text of {files} e-invoice PDFs: {found} rows found, {right} right, \
         {expected} in the XML: recall {recall:.3}"
    );
    assert!(wrong.is_empty(), "wrong rows:\n{}", wrong.join("\n"));
    assert!(
        recall >= EINVOICE_RECALL_FLOOR,
        "recall {recall:.3} < {EINVOICE_RECALL_FLOOR}"
    );
}
