//! Generated sample invoices: UBL 2.1 documents with varied sellers, buyers, dates, amounts
//! and items, for the desktop app's demo vault (`--demo`) and the benchmarks; one-page PDFs of
//! positioned text ([`text_pdf`]) for tests that read plain PDFs, and image-only PDFs
//! ([`scan_pdf`]) for tests of scans.
//!
//! Promises: deterministic for a seed (the same seed gives the same invoices), every invoice is
//! a valid EN 16931 UBL document that `coffre-extract` reads exactly, and totals add up
//! (net + 20 % VAT). No randomness source is needed.

/// Seller names (a number and a legal form are added).
pub const SELLERS: &[&str] = &[
    "ACME",
    "Boulangerie Dupont",
    "Globex",
    "Initech",
    "Martin Logiciels",
    "Stark Industries",
    "Wayne Enterprises",
    "Umbrella",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay Import",
    "Pied Piper",
    "Aperture",
    "Tyrell",
    "Wonka",
    "Oceanic",
    "Nakatomi",
    "Gringotts",
    "Duff",
];
/// Legal forms.
pub const FORMS: &[&str] = &["SARL", "SAS", "GmbH", "Ltd", "SA", "EURL"];
/// Item names.
pub const ITEMS: &[&str] = &[
    "Conseil",
    "Maintenance",
    "Licence",
    "Croissants",
    "Papeterie",
    "Transport",
    "Hebergement",
    "Formation",
    "Audit",
    "Nettoyage",
    "Electricite",
    "Telephone",
    "Loyer",
    "Assurance",
];
/// Buyer names.
pub const BUYERS: &[&str] = &[
    "Dupont", "Durand", "Lefebvre", "Moreau", "Schmidt", "Muller", "Rossi",
];

/// A tiny deterministic generator (xorshift64; the seed must not be 0).
pub struct Rng(pub u64);
impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// One of `from`, chosen at random.
    pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next_u64() % from.len() as u64) as usize]
    }
}

/// Invoice `i` (its number and its UBL XML), issued in one of `years` (e.g. `2016..2026`).
pub fn invoice(i: u64, years: std::ops::Range<u64>, rng: &mut Rng) -> (String, String) {
    let seller = format!("{} {} {}", rng.pick(SELLERS), i % 500, rng.pick(FORMS));
    let buyer = format!("{} {}", rng.pick(BUYERS), rng.pick(FORMS));
    let (y, m, d) = (
        years.start + rng.next_u64() % (years.end - years.start).max(1),
        1 + rng.next_u64() % 12,
        1 + rng.next_u64() % 28,
    );
    let net = 1_000 + rng.next_u64() % 5_000_000; // cents
    let vat = net / 5;
    let item = rng.pick(ITEMS);
    let number = format!("F{y}-{i:06}");
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ID>{number}</cbc:ID><cbc:IssueDate>{y}-{m:02}-{d:02}</cbc:IssueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>{seller}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>{buyer}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{vat_e}.{vat_c:02}</cbc:TaxAmount></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="EUR">{net_e}.{net_c:02}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">{tot_e}.{tot_c:02}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">{tot_e}.{tot_c:02}</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">{net_e}.{net_c:02}</cbc:LineExtensionAmount><cac:Item><cbc:Name>{item}</cbc:Name></cac:Item></cac:InvoiceLine>
</Invoice>"#,
        vat_e = vat / 100,
        vat_c = vat % 100,
        net_e = net / 100,
        net_c = net % 100,
        tot_e = (net + vat) / 100,
        tot_c = (net + vat) % 100,
    );
    (number, xml)
}

/// A one-page A4 PDF drawing each text at its own position (x, y in points from the bottom
/// left, Helvetica 10, WinAnsi: ASCII text), as invoice generators draw them.
pub fn text_pdf(items: &[(u32, u32, &str)]) -> Vec<u8> {
    let mut content = String::new();
    for (x, y, text) in items {
        let text = text
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("BT /F1 10 Tf {x} {y} Td ({text}) Tj ET\n"));
    }
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ];
    pdf_of(&objects.map(String::into_bytes))
}

/// An A4 PDF of `pages` pages, each drawing one blank page image (black and white at 150 dpi,
/// 1240 x 1754 pixels, uncompressed) and no text: a scan, as far as extraction can tell.
pub fn scan_pdf(pages: usize) -> Vec<u8> {
    let pixels = vec![0xFFu8; 155 * 1754];
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
    ];
    for i in 0..pages {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
                 /Resources << /XObject << /Im0 {} 0 R >> >> >>",
                4 + 2 * i
            )
            .into_bytes(),
        );
        let dict = format!(
            "<< /Type /XObject /Subtype /Image /Width 1240 /Height 1754 \
             /ColorSpace /DeviceGray /BitsPerComponent 1 /Length {} >>\nstream\n",
            pixels.len()
        );
        objects.push([dict.as_bytes(), &pixels, b"\nendstream"].concat());
    }
    pdf_of(&objects)
}

/// A PDF file of these objects, numbered from 1 (the first is the catalog), with its
/// cross-reference table.
pub fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
