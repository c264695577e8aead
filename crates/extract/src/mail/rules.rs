//! Which parts of a message become documents: the owner's rules (types kept, names skipped,
//! small inline images left out) as a pure function, applied by the vault with its settings.

use serde::{Deserialize, Serialize};

use crate::Sniffed;

/// The rules, with their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// Kinds of attachment kept, by content: `pdf`, `xml`, `image`, `message`, `other`.
    pub keep_types: Vec<String>,
    /// An attachment whose name contains one of these words (any case) is skipped: terms and
    /// conditions sent with every invoice.
    pub skip_names: Vec<String>,
    /// An inline image smaller than this (bytes) is a logo or a signature, skipped.
    pub inline_image_below: u64,
    /// Whether a message with no part kept is stored (its text alone).
    pub keep_without_attachments: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            keep_types: ["pdf", "xml", "image"].map(String::from).to_vec(),
            skip_names: ["cgv", "cgu", "conditions", "terms", "agb"]
                .map(String::from)
                .to_vec(),
            inline_image_below: 100 * 1024,
            keep_without_attachments: false,
        }
    }
}

/// What a part is, by its content.
pub fn kind_of(name: &str, bytes: &[u8]) -> &'static str {
    match crate::sniff(bytes, Some(name)) {
        Sniffed::Pdf => "pdf",
        Sniffed::Xml => "xml",
        Sniffed::Png | Sniffed::Jpeg | Sniffed::Tiff => "image",
        Sniffed::Message(_) => "message",
        Sniffed::Other => "other",
    }
}

/// `Ok` when a part (its name, bytes, and whether it is inline) is kept, else why it is
/// skipped (for a person).
pub fn keep(name: &str, bytes: &[u8], inline: bool, rules: &Rules) -> Result<(), String> {
    let kind = kind_of(name, bytes);
    if !rules
        .keep_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(kind))
    {
        return Err(format!(
            "{kind} attachments are not kept (kept: {})",
            rules.keep_types.join(", ")
        ));
    }
    let name = name.to_lowercase();
    if let Some(word) = rules
        .skip_names
        .iter()
        .map(|w| w.trim().to_lowercase())
        .find(|w| !w.is_empty() && name.contains(w.as_str()))
    {
        return Err(format!("its name contains \"{word}\""));
    }
    if kind == "image" && inline && (bytes.len() as u64) < rules.inline_image_below {
        return Err("a small inline image (logo or signature)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Part(&'static str, &'static [u8], bool);

    fn part(name: &'static str, bytes: &'static [u8], inline: bool) -> Part {
        Part(name, bytes, inline)
    }

    fn keep(p: &Part, rules: &Rules) -> Result<(), String> {
        super::keep(p.0, p.1, p.2, rules)
    }

    #[test]
    fn defaults_keep_invoices_and_skip_terms_logos_and_others() {
        let r = Rules::default();
        assert!(keep(&part("facture.pdf", b"%PDF-1.7", false), &r).is_ok());
        assert!(keep(&part("inline.pdf", b"%PDF-1.7", true), &r).is_ok());
        assert!(
            keep(
                &part("x.xml", b"<?xml version='1.0'?><Invoice/>", false),
                &r
            )
            .is_ok()
        );
        assert!(
            keep(&part("CGV-2026.pdf", b"%PDF-1.7", false), &r)
                .unwrap_err()
                .contains("cgv")
        );
        let logo = part("logo.png", b"\x89PNG\r\n\x1a\n", true);
        assert!(keep(&logo, &r).unwrap_err().contains("inline image"));
        let photo = part("ticket.png", b"\x89PNG\r\n\x1a\n", false);
        assert!(
            keep(&photo, &r).is_ok(),
            "an attached photo of a receipt is kept"
        );
        assert!(keep(&part("notes.docx", b"PK\x03\x04", false), &r).is_err());
        let only_pdf = Rules {
            keep_types: vec!["pdf".into()],
            ..Rules::default()
        };
        assert!(keep(&photo, &only_pdf).is_err());
    }
}
