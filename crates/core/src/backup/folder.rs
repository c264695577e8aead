//! Reading and copying the files of a backup folder, which is never trusted.
//!
//! Promises: only regular files are read (a link, a pipe or a device is refused before it is
//! opened); whole files are read within a fixed limit, and a file expected to have a size is
//! never read past it; a blob is copied to a temporary name, synced, checked against what was
//! read and only then renamed, so a name in `blobs/` always holds a complete copy.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use super::format::{
    BACKUP_FILE, BackupHeader, FORMAT_NAME, FORMAT_VERSION, FileEntry, GENERATIONS_DIR,
    MANIFEST_FILE, MAX_HEADER_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Manifest,
    SIGNATURE_FILE, signature_holds,
};
use crate::error::BackupFault;
use crate::support::files::sync_dir;
use crate::{Error, Result};

/// SHA-256 (hex) and size of a file.
pub(super) fn hash_file(path: &Path) -> io::Result<FileEntry> {
    hash_reader(File::open(path)?)
}

/// SHA-256 (hex) and size of what `reader` gives.
pub(super) fn hash_reader(reader: impl Read) -> io::Result<FileEntry> {
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
pub(super) fn open_regular(path: &Path) -> io::Result<File> {
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
pub(super) fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
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
pub(super) fn hash_expected(path: &Path, expected_size: u64) -> io::Result<FileEntry> {
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

pub(super) fn read_header(dir: &Path) -> Result<BackupHeader> {
    let path = dir.join(BACKUP_FILE);
    let text = match read_bounded(&path, MAX_HEADER_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::backup(
                BackupFault::NotABackup,
                format!(
                    "{} is not a Coffre backup (no {BACKUP_FILE})",
                    dir.display()
                ),
            ));
        }
        Err(e) => return Err(Error::io(&path)(e)),
    };
    let header: BackupHeader = serde_json::from_slice(&text)
        .map_err(|e| Error::backup(BackupFault::Altered, format!("{}: {e}", path.display())))?;
    if header.format != FORMAT_NAME || header.version != FORMAT_VERSION {
        return Err(Error::backup(
            BackupFault::UnknownFormat,
            format!(
                "{}: format {:?} version {} (this Coffre reads {FORMAT_NAME} version \
             {FORMAT_VERSION})",
                path.display(),
                header.format,
                header.version
            ),
        ));
    }
    Ok(header)
}

/// Ids of the complete generations, oldest first.
pub(super) fn generation_ids(dir: &Path) -> Result<Vec<String>> {
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

pub(super) fn read_manifest(dir: &Path, generation: &str) -> Result<(Vec<u8>, Manifest)> {
    let path = dir
        .join(GENERATIONS_DIR)
        .join(generation)
        .join(MANIFEST_FILE);
    let bytes = read_bounded(&path, MAX_MANIFEST_BYTES).map_err(Error::io(&path))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| Error::backup(BackupFault::Altered, format!("{}: {e}", path.display())))?;
    Ok((bytes, manifest))
}

/// The manifest of `generation` when its signature holds with `public_key`.
pub(super) fn read_signed_manifest(
    dir: &Path,
    generation: &str,
    public_key: &[u8],
) -> Option<Manifest> {
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

/// When a copied blob is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Durable {
    /// Synced, and its folder synced, before [`copy_blob`] returns.
    Now,
    /// Left to the caller, who syncs all it copied at once ([`crate::support::files::sync_all_of`])
    /// before anything names the blob.
    Later,
}

/// Copies one blob into the backup (or out of it): temporary name, sync and read back (see
/// [`Durable`]), rename. The hash returned is of the bytes read from `src`, no more than
/// `max + 1` of them.
pub(super) fn copy_blob(src: &Path, dest: &Path, max: u64, durable: Durable) -> Result<FileEntry> {
    let shard = dest.parent().expect("blob in a shard");
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("blob");
    let tmp = shard.join(format!(".{name}.tmp"));
    let result = (|| -> Result<FileEntry> {
        let mut reader = BufReader::with_capacity(
            256 * 1024,
            File::open(src)
                .map_err(Error::io(src))?
                .take(max.saturating_add(1)),
        );
        let create = || OpenOptions::new().write(true).create_new(true).open(&tmp);
        let mut out = match create() {
            // The shard's first blob: its folder is made (and, when synced now, recorded).
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(shard).map_err(Error::io(shard))?;
                if durable == Durable::Now {
                    sync_dir(shard.parent().expect("shard in blobs"))?;
                }
                create()
            }
            other => other,
        }
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
        if durable == Durable::Now {
            out.sync_all().map_err(Error::io(&tmp))?;
        }
        drop(out);
        let copied = FileEntry {
            sha256: hex::encode(sha.finish()),
            size,
        };
        // Read back when synced here; a copy synced later is read back by `backup verify`.
        if durable == Durable::Now && hash_file(&tmp).map_err(Error::io(&tmp))? != copied {
            return Err(Error::backup(
                BackupFault::Altered,
                format!(
                    "{}: the copy does not match the vault's file",
                    tmp.display()
                ),
            ));
        }
        Ok(copied)
    })();
    match result {
        Ok(entry) => {
            fs::rename(&tmp, dest).map_err(Error::io(dest))?;
            if durable == Durable::Now {
                sync_dir(shard)?;
            }
            Ok(entry)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}
