//! Accountant bundles: consent, contents, signature, verification, ledger, since-last, password,
//! atomic output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use coffre_core::sharing::bundle::{
    BundleProgress, BundleRequest, BundleSummary, ExpectedSigner, bundle_verify, parse_period,
    portable_name,
};
use coffre_core::sharing::consent::Grant;
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, Vault};
use zeroize::Zeroizing;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

struct Setup {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    vault: Vault,
    ubl: String,
    cii: String,
    pdf: String,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut vault, _) =
        Vault::create(&dir, &Passphrase::new("bundle test pass".into()), &opts).unwrap();
    let mut import = |name: &str| {
        vault
            .import_file(&fixture(name), None)
            .unwrap()
            .document()
            .id
            .clone()
    };
    let ubl = import("ubl-invoice-eur.xml");
    let cii = import("cii-creditnote-usd.xml");
    let pdf = import("ghostscript-invoice-fr.pdf");
    Setup {
        tmp,
        dir,
        vault,
        ubl,
        cii,
        pdf,
    }
}

fn grant(v: &mut Vault, party: &str, from: Option<&str>, to: Option<&str>) -> i64 {
    v.consent_grant(&Grant {
        party: party.into(),
        purpose: "bookkeeping".into(),
        from: from.map(Into::into),
        to: to.map(Into::into),
        categories: Vec::new(),
        evidence: Some("engagement letter".into()),
    })
    .unwrap()
    .id
}

fn request(recipient: &str, period: &str, out: &Path) -> BundleRequest {
    BundleRequest {
        recipient: recipient.into(),
        purpose: Some("bookkeeping".into()),
        period: period.into(),
        categories: Vec::new(),
        since_last: false,
        password: None,
        decimal_comma: false,
        out: out.to_path_buf(),
    }
}

/// The vault's own key, as the app and the CLI expect it.
fn by(public_key: &[u8]) -> ExpectedSigner {
    ExpectedSigner::PublicKey(public_key.to_vec())
}

/// A password the rule accepts.
const STRONG: &str = "velvet canyon tractor mosaic";

fn create(v: &mut Vault, req: &BundleRequest) -> coffre_core::Result<BundleSummary> {
    v.bundle_create(req, &mut |_| {})
}

fn entries(path: &Path, password: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = match password {
                Some(p) => zip.by_index_decrypt(i, p.as_bytes()).unwrap(),
                None => zip.by_index(i).unwrap(),
            };
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            (f.name().unwrap().into_owned(), buf)
        })
        .collect()
}

fn entry<'a>(all: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &all.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

