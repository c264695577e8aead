//! Encrypted, incremental backups: generations of the vault in a folder of the owner's choice
//! (an external disk, a synced folder), each one restorable into a vault that opens with the
//! passphrase or the recovery key valid when it was made.
//!
//! ```text
//! DIR/
//!   coffre-backup.json          {format: "coffre-backup", version: 1, vault_id, signing_public_key
//!                               (hex of the vault's Ed25519 public key), created_at}
//!   blobs/XX/ID                 encrypted blobs, byte copies of the vault's, copied once (blobs
//!                               never change); shared by every generation that lists them
//!   blobs/XX/.ID.tmp            a blob being copied (removed by the next run)
//!   generations/G/              G = UTC time of the run, like 2026-11-23T12-45-00Z
//!     vault.json                copy of the vault header (the master key only wrapped)
//!     index.db                  consistent snapshot of the index, still encrypted with the
//!                               index key (SQLite `VACUUM INTO` on the vault's own keyed
//!                               SQLCipher connection: the key never leaves it)
//!     manifest.json             {format: "coffre-backup-generation", version: 1, generation,
//!                               created_at, vault_id, header {sha256, size}, index {sha256,
//!                               size}, blobs [{id, sha256, size}], disposed [ids]}
//!     manifest.sig              raw 64-byte Ed25519 signature of manifest.json's exact bytes by
//!                               the vault's signing key
//!   generations/.G.part/        a generation being written, or being deleted (removed by the
//!                               next run)
//! ```
//!
//! Hashes are SHA-256 (hex) of the files' bytes as stored: nothing in `DIR` is plaintext, and
//! [`backup_verify`] and [`backup_list`] need no passphrase.
//!
//! Promises:
//! - a generation appears under its final name only complete and synced (written as
//!   `.G.part`, renamed); an interrupted run (kill, full disk) leaves the earlier generations
//!   intact, and the next run removes its leftovers and completes;
//! - each blob is copied to a temporary name, synced, checked (size and SHA-256 against the
//!   vault's file) and renamed;
//! - rotation ([`Rotation`], [`generations_to_keep`]) removes old generations, then every blob
//!   no remaining generation lists;
//! - disposal reaches backups: at each run, the blobs of documents disposed of in the vault
//!   (its tombstones) are deleted from `DIR`, and every generation that listed them is
//!   rewritten: its index snapshot scrubbed of their rows and search tokens and compacted into
//!   a new file, its manifest re-signed listing them under `disposed`;
//! - every run is recorded in the vault's audit trail (`backup.create`).
//!
//! Nothing in `DIR` is trusted before its signature holds: [`backup_verify`],
//! [`backup_restore`] and [`backup_list`] read only regular files (a link, a pipe or a device
//! where a file should be is refused), read `coffre-backup.json`, manifests and signatures
//! within fixed limits ([`MAX_MANIFEST_BYTES`]), and never read more of a blob, index or header
//! than its size in the signed manifest (a larger file is reported from its length alone).
//!
//! A run does not re-read blobs already in `DIR` (it trusts their size and the SHA-256 of a
//! manifest whose signature holds): damage there is found by [`backup_verify`]; deleting the
//! damaged blob makes the next run copy it again. There is no portable free-space query in
//! `std`: a full disk surfaces as "not enough space at DIR: need N bytes" and leaves earlier
//! generations intact.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{OffsetDateTime, PrimitiveDateTime, format_description::BorrowedFormatItem};

use crate::format::vault_format::{BLOBS_DIR, HEADER_FILE, INDEX_FILE, VaultHeader};
use crate::support::files::sync_dir;
use crate::support::files::{write_atomic, write_synced};
use crate::vault::Vault;
use crate::{Error, Result, storage::audit};

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
const MAX_HEADER_BYTES: u64 = 64 * 1024;
/// Largest signature file read (an Ed25519 signature is 64 bytes).
const MAX_SIGNATURE_BYTES: u64 = 1024;

const GENERATION_ID: &[BorrowedFormatItem<'static>] =
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

const SETTING_LAST_AT: &str = "backup.last_at";
const SETTING_FOLDER: &str = "backup.folder";
const SETTING_WARN_DAYS: &str = "backup.warn_after_days";
/// Days without a backup after which [`Vault::backup_status`] says one is overdue, by default.
pub const DEFAULT_WARN_AFTER_DAYS: u32 = 7;

/// The vault's backup situation, for a reminder.
#[derive(Debug, Clone, Serialize)]
pub struct BackupStatus {
    /// The folder of the last backup.
    pub folder: Option<String>,
    /// When the last backup was made (RFC 3339), if ever.
    pub last_at: Option<String>,
    /// Days after which a backup is overdue.
    pub warn_after_days: u32,
    /// No backup yet, or the last one is older than `warn_after_days`.
    pub overdue: bool,
}

/// Which generations rotation keeps: the newest `last` ones, and the newest generation of each
/// of the `daily` most recent days, `weekly` most recent ISO weeks and `monthly` most recent
/// months that have one (UTC). Counting days, weeks and months that have a backup, not calendar
/// days back from today, means a pause in backups never makes rotation delete everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The most recent generations always kept (at least the one just made).
    pub last: u32,
    /// Days kept.
    pub daily: u32,
    /// ISO weeks kept.
    pub weekly: u32,
    /// Months kept.
    pub monthly: u32,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            last: 1,
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

/// What [`Vault::backup_create`] did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    /// The generation written.
    pub generation: String,
    /// Documents (blobs) in it.
    pub documents: u64,
    /// Blobs copied by this run (the others were already there).
    pub blobs_copied: u64,
    /// Bytes copied by this run (blobs, index snapshot, header).
    pub bytes_copied: u64,
    /// Generations removed by rotation.
    pub generations_removed: Vec<String>,
    /// Blobs deleted because no generation lists them any more (rotation, disposal).
    pub blobs_removed: u64,
    /// Disposed documents whose blobs left the backup in this run.
    pub disposed_removed: u64,
}

