//! Restoring a generation into a new vault folder.
//!
//! Promises: nothing is restored from a manifest whose signature does not hold or that describes
//! another generation or vault; every file is a regular file of the listed size, checked against
//! the signed manifest as it is copied; the restored folder appears complete (`.NAME.part`,
//! synced, renamed) or not at all; the target must be absent or an empty folder.

use std::fs;
use std::path::Path;

use super::folder::{Durable, copy_blob, generation_ids, open_regular, read_bounded, read_header};
use super::format::{
    FileEntry, GENERATIONS_DIR, MANIFEST_FILE, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Manifest,
    SIGNATURE_FILE, blob_path, public_key, signature_holds, valid_id,
};
use crate::error::{BackupFault, Kind, Why};
use crate::format::vault_format::{BLOBS_DIR, HEADER_FILE, INDEX_FILE, VaultHeader};
use crate::support::files::sync_dir;
use crate::{Error, Result};

/// Restores a generation (the newest when `generation` is `None`) of the backup folder `dir`
/// into `to`, which must be absent or an empty folder. Every file is checked against the signed
/// manifest as it is copied; the restored folder appears complete or not at all. It then opens
/// with [`Vault::open`](crate::vault::Vault::open) (the passphrase valid when the generation
/// was made) or
/// [`Vault::open_with_recovery_key`](crate::vault::Vault::open_with_recovery_key). Documents
/// disposed of after the generation was made are listed but unreadable (their blobs left the
/// backup).
pub fn backup_restore(dir: &Path, generation: Option<&str>, to: &Path) -> Result<()> {
    crate::privacy::export::check_target(to)?;
    let header = read_header(dir)?;
    let key = public_key(&header)?;
    let all = generation_ids(dir)?;
    let g = match generation {
        Some(g) => all
            .iter()
            .find(|x| x.as_str() == g)
            .ok_or_else(|| Error::not_found(Kind::Snapshot, g))?,
        None => all.last().ok_or_else(|| {
            Error::backup(
                BackupFault::Empty,
                format!("{} holds no generation", dir.display()),
            )
        })?,
    };
    let gen_dir = dir.join(GENERATIONS_DIR).join(g);
    let manifest_bytes = read_bounded(&gen_dir.join(MANIFEST_FILE), MAX_MANIFEST_BYTES)
        .map_err(Error::io(gen_dir.join(MANIFEST_FILE)))?;
    let sig = read_bounded(&gen_dir.join(SIGNATURE_FILE), MAX_SIGNATURE_BYTES)
        .map_err(Error::io(gen_dir.join(SIGNATURE_FILE)))?;
    if !signature_holds(&key, &manifest_bytes, &sig) {
        return Err(Error::backup(
            BackupFault::Altered,
            format!("generation {g}: its manifest's signature does not verify (altered)"),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| Error::backup(BackupFault::Altered, format!("generation {g}: {e}")))?;
    if manifest.generation != *g || manifest.vault_id != header.vault_id {
        return Err(Error::backup(
            BackupFault::Altered,
            format!("generation {g}: its manifest describes another generation or vault"),
        ));
    }
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = to
        .file_name()
        .ok_or_else(|| {
            Error::invalid(
                "to",
                Why::NotAFileName {
                    value: to.display().to_string(),
                },
            )
        })?
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
                return Err(Error::backup(
                    BackupFault::Altered,
                    format!(
                        "{}: altered: {len} bytes, expected {}",
                        src.display(),
                        expected.size
                    ),
                ));
            }
            let got = copy_blob(src, dest, expected.size, Durable::Now)?;
            if got != *expected {
                return Err(Error::backup(
                    BackupFault::Altered,
                    format!(
                        "{}: altered (it does not match the signed manifest)",
                        src.display()
                    ),
                ));
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
            return Err(Error::backup(
                BackupFault::Altered,
                format!("generation {g}: its vault.json belongs to another vault"),
            ));
        }
        copy_checked(
            &gen_dir.join(INDEX_FILE),
            &part.join(INDEX_FILE),
            &manifest.index,
        )?;
        fs::create_dir(part.join(BLOBS_DIR)).map_err(Error::io(part.join(BLOBS_DIR)))?;
        for b in &manifest.blobs {
            if !valid_id(&b.id) {
                return Err(Error::backup(
                    BackupFault::Altered,
                    format!("generation {g}: {:?} is not a document id", b.id),
                ));
            }
            let src = blob_path(dir, &b.id);
            if fs::symlink_metadata(&src).is_err() {
                return Err(Error::backup(
                    BackupFault::Altered,
                    format!("{}: missing", src.display()),
                ));
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
