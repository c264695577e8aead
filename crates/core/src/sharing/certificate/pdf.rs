//! The certificate as a PDF: its signed text laid out on A4 pages, and the text, signature and
//! public key attached as files (`certificate.txt`, `certificate.sig`, `signer.pem`).
//!
//! Promises: [`render`] is deterministic, a pure function of the text, the signature and the
//! key (no date, no random id, nothing compressed), so a verifier renders again what it reads
//! and compares the bytes: a certificate whose pages, fonts or attachments were changed in any
//! way is not the one signed. [`attachments`] finds the three attached parts in a file without
//! parsing it as a PDF (an untrusted certificate is never handed to a PDF parser): it looks for
//! the streams [`render`] marks, reads exactly their stated length, and returns every
//! candidate; only one that renders back to the same bytes counts.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, StringFormat, dictionary};

use crate::{Error, Result};

/// Characters per line; longer lines wrap (Courier 9 pt: 90 characters fill 486 of the 495
/// points between the margins).
const WIDTH: usize = 90;
/// Lines per page.
const LINES: usize = 60;
/// Most candidates of one attached part that [`attachments`] returns.
const MAX_CANDIDATES: usize = 4;
/// The DER prefix of an Ed25519 public key (SubjectPublicKeyInfo, RFC 8410).
const ED25519_SPKI: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The three attached parts of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The signed text (`certificate.txt`).
    pub text: Vec<u8>,
    /// The Ed25519 signature of the text (`certificate.sig`, 64 bytes).
    pub signature: Vec<u8>,
    /// The signer's public key as PEM (`signer.pem`).
    pub key_pem: Vec<u8>,
}

/// A public key (32 bytes) as PEM (SubjectPublicKeyInfo), as `openssl pkey -pubin` reads it.
pub fn public_key_pem(public_key: &[u8]) -> String {
    let mut der = ED25519_SPKI.to_vec();
    der.extend_from_slice(public_key);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        data_encoding::BASE64.encode(&der)
    )
}

/// The 32-byte Ed25519 key of a PEM written by [`public_key_pem`], if it is one.
pub fn public_key_of_pem(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let body = text
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")?
        .strip_suffix("-----END PUBLIC KEY-----")?;
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = data_encoding::BASE64.decode(body.as_bytes()).ok()?;
    der.strip_prefix(&ED25519_SPKI)
        .filter(|k| k.len() == 32)
        .map(<[u8]>::to_vec)
}

/// A character in the PDF's WinAnsiEncoding (the encoding of the standard fonts), `?` when it
/// has none.
fn win_ansi(c: char) -> u8 {
    let code = c as u32;
    match c {
        _ if c.is_control() => b' ',
        _ if code < 0x80 => code as u8,
        _ if (0xA0..=0xFF).contains(&code) => code as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// How a line is set: the title, a heading, or body text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Title,
    Heading,
    Body,
}

/// The text's lines wrapped at [`WIDTH`] characters (at a space when there is one; a
/// continuation is indented two more than its line), each with its style: the first line is
/// the title, a line that starts at the margin after an empty line a heading.
fn lay_out(text: &str) -> Vec<(Style, String)> {
    let mut out = Vec::new();
    let mut after_blank = false;
    for (i, line) in text.lines().enumerate() {
        let style = if i == 0 {
            Style::Title
        } else if after_blank && !line.starts_with(' ') && !line.is_empty() {
            Style::Heading
        } else {
            Style::Body
        };
        after_blank = line.is_empty();
        let indent = line.len() - line.trim_start_matches(' ').len() + 2;
        let mut rest: Vec<char> = line.chars().collect();
        let mut first = true;
        loop {
            let room = if first { WIDTH } else { WIDTH - indent };
            let cut = if rest.len() <= room {
                rest.len()
            } else {
                rest[..=room]
                    .iter()
                    .rposition(|c| *c == ' ')
                    .filter(|p| *p > 0)
                    .unwrap_or(room)
            };
            let margin = if first { 0 } else { indent };
            let piece: String = rest[..cut].iter().collect();
            out.push((style, format!("{}{piece}", " ".repeat(margin))));
            if cut == rest.len() {
                break;
            }
            let skip = if rest[cut] == ' ' { cut + 1 } else { cut };
            rest.drain(..skip);
            first = false;
        }
    }
    out
}

fn page_content(lines: &[(Style, String)], page: usize, pages: usize) -> Result<Vec<u8>> {
    let op = Operation::new;
    let mut ops = vec![
        op("BT", vec![]),
        op("TL", vec![12.into()]),
        op("Td", vec![50.into(), 800.into()]),
    ];
    let mut font: Option<Style> = None;
    for (style, line) in lines {
        if font != Some(*style) {
            let (name, size) = match style {
                Style::Title => ("F3", 13),
                Style::Heading => ("F2", 9),
                Style::Body => ("F1", 9),
            };
            ops.push(op("Tf", vec![Object::Name(name.into()), size.into()]));
            font = Some(*style);
        }
        let bytes: Vec<u8> = line.chars().map(win_ansi).collect();
        ops.push(op("Tj", vec![Object::String(bytes, StringFormat::Literal)]));
        ops.push(op("T*", vec![]));
    }
    ops.push(op("ET", vec![]));
    let number = format!("{} / {}", page + 1, pages);
    ops.extend([
        op("BT", vec![]),
        op("Tf", vec![Object::Name(b"F1".to_vec()), 8.into()]),
        op("Td", vec![500.into(), 30.into()]),
        op(
            "Tj",
            vec![Object::String(number.into_bytes(), StringFormat::Literal)],
        ),
        op("ET", vec![]),
    ]);
    Content { operations: ops }.encode().map_err(pdf_error)
}

/// lopdf fails here only as the writer of a `Vec` can: not at all, in practice.
fn pdf_error(e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: None,
        source: std::io::Error::other(format!("writing the certificate: {e}")),
    }
}