/// One generation, as listed by [`backup_list`].
#[derive(Debug, Clone, Serialize)]
pub struct GenerationInfo {
    /// Its id (folder name).
    pub id: String,
    /// When it was made.
    pub created_at: String,
    /// Documents in it.
    pub documents: u64,
    /// Bytes it refers to (blobs, index, header), shared blobs counted in each generation.
    pub bytes: u64,
    /// Documents disposed of since, whose blobs left the backup.
    pub disposed: u64,
}

/// One problem found by [`backup_verify`].
#[derive(Debug, Clone, Serialize)]
pub struct BackupProblem {
    /// The generation concerned, if any.
    pub generation: Option<String>,
    /// The file concerned, relative to the backup folder.
    pub item: String,
    /// What is wrong (`missing`, `altered: ...`, `signature does not verify`, ...).
    pub reason: String,
}

/// The result of [`backup_verify`].
#[derive(Debug, Clone, Serialize)]
pub struct BackupVerifyReport {
    /// The vault backed up.
    pub vault_id: uuid::Uuid,
    /// The public key manifests were checked with (hex); compare it with the vault's
    /// ([`Vault::signing_public_key`]) to rule out a replaced backup.
    pub signing_public_key: String,
    /// Generations checked.
    pub generations: u64,
    /// Distinct blobs checked.
    pub blobs: u64,
    /// Everything missing or altered.
    pub problems: Vec<BackupProblem>,
}

impl BackupVerifyReport {
    /// True when nothing is missing or altered.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn backup_error(reason: String) -> Error {
    Error::Setting {
        key: "backup".into(),
        reason,
    }
}

/// Turns "disk full" into a message the owner can act on.
fn space_error(dir: &Path, need: u64, e: Error) -> Error {
    let full = match &e {
        Error::Io { source, .. } => source.kind() == io::ErrorKind::StorageFull,
        Error::Index(err) => err.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
        _ => false,
    };
    if full {
        backup_error(format!(
            "not enough space at {}: need {need} bytes",
            dir.display()
        ))
    } else {
        e
    }
}

/// The shard of a blob: its id's first two characters (the whole id when it has fewer, or when
/// they are not two bytes: such an id is refused before any file is touched).
fn shard(id: &str) -> &str {
    id.get(..2).unwrap_or(id)
}

fn blob_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(BLOBS_DIR).join(shard(id)).join(id)
}

fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// SHA-256 (hex) and size of a file.
fn hash_file(path: &Path) -> io::Result<FileEntry> {
    hash_reader(File::open(path)?)
}

/// SHA-256 (hex) and size of what `reader` gives.
fn hash_reader(reader: impl Read) -> io::Result<FileEntry> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let mut sha = crate::format::crypto::sha256();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileEntry {
        sha256: hex::encode(sha.finish()),
        size,
    })
}

/// Opens a file of the backup folder for reading: a regular file only (a link, a pipe or a
/// device is refused, before it is opened: opening a pipe would block).
fn open_regular(path: &Path) -> io::Result<File> {
    let not_regular = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "not a regular file (a link, a pipe or a device)",
        )
    };
    if !fs::symlink_metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// A whole file of the backup folder, refused past `max` bytes (checked before reading, and
/// while reading, should it grow).
fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        )
    };
    if file.metadata()?.len() > max {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// SHA-256 and size of a file of the backup folder expected to be `expected_size` bytes: a file
/// of another length is not read (its hash is left empty), and no more than `expected_size + 1`
/// bytes are ever read.
fn hash_expected(path: &Path, expected_size: u64) -> io::Result<FileEntry> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len != expected_size {
        return Ok(FileEntry {
            sha256: String::new(),
            size: len,
        });
    }
    hash_reader(file.take(expected_size.saturating_add(1)))
}

fn read_header(dir: &Path) -> Result<BackupHeader> {
    let path = dir.join(BACKUP_FILE);
    let text = match read_bounded(&path, MAX_HEADER_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(backup_error(format!(
                "{} is not a Coffre backup (no {BACKUP_FILE})",
                dir.display()
            )));
        }
        Err(e) => return Err(Error::io(&path)(e)),
    };
    let header: BackupHeader = serde_json::from_slice(&text)
        .map_err(|e| backup_error(format!("{}: {e}", path.display())))?;
    if header.format != FORMAT_NAME || header.version != FORMAT_VERSION {
        return Err(backup_error(format!(
            "{}: format {:?} version {} (this Coffre reads {FORMAT_NAME} version \
             {FORMAT_VERSION})",
            path.display(),
            header.format,
            header.version
        )));
    }
    Ok(header)
}

fn public_key(header: &BackupHeader) -> Result<Vec<u8>> {
    hex::decode(&header.signing_public_key)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| backup_error(format!("{BACKUP_FILE}: the public key is not 32 hex bytes")))
}

fn signature_holds(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}

/// Ids of the complete generations, oldest first.
fn generation_ids(dir: &Path) -> Result<Vec<String>> {
    let gens = dir.join(GENERATIONS_DIR);
    let mut ids = Vec::new();
    let entries = match fs::read_dir(&gens) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(Error::io(&gens)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(Error::io(&gens))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !name.starts_with('.') && entry.file_type().map_err(Error::io(&gens))?.is_dir() {
            ids.push(name);
        }
    }
    ids.sort();
    Ok(ids)
}

fn read_manifest(dir: &Path, generation: &str) -> Result<(Vec<u8>, Manifest)> {
    let path = dir
        .join(GENERATIONS_DIR)
        .join(generation)
        .join(MANIFEST_FILE);
    let bytes = read_bounded(&path, MAX_MANIFEST_BYTES).map_err(Error::io(&path))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| backup_error(format!("{}: {e}", path.display())))?;
    Ok((bytes, manifest))
}

