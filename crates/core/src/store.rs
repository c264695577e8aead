//! The blob store: where encrypted documents live on disk, and how they get there durably.
//!
//! Promises: a blob appears under `blobs/` only complete and synced (written in `tmp/`, fsynced,
//! renamed, folder fsynced); nothing here ever writes plaintext; ids are random UUIDs, so file
//! names say nothing about documents.

use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::vault_format::{BLOBS_DIR, TMP_DIR};
use crate::{Error, Result};

/// The blob folders of one vault.
#[derive(Debug, Clone)]
pub struct BlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
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
        };
        fs::create_dir_all(&store.blobs).map_err(Error::io(&store.blobs))?;
        fs::create_dir_all(&store.tmp).map_err(Error::io(&store.tmp))?;
        Ok(store)
    }

    /// Where the blob of document `id` lives.
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.blobs.join(&id[..2]).join(id)
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

    /// Ids of every blob on disk.
    pub fn list_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for shard in fs::read_dir(&self.blobs).map_err(Error::io(&self.blobs))? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                if let Some(name) = entry.file_name().to_str() {
                    ids.push(name.to_owned());
                }
            }
        }
        Ok(ids)
    }

    /// Deletes every leftover in `tmp/` (blobs of imports that never committed); returns how many.
    pub fn clear_tmp(&self) -> Result<usize> {
        let mut n = 0;
        for entry in fs::read_dir(&self.tmp).map_err(Error::io(&self.tmp))? {
            let path = entry?.path();
            fs::remove_file(&path).map_err(Error::io(&path))?;
            n += 1;
        }
        Ok(n)
    }
}

/// Makes a folder's entries (creations, renames) durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io(dir))?;
    }
    // Windows cannot open a folder as a file; NTFS journals renames itself.
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
