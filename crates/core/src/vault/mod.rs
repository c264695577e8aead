//! The vault: create, unlock, import, read, verify, change the passphrase, recover.
//!
//! Promises:
//! - nothing readable about a document reaches the disk: content goes only into blobs
//!   ([`crate::format::stream`]), metadata only into the encrypted index;
//! - an index row never exists without its complete blob: the blob is synced and renamed into
//!   place before the row's transaction commits; blobs left behind by a crash are removed on open;
//! - the same bytes are stored once (deduplication MAC under a vault key);
//! - every state change appends to the audit chain in the same transaction;
//! - keys live in zeroizing memory and are dropped by [`Vault::lock`] (or by dropping the vault).

pub mod browse;
pub mod lifecycle;
pub mod outputs;
pub(crate) mod rotation;
pub mod search;
pub mod settings;
pub(crate) mod shred;

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::format::crypto::{
    self, KdfParams, MacKey, derive_kek, derive_subkey, random_array, random_key, unwrap_key,
    wrap_key,
};
use crate::format::secret::{Passphrase, SecretKey};
use crate::format::stream::{BlobHeader, BlobReader, BlobWriter, blob_error};
use crate::format::vault_format::{
    self as fmt, HEADER_FILE, INDEX_FILE, KdfSection, LOCK_FILE, RecoveryKey, VaultHeader, labels,
};
use crate::records::fields;
use crate::records::media::MediaKind;
use crate::records::worker::{Extracted, Extractor};
use crate::storage::audit::{self, AuditEntry, ChainReport};
use crate::storage::head::{Check, Recorder};
use crate::storage::index::{Document, Index, NewDocument};
use crate::storage::lock::VaultLock;
use crate::storage::store::{BlobStore, PendingBlob};
use crate::support::files::{sync_dir, write_atomic};
use crate::vault::rotation::StableKeys;
use crate::vault::search::{SearchHit, SearchQuery};
use crate::{Error, Result};

pub use crate::storage::settings::{DEFAULT_AUTO_LOCK_MINUTES, DEFAULT_MAX_IMPORT_BYTES};

/// Options for opening a vault.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Skip the scan of every blob for orphans at open (it reads the whole `blobs/` folder:
    /// about 0.1 s per 100,000 documents); the caller runs [`Vault::quarantine_orphan_blobs`]
    /// soon after. Unfinished temporary files are removed at open either way.
    pub defer_orphan_scan: bool,
    /// Open an index that is older than the vault's rollback record (see [`crate::storage::head`])
    /// instead of refusing it; the acceptance is audited and blobs newer than the index go to
    /// quarantine. For `coffre recover --accept-older-index`, after the owner was told.
    pub accept_older_index: bool,
}

/// Options for a new vault.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// Argon2id parameters for the passphrase.
    pub kdf: KdfParams,
}

/// What became of a file offered for import.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", content = "document", rename_all = "lowercase")]
pub enum ImportOutcome {
    /// Stored as a new document.
    Imported(Document),
    /// The same bytes were already in the vault: this is the existing document.
    Duplicate(Document),
}

impl ImportOutcome {
    /// The document stored or found.
    pub fn document(&self) -> &Document {
        match self {
            ImportOutcome::Imported(d) | ImportOutcome::Duplicate(d) => d,
        }
    }
}

/// A document with its invoice data.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentDetails {
    /// The stored document.
    pub document: Document,
    /// The extraction's JSON (see `coffre-extract`) with the owner's corrections applied.
    pub fields: serde_json::Value,
    /// Every correction, oldest first.
    pub corrections: Vec<fields::Correction>,
}

/// Version of the extractor recorded with each extraction (the workspace version).
pub const EXTRACTOR_VERSION: &str = concat!("coffre-extract ", env!("CARGO_PKG_VERSION"));

/// Reads all of `reader` into zeroizing memory, refusing more than `limit` bytes.
pub fn read_limited(mut reader: impl Read, limit: u64) -> Result<Zeroizing<Vec<u8>>> {
    let mut plain = Zeroizing::new(Vec::new());
    let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if (plain.len() + n) as u64 > limit {
            return Err(Error::TooLarge { limit });
        }
        plain.extend_from_slice(&buf[..n]);
    }
    Ok(plain)
}

/// A document's content fingerprints.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint {
    sha256: [u8; 32],
    content_mac: [u8; 32],
}

/// The keys and store that preparing an import needs (not the index): cheap to clone, shareable
/// between worker threads. Its keys are zeroized when the last clone is dropped.
#[derive(Clone)]
pub struct Sealer {
    inner: Arc<SealerKeys>,
    store: BlobStore,
    extractor: Arc<Extractor>,
}

struct SealerKeys {
    doc_wrap: SecretKey,
    dedup: SecretKey,
}

/// A document read, fingerprinted, extracted, encrypted and synced under `tmp/`, waiting for
/// [`Vault::commit`]. Dropping it deletes its temporary blob.
pub struct Prepared {
    doc: Document,
    content_mac: [u8; 32],
    wrapped_key: Vec<u8>,
    data: serde_json::Value,
    text: String,
    /// The file name sealed under the document's key, for the audit trail.
    sealed_name: serde_json::Value,
    pending: PendingBlob,
}

impl Prepared {
    /// The document as it will be stored.
    pub fn document(&self) -> &Document {
        &self.doc
    }
}

impl Sealer {
    /// Stops the extraction workers at once (the vault is locking): documents being read come
    /// back as [`Error::Interrupted`] and stay journaled.
    pub fn halt(&self) {
        self.extractor.halt();
    }

    /// The content's SHA-256 and keyed fingerprint (HMAC of the SHA-256 under the dedup key).
    pub fn fingerprint(&self, plain: &[u8]) -> Fingerprint {
        let sha256 = crypto::sha256_of(plain);
        let content_mac = MacKey::new(&self.inner.dedup).mac_parts(&[&sha256]);
        Fingerprint {
            sha256,
            content_mac,
        }
    }

