//! Small PDFs written by hand, uncompressed, as seeds: a plain invoice with a text layer, and
//! Factur-X-like PDFs with an embedded XML found through the `/Names /EmbeddedFiles` tree (flat
//! or with `/Kids`) or only through the catalog's `/AF`. Uncompressed on purpose: byte-level
//! mutations then land in the structure, the content stream and the embedded XML, not in a
//! deflate stream that just fails to decompress.

/// Where the embedded file is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// `/Names << /EmbeddedFiles << /Names [(name) spec] >> >>` and `/AF [spec]`.
    NamesAndAf,
    /// A name tree with one level of `/Kids`.
    NamesKids,
    /// Only the catalog's `/AF` array.
    AfOnly,
}

struct Pdf {
    objects: Vec<Vec<u8>>,
}

impl Pdf {
    fn new() -> Self {
        Pdf {
            objects: Vec::new(),
        }
    }

    /// Reserves the next object number.
    fn reserve(&mut self) -> usize {
        self.objects.push(Vec::new());
        self.objects.len()
    }

    fn set(&mut self, id: usize, body: impl Into<Vec<u8>>) {
        self.objects[id - 1] = body.into();
    }

    fn add(&mut self, body: impl Into<Vec<u8>>) -> usize {
        let id = self.reserve();
        self.set(id, body);
        id
    }

    fn stream(dict_entries: &str, data: &[u8]) -> Vec<u8> {
        let mut out = format!("<< /Length {} {dict_entries} >>\nstream\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\nendstream");
        out
    }

    fn finish(self, root: usize) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(self.objects.len());
        for (i, body) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n", self.objects.len() + 1).as_bytes());
        out.extend_from_slice(b"0000000000 65535 f \n");
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                self.objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

/// A PDF literal string for ASCII text.
fn literal(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// Adds the page tree with one page showing `lines` in Helvetica; returns the `/Pages` id.
fn page_with_text(pdf: &mut Pdf, lines: &[&str]) -> usize {
    let pages = pdf.reserve();
    let font = pdf
        .add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    let mut ops = String::from("BT /F1 11 Tf 14 TL 56 780 Td\n");
    for l in lines {
        ops.push_str(&format!("{} Tj T*\n", literal(l)));
    }
    ops.push_str("ET\n");
    let contents = pdf.add(Pdf::stream("", ops.as_bytes()));
    let page = pdf.add(format!(
        "<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 595 842] /Contents {contents} 0 R \
         /Resources << /Font << /F1 {font} 0 R >> >> >>"
    ));
    pdf.set(
        pages,
        format!("<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>"),
    );
    pages
}

/// Lines of a plain French invoice, with the labels the heuristics look for.
pub const INVOICE_LINES: &[&str] = &[
    "ACME Fournitures SARL",
    "12 rue des Lilas, 75011 Paris",
    "SIRET 732 829 320 00074",
    "TVA intracommunautaire FR44732829320",
    "FACTURE N\u{b0} F-2026-0042",
    "Date de facture : 14/10/2026",
    "Echeance : 13/11/2026",
    "Client : Boulangerie Martin",
    "Designation        Qte   PU HT    Total HT",
    "Papier A4          10    4,50     45,00",
    "Cartouches          2   512,00  1 024,00",
    "Total HT : 1 069,00 EUR",
    "TVA 20 % : 213,80 EUR",
    "Total TTC : 1 282,80 EUR",
    "IBAN FR76 3000 6000 0112 3456 7890 189",
];

/// A plain PDF invoice (text layer only).
pub fn plain_invoice(lines: &[&str]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let pages = page_with_text(&mut pdf, lines);
    let catalog = pdf.add(format!("<< /Type /Catalog /Pages {pages} 0 R >>"));
    pdf.finish(catalog)
}

/// A PDF with `xml` embedded as `name`, declared as `attach` says, with XMP metadata naming
/// the Factur-X profile `level`.
pub fn facturx(xml: &[u8], name: &str, attach: Attach, level: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let pages = page_with_text(&mut pdf, &INVOICE_LINES[..8]);
    let file = pdf.add(Pdf::stream("/Type /EmbeddedFile /Subtype /text#2Fxml", xml));
    let spec = pdf.add(format!(
        "<< /Type /Filespec /F {n} /UF {n} /AFRelationship /Data /EF << /F {file} 0 R /UF {file} 0 R >> >>",
        n = literal(name)
    ));
    let xmp = format!(
        "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\">\n\
         <fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>{name}</fx:DocumentFileName>\n\
         <fx:Version>1.0</fx:Version><fx:ConformanceLevel>{level}</fx:ConformanceLevel>\n\
         </rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>"
    );
    let meta = pdf.add(Pdf::stream("/Type /Metadata /Subtype /XML", xmp.as_bytes()));
    let names = match attach {
        Attach::NamesAndAf => format!(
            "/Names << /EmbeddedFiles << /Names [{} {spec} 0 R] >> >> /AF [{spec} 0 R]",
            literal(name)
        ),
        Attach::NamesKids => {
            let leaf = pdf.add(format!(
                "<< /Limits [{n} {n}] /Names [{n} {spec} 0 R] >>",
                n = literal(name)
            ));
            format!("/Names << /EmbeddedFiles << /Kids [{leaf} 0 R] >> >>")
        }
        Attach::AfOnly => format!("/AF [{spec} 0 R]"),
    };
    let catalog = pdf.add(format!(
        "<< /Type /Catalog /Pages {pages} 0 R /Metadata {meta} 0 R {names} >>"
    ));
    pdf.finish(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_pdfs_read_as_intended() {
        let limits = coffre_extract::Limits::default();
        let plain = plain_invoice(INVOICE_LINES);
        let e = coffre_extract::extract(&plain, Some("f.pdf"), &limits);
        assert!(
            e.text.as_deref().unwrap_or("").contains("F-2026-0042"),
            "{e:?}"
        );
        let xml = crate::seeds::MINIMAL_CII.as_bytes();
        for attach in [Attach::NamesAndAf, Attach::NamesKids, Attach::AfOnly] {
            let pdf = facturx(xml, "factur-x.xml", attach, "EN 16931");
            let c = coffre_extract::pdf::process(&pdf, &limits).unwrap();
            assert_eq!(c.invoice.map(|i| i.xml), Some(xml.to_vec()), "{attach:?}");
        }
    }
}
