//! PDFs from a real producer: Ghostscript 10 (ps2pdf) writes every line with the `'` operator,
//! which pdf-extract 0.12 drops silently; the crate must still read the whole text.
//! The fixture was made from tests/fixtures/ghostscript-invoice-fr.ps with `ps2pdf`.

mod support;

use coffre_extract::{Format, Limits, extract};
use support::fixture;

#[test]
fn ghostscript_pdf_is_read_completely() {
    let pdf = fixture("ghostscript-invoice-fr.pdf");
    let raw = pdf_extract::extract_text_from_mem(&pdf).unwrap_or_default();
    println!(
        "pdf-extract alone: {} non-space characters; contains the invoice number: {}",
        raw.chars().filter(|c| !c.is_whitespace()).count(),
        raw.contains("2026")
    );
    let e = extract(&pdf, Some("gs.pdf"), &Limits::default());
    assert_eq!(e.format, Format::PdfText);
    let text = e.text().unwrap_or_default();
    let text = text.replace('\u{2212}', "-");
    for word in [
        "ACME",
        "SIRET",
        "F-2026-0042",
        "octobre",
        "Dupont",
        "Désignation",
        "Total",
        "IBAN",
    ] {
        assert!(text.contains(word), "{word} missing from {text:?}");
    }
    assert!(
        !e.issues.iter().any(|i| i.contains("text loss")),
        "{:?}",
        e.issues
    );
    assert_eq!(e.number.as_deref(), Some("F-2026-0042"));
    assert_eq!(e.issue_date.as_deref(), Some("2026-10-14"));
    assert_eq!(e.due_date.as_deref(), Some("2026-11-13"));
    assert_eq!(e.seller.name.as_deref(), Some("ACME Conseil SAS"));
    assert_eq!(e.seller.legal_id.as_deref(), Some("73282932000074"));
    assert_eq!(e.seller.vat_id.as_deref(), Some("FR44732829320"));
    assert_eq!(e.buyer.name.as_deref(), Some("Dupont & Fils SARL"));
    assert_eq!(e.buyer.vat_id.as_deref(), Some("FR40303265045"));
    assert_eq!(e.total_without_vat.as_deref(), Some("1000.00"));
    assert_eq!(e.total_vat.as_deref(), Some("200.00"));
    assert_eq!(e.total_with_vat.as_deref(), Some("1200.00"));
    assert_eq!(e.amount_due.as_deref(), Some("1200.00"));
    assert_eq!(e.currency.as_deref(), Some("EUR"));
    assert_eq!(e.iban.as_deref(), Some("FR7630006000011234567890189"));
}
