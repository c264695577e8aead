//! The single-writer lock: one process at a time opens a vault.
//!
//! An exclusive advisory lock (`flock` on Unix, `LockFileEx` on Windows) on `VAULT/lock`, taken
//! before anything else is read and held until the [`VaultLock`] is dropped. The operating system
//! releases it when the process dies, so a killed process never leaves a vault locked. The holder
//! writes its pid into the file so that the next one can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::{Error, Result};

/// Proof that this process holds the vault's lock.
#[derive(Debug)]
pub struct VaultLock {
    _file: File,
}

impl VaultLock {
    /// Takes the lock at `path`, or fails at once with [`Error::VaultInUse`].
    pub fn acquire(path: &Path) -> Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(Error::io(path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(Error::VaultInUse {
                    pid: text.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(path)(e)),
        }
        file.set_len(0).map_err(Error::io(path))?;
        file.seek(SeekFrom::Start(0)).map_err(Error::io(path))?;
        write!(file, "{}", std::process::id()).map_err(Error::io(path))?;
        file.flush().map_err(Error::io(path))?;
        Ok(VaultLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_pid_until_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let first = VaultLock::acquire(&path).unwrap();
        match VaultLock::acquire(&path) {
            Err(Error::VaultInUse { pid }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected VaultInUse, got {other:?}"),
        }
        drop(first);
        VaultLock::acquire(&path).unwrap();
    }
}
