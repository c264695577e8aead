//! ZUGFeRD 1.0 (`rsm:CrossIndustryDocument`, 2014–2019): hand-made BASIC invoice and COMFORT
//! credit note, standalone and attached to a PDF; the real ZUGFeRD 1.0 PDFs of the third-party
//! corpus against their independent truth (when the corpus is present); hostile documents
//! refused like CII ones.

mod support;

use std::time::{Duration, Instant};

use coffre_extract::amount::Decimal;
use coffre_extract::{Extraction, Format, Limits, extract};
use support::{AttachOpts, assert_flagged, facturx_pdf, fixture};

const ATTACHED: AttachOpts = AttachOpts {
    name_tree: true,
    af: true,
    compress: true,
    xmp_level: Some("BASIC"),
};

fn s(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

fn extract_xml(bytes: &[u8]) -> Extraction {
    extract(bytes, Some("ZUGFeRD-invoice.xml"), &Limits::default())
}

#[test]
fn basic_invoice() {
    let e = extract_xml(&fixture("zugferd1-basic-invoice.xml"));
    assert_eq!(e.format, Format::Cii, "{:?}", e.issues);
    assert_eq!(e.media_type, "application/xml");
    assert_eq!(s(&e.profile), Some("ZUGFeRD 1.0 BASIC"));
    assert_eq!(s(&e.number), Some("ZF1-2016-0042"));
    assert_eq!(s(&e.issue_date), Some("2016-03-15"));
    assert_eq!(s(&e.due_date), Some("2016-04-14"));
    assert_eq!(s(&e.type_code), Some("380"));
    assert_eq!(s(&e.currency), Some("EUR"));
    assert_eq!(s(&e.seller.name), Some("Holzwerkstatt Ammersee GmbH"));
    // The VA registration, not the FC (tax office number) one.
    assert_eq!(s(&e.seller.vat_id), Some("DE811128135"));
    // ZUGFeRD 1.0 parties have no legal organization.
    assert_eq!(s(&e.seller.legal_id), None);
    assert_eq!(s(&e.buyer.name), Some("Gasthof zur Linde"));
    assert_eq!(s(&e.buyer.vat_id), None);
    assert_eq!(s(&e.total_without_vat), Some("550.00"));
    assert_eq!(s(&e.total_vat), Some("92.50"));
    assert_eq!(s(&e.total_with_vat), Some("642.50"));
    assert_eq!(s(&e.amount_due), Some("542.50"));
    // Written in groups of four in the XML, kept without spaces.
    assert_eq!(s(&e.iban), Some("DE89370400440532013000"));
    assert_eq!(e.vat_breakdown.len(), 2);
    let v = &e.vat_breakdown[1];
    assert_eq!(
        (
            s(&v.category),
            s(&v.rate),
            s(&v.taxable_amount),
            s(&v.tax_amount)
        ),
        (None, Some("19.00"), Some("450.00"), Some("85.50"))
    );
    assert_eq!(e.lines.len(), 2);
    assert_eq!(s(&e.lines[0].name), Some("Eichentisch, geölt"));
    assert_eq!(s(&e.lines[1].quantity), Some("20"));
    assert_eq!(s(&e.lines[1].unit_code), Some("KGM"));
    assert!(!e.needs_review, "{:?}", e.issues);
    assert!(e.fields.values().all(|f| f.confidence == 1.0));
    assert_eq!(e.fields.len(), 13, "{:?}", e.fields.keys());
}

#[test]
fn comfort_credit_note_amounts_in_the_invoice_currency() {
    let e = extract_xml(&fixture("zugferd1-comfort-creditnote-chf.xml"));
    assert_eq!(e.format, Format::Cii, "{:?}", e.issues);
    assert_eq!(s(&e.profile), Some("ZUGFeRD 1.0 COMFORT"));
    assert_eq!(s(&e.type_code), Some("381"));
    assert_eq!(s(&e.number), Some("GS-2017-007"));
    assert_eq!(s(&e.issue_date), Some("2017-02-28"));
    assert_eq!(s(&e.due_date), None);
    assert_eq!(s(&e.currency), Some("CHF"));
    assert_eq!(s(&e.seller.name), Some("Bergbahn Technik AG"));
    assert_eq!(s(&e.seller.vat_id), None);
    assert_eq!(s(&e.buyer.name), Some("Seilwerk Allgäu KG"));
    assert_eq!(s(&e.buyer.vat_id), Some("DE136695976"));
    // Every amount is also given in EUR, first: the CHF ones are read.
    assert_eq!(s(&e.total_without_vat), Some("250.00"));
    assert_eq!(s(&e.total_vat), Some("20.00"));
    assert_eq!(s(&e.total_with_vat), Some("270.00"));
    assert_eq!(s(&e.amount_due), Some("270.00"));
    let v = &e.vat_breakdown[0];
    assert_eq!(
        (
            s(&v.category),
            s(&v.rate),
            s(&v.taxable_amount),
            s(&v.tax_amount)
        ),
        (Some("S"), Some("8.00"), Some("250.00"), Some("20.00"))
    );
    assert_eq!(e.lines.len(), 1);
    assert_eq!(s(&e.lines[0].id), Some("1"));
    assert_eq!(s(&e.lines[0].net_amount), Some("250.00"));
    assert_eq!(s(&e.lines[0].vat_rate), Some("8.00"));
    assert_eq!(s(&e.iban), None);
    assert!(!e.needs_review, "{:?}", e.issues);
}

#[test]
fn json_contract_is_the_cii_one() {
    let e = extract_xml(&fixture("zugferd1-basic-invoice.xml"));
    let cii = extract(
        &fixture("cii-invoice-eur.xml"),
        Some("cii.xml"),
        &Limits::default(),
    );
    let keys = |e: &Extraction| {
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).expect("json");
        v.as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&e), keys(&cii));
    let v: serde_json::Value = serde_json::from_str(&e.to_json()).expect("json");
    assert_eq!(v["format"], "cii");
    assert_eq!(v["seller"]["vat_id"], "DE811128135");
    assert_eq!(v["fields"]["number"]["source"], "xml");
}

