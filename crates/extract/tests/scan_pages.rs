//! Scans met inside other files, with a real third-party scan as the scanned page: a PDF whose
//! first page is text and second a scan (only the scan is read by OCR, both are in the text), a
//! scanned page carrying a short text stamp (still read by OCR), a TIFF of two pages (both
//! read, the blank one giving no words and no turn) and a fax whose pixels are twice as tall
//! as wide. Skips, saying so, without the corpus or `tesseract`.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;

use coffre_extract::{Extraction, Format, Limits, Source, extract};
use image::{GrayImage, imageops};
use lopdf::{Document, Object, Stream, dictionary};
use tiff::encoder::{Rational, TiffEncoder, colortype};

const SCAN: &str = "scan-i2d-NetpresseInvoice-a.jpg";

fn scan() -> Option<Vec<u8>> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party/files");
    let tesseract = Command::new("tesseract").arg("--version").output().is_ok();
    if !(tesseract && dir.is_dir()) {
        eprintln!("skipped: the corpus or tesseract is not here");
        return None;
    }
    Some(std::fs::read(dir.join(SCAN)).unwrap())
}

fn key_fields(e: &Extraction) -> [Option<String>; 3] {
    [
        e.number.clone(),
        e.issue_date.clone(),
        e.total_with_vat.clone(),
    ]
}

/// The fields of the scan read on its own, which every container must give too.
fn upright(jpeg: &[u8]) -> [Option<String>; 3] {
    let e = extract(jpeg, Some(SCAN), &Limits::default());
    let want = key_fields(&e);
    assert!(want.iter().all(Option::is_some), "{want:?} {:?}", e.issues);
    want
}

/// One A4 page of a PDF: lines of Helvetica text (x, y in points), over a JPEG covering the
/// page when there is one.
struct Page<'a> {
    text: &'a [(i64, i64, &'a str)],
    jpeg: Option<&'a [u8]>,
}

fn pdf(pages: &[Page]) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut kids = Vec::new();
    for page in pages {
        let mut content = String::new();
        let mut xobjects = lopdf::Dictionary::new();
        if let Some(jpeg) = page.jpeg {
            let (w, h) = image::load_from_memory(jpeg)
                .unwrap()
                .into_luma8()
                .dimensions();
            let image = doc.add_object(Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Image", "Width" => w, "Height" => h,
                    "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
                },
                jpeg.to_vec(),
            ));
            xobjects.set("Scan", image);
            content.push_str("q 595 0 0 842 0 0 cm /Scan Do Q\n");
        }
        for (x, y, line) in page.text {
            content.push_str(&format!("BT /F1 10 Tf {x} {y} Td ({line}) Tj ET\n"));
        }
        let contents = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let kid = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => xobjects },
        });
        kids.push(Object::Reference(kid));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn in_a_pdf_of_a_text_page_and_a_scanned_page_only_the_scan_is_read() {
    let Some(jpeg) = scan() else { return };
    let want = upright(&jpeg);
    let cover: Vec<(i64, i64, String)> = (0..8)
        .map(|i| {
            (
                72,
                760 - 16 * i,
                format!("Bordereau d'envoi des pieces comptables, ligne {i} du releve mensuel"),
            )
        })
        .collect();
    let cover: Vec<(i64, i64, &str)> = cover.iter().map(|(x, y, t)| (*x, *y, t.as_str())).collect();
    let file = pdf(&[
        Page {
            text: &cover,
            jpeg: None,
        },
        Page {
            text: &[],
            jpeg: Some(&jpeg),
        },
    ]);
    let e = extract(&file, Some("mixed.pdf"), &Limits::default());
    assert_eq!(e.format, Format::PdfText, "a text page: not a scan");
    let ocr = e.ocr.as_ref().expect("the scanned page is read");
    let read: Vec<usize> = ocr.pages.iter().map(|p| p.page).collect();
    assert_eq!(read, [2], "the text page is not read by OCR");
    assert_eq!(ocr.pages_total, 2);
    assert_eq!(key_fields(&e), want, "{:?}", e.issues);
    assert_eq!(e.fields["number"].source, Source::Ocr);
    let text = e.text.as_deref().unwrap();
    let (cover_at, scan_at) = (
        text.find("Bordereau").unwrap(),
        text.find("NETPRESSE").unwrap(),
    );
    assert!(cover_at < scan_at, "pages in order");
}

