//! Sampled images, uncompressed or `FlateDecode`, to 8-bit grey: the PNG and TIFF predictors
//! undone, 1, 2, 4, 8 and 16 bits per component, grey, RGB, CMYK, ICC-based (by their number
//! of components) and indexed colour spaces read from the image or the page's resources. CCITT
//! images come here too, as 1-bit grey once [`super::ccitt`] has decoded them.
//!
//! Promises (the input is untrusted): inflating never reads more than the declared rows need
//! (and 1 KiB); the grey pixels are reserved at the image's declared size (which the caller has
//! bounded) and rows are converted as they come; rows missing at the end are white;
//! a palette index past hival reads as hival, an entry missing from a short lookup table as
//! black; never panics (every index is checked, sizes are checked or bounded). Other colour
//! spaces (Separation, DeviceN, Lab...), palettes over palettes, colour spaces named through
//! more than 4 levels and predictor parameters that contradict the image are refused with why.

use std::io::Read;

use flate2::read::{DeflateDecoder, ZlibDecoder};
use lopdf::{Dictionary, Document, Object};

use super::{Found, dict_at, filter_of, int, lossy, resolve};

/// How rows were predicted before compression.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Predictor {
    None,
    /// PNG predictors, a tag byte before each row; bytes per pixel.
    Png(usize),
    /// TIFF predictor 2 on 8-bit samples; components per pixel.
    Tiff(usize),
}

/// How samples become grey.
pub(super) struct Samples {
    pub(super) bpc: u8,
    pub(super) colour: Colour,
    /// `/Decode` runs from 1 to 0.
    pub(super) invert: bool,
}

/// A colour space, as far as grey needs it.
pub(super) enum Colour {
    Gray,
    Rgb,
    Cmyk,
    /// Indexed: the grey of each index (clamped to hival).
    Palette(Vec<u8>),
}

impl Colour {
    pub(super) fn components(&self) -> usize {
        match self {
            Colour::Gray | Colour::Palette(_) => 1,
            Colour::Rgb => 3,
            Colour::Cmyk => 4,
        }
    }
}

impl Samples {
    /// Reads `height` rows of `row_bytes` (after the predictor's tag byte) and converts them;
    /// rows missing at the end stay white; `None` when not one row could be read.
    pub(super) fn to_gray(
        &self,
        mut input: impl Read,
        predictor: Predictor,
        width: usize,
        height: usize,
        row_bytes: usize,
    ) -> Option<Vec<u8>> {
        if width == 0 || row_bytes == 0 {
            return None;
        }
        let size = width.checked_mul(height)?;
        // Filled as rows come: a stream that fails early costs no more than it gave.
        let mut pixels = Vec::with_capacity(size);
        let mut gray = vec![0u8; width];
        let mut prev = vec![0u8; row_bytes];
        let mut row = vec![0u8; row_bytes];
        let mut tag = [0u8; 1];
        for _ in 0..height {
            if matches!(predictor, Predictor::Png(_)) && input.read_exact(&mut tag).is_err() {
                break;
            }
            if input.read_exact(&mut row).is_err() {
                break;
            }
            match predictor {
                Predictor::None => {}
                Predictor::Png(bpp) => unpredict_png(tag[0], &mut row, &prev, bpp),
                Predictor::Tiff(n) => unpredict_tiff(&mut row, n),
            }
            gray_row(&row, &mut gray, &self.colour, self.bpc, self.invert);
            pixels.extend_from_slice(&gray);
            std::mem::swap(&mut prev, &mut row);
        }
        if pixels.is_empty() {
            return None;
        }
        pixels.resize(size, 255);
        Some(pixels)
    }
}

/// Bytes per row of samples, rows starting on a byte.
pub(super) fn row_bytes(width: u32, components: usize, bpc: u8) -> Option<usize> {
    let bits = u64::from(width)
        .checked_mul(u64::try_from(components).ok()?)?
        .checked_mul(u64::from(bpc))?;
    usize::try_from(bits.div_ceil(8)).ok()
}

/// A Flate stream's samples, inflated no further than `height` rows of `row_bytes` (after the
/// predictor's tag byte) and 1 KiB need.
pub(super) fn inflated(
    data: &[u8],
    predictor: Predictor,
    row_bytes: usize,
    height: usize,
) -> Option<impl Read + '_> {
    let tag = usize::from(matches!(predictor, Predictor::Png(_)));
    let limit = row_bytes
        .checked_add(tag)?
        .checked_mul(height)?
        .checked_add(1024)?;
    let limit = u64::try_from(limit).ok()?;
    Some(inflater(data).take(limit))
}

