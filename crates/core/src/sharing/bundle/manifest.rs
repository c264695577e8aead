//! The signed manifest of a bundle (`manifest.json`, signed in `manifest.sig`) and the
//! fingerprint of the key that signs it.
//!
//! Promises: the manifest lists every file of the bundle with its path, size and SHA-256, and
//! names the signing public key (hex); [`key_fingerprint`] is how a bundle shows that key
//! (hex SHA-256 in groups of four), in the README, the summary and the verification report.

use ring::digest;
use serde::{Deserialize, Serialize};

/// The manifest's format tag.
pub const FORMAT: &str = "coffre-bundle/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ManifestFile {
    pub(super) path: String,
    pub(super) size: u64,
    pub(super) sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ManifestPeriod {
    pub(super) from: String,
    pub(super) to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Manifest {
    pub(super) format: String,
    pub(super) bundle_id: String,
    pub(super) vault_id: String,
    pub(super) period: ManifestPeriod,
    pub(super) recipient: String,
    pub(super) purpose: Option<String>,
    pub(super) consent_id: i64,
    pub(super) created_at: String,
    pub(super) public_key: String,
    pub(super) files: Vec<ManifestFile>,
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, bytes))
}

/// The fingerprint of a public key: hex SHA-256 in space-separated groups of four.
pub fn key_fingerprint(public_key: &[u8]) -> String {
    group_hex(&sha256_hex(public_key))
}

pub(super) fn group_hex(h: &str) -> String {
    h.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
