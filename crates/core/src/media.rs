//! Recognising what a file is from its first bytes (never from its name alone).

use serde::{Deserialize, Serialize};

/// The kinds of document the vault distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A PDF (Factur-X and ZUGFeRD included).
    Pdf,
    /// An XML file (UBL, CII e-invoices).
    Xml,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// Anything else, stored as is.
    Other,
}

impl MediaKind {
    /// Sniffs the kind from the first bytes of a file (at least 1 KiB when the file is that long).
    pub fn sniff(head: &[u8]) -> MediaKind {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return MediaKind::Png;
        }
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return MediaKind::Jpeg;
        }
        // PDF readers accept the signature anywhere in the first KiB.
        let window = &head[..head.len().min(1024)];
        if window.windows(5).any(|w| w == b"%PDF-") {
            return MediaKind::Pdf;
        }
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(text.len());
        let text = &text[start..];
        if text.starts_with(b"<?xml")
            || (text.first() == Some(&b'<')
                && text
                    .get(1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'!'))
        {
            return MediaKind::Xml;
        }
        MediaKind::Other
    }

    /// The IANA media type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaKind::Pdf => "application/pdf",
            MediaKind::Xml => "application/xml",
            MediaKind::Png => "image/png",
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Other => "application/octet-stream",
        }
    }

    /// The kind for a stored media type.
    pub fn from_mime(mime: &str) -> MediaKind {
        match mime {
            "application/pdf" => MediaKind::Pdf,
            "application/xml" => MediaKind::Xml,
            "image/png" => MediaKind::Png,
            "image/jpeg" => MediaKind::Jpeg,
            _ => MediaKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MediaKind::*;
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(MediaKind::sniff(b"%PDF-1.7\n..."), Pdf);
        assert_eq!(MediaKind::sniff(b"\x89PNG\r\n\x1a\n...."), Png);
        assert_eq!(MediaKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Jpeg);
        assert_eq!(
            MediaKind::sniff(b"\xEF\xBB\xBF  <?xml version='1.0'?>"),
            Xml
        );
        assert_eq!(MediaKind::sniff(b"<Invoice xmlns='x'/>"), Xml);
        assert_eq!(MediaKind::sniff(b"hello <b>"), Other);
        assert_eq!(MediaKind::sniff(b""), Other);
        for k in [Pdf, Xml, Png, Jpeg, Other] {
            assert_eq!(MediaKind::from_mime(k.mime()), k);
        }
    }
}
