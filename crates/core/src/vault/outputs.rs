//! Where Coffre writes outside the vault (backups, exports, bundles, a subject's export, a copy
//! of a document), and how: one rule for the CLI and the app.
//!
//! Promises: nothing is written inside the vault folder or inside the remembered import folder
//! (a watcher would import it, then maybe delete it); an output file never replaces an existing
//! one; files are written as `.NAME.part` beside their target, created exclusively (an existing
//! file or a symbolic link there makes it fail: no link is ever followed), synced, then linked
//! to their final name only if that name is still free.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::support::files::sync_dir;
use crate::{Error, Result, Vault};

const EXISTS: &str = "something of that name exists, and Coffre never replaces it";

/// What is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A backup folder (may already hold this vault's backups).
    BackupFolder,
    /// A folder for a full export (must not exist, or be empty).
    ExportFolder,
    /// A file: a bundle, a subject's export, a copy of a document.
    File,
}

/// True when `path` is `dir` or lies inside it, following symbolic links of the part of `path`
/// that exists (a path that does not exist yet is judged by its nearest existing ancestor).
pub fn is_within(path: &Path, dir: &Path) -> bool {
    let Ok(dir) = fs::canonicalize(dir) else {
        return false;
    };
    let mut probe = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = fs::canonicalize(&probe) {
            let full = rest.iter().rev().fold(real, |p: PathBuf, r| p.join(r));
            return full.starts_with(&dir);
        }
        match (probe.file_name().map(|n| n.to_owned()), probe.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                probe = parent.to_path_buf();
            }
            _ => return false,
        }
    }
}

impl Vault {
    /// Refuses an output inside the vault or the remembered import folder, an output file that
    /// exists already, and an export folder that is not empty.
    pub fn check_output(&self, path: &Path, kind: Output) -> Result<()> {
        let refuse = |reason: &str| {
            Err(Error::OutputRefused {
                path: path.to_path_buf(),
                reason: reason.to_owned(),
            })
        };
        if is_within(path, self.dir()) {
            return refuse("it is inside the vault folder");
        }
        if let Some(watch) = self.watch_config()? {
            let f = &watch.folder;
            let same = |p: &Path| is_within(p, f) && is_within(f, p);
            // What the watcher reads: the whole tree when it watches sub-folders, else the
            // files right in the folder (an output folder there keeps its files one level down).
            let read = if watch.recursive {
                is_within(path, f)
            } else {
                same(path) || (kind == Output::File && path.parent().is_some_and(same))
            };
            if read {
                return refuse(
                    "it is in the import folder, whose files are imported (and maybe moved or \
                     deleted)",
                );
            }
        }
        match (kind, fs::symlink_metadata(path)) {
            (Output::File, Ok(_)) => refuse(EXISTS),
            (Output::ExportFolder, Ok(m)) if !m.is_dir() => refuse(EXISTS),
            (Output::ExportFolder, Ok(_)) => {
                let mut entries = fs::read_dir(path).map_err(Error::io(path))?;
                if entries.next().is_some() {
                    return refuse("the folder is not empty");
                }
                Ok(())
            }
            (Output::BackupFolder, Ok(m)) if !m.is_dir() => refuse("it is not a folder"),
            _ => Ok(()),
        }
    }
}

/// Creates `path` exclusively: fails if anything is there, a symbolic link included.
pub(crate) fn create_exclusive(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io(path))
}

/// Gives the complete file `part` the name `dest` unless `dest` exists (never replaced), then
/// removes the name `part`. The caller syncs the folder. A hard link makes the check and the
/// naming one step; on file systems without hard links (FAT and exFAT USB sticks) the name is
/// checked, then the file renamed.
pub(crate) fn give_name(part: &Path, dest: &Path) -> Result<()> {
    let taken = || Error::OutputRefused {
        path: dest.to_path_buf(),
        reason: EXISTS.into(),
    };
    match fs::hard_link(part, dest) {
        Ok(()) => fs::remove_file(part).map_err(Error::io(part)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(taken()),
        Err(_) if fs::symlink_metadata(dest).is_ok() => Err(taken()),
        Err(_) => fs::rename(part, dest).map_err(Error::io(dest)),
    }
}

/// A file being written beside its final name, removed on drop unless persisted.
pub struct PartFile {
    part: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl PartFile {
    /// Creates `.NAME.part` beside `dest`, exclusively (fails if anything, a link included, is
    /// there).
    pub fn create(dest: &Path) -> Result<(Self, File)> {
        let dir = dest.parent().filter(|d| !d.as_os_str().is_empty());
        let name = dest
            .file_name()
            .ok_or_else(|| Error::io(dest)(std::io::Error::other("not a file name")))?;
        let mut part_name = std::ffi::OsString::from(".");
        part_name.push(name);
        part_name.push(".part");
        let part = match dir {
            Some(d) => d.join(part_name),
            None => PathBuf::from(part_name),
        };
        let file = create_exclusive(&part)?;
        Ok((
            PartFile {
                part,
                dest: dest.to_path_buf(),
                done: false,
            },
            file,
        ))
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.part
    }

    /// Gives the written and synced file its final name, unless that name was taken meanwhile
    /// (never replaced); syncs the folder.
    pub fn persist(mut self) -> Result<()> {
        give_name(&self.part, &self.dest)?;
        self.done = true;
        match self.dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => sync_dir(d),
            None => Ok(()),
        }
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.part);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_part_file_never_follows_a_link_nor_replaces_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out.zip");
        // A link planted where the part file goes.
        let victim = tmp.path().join("victim.txt");
        fs::write(&victim, b"keep me").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&victim, tmp.path().join(".out.zip.part")).unwrap();
            assert!(PartFile::create(&dest).is_err());
            assert_eq!(fs::read(&victim).unwrap(), b"keep me");
            fs::remove_file(tmp.path().join(".out.zip.part")).unwrap();
        }
        let (part, mut f) = PartFile::create(&dest).unwrap();
        f.write_all(b"new").unwrap();
        // The final name taken while writing: refused, the other file intact.
        fs::write(&dest, b"someone else's").unwrap();
        assert!(matches!(part.persist(), Err(Error::OutputRefused { .. })));
        assert_eq!(fs::read(&dest).unwrap(), b"someone else's");
        assert!(!tmp.path().join(".out.zip.part").exists());
        fs::remove_file(&dest).unwrap();
        let (part, mut f) = PartFile::create(&dest).unwrap();
        f.write_all(b"new").unwrap();
        part.persist().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn within_judges_paths_that_do_not_exist_yet_by_their_real_ancestor() {
        let tmp = tempfile::tempdir().unwrap();
        let inside = tmp.path().join("vault");
        fs::create_dir(&inside).unwrap();
        assert!(is_within(&inside.join("new/deeper/file"), &inside));
        assert!(!is_within(&tmp.path().join("other/file"), &inside));
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&inside, &link).unwrap();
            assert!(is_within(&link.join("x.zip"), &inside));
        }
    }
}
