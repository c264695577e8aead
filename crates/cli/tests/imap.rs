//! `coffre mail` against a real IMAP server (issue 17): Dovecot, started on loopback by each test
//! with a throw-away config ([`dovecot`]), messages written by Python's `email` package around
//! real third-party invoices (generated PDFs when `../shared` is not here).
//!
//! Shows: 50 messages fetched over TLS (test CA via `--ca-file`), a second fetch imports
//! nothing; a fetch killed in the middle (SIGKILL) and run again leaves exactly 50 messages and
//! their attachments; a wrong password is a clear error that changes nothing; an unencrypted
//! connection to another machine is refused before any byte is sent; STARTTLS with a move
//! after the fetch to a folder named in French; a UIDVALIDITY change brings back duplicates,
//! not copies; a message over the import limit is skipped; the password is stored nowhere in
//! plain.

mod common;
#[path = "support/dovecot.rs"]
mod dovecot;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{coffre, command, init, ok, stderr, stdout};
use dovecot::Dovecot;
use serde_json::Value;

/// `n` messages, each with one invoice PDF attached (a real third-party one when the corpus is
/// here, every one different), written by `compose_mail.py`.
fn messages(dir: &Path, n: usize) -> Vec<Vec<u8>> {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/third-party/files/i2d-NetpresseInvoice.pdf");
    let pdf = if corpus.is_file() {
        corpus
    } else {
        eprintln!("(../shared is not here: a generated PDF is attached instead)");
        let path = dir.join("invoice.pdf");
        common::write(&path, &common::pdf_body(1, 40_000));
        path
    };
    let out = dir.join("messages");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/compose_mail.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(&out)
        .args([
            "--subject",
            "Facture",
            "--body",
            "Veuillez trouver la facture ci-jointe.",
        ])
        .args(["--attach", &format!("{}:facture.pdf", pdf.display())])
        .args(["--count", &n.to_string()])
        .status()
        .expect("python3 runs");
    assert!(status.success());
    (0..n)
        .map(|i| std::fs::read(out.join(format!("{i:04}.eml"))).unwrap())
        .collect()
}

fn setup(n: usize) -> (tempfile::TempDir, PathBuf, Dovecot) {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    init(&vault);
    let server = Dovecot::start();
    for m in messages(tmp.path(), n) {
        server.deliver("INBOX", &m);
    }
    (tmp, vault, server)
}

