//! Hostile e-mail messages: a ZIP bomb attached, messages nested a hundred deep, a thousand
//! attachments, names that climb out of folders, and garbage. Each is read without a panic,
//! within its bounds, and says what it left out.

use std::io::Write;

use coffre_extract::mail::{MAX_DEPTH, MAX_PARTS};
use coffre_extract::{Format, Limits, extract, message_parts};

/// Base64 in lines of 76 characters, as mail is written.
fn b64(bytes: &[u8]) -> String {
    let text = data_encoding::BASE64.encode(bytes);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    lines.join("\r\n")
}

/// A message with these attachments (name, media type, bytes).
fn message(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut m = String::from(
        "From: a@b.example\r\nTo: c@d.example\r\nSubject: hostile\r\n\
         Date: Tue, 03 Mar 2026 09:15:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n\
         Content-Type: text/plain\r\n\r\nbody\r\n",
    );
    for (name, media, bytes) in parts {
        m.push_str(&format!(
            "--XX\r\nContent-Type: {media}\r\nContent-Disposition: attachment; \
             filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64(bytes)
        ));
    }
    m.push_str("--XX--\r\n");
    m.into_bytes()
}

#[test]
fn a_zip_bomb_is_refused_and_the_message_still_read() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("facture.pdf", opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        zip.write_all(&zeros).unwrap();
    }
    let bomb = zip.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20, "200 MiB in {} bytes", bomb.len());
    let mail = message(&[("factures.zip", "application/zip", &bomb)]);
    let limits = Limits::default();
    let e = extract(&mail, Some("bomb.eml"), &limits);
    assert_eq!(e.format, Format::Message);
    assert!(
        e.issues.iter().any(|i| i.contains("ZIP bomb")),
        "{:?}",
        e.issues
    );
    let parts = message_parts(&mail, Some("bomb.eml"), &limits);
    assert_eq!(parts.len(), 1, "the archive itself is kept as it is");
    assert_eq!(parts[0].name, "factures.zip");
}

#[test]
fn zip_entries_and_names_cannot_climb_out() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("../../../etc/facture.pdf", opts).unwrap();
    zip.write_all(b"%PDF-1.4 one").unwrap();
    zip.start_file("dir/", opts).unwrap();
    zip.start_file("C:\\Windows\\deux.pdf", opts).unwrap();
    zip.write_all(b"%PDF-1.4 two").unwrap();
    let archive = zip.finish().unwrap().into_inner();
    let mail = message(&[
        (
            "../../.ssh/authorized_keys",
            "application/pdf",
            b"%PDF-1.4 x",
        ),
        ("lot.zip", "application/zip", &archive),
    ]);
    let names: Vec<String> = message_parts(&mail, None, &Limits::default())
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        names,
        ["authorized_keys", "lot.zip/facture.pdf", "lot.zip/deux.pdf"]
    );
}

#[test]
fn nesting_and_counts_are_bounded() {
    // A message in a message ... a hundred deep (each one as it is, not encoded), a PDF at
    // the bottom.
    let mut mail = message(&[("bottom.pdf", "application/pdf", b"%PDF-1.4 deep")]);
    for level in 0..100 {
        let mut outer = format!(
            "From: a@b.example\r\nSubject: level {level}\r\nDate: Tue, 03 Mar 2026 09:15:00 +0100\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"L{level}\"\r\n\r\n\
             --L{level}\r\nContent-Type: message/rfc822\r\n\
             Content-Disposition: attachment; filename=\"inner.eml\"\r\n\r\n"
        )
        .into_bytes();
        outer.extend_from_slice(&mail);
        outer.extend_from_slice(format!("\r\n--L{level}--\r\n").as_bytes());
        mail = outer;
    }
    let parts = message_parts(&mail, None, &Limits::default());
    assert!(parts.len() <= 1, "{}", parts.len());
    assert!(
        parts
            .iter()
            .all(|p| p.name.matches('/').count() <= MAX_DEPTH)
    );
    // A thousand attachments.
    let many: Vec<(String, Vec<u8>)> = (0..1000)
        .map(|i| (format!("f{i}.pdf"), format!("%PDF-1.4 {i}").into_bytes()))
        .collect();
    let refs: Vec<(&str, &str, &[u8])> = many
        .iter()
        .map(|(n, b)| (n.as_str(), "application/pdf", b.as_slice()))
        .collect();
    let mail = message(&refs);
    let e = extract(&mail, None, &Limits::default());
    assert_eq!(e.message.as_ref().unwrap().attachments.len(), MAX_PARTS);
    assert!(e.issues.iter().any(|i| i.contains("the rest left out")));
}

#[test]
fn garbage_gives_an_issue_not_a_panic() {
    for junk in [
        &b"From: x\r\nSubject: y\r\n\r\n"[..],
        b"From: a@b\r\nDate: 1\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1_\0_\0s\0u\0b\0s\0t\0g\x001\0.\x000\0_\0",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
    ] {
        let e = extract(junk, Some("x.eml"), &Limits::default());
        let _ = message_parts(junk, Some("x.eml"), &Limits::default());
        assert!(matches!(e.format, Format::Message | Format::Other), "{e:?}");
    }
}
