//! Retention, restriction, consent, GDPR requests and subject search/export from the command line
//! (the names and flags here are a contract).

mod common;

use std::io::Read;

use common::{Env, fixture};
use serde_json::Value;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A one-page PDF whose text holds `lines` (one under the other).
fn pdf_with_lines(lines: &[&str]) -> Vec<u8> {
    let items: Vec<(u32, u32, &str)> = (0u32..)
        .zip(lines)
        .map(|(i, l)| (60, 780 - 14 * i, *l))
        .collect();
    coffre_core::records::sample::text_pdf(&items)
}

/// A French invoice PDF numbered `number`, of 14/10/2026, whose text names a person in `line`,
/// for `total` EUR.
fn invoice_naming(number: &str, line: &str, total: &str) -> Vec<u8> {
    pdf_with_lines(&[
        &format!("FACTURE {number}"),
        "Date : 14/10/2026",
        line,
        &format!("Total TTC : {total} EUR"),
    ])
}

#[test]
fn retention_hold_dispose_and_the_old_blob() {
    let env = Env::new();
    let id = env.import(&fixture("ubl-invoice-eur.xml"));
    let status = env.json(&["retention", "status", "--json"]);
    assert_eq!(status["policy"]["jurisdiction"], "france");
    assert_eq!(status["by_year"]["2036"], 1);

    let out = env.run(&["retention", "dispose", &id]);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("must be kept until 2036-12-31"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        !env.run(&["retention", "dispose", &id, "--override"])
            .status
            .success(),
        "an override needs a reason"
    );

    env.ok(&["retention", "hold", &id, "--reason", "tax audit 2027"]);
    let out = env.run(&[
        "retention",
        "dispose",
        &id,
        "--override",
        "--reason",
        "owner asked",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("legal hold"));
    let status = env.json(&["retention", "status", "--json", "--on", "2040-01-01"]);
    assert_eq!(status["due"].as_array().unwrap().len(), 0);
    assert_eq!(status["on_hold"][0]["hold_reason"], "tax audit 2027");
    env.ok(&["retention", "release", &id]);

    let blob = env.blob(&id);
    let saved = std::fs::read(&blob).unwrap();
    let out = env.ok(&[
        "retention",
        "dispose",
        &id,
        "--override",
        "--reason",
        "sent by mistake",
    ]);
    assert!(out.starts_with(&format!("disposed {id}")), "{out}");
    assert!(!env.run(&["cat", &id]).status.success());
    std::fs::write(&blob, &saved).unwrap();
    assert!(
        !env.run(&["cat", &id]).status.success(),
        "the old blob copied back reveals nothing"
    );
    assert!(env.ok(&["verify"]).starts_with("ok: 0 documents"));
    assert!(!blob.exists(), "collected as an orphan on the next open");
    let actions = env.audit_actions();
    for a in ["document.hold", "document.release", "document.dispose"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing");
    }
    assert!(env.ok(&["audit", "verify"]).starts_with("ok"));
}

#[test]
fn restriction_consent_and_requests() {
    let env = Env::new();
    let id = env.import(&fixture("ubl-invoice-eur.xml"));
    env.ok(&["restrict", &id, "--reason", "accuracy contested"]);
    assert_eq!(
        env.json(&["search", "acme", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    env.ok(&["unrestrict", &id]);
    assert_eq!(
        env.json(&["search", "acme", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    assert!(
        env.grant_consent(&["--from", "2026-01-01", "--to", "2026-12-31"])
            .contains("consent 1 granted")
    );
    env.ok(&["consent", "withdraw", "1"]);
    let consents = env.json(&["consent", "list", "--json"]);
    assert_eq!(consents[0]["active"], false);
    assert_eq!(consents[0]["party"], "Cabinet Martin");
    assert!(!env.run(&["consent", "withdraw", "1"]).status.success());

    let out = env.ok(&[
        "request",
        "new",
        "--subject",
        "Jean Dupont",
        "--type",
        "access",
        "--received",
        "2026-01-31",
    ]);
    assert!(out.contains("due 2026-02-28"), "{out}");
    let list = env.json(&["request", "list", "--json"]);
    assert_eq!(list[0]["overdue"], true, "received in January, still open");
    env.ok(&[
        "request",
        "close",
        "1",
        "--outcome",
        "export sent by registered mail",
    ]);
    let list = env.json(&["request", "list", "--json"]);
    assert_eq!(list[0]["overdue"], false);
    assert!(
        !env.run(&["request", "new", "--subject", "X", "--type", "gossip"])
            .status
            .success()
    );
}

#[test]
fn a_subject_named_only_in_a_pdfs_text_is_found_and_exported() {
    let env = Env::new();
    let pdf = invoice_naming(
        "F-2026-0099",
        "Suivi du dossier : Emilie Rousseau (emilie.rousseau@example.fr)",
        "120,00",
    );
    let id = env.import_bytes("scan.pdf", &pdf);
    env.import(&fixture("ubl-invoice-eur.xml"));
    let show = env.json(&["show", &id, "--json"]);
    assert!(
        show["buyer"]["name"].is_null() && show["seller"]["name"] != "Emilie Rousseau",
        "named in the text only"
    );

    env.ok(&[
        "restrict",
        &id,
        "--reason",
        "erasure requested, legal retention applies",
    ]);
    let hits = env.json(&["subject", "search", "Emilie Rousseau", "--json"]);
    let hits = hits.as_array().unwrap();
    assert_eq!(
        hits.len(),
        1,
        "restricted documents are still found for the subject"
    );
    assert_eq!(hits[0]["id"], id);
    assert_eq!(
        env.json(&["subject", "search", "emilie.rousseau@example.fr", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let zip_path = env.path("export.zip");
    env.ok(&[
        "subject",
        "export",
        "Emilie Rousseau",
        "--out",
        zip_path.to_str().unwrap(),
    ]);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut bytes = Vec::new();
    zip.by_name("documents/scan.pdf")
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, pdf);
    let mut json = String::new();
    zip.by_name("subject.json")
        .unwrap()
        .read_to_string(&mut json)
        .unwrap();
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["documents"][0]["document"]["id"], id);
    assert_eq!(zip.len(), 2);
}

#[test]
fn failed_unlocks_reach_the_audit_trail() {
    let env = Env::new();
    for _ in 0..2 {
        let out = env.run_with("not the passphrase", &["list"]);
        assert!(!out.status.success());
    }
    let failed = env
        .audit_actions()
        .iter()
        .filter(|a| *a == "vault.unlock_failed")
        .count();
    assert_eq!(failed, 2);
    assert!(!env.vault.join("unlock-failures").exists());
}

#[test]
fn erasure_restricts_what_the_law_keeps() {
    let env = Env::new();
    let pdf = invoice_naming("F-2026-0100", "Client : Paul Lemaire", "60,00");
    let id = env.import_bytes("lemaire.pdf", &pdf);
    env.ok(&[
        "request",
        "new",
        "--subject",
        "Paul Lemaire",
        "--type",
        "erasure",
    ]);
    let out = env.ok(&[
        "subject",
        "erase",
        "Paul Lemaire",
        "--request",
        "1",
        "--json",
    ]);
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["action"], "restricted");
    assert!(v["reason"].as_str().unwrap().contains("17(3)(b)"));
    assert!(v["reason"].as_str().unwrap().contains("erasure request #1"));
    let status = env.json(&["retention", "status", "--json"]);
    assert_eq!(status["restricted"][0]["id"], id);
    assert!(
        env.json(&["search", "Lemaire", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}
