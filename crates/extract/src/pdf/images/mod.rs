//! The page images of a scanned PDF, for OCR: for each page, the largest image (by pixels) that
//! the page's own resources name. A JPEG (`DCTDecode`) is returned as the file it is (a scanner
//! or `img2pdf` writes one per page); `FlateDecode` (with PNG or TIFF predictors), uncompressed
//! and `CCITTFaxDecode` (Group 4, Group 3 one-dimensional) images in grey, RGB, CMYK, ICC-based
//! or indexed colour are decoded to 8-bit grey. Each image comes with its resolution, estimated
//! from the page's MediaBox as if the image covered the page.
//!
//! This module walks the pages, reads each image's dictionary, chooses the image of a page and
//! keeps to the limits; `raster` turns samples grey (Flate, predictors, colour spaces, bit
//! depths) and `ccitt` decodes fax images to samples.
//!
//! Promises (the input is untrusted): an image declaring more than [`MAX_PIXELS`] pixels, or
//! rows longer than 1 MiB, is refused before anything of it is decompressed; decompression
//! never reads more than the declared rows need, and an image's pixels are reserved once, at
//! its declared size, within the byte budget; at most `max_pages` pages, 4 decoding attempts per page and `max_bytes` bytes of
//! images (JPEG bytes plus grey pixels) in all; a truncated or corrupt stream gives an image
//! padded with white after its last good row, or nothing; no `Do` is followed into forms;
//! never panics (the CCITT decoder, third-party code, also runs inside `catch_unwind`, and a
//! corrupt Group 4 row ends the decoding before it can slow the decoder). Other encodings
//! (JBIG2, JPEG 2000, LZW, filter chains) and colour spaces (Separation, DeviceN, Lab) give
//! nothing for that image: [`unsupported_images`] says which and why.

mod ccitt;
mod raster;

use std::cmp::Reverse;
use std::io::{Cursor, Read};

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::ocr::MAX_PIXELS;
use ccitt::{FaxParams, fax_bits, fax_params};
use raster::{Colour, Predictor, Samples, colour, predictor, row_bytes};

/// Longest row of samples decoded (1 MiB: 40 000 pixels of 16-bit CMYK); rows are buffered.
const MAX_ROW_BYTES: usize = 1 << 20;

/// Images tried per page, largest first, until one decodes.
const MAX_TRIES_PER_PAGE: usize = 4;

/// A value, or why the image is not used.
type Found<T> = Result<T, String>;

/// One page's image, for OCR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    /// Its page's number, from 1 (a file of one image: 1).
    pub page: usize,
    /// The pixels.
    pub data: ImageData,
    /// Resolution in dots per inch, when known (from the page's size for a PDF page).
    pub dpi: Option<u32>,
}

/// An image's pixels: a file as it is, or decoded 8-bit grey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageData {
    /// A complete image file (JPEG, PNG, TIFF) as it was found.
    Encoded(Vec<u8>),
    /// Decoded 8-bit grey pixels, row by row, 0 black.
    Gray {
        /// Pixels per row.
        width: u32,
        /// Rows.
        height: u32,
        /// `width * height` bytes.
        pixels: Vec<u8>,
    },
}

/// The largest usable image of a page (`page`, numbered `number`), trying at most
/// [`MAX_TRIES_PER_PAGE`] images, largest first, and skipping those that would take more than
/// `max_bytes` (JPEG bytes or grey pixels); `None` when none decodes.
pub fn page_image(
    doc: &Document,
    page: ObjectId,
    number: usize,
    max_bytes: usize,
) -> Option<PageImage> {
    let mut images: Vec<Image> = page_xobjects(doc, page)
        .into_iter()
        .filter_map(|(_, image)| image.ok())
        .filter(|image| image.output_bytes() <= max_bytes)
        .collect();
    images.sort_by_key(|i| Reverse(i.pixels()));
    let size = page_size(doc, page);
    images
        .into_iter()
        .take(MAX_TRIES_PER_PAGE)
        .find_map(|image| {
            Some(PageImage {
                page: number,
                data: image.decode()?,
                dpi: dpi(image.width, image.height, size),
            })
        })
}

