//! Checking a bundle without a vault: the archive's shape, the signature of the manifest by an
//! expected signer, and every file against the manifest.
//!
//! Promises: [`bundle_verify`] never trusts the archive: entry count, sizes and paths are bounded
//! and checked; duplicate names and entries sharing bytes (a "zip bomb by overlap") are refused
//! before anything is inflated; every entry is read through a limit (its size in the manifest,
//! never the ZIP header's) and all of them together within [`MAX_TOTAL_BYTES`]. It never trusts
//! the key the bundle names: the signer must be the one the caller expects ([`ExpectedSigner`]);
//! without an expectation the bundle is "signed by an unknown key" and does not verify.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use ring::digest;
use serde::Serialize;

use super::manifest::{FORMAT, Manifest, group_hex, key_fingerprint, sha256_hex};
use crate::error::Why;
use crate::{Error, Result};

/// Most entries [`bundle_verify`] accepts in an archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest `manifest.json` [`bundle_verify`] reads.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Largest single entry [`bundle_verify`] reads.
pub const MAX_ENTRY_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Most bytes [`bundle_verify`] inflates in all (the files the manifest lists): a manifest
/// listing more is refused before any entry is read.
pub const MAX_TOTAL_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// One problem found by [`bundle_verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct BundleProblem {
    /// `missing`, `extra`, `altered`, `signature`, `key` (signed by another key than the
    /// expected one), `unknown-key` (no key was expected), `manifest`, `unsafe-path`, `limit`,
    /// `duplicate` (two entries of one name), `overlap` (entries sharing bytes), `password` or
    /// `archive`.
    pub kind: &'static str,
    /// The file concerned, if any.
    pub path: Option<String>,
    /// What is wrong.
    pub detail: String,
}

/// The outcome of [`bundle_verify`].
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct VerifyBundleReport {
    /// No problem found: the signature holds, by the expected key, and every file matches the
    /// manifest.
    pub ok: bool,
    /// The bundle's id, from the manifest.
    pub bundle_id: Option<String>,
    /// The vault that made it.
    pub vault_id: Option<String>,
    /// The recipient named in the manifest.
    pub recipient: Option<String>,
    /// The period, `from..to`.
    pub period: Option<String>,
    /// When it was made.
    pub created_at: Option<String>,
    /// Fingerprint of the public key in the manifest (hex SHA-256, groups of four).
    pub key_fingerprint: Option<String>,
    /// The Ed25519 signature over `manifest.json` is valid (by the key the manifest names).
    pub signature_valid: bool,
    /// The key the manifest names is the one the caller expected ([`ExpectedSigner`]); `false`
    /// when it is another key or when nothing was expected ("signed by an unknown key").
    pub signer_known: bool,
    /// Files listed in the manifest whose content matched.
    pub files_ok: usize,
    /// Everything found wrong.
    pub problems: Vec<BundleProblem>,
}

/// Whose signature [`bundle_verify`] requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedSigner {
    /// This Ed25519 public key (32 bytes): a vault's own, from
    /// [`Vault::signing_public_key`](crate::vault::Vault::signing_public_key).
    PublicKey(Vec<u8>),
    /// The key with this fingerprint, as [`key_fingerprint`] writes it (64 hex digits; case,
    /// spaces and `:` ignored): told by the sender over another channel.
    Fingerprint(String),
}

impl ExpectedSigner {
    /// A fingerprint typed by a user: 64 hex digits once spaces, `:` and `-` are removed.
    pub fn fingerprint(text: &str) -> Result<ExpectedSigner> {
        let hex: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid(
                "expect-key",
                Why::NotAFingerprint {
                    value: text.trim().to_owned(),
                },
            ));
        }
        Ok(ExpectedSigner::Fingerprint(hex))
    }

    /// Is `public_key` the expected key?
    pub(crate) fn matches(&self, public_key: &[u8]) -> bool {
        match self {
            ExpectedSigner::PublicKey(k) => k.as_slice() == public_key,
            ExpectedSigner::Fingerprint(f) => {
                let f: String = f
                    .chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<String>()
                    .to_ascii_lowercase();
                f == sha256_hex(public_key)
            }
        }
    }

    /// The expected key's fingerprint, in [`key_fingerprint`]'s form.
    pub(crate) fn describe(&self) -> String {
        match self {
            ExpectedSigner::PublicKey(k) => key_fingerprint(k),
            ExpectedSigner::Fingerprint(f) => group_hex(
                &f.chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<String>()
                    .to_ascii_lowercase(),
            ),
        }
    }
}