#[test]
fn attached_as_zugferd_invoice_xml() {
    let pdf = facturx_pdf(
        &fixture("zugferd1-basic-invoice.xml"),
        "ZUGFeRD-invoice.xml",
        ATTACHED,
    );
    let e = extract(&pdf, Some("rechnung.pdf"), &Limits::default());
    assert_eq!(e.format, Format::FacturX, "{:?}", e.issues);
    assert_eq!(e.media_type, "application/pdf");
    // The XMP conformance level, named as ZUGFeRD 1.0's.
    assert_eq!(s(&e.profile), Some("ZUGFeRD 1.0 BASIC"));
    assert_eq!(s(&e.number), Some("ZF1-2016-0042"));
    assert_eq!(s(&e.total_with_vat), Some("642.50"));
    assert!(e.text().is_some());
    assert!(!e.needs_review, "{:?}", e.issues);
}

#[test]
fn attached_under_another_name_found_by_its_root() {
    let opts = AttachOpts {
        name_tree: true,
        af: false,
        compress: false,
        xmp_level: None,
    };
    let pdf = facturx_pdf(
        &fixture("zugferd1-comfort-creditnote-chf.xml"),
        "gutschrift-daten.xml",
        opts,
    );
    let e = extract(&pdf, None, &Limits::default());
    assert_eq!(e.format, Format::FacturX, "{:?}", e.issues);
    // No XMP: the profile is the XML's guideline.
    assert_eq!(s(&e.profile), Some("ZUGFeRD 1.0 COMFORT"));
    assert_eq!(s(&e.type_code), Some("381"));
    assert_eq!(s(&e.amount_due), Some("270.00"));
}

// ---- hostile and odd documents ----

const ROOT_OPEN: &str = r#"<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">"#;
const ROOT_CLOSE: &str = "</rsm:CrossIndustryDocument>";

fn refused(bytes: &[u8]) -> Extraction {
    let e = extract(bytes, None, &Limits::default());
    assert!(e.needs_review, "{:?}", e.issues);
    assert_eq!(e.number, None);
    assert!(e.fields.is_empty(), "{:?}", e.fields);
    e
}

