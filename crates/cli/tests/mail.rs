//! E-mail messages given to `coffre import` (issue 17): a message written by Python's `email`
//! package around real third-party invoices (a PDF, a Factur-X, an inline PDF, a logo and a
//! terms-and-conditions PDF), and real Outlook `.msg` files (from the `msg_parser` crate's test
//! data, see `fixtures/mail/SOURCES.md`). The message and its invoices are stored and linked,
//! the logo and the CGV are not, the Factur-X reads exactly, the body is searchable, and
//! nothing is stored twice. The corpus tests skip, saying so, without `../shared`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{init, ok};
use serde_json::Value;

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party");
    if dir.join("truth.jsonl").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/corpus is not here");
        None
    }
}

/// The truth of a corpus file (`files/NAME`), from the corpus's own `truth.jsonl`.
fn truth(dir: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join("truth.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["file"] == format!("files/{name}"))
        .unwrap_or_else(|| panic!("{name} has a truth"))["truth"]
        .clone()
}

/// Writes a message with `compose_mail.py` (Python's `email` package) and returns its path.
fn compose(out: &Path, args: &[String]) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/compose_mail.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(out)
        .args(args)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    out.to_path_buf()
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn list(vault: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(vault, &["list", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

const PLAIN: &str = "i2d-NetpresseInvoice.pdf";
const FACTURX: &str = "zfc-fx-EN16931_1_Teilrechnung.pdf";
const INLINE: &str = "i2d-AmazonWebServices.pdf";
const CGV_SOURCE: &str = "i2d-QualityHosting.pdf";

/// The supplier's message: a PDF invoice, a Factur-X, an inline PDF, a logo and the terms (CGV)
/// as a PDF, written by `compose_mail.py` as `facture.eml` in `dir`.
fn invoice_eml(dir: &Path, files: &Path) -> PathBuf {
    let f = |n: &str| files.join(n).display().to_string();
    compose(
        &dir.join("facture.eml"),
        &[
            "--subject".into(),
            "Votre facture 2022089083".into(),
            "--body".into(),
            "Bonjour, veuillez trouver ci-joint votre facture. Cordialement, Zygomatique SARL."
                .into(),
            "--message-id".into(),
            "<invoice-2022089083@fournisseur.example>".into(),
            "--attach".into(),
            f(PLAIN),
            "--attach".into(),
            f(FACTURX),
            "--inline".into(),
            f(INLINE),
            "--inline-image".into(),
            "logo".into(),
            "--attach".into(),
            format!("{}:CGV-2026.pdf", f(CGV_SOURCE)),
        ],
    )
}

/// The Python of the virtual environment holding the third-party `.msg` writer (made by `cargo
/// xtask setup`), if it is there.
fn msg_writer() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let python = cache.join("coffre/py-mail/bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import aspose.email_foss.msg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    // Under `cargo xtask test` the writer must be there: its absence is a failure, not a skip.
    assert!(
        std::env::var_os("COFFRE_E2E").is_none(),
        "the .msg writer is missing: run `cargo xtask setup`"
    );
    eprintln!("skipped: the third-party .msg writer is not installed (cargo xtask setup)");
    None
}

#[test]
fn an_eml_stores_the_message_and_its_invoices_linked_and_nothing_twice() {
    let Some(dir) = corpus() else { return };
    let files = dir.join("files");
    let f = |n: &str| files.join(n).display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    init(&vault);
    let eml = invoice_eml(tmp.path(), &files);
    let out = lines(&ok(&vault, &["import", "--json", eml.to_str().unwrap()]));
    let message = &out[0];
    assert_eq!(message["status"], "imported");
    assert_eq!(message["parent"], Value::Null);
    let message_id = message["id"].as_str().unwrap();
    let parts: Vec<(&str, &str)> = out[1..]
        .iter()
        .map(|l| (l["part"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        parts,
        [
            (PLAIN, "imported"),
            (FACTURX, "imported"),
            (INLINE, "imported"),
            ("logo.png", "skipped"),
            ("CGV-2026.pdf", "skipped"),
        ]
    );
    assert!(out[1..].iter().all(|l| l["parent"] == message_id));
    assert!(out[4]["reason"].as_str().unwrap().contains("inline image"));

    // The list: the message without a parent, each invoice with the message as parent.
    let rows = list(&vault);
    assert_eq!(rows.len(), 4, "{rows:?}");
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(row("facture.eml")["media_type"], "message/rfc822");
    assert_eq!(row("facture.eml")["parent"], Value::Null);
    for name in [PLAIN, FACTURX, INLINE] {
        assert_eq!(row(name)["parent"], message_id, "{name}");
    }
    // The message is stored byte for byte.
    let stored = common::ok_output(&vault, &["cat", message_id]).stdout;
    assert_eq!(stored, std::fs::read(&eml).unwrap());

    // The Factur-X reads exactly, as the corpus's truth says.
    let fx = row(FACTURX)["id"].as_str().unwrap().to_owned();
    let shown: Value = serde_json::from_str(&ok(&vault, &["show", &fx, "--json"])).unwrap();
    let want = truth(&dir, FACTURX);
    assert_eq!(shown["format"], "factur-x");
    for key in ["number", "issue_date", "total_with_vat", "currency"] {
        assert_eq!(shown[key], want[key], "{key}");
    }

    // A word of the body finds the message; the envelope is in its data.
    let found = ok(&vault, &["search", "Zygomatique", "--json"]);
    assert!(found.contains(message_id), "{found}");
    let shown: Value = serde_json::from_str(&ok(&vault, &["show", message_id, "--json"])).unwrap();
    assert_eq!(shown["format"], "message");
    assert_eq!(shown["message"]["subject"], "Votre facture 2022089083");
    assert_eq!(
        shown["message"]["message_id"],
        "invoice-2022089083@fournisseur.example"
    );

    // Imported again: a duplicate. Delivered again with another transport header: the same
    // message (Message-ID and content), a duplicate too.
    let again = lines(&ok(&vault, &["import", "--json", eml.to_str().unwrap()]));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["status"], "duplicate");
    let redelivered = tmp.path().join("redelivered.eml");
    let mut bytes =
        b"Received: from mx.example by imap.example; Tue, 3 Mar 2026 09:16:00 +0100\r\n".to_vec();
    bytes.extend(std::fs::read(&eml).unwrap());
    std::fs::write(&redelivered, bytes).unwrap();
    let again = lines(&ok(
        &vault,
        &["import", "--json", redelivered.to_str().unwrap()],
    ));
    assert_eq!(
        (again[0]["status"].as_str(), again[0]["id"].as_str()),
        (Some("duplicate"), Some(message_id))
    );

    // Another message carrying the same invoice: the invoice is linked, not stored again.
    let reminder = compose(
        &tmp.path().join("relance.eml"),
        &[
            "--subject".into(),
            "Relance : facture 2022089083".into(),
            "--body".into(),
            "Sauf erreur de notre part, cette facture reste due.".into(),
            "--attach".into(),
            f(PLAIN),
        ],
    );
    let out = lines(&ok(
        &vault,
        &["import", "--json", reminder.to_str().unwrap()],
    ));
    assert_eq!(out[1]["status"], "duplicate");
    assert_eq!(out[1]["id"], row(PLAIN)["id"]);
    let rows = list(&vault);
    assert_eq!(
        rows.len(),
        5,
        "one more message, no second copy of the invoice"
    );
    let plain = rows.iter().find(|r| r["name"] == PLAIN).unwrap();
    assert_eq!(
        plain["parent"], message_id,
        "the first message stays its parent"
    );
}

#[test]
fn a_message_without_an_invoice_is_not_stored_unless_the_rules_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    init(&vault);
    let eml = compose(
        &tmp.path().join("hello.eml"),
        &[
            "--subject".into(),
            "Bonjour".into(),
            "--body".into(),
            "Juste un mot, sans facture.".into(),
            "--inline-image".into(),
            "logo".into(),
        ],
    );
    let out = common::coffre(&vault, &["import", "--json", eml.to_str().unwrap()]);
    assert!(!out.status.success());
    let line: Value = serde_json::from_str(common::stdout(&out).trim()).unwrap();
    assert_eq!(line["status"], "rejected");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("no attachment to keep"),
        "{line}"
    );
    assert!(list(&vault).is_empty());
    ok(&vault, &["config", "mail.keep-without-attachments", "yes"]);
    let out = lines(&ok(&vault, &["import", "--json", eml.to_str().unwrap()]));
    assert_eq!(out[0]["status"], "imported");
    assert_eq!(out[1]["status"], "skipped");
    assert_eq!(list(&vault).len(), 1);
}

#[test]
fn an_outlook_msg_written_by_another_program_stores_the_message_and_its_invoices() {
    let Some(dir) = corpus() else { return };
    let Some(python) = msg_writer() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    init(&vault);
    let eml = invoice_eml(tmp.path(), &dir.join("files"));
    let msg = tmp.path().join("facture.msg");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/eml_to_msg.py");
    let status = Command::new(python)
        .arg(script)
        .arg(&eml)
        .arg(&msg)
        .status()
        .unwrap();
    assert!(status.success());

    let out = lines(&ok(&vault, &["import", "--json", msg.to_str().unwrap()]));
    let message = &out[0];
    assert_eq!(message["status"], "imported", "{out:?}");
    let message_id = message["id"].as_str().unwrap();
    let status_of = |name: &str| {
        out[1..]
            .iter()
            .find(|l| l["part"] == name)
            .map(|l| l["status"].as_str().unwrap().to_owned())
    };
    for invoice in [PLAIN, FACTURX, INLINE] {
        assert_eq!(
            status_of(invoice).as_deref(),
            Some("imported"),
            "{invoice}: {out:?}"
        );
    }
    assert_eq!(
        status_of("CGV-2026.pdf").as_deref(),
        Some("skipped"),
        "{out:?}"
    );
    assert_ne!(
        status_of("logo.png").as_deref(),
        Some("imported"),
        "{out:?}"
    );
    let rows = list(&vault);
    assert_eq!(
        rows.len(),
        4,
        "the message and its three invoices: {rows:?}"
    );
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(
        row("facture.msg")["media_type"],
        "application/vnd.ms-outlook"
    );
    for name in [PLAIN, FACTURX, INLINE] {
        assert_eq!(row(name)["parent"], message_id, "{name}");
    }
    let fx = row(FACTURX)["id"].as_str().unwrap().to_owned();
    let shown: Value = serde_json::from_str(&ok(&vault, &["show", &fx, "--json"])).unwrap();
    let want = truth(&dir, FACTURX);
    assert_eq!(shown["format"], "factur-x");
    for key in ["number", "issue_date", "total_with_vat", "currency"] {
        assert_eq!(shown[key], want[key], "{key}");
    }
    let found = ok(&vault, &["search", "Zygomatique", "--json"]);
    assert!(found.contains(message_id), "{found}");
}

#[test]
fn real_outlook_messages_are_split_by_the_same_rules() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail");
    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("vault");
    init(&vault);
    // A forwarded Exchange message: a Word file (not kept by default), two inline images of
    // 87 KB and 8 KB (a signature's: under the 100 KB line, skipped).
    let msg = fixtures.join("attachment.msg");
    let out = common::coffre(&vault, &["import", "--json", msg.to_str().unwrap()]);
    let line: Value = serde_json::from_str(common::stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "rejected", "nothing to keep: {line}");
    let reason = line["reason"].as_str().unwrap();
    assert!(
        reason.contains("loan_proposal.doc: other attachments are not kept"),
        "{reason}"
    );
    // A message with a photo attached, and the same photo in a message attached to it: the
    // photo is stored once, linked once.
    let msg = fixtures.join("test_email.msg");
    let out = lines(&ok(&vault, &["import", "--json", msg.to_str().unwrap()]));
    assert_eq!(out[0]["status"], "imported");
    let statuses: Vec<&str> = out[1..]
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["imported", "duplicate"]);
    assert_eq!(out[1]["id"], out[2]["id"]);
    let rows = list(&vault);
    assert_eq!(rows.len(), 2);
    let message = rows.iter().find(|r| r["name"] == "test_email.msg").unwrap();
    assert_eq!(message["media_type"], "application/vnd.ms-outlook");
    assert_eq!(message["kind"], "outlook");
    let shown: Value = serde_json::from_str(&ok(
        &vault,
        &["show", message["id"].as_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(shown["message"]["subject"], "Test Email");
}
