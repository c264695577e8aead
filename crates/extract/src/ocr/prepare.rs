//! Page images made ready for OCR: checked, decoded, grey, at about 300 dpi.
//!
//! Tesseract reads best when text is 20 to 30 pixels high, which is a page at 300 dpi: a
//! 150 dpi scan is enlarged and a 600 dpi one reduced to it. An image's resolution is the one
//! its PDF page gives; else the one a TIFF declares (scanners and fax software write it; a fax
//! whose pixels are taller than wide is first given square pixels); else, for an image shaped
//! like a page, its width over an A4 page's (a scanner's JFIF or PNG density is often a
//! placeholder); else the density it declares; else it is left at its size.
//!
//! Promises: an image that declares more than [`MAX_PIXELS`] pixels is refused from its header,
//! before any pixel is decoded (a decompression bomb is never inflated); only JPEG, PNG, TIFF
//! (its first page: see [`super::tiff`] for the others) and PNM files are decoded; the result
//! never has more than
//! [`MAX_SCALED_PIXELS`] pixels.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageFormat, ImageReader};

use super::{MAX_PIXELS, OcrError};
use crate::pdf::images::{ImageData, PageImage};

/// The resolution pages are brought to.
pub const TARGET_DPI: u32 = 300;

/// Most pixels a page is enlarged to (a 300 dpi A3 page).
pub const MAX_SCALED_PIXELS: u64 = 18_000_000;

/// An A4 page's width, inches.
const A4_WIDTH_IN: f64 = 8.27;

/// A page ready for OCR.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Grey pixels.
    pub image: GrayImage,
    /// Its resolution (after any scaling), dots per inch.
    pub dpi: u32,
}

/// The density an image file declares.
#[derive(Debug, Clone, Copy, Default)]
struct Declared {
    /// Dots per inch, when plausible for a scan.
    dpi: Option<u32>,
    /// Whether it is trusted over the page-shape estimate (a TIFF's).
    trusted: bool,
}

/// Checks, decodes and scales one page image.
pub fn prepare(page: PageImage) -> Result<Prepared, OcrError> {
    let (image, declared) = match page.data {
        ImageData::Encoded(bytes) => decode(&bytes)?,
        ImageData::Gray {
            width,
            height,
            pixels,
        } => {
            check_size(width, height)?;
            let image = GrayImage::from_raw(width, height, pixels)
                .ok_or_else(|| OcrError::Refused("image data shorter than its size".into()))?;
            (image, Declared::default())
        }
    };
    let trusted = declared.dpi.filter(|_| declared.trusted);
    let dpi = page
        .dpi
        .or(trusted)
        .or_else(|| page_like_dpi(&image))
        .or(declared.dpi);
    Ok(scale(image, dpi))
}

/// The image turned clockwise by `degrees` (90, 180 or 270; anything else leaves it).
pub fn rotate(image: &GrayImage, degrees: u16) -> GrayImage {
    match degrees {
        90 => imageops::rotate90(image),
        180 => imageops::rotate180(image),
        270 => imageops::rotate270(image),
        _ => image.clone(),
    }
}

fn check_size(width: u32, height: u32) -> Result<(), OcrError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(OcrError::Refused(format!(
            "{width} x {height} pixels is more than {MAX_PIXELS}"
        )));
    }
    if width == 0 || height == 0 {
        return Err(OcrError::Refused("an empty image".into()));
    }
    Ok(())
}

/// Decodes an image file to grey, with the resolution it declares (if plausible).
fn decode(bytes: &[u8]) -> Result<(GrayImage, Declared), OcrError> {
    let refused = |e: &dyn std::fmt::Display| OcrError::Refused(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| refused(&e))?;
    let format = reader.format();
    if !matches!(
        format,
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Tiff | ImageFormat::Pnm)
    ) {
        return Err(OcrError::Refused(
            "not a JPEG, PNG, TIFF or PNM image".into(),
        ));
    }
    let (width, height) = reader.into_dimensions().map_err(|e| refused(&e))?;
    check_size(width, height)?;
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| refused(&e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // Room for the decoded pixels in RGBA 16-bit, the widest a decoder produces.
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| refused(&e))?.into_luma8();
    if format == Some(ImageFormat::Tiff) {
        return Ok(tiff_density(image, bytes));
    }
    let declared = Declared {
        dpi: declared_dpi(bytes),
        trusted: false,
    };
    Ok((image, declared))
}

