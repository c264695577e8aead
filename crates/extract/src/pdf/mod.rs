//! PDF input: embedded e-invoice attachments, the text layer and the pages OCR must read,
//! behind a time budget.
//!
//! Which pages OCR reads is decided page by page: a page whose text layer shows fewer than
//! [`OCR_BELOW_CHARS`] visible characters and that holds an image covering it like a scan
//! ([`images::scan_like`]) is read; a page with a real text layer, or only a logo, is not. A
//! scanner's page with a stamp or a signature line added as text is still read.
//!
//! Promises: [`process`] never panics and never blocks longer than `Limits::pdf_timeout`.
//! All PDF work (lopdf parsing, attachment lookup, pdf-extract text extraction) runs on a
//! separate worker thread inside `catch_unwind`; if the budget runs out the caller gets
//! [`PdfError::Timeout`] and the worker thread is abandoned (Rust cannot kill a thread: it keeps
//! running detached until it finishes or the process exits, holding its own copy of the input).
//! Streams are decompressed with a size bound, so a compression bomb is refused instead of
//! exhausting memory.

pub mod attachments;
pub mod drawing;
pub mod images;
pub mod layout;
pub mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use crate::Limits;

/// What could go wrong reading a PDF.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    /// The PDF parser refused the file.
    #[error("unreadable PDF: {0}")]
    Unreadable(String),
    /// The PDF is encrypted with a password we do not have.
    #[error("encrypted PDF: {0}")]
    Encrypted(String),
    /// A library panicked on this file (contained).
    #[error("PDF reader crashed on this file (contained): {0}")]
    Panicked(String),
    /// The time budget ran out; the worker thread was abandoned.
    #[error("PDF processing exceeded its time budget of {0:?}; worker abandoned")]
    Timeout(Duration),
    /// The worker thread could not be started.
    #[error("could not start the PDF worker: {0}")]
    Worker(String),
}

/// An e-invoice XML found attached to a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedInvoice {
    /// The attachment's file name.
    pub name: String,
    /// The decoded XML bytes.
    pub xml: Vec<u8>,
}

/// A page with fewer visible characters in its text layer than this, and a scan-like image, is
/// read by OCR.
pub const OCR_BELOW_CHARS: usize = 200;

/// The pages of a PDF that OCR should read, with the document their images are decoded from,
/// one page at a time (a page's pixels are held only while it is read).
#[derive(Debug)]
pub struct ScanPages {
    doc: lopdf::Document,
    pages: Vec<(usize, lopdf::ObjectId)>,
}

impl ScanPages {
    /// The numbers of the pages to read, in order.
    pub fn numbers(&self) -> Vec<usize> {
        self.pages.iter().map(|(n, _)| *n).collect()
    }

    /// The image of page `number`, or why there is none OCR can read.
    pub fn image(&self, number: usize, max_bytes: usize) -> Result<images::PageImage, String> {
        let Some(&(_, id)) = self.pages.iter().find(|(n, _)| *n == number) else {
            return Err(format!("page {number} is not one to read"));
        };
        let found = contained(|| Ok(images::page_image(&self.doc, id, number, max_bytes)));
        match found {
            Ok(Some(image)) => Ok(image),
            Ok(None) => {
                let why = images::unsupported_images(&self.doc, &[(number, id)]);
                Err(if why.is_empty() {
                    format!("page {number}: no image OCR can read")
                } else {
                    why.join("; ")
                })
            }
            Err(e) => Err(format!("page {number}: {e}")),
        }
    }
}

/// Everything read from one PDF.
#[derive(Debug, Default)]
pub struct PdfContent {
    /// The embedded e-invoice, if any.
    pub invoice: Option<EmbeddedInvoice>,
    /// Profile declared in the XMP metadata (`fx:ConformanceLevel`), if any.
    pub xmp_profile: Option<String>,
    /// The text layer, if it could be extracted.
    pub text: Option<String>,
    /// Problems met (unreadable attachment, text loss, extractor errors...).
    pub issues: Vec<String>,
    /// Each page's text layer (none when it could not be read).
    pub pages: Vec<layout::PageText>,
    /// The pages OCR should read, if any.
    pub scan: Option<ScanPages>,
    /// How many pages the PDF has.
    pub page_count: usize,
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Runs `f` under `catch_unwind`, turning a panic into [`PdfError::Panicked`].
pub(crate) fn contained<T>(f: impl FnOnce() -> Result<T, PdfError>) -> Result<T, PdfError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(PdfError::Panicked(panic_message(p.as_ref()))),
    }
}

/// Reads a PDF: its embedded e-invoice (if any), XMP profile and text layer.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<PdfContent, PdfError> {
    let owned = bytes.to_vec();
    let lim = limits.clone();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("coffre-pdf".to_string())
        .spawn(move || {
            let result = contained(|| process_in_worker(&owned, &lim));
            // The receiver may have given up (timeout): nothing to do then.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(PdfError::Worker(e.to_string()));
    }
    match rx.recv_timeout(limits.pdf_timeout) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(PdfError::Timeout(limits.pdf_timeout)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(PdfError::Panicked(
            "worker ended without an answer".to_string(),
        )),
    }
}

fn process_in_worker(bytes: &[u8], limits: &Limits) -> Result<PdfContent, PdfError> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed_bytes),
        ..lopdf::LoadOptions::default()
    };
    let doc = contained(|| {
        lopdf::Document::load_mem_with_options(bytes, options).map_err(|e| match e {
            lopdf::Error::Decryption(d) => PdfError::Encrypted(d.to_string()),
            other => PdfError::Unreadable(other.to_string()),
        })
    })?;
    let mut out = PdfContent::default();
    match contained(|| Ok(attachments::find_einvoice(&doc, limits))) {
        Ok(found) => {
            out.invoice = found.invoice;
            out.issues.extend(found.issues);
        }
        Err(e) => out.issues.push(format!("attachments: {e}")),
    }
    out.xmp_profile =
        contained(|| Ok(attachments::xmp_conformance_level(&doc, limits))).unwrap_or(None);
    out.page_count = doc.get_pages().len();
    // The text extraction consumes the document; a copy stays for the page images.
    let for_images = doc.clone();
    match text::extract_text(doc, limits) {
        Ok(t) => {
            out.issues.extend(t.issues);
            out.text = Some(t.text);
            out.pages = t.pages;
        }
        Err(e) => out.issues.push(format!("text layer: {e}")),
    }
    let to_read = contained(|| Ok(pages_to_read(&for_images, &out.pages))).unwrap_or_default();
    if !to_read.is_empty() {
        out.scan = Some(ScanPages {
            doc: for_images,
            pages: to_read,
        });
    }
    Ok(out)
}

/// The pages OCR should read (see the module docs): a page the text layer left out (it could
/// not be read) counts as empty, a page whose text was cut by the glyph cap as read.
fn pages_to_read(
    doc: &lopdf::Document,
    texts: &[layout::PageText],
) -> Vec<(usize, lopdf::ObjectId)> {
    let by_number: std::collections::HashMap<u32, &layout::PageText> =
        texts.iter().map(|t| (t.number, t)).collect();
    doc.get_pages()
        .into_iter()
        .filter(|(number, id)| {
            let visible = match by_number.get(number) {
                Some(t) if !t.complete => return false,
                Some(t) => t.text.chars().filter(|c| !c.is_whitespace()).count(),
                None => 0,
            };
            visible < OCR_BELOW_CHARS && images::scan_like(doc, *id)
        })
        .map(|(number, id)| (number as usize, id))
        .collect()
}
