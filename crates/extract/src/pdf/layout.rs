//! Positioned text: the glyphs of a page with where they are drawn, laid out as lines the way
//! the page shows them.
//!
//! pdf-extract's plain-text output writes glyphs in the order the content stream draws them,
//! with one space for any gap: a PDF that draws all its labels and then all its values (common
//! in invoice generators) comes out as a list of labels followed by a list of values, and
//! columns run together. Here the reader collects each glyph with its position ([`Collector`],
//! a pdf-extract `OutputDev`), then [`page_text`] sorts them into lines by baseline, top to
//! bottom, and into reading order by x, keeps a single space between words, and widens a column
//! gap to two or more spaces placed near the column's horizontal position, so that a label's
//! value is on its line, to its right, and a value below a label sits under it. A larger
//! vertical gap leaves a blank line, as pdf-extract did. The same layout serves any source of
//! positioned words (OCR later): it only needs [`Glyph`]s.
//!
//! Promises: never panics on any glyph values (NaN and infinite positions are dropped); output
//! is bounded by the glyphs given (the caller caps them); text drawn rotated is kept, in
//! drawing order, after the page's horizontal lines.

use std::collections::HashSet;

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

/// One drawn piece of text with its place on the page (points; y grows downwards from the top).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    /// Left edge.
    pub x: f64,
    /// Baseline.
    pub y: f64,
    /// Right edge (x plus the advance).
    pub end: f64,
    /// The font size on the page.
    pub size: f64,
    /// The text (usually one character).
    pub text: String,
}

/// A page's glyphs: the horizontal ones, and those drawn rotated (side notes, stamps).
#[derive(Debug, Default)]
struct Page {
    number: u32,
    glyphs: Vec<Glyph>,
    rotated: String,
    /// Glyphs were left out, the cap reached.
    cut: bool,
}

/// One page's text as laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageText {
    /// The page's number, from 1.
    pub number: u32,
    /// Its text.
    pub text: String,
    /// Whether all its glyphs were kept (the cap was not reached on it or before it).
    pub complete: bool,
}

/// Collects every page's glyphs from pdf-extract, up to `max_glyphs` in all.
pub struct Collector {
    pages: Vec<Page>,
    height: f64,
    count: usize,
    max_glyphs: usize,
}

impl Collector {
    /// A collector keeping at most `max_glyphs` glyphs.
    pub fn new(max_glyphs: usize) -> Self {
        Collector {
            pages: Vec::new(),
            height: 0.0,
            count: 0,
            max_glyphs,
        }
    }

