//! Mail accounts in the vault (no network: the collector's IMAP half is tested against Dovecot
//! in `crates/cli/tests/imap.rs`): the password sealed and surviving a master-key rotation, and
//! the fetch record that makes collecting exactly-once: what counts as done, what is retried,
//! what the after-fetch action still owes.

use coffre_core::records::sample::text_pdf;
use coffre_core::vault::mailbox::{After, FetchStatus, Fetched, MailUid, NewMailAccount, Security};
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, Vault};
use zeroize::Zeroizing;

fn open() -> (tempfile::TempDir, Vault) {
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let tmp = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    let pass = Passphrase::new("correct horse battery staple".to_owned());
    let (vault, _) = Vault::create(&tmp.path().join("vault"), &pass, &opts).unwrap();
    (tmp, vault)
}

fn account(name: &str) -> NewMailAccount {
    NewMailAccount {
        name: name.into(),
        host: "imap.example.org".into(),
        port: 993,
        security: Security::Tls,
        user: "compta@example.org".into(),
        password: Zeroizing::new("app-password-1234".into()),
        folder: "INBOX".into(),
        ca_pem: None,
        after: After::Seen,
    }
}

fn message(n: u32) -> Vec<u8> {
    let pdf = text_pdf(&[(
        60,
        700,
        &format!("Facture F-{n} du 03/03/2026 Total 12,00 EUR"),
    )]);
    let body = data_encoding::BASE64.encode(&pdf);
    format!(
        "From: a@example.org\r\nSubject: Facture {n}\r\nMessage-ID: <{n}@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n--b\r\n\
         Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"f.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--b--\r\n"
    )
    .into_bytes()
}

fn prepared(v: &Vault, n: u32) -> Fetched {
    let sealer = v.sealer();
    let bytes = message(n);
    let fp = sealer.fingerprint(&bytes);
    Fetched::Prepared(Box::new(sealer.prepare_fetched(&bytes, fp).unwrap()))
}

#[test]
fn the_password_is_sealed_listed_nowhere_and_survives_a_rotation() {
    let (tmp, mut v) = open();
    let listed = v.mail_add(account("factures")).unwrap();
    assert_eq!(listed.after, After::Seen);
    let json = serde_json::to_string(&v.mail_accounts().unwrap()).unwrap();
    assert!(!json.contains("app-password-1234"), "{json}");
    assert!(matches!(
        v.mail_add(account("factures")),
        Err(Error::Invalid { .. })
    ));
    let (v, _recovery) = v
        .rekey(&Passphrase::new("a brand new passphrase 2026".into()))
        .unwrap();
    assert_eq!(
        v.mail_password("factures").unwrap().as_str(),
        "app-password-1234"
    );
    drop(v);
    let v = Vault::open(
        &tmp.path().join("vault"),
        &Passphrase::new("a brand new passphrase 2026".into()),
    )
    .unwrap();
    assert_eq!(
        v.mail_password("factures").unwrap().as_str(),
        "app-password-1234"
    );
}

#[test]
fn the_fetch_record_says_what_is_done_retried_and_owed() {
    let (_tmp, mut v) = open();
    v.mail_add(account("factures")).unwrap();
    let at = |uid| MailUid { validity: 7, uid };
    let batch = vec![
        (at(1), prepared(&v, 1)),
        (at(2), Fetched::Failed(Error::Interrupted)),
        (at(3), Fetched::Skipped("too large".into())),
        (at(4), prepared(&v, 1)), // the same message again
    ];
    let out = v.mail_commit("factures", batch).unwrap();
    let statuses: Vec<FetchStatus> = out.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [
            FetchStatus::Imported,
            FetchStatus::Failed,
            FetchStatus::Skipped,
            FetchStatus::Duplicate
        ]
    );
    assert_eq!(out[0].parts.len(), 1);
    assert_eq!(
        out[3].document.as_ref().unwrap().id,
        out[0].document.as_ref().unwrap().id
    );
    assert_eq!(out[0].document.as_ref().unwrap().name, "Facture 1.eml");
    assert_eq!(v.mail_done_through("factures", 7).unwrap(), 4);
    assert_eq!(
        v.mail_done_through("factures", 8).unwrap(),
        0,
        "another UIDVALIDITY"
    );
    assert_eq!(v.mail_failed("factures", 7).unwrap(), [2]);
    // Only what is in the vault gets the after-fetch action.
    assert_eq!(v.mail_unacted("factures", 7).unwrap(), [1, 4]);
    v.mail_mark_acted("factures", 7, &[1, 4]).unwrap();
    assert!(v.mail_unacted("factures", 7).unwrap().is_empty());

    // The failed one, fetched again, is stored and no longer retried.
    let retried = prepared(&v, 2);
    let out = v.mail_commit("factures", vec![(at(2), retried)]).unwrap();
    assert_eq!(out[0].status, FetchStatus::Imported);
    assert!(v.mail_failed("factures", 7).unwrap().is_empty());
    assert_eq!(v.mail_unacted("factures", 7).unwrap(), [2]);

    // Removing the account forgets its record; the documents stay.
    let docs = v.documents().unwrap().len();
    v.mail_remove("factures").unwrap();
    assert_eq!(v.documents().unwrap().len(), docs);
    assert!(v.mail_account("factures").is_err());
}