/// A zlib stream, or raw deflate when the zlib header is missing (as some writers do).
fn inflater(data: &[u8]) -> Box<dyn Read + '_> {
    let zlib = match data {
        [a, b, ..] => a & 0x0F == 8 && (u16::from(*a) << 8 | u16::from(*b)) % 31 == 0,
        _ => false,
    };
    if zlib {
        Box::new(ZlibDecoder::new(data))
    } else {
        Box::new(DeflateDecoder::new(data))
    }
}

fn unpredict_png(tag: u8, row: &mut [u8], prev: &[u8], bpp: usize) {
    for i in 0..row.len() {
        let left = |r: &[u8]| {
            i.checked_sub(bpp)
                .and_then(|j| r.get(j))
                .copied()
                .unwrap_or(0)
        };
        let (a, b, c) = (left(row), prev.get(i).copied().unwrap_or(0), left(prev));
        let p = match tag {
            1 => a,
            2 => b,
            3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
            4 => paeth(a, b, c),
            _ => 0,
        };
        if let Some(x) = row.get_mut(i) {
            *x = x.wrapping_add(p);
        }
    }
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let distance = |v: u8| (p - i16::from(v)).abs();
    if distance(a) <= distance(b) && distance(a) <= distance(c) {
        a
    } else if distance(b) <= distance(c) {
        b
    } else {
        c
    }
}

fn unpredict_tiff(row: &mut [u8], components: usize) {
    for i in components..row.len() {
        let left = row.get(i - components).copied().unwrap_or(0);
        if let Some(x) = row.get_mut(i) {
            *x = x.wrapping_add(left);
        }
    }
}

/// One row of samples to grey (0 black).
fn gray_row(row: &[u8], out: &mut [u8], colour: &Colour, bpc: u8, invert: bool) {
    let n = colour.components();
    for (x, px) in out.iter_mut().enumerate() {
        let s = |c: usize| sample(row, x * n + c, bpc);
        let level = |c: usize| scale(s(c), bpc);
        let ink = |c: usize| 255 - (u16::from(level(c)) + u16::from(level(3))).min(255) as u8;
        let v = match colour {
            Colour::Gray => level(0),
            Colour::Rgb => luma(level(0), level(1), level(2)),
            Colour::Cmyk => luma(ink(0), ink(1), ink(2)),
            Colour::Palette(lut) => lut.get(usize::from(s(0))).copied().unwrap_or(0),
        };
        *px = if invert { 255 - v } else { v };
    }
}

/// Sample `index` of a row: its value for 1 to 8 bits, its high byte for 16.
fn sample(row: &[u8], index: usize, bpc: u8) -> u8 {
    match bpc {
        8 => row.get(index).copied().unwrap_or(0),
        16 => row.get(index * 2).copied().unwrap_or(0),
        _ => {
            let bit = index * usize::from(bpc);
            let byte = row.get(bit / 8).copied().unwrap_or(0);
            let shift = 8usize.saturating_sub(usize::from(bpc) + bit % 8);
            (byte >> shift) & (u8::MAX >> (8 - bpc.clamp(1, 8)))
        }
    }
}

/// A sample's value on 0..=255.
fn scale(v: u8, bpc: u8) -> u8 {
    match bpc {
        1 => v.saturating_mul(255),
        2 => v.saturating_mul(85),
        4 => v.saturating_mul(17),
        _ => v,
    }
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
}

/// A colour space as grey conversion; `depth` bounds names resolved through the resources.
pub(super) fn colour(doc: &Document, cs: &Object, res: &[&Dictionary], depth: u8) -> Found<Colour> {
    if depth > 4 {
        return Err("colour spaces nested too deep".into());
    }
    let (family, args): (&[u8], &[Object]) = match resolve(doc, cs) {
        Object::Name(n) => (n, &[]),
        Object::Array(a) => match a.split_first() {
            Some((f, rest)) => (
                resolve(doc, f)
                    .as_name()
                    .map_err(|_| "a bad colour space")?,
                rest,
            ),
            None => return Err("an empty colour space".into()),
        },
        _ => return Err("a /ColorSpace that is neither a name nor an array".into()),
    };
    match family {
        b"DeviceGray" | b"G" | b"CalGray" => Ok(Colour::Gray),
        b"DeviceRGB" | b"RGB" | b"CalRGB" => Ok(Colour::Rgb),
        b"DeviceCMYK" | b"CMYK" => Ok(Colour::Cmyk),
        b"ICCBased" => {
            let icc = args.first().and_then(|o| resolve(doc, o).as_stream().ok());
            match icc.and_then(|s| int(doc, &s.dict, b"N")) {
                Some(1) => Ok(Colour::Gray),
                Some(3) => Ok(Colour::Rgb),
                Some(4) => Ok(Colour::Cmyk),
                n => Err(format!("an ICCBased colour space with /N {n:?}")),
            }
        }
        b"Indexed" | b"I" => indexed(doc, args, res, depth),
        name if args.is_empty() => {
            let named = res
                .iter()
                .filter_map(|r| dict_at(doc, r, b"ColorSpace"))
                .find_map(|d| d.get(name).ok());
            match named {
                Some(o) => colour(doc, o, res, depth + 1),
                None => Err(format!("colour space /{} not found", lossy(name))),
            }
        }
        other => Err(format!("{} colour spaces are not decoded", lossy(other))),
    }
}

