//! E-mail messages and the privacy rules: a message holds the bytes of its attachments, so a
//! restriction or an erasure request that reaches an attachment reaches its message too, even
//! when the message's own text never names the person.

use coffre_core::records::sample::text_pdf;
use coffre_core::storage::settings::Setting;
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};

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

/// A message whose body names nobody, with one invoice naming Jean Dupont attached.
fn message(id: &str, invoice: &[u8]) -> Vec<u8> {
    let mut encoded = String::new();
    for chunk in base64_lines(invoice) {
        encoded.push_str(&chunk);
        encoded.push_str("\r\n");
    }
    format!(
        "From: Atelier <factures@atelier.example>\r\nTo: compta@boutique.example\r\n\
         Subject: Votre facture\r\nDate: Tue, 03 Mar 2026 09:15:00 +0100\r\n\
         Message-ID: <{id}@atelier.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCi-joint la facture.\r\n\
         --b1\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename=\"facture.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{encoded}--b1--\r\n"
    )
    .into_bytes()
}

fn base64_lines(bytes: &[u8]) -> Vec<String> {
    data_encoding::BASE64
        .encode(bytes)
        .as_bytes()
        .chunks(76)
        .map(|l| String::from_utf8(l.to_vec()).unwrap())
        .collect()
}

fn invoice() -> Vec<u8> {
    text_pdf(&[
        (60, 780, "Atelier Dupont SARL"),
        (60, 700, "Client : Jean Dupont, 4 rue Vieille, 69001 Lyon"),
        (60, 650, "Facture F-2026-031 du 03/03/2026"),
        (60, 560, "Total TTC 540,00 EUR"),
    ])
}

#[test]
fn restricting_an_attachment_restricts_its_message() {
    let (_tmp, mut v) = open();
    let out = v
        .import_reader("facture.eml", &message("a1", &invoice())[..], None)
        .unwrap();
    assert!(out.is_imported());
    let message_id = out.document.id.clone();
    let part = out.parts[0].id.clone().expect("the invoice is stored");
    assert_eq!(v.messages_of(&part).unwrap()[0].id, message_id);
    v.restrict(&part, "contested by the customer").unwrap();
    let r = v.retention_of(&message_id).unwrap();
    let reason = r.restricted_reason.expect("the message is restricted too");
    assert!(reason.contains("facture.pdf"), "{reason}");
}

#[test]
fn an_erasure_request_reaches_the_messages_of_what_it_finds() {
    let (_tmp, mut v) = open();
    let out = v
        .import_reader("facture.eml", &message("a2", &invoice())[..], None)
        .unwrap();
    let message_id = out.document.id.clone();
    let part = out.parts[0].id.clone().unwrap();
    // The message's own text does not name Jean Dupont; its attachment does.
    let found: Vec<String> = v
        .subject_search("Jean Dupont")
        .unwrap()
        .into_iter()
        .map(|h| h.document.id)
        .collect();
    assert_eq!(found, std::slice::from_ref(&part));
    let erased = v.erase_subject("Jean Dupont", Some(7)).unwrap();
    let ids: Vec<(&str, &str)> = erased.iter().map(|e| (e.id.as_str(), e.action)).collect();
    // Both are still under their legal retention: restricted, not disposed.
    assert_eq!(
        ids,
        [
            (part.as_str(), "restricted"),
            (message_id.as_str(), "restricted")
        ]
    );
}

/// `inner` attached, as is, to a new message.
fn wrapped(level: usize, inner: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "From: a@b.example\r\nSubject: level {level}\r\nDate: Tue, 03 Mar 2026 09:15:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"L{level}\"\r\n\r\n\
         --L{level}\r\nContent-Type: message/rfc822\r\n\
         Content-Disposition: attachment; filename=\"level{level}.eml\"\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(inner);
    m.extend_from_slice(format!("\r\n--L{level}--\r\n").as_bytes());
    m
}

#[test]
fn a_message_kept_as_a_part_is_stored_whole() {
    let (_tmp, mut v) = open();
    v.set_setting(Setting::MailKeepTypes, "pdf,message")
        .unwrap();
    // A message nested deeper than the levels opened, itself without attachment: kept whole,
    // not refused for having nothing to keep.
    let mut nested = b"From: x@y.example\r\nSubject: deep\r\nDate: Tue, 03 Mar 2026 09:15:00 +0100\r\n\r\nhello\r\n".to_vec();
    for level in 0..4 {
        nested = wrapped(level, &nested);
    }
    let out = v.import_reader("nested.eml", &nested[..], None).unwrap();
    assert!(out.is_imported());
    let parts: Vec<(&str, String)> = out
        .parts
        .iter()
        .map(|p| (p.name.as_str(), format!("{:?}", p.status)))
        .collect();
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert!(parts[0].0.ends_with(".eml"), "{parts:?}");
    assert_eq!(parts[0].1, "Imported");
    let part = v.document(out.parts[0].id.as_deref().unwrap()).unwrap();
    assert_eq!(part.media_type, "message/rfc822");
    assert!(v.message_parts(&part.id).unwrap().is_empty());
}
