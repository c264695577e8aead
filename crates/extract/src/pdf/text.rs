//! The text layer of a PDF, through pdf-extract's glyphs laid out by [`crate::pdf::layout`],
//! with a guard against silent text loss.
//!
//! pdf-extract 0.12 interprets `Tj`, `TJ` and `T*` but ignores the `'` and `"` text operators
//! (move to next line and show text) that Ghostscript and others use for every line: it returns
//! "Ok" with most of the text missing. Before extracting, this module rewrites those operators in
//! each page's content stream into their documented equivalents (`T*` + `Tj`, with `Tw`/`Tc` for
//! `"`), on a private copy of the document. It then compares the number of characters extracted
//! with the number of bytes the content streams show, and reports a probable loss as an issue
//! instead of accepting it silently. pdf-extract panics are contained by the caller's
//! `catch_unwind` (see [`crate::pdf`]).
//!
//! pdf-extract 0.12 also misreads the range form `c_first c_last w` of a CID font's `/W` widths
//! array (it uses `c_first` as both ends and as the width), so every glyph of such a range falls
//! back to the default width. Chromium (Skia) writes equal-width glyphs, digits notably, that
//! way, and the wrong advances made pdf-extract put a space after each digit ("2 0 2 6"). The
//! copy's `/W` arrays are rewritten into the equivalent list form `c_first [w w ...]`.

use lopdf::content::Operation;
use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::Limits;
use crate::pdf::drawing::{self, Tangled};
use crate::pdf::layout::{Collector, PageText};
use crate::pdf::{PdfError, contained};

/// The text layer and what was noticed while extracting it.
#[derive(Debug, Default)]
pub struct TextLayer {
    /// The extracted text, pages separated by a blank line.
    pub text: String,
    /// Each page's text.
    pub pages: Vec<PageText>,
    /// Problems noticed (e.g. probable text loss).
    pub issues: Vec<String>,
}

/// Counts of a content-stream scan.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ShowStats {
    /// Bytes shown by text operators (a glyph is one or two bytes).
    pub shown_bytes: usize,
    /// `'` and `"` operators rewritten.
    pub rewritten: usize,
    /// `/W` width ranges (`c_first c_last w`) rewritten into list form.
    pub width_ranges: usize,
}

/// Most glyph widths one `/W` range may expand to (a CID is at most 65535).
const MAX_RANGE: i64 = 65_536;

/// Rewrites a CID font `/W` array's `c_first c_last w` ranges into `c_first [w ...]` lists;
/// `None` when it has no range (or is malformed: left for pdf-extract to judge).
pub fn expand_width_ranges(w: &[Object], doc: &Document) -> Option<(Vec<Object>, usize)> {
    let resolve = |o: &Object| -> Object {
        match o {
            Object::Reference(id) => doc.get_object(*id).cloned().unwrap_or(Object::Null),
            other => other.clone(),
        }
    };
    let items: Vec<Object> = w.iter().map(resolve).collect();
    let mut out = Vec::with_capacity(items.len());
    let mut ranges = 0;
    let mut budget = 4 * MAX_RANGE;
    let mut i = 0;
    while i < items.len() {
        match (items.get(i), items.get(i + 1), items.get(i + 2)) {
            (Some(first), Some(Object::Array(ws)), _) => {
                out.push(first.clone());
                out.push(Object::Array(ws.iter().map(resolve).collect()));
                i += 2;
            }
            (Some(Object::Integer(first)), Some(Object::Integer(last)), Some(width))
                if matches!(width, Object::Integer(_) | Object::Real(_)) =>
            {
                let count = last.checked_sub(*first)?.checked_add(1)?;
                if !(1..=MAX_RANGE).contains(&count) || count > budget || *first < 0 {
                    return None;
                }
                budget -= count;
                ranges += 1;
                out.push(Object::Integer(*first));
                let n = usize::try_from(count).ok()?;
                out.push(Object::Array(vec![width.clone(); n]));
                i += 3;
            }
            _ => return None,
        }
    }
    (ranges > 0).then_some((out, ranges))
}

fn is_cid_font(dict: &Dictionary) -> bool {
    dict.get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|n| n == b"CIDFontType2" || n == b"CIDFontType0")
}

/// A CID font's `/W` array expanded, if it has ranges.
fn expanded_widths(dict: &Dictionary, doc: &Document) -> Option<(Vec<Object>, usize)> {
    let w = match dict.get(b"W") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => match doc.get_object(*r) {
            Ok(Object::Array(a)) => a.clone(),
            _ => return None,
        },
        _ => return None,
    };
    expand_width_ranges(&w, doc)
}

