//! Scans read by OCR, page by page: the pages of a PDF that have no usable text layer
//! ([`crate::pdf::ScanPages`]), or the pages of an image file (a TIFF may hold many).
//!
//! Each page's image is decoded when its turn comes, read ([`ocr::read_page`]) and let go, so a
//! long scan never holds more than one page's pixels. The document's text is each page's text
//! layer (a PDF's text pages, a stamp added to a scanned page) followed by what OCR reads in
//! it, in page order; a field found in the text layer alone keeps `source: "text"`, one that
//! needed OCR is `source: "ocr"`.
//!
//! Promises: at most `Limits::ocr_max_pages` pages and `Limits::ocr_timeout` in all per
//! document, the pages read before the budget ran out kept; a page that cannot be decoded or
//! read is named in the document's issues and the next one is still read; without an OCR
//! engine nothing is read and the document says "OCR unavailable" (never an import failure).

use std::collections::BTreeMap;
use std::time::Instant;

use crate::pdf::images::{ImageData, PageImage};
use crate::pdf::layout::PageText;
use crate::{Extraction, Limits, OcrPage, OcrRun, Progress, Source, heuristics, ocr, pdf};

/// Pages OCR reads, each decoded when its turn comes.
pub(crate) trait Pages {
    /// The numbers of the pages to read (from 1), in order.
    fn numbers(&self) -> Vec<usize>;
    /// Page `number`'s image, or why there is none OCR can read.
    fn image(&self, number: usize) -> Result<PageImage, String>;
}

/// The scanned pages of a PDF, each image held to `max_bytes`.
pub(crate) struct PdfPages<'a> {
    pub scan: &'a pdf::ScanPages,
    pub max_bytes: usize,
}

impl Pages for PdfPages<'_> {
    fn numbers(&self) -> Vec<usize> {
        self.scan.numbers()
    }

    fn image(&self, number: usize) -> Result<PageImage, String> {
        self.scan.image(number, self.max_bytes)
    }
}

/// An image file: one page, or the first pages of a TIFF.
pub(crate) struct ImageFile<'a> {
    bytes: &'a [u8],
    /// A TIFF's page directories (none for another image).
    directories: Vec<u64>,
}

impl<'a> ImageFile<'a> {
    /// The file, and how many pages it has.
    pub fn new(bytes: &'a [u8], tiff: bool) -> Result<(Self, usize), String> {
        if !tiff {
            let file = ImageFile {
                bytes,
                directories: Vec::new(),
            };
            return Ok((file, 1));
        }
        let pages = ocr::tiff::pages(bytes, ocr::tiff::MAX_PAGES)
            .map_err(|e| format!("unreadable TIFF: {e}"))?;
        let file = ImageFile {
            bytes,
            directories: pages.directories,
        };
        Ok((file, pages.count))
    }
}

impl Pages for ImageFile<'_> {
    fn numbers(&self) -> Vec<usize> {
        (1..=self.directories.len().max(1)).collect()
    }

    fn image(&self, number: usize) -> Result<PageImage, String> {
        let bytes = match self.directories.get(number.wrapping_sub(1)) {
            // The first page is the file as it is.
            Some(at) if number > 1 => ocr::tiff::page(self.bytes, *at)?,
            _ => self.bytes.to_vec(),
        };
        Ok(PageImage {
            page: number,
            data: ImageData::Encoded(bytes),
            dpi: None,
        })
    }
}

/// What OCR read: each page's text by number, and the words' mean confidence (0 to 1).
pub(crate) struct Read {
    pages: BTreeMap<usize, String>,
    confidence: f64,
}

