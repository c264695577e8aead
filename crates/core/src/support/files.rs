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