/// Where a CID font dictionary sits: an object of its own, or written inline in the
/// `/DescendantFonts` array of a Type0 font (itself an object, or inline in one's dictionary).
#[derive(Clone, Copy)]
enum FontAt {
    Object(ObjectId),
    InArray(ObjectId, usize),
    InDescendants(ObjectId, usize),
}

/// Rewrites the `/W` arrays of the CID fonts of `doc`, wherever they are written; returns the
/// number of ranges expanded.
fn normalise_cid_widths(doc: &mut Document) -> usize {
    let mut changes: Vec<(FontAt, Vec<Object>, usize)> = Vec::new();
    let inline = |items: &[Object], at: &dyn Fn(usize) -> FontAt, changes: &mut Vec<_>| {
        for (k, item) in items.iter().enumerate() {
            if let Object::Dictionary(d) = item
                && is_cid_font(d)
                && let Some((w, n)) = expanded_widths(d, doc)
            {
                changes.push((at(k), w, n));
            }
        }
    };
    for (id, obj) in &doc.objects {
        match obj {
            Object::Dictionary(dict) if is_cid_font(dict) => {
                if let Some((w, n)) = expanded_widths(dict, doc) {
                    changes.push((FontAt::Object(*id), w, n));
                }
            }
            Object::Dictionary(dict) => {
                if let Ok(Object::Array(items)) = dict.get(b"DescendantFonts") {
                    inline(items, &|k| FontAt::InDescendants(*id, k), &mut changes);
                }
            }
            Object::Array(items) => inline(items, &|k| FontAt::InArray(*id, k), &mut changes),
            _ => {}
        }
    }
    let mut total = 0;
    for (at, expanded, n) in changes {
        let dict = match at {
            FontAt::Object(id) => doc
                .get_object_mut(id)
                .ok()
                .and_then(|o| o.as_dict_mut().ok()),
            FontAt::InArray(id, k) => match doc.get_object_mut(id) {
                Ok(Object::Array(items)) => items.get_mut(k).and_then(|o| o.as_dict_mut().ok()),
                _ => None,
            },
            FontAt::InDescendants(id, k) => match doc.get_object_mut(id) {
                Ok(Object::Dictionary(d)) => match d.get_mut(b"DescendantFonts") {
                    Ok(Object::Array(items)) => items.get_mut(k).and_then(|o| o.as_dict_mut().ok()),
                    _ => None,
                },
                _ => None,
            },
        };
        if let Some(dict) = dict {
            dict.set("W", Object::Array(expanded));
            total += n;
        }
    }
    total
}

/// Rewrites `'` and `"` into `T*`/`Tj` forms in a list of operations; counts shown bytes.
pub fn rewrite_operations(ops: Vec<Operation>, stats: &mut ShowStats) -> Vec<Operation> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        for o in &op.operands {
            stats.shown_bytes += shown_len(o, &op.operator);
        }
        match op.operator.as_str() {
            "'" => {
                stats.rewritten += 1;
                out.push(Operation::new("T*", vec![]));
                out.push(Operation::new("Tj", op.operands));
            }
            "\"" if op.operands.len() == 3 => {
                stats.rewritten += 1;
                let mut it = op.operands.into_iter();
                let (aw, ac, s) = (it.next(), it.next(), it.next());
                if let (Some(aw), Some(ac), Some(s)) = (aw, ac, s) {
                    out.push(Operation::new("Tw", vec![aw]));
                    out.push(Operation::new("Tc", vec![ac]));
                    out.push(Operation::new("T*", vec![]));
                    out.push(Operation::new("Tj", vec![s]));
                }
            }
            _ => out.push(op),
        }
    }
    out
}

fn shown_len(o: &Object, operator: &str) -> usize {
    if !matches!(operator, "Tj" | "TJ" | "'" | "\"") {
        return 0;
    }
    match o {
        Object::String(s, _) => s.iter().filter(|b| !b.is_ascii_whitespace()).count(),
        Object::Array(a) => a.iter().map(|x| shown_len(x, operator)).sum(),
        _ => 0,
    }
}

/// Rewrites the copy given to pdf-extract in place (see [`drawing`]); returns the scan counts.
pub fn normalise_document(doc: &mut Document, limits: &Limits) -> Result<ShowStats, Tangled> {
    let mut stats = ShowStats {
        width_ranges: normalise_cid_widths(doc),
        ..ShowStats::default()
    };
    drawing::prepare(
        doc,
        limits.max_decompressed_bytes,
        limits.max_pdf_pages,
        |ops| rewrite_operations(ops, &mut stats),
    )?;
    Ok(stats)
}

