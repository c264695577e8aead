//! The blob store: where encrypted documents live on disk, and how they get there durably.
//!
//! Promises: a blob appears under `blobs/` only complete and synced (written in `tmp/`, fsynced,
//! renamed, folder fsynced); nothing here ever writes plaintext; ids are random UUIDs, so file
//! names say nothing about documents. Every name found on disk is untrusted: only canonical
//! UUIDs in their own shard count as blobs, anything else is reported as stray and left alone.
//! Blobs that no index row names are moved to `quarantine/` (still encrypted), never deleted
//! unless the owner purges them.

use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::format::vault_format::{BLOBS_DIR, QUARANTINE_DIR, TMP_DIR};
use crate::support::files::sync_dir;
use crate::{Error, Result};

/// The blob folders of one vault.
#[derive(Debug, Clone)]
pub struct BlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
    quarantine: PathBuf,
}

/// What lies under `blobs/`.
#[derive(Debug, Default)]
pub struct Listing {
    /// Ids of well-formed blobs.
    pub ids: Vec<String>,
    /// Entries that are not blobs (odd names, folders, links), relative to the vault folder.
    pub stray: Vec<PathBuf>,
}

/// True for a canonical (lowercase, hyphenated) UUID.
fn is_blob_id(name: &str) -> bool {
    uuid::Uuid::parse_str(name).is_ok_and(|u| u.hyphenated().to_string() == name)
}

/// A blob being written in `tmp/`; removed on drop unless committed.
pub struct PendingBlob {
    path: PathBuf,
    committed: bool,
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl BlobStore {
    /// The store of the vault at `vault_dir`, creating its folders if needed.
    pub fn open(vault_dir: &Path) -> Result<Self> {
        let store = BlobStore {
            blobs: vault_dir.join(BLOBS_DIR),
            tmp: vault_dir.join(TMP_DIR),
            quarantine: vault_dir.join(QUARANTINE_DIR),
        };
        fs::create_dir_all(&store.blobs).map_err(Error::io(&store.blobs))?;
        fs::create_dir_all(&store.tmp).map_err(Error::io(&store.tmp))?;
        Ok(store)
    }

    /// Where the blob of document `id` lives.
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.blobs.join(id.get(..2).unwrap_or("--")).join(id)
    }

    /// Creates a temporary file for the blob of `id`.
    pub fn create_pending(&self, id: &str) -> Result<(BufWriter<File>, PendingBlob)> {
        let path = self.tmp.join(format!("{id}.part"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        Ok((
            BufWriter::with_capacity(256 * 1024, file),
            PendingBlob {
                path,
                committed: false,
            },
        ))
    }

    /// Moves a pending blob, fully written, synced and closed by the caller, to its final name.
    /// The rename is durable only once [`sync_dir`] has run on the returned shard folder (callers
    /// committing several blobs sync each folder once).
    pub fn place(&self, mut pending: PendingBlob, id: &str) -> Result<PathBuf> {
        let dest = self.path_of(id);
        let shard = dest
            .parent()
            .expect("blob path has a shard folder")
            .to_path_buf();
        if !shard.exists() {
            fs::create_dir_all(&shard).map_err(Error::io(&shard))?;
            sync_dir(&self.blobs)?;
        }
        fs::rename(&pending.path, &dest).map_err(Error::io(&dest))?;
        pending.committed = true;
        Ok(shard)
    }

    /// Opens the blob of `id` for reading; `None` when it does not exist.
    pub fn open_blob(&self, id: &str) -> Result<Option<File>> {
        let path = self.path_of(id);
        match File::open(&path) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path)(e)),
        }
    }

    /// Deletes the blob of `id`, if present.
    pub fn remove(&self, id: &str) -> Result<()> {
        let path = self.path_of(id);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(path.parent().expect("shard")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path)(e)),
        }
    }

    /// Every blob on disk, and what else lies in `blobs/`.
    pub fn list(&self) -> Result<Listing> {
        let mut out = Listing::default();
        let rel =
            |p: &Path| PathBuf::from(BLOBS_DIR).join(p.strip_prefix(&self.blobs).unwrap_or(p));
        for shard in fs::read_dir(&self.blobs).map_err(Error::io(&self.blobs))? {
            let shard = shard.map_err(Error::io(&self.blobs))?;
            let path = shard.path();
            let name = shard.file_name();
            let shard_name = name.to_str().filter(|n| {
                n.len() == 2
                    && n.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            });
            let is_dir = shard.file_type().is_ok_and(|t| t.is_dir());
            let Some(shard_name) = shard_name.filter(|_| is_dir) else {
                out.stray.push(rel(&path));
                continue;
            };
            for entry in fs::read_dir(&path).map_err(Error::io(&path))? {
                let entry = entry.map_err(Error::io(&path))?;
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                match entry.file_name().to_str() {
                    Some(id) if is_file && is_blob_id(id) && id.starts_with(shard_name) => {
                        out.ids.push(id.to_owned());
                    }
                    _ => out.stray.push(rel(&entry.path())),
                }
            }
        }
        Ok(out)
    }

    /// Moves the blob of `id` to `quarantine/` (still encrypted, under the same name).
    pub fn quarantine(&self, id: &str) -> Result<()> {
        fs::create_dir_all(&self.quarantine).map_err(Error::io(&self.quarantine))?;
        let from = self.path_of(id);
        let to = self.quarantine.join(id);
        if to.exists() {
            return Err(Error::AlreadyExists(to));
        }
        fs::rename(&from, &to).map_err(Error::io(&from))?;
        sync_dir(&self.quarantine)?;
        sync_dir(from.parent().expect("shard"))
    }

    /// Ids of the blobs in quarantine (other names there are ignored).
    pub fn quarantined(&self) -> Result<Vec<String>> {
        let entries = match fs::read_dir(&self.quarantine) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.quarantine)(e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Error::io(&self.quarantine))?;
            if let Some(id) = entry.file_name().to_str()
                && entry.file_type().is_ok_and(|t| t.is_file())
                && is_blob_id(id)
            {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Moves a quarantined blob back to its place; refuses when a blob is already there.
    pub fn reattach(&self, id: &str) -> Result<()> {
        let from = self.quarantine.join(id);
        let to = self.path_of(id);
        if to.exists() {
            return Err(Error::AlreadyExists(to));
        }
        let shard = to.parent().expect("shard").to_path_buf();
        fs::create_dir_all(&shard).map_err(Error::io(&shard))?;
        fs::rename(&from, &to).map_err(Error::io(&from))?;
        sync_dir(&shard)?;
        sync_dir(&self.quarantine)
    }

    /// Deletes a quarantined blob for good.
    pub fn purge(&self, id: &str) -> Result<()> {
        let path = self.quarantine.join(id);
        fs::remove_file(&path).map_err(Error::io(&path))?;
        sync_dir(&self.quarantine)
    }

    /// Deletes every unfinished blob in `tmp/` (imports that never committed: no row can name
    /// them); returns how many. Folders and other odd entries there are left alone.
    pub fn clear_tmp(&self) -> Result<usize> {
        let mut n = 0;
        for entry in fs::read_dir(&self.tmp).map_err(Error::io(&self.tmp))? {
            let entry = entry.map_err(Error::io(&self.tmp))?;
            // A link is removed as a link, never followed.
            if entry
                .file_type()
                .is_ok_and(|t| t.is_file() || t.is_symlink())
            {
                let path = entry.path();
                fs::remove_file(&path).map_err(Error::io(&path))?;
                n += 1;
            }
        }
        Ok(n)
    }
}
