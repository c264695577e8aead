//! Integrity certificates through the `coffre` CLI (a contract: `coffre certify ID... --out
//! FILE.pdf`, `coffre certify --verify FILE.pdf`): what `pdftotext` reads in one, what the
//! standard tools (`pdfdetach`, `openssl`) make of its attached signature, and what happens when
//! a document's blob or the certificate's text is altered. Real third-party invoices from
//! `../shared/corpus/third-party`; skipped when it is absent. `pdftotext`, `pdfdetach`
//! (poppler-utils) and `openssl` are installed by `cargo xtask setup`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Env, third_party as corpus};

fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (cargo xtask setup installs it): {e}"))
}

fn pdftotext(pdf: &Path) -> String {
    let out = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    assert!(out.status.success(), "pdftotext: {}", common::stderr(&out));
    common::stdout(&out)
}

/// The byte offsets of every occurrence of `needle` in `hay`.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Changes one hex digit of `sha` where it appears right after `before` in `pdf`.
fn alter_after(pdf: &[u8], before: &[u8], sha: &str) -> Vec<u8> {
    let mut needle = before.to_vec();
    needle.extend_from_slice(sha.as_bytes());
    let at = find_all(pdf, &needle);
    assert_eq!(
        at.len(),
        1,
        "one occurrence of {:?}",
        String::from_utf8_lossy(&needle)
    );
    let mut out = pdf.to_vec();
    let i = at[0] + before.len() + 10;
    out[i] = if out[i] == b'0' { b'1' } else { b'0' };
    out
}

#[test]
fn a_certificate_states_the_digest_verifies_and_refuses_alterations() {
    let (Some(fx), Some(ubl)) = (
        corpus("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
        corpus("zfc-xr-EN16931_1_Teilrechnung.ubl.xml"),
    ) else {
        return;
    };
    let env = Env::new();
    let id = env.import(&fx);
    let other = env.import(&ubl);
    let sha = env.json(&["show", &id, "--json"])["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sha.len(), 64);

    // English: the SHA-256 as `show --json` reports it, and "intact".
    let en = env.path("c.pdf");
    let summary = env.json(&[
        "certify",
        &id,
        "--out",
        en.to_str().unwrap(),
        "--lang",
        "en",
        "--json",
    ]);
    assert_eq!(summary["documents"][0]["sha256"], sha.as_str());
    let text = pdftotext(&en);
    assert!(text.contains(&sha), "{text}");
    assert!(text.contains("intact"), "{text}");
    assert!(text.contains("Facture_FR_BASICWL"), "{text}");
    assert!(
        text.contains("document.import"),
        "the document's audit entries: {text}"
    );
    assert!(text.contains("671.15"), "the total with VAT: {text}");
    // The owner's vault key signed it.
    let verified = env.ok(&["certify", "--verify", en.to_str().unwrap()]);
    assert!(verified.starts_with("ok: "), "{verified}");
    assert!(verified.contains(&sha));
    assert!(env.audit_actions().iter().any(|a| a == "document.certify"));

    // French, two documents in one certificate.
    let fr = env.path("c-fr.pdf");
    env.ok(&[
        "certify",
        &id,
        &other,
        "--out",
        fr.to_str().unwrap(),
        "--lang",
        "fr",
    ]);
    let text = pdftotext(&fr);
    assert!(text.contains("intègre"), "{text}");
    assert!(text.contains("Document 2 sur 2"), "{text}");
    assert!(text.contains(&sha));
    env.ok(&["certify", "--verify", fr.to_str().unwrap()]);

    // Never over an existing file.
    let again = env.run(&["certify", &id, "--out", en.to_str().unwrap()]);
    assert!(!again.status.success());

    // Checked with the vault's key fingerprint only (another machine, no vault).
    let report = env.json(&["certify", "--verify", en.to_str().unwrap(), "--json"]);
    let fingerprint = report["key_fingerprint"].as_str().unwrap().to_owned();
    // `coffre certify --verify` where no vault is, expecting the key `fp`.
    let verify_elsewhere = |fp: &str| {
        common::command(
            &env.path("no-vault"),
            &[
                "certify",
                "--verify",
                en.to_str().unwrap(),
                "--expect-key",
                fp,
            ],
        )
        .output()
        .unwrap()
    };
    let elsewhere = verify_elsewhere(&fingerprint);
    assert!(elsewhere.status.success(), "{}", common::stderr(&elsewhere));
    let wrong = verify_elsewhere(&"ab".repeat(32));
    assert!(!wrong.status.success());
    assert!(common::stdout(&wrong).contains("KEY"));

    // With standard tools: the attached text, its signature and the signer's key.
    let parts = env.path("parts");
    std::fs::create_dir(&parts).unwrap();
    let out = tool(
        "pdfdetach",
        &[
            "-saveall",
            "-o",
            parts.to_str().unwrap(),
            en.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "pdfdetach: {}", common::stderr(&out));
    let attached = std::fs::read_to_string(parts.join("certificate.txt")).unwrap();
    assert!(attached.contains(&format!("SHA-256: {sha}")));
    let ossl = tool(
        "openssl",
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            parts.join("signer.pem").to_str().unwrap(),
            "-rawin",
            "-in",
            parts.join("certificate.txt").to_str().unwrap(),
            "-sigfile",
            parts.join("certificate.sig").to_str().unwrap(),
        ],
    );
    assert!(
        ossl.status.success(),
        "openssl: {}{}",
        common::stdout(&ossl),
        common::stderr(&ossl)
    );
    let der = tool(
        "openssl",
        &[
            "pkey",
            "-pubin",
            "-in",
            parts.join("signer.pem").to_str().unwrap(),
            "-outform",
            "DER",
        ],
    );
    let key = &der.stdout[der.stdout.len() - 32..];
    let digest = ring::digest::digest(&ring::digest::SHA256, key);
    assert_eq!(hex::encode(digest), fingerprint.replace(' ', ""));

    // One digit changed on the page (the text is signed, the page must show it).
    let pdf = std::fs::read(&en).unwrap();
    let on_page = env.path("altered-page.pdf");
    std::fs::write(&on_page, alter_after(&pdf, b"(  SHA-256: ", &sha)).unwrap();
    let out = env.run(&["certify", "--verify", on_page.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        common::stdout(&out).contains("PAGES"),
        "{}",
        common::stdout(&out)
    );
    // One digit changed in the attached text: the signature no longer holds.
    let in_text = env.path("altered-text.pdf");
    std::fs::write(&in_text, alter_after(&pdf, b"\n  SHA-256: ", &sha)).unwrap();
    let out = env.run(&["certify", "--verify", in_text.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        common::stdout(&out).contains("SIGNATURE"),
        "{}",
        common::stdout(&out)
    );
    // Not a certificate at all.
    let out = env.run(&["certify", "--verify", fx.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(common::stdout(&out).contains("NOT-A-CERTIFICATE"));
}

#[test]
fn a_flipped_byte_in_a_blob_is_reported_instead_of_certified() {
    let Some(fx) = corpus("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf") else {
        return;
    };
    let env = Env::new();
    let id = env.import(&fx);
    let blob = env.blob(&id);
    let mut bytes = std::fs::read(&blob).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&blob, &bytes).unwrap();

    let out_pdf = env.path("c.pdf");
    let out = env.run(&["certify", &id, "--out", out_pdf.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("damaged or was tampered with"), "{err}");
    assert!(err.contains(&id), "{err}");
    assert!(!out_pdf.exists(), "nothing certified");
    assert!(!env.audit_actions().iter().any(|a| a == "document.certify"));
}