/// Whether a page holds an image that looks like the scan of a page: one with at least as many
/// pixels as the page at 90 dpi (encoded in any way, usable or not). A logo or a signature
/// does not; a scanner's page, a fax or a photo pasted over the page does.
pub fn scan_like(doc: &Document, page: ObjectId) -> bool {
    let Some((w, h)) = page_size(doc, page) else {
        return false;
    };
    let page_pixels = (w / 72.0 * 90.0) * (h / 72.0 * 90.0);
    declared_sizes(doc, page)
        .into_iter()
        .any(|(iw, ih)| f64::from(iw) * f64::from(ih) >= page_pixels)
}

/// Why each image of these pages (number, page) cannot be used, as "page N, image /Name: why"
/// (an unsupported encoding or colour space, a refused size...). Nothing is decompressed.
pub fn unsupported_images(doc: &Document, pages: &[(usize, ObjectId)]) -> Vec<String> {
    let mut out = Vec::new();
    for (number, page) in pages {
        for (name, image) in page_xobjects(doc, *page) {
            if let Err(why) = image {
                out.push(format!("page {number}, image /{}: {why}", lossy(&name)));
            }
        }
    }
    out
}

/// An image XObject that can be decoded, with its declared size.
struct Image<'a> {
    stream: &'a Stream,
    width: u32,
    height: u32,
    codec: Codec,
}

enum Codec {
    /// The stream is a JPEG file.
    Jpeg,
    /// Samples, compressed with `Filter`.
    Samples(Filter, Samples),
}

enum Filter {
    Raw,
    Flate(Predictor),
    Fax(FaxParams),
}

/// The image XObjects named in a page's own resources (name, stream), with the resources.
fn image_streams(doc: &Document, page: ObjectId) -> (Vec<&Dictionary>, Vec<(Vec<u8>, &Stream)>) {
    let Ok((direct, referenced)) = doc.get_page_resources(page) else {
        return (Vec::new(), Vec::new());
    };
    let mut resources: Vec<&Dictionary> = direct.into_iter().collect();
    resources.extend(
        referenced
            .iter()
            .filter_map(|id| doc.get_dictionary(*id).ok()),
    );
    let mut out = Vec::new();
    for res in &resources {
        let Some(xobjects) = dict_at(doc, res, b"XObject") else {
            continue;
        };
        for (name, value) in xobjects.iter() {
            let Ok(stream) = resolve(doc, value).as_stream() else {
                continue;
            };
            let subtype = get(doc, &stream.dict, b"Subtype").and_then(|o| o.as_name().ok());
            if subtype == Some(b"Image".as_slice()) {
                out.push((name.clone(), stream));
            }
        }
    }
    (resources, out)
}

/// The image XObjects named in a page's own resources, each parsed or with why it is unusable.
fn page_xobjects(doc: &Document, page: ObjectId) -> Vec<(Vec<u8>, Found<Image<'_>>)> {
    let (resources, streams) = image_streams(doc, page);
    streams
        .into_iter()
        .map(|(name, stream)| (name, Image::parse(doc, stream, &resources)))
        .collect()
}

/// The width and height each image of a page declares.
fn declared_sizes(doc: &Document, page: ObjectId) -> Vec<(u32, u32)> {
    let size =
        |dict: &Dictionary, key: &[u8]| int(doc, dict, key).and_then(|v| u32::try_from(v).ok());
    image_streams(doc, page)
        .1
        .into_iter()
        .filter_map(|(_, stream)| {
            Some((
                size(&stream.dict, b"Width")?,
                size(&stream.dict, b"Height")?,
            ))
        })
        .collect()
}