#[test]
fn external_entity_is_refused_not_expanded() {
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rsm:CrossIndustryDocument [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n{ROOT_OPEN}<rsm:HeaderExchangedDocument><ram:ID>&xxe;</ram:ID></rsm:HeaderExchangedDocument>{ROOT_CLOSE}"
    );
    let e = refused(xxe.as_bytes());
    assert_flagged(&e, "DOCTYPE");
    assert!(!e.to_json().contains("root:"));
    // The same XML attached to a PDF: refused there too, the PDF falls back to its text.
    let pdf = facturx_pdf(xxe.as_bytes(), "ZUGFeRD-invoice.xml", ATTACHED);
    let e = extract(&pdf, None, &Limits::default());
    assert_eq!(e.format, Format::PdfText);
    assert_flagged(&e, "ZUGFeRD-invoice.xml");
    assert!(!e.to_json().contains("root:"));
}

#[test]
fn entity_bomb_is_refused_quickly() {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        x.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    x.push_str(&format!("]>\n{ROOT_OPEN}&lol9;{ROOT_CLOSE}"));
    let start = Instant::now();
    let e = refused(x.as_bytes());
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_flagged(&e, "DOCTYPE");
}

#[test]
fn deep_nesting_is_refused() {
    let mut x = String::from(ROOT_OPEN);
    x.push_str("<rsm:HeaderExchangedDocument><ram:ID>N-1</ram:ID></rsm:HeaderExchangedDocument>");
    x.push_str(&"<ram:IncludedNote>".repeat(200));
    x.push_str(&"</ram:IncludedNote>".repeat(200));
    x.push_str(ROOT_CLOSE);
    let e = refused(x.as_bytes());
    assert_flagged(&e, "deeper");
    // Far deeper: still refused, without a stack overflow.
    let mut y = String::from(ROOT_OPEN);
    y.push_str(&"<x>".repeat(100_000));
    y.push_str(&"</x>".repeat(100_000));
    y.push_str(ROOT_CLOSE);
    refused(y.as_bytes());
}

#[test]
fn the_version_is_told_by_root_and_namespace() {
    // A CrossIndustryDocument outside the ZUGFeRD 1.0 namespace is not an invoice.
    for root in [
        "<CrossIndustryDocument><HeaderExchangedDocument/></CrossIndustryDocument>",
        "<rsm:CrossIndustryDocument xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\"/>",
        "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:ferd:CrossIndustryDocument:invoice:1p0\"/>",
    ] {
        let e = refused(root.as_bytes());
        assert_flagged(&e, "not a UBL");
    }
    // The right root with children in the D16B `ram` namespace: nothing is read from them, the
    // missing fields are flagged.
    let mixed = format!(
        "{}<rsm:HeaderExchangedDocument><ram:ID>N-1</ram:ID></rsm:HeaderExchangedDocument>\
         <rsm:SupplyChainTradeTransaction/>{ROOT_CLOSE}",
        ROOT_OPEN.replace(
            "ReusableAggregateBusinessInformationEntity:12",
            "ReusableAggregateBusinessInformationEntity:100"
        )
    );
    let e = extract(mixed.as_bytes(), None, &Limits::default());
    assert_eq!(e.format, Format::Cii);
    assert_eq!(e.number, None);
    assert_flagged(&e, "no SpecifiedSupplyChainTradeTransaction");
    assert_flagged(&e, "mandatory field number is missing");
}

