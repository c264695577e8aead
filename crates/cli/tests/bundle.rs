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
    // A bundle sent is a record: a second bundle never replaces it (the rule is the core's, so
    // the CLI and the app agree).
    let sent = std::fs::read(&out).unwrap();
    let again = coffre(
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
    assert!(
        !again.status.success(),
        "an existing bundle is not replaced"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(&out).unwrap(), sent);
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

/// A vault with the three fixtures and a consent for "Cabinet Martin".
fn vault_with_consent(v: &std::path::Path) {
    init(v);
    ok(
        v,
        &[
            "import",
            &fixture("ubl-invoice-eur.xml"),
            &fixture("ghostscript-invoice-fr.pdf"),
        ],
    );
    ok(
        v,
        &[
            "consent",
            "grant",
            "--party",
            "Cabinet Martin",
            "--purpose",
            "bookkeeping",
        ],
    );
}

#[test]
fn verify_needs_the_vault_key_or_an_expected_fingerprint() {
    let tmp = tempfile::tempdir().unwrap();
    let (mine, theirs) = (tmp.path().join("mine"), tmp.path().join("theirs"));
    init(&mine);
    vault_with_consent(&theirs);
    let out = tmp.path().join("theirs.zip");
    let out_s = out.to_str().unwrap();
    let summary: Value = serde_json::from_str(&ok(
        &theirs,
        &[
            "bundle",
            "create",
            "--recipient",
            "Cabinet Martin",
            "--period",
            "2026",
            "--out",
            out_s,
            "--json",
        ],
    ))
    .unwrap();
    let fingerprint = summary["key_fingerprint"].as_str().unwrap();

    // Their vault verifies its own bundle.
    ok(&theirs, &["bundle", "verify", out_s]);

    // My vault does not: another signer.
    let r = coffre(&mine, &["bundle", "verify", out_s, "--json"]);
    assert!(!r.status.success());
    let report: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["signature_valid"], true);
    assert_eq!(report["problems"][0]["kind"], "key");
    assert_eq!(report["files_ok"], 5, "every file is still checked");

    // The fingerprint the sender gave: verifies (the vault is not needed).
    let text = ok(
        &mine,
        &["bundle", "verify", out_s, "--expect-key", fingerprint],
    );
    assert!(text.contains("ok: signature valid"), "{text}");
    let other = coffre(
        &theirs,
        &["bundle", "verify", out_s, "--expect-key", &"ab".repeat(32)],
    );
    assert!(!other.status.success());
    assert!(
        !coffre(&mine, &["bundle", "verify", out_s, "--expect-key", "abcd"])
            .status
            .success()
    );

    // Neither a vault nor a fingerprint: signed by an unknown key, non-zero exit.
    let nowhere = tmp.path().join("no-vault-here");
    let r = coffre(&nowhere, &["bundle", "verify", out_s]);
    assert!(!r.status.success());
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(stdout.contains("signed by an unknown key"), "{stdout}");
    assert!(stdout.contains(fingerprint), "{stdout}");
    // A vault without its passphrase is no vault key either.
    let r = common::command(&mine, &["bundle", "verify", out_s])
        .env_remove("COFFRE_PASSPHRASE")
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stdout).contains("signed by an unknown key"));
}

#[test]
fn bundle_passwords_are_strong_or_generated() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    vault_with_consent(&v);
    let create = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "bundle",
            "create",
            "--recipient",
            "Cabinet Martin",
            "--period",
            "2026",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        coffre(&v, &args)
    };

    // A weak password is refused, nothing written.
    let weak = tmp.path().join("weak.txt");
    std::fs::write(&weak, "s3cret\n").unwrap();
    let out = tmp.path().join("weak.zip");
    let r = create(&out, &["--password-file", weak.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("password"));
    assert!(!out.exists());

    // A generated one, in the JSON summary: it opens the bundle.
    let out = tmp.path().join("gen.zip");
    let r = create(&out, &["--generate-password", "--json"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let summary: Value = serde_json::from_slice(&r.stdout).unwrap();
    let password = summary["password"].as_str().unwrap();
    assert!(password.len() >= 12, "{password}");
    let pw = tmp.path().join("pw.txt");
    std::fs::write(&pw, password).unwrap();
    ok(
        &v,
        &[
            "bundle",
            "verify",
            out.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    let names: Vec<String> = {
        let zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        zip.file_names().map(|n| n.unwrap().into_owned()).collect()
    };
    assert!(
        names
            .iter()
            .filter(|n| n.starts_with("documents/"))
            .all(|n| n == "documents/0001.xml"
                || n == "documents/0002.pdf"
                || n == "documents/0001.pdf"
                || n == "documents/0002.xml"),
        "{names:?}"
    );

    // Without --json: shown once on stderr, never on stdout.
    let out = tmp.path().join("gen2.zip");
    let r = create(&out, &["--generate-password"]);
    assert!(r.status.success());
    let stderr = String::from_utf8_lossy(&r.stderr);
    let shown = stderr
        .lines()
        .find(|l| l.len() == 24 && l.matches('-').count() == 4)
        .unwrap_or_else(|| panic!("no password on stderr: {stderr}"));
    assert!(!String::from_utf8_lossy(&r.stdout).contains(shown));

    // --generate-password and --password-file together: refused.
    let r = create(
        &tmp.path().join("both.zip"),
        &[
            "--generate-password",
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert!(!r.status.success());
}