/// A path inside a bundle that is safe to extract anywhere: relative, `/`-separated, no `..`,
/// no empty or `.` component, no drive letter, no control character.
fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 1024
        && !p.starts_with('/')
        && !p.contains(['\\', ':'])
        && !p.chars().any(char::is_control)
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

struct Verifier {
    report: VerifyBundleReport,
}

impl Verifier {
    fn problem(&mut self, kind: &'static str, path: Option<&str>, detail: impl Into<String>) {
        self.report.problems.push(BundleProblem {
            kind,
            path: path.map(str::to_owned),
            detail: detail.into(),
        });
    }
}

fn open_entry<'a, R: Read + std::io::Seek>(
    zip: &'a mut zip::ZipArchive<R>,
    index: usize,
    password: Option<&str>,
) -> zip::result::ZipResult<zip::read::ZipFile<'a, R>> {
    match password {
        Some(p) => zip.by_index_decrypt(index, p.as_bytes()),
        None => zip.by_index(index),
    }
}

fn describe(e: &zip::result::ZipError, password: Option<&str>) -> (&'static str, String) {
    let msg = e.to_string();
    match e {
        zip::result::ZipError::InvalidPassword => ("password", "wrong password".into()),
        _ if msg.to_lowercase().contains("password") => (
            "password",
            if password.is_some() {
                msg
            } else {
                "the bundle is encrypted: give its password".into()
            },
        ),
        _ => ("archive", msg),
    }
}