#[test]
fn a_scanned_page_with_a_text_stamp_is_still_read() {
    let Some(jpeg) = scan() else { return };
    let want = upright(&jpeg);
    let file = pdf(&[Page {
        text: &[(400, 20, "Recu le 02/12/2022 - compta")],
        jpeg: Some(&jpeg),
    }]);
    let e = extract(&file, Some("stamped.pdf"), &Limits::default());
    assert_eq!(e.format, Format::PdfScan);
    assert_eq!(e.ocr.as_ref().unwrap().pages.len(), 1);
    assert_eq!(key_fields(&e), want, "{:?}", e.issues);
    let text = e.text.as_deref().unwrap();
    assert!(text.contains("Recu le 02/12/2022"), "the stamp is kept");
    assert!(text.contains("NETPRESSE"), "{text}");
}

/// A TIFF of grey pages, each with its horizontal and vertical density.
fn tiff_of(pages: &[(&GrayImage, u32, u32)]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut out).unwrap();
    for (page, x, y) in pages {
        let mut image = enc
            .new_image::<colortype::Gray8>(page.width(), page.height())
            .unwrap();
        image.x_resolution(Rational { n: *x, d: 1 });
        image.y_resolution(Rational { n: *y, d: 1 });
        image.resolution_unit(tiff::tags::ResolutionUnit::Inch);
        image.write_data(page.as_raw()).unwrap();
    }
    out.into_inner()
}

#[test]
fn every_page_of_a_tiff_is_read_and_a_blank_one_is_not_turned() {
    let Some(jpeg) = scan() else { return };
    let want = upright(&jpeg);
    let page = image::load_from_memory(&jpeg).unwrap().into_luma8();
    let blank = GrayImage::from_pixel(page.width(), page.height(), image::Luma([255]));
    let file = tiff_of(&[(&blank, 200, 200), (&page, 200, 200)]);
    let e = extract(&file, Some("pages.tif"), &Limits::default());
    assert_eq!(
        (e.format, e.media_type.as_str()),
        (Format::Image, "image/tiff")
    );
    let ocr = e.ocr.as_ref().unwrap();
    assert_eq!(ocr.pages_total, 2);
    let read: Vec<(usize, usize, u16)> = ocr
        .pages
        .iter()
        .map(|p| (p.page, p.words, p.rotation))
        .collect();
    assert_eq!(read.len(), 2, "{read:?}");
    assert_eq!(read[0], (1, 0, 0), "the blank page: no words, not turned");
    assert_eq!(key_fields(&e), want, "{:?}", e.issues);
}

#[test]
fn a_fax_of_pixels_twice_as_tall_as_wide_reads_like_the_page() {
    let Some(jpeg) = scan() else { return };
    let want = upright(&jpeg);
    let page = image::load_from_memory(&jpeg).unwrap().into_luma8();
    // Sent in "normal" fax mode: every other row, 200 dpi across and 100 down. (Tesseract
    // reads such a page squashed too, a little less surely: mean confidence 0.91 against 0.93
    // with square pixels; `ocr::prepare`'s tests check the page's new shape.)
    let halved = imageops::resize(
        &page,
        page.width(),
        page.height() / 2,
        imageops::FilterType::Triangle,
    );
    let e = extract(
        &tiff_of(&[(&halved, 200, 100)]),
        Some("fax.tif"),
        &Limits::default(),
    );
    assert_eq!(key_fields(&e), want, "{:?}", e.issues);
}