/// `coffre mail add factures` for the test server's user with `password`, over `security`
/// (`tls` and `starttls` trust the test CA; `none` goes to 127.0.0.1), then `extra`.
fn add_with(
    vault: &Path,
    server: &Dovecot,
    security: &str,
    password: &str,
    extra: &[&str],
) -> std::process::Output {
    let pw = server.password_file(password);
    let (host, port) = match security {
        "tls" => ("localhost", server.tls_port),
        "starttls" => ("localhost", server.port),
        _ => ("127.0.0.1", server.port),
    };
    let port = port.to_string();
    let ca = server.ca_file();
    let mut args = vec!["mail", "add", "factures", "--host", host, "--port", &port];
    args.extend(["--security", security, "--user", server.user]);
    args.extend(["--password-file", pw.to_str().unwrap()]);
    if security != "none" {
        args.extend(["--ca-file", ca.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    coffre(vault, &args)
}

/// [`add_with`] over TLS with the right password.
fn add(vault: &Path, server: &Dovecot, extra: &[&str]) -> std::process::Output {
    add_with(vault, server, "tls", server.password, extra)
}

fn fetch_lines(vault: &Path) -> Vec<Value> {
    ok(vault, &["mail", "fetch", "factures", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn documents(vault: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(vault, &["list", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// (messages, attachments linked to a message) in the vault.
fn counts(vault: &Path) -> (usize, usize) {
    let docs = documents(vault);
    let messages = docs
        .iter()
        .filter(|d| d["media_type"] == "message/rfc822")
        .count();
    let parts = docs.iter().filter(|d| !d["parent"].is_null()).count();
    (messages, parts)
}

#[test]
fn fifty_messages_are_fetched_once_and_a_second_fetch_imports_nothing() {
    let (_tmp, vault, server) = setup(50);
    let out = add(&vault, &server, &["--after", "seen"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("holds 50 message(s)"),
        "{}",
        stdout(&out)
    );

    let lines = fetch_lines(&vault);
    assert_eq!(lines.len(), 50);
    assert!(lines.iter().all(|l| l["status"] == "imported"), "{lines:?}");
    let last = lines.last().unwrap();
    assert_eq!(
        (last["done"].as_u64(), last["total"].as_u64()),
        (Some(50), Some(50))
    );
    // Each message names its attachment, stored and linked.
    assert!(
        lines.iter().all(
            |l| l["parts"][0]["name"] == "facture.pdf" && l["parts"][0]["status"] == "imported"
        )
    );
    assert_eq!(counts(&vault), (50, 50));
    assert!(documents(&vault).iter().any(|d| {
        d["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("Facture 7"))
    }));
    // Read on the server only once stored.
    assert_eq!(server.seen("INBOX"), 50);

    let again = fetch_lines(&vault);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(counts(&vault), (50, 50));
    let accounts: Value = serde_json::from_str(&ok(&vault, &["mail", "list", "--json"])).unwrap();
    let last = &accounts[0]["last_fetch"];
    assert_eq!(last["imported"], 0);
    assert!(last["error"].is_null());
    // A word of the messages' body is found.
    let found = ok(&vault, &["search", "ci-jointe"]);
    assert!(found.lines().count() >= 50, "{found}");

    // One more message arrives: only it is fetched.
    let extra = messages(&_tmp.path().join("more"), 1).remove(0);
    server.deliver("INBOX", &extra);
    let lines = fetch_lines(&vault);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["uid"], 51);
    assert_eq!(counts(&vault).0, 51);
    assert!(coffre(&vault, &["verify"]).status.success());
}

#[test]
fn a_fetch_killed_in_the_middle_resumes_and_leaves_exactly_fifty() {
    let (_tmp, vault, server) = setup(50);
    let out = add_with(&vault, &server, "none", server.password, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut child = command(&vault, &["mail", "fetch", "factures", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = Vec::new();
    while first.len() < 8 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        first.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        first.len(),
        8,
        "the fetch was killed after 8 messages were reported"
    );
    let (stored, _) = counts(&vault);
    assert!(
        (8..50).contains(&stored),
        "killed in the middle: {stored} stored"
    );

    let rest = fetch_lines(&vault);
    assert_eq!(counts(&vault), (50, 50));
    // Every message was imported exactly once across the two runs.
    let imported: Vec<u64> = rest
        .iter()
        .filter(|l| l["status"] == "imported")
        .map(|l| l["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(imported.len() + stored, 50, "{rest:?}");
    assert!(imported.iter().all(|&u| u as usize > stored));
    assert!(fetch_lines(&vault).is_empty());
    assert!(coffre(&vault, &["verify"]).status.success());
}

#[test]
fn a_wrong_password_is_a_clear_error_and_changes_nothing() {
    let (_tmp, vault, server) = setup(2);
    let out = add_with(&vault, &server, "tls", "not-the-password", &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("refused the user name or password"), "{err}");
    assert!(
        !err.contains("not-the-password"),
        "the password is never shown: {err}"
    );
    assert_eq!(ok(&vault, &["mail", "list", "--json"]).trim(), "[]");

    // Saved without the test, the fetch fails the same way and stores nothing.
    let out = add_with(&vault, &server, "tls", "not-the-password", &["--no-test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = coffre(&vault, &["mail", "fetch", "factures", "--json"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("refused the user name or password"));
    assert_eq!(stdout(&out), "");
    assert_eq!(counts(&vault), (0, 0));
    let accounts: Value = serde_json::from_str(&ok(&vault, &["mail", "list", "--json"])).unwrap();
    assert_eq!(accounts[0]["last_fetch"]["error_code"], "mail");
    assert!(accounts[0].get("password").is_none());
    let audit = ok(&vault, &["audit", "--json"]);
    assert!(audit.contains("mail.account.add"));
    assert!(!audit.contains("not-the-password"));
    // Nothing in the vault's files holds the password in plain.
    for entry in walkdir::WalkDir::new(&vault).into_iter().flatten() {
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(16).any(|w| w == b"not-the-password"),
                "{} holds the password",
                entry.path().display()
            );
        }
    }
}

#[test]
fn no_encryption_is_refused_for_another_machine_and_tls_checks_the_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    init(&vault);
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    let out = coffre(
        &vault,
        &[
            "mail",
            "add",
            "x",
            "--host",
            "192.0.2.1",
            "--port",
            "143",
            "--security",
            "none",
            "--user",
            "u",
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not this machine"),
        "{}",
        stderr(&out)
    );

    // The test server's certificate is not trusted without its CA.
    let server = Dovecot::start();
    let pw = server.password_file(server.password);
    let port = server.tls_port.to_string();
    let out = coffre(
        &vault,
        &[
            "mail",
            "add",
            "x",
            "--host",
            "localhost",
            "--port",
            &port,
            "--user",
            server.user,
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    assert_eq!(ok(&vault, &["mail", "list", "--json"]).trim(), "[]");
}

#[test]
fn starttls_with_a_move_to_a_folder_named_in_french_after_the_fetch() {
    let (_tmp, vault, server) = setup(5);
    let target = format!("move:{}", dovecot::ACCENTED.0);
    let out = add_with(
        &vault,
        &server,
        "starttls",
        server.password,
        &["--after", &target],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = fetch_lines(&vault);
    assert_eq!(lines.len(), 5);
    assert_eq!(server.count("INBOX"), 0);
    assert_eq!(server.count(dovecot::ACCENTED.0), 5);
    assert_eq!(counts(&vault), (5, 5));

    // Collecting from that folder (named in modified UTF-7 on the wire) finds them again.
    ok(&vault, &["mail", "remove", "factures"]);
    let out = add_with(
        &vault,
        &server,
        "starttls",
        server.password,
        &["--folder", dovecot::ACCENTED.0],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = fetch_lines(&vault);
    assert_eq!(lines.len(), 5);
    assert!(
        lines.iter().all(|l| l["status"] == "duplicate"),
        "{lines:?}"
    );
}

#[test]
fn a_new_uidvalidity_brings_back_duplicates_not_copies() {
    // More messages than one commit takes (32): found duplicates come faster than commits.
    let (_tmp, vault, server) = setup(40);
    let out = add(&vault, &server, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fetch_lines(&vault).len(), 40);
    // The server forgets its UIDs (a rebuilt mailbox, a migrated server): every message has a
    // new UID under a new UIDVALIDITY.
    server.reset_uids("INBOX");
    let lines = fetch_lines(&vault);
    assert_eq!(lines.len(), 40, "{lines:?}");
    assert!(
        lines.iter().all(|l| l["status"] == "duplicate"),
        "{lines:?}"
    );
    assert_eq!(counts(&vault), (40, 40));
    assert!(fetch_lines(&vault).is_empty());
}

#[test]
fn a_message_over_the_import_limit_is_skipped_without_being_downloaded_or_touched() {
    let (_tmp, vault, server) = setup(2);
    ok(&vault, &["config", "max-import-size", "20000"]);
    let out = add(&vault, &server, &["--after", "seen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = fetch_lines(&vault);
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert_eq!(l["status"], "skipped");
        assert!(l["reason"].as_str().unwrap().contains("too large"), "{l}");
    }
    assert_eq!(counts(&vault), (0, 0));
    assert_eq!(server.seen("INBOX"), 0, "a skipped message stays unread");
    assert!(
        fetch_lines(&vault).is_empty(),
        "skipped is done: not fetched again"
    );
}
