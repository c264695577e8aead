//! OCR: the words of a page image with their boxes, for scans and photos.
//!
//! [`Ocr`] is what an engine provides; [`Tesseract`] is the `tesseract` program. A page is made
//! ready ([`prepare`]: checked, grey, about 300 dpi), read, and read again turned upright when
//! the first reading looks like a page on its side ([`read_page`]). Its words become
//! [`crate::pdf::layout::Glyph`]s, baselines straightened by the page's skew, and go through the
//! same layout as a PDF's glyphs ([`words_text`]), then the same heuristics.
//!
//! Promises: an image whose header declares more than [`MAX_PIXELS`] pixels, or that is not a
//! JPEG, PNG, TIFF or PNM file, is refused before any engine sees it (a decompression bomb is
//! never decoded); the engine runs as a child of the current process (the extraction worker,
//! with its memory cap) and is killed after its time budget; an engine that is not installed
//! is [`OcrError::Unavailable`], which callers report and never treat as a failure of the
//! import.

pub mod prepare;
pub mod tesseract;
pub mod tiff;

use image::GrayImage;

pub use tesseract::Tesseract;

use crate::pdf::images::PageImage;
use crate::pdf::layout::{Glyph, page_text};

/// Most pixels an image may declare (about a 600 dpi A3 page).
pub const MAX_PIXELS: u64 = 70_000_000;

/// One recognised word.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Left edge, pixels.
    pub left: u32,
    /// Top edge, pixels.
    pub top: u32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// The engine's confidence, 0 to 100.
    pub confidence: f32,
    /// The word.
    pub text: String,
    /// Which line of the engine's layout it is on (block, paragraph and line numbers).
    pub line: (u32, u32, u32),
}

/// Why an image gave no words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    /// No OCR engine is installed.
    #[error("OCR unavailable: {0}")]
    Unavailable(String),
    /// The image was refused before OCR (unknown format, too many pixels).
    #[error("image refused: {0}")]
    Refused(String),
    /// The engine failed or ran out of time.
    #[error("OCR failed: {0}")]
    Failed(String),
}

/// An OCR engine.
pub trait Ocr {
    /// The words of one grey page image of `dpi` dots per inch, in reading order.
    fn recognize(&self, page: &GrayImage, dpi: u32) -> Result<Vec<Word>, OcrError>;
    /// The clockwise turn (90, 180 or 270 degrees) that makes the page upright, when the
    /// engine is sure of one.
    fn orientation(&self, page: &GrayImage, dpi: u32) -> Result<Option<u16>, OcrError>;
    /// The engine's name and version (`tesseract 5.3.0`).
    fn engine(&self) -> String;
}

/// One page read by OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRead {
    /// Its words, in reading order.
    pub words: Vec<Word>,
    /// The clockwise turn it was given before reading (0, 90, 180 or 270 degrees).
    pub rotation: u16,
    /// The tilt straightened before reading, degrees (positive: lines fell to the right).
    pub skew: f64,
    /// The resolution it was read at, dots per inch.
    pub dpi: u32,
}

/// Reads one page image: checked, decoded, grey and at about 300 dpi
/// ([`prepare::prepare`]), straightened ([`prepare::skew`]), then read; a page whose words
/// look like a misread (standing on their side, or few of them confident) has its orientation
/// asked and, when it is turned, is read again upright, and the better reading is kept.
pub fn read_page(engine: &dyn Ocr, page: PageImage) -> Result<PageRead, OcrError> {
    let prepared = prepare::prepare(page)?;
    let dpi = prepared.dpi;
    let read = |image: &GrayImage, rotation: u16| -> Result<PageRead, OcrError> {
        let slope = prepare::skew(image);
        let skew = slope.atan().to_degrees();
        let straightened = (skew.abs() >= 0.3).then(|| prepare::straighten(image, slope));
        Ok(PageRead {
            words: engine.recognize(straightened.as_ref().unwrap_or(image), dpi)?,
            rotation,
            skew: (skew * 10.0).round() / 10.0,
            dpi,
        })
    };
    let first = read(&prepared.image, 0)?;
    if !misread(&first.words) {
        return Ok(first);
    }
    let Some(turn) = engine.orientation(&prepared.image, dpi)? else {
        return Ok(first);
    };
    let again = read(&prepare::rotate(&prepared.image, turn), turn)?;
    // A page on its side can read with confident words, running down the page: the upright
    // reading wins when it looks right, or has more confident words.
    let upright = !misread(&again.words);
    Ok(
        if upright || confident_words(&again.words) > confident_words(&first.words) {
            again
        } else {
            first
        },
    )
}