/// A TIFF page with the density it declares, its pixels made square when they are not (a fax
/// in normal mode, 204 x 98 dpi, is stretched to twice its height; or, when that would pass
/// [`MAX_SCALED_PIXELS`], narrowed to half its width).
fn tiff_density(image: GrayImage, bytes: &[u8]) -> (GrayImage, Declared) {
    let Some((x, y)) = super::tiff::resolution(bytes) else {
        return (image, Declared::default());
    };
    let plausible = |d: f64| (50.0..=1200.0).contains(&d);
    if !plausible(x) || !plausible(y) {
        return (image, Declared::default());
    }
    let ratio = x / y;
    let (image, dpi) = if (0.9..=1.1).contains(&ratio) || !(0.25..=4.0).contains(&ratio) {
        (image, x)
    } else {
        let (w, h) = (f64::from(image.width()), f64::from(image.height()));
        let (w, h, dpi) = if w * h * ratio <= MAX_SCALED_PIXELS as f64 {
            (w, h * ratio, x)
        } else {
            (w / ratio, h, y)
        };
        let (w, h) = ((w.round() as u32).max(1), (h.round() as u32).max(1));
        (imageops::resize(&image, w, h, FilterType::Triangle), dpi)
    };
    let declared = Declared {
        dpi: Some(dpi.round() as u32),
        trusted: true,
    };
    (image, declared)
}

/// The resolution of an image shaped like a portrait or landscape page (an A4 or Letter
/// sheet, give or take a margin cropped), taking its short side as the page's width.
fn page_like_dpi(image: &GrayImage) -> Option<u32> {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (short, long) = if w < h { (w, h) } else { (h, w) };
    let ratio = long / short;
    ((1.25..=1.5).contains(&ratio)).then(|| (short / A4_WIDTH_IN).round() as u32)
}

/// The density a JPEG (JFIF) or PNG (pHYs) header declares, in dots per inch, when it is
/// plausible for a scan (100 to 1200).
fn declared_dpi(b: &[u8]) -> Option<u32> {
    let dpi = if b.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]) && b.get(6..11) == Some(b"JFIF\0") {
        // units (1 inch, 2 cm), x density
        let units = *b.get(13)?;
        let x = f64::from(u16::from_be_bytes([*b.get(14)?, *b.get(15)?]));
        match units {
            1 => x,
            2 => x * 2.54,
            _ => return None,
        }
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        let at = b.windows(4).take(4096).position(|w| w == b"pHYs")?;
        let x = u32::from_be_bytes(b.get(at + 4..at + 8)?.try_into().ok()?);
        // unit 1: per metre
        (*b.get(at + 12)? == 1).then_some(f64::from(x) * 0.0254)?
    } else {
        return None;
    };
    ((100.0..=1200.0).contains(&dpi)).then(|| dpi.round() as u32)
}

/// Brings an image of `dpi` to about [`TARGET_DPI`] (from 0.8 to 1.25 times it, left as it
/// is; enlarged at most 2.5 times), and any image to at most [`MAX_SCALED_PIXELS`]. An image of
/// unknown resolution is taken as [`TARGET_DPI`].
fn scale(image: GrayImage, dpi: Option<u32>) -> Prepared {
    let dpi = dpi.unwrap_or(TARGET_DPI).max(1);
    let mut factor = f64::from(TARGET_DPI) / f64::from(dpi);
    if (0.8..=1.25).contains(&factor) {
        factor = 1.0;
    }
    let pixels = f64::from(image.width()) * f64::from(image.height());
    factor = factor
        .min(2.5)
        .min((MAX_SCALED_PIXELS as f64 / pixels).sqrt());
    if (factor - 1.0).abs() < 0.02 {
        return Prepared { image, dpi };
    }
    let w = ((f64::from(image.width()) * factor).round() as u32).max(1);
    let h = ((f64::from(image.height()) * factor).round() as u32).max(1);
    let filter = if factor > 1.0 {
        FilterType::CatmullRom
    } else {
        FilterType::Triangle
    };
    Prepared {
        image: imageops::resize(&image, w, h, filter),
        dpi: ((f64::from(dpi) * factor).round() as u32).max(1),
    }
}

/// Largest skew straightened, degrees (a page tilted more is a photo, left to the engine).
pub const MAX_SKEW: f64 = 6.0;

