//! Recognising what a file is from its first bytes (never from its name alone).

use serde::{Deserialize, Serialize};

/// The kinds of document the vault distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
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
    /// A TIFF image (a scanner's multi-page format).
    Tiff,
    /// An e-mail message (`.eml`, RFC 5322).
    Message,
    /// An Outlook message (`.msg`).
    Outlook,
    /// Anything else, stored as is.
    Other,
}

impl MediaKind {
    /// Sniffs the kind from the content (the extractor's rules: magic bytes; the name only
    /// helps recognise XML).
    pub fn sniff(bytes: &[u8], name: &str) -> MediaKind {
        match coffre_extract::sniff(bytes, Some(name)) {
            coffre_extract::Sniffed::Pdf => MediaKind::Pdf,
            coffre_extract::Sniffed::Xml => MediaKind::Xml,
            coffre_extract::Sniffed::Png => MediaKind::Png,
            coffre_extract::Sniffed::Jpeg => MediaKind::Jpeg,
            coffre_extract::Sniffed::Tiff => MediaKind::Tiff,
            coffre_extract::Sniffed::Message(coffre_extract::mail::Kind::Eml) => MediaKind::Message,
            coffre_extract::Sniffed::Message(coffre_extract::mail::Kind::Msg) => MediaKind::Outlook,
            coffre_extract::Sniffed::Other => MediaKind::Other,
        }
    }

    /// The IANA media type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaKind::Pdf => "application/pdf",
            MediaKind::Xml => "application/xml",
            MediaKind::Png => "image/png",
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Tiff => "image/tiff",
            MediaKind::Message => "message/rfc822",
            MediaKind::Outlook => "application/vnd.ms-outlook",
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
            "image/tiff" => MediaKind::Tiff,
            "message/rfc822" => MediaKind::Message,
            "application/vnd.ms-outlook" => MediaKind::Outlook,
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
        assert_eq!(MediaKind::sniff(b"%PDF-1.7\n...", "a"), Pdf);
        assert_eq!(MediaKind::sniff(b"\x89PNG\r\n\x1a\n....", "a"), Png);
        assert_eq!(MediaKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0], "a"), Jpeg);
        assert_eq!(MediaKind::sniff(b"II*\0\x08\0\0\0", "a"), Tiff);
        assert_eq!(MediaKind::sniff(b"MM\0*\0\0\0\x08", "a"), Tiff);
        assert_eq!(
            MediaKind::sniff(b"\xEF\xBB\xBF  <?xml version='1.0'?>", "a"),
            Xml
        );
        assert_eq!(MediaKind::sniff(b"<Invoice xmlns='x'/>", "a"), Xml);
        assert_eq!(MediaKind::sniff(b"hello <b>", "a"), Other);
        assert_eq!(
            MediaKind::sniff(b"From: a@b.fr\r\nSubject: x\r\n\r\nbody", "a"),
            Message
        );
        assert_eq!(MediaKind::sniff(b"", "a"), Other);
        for k in [Pdf, Xml, Png, Jpeg, Tiff, Message, Outlook, Other] {
            assert_eq!(MediaKind::from_mime(k.mime()), k);
        }
    }
}
