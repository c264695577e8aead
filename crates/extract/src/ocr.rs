//! OCR: the words of a page image with their boxes, for scans and photos.
//!
//! [`Ocr`] is what an engine provides; [`Tesseract`] drives the `tesseract` program (Tesseract
//! 5, its `tsv` output), giving it the image on standard input and reading the words from
//! standard output: no file is written. Its words become [`crate::pdf::layout::Glyph`]s and go
//! through the same layout as a PDF's glyphs ([`words_text`]), then the same heuristics.
//!
//! Promises: an image whose header declares more than [`MAX_PIXELS`] pixels, or that is not a
//! PNG or JPEG, is refused before any engine sees it (a decompression bomb is never decoded);
//! the engine runs as a child of the current process (the extraction worker, with its memory
//! cap) and is killed after its time budget; an engine that is not installed is
//! [`OcrError::Unavailable`], which callers report and never treat as a failure of the import.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    /// The words of one page image (PNG or JPEG bytes), in reading order.
    fn recognize(&self, image: &[u8]) -> Result<Vec<Word>, OcrError>;
}

/// The `tesseract` program.
#[derive(Debug, Clone)]
pub struct Tesseract {
    /// The program (a path, or a name looked up in `PATH`).
    pub program: String,
    /// Languages, `+`-separated (`fra+eng+deu`).
    pub languages: String,
    /// Time budget per page.
    pub timeout: Duration,
}

impl Default for Tesseract {
    fn default() -> Self {
        Tesseract {
            program: "tesseract".into(),
            languages: "fra+eng+deu".into(),
            timeout: Duration::from_secs(60),
        }
    }
}

impl Ocr for Tesseract {
    fn recognize(&self, image: &[u8]) -> Result<Vec<Word>, OcrError> {
        let (w, h) =
            image_size(image).ok_or_else(|| OcrError::Refused("not a PNG or JPEG image".into()))?;
        if u64::from(w) * u64::from(h) > MAX_PIXELS {
            return Err(OcrError::Refused(format!(
                "{w} x {h} pixels is more than {MAX_PIXELS}"
            )));
        }
        let mut child = Command::new(&self.program)
            .args([
                "stdin",
                "stdout",
                "-l",
                &self.languages,
                "--psm",
                "3",
                "tsv",
            ])
            // One thread: Tesseract's OpenMP threads fight each other and the other workers
            // (a page took 33 s with them on a busy 2-core machine, 3.6 s without).
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    OcrError::Unavailable(format!("{} is not installed", self.program))
                }
                _ => OcrError::Failed(e.to_string()),
            })?;
        let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(OcrError::Failed("no pipes to the engine".into()));
        };
        let deadline = Instant::now() + self.timeout;
        // The image goes in and the words come out on their own threads while this one keeps
        // the time; a scope lets them borrow the image instead of copying it.
        let (status, out) = std::thread::scope(|scope| {
            scope.spawn(move || {
                let _ = stdin.write_all(image);
            });
            let reader = scope.spawn(move || {
                let mut out = Vec::new();
                let _ = stdout.read_to_end(&mut out);
                out
            });
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Ok(status),
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Ok(None) => {
                        // Killing it closes its pipes, which ends both threads.
                        let _ = child.kill();
                        let _ = child.wait();
                        break Err(OcrError::Failed(format!(
                            "no answer within {:?}: stopped",
                            self.timeout
                        )));
                    }
                    Err(e) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break Err(OcrError::Failed(e.to_string()));
                    }
                }
            };
            (status, reader.join().unwrap_or_default())
        });
        let status = status?;
        if !status.success() {
            return Err(OcrError::Failed(format!("tesseract ended with {status}")));
        }
        Ok(parse_tsv(&String::from_utf8_lossy(&out)))
    }
}

/// The words of Tesseract's `tsv` output (level 5 rows with text).
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let c: Vec<&str> = line.splitn(12, '\t').collect();
            if c.len() < 12 || c[0] != "5" || c[11].trim().is_empty() {
                return None;
            }
            let n = |i: usize| c[i].trim().parse::<u32>().ok();
            Some(Word {
                left: n(6)?,
                top: n(7)?,
                width: n(8)?,
                height: n(9)?,
                confidence: c[10].trim().parse().ok()?,
                text: c[11].trim().to_owned(),
                line: (n(2)?, n(3)?, n(4)?),
            })
        })
        .collect()
}

/// The text of one page's words, laid out like a PDF page (lines by baseline, columns by
/// position), and the words' mean confidence (0 to 1).
pub fn words_text(words: &[Word]) -> (String, f64) {
    let slope = skew(words);
    let mut glyphs: Vec<Glyph> = words
        .iter()
        .map(|w| {
            // The box is ascender to descender; a font size of about 0.8 of it.
            let size = (f64::from(w.height) * 0.8).max(1.0);
            let x = f64::from(w.left);
            // Baselines straightened by the page's skew, so a tilted line stays one line.
            Glyph {
                x,
                y: f64::from(w.top) + f64::from(w.height) - slope * x,
                end: x + f64::from(w.width),
                size,
                text: w.text.clone(),
            }
        })
        .collect();
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

/// An image's declared width and height, from its PNG or JPEG header.
pub fn image_size(b: &[u8]) -> Option<(u32, u32)> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.len() >= 24 && &b[12..16] == b"IHDR" {
        let w = u32::from_be_bytes(b[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(b[20..24].try_into().ok()?);
        return Some((w, h));
    }
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = b[i + 1];
        if marker == 0xFF || marker == 0x01 || (0xD0..=0xD9).contains(&marker) {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof && i + 9 <= b.len() {
            let h = u32::from(u16::from_be_bytes([b[i + 5], b[i + 6]]));
            let w = u32::from(u16::from_be_bytes([b[i + 7], b[i + 8]]));
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
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
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 3);
        assert_eq!(words[2].text, "120,00");
        let (text, conf) = words_text(&words);
        let line = text.lines().next().unwrap();
        assert!(line.trim_start().starts_with("Total TTC   "), "{text:?}");
        assert!(line.ends_with("120,00"), "{text:?}");
        assert!((conf - 0.918).abs() < 0.001, "{conf}");
    }

    #[test]
    fn headers_give_sizes_and_bombs_are_refused_unread() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((100_000, 100_000)));
        let t = Tesseract {
            program: "/nonexistent/tesseract".into(),
            ..Tesseract::default()
        };
        assert!(matches!(t.recognize(&png), Err(OcrError::Refused(_))));
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x04,
            0xB0, 0x03, 0x20, 0x01, 0x01, 0x11, 0x00,
        ];
        assert_eq!(image_size(&jpeg), Some((800, 1200)));
        assert!(matches!(t.recognize(&jpeg), Err(OcrError::Unavailable(_))));
        assert_eq!(image_size(b"GIF89a"), None);
        assert_eq!(image_size(&[0xFF, 0xD8, 0xFF]), None);
    }
}
