//! `coffre bundle create` and `coffre bundle verify` (a contract: names and flags as in the issue).

mod common;

use std::path::Path;

use common::{Env, bundle_create_args as create_args};
use serde_json::Value;

fn fixture(name: &str) -> String {
    common::fixture(name).to_string_lossy().into_owned()
}

/// The whole year 2026, as `--from` and `--to` flags.
const YEAR_2026: [&str; 4] = ["--from", "2026-01-01", "--to", "2026-12-31"];

/// `bundle verify` of `bundle` with the password in the file `pw`, which must succeed.
fn verify_with_password(env: &Env, bundle: &Path, pw: &Path) {
    env.ok(&[
        "bundle",
        "verify",
        bundle.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ]);
}

#[test]
fn a_bundle_needs_consent_verifies_and_catches_tampering() {
    let env = Env::new();
    env.ok(&[
        "import",
        &fixture("ubl-invoice-eur.xml"),
        &fixture("ghostscript-invoice-fr.pdf"),
        &fixture("cii-creditnote-usd.xml"),
    ]);
    let out = env.path("q4.zip");
    let out_s = out.to_str().unwrap();

    let refused = env.run(&create_args("2026-Q4", &out, &[]));
    assert!(!refused.status.success(), "no consent, no bundle");
    assert!(!out.exists());

    env.grant_consent(&YEAR_2026);
    let summary = env.json(&create_args("2026-Q4", &out, &["--json"]));
    assert_eq!(
        summary["documents"], 2,
        "the two October invoices, not January's credit note"
    );
    // A bundle sent is a record: a second bundle never replaces it (the rule is the core's, so
    // the CLI and the app agree).
    let sent = std::fs::read(&out).unwrap();
    let again = env.run(&create_args("2026-Q4", &out, &[]));
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
    let report = env.json(&["bundle", "verify", out_s, "--json"]);
    assert_eq!(report["ok"], true);
    assert!(env.audit_actions().iter().any(|a| a == "bundle.create"));

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
    let bad = env.run(&["bundle", "verify", out_s]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("documents/extra.pdf"));

    // With a password: AES-256 entries; verify needs it.
    let pw = env.path("pw.txt");
    std::fs::write(&pw, "s3cret-for-the-accountant\n").unwrap();
    let enc = env.path("q4-enc.zip");
    env.ok(&create_args(
        "2026-10",
        &enc,
        &["--password-file", pw.to_str().unwrap()],
    ));
    assert!(
        !env.run(&["bundle", "verify", enc.to_str().unwrap()])
            .status
            .success()
    );
    verify_with_password(&env, &enc, &pw);
}

/// A vault with two fixtures and a consent for "Cabinet Martin".
fn vault_with_consent() -> Env {
    let env = Env::new();
    env.ok(&[
        "import",
        &fixture("ubl-invoice-eur.xml"),
        &fixture("ghostscript-invoice-fr.pdf"),
    ]);
    env.grant_consent(&[]);
    env
}

#[test]
fn verify_needs_the_vault_key_or_an_expected_fingerprint() {
    let (mine, theirs) = (Env::new(), vault_with_consent());
    let out = theirs.path("theirs.zip");
    let out_s = out.to_str().unwrap();
    let summary = theirs.json(&create_args("2026", &out, &["--json"]));
    let fingerprint = summary["key_fingerprint"].as_str().unwrap();

    // Their vault verifies its own bundle.
    theirs.ok(&["bundle", "verify", out_s]);

    // My vault does not: another signer.
    let r = mine.run(&["bundle", "verify", out_s, "--json"]);
    assert!(!r.status.success());
    let report: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["signature_valid"], true);
    assert_eq!(report["problems"][0]["kind"], "key");
    assert_eq!(report["files_ok"], 5, "every file is still checked");

    // The fingerprint the sender gave: verifies (the vault is not needed).
    let text = mine.ok(&["bundle", "verify", out_s, "--expect-key", fingerprint]);
    assert!(text.contains("ok: signature valid"), "{text}");
    let other = theirs.run(&["bundle", "verify", out_s, "--expect-key", &"ab".repeat(32)]);
    assert!(!other.status.success());
    assert!(
        !mine
            .run(&["bundle", "verify", out_s, "--expect-key", "abcd"])
            .status
            .success()
    );

    // Neither a vault nor a fingerprint: signed by an unknown key, non-zero exit.
    let nowhere = theirs.path("no-vault-here");
    let r = common::coffre(&nowhere, &["bundle", "verify", out_s]);
    assert!(!r.status.success());
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(stdout.contains("signed by an unknown key"), "{stdout}");
    assert!(stdout.contains(fingerprint), "{stdout}");
    // A vault without its passphrase is no vault key either.
    let r = mine
        .cmd(&["bundle", "verify", out_s])
        .env_remove("COFFRE_PASSPHRASE")
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stdout).contains("signed by an unknown key"));
}

#[test]
fn bundle_passwords_are_strong_or_generated() {
    let env = vault_with_consent();
    let create = |out: &Path, extra: &[&str]| env.run(&create_args("2026", out, extra));

    // A weak password is refused, nothing written.
    let weak = env.path("weak.txt");
    std::fs::write(&weak, "s3cret\n").unwrap();
    let out = env.path("weak.zip");
    let r = create(&out, &["--password-file", weak.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("password"));
    assert!(!out.exists());

    // A generated one, in the JSON summary: it opens the bundle.
    let out = env.path("gen.zip");
    let r = create(&out, &["--generate-password", "--json"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let summary: Value = serde_json::from_slice(&r.stdout).unwrap();
    let password = summary["password"].as_str().unwrap();
    assert!(password.len() >= 12, "{password}");
    let pw = env.path("pw.txt");
    std::fs::write(&pw, password).unwrap();
    verify_with_password(&env, &out, &pw);
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
    let out = env.path("gen2.zip");
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
        &env.path("both.zip"),
        &[
            "--generate-password",
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert!(!r.status.success());
}
