//! Embedded e-invoice lookup in a PDF (Factur-X, ZUGFeRD 1.0 and 2.x, XRechnung-in-PDF).
//!
//! Promises: looks in the catalog's `/Names /EmbeddedFiles` name tree and in the catalog's
//! `/AF` array; takes the file named `factur-x.xml`, `zugferd-invoice.xml` (ZUGFeRD 2.x writes
//! it so, ZUGFeRD 1.0 `ZUGFeRD-invoice.xml`: names compare case-insensitively) or
//! `xrechnung.xml` first, else any attached `.xml` whose root is a CII `CrossIndustryInvoice`
//! or a ZUGFeRD 1.0 `CrossIndustryDocument`. Name trees are walked with a depth bound and cycle
//! detection; attachment streams are decompressed with a size bound. Never panics on a malformed
//! structure: it just finds nothing and says why in `issues`.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::Limits;
use crate::pdf::EmbeddedInvoice;

/// The preferred attachment names, in order, lower case (compared case-insensitively).
pub const PREFERRED_NAMES: [&str; 3] = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

const MAX_TREE_DEPTH: usize = 16;
const MAX_CANDIDATES: usize = 64;

/// Result of the attachment lookup.
#[derive(Debug, Default)]
pub struct Found {
    /// The chosen e-invoice.
    pub invoice: Option<EmbeddedInvoice>,
    /// Problems met.
    pub issues: Vec<String>,
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding ≈ Latin-1).
pub fn pdf_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    doc.dereference(o).ok().map(|(_, o)| o)
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    deref(doc, o)?.as_dict().ok()
}

/// Candidate (name, filespec) pairs from the EmbeddedFiles name tree and the AF array.
fn candidates(doc: &Document) -> Vec<(String, &Dictionary)> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let mut seen: HashSet<ObjectId> = HashSet::new();
    if let Some(tree) = catalog
        .get(b"Names")
        .ok()
        .and_then(|n| dict(doc, n))
        .and_then(|n| n.get(b"EmbeddedFiles").ok())
    {
        walk_name_tree(doc, tree, 0, &mut seen, &mut out);
    }
    if let Some(af) = catalog
        .get(b"AF")
        .ok()
        .and_then(|a| deref(doc, a))
        .and_then(|a| a.as_array().ok())
    {
        for spec in af.iter().take(MAX_CANDIDATES) {
            if let Some(fs) = dict(doc, spec) {
                out.push((filespec_name(fs), fs));
            }
        }
    }
    out
}

fn walk_name_tree<'a>(
    doc: &'a Document,
    node: &'a Object,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<(String, &'a Dictionary)>,
) {
    if depth > MAX_TREE_DEPTH || out.len() >= MAX_CANDIDATES {
        return;
    }
    if let Object::Reference(id) = node
        && !seen.insert(*id)
    {
        return;
    }
    let Some(d) = dict(doc, node) else { return };
    if let Some(names) = d
        .get(b"Names")
        .ok()
        .and_then(|n| deref(doc, n))
        .and_then(|n| n.as_array().ok())
    {
        for pair in names.chunks(2) {
            if let [key, value] = pair {
                let key_name = deref(doc, key)
                    .and_then(|k| k.as_str().ok())
                    .map(pdf_string)
                    .unwrap_or_default();
                if let Some(fs) = dict(doc, value) {
                    let name = match filespec_name(fs) {
                        n if n.is_empty() => key_name,
                        n => n,
                    };
                    out.push((name, fs));
                }
            }
        }
    }
    if let Some(kids) = d
        .get(b"Kids")
        .ok()
        .and_then(|k| deref(doc, k))
        .and_then(|k| k.as_array().ok())
    {
        for kid in kids {
            walk_name_tree(doc, kid, depth + 1, seen, out);
        }
    }
}

/// The file name of a file specification (`/UF`, else `/F`).
fn filespec_name(fs: &Dictionary) -> String {
    for key in [&b"UF"[..], &b"F"[..]] {
        if let Ok(Object::String(s, _)) = fs.get(key) {
            return pdf_string(s);
        }
    }
    String::new()
}

/// The decoded embedded file stream of a file specification (`/EF /F` or `/EF /UF`).
fn filespec_bytes(doc: &Document, fs: &Dictionary, limit: usize) -> Result<Vec<u8>, String> {
    let ef = fs
        .get(b"EF")
        .ok()
        .and_then(|e| dict(doc, e))
        .ok_or("file specification without /EF")?;
    let stream_obj = ef
        .get(b"F")
        .or_else(|_| ef.get(b"UF"))
        .map_err(|_| "/EF without /F".to_string())?;
    let stream = deref(doc, stream_obj)
        .and_then(|s| s.as_stream().ok())
        .ok_or("/EF /F is not a stream")?;
    stream
        .decompressed_content_with_limit(limit)
        .map_err(|e| format!("cannot decode embedded file: {e}"))
}

/// True when the XML's root is a CII invoice of any version (D16B or ZUGFeRD 1.0).
fn is_cii(xml: &[u8], limits: &Limits) -> bool {
    let Ok(text) = crate::xml::checked_text(xml, limits) else {
        return false;
    };
    crate::xml::parse_safely(&text, limits)
        .ok()
        .is_some_and(|d| {
            crate::xml::kind_of(d.root_element()).is_some_and(crate::xml::XmlKind::is_cii)
        })
}

/// Finds the embedded e-invoice of a PDF, if any.
pub fn find_einvoice(doc: &Document, limits: &Limits) -> Found {
    let mut found = Found::default();
    let mut cands = candidates(doc);
    // Preferred names first (stable otherwise).
    cands.sort_by_key(|(name, _)| {
        let l = name.to_ascii_lowercase();
        PREFERRED_NAMES
            .iter()
            .position(|p| *p == l)
            .unwrap_or(PREFERRED_NAMES.len())
    });
    let mut tried: HashSet<String> = HashSet::new();
    for (name, fs) in cands {
        let lower = name.to_ascii_lowercase();
        let preferred = PREFERRED_NAMES.contains(&lower.as_str());
        if !preferred && !lower.ends_with(".xml") {
            continue;
        }
        if !tried.insert(lower.clone()) {
            continue;
        }
        match filespec_bytes(doc, fs, limits.max_xml_bytes) {
            Ok(bytes) => {
                if preferred || is_cii(&bytes, limits) {
                    found.invoice = Some(EmbeddedInvoice { name, xml: bytes });
                    return found;
                }
            }
            Err(e) => found.issues.push(format!("attachment {name:?}: {e}")),
        }
    }
    found
}

/// The `fx:ConformanceLevel` declared in the catalog's XMP metadata, if any.
pub fn xmp_conformance_level(doc: &Document, limits: &Limits) -> Option<String> {
    let catalog = doc.catalog().ok()?;
    let meta = catalog.get(b"Metadata").ok()?;
    let stream = deref(doc, meta)?.as_stream().ok()?;
    let bytes = stream
        .decompressed_content_with_limit(limits.max_xml_bytes)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let pos = text.find("ConformanceLevel")?;
    let rest = &text[pos + "ConformanceLevel".len()..];
    let value = if let Some(r) = rest.strip_prefix('>') {
        r.split('<').next()?
    } else {
        let r = rest.trim_start().strip_prefix('=')?.trim_start();
        let quote = r.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        r[1..].split(quote).next()?
    };
    let v = value.trim();
    (!v.is_empty() && v.len() < 64).then(|| v.to_string())
}