/// Rewrites a ZIP entry by entry; `edit` returns the new content or `None` to drop the entry.
fn rewrite(
    src: &Path,
    dst: &Path,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: Option<(&str, &[u8])>,
) {
    let all = entries(src, None);
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in all {
        if let Some(data) = edit(&name, data) {
            w.start_file(name.as_str(), opts).unwrap();
            w.write_all(&data).unwrap();
        }
    }
    if let Some((name, data)) = extra {
        w.start_file(name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

fn kinds(report: &coffre_core::sharing::bundle::VerifyBundleReport) -> Vec<(String, String)> {
    report
        .problems
        .iter()
        .map(|p| (p.kind.to_owned(), p.path.clone().unwrap_or_default()))
        .collect()
}

fn no_part_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".part"), "left behind: {name}");
    }
}

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
    assert!(readme.contains("<td>(no breakdown)</td><td>EUR</td><td class=\"n\">1000.00</td>"));
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
fn verify_names_altered_missing_extra_files_and_bad_signatures() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("b.zip");
    create(&mut vault, &request("Cabinet Martin", "2026-Q4", &out)).unwrap();
    let pk = vault.signing_public_key().unwrap();
    let report = bundle_verify(&out, None, Some(&by(&pk))).unwrap();
    assert!(report.ok, "{:?}", report.problems);

    let bad = tmp.path().join("bad.zip");
    // Altered document.
    let mut target = String::new();
    rewrite(
        &out,
        &bad,
        |n, mut d| {
            if n.starts_with("documents/") && target.is_empty() {
                target = n.to_owned();
                d[0] ^= 1;
            }
            Some(d)
        },
        None,
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok && r.signature_valid);
    assert_eq!(kinds(&r), vec![("altered".to_owned(), target.clone())]);

    // Missing file.
    rewrite(&out, &bad, |n, d| (n != "index.csv").then_some(d), None);
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("missing".to_owned(), "index.csv".to_owned())]
    );
    assert!(!r.ok);

    // Extra file.
    rewrite(
        &out,
        &bad,
        |_, d| Some(d),
        Some(("documents/evil.pdf", b"%PDF-")),
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("extra".to_owned(), "documents/evil.pdf".to_owned())]
    );

    // Path traversal.
    rewrite(&out, &bad, |_, d| Some(d), Some(("../escape.txt", b"x")));
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("unsafe-path".to_owned(), "../escape.txt".to_owned())]
    );

    // Bad signature.
    rewrite(
        &out,
        &bad,
        |n, mut d| {
            if n == "manifest.sig" {
                d[10] ^= 0x40;
            }
            Some(d)
        },
        None,
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok && !r.signature_valid);
    assert_eq!(
        kinds(&r),
        vec![("signature".to_owned(), "manifest.sig".to_owned())]
    );

    // A manifest edited to match an altered file no longer matches its signature.
    rewrite(
        &out,
        &bad,
        |n, d| {
            if n == "manifest.json" {
                let s = String::from_utf8(d)
                    .unwrap()
                    .replace("Cabinet Martin", "Cabinet Dupont");
                Some(s.into_bytes())
            } else {
                Some(d)
            }
        },
        None,
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("signature".to_owned(), "manifest.sig".to_owned())]
    );

    // Another vault's key is not the expected one.
    let r = bundle_verify(&out, None, Some(&by(&[7u8; 32]))).unwrap();
    assert!(!r.ok);
    assert_eq!(
        kinds(&r),
        vec![("key".to_owned(), "manifest.json".to_owned())]
    );

    // Not a ZIP at all.
    std::fs::write(&bad, b"PK\x03\x04 garbage").unwrap();
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok && r.problems[0].kind == "archive");
    assert!(bundle_verify(&tmp.path().join("absent.zip"), None, None).is_err());
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

#[test]
fn password_protected_bundle() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("secret.zip");
    let mut req = request("Cabinet Martin", "2026", &out);
    req.password = Some(Zeroizing::new(STRONG.to_owned()));
    let s = create(&mut vault, &req).unwrap();
    assert_eq!(s.documents, 3);

    {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        for i in 0..zip.len() {
            assert!(zip.by_index_raw(i).unwrap().encrypted());
        }
    }
    let all = entries(&out, Some(STRONG));
    assert!(entry(&all, "index.csv").starts_with("\u{feff}".as_bytes()));

    let pk = vault.signing_public_key().unwrap();
    let r = bundle_verify(&out, Some(STRONG), Some(&by(&pk))).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    let r = bundle_verify(&out, None, Some(&by(&pk))).unwrap();
    assert!(
        !r.ok && r.problems.iter().any(|p| p.kind == "password"),
        "{:?}",
        r.problems
    );
    let r = bundle_verify(&out, Some("wrong"), Some(&by(&pk))).unwrap();
    assert!(
        !r.ok && r.problems.iter().any(|p| p.kind == "password"),
        "{:?}",
        r.problems
    );

    let has_7z = std::process::Command::new("7z")
        .arg("i")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_7z {
        eprintln!("note: 7z not on PATH, skipping the 7-Zip interoperability check");
        return;
    }
    let run = |pass: &str, dest: &Path| {
        std::process::Command::new("7z")
            .arg("x")
            .arg(format!("-p{pass}"))
            .arg(format!("-o{}", dest.display()))
            .arg("-y")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
    };
    let good = tmp.path().join("x-good");
    assert!(run(STRONG, &good).success());
    assert_eq!(
        std::fs::read(good.join("index.csv")).unwrap(),
        entry(&all, "index.csv")
    );
    // 7-Zip checks each document's content as it extracts (AE-2: by its HMAC, not a CRC).
    for (name, data) in all.iter().filter(|(n, _)| n.starts_with("documents/")) {
        assert_eq!(&std::fs::read(good.join(name)).unwrap(), data, "{name}");
    }
    assert!(!run("wrong pass", &tmp.path().join("x-bad")).success());
}

