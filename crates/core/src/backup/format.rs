//! The backup folder's format: its file names, `coffre-backup.json`, a generation's signed
//! manifest, and where a blob lives.
//!
//! Promises: encoding only, no file is read or written here; [`FORMAT_VERSION`] is the only
//! version written and read; a generation id is the UTC time of its run
//! (`2026-11-23T12-45-00Z`); a blob's path is derived only from an id that [`valid_id`] accepts
//! (a canonical UUID), so a manifest cannot point outside `blobs/`; a signature is checked with
//! the public key of `coffre-backup.json` alone.

use crate::Error;
use crate::error::BackupFault;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem};

use crate::Result;
use crate::format::vault_format::BLOBS_DIR;

/// File name of the backup folder's header.
pub const BACKUP_FILE: &str = "coffre-backup.json";
/// Folder of the generations.
pub const GENERATIONS_DIR: &str = "generations";
/// File name of a generation's manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of a manifest's signature.
pub const SIGNATURE_FILE: &str = "manifest.sig";
/// The `format` of [`BACKUP_FILE`].
pub const FORMAT_NAME: &str = "coffre-backup";
/// The `format` of a manifest.
pub const GENERATION_FORMAT: &str = "coffre-backup-generation";
/// The only version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Largest manifest read (about 1.5 million documents).
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;
/// Largest [`BACKUP_FILE`] read.
pub(super) const MAX_HEADER_BYTES: u64 = 64 * 1024;
/// Largest signature file read (an Ed25519 signature is 64 bytes).
pub(super) const MAX_SIGNATURE_BYTES: u64 = 1024;

pub(super) const GENERATION_ID: &[BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]-[minute]-[second]Z");

/// The content of [`BACKUP_FILE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupHeader {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The id of the vault backed up here (one vault per folder).
    pub vault_id: uuid::Uuid,
    /// The vault's Ed25519 public key, hex: it verifies every manifest.
    pub signing_public_key: String,
    /// When the folder was first used, RFC 3339 UTC.
    pub created_at: String,
}

/// Size and SHA-256 of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// One blob of a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobEntry {
    /// Document id (the blob's file name).
    pub id: String,
    /// SHA-256 of the encrypted blob, hex.
    pub sha256: String,
    /// Size of the encrypted blob in bytes.
    pub size: u64,
}

/// A generation's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`GENERATION_FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The generation's id (its folder name).
    pub generation: String,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// The vault's id.
    pub vault_id: uuid::Uuid,
    /// `vault.json`.
    pub header: FileEntry,
    /// `index.db`.
    pub index: FileEntry,
    /// Every blob the index snapshot refers to.
    pub blobs: Vec<BlobEntry>,
    /// Documents disposed of since: their blobs were deleted from the backup.
    #[serde(default)]
    pub disposed: Vec<String>,
    /// True once the index snapshot was rewritten without every document in `disposed`
    /// (generations rewritten by earlier versions kept their rows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub index_scrubbed: bool,
}

/// The shard of a blob: its id's first two characters (the whole id when it has fewer, or when
/// they are not two bytes: such an id is refused before any file is touched).
pub(super) fn shard(id: &str) -> &str {
    id.get(..2).unwrap_or(id)
}

pub(super) fn blob_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(BLOBS_DIR).join(shard(id)).join(id)
}

pub(super) fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

pub(super) fn public_key(header: &BackupHeader) -> Result<Vec<u8>> {
    hex::decode(&header.signing_public_key)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            Error::backup(
                BackupFault::Altered,
                format!("{BACKUP_FILE}: the public key is not 32 hex bytes"),
            )
        })
}

pub(super) fn signature_holds(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}

pub(super) fn parse_generation(id: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(id, GENERATION_ID)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}