/// `[/Indexed base hival lookup]` as the grey of each index.
fn indexed(doc: &Document, args: &[Object], res: &[&Dictionary], depth: u8) -> Found<Colour> {
    let [base, hival, lookup, ..] = args else {
        return Err("an /Indexed colour space without base, hival and lookup".into());
    };
    let base = colour(doc, base, res, depth + 1)?;
    if matches!(base, Colour::Palette(_)) {
        return Err("an /Indexed colour space over another".into());
    }
    let hival = resolve(doc, hival)
        .as_i64()
        .ok()
        .and_then(|h| u8::try_from(h).ok())
        .ok_or("an /Indexed hival outside 0..=255")?;
    let n = base.components();
    let len = (usize::from(hival) + 1) * n;
    let table = match resolve(doc, lookup) {
        Object::String(s, _) => s.clone(),
        Object::Stream(s) => match filter_of(doc, &s.dict)? {
            (None, _) => s.content.clone(),
            (Some(b"FlateDecode"), None) => {
                let mut table = Vec::new();
                // A corrupt stream keeps what was read: missing entries are black.
                let _ = inflater(&s.content)
                    .take(len as u64)
                    .read_to_end(&mut table);
                table
            }
            _ => return Err("an /Indexed lookup stream with another filter".into()),
        },
        _ => return Err("an /Indexed lookup that is neither a string nor a stream".into()),
    };
    let mut lut = vec![0u8; 256];
    for (i, v) in lut.iter_mut().enumerate() {
        let j = i.min(usize::from(hival));
        if let Some(entry) = table.get(j * n..(j + 1) * n) {
            gray_row(entry, std::slice::from_mut(v), &base, 8, false);
        }
    }
    Ok(Colour::Palette(lut))
}

/// A Flate stream's predictor, checked against the image (absent parameters are the image's).
pub(super) fn predictor(
    doc: &Document,
    p: Option<&Dictionary>,
    n: usize,
    bpc: u8,
    w: u32,
) -> Found<Predictor> {
    let Some(p) = p else {
        return Ok(Predictor::None);
    };
    let kind = int(doc, p, b"Predictor").unwrap_or(1);
    if kind == 1 {
        return Ok(Predictor::None);
    }
    let colors = int(doc, p, b"Colors").unwrap_or(n as i64);
    let bits = int(doc, p, b"BitsPerComponent").unwrap_or(i64::from(bpc));
    let columns = int(doc, p, b"Columns").unwrap_or(i64::from(w));
    if colors != n as i64 || bits != i64::from(bpc) || columns != i64::from(w) {
        return Err("predictor parameters that do not match the image".into());
    }
    match kind {
        2 if bpc == 8 => Ok(Predictor::Tiff(n)),
        10..=15 => Ok(Predictor::Png((n * usize::from(bpc)).div_ceil(8).max(1))),
        _ => Err(format!("predictor {kind} with {bpc} bits per component")),
    }
}

#[cfg(test)]
mod tests {
    use lopdf::{Stream, dictionary};

    use super::super::ImageData;
    use super::super::tests::{
        add_pages, document, flate_gray, gray_of, image, page_images, reloaded, unsupported, zlib,
    };
    use super::*;