/// One entry of a ZIP as its headers say, read byte by byte (no ZIP library between the test
/// and the bytes): the central directory's name, CRC-32 and AES extra field, the local header's
/// CRC-32 and AES extra field, and the data descriptor's CRC-32 when there is one.
#[derive(Debug)]
struct RawEntry {
    name: String,
    central_crc: u32,
    /// (vendor version, vendor id, strength) of the 0x9901 extra field.
    central_aes: Option<(u16, [u8; 2], u8)>,
    local_crc: u32,
    local_aes: Option<(u16, [u8; 2], u8)>,
    descriptor_crc: Option<u32>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn aes_field(extra: &[u8]) -> Option<(u16, [u8; 2], u8)> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, at), usize::from(u16_at(extra, at + 2)));
        let data = &extra[at + 4..at + 4 + len];
        if id == 0x9901 {
            return Some((u16_at(data, 0), [data[2], data[3]], data[4]));
        }
        at += 4 + len;
    }
    None
}

fn raw_entries(bytes: &[u8]) -> Vec<RawEntry> {
    let eocd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("end of central directory");
    let count = usize::from(u16_at(bytes, eocd + 10));
    let mut at = u32_at(bytes, eocd + 16) as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
        let flags = u16_at(bytes, at + 8);
        let central_crc = u32_at(bytes, at + 16);
        let compressed = u32_at(bytes, at + 20) as usize;
        let (n, x, c) = (
            usize::from(u16_at(bytes, at + 28)),
            usize::from(u16_at(bytes, at + 30)),
            usize::from(u16_at(bytes, at + 32)),
        );
        let local = u32_at(bytes, at + 42) as usize;
        let name = String::from_utf8(bytes[at + 46..at + 46 + n].to_vec()).unwrap();
        let central_aes = aes_field(&bytes[at + 46 + n..at + 46 + n + x]);
        assert_eq!(&bytes[local..local + 4], b"PK\x03\x04");
        let (ln, lx) = (
            usize::from(u16_at(bytes, local + 26)),
            usize::from(u16_at(bytes, local + 28)),
        );
        let data = local + 30 + ln + lx;
        let descriptor_crc = (flags & 8 != 0).then(|| {
            let d = data + compressed;
            if &bytes[d..d + 4] == b"PK\x07\x08" {
                u32_at(bytes, d + 4)
            } else {
                u32_at(bytes, d)
            }
        });
        out.push(RawEntry {
            name,
            central_crc,
            central_aes,
            local_crc: u32_at(bytes, local + 14),
            local_aes: aes_field(&bytes[local + 30 + ln..data]),
            descriptor_crc,
        });
        at += 46 + n + x + c;
    }
    out
}

