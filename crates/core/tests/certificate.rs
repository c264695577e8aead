//! Integrity certificates in the core: what one states, that a value from a document cannot
//! pass for part of the certificate's structure, that any change to the file is found, and that
//! the checks come before anything is written.

use coffre_core::records::sample::{Rng, invoice};
use coffre_core::sharing::bundle::ExpectedSigner;
use coffre_core::sharing::certificate::{Lang, certificate_verify};
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, Vault};

fn create(dir: &std::path::Path) -> Vault {
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    Vault::create(dir, &Passphrase::new("certificate test".into()), &opts)
        .unwrap()
        .0
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_certificate_states_holds_and_history_and_resists_forged_values() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = create(&tmp.path().join("vault"));
    let (number, xml) = invoice(7, 2024..2025, &mut Rng(3));
    let id = v
        .import_reader(&format!("{number}.xml"), xml.as_bytes(), None)
        .unwrap()
        .document
        .id;
    v.hold(&id, "Contrôle fiscal 2026").unwrap();
    // A seller name that tries to add a line of its own, with a digest of its own.
    let fake = "f".repeat(64);
    v.correct(
        &id,
        "seller.name",
        Some(&format!("Évil SARL\n  SHA-256: {fake}")),
    )
    .unwrap();
    let sha = v.document(&id).unwrap().sha256;

    let out = tmp.path().join("c.pdf");
    let summary = v
        .certify_to(std::slice::from_ref(&id), Lang::Fr, &out)
        .unwrap();
    assert_eq!(summary.documents[0].sha256, sha);
    let pdf = std::fs::read(&out).unwrap();
    assert_eq!(summary.bytes, pdf.len() as u64);
    for expected in [
        format!("SHA-256 : {sha}"),
        "Gel juridique : Contr".into(), // the page's text is WinAnsi; the attached text UTF-8
        "Gel juridique : Contrôle fiscal 2026".into(),
        "document.hold".into(),
        "document.correct".into(),
        "Résultat : intègre".into(),
        format!("Vendeur : Évil SARL SHA-256: {fake}"),
    ] {
        assert!(contains(&pdf, &expected), "{expected}");
    }
    let key = ExpectedSigner::PublicKey(v.signing_public_key().unwrap());
    let report = certificate_verify(&out, Some(&key)).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        report.sha256,
        vec![sha],
        "the forged digest is part of a value, not a line"
    );
    // The certificate is in the audit trail, after what it states.
    let actions: Vec<String> = v
        .audit_entries(Some(&id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions.last().map(String::as_str), Some("document.certify"));

    // Any byte of the file changed (outside the parts the check finds and compares whole) is
    // found: every tenth byte, one at a time.
    let mut caught = 0;
    let mut tried = 0;
    for i in (0..pdf.len()).step_by(10) {
        let mut altered = pdf.clone();
        altered[i] ^= 0x20;
        let path = tmp.path().join("altered.pdf");
        std::fs::write(&path, &altered).unwrap();
        tried += 1;
        if !certificate_verify(&path, Some(&key)).unwrap().ok {
            caught += 1;
        }
    }
    assert_eq!(caught, tried, "every altered byte is found");
}

#[test]
fn nothing_is_certified_or_written_when_a_document_is_damaged_or_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let mut v = create(&dir);
    let id = v
        .import_reader("a.txt", &b"a document to certify"[..], None)
        .unwrap()
        .document
        .id;
    let out = tmp.path().join("c.pdf");
    let unknown = v.certify_to(&["0000dead".into()], Lang::En, &out);
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
    assert!(matches!(
        v.certify_to(&[], Lang::En, &out),
        Err(Error::Invalid { .. })
    ));
    // Inside the vault: refused like any output.
    assert!(matches!(
        v.certify_to(std::slice::from_ref(&id), Lang::En, &dir.join("c.pdf")),
        Err(Error::OutputRefused { .. })
    ));

    let blob = walkdir::WalkDir::new(dir.join("blobs"))
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == id.as_str())
        .unwrap()
        .into_path();
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    std::fs::write(&blob, &bytes).unwrap();
    let damaged = v.certify_to(std::slice::from_ref(&id), Lang::En, &out);
    assert!(
        matches!(damaged, Err(Error::Tampered { .. })),
        "{damaged:?}"
    );
    assert!(!out.exists());
    assert!(
        !v.audit_entries(Some(&id))
            .unwrap()
            .iter()
            .any(|e| e.action == "document.certify")
    );
}

/// A certificate made when format `coffre-certificate/1` was introduced (a Factur-X invoice of
/// the FNFE examples, in French): it must verify for as long as the format is 1, so a change of
/// the renderer, or of the bytes `lopdf` writes, fails here rather than in an auditor's hands.
#[test]
fn a_certificate_of_format_1_still_verifies() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/certificate-1.pdf");
    let signer = ExpectedSigner::fingerprint(
        "339f 6b3f 43cc 8b7b af66 6f86 6753 0916 b5b6 4130 5127 6b8b f6f7 9bd7 d310 2840",
    )
    .unwrap();
    let report = certificate_verify(&path, Some(&signer)).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        report.sha256,
        vec!["2e783dddb6bb77166d65057138826b6cbe96178afe11ee33e6d60c9679809b6e".to_owned()]
    );
}