/// The manifest of `generation` when its signature holds with `public_key`.
fn read_signed_manifest(dir: &Path, generation: &str, public_key: &[u8]) -> Option<Manifest> {
    let (bytes, manifest) = read_manifest(dir, generation).ok()?;
    let sig = read_bounded(
        &dir.join(GENERATIONS_DIR)
            .join(generation)
            .join(SIGNATURE_FILE),
        MAX_SIGNATURE_BYTES,
    )
    .ok()?;
    signature_holds(public_key, &bytes, &sig).then_some(manifest)
}

fn parse_generation(id: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(id, GENERATION_ID)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The generations rotation keeps, among `generations` (ids like `2026-11-23T12-45-00Z`). Ids
/// that are not such timestamps are always kept (they are not this code's to delete).
pub fn generations_to_keep(generations: &[String], rotation: &Rotation) -> BTreeSet<String> {
    let mut keep = BTreeSet::new();
    let mut dated: Vec<(OffsetDateTime, &String)> = Vec::new();
    for g in generations {
        match parse_generation(g) {
            Some(t) => dated.push((t, g)),
            None => {
                keep.insert(g.clone());
            }
        }
    }
    dated.sort_by(|a, b| b.cmp(a)); // newest first
    for (_, g) in dated.iter().take(rotation.last as usize) {
        keep.insert((*g).clone());
    }
    let mut bucket = |limit: u32, key: &dyn Fn(OffsetDateTime) -> (i32, u32, u32)| {
        let mut seen = BTreeSet::new();
        for (t, g) in &dated {
            if seen.len() >= limit as usize {
                break;
            }
            // The first generation met in a bucket is its newest.
            if seen.insert(key(*t)) {
                keep.insert((*g).clone());
            }
        }
    };
    bucket(rotation.daily, &|t| {
        (t.year(), u32::from(u8::from(t.month())), u32::from(t.day()))
    });
    bucket(rotation.weekly, &|t| {
        let (y, w, _) = t.date().to_iso_week_date();
        (y, u32::from(w), 0)
    });
    bucket(rotation.monthly, &|t| {
        (t.year(), u32::from(u8::from(t.month())), 0)
    });
    keep
}

/// Removes what an interrupted run left: `.part` generations, temporary blobs, and manifest
/// rewrites caught between their two renames (completed when the new signature holds).
fn clean_leftovers(dir: &Path, public_key: &[u8]) -> Result<()> {
    let gens = dir.join(GENERATIONS_DIR);
    if gens.exists() {
        for entry in fs::read_dir(&gens).map_err(Error::io(&gens))? {
            let entry = entry.map_err(Error::io(&gens))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with('.') && name.ends_with(".part") {
                fs::remove_dir_all(&path).map_err(Error::io(&path))?;
            } else if !name.starts_with('.') && path.is_dir() {
                finish_manifest_rewrite(&path, public_key)?;
            }
        }
    }
    let blobs = dir.join(BLOBS_DIR);
    if blobs.exists() {
        for shard in fs::read_dir(&blobs).map_err(Error::io(&blobs))? {
            let shard = shard.map_err(Error::io(&blobs))?.path();
            if !shard.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&shard).map_err(Error::io(&shard))? {
                let entry = entry.map_err(Error::io(&shard))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    let path = entry.path();
                    fs::remove_file(&path).map_err(Error::io(&path))?;
                }
            }
        }
    }
    Ok(())
}

const MANIFEST_TMP: &str = ".manifest.json.tmp";
const SIGNATURE_TMP: &str = ".manifest.sig.tmp";
/// A generation's index snapshot rewritten without disposed documents, before its rename.
const INDEX_TMP: &str = ".index.db.tmp";
/// The working copy a scrub deletes from (removed once the rewritten snapshot exists).
const SCRUB_TMP: &str = ".index.db.scrub";

fn finish_manifest_rewrite(gen_dir: &Path, public_key: &[u8]) -> Result<()> {
    let json_tmp = gen_dir.join(MANIFEST_TMP);
    let sig_tmp = gen_dir.join(SIGNATURE_TMP);
    let index_tmp = gen_dir.join(INDEX_TMP);
    let _ = fs::remove_file(gen_dir.join(SCRUB_TMP));
    if !json_tmp.exists() && !sig_tmp.exists() {
        // A rewritten snapshot without its manifest was never vouched for.
        let _ = fs::remove_file(&index_tmp);
        return Ok(());
    }
    let json_path = if json_tmp.exists() {
        json_tmp.clone()
    } else {
        gen_dir.join(MANIFEST_FILE)
    };
    let sig_path = if sig_tmp.exists() {
        sig_tmp.clone()
    } else {
        gen_dir.join(SIGNATURE_FILE)
    };
    let holds = match (
        read_bounded(&json_path, MAX_MANIFEST_BYTES),
        read_bounded(&sig_path, MAX_SIGNATURE_BYTES),
    ) {
        (Ok(m), Ok(s)) => signature_holds(public_key, &m, &s),
        _ => false,
    };
    if holds {
        // The snapshot the new manifest describes goes in first.
        if index_tmp.exists() {
            fs::rename(&index_tmp, gen_dir.join(INDEX_FILE)).map_err(Error::io(&index_tmp))?;
        }
        if json_tmp.exists() {
            fs::rename(&json_tmp, gen_dir.join(MANIFEST_FILE)).map_err(Error::io(&json_tmp))?;
        }
        if sig_tmp.exists() {
            fs::rename(&sig_tmp, gen_dir.join(SIGNATURE_FILE)).map_err(Error::io(&sig_tmp))?;
        }
    } else {
        let _ = fs::remove_file(&json_tmp);
        let _ = fs::remove_file(&sig_tmp);
        let _ = fs::remove_file(&index_tmp);
    }
    sync_dir(gen_dir)
}

