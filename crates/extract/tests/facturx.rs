//! Factur-X: PDFs built with lopdf carrying our CII as an embedded file.

mod support;

use coffre_extract::{Format, Limits, extract};
use support::{AttachOpts, OpStyle, assert_flagged, facturx_pdf, fixture, simple_pdf};

const BOTH: AttachOpts = AttachOpts {
    name_tree: true,
    af: true,
    compress: true,
    xmp_level: Some("EN 16931"),
};

#[test]
fn embedded_cii_via_name_tree_and_af() {
    let pdf = facturx_pdf(&fixture("cii-invoice-eur.xml"), "factur-x.xml", BOTH);
    let e = extract(&pdf, Some("f.pdf"), &Limits::default());
    assert_eq!(e.format, Format::FacturX, "{:?}", e.issues);
    assert_eq!(e.profile.as_deref(), Some("EN 16931"));
    assert_eq!(e.number.as_deref(), Some("RE-2026-0815"));
    assert_eq!(e.issue_date.as_deref(), Some("2026-10-14"));
    assert_eq!(e.total_vat.as_deref(), Some("110.80"));
    assert_eq!(e.total_with_vat.as_deref(), Some("750.80"));
    assert_eq!(e.seller.vat_id.as_deref(), Some("DE123456789"));
    assert_eq!(e.media_type, "application/pdf");
    assert!(e.text().is_some_and(|t| t.contains("Facture")));
    assert!(!e.needs_review, "{:?}", e.issues);
}

#[test]
fn af_only_uncompressed_zugferd_name_profile_from_xml() {
    let opts = AttachOpts {
        name_tree: false,
        af: true,
        compress: false,
        xmp_level: None,
    };
    let pdf = facturx_pdf(
        &fixture("cii-creditnote-usd.xml"),
        "zugferd-invoice.xml",
        opts,
    );
    let e = extract(&pdf, None, &Limits::default());
    assert_eq!(e.format, Format::FacturX, "{:?}", e.issues);
    assert_eq!(e.profile.as_deref(), Some("BASIC"));
    assert_eq!(e.type_code.as_deref(), Some("381"));
    assert_eq!(e.amount_due.as_deref(), Some("135.80"));
}

#[test]
fn name_tree_only_any_cii_attachment() {
    let opts = AttachOpts {
        name_tree: true,
        af: false,
        compress: true,
        xmp_level: Some("BASIC"),
    };
    let pdf = facturx_pdf(&fixture("cii-creditnote-usd.xml"), "invoice-data.xml", opts);
    let e = extract(&pdf, None, &Limits::default());
    assert_eq!(e.format, Format::FacturX);
    assert_eq!(e.profile.as_deref(), Some("BASIC"));
    assert_eq!(e.number.as_deref(), Some("AV-2026-003"));
}

#[test]
fn non_invoice_xml_attachment_is_ignored() {
    let opts = AttachOpts {
        name_tree: true,
        af: true,
        compress: false,
        xmp_level: None,
    };
    let pdf = facturx_pdf(
        b"<?xml version=\"1.0\"?><notes><n>hello</n></notes>",
        "notes.xml",
        opts,
    );
    let e = extract(&pdf, None, &Limits::default());
    assert_eq!(e.format, Format::PdfText);
}

#[test]
fn broken_factur_x_xml_falls_back_to_text() {
    let opts = AttachOpts {
        name_tree: true,
        af: true,
        compress: true,
        xmp_level: None,
    };
    let pdf = facturx_pdf(b"<rsm:CrossIndustryInvoice oops", "factur-x.xml", opts);
    let e = extract(&pdf, None, &Limits::default());
    assert_eq!(e.format, Format::PdfText);
    assert_flagged(&e, "factur-x.xml");
}

#[test]
fn pdf_without_attachment_goes_to_text() {
    let pdf = simple_pdf(
        &[
            "ACME SAS",
            "Facture N° F-2026-0042",
            "Date : 14/10/2026",
            "Total HT 1 000,00 €",
            "TVA 20 % 200,00 €",
            "Total TTC 1 200,00 €",
        ],
        OpStyle::TdTj,
    );
    let e = extract(&pdf, Some("x.pdf"), &Limits::default());
    assert_eq!(e.format, Format::PdfText, "{:?}", e.issues);
    assert_eq!(e.number.as_deref(), Some("F-2026-0042"));
    assert_eq!(e.total_with_vat.as_deref(), Some("1200.00"));
    assert_eq!(e.fields["number"].source, coffre_extract::Source::Text);
    assert!(e.fields["number"].confidence < 1.0);
}

#[test]
fn quote_operator_text_is_not_lost() {
    // pdf-extract 0.12 ignores ' and "; the crate rewrites them before extracting.
    for style in [OpStyle::Quote, OpStyle::DoubleQuote] {
        let pdf = simple_pdf(
            &[
                "ACME SAS",
                "Invoice No. INV-778",
                "Date: 2026-03-01",
                "Net 100.00",
                "VAT 20.00",
                "Total 120.00",
            ],
            style,
        );
        let e = extract(&pdf, None, &Limits::default());
        let text = e.text().unwrap_or_default();
        assert!(
            text.contains("INV-778") && text.contains("Total 120.00"),
            "{style:?}: {text:?}"
        );
        assert_eq!(e.number.as_deref(), Some("INV-778"));
        assert_eq!(e.total_with_vat.as_deref(), Some("120.00"));
    }
}

#[test]
fn quote_operator_text_inside_a_form_xobject() {
    use lopdf::content::{Content, Operation};
    use lopdf::{Object, Stream, dictionary};
    let mut doc = support::build_doc(&[vec![]], OpStyle::TdTj);
    let page_id = *doc.get_pages().values().next().expect("page");
    let res_id = doc
        .get_dictionary(page_id)
        .and_then(|p| p.get(b"Resources"))
        .and_then(Object::as_reference)
        .expect("resources");
    let form_ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 10.into()]),
        Operation::new("TL", vec![14.into()]),
        Operation::new("Td", vec![50.into(), 800.into()]),
        Operation::new("'", vec![Object::string_literal("Invoice No. FORM-42")]),
        Operation::new("'", vec![Object::string_literal("Total 99.00")]),
        Operation::new("ET", vec![]),
    ];
    let mut form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => res_id,
        },
        Content {
            operations: form_ops,
        }
        .encode()
        .expect("encode"),
    );
    form.compress().expect("compress");
    let form_id = doc.add_object(form);
    if let Ok(Object::Dictionary(r)) = doc.get_object_mut(res_id) {
        r.set("XObject", dictionary! { "Fm1" => form_id });
    }
    let page_ops = Content {
        operations: vec![Operation::new("Do", vec!["Fm1".into()])],
    };
    doc.change_page_content(page_id, page_ops.encode().expect("encode"))
        .expect("content");
    let pdf = support::save(&mut doc);
    let e = extract(&pdf, None, &Limits::default());
    let text = e.text().unwrap_or_default();
    assert!(
        text.contains("FORM-42") && text.contains("99.00"),
        "{text:?}"
    );
    assert_eq!(e.number.as_deref(), Some("FORM-42"));
}
