//! Creating accountant bundles: periods and names, the consent check, contents, ledger and
//! audit, restricted documents, since-last, CSV cells never formulas, atomic output.

mod support;

use coffre_core::Error;
use coffre_core::sharing::bundle::{BundleProgress, bundle_verify, parse_period, portable_name};

use support::bundle::*;

#[test]
fn periods_parse() {
    let p = |s: &str| parse_period(s).unwrap();
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(p("2026-Q3"), s("2026-07-01", "2026-09-30"));
    assert_eq!(p("2026-q1"), s("2026-01-01", "2026-03-31"));
    assert_eq!(p("2026-Q4"), s("2026-10-01", "2026-12-31"));
    assert_eq!(p("2026-10"), s("2026-10-01", "2026-10-31"));
    assert_eq!(p("2028-02"), s("2028-02-01", "2028-02-29"));
    assert_eq!(p("2026-02"), s("2026-02-01", "2026-02-28"));
    assert_eq!(p("2026"), s("2026-01-01", "2026-12-31"));
    assert_eq!(p("2026-01-01..2026-06-30"), s("2026-01-01", "2026-06-30"));
    for bad in [
        "",
        "26",
        "2026-Q5",
        "2026-Q0",
        "2026-13",
        "2026-1",
        "2026-00",
        "2026-06-30..2026-01-01",
        "2026-02-30..2026-03-01",
        "2026-01-01..",
        "Q3-2026",
        "2026-10-01",
    ] {
        assert!(
            matches!(parse_period(bad), Err(Error::Invalid { .. })),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn portable_names() {
    assert_eq!(portable_name("CON", "pdf"), "-CON.pdf");
    assert_eq!(portable_name("lpt1", "xml"), "-lpt1.xml");
    assert_eq!(portable_name("COM10", "pdf"), "COM10.pdf");
    assert_eq!(
        portable_name("a<b>c:d\"e/f\\g|h?i*j\u{7}k", "PDF"),
        "a-b-c-d-e-f-g-h-i-j-k.pdf"
    );
    assert_eq!(portable_name("trailing. . ", ""), "trailing");
    assert_eq!(portable_name("...", "pdf"), "document.pdf");
    let long = "é".repeat(300);
    let n = portable_name(&long, "pdf");
    assert!(
        n.chars().count() <= 120 && n.len() <= 240 && n.ends_with(".pdf"),
        "{n}"
    );
    // NFC input stays NFC (no decomposition), and a cut never leaves a combining mark alone.
    assert_eq!(
        portable_name("Société Générale", "pdf"),
        "Société-Générale.pdf"
    );
    // Decomposed input (as macOS writes names) comes out composed (NFC), cut cleanly.
    let decomposed = "e\u{301}".repeat(200);
    let n = portable_name(&decomposed, "pdf");
    let stem = n.trim_end_matches(".pdf");
    assert!(
        !stem.is_empty() && stem.chars().all(|c| c == '\u{e9}'),
        "{n:?}"
    );
}

#[test]
fn no_consent_or_withdrawn_consent_refuses() {
    let Setup { tmp, mut vault, .. } = setup();
    let out = tmp.path().join("b.zip");
    let err = create(&mut vault, &request("Cabinet Martin", "2026", &out)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("Cabinet Martin") && msg.contains("no consent"),
        "{msg}"
    );

    let id = grant(
        &mut vault,
        "Cabinet Martin",
        Some("2026-01-01"),
        Some("2026-06-30"),
    );
    let msg = create(&mut vault, &request("Cabinet Martin", "2026", &out))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("period"), "{msg}");
    let mut other = request("Cabinet Martin", "2026-Q1", &out);
    other.purpose = Some("tax audit".into());
    let msg = create(&mut vault, &other).unwrap_err().to_string();
    assert!(msg.contains("purpose"), "{msg}");

    create(&mut vault, &request("cabinet martin", "2026-Q1", &out)).unwrap();
    std::fs::remove_file(&out).unwrap();
    vault.consent_withdraw(id, Some("end of contract")).unwrap();
    let msg = create(&mut vault, &request("Cabinet Martin", "2026-Q1", &out))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("withdrawn"), "{msg}");
    assert!(!out.exists());
    no_part_files(tmp.path());
}

#[test]
fn bundle_contents_ledger_and_audit() {
    let Setup {
        tmp,
        mut vault,
        ubl,
        cii,
        pdf,
        ..
    } = setup();
    let consent = grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("bundle 2026.zip");
    let mut req = request("Cabinet Martin", "2026", &out);
    req.decimal_comma = true;
    let mut events: Vec<BundleProgress> = Vec::new();
    let s = vault.bundle_create(&req, &mut |p| events.push(p)).unwrap();
    assert_eq!(s.documents, 3);
    assert_eq!(s.consent_id, consent);
    assert_eq!(s.restricted_skipped, 0);
    assert_eq!(
        (s.period_from.as_str(), s.period_to.as_str()),
        ("2026-01-01", "2026-12-31")
    );
    // Sorted by date: the CII credit note (January) first.
    assert_eq!(
        s.document_ids,
        vec![
            cii.clone(),
            s.document_ids[1].clone(),
            s.document_ids[2].clone()
        ]
    );
    assert!(s.document_ids.contains(&ubl) && s.document_ids.contains(&pdf));
    let last = events.last().unwrap();
    assert_eq!((last.done, last.total), (3, 3));
    assert!(events.iter().filter(|e| e.file.is_some()).count() == 3);
    assert!(last.bytes > 0);
    no_part_files(tmp.path());

    let all = entries(&out, None);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"documents/2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf"),
        "{names:?}"
    );
    let docs: Vec<&&str> = names
        .iter()
        .filter(|n| n.starts_with("documents/"))
        .collect();
    assert_eq!(docs.len(), 3);
    assert!(
        docs.iter()
            .any(|n| n.starts_with("documents/2026-01-05_") && n.ends_with(".xml"))
    );
    assert!(
        docs.iter()
            .any(|n| n.starts_with("documents/2026-10-14_") && n.ends_with(".xml"))
    );
    for n in [
        "index.csv",
        "index.json",
        "README.html",
        "manifest.json",
        "manifest.sig",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let pdf_bytes = std::fs::read(fixture("ghostscript-invoice-fr.pdf")).unwrap();
    assert_eq!(
        entry(
            &all,
            "documents/2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf"
        ),
        pdf_bytes.as_slice()
    );

    let csv = std::str::from_utf8(entry(&all, "index.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(lines[0].starts_with("date;number;seller;seller_vat_id;buyer;total_without_vat;vat;"));
    assert_eq!(lines.iter().filter(|l| !l.is_empty()).count(), 4);
    let pdf_line = lines.iter().find(|l| l.contains("F-2026-0042")).unwrap();
    let cells: Vec<&str> = pdf_line.split(';').collect();
    assert_eq!(cells[0], "2026-10-14");
    assert_eq!(cells[2], "ACME Conseil SAS");
    assert_eq!(cells[3], "FR44732829320");
    assert_eq!(&cells[5..9], &["1000,00", "200,00", "1200,00", "EUR"]);
    assert_eq!(
        cells[11],
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &pdf_bytes))
    );

    let index: serde_json::Value = serde_json::from_slice(entry(&all, "index.json")).unwrap();
    let rows = index["documents"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let pdf_row = rows
        .iter()
        .find(|r| r["document_id"] == pdf.as_str())
        .unwrap();
    assert_eq!(pdf_row["total_with_vat"], "1200.00");
    assert!(
        rows.iter()
            .any(|r| r["vat_breakdown"].as_array().is_some_and(|v| !v.is_empty()))
    );

    let readme = std::str::from_utf8(entry(&all, "README.html")).unwrap();
    assert!(readme.contains("Cabinet Martin") && readme.contains("2026-01-01"));
    assert!(
        readme
            .contains("href=\"documents/2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf\"")
    );
    assert!(readme.contains("2026-10") && readme.contains("Totals per VAT rate"));
    assert!(readme.contains("<td class=\"n\">2491.00</td>"), "{readme}");
    assert!(readme.contains("<td>5.5</td><td>EUR</td><td class=\"n\">200.00</td>"));
    // The PDF's own VAT summary (20 % of 1000.00, read from its text) joins the e-invoice's 20 %
    // row: nothing is left without a breakdown.
    assert!(
        readme.contains(
            "<td>20</td><td>EUR</td><td class=\"n\">1900.00</td><td class=\"n\">380.00</td>"
        ),
        "{readme}"
    );
    assert!(!readme.contains("(no breakdown)"), "{readme}");
    assert!(readme.contains(&s.key_fingerprint));
    assert!(!readme.contains("<script"));

    let manifest_bytes = entry(&all, "manifest.json");
    let manifest: serde_json::Value = serde_json::from_slice(manifest_bytes).unwrap();
    let pk = vault.signing_public_key().unwrap();
    assert_eq!(manifest["public_key"], hex::encode(&pk));
    assert_eq!(manifest["vault_id"], vault.id().to_string());
    assert_eq!(manifest["bundle_id"], s.bundle_id);
    assert_eq!(manifest["consent_id"], consent);
    assert_eq!(manifest["recipient"], "Cabinet Martin");
    assert_eq!(manifest["files"].as_array().unwrap().len(), 6);
    for f in manifest["files"].as_array().unwrap() {
        let data = entry(&all, f["path"].as_str().unwrap());
        assert_eq!(f["size"], data.len());
        assert_eq!(
            f["sha256"],
            hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
        );
    }
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &pk)
        .verify(manifest_bytes, entry(&all, "manifest.sig"))
        .expect("signature verifies");
    assert_eq!(
        s.digest,
        hex::encode(ring::digest::digest(&ring::digest::SHA256, manifest_bytes))
    );

    let audit = vault.audit_entries(None).unwrap();
    let e = audit.iter().find(|e| e.action == "bundle.create").unwrap();
    assert_eq!(e.detail["bundle"], s.bundle_id);
    assert_eq!(e.detail["digest"], s.digest);
    assert_eq!(e.detail["recipient"], "Cabinet Martin");
    assert_eq!(e.detail["consent"], consent);
    assert_eq!(e.detail["documents"].as_array().unwrap().len(), 3);
    assert!(vault.verify_audit().unwrap().faults.is_empty());

    let report = bundle_verify(&out, None, Some(&by(&pk))).unwrap();
    assert!(report.ok, "{:?}", report.problems);
    assert!(report.signature_valid);
    assert_eq!(report.files_ok, 4 + 2);
    assert_eq!(report.bundle_id.as_deref(), Some(s.bundle_id.as_str()));
}

