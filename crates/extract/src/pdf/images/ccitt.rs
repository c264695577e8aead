//! CCITT fax images (`CCITTFaxDecode`), the usual encoding of black-and-white scans: Group 4
//! and Group 3 one-dimensional rows decoded with the `fax` crate into packed 1-bit samples, as
//! the filter gives them, which [`super::raster`] then turns grey like any 1-bit image.
//!
//! Promises (the input is untrusted): never panics (the decoder, third-party code, runs inside
//! `catch_unwind`); a corrupt Group 4 row (colour changes not increasing within the row) ends
//! the decoding before, as the next row's reference, it can slow the decoder; at most the
//! declared rows are decoded, into pixels reserved at the image's declared size (which the
//! caller has bounded); rows missing at the end stay white. Group 3 two-dimensional (K > 0), Group 4 with `/EncodedByteAlign`,
//! `/Columns` other than the image's width and images wider than 65,535 pixels (the decoder
//! counts in 16 bits; such an image is over [`crate::ocr::MAX_PIXELS`] from 1,069 rows) are
//! refused with why, before anything is decoded.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};

use fax::decoder::{DecodeStatus, Group4Decoder};
use fax::{BitReader, ByteReader, Color};
use lopdf::{Dictionary, Document};

use super::{Found, get};

/// How a CCITT stream is decoded.
pub(super) struct FaxParams {
    k: i64,
    black_is_1: bool,
    byte_align: bool,
    /// Pixels per row.
    width: u16,
}

/// The stream's `/DecodeParms` for an image `width` pixels wide, or why it is not decoded.
pub(super) fn fax_params(
    doc: &Document,
    params: Option<&Dictionary>,
    width: u32,
) -> Found<FaxParams> {
    let value = |key: &[u8]| params.and_then(|p| get(doc, p, key));
    let flag = |key: &[u8]| value(key).and_then(|o| o.as_bool().ok()) == Some(true);
    let k = value(b"K").and_then(|o| o.as_i64().ok()).unwrap_or(0);
    let columns = value(b"Columns").and_then(|o| o.as_i64().ok());
    if columns.is_some_and(|c| c != i64::from(width)) {
        return Err(format!(
            "CCITT /Columns {columns:?} for an image {width} pixels wide"
        ));
    }
    let byte_align = flag(b"EncodedByteAlign");
    if k > 0 {
        return Err("CCITT Group 3 two-dimensional (K > 0) images are not decoded".into());
    }
    if k < 0 && byte_align {
        return Err("CCITT Group 4 images with /EncodedByteAlign are not decoded".into());
    }
    let Ok(width) = u16::try_from(width) else {
        return Err(format!(
            "a CCITT image {width} pixels wide, more than {}",
            u16::MAX
        ));
    };
    Ok(FaxParams {
        k,
        black_is_1: flag(b"BlackIs1"),
        byte_align,
        width,
    })
}

/// A CCITT image of `height` rows as packed 1-bit samples, as the filter gives them (black is 0
/// unless `/BlackIs1`); rows that do not decode stay white. `None` when no row decodes.
pub(super) fn fax_bits(data: &[u8], params: &FaxParams, height: u32) -> Option<Vec<u8>> {
    let width = params.width;
    let row_bytes = usize::from(width).div_ceil(8);
    let white = if params.black_is_1 { 0x00 } else { 0xFF };
    let size = row_bytes.checked_mul(usize::try_from(height).ok()?)?;
    let blank = vec![white; row_bytes];
    let mut bits = Vec::with_capacity(size);
    let mut line = |transitions: &[u16]| {
        if bits.len() >= size {
            return;
        }
        let start = bits.len();
        bits.extend_from_slice(&blank);
        let Some(row) = bits.get_mut(start..) else {
            return;
        };
        for (x, c) in fax::decoder::pels(transitions, width).enumerate() {
            if c == Color::Black
                && let Some(b) = row.get_mut(x / 8)
            {
                *b ^= 0x80 >> (x % 8);
            }
        }
    };
    let done = catch_unwind(AssertUnwindSafe(|| {
        if params.k < 0 {
            decode_g4(data, width, height, &mut line);
        } else {
            decode_g3_1d(data, width, height, params.byte_align, &mut line);
        }
    }));
    if done.is_err() || bits.is_empty() {
        return None;
    }
    bits.resize(size, white);
    Some(bits)
}