/// Reads an entry wholly, up to `limit` bytes; `Err` names the problem.
fn read_small<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    password: Option<&str>,
    limit: u64,
) -> std::result::Result<Vec<u8>, (&'static str, String)> {
    let entry = open_entry(zip, index, password).map_err(|e| describe(&e, password))?;
    let mut buf = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ("archive", e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(("limit", format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

/// Checks a bundle: the signature of `manifest.json`, by the key it names, which must be the
/// `expected` signer (the vault's own key when a vault is at hand, else a fingerprint the sender
/// gave); and every file against the manifest, naming each missing, extra or altered file.
/// Without an expected signer every file is still checked, but the report says "signed by an
/// unknown key" and is not `ok`: a key found inside the bundle proves nothing about who made it.
/// `Err` only when the file cannot be opened; a damaged or hostile archive gives a report with
/// problems.
pub fn bundle_verify(
    path: &Path,
    password: Option<&str>,
    expected: Option<&ExpectedSigner>,
) -> Result<VerifyBundleReport> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut v = Verifier {
        report: VerifyBundleReport::default(),
    };
    let mut zip = match zip::ZipArchive::new(std::io::BufReader::new(file)) {
        Ok(z) => z,
        Err(e) => {
            v.problem("archive", None, format!("not a readable ZIP: {e}"));
            return Ok(v.report);
        }
    };
    if zip.len() > MAX_ENTRIES {
        v.problem(
            "limit",
            None,
            format!("{} entries (at most {MAX_ENTRIES})", zip.len()),
        );
        return Ok(v.report);
    }
    // Two entries of one name: the ZIP reader keeps one of them, an unzip tool may show the
    // other. Checking one and handing over the other would defeat the point.
    if zip.has_duplicate_names() {
        v.problem(
            "duplicate",
            None,
            "two entries have the same name: refused, unchecked",
        );
        return Ok(v.report);
    }
    // Entries sharing bytes (a "zip bomb by overlap": many entries inflating one block) are never
    // written by Coffre; refused before anything is inflated.
    match zip.has_overlapping_entries() {
        Ok(false) => {}
        Ok(true) => {
            v.problem(
                "overlap",
                None,
                "entries share bytes of the archive (a zip bomb): refused, unchecked",
            );
            return Ok(v.report);
        }
        Err(e) => {
            v.problem("archive", None, format!("unreadable entry header: {e}"));
            return Ok(v.report);
        }
    }
    let mut names: Vec<Option<String>> = Vec::with_capacity(zip.len());
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for i in 0..zip.len() {
        let name = zip
            .name_for_index(i)
            .and_then(|n| n.ok())
            .map(|n| n.into_owned());
        match &name {
            Some(n) if !safe_path(n.trim_end_matches('/')) => {
                v.problem(
                    "unsafe-path",
                    Some(n),
                    "absolute path, `..` or forbidden characters",
                );
                names.push(None);
                continue;
            }
            Some(n) => {
                // Distinct raw names may still decode to one (a Unicode path field).
                if by_name.insert(n.clone(), i).is_some() {
                    v.problem(
                        "duplicate",
                        Some(n),
                        "the name appears twice in the archive: refused, unchecked",
                    );
                    return Ok(v.report);
                }
            }
            None => v.problem("archive", None, format!("entry {i} has an unreadable name")),
        }
        names.push(name);
    }

    let read_named = |zip: &mut zip::ZipArchive<_>, v: &mut Verifier, name: &str, limit| {
        let Some(&i) = by_name.get(name) else {
            v.problem("missing", Some(name), "not in the archive");
            return None;
        };
        match read_small(zip, i, password, limit) {
            Ok(b) => Some(b),
            Err((kind, detail)) => {
                v.problem(kind, Some(name), detail);
                None
            }
        }
    };
    let manifest_bytes = read_named(&mut zip, &mut v, "manifest.json", MAX_MANIFEST_BYTES);
    let signature = read_named(&mut zip, &mut v, "manifest.sig", 1024);
    let Some(manifest_bytes) = manifest_bytes else {
        return Ok(v.report);
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            v.problem(
                "manifest",
                Some("manifest.json"),
                format!("unreadable: {e}"),
            );
            return Ok(v.report);
        }
    };
    v.report.bundle_id = Some(manifest.bundle_id.clone());
    v.report.vault_id = Some(manifest.vault_id.clone());
    v.report.recipient = Some(manifest.recipient.clone());
    v.report.period = Some(format!("{}..{}", manifest.period.from, manifest.period.to));
    v.report.created_at = Some(manifest.created_at.clone());
    if manifest.format != FORMAT {
        v.problem(
            "manifest",
            Some("manifest.json"),
            format!("unknown format {:?}", manifest.format),
        );
    }
    match hex::decode(&manifest.public_key) {
        Ok(pk) if pk.len() == 32 => {
            v.report.key_fingerprint = Some(key_fingerprint(&pk));
            match expected {
                Some(e) if e.matches(&pk) => v.report.signer_known = true,
                Some(e) => v.problem(
                    "key",
                    Some("manifest.json"),
                    format!(
                        "signed by key {}, not by the expected key {}",
                        key_fingerprint(&pk),
                        e.describe()
                    ),
                ),
                None => v.problem(
                    "unknown-key",
                    Some("manifest.json"),
                    format!(
                        "signed by an unknown key {}: compare this fingerprint with the one the \
                         sender gives you by another channel, then verify against it",
                        key_fingerprint(&pk)
                    ),
                ),
            }
            if let Some(sig) = &signature {
                let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &pk);
                if key.verify(&manifest_bytes, sig).is_ok() {
                    v.report.signature_valid = true;
                } else {
                    v.problem(
                        "signature",
                        Some("manifest.sig"),
                        "the signature does not match manifest.json",
                    );
                }
            }
        }
        _ => v.problem(
            "manifest",
            Some("manifest.json"),
            "the public key is not 32 bytes of hex",
        ),
    }

    // The budget of inflated bytes: what the manifest lists, never more than MAX_TOTAL_BYTES.
    let declared = manifest
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.size));
    if declared > MAX_TOTAL_BYTES {
        v.problem(
            "limit",
            Some("manifest.json"),
            format!(
                "lists {declared} bytes in all (at most {MAX_TOTAL_BYTES}): refused, unchecked"
            ),
        );
        return Ok(v.report);
    }
    let mut budget = declared;
    let mut listed: HashSet<&str> = HashSet::new();
    for f in &manifest.files {
        if !safe_path(&f.path) {
            v.problem("unsafe-path", Some(&f.path), "listed with an unsafe path");
            continue;
        }
        if !listed.insert(f.path.as_str()) {
            v.problem("manifest", Some(&f.path), "listed twice");
            continue;
        }
        if f.path == "manifest.json" || f.path == "manifest.sig" {
            continue;
        }
        let Some(&i) = by_name.get(&f.path) else {
            v.problem(
                "missing",
                Some(&f.path),
                "listed in the manifest, not in the archive",
            );
            continue;
        };
        if f.size > MAX_ENTRY_BYTES {
            v.problem(
                "limit",
                Some(&f.path),
                format!("listed as {} bytes", f.size),
            );
            continue;
        }
        let mut entry = match open_entry(&mut zip, i, password) {
            Ok(e) => e,
            Err(e) => {
                let (kind, detail) = describe(&e, password);
                v.problem(kind, Some(&f.path), detail);
                continue;
            }
        };
        let mut hash = digest::Context::new(&digest::SHA256);
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        // One byte past the listed size tells a larger entry, whatever its header says.
        let allowed = f.size.min(budget);
        let mut limited = (&mut entry).take(allowed + 1);
        let read = loop {
            match limited.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    hash.update(&buf[..n]);
                    size += n as u64;
                }
                Err(e) => break Err(e),
            }
        };
        // The byte read past a listed size is slack, not charged: a larger entry leaves the
        // next ones their due.
        budget -= size.min(f.size).min(budget);
        match read {
            Err(e) => v.problem("altered", Some(&f.path), format!("unreadable: {e}")),
            Ok(()) if size > allowed && allowed < f.size => {
                v.problem(
                    "limit",
                    Some(&f.path),
                    format!("the {declared} bytes the manifest lists in all are spent"),
                );
                break;
            }
            Ok(()) if size != f.size => v.problem(
                "altered",
                Some(&f.path),
                if size > f.size {
                    format!("larger than the {} bytes listed", f.size)
                } else {
                    format!("{size} bytes, {} listed", f.size)
                },
            ),
            Ok(()) if hex::encode(hash.finish()) != f.sha256.to_ascii_lowercase() => v.problem(
                "altered",
                Some(&f.path),
                "content differs from the manifest (SHA-256)",
            ),
            Ok(()) => v.report.files_ok += 1,
        }
    }
    for n in names.iter().flatten() {
        if n.ends_with('/') || n == "manifest.json" || n == "manifest.sig" {
            continue;
        }
        if !listed.contains(n.as_str()) {
            v.problem("extra", Some(n), "in the archive, not in the manifest");
        }
    }
    v.report.ok = v.report.problems.is_empty() && v.report.signature_valid && v.report.signer_known;
    Ok(v.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_and_match() {
        let pk = [7u8; 32];
        let fp = key_fingerprint(&pk);
        for typed in [fp.clone(), fp.to_uppercase(), fp.replace(' ', "")] {
            let e = ExpectedSigner::fingerprint(&typed).unwrap();
            assert!(e.matches(&pk));
            assert!(!e.matches(&[8u8; 32]));
            assert_eq!(e.describe(), fp);
        }
        assert!(ExpectedSigner::fingerprint("abcd").is_err());
        assert!(ExpectedSigner::fingerprint(&"g".repeat(64)).is_err());
        assert!(ExpectedSigner::PublicKey(pk.to_vec()).matches(&pk));
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for p in [
            "../x",
            "/etc/passwd",
            "a/../b",
            "C:/x",
            "a\\b",
            "",
            "a//b",
            "./a",
        ] {
            assert!(!safe_path(p), "{p:?}");
        }
        assert!(safe_path("documents/2026-10-14_ACME.pdf"));
    }
}
