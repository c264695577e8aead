//! Password-protected bundles: AES-256 (WinZip AE-2) entries, neutral names, 7-Zip
//! interoperability, the password rule.

mod support;

use std::path::Path;

use coffre_core::Error;
use coffre_core::sharing::bundle::bundle_verify;
use zeroize::Zeroizing;

use support::bundle::*;

/// A password the rule accepts.
const STRONG: &str = "velvet canyon tractor mosaic";

#[test]
fn password_protected_bundle() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("secret.zip");
    let mut req = request("Cabinet Martin", "2026", &out);
    req.password = Some(Zeroizing::new(STRONG.to_owned()));
    let s = create(&mut vault, &req).unwrap();
    assert_eq!(s.documents, 3);

    {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        for i in 0..zip.len() {
            assert!(zip.by_index_raw(i).unwrap().encrypted());
        }
    }
    let all = entries(&out, Some(STRONG));
    assert!(entry(&all, "index.csv").starts_with("\u{feff}".as_bytes()));

    let pk = vault.signing_public_key().unwrap();
    let r = bundle_verify(&out, Some(STRONG), Some(&by(&pk))).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    let r = bundle_verify(&out, None, Some(&by(&pk))).unwrap();
    assert!(
        !r.ok && r.problems.iter().any(|p| p.kind == "password"),
        "{:?}",
        r.problems
    );
    let r = bundle_verify(&out, Some("wrong"), Some(&by(&pk))).unwrap();
    assert!(
        !r.ok && r.problems.iter().any(|p| p.kind == "password"),
        "{:?}",
        r.problems
    );

    let has_7z = std::process::Command::new("7z")
        .arg("i")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_7z {
        eprintln!("note: 7z not on PATH, skipping the 7-Zip interoperability check");
        return;
    }
    let run = |pass: &str, dest: &Path| {
        std::process::Command::new("7z")
            .arg("x")
            .arg(format!("-p{pass}"))
            .arg(format!("-o{}", dest.display()))
            .arg("-y")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
    };
    let good = tmp.path().join("x-good");
    assert!(run(STRONG, &good).success());
    assert_eq!(
        std::fs::read(good.join("index.csv")).unwrap(),
        entry(&all, "index.csv")
    );
    // 7-Zip checks each document's content as it extracts (AE-2: by its HMAC, not a CRC).
    for (name, data) in all.iter().filter(|(n, _)| n.starts_with("documents/")) {
        assert_eq!(&std::fs::read(good.join(name)).unwrap(), data, "{name}");
    }
    assert!(!run("wrong pass", &tmp.path().join("x-bad")).success());
}

/// One entry of a ZIP as its headers say, read byte by byte (no ZIP library between the test
/// and the bytes): the central directory's name, CRC-32 and AES extra field, the local header's
/// CRC-32 and AES extra field, and the data descriptor's CRC-32 when there is one.
#[derive(Debug)]
struct RawEntry {
    name: String,
    central_crc: u32,
    /// (vendor version, vendor id, strength) of the 0x9901 extra field.
    central_aes: Option<(u16, [u8; 2], u8)>,
    local_crc: u32,
    local_aes: Option<(u16, [u8; 2], u8)>,
    descriptor_crc: Option<u32>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn aes_field(extra: &[u8]) -> Option<(u16, [u8; 2], u8)> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, at), usize::from(u16_at(extra, at + 2)));
        let data = &extra[at + 4..at + 4 + len];
        if id == 0x9901 {
            return Some((u16_at(data, 0), [data[2], data[3]], data[4]));
        }
        at += 4 + len;
    }
    None
}

fn raw_entries(bytes: &[u8]) -> Vec<RawEntry> {
    let eocd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("end of central directory");
    let count = usize::from(u16_at(bytes, eocd + 10));
    let mut at = u32_at(bytes, eocd + 16) as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
        let flags = u16_at(bytes, at + 8);
        let central_crc = u32_at(bytes, at + 16);
        let compressed = u32_at(bytes, at + 20) as usize;
        let (n, x, c) = (
            usize::from(u16_at(bytes, at + 28)),
            usize::from(u16_at(bytes, at + 30)),
            usize::from(u16_at(bytes, at + 32)),
        );
        let local = u32_at(bytes, at + 42) as usize;
        let name = String::from_utf8(bytes[at + 46..at + 46 + n].to_vec()).unwrap();
        let central_aes = aes_field(&bytes[at + 46 + n..at + 46 + n + x]);
        assert_eq!(&bytes[local..local + 4], b"PK\x03\x04");
        let (ln, lx) = (
            usize::from(u16_at(bytes, local + 26)),
            usize::from(u16_at(bytes, local + 28)),
        );
        let data = local + 30 + ln + lx;
        let descriptor_crc = (flags & 8 != 0).then(|| {
            let d = data + compressed;
            if &bytes[d..d + 4] == b"PK\x07\x08" {
                u32_at(bytes, d + 4)
            } else {
                u32_at(bytes, d)
            }
        });
        out.push(RawEntry {
            name,
            central_crc,
            central_aes,
            local_crc: u32_at(bytes, local + 14),
            local_aes: aes_field(&bytes[local + 30 + ln..data]),
            descriptor_crc,
        });
        at += 46 + n + x + c;
    }
    out
}

