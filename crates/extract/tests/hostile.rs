//! Hostile and broken inputs: issues and needs_review, never a panic, never an expansion.

mod support;

use std::time::{Duration, Instant};

use coffre_extract::{Format, Limits, extract};
use support::{OpStyle, assert_flagged, facturx_pdf, fixture, simple_pdf};

fn check_refused(bytes: &[u8]) -> coffre_extract::Extraction {
    let e = extract(bytes, None, &Limits::default());
    assert!(e.needs_review, "{:?}", e.issues);
    assert!(!e.issues.is_empty());
    assert_eq!(e.number, None);
    e
}

#[test]
fn truncated_pdf() {
    let pdf = simple_pdf(&["Facture N° F-1", "Total TTC 10,00"], OpStyle::TdTj);
    for cut in [10, pdf.len() / 3, pdf.len() / 2, pdf.len() - 40] {
        let e = extract(&pdf[..cut], None, &Limits::default());
        assert_eq!(e.format, Format::PdfText);
        // Whatever could be read, the document is flagged.
        assert!(e.needs_review, "cut {cut}: {:?}", e.issues);
    }
}

#[test]
fn truncated_facturx_pdf() {
    let opts = support::AttachOpts {
        name_tree: true,
        af: true,
        compress: true,
        xmp_level: None,
    };
    let pdf = facturx_pdf(&fixture("cii-invoice-eur.xml"), "factur-x.xml", opts);
    for cut in [pdf.len() / 4, pdf.len() / 2, pdf.len() * 3 / 4] {
        let _ = extract(&pdf[..cut], None, &Limits::default());
    }
}

#[test]
fn random_bytes_with_pdf_header() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..20 {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        for _ in 0..(500 + round * 300) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push((state >> 24) as u8);
        }
        if round % 2 == 1 {
            bytes.extend_from_slice(b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        }
        let e = check_refused(&bytes);
        assert_eq!(e.format, Format::PdfText);
    }
}

#[test]
fn mangled_pdf_objects() {
    // Valid structure, corrupted content streams and fonts.
    let pdf = simple_pdf(&["Invoice No. X-1", "Total 10.00"], OpStyle::TdTj);
    let s = String::from_utf8_lossy(&pdf).into_owned();
    for (from, to) in [
        ("/Helvetica", "/Nope"),
        ("/Type /Font", "/Type /Pages"),
        ("BT", "BX"),
        ("/Contents", "/Kontents"),
    ] {
        let bad = s.replacen(from, to, 1);
        let _ = extract(bad.as_bytes(), None, &Limits::default());
    }
}

#[test]
fn xml_with_doctype_and_external_entity_is_refused() {
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE Invoice [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>&xxe;</cbc:ID></Invoice>"#;
    let e = check_refused(xxe);
    assert_flagged(&e, "DOCTYPE");
    assert!(
        !e.to_json().contains("root:"),
        "entity must not be expanded"
    );
}

#[test]
fn billion_laughs_is_refused() {
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
    x.push_str("]>\n<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\">&lol9;</rsm:CrossIndustryInvoice>");
    let start = Instant::now();
    let e = check_refused(x.as_bytes());
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_flagged(&e, "DOCTYPE");
}

#[test]
fn deeply_nested_xml_is_refused() {
    let depth = 100_000;
    let mut x = String::from("<?xml version=\"1.0\"?>");
    x.push_str(&"<a>".repeat(depth));
    x.push_str(&"</a>".repeat(depth));
    let e = check_refused(x.as_bytes());
    assert_eq!(e.format, Format::Other);
    // Moderately nested but still too deep for an invoice.
    let mut y = String::from(
        "<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\">",
    );
    y.push_str(&"<x>".repeat(200));
    y.push_str(&"</x>".repeat(200));
    y.push_str("</rsm:CrossIndustryInvoice>");
    let e = check_refused(y.as_bytes());
    assert_flagged(&e, "deeper");
}

#[test]
fn oversized_and_node_limits() {
    let limits = Limits {
        max_xml_bytes: 1000,
        ..Limits::default()
    };
    let big = fixture("ubl-invoice-eur.xml");
    let e = extract(&big, None, &limits);
    assert_flagged(&e, "too large");
    let limits = Limits {
        max_xml_nodes: 50,
        ..Limits::default()
    };
    let e = extract(&big, None, &limits);
    assert!(e.needs_review && e.number.is_none());
    let limits = Limits {
        max_input_bytes: 10,
        ..Limits::default()
    };
    let e = extract(&big, None, &limits);
    assert_flagged(&e, "exceeds");
}

#[test]
fn broken_xml_utf16_and_garbage() {
    check_refused(b"<?xml version=\"1.0\"?><Invoice><unclosed>");
    check_refused(&[0xFF, 0xFE, b'<', 0, b'a', 0]);
    check_refused(b"\xEF\xBB\xBF<\xff\xfe>");
    let e = check_refused(b"just some words");
    assert_eq!(e.format, Format::Other);
    let e = check_refused(b"");
    assert_eq!(e.format, Format::Other);
}

#[test]
fn images_are_flagged() {
    let e = check_refused(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert_eq!(
        (e.format, e.media_type.as_str()),
        (Format::Image, "image/png")
    );
    let e = check_refused(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']);
    assert_eq!(
        (e.format, e.media_type.as_str()),
        (Format::Image, "image/jpeg")
    );
    assert!(e.fields.is_empty());
}

#[test]
fn pdf_time_budget_is_enforced() {
    // A zero budget must give up at once with a timeout issue, not hang.
    let pdf = simple_pdf(&["Invoice No. X-1"], OpStyle::TdTj);
    let limits = Limits {
        pdf_timeout: Duration::from_millis(0),
        ..Limits::default()
    };
    let e = extract(&pdf, None, &limits);
    assert_flagged(&e, "time budget");
}

#[test]
fn compressed_bomb_attachment_is_bounded() {
    // 64 MiB of zeros compresses to ~64 KiB; with a 1 MiB XML limit it must be refused.
    let zeros = vec![b' '; 64 * 1024 * 1024];
    let opts = support::AttachOpts {
        name_tree: true,
        af: true,
        compress: true,
        xmp_level: None,
    };
    let pdf = facturx_pdf(&zeros, "factur-x.xml", opts);
    let limits = Limits {
        max_xml_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let e = extract(&pdf, None, &limits);
    assert_eq!(e.format, Format::PdfText);
    assert!(e.needs_review);
    assert!(
        e.issues
            .iter()
            .any(|i| i.contains("factur-x.xml") && i.contains("cannot decode")),
        "{:?}",
        e.issues
    );
}