impl<'a> Image<'a> {
    /// Reads an image's dictionary (nothing is decompressed but an `/Indexed` lookup table).
    fn parse(doc: &'a Document, stream: &'a Stream, res: &[&Dictionary]) -> Found<Self> {
        let dict = &stream.dict;
        let size = |key: &[u8]| {
            int(doc, dict, key)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
        };
        let (Some(width), Some(height)) = (size(b"Width"), size(b"Height")) else {
            return Err("no valid /Width and /Height".into());
        };
        if u64::from(width) * u64::from(height) > MAX_PIXELS {
            return Err(format!(
                "{width} x {height} pixels declared, more than {MAX_PIXELS}: refused"
            ));
        }
        let (filter, params) = filter_of(doc, dict)?;
        let image = |codec| Image {
            stream,
            width,
            height,
            codec,
        };
        let fax = match filter {
            None | Some(b"FlateDecode") => false,
            Some(b"CCITTFaxDecode") => true,
            Some(b"DCTDecode") if stream.content.starts_with(&[0xFF, 0xD8]) => {
                return Ok(image(Codec::Jpeg));
            }
            Some(b"DCTDecode") => return Err("a DCTDecode stream that is not a JPEG file".into()),
            Some(other) => return Err(format!("{} images are not decoded", lossy(other))),
        };
        let mask = get(doc, dict, b"ImageMask").and_then(|o| o.as_bool().ok()) == Some(true);
        let bpc = match int(doc, dict, b"BitsPerComponent") {
            _ if mask => 1,
            Some(b @ (1 | 2 | 4 | 8 | 16)) => b as u8,
            None if fax => 1,
            other => return Err(format!("{other:?} bits per component")),
        };
        let colour = match get(doc, dict, b"ColorSpace") {
            _ if mask => Colour::Gray,
            Some(cs) => colour(doc, cs, res, 0)?,
            None if fax => Colour::Gray,
            None => return Err("no /ColorSpace".into()),
        };
        if matches!(colour, Colour::Palette(_)) && bpc == 16 {
            return Err("an indexed image with 16 bits per component".into());
        }
        let row = row_bytes(width, colour.components(), bpc).unwrap_or(usize::MAX);
        if row > MAX_ROW_BYTES {
            return Err(format!("rows of {row} bytes, more than {MAX_ROW_BYTES}"));
        }
        let filter = if fax {
            if bpc != 1 || colour.components() != 1 {
                return Err("a CCITT image that is not one bit per pixel".into());
            }
            Filter::Fax(fax_params(doc, params, width)?)
        } else if filter.is_some() {
            Filter::Flate(predictor(doc, params, colour.components(), bpc, width)?)
        } else {
            Filter::Raw
        };
        let invert = !matches!(colour, Colour::Palette(_)) && decode_inverts(doc, dict);
        Ok(image(Codec::Samples(
            filter,
            Samples {
                bpc,
                colour,
                invert,
            },
        )))
    }

    fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// What the image adds to the byte budget: the JPEG's bytes, or a byte per grey pixel.
    fn output_bytes(&self) -> usize {
        match self.codec {
            Codec::Jpeg => self.stream.content.len(),
            Codec::Samples(..) => usize::try_from(self.pixels()).unwrap_or(usize::MAX),
        }
    }

    /// The image's data; `None` when not one row of it decodes.
    fn decode(&self) -> Option<ImageData> {
        let (filter, samples) = match &self.codec {
            Codec::Jpeg => return Some(ImageData::Encoded(self.stream.content.clone())),
            Codec::Samples(filter, samples) => (filter, samples),
        };
        let (w, h) = (
            usize::try_from(self.width).ok()?,
            usize::try_from(self.height).ok()?,
        );
        let row_bytes = row_bytes(self.width, samples.colour.components(), samples.bpc)?;
        let content = self.stream.content.as_slice();
        let (input, predictor): (Box<dyn Read + '_>, Predictor) = match filter {
            Filter::Raw => (Box::new(content), Predictor::None),
            Filter::Flate(predictor) => (
                Box::new(raster::inflated(content, *predictor, row_bytes, h)?),
                *predictor,
            ),
            Filter::Fax(params) => {
                let bits = fax_bits(content, params, self.height)?;
                (Box::new(Cursor::new(bits)), Predictor::None)
            }
        };
        let pixels = samples.to_gray(input, predictor, w, h, row_bytes)?;
        Some(ImageData::Gray {
            width: self.width,
            height: self.height,
            pixels,
        })
    }
}

/// The stream's only filter and its parameters (`None` when unfiltered); a chain is refused.
fn filter_of<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
) -> Found<(Option<&'a [u8]>, Option<&'a Dictionary>)> {
    let name = match get(doc, dict, b"Filter") {
        None | Some(Object::Null) => None,
        Some(Object::Name(n)) => Some(n.as_slice()),
        Some(Object::Array(a)) => match a.as_slice() {
            [] => None,
            [one] => Some(resolve(doc, one).as_name().map_err(|_| "a bad /Filter")?),
            _ => return Err("a chain of filters".into()),
        },
        Some(_) => return Err("a bad /Filter".into()),
    };
    let params = match get(doc, dict, b"DecodeParms") {
        Some(Object::Dictionary(d)) => Some(d),
        Some(Object::Array(a)) => a.first().and_then(|o| resolve(doc, o).as_dict().ok()),
        _ => None,
    };
    Ok((name, params))
}