/// Copies one blob into the backup (or out of it): temporary name, sync, check against the
/// source, rename. No more than `max + 1` bytes are read from `src`.
fn copy_blob(src: &Path, dest: &Path, max: u64) -> Result<FileEntry> {
    let shard = dest.parent().expect("blob in a shard");
    if !shard.exists() {
        fs::create_dir_all(shard).map_err(Error::io(shard))?;
        sync_dir(shard.parent().expect("shard in blobs"))?;
    }
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("blob");
    let tmp = shard.join(format!(".{name}.tmp"));
    let result = (|| -> Result<FileEntry> {
        let mut reader = BufReader::with_capacity(
            256 * 1024,
            File::open(src)
                .map_err(Error::io(src))?
                .take(max.saturating_add(1)),
        );
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(Error::io(&tmp))?;
        let mut sha = crate::format::crypto::sha256();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(src)(e)),
            };
            sha.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(Error::io(&tmp))?;
            size += n as u64;
        }
        out.sync_all().map_err(Error::io(&tmp))?;
        drop(out);
        let copied = FileEntry {
            sha256: hex::encode(sha.finish()),
            size,
        };
        if hash_file(&tmp).map_err(Error::io(&tmp))? != copied {
            return Err(backup_error(format!(
                "{}: the copy does not match the vault's file",
                tmp.display()
            )));
        }
        Ok(copied)
    })();
    match result {
        Ok(entry) => {
            fs::rename(&tmp, dest).map_err(Error::io(dest))?;
            sync_dir(shard)?;
            Ok(entry)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Whether `path` (which may not exist yet) is `dir` or inside it, links resolved.
fn path_str(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        backup_error(format!(
            "{}: the backup folder's path must be valid Unicode",
            path.display()
        ))
    })
}

impl Vault {
    /// Writes a new backup generation into `to` (created if needed; a folder already used for
    /// another vault is refused), then applies `rotation` and removes the blobs of disposed
    /// documents. See the module documentation for the layout and guarantees.
    pub fn backup_create(&mut self, to: &Path, rotation: &Rotation) -> Result<BackupSummary> {
        let own_key = self.signing_public_key()?;
        self.check_output(to, crate::vault::outputs::Output::BackupFolder)?;
        if !to.exists() {
            fs::create_dir_all(to).map_err(Error::io(to))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(to, fs::Permissions::from_mode(0o700))
                    .map_err(Error::io(to))?;
            }
        }
        if to.join(BACKUP_FILE).exists() {
            let header = read_header(to)?;
            if header.vault_id != self.id() || public_key(&header)? != own_key {
                return Err(backup_error(format!(
                    "{} holds the backups of another vault ({})",
                    to.display(),
                    header.vault_id
                )));
            }
        } else {
            let header = BackupHeader {
                format: FORMAT_NAME.into(),
                version: FORMAT_VERSION,
                vault_id: self.id(),
                signing_public_key: hex::encode(&own_key),
                created_at: audit::now_rfc3339(),
            };
            let mut text = serde_json::to_string_pretty(&header).map_err(io::Error::other)?;
            text.push('\n');
            write_atomic(&to.join(BACKUP_FILE), text.as_bytes())?;
        }
        let gens = to.join(GENERATIONS_DIR);
        for d in [gens.clone(), to.join(BLOBS_DIR)] {
            if !d.exists() {
                fs::create_dir_all(&d).map_err(Error::io(&d))?;
                sync_dir(to)?;
            }
        }
        clean_leftovers(to, &own_key)?;

        // One generation per second: wait for a free name rather than invent another format.
        let generation = loop {
            let now = OffsetDateTime::now_utc();
            let id = now.format(GENERATION_ID).expect("UTC time formats");
            if !gens.join(&id).exists() {
                break id;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let part = gens.join(format!(".{generation}.part"));
        fs::create_dir(&part).map_err(Error::io(&part))?;
        let mut need = 0u64;
        let written = self.write_generation(to, &generation, &part, &mut need);
        let (manifest, blobs_copied, bytes_copied) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = fs::remove_dir_all(&part);
                return Err(space_error(to, need, e));
            }
        };
        let final_dir = gens.join(&generation);
        fs::rename(&part, &final_dir).map_err(Error::io(&final_dir))?;
        sync_dir(&gens)?;

        // Disposal, then rotation, then blobs nobody lists.
        let disposed: HashSet<String> = self.tombstones()?.into_iter().map(|t| t.id).collect();
        let disposed_removed = self.forget_disposed(to, &disposed)?;
        let all = generation_ids(to)?;
        let keep = generations_to_keep(&all, rotation);
        let mut generations_removed = Vec::new();
        for g in all
            .iter()
            .filter(|g| !keep.contains(*g) && **g != generation)
        {
            let doomed = gens.join(format!(".{g}.part"));
            fs::rename(gens.join(g), &doomed).map_err(Error::io(&doomed))?;
            sync_dir(&gens)?;
            fs::remove_dir_all(&doomed).map_err(Error::io(&doomed))?;
            generations_removed.push(g.clone());
        }
        let blobs_removed = remove_unlisted_blobs(to)?;