#[test]
fn password_bundles_hide_names_and_use_ae2() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("secret.zip");
    let mut req = request("Cabinet Martin", "2026", &out);
    req.password = Some(Zeroizing::new(STRONG.to_owned()));
    create(&mut vault, &req).unwrap();
    let bytes = std::fs::read(&out).unwrap();

    // What anyone can list: neutral names, in bundle order, and the fixed files.
    let raw = raw_entries(&bytes);
    let names: Vec<&str> = raw.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names[3..],
        [
            "index.csv",
            "index.json",
            "README.html",
            "manifest.json",
            "manifest.sig",
        ]
    );
    // Bundle order is by date: the January credit note first; the two October documents follow
    // in id order.
    assert_eq!(names[0], "documents/0001.xml");
    let pdf = *names[1..3]
        .iter()
        .find(|n| n.ends_with(".pdf"))
        .expect("the PDF");
    for (i, n) in names[..3].iter().enumerate() {
        let want = format!("documents/{:04}.", i + 1);
        assert!(
            n.starts_with(&want) && (n.ends_with(".xml") || n.ends_with(".pdf")),
            "{n}"
        );
    }
    // No seller, number, amount, recipient or date anywhere in the file's bytes: the names are
    // neutral and everything else is encrypted.
    for secret in [
        "ACME",
        "F-2026-0042",
        "FA-2026-0001",
        "1200.00",
        "1291.00",
        "Cabinet Martin",
        "2026-10-14",
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret:?} readable without the password"
        );
    }
    // AE-2: the 0x9901 field says vendor version 2, and no CRC-32 of the plaintext is stored
    // (central directory, local header and data descriptor all hold 0).
    for e in &raw {
        assert_eq!(e.central_aes, Some((2, *b"AE", 3)), "{e:?}");
        assert_eq!(e.local_aes, Some((2, *b"AE", 3)), "{e:?}");
        assert_eq!(e.central_crc, 0, "{e:?}");
        assert_eq!(e.local_crc, 0, "{e:?}");
        assert!(e.descriptor_crc.is_none_or(|c| c == 0), "{e:?}");
    }

    // The mapping is in the encrypted index files.
    let all = entries(&out, Some(STRONG));
    let csv = std::str::from_utf8(entry(&all, "index.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains(pdf))
        .expect("the PDF's row");
    assert!(
        row.contains("ACME Conseil SAS")
            && row.contains("F-2026-0042")
            && row.contains("1200.00")
            && row.ends_with("2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf"),
        "{row}"
    );
    let index: serde_json::Value = serde_json::from_slice(entry(&all, "index.json")).unwrap();
    assert!(index["documents"].as_array().unwrap().iter().any(|d| {
        d["file"] == pdf && d["name"] == "2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf"
    }));
    let readme = std::str::from_utf8(entry(&all, "README.html")).unwrap();
    assert!(readme.contains(&format!("href=\"{pdf}\"")), "{readme}");
    assert!(readme.contains("AE-2") && readme.contains("AES-256"));

    // Without a password: readable names, as before.
    let plain = tmp.path().join("plain.zip");
    create(&mut vault, &request("Cabinet Martin", "2026", &plain)).unwrap();
    let raw = raw_entries(&std::fs::read(&plain).unwrap());
    assert!(
        raw.iter()
            .any(|e| e.name == "documents/2026-10-14_ACME-Conseil-SAS_F-2026-0042_1200.00EUR.pdf")
    );
    assert!(raw.iter().all(|e| e.central_aes.is_none()));
}

#[test]
fn weak_bundle_passwords_are_refused() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("weak.zip");
    for weak in ["", "a", "s3cret pass", "password1234", "azertyuiop123"] {
        let mut req = request("Cabinet Martin", "2026", &out);
        req.password = Some(Zeroizing::new(weak.to_owned()));
        let err = create(&mut vault, &req).unwrap_err();
        assert!(
            matches!(&err, Error::WeakBundlePassword(_)),
            "{weak:?}: {err}"
        );
        assert!(!out.exists());
    }
    no_part_files(tmp.path());
    // A generated one is shown once and accepted.
    let generated = coffre_core::sharing::bundle::generate_password().unwrap();
    let mut req = request("Cabinet Martin", "2026", &out);
    req.password = Some(generated.clone());
    create(&mut vault, &req).unwrap();
    let pk = vault.signing_public_key().unwrap();
    assert!(
        bundle_verify(&out, Some(&generated), Some(&by(&pk)))
            .unwrap()
            .ok
    );
}
