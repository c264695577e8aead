//! Intake while locked: the vault's intake key pair, the sealed files of `inbox/`, and their
//! import at the next unlock.
//!
//! The intake secret key is `HKDF(signing seed, UUID(vault_id), "coffre/v1/intake-key")` (the
//! signing seed is one of the vault's stable keys, so the pair survives a master-key rotation
//! and nothing more needs wrapping); its public key sits in the header with an HMAC under
//! `HKDF(signing seed, UUID(vault_id), "coffre/v1/intake-mac")`.
//!
//! Promises:
//! - every unlock derives the public key and compares the header's (key and MAC) with it: a
//!   missing one is written, a different one is replaced and the replacement audited
//!   (`intake.key_restored`); the [`IntakeKey`] handed to a locked watcher comes from the
//!   derivation, never from the header, so an edited header cannot redirect files;
//! - [`IntakeKey::seal_file`] writes `inbox/ID.part`, syncs it, renames it to `inbox/ID.sealed`
//!   and syncs the folder before it returns: once it returns the file may be removed from the
//!   watched folder; a kill before leaves the original where it was (and at most a `.part`);
//! - only files sealed with the auth key (derived like the intake key, held in memory by a
//!   locked watcher, never written) are opened: knowing the public key is not enough to add a
//!   document by writing into the vault's folder;
//! - [`Vault::import_inbox`] imports each sealed file under its original name, then removes it;
//!   a kill between the two finds the content already stored at the next unlock (a duplicate,
//!   removed then): nothing is lost or stored twice. A sealed file that cannot be opened
//!   (altered, forged, or larger than the limit) is kept in `inbox/` and reported, never
//!   deleted; one whose import is refused for good (an e-mail with nothing to keep, a damaged
//!   file the rules refuse) is handed to `set_aside` (the `Failed/` of the folder it came from,
//!   as when unlocked) and removed only once that succeeded.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::format::crypto::{MacKey, derive_subkey};
use crate::format::sealed::{self, IntakeSecret, OpenError, SealedMeta};
use crate::format::vault_format::{self as fmt, HEADER_FILE, INBOX_DIR, IntakeSection};
use crate::storage::audit;
use crate::support::files::{sync_dir, write_atomic};
use crate::vault::Vault;
use crate::vault::import::ImportStatus;

const LABEL_KEY: &str = "coffre/v1/intake-key";
const LABEL_MAC: &str = "coffre/v1/intake-mac";
const LABEL_AUTH: &str = "coffre/v1/intake-auth";
const MAC_CONTEXT: &[u8] = b"coffre/v1/intake-public";
/// Suffix of a sealed file in `inbox/`.
pub const SEALED_SUFFIX: &str = ".sealed";
const PART_SUFFIX: &str = ".part";
/// A `.part` older than this is an abandoned sealing (a kill), removed at unlock.
const STALE_PART: Duration = Duration::from_secs(3600);

/// The verified public intake key of an unlocked vault, and the key that authenticates what is
/// sealed to it: what a locked watcher needs.
#[derive(Debug, Clone)]
pub struct IntakeKey {
    inbox: PathBuf,
    public: [u8; 32],
    auth: std::sync::Arc<crate::format::secret::SecretKey>,
    max_size: u64,
}

impl IntakeKey {
    /// The inbox folder files are sealed into.
    pub fn inbox(&self) -> &Path {
        &self.inbox
    }