/// The letter an accent glyph drawn over `base` makes, for French and German text.
fn accented(accent: char, base: char) -> Option<char> {
    let (from, to) = match accent {
        '\u{b4}' => ("aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ"),
        '`' => ("aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
        '\u{2c6}' | '^' => ("aeiouAEIOU", "âêîôûÂÊÎÔÛ"),
        '\u{a8}' => ("aeiouyAEIOUY", "äëïöüÿÄËÏÖÜŸ"),
        '\u{2dc}' => ("anoANO", "ãñõÃÑÕ"),
        '\u{b8}' => ("cC", "çÇ"),
        _ => return None,
    };
    from.chars()
        .position(|c| c == base)
        .and_then(|k| to.chars().nth(k))
}

/// Joins accents drawn as separate glyphs with their letter: TeX's OT1 fonts (pdfLaTeX without
/// `fontenc`) have no "é" glyph and show an acute accent then an "e", which pdf-extract returns
/// as "´e" (and "`a", "ˆe", "¨u", "¸c"; a cedilla may also come after its letter: "c¸").
/// Only spacing accents next to a letter they fit are joined.
pub fn compose_spacing_accents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next_fits = chars.peek().is_some_and(|&n| accented(c, n).is_some());
        if c == '\u{b8}'
            && !next_fits
            && let Some(prev) = out.chars().next_back()
            && let Some(joined) = accented(c, prev)
        {
            out.pop();
            out.push(joined);
            continue;
        }
        if let Some(&next) = chars.peek()
            && let Some(joined) = accented(c, next)
        {
            // A grave accent or circumflex typed in ASCII is only joined inside a word or
            // before a lone letter ("`a"), as TeX draws them; "^" elsewhere stays.
            let ascii = c == '`' || c == '^';
            let prev_ok = out
                .chars()
                .next_back()
                .is_none_or(|p| p.is_whitespace() || p.is_alphabetic());
            if !ascii || prev_ok {
                chars.next();
                out.push(joined);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The bytes the text layer's reader would decompress: every page's content streams, counted
/// once per reference (a page may name the same stream many times), and every form XObject
/// once. `Err(limit)` as soon as the total passes `limit`: a decompression bomb is refused
/// before the text reader, which decodes without a budget, ever sees it.
pub fn content_budget(doc: &Document, limit: usize) -> Result<usize, usize> {
    let mut sizes: std::collections::HashMap<ObjectId, usize> = Default::default();
    let mut total = 0usize;
    let mut charge = |id: ObjectId, total: &mut usize| -> Result<(), usize> {
        let size = match sizes.get(&id) {
            Some(s) => *s,
            None => {
                let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
                    return Ok(());
                };
                let remaining = limit.saturating_sub(*total);
                let size = match stream.decompressed_content_with_limit(remaining) {
                    Ok(data) => data.len(),
                    Err(_) if stream.content.len() <= remaining => stream.content.len(),
                    Err(_) => return Err(limit),
                };
                sizes.insert(id, size);
                size
            }
        };
        *total = total.saturating_add(size);
        if *total > limit { Err(limit) } else { Ok(()) }
    };
    for page_id in doc.page_iter() {
        for id in doc.get_page_contents(page_id) {
            charge(id, &mut total)?;
        }
    }
    let forms: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| o.as_stream().is_ok_and(drawing::is_form))
        .map(|(id, _)| *id)
        .collect();
    for id in forms {
        charge(id, &mut total)?;
    }
    Ok(total)
}

/// True when far fewer characters came out than the content streams show: a simple-font glyph
/// is one byte and a CID glyph two, so below 40 % something was dropped.
pub fn probable_loss(extracted_chars: usize, shown_bytes: usize) -> bool {
    shown_bytes > 0 && extracted_chars * 10 < shown_bytes * 4
}

/// Extracts the text layer of a loaded document.
pub fn extract_text(mut doc: Document, limits: &Limits) -> Result<TextLayer, PdfError> {
    let mut layer = TextLayer::default();
    if let Err(limit) = contained(|| Ok(content_budget(&doc, limits.max_decompressed_bytes)))? {
        return Err(PdfError::Unreadable(format!(
            "the pages' content decompresses to more than {} MiB: text not read \
             (possible decompression bomb)",
            limit / (1024 * 1024)
        )));
    }
    let Ok(stats) = contained(|| Ok(normalise_document(&mut doc, limits)))? else {
        return Err(PdfError::Unreadable(
            "the pages' drawings refer to each other in a loop (or nest too deep): text not read"
                .into(),
        ));
    };
    // pdf-extract parses with its own, older lopdf, which trusts cross-reference streams (a
    // `/W [1 4294967296 1]` makes it allocate 4 GiB): it only ever reads the document as our
    // lopdf wrote it back, with a plain cross-reference table.
    let mut input = Vec::new();
    contained(|| {
        doc.save_to(&mut input)
            .map_err(|e| PdfError::Unreadable(format!("could not rewrite the document: {e}")))
    })?;
    drop(doc);
    let text = contained(|| {
        let unreadable = |e: &dyn std::fmt::Display| PdfError::Unreadable(e.to_string());
        let mut doc = pdf_extract::Document::load_mem(&input).map_err(|e| unreadable(&e))?;
        if doc.is_encrypted() {
            doc.decrypt("").map_err(|e| unreadable(&e))?;
        }
        let mut glyphs = Collector::new(limits.max_text_chars);
        pdf_extract::output_doc(&doc, &mut glyphs).map_err(|e| unreadable(&e))?;
        Ok(glyphs.pages())
    })?;
    let pages: Vec<PageText> = text
        .into_iter()
        .map(|p| PageText {
            text: compose_spacing_accents(&p.text),
            ..p
        })
        .collect();
    let text: String = pages
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .chars()
        .take(limits.max_text_chars)
        .collect();
    let extracted = text.chars().filter(|c| !c.is_whitespace()).count();
    if probable_loss(extracted, stats.shown_bytes) {
        layer.issues.push(format!(
            "probable text loss: {extracted} characters extracted for {} bytes of shown text",
            stats.shown_bytes
        ));
    }
    if extracted == 0 {
        layer
            .issues
            .push("no text layer (scanned document?)".to_string());
    }
    layer.text = text;
    layer.pages = pages;
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_ratio() {
        assert!(probable_loss(43, 1800));
        assert!(probable_loss(0, 10));
        assert!(
            !probable_loss(900, 1800),
            "CID fonts show two bytes per glyph"
        );
        assert!(!probable_loss(0, 0));
    }

    #[test]
    fn spacing_accents_are_joined() {
        assert_eq!(
            compose_spacing_accents(
                "Factur\u{b4}e `a : Soci\u{b4}et\u{b4}e d\u{2019}\u{b4}Etudes, compl`ete, garc\u{b8}on \u{b8}ca, M\u{a8}uller, \u{2c6}etre"
            ),
            "Facturé à : Société d\u{2019}Études, complète, garçon ça, Müller, être"
        );
        assert_eq!(compose_spacing_accents("x^2 `b 5`a ´"), "x^2 `b 5`a ´");
    }

    #[test]
    fn width_ranges_are_expanded() {
        let doc = Document::with_version("1.7");
        let w = vec![
            Object::Integer(3),
            Object::Array(vec![Object::Integer(500), Object::Integer(600)]),
            Object::Integer(17),
            Object::Integer(19),
            Object::Real(556.0),
        ];
        let (out, n) = expand_width_ranges(&w, &doc).expect("one range");
        assert_eq!(n, 1);
        assert_eq!(
            out,
            vec![
                Object::Integer(3),
                Object::Array(vec![Object::Integer(500), Object::Integer(600)]),
                Object::Integer(17),
                Object::Array(vec![Object::Real(556.0); 3]),
            ]
        );
        let lists_only = vec![Object::Integer(1), Object::Array(vec![Object::Integer(9)])];
        assert_eq!(expand_width_ranges(&lists_only, &doc), None);
        let absurd = vec![
            Object::Integer(0),
            Object::Integer(i64::MAX),
            Object::Integer(1),
        ];
        assert_eq!(expand_width_ranges(&absurd, &doc), None);
        let reversed = vec![Object::Integer(9), Object::Integer(2), Object::Integer(1)];
        assert_eq!(expand_width_ranges(&reversed, &doc), None);
    }

    #[test]
    fn quote_operators_are_rewritten() {
        let ops = vec![
            Operation::new("'", vec![Object::string_literal("ab c")]),
            Operation::new(
                "\"",
                vec![
                    Object::Integer(1),
                    Object::Integer(2),
                    Object::string_literal("de"),
                ],
            ),
            Operation::new("Tj", vec![Object::string_literal("f")]),
        ];
        let mut stats = ShowStats::default();
        let out = rewrite_operations(ops, &mut stats);
        let names: Vec<&str> = out.iter().map(|o| o.operator.as_str()).collect();
        assert_eq!(names, ["T*", "Tj", "Tw", "Tc", "T*", "Tj", "Tj"]);
        assert_eq!(
            stats,
            ShowStats {
                shown_bytes: 6,
                rewritten: 2,
                width_ranges: 0,
            }
        );
    }
}
