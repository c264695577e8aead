//! Scans from the third-party corpus read by OCR turned on their side, upside down and tilted
//! by 3 degrees: each must give the fields its upright scan gives, and say which turn it took.
//! Skips, saying so, without the corpus or `tesseract`.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;

use coffre_extract::{Extraction, Format, Limits, extract};
use image::{GrayImage, ImageFormat, Luma, imageops};

/// Scans whose upright reading finds their number, date and total (checked below).
const SCANS: &[&str] = &[
    "scan-i2d-NetpresseInvoice-a.jpg",
    "scan-strip-zfc-v2-intarsys-zugferd_2p0_MINIMUM-a.png",
];

fn corpus() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party/files");
    let tesseract = Command::new("tesseract").arg("--version").output().is_ok();
    (tesseract && dir.is_dir()).then_some(dir)
}

fn read(image: &GrayImage) -> Extraction {
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    extract(&png, Some("page.png"), &Limits::default())
}

fn key_fields(e: &Extraction) -> [Option<String>; 3] {
    [
        e.number.clone(),
        e.issue_date.clone(),
        e.total_with_vat.clone(),
    ]
}

/// `image` turned by `degrees` (counter-clockwise when positive) about its centre, on a canvas
/// grown to hold it, white where nothing was (bilinear). Written here rather than taken from
/// `ocr::prepare::straighten`: made by the code under test, a tilt would cancel a sign error in
/// it instead of showing it.
fn tilt(image: &GrayImage, degrees: f64) -> GrayImage {
    let (s, c) = degrees.to_radians().sin_cos();
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (nw, nh) = (w * c.abs() + h * s.abs(), w * s.abs() + h * c.abs());
    let mut out = GrayImage::from_pixel(nw.ceil() as u32, nh.ceil() as u32, Luma([255]));
    let px = |x: i64, y: i64| -> f64 {
        if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
            255.0
        } else {
            f64::from(image.get_pixel(x as u32, y as u32).0[0])
        }
    };
    for (ox, oy, p) in out.enumerate_pixels_mut() {
        let (dx, dy) = (f64::from(ox) - nw / 2.0, f64::from(oy) - nh / 2.0);
        let (x, y) = (c * dx - s * dy + w / 2.0, s * dx + c * dy + h / 2.0);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let v = px(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + px(x0 + 1, y0) * fx * (1.0 - fy)
            + px(x0, y0 + 1) * (1.0 - fx) * fy
            + px(x0 + 1, y0 + 1) * fx * fy;
        *p = Luma([v.round() as u8]);
    }
    out
}

#[test]
fn turned_and_tilted_scans_read_like_upright_ones() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: the corpus or tesseract is not here");
        return;
    };
    for name in SCANS {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let upright = image::load_from_memory(&bytes).unwrap().into_luma8();
        let straight = read(&upright);
        assert_eq!(straight.format, Format::Image);
        let want = key_fields(&straight);
        assert!(
            want.iter().all(Option::is_some),
            "{name}: upright reading incomplete: {want:?} {:?}",
            straight.issues
        );
        let ocr = straight.ocr.as_ref().expect("OCR ran");
        assert_eq!(ocr.pages[0].rotation, 0, "{name}");

        // Turned clockwise by 90, 180, 270: OCR turns it back by 270, 180, 90.
        for (turned, back) in [
            (imageops::rotate90(&upright), 270),
            (imageops::rotate180(&upright), 180),
            (imageops::rotate270(&upright), 90),
        ] {
            let e = read(&turned);
            assert_eq!(key_fields(&e), want, "{name} turned {back}: {:?}", e.issues);
            assert_eq!(e.ocr.as_ref().unwrap().pages[0].rotation, back, "{name}");
        }
        for degrees in [3.0, -3.0] {
            let e = read(&tilt(&upright, degrees));
            assert_eq!(
                key_fields(&e),
                want,
                "{name} tilted {degrees}: {:?}",
                e.issues
            );
        }
    }
}