    /// Seals the file at `path` (of the watched folder `folder`) into the inbox, durably; returns
    /// the sealed item's id. Refuses links, non-files, and files over the vault's import limit.
    pub fn seal_file(&self, folder: &Path, path: &Path) -> Result<String> {
        let link = fs::symlink_metadata(path).map_err(Error::io(path))?;
        if !link.is_file() {
            return Err(Error::io(path)(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        let file = File::open(path).map_err(Error::io(path))?;
        let meta = file.metadata().map_err(Error::io(path))?;
        #[cfg(unix)]
        {
            // The file opened is the one checked (not a link swapped in between).
            use std::os::unix::fs::MetadataExt;
            if (meta.dev(), meta.ino()) != (link.dev(), link.ino()) {
                return Err(Error::io(path)(std::io::Error::other(
                    "the file was replaced while it was opened",
                )));
            }
        }
        if meta.len() > self.max_size {
            return Err(Error::TooLarge {
                limit: self.max_size,
            });
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into());
        let rel = path
            .strip_prefix(folder)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let modified = meta.modified().ok().and_then(audit::rfc3339);
        let sealed_meta = SealedMeta {
            name,
            rel,
            folder: folder.to_string_lossy().into_owned(),
            modified,
            sealed_at: audit::now_rfc3339(),
            size: meta.len(),
        };
        if !self.inbox.is_dir() {
            fs::create_dir_all(&self.inbox).map_err(Error::io(&self.inbox))?;
            // The new folder's entry in the vault's folder survives a power cut too.
            if let Some(vault_dir) = self.inbox.parent() {
                sync_dir(vault_dir)?;
            }
        }
        let item = Uuid::new_v4();
        let part = self.inbox.join(format!("{item}{PART_SUFFIX}"));
        let done = self.inbox.join(format!("{item}{SEALED_SUFFIX}"));
        let result = (|| -> Result<()> {
            let mut out = std::io::BufWriter::new(
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&part)
                    .map_err(Error::io(&part))?,
            );
            let mut content = BufReader::new(file).take(self.max_size.saturating_add(1));
            let copied = sealed::seal(
                &self.public,
                &self.auth,
                &item,
                &sealed_meta,
                &mut content,
                &mut out,
            )?;
            if copied != sealed_meta.size {
                return Err(Error::io(path)(std::io::Error::other(
                    "the file changed while it was sealed",
                )));
            }
            let file = out
                .into_inner()
                .map_err(|e| Error::io(&part)(e.into_error()))?;
            file.sync_all().map_err(Error::io(&part))?;
            fs::rename(&part, &done).map_err(Error::io(&done))?;
            sync_dir(&self.inbox)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&part);
        }
        result.map(|()| item.to_string())
    }
}

/// Keeps a file whose import was refused for good: `(folder it came from, name, bytes,
/// reason)`; where it went.
pub type SetAside<'a> = dyn Fn(&Path, &str, &[u8], &str) -> std::io::Result<PathBuf> + 'a;

/// What [`Vault::import_inbox`] did with one sealed file.
#[derive(Debug, Clone, Serialize)]
pub struct InboxItem {
    /// The file's original name.
    pub name: Option<String>,
    /// `imported`, `duplicate` or `failed`.
    pub status: &'static str,
    /// The document (imported or already there).
    pub id: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
}

impl Vault {
    fn intake_secret(&self) -> Result<IntakeSecret> {
        let key = derive_subkey(
            &self.keys.signing_seed,
            self.header.vault_id.as_bytes(),
            LABEL_KEY,
        )?;
        Ok(IntakeSecret::from_key(&key))
    }

    fn intake_auth(&self) -> Result<crate::format::secret::SecretKey> {
        derive_subkey(
            &self.keys.signing_seed,
            self.header.vault_id.as_bytes(),
            LABEL_AUTH,
        )
    }

    fn intake_mac(&self) -> Result<MacKey> {
        Ok(MacKey::new(&derive_subkey(
            &self.keys.signing_seed,
            self.header.vault_id.as_bytes(),
            LABEL_MAC,
        )?))
    }

    /// Makes the header's intake key the derived one (see the module's promises).
    pub(super) fn ensure_intake_header(&mut self) -> Result<()> {
        let public = self.intake_secret()?.public();
        let id = *self.header.vault_id.as_bytes();
        let mac = self.intake_mac()?;
        let parts: [&[u8]; 3] = [MAC_CONTEXT, &id, &public];
        let found = self.header.intake.clone();
        if let Some(found) = &found {
            let same = fmt::decode_b64(&found.public).is_ok_and(|k| k == public)
                && fmt::decode_b64(&found.mac).is_ok_and(|m| mac.verify_parts(&parts, &m));
            if same {
                return Ok(());
            }
        }
        let mut header = self.header.clone();
        header.intake = Some(IntakeSection {
            public: fmt::b64(&public),
            mac: fmt::b64(&mac.mac_parts(&parts)),
        });
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        if let Some(found) = found {
            audit::append(
                &tx,
                &audit_key,
                "intake.key_restored",
                None,
                json!({ "found": found.public }),
            )?;
        }
        write_atomic(&self.dir.join(HEADER_FILE), header.to_json().as_bytes())?;
        tx.commit()?;
        self.header = header;
        Ok(())
    }

    /// The verified intake key, for a watcher that goes on sealing once the vault is locked.
    pub fn intake_key(&self) -> Result<IntakeKey> {
        Ok(IntakeKey {
            inbox: self.dir.join(INBOX_DIR),
            public: self.intake_secret()?.public(),
            auth: std::sync::Arc::new(self.intake_auth()?),
            max_size: self.max_import_size()?,
        })
    }

    /// How many sealed files wait in the inbox.
    pub fn inbox_count(&self) -> usize {
        sealed_items(&self.dir.join(INBOX_DIR)).len()
    }

    /// Imports the files sealed while the vault was locked (see the module's promises), oldest
    /// first, stopping at [`Error::Interrupted`] (the vault is locking). `set_aside(folder,
    /// name, bytes, reason)` keeps a file whose import is refused for good in the folder it came
    /// from (authenticated metadata), saying where.
    pub fn import_inbox(&mut self, set_aside: &SetAside<'_>) -> Result<Vec<InboxItem>> {
        let inbox = self.dir.join(INBOX_DIR);
        remove_stale_parts(&inbox);
        let secret = self.intake_secret()?;
        let auth = self.intake_auth()?;
        let limit = self.max_import_size()?;
        let mut report = Vec::new();
        let failed = |name: Option<String>, reason: String| InboxItem {
            name,
            status: "failed",
            id: None,
            reason: Some(reason),
        };
        for (item, path) in sealed_items(&inbox) {
            let opened = read_bounded(&path, sealed::max_sealed_len(limit))
                .and_then(|whole| sealed::open(&secret, &auth, &item, &whole, limit));
            let (meta, plain) = match opened {
                Ok(o) => o,
                Err(e) => {
                    report.push(failed(None, format!("{}: {e}", path.display())));
                    continue;
                }
            };
            let outcome = match self.import_reader(&meta.name, &plain[..], Some(limit)) {
                Ok(o) => o,
                Err(Error::Interrupted) => return Err(Error::Interrupted),
                // Perhaps passing (a full disk): kept for the next unlock.
                Err(e @ Error::Io { .. }) => {
                    report.push(failed(Some(meta.name), e.to_string()));
                    continue;
                }
                Err(e) => {
                    let reason = e.to_string();
                    match set_aside(Path::new(&meta.folder), &meta.name, &plain, &reason) {
                        Ok(to) => {
                            fs::remove_file(&path).map_err(Error::io(&path))?;
                            sync_dir(&inbox)?;
                            let reason = format!("{reason} (set aside as {})", to.display());
                            report.push(failed(Some(meta.name), reason));
                        }
                        Err(io) => {
                            let reason = format!("{reason}; kept in the inbox: {io}");
                            report.push(failed(Some(meta.name), reason));
                        }
                    }
                    continue;
                }
            };
            drop(plain);
            let status = match outcome.status {
                ImportStatus::Imported => "imported",
                ImportStatus::Duplicate => "duplicate",
            };
            let id = outcome.document.id.clone();
            self.audited("intake.inbox", Some(&id), |_| {
                Ok((
                    (),
                    json!({ "status": status, "modified": meta.modified, "sealed_at": meta.sealed_at,
                            "folder": meta.folder, "rel": meta.rel }),
                ))
            })?;
            fs::remove_file(&path).map_err(Error::io(&path))?;
            sync_dir(&inbox)?;
            report.push(InboxItem {
                name: Some(meta.name),
                status,
                id: Some(id),
                reason: None,
            });
        }
        Ok(report)
    }
}

/// The file at `path`, if no longer than `max` bytes.
fn read_bounded(path: &Path, max: u64) -> std::result::Result<Vec<u8>, OpenError> {
    let file = File::open(path)?;
    if file.metadata()?.len() > max {
        return Err(OpenError::Refused("larger than any file the vault seals"));
    }
    let mut whole = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut whole)?;
    if whole.len() as u64 > max {
        return Err(OpenError::Refused("larger than any file the vault seals"));
    }
    Ok(whole)
}

/// The sealed items of `inbox`, oldest first (by modification time, then id).
fn sealed_items(inbox: &Path) -> Vec<(Uuid, PathBuf)> {
    let Ok(entries) = fs::read_dir(inbox) else {
        return Vec::new();
    };
    let mut items: Vec<(SystemTime, Uuid, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let id = Uuid::parse_str(name.strip_suffix(SEALED_SUFFIX)?).ok()?;
            // Only canonical names of regular files (no links).
            let meta = e.path().symlink_metadata().ok()?;
            (meta.is_file() && name == format!("{id}{SEALED_SUFFIX}")).then(|| {
                (
                    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    id,
                    e.path(),
                )
            })
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, id, p)| (id, p)).collect()
}

fn remove_stale_parts(inbox: &Path) {
    let Ok(entries) = fs::read_dir(inbox) else {
        return;
    };
    for e in entries.flatten() {
        let is_part = e.file_name().to_string_lossy().ends_with(PART_SUFFIX);
        let stale = e
            .path()
            .symlink_metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_PART);
        if is_part && stale {
            let _ = fs::remove_file(e.path());
        }
    }
}