    #[test]
    fn a_flate_8_bit_grey_image_is_decoded() {
        let pixels = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 255];
        assert_eq!(
            gray_of(vec![flate_gray(4, 3, &pixels)]),
            (4, 3, pixels.to_vec())
        );
    }

    #[test]
    fn rgb_becomes_grey_with_luma_weights() {
        let rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
        let entries = dictionary! {
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        };
        let (.., pixels) = gray_of(vec![image(2, 2, entries, zlib(&rgb))]);
        assert_eq!(pixels, [76, 150, 29, 255]);
    }

    #[test]
    fn icc_based_cal_and_cmyk_spaces_are_read() {
        let mut doc = Document::with_version("1.7");
        let icc = doc.add_object(Stream::new(dictionary! { "N" => 3 }, vec![0; 16]));
        let rgb = |cs: Object| {
            let entries = dictionary! { "ColorSpace" => cs, "BitsPerComponent" => 8 };
            image(1, 1, entries, vec![0, 255, 0])
        };
        let cal: Object = vec!["CalRGB".into(), Object::Dictionary(Dictionary::new())].into();
        let cmyk = image(
            2,
            1,
            dictionary! { "ColorSpace" => "DeviceCMYK", "BitsPerComponent" => 8 },
            vec![0, 0, 0, 0, 0, 0, 0, 255],
        );
        let pages = vec![
            vec![rgb(vec!["ICCBased".into(), icc.into()].into())],
            vec![rgb(cal)],
            vec![cmyk],
        ];
        add_pages(&mut doc, pages, &Dictionary::new());
        let got: Vec<ImageData> = page_images(&reloaded(doc), 10, 1 << 20)
            .into_iter()
            .map(|i| i.data)
            .collect();
        let gray = |width, pixels: Vec<u8>| ImageData::Gray {
            width,
            height: 1,
            pixels,
        };
        assert_eq!(
            got,
            [
                gray(1, vec![150]),
                gray(1, vec![150]),
                gray(2, vec![255, 0])
            ]
        );
    }

    #[test]
    fn one_bit_zero_is_black_unless_decode_inverts() {
        let rows = vec![0b1010_0000, 0b0111_1111];
        let plain = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1 };
        let (w, h, pixels) = gray_of(vec![image(5, 2, plain.clone(), rows.clone())]);
        assert_eq!((w, h), (5, 2));
        assert_eq!(pixels, [255, 0, 255, 0, 0, 0, 255, 255, 255, 255]);

        let mut inverted = plain;
        inverted.set("Decode", vec![1.into(), 0.into()]);
        let (.., pixels) = gray_of(vec![image(5, 2, inverted, rows.clone())]);
        assert_eq!(pixels, [0, 255, 0, 255, 255, 255, 0, 0, 0, 0]);

        // A stencil mask paints (black) its 0 samples, or its 1 samples with /Decode [1 0].
        let mask = dictionary! { "ImageMask" => true };
        let (.., pixels) = gray_of(vec![image(5, 2, mask, rows.clone())]);
        assert_eq!(pixels, [255, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
        let mask = dictionary! { "ImageMask" => true, "Decode" => vec![1.into(), 0.into()] };
        let (.., pixels) = gray_of(vec![image(5, 2, mask, rows)]);
        assert_eq!(pixels, [0, 255, 0, 255, 255, 255, 0, 0, 0, 0]);
    }

    #[test]
    fn two_four_and_sixteen_bit_samples_are_scaled() {
        let of = |bpc: i64, w: i64, content: Vec<u8>| {
            let entries = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => bpc };
            gray_of(vec![image(w, 1, entries, content)]).2
        };
        assert_eq!(of(2, 4, vec![0b00_01_10_11]), [0, 85, 170, 255]);
        assert_eq!(of(4, 3, vec![0x0F, 0x80]), [0, 255, 136]);
        assert_eq!(of(16, 2, vec![0xFF, 0x00, 0x12, 0x34]), [255, 0x12]);
    }

    /// Rows encoded with the PNG predictors, the tag cycling through 0 to 4.
    fn png_predicted(rows: &[Vec<u8>], bpp: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = vec![0u8; rows[0].len()];
        for (y, row) in rows.iter().enumerate() {
            let tag = (y % 5) as u8;
            out.push(tag);
            for i in 0..row.len() {
                let a = if i >= bpp { row[i - bpp] } else { 0 };
                let c = if i >= bpp { prev[i - bpp] } else { 0 };
                let b = prev[i];
                let p = match tag {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => paeth(a, b, c),
                };
                out.push(row[i].wrapping_sub(p));
            }
            prev.clone_from(row);
        }
        out
    }

    #[test]
    fn png_predictors_are_undone() {
        let rows: Vec<Vec<u8>> = (0..6u8)
            .map(|y| {
                (0..12u8)
                    .map(|i| y.wrapping_mul(41).wrapping_add(i * 23))
                    .collect()
            })
            .collect();
        let entries = dictionary! {
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
            "DecodeParms" => dictionary! {
                "Predictor" => 15, "Colors" => 3, "BitsPerComponent" => 8, "Columns" => 4,
            },
        };
        let (.., pixels) = gray_of(vec![image(4, 6, entries, zlib(&png_predicted(&rows, 3)))]);
        let expected: Vec<u8> = rows
            .iter()
            .flat_map(|r| {
                r.chunks(3)
                    .map(|p| luma(p[0], p[1], p[2]))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(pixels, expected);
    }

    #[test]
    fn tiff_predictor_2_is_undone_and_mismatched_parameters_refused() {
        let entries = |columns: i64| {
            dictionary! {
                "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
                "DecodeParms" => vec![Object::Dictionary(dictionary! {
                    "Predictor" => 2, "Columns" => columns,
                })],
            }
        };
        let diffs = [10, 5, 5, 240, 200, 1, 1, 1];
        let (.., pixels) = gray_of(vec![image(4, 2, entries(4), zlib(&diffs))]);
        assert_eq!(pixels, [10, 15, 20, 4, 200, 201, 202, 203]);

        let doc = document(vec![vec![image(4, 2, entries(3), zlib(&diffs))]]);
        assert!(page_images(&doc, 10, 1 << 20).is_empty());
        assert!(unsupported(&doc, 10)[0].contains("predictor parameters"));
    }

    #[test]
    fn indexed_images_map_through_the_palette() {
        // Red, green, white; index 3 is past hival and clamps to white.
        let cs: Object = vec![
            "Indexed".into(),
            "DeviceRGB".into(),
            2.into(),
            Object::string_literal(vec![255, 0, 0, 0, 255, 0, 255, 255, 255]),
        ]
        .into();
        let entries = dictionary! { "ColorSpace" => cs, "BitsPerComponent" => 4 };
        let (.., pixels) = gray_of(vec![image(4, 1, entries, vec![0x01, 0x23])]);
        assert_eq!(pixels, [76, 150, 255, 255]);

        // A named colour space from the page's resources, over grey, its table a Flate stream.
        let mut doc = Document::with_version("1.7");
        let table = Stream::new(
            dictionary! { "Filter" => "FlateDecode" },
            zlib(&[0, 128, 255]),
        );
        let table = doc.add_object(table);
        let cs: Object = vec![
            "Indexed".into(),
            "DeviceGray".into(),
            2.into(),
            table.into(),
        ]
        .into();
        let resources = dictionary! { "ColorSpace" => dictionary! { "CS0" => cs } };
        let entries = dictionary! {
            "ColorSpace" => "CS0", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        };
        let pages = vec![vec![image(3, 1, entries, zlib(&[2, 1, 0]))]];
        add_pages(&mut doc, pages, &resources);
        let got = page_images(&reloaded(doc), 10, 1 << 20);
        assert_eq!(
            got[0].data,
            ImageData::Gray {
                width: 3,
                height: 1,
                pixels: vec![255, 128, 0]
            }
        );
    }

    #[test]
    fn a_truncated_stream_is_padded_with_white_and_garbage_gives_nothing() {
        let rows = [1, 2, 3, 4, 5, 6, 7, 8];
        let (.., pixels) = gray_of(vec![flate_gray(4, 4, &rows)]);
        assert_eq!(
            pixels,
            [
                1, 2, 3, 4, 5, 6, 7, 8, 255, 255, 255, 255, 255, 255, 255, 255
            ]
        );

        // Compressed data cut in the middle: the rows that inflate, then white.
        let all: Vec<u8> = (0..=255).cycle().take(64 * 64).collect();
        let mut cut = flate_gray(64, 64, &all);
        cut.content.truncate(cut.content.len() / 2);
        let (.., pixels) = gray_of(vec![cut]);
        assert_eq!(pixels.len(), 64 * 64);
        assert_eq!(pixels[..64], all[..64]);
        assert!(pixels[64 * 63..].iter().all(|p| *p == 255));

        let mut garbage = flate_gray(4, 4, &[]);
        garbage.set_content(b"not compressed at all".to_vec());
        assert!(page_images(&document(vec![vec![garbage]]), 10, 1 << 20).is_empty());
        // Uncompressed samples short of a row.
        let entries = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 };
        let short = image(4, 4, entries, vec![1, 2]);
        assert!(page_images(&document(vec![vec![short]]), 10, 1 << 20).is_empty());
    }
}
