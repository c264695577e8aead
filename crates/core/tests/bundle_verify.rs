//! Verifying bundles: altered, missing and extra files, signatures and expected signers, and
//! hostile archives (duplicate names, entries sharing bytes, sizes past the limits).

mod support;

use std::io::Write;
use std::path::Path;

use coffre_core::sharing::bundle::{ExpectedSigner, bundle_verify};

use support::bundle::*;

/// Rewrites a ZIP entry by entry; `edit` returns the new content or `None` to drop the entry.
fn rewrite(
    src: &Path,
    dst: &Path,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: Option<(&str, &[u8])>,
) {
    let all = entries(src, None);
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in all {
        if let Some(data) = edit(&name, data) {
            w.start_file(name.as_str(), opts).unwrap();
            w.write_all(&data).unwrap();
        }
    }
    if let Some((name, data)) = extra {
        w.start_file(name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

fn kinds(report: &coffre_core::sharing::bundle::VerifyBundleReport) -> Vec<(String, String)> {
    report
        .problems
        .iter()
        .map(|p| (p.kind.to_owned(), p.path.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn verify_names_altered_missing_extra_files_and_bad_signatures() {
    let Setup { tmp, mut vault, .. } = setup();
    grant(&mut vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("b.zip");
    create(&mut vault, &request("Cabinet Martin", "2026-Q4", &out)).unwrap();
    let pk = vault.signing_public_key().unwrap();
    let report = bundle_verify(&out, None, Some(&by(&pk))).unwrap();
    assert!(report.ok, "{:?}", report.problems);

    let bad = tmp.path().join("bad.zip");
    // Altered document.
    let mut target = String::new();
    rewrite(
        &out,
        &bad,
        |n, mut d| {
            if n.starts_with("documents/") && target.is_empty() {
                target = n.to_owned();
                d[0] ^= 1;
            }
            Some(d)
        },
        None,
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok && r.signature_valid);
    assert_eq!(kinds(&r), vec![("altered".to_owned(), target.clone())]);

    // Missing file.
    rewrite(&out, &bad, |n, d| (n != "index.csv").then_some(d), None);
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("missing".to_owned(), "index.csv".to_owned())]
    );
    assert!(!r.ok);

    // Extra file.
    rewrite(
        &out,
        &bad,
        |_, d| Some(d),
        Some(("documents/evil.pdf", b"%PDF-")),
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("extra".to_owned(), "documents/evil.pdf".to_owned())]
    );

    // Path traversal.
    rewrite(&out, &bad, |_, d| Some(d), Some(("../escape.txt", b"x")));
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("unsafe-path".to_owned(), "../escape.txt".to_owned())]
    );

    // Bad signature.
    rewrite(
        &out,
        &bad,
        |n, mut d| {
            if n == "manifest.sig" {
                d[10] ^= 0x40;
            }
            Some(d)
        },
        None,
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok && !r.signature_valid);
    assert_eq!(
        kinds(&r),
        vec![("signature".to_owned(), "manifest.sig".to_owned())]
    );

    // A manifest edited to match an altered file no longer matches its signature.
    rewrite(
        &out,
        &bad,
        |n, d| {
            if n == "manifest.json" {
                let s = String::from_utf8(d)
                    .unwrap()
                    .replace("Cabinet Martin", "Cabinet Dupont");
                Some(s.into_bytes())
            } else {
                Some(d)
            }
        },
        None,
    );
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert_eq!(
        kinds(&r),
        vec![("signature".to_owned(), "manifest.sig".to_owned())]
    );

    // Another vault's key is not the expected one.
    let r = bundle_verify(&out, None, Some(&by(&[7u8; 32]))).unwrap();
    assert!(!r.ok);
    assert_eq!(
        kinds(&r),
        vec![("key".to_owned(), "manifest.json".to_owned())]
    );

    // Not a ZIP at all.
    std::fs::write(&bad, b"PK\x03\x04 garbage").unwrap();
    let r = bundle_verify(&bad, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok && r.problems[0].kind == "archive");
    assert!(bundle_verify(&tmp.path().join("absent.zip"), None, None).is_err());
}

#[test]
fn a_bundle_from_another_vault_fails_verify() {
    let Setup { tmp, vault, .. } = setup();
    let mut other = setup();
    grant(&mut other.vault, "Cabinet Martin", None, None);
    let out = tmp.path().join("other.zip");
    let made = create(&mut other.vault, &request("Cabinet Martin", "2026", &out)).unwrap();

    // Checked against this vault's key: another signer.
    let mine = vault.signing_public_key().unwrap();
    let r = bundle_verify(&out, None, Some(&by(&mine))).unwrap();
    assert!(!r.ok && r.signature_valid && !r.signer_known);
    assert_eq!(
        kinds(&r),
        vec![("key".to_owned(), "manifest.json".to_owned())]
    );
    assert_eq!(r.files_ok, 6, "every file is still checked");

    // With the fingerprint the sender gave (as the summary and the README print it).
    let fp = ExpectedSigner::fingerprint(&made.key_fingerprint).unwrap();
    let r = bundle_verify(&out, None, Some(&fp)).unwrap();
    assert!(r.ok && r.signer_known, "{:?}", r.problems);
    let typed =
        ExpectedSigner::fingerprint(&made.key_fingerprint.to_uppercase().replace(' ', "")).unwrap();
    assert!(bundle_verify(&out, None, Some(&typed)).unwrap().ok);
    let wrong =
        ExpectedSigner::fingerprint(&coffre_core::sharing::bundle::key_fingerprint(&mine)).unwrap();
    assert!(!bundle_verify(&out, None, Some(&wrong)).unwrap().ok);

    // With nothing expected: signed by an unknown key, not ok, every file still checked.
    let r = bundle_verify(&out, None, None).unwrap();
    assert!(!r.ok && r.signature_valid && !r.signer_known);
    assert_eq!(
        kinds(&r),
        vec![("unknown-key".to_owned(), "manifest.json".to_owned())]
    );
    assert!(
        r.problems[0].detail.contains("signed by an unknown key")
            && r.problems[0].detail.contains(&made.key_fingerprint),
        "{:?}",
        r.problems
    );
    assert_eq!(r.files_ok, 6);

    // Re-signed by someone else with their own key in the manifest: the signature holds, the
    // signer does not.
    let forged = tmp.path().join("forged.zip");
    let (kp, forger_pk) = {
        use ring::signature::KeyPair;
        let kp = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[9u8; 32]).unwrap();
        let pk = kp.public_key().as_ref().to_vec();
        (kp, pk)
    };
    let mut manifest = Vec::new();
    for (name, data) in entries(&out, None) {
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
            m["public_key"] = hex::encode(&forger_pk).into();
            manifest = serde_json::to_vec(&m).unwrap();
        }
    }
    let signature = kp.sign(&manifest).as_ref().to_vec();
    rewrite(
        &out,
        &forged,
        |n, d| match n {
            "manifest.json" => Some(manifest.clone()),
            "manifest.sig" => Some(signature.clone()),
            _ => Some(d),
        },
        None,
    );
    let r = bundle_verify(&forged, None, Some(&fp)).unwrap();
    assert!(r.signature_valid && !r.ok, "{:?}", r.problems);
    assert_eq!(
        kinds(&r),
        vec![("key".to_owned(), "manifest.json".to_owned())]
    );
    assert!(!bundle_verify(&forged, None, None).unwrap().ok);
}

