//! ZIP archives attached to messages: their files, read in memory with bounds.

use std::io::{Cursor, Read};

use super::{Part, clean_name};
use crate::Limits;

/// Most entries read from one archive.
const MAX_ENTRIES: usize = 200;

/// Whether a part is a ZIP archive (by its signature; the declared type may be anything).
pub(super) fn is_zip(part: &Part) -> bool {
    part.bytes.starts_with(b"PK\x03\x04")
}

/// The files of an archive (folders and empty files left out), each inflated to at most
/// `Limits::max_input_bytes` and all of them to at most `MAX_TOTAL` times that; an encrypted
/// entry is an error.
pub(super) fn entries(bytes: &[u8], limits: &Limits) -> Result<Vec<Part>, String> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("unreadable ZIP: {e}"))?;
    let budget = limits.max_input_bytes.saturating_mul(super::MAX_TOTAL);
    let mut total = 0usize;
    let mut out = Vec::new();
    for i in 0..zip.len().min(MAX_ENTRIES) {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("unreadable ZIP entry: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let declared = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let name = clean_name(&declared, &format!("entry-{}", i + 1));
        let limit = limits.max_input_bytes.min(budget.saturating_sub(total));
        let mut data = Vec::new();
        (&mut entry)
            .take(limit as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("{name}: {e}"))?;
        if data.len() > limit {
            return Err(format!(
                "{name} inflates beyond the size limit (possible ZIP bomb)"
            ));
        }
        if data.is_empty() {
            continue;
        }
        total += data.len();
        let media_type = match crate::sniff(&data, Some(&name)) {
            crate::Sniffed::Pdf => "application/pdf",
            crate::Sniffed::Xml => "application/xml",
            crate::Sniffed::Png => "image/png",
            crate::Sniffed::Jpeg => "image/jpeg",
            crate::Sniffed::Tiff => "image/tiff",
            crate::Sniffed::Message(k) => k.media_type(),
            crate::Sniffed::Other => "application/octet-stream",
        };
        out.push(Part {
            name,
            media_type: media_type.to_owned(),
            inline: false,
            bytes: data,
        });
    }
    Ok(out)
}
