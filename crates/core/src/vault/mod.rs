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
//!
//! This file holds the [`Vault`] itself, its accessors and `Vault::audited`; the operations
//! are in one module per concern: `open` (create, unlock, the passphrase, failed unlocks),
//! `import` (sealing and committing documents, the import journal), `message` (e-mail
//! messages and their parts), `mailbox` (mail accounts and what was fetched from them),
//! `documents` (reading and correcting them), `verify` (the whole check and quarantine), `trail` (the audit trail as
//! read). Only this folder touches the `Vault`'s fields: the features above it read the index
//! through `Vault::conn` and `Vault::raw_setting`, find blobs through `Vault::blob_path` and
//! make every change through `Vault::audited`.

pub mod browse;
mod documents;
mod import;
pub mod inbox;
pub mod invoices;
pub mod lifecycle;
pub mod mailbox;
pub mod memory;
pub mod message;
mod open;
pub mod outputs;
pub(crate) mod rotation;
pub mod search;
pub mod settings;
pub(crate) mod shred;
mod trail;
mod verify;

use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::format::crypto::{KdfParams, MacKey, derive_subkey};
use crate::format::secret::SecretKey;
use crate::format::vault_format::{VaultHeader, labels};
use crate::storage::audit;
use crate::storage::index::Index;
use crate::storage::lock::VaultLock;
use crate::storage::store::BlobStore;
use crate::{Error, Result};

pub use crate::storage::settings::{DEFAULT_AUTO_LOCK_MINUTES, DEFAULT_MAX_IMPORT_BYTES};
pub use documents::DocumentDetails;
pub use import::{
    EXTRACTOR_VERSION, Fingerprint, ImportOutcome, ImportStatus, Prepared, Sealer, read_limited,
};
pub use message::{MessagePartRow, PartOutcome, PartStatus};
pub use open::{CreateOptions, OpenOptions};
pub use verify::{DocumentFault, QuarantineReport, VerifyReport};

/// Keys held while the vault is unlocked. Each zeroizes itself on drop.
struct Keys {
    /// Kept to re-wrap under a new passphrase; every other key derives from it anyway.
    master: SecretKey,
    doc_wrap: SecretKey,
    audit: SecretKey,
    /// MACs file names kept in the watched folders' memory.
    names: SecretKey,
    /// Signs bundles and backups; the intake key pair derives from it.
    signing_seed: SecretKey,
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) forgets the keys and releases the lock.
pub struct Vault {
    dir: PathBuf,
    header: VaultHeader,
    keys: Keys,
    /// Private to `vault/` like every field; features read through [`Vault::conn`] and write
    /// through [`Vault::audited`].
    pub(in crate::vault) index: Index,
    store: BlobStore,
    sealer: Sealer,
    /// A size limit for this unlock session only (`coffre import --max-size`).
    session_max_import: Option<u64>,
    /// The documents table's memory of its filters (counts, totals, page anchors).
    browse_cache: std::sync::Mutex<browse::BrowseCache>,
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

fn doc_key_aad(id: &Uuid) -> Vec<u8> {
    let mut aad = labels::WRAP_DOCUMENT.as_bytes().to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

impl Vault {
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

    /// The index's connection, for the features' reads. Changes go through
    /// [`Vault::audited`], never through this.
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        self.index.conn()
    }

    /// The text a feature stored under `key` in the index's settings (the backup folder, the
    /// time of the last backup, the import folder), `None` when unset. Typed settings are
    /// [`Vault::settings`].
    pub(crate) fn raw_setting(&self, key: &str) -> Result<Option<String>> {
        self.index.setting(key)
    }

    /// Where the blob of document `id` lives (backups copy it as it is, encrypted).
    pub(crate) fn blob_path(&self, id: &str) -> PathBuf {
        self.store.path_of(id)
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
}
