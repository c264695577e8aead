//! The pages of a TIFF file: a fax or a multi-page scan keeps one image per page, each behind
//! its own image file directory (IFD).
//!
//! [`pages`] walks the directories (the `tiff` crate refuses a chain that loops); [`page`] gives
//! one page as a TIFF file of its own, a copy whose header points at that page's directory, so
//! the image decoders (which read a file's first page) decode it; [`resolution`] reads the
//! density a page declares, horizontal and vertical apart (a fax in normal mode is 204 x 98
//! dpi: its pixels are twice as tall as wide).
//!
//! Promises: never panics on any input; at most [`MAX_PAGES`] directories are walked.

use std::io::Cursor;

use tiff::decoder::{Decoder, ifd::Value};
use tiff::tags::Tag;

/// Most directories walked (and pages counted).
pub const MAX_PAGES: usize = 10_000;

/// A TIFF's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pages {
    /// Where the first pages' directories are (at most as many as asked).
    pub directories: Vec<u64>,
    /// How many pages the file has (up to [`MAX_PAGES`]; a directory that cannot be read ends
    /// the count).
    pub count: usize,
}

/// The directories of the first `keep` pages of `bytes`, and how many pages there are.
pub fn pages(bytes: &[u8], keep: usize) -> Result<Pages, String> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut out = Pages {
        directories: Vec::new(),
        count: 0,
    };
    while let Some(at) = decoder.ifd_pointer() {
        out.count += 1;
        if out.directories.len() < keep {
            out.directories.push(at.0);
        }
        if out.count >= MAX_PAGES || !decoder.more_images() || decoder.next_image().is_err() {
            break;
        }
    }
    Ok(out)
}

/// The file as a TIFF whose first page is the one at `directory`: a copy with the header's
/// first-directory offset changed (nothing else moves: every offset in a TIFF is from the
/// file's start).
pub fn page(bytes: &[u8], directory: u64) -> Result<Vec<u8>, String> {
    // BigTIFF (43, 8-byte offsets) is not sniffed as an image: only classic TIFF gets here.
    let little = bytes.starts_with(b"II*\0");
    if !little && !bytes.starts_with(b"MM\0*") || bytes.len() < 8 {
        return Err("not a classic TIFF file".into());
    }
    let at = u32::try_from(directory).map_err(|_| "a directory beyond 4 GiB")?;
    let mut copy = bytes.to_vec();
    copy[4..8].copy_from_slice(&if little {
        at.to_le_bytes()
    } else {
        at.to_be_bytes()
    });
    Ok(copy)
}

/// The horizontal and vertical density the first page declares, dots per inch.
pub fn resolution(bytes: &[u8]) -> Option<(f64, f64)> {
    let mut decoder = Decoder::new(Cursor::new(bytes)).ok()?;
    let mut density = |tag: Tag| -> Option<f64> {
        let v = match decoder.find_tag(tag).ok()?? {
            Value::Rational(n, d) if d > 0 => f64::from(n) / f64::from(d),
            other => other.into_f64().ok()?,
        };
        (v.is_finite() && v > 0.0).then_some(v)
    };
    let (x, y) = (density(Tag::XResolution)?, density(Tag::YResolution));
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    let per_inch = match unit {
        2 => 1.0,
        3 => 2.54,
        _ => return None,
    };
    Some((x * per_inch, y.unwrap_or(x) * per_inch))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use tiff::encoder::{Rational, TiffEncoder, colortype};

    /// A TIFF of grey pages, each `(width, height, shade, x dpi, y dpi)`.
    pub(crate) fn tiff_of(pages: &[(u32, u32, u8, u32, u32)]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut out).unwrap();
        for &(w, h, shade, x, y) in pages {
            let mut image = enc.new_image::<colortype::Gray8>(w, h).unwrap();
            image.x_resolution(Rational { n: x, d: 1 });
            image.y_resolution(Rational { n: y, d: 1 });
            image.resolution_unit(tiff::tags::ResolutionUnit::Inch);
            let pixels = vec![shade; (w * h) as usize];
            image.write_data(&pixels).unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn every_page_decodes_on_its_own() {
        let file = tiff_of(&[
            (4, 3, 10, 300, 300),
            (5, 2, 200, 204, 98),
            (6, 6, 90, 300, 300),
        ]);
        let found = pages(&file, 2).unwrap();
        assert_eq!(found.count, 3);
        assert_eq!(found.directories.len(), 2);
        let second = page(&file, found.directories[1]).unwrap();
        let image = image::load_from_memory(&second).unwrap().into_luma8();
        assert_eq!(image.dimensions(), (5, 2));
        assert!(image.pixels().all(|p| p.0[0] == 200));
        assert_eq!(resolution(&second), Some((204.0, 98.0)));
        assert_eq!(resolution(&file), Some((300.0, 300.0)));
    }

    #[test]
    fn broken_files_give_errors_not_panics() {
        assert!(pages(b"II*\0", 5).is_err());
        assert!(pages(b"II*\0\xff\xff\xff\x7f", 5).is_err());
        assert!(page(b"II", 8).is_err());
        assert!(page(b"II+\0\x08\0\0\0abcdefgh", 16).is_err(), "BigTIFF");
        assert!(page(b"II*\0abcd", 1 << 40).is_err());
        assert_eq!(resolution(b"MM\0*"), None);
    }
}