        let summary = BackupSummary {
            generation,
            documents: manifest.blobs.len() as u64,
            blobs_copied,
            bytes_copied,
            generations_removed,
            blobs_removed,
            disposed_removed,
        };
        let detail = json!({
            "to": to.display().to_string(),
            "generation": summary.generation,
            "documents": summary.documents,
            "blobs_copied": summary.blobs_copied,
            "bytes_copied": summary.bytes_copied,
            "generations_removed": summary.generations_removed.len(),
            "blobs_removed": summary.blobs_removed,
            "disposed_removed": summary.disposed_removed,
        });
        let folder = to.display().to_string();
        self.audited("backup.create", None, |tx| {
            crate::storage::index::Index::set_setting(
                tx,
                SETTING_LAST_AT,
                &crate::storage::audit::now_rfc3339(),
            )?;
            crate::storage::index::Index::set_setting(tx, SETTING_FOLDER, &folder)?;
            Ok(((), detail))
        })?;
        Ok(summary)
    }

    /// When the last backup was made, where, and whether one is overdue (older than the
    /// `backup.warn_after_days` setting, 7 days by default, or never made).
    pub fn backup_status(&self) -> Result<BackupStatus> {
        let last_at = self.index.setting(SETTING_LAST_AT)?;
        let warn_after_days: u32 = self
            .index
            .setting(SETTING_WARN_DAYS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_WARN_AFTER_DAYS);
        let age_days = last_at.as_deref().and_then(|t| {
            let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .ok()?;
            Some((time::OffsetDateTime::now_utc() - at).whole_days())
        });
        Ok(BackupStatus {
            folder: self.index.setting(SETTING_FOLDER)?,
            overdue: age_days.is_none_or(|d| d >= i64::from(warn_after_days)),
            last_at,
            warn_after_days,
        })
    }

    /// Sets after how many days without a backup [`Vault::backup_status`] says one is overdue.
    pub fn set_backup_warn_after_days(&mut self, days: u32) -> Result<()> {
        if days == 0 {
            return Err(Error::Setting {
                key: SETTING_WARN_DAYS.into(),
                reason: "at least one day".into(),
            });
        }
        self.audited("settings.change", None, |tx| {
            crate::storage::index::Index::set_setting(tx, SETTING_WARN_DAYS, &days.to_string())?;
            Ok((
                (),
                serde_json::json!({ "key": SETTING_WARN_DAYS, "value": days }),
            ))
        })
    }

    /// Fills `part` with the generation's files and copies the missing blobs. Returns the
    /// manifest, the blobs copied and the bytes copied; `need` is the bytes it meant to write.
    fn write_generation(
        &mut self,
        to: &Path,
        generation: &str,
        part: &Path,
        need: &mut u64,
    ) -> Result<(Manifest, u64, u64)> {
        // The index first: a consistent snapshot, encrypted with the same key by the vault's own
        // connection. The documents listed next are exactly the snapshot's (the vault is
        // borrowed mutably: nothing changes in between).
        let index_path = part.join(INDEX_FILE);
        *need = fs::metadata(self.dir().join(INDEX_FILE)).map_or(0, |m| m.len());
        self.index
            .conn()
            .execute("VACUUM INTO ?1", [path_str(&index_path)?])?;
        File::open(&index_path)
            .and_then(|f| f.sync_all())
            .map_err(Error::io(&index_path))?;
        let index = hash_file(&index_path).map_err(Error::io(&index_path))?;
        let header_bytes = fs::read(self.dir().join(HEADER_FILE))
            .map_err(Error::io(self.dir().join(HEADER_FILE)))?;
        write_synced(&part.join(HEADER_FILE), &header_bytes)?;
        let header = FileEntry {
            sha256: hex::encode(crate::format::crypto::sha256_of(&header_bytes)),
            size: header_bytes.len() as u64,
        };
        let mut bytes_copied = index.size + header.size;

        // What earlier generations recorded of blobs already here (blobs never change); only
        // manifests whose signature holds are believed.
        let own_key = self.signing_public_key()?;
        let mut known: HashMap<String, FileEntry> = HashMap::new();
        for g in generation_ids(to)? {
            if let Some(m) = read_signed_manifest(to, &g, &own_key) {
                for b in m.blobs {
                    known.insert(
                        b.id,
                        FileEntry {
                            sha256: b.sha256,
                            size: b.size,
                        },
                    );
                }
            }
        }
        let docs = self.documents()?;
        let mut todo = Vec::new();
        let mut blobs = Vec::with_capacity(docs.len());
        for doc in &docs {
            let src = self.store.path_of(&doc.id);
            let dest = blob_path(to, &doc.id);
            let src_len = fs::metadata(&src).map_err(Error::io(&src))?.len();
            let present = fs::metadata(&dest).ok().map(|m| m.len());
            match (present, known.get(&doc.id)) {
                (Some(len), Some(k)) if len == src_len && k.size == len => {
                    blobs.push(BlobEntry {
                        id: doc.id.clone(),
                        sha256: k.sha256.clone(),
                        size: len,
                    });
                }
                _ => {
                    *need += src_len;
                    todo.push((doc.id.clone(), src, dest));
                }
            }
        }
        let mut blobs_copied = 0u64;
        for (id, src, dest) in todo {
            let entry = if dest.exists() {
                // Left by an interrupted run: keep it if it is the same file.
                let theirs = hash_file(&dest).map_err(Error::io(&dest))?;
                let ours = hash_file(&src).map_err(Error::io(&src))?;
                if theirs == ours {
                    ours
                } else {
                    fs::remove_file(&dest).map_err(Error::io(&dest))?;
                    blobs_copied += 1;
                    copy_blob(&src, &dest, u64::MAX)?
                }
            } else {
                blobs_copied += 1;
                copy_blob(&src, &dest, u64::MAX)?
            };
            bytes_copied += entry.size;
            blobs.push(BlobEntry {
                id,
                sha256: entry.sha256,
                size: entry.size,
            });
        }
        blobs.sort_by(|a, b| a.id.cmp(&b.id));
        let manifest = Manifest {
            format: GENERATION_FORMAT.into(),
            version: FORMAT_VERSION,
            generation: generation.to_owned(),
            created_at: audit::now_rfc3339(),
            vault_id: self.id(),
            header,
            index,
            blobs,
            disposed: Vec::new(),
            index_scrubbed: false,
        };
        let bytes = self.signed_manifest(&manifest)?;
        write_synced(&part.join(MANIFEST_FILE), &bytes.0)?;
        write_synced(&part.join(SIGNATURE_FILE), &bytes.1)?;
        sync_dir(part)?;
        Ok((manifest, blobs_copied, bytes_copied))
    }

    fn signed_manifest(&self, manifest: &Manifest) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut text = serde_json::to_string_pretty(manifest).map_err(io::Error::other)?;
        text.push('\n');
        let sig = self.signing_key()?.sign(text.as_bytes());
        Ok((text.into_bytes(), sig.as_ref().to_vec()))
    }

    /// Rewrites every generation listing a disposed document without it (its index snapshot
    /// scrubbed of the document's rows and search tokens, its manifest re-signed), and deletes
    /// those blobs. Returns how many disposed blobs were deleted. A manifest whose signature does not
    /// hold is left as it is (re-signing it would vouch for an alteration; verify reports it).
    fn forget_disposed(&self, to: &Path, disposed: &HashSet<String>) -> Result<u64> {
        if disposed.is_empty() {
            return Ok(0);
        }
        let own_key = self.signing_public_key()?;
        for g in generation_ids(to)? {
            let Some(mut manifest) = read_signed_manifest(to, &g, &own_key) else {
                continue;
            };
            let before = manifest.blobs.len();
            let mut gone: Vec<String> = Vec::new();
            manifest.blobs.retain(|b| {
                let keep = !disposed.contains(&b.id);
                if !keep {
                    gone.push(b.id.clone());
                }
                keep
            });
            let unscrubbed = !manifest.disposed.is_empty() && !manifest.index_scrubbed;
            if manifest.blobs.len() == before && !unscrubbed {
                continue;
            }
            if unscrubbed {
                gone.extend(manifest.disposed.iter().cloned());
            }
            let gen_dir = to.join(GENERATIONS_DIR).join(&g);
            // The snapshot still holds their rows, search tokens and extraction: rewrite it
            // without them (a copy scrubbed, then compacted into a new file).
            let scrub = gen_dir.join(SCRUB_TMP);
            let rewritten = gen_dir.join(INDEX_TMP);
            let _ = fs::remove_file(&rewritten);
            copy_blob(&gen_dir.join(INDEX_FILE), &scrub, manifest.index.size)?;
            crate::storage::index::scrub_snapshot(&scrub, &rewritten, &self.index_key()?, &gone)?;
            let _ = fs::remove_file(&scrub);
            File::open(&rewritten)
                .and_then(|f| f.sync_all())
                .map_err(Error::io(&rewritten))?;
            manifest.index = hash_file(&rewritten).map_err(Error::io(&rewritten))?;
            manifest.index_scrubbed = true;
            manifest.disposed.extend(gone);
            manifest.disposed.sort();
            manifest.disposed.dedup();
            let (json_bytes, sig) = self.signed_manifest(&manifest)?;
            // Every new file first; a crash between the renames is completed by the next run.
            write_synced(&gen_dir.join(MANIFEST_TMP), &json_bytes)?;
            write_synced(&gen_dir.join(SIGNATURE_TMP), &sig)?;
            sync_dir(&gen_dir)?;
            finish_manifest_rewrite(&gen_dir, &own_key)?;
        }
        let mut removed = 0;
        for id in disposed {
            let path = blob_path(to, id);
            match fs::remove_file(&path) {
                Ok(()) => {
                    removed += 1;
                    sync_dir(path.parent().expect("shard"))?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path)(e)),
            }
        }
        Ok(removed)
    }
}