    /// Extracts the invoice data and writes the encrypted blob under `tmp/` (synced). The CPU-heavy
    /// half of an import: needs no lock on the vault.
    ///
    /// The document is parsed in a worker process ([`crate::records::worker`]); a document no worker can
    /// read is still prepared, flagged "could not be read". [`Error::Interrupted`] when the
    /// vault is locking.
    pub fn prepare(&self, name: &str, plain: &[u8], fp: Fingerprint) -> Result<Prepared> {
        let extraction = self
            .extractor
            .extract(plain, name)
            .map_err(|_| Error::Interrupted)?;
        let id = Uuid::new_v4();
        let id_str = id.hyphenated().to_string();
        let doc_key = random_key()?;
        let (file, pending) = self.store.create_pending(&id_str)?;
        let mut writer = BlobWriter::new(file, &doc_key, BlobHeader::new(*id.as_bytes())?)?;
        writer.write_all(plain)?;
        let file = writer
            .finish()?
            .into_inner()
            .map_err(|e| Error::from(e.into_error()))?;
        file.sync_all()?;
        drop(file);
        let kind = MediaKind::sniff(plain, name);
        let data = extraction.data();
        let sealed_name = crate::vault::shred::seal_name(&doc_key, &id, name)?;
        Ok(Prepared {
            doc: Document {
                id: id_str,
                name: name.to_owned(),
                size: plain.len() as u64,
                media_type: kind.mime().to_owned(),
                kind,
                sha256: hex::encode(fp.sha256),
                imported_at: now(),
            },
            content_mac: fp.content_mac,
            wrapped_key: wrap_key(&self.inner.doc_wrap, &doc_key, &doc_key_aad(&id))?,
            data,
            text: extraction.text,
            sealed_name,
            pending,
        })
    }
}

/// A document that failed verification.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentFault {
    /// The document's id.
    pub id: String,
    /// Its original file name.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// The result of [`Vault::verify`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Documents checked.
    pub documents: u64,
    /// Plaintext bytes decrypted and checked.
    pub bytes: u64,
    /// Documents that failed.
    pub faults: Vec<DocumentFault>,
    /// The audit chain's check.
    pub audit: ChainReport,
    /// Blobs in quarantine (no index row named them); `reattachable` ones have a row again.
    pub quarantine: QuarantineReport,
    /// Entries of `blobs/` that are not blobs (odd names, folders, links), left untouched.
    pub stray: Vec<PathBuf>,
}

/// What is in quarantine.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuarantineReport {
    /// Every quarantined blob id.
    pub blobs: Vec<String>,
    /// Those whose index row exists again (their index was put back): `coffre quarantine
    /// reattach` returns them.
    pub reattachable: Vec<String>,
}

impl VerifyReport {
    /// True when every document and the audit chain are intact. Quarantine and stray entries
    /// are reported beside, not faults: no document depends on them (a document whose blob
    /// sits in quarantine is a fault of its own, a missing blob).
    pub fn is_ok(&self) -> bool {
        self.faults.is_empty() && self.audit.faults.is_empty()
    }
}

/// Keys held while the vault is unlocked. Each zeroizes itself on drop.
struct Keys {
    /// Kept to re-wrap under a new passphrase; every other key derives from it anyway.
    master: SecretKey,
    doc_wrap: SecretKey,
    audit: SecretKey,
    /// MACs file names kept in the watched folders' memory.
    names: SecretKey,
    #[allow(dead_code)]
    // Signs bundles and backups (later issues); derived now so the format is fixed.
    signing_seed: SecretKey,
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) forgets the keys and releases the lock.
pub struct Vault {
    dir: PathBuf,
    header: VaultHeader,
    keys: Keys,
    pub(crate) index: Index,
    pub(crate) store: BlobStore,
    sealer: Sealer,
    /// A size limit for this unlock session only (`coffre import --max-size`).
    session_max_import: Option<u64>,
    // Declared last so it is released after everything else is closed.
    _lock: VaultLock,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("id", &self.header.vault_id)
            .finish_non_exhaustive()
    }
}

fn now() -> String {
    audit::now_rfc3339()
}

/// Failed unlocks and refused opens cannot be written into the encrypted index: their times
/// (and, for a refusal, its reason code) wait in this file, no other content, until the next
/// successful unlock moves them into the audit trail.
const FAILED_UNLOCKS_FILE: &str = "unlock-failures";

/// Reason codes of refused opens, as noted in [`FAILED_UNLOCKS_FILE`].
const REFUSALS: &[&str] = &["index-missing", "index-unusable", "index-rolled-back"];

fn note_failed_unlock(dir: &Path, refusal: Option<&str>) {
    use std::io::Write as _;
    let path = dir.join(FAILED_UNLOCKS_FILE);
    // A link planted there would make this write elsewhere.
    if fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        return;
    }
    if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(&path) {
        let _ = match refusal {
            Some(code) => writeln!(f, "{} {code}", now()),
            None => writeln!(f, "{}", now()),
        };
    }
}

/// Most noted events moved into the audit trail at one unlock: the file is writable by anyone
/// who can write the vault folder, so it may not flood the trail.
const MAX_NOTED: usize = 1000;

/// The noted events: (time, refusal code or `None` for a failed unlock). Malformed lines are
/// skipped; at most [`MAX_NOTED`], the most recent, are kept.
fn take_failed_unlocks(dir: &Path) -> Vec<(String, Option<&'static str>)> {
    let mut noted: Vec<(String, Option<&'static str>)> = read_failed_unlocks(dir);
    if noted.len() > MAX_NOTED {
        noted.drain(..noted.len() - MAX_NOTED);
    }
    noted
}

fn read_failed_unlocks(dir: &Path) -> Vec<(String, Option<&'static str>)> {
    // Read within a bound, whatever its size.
    let mut text = String::new();
    if let Ok(f) = File::open(dir.join(FAILED_UNLOCKS_FILE)) {
        let _ = f.take(1 << 20).read_to_string(&mut text);
    }
    text.lines()
        .filter_map(|l| {
            let (at, code) = l.trim().split_once(' ').unwrap_or((l.trim(), ""));
            if at.len() != 24 || !at.ends_with('Z') {
                return None;
            }
            match code {
                "" => Some((at.to_owned(), None)),
                c => REFUSALS
                    .iter()
                    .find(|r| **r == c)
                    .map(|r| (at.to_owned(), Some(*r))),
            }
        })
        .collect()
}

/// Whether `dir` holds nothing but (maybe) the lock file.
fn holds_only_lock(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries {
                if e.map_err(Error::io(dir))?.file_name() != LOCK_FILE {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(dir)(e)),
    }
}

/// How [`Vault::finish_open`] gets its index.
enum Opening<'a> {
    Create,
    Open(&'a OpenOptions),
}

fn doc_key_aad(id: &Uuid) -> Vec<u8> {
    let mut aad = labels::WRAP_DOCUMENT.as_bytes().to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

fn parse_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| Error::not_found(Kind::Document, id.to_owned()))
}