// Hostile archives (issue 12): written byte by byte, since the `zip` crate never writes
// duplicate names or entries sharing bytes.

/// One local entry of a hand-made ZIP.
struct Raw {
    name: String,
    /// 0 stored, 8 deflated.
    method: u16,
    data: Vec<u8>,
    crc: u32,
    /// The uncompressed size the headers claim.
    size: u32,
}

/// CRC-32 (IEEE), bit by bit: enough for test archives.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn stored(name: &str, data: Vec<u8>) -> Raw {
    Raw {
        name: name.into(),
        method: 0,
        crc: crc32(&data),
        size: data.len() as u32,
        data,
    }
}

/// Bits of a DEFLATE stream, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u8,
    n: u32,
}

impl Bits {
    fn bit(&mut self, b: u32) {
        self.acc |= ((b & 1) as u8) << self.n;
        self.n += 1;
        if self.n == 8 {
            self.out.push(self.acc);
            (self.acc, self.n) = (0, 0);
        }
    }
    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }
    /// Length 258 (symbol 285, fixed code 0xC5) at distance 1 (fixed code 0): 258 more zeros.
    fn run(&mut self) {
        self.code(0xC5, 8);
        self.code(0, 5);
    }
}

/// A deflated entry inflating to at least `min_len` zero bytes from about `min_len / 160` bytes,
/// whatever `claimed` size its headers say. Built directly (one fixed-Huffman block: a literal 0,
/// then runs of 258), so no test compresses gigabytes.
fn zeros(name: &str, min_len: u64, claimed: u32) -> Raw {
    let mut b = Bits::default();
    b.bit(1); // last block
    b.bit(1); // fixed Huffman codes (01)
    b.bit(0);
    b.code(0x30, 8); // literal 0
    b.run(); // 3 + 8 + 13 bits: byte-aligned from here
    assert_eq!(b.n, 0);
    let mut eight = Bits::default();
    for _ in 0..8 {
        eight.run();
    }
    assert_eq!(eight.n, 0);
    for _ in 0..min_len.saturating_sub(259).div_ceil(8 * 258) {
        b.out.extend_from_slice(&eight.out);
    }
    b.code(0, 7); // end of block
    while b.n != 0 {
        b.bit(0);
    }
    Raw {
        name: name.into(),
        method: 8,
        data: b.out,
        crc: 0,
        size: claimed,
    }
}