/// Deletes the blobs no generation lists; returns how many.
fn remove_unlisted_blobs(to: &Path) -> Result<u64> {
    let mut listed = HashSet::new();
    for g in generation_ids(to)? {
        // Without every manifest, what is unlisted is unknown: keep everything rather than guess.
        let Ok((_, m)) = read_manifest(to, &g) else {
            return Ok(0);
        };
        listed.extend(m.blobs.into_iter().map(|b| b.id));
    }
    let blobs = to.join(BLOBS_DIR);
    let mut removed = 0;
    for shard in fs::read_dir(&blobs).map_err(Error::io(&blobs))? {
        let shard = shard.map_err(Error::io(&blobs))?.path();
        if !shard.is_dir() {
            continue;
        }
        let mut changed = false;
        for entry in fs::read_dir(&shard).map_err(Error::io(&shard))? {
            let entry = entry.map_err(Error::io(&shard))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if valid_id(&name) && !listed.contains(&name) {
                let path = entry.path();
                fs::remove_file(&path).map_err(Error::io(&path))?;
                removed += 1;
                changed = true;
            }
        }
        if changed {
            sync_dir(&shard)?;
        }
    }
    Ok(removed)
}

/// The generations in the backup folder `dir`, oldest first. Needs no passphrase.
pub fn backup_list(dir: &Path) -> Result<Vec<GenerationInfo>> {
    read_header(dir)?;
    let mut out = Vec::new();
    for g in generation_ids(dir)? {
        let (_, m) = read_manifest(dir, &g)?;
        out.push(GenerationInfo {
            id: g,
            created_at: m.created_at,
            documents: m.blobs.len() as u64,
            // Sizes of a manifest not yet checked: saturating, never overflowing.
            bytes: m
                .blobs
                .iter()
                .fold(m.header.size.saturating_add(m.index.size), |sum, b| {
                    sum.saturating_add(b.size)
                }),
            disposed: m.disposed.len() as u64,
        });
    }
    Ok(out)
}

