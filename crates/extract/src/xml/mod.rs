//! Standalone e-invoice XML: safe parsing, detection and reading of UBL 2.1 and UN/CEFACT CII
//! (D16B `CrossIndustryInvoice`, and ZUGFeRD 1.0's `CrossIndustryDocument`).
//!
//! Promises: documents carrying a DTD (`<!DOCTYPE`) are refused before any entity could be
//! expanded, so no external entity is ever fetched and no entity bomb is expanded; input size,
//! node count and element depth are bounded by [`crate::Limits`]; the document type is decided by
//! the root element's local name AND namespace. Values are read exactly as written (trimmed):
//! dates are converted to `YYYY-MM-DD` only when their format is known, and a value that does not
//! validate becomes `null` plus an issue rather than a guess.

pub mod cdar;
pub mod cii;
pub mod ubl;

use std::borrow::Cow;

use roxmltree::{Document, Node, ParsingOptions};

use crate::Limits;
use crate::model::Extraction;

/// Namespace of UBL 2.1 Invoice documents.
pub const NS_UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// Namespace of UBL 2.1 CreditNote documents.
pub const NS_UBL_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// Namespace of the CII D16B CrossIndustryInvoice root.
pub const NS_CII_RSM: &str = cii::D16B.rsm;
/// Namespace of the ZUGFeRD 1.0 CrossIndustryDocument root.
pub const NS_ZUGFERD1_RSM: &str = cii::ZUGFERD_1P0.rsm;

/// Which e-invoice syntax a root element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlKind {
    /// UBL 2.1 `Invoice`.
    UblInvoice,
    /// UBL 2.1 `CreditNote`.
    UblCreditNote,
    /// CII `CrossIndustryInvoice`.
    Cii,
    /// ZUGFeRD 1.0 `CrossIndustryDocument` (CII before D16B).
    Zugferd1,
}

impl XmlKind {
    /// True for the UN/CEFACT CII family (D16B and ZUGFeRD 1.0).
    pub fn is_cii(self) -> bool {
        matches!(self, XmlKind::Cii | XmlKind::Zugferd1)
    }
}

/// Why an XML document could not be read as an e-invoice.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    /// The input is larger than the configured limit.
    #[error("XML too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// Input size.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The document declares a DTD, refused (no entity expansion, no external entities).
    #[error("XML with a DOCTYPE/DTD refused (entities are never expanded)")]
    Doctype,
    /// The document is not in a supported encoding.
    #[error("XML is not UTF-8, UTF-16 (with BOM) or declared ISO-8859-1/Windows-1252 text")]
    NotUtf8,
    /// The document is nested deeper than the configured limit.
    #[error("XML nested deeper than {0} elements")]
    TooDeep(usize),
    /// The XML parser refused the document.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed XML, but not a UBL or CII invoice.
    #[error(
        "XML root {local} in namespace {namespace:?} is not a UBL Invoice/CreditNote, CII CrossIndustryInvoice or ZUGFeRD 1.0 CrossIndustryDocument"
    )]
    NotAnInvoice {
        /// Root element local name.
        local: String,
        /// Root element namespace.
        namespace: Option<String>,
    },
}

/// Decodes XML bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, or ISO-8859-1 /
/// Windows-1252 when the XML declaration says so. Anything else is refused.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| XmlError::NotUtf8);
    }
    let utf16 = |rest: &[u8], be: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units)
            .map(Cow::Owned)
            .map_err(|_| XmlError::NotUtf8)
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, false);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    // Single-byte encodings, only when declared.
    let head = &bytes[..bytes.len().min(200)];
    let decl_end = head.windows(2).position(|w| w == b"?>").unwrap_or(0);
    let decl = String::from_utf8_lossy(&head[..decl_end]).to_ascii_lowercase();
    let single_byte = [
        "iso-8859-1",
        "iso-8859-15",
        "latin1",
        "windows-1252",
        "cp1252",
    ]
    .iter()
    .any(|e| {
        decl.contains(&format!("encoding=\"{e}\"")) || decl.contains(&format!("encoding='{e}'"))
    });
    if single_byte {
        // Latin-1 for all bytes, but 0x80 is the euro sign in both 1252 and -15 usage.
        let text = bytes
            .iter()
            .map(|&b| if b == 0x80 { '€' } else { char::from(b) })
            .collect();
        return Ok(Cow::Owned(text));
    }
    Err(XmlError::NotUtf8)
}

/// True when the bytes look like XML (after a BOM and whitespace they start with `<`).
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFE\xFF\0<") || bytes.starts_with(b"\xFF\xFE<\0") {
        return true;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// Checks the size limit and decodes (see [`decode`]).
pub fn checked_text<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Cow<'a, str>, XmlError> {
    if bytes.len() > limits.max_xml_bytes {
        return Err(XmlError::TooLarge {
            size: bytes.len(),
            limit: limits.max_xml_bytes,
        });
    }
    decode(bytes)
}