/// The page's size in points (MediaBox, inherited through the page tree, times /UserUnit).
fn page_size(doc: &Document, page: ObjectId) -> Option<(f64, f64)> {
    let page_dict = doc.get_dictionary(page).ok()?;
    let unit = get(doc, page_dict, b"UserUnit")
        .and_then(|o| o.as_float().ok())
        .map_or(1.0, f64::from);
    let mut node = page_dict;
    for _ in 0..32 {
        if let Some(Object::Array(b)) = get(doc, node, b"MediaBox") {
            let v: Vec<f64> = b
                .iter()
                .filter_map(|o| resolve(doc, o).as_float().ok())
                .map(f64::from)
                .collect();
            let [x1, y1, x2, y2] = v.as_slice() else {
                return None;
            };
            let (w, h) = ((x2 - x1).abs() * unit, (y2 - y1).abs() * unit);
            return (w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0).then_some((w, h));
        }
        node = dict_at(doc, node, b"Parent")?;
    }
    None
}

/// Dots per inch of a `width` x `height` image taken as covering the page; `None` when the
/// page size is unknown or the result absurd (below 50 or above 1200).
fn dpi(width: u32, height: u32, page: Option<(f64, f64)>) -> Option<u32> {
    let (pw, ph) = page?;
    let (w, h) = (f64::from(width), f64::from(height));
    let close = |a: f64, b: f64| (a / b - 1.0).abs() < 0.1;
    let estimate = if close(w / h, pw / ph) {
        w * 72.0 / pw
    } else if close(w / h, ph / pw) {
        // Drawn a quarter turn round.
        w * 72.0 / ph
    } else {
        (w * 72.0 / pw).max(h * 72.0 / ph)
    };
    let dpi = estimate.round();
    (50.0..=1200.0).contains(&dpi).then_some(dpi as u32)
}

fn resolve<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    doc.dereference(o).map_or(o, |(_, o)| o)
}

fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    dict.get(key).ok().map(|o| resolve(doc, o))
}

fn dict_at<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    get(doc, dict, key)?.as_dict().ok()
}