/// Checks every generation of the backup folder `dir`: its manifest's signature (by the key in
/// `coffre-backup.json`), its header and index snapshot, and every blob it lists (present, right
/// size and SHA-256). Needs no passphrase; names everything missing or altered.
pub fn backup_verify(dir: &Path) -> Result<BackupVerifyReport> {
    let header = read_header(dir)?;
    let key = public_key(&header)?;
    let mut report = BackupVerifyReport {
        vault_id: header.vault_id,
        signing_public_key: header.signing_public_key.clone(),
        generations: 0,
        blobs: 0,
        problems: Vec::new(),
    };
    // Each blob is hashed once, however many generations list it.
    let mut blob_state: BTreeMap<String, std::result::Result<FileEntry, String>> = BTreeMap::new();
    for g in generation_ids(dir)? {
        report.generations += 1;
        let problem = |item: String, reason: String| BackupProblem {
            generation: Some(g.clone()),
            item,
            reason,
        };
        let gen_rel = format!("{GENERATIONS_DIR}/{g}");
        let gen_dir = dir.join(GENERATIONS_DIR).join(&g);
        let read = |name: &'static str, max: u64| {
            read_bounded(&gen_dir.join(name), max).map_err(|e| (name, e))
        };
        let both = read(MANIFEST_FILE, MAX_MANIFEST_BYTES)
            .and_then(|m| Ok((m, read(SIGNATURE_FILE, MAX_SIGNATURE_BYTES)?)));
        let (manifest_bytes, sig) = match both {
            Ok(both) => both,
            Err((name, e)) => {
                let reason = if e.kind() == io::ErrorKind::NotFound {
                    "missing".into()
                } else {
                    format!("unreadable: {e}")
                };
                report
                    .problems
                    .push(problem(format!("{gen_rel}/{name}"), reason));
                continue;
            }
        };
        if !signature_holds(&key, &manifest_bytes, &sig) {
            report.problems.push(problem(
                format!("{gen_rel}/{MANIFEST_FILE}"),
                "altered: its signature does not verify with the backup's public key".into(),
            ));
            continue;
        }
        let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
            Ok(m) => m,
            Err(e) => {
                report.problems.push(problem(
                    format!("{gen_rel}/{MANIFEST_FILE}"),
                    format!("unreadable: {e}"),
                ));
                continue;
            }
        };
        if manifest.format != GENERATION_FORMAT
            || manifest.version != FORMAT_VERSION
            || manifest.generation != g
            || manifest.vault_id != header.vault_id
        {
            report.problems.push(problem(
                format!("{gen_rel}/{MANIFEST_FILE}"),
                "does not describe this generation of this vault".into(),
            ));
            continue;
        }
        for (name, expected) in [
            (HEADER_FILE, &manifest.header),
            (INDEX_FILE, &manifest.index),
        ] {
            let path = gen_dir.join(name);
            if let Some(reason) = check_file(&path, expected) {
                report
                    .problems
                    .push(problem(format!("{gen_rel}/{name}"), reason));
            }
        }
        for b in &manifest.blobs {
            let rel = format!("{BLOBS_DIR}/{}/{}", shard(&b.id), b.id);
            if !valid_id(&b.id) {
                report
                    .problems
                    .push(problem(rel, "not a document id".into()));
                continue;
            }
            let state = blob_state.entry(b.id.clone()).or_insert_with(|| {
                match hash_expected(&blob_path(dir, &b.id), b.size) {
                    Ok(e) => Ok(e),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Err("missing".into()),
                    Err(e) => Err(format!("unreadable: {e}")),
                }
            });
            let reason = match state {
                Err(r) => Some(r.clone()),
                Ok(e) if e.size != b.size => {
                    Some(format!("altered: {} bytes, expected {}", e.size, b.size))
                }
                Ok(e) if e.sha256 != b.sha256 => Some("altered: its SHA-256 differs".into()),
                Ok(_) => None,
            };
            if let Some(reason) = reason {
                report.problems.push(problem(rel, reason));
            }
        }
    }
    report.blobs = blob_state.len() as u64;
    Ok(report)
}

fn check_file(path: &Path, expected: &FileEntry) -> Option<String> {
    match hash_expected(path, expected.size) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Some("missing".into()),
        Err(e) => Some(format!("unreadable: {e}")),
        Ok(e) if e.size != expected.size => Some(format!(
            "altered: {} bytes, expected {}",
            e.size, expected.size
        )),
        Ok(e) if e.sha256 != expected.sha256 => Some("altered: its SHA-256 differs".into()),
        Ok(_) => None,
    }
}