#[test]
fn password_bundles_hide_names_and_use_ae2() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("secret.zip");
    let mut req = request("Cabinet Martin", "2026", &out);
    req.password = Some(Zeroizing::new(STRONG.to_owned()));
    create(&mut vault, &req).unwrap();
    let bytes = std::fs::read(&out).unwrap();

    // What anyone can list: neutral names, in bundle order, and the fixed files.
    let raw = raw_entries(&bytes);
    let names: Vec<&str> = raw.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names[3..],
        [
            "index.csv",
            "index.json",
            "README.html",
            "manifest.json",
            "manifest.sig",
        ]
    );
    // Bundle order is by date: the January credit note first; the two October documents follow
    // in id order.
    assert_eq!(names[0], "documents/0001.xml");
    let pdf = *names[1..3]
        .iter()
        .find(|n| n.ends_with(".pdf"))
        .expect("the PDF");
    for (i, n) in names[..3].iter().enumerate() {
        let want = format!("documents/{:04}.", i + 1);
        assert!(
            n.starts_with(&want) && (n.ends_with(".xml") || n.ends_with(".pdf")),
            "{n}"
        );
    }
    // No seller, number, amount, recipient or date anywhere in the file's bytes: the names are
    // neutral and everything else is encrypted.
    for secret in [
        "ACME",
        "F-2026-0042",
        "FA-2026-0001",
        "1200.00",
        "1291.00",
        "Cabinet Martin",
        "2026-10-14",
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} readable without the password"
        );
    }
    // AE-2: the 0x9901 field says vendor version 2, and no CRC-32 of the plaintext is stored
    // (central directory, local header and data descriptor all hold 0).
    for e in &raw {
        assert_eq!(e.central_aes, Some((2, *b"AE", 3)), "{e:?}");
        assert_eq!(e.local_aes, Some((2, *b"AE", 3)), "{e:?}");
        assert_eq!(e.central_crc, 0, "{e:?}");
        assert_eq!(e.local_crc, 0, "{e:?}");
        assert!(e.descriptor_crc.is_none_or(|c| c == 0), "{e:?}");
    }

    // The mapping is in the encrypted index files.
    let all = entries(&out, Some(STRONG));
    let csv = std::str::from_utf8(entry(&all, "index.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains(pdf))
        .expect("the PDF's row");
    assert!(
        row.contains("ACME Conseil SAS")
            && row.contains("F-2026-0042")
            && row.contains("1200.00")
            && row.ends_with("2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf"),
        "{row}"
    );
    let index: serde_json::Value = serde_json::from_slice(entry(&all, "index.json")).unwrap();
    assert!(index["documents"].as_array().unwrap().iter().any(|d| {
        d["file"] == pdf && d["name"] == "2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf"
    }));
    let readme = std::str::from_utf8(entry(&all, "README.html")).unwrap();
    assert!(readme.contains(&format!("href=\"{pdf}\"")), "{readme}");
    assert!(readme.contains("AE-2") && readme.contains("AES-256"));

    // Without a password: readable names, as before.
    let plain = tmp.path().join("plain.zip");
    create(&mut vault, &request("Cabinet Martin", "2026", &plain)).unwrap();
    let raw = raw_entries(&std::fs::read(&plain).unwrap());
    assert!(
        raw.iter()
            .any(|e| e.name == "documents/2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf")
    );
    assert!(raw.iter().all(|e| e.central_aes.is_none()));
}

#[test]
fn weak_bundle_passwords_are_refused() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("weak.zip");
    for weak in ["", "a", "s3cret pass", "password1234", "azertyuiop123"] {
        let mut req = request("Cabinet Martin", "2026", &out);
        req.password = Some(Zeroizing::new(weak.to_owned()));
        let err = create(&mut vault, &req).unwrap_err();
        assert!(
            matches!(&err, Error::WeakBundlePassword(_)),
            "{weak:?}: {err}"
        );
        assert!(!out.exists());
    }
    no_part_files(tmp.path());
    // A generated one is shown once and accepted.
    let generated = coffre_core::sharing::bundle::generate_password().unwrap();
    let mut req = request("Cabinet Martin", "2026", &out);
    req.password = Some(generated.clone());
    create(&mut vault, &req).unwrap();
    let pk = vault.signing_public_key().unwrap();
    assert!(
        bundle_verify(&out, Some(&generated), Some(&by(&pk)))
            .unwrap()
            .ok
    );
}