/// Parses XML text with the crate's safety rules (no DTD, node and depth limits).
pub fn parse_safely<'a>(text: &'a str, limits: &Limits) -> Result<Document<'a>, XmlError> {
    if contains_ignore_ascii_case(text, "<!DOCTYPE") || contains_ignore_ascii_case(text, "<!ENTITY")
    {
        return Err(XmlError::Doctype);
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_xml_nodes,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Doctype,
        other => XmlError::Malformed(other.to_string()),
    })?;
    // Element depth per node, in document order (parents come before their children).
    let mut depth: Vec<u32> = Vec::new();
    for n in doc.descendants() {
        let parent = n
            .parent()
            .map_or(0, |p| depth.get(p.id().get_usize()).copied().unwrap_or(0));
        let d = parent + u32::from(n.is_element());
        let idx = n.id().get_usize();
        if depth.len() <= idx {
            depth.resize(idx + 1, 0);
        }
        depth[idx] = d;
        if d as usize > limits.max_xml_depth {
            return Err(XmlError::TooDeep(limits.max_xml_depth));
        }
    }
    Ok(doc)
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .any(|w| w.eq_ignore_ascii_case(n))
}

/// The e-invoice kind of a root element, by local name and namespace.
pub fn kind_of(root: Node) -> Option<XmlKind> {
    let ns = root.tag_name().namespace();
    match (root.tag_name().name(), ns) {
        ("Invoice", Some(NS_UBL_INVOICE)) => Some(XmlKind::UblInvoice),
        ("CreditNote", Some(NS_UBL_CREDIT_NOTE)) => Some(XmlKind::UblCreditNote),
        ("CrossIndustryInvoice", Some(NS_CII_RSM)) => Some(XmlKind::Cii),
        ("CrossIndustryDocument", Some(NS_ZUGFERD1_RSM)) => Some(XmlKind::Zugferd1),
        _ => None,
    }
}

/// Parses and reads an e-invoice XML into `out` (format and media type are left to the caller).
pub fn read_invoice(
    bytes: &[u8],
    limits: &Limits,
    out: &mut Extraction,
) -> Result<XmlKind, XmlError> {
    let text = checked_text(bytes, limits)?;
    let doc = parse_safely(&text, limits)?;
    let root = doc.root_element();
    let kind = kind_of(root).ok_or_else(|| XmlError::NotAnInvoice {
        local: root.tag_name().name().to_string(),
        namespace: root.tag_name().namespace().map(str::to_string),
    })?;
    match kind {
        XmlKind::Cii => cii::read(root, out),
        XmlKind::Zugferd1 => cii::read_zugferd1(root, out),
        XmlKind::UblInvoice | XmlKind::UblCreditNote => ubl::read(root, out),
    }
    Ok(kind)
}

/// Parses and reads a CDAR lifecycle message into `out.lifecycle`; `Ok(false)` when the XML is
/// something else.
pub fn read_lifecycle(
    bytes: &[u8],
    limits: &Limits,
    out: &mut Extraction,
) -> Result<bool, XmlError> {
    let text = checked_text(bytes, limits)?;
    let doc = parse_safely(&text, limits)?;
    let root = doc.root_element();
    if !cdar::is_root(root.tag_name().name(), root.tag_name().namespace()) {
        return Ok(false);
    }
    cdar::read(root, out);
    Ok(true)
}

/// Maps a guideline / customization id to a short profile name when it is a known one; returns
/// the id itself otherwise.
pub fn profile_name(id: &str) -> String {
    let l = id.to_ascii_lowercase();
    let name = if l.contains("xrechnung") {
        "XRECHNUNG"
    } else if l.contains("extended") {
        "EXTENDED"
    } else if l.ends_with(":basicwl") {
        "BASIC WL"
    } else if l.ends_with(":basic") {
        "BASIC"
    } else if l.ends_with(":comfort") {
        // ZUGFeRD 1.0 (`urn:ferd:CrossIndustryDocument:invoice:1p0:comfort`).
        "COMFORT"
    } else if l.ends_with(":minimum") {
        "MINIMUM"
    } else if l == "urn:cen.eu:en16931:2017" {
        "EN 16931"
    } else {
        return id.to_string();
    };
    name.to_string()
}

// ---- small tree helpers shared by the UBL and CII readers ----

/// First child element with this namespace and local name.
pub(crate) fn kid<'a, 'i>(n: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

/// All child elements with this namespace and local name.
pub(crate) fn kids<'a, 'i: 'a>(
    n: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
    })
}

/// Follows a path of (namespace, local name) steps, first match at each step.
pub(crate) fn at<'a, 'i>(n: Node<'a, 'i>, path: &[(&str, &str)]) -> Option<Node<'a, 'i>> {
    let mut cur = n;
    for (ns, name) in path {
        cur = kid(cur, ns, name)?;
    }
    Some(cur)
}

/// The trimmed text content of an element (its text children), `None` when empty.
pub(crate) fn text(n: Option<Node>) -> Option<String> {
    let n = n?;
    let s: String = n
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The present parts of an address joined on one line (`None` when all are absent).
pub(crate) fn one_line(parts: impl Iterator<Item = Option<String>>) -> Option<String> {
    let parts: Vec<String> = parts.flatten().collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Checks an ISO date `YYYY-MM-DD` (as UBL writes them) and returns it.
pub(crate) fn iso_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: u32 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    crate::heuristics::dates::valid_ymd(y, m, d).then(|| s.to_string())
}

/// Sets an amount field from XML text, recording an issue when it is not a decimal.
pub(crate) fn amount(out: &mut Extraction, what: &str, raw: Option<String>) -> Option<String> {
    let raw = raw?;
    match crate::amount::xml_amount(&raw) {
        Some(v) => Some(v),
        None => {
            out.issue(format!("{what}: {raw:?} is not a decimal amount"));
            None
        }
    }
}
