//! # coffre-extract
//!
//! Field extraction for Coffre's invoice vault: given the bytes of a document, tell what it is
//! (Factur-X/ZUGFeRD PDF, UBL or CII XML, plain PDF, image, other) and read the EN 16931 fields
//! a vault indexes (number, dates, parties, totals, IBAN...).
//!
//! The entry point is [`extract`]. It never panics and never fails: problems become
//! [`Extraction::issues`] and set [`Extraction::needs_review`]. PDF work runs on a worker thread
//! under `catch_unwind` and a time budget ([`Limits::pdf_timeout`]); XML is parsed without DTDs
//! and with size, node and depth bounds.
//!
//! Trust order: an e-invoice embedded in a PDF (Factur-X, ZUGFeRD 1.0 and 2.x, XRechnung),
//! then standalone XML (both read exactly, source `xml`, confidence 1), then the text of a plain
//! PDF read by label heuristics (source `text`, with a confidence), then the text OCR reads in
//! the pages of a JPEG, PNG or TIFF image or in the scanned pages of a PDF (format `image`, or
//! `pdf-scan` when every page is a scan; source `ocr`, the confidence scaled by OCR's, within
//! `Limits::ocr_timeout`; see `scan`), then nothing for other files.
//!
//! Modules: [`model`] (the result and its JSON), [`xml`] (UBL, CII D16B, ZUGFeRD 1.0), [`pdf`]
//! (attachments, text layer, layout, page images), [`ocr`] (Tesseract), `scan` (the pages OCR
//! reads, one at a time), [`heuristics`] (fields
//! from text), [`memory`] (supplier memory's text rules), [`checks`] (identifier checksums),
//! [`amount`] (exact decimals).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod amount;
pub mod checks;
pub mod heuristics;
pub mod mail;
pub mod memory;
pub mod model;
pub mod ocr;
pub mod pdf;
mod scan;
pub mod xml;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

pub use model::{
    Buyer, Extraction, FieldInfo, Format, Line, OcrPage, OcrRun, Seller, Source, VatBreakdown,
};

/// Resource bounds for one extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted at all (bytes).
    pub max_input_bytes: usize,
    /// Largest XML document (standalone or embedded) parsed (bytes).
    pub max_xml_bytes: usize,
    /// Deepest element nesting accepted in XML.
    pub max_xml_depth: usize,
    /// Most XML nodes accepted.
    pub max_xml_nodes: u32,
    /// Largest size a single PDF stream, and all the page content of a document together
    /// (streams counted once per reference), may decompress to (bytes).
    pub max_decompressed_bytes: usize,
    /// Most pages whose text operators are normalised.
    pub max_pdf_pages: usize,
    /// Most characters of text kept.
    pub max_text_chars: usize,
    /// Time budget for all PDF work; after it the worker thread is abandoned.
    pub pdf_timeout: Duration,
    /// Most pages of a scan read by OCR.
    pub ocr_max_pages: usize,
    /// OCR languages, `+`-separated Tesseract names (`fra+eng+deu`).
    pub ocr_languages: String,
    /// Time budget for all the OCR of one document (below the extraction worker's own wall
    /// budget, so the pages read are kept when it runs out).
    pub ocr_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 64 * 1024 * 1024,
            max_xml_bytes: 20 * 1024 * 1024,
            max_xml_depth: 64,
            max_xml_nodes: 2_000_000,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_pdf_pages: 500,
            max_text_chars: 2_000_000,
            pdf_timeout: Duration::from_secs(20),
            ocr_max_pages: 20,
            ocr_languages: "fra+eng+deu".into(),
            ocr_timeout: Duration::from_secs(150),
        }
    }
}

/// What the leading bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// `%PDF-` within the first 1024 bytes.
    Pdf,
    /// Starts like XML.
    Xml,
    /// PNG signature.
    Png,
    /// JPEG signature.
    Jpeg,
    /// TIFF signature (either byte order).
    Tiff,
    /// An e-mail message (`.eml` or Outlook `.msg`).
    Message(mail::Kind),
    /// Anything else.
    Other,
}