/// Group 4 rows (K < 0), up to the end-of-block code or the first corrupt row.
fn decode_g4(data: &[u8], width: u16, height: u32, line: &mut impl FnMut(&[u16])) {
    let Ok(mut decoder) = Group4Decoder::new(padded(data), width);
    let max = usize::from(width);
    for _ in 0..height {
        if !matches!(decoder.advance(), Ok(DecodeStatus::Incomplete)) {
            return;
        }
        // A true row changes colour at increasing places within it. Anything else is corrupt,
        // and as the next row's reference could make the decoder's scans quadratic.
        let changes = decoder.transition();
        if changes.len() > max || !changes.windows(2).all(|p| matches!(p, [a, b] if a < b)) {
            return;
        }
        line(changes);
    }
}

/// Group 3 one-dimensional rows (K = 0): alternate white and black runs up to `width`, each row
/// possibly after an end-of-line code (and its fill bits), starting on a byte if `align`.
fn decode_g3_1d(data: &[u8], width: u16, height: u32, align: bool, line: &mut impl FnMut(&[u16])) {
    let Ok(mut bits) = ByteReader::new(padded(data));
    let mut transitions = Vec::new();
    for _ in 0..height {
        // Nine zero bits start no run code: fill bits and an end-of-line code.
        if bits.peek(9) == Some(0) {
            while bits.peek(1) == Some(0) {
                let _ = bits.consume(1);
            }
            if bits.peek(1).is_none() {
                return;
            }
            let _ = bits.consume(1);
        } else if align {
            let _ = bits.consume(bits.bits_to_byte_boundary());
        }
        transitions.clear();
        let (mut a0, mut colour) = (0u32, Color::White);
        while a0 < u32::from(width) {
            let Some(run) = run_length(&mut bits, colour) else {
                return;
            };
            a0 = a0.saturating_add(run);
            if let Ok(change) = u16::try_from(a0)
                && change < width
            {
                transitions.push(change);
            }
            colour = !colour;
        }
        line(&transitions);
    }
}

/// The bytes, then two zero bytes to let the decoder look ahead past the last code.
fn padded(data: &[u8]) -> impl Iterator<Item = Result<u8, Infallible>> + '_ {
    data.iter().copied().chain([0, 0]).map(Ok)
}

/// One run: make-up codes then a terminating code (below 64).
fn run_length(bits: &mut impl BitReader, colour: Color) -> Option<u32> {
    let mut sum = 0u32;
    loop {
        let n = match colour {
            Color::White => fax::maps::white::decode(bits)?,
            Color::Black => fax::maps::black::decode(bits)?,
        };
        sum = sum.saturating_add(u32::from(n));
        if n < 64 {
            return Some(sum);
        }
    }
}

#[cfg(test)]
mod tests {
    use fax::{BitWriter, Bits, VecWriter};
    use lopdf::{Stream, dictionary};

    use super::super::ImageData;
    use super::super::tests::{document, gray_of, image};
    use super::super::tests::{page_images, unsupported};
    use super::*;

    /// A test picture: `true` is black.
    fn picture(width: usize) -> Vec<Vec<bool>> {
        vec![
            vec![false; width],
            (0..width)
                .map(|x| (10..30).contains(&x) || x >= width - 10)
                .collect(),
            vec![true; width],
            (0..width).map(|x| x % 3 == 0).collect(),
            (0..width).map(|x| x < 70).collect(),
        ]
    }

    fn picture_gray(rows: &[Vec<bool>]) -> Vec<u8> {
        rows.iter()
            .flatten()
            .map(|b| if *b { 0 } else { 255 })
            .collect()
    }

