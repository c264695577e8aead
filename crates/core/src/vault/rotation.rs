//! Rotating the master key (`coffre rekey`): a new master key, a new recovery key and a new
//! passphrase wrap, the index re-encrypted under the new index key and every document key
//! re-wrapped, so that an old `vault.json` with an old passphrase no longer opens the vault.
//!
//! Some keys must outlive a rotation because what they signed or MACed stays: the audit chain,
//! the deduplication MACs, the signing key (backups and bundles name it), the watched folders'
//! name MACs and the rollback record. These *stable keys* are derived from the first master key
//! and, after a first rotation, kept sealed under the current master key in the index
//! (`keys.stable`).
//!
//! Crash safety: the new header is written first, holding the previous master key wrapped
//! under the new one (`previous_master`); then one index transaction re-wraps the document keys
//! and seals the stable keys (marked `rekey.to`); then the index is re-keyed; then the header
//! is rewritten without `previous_master`. An open that finds `previous_master` completes
//! whatever step is missing, so a kill at any point leaves a vault that opens with the new
//! passphrase.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::format::crypto::{
    KdfParams, derive_kek, derive_subkey, open_bytes, random_array, random_key, seal_bytes,
    unwrap_key, wrap_key,
};
use crate::format::secret::{Passphrase, SecretKey};
use crate::format::vault_format::{
    self as fmt, HEADER_FILE, INDEX_FILE, RecoveryKey, VaultHeader, labels,
};
use crate::support::files::write_atomic;
use crate::vault::Vault;
use crate::{Error, Result};

const SETTING_STABLE: &str = "keys.stable";
const SETTING_TARGET: &str = "rekey.to";

/// The keys that outlive a rotation.
pub(crate) struct StableKeys {
    pub audit: SecretKey,
    pub dedup: SecretKey,
    pub signing_seed: SecretKey,
    pub names: SecretKey,
    pub head: SecretKey,
}

const STABLE_LABELS: [&str; 5] = [
    labels::AUDIT_MAC,
    labels::DEDUP_MAC,
    labels::SIGNING_SEED,
    labels::WATCH_NAMES,
    labels::HEAD_RECORD,
];

impl StableKeys {
    fn derived(master: &SecretKey, id: &Uuid) -> Result<Self> {
        let k = |label| derive_subkey(master, id.as_bytes(), label);
        Ok(StableKeys {
            audit: k(labels::AUDIT_MAC)?,
            dedup: k(labels::DEDUP_MAC)?,
            signing_seed: k(labels::SIGNING_SEED)?,
            names: k(labels::WATCH_NAMES)?,
            head: k(labels::HEAD_RECORD)?,
        })
    }

    fn parts(&self) -> [&SecretKey; 5] {
        [
            &self.audit,
            &self.dedup,
            &self.signing_seed,
            &self.names,
            &self.head,
        ]
    }

    fn seal(&self, master: &SecretKey, id: &Uuid) -> Result<Vec<u8>> {
        let mut plain = Zeroizing::new(Vec::with_capacity(32 * STABLE_LABELS.len()));
        for k in self.parts() {
            plain.extend_from_slice(k.dangerously_expose());
        }
        seal_bytes(&stable_kek(master, id)?, &plain, &stable_aad(id))
    }

    fn open(sealed: &[u8], master: &SecretKey, id: &Uuid) -> Option<Self> {
        let plain = open_bytes(&stable_kek(master, id).ok()?, sealed, &stable_aad(id))?;
        if plain.len() != 32 * STABLE_LABELS.len() {
            return None;
        }
        let key = |i: usize| {
            let mut b = [0u8; 32];
            b.copy_from_slice(&plain[32 * i..32 * (i + 1)]);
            SecretKey::from_bytes(b)
        };
        Some(StableKeys {
            audit: key(0),
            dedup: key(1),
            signing_seed: key(2),
            names: key(3),
            head: key(4),
        })
    }

    /// The stable keys of the index behind `conn`, opened with `master`.
    pub(crate) fn of(conn: &Connection, master: &SecretKey, id: &Uuid) -> Result<Self> {
        let sealed: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [SETTING_STABLE],
                |r| r.get(0),
            )
            .optional()?;
        match sealed {
            None => Self::derived(master, id),
            Some(text) => fmt::decode_b64(&text)
                .ok()
                .and_then(|b| Self::open(&b, master, id))
                .ok_or_else(|| Error::Tampered {
                    id: "keys".into(),
                    reason: "the vault's stable keys do not open with its master key".into(),
                }),
        }
    }
}

