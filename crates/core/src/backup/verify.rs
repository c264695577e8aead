//! What a backup folder holds, read without a passphrase: the list of generations and their
//! verification.
//!
//! Promises: [`backup_verify`] believes a manifest only once its signature holds with the key of
//! `coffre-backup.json`, checks every file it lists (present, right size and SHA-256, never read
//! past the listed size), hashes each blob once however many generations list it, and names
//! everything missing or altered rather than stopping at the first problem.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::Serialize;

use super::folder::{generation_ids, hash_expected, read_bounded, read_header, read_manifest};
use super::format::{
    FORMAT_VERSION, FileEntry, GENERATION_FORMAT, GENERATIONS_DIR, MANIFEST_FILE,
    MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Manifest, SIGNATURE_FILE, blob_path, public_key,
    shard, signature_holds, valid_id,
};
use crate::Result;
use crate::format::vault_format::{BLOBS_DIR, HEADER_FILE, INDEX_FILE};

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
    /// ([`Vault::signing_public_key`](crate::vault::Vault::signing_public_key)) to rule out a
    /// replaced backup.
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
