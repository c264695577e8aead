//! Writing a backup generation: the run of [`Vault::backup_create`].
//!
//! Promises: a generation appears under its final name only complete and synced (written as
//! `.G.part`, renamed); an interrupted run leaves the earlier generations intact, and the next run
//! removes its leftovers first; the index is snapshotted by the vault's own keyed connection
//! (`VACUUM INTO`: the key never leaves it), blobs already in the folder are not copied again;
//! after the new generation come disposal, rotation and the removal of blobs no generation
//! lists; a run is recorded in the audit trail (`backup.create`) with the settings that
//! [`Vault::backup_status`] reads.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::path::Path;

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::disposal::finish_manifest_rewrite;
use super::folder::{
    Durable, copy_blob, generation_ids, hash_file, read_header, read_manifest, read_signed_manifest,
};
use super::format::{
    BACKUP_FILE, BackupHeader, BlobEntry, FORMAT_NAME, FORMAT_VERSION, FileEntry,
    GENERATION_FORMAT, GENERATION_ID, GENERATIONS_DIR, MANIFEST_FILE, Manifest, SIGNATURE_FILE,
    blob_path, public_key, valid_id,
};
use super::rotation::{Rotation, generations_to_keep};
use super::status::{SETTING_FOLDER, SETTING_LAST_AT};
use crate::error::BackupFault;
use crate::format::vault_format::{BLOBS_DIR, HEADER_FILE, INDEX_FILE};
use crate::support::files::{sync_all_of, sync_dir, write_atomic, write_synced};
use crate::vault::Vault;
use crate::{Error, Result, storage::audit};

/// What [`Vault::backup_create`] did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
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

/// Turns "disk full" into a message the owner can act on.
fn space_error(dir: &Path, need: u64, e: Error) -> Error {
    let full = match &e {
        Error::Io { source, .. } => source.kind() == io::ErrorKind::StorageFull,
        Error::Index(err) => err.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
        _ => false,
    };
    if full {
        Error::backup(
            BackupFault::NoSpace,
            format!("not enough space at {}: need {need} bytes", dir.display()),
        )
    } else {
        e
    }
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

/// Whether `path` (which may not exist yet) is `dir` or inside it, links resolved.
fn path_str(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        Error::backup(
            BackupFault::BadPath,
            format!(
                "{}: the backup folder's path must be valid Unicode",
                path.display()
            ),
        )
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
                return Err(Error::backup(
                    BackupFault::OtherVault,
                    format!(
                        "{} holds the backups of another vault ({})",
                        to.display(),
                        header.vault_id
                    ),
                ));
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
        self.conn()
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

        // What the newest generation whose signature holds recorded of blobs already here
        // (blobs never change, and each generation lists every document of its time; a blob
        // only older generations list is hashed again below).
        let own_key = self.signing_public_key()?;
        let mut known: HashMap<String, FileEntry> = HashMap::new();
        let latest = generation_ids(to)?
            .iter()
            .rev()
            .find_map(|g| read_signed_manifest(to, g, &own_key));
        for b in latest.map(|m| m.blobs).unwrap_or_default() {
            known.insert(
                b.id,
                FileEntry {
                    sha256: b.sha256,
                    size: b.size,
                },
            );
        }
        let docs = self.documents()?;
        let present = present_blobs(to)?;
        let mut todo = Vec::new();
        let mut blobs = Vec::with_capacity(docs.len());
        for doc in &docs {
            let dest = blob_path(to, &doc.id);
            let here = present.contains(doc.id.as_str());
            // A blob here that a trusted manifest lists, with the size listed: kept as it is.
            if here
                && let Some(k) = known.get(&doc.id)
                && fs::metadata(&dest).is_ok_and(|m| m.len() == k.size)
            {
                blobs.push(BlobEntry {
                    id: doc.id.clone(),
                    sha256: k.sha256.clone(),
                    size: k.size,
                });
                continue;
            }
            // About what the copy will take (a blob is its document and a few bytes a chunk).
            *need += doc.size;
            todo.push((doc.id.clone(), self.blob_path(&doc.id), dest, here));
        }
        // Copied without a sync each; all synced at once before the manifest names them. In
        // the order of their folders, as a file copy would go: creating files folder after
        // folder is several times faster than hopping between 256 of them (ext4).
        todo.sort_by(|a, b| a.2.cmp(&b.2));
        // A few threads, each on its own run of folders: creating files is mostly waiting on
        // the filesystem, and folders apart do not wait on each other.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        let chunk = todo.len().div_ceil(threads).max(1);
        let copied: Vec<Result<Vec<(String, FileEntry, bool)>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = todo
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(copy_one).collect()))
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(Error::io(to)(io::Error::other("a copy thread stopped")))
                    })
                })
                .collect()
        });
        let mut blobs_copied = 0u64;
        let mut written = Vec::with_capacity(todo.len());
        for (id, entry, fresh) in copied
            .into_iter()
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
        {
            blobs_copied += u64::from(fresh);
            bytes_copied += entry.size;
            written.push(blob_path(to, &id));
            blobs.push(BlobEntry {
                id,
                sha256: entry.sha256,
                size: entry.size,
            });
        }
        sync_all_of(to, &written)?;
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

    /// The manifest as written (pretty JSON and a newline) and its signature by the vault's key.
    pub(super) fn signed_manifest(&self, manifest: &Manifest) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut text = serde_json::to_string_pretty(manifest).map_err(io::Error::other)?;
        text.push('\n');
        let sig = self.signing_key()?.sign(text.as_bytes());
        Ok((text.into_bytes(), sig.as_ref().to_vec()))
    }
}

/// Copies one missing blob `(id, source, destination, already there)`; returns its id, its
/// entry and whether it was copied (a file a killed run left that is the vault's, byte for
/// byte, is kept). Not synced: see [`Durable::Later`].
fn copy_one(
    (id, src, dest, here): &(String, std::path::PathBuf, std::path::PathBuf, bool),
) -> Result<(String, FileEntry, bool)> {
    if *here {
        let theirs = hash_file(dest).map_err(Error::io(dest))?;
        let ours = hash_file(src).map_err(Error::io(src))?;
        if theirs == ours {
            return Ok((id.clone(), ours, false));
        }
        fs::remove_file(dest).map_err(Error::io(dest))?;
    }
    let entry = copy_blob(src, dest, u64::MAX, Durable::Later)?;
    Ok((id.clone(), entry, true))
}

/// The ids of the blobs in the backup folder (one listing of each shard, not a look-up per
/// document); temporary files left by a killed run (`.ID.tmp`) are not blobs.
fn present_blobs(to: &Path) -> Result<HashSet<String>> {
    let mut ids = HashSet::new();
    let blobs = to.join(BLOBS_DIR);
    let shards = match fs::read_dir(&blobs) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(Error::io(&blobs)(e)),
    };
    for shard in shards {
        let shard = shard.map_err(Error::io(&blobs))?.path();
        if !shard.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&shard).map_err(Error::io(&shard))? {
            let name = entry.map_err(Error::io(&shard))?.file_name();
            if let Some(name) = name.to_str().filter(|n| valid_id(n)) {
                ids.insert(name.to_owned());
            }
        }
    }
    Ok(ids)
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
