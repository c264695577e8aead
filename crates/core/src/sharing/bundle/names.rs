//! The names of the documents inside a bundle: the readable name
//! (`2026-10-14_ACME_F-42_1200.00EUR.pdf`) and, for a bundle with a password, the neutral
//! extension of `documents/0001.pdf`.
//!
//! Promises: a readable name is built from the date, seller, number and total only, through
//! [`crate::support::names`] (portable, NFC, unique case-insensitively); a neutral extension says
//! what the bytes are (`pdf`, `xml`, `png`, `jpg`) or is a common extension, else `bin`: nothing of
//! a document's own name leaks into a name anyone can list.

use std::path::Path;

use serde_json::Value;

use super::field;
use crate::support::names::clean_part;

pub(super) fn extension_of(doc: &crate::Document) -> String {
    let from_name = Path::new(&doc.name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 10 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    from_name.unwrap_or_else(|| {
        match doc.kind {
            crate::MediaKind::Pdf => "pdf",
            crate::MediaKind::Xml => "xml",
            crate::MediaKind::Png => "png",
            crate::MediaKind::Jpeg => "jpg",
            crate::MediaKind::Tiff => "tif",
            _ => "bin",
        }
        .to_owned()
    })
}

/// The extension of a document's neutral name (`documents/0001.pdf`): from what its bytes are,
/// or, for other files, from its name only when it is a common extension (an extension is part
/// of the name anyone can list: `invoice.acmesarl` must not show `acmesarl`).
pub(super) fn neutral_extension(doc: &crate::Document) -> &'static str {
    const COMMON: &[&str] = &[
        "txt", "csv", "tsv", "json", "html", "htm", "rtf", "doc", "docx", "odt", "xls", "xlsx",
        "ods", "ppt", "pptx", "odp", "gif", "tif", "tiff", "webp", "heic", "bmp", "eml", "msg",
        "zip", "p7m", "p7s", "sig",
    ];
    match doc.kind {
        crate::MediaKind::Pdf => "pdf",
        crate::MediaKind::Xml => "xml",
        crate::MediaKind::Png => "png",
        crate::MediaKind::Jpeg => "jpg",
        crate::MediaKind::Tiff => "tif",
        _ => {
            let ext = extension_of(doc);
            COMMON.iter().find(|c| **c == ext).copied().unwrap_or("bin")
        }
    }
}

/// `2026-10-14_ACME-SARL_F2026-0042_1234.56EUR` from the fields; missing parts omitted.
pub(super) fn document_stem(date: &str, fields: &Value) -> String {
    let total = match (field(fields, "total_with_vat"), field(fields, "currency")) {
        (Some(t), Some(c)) => Some(format!("{t}{c}")),
        (Some(t), None) => Some(t),
        _ => None,
    };
    [
        Some(date.to_owned()),
        field(fields, "seller.name"),
        field(fields, "number"),
        total,
    ]
    .into_iter()
    .flatten()
    .map(|p| clean_part(&p))
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join("_")
}