/// Detects the file kind from magic bytes (the file name is only a fallback hint for XML).
pub fn sniff(bytes: &[u8], file_name: Option<&str>) -> Sniffed {
    let head = &bytes[..bytes.len().min(1024)];
    // A message before a PDF: a `.msg` (a compound file) may hold its PDF attachment's first
    // bytes within its first KiB, and an `.eml` may carry an unencoded PDF there.
    if let Some(kind) = mail::sniff(bytes, file_name) {
        Sniffed::Message(kind)
    } else if head.windows(5).any(|w| w == b"%PDF-") {
        Sniffed::Pdf
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Png
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Jpeg
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Sniffed::Tiff
    } else if xml::looks_like_xml(bytes)
        || file_name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".xml"))
    {
        Sniffed::Xml
    } else {
        Sniffed::Other
    }
}

/// An extraction that read nothing: the format and media type from the leading bytes, flagged
/// for review with `message` (input over the limits, or a reader that had to be stopped).
pub fn not_read(bytes: &[u8], file_name: Option<&str>, message: impl Into<String>) -> Extraction {
    let (format, media) = match sniff(bytes, file_name) {
        Sniffed::Pdf => (Format::PdfText, "application/pdf"),
        Sniffed::Xml => (Format::Other, "application/xml"),
        Sniffed::Png => (Format::Image, "image/png"),
        Sniffed::Jpeg => (Format::Image, "image/jpeg"),
        Sniffed::Tiff => (Format::Image, "image/tiff"),
        Sniffed::Message(k) => (Format::Message, k.media_type()),
        Sniffed::Other => (Format::Other, "application/octet-stream"),
    };
    let mut e = Extraction::empty(format, media);
    e.issue(message);
    e
}

/// Extracts invoice fields from a document. Never panics, never fails: see the crate docs.
pub fn extract(bytes: &[u8], file_name: Option<&str>, limits: &Limits) -> Extraction {
    extract_with_progress(bytes, file_name, limits, &mut |_| {})
}

/// The parts of an e-mail message that become documents of their own (see [`mail`]); nothing
/// for any other file. Never panics.
pub fn message_parts(bytes: &[u8], file_name: Option<&str>, limits: &Limits) -> Vec<mail::Part> {
    if bytes.len() > limits.max_input_bytes {
        return Vec::new();
    }
    catch_unwind(AssertUnwindSafe(|| match sniff(bytes, file_name) {
        Sniffed::Message(kind) => mail::parts(bytes, kind, limits),
        _ => Vec::new(),
    }))
    .unwrap_or_default()
}

/// Where the extraction of a long document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// OCR is about to read page `page` (from 1) of the `pages` it will read.
    OcrPage {
        /// The page, from 1.
        page: usize,
        /// How many pages OCR reads (at most `Limits::ocr_max_pages`).
        pages: usize,
    },
}