#[test]
fn restricted_documents_are_left_out_and_counted() {
    let Setup {
        tmp,
        mut vault,
        ubl,
        ..
    } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    vault
        .restrict(&ubl, "disputed by the data subject")
        .unwrap();
    let out = tmp.path().join("b.zip");
    let s = create(&mut vault, &request("Cabinet Martin", "2026", &out)).unwrap();
    assert_eq!(s.documents, 2);
    assert_eq!(s.restricted_skipped, 1);
    assert!(!s.document_ids.contains(&ubl));
    let index: serde_json::Value =
        serde_json::from_slice(entry(&entries(&out, None), "index.json")).unwrap();
    assert!(
        index["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["document_id"] != ubl.as_str())
    );

    // Categories filter (the consent covers every category).
    let category = vault.retention_of(&ubl).unwrap().category;
    let out2 = tmp.path().join("c.zip");
    let mut req = request("Cabinet Martin", "2026", &out2);
    req.categories = vec!["no-such-category".into()];
    let s = create(&mut vault, &req).unwrap();
    assert_eq!((s.documents, s.restricted_skipped), (0, 0));
    std::fs::remove_file(&out2).unwrap();
    req.categories = vec![category];
    let s = create(&mut vault, &req).unwrap();
    assert_eq!(s.restricted_skipped, 1);
}

#[test]
fn since_last_sends_only_new_or_changed_documents() {
    let Setup {
        tmp,
        mut vault,
        pdf,
        ..
    } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    grant(&mut vault, "Audit SA", None, None);
    let path = |n: &str| tmp.path().join(n);
    let mut req = request("Cabinet Martin", "2026", &path("1.zip"));
    req.since_last = true;
    let s = create(&mut vault, &req).unwrap();
    assert_eq!((s.documents, s.unchanged_skipped), (3, 0));

    req.out = path("2.zip");
    let s = create(&mut vault, &req).unwrap();
    assert_eq!((s.documents, s.unchanged_skipped), (0, 3));

    vault
        .correct(&pdf, "number", Some("F-2026-0042-bis"))
        .unwrap();
    req.out = path("3.zip");
    req.recipient = " cabinet MARTIN ".into();
    let s = create(&mut vault, &req).unwrap();
    assert_eq!(s.document_ids, vec![pdf.clone()]);
    assert_eq!(s.unchanged_skipped, 2);
    let names: Vec<String> = entries(&path("3.zip"), None)
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(
        names.iter().any(|n| n.contains("F-2026-0042-bis")),
        "{names:?}"
    );

    let mut other = request("Audit SA", "2026", &path("4.zip"));
    other.since_last = true;
    assert_eq!(create(&mut vault, &other).unwrap().documents, 3);

    // Without since-last everything goes again.
    req.since_last = false;
    req.out = path("5.zip");
    assert_eq!(create(&mut vault, &req).unwrap().documents, 3);
}

/// The cells of a `;`-separated RFC 4180 file (a BOM first), as a spreadsheet reads them.
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ';') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "unterminated last row");
    rows
}