#[test]
fn odd_values_become_null_with_issues() {
    let x = format!(
        "{ROOT_OPEN}<rsm:HeaderExchangedDocument><ram:ID>X-1</ram:ID><ram:TypeCode>=1+1</ram:TypeCode>\
         <ram:IssueDateTime><udt:DateTimeString format=\"610\">201702</udt:DateTimeString></ram:IssueDateTime>\
         </rsm:HeaderExchangedDocument><rsm:SpecifiedSupplyChainTradeTransaction>\
         <ram:ApplicableSupplyChainTradeSettlement><ram:InvoiceCurrencyCode>CHF</ram:InvoiceCurrencyCode>\
         <ram:SpecifiedTradeSettlementMonetarySummation>\
         <ram:TaxBasisTotalAmount currencyID=\"EUR\">1.00</ram:TaxBasisTotalAmount>\
         <ram:TaxBasisTotalAmount currencyID=\"USD\">1.10</ram:TaxBasisTotalAmount>\
         <ram:GrandTotalAmount>12,50</ram:GrandTotalAmount>\
         </ram:SpecifiedTradeSettlementMonetarySummation></ram:ApplicableSupplyChainTradeSettlement>\
         </rsm:SpecifiedSupplyChainTradeTransaction>{ROOT_CLOSE}"
    );
    let e = extract(x.as_bytes(), None, &Limits::default());
    assert_eq!(e.format, Format::Cii);
    assert_eq!(s(&e.number), Some("X-1"));
    assert_eq!(s(&e.currency), Some("CHF"));
    assert_eq!(e.issue_date, None);
    assert_flagged(&e, "format 610");
    assert_eq!(e.type_code, None);
    assert_flagged(&e, "type_code");
    // Two totals, neither in CHF nor without currency: no guess.
    assert_eq!(e.total_without_vat, None);
    assert_flagged(
        &e,
        "ZUGFeRD 1.0: no TaxBasisTotalAmount in the invoice currency",
    );
    assert_eq!(e.total_with_vat, None);
    assert_flagged(&e, "GrandTotalAmount");
}

// ---- the real ZUGFeRD 1.0 PDFs of the third-party corpus ----

/// Truth values compare like the corpus scorer does for e-invoices: amounts as decimals,
/// identifiers without whitespace, names with whitespace collapsed, the rest exactly.
fn same(key: &str, want: &str, got: &str) -> bool {
    let squeeze = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
    match key {
        "total_without_vat" | "total_vat" | "total_with_vat" | "amount_due" => {
            match (Decimal::parse(want), Decimal::parse(got)) {
                (Some(w), Some(g)) => w.same_value(g),
                _ => false,
            }
        }
        "seller.vat_id" | "buyer.vat_id" | "seller.legal_id" | "iban" => {
            let strip = |v: &str| v.split_whitespace().collect::<String>();
            strip(want).eq_ignore_ascii_case(&strip(got))
        }
        "seller.name" | "buyer.name" | "number" => squeeze(want) == squeeze(got),
        _ => want.trim() == got.trim(),
    }
}

#[test]
fn real_zugferd1_pdfs_match_their_truth() {
    let Some(dir) = support::third_party_dir() else {
        println!(
            "NOTE: third-party corpus ../../../shared/corpus/third-party absent: real ZUGFeRD 1.0 files skipped"
        );
        return;
    };
    let truth = std::fs::read_to_string(dir.join("truth.jsonl")).expect("truth.jsonl");
    let (mut docs, mut values, mut ok) = (0, 0, 0);
    let mut misses = Vec::new();
    for line in truth.lines().filter(|l| !l.trim().is_empty()) {
        let t: serde_json::Value = serde_json::from_str(line).expect("truth line");
        if t["syntax"] != "zugferd1" || t["kind"] != "einvoice-pdf" {
            continue;
        }
        let file = t["file"].as_str().expect("file");
        let bytes = std::fs::read(dir.join(file)).expect("corpus file");
        let e = extract(&bytes, Some(file), &Limits::default());
        docs += 1;
        assert_eq!(e.format, Format::FacturX, "{file}: {:?}", e.issues);
        assert!(
            e.profile
                .as_deref()
                .is_some_and(|p| p.starts_with("ZUGFeRD 1.0 ")),
            "{file}: profile {:?}",
            e.profile
        );
        let got: std::collections::BTreeMap<&str, Option<&str>> =
            e.field_values().into_iter().collect();
        for (key, want) in t["truth"].as_object().expect("truth") {
            let want = want.as_str().expect("truth value");
            values += 1;
            match got.get(key.as_str()).copied().flatten() {
                Some(g) if same(key, want, g) => ok += 1,
                g => misses.push(format!("{file}: {key}: got {g:?}, truth {want:?}")),
            }
        }
        // Every field the XML gives is read from it.
        assert!(e.fields.values().all(|f| f.confidence == 1.0), "{file}");
    }
    println!("real ZUGFeRD 1.0 PDFs: {docs} documents, {ok}/{values} truth values read");
    for m in &misses {
        println!("  {m}");
    }
    assert!(
        docs >= 10,
        "expected the corpus's ZUGFeRD 1.0 PDFs, found {docs}"
    );
    assert!(misses.is_empty(), "{misses:#?}");
}
