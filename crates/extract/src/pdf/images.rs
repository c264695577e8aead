//! The page images of a scanned PDF: for each page, the largest JPEG image it draws (a scanner
//! or `img2pdf` writes one per page), as the JPEG file it is (a `DCTDecode` stream's bytes are
//! a complete JPEG: nothing is decoded here).
//!
//! Promises: at most `max_pages` pages and `max_bytes` bytes of images in all; only what a
//! page's own resources name (no `Do` is followed into forms); a page without a JPEG image gives
//! nothing (other encodings would need a decoder: left for later).

use lopdf::{Dictionary, Document, Object};

/// The largest JPEG image of each of the first `max_pages` pages, up to `max_bytes` in all.
pub fn page_jpegs(doc: &Document, max_pages: usize, max_bytes: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for (_, page) in doc.get_pages().into_iter().take(max_pages) {
        let Ok((direct, referenced)) = doc.get_page_resources(page) else {
            continue;
        };
        let mut dicts: Vec<&Dictionary> = direct.into_iter().collect();
        dicts.extend(
            referenced
                .iter()
                .filter_map(|id| doc.get_dictionary(*id).ok()),
        );
        let best = dicts
            .iter()
            .filter_map(|res| xobjects(doc, res))
            .flat_map(|x| x.iter().map(|(_, v)| v).collect::<Vec<_>>())
            .filter_map(|v| jpeg_of(doc, v))
            .max_by_key(|b| b.len());
        if let Some(jpeg) = best {
            if total + jpeg.len() > max_bytes {
                break;
            }
            total += jpeg.len();
            out.push(jpeg.to_vec());
        }
    }
    out
}

fn xobjects<'a>(doc: &'a Document, resources: &'a Dictionary) -> Option<&'a Dictionary> {
    match resources.get(b"XObject").ok()? {
        Object::Dictionary(d) => Some(d),
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        _ => None,
    }
}

/// The bytes of an image XObject encoded with `DCTDecode` alone.
fn jpeg_of<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a [u8]> {
    let stream = match o {
        Object::Reference(id) => doc.get_object(*id).ok()?.as_stream().ok()?,
        Object::Stream(s) => s,
        _ => return None,
    };
    let is_image = stream
        .dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|n| n == b"Image");
    let dct = match stream.dict.get(b"Filter") {
        Ok(Object::Name(n)) => n == b"DCTDecode",
        Ok(Object::Array(a)) => a.len() == 1 && a[0].as_name().is_ok_and(|n| n == b"DCTDecode"),
        _ => false,
    };
    (is_image && dct && stream.content.starts_with(&[0xFF, 0xD8])).then_some(&stream.content)
}