fn stable_kek(master: &SecretKey, id: &Uuid) -> Result<SecretKey> {
    derive_subkey(master, id.as_bytes(), "coffre/v1/stable-keys")
}

fn stable_aad(id: &Uuid) -> Vec<u8> {
    let mut aad = b"coffre/v1/stable-keys".to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// An id of a master key that says nothing about it.
fn key_id(master: &SecretKey, id: &Uuid) -> Result<String> {
    Ok(hex::encode(
        derive_subkey(master, id.as_bytes(), "coffre/v1/rekey-id")?.dangerously_expose(),
    ))
}

fn doc_key_aad(id: &str) -> Option<Vec<u8>> {
    let uuid = Uuid::parse_str(id).ok()?;
    let mut aad = labels::WRAP_DOCUMENT.as_bytes().to_vec();
    aad.extend_from_slice(uuid.as_bytes());
    Some(aad)
}

fn keyed(conn: &Connection, key: &SecretKey) -> Result<bool> {
    let pragma = Zeroizing::new(format!(
        "PRAGMA key = \"x'{}'\";",
        Zeroizing::new(hex::encode(key.dangerously_expose())).as_str()
    ));
    conn.execute_batch(&pragma)?;
    Ok(conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok())
}

/// Re-wraps every document key and seals the stable keys under `new`, in one transaction, on
/// an index keyed with the previous master key (skipped when `rekey.to` says it was done).
fn rewrap(conn: &Connection, previous: &SecretKey, new: &SecretKey, id: &Uuid) -> Result<()> {
    let target = key_id(new, id)?;
    let done: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [SETTING_TARGET],
            |r| r.get(0),
        )
        .optional()?;
    if done.as_deref() == Some(target.as_str()) {
        return Ok(());
    }
    let stable = StableKeys::of(conn, previous, id)?;
    let old_wrap = derive_subkey(previous, id.as_bytes(), labels::DOCUMENT_WRAP)?;
    let new_wrap = derive_subkey(new, id.as_bytes(), labels::DOCUMENT_WRAP)?;
    let tx = conn.unchecked_transaction()?;
    let rows: Vec<(String, Vec<u8>)> = tx
        .prepare("SELECT doc_id, wrapped_key FROM document_keys")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (doc, wrapped) in rows {
        let aad = doc_key_aad(&doc).ok_or_else(|| Error::not_found(Kind::Document, doc.clone()))?;
        let key = unwrap_key(&old_wrap, &wrapped, &aad)?.ok_or_else(|| Error::Tampered {
            id: doc.clone(),
            reason: "its key does not unwrap".into(),
        })?;
        tx.execute(
            "UPDATE document_keys SET wrapped_key = ?2 WHERE doc_id = ?1",
            params![doc, wrap_key(&new_wrap, &key, &aad)?],
        )?;
    }
    // An index of a schema before mail accounts (a rotation cut short by an older Coffre) has
    // no passwords to re-seal; its migration comes after.
    let has_accounts: bool = tx.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'mail_accounts'",
        [],
        |r| r.get(0),
    )?;
    if has_accounts {
        crate::vault::mailbox::reseal(
            &tx,
            &crate::vault::mailbox::credentials_key(previous, id)?,
            &crate::vault::mailbox::credentials_key(new, id)?,
            id,
        )?;
    }
    for (k, v) in [
        (SETTING_STABLE, fmt::b64(&stable.seal(new, id)?)),
        (SETTING_TARGET, target),
    ] {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![k, v],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Finishes a rotation that `header` says is under way (`previous_master` set): re-wraps, re-keys
/// the index, rewrites the header without the previous key. Returns that header. The caller
/// holds the vault's lock and no connection to the index.
pub(crate) fn complete(
    dir: &Path,
    header: &VaultHeader,
    master: &SecretKey,
) -> Result<VaultHeader> {
    let Some(prev) = &header.previous_master else {
        return Ok(header.clone());
    };
    let id = header.vault_id;
    let previous = unwrap_key(
        &derive_subkey(master, id.as_bytes(), labels::PREVIOUS_MASTER)?,
        &header.decode(prev)?,
        &header.wrap_aad(labels::PREVIOUS_MASTER),
    )?
    .ok_or_else(|| Error::BadHeader {
        path: dir.join(HEADER_FILE),
        reason: "its previous master key does not unwrap".into(),
    })?;
    let path = dir.join(INDEX_FILE);
    let open = || {
        Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    };
    let new_index_key = derive_subkey(master, id.as_bytes(), labels::INDEX)?;
    let conn = open()?;
    if !keyed(&conn, &new_index_key)? {
        drop(conn);
        let conn = open()?;
        let old_index_key = derive_subkey(&previous, id.as_bytes(), labels::INDEX)?;
        if !keyed(&conn, &old_index_key)? {
            return Err(Error::IndexUnusable {
                path,
                reason: "it opens with neither the new nor the previous master key".into(),
            });
        }
        rewrap(&conn, &previous, master, &id)?;
        // SQLCipher re-encrypts every page; a WAL file would keep pages under the old key.
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")?;
        let pragma = Zeroizing::new(format!(
            "PRAGMA rekey = \"x'{}'\";",
            Zeroizing::new(hex::encode(new_index_key.dangerously_expose())).as_str()
        ));
        conn.execute_batch(&pragma)?;
        conn.execute_batch("PRAGMA journal_mode = WAL;")?;
    }
    let mut done = header.clone();
    done.previous_master = None;
    write_atomic(&dir.join(HEADER_FILE), done.to_json().as_bytes())?;
    Ok(done)
}

/// A header for a new master key `master`, passphrase `passphrase` (fresh salt and this build's
/// costs, or the old ones where higher) and recovery key `recovery`, optionally carrying the
/// previous master key wrapped under the new one.
fn new_header(
    old: &VaultHeader,
    master: &SecretKey,
    passphrase: &Passphrase,
    recovery: &RecoveryKey,
    previous: Option<&SecretKey>,
) -> Result<VaultHeader> {
    let mut h = old.clone();
    let id = h.vault_id;
    let salt = random_array::<16>()?;
    let defaults = KdfParams::default();
    h.kdf.params = KdfParams {
        memory_kib: h.kdf.params.memory_kib.max(defaults.memory_kib),
        iterations: h.kdf.params.iterations.max(defaults.iterations),
        parallelism: defaults.parallelism,
    };
    h.kdf.params.validate()?;
    h.kdf.salt = fmt::b64(&salt);
    let kek = derive_kek(passphrase, &salt, &h.kdf.params)?;
    h.passphrase_wrap = fmt::b64(&wrap_key(
        &kek,
        master,
        &h.wrap_aad(labels::WRAP_PASSPHRASE),
    )?);
    let recovery_kek = derive_subkey(recovery.key(), id.as_bytes(), labels::RECOVERY_KEK)?;
    h.recovery_wrap = fmt::b64(&wrap_key(
        &recovery_kek,
        master,
        &h.wrap_aad(labels::WRAP_RECOVERY),
    )?);
    h.previous_master = match previous {
        Some(p) => Some(fmt::b64(&wrap_key(
            &derive_subkey(master, id.as_bytes(), labels::PREVIOUS_MASTER)?,
            p,
            &h.wrap_aad(labels::PREVIOUS_MASTER),
        )?)),
        None => None,
    };
    Ok(h)
}

impl Vault {
    /// Rotates the master key: a new master key under `passphrase` (fresh key-derivation costs)
    /// and a new recovery key (returned, to show once), the index re-encrypted, every document
    /// key re-wrapped. Afterwards an old `vault.json` (from a backup, a sync history) with an
    /// old passphrase or recovery key no longer opens this vault. Documents' own keys and blobs
    /// are unchanged: backups made before still open with what opened them then. Audited.
    pub fn rekey(self, passphrase: &Passphrase) -> Result<(Vault, RecoveryKey)> {
        passphrase.check_strength()?;
        let dir = self.dir().to_path_buf();
        let new_master = random_key()?;
        let recovery = RecoveryKey::generate()?;
        let header = new_header(
            self.header(),
            &new_master,
            passphrase,
            &recovery,
            Some(self.master()),
        )?;
        // The commit point: from here the new passphrase opens the vault, and an open
        // completes whatever is left.
        write_atomic(&dir.join(HEADER_FILE), header.to_json().as_bytes())?;
        let lock = self.into_lock();
        complete(&dir, &header, &new_master)?;
        drop(lock);
        let mut vault = Vault::open(&dir, passphrase)?;
        vault.audited("vault.rekey", None, |_| Ok(((), json!({}))))?;
        Ok((vault, recovery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CreateOptions, Passphrase};

    const OLD: &str = "the old passphrase, leaked";
    const NEW: &str = "a fresh passphrase nobody knows";

    fn vault_with_a_document(dir: &Path) -> (Vault, String) {
        let (mut v, _) = Vault::create(
            dir,
            &Passphrase::new(OLD.into()),
            &CreateOptions {
                kdf: KdfParams::MINIMUM,
            },
        )
        .unwrap();
        let id = v
            .import_reader("a.xml", &b"<a>rotated</a>"[..], None)
            .unwrap()
            .document()
            .id
            .clone();
        (v, id)
    }

    fn check_usable(dir: &Path, id: &str) {
        let mut v = Vault::open(dir, &Passphrase::new(NEW.into())).unwrap();
        assert_eq!(v.read_document(id).unwrap().1.as_slice(), b"<a>rotated</a>");
        assert!(v.verify().unwrap().is_ok());
        assert!(VaultHeader::read(dir).unwrap().previous_master.is_none());
    }

    #[test]
    fn a_rotated_vault_no_longer_opens_with_an_old_header_and_passphrase() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let (v, id) = vault_with_a_document(&dir);
        let old_header = std::fs::read(dir.join(HEADER_FILE)).unwrap();
        let signing = v.signing_public_key().unwrap();
        let (v, recovery) = v.rekey(&Passphrase::new(NEW.into())).unwrap();
        // The signing key (named by backups and bundles) and the audit chain outlive it.
        assert_eq!(v.signing_public_key().unwrap(), signing);
        assert!(v.verify_audit().unwrap().faults.is_empty());
        assert_eq!(v.kdf_params(), KdfParams::default());
        assert_eq!(
            v.audit_entries(None).unwrap().last().unwrap().action,
            "vault.rekey"
        );
        drop(v);
        check_usable(&dir, &id);
        assert!(Vault::open_with_recovery_key(&dir, &recovery).is_ok());
        // An old vault.json put back (from a backup), with the old passphrase: refused.
        let new_header = std::fs::read(dir.join(HEADER_FILE)).unwrap();
        std::fs::write(dir.join(HEADER_FILE), &old_header).unwrap();
        let err = Vault::open(&dir, &Passphrase::new(OLD.into())).unwrap_err();
        assert!(matches!(err, Error::IndexUnusable { .. }), "{err}");
        std::fs::write(dir.join(HEADER_FILE), &new_header).unwrap();
        assert!(matches!(
            Vault::open(&dir, &Passphrase::new(OLD.into())),
            Err(Error::WrongPassphrase)
        ));
        check_usable(&dir, &id);
    }

    /// Killed after the new header was written: before the re-wrap, or after it and before the
    /// index was re-keyed. The next open completes the rotation.
    #[test]
    fn a_rotation_cut_short_is_completed_by_the_next_open() {
        for cut_after_rewrap in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("v");
            let (v, id) = vault_with_a_document(&dir);
            let old_master = SecretKey::from_bytes(*v.master().dangerously_expose());
            let new_master = random_key().unwrap();
            let recovery = RecoveryKey::generate().unwrap();
            let header = new_header(
                v.header(),
                &new_master,
                &Passphrase::new(NEW.into()),
                &recovery,
                Some(&old_master),
            )
            .unwrap();
            write_atomic(&dir.join(HEADER_FILE), header.to_json().as_bytes()).unwrap();
            let lock = v.into_lock();
            if cut_after_rewrap {
                let conn = Connection::open(dir.join(INDEX_FILE)).unwrap();
                let old_key =
                    derive_subkey(&old_master, header.vault_id.as_bytes(), labels::INDEX).unwrap();
                assert!(keyed(&conn, &old_key).unwrap());
                rewrap(&conn, &old_master, &new_master, &header.vault_id).unwrap();
            }
            drop(lock);
            check_usable(&dir, &id);
        }
    }
}