fn font(base: &str) -> Dictionary {
    dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => Object::Name(base.as_bytes().to_vec()),
        "Encoding" => "WinAnsiEncoding",
    }
}

/// The certificate's PDF.
pub fn render(text: &str, signature: &[u8], public_key_pem: &str) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let fonts = dictionary! {
        "F1" => doc.add_object(font("Courier")),
        "F2" => doc.add_object(font("Courier-Bold")),
        "F3" => doc.add_object(font("Helvetica-Bold")),
    };
    let resources = doc.add_object(dictionary! { "Font" => fonts });
    let lines = lay_out(text);
    let chunks: Vec<&[(Style, String)]> = lines.chunks(LINES).collect();
    let mut kids = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let content = page_content(chunk, i, chunks.len())?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => resources,
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let mut names = Vec::new();
    for (name, part, subtype, bytes) in [
        ("certificate.txt", "text", "text/plain", text.as_bytes()),
        (
            "certificate.sig",
            "sig",
            "application/octet-stream",
            signature,
        ),
        (
            "signer.pem",
            "key",
            "application/x-pem-file",
            public_key_pem.as_bytes(),
        ),
    ] {
        // `CoffrePart` right before the `Length` that `Stream::new` adds: what `attachments`
        // looks for.
        let dict = dictionary! {
            "Type" => "EmbeddedFile",
            "Subtype" => Object::Name(subtype.as_bytes().to_vec()),
            "Params" => dictionary! { "Size" => bytes.len() as i64 },
            "CoffrePart" => Object::Name(part.as_bytes().to_vec()),
        };
        let stream = doc.add_object(Stream::new(dict, bytes.to_vec()).with_compression(false));
        let spec = doc.add_object(dictionary! {
            "Type" => "Filespec",
            "F" => Object::string_literal(name),
            "UF" => Object::string_literal(name),
            "EF" => dictionary! { "F" => stream },
        });
        names.push(Object::string_literal(name));
        names.push(Object::Reference(spec));
    }
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "Names" => dictionary! { "EmbeddedFiles" => dictionary! { "Names" => names } },
    });
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal("Coffre integrity certificate"),
        "Producer" => Object::string_literal("Coffre"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(pdf_error)?;
    Ok(out)
}

/// Every set of attached parts found in `bytes` (at most [`MAX_CANDIDATES`] of each part, so at
/// most 64 sets), without parsing the file as a PDF.
pub fn attachments(bytes: &[u8]) -> Vec<Attached> {
    let marker =
        regex::bytes::Regex::new(r"(?-u)/CoffrePart/(text|sig|key)/Length (\d{1,9})>>stream\n")
            .expect("a valid pattern");
    let mut found: [Vec<Vec<u8>>; 3] = Default::default();
    for m in marker.captures_iter(bytes) {
        let slot = match &m[1] {
            b"text" => 0,
            b"sig" => 1,
            _ => 2,
        };
        let Some(len) = std::str::from_utf8(&m[2])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            continue;
        };
        let start = m.get(0).map_or(0, |g| g.end());
        let Some(content) = bytes.get(start..start.saturating_add(len)) else {
            continue;
        };
        if found[slot].len() < MAX_CANDIDATES {
            found[slot].push(content.to_vec());
        }
    }
    let mut out = Vec::new();
    for text in &found[0] {
        for signature in &found[1] {
            for key_pem in &found[2] {
                out.push(Attached {
                    text: text.clone(),
                    signature: signature.clone(),
                    key_pem: key_pem.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_is_deterministic_and_its_parts_are_found() {
        let text = "Title\nline (with) \\ parens — intègre €\n\nHeading\n  body\n";
        let pem = public_key_pem(&[7u8; 32]);
        let a = render(text, &[1u8; 64], &pem).unwrap();
        let b = render(text, &[1u8; 64], &pem).unwrap();
        assert_eq!(a, b);
        let found = attachments(&a);
        assert_eq!(
            found,
            vec![Attached {
                text: text.as_bytes().to_vec(),
                signature: vec![1u8; 64],
                key_pem: pem.as_bytes().to_vec(),
            }]
        );
        assert_eq!(public_key_of_pem(pem.as_bytes()), Some(vec![7u8; 32]));
    }

    #[test]
    fn long_lines_wrap_and_pages_fill() {
        let long = format!("Title\n  {}", "word ".repeat(60));
        let lines = lay_out(&long);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|(_, l)| l.chars().count() <= WIDTH));
        assert!(lines[2].1.starts_with("    "));
        let unbroken = format!("Title\n{}", "x".repeat(200));
        assert_eq!(lay_out(&unbroken).len(), 4);
        let many: String = (0..130).map(|i| format!("line {i}\n")).collect();
        let pdf = render(&many, &[0u8; 64], &public_key_pem(&[0u8; 32])).unwrap();
        let pages = regex::bytes::Regex::new(r"/Type/Page[^s]").unwrap();
        assert_eq!(pages.find_iter(&pdf).count(), 3);
    }

    #[test]
    fn characters_outside_the_encoding_are_marked() {
        assert_eq!(win_ansi('é'), 0xE9);
        assert_eq!(win_ansi('—'), 0x97);
        assert_eq!(win_ansi('Ł'), b'?');
        assert_eq!(win_ansi('\u{7}'), b' ');
    }
}