impl Vault {
    /// Creates a vault in `dir` (which must be absent or empty) and returns it unlocked, with the
    /// recovery key to show the user once.
    pub fn create(
        dir: &Path,
        passphrase: &Passphrase,
        options: &CreateOptions,
    ) -> Result<(Vault, RecoveryKey)> {
        passphrase.check_strength()?;
        options.kdf.validate()?;
        // Refuse early, before writing anything into someone else's folder.
        if !holds_only_lock(dir)? {
            return Err(Error::AlreadyExists(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        // Everything inside is encrypted; the folder is still nobody else's business.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(Error::io(dir))?;
        }
        // The lock before the last look: of two `init`s racing on one folder, one waits for
        // nothing and the other finds the lock held or the first vault's files.
        let lock = VaultLock::acquire(&dir.join(LOCK_FILE))?;
        if !holds_only_lock(dir)? {
            return Err(Error::AlreadyExists(dir.to_path_buf()));
        }

        let vault_id = Uuid::new_v4();
        let salt = random_array::<16>()?;
        let master = random_key()?;
        let recovery = RecoveryKey::generate()?;
        let mut header = VaultHeader {
            format: fmt::FORMAT_NAME.into(),
            version: fmt::FORMAT_VERSION,
            vault_id,
            created_at: now(),
            kdf: KdfSection {
                algorithm: "argon2id".into(),
                version: 0x13,
                params: options.kdf,
                salt: fmt::b64(&salt),
            },
            passphrase_wrap: String::new(),
            recovery_wrap: String::new(),
            previous_master: None,
        };
        let kek = derive_kek(passphrase, &salt, &options.kdf)?;
        header.passphrase_wrap = fmt::b64(&wrap_key(
            &kek,
            &master,
            &header.wrap_aad(labels::WRAP_PASSPHRASE),
        )?);
        let recovery_kek =
            derive_subkey(recovery.key(), vault_id.as_bytes(), labels::RECOVERY_KEK)?;
        header.recovery_wrap = fmt::b64(&wrap_key(
            &recovery_kek,
            &master,
            &header.wrap_aad(labels::WRAP_RECOVERY),
        )?);
        write_atomic(&dir.join(HEADER_FILE), header.to_json().as_bytes())?;
        let vault = Self::finish_open(dir, header, &master, lock, "vault.create", Opening::Create)?;
        Ok((vault, recovery))
    }

    /// Unlocks the vault in `dir` with its passphrase.
    pub fn open(dir: &Path, passphrase: &Passphrase) -> Result<Vault> {
        Self::open_with(dir, passphrase, &OpenOptions::default())
    }

    /// [`Vault::open`] with options (the desktop app defers the scan for orphan blobs until
    /// after its first screen).
    pub fn open_with(dir: &Path, passphrase: &Passphrase, options: &OpenOptions) -> Result<Vault> {
        let (header, lock) = Self::read_header_locked(dir)?;
        let salt = header.salt()?;
        let kek = derive_kek(passphrase, &salt, &header.kdf.params)?;
        let wrapped = header.decode(&header.passphrase_wrap)?;
        let Some(master) = unwrap_key(&kek, &wrapped, &header.wrap_aad(labels::WRAP_PASSPHRASE))?
        else {
            note_failed_unlock(dir, None);
            return Err(Error::WrongPassphrase);
        };
        Self::finish_open(
            dir,
            header,
            &master,
            lock,
            "vault.unlock",
            Opening::Open(options),
        )
    }

    /// Unlocks the vault in `dir` with its recovery key. Set a new passphrase next with
    /// [`Vault::change_passphrase`].
    pub fn open_with_recovery_key(dir: &Path, recovery: &RecoveryKey) -> Result<Vault> {
        Self::open_with_recovery_key_and(dir, recovery, &OpenOptions::default())
    }

    /// [`Vault::open_with_recovery_key`] with options.
    pub fn open_with_recovery_key_and(
        dir: &Path,
        recovery: &RecoveryKey,
        options: &OpenOptions,
    ) -> Result<Vault> {
        let (header, lock) = Self::read_header_locked(dir)?;
        let kek = derive_subkey(
            recovery.key(),
            header.vault_id.as_bytes(),
            labels::RECOVERY_KEK,
        )?;
        let wrapped = header.decode(&header.recovery_wrap)?;
        let Some(master) = unwrap_key(&kek, &wrapped, &header.wrap_aad(labels::WRAP_RECOVERY))?
        else {
            note_failed_unlock(dir, None);
            return Err(Error::WrongRecoveryKey);
        };
        Self::finish_open(
            dir,
            header,
            &master,
            lock,
            "vault.unlock_recovery",
            Opening::Open(options),
        )
    }

    fn read_header_locked(dir: &Path) -> Result<(VaultHeader, VaultLock)> {
        if !dir.join(HEADER_FILE).exists() {
            return Err(Error::NoVault(dir.to_path_buf()));
        }
        let lock = VaultLock::acquire(&dir.join(LOCK_FILE))?;
        Ok((VaultHeader::read(dir)?, lock))
    }

    /// The index, checked against the rollback record, with the reason of an older index the
    /// owner accepted. A refusal is noted for the audit trail of the next unlock.
    fn open_index(
        dir: &Path,
        header: &VaultHeader,
        master: &SecretKey,
        opening: &Opening<'_>,
    ) -> Result<(Index, StableKeys, Option<String>)> {
        let salt = header.vault_id.as_bytes();
        let index_key = derive_subkey(master, salt, labels::INDEX)?;
        let path = dir.join(INDEX_FILE);
        let options = match opening {
            Opening::Create => {
                let mut index = Index::create(&path, &index_key)?;
                let stable = StableKeys::of(index.conn(), master, &header.vault_id)?;
                index.set_recorder(Recorder::new(dir, MacKey::new(&stable.head)));
                return Ok((index, stable, None));
            }
            Opening::Open(options) => options,
        };
        let checked = Index::open(&path, &index_key).and_then(|index| {
            let stable = StableKeys::of(index.conn(), master, &header.vault_id)?;
            let recorder = Recorder::new(dir, MacKey::new(&stable.head));
            let verdict = match recorder.check(index.conn()) {
                Ok(Check::Behind(reason)) | Err(Error::IndexRolledBack { reason }) => Some(reason),
                Ok(Check::Current | Check::NoRecord) => None,
                Err(e) => return Err(e),
            };
            match verdict {
                Some(reason) if !options.accept_older_index => {
                    Err(Error::IndexRolledBack { reason })
                }
                accepted => Ok((index, recorder, stable, accepted)),
            }
        });
        let (mut index, recorder, stable, accepted) = checked.inspect_err(|e| {
            let code = match e {
                Error::IndexMissing { .. } => "index-missing",
                Error::IndexUnusable { .. } => "index-unusable",
                Error::IndexRolledBack { .. } => "index-rolled-back",
                _ => return,
            };
            note_failed_unlock(dir, Some(code));
        })?;
        index.set_recorder(recorder);
        Ok((index, stable, accepted))
    }

    fn finish_open(
        dir: &Path,
        header: VaultHeader,
        master: &SecretKey,
        lock: VaultLock,
        action: &str,
        opening: Opening<'_>,
    ) -> Result<Vault> {
        // A master-key rotation cut short is completed first (see `rotation`).
        let header = match opening {
            Opening::Open(_) if header.previous_master.is_some() => {
                crate::vault::rotation::complete(dir, &header, master)?
            }
            _ => header,
        };
        let (index, stable, accepted) = Self::open_index(dir, &header, master, &opening)?;
        let defer_scan = matches!(opening, Opening::Open(o) if o.defer_orphan_scan);
        let salt = header.vault_id.as_bytes();
        let keys = Keys {
            master: SecretKey::from_bytes(*master.dangerously_expose()),
            doc_wrap: derive_subkey(master, salt, labels::DOCUMENT_WRAP)?,
            audit: stable.audit,
            names: stable.names,
            signing_seed: stable.signing_seed,
        };
        let store = BlobStore::open(dir)?;
        let sealer = Sealer {
            inner: Arc::new(SealerKeys {
                doc_wrap: derive_subkey(master, salt, labels::DOCUMENT_WRAP)?,
                dedup: stable.dedup,
            }),
            store: store.clone(),
            extractor: Arc::new(Extractor::default()),
        };
        let mut vault = Vault {
            dir: dir.to_path_buf(),
            header,
            keys,
            index,
            store,
            sealer,
            session_max_import: None,
            _lock: lock,
        };
        let unfinished = vault.store.clear_tmp()?;
        let quarantined = if defer_scan {
            Vec::new()
        } else {
            vault.quarantine_unknown_blobs()?
        };
        // Documents stored before extraction existed (schema 1) get it now, once.
        if vault.index.needs_backfill("extractions")? {
            let missing = vault.index.documents_without_extraction()?;
            vault.reextract(&missing)?;
            vault.index.backfilled("extractions")?;
        }
        // Documents stored before retention existed (schema 3) get their dates now, once.
        crate::vault::lifecycle::compute_missing_retention(&mut vault)?;
        vault.backfill_watch_names()?;
        let audit_key = vault.audit_key();
        let noted = take_failed_unlocks(dir);
        let months = vault.audit_access_months()?;
        let tx = vault.index.transaction()?;
        for (at, refusal) in &noted {
            let (action, detail) = match refusal {
                None => ("vault.unlock_failed", json!({ "at": at })),
                Some(code) => ("vault.open_refused", json!({ "at": at, "reason": code })),
            };
            audit::append(&tx, &audit_key, action, None, detail)?;
        }
        if let Some(reason) = &accepted {
            audit::append(
                &tx,
                &audit_key,
                "vault.older_index_accepted",
                None,
                json!({ "reason": reason }),
            )?;
        }
        if !quarantined.is_empty() {
            audit::append(
                &tx,
                &audit_key,
                "vault.quarantine",
                None,
                json!({ "blobs": quarantined }),
            )?;
        }
        let detail = if unfinished > 0 {
            json!({ "removed_unfinished_imports": unfinished })
        } else {
            json!({})
        };
        audit::append(&tx, &audit_key, action, None, detail)?;
        // Access entries older than the setting (12 months by default) leave the trail, behind a
        // MACed checkpoint (CNIL: access logs 6 to 12 months).
        audit::prune_access(&tx, &audit_key, &audit::access_cutoff(months))?;
        tx.commit()?;
        if !noted.is_empty() {
            let _ = fs::remove_file(dir.join(FAILED_UNLOCKS_FILE));
        }
        Ok(vault)
    }

    /// Moves blobs that no index row names (left by a crash between a blob's placement and its
    /// transaction, copied back after disposal, or newer than an index put back) to quarantine:
    /// never deleted here. Blobs are placed only under `&mut self`, so this never races an
    /// import. Returns the ids moved.
    fn quarantine_unknown_blobs(&mut self) -> Result<Vec<String>> {
        let known: std::collections::HashSet<String> =
            self.index.document_ids()?.into_iter().collect();
        let mut moved = Vec::new();
        for id in self.store.list()?.ids {
            if !known.contains(&id) {
                self.store.quarantine(&id)?;
                moved.push(id);
            }
        }
        Ok(moved)
    }

    /// The scan for unknown blobs deferred by [`OpenOptions::defer_orphan_scan`]: moves them to
    /// quarantine, with a `vault.quarantine` audit entry when there were any. Returns how many.
    pub fn quarantine_orphan_blobs(&mut self) -> Result<usize> {
        let moved = self.quarantine_unknown_blobs()?;
        if !moved.is_empty() {
            let n = moved.len();
            self.audited("vault.quarantine", None, |_| {
                Ok(((), json!({ "blobs": moved })))
            })?;
            return Ok(n);
        }
        Ok(0)
    }

    /// What is in quarantine, and which of those blobs have their index row again.
    pub fn quarantine(&self) -> Result<QuarantineReport> {
        let blobs = self.store.quarantined()?;
        let known: std::collections::HashSet<String> =
            self.index.document_ids()?.into_iter().collect();
        let reattachable = blobs
            .iter()
            .filter(|id| known.contains(*id) && !self.store.path_of(id).exists())
            .cloned()
            .collect();
        Ok(QuarantineReport {
            blobs,
            reattachable,
        })
    }

    /// Puts back every quarantined blob whose index row exists again and whose place is empty
    /// (audited). Returns their ids.
    pub fn reattach_quarantined(&mut self) -> Result<Vec<String>> {
        let ids = self.quarantine()?.reattachable;
        for id in &ids {
            self.store.reattach(id)?;
        }
        if !ids.is_empty() {
            let detail = json!({ "blobs": ids });
            self.audited("vault.reattach", None, |_| Ok(((), detail)))?;
        }
        Ok(ids)
    }

    /// Deletes quarantined blobs for good (`ids`, or all when empty), audited. Blobs whose row
    /// exists again are never purged: re-attach them instead. Returns the ids deleted.
    pub fn purge_quarantine(&mut self, ids: &[String]) -> Result<Vec<String>> {
        let report = self.quarantine()?;
        let known: std::collections::HashSet<String> =
            self.index.document_ids()?.into_iter().collect();
        let chosen: Vec<String> = report
            .blobs
            .into_iter()
            .filter(|id| ids.is_empty() || ids.contains(id))
            .filter(|id| !known.contains(id))
            .collect();
        for id in &chosen {
            self.store.purge(id)?;
        }
        if !chosen.is_empty() {
            let detail = json!({ "blobs": chosen });
            self.audited("vault.quarantine_purge", None, |_| Ok(((), detail)))?;
        }
        Ok(chosen)
    }

    /// Forgets the keys and releases the vault.
    pub fn lock(self) {}

    /// Closes everything but the folder's lock (a master-key rotation then works on the files).
    pub(crate) fn into_lock(self) -> VaultLock {
        let Vault { _lock, .. } = self;
        _lock
    }

    pub(crate) fn header(&self) -> &VaultHeader {
        &self.header
    }

    pub(crate) fn master(&self) -> &SecretKey {
        &self.keys.master
    }

    /// The vault's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Argon2id costs of the passphrase.
    pub fn kdf_params(&self) -> KdfParams {
        self.header.kdf.params
    }

    /// The vault's random id.
    pub fn id(&self) -> Uuid {
        self.header.vault_id
    }

    /// The SQLCipher key of the index (for backups' snapshots).
    pub(crate) fn index_key(&self) -> Result<SecretKey> {
        derive_subkey(
            &self.keys.master,
            self.header.vault_id.as_bytes(),
            labels::INDEX,
        )
    }

    pub(crate) fn audit_key(&self) -> MacKey {
        MacKey::new(&self.keys.audit)
    }

    /// Sets a new passphrase (re-wraps the master key; no document is re-encrypted).
    ///
    /// The key derivation gets fresh costs: this build's defaults, or the vault's own where
    /// they were higher, so a passphrase change never keeps costs that have grown weak.
    pub fn change_passphrase(&mut self, new: &Passphrase) -> Result<()> {
        new.check_strength()?;
        let salt = random_array::<16>()?;
        let mut header = self.header.clone();
        let defaults = KdfParams::default();
        header.kdf.params = KdfParams {
            memory_kib: header.kdf.params.memory_kib.max(defaults.memory_kib),
            iterations: header.kdf.params.iterations.max(defaults.iterations),
            parallelism: defaults.parallelism,
        };
        header.kdf.params.validate()?;
        let kek = derive_kek(new, &salt, &header.kdf.params)?;
        header.kdf.salt = fmt::b64(&salt);
        header.passphrase_wrap = fmt::b64(&wrap_key(
            &kek,
            &self.keys.master,
            &header.wrap_aad(labels::WRAP_PASSPHRASE),
        )?);
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        audit::append(&tx, &audit_key, "vault.passphrase_change", None, json!({}))?;
        write_atomic(&self.dir.join(HEADER_FILE), header.to_json().as_bytes())?;
        tx.commit()?;
        self.header = header;
        Ok(())
    }

    /// Overrides the import size limit until the vault is locked (not saved).
    pub fn set_import_limit_for_session(&mut self, bytes: u64) {
        self.session_max_import = Some(bytes);
    }

    /// Makes a change and records it in the audit trail, in one transaction: the vault's rule for
    /// every state change. `change` returns its result and the audit entry's detail.
    pub(crate) fn audited<T>(
        &mut self,
        action: &str,
        doc_id: Option<&str>,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(T, serde_json::Value)>,
    ) -> Result<T> {
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        let (out, detail) = change(&tx)?;
        audit::append(&tx, &audit_key, action, doc_id, detail)?;
        tx.commit()?;
        Ok(out)
    }

    /// Checks `passphrase` against the vault's header without changing anything (to confirm
    /// intent before a sensitive change). A wrong one is counted as a failed unlock.
    pub fn check_passphrase(&self, passphrase: &Passphrase) -> Result<()> {
        let header = &self.header;
        let kek = derive_kek(passphrase, &header.salt()?, &header.kdf.params)?;
        let wrapped = header.decode(&header.passphrase_wrap)?;
        match unwrap_key(&kek, &wrapped, &header.wrap_aad(labels::WRAP_PASSPHRASE))? {
            Some(_) => Ok(()),
            None => {
                note_failed_unlock(&self.dir, None);
                Err(Error::WrongPassphrase)
            }
        }
    }

    /// Imports the file at `path` under its file name.
    pub fn import_file(&mut self, path: &Path, max_size: Option<u64>) -> Result<ImportOutcome> {
        let limit = match max_size {
            Some(l) => l,
            None => self.max_import_size()?,
        };
        let file = File::open(path).map_err(Error::io(path))?;
        let meta = file.metadata().map_err(Error::io(path))?;
        if !meta.is_file() {
            return Err(Error::io(path)(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        if meta.len() > limit {
            return Err(Error::TooLarge { limit });
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into());
        self.import_reader(&name, BufReader::new(file), Some(limit))
            .map_err(|e| match e {
                Error::Io { path: None, source } => Error::io(path)(source),
                other => other,
            })
    }

    /// Imports a document read from `reader`, named `name`: reads it (in zeroizing memory, up to
    /// the size limit), extracts its invoice data, encrypts it, and records it in one transaction.
    pub fn import_reader(
        &mut self,
        name: &str,
        reader: impl Read,
        max_size: Option<u64>,
    ) -> Result<ImportOutcome> {
        let limit = match max_size {
            Some(l) => l,
            None => self.max_import_size()?,
        };
        let plain = read_limited(reader, limit)?;
        let sealer = self.sealer();
        let fp = sealer.fingerprint(&plain);
        if let Some(existing) = self.find_duplicate(&fp)? {
            return Ok(ImportOutcome::Duplicate(existing));
        }
        let prepared = sealer.prepare(name, &plain, fp)?;
        drop(plain);
        self.commit(prepared, None)
    }

    /// What import needs besides the index, for workers that prepare imports in parallel.
    pub fn sealer(&self) -> Sealer {
        self.sealer.clone()
    }

    /// The stored document with this content, if any.
    pub fn find_duplicate(&self, fp: &Fingerprint) -> Result<Option<Document>> {
        match Index::find_by_mac(self.index.conn(), &fp.content_mac)? {
            Some(id) => Ok(Some(self.index.resolve(&id)?)),
            None => Ok(None),
        }
    }

    /// Makes a prepared document durable (see [`Vault::commit_batch`]).
    pub fn commit(&mut self, prepared: Prepared, job: Option<i64>) -> Result<ImportOutcome> {
        self.commit_batch(vec![(prepared, job)])?
            .pop()
            .expect("one result per document")
    }

    /// Makes prepared documents durable together ("group commit"): their blobs are renamed into
    /// place and their folders synced, then one transaction records each (row, key, extraction,
    /// search entry, retention, audit entry, and its journal job), each inside a savepoint so that
    /// one failure does not undo the others. Content already stored (or earlier in the batch) is
    /// a duplicate and its blob is dropped. One result per document, in order; the outer error
    /// is for a failure of the whole transaction.
    pub fn commit_batch(
        &mut self,
        batch: Vec<(Prepared, Option<i64>)>,
    ) -> Result<Vec<Result<ImportOutcome>>> {
        let audit_key = self.audit_key();
        let store = self.store.clone();
        let mut tx = self.index.transaction()?;
        let mut results = Vec::with_capacity(batch.len());
        let mut shards = std::collections::BTreeSet::new();
        let mut placed = Vec::new();
        for (prepared, job) in batch {
            if let Some(existing) = Index::find_by_mac(&tx, &prepared.content_mac)? {
                drop(prepared); // removes its temporary blob
                let doc = Index::resolve_in(&tx, &existing)?;
                if let Some(job) = job {
                    Index::finish_job(&tx, job, "duplicate", Some(&doc.id), None)?;
                }
                results.push(Ok(ImportOutcome::Duplicate(doc)));
                continue;
            }
            let Prepared {
                doc,
                content_mac,
                wrapped_key,
                data,
                text,
                sealed_name,
                pending,
            } = prepared;
            let sp = tx.savepoint()?;
            let one = (|| -> Result<()> {
                shards.insert(store.place(pending, &doc.id)?);
                Index::insert_document(
                    &sp,
                    &NewDocument {
                        doc: &doc,
                        content_mac: &content_mac,
                        wrapped_key: &wrapped_key,
                    },
                )?;
                Index::put_extraction(&sp, &doc.id, EXTRACTOR_VERSION, &data)?;
                Index::refresh_search(&sp, &doc.id, &data, Some(&text))?;
                crate::vault::lifecycle::compute_retention(&sp, &doc.id)?;
                if let Some(job) = job {
                    Index::finish_job(&sp, job, "done", Some(&doc.id), None)?;
                }
                audit::append(
                    &sp,
                    &audit_key,
                    "document.import",
                    Some(&doc.id),
                    json!({ "name": sealed_name, "size": doc.size, "media_type": doc.media_type,
                            "format": data.get("format") }),
                )?;
                Ok(())
            })();
            match one {
                Ok(()) => {
                    sp.commit()?;
                    placed.push(doc.id.clone());
                    results.push(Ok(ImportOutcome::Imported(doc)));
                }
                Err(e) => {
                    drop(sp); // rolls back this document only
                    let _ = store.remove(&doc.id);
                    results.push(Err(e));
                }
            }
        }
        // Blobs durable before the rows that point to them.
        let durable = shards
            .iter()
            .try_for_each(|s| sync_dir(s))
            .and_then(|()| tx.commit());
        if let Err(e) = durable {
            // No row committed: the placed blobs are garbage (open would collect them too).
            for id in &placed {
                let _ = store.remove(id);
            }
            return Err(e);
        }
        Ok(results)
    }

    /// Journals import jobs for these sources (one transaction); returns their ids in order.
    pub fn journal_jobs(&mut self, sources: &[PathBuf], origin: &str) -> Result<Vec<i64>> {
        let tx = self.index.transaction()?;
        let ids = Index::add_jobs(&tx, sources, origin)?;
        tx.commit()?;
        Ok(ids)
    }

    /// Ends a journaled job that did not store a document (`duplicate` or `failed`).
    pub fn end_job(
        &mut self,
        id: i64,
        state: &str,
        doc_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        let tx = self.index.transaction()?;
        Index::finish_job(&tx, id, state, doc_id, reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Journaled jobs a crash or kill left unfinished: (id, source, origin).
    pub fn pending_jobs(&self) -> Result<Vec<(i64, PathBuf, String)>> {
        self.index.pending_jobs()
    }

    /// A file name as the watched folders' memory keeps it: a keyed MAC, so the index holds no
    /// readable name of a file kept in place (nor of a document disposed of since).
    fn watch_name(&self, rel: &str) -> String {
        format!(
            "mac:{}",
            hex::encode(MacKey::new(&self.keys.names).mac_parts(&[rel.as_bytes()]))
        )
    }

    /// What a watched folder remembers of a file it kept in place: (size, mtime in ns).
    pub fn watch_recall(&self, folder: &str, rel: &str) -> Result<Option<(u64, i128)>> {
        self.index.watch_recall(folder, &self.watch_name(rel))
    }

    /// Remembers a file a watched folder kept in place, so that it is not imported again.
    pub fn watch_remember(
        &mut self,
        folder: &str,
        rel: &str,
        size: u64,
        mtime_ns: i128,
    ) -> Result<()> {
        let name = self.watch_name(rel);
        let tx = self.index.transaction()?;
        Index::watch_remember(&tx, folder, &name, size, mtime_ns)?;
        tx.commit()?;
        Ok(())
    }

    /// Rewrites the watched folders' memory from plain names to keyed MACs (schema 11), once.
    fn backfill_watch_names(&mut self) -> Result<()> {
        if !self.index.needs_backfill("watch_names")? {
            return Ok(());
        }
        let rows: Vec<(String, String)> = {
            let mut stmt = self
                .index
                .conn()
                .prepare("SELECT folder, rel FROM watch_seen WHERE rel NOT LIKE 'mac:%'")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let renamed: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|(folder, rel)| {
                let mac = self.watch_name(&rel);
                (folder, rel, mac)
            })
            .collect();
        let tx = self.index.transaction()?;
        for (folder, rel, mac) in &renamed {
            tx.execute(
                "UPDATE OR REPLACE watch_seen SET rel = ?3 WHERE folder = ?1 AND rel = ?2",
                rusqlite::params![folder, rel, mac],
            )?;
        }
        tx.execute(
            "DELETE FROM settings WHERE key = 'backfill.watch_names'",
            [],
        )?;
        tx.commit()
    }

    /// Every document.
    pub fn documents(&self) -> Result<Vec<Document>> {
        self.index.documents()
    }

    /// The document with this id or unique id prefix.
    pub fn document(&self, id_or_prefix: &str) -> Result<Document> {
        self.index.resolve(id_or_prefix)
    }

    /// The key of a document still in the index (`None` once it was disposed of).
    pub(crate) fn document_key(&self, id: &str) -> Result<Option<SecretKey>> {
        let uuid = parse_id(id)?;
        let Some(wrapped) = self.index.wrapped_key(id)? else {
            return Ok(None);
        };
        unwrap_key(&self.keys.doc_wrap, &wrapped, &doc_key_aad(&uuid))?
            .map(Some)
            .ok_or_else(|| Error::Tampered {
                id: id.to_owned(),
                reason: "its key does not unwrap".into(),
            })
    }

    fn blob_reader(&self, doc: &Document) -> Result<BlobReader<BufReader<File>>> {
        let uuid = parse_id(&doc.id)?;
        let key = self.document_key(&doc.id)?.ok_or_else(|| Error::Tampered {
            id: doc.id.clone(),
            reason: "its key is missing from the index".into(),
        })?;
        let file = self
            .store
            .open_blob(&doc.id)?
            .ok_or(Error::MissingBlob { id: doc.id.clone() })?;
        BlobReader::new(
            BufReader::with_capacity(256 * 1024, file),
            &key,
            uuid.as_bytes(),
        )
        .map_err(|e| self.read_error(doc, e))
    }

    fn read_error(&self, doc: &Document, e: io::Error) -> Error {
        match blob_error(&e) {
            Some(be) => Error::Tampered {
                id: doc.id.clone(),
                reason: be.to_string(),
            },
            None => Error::io(self.store.path_of(&doc.id))(e),
        }
    }

    /// Decrypts a whole document and checks it against its recorded size and SHA-256, writing the
    /// plaintext to `sink` as it goes (only authenticated chunks reach `sink`).
    pub(crate) fn decrypt_checked(&self, doc: &Document, sink: &mut dyn Write) -> Result<u64> {
        let mut reader = self.blob_reader(doc)?;
        let mut sha = crypto::sha256();
        let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(doc, e)),
            };
            sha.update(&buf[..n]);
            sink.write_all(&buf[..n])?;
            total += n as u64;
        }
        if total != doc.size || hex::encode(sha.finish()) != doc.sha256 {
            return Err(Error::Tampered {
                id: doc.id.clone(),
                reason: "its content does not match the recorded size and SHA-256".into(),
            });
        }
        Ok(total)
    }

    fn record_read(&mut self, doc: &Document, how: &str) -> Result<()> {
        let key = self
            .document_key(&doc.id)?
            .ok_or_else(|| Error::not_found(Kind::Document, doc.id.clone()))?;
        let name = crate::vault::shred::seal_name(&key, &parse_id(&doc.id)?, &doc.name)?;
        drop(key);
        self.audited("document.read", Some(&doc.id), |_| {
            Ok(((), json!({ "name": name, "via": how })))
        })
    }

    /// The whole plaintext of a document, verified, in zeroizing memory.
    pub fn read_document(&mut self, id_or_prefix: &str) -> Result<(Document, Zeroizing<Vec<u8>>)> {
        let doc = self.document(id_or_prefix)?;
        let mut out = Zeroizing::new(Vec::with_capacity(doc.size as usize));
        self.decrypt_checked(&doc, &mut *out)?;
        self.record_read(&doc, "memory")?;
        Ok((doc, out))
    }

    /// Writes a document's plaintext to `out`. The whole blob is authenticated first, so a
    /// damaged document writes nothing.
    pub fn write_document_to(
        &mut self,
        id_or_prefix: &str,
        out: &mut dyn Write,
    ) -> Result<Document> {
        let doc = self.document(id_or_prefix)?;
        self.decrypt_checked(&doc, &mut io::sink())?;
        self.record_read(&doc, "export")?;
        self.decrypt_checked(&doc, out)?;
        Ok(doc)
    }

    /// Saves a plaintext copy of a document at `dest` (the owner's choice, "save a copy"):
    /// refused inside the vault or the import folder and over an existing file; written as a
    /// `.part` file beside it, synced, then given its name. Audited as a read.
    pub fn save_copy(&mut self, id_or_prefix: &str, dest: &Path) -> Result<Document> {
        self.check_output(dest, crate::vault::outputs::Output::File)?;
        let (part, mut file) = crate::vault::outputs::PartFile::create(dest)?;
        let doc = self.write_document_to(id_or_prefix, &mut file)?;
        file.sync_all().map_err(Error::io(part.path()))?;
        drop(file);
        part.persist()?;
        Ok(doc)
    }

    /// Decrypts and checks every document, and checks the audit chain.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            documents: 0,
            bytes: 0,
            faults: Vec::new(),
            audit: audit::verify(self.index.conn(), &self.audit_key())?,
            quarantine: self.quarantine()?,
            stray: self.store.list()?.stray,
        };
        for doc in self.documents()? {
            report.documents += 1;
            match self.decrypt_checked(&doc, &mut io::sink()) {
                Ok(n) => report.bytes += n,
                Err(
                    e @ (Error::Tampered { .. } | Error::MissingBlob { .. } | Error::Io { .. }),
                ) => report.faults.push(DocumentFault {
                    id: doc.id.clone(),
                    name: doc.name.clone(),
                    reason: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        audit::append(
            &tx,
            &audit_key,
            "vault.verify",
            None,
            json!({
                "documents": report.documents,
                "document_faults": report.faults.len(),
                "audit_faults": report.audit.faults.len(),
                "quarantined": report.quarantine.blobs.len(),
            }),
        )?;
        tx.commit()?;
        Ok(report)
    }

    /// A document with its invoice data (corrections applied) and the history of corrections.
    pub fn details(&self, id_or_prefix: &str) -> Result<DocumentDetails> {
        let document = self.document(id_or_prefix)?;
        let conn = self.index.conn();
        let extracted = Index::extraction(conn, &document.id)?.unwrap_or_else(|| json!({}));
        let corrections = Index::corrections(conn, &document.id)?;
        Ok(DocumentDetails {
            fields: fields::effective(&extracted, &corrections),
            document,
            corrections,
        })
    }

    /// Corrects one field of a document's invoice data (`None` clears it). The extracted value is
    /// kept; the correction, with the value it replaces, joins the document's history and the
    /// audit trail (GDPR rectification).
    pub fn correct(&mut self, id_or_prefix: &str, field: &str, value: Option<&str>) -> Result<()> {
        let new_value = fields::validate(field, value)?;
        let details = self.details(id_or_prefix)?;
        let old_value = fields::get(&details.fields, field).map(str::to_owned);
        // Entering the issue date it already shows confirms it: retention then counts from it
        // (see `retention::Policy::retention_base`).
        let confirms_date =
            field == "issue_date" && !details.corrections.iter().any(|c| c.field == field);
        if old_value == new_value && !confirms_date {
            return Ok(());
        }
        let id = details.document.id;
        let correction = fields::Correction {
            field: field.to_owned(),
            old_value,
            new_value,
            at: now(),
        };
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        Index::add_correction(&tx, &id, &correction)?;
        let extracted = Index::extraction(&tx, &id)?.unwrap_or_else(|| json!({}));
        let corrections = Index::corrections(&tx, &id)?;
        Index::refresh_search(&tx, &id, &fields::effective(&extracted, &corrections), None)?;
        crate::vault::lifecycle::compute_retention(&tx, &id)?;
        // The values stay in the corrections table, not in the trail (they may be personal data).
        audit::append(
            &tx,
            &audit_key,
            "document.correct",
            Some(&id),
            json!({ "field": field }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Runs extraction again on the given documents (all when `ids` is empty), for example after
    /// an upgrade. Corrections are kept and still win. Returns how many were re-extracted.
    pub fn reextract(&mut self, ids: &[String]) -> Result<usize> {
        let docs = if ids.is_empty() {
            self.documents()?
        } else {
            ids.iter()
                .map(|i| self.document(i))
                .collect::<Result<Vec<_>>>()?
        };
        let audit_key = self.audit_key();
        for doc in &docs {
            let mut plain = Zeroizing::new(Vec::with_capacity(doc.size as usize));
            self.decrypt_checked(doc, &mut *plain)?;
            let extraction: Extracted = self
                .sealer
                .extractor
                .extract(&plain, &doc.name)
                .map_err(|_| Error::Interrupted)?;
            drop(plain);
            let data = extraction.data();
            let tx = self.index.transaction()?;
            Index::put_extraction(&tx, &doc.id, EXTRACTOR_VERSION, &data)?;
            let corrections = Index::corrections(&tx, &doc.id)?;
            let effective = fields::effective(&data, &corrections);
            Index::refresh_search(&tx, &doc.id, &effective, Some(&extraction.text))?;
            crate::vault::lifecycle::compute_retention(&tx, &doc.id)?;
            audit::append(
                &tx,
                &audit_key,
                "document.reextract",
                Some(&doc.id),
                json!({ "extractor": EXTRACTOR_VERSION }),
            )?;
            tx.commit()?;
        }
        Ok(docs.len())
    }

    /// Searches the documents (full text and filters), best first.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        crate::vault::search::search(self.index.conn(), query)
    }

    /// The audit trail, optionally only about one document.
    pub fn audit_entries(&self, doc_id: Option<&str>) -> Result<Vec<AuditEntry>> {
        let mut entries = audit::entries(self.index.conn(), doc_id)?;
        self.reveal(&mut entries);
        Ok(entries)
    }

    /// At most `limit` audit entries before sequence number `before`, newest first.
    pub fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut entries = audit::entries_page(self.index.conn(), before, limit)?;
        self.reveal(&mut entries);
        Ok(entries)
    }

    /// The vault's Ed25519 signing key (bundles, backups), from its signing seed.
    pub(crate) fn signing_key(&self) -> Result<ring::signature::Ed25519KeyPair> {
        ring::signature::Ed25519KeyPair::from_seed_unchecked(
            self.keys.signing_seed.dangerously_expose(),
        )
        .map_err(|_| Error::Crypto("ed25519 key from seed"))
    }

    /// The vault's public signing key (32 bytes), which verifies its bundles and backups.
    pub fn signing_public_key(&self) -> Result<Vec<u8>> {
        use ring::signature::KeyPair;
        Ok(self.signing_key()?.public_key().as_ref().to_vec())
    }

    /// Checks the audit chain alone.
    pub fn verify_audit(&self) -> Result<ChainReport> {
        audit::verify(self.index.conn(), &self.audit_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &dest);
            } else {
                fs::copy(e.path(), dest).unwrap();
            }
        }
    }

    /// Documents from before extractions (schema 2) or retention (schema 4) existed get them at
    /// the first open after the migration, which leaves a flag; without the flag open does not
    /// look (it would read every document at each unlock).
    #[test]
    fn documents_from_older_schemas_are_backfilled_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let pass = Passphrase::new("backfill test pass".into());
        let opts = CreateOptions {
            kdf: KdfParams::MINIMUM,
        };
        let (mut vault, _) = Vault::create(&dir, &pass, &opts).unwrap();
        let id = vault
            .import_file(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../extract/tests/fixtures/ubl-invoice-eur.xml"),
                None,
            )
            .unwrap()
            .document()
            .id
            .clone();
        assert!(!vault.index.needs_backfill("extractions").unwrap());
        assert!(!vault.index.needs_backfill("retention").unwrap());
        let index_key = derive_subkey(
            &vault.keys.master,
            vault.header.vault_id.as_bytes(),
            labels::INDEX,
        )
        .unwrap();
        drop(vault);
        // What a vault migrated from schema 1 looks like: rows missing, and the flags.
        let conn = rusqlite::Connection::open(dir.join(INDEX_FILE)).unwrap();
        let hexkey = Zeroizing::new(hex::encode(index_key.dangerously_expose()));
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hexkey.as_str()))
            .unwrap();
        conn.execute_batch(
            "DELETE FROM extractions; DELETE FROM retention;
             INSERT INTO settings (key, value) VALUES ('backfill.extractions', '1'),
                                                      ('backfill.retention', '1');",
        )
        .unwrap();
        drop(conn);
        let vault = Vault::open(&dir, &pass).unwrap();
        assert_eq!(vault.details(&id).unwrap().fields["number"], "FA-2026-0001");
        assert_eq!(
            vault.retention_of(&id).unwrap().category,
            "invoice-received"
        );
        assert!(!vault.index.needs_backfill("extractions").unwrap());
        assert!(!vault.index.needs_backfill("retention").unwrap());
    }

    /// Someone with the index key edits `index.db` with any SQLite tool: `verify` notices.
    #[test]
    fn audit_verify_catches_tampering_made_to_the_database_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let pass = Passphrase::new("tamper test pass".into());
        let opts = CreateOptions {
            kdf: KdfParams::MINIMUM,
        };
        let (mut vault, _) = Vault::create(&dir, &pass, &opts).unwrap();
        for i in 0..4 {
            vault
                .import_reader(&format!("d{i}.xml"), format!("<a>{i}</a>").as_bytes(), None)
                .unwrap();
        }
        let index_key = derive_subkey(
            &vault.keys.master,
            vault.header.vault_id.as_bytes(),
            labels::INDEX,
        )
        .unwrap();
        drop(vault);
        let tampering = [
            ("modified entry", "UPDATE audit SET detail = '{\"name\":\"other.xml\"}' WHERE seq = 3"),
            ("deleted entry", "DELETE FROM audit WHERE seq = 2"),
            ("reordered entries", "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1"),
            ("inserted entry", "INSERT INTO audit (seq, at, action, doc_id, detail, mac) SELECT 100, at, 'document.read', doc_id, detail, mac FROM audit WHERE seq = 3; UPDATE audit_head SET seq = 100"),
            ("cut tail", "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"),
            (
                "cut tail, head rewound",
                "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);
                 UPDATE audit_head SET seq = seq - 1, mac = (SELECT mac FROM audit WHERE seq = (SELECT max(seq) FROM audit))",
            ),
        ];
        for (what, sql) in tampering {
            let copy = tmp.path().join(what.replace(' ', "-"));
            copy_dir(&dir, &copy);
            let _ = fs::remove_file(copy.join(LOCK_FILE));
            let conn = rusqlite::Connection::open(copy.join(INDEX_FILE)).unwrap();
            let hexkey = Zeroizing::new(hex::encode(index_key.dangerously_expose()));
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hexkey.as_str()))
                .unwrap();
            conn.execute_batch(sql).unwrap();
            drop(conn);
            match Vault::open(&copy, &pass) {
                // A cut tail is older than the rollback record: open refuses it first.
                Err(Error::IndexRolledBack { .. }) if what.starts_with("cut tail") => {}
                Ok(vault) => {
                    let report = vault.verify_audit().unwrap();
                    assert!(!report.faults.is_empty(), "{what} went unnoticed");
                }
                Err(e) => panic!("{what}: {e}"),
            }
        }
        // The untouched vault still verifies.
        assert!(
            Vault::open(&dir, &pass)
                .unwrap()
                .verify_audit()
                .unwrap()
                .faults
                .is_empty()
        );
    }
}