/// No cell a spreadsheet would run: none starts with `= + - @`, TAB or CR, except plain numbers.
fn assert_no_formula(file: &str, text: &str) {
    for row in csv_cells(text) {
        for cell in row {
            let number = {
                let b = cell.strip_prefix('-').unwrap_or(&cell);
                !b.is_empty()
                    && b.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            };
            assert!(
                number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{file}: formula cell {cell:?}"
            );
        }
    }
}

#[test]
fn a_hostile_currency_never_reaches_a_csv_cell_as_a_formula() {
    let Setup { tmp, mut vault, .. } = setup();
    let hostile = std::fs::read_to_string(fixture("ubl-invoice-eur.xml"))
        .unwrap()
        .replace(
            "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
            "<cbc:DocumentCurrencyCode>=HYPERLINK(\"http://x\",\"y\")</cbc:DocumentCurrencyCode>",
        )
        .replace(
            "currencyID=\"EUR\"",
            "currencyID='=HYPERLINK(\"http://x\",\"y\")'",
        )
        .replace("ACME SAS", "@SUM(1+1)*cmd|' /C calc'!A0")
        .replace(" FA-2026-0001 ", "-2+3");
    assert!(hostile.contains("HYPERLINK"));
    let path = tmp.path().join("hostile.xml");
    std::fs::write(&path, hostile).unwrap();
    let id = vault
        .import_file(&path, None)
        .unwrap()
        .document()
        .id
        .clone();

    // Extraction dropped the currency, with an issue.
    let details = vault.details(&id).unwrap();
    assert!(details.fields["currency"].is_null(), "{}", details.fields);
    assert!(
        details.fields["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i.as_str().is_some_and(|i| i.contains("currency"))),
        "{}",
        details.fields
    );

    // The export's documents.csv.
    let export = tmp.path().join("export");
    vault.export_all(&export).unwrap();
    let csv = std::fs::read_to_string(export.join("documents.csv")).unwrap();
    assert!(!csv.contains("HYPERLINK"), "{csv}");
    assert!(csv.contains("'@SUM(1+1)") && csv.contains("'-2+3"), "{csv}");
    assert_no_formula("documents.csv", &csv);

    // A bundle's index.csv (amounts, with a decimal comma, stay numbers).
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("b.zip");
    let mut req = request("Cabinet Martin", "2026", &out);
    req.decimal_comma = true;
    create(&mut vault, &req).unwrap();
    let all = entries(&out, None);
    let csv = std::str::from_utf8(entry(&all, "index.csv")).unwrap();
    assert!(!csv.contains("HYPERLINK"), "{csv}");
    assert!(
        csv.contains("'@SUM(1+1)") && csv.contains(";1291,00;"),
        "{csv}"
    );
    assert_no_formula("index.csv", csv);
    let cii_credit = csv_cells(csv)
        .into_iter()
        .find(|r| r[0] == "2026-01-05")
        .unwrap();
    assert!(
        cii_credit[5..8].iter().all(|c| !c.starts_with('\'')),
        "{cii_credit:?}"
    );
}

#[test]
fn output_is_atomic() {
    let Setup {
        tmp,
        dir,
        mut vault,
        ubl,
        ..
    } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);

    // Output folder missing.
    let out = tmp.path().join("no-such-folder").join("b.zip");
    assert!(create(&mut vault, &request("Cabinet Martin", "2026", &out)).is_err());
    assert!(!out.exists());
    no_part_files(tmp.path());

    // A document fails midway: its encrypted file is gone.
    let blob = dir.join("blobs").join(&ubl[..2]).join(&ubl);
    assert!(blob.exists(), "blob layout changed: {}", blob.display());
    std::fs::remove_file(&blob).unwrap();
    let out = tmp.path().join("b.zip");
    let err = create(&mut vault, &request("Cabinet Martin", "2026", &out)).unwrap_err();
    assert!(matches!(err, Error::MissingBlob { .. }), "{err}");
    assert!(!out.exists());
    no_part_files(tmp.path());
    assert!(
        !vault
            .audit_entries(None)
            .unwrap()
            .iter()
            .any(|e| e.action == "bundle.create")
    );
}