#[test]
fn a_bundle_from_another_vault_fails_verify() {
    let Setup { tmp, vault, .. } = setup();
    let mut other = setup();
    grant(&mut other.vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("other.zip");
    let made = create(&mut other.vault, &request("Cabinet Martin", "2026", &out)).unwrap();

    // Checked against this vault's key: another signer.
    let mine = vault.signing_public_key().unwrap();
    let r = bundle_verify(&out, None, Some(&by(&mine))).unwrap();
    assert!(!r.ok && r.signature_valid && !r.signer_known);
    assert_eq!(
        kinds(&r),
        vec![("key".to_owned(), "manifest.json".to_owned())]
    );
    assert_eq!(r.files_ok, 6, "every file is still checked");

    // With the fingerprint the sender gave (as the summary and the README print it).
    let fp = ExpectedSigner::fingerprint(&made.key_fingerprint).unwrap();
    let r = bundle_verify(&out, None, Some(&fp)).unwrap();
    assert!(r.ok && r.signer_known, "{:?}", r.problems);
    let typed =
        ExpectedSigner::fingerprint(&made.key_fingerprint.to_uppercase().replace(' ', "")).unwrap();
    assert!(bundle_verify(&out, None, Some(&typed)).unwrap().ok);
    let wrong =
        ExpectedSigner::fingerprint(&coffre_core::sharing::bundle::key_fingerprint(&mine)).unwrap();
    assert!(!bundle_verify(&out, None, Some(&wrong)).unwrap().ok);

    // With nothing expected: signed by an unknown key, not ok, every file still checked.
    let r = bundle_verify(&out, None, None).unwrap();
    assert!(!r.ok && r.signature_valid && !r.signer_known);
    assert_eq!(
        kinds(&r),
        vec![("unknown-key".to_owned(), "manifest.json".to_owned())]
    );
    assert!(
        r.problems[0].detail.contains("signed by an unknown key")
            && r.problems[0].detail.contains(&made.key_fingerprint),
        "{:?}",
        r.problems
    );
    assert_eq!(r.files_ok, 6);

    // Re-signed by someone else with their own key in the manifest: the signature holds, the
    // signer does not.
    let forged = tmp.path().join("forged.zip");
    let (kp, forger_pk) = {
        use ring::signature::KeyPair;
        let kp = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[9u8; 32]).unwrap();
        let pk = kp.public_key().as_ref().to_vec();
        (kp, pk)
    };
    let mut manifest = Vec::new();
    for (name, data) in entries(&out, None) {
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
            m["public_key"] = hex::encode(&forger_pk).into();
            manifest = serde_json::to_vec(&m).unwrap();
        }
    }
    let signature = kp.sign(&manifest).as_ref().to_vec();
    rewrite(
        &out,
        &forged,
        |n, d| match n {
            "manifest.json" => Some(manifest.clone()),
            "manifest.sig" => Some(signature.clone()),
            _ => Some(d),
        },
        None,
    );
    let r = bundle_verify(&forged, None, Some(&fp)).unwrap();
    assert!(r.signature_valid && !r.ok, "{:?}", r.problems);
    assert_eq!(
        kinds(&r),
        vec![("key".to_owned(), "manifest.json".to_owned())]
    );
    assert!(!bundle_verify(&forged, None, None).unwrap().ok);
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

// Hostile archives (issue 12): written byte by byte, since the `zip` crate never writes
// duplicate names or entries sharing bytes.

/// One local entry of a hand-made ZIP.
struct Raw {
    name: String,
    /// 0 stored, 8 deflated.
    method: u16,
    data: Vec<u8>,
    crc: u32,
    /// The uncompressed size the headers claim.
    size: u32,
}

/// CRC-32 (IEEE), bit by bit: enough for test archives.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn stored(name: &str, data: Vec<u8>) -> Raw {
    Raw {
        name: name.into(),
        method: 0,
        crc: crc32(&data),
        size: data.len() as u32,
        data,
    }
}

/// Bits of a DEFLATE stream, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u8,
    n: u32,
}

impl Bits {
    fn bit(&mut self, b: u32) {
        self.acc |= ((b & 1) as u8) << self.n;
        self.n += 1;
        if self.n == 8 {
            self.out.push(self.acc);
            (self.acc, self.n) = (0, 0);
        }
    }
    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }
    /// Length 258 (symbol 285, fixed code 0xC5) at distance 1 (fixed code 0): 258 more zeros.
    fn run(&mut self) {
        self.code(0xC5, 8);
        self.code(0, 5);
    }
}