/// The slope of the page's text lines (dy/dx, y down) within [`MAX_SKEW`] degrees: the angle
/// at which the rows of a reduced, black-and-white copy of the page are most uneven (text lines
/// and the gaps between them line up), searched in 0.2 degree steps then refined to 0.05.
pub fn skew(image: &GrayImage) -> f64 {
    // Ink pixels of a copy about 800 pixels wide (a line of text stays a few pixels high) and of
    // at most about 1.5 million pixels (a tall strip is sampled as sparsely).
    let pixels = f64::from(image.width()) * f64::from(image.height());
    let step = (image.width() / 800)
        .max((pixels / 1.5e6).sqrt().ceil() as u32)
        .max(1);
    let ink: Vec<(f64, f64)> = (0..image.height())
        .step_by(step as usize)
        .flat_map(|y| {
            (0..image.width())
                .step_by(step as usize)
                .filter(move |&x| image.get_pixel(x, y).0[0] < 128)
                .map(move |x| (f64::from(x / step), f64::from(y / step)))
        })
        .collect();
    if ink.len() < 100 {
        return 0.0;
    }
    let rows = (image.height() / step + image.width() / step) as usize + 2;
    let offset = f64::from(image.width() / step) * (MAX_SKEW + 1.0).to_radians().tan();
    let score = |degrees: f64| {
        let t = degrees.to_radians().tan();
        let mut hist = vec![0u32; rows];
        for &(x, y) in &ink {
            let r = (y - x * t + offset).round();
            if let Some(h) = hist.get_mut(r.max(0.0) as usize) {
                *h += 1;
            }
        }
        hist.windows(2)
            .map(|w| {
                let d = f64::from(w[0]) - f64::from(w[1]);
                d * d
            })
            .sum::<f64>()
    };
    let best = |from: f64, to: f64, by: f64| {
        let n = ((to - from) / by).round() as i32;
        (0..=n)
            .map(|i| from + f64::from(i) * by)
            .map(|a| (a, score(a)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0.0, |(a, _)| a)
    };
    let coarse = best(-MAX_SKEW, MAX_SKEW, 0.2);
    best(coarse - 0.2, coarse + 0.2, 0.05).to_radians().tan()
}

/// The image turned so that lines of slope `slope` become level (same size, bilinear, white
/// where nothing was).
pub fn straighten(image: &GrayImage, slope: f64) -> GrayImage {
    let theta = slope.atan();
    let (s, c) = theta.sin_cos();
    let (w, h) = (image.width(), image.height());
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let src = image.as_raw();
    let at = |x: i64, y: i64| -> f64 {
        if x < 0 || y < 0 || x >= i64::from(w) || y >= i64::from(h) {
            255.0
        } else {
            f64::from(src[y as usize * w as usize + x as usize])
        }
    };
    GrayImage::from_fn(w, h, |u, v| {
        let (du, dv) = (f64::from(u) - cx, f64::from(v) - cy);
        let (x, y) = (du * c - dv * s + cx, du * s + dv * c + cy);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let value = at(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + at(x0 + 1, y0) * fx * (1.0 - fy)
            + at(x0, y0 + 1) * (1.0 - fx) * fy
            + at(x0 + 1, y0 + 1) * fx * fy;
        image::Luma([value.round() as u8])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        GrayImage::from_pixel(width, height, image::Luma([255]))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn bombs_are_refused_from_their_header() {
        // A valid PNG (CRCs and all) declaring 100,000 x 100,000 pixels, with 8 bytes of data.
        let chunk = |kind: &[u8], data: &[u8]| {
            let body = [kind, data].concat();
            let crc = body.iter().fold(!0u32, |mut c, &b| {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 == 1 {
                        (c >> 1) ^ 0xEDB8_8320
                    } else {
                        c >> 1
                    };
                }
                c
            });
            let len = u32::try_from(data.len()).unwrap().to_be_bytes();
            [&len[..], &body, &(!crc).to_be_bytes()].concat()
        };
        let side = 100_000u32.to_be_bytes();
        let bomb = [
            &b"\x89PNG\r\n\x1a\n"[..],
            &chunk(b"IHDR", &[&side[..], &side, &[8, 0, 0, 0, 0]].concat()),
            &chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0, 0, 0, 0, 1]),
            &chunk(b"IEND", &[]),
        ]
        .concat();
        let page = PageImage {
            page: 1,
            data: ImageData::Encoded(bomb),
            dpi: None,
        };
        let err = prepare(page).unwrap_err();
        assert!(
            matches!(err, OcrError::Refused(ref m) if m.contains("100000 x 100000")),
            "{err:?}"
        );
        let raw = PageImage {
            page: 1,
            data: ImageData::Gray {
                width: 100_000,
                height: 100_000,
                pixels: Vec::new(),
            },
            dpi: None,
        };
        assert!(matches!(prepare(raw), Err(OcrError::Refused(_))));
        let gif = PageImage {
            page: 1,
            data: ImageData::Encoded(b"GIF89a\x01\0\x01\0".to_vec()),
            dpi: None,
        };
        assert!(matches!(prepare(gif), Err(OcrError::Refused(_))));
    }

    #[test]
    fn a_fax_in_normal_mode_gets_square_pixels_then_300_dpi() {
        let fax = super::super::tiff::tests::tiff_of(&[(1728, 1100, 255, 204, 98)]);
        let p = prepare(PageImage {
            page: 1,
            data: ImageData::Encoded(fax),
            dpi: None,
        })
        .unwrap();
        // 1100 rows at 98 dpi are 2290 at 204; then 204 to 300 dpi: 1.47 times both ways.
        assert_eq!(p.dpi, 300);
        assert_eq!(p.image.width(), 2541);
        assert!(
            (3360..=3370).contains(&p.image.height()),
            "{}",
            p.image.height()
        );
        // A TIFF's declared density is trusted over the page-shape estimate.
        let fine = super::super::tiff::tests::tiff_of(&[(2480, 3508, 255, 600, 600)]);
        let p = prepare(PageImage {
            page: 1,
            data: ImageData::Encoded(fine),
            dpi: None,
        })
        .unwrap();
        assert_eq!((p.image.width(), p.dpi), (1240, 300));
    }

    #[test]
    fn pages_are_brought_to_300_dpi() {
        // An A4 page at 150 dpi (1240 x 1754) is doubled; at 600 dpi halved; at 300 kept.
        for (w, h, want_w) in [(1240, 1754, 2480), (4960, 7016, 2480), (2480, 3508, 2480)] {
            let p = prepare(PageImage {
                page: 1,
                data: ImageData::Encoded(png(w, h)),
                dpi: None,
            })
            .unwrap();
            assert_eq!(p.image.width(), want_w, "{w}x{h}");
            assert!((295..=305).contains(&p.dpi), "{w}x{h}: {}", p.dpi);
        }
        // A receipt strip declares nothing: left as it is.
        let p = prepare(PageImage {
            page: 1,
            data: ImageData::Encoded(png(600, 2000)),
            dpi: None,
        })
        .unwrap();
        assert_eq!((p.image.width(), p.dpi), (600, TARGET_DPI));
        // A PDF page's resolution wins.
        let p = prepare(PageImage {
            page: 1,
            data: ImageData::Gray {
                width: 1000,
                height: 1000,
                pixels: vec![255; 1_000_000],
            },
            dpi: Some(100),
        })
        .unwrap();
        assert_eq!(p.image.width(), 2500, "enlarged at most 2.5 times");
        // A large image of unknown resolution, not shaped like a page, is reduced to the cap.
        let p = prepare(PageImage {
            page: 1,
            data: ImageData::Gray {
                width: 7000,
                height: 3000,
                pixels: vec![255; 21_000_000],
            },
            dpi: None,
        })
        .unwrap();
        let pixels = u64::from(p.image.width()) * u64::from(p.image.height());
        assert!(
            pixels <= MAX_SCALED_PIXELS && pixels > MAX_SCALED_PIXELS * 9 / 10,
            "{pixels}"
        );
    }

    #[test]
    fn jfif_and_png_densities() {
        let mut jfif = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        jfif.extend_from_slice(b"JFIF\0");
        jfif.extend_from_slice(&[1, 1, 1, 0x01, 0x2C, 0x01, 0x2C]);
        assert_eq!(declared_dpi(&jfif), Some(300));
        jfif[13] = 0;
        assert_eq!(declared_dpi(&jfif), None, "an aspect ratio, not a density");
        assert_eq!(declared_dpi(&png(10, 10)), None);
    }

    #[test]
    fn skew_is_measured_and_straightened() {
        // Dark lines 40 pixels apart, 30 pixels thick, falling 1 pixel in 25 (2.3 degrees).
        let slope = 1.0 / 25.0;
        let page = GrayImage::from_fn(1200, 1600, |x, y| {
            let y = f64::from(y) - f64::from(x) * slope;
            let on = (y.rem_euclid(70.0)) < 30.0 && (100..1100).contains(&x);
            image::Luma([if on { 0 } else { 255 }])
        });
        let found = skew(&page);
        assert!((found - slope).abs() < 0.002, "{found}");
        let level = straighten(&page, found);
        assert!(skew(&level).abs() < 0.002);
        assert_eq!(
            skew(&GrayImage::from_pixel(50, 50, image::Luma([255]))),
            0.0
        );
    }

    #[test]
    fn turns() {
        let mut img = GrayImage::new(3, 2);
        img.put_pixel(0, 0, image::Luma([7]));
        assert_eq!(rotate(&img, 90).dimensions(), (2, 3));
        assert_eq!(rotate(&img, 90).get_pixel(1, 0).0, [7]);
        assert_eq!(rotate(&img, 180).get_pixel(2, 1).0, [7]);
        assert_eq!(rotate(&img, 0), img);
    }
}
