//! The public EN 16931 examples (UBL and CII), when present: every file must parse, and its
//! values must equal those read independently from the XML here (by local names, with a
//! separate little reader), BR-CO-15 must hold where the file satisfies it.

mod support;

use std::path::Path;

use coffre_extract::{Extraction, Format, Limits, extract};

/// Independent lookup: first descendant path by local names (namespaces ignored).
fn find<'a, 'i>(n: roxmltree::Node<'a, 'i>, path: &[&str]) -> Option<roxmltree::Node<'a, 'i>> {
    let mut cur = n;
    for step in path {
        cur = cur
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == *step)?;
    }
    Some(cur)
}

fn txt(n: Option<roxmltree::Node>) -> Option<String> {
    n.and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Exact decimal as (mantissa, scale), test-local.
fn dec(s: &str) -> Option<(i128, u32)> {
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    let m: i128 = format!("{i}{f}").parse().ok()?;
    Some((m, f.len() as u32))
}

fn br_co_15(n: &str, v: &str, g: &str) -> Option<bool> {
    let (a, b, c) = (dec(n)?, dec(v)?, dec(g)?);
    let s = a.1.max(b.1).max(c.1);
    let up = |x: (i128, u32)| x.0 * 10i128.pow(s - x.1);
    Some(up(a) + up(b) == up(c))
}

fn expected(doc: &roxmltree::Document) -> Vec<(&'static str, Option<String>)> {
    let r = doc.root_element();
    if r.tag_name().name() == "CrossIndustryInvoice" {
        let st = find(
            r,
            &[
                "SupplyChainTradeTransaction",
                "ApplicableHeaderTradeSettlement",
            ],
        );
        let sum = st.and_then(|s| find(s, &["SpecifiedTradeSettlementHeaderMonetarySummation"]));
        let cur = st.and_then(|s| txt(find(s, &["InvoiceCurrencyCode"])));
        let vat = sum.and_then(|s| {
            let all: Vec<_> = s
                .children()
                .filter(|c| c.tag_name().name() == "TaxTotalAmount")
                .collect();
            all.iter()
                .find(|t| t.attribute("currencyID") == cur.as_deref())
                .or(if all.len() == 1 { all.first() } else { None })
                .and_then(|t| txt(Some(*t)))
        });
        let date = txt(find(
            r,
            &["ExchangedDocument", "IssueDateTime", "DateTimeString"],
        ))
        .map(|d| format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]));
        let agr = find(
            r,
            &[
                "SupplyChainTradeTransaction",
                "ApplicableHeaderTradeAgreement",
            ],
        );
        vec![
            ("number", txt(find(r, &["ExchangedDocument", "ID"]))),
            ("issue_date", date),
            (
                "type_code",
                txt(find(r, &["ExchangedDocument", "TypeCode"])),
            ),
            ("currency", cur),
            (
                "seller.name",
                agr.and_then(|a| txt(find(a, &["SellerTradeParty", "Name"]))),
            ),
            (
                "buyer.name",
                agr.and_then(|a| txt(find(a, &["BuyerTradeParty", "Name"]))),
            ),
        ]
        .into_iter()
        .chain(totals(
            sum,
            [
                "TaxBasisTotalAmount",
                "GrandTotalAmount",
                "DuePayableAmount",
            ],
            vat,
        ))
        .collect()
    } else {
        let credit = r.tag_name().name() == "CreditNote";
        let cur = txt(find(r, &["DocumentCurrencyCode"]));
        let vat = r
            .children()
            .filter(|c| c.tag_name().name() == "TaxTotal")
            .filter_map(|t| find(t, &["TaxAmount"]))
            .find(|a| a.attribute("currencyID") == cur.as_deref())
            .and_then(|a| txt(Some(a)));
        let name = |party: &str| {
            find(r, &[party, "Party", "PartyLegalEntity", "RegistrationName"])
                .or_else(|| find(r, &[party, "Party", "PartyName", "Name"]))
        };
        let lmt = find(r, &["LegalMonetaryTotal"]);
        vec![
            ("number", txt(find(r, &["ID"]))),
            ("issue_date", txt(find(r, &["IssueDate"]))),
            (
                "type_code",
                txt(find(
                    r,
                    &[if credit {
                        "CreditNoteTypeCode"
                    } else {
                        "InvoiceTypeCode"
                    }],
                )),
            ),
            ("currency", cur),
            ("seller.name", txt(name("AccountingSupplierParty"))),
            ("buyer.name", txt(name("AccountingCustomerParty"))),
        ]
        .into_iter()
        .chain(totals(
            lmt,
            ["TaxExclusiveAmount", "TaxInclusiveAmount", "PayableAmount"],
            vat,
        ))
        .collect()
    }
}

