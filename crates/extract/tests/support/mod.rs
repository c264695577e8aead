//! Test support: fixtures, the public corpus location, and PDF builders written with lopdf.
#![allow(dead_code)]

pub mod invoices;
pub mod labels;

use std::path::PathBuf;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, StringFormat, dictionary};

/// Bytes of a fixture in tests/fixtures.
pub fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// Asserts that `e` is flagged for review with an issue that contains `needle`.
pub fn assert_flagged(e: &coffre_extract::Extraction, needle: &str) {
    assert!(e.needs_review, "not flagged for review: {:?}", e.issues);
    assert!(
        e.issues.iter().any(|i| i.contains(needle)),
        "no issue with {needle:?}: {:?}",
        e.issues
    );
}

/// The public EN 16931 corpus, when present next to the workspace.
pub fn corpus_dir() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/en16931");
    p.is_dir().then_some(p)
}

/// The third-party extraction corpus (real invoices with independent truth, see its
/// `SOURCES.md`), when present next to the workspace.
pub fn third_party_dir() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party");
    p.join("truth.jsonl").is_file().then_some(p)
}

/// Encodes text in WinAnsiEncoding (what a Type1 Helvetica with /WinAnsiEncoding shows).
pub fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '’' => 0x92,
            '–' => 0x96,
            '\u{202f}' => 0xA0,
            c if (c as u32) < 256 => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// How the text of a page is written in its content stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpStyle {
    /// `Td` to each line, then `Tj`.
    TdTj,
    /// `Tm` for each line, `TJ` arrays with kerning.
    TmTJ,
    /// `TL` leading, lines shown with the `'` operator (as Ghostscript writes).
    Quote,
    /// `TL` leading, lines shown with the `"` operator.
    DoubleQuote,
}

/// One piece of text at a position (points from the bottom left).
#[derive(Debug, Clone)]
pub struct Placed {
    pub x: f32,
    pub y: f32,
    pub text: String,
}

fn font_resources(doc: &mut Document) -> lopdf::ObjectId {
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } })
}

fn content_ops(items: &[Placed], style: OpStyle) -> Vec<Operation> {
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 10.into()]),
    ];
    let lit = |s: &str| Object::String(win_ansi(s), StringFormat::Literal);
    match style {
        OpStyle::TdTj => {
            let (mut cx, mut cy) = (0.0f32, 0.0f32);
            for it in items {
                ops.push(Operation::new(
                    "Td",
                    vec![(it.x - cx).into(), (it.y - cy).into()],
                ));
                ops.push(Operation::new("Tj", vec![lit(&it.text)]));
                cx = it.x;
                cy = it.y;
            }
        }
        OpStyle::TmTJ => {
            for it in items {
                ops.push(Operation::new(
                    "Tm",
                    vec![
                        1.into(),
                        0.into(),
                        0.into(),
                        1.into(),
                        it.x.into(),
                        it.y.into(),
                    ],
                ));
                let words: Vec<&str> = it.text.split(' ').collect();
                let mut arr = Vec::new();
                for (i, w) in words.iter().enumerate() {
                    let s = if i + 1 < words.len() {
                        format!("{w} ")
                    } else {
                        (*w).to_string()
                    };
                    arr.push(lit(&s));
                    arr.push(Object::Integer(-10));
                }
                ops.push(Operation::new("TJ", vec![Object::Array(arr)]));
            }
        }
        OpStyle::Quote | OpStyle::DoubleQuote => {
            // The first piece of each line is shown with ' or " from the line above (the text
            // line matrix is set there first); other pieces on a line use Tm + Tj.
            ops.push(Operation::new("TL", vec![14.into()]));
            for it in items {
                let first_on_line = (it.x - line_start_x(items, it)).abs() < 0.01;
                let tm = |x: f32, y: f32| {
                    Operation::new(
                        "Tm",
                        vec![1.into(), 0.into(), 0.into(), 1.into(), x.into(), y.into()],
                    )
                };
                if first_on_line {
                    ops.push(tm(it.x, it.y + 14.0));
                    if style == OpStyle::Quote {
                        ops.push(Operation::new("'", vec![lit(&it.text)]));
                    } else {
                        ops.push(Operation::new(
                            "\"",
                            vec![0.into(), 0.into(), lit(&it.text)],
                        ));
                    }
                } else {
                    ops.push(tm(it.x, it.y));
                    ops.push(Operation::new("Tj", vec![lit(&it.text)]));
                }
            }
        }
    }
    ops.push(Operation::new("ET", vec![]));
    ops
}

