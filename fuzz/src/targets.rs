//! The targets: every parser of outside data, by name, each run by
//! [`crate::harness::Harness::run`], which panics on a finding. "No panic" is the baseline;
//! some targets check more ([`crate::checks`]):
//!
//! - `pdf-text`: [`coffre_extract::extract`] on a PDF, then what the vault does with the result
//!   (its JSON, the search text, the amounts of the range filters);
//! - `pdf-attachment`: [`coffre_extract::pdf::process`], then the embedded XML it found through
//!   `extract`, likewise;
//! - `xml`: `extract` on a `.xml` (UBL, CII, ZUGFeRD), likewise;
//! - `mail`: `extract` on an e-mail message (`.eml`, `.msg`), likewise, and
//!   [`coffre_extract::message_parts`], whose parts must keep to the bounds of untrusted input
//!   (count, size, names of one path component);
//! - `blob`: [`coffre_core::format::stream::BlobReader`] with a fixed key; a blob that reads through must
//!   give back one of the plaintexts written under that key, else it was not authenticated;
//! - `header`: [`coffre_core::format::vault_format::VaultHeader::read`] of a `vault.json`; an accepted
//!   header must decode its base64 fields or fail cleanly, and its own serialisation must be
//!   accepted again;
//! - `bundle`: [`coffre_core::sharing::bundle::bundle_verify`] of ZIP bytes, without and with the
//!   password; it promises `Err` only for a file it cannot open, a report for anything else;
//! - `bundle-manifest`: the same on a real bundle rebuilt around the input as `manifest.json`,
//!   signed by the key it names ([`crate::hostile`]);
//! - `backup`: [`coffre_core::backup::backup_verify`] of a real backup with one file replaced
//!   (input: the file's role on the first line, its new bytes after); a replaced signed file
//!   (manifest, signature, header, index, blob) must never verify; the role
//!   `manifest.json+sign` is a manifest signed by the key the backup names;
//! - `recovery-key`: [`coffre_core::RecoveryKey::parse`]; an accepted key must print and parse
//!   back to itself;
//! - `search-query`: [`coffre_core::vault::search::match_expression`], [`coffre_core::Vault::search`]
//!   of the text (which promises that no text is a syntax error) and with filters, and
//!   [`coffre_core::sharing::bundle::parse_period`] (input: one field per line).

/// A parser under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Plain PDFs through `extract`.
    PdfText,
    /// Embedded e-invoices through `pdf::process`.
    PdfAttachment,
    /// UBL / CII XML through `extract`.
    Xml,
    /// E-mail messages through `extract` and `message_parts`.
    Mail,
    /// The encrypted blob format.
    Blob,
    /// `vault.json`.
    Header,
    /// Accountant bundles (ZIP).
    Bundle,
    /// A bundle's manifest, in a bundle rebuilt around it and signed.
    BundleManifest,
    /// Backup folders.
    Backup,
    /// The recovery key's text form.
    RecoveryKey,
    /// Search text and filters.
    SearchQuery,
}

impl Target {
    /// Every target, in the order `all` runs them.
    pub const ALL: [Target; 11] = [
        Target::PdfText,
        Target::PdfAttachment,
        Target::Xml,
        Target::Mail,
        Target::Blob,
        Target::Header,
        Target::Bundle,
        Target::BundleManifest,
        Target::Backup,
        Target::RecoveryKey,
        Target::SearchQuery,
    ];

    /// The name used on the command line and for folders.
    pub fn name(self) -> &'static str {
        match self {
            Target::PdfText => "pdf-text",
            Target::PdfAttachment => "pdf-attachment",
            Target::Xml => "xml",
            Target::Mail => "mail",
            Target::Blob => "blob",
            Target::Header => "header",
            Target::Bundle => "bundle",
            Target::BundleManifest => "bundle-manifest",
            Target::Backup => "backup",
            Target::RecoveryKey => "recovery-key",
            Target::SearchQuery => "search-query",
        }
    }

    /// The target of that name.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Longest input worth trying: past it the parser refuses at once, or only gets slower.
    pub fn max_input_len(self) -> usize {
        match self {
            Target::RecoveryKey => 4 * 1024,
            Target::SearchQuery => 64 * 1024,
            Target::Header | Target::BundleManifest => 256 * 1024,
            Target::Blob => 1024 * 1024,
            _ => 8 * 1024 * 1024,
        }
    }

    /// Tokens worth inserting into this target's inputs.
    #[rustfmt::skip]
    pub fn dictionary(self) -> &'static [&'static [u8]] {
        match self {
            Target::PdfText | Target::PdfAttachment => &[
                b" obj ", b"endobj", b"stream\n", b"endstream", b"<<", b">>", b" 0 R", b"[", b"]",
                b"/Kids", b"/Names", b"/EmbeddedFiles", b"/Filter /FlateDecode",
                b"/Length 999999999", b"xref", b"trailer", b"startxref", b"Tj", b"TJ", b"'",
                b"\"", b"BT", b"ET", b"/Type /ObjStm", b"/Encrypt", b"(", b")", b"\\",
            ],
            Target::Xml => &[
                b"<!DOCTYPE a [<!ENTITY e \"x\">]>", b"&e;", b"&amp;", b"&#0;", b"&#x110000;",
                b"<![CDATA[", b"]]>", b"<?xml", b"?>", b"xmlns:", b"<a>", b"</a>", b"<!--", b"-->",
                b"\xef\xbb\xbf", b"encoding=\"UTF-16\"",
            ],
            Target::Header | Target::Bundle | Target::BundleManifest | Target::Backup => &[
                b"\"", b"\\u0000", b"\\ud800", b"{", b"}", b"[", b"]", b"null", b"..", b"../",
                b"/", b"\\", b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06",
            ],
            Target::Mail => &[
                b"\r\n", b"\r\n\r\n", b"From: ", b"Date: ", b"Subject: =?utf-8?B?", b"?=",
                b"Content-Type: multipart/mixed; boundary=\"b\"", b"--b\r\n", b"--b--",
                b"Content-Type: message/rfc822\r\n", b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Disposition: attachment; filename=\"../x.pdf\"", b"PK\x03\x04",
                b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", b"_\0_\0s\0u\0b\0s\0t\0g\0",
            ],
            Target::RecoveryKey => &[b"-", b" ", b"0", b"1", b"8", b"=", b"\xc3\xa9"],
            Target::SearchQuery => &[
                b"\"", b"*", b"OR", b"NOT", b"NEAR(", b"(", b")", b":", b"^", b"-", b"\n",
                b"1 234,56", b"\xc2\xa0", b"\xe2\x80\xaf", b"\xc3\xa9", b"2026-", b"Q3", b"..",
            ],
            Target::Blob => &[b"COFFREB\x01"],
        }
    }
}

/// Roles of the files of a backup (see [`coffre_core::backup`]), and whether a signature
/// covers their bytes.
pub const BACKUP_ROLES: [(&str, bool); 8] = [
    ("coffre-backup.json", false),
    ("vault.json", true),
    ("index.db", true),
    ("manifest.json", true),
    ("manifest.sig", true),
    ("blob-0", true),
    ("blob-1", true),
    ("manifest.json+sign", false),
];
