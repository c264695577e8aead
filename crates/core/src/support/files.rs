//! Durable file writes: the one temp-file, fsync, rename, fsync-folder sequence.
//!
//! Promises: after [`write_atomic`] returns, `path` holds either its old bytes or all of `data`
//! (never a mix) across a crash or power loss; the temporary file sits beside `path` as
//! `.NAME.tmp`.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

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

/// Makes durable at once files written (and renamed into place) without a sync each, with
/// their folders: on Linux one `syncfs` of the filesystem holding `root` (the files must be
/// on it); elsewhere each file, then each folder once.
///
/// A thousand small files cost a thousand journal commits when synced one by one, and one when
/// synced together: this is what makes a first backup as fast as restic's packs.
pub fn sync_all_of(root: &Path, files: &[std::path::PathBuf]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        let dir = File::open(root).map_err(Error::io(root))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::io(root)(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = root;
        let mut folders = std::collections::BTreeSet::new();
        for f in files {
            File::open(f)
                .and_then(|f| f.sync_all())
                .map_err(Error::io(f))?;
            // The file's folder, and the folder above, where that folder may be new.
            for d in f.ancestors().skip(1).take(2) {
                folders.insert(d.to_path_buf());
            }
        }
        for d in &folders {
            sync_dir(d)?;
        }
        Ok(())
    }
}

/// Writes `data` to a new or truncated `path` and syncs it.
pub fn write_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(Error::io(path))?;
    f.write_all(data).map_err(Error::io(path))?;
    f.sync_all().map_err(Error::io(path))
}

/// Writes `data` to `path` atomically and durably (temporary file, fsync, rename, fsync folder).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().expect("file in a folder");
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    write_synced(&tmp, data)?;
    fs::rename(&tmp, path).map_err(Error::io(path))?;
    sync_dir(dir)
}