/// Reads `pages` by OCR into `e`: the document's text (each page's text layer, if any, then
/// what OCR reads in it, in page order), the fields the heuristics find in that text, and what
/// OCR did. A field the text layer alone gives (the same value) is `source: "text"`; one that
/// needed the OCR text is `source: "ocr"`, its confidence scaled by OCR's.
pub(crate) fn read_pages(
    e: &mut Extraction,
    layer: &[PageText],
    pages: &dyn Pages,
    page_count: usize,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) {
    let layer_text = joined(layer.iter().map(|p| p.text.as_str()), limits);
    let layer_fields = heuristics::extract_fields(&layer_text);
    let Some(read) = read(e, pages, page_count, limits, progress) else {
        if !layer.is_empty() {
            crate::apply_text_fields(e, layer_fields, Source::Text, 1.0);
            e.text = Some(layer_text);
        }
        return;
    };
    let mut from_layer = Extraction::empty(e.format, "application/pdf");
    crate::apply_text_fields(&mut from_layer, layer_fields, Source::Text, 1.0);
    let mut by_page: BTreeMap<usize, String> = layer
        .iter()
        .map(|p| (p.number as usize, p.text.clone()))
        .collect();
    for (number, text) in read.pages {
        by_page.entry(number).or_default().push_str(&text);
    }
    let text = joined(by_page.values().map(String::as_str), limits);
    crate::apply_text_fields(
        e,
        heuristics::extract_fields(&text),
        Source::Ocr,
        read.confidence,
    );
    let layer_values: BTreeMap<&str, Option<&str>> =
        from_layer.field_values().into_iter().collect();
    let from_text: Vec<String> = e
        .field_values()
        .into_iter()
        .filter(|(key, value)| value.is_some() && layer_values.get(key) == Some(value))
        .map(|(key, _)| key.to_string())
        .collect();
    for key in from_text {
        if let Some(info) = from_layer.fields.get(&key) {
            e.fields.insert(key, *info);
        }
    }
    e.text = Some(text);
}

/// Texts joined by a blank line, cut at `Limits::max_text_chars`.
fn joined<'t>(texts: impl Iterator<Item = &'t str>, limits: &Limits) -> String {
    texts
        .collect::<Vec<_>>()
        .join("\n")
        .chars()
        .take(limits.max_text_chars)
        .collect()
}

/// Reads the pages by OCR, one at a time, recording what was done in `e.ocr` and what could not
/// be read in `e.issues`; `None` when there is no OCR engine.
fn read(
    e: &mut Extraction,
    pages: &dyn Pages,
    page_count: usize,
    limits: &Limits,
    progress: &mut dyn FnMut(Progress),
) -> Option<Read> {
    let started = Instant::now();
    let numbers = pages.numbers();
    let reading = numbers.len().min(limits.ocr_max_pages);
    let mut texts = BTreeMap::new();
    let mut done = Vec::new();
    for (n, &number) in numbers.iter().take(reading).enumerate() {
        let Some(left) = limits.ocr_timeout.checked_sub(started.elapsed()) else {
            e.issue(format!(
                "OCR stopped after {n} of {reading} pages: its time budget of {:?} ran out",
                limits.ocr_timeout
            ));
            break;
        };
        progress(Progress::OcrPage {
            page: n + 1,
            pages: reading,
        });
        let image = match pages.image(number) {
            Ok(image) => image,
            Err(why) => {
                e.issue(format!("page {number} not read by OCR: {why}"));
                continue;
            }
        };
        let engine = ocr::Tesseract {
            languages: limits.ocr_languages.clone(),
            timeout: left.min(ocr::Tesseract::default().timeout),
            ..ocr::Tesseract::default()
        };
        match ocr::read_page(&engine, image) {
            Ok(page) => {
                let (text, confidence) = ocr::words_text(&page.words);
                texts.insert(number, text);
                done.push(OcrPage {
                    page: number,
                    rotation: page.rotation,
                    skew: page.skew,
                    dpi: page.dpi,
                    confidence: crate::round2(confidence),
                    words: page.words.len(),
                });
            }
            Err(err @ ocr::OcrError::Unavailable(_)) => {
                e.issue(err.to_string());
                return None;
            }
            Err(err) => e.issue(format!("page {number}: {err}")),
        }
    }
    if numbers.len() > reading {
        e.issue(format!(
            "OCR read {reading} of the {} pages to read (the limit per document)",
            numbers.len()
        ));
    }
    // Pages weigh by their words: a blank back page does not halve the document's confidence.
    let words: usize = done.iter().map(|p| p.words).sum();
    let confidence = if words == 0 {
        0.0
    } else {
        done.iter()
            .map(|p| p.confidence * p.words as f64)
            .sum::<f64>()
            / words as f64
    };
    e.ocr = Some(OcrRun {
        engine: ocr::Ocr::engine(&ocr::Tesseract::default()),
        languages: limits.ocr_languages.clone(),
        pages_total: page_count,
        mean_confidence: crate::round2(confidence),
        pages: done,
    });
    Some(Read {
        pages: texts,
        confidence,
    })
}