fn int(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<i64> {
    get(doc, dict, key)?.as_i64().ok()
}

/// Whether `/Decode` maps the first component from 1 down to 0.
fn decode_inverts(doc: &Document, dict: &Dictionary) -> bool {
    let Some(Object::Array(a)) = get(doc, dict, b"Decode") else {
        return false;
    };
    let at = |i: usize| a.get(i).and_then(|o| resolve(doc, o).as_float().ok());
    matches!((at(0), at(1)), (Some(lo), Some(hi)) if lo > hi)
}

fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use lopdf::dictionary;

    use super::*;

    pub(super) fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// An image XObject of `width` x `height` with `entries` and `content`.
    pub(super) fn image(width: i64, height: i64, entries: Dictionary, content: Vec<u8>) -> Stream {
        let mut dict = dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => width, "Height" => height,
        };
        dict.extend(&entries);
        Stream::new(dict, content)
    }

    pub(super) fn flate_gray(width: i64, height: i64, pixels: &[u8]) -> Stream {
        let entries = dictionary! {
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        };
        image(width, height, entries, zlib(pixels))
    }

    /// Adds a page tree (A4 MediaBox on the root, inherited) whose pages each name `pages[i]`'s
    /// images as /Im0, /Im1... with `resources` beside them. Returns the page ids.
    pub(super) fn add_pages(
        doc: &mut Document,
        pages: Vec<Vec<Stream>>,
        resources: &Dictionary,
    ) -> Vec<ObjectId> {
        let root = doc.new_object_id();
        let mut ids = Vec::new();
        for images in pages {
            let mut xobjects = Dictionary::new();
            for (i, s) in images.into_iter().enumerate() {
                xobjects.set(format!("Im{i}"), doc.add_object(s));
            }
            let ops = b"q 595 0 0 842 0 0 cm /Im0 Do Q".to_vec();
            let content = doc.add_object(Stream::new(Dictionary::new(), ops));
            let mut res = dictionary! { "XObject" => xobjects };
            res.extend(resources);
            ids.push(doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => root, "Contents" => content, "Resources" => res,
            }));
        }
        let kids: Vec<Object> = ids.iter().map(|id| (*id).into()).collect();
        doc.objects.insert(
            root,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Count" => kids.len() as i64,
                "Kids" => kids,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => root });
        doc.trailer.set("Root", catalog);
        ids
    }

    /// Through a saved file, as the reader sees it.
    pub(super) fn reloaded(mut doc: Document) -> Document {
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        Document::load_mem(&bytes).unwrap()
    }

    pub(super) fn document(pages: Vec<Vec<Stream>>) -> Document {
        let mut doc = Document::with_version("1.7");
        add_pages(&mut doc, pages, &Dictionary::new());
        reloaded(doc)
    }

    /// The first `max_pages` pages of `doc`, numbered.
    fn pages_of(doc: &Document, max_pages: usize) -> Vec<(usize, ObjectId)> {
        doc.get_pages()
            .into_iter()
            .take(max_pages)
            .map(|(n, id)| (n as usize, id))
            .collect()
    }

    /// The image of each of the first `max_pages` pages that has one.
    pub(super) fn page_images(
        doc: &Document,
        max_pages: usize,
        max_bytes: usize,
    ) -> Vec<PageImage> {
        pages_of(doc, max_pages)
            .into_iter()
            .filter_map(|(n, id)| page_image(doc, id, n, max_bytes))
            .collect()
    }

    pub(super) fn unsupported(doc: &Document, max_pages: usize) -> Vec<String> {
        unsupported_images(doc, &pages_of(doc, max_pages))
    }

    /// The one grey image of a one-page document with `images`.
    pub(super) fn gray_of(images: Vec<Stream>) -> (u32, u32, Vec<u8>) {
        let got = page_images(&document(vec![images]), 10, 1 << 30);
        match got.as_slice() {
            [
                PageImage {
                    page: 1,
                    data:
                        ImageData::Gray {
                            width,
                            height,
                            pixels,
                        },
                    ..
                },
            ] => (*width, *height, pixels.clone()),
            other => panic!("expected one grey image, got {other:?}"),
        }
    }

    #[test]
    fn an_image_declaring_too_many_pixels_is_refused() {
        let big = flate_gray(100_000, 100_000, &[0; 16]);
        let jpeg_entries = dictionary! { "Filter" => "DCTDecode", "ColorSpace" => "DeviceGray" };
        let big_jpeg = image(100_000, 100_000, jpeg_entries, vec![0xFF, 0xD8, 0xFF, 0xD9]);
        let doc = document(vec![vec![big], vec![big_jpeg]]);
        assert!(page_images(&doc, 10, usize::MAX).is_empty());
        let why = unsupported(&doc, 10);
        assert_eq!(why.len(), 2);
        assert!(
            why.iter().all(|w| w.contains("more than 70000000")),
            "{why:?}"
        );
    }

    #[test]
    fn rows_too_long_to_buffer_are_refused() {
        let entries = dictionary! { "ColorSpace" => "DeviceCMYK", "BitsPerComponent" => 16 };
        let doc = document(vec![vec![image(70_000_000, 1, entries, vec![0; 16])]]);
        assert!(page_images(&doc, 10, usize::MAX).is_empty());
        assert!(unsupported(&doc, 10)[0].contains("rows of 560000000 bytes"));
    }

    #[test]
    fn at_most_four_images_are_tried_per_page() {
        let broken = || {
            let mut s = flate_gray(20, 20, &[]);
            s.set_content(b"broken".to_vec());
            s
        };
        let good = || flate_gray(10, 10, &[0; 100]);
        let three = vec![broken(), broken(), broken(), good()];
        assert_eq!(page_images(&document(vec![three]), 10, 1 << 20).len(), 1);
        let four = vec![broken(), broken(), broken(), broken(), good()];
        assert!(page_images(&document(vec![four]), 10, 1 << 20).is_empty());
    }

    #[test]
    fn the_largest_image_by_pixels_is_taken_not_the_longest_stream() {
        let entries = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 };
        let long_small = image(10, 10, entries, vec![7; 100]);
        let short_big = flate_gray(40, 40, &[0; 1600]);
        assert!(short_big.content.len() < 100);
        let (w, h, _) = gray_of(vec![long_small, short_big]);
        assert_eq!((w, h), (40, 40));
    }

    #[test]
    fn unsupported_encodings_are_skipped_and_reported() {
        let jbig2 = image(
            2000,
            3000,
            dictionary! { "Filter" => "JBIG2Decode" },
            vec![0; 10],
        );
        let jpx = image(
            2000,
            3000,
            dictionary! { "Filter" => "JPXDecode" },
            vec![0; 10],
        );
        let chain = dictionary! {
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
            "Filter" => vec!["ASCII85Decode".into(), "FlateDecode".into()],
        };
        let chained = image(10, 10, chain, vec![0; 10]);
        let small = flate_gray(10, 10, &[0; 100]);
        let doc = document(vec![vec![jbig2, small], vec![jpx, chained]]);
        let got = page_images(&doc, 10, 1 << 20);
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0].data, ImageData::Gray { width: 10, .. }));
        let why = unsupported(&doc, 10);
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(
            why[0].starts_with("page 1, image /Im0: JBIG2Decode"),
            "{why:?}"
        );
        assert!(
            why[1].starts_with("page 2, image /Im0: JPXDecode"),
            "{why:?}"
        );
        assert!(why[2].contains("chain"), "{why:?}");
        assert_eq!(unsupported(&doc, 1).len(), 1);
    }

    #[test]
    fn each_page_is_held_to_the_byte_budget() {
        let pages = || {
            (0..3)
                .map(|_| vec![flate_gray(10, 10, &[0; 100])])
                .collect()
        };
        assert_eq!(page_images(&document(pages()), 10, 100).len(), 3);
        assert!(page_images(&document(pages()), 10, 99).is_empty());
        assert_eq!(page_images(&document(pages()), 1, 1000).len(), 1);
        let jpeg = |n: usize| {
            let mut bytes = vec![0xFF, 0xD8];
            bytes.resize(n, 0);
            image(1240, 1754, dictionary! { "Filter" => "DCTDecode" }, bytes)
        };
        let doc = document(vec![vec![jpeg(600)], vec![jpeg(600), jpeg(400)]]);
        let got = page_images(&doc, 10, 500);
        assert_eq!(
            got.len(),
            1,
            "only the second page has an image small enough"
        );
        assert!(
            matches!(&got[0], PageImage { page: 2, data: ImageData::Encoded(b), .. } if b.len() == 400)
        );
    }

    #[test]
    fn a_page_covering_image_looks_scanned_and_a_logo_does_not() {
        let jbig2 = image(
            1700,
            2400,
            dictionary! { "Filter" => "JBIG2Decode" },
            vec![0; 10],
        );
        let logo = flate_gray(300, 120, &[0; 36000]);
        let fax = flate_gray(1728, 1100, &[0; 16]);
        let doc = document(vec![vec![jbig2], vec![logo], vec![fax], vec![]]);
        let looks: Vec<bool> = pages_of(&doc, 10)
            .into_iter()
            .map(|(_, id)| scan_like(&doc, id))
            .collect();
        assert_eq!(looks, [true, false, true, false]);
    }

    #[test]
    fn dpi_comes_from_the_inherited_media_box() {
        let jpeg = image(
            1240,
            1754,
            dictionary! { "Filter" => "DCTDecode", "ColorSpace" => "DeviceRGB" },
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0],
        );
        let turned = flate_gray(1754, 1240, &vec![0; 1754 * 1240]);
        let tiny = flate_gray(3, 2, &[0; 6]);
        let mut bits = image(
            2480,
            3508,
            dictionary! { "ImageMask" => true, "Filter" => "FlateDecode" },
            Vec::new(),
        );
        bits.set_content(zlib(&vec![0xFF; 310 * 3508]));
        let mut doc = Document::with_version("1.7");
        let ids = add_pages(
            &mut doc,
            vec![vec![jpeg], vec![turned], vec![tiny], vec![bits]],
            &Dictionary::new(),
        );
        // The second page is US Letter, in its own MediaBox, the image drawn turned a quarter.
        let letter: Vec<Object> = vec![0.into(), 0.into(), 612.into(), 792.into()];
        doc.get_dictionary_mut(ids[1])
            .unwrap()
            .set("MediaBox", letter);
        let got = page_images(&reloaded(doc), 10, 1 << 30);
        let dpis: Vec<Option<u32>> = got.iter().map(|i| i.dpi).collect();
        assert_eq!(dpis, [Some(150), Some(159), None, Some(300)]);
        assert!(matches!(&got[0].data, ImageData::Encoded(b) if b.starts_with(&[0xFF, 0xD8])));
    }

    #[test]
    fn dpi_estimates() {
        let a4 = Some((595.0, 842.0));
        assert_eq!(dpi(1240, 1754, a4), Some(150));
        assert_eq!(dpi(1754, 1240, a4), Some(150));
        // A strip: the larger estimate.
        assert_eq!(dpi(1000, 200, a4), Some(121));
        assert_eq!(dpi(100, 141, a4), None);
        assert_eq!(dpi(20000, 28000, a4), None);
        assert_eq!(dpi(1240, 1754, None), None);
    }
}