fn line_start_x(items: &[Placed], it: &Placed) -> f32 {
    items
        .iter()
        .filter(|o| (o.y - it.y).abs() < 0.01)
        .map(|o| o.x)
        .fold(f32::INFINITY, f32::min)
}

/// Builds a PDF document with one page per item list.
pub fn build_doc(pages: &[Vec<Placed>], style: OpStyle) -> Document {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let resources_id = font_resources(&mut doc);
    let mut kids = Vec::new();
    for items in pages {
        let content = Content {
            operations: content_ops(items, style),
        };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("encode"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(Object::Reference(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc
}

/// Serialises a document.
pub fn save(doc: &mut Document) -> Vec<u8> {
    let mut buf = Vec::new();
    doc.save_to(&mut buf).expect("save");
    buf
}

/// A one-page PDF with plain lines of text (top to bottom, left margin 50).
pub fn simple_pdf(lines: &[&str], style: OpStyle) -> Vec<u8> {
    let items: Vec<Placed> = lines
        .iter()
        .enumerate()
        .map(|(i, t)| Placed {
            x: 50.0,
            y: 800.0 - 14.0 * i as f32,
            text: (*t).to_string(),
        })
        .collect();
    save(&mut build_doc(&[items], style))
}

/// How an attachment is referenced from the catalog.
#[derive(Debug, Clone, Copy)]
pub struct AttachOpts {
    pub name_tree: bool,
    pub af: bool,
    pub compress: bool,
    /// Declared XMP conformance level.
    pub xmp_level: Option<&'static str>,
}

/// A one-page PDF carrying `xml` as an embedded file named `name`.
pub fn facturx_pdf(xml: &[u8], name: &str, opts: AttachOpts) -> Vec<u8> {
    let mut doc = build_doc(
        &[vec![Placed {
            x: 50.0,
            y: 800.0,
            text: "Facture (voir XML joint)".into(),
        }]],
        OpStyle::TdTj,
    );
    let mut stream = Stream::new(
        dictionary! { "Type" => "EmbeddedFile", "Subtype" => "text/xml" },
        xml.to_vec(),
    );
    if opts.compress {
        stream.compress().expect("compress");
    }
    let ef_id = doc.add_object(stream);
    let fs: Dictionary = dictionary! {
        "Type" => "Filespec",
        "F" => Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        "UF" => Object::String(name.as_bytes().to_vec(), StringFormat::Literal),
        "AFRelationship" => "Data",
        "EF" => dictionary! { "F" => ef_id, "UF" => ef_id },
    };
    let fs_id = doc.add_object(fs);
    let catalog_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .expect("root");
    let mut extra: Vec<(&str, Object)> = Vec::new();
    if opts.name_tree {
        let tree = dictionary! {
            "Names" => vec![Object::String(name.as_bytes().to_vec(), StringFormat::Literal), fs_id.into()],
        };
        let tree_id = doc.add_object(tree);
        extra.push((
            "Names",
            Object::Dictionary(dictionary! { "EmbeddedFiles" => tree_id }),
        ));
    }
    if opts.af {
        extra.push(("AF", Object::Array(vec![fs_id.into()])));
    }
    if let Some(level) = opts.xmp_level {
        let xmp = format!(
            r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>{name}</fx:DocumentFileName><fx:Version>1.0</fx:Version><fx:ConformanceLevel>{level}</fx:ConformanceLevel></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#
        );
        let meta_id = doc.add_object(Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            xmp.into_bytes(),
        ));
        extra.push(("Metadata", meta_id.into()));
    }
    if let Ok(Object::Dictionary(cat)) = doc.get_object_mut(catalog_id) {
        for (k, v) in extra {
            cat.set(k, v);
        }
    }
    save(&mut doc)
}