    fn colors(row: &[bool]) -> impl Iterator<Item = Color> + '_ {
        row.iter()
            .map(|b| if *b { Color::Black } else { Color::White })
    }

    fn g4(rows: &[Vec<bool>]) -> Vec<u8> {
        let mut encoder = fax::encoder::Encoder::new(VecWriter::new());
        for row in rows {
            encoder.encode_line(colors(row), row.len() as u16).unwrap();
        }
        encoder.finish().unwrap().finish()
    }

    /// Group 3 one-dimensional, with an end-of-line code before each row if `eol`, each row
    /// padded to a byte if `align`.
    fn g3(rows: &[Vec<bool>], eol: bool, align: bool) -> Vec<u8> {
        let mut w = VecWriter::new();
        for row in rows {
            if eol {
                w.write(Bits { data: 1, len: 12 }).unwrap();
            }
            let mut runs = vec![0u16];
            let mut black = false;
            for &p in row {
                if p != black {
                    runs.push(0);
                    black = p;
                }
                *runs.last_mut().unwrap() += 1;
            }
            for (i, mut n) in runs.into_iter().enumerate() {
                let code = if i % 2 == 0 {
                    fax::maps::white::encode
                } else {
                    fax::maps::black::encode
                };
                if n >= 64 {
                    w.write(code(n / 64 * 64).unwrap()).unwrap();
                    n %= 64;
                }
                w.write(code(n).unwrap()).unwrap();
            }
            if align {
                w.pad();
            }
        }
        w.finish()
    }

    fn ccitt(
        width: i64,
        height: i64,
        params: Dictionary,
        extra: Dictionary,
        data: Vec<u8>,
    ) -> Stream {
        let mut entries = dictionary! {
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1,
            "Filter" => "CCITTFaxDecode", "DecodeParms" => params,
        };
        entries.extend(&extra);
        image(width, height, entries, data)
    }

    #[test]
    fn ccitt_group_4_is_decoded() {
        let rows = picture(100);
        let params = dictionary! { "K" => -1, "Columns" => 100, "Rows" => 5 };
        let got = gray_of(vec![ccitt(100, 5, params, Dictionary::new(), g4(&rows))]);
        assert_eq!(got, (100, 5, picture_gray(&rows)));

        // /BlackIs1 with /Decode [1 0] is black again; /BlackIs1 alone says black is white.
        let params = dictionary! { "K" => -1, "Columns" => 100, "BlackIs1" => true };
        let decode = dictionary! { "Decode" => vec![1.into(), 0.into()] };
        let got = gray_of(vec![ccitt(100, 5, params.clone(), decode, g4(&rows))]);
        assert_eq!(got.2, picture_gray(&rows));
        let got = gray_of(vec![ccitt(100, 5, params, Dictionary::new(), g4(&rows))]);
        let negative: Vec<u8> = picture_gray(&rows).iter().map(|v| 255 - v).collect();
        assert_eq!(got.2, negative);

        // A stream cut short keeps the rows it has; the rest is white.
        let data = g4(&rows);
        let got = gray_of(vec![ccitt(
            100,
            8,
            dictionary! { "K" => -1 },
            Dictionary::new(),
            data,
        )]);
        let mut expected = picture_gray(&rows);
        expected.resize(800, 255);
        assert_eq!(got.2, expected);
    }

    #[test]
    fn ccitt_group_3_one_dimensional_is_decoded() {
        let rows = picture(100);
        for (eol, align) in [(false, false), (true, false), (false, true), (true, true)] {
            let params = dictionary! { "K" => 0, "Columns" => 100, "EncodedByteAlign" => align };
            let got = gray_of(vec![ccitt(
                100,
                5,
                params,
                Dictionary::new(),
                g3(&rows, eol, align),
            )]);
            assert_eq!(
                got,
                (100, 5, picture_gray(&rows)),
                "eol {eol}, align {align}"
            );
        }
    }

    #[test]
    fn ccitt_two_dimensional_group_3_is_reported_not_decoded() {
        let params = dictionary! { "K" => 4, "Columns" => 100 };
        let doc = document(vec![vec![ccitt(
            100,
            5,
            params,
            Dictionary::new(),
            vec![0; 20],
        )]]);
        assert!(page_images(&doc, 10, 1 << 20).is_empty());
        assert!(unsupported(&doc, 10)[0].contains("K > 0"));
    }

    #[test]
    fn garbage_ccitt_and_flate_data_never_panics() {
        let mut state = 12345u32;
        let noise: Vec<u8> = (0..4000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (state >> 16) as u8
            })
            .collect();
        for k in [-1, 0] {
            let params = dictionary! { "K" => k, "Columns" => 300 };
            let doc = document(vec![vec![ccitt(
                300,
                200,
                params,
                Dictionary::new(),
                noise.clone(),
            )]]);
            for got in page_images(&doc, 10, 1 << 20) {
                let ImageData::Gray { pixels, .. } = got.data else {
                    panic!()
                };
                assert_eq!(pixels.len(), 300 * 200);
            }
        }
        let entries = dictionary! {
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        };
        let doc = document(vec![vec![image(300, 200, entries, noise)]]);
        assert!(page_images(&doc, 10, 1 << 20).is_empty());
    }
}
