//! `coffre bundle create` and `coffre bundle verify` (a contract: names and flags as in the issue).

mod common;

use common::{coffre, init, ok};
use serde_json::Value;

fn fixture(name: &str) -> String {
    common::fixture(name).to_string_lossy().into_owned()
}

#[test]
fn a_bundle_needs_consent_verifies_and_catches_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    init(&v);
    ok(
        &v,
        &[
            "import",
            &fixture("ubl-invoice-eur.xml"),
            &fixture("ghostscript-invoice-fr.pdf"),
            &fixture("cii-creditnote-usd.xml"),
        ],
    );
    let out = tmp.path().join("q4.zip");
    let out_s = out.to_str().unwrap();

    let refused = coffre(
        &v,
        &[
            "bundle",
            "create",
            "--recipient",
            "Cabinet Martin",
            "--period",
            "2026-Q4",
            "--out",
            out_s,
        ],
    );
    assert!(!refused.status.success(), "no consent, no bundle");
    assert!(!out.exists());

    ok(
        &v,
        &[
            "consent",
            "grant",
            "--party",
            "Cabinet Martin",
            "--purpose",
            "bookkeeping",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ],
    );
    let summary: Value = serde_json::from_str(&ok(
        &v,
        &[
            "bundle",
            "create",
            "--recipient",
            "Cabinet Martin",
            "--period",
            "2026-Q4",
            "--out",
            out_s,
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(
        summary["documents"], 2,
        "the two October invoices, not January's credit note"
    );
    let report: Value =
        serde_json::from_str(&ok(&v, &["bundle", "verify", out_s, "--json"])).unwrap();
    assert_eq!(report["ok"], true);
    let audit: Value = serde_json::from_str(&ok(&v, &["audit", "--json"])).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "bundle.create")
    );

    // Append a stray file to the ZIP: verify names it and fails.
    let mut zip = zip::ZipWriter::new_append(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&out)
            .unwrap(),
    )
    .unwrap();
    zip.start_file(
        "documents/extra.pdf",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut zip, b"%PDF forged").unwrap();
    zip.finish().unwrap();
    let bad = coffre(&v, &["bundle", "verify", out_s]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("documents/extra.pdf"));

    // With a password: AES-256 entries; verify needs it.
    let pw = tmp.path().join("pw.txt");
    std::fs::write(&pw, "s3cret-for-the-accountant\n").unwrap();
    let enc = tmp.path().join("q4-enc.zip");
    ok(
        &v,
        &[
            "bundle",
            "create",
            "--recipient",
            "Cabinet Martin",
            "--period",
            "2026-10",
            "--password-file",
            pw.to_str().unwrap(),
            "--out",
            enc.to_str().unwrap(),
        ],
    );
    assert!(
        !coffre(&v, &["bundle", "verify", enc.to_str().unwrap()])
            .status
            .success()
    );
    ok(
        &v,
        &[
            "bundle",
            "verify",
            enc.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
}