/// [`extract`], telling `progress` where it is (each page OCR reads) as it goes.
pub fn extract_with_progress(
    bytes: &[u8],
    file_name: Option<&str>,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Extraction {
    extract_with_parts(bytes, file_name, limits, progress).0
}

/// [`extract_with_progress`], and for an e-mail message its parts (see [`message_parts`]),
/// from one reading of the message; no parts for any other file.
pub fn extract_with_parts(
    bytes: &[u8],
    file_name: Option<&str>,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> (Extraction, Vec<mail::Part>) {
    match catch_unwind(AssertUnwindSafe(|| {
        let kind = sniff(bytes, file_name);
        match kind {
            Sniffed::Message(k) if bytes.len() <= limits.max_input_bytes => {
                mail::extract(bytes, k, limits)
            }
            _ => (
                extract_inner(bytes, kind, file_name, limits, progress),
                Vec::new(),
            ),
        }
    })) {
        Ok((mut e, parts)) => {
            e.check_types();
            (e, parts)
        }
        Err(_) => {
            let mut e = Extraction::empty(Format::Other, "application/octet-stream");
            e.issue("internal error while extracting (contained)");
            (e, Vec::new())
        }
    }
}

fn extract_inner(
    bytes: &[u8],
    kind: Sniffed,
    file_name: Option<&str>,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Extraction {
    if bytes.len() > limits.max_input_bytes {
        return not_read(
            bytes,
            file_name,
            format!(
                "input of {} bytes exceeds the limit of {} bytes: not read",
                bytes.len(),
                limits.max_input_bytes
            ),
        );
    }
    match kind {
        Sniffed::Pdf => from_pdf(bytes, limits, progress),
        Sniffed::Xml => from_xml(bytes, limits),
        Sniffed::Message(k) => mail::extract(bytes, k, limits).0,
        Sniffed::Png | Sniffed::Jpeg | Sniffed::Tiff => {
            let media = match kind {
                Sniffed::Png => "image/png",
                Sniffed::Tiff => "image/tiff",
                _ => "image/jpeg",
            };
            let mut e = Extraction::empty(Format::Image, media);
            match scan::ImageFile::new(bytes, kind == Sniffed::Tiff) {
                Ok((file, pages)) => scan::read_pages(&mut e, &[], &file, pages, limits, progress),
                Err(why) => e.issue(why),
            }
            flag_unread(&mut e);
            e
        }
        Sniffed::Other => {
            let mut e = Extraction::empty(Format::Other, "application/octet-stream");
            e.issue("not a PDF, XML or image file: no fields read");
            e
        }
    }
}

fn from_xml(bytes: &[u8], limits: &Limits) -> Extraction {
    let mut e = Extraction::empty(Format::Other, "application/xml");
    match xml::read_invoice(bytes, limits, &mut e) {
        Ok(kind) => {
            e.format = if kind.is_cii() {
                Format::Cii
            } else {
                Format::Ubl
            };
            finish_structured(&mut e);
        }
        Err(xml::XmlError::NotAnInvoice { local, namespace })
            if xml::cdar::is_root(&local, namespace.as_deref()) =>
        {
            e.format = Format::Cdar;
            if let Err(err) = xml::read_lifecycle(bytes, limits, &mut e) {
                e.issue(err.to_string());
            }
        }
        Err(err) => {
            e.issue(err.to_string());
        }
    }
    e
}

/// Provenance and sanity checks common to structured (XML) results.
fn finish_structured(e: &mut Extraction) {
    e.fill_provenance(Source::Xml, 1.0);
    flag_missing(e, &["number", "issue_date", "currency"], |key| {
        format!("mandatory field {key} is missing")
    });
    if let (Some(n), Some(v), Some(g)) = (&e.total_without_vat, &e.total_vat, &e.total_with_vat)
        && !amount::sum_matches(n, v, g)
    {
        let msg = format!("BR-CO-15 fails: {n} + {v} != {g}");
        e.issue(msg);
    }
    // BT-84 is kept without spaces (some producers write the IBAN in groups of four).
    if let Some(iban) = e.iban.as_mut()
        && iban.chars().any(char::is_whitespace)
    {
        iban.retain(|c| !c.is_whitespace());
    }
    if let Some(iban) = &e.iban
        && !checks::is_iban(iban)
    {
        // Not necessarily an error (BT-84 may be a non-IBAN account), but worth a look.
        let msg = format!("payment account {iban:?} is not a valid IBAN");
        e.issue(msg);
    }
}

fn from_pdf(bytes: &[u8], limits: &Limits, progress: &mut dyn FnMut(Progress)) -> Extraction {
    let mut e = Extraction::empty(Format::PdfText, "application/pdf");
    let content = match pdf::process(bytes, limits) {
        Ok(c) => c,
        Err(err) => {
            e.abandoned_work = matches!(err, pdf::PdfError::Timeout(_));
            e.issue(err.to_string());
            return e;
        }
    };
    e.text = content.text.clone();
    if let Some(inv) = &content.invoice {
        let mut x = Extraction::empty(Format::FacturX, "application/pdf");
        match xml::read_invoice(&inv.xml, limits, &mut x) {
            Ok(kind) => {
                x.text = content.text.clone();
                if let Some(p) = &content.xmp_profile {
                    // The XMP declaration names the Factur-X profile (ZUGFeRD 1.0: the
                    // conformance level); keep the XML's when absent.
                    x.profile = Some(if kind == xml::XmlKind::Zugferd1 {
                        xml::cii::zugferd1_profile(p)
                    } else {
                        p.to_ascii_uppercase()
                    });
                }
                finish_structured(&mut x);
                for i in &content.issues {
                    x.issues.push(i.clone());
                }
                return x;
            }
            Err(err) => {
                e.issue(format!(
                    "embedded {:?} unreadable, falling back to text: {err}",
                    inv.name
                ));
            }
        }
    }
    for i in &content.issues {
        e.issue(i.clone());
    }
    if let Some(scan) = &content.scan {
        let pages = scan::PdfPages {
            scan,
            max_bytes: limits.max_input_bytes,
        };
        // A scan when every page with a text layer is a page OCR reads (a stamp on a scan);
        // mixed when some page is text.
        let read = scan.numbers();
        let text_pages = content.pages.iter().filter(|p| {
            !read.contains(&(p.number as usize))
                && p.text.chars().filter(|c| !c.is_whitespace()).count() >= 20
        });
        if text_pages.count() == 0 {
            e.format = Format::PdfScan;
            e.issues.retain(|i| !i.starts_with("no text layer"));
        }
        scan::read_pages(
            &mut e,
            &content.pages,
            &pages,
            content.page_count,
            limits,
            progress,
        );
    } else if let Some(text) = content.text.as_deref() {
        apply_text_fields(&mut e, heuristics::extract_fields(text), Source::Text, 1.0);
    }
    flag_unread(&mut e);
    e
}

/// Flags a document read from its text (or OCR's) when the fields an invoice must have are not
/// there.
fn flag_unread(e: &mut Extraction) {
    flag_missing(e, &["number", "issue_date", "total_with_vat"], |key| {
        format!("{key} not found in the text")
    });
}

/// Flags `e` for review with an issue, worded by `issue`, for each field of `keys` (paths as in
/// [`Extraction::field_values`], in that order) that has no value.
fn flag_missing(e: &mut Extraction, keys: &[&str], issue: impl Fn(&str) -> String) {
    let missing: Vec<&str> = e
        .field_values()
        .into_iter()
        .filter(|(key, value)| value.is_none() && keys.contains(key))
        .map(|(key, _)| key)
        .collect();
    for key in missing {
        e.issue(issue(key));
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn apply_text_fields(e: &mut Extraction, f: heuristics::TextFields, source: Source, scale: f64) {
    let set = |key: &str,
               slot: &mut Option<String>,
               g: Option<heuristics::Guess>,
               fields: &mut std::collections::BTreeMap<String, FieldInfo>| {
        if let Some(g) = g {
            *slot = Some(g.value);
            fields.insert(
                key.to_string(),
                FieldInfo {
                    source,
                    confidence: g.confidence * scale,
                },
            );
        }
    };
    let fields = &mut e.fields;
    set("number", &mut e.number, f.number, fields);
    set("issue_date", &mut e.issue_date, f.issue_date, fields);
    set("due_date", &mut e.due_date, f.due_date, fields);
    set("type_code", &mut e.type_code, f.type_code, fields);
    set("currency", &mut e.currency, f.currency, fields);
    set("seller.name", &mut e.seller.name, f.seller_name, fields);
    set(
        "seller.vat_id",
        &mut e.seller.vat_id,
        f.seller_vat_id,
        fields,
    );
    set(
        "seller.legal_id",
        &mut e.seller.legal_id,
        f.seller_legal_id,
        fields,
    );
    set("buyer.name", &mut e.buyer.name, f.buyer_name, fields);
    set("buyer.vat_id", &mut e.buyer.vat_id, f.buyer_vat_id, fields);
    set(
        "total_without_vat",
        &mut e.total_without_vat,
        f.total_without_vat,
        fields,
    );
    set("total_vat", &mut e.total_vat, f.total_vat, fields);
    set(
        "total_with_vat",
        &mut e.total_with_vat,
        f.total_with_vat,
        fields,
    );
    set("amount_due", &mut e.amount_due, f.amount_due, fields);
    set("iban", &mut e.iban, f.iban, fields);
    e.vat_breakdown = f.vat_breakdown;
    for i in f.issues {
        e.issue(i);
    }
}

#[cfg(test)]
mod tests {
    use super::{Sniffed, mail, sniff};

    #[test]
    fn a_message_holding_a_pdf_near_its_start_is_a_message() {
        // An Outlook writer (aspose-email-foss) puts an attachment's first bytes in the compound
        // file's first sectors: `%PDF-` within the first KiB.
        let mut msg = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        msg.extend(b"\0\0%PDF-1.7\n");
        msg.extend(
            "__substg1.0_0037001F"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        assert!(matches!(
            sniff(&msg, None),
            Sniffed::Message(mail::Kind::Msg)
        ));
        let eml = b"From: a@example.org\r\nSubject: x\r\n\r\n%PDF-1.4 sent unencoded\r\n";
        assert!(matches!(
            sniff(eml, None),
            Sniffed::Message(mail::Kind::Eml)
        ));
        assert!(matches!(
            sniff(b"%PDF-1.7\n...", Some("a.eml")),
            Sniffed::Pdf
        ));
    }
}