/// The four totals of [`expected`]: without VAT, with VAT and due read under `sum` by their
/// element names in the syntax at hand, and `vat` as found by the caller.
fn totals(
    sum: Option<roxmltree::Node>,
    [without_vat, with_vat, due]: [&str; 3],
    vat: Option<String>,
) -> [(&'static str, Option<String>); 4] {
    let amount = |name: &str| sum.and_then(|s| txt(find(s, &[name])));
    [
        ("total_without_vat", amount(without_vat)),
        ("total_vat", vat),
        ("total_with_vat", amount(with_vat)),
        ("amount_due", amount(due)),
    ]
}

fn got<'a>(e: &'a Extraction, key: &str) -> Option<&'a str> {
    e.field_values()
        .into_iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v)
}

fn run(dir: &Path, want: Format) -> (usize, usize, usize, usize) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")))
        .collect();
    files.sort();
    let (mut exact, mut values, mut values_ok, mut brco, mut review) = (0, 0, 0, 0, 0);
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let e = extract(
            &bytes,
            path.file_name().and_then(|n| n.to_str()),
            &Limits::default(),
        );
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert_eq!(e.format, want, "{name}: {:?}", e.issues);
        assert!(
            e.number.is_some() && e.issue_date.is_some() && e.currency.is_some(),
            "{name}"
        );
        let text = std::str::from_utf8(&bytes).expect("utf8");
        let doc = roxmltree::Document::parse(text).expect("independent parse");
        let mut all_ok = true;
        for (key, value) in expected(&doc) {
            values += 1;
            if got(&e, key) == value.as_deref() {
                values_ok += 1;
            } else {
                all_ok = false;
                println!(
                    "{name}: {key}: extracted {:?}, XML says {value:?}",
                    got(&e, key)
                );
            }
        }
        // Mandatory ones must match exactly.
        let exp = expected(&doc);
        for key in ["number", "issue_date", "currency"] {
            let v = exp
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| v.as_deref());
            assert_eq!(got(&e, key), v, "{name}: {key}");
        }
        if let (Some(n), Some(v), Some(g)) = (&e.total_without_vat, &e.total_vat, &e.total_with_vat)
        {
            if br_co_15(n, v, g) == Some(true) {
                brco += 1;
                assert!(!e.issues.iter().any(|i| i.contains("BR-CO-15")), "{name}");
            } else {
                println!("{name}: BR-CO-15 does not hold in the file ({n} + {v} != {g})");
                assert!(e.issues.iter().any(|i| i.contains("BR-CO-15")), "{name}");
            }
        }
        if all_ok {
            exact += 1;
        }
        if e.needs_review {
            review += 1;
            println!("{name}: needs review: {:?}", e.issues);
        }
    }
    println!(
        "{}: {} files, {exact} matched on every compared field, {values_ok}/{values} values equal, BR-CO-15 holds in {brco}, {review} flagged for review",
        dir.display(),
        files.len()
    );
    assert!(!files.is_empty());
    (files.len(), exact, values_ok, values)
}

#[test]
fn public_corpus() {
    let Some(dir) = support::corpus_dir() else {
        println!("NOTE: public corpus ../../../shared/corpus/en16931 absent: skipped");
        return;
    };
    let (n1, e1, ok1, all1) = run(&dir.join("ubl"), Format::Ubl);
    let (n2, e2, ok2, all2) = run(&dir.join("cii"), Format::Cii);
    println!(
        "corpus total: {} files, {} exact, {}/{} values",
        n1 + n2,
        e1 + e2,
        ok1 + ok2,
        all1 + all2
    );
    // Every compared value must match: the reader and this independent one agree.
    assert_eq!(ok1 + ok2, all1 + all2);
}