/// A deflated entry inflating to at least `min_len` zero bytes from about `min_len / 160` bytes,
/// whatever `claimed` size its headers say. Built directly (one fixed-Huffman block: a literal 0,
/// then runs of 258), so no test compresses gigabytes.
fn zeros(name: &str, min_len: u64, claimed: u32) -> Raw {
    let mut b = Bits::default();
    b.bit(1); // last block
    b.bit(1); // fixed Huffman codes (01)
    b.bit(0);
    b.code(0x30, 8); // literal 0
    b.run(); // 3 + 8 + 13 bits: byte-aligned from here
    assert_eq!(b.n, 0);
    let mut eight = Bits::default();
    for _ in 0..8 {
        eight.run();
    }
    assert_eq!(eight.n, 0);
    for _ in 0..min_len.saturating_sub(259).div_ceil(8 * 258) {
        b.out.extend_from_slice(&eight.out);
    }
    b.code(0, 7); // end of block
    while b.n != 0 {
        b.bit(0);
    }
    Raw {
        name: name.into(),
        method: 8,
        data: b.out,
        crc: 0,
        size: claimed,
    }
}

/// Writes a ZIP of `locals`; `central` lists the central-directory entries as (name, local
/// entry): a name may repeat, and several names may point at one local entry.
fn raw_zip(path: &Path, locals: &[Raw], central: &[(&str, usize)]) {
    let mut out: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    let fixed = |out: &mut Vec<u8>, e: &Raw| {
        out.extend(0x0800u16.to_le_bytes()); // flags: UTF-8 names
        out.extend(e.method.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend(e.crc.to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend(e.size.to_le_bytes());
    };
    for e in locals {
        offsets.push(out.len() as u32);
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        fixed(&mut out, e);
        out.extend((e.name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(e.name.as_bytes());
        out.extend(&e.data);
    }
    let start = out.len() as u32;
    for (name, i) in central {
        out.extend(0x0201_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes()); // made by
        out.extend(20u16.to_le_bytes()); // needed
        fixed(&mut out, &locals[*i]);
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0u8; 12]); // extra and comment lengths, disk, attributes
        out.extend(offsets[*i].to_le_bytes());
        out.extend(name.as_bytes());
    }
    let len = out.len() as u32 - start;
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((central.len() as u16).to_le_bytes());
    out.extend((central.len() as u16).to_le_bytes());
    out.extend(len.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// A genuine bundle's entries, stored, in archive order; and the vault's public key.
fn genuine_entries() -> (Setup, Vec<Raw>, Vec<u8>) {
    let mut s = setup();
    grant(&mut s.vault, "Cabinet Martin", None, None);
    let out = s.tmp.path().join("genuine.zip");
    create(&mut s.vault, &request("Cabinet Martin", "2026", &out)).unwrap();
    let pk = s.vault.signing_public_key().unwrap();
    let raws = entries(&out, None)
        .into_iter()
        .map(|(n, d)| stored(&n, d))
        .collect();
    (s, raws, pk)
}

fn every_entry(locals: &[Raw]) -> Vec<(&str, usize)> {
    locals
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect()
}

/// The manifest with `extra` files listed (its signature no longer holds).
fn listing(locals: &[Raw], extra: &[(String, u64)]) -> Vec<u8> {
    let m = locals.iter().find(|e| e.name == "manifest.json").unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&m.data).unwrap();
    for (path, size) in extra {
        m["files"].as_array_mut().unwrap().push(serde_json::json!({
            "path": path, "size": size, "sha256": "00".repeat(32)
        }));
    }
    serde_json::to_vec(&m).unwrap()
}

#[test]
fn a_hand_made_copy_of_a_genuine_bundle_verifies() {
    let (s, locals, pk) = genuine_entries();
    let path = s.tmp.path().join("copy.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    let original = bundle_verify(&s.tmp.path().join("genuine.zip"), None, Some(&by(&pk))).unwrap();
    assert!(original.ok && r.files_ok == original.files_ok && r.files_ok > 3);
}

#[test]
fn verify_refuses_duplicate_names() {
    let (s, genuine, pk) = genuine_entries();
    // A second `index.csv` before the genuine one: the ZIP reader keeps the last, an unzip tool
    // may show the first. Before the fix the bundle verified as genuine.
    let mut locals = vec![stored("index.csv", b"\xef\xbb\xbfaltered;rows\n".to_vec())];
    locals.extend(genuine);
    let path = s.tmp.path().join("dup.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert_eq!(kinds(&r), vec![("duplicate".to_owned(), String::new())]);
    assert_eq!(r.files_ok, 0, "nothing is read from a refused archive");
}

#[test]
fn verify_refuses_entries_sharing_bytes() {
    let (s, mut locals, pk) = genuine_entries();
    // One block inflating to 32 MiB, named 32 times in the central directory and listed 32
    // times in the manifest: 1 GiB to inflate from a few hundred kilobytes.
    const EACH: u64 = 32 << 20;
    let bomb = locals.len();
    locals.push(zeros("documents/bomb-0.pdf", EACH, EACH as u32));
    let names: Vec<String> = (0..32).map(|i| format!("documents/bomb-{i}.pdf")).collect();
    let listed: Vec<(String, u64)> = names.iter().map(|n| (n.clone(), EACH)).collect();
    let m = locals
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    locals[m] = stored("manifest.json", listing(&locals, &listed));
    let mut central = every_entry(&locals);
    central.pop();
    central.extend(names.iter().map(|n| (n.as_str(), bomb)));
    let path = s.tmp.path().join("overlap.zip");
    raw_zip(&path, &locals, &central);
    assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);

    let started = std::time::Instant::now();
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert_eq!(kinds(&r), vec![("overlap".to_owned(), String::new())]);
    assert_eq!(r.files_ok, 0, "nothing is inflated from a refused archive");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // Two central entries pointing at one local header of a genuine document.
    let (s, locals, pk) = genuine_entries();
    let doc = locals
        .iter()
        .position(|e| e.name.starts_with("documents/"))
        .unwrap();
    let mut central = every_entry(&locals);
    central.push(("documents/copy.pdf", doc));
    let path = s.tmp.path().join("shared.zip");
    raw_zip(&path, &locals, &central);
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert_eq!(kinds(&r), vec![("overlap".to_owned(), String::new())]);
}

#[test]
fn verify_refuses_a_manifest_listing_more_than_the_total_budget() {
    let (s, mut locals, pk) = genuine_entries();
    // Three files of 3 GiB each (each under the single-entry limit, 9 GiB in all): refused
    // before any entry is inflated.
    let listed: Vec<(String, u64)> = (0..3)
        .map(|i| (format!("documents/big-{i}.pdf"), 3 << 30))
        .collect();
    for (name, _) in &listed {
        locals.push(stored(name, b"%PDF-".to_vec()));
    }
    let m = locals
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    locals[m] = stored("manifest.json", listing(&locals, &listed));
    let path = s.tmp.path().join("budget.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert!(
        kinds(&r).contains(&("limit".to_owned(), "manifest.json".to_owned())),
        "{:?}",
        r.problems
    );
    assert!(
        !r.problems.iter().any(|p| p.kind == "altered"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.files_ok, 0, "nothing is inflated past the budget");
}

#[test]
fn verify_stops_reading_an_entry_past_its_listed_size() {
    let (s, mut locals, pk) = genuine_entries();
    let genuine: Vec<(String, Vec<u8>)> = locals
        .iter()
        .map(|e| (e.name.clone(), e.data.clone()))
        .collect();
    // A document swapped for 1 GiB of zeros whose headers claim 4 GiB - 2: the manifest's size
    // is the limit, not the header's.
    let doc = locals
        .iter()
        .position(|e| e.name.starts_with("documents/"))
        .unwrap();
    let name = locals[doc].name.clone();
    locals[doc] = zeros(&name, 1 << 30, u32::MAX - 1);
    let path = s.tmp.path().join("inflating.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let started = std::time::Instant::now();
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(r.signature_valid && !r.ok);
    assert_eq!(kinds(&r), vec![("altered".to_owned(), name)]);
    assert!(
        r.problems[0].detail.contains("larger than"),
        "{:?}",
        r.problems
    );

    // The manifest itself inflating past its limit.
    let mut locals: Vec<Raw> = genuine.into_iter().map(|(n, d)| stored(&n, d)).collect();
    let m = locals
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    locals[m] = zeros("manifest.json", 1 << 30, u32::MAX - 1);
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert!(
        kinds(&r).contains(&("limit".to_owned(), "manifest.json".to_owned())),
        "{:?}",
        r.problems
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