/// Restores a generation (the newest when `generation` is `None`) of the backup folder `dir`
/// into `to`, which must be absent or an empty folder. Every file is checked against the signed
/// manifest as it is copied; the restored folder appears complete or not at all. It then opens
/// with [`Vault::open`] (the passphrase valid when the generation was made) or
/// [`Vault::open_with_recovery_key`]. Documents disposed of after the generation was made are
/// listed but unreadable (their blobs left the backup).
pub fn backup_restore(dir: &Path, generation: Option<&str>, to: &Path) -> Result<()> {
    crate::privacy::export::check_target(to)?;
    let header = read_header(dir)?;
    let key = public_key(&header)?;
    let all = generation_ids(dir)?;
    let g = match generation {
        Some(g) => all
            .iter()
            .find(|x| x.as_str() == g)
            .ok_or_else(|| backup_error(format!("no generation {g} in {}", dir.display())))?,
        None => all
            .last()
            .ok_or_else(|| backup_error(format!("{} holds no generation", dir.display())))?,
    };
    let gen_dir = dir.join(GENERATIONS_DIR).join(g);
    let manifest_bytes = read_bounded(&gen_dir.join(MANIFEST_FILE), MAX_MANIFEST_BYTES)
        .map_err(Error::io(gen_dir.join(MANIFEST_FILE)))?;
    let sig = read_bounded(&gen_dir.join(SIGNATURE_FILE), MAX_SIGNATURE_BYTES)
        .map_err(Error::io(gen_dir.join(SIGNATURE_FILE)))?;
    if !signature_holds(&key, &manifest_bytes, &sig) {
        return Err(backup_error(format!(
            "generation {g}: its manifest's signature does not verify (altered)"
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| backup_error(format!("generation {g}: {e}")))?;
    if manifest.generation != *g || manifest.vault_id != header.vault_id {
        return Err(backup_error(format!(
            "generation {g}: its manifest describes another generation or vault"
        )));
    }
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = to
        .file_name()
        .ok_or_else(|| backup_error(format!("{} is not a folder name", to.display())))?
        .to_string_lossy()
        .into_owned();
    let part = parent.join(format!(".{name}.part"));
    if part.exists() {
        fs::remove_dir_all(&part).map_err(Error::io(&part))?;
    }
    fs::create_dir_all(&part).map_err(Error::io(&part))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&part, fs::Permissions::from_mode(0o700)).map_err(Error::io(&part))?;
    }
    let result = (|| -> Result<()> {
        let copy_checked = |src: &Path, dest: &Path, expected: &FileEntry| -> Result<()> {
            // A regular file of the listed size, or nothing is copied (no link followed, no
            // disk filled by a file larger than the manifest says).
            let len = open_regular(src)
                .and_then(|f| f.metadata())
                .map_err(Error::io(src))?
                .len();
            if len != expected.size {
                return Err(backup_error(format!(
                    "{}: altered: {len} bytes, expected {}",
                    src.display(),
                    expected.size
                )));
            }
            let got = copy_blob(src, dest, expected.size)?;
            if got != *expected {
                return Err(backup_error(format!(
                    "{}: altered (it does not match the signed manifest)",
                    src.display()
                )));
            }
            Ok(())
        };
        copy_checked(
            &gen_dir.join(HEADER_FILE),
            &part.join(HEADER_FILE),
            &manifest.header,
        )?;
        let restored = VaultHeader::read(&part)?;
        if restored.vault_id != header.vault_id {
            return Err(backup_error(format!(
                "generation {g}: its vault.json belongs to another vault"
            )));
        }
        copy_checked(
            &gen_dir.join(INDEX_FILE),
            &part.join(INDEX_FILE),
            &manifest.index,
        )?;
        fs::create_dir(part.join(BLOBS_DIR)).map_err(Error::io(part.join(BLOBS_DIR)))?;
        for b in &manifest.blobs {
            if !valid_id(&b.id) {
                return Err(backup_error(format!(
                    "generation {g}: {:?} is not a document id",
                    b.id
                )));
            }
            let src = blob_path(dir, &b.id);
            if fs::symlink_metadata(&src).is_err() {
                return Err(backup_error(format!("{}: missing", src.display())));
            }
            copy_checked(
                &src,
                &blob_path(&part, &b.id),
                &FileEntry {
                    sha256: b.sha256.clone(),
                    size: b.size,
                },
            )?;
        }
        sync_dir(&part.join(BLOBS_DIR))?;
        sync_dir(&part)
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&part);
        return Err(e);
    }
    if to.exists() {
        fs::remove_dir(to).map_err(Error::io(to))?;
    }
    fs::rename(&part, to).map_err(Error::io(to))?;
    sync_dir(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn kept(gens: &[String], r: &Rotation) -> Vec<String> {
        generations_to_keep(gens, r).into_iter().collect()
    }

    #[test]
    fn rotation_keeps_the_newest_per_day_week_and_month() {
        // Hourly backups over 60 days (2026-01-01 to 2026-03-01, a Sunday).
        let start = parse_generation("2026-01-01T00-00-00Z").unwrap();
        let gens: Vec<String> = (0..60 * 24)
            .map(|h| {
                (start + time::Duration::hours(h))
                    .format(GENERATION_ID)
                    .unwrap()
            })
            .collect();
        let keep = kept(&gens, &Rotation::default());
        // The last 7 days (2026-02-23 to 2026-03-01): their 23:00 backups, the newest of each.
        for d in 23..=28 {
            assert!(keep.contains(&format!("2026-02-{d:02}T23-00-00Z")), "{d}");
        }
        let newest = gens.last().unwrap().clone();
        assert!(keep.contains(&newest));
        // Weeks: Sundays' last backups (ISO weeks end on Sunday): 2026-02-22, -15, -08.
        for d in ["2026-02-22", "2026-02-15", "2026-02-08"] {
            assert!(keep.contains(&format!("{d}T23-00-00Z")), "{d}");
        }
        // Months: the newest of January.
        assert!(keep.contains(&"2026-01-31T23-00-00Z".to_owned()));
        // Nothing else: 7 days + 3 more weeks + January (February's newest is already kept).
        assert_eq!(keep.len(), 7 + 3 + 1, "{keep:?}");
        assert!(!keep.contains(&"2026-02-23T12-00-00Z".to_owned()));
    }

    #[test]
    fn rotation_counts_periods_with_backups_not_calendar_days() {
        // Monthly backups for two years, then a pause: the last 12 months with a backup stay.
        let gens: Vec<String> = (0..24)
            .map(|i| format!("{}-{:02}-15T10-00-00Z", 2024 + i / 12, i % 12 + 1))
            .collect();
        let keep = kept(&gens, &Rotation::default());
        assert_eq!(keep.len(), 12);
        assert_eq!(keep.first().unwrap(), "2025-01-15T10-00-00Z");
        assert_eq!(keep.last().unwrap(), "2025-12-15T10-00-00Z");

        // Several on one day: only the newest of the day, unless `last` asks for more.
        let same_day = ids(&[
            "2026-11-23T08-00-00Z",
            "2026-11-23T12-00-00Z",
            "2026-11-23T12-00-01Z",
        ]);
        assert_eq!(
            kept(&same_day, &Rotation::default()),
            ids(&["2026-11-23T12-00-01Z"])
        );
        let r = Rotation {
            last: 2,
            ..Rotation::default()
        };
        assert_eq!(
            kept(&same_day, &r),
            ids(&["2026-11-23T12-00-00Z", "2026-11-23T12-00-01Z"])
        );
        // Names that are not generation times are never deleted.
        let odd = ids(&["notes", "2026-11-23T08-00-00Z", "2026-11-24T08-00-00Z"]);
        let none = Rotation {
            last: 1,
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        assert_eq!(kept(&odd, &none), ids(&["2026-11-24T08-00-00Z", "notes"]));
        assert!(kept(&[], &Rotation::default()).is_empty());
    }

    #[test]
    fn iso_weeks_span_years() {
        // 2026-12-31 (Thursday) and 2027-01-03 (Sunday) are both in ISO week 2026-W53.
        let gens = ids(&["2026-12-31T10-00-00Z", "2027-01-03T10-00-00Z"]);
        let weekly_only = Rotation {
            last: 0,
            daily: 0,
            weekly: 5,
            monthly: 0,
        };
        assert_eq!(kept(&gens, &weekly_only), ids(&["2027-01-03T10-00-00Z"]));
        let monthly_only = Rotation {
            last: 0,
            daily: 0,
            weekly: 0,
            monthly: 5,
        };
        assert_eq!(kept(&gens, &monthly_only), gens);
    }
}
