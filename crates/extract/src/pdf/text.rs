//! The text layer of a PDF, through pdf-extract, with a guard against silent text loss.
//!
//! pdf-extract 0.12 interprets `Tj`, `TJ` and `T*` but ignores the `'` and `"` text operators
//! (move to next line and show text) that Ghostscript and others use for every line: it returns
//! "Ok" with most of the text missing. Before extracting, this module rewrites those operators in
//! each page's content stream into their documented equivalents (`T*` + `Tj`, with `Tw`/`Tc` for
//! `"`), on a private copy of the document. It then compares the number of characters extracted
//! with the number of bytes the content streams show, and reports a probable loss as an issue
//! instead of accepting it silently. pdf-extract panics are contained by the caller's
//! `catch_unwind` (see [`crate::pdf`]).

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object};

use crate::Limits;
use crate::pdf::{PdfError, contained};

/// The text layer and what was noticed while extracting it.
#[derive(Debug, Default)]
pub struct TextLayer {
    /// The extracted text.
    pub text: String,
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

/// Rewrites the pages of `doc` in place; returns the scan counts.
pub fn normalise_document(doc: &mut Document, limits: &Limits) -> ShowStats {
    let mut stats = ShowStats::default();
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    for page_id in pages.into_iter().take(limits.max_pdf_pages) {
        let Ok(content) = doc.get_and_decode_page_content(page_id) else {
            continue;
        };
        let before = stats.rewritten;
        let ops = rewrite_operations(content.operations, &mut stats);
        if stats.rewritten > before
            && let Ok(bytes) = (Content { operations: ops }).encode()
        {
            let _ = doc.change_page_content(page_id, bytes);
        }
    }
    // Form XObjects (drawn with `Do`) have content streams of their own.
    let limit = limits.max_decompressed_bytes;
    for obj in doc.objects.values_mut() {
        let Object::Stream(stream) = obj else {
            continue;
        };
        let is_form = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Form");
        if !is_form {
            continue;
        }
        let Ok(bytes) = stream.decompressed_content_with_limit(limit) else {
            continue;
        };
        let Ok(content) = Content::decode(&bytes) else {
            continue;
        };
        let before = stats.rewritten;
        let ops = rewrite_operations(content.operations, &mut stats);
        if stats.rewritten > before
            && let Ok(encoded) = (Content { operations: ops }).encode()
        {
            stream.set_plain_content(encoded);
        }
    }
    stats
}

/// True when far fewer characters came out than the content streams show: a simple-font glyph
/// is one byte and a CID glyph two, so below 40 % something was dropped.
pub fn probable_loss(extracted_chars: usize, shown_bytes: usize) -> bool {
    shown_bytes > 0 && extracted_chars * 10 < shown_bytes * 4
}

/// Extracts the text layer of a loaded document (`original` is the file as received, used when
/// no rewrite was needed).
pub fn extract_text(
    mut doc: Document,
    original: &[u8],
    limits: &Limits,
) -> Result<TextLayer, PdfError> {
    let mut layer = TextLayer::default();
    let stats = contained(|| Ok(normalise_document(&mut doc, limits)))?;
    let input: Vec<u8> = if stats.rewritten > 0 {
        let mut buf = Vec::new();
        match contained(|| {
            doc.save_to(&mut buf)
                .map_err(|e| PdfError::Unreadable(e.to_string()))
        }) {
            Ok(()) => buf,
            Err(e) => {
                layer
                    .issues
                    .push(format!("could not rewrite text operators: {e}"));
                original.to_vec()
            }
        }
    } else {
        original.to_vec()
    };
    drop(doc);
    let text = contained(|| {
        pdf_extract::extract_text_from_mem(&input).map_err(|e| PdfError::Unreadable(e.to_string()))
    })?;
    let text: String = text.chars().take(limits.max_text_chars).collect();
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
            .push("no text layer (scanned document? OCR is not done here)".to_string());
    }
    layer.text = text;
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
                rewritten: 2
            }
        );
    }
}
