//! Getting into a vault: creating one, unlocking it with the passphrase or the recovery key,
//! checking and changing the passphrase.
//!
//! Promises: a new vault is created only in an absent or empty folder, under its lock; an open
//! never creates an index and refuses one older than the rollback record unless the owner
//! accepted it; a rotation cut short is completed first; failed unlocks and refused opens are
//! noted in a plain file (times and reason codes only) and moved into the audit trail at the
//! next successful unlock.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use serde_json::json;
use uuid::Uuid;

use crate::format::crypto::{
    KdfParams, MacKey, derive_kek, derive_subkey, random_array, random_key, unwrap_key, wrap_key,
};
use crate::format::secret::{Passphrase, SecretKey};
use crate::format::vault_format::{
    self as fmt, HEADER_FILE, INDEX_FILE, KdfSection, LOCK_FILE, RecoveryKey, VaultHeader, labels,
};
use crate::storage::audit;
use crate::storage::head::{Check, Recorder};
use crate::storage::index::Index;
use crate::storage::lock::VaultLock;
use crate::storage::store::BlobStore;
use crate::support::files::write_atomic;
use crate::vault::rotation::StableKeys;
use crate::vault::{Keys, Sealer, Vault, now};
use crate::{Error, Result};

/// Options for opening a vault.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Skip the scan of every blob for orphans at open (it reads the whole `blobs/` folder:
    /// about 0.1 s per 100,000 documents); the caller runs [`Vault::quarantine_orphan_blobs`]
    /// soon after. Unfinished temporary files are removed at open either way.
    pub defer_orphan_scan: bool,
    /// Open an index that is older than the vault's rollback record (`head.json`)
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
            intake: None,
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
        let rules = crate::storage::settings::mail_rules(index.conn())?;
        let sealer = Sealer::new(
            derive_subkey(master, salt, labels::DOCUMENT_WRAP)?,
            stable.dedup,
            store.clone(),
            rules,
        );
        let mut vault = Vault {
            dir: dir.to_path_buf(),
            header,
            keys,
            index,
            store,
            sealer,
            session_max_import: None,
            browse_cache: Default::default(),
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
        // Documents stored before purchases/sales, copies and statuses (schema 15), once.
        vault.backfill_invoices()?;
        vault.backfill_watch_names()?;
        vault.ensure_intake_header()?;
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
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;

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
}