/// Words read with a confidence of 80 or more that hold at least two letters or digits.
fn confident_words(words: &[Word]) -> usize {
    words
        .iter()
        .filter(|w| {
            w.confidence >= 80.0 && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2
        })
        .count()
}

/// Fewer words than this is a page nearly blank (a back page, a separator): there is nothing
/// to turn, and its orientation is not asked.
const FEW_WORDS: usize = 8;

/// Whether a page's words look like a misread: most words of four letters or more stand
/// taller than wide (a page on its side: Tesseract reads its lines anyway, but its boxes run
/// down the page), or fewer than half the words are confident (a page upside down). A page of
/// fewer than [`FEW_WORDS`] words is not.
fn misread(words: &[Word]) -> bool {
    if words.len() < FEW_WORDS {
        return false;
    }
    let long: Vec<&Word> = words
        .iter()
        .filter(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .collect();
    let tall = long.iter().filter(|w| w.height > w.width).count();
    tall * 2 > long.len() || confident_words(words) * 2 < words.len()
}

/// The text of one page's words, laid out like a PDF page (lines by baseline, columns by
/// position), and the words' mean confidence (0 to 1).
pub fn words_text(words: &[Word]) -> (String, f64) {
    let slope = skew(words);
    let mut glyphs: Vec<Glyph> = Vec::new();
    let mut last_line = None;
    for w in words {
        // The box is ascender to descender; a font size of about 0.8 of it.
        let size = (f64::from(w.height) * 0.8).max(1.0);
        let x = f64::from(w.left);
        let end = x + f64::from(w.width);
        // Words of one engine line less than a box's height apart are one phrase ("Grand
        // Total"), a single space between them whatever the gap's pixels; a wider gap is a
        // column gap, left to the layout. (The layout's own column gap, about 0.64 of a box's
        // height, splits phrases OCR boxes measure loosely: scan recall 0.788 against 0.822.)
        if let Some(g) = glyphs.last_mut().filter(|g| {
            last_line == Some(w.line) && x >= g.end && x - g.end <= g.size.max(size) / 0.8
        }) {
            g.text.push(' ');
            g.text.push_str(&w.text);
            g.end = end;
            g.size = g.size.max(size);
        } else {
            // Baselines straightened by the page's skew, so a tilted line stays one line.
            glyphs.push(Glyph {
                x,
                y: f64::from(w.top) + f64::from(w.height) - slope * x,
                end,
                size,
                text: w.text.clone(),
            });
        }
        last_line = Some(w.line);
    }
    let confidence = if words.is_empty() {
        0.0
    } else {
        words
            .iter()
            .map(|w| f64::from(w.confidence.clamp(0.0, 100.0)))
            .sum::<f64>()
            / (100.0 * words.len() as f64)
    };
    (page_text(&mut glyphs), confidence)
}

/// The page's skew as a slope (dy/dx): the median, over the engine's lines of three words or
/// more, of the slope from the line's first word's bottom to its last's.
fn skew(words: &[Word]) -> f64 {
    let mut lines: std::collections::BTreeMap<(u32, u32, u32), Vec<&Word>> = Default::default();
    for w in words {
        lines.entry(w.line).or_default().push(w);
    }
    let mut slopes: Vec<f64> = lines
        .values()
        .filter(|l| l.len() >= 3)
        .filter_map(|l| {
            let (a, b) = (l.first()?, l.last()?);
            let dx = f64::from(b.left) - f64::from(a.left);
            let dy = f64::from(b.top + b.height) - f64::from(a.top + a.height);
            (dx > 0.0).then(|| dy / dx)
        })
        .filter(|s| s.abs() < 0.1)
        .collect();
    if slopes.is_empty() {
        return 0.0;
    }
    let mid = slopes.len() / 2;
    *slopes.select_nth_unstable_by(mid, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_and_their_layout() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t1000\t1000\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t100\t80\t20\t96.5\tTotal\n\
                   5\t1\t1\t1\t1\t2\t190\t100\t40\t20\t91\tTTC\n\
                   5\t1\t2\t1\t1\t1\t600\t102\t90\t20\t88\t120,00\n";
        let words = tesseract::parse_tsv(tsv);
        assert_eq!(words.len(), 3);
        assert_eq!(words[2].text, "120,00");
        let (text, conf) = words_text(&words);
        let line = text.lines().next().unwrap();
        assert!(line.trim_start().starts_with("Total TTC   "), "{text:?}");
        assert!(line.ends_with("120,00"), "{text:?}");
        assert!((conf - 0.918).abs() < 0.001, "{conf}");
    }
}