/// Writes a ZIP of `locals`; `central` lists the central-directory entries as (name, local
/// entry): a name may repeat, and several names may point at one local entry.
fn raw_zip(path: &Path, locals: &[Raw], central: &[(&str, usize)]) {
    let mut out: Vec<u8> = Vec::new();
    let mut offsets = Vec::new();
    let fixed = |out: &mut Vec<u8>, e: &Raw| {
        out.extend(0x0800u16.to_le_bytes()); // flags: UTF-8 names
        out.extend(e.method.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend(e.crc.to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend(e.size.to_le_bytes());
    };
    for e in locals {
        offsets.push(out.len() as u32);
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        fixed(&mut out, e);
        out.extend((e.name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(e.name.as_bytes());
        out.extend(&e.data);
    }
    let start = out.len() as u32;
    for (name, i) in central {
        out.extend(0x0201_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes()); // made by
        out.extend(20u16.to_le_bytes()); // needed
        fixed(&mut out, &locals[*i]);
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0u8; 12]); // extra and comment lengths, disk, attributes
        out.extend(offsets[*i].to_le_bytes());
        out.extend(name.as_bytes());
    }
    let len = out.len() as u32 - start;
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((central.len() as u16).to_le_bytes());
    out.extend((central.len() as u16).to_le_bytes());
    out.extend(len.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// A genuine bundle's entries, stored, in archive order; and the vault's public key.
fn genuine_entries() -> (Setup, Vec<Raw>, Vec<u8>) {
    let mut s = setup();
    grant(&mut s.vault, "Cabinet Martin", None, None);
    let out = s.tmp.path().join("genuine.zip");
    create(&mut s.vault, &request("Cabinet Martin", "2026", &out)).unwrap();
    let pk = s.vault.signing_public_key().unwrap();
    let raws = entries(&out, None)
        .into_iter()
        .map(|(n, d)| stored(&n, d))
        .collect();
    (s, raws, pk)
}

fn every_entry(locals: &[Raw]) -> Vec<(&str, usize)> {
    locals
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect()
}

/// The manifest with `extra` files listed (its signature no longer holds).
fn listing(locals: &[Raw], extra: &[(String, u64)]) -> Vec<u8> {
    let m = locals.iter().find(|e| e.name == "manifest.json").unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&m.data).unwrap();
    for (path, size) in extra {
        m["files"].as_array_mut().unwrap().push(serde_json::json!({
            "path": path, "size": size, "sha256": "00".repeat(32)
        }));
    }
    serde_json::to_vec(&m).unwrap()
}

#[test]
fn a_hand_made_copy_of_a_genuine_bundle_verifies() {
    let (s, locals, pk) = genuine_entries();
    let path = s.tmp.path().join("copy.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    let original = bundle_verify(&s.tmp.path().join("genuine.zip"), None, Some(&by(&pk))).unwrap();
    assert!(original.ok && r.files_ok == original.files_ok && r.files_ok > 3);
}

#[test]
fn verify_refuses_duplicate_names() {
    let (s, genuine, pk) = genuine_entries();
    // A second `index.csv` before the genuine one: the ZIP reader keeps the last, an unzip tool
    // may show the first. Before the fix the bundle verified as genuine.
    let mut locals = vec![stored("index.csv", b"\xef\xbb\xbfaltered;rows\n".to_vec())];
    locals.extend(genuine);
    let path = s.tmp.path().join("dup.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert_eq!(kinds(&r), vec![("duplicate".to_owned(), String::new())]);
    assert_eq!(r.files_ok, 0, "nothing is read from a refused archive");
}

#[test]
fn verify_refuses_entries_sharing_bytes() {
    let (s, mut locals, pk) = genuine_entries();
    // One block inflating to 32 MiB, named 32 times in the central directory and listed 32
    // times in the manifest: 1 GiB to inflate from a few hundred kilobytes.
    const EACH: u64 = 32 << 20;
    let bomb = locals.len();
    locals.push(zeros("documents/bomb-0.pdf", EACH, EACH as u32));
    let names: Vec<String> = (0..32).map(|i| format!("documents/bomb-{i}.pdf")).collect();
    let listed: Vec<(String, u64)> = names.iter().map(|n| (n.clone(), EACH)).collect();
    let m = locals
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    locals[m] = stored("manifest.json", listing(&locals, &listed));
    let mut central = every_entry(&locals);
    central.pop();
    central.extend(names.iter().map(|n| (n.as_str(), bomb)));
    let path = s.tmp.path().join("overlap.zip");
    raw_zip(&path, &locals, &central);
    assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);

    let started = std::time::Instant::now();
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert_eq!(kinds(&r), vec![("overlap".to_owned(), String::new())]);
    assert_eq!(r.files_ok, 0, "nothing is inflated from a refused archive");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // Two central entries pointing at one local header of a genuine document.
    let (s, locals, pk) = genuine_entries();
    let doc = locals
        .iter()
        .position(|e| e.name.starts_with("documents/"))
        .unwrap();
    let mut central = every_entry(&locals);
    central.push(("documents/copy.pdf", doc));
    let path = s.tmp.path().join("shared.zip");
    raw_zip(&path, &locals, &central);
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert_eq!(kinds(&r), vec![("overlap".to_owned(), String::new())]);
}

#[test]
fn verify_refuses_a_manifest_listing_more_than_the_total_budget() {
    let (s, mut locals, pk) = genuine_entries();
    // Three files of 3 GiB each (each under the single-entry limit, 9 GiB in all): refused
    // before any entry is inflated.
    let listed: Vec<(String, u64)> = (0..3)
        .map(|i| (format!("documents/big-{i}.pdf"), 3 << 30))
        .collect();
    for (name, _) in &listed {
        locals.push(stored(name, b"%PDF-".to_vec()));
    }
    let m = locals
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    locals[m] = stored("manifest.json", listing(&locals, &listed));
    let path = s.tmp.path().join("budget.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert!(
        kinds(&r).contains(&("limit".to_owned(), "manifest.json".to_owned())),
        "{:?}",
        r.problems
    );
    assert!(
        !r.problems.iter().any(|p| p.kind == "altered"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.files_ok, 0, "nothing is inflated past the budget");
}

#[test]
fn verify_stops_reading_an_entry_past_its_listed_size() {
    let (s, mut locals, pk) = genuine_entries();
    let genuine: Vec<(String, Vec<u8>)> = locals
        .iter()
        .map(|e| (e.name.clone(), e.data.clone()))
        .collect();
    // A document swapped for 1 GiB of zeros whose headers claim 4 GiB - 2: the manifest's size
    // is the limit, not the header's.
    let doc = locals
        .iter()
        .position(|e| e.name.starts_with("documents/"))
        .unwrap();
    let name = locals[doc].name.clone();
    locals[doc] = zeros(&name, 1 << 30, u32::MAX - 1);
    let path = s.tmp.path().join("inflating.zip");
    raw_zip(&path, &locals, &every_entry(&locals));
    let started = std::time::Instant::now();
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(r.signature_valid && !r.ok);
    assert_eq!(kinds(&r), vec![("altered".to_owned(), name)]);
    assert!(
        r.problems[0].detail.contains("larger than"),
        "{:?}",
        r.problems
    );

    // The manifest itself inflating past its limit.
    let mut locals: Vec<Raw> = genuine.into_iter().map(|(n, d)| stored(&n, d)).collect();
    let m = locals
        .iter()
        .position(|e| e.name == "manifest.json")
        .unwrap();
    locals[m] = zeros("manifest.json", 1 << 30, u32::MAX - 1);
    raw_zip(&path, &locals, &every_entry(&locals));
    let r = bundle_verify(&path, None, Some(&by(&pk))).unwrap();
    assert!(!r.ok);
    assert!(
        kinds(&r).contains(&("limit".to_owned(), "manifest.json".to_owned())),
        "{:?}",
        r.problems
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