    /// The text of each page, laid out.
    pub fn pages(self) -> Vec<PageText> {
        self.pages
            .into_iter()
            .map(|mut p| {
                let mut text = page_text(&mut p.glyphs);
                if !p.rotated.trim().is_empty() {
                    text.push_str(p.rotated.trim());
                    text.push('\n');
                }
                PageText {
                    number: p.number,
                    text,
                    complete: !p.cut,
                }
            })
            .collect()
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.height = media_box.ury - media_box.lly;
        self.pages.push(Page {
            number: page_num,
            glyphs: Vec::new(),
            rotated: String::new(),
            cut: self.count >= self.max_glyphs,
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        let Some(page) = self.pages.last_mut() else {
            return Ok(());
        };
        if self.count >= self.max_glyphs {
            page.cut = true;
            return Ok(());
        }
        self.count += 1;
        let scale = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        let size = font_size * scale;
        let (x, y) = (trm.m31, self.height - trm.m32);
        if ![x, y, size, width].iter().all(|v| v.is_finite()) || size <= 0.0 {
            return Ok(());
        }
        // Rotated or mirrored text: kept in drawing order, apart.
        if trm.m12.abs() > trm.m11.abs() * 0.1 || trm.m11 < 0.0 {
            page.rotated.push_str(text);
            return Ok(());
        }
        // A visible glyph narrower than any real one means the font's widths were not read
        // (pdf-extract falls back to 0 for some fonts): an average advance is assumed instead,
        // or every word would look like a column apart from the next.
        let width = if width < MIN_ADVANCE && !text.trim().is_empty() {
            AVERAGE_ADVANCE
        } else {
            width
        };
        page.glyphs.push(Glyph {
            x,
            y,
            end: x + width * size,
            size,
            text: text.to_owned(),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Advances (in font sizes) below this are not a real glyph's (Helvetica's narrowest is 0.19).
const MIN_ADVANCE: f64 = 0.15;
/// The advance assumed for a glyph whose font gave none (in font sizes).
const AVERAGE_ADVANCE: f64 = 0.5;
/// A gap wider than this many font sizes separates columns, not words.
const COLUMN_GAP: f64 = 0.8;
/// A gap wider than this many font sizes separates words.
const WORD_GAP: f64 = 0.12;
/// Baselines closer than this many font sizes are one line.
const SAME_LINE: f64 = 0.35;
/// Lines further apart than this many font sizes get a blank line between them.
const PARAGRAPH: f64 = 1.5;

/// Glyphs drawn one after the other along one baseline: a word or a phrase as the producer
/// wrote it. Runs are laid out whole, so two cells that overlap never interleave their
/// characters.
#[derive(Debug)]
struct Run<'a> {
    glyphs: Vec<&'a Glyph>,
    x: f64,
    y: f64,
    size: f64,
}

/// Splits glyphs, in drawing order, into runs.
fn runs(glyphs: &[Glyph]) -> Vec<Run<'_>> {
    let mut out: Vec<Run<'_>> = Vec::new();
    for g in glyphs {
        if let Some(r) = out.last_mut()
            && let Some(p) = r.glyphs.last()
            && (g.y - r.y).abs() < 0.2 * r.size.max(g.size)
            && g.x > p.x
            && g.x - p.end < COLUMN_GAP * g.size
        {
            r.glyphs.push(g);
            continue;
        }
        out.push(Run {
            glyphs: vec![g],
            x: g.x,
            y: g.y,
            size: g.size,
        });
    }
    out
}

/// Lays out one page's glyphs, given in drawing order, as text lines (see the module docs).
pub fn page_text(glyphs: &mut [Glyph]) -> String {
    let mut runs = runs(glyphs);
    runs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    // Lines by baseline: a run joins the current line when its baseline is close to the
    // line's first one.
    let mut lines: Vec<Vec<Run<'_>>> = Vec::new();
    for r in runs {
        match lines.last_mut() {
            Some(line) if r.y - line[0].y <= SAME_LINE * line[0].size.max(r.size) => line.push(r),
            _ => lines.push(vec![r]),
        }
    }
    let unit = char_unit(glyphs);
    let mut out = String::new();
    let mut last: Option<(f64, f64)> = None;
    for mut line in lines {
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
        let (y, size) = (line[0].y, line[0].size);
        if let Some((ly, lsize)) = last
            && y - ly > PARAGRAPH * size.max(lsize)
        {
            out.push('\n');
        }
        last = Some((y, size));
        out.push_str(&line_text(&line, unit));
        out.push('\n');
    }
    out
}

/// The width of one character column: the page's median advance of a visible glyph (a glyph
/// of several characters, an OCR word, counts as its width over its characters).
fn char_unit(glyphs: &[Glyph]) -> f64 {
    let mut widths: Vec<f64> = glyphs
        .iter()
        .filter(|g| !g.text.trim().is_empty())
        .map(|g| (g.end - g.x) / g.text.chars().count() as f64)
        .filter(|w| w.is_finite() && *w > 0.0)
        .collect();
    if widths.is_empty() {
        return 5.0;
    }
    let mid = widths.len() / 2;
    let (_, m, _) = widths.select_nth_unstable_by(mid, f64::total_cmp);
    m.max(1.0)
}

/// One line's text: runs in x order, a glyph drawn again over itself (fake bold) once; inside
/// a run, a space where the producer drew spaces or left a word gap; between runs, a space, or
/// two or more up to the column's position when the gap is a column's.
fn line_text(line: &[Run<'_>], unit: f64) -> String {
    let mut out = String::new();
    let mut cols = 0usize;
    let mut end: Option<f64> = None;
    // Glyphs shown, by text and half-point position.
    let mut shown: HashSet<(&str, i64)> = HashSet::new();
    for run in line {
        let mut drawn_spaces = 0usize;
        let mut first = true;
        for g in &run.glyphs {
            if g.text.trim().is_empty() {
                drawn_spaces += 1;
                continue;
            }
            let at = (g.x * 2.0).round() as i64;
            if (at.saturating_sub(1)..=at.saturating_add(1))
                .any(|k| shown.contains(&(g.text.as_str(), k)))
            {
                continue;
            }
            shown.insert((g.text.as_str(), at));
            let Some(e) = end else {
                // The line's first glyph sits at its column, like the others.
                let n = (g.x / unit).round().clamp(0.0, 400.0) as usize;
                out.extend(std::iter::repeat_n(' ', n));
                cols += n;
                out.push_str(&g.text);
                cols += g.text.chars().count();
                end = Some(g.end);
                drawn_spaces = 0;
                first = false;
                continue;
            };
            {
                let gap = g.x - e;
                if gap > COLUMN_GAP * g.size || (drawn_spaces >= 2 && gap > 2.0 * WORD_GAP * g.size)
                {
                    let target = (g.x / unit).round().clamp(0.0, 400.0) as usize;
                    let n = target.saturating_sub(cols).max(2);
                    out.extend(std::iter::repeat_n(' ', n));
                    cols += n;
                } else if (gap > WORD_GAP * g.size || drawn_spaces > 0 || (first && gap < 0.0))
                    && !out.ends_with(' ')
                {
                    out.push(' ');
                    cols += 1;
                }
            }
            out.push_str(&g.text);
            cols += g.text.chars().count();
            end = Some(end.map_or(g.end, |e| e.max(g.end)));
            drawn_spaces = 0;
            first = false;
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of `text` from x at y, 10 pt, 5 pt per character.
    fn word(x: f64, y: f64, text: &str) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + 5.0 * i as f64,
                y,
                end: x + 5.0 * (i + 1) as f64,
                size: 10.0,
                text: c.to_string(),
            })
            .collect()
    }

    fn page(words: &[(f64, f64, &str)]) -> String {
        let mut g: Vec<Glyph> = words.iter().flat_map(|(x, y, t)| word(*x, *y, t)).collect();
        page_text(&mut g)
    }

    #[test]
    fn labels_drawn_first_and_values_later_meet_on_their_line() {
        // Drawing order: both labels, then both values.
        let t = page(&[
            (50.0, 100.0, "Invoice"),
            (50.0, 112.0, "Total"),
            (200.0, 100.0, "F-17"),
            (200.0, 112.0, "120,00"),
        ]);
        // Values at their column: x 200 over 5 points a character.
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2, "{t}");
        // Labels at theirs: x 50 is column 10.
        assert!(
            lines[0].starts_with(&format!("{}Invoice  ", " ".repeat(10))),
            "{t}"
        );
        assert!(
            lines[1].starts_with(&format!("{}Total  ", " ".repeat(10))),
            "{t}"
        );
        assert_eq!(lines[0].find("F-17"), Some(40), "{t}");
        assert_eq!(lines[1].find("120,00"), Some(40), "{t}");
    }

    #[test]
    fn words_keep_one_space_and_columns_line_up() {
        let t = page(&[
            (50.0, 100.0, "Date"),
            (75.0, 100.0, "due"),
            (200.0, 100.0, "Number"),
            (50.0, 112.0, "01/02/2026"),
            (200.0, 112.0, "A-1"),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].trim_start().starts_with("Date due "), "{t}");
        assert_eq!(lines[0].find("Number"), lines[1].find("A-1"), "{t}");
    }

    #[test]
    fn a_slightly_lower_baseline_is_the_same_line_and_a_gap_leaves_a_blank_line() {
        let t = page(&[
            (50.0, 100.0, "Total"),
            (120.0, 101.5, "5,00"),
            (50.0, 160.0, "Merci"),
        ]);
        // Every line at its column: x 50 is column 10, x 120 column 24.
        let pad = " ".repeat(10);
        assert_eq!(
            t,
            format!("{pad}Total{}5,00\n\n{pad}Merci\n", " ".repeat(9))
        );
    }

    #[test]
    fn fake_bold_and_drawn_spaces() {
        let mut g = word(50.0, 100.0, "AB");
        g.extend(word(50.3, 100.0, "AB"));
        g.push(Glyph {
            x: 60.0,
            y: 100.0,
            end: 63.0,
            size: 10.0,
            text: " ".into(),
        });
        g.extend(word(63.0, 100.0, "C"));
        assert_eq!(page_text(&mut g).trim_start(), "AB C\n");
    }

    #[test]
    fn odd_values_do_not_panic() {
        let mut g = vec![
            Glyph {
                x: f64::NAN,
                y: 1.0,
                end: 2.0,
                size: 10.0,
                text: "a".into(),
            },
            Glyph {
                x: 1e300,
                y: -1e300,
                end: f64::INFINITY,
                size: 0.0,
                text: "b".into(),
            },
        ];
        let _ = page_text(&mut g);
        let _ = page_text(&mut []);
    }
}
