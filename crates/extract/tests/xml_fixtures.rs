//! UBL and CII fixtures of our own, asserted field by field.

mod support;

use coffre_extract::{Format, Limits, Source, extract};
use support::{assert_flagged, fixture};

fn s(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

#[test]
fn ubl_invoice_two_rates_allowance_two_tax_totals() {
    let e = extract(
        &fixture("ubl-invoice-eur.xml"),
        Some("a.xml"),
        &Limits::default(),
    );
    assert_eq!(e.format, Format::Ubl, "{:?}", e.issues);
    assert_eq!(s(&e.profile), Some("EN 16931"));
    assert_eq!(s(&e.number), Some("FA-2026-0001"));
    assert_eq!(s(&e.issue_date), Some("2026-10-14"));
    assert_eq!(s(&e.due_date), Some("2026-11-13"));
    assert_eq!(s(&e.type_code), Some("380"));
    assert_eq!(s(&e.currency), Some("EUR"));
    assert_eq!(s(&e.seller.name), Some("ACME SAS"));
    assert_eq!(s(&e.seller.vat_id), Some("FR44732829320"));
    assert_eq!(s(&e.seller.legal_id), Some("732829320"));
    assert_eq!(s(&e.buyer.name), Some("Dupont & Fils SARL"));
    assert_eq!(s(&e.buyer.vat_id), Some("FR40303265045"));
    assert_eq!(s(&e.total_without_vat), Some("1100.00"));
    assert_eq!(
        s(&e.total_vat),
        Some("191.00"),
        "the EUR TaxTotal, not the USD one"
    );
    assert_eq!(s(&e.total_with_vat), Some("1291.00"));
    assert_eq!(s(&e.amount_due), Some("1200.00"));
    assert_eq!(s(&e.iban), Some("FR7630006000011234567890189"));
    assert_eq!(e.vat_breakdown.len(), 2);
    assert_eq!(s(&e.vat_breakdown[1].rate), Some("5.5"));
    assert_eq!(s(&e.vat_breakdown[1].tax_amount), Some("11.00"));
    assert_eq!(s(&e.vat_breakdown[0].taxable_amount), Some("900.00"));
    assert_eq!(e.lines.len(), 2);
    assert_eq!(s(&e.lines[0].unit_code), Some("HUR"));
    assert_eq!(s(&e.lines[1].name), Some("Livres"));
    assert!(!e.needs_review, "{:?}", e.issues);
    assert_eq!(e.fields.len(), 15);
    assert!(
        e.fields
            .values()
            .all(|f| f.source == Source::Xml && f.confidence == 1.0)
    );
}

#[test]
fn ubl_credit_note() {
    let e = extract(&fixture("ubl-creditnote-gbp.xml"), None, &Limits::default());
    assert_eq!(e.format, Format::Ubl);
    assert_eq!(s(&e.number), Some("CN-77"));
    assert_eq!(s(&e.type_code), Some("381"));
    assert_eq!(s(&e.currency), Some("GBP"));
    assert_eq!(s(&e.issue_date), Some("2026-02-28"));
    assert_eq!(s(&e.due_date), Some("2026-03-30"));
    assert_eq!(
        s(&e.seller.name),
        Some("Widgets Ltd"),
        "falls back to PartyName"
    );
    assert_eq!(s(&e.seller.vat_id), Some("GB123456789"));
    assert_eq!(s(&e.seller.legal_id), None);
    assert_eq!(s(&e.buyer.name), Some("Gadget Shop"));
    assert_eq!(s(&e.buyer.vat_id), None);
    assert_eq!(s(&e.total_without_vat), Some("350.00"));
    assert_eq!(s(&e.total_vat), Some("60.00"));
    assert_eq!(s(&e.total_with_vat), Some("410.00"));
    assert_eq!(s(&e.amount_due), Some("410.00"));
    assert_eq!(s(&e.iban), Some("GB82WEST12345698765432"));
    assert_eq!(e.lines.len(), 2);
    assert_eq!(s(&e.lines[0].quantity), Some("3"));
    assert_eq!(s(&e.lines[1].vat_rate), Some("0"));
    assert_eq!(s(&e.vat_breakdown[1].category), Some("Z"));
    assert!(!e.needs_review, "{:?}", e.issues);
    assert!(!e.fields.contains_key("buyer.vat_id"));
}

#[test]
fn cii_invoice_two_rates_charges_two_tax_totals() {
    let e = extract(&fixture("cii-invoice-eur.xml"), None, &Limits::default());
    assert_eq!(e.format, Format::Cii, "{:?}", e.issues);
    assert_eq!(s(&e.profile), Some("EN 16931"));
    assert_eq!(s(&e.number), Some("RE-2026-0815"));
    assert_eq!(s(&e.type_code), Some("380"));
    assert_eq!(s(&e.issue_date), Some("2026-10-14"));
    assert_eq!(s(&e.due_date), Some("2026-10-28"));
    assert_eq!(s(&e.currency), Some("EUR"));
    assert_eq!(s(&e.seller.name), Some("Müller Technik GmbH"));
    assert_eq!(
        s(&e.seller.vat_id),
        Some("DE123456789"),
        "schemeID VA, not FC"
    );
    assert_eq!(s(&e.seller.legal_id), Some("HRB 12345"));
    assert_eq!(s(&e.buyer.name), Some("Kunde AG"));
    assert_eq!(s(&e.buyer.vat_id), Some("ATU12345678"));
    assert_eq!(s(&e.total_without_vat), Some("640.00"));
    assert_eq!(
        s(&e.total_vat),
        Some("110.80"),
        "the EUR TaxTotalAmount, not the SEK one"
    );
    assert_eq!(s(&e.total_with_vat), Some("750.80"));
    assert_eq!(s(&e.amount_due), Some("750.00"));
    assert_eq!(s(&e.iban), Some("DE89370400440532013000"));
    assert_eq!(e.vat_breakdown.len(), 2);
    assert_eq!(s(&e.vat_breakdown[0].rate), Some("19.00"));
    assert_eq!(s(&e.vat_breakdown[0].tax_amount), Some("104.50"));
    assert_eq!(s(&e.vat_breakdown[1].taxable_amount), Some("90.00"));
    assert_eq!(e.lines.len(), 2);
    assert_eq!(s(&e.lines[0].quantity), Some("100"));
    assert_eq!(s(&e.lines[1].unit_code), Some("H87"));
    assert_eq!(s(&e.lines[1].net_amount), Some("100.00"));
    assert_eq!(s(&e.lines[1].vat_rate), Some("7"));
    assert!(!e.needs_review, "{:?}", e.issues);
}

#[test]
fn cii_credit_note_usd() {
    let e = extract(&fixture("cii-creditnote-usd.xml"), None, &Limits::default());
    assert_eq!(e.format, Format::Cii);
    assert_eq!(s(&e.profile), Some("BASIC"));
    assert_eq!(s(&e.number), Some("AV-2026-003"));
    assert_eq!(s(&e.type_code), Some("381"));
    assert_eq!(s(&e.issue_date), Some("2026-01-05"));
    assert_eq!(s(&e.due_date), None);
    assert_eq!(s(&e.currency), Some("USD"));
    assert_eq!(s(&e.seller.legal_id), Some("73282932000074"));
    assert_eq!(s(&e.buyer.name), Some("Globex Inc."));
    assert_eq!(s(&e.total_without_vat), Some("123.45"));
    assert_eq!(s(&e.total_vat), Some("12.35"));
    assert_eq!(s(&e.total_with_vat), Some("135.80"));
    assert_eq!(s(&e.amount_due), Some("135.80"));
    assert_eq!(s(&e.lines[0].quantity), Some("1.000"));
}

#[test]
fn json_contract_shape() {
    let e = extract(&fixture("cii-creditnote-usd.xml"), None, &Limits::default());
    let v: serde_json::Value = serde_json::from_str(&e.to_json()).expect("json");
    for key in [
        "format",
        "profile",
        "number",
        "issue_date",
        "due_date",
        "type_code",
        "currency",
        "seller",
        "buyer",
        "total_without_vat",
        "total_vat",
        "total_with_vat",
        "amount_due",
        "iban",
        "fields",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["format"], "cii");
    assert_eq!(v["due_date"], serde_json::Value::Null);
    assert_eq!(v["seller"]["vat_id"], "FR44732829320");
    assert_eq!(v["buyer"]["vat_id"], serde_json::Value::Null);
    assert_eq!(v["total_with_vat"], "135.80");
    assert_eq!(v["fields"]["number"]["source"], "xml");
    assert_eq!(v["fields"]["number"]["confidence"], 1.0);
    assert!(v["fields"].get("due_date").is_none());
    assert!(v.get("text").is_none());
}

#[test]
fn bad_values_become_null_with_issues() {
    let xml = String::from_utf8(fixture("cii-creditnote-usd.xml"))
        .expect("utf8")
        .replace(
            "<ram:GrandTotalAmount>135.80",
            "<ram:GrandTotalAmount>135,80",
        )
        .replace("format=\"102\">20260105", "format=\"102\">20261305");
    let e = extract(xml.as_bytes(), None, &Limits::default());
    assert_eq!(e.total_with_vat, None);
    assert_eq!(e.issue_date, None);
    assert_flagged(&e, "GrandTotalAmount");
}

#[test]
fn other_xml_is_not_an_invoice() {
    let e = extract(
        b"<?xml version=\"1.0\"?><Invoice xmlns=\"urn:example\"><ID>1</ID></Invoice>",
        None,
        &Limits::default(),
    );
    assert_eq!(e.format, Format::Other);
    assert!(e.needs_review);
    assert_eq!(e.number, None);
}

#[test]
fn latin1_and_utf16_documents() {
    let utf8 = String::from_utf8(fixture("cii-invoice-eur.xml")).expect("utf8");
    // ISO-8859-1, declared.
    let latin1_text = utf8.replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    let latin1: Vec<u8> = latin1_text.chars().map(|c| c as u32 as u8).collect();
    assert!(std::str::from_utf8(&latin1).is_err(), "really not UTF-8");
    let e = extract(&latin1, None, &Limits::default());
    assert_eq!(
        e.seller.name.as_deref(),
        Some("Müller Technik GmbH"),
        "{:?}",
        e.issues
    );
    // UTF-16 LE with BOM.
    let utf16_text = utf8.replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(utf16_text.encode_utf16().flat_map(u16::to_le_bytes));
    let e = extract(&utf16, None, &Limits::default());
    assert_eq!(e.format, Format::Cii, "{:?}", e.issues);
    assert_eq!(e.total_with_vat.as_deref(), Some("750.80"));
    // Undeclared non-UTF-8 bytes are refused.
    let e = extract(
        &latin1_text
            .replace("ISO-8859-1", "UTF-8")
            .chars()
            .map(|c| c as u32 as u8)
            .collect::<Vec<u8>>(),
        None,
        &Limits::default(),
    );
    assert!(e.needs_review && e.number.is_none());
}
