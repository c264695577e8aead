//! The vault's on-disk layout and its header file, `vault.json`, plus the recovery key's text
//! form. This module only encodes and decodes; [`crate::vault`] decides what to do.
//!
//! ```text
//! VAULT/
//!   vault.json          header: id, KDF parameters and salt, the two wrapped master keys
//!   index.db            SQLCipher database (+ -wal, -shm), keyed with the index key
//!   blobs/XX/ID         one encrypted blob per document (XX = first two hex digits of ID)
//!   tmp/                blobs being written (encrypted); unfinished ones removed on open
//!   quarantine/ID       blobs no index row names (encrypted), kept until re-attached or purged
//!   head.json           the rollback record: last audit entry and document count, MACed
//!   lock                single-writer lock; holds the owner's pid
//! ```

use std::path::{Path, PathBuf};

use data_encoding::{BASE32_NOPAD, BASE64};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::format::crypto::{KdfParams, sha256_of};
use crate::format::secret::SecretKey;
use crate::{Error, Result};

/// File name of the header.
pub const HEADER_FILE: &str = "vault.json";
/// File name of the index.
pub const INDEX_FILE: &str = "index.db";
/// Folder of the blobs.
pub const BLOBS_DIR: &str = "blobs";
/// Folder of blobs being written.
pub const TMP_DIR: &str = "tmp";
/// Folder of blobs that no index row names, kept aside (still encrypted) until the owner
/// re-attaches or purges them.
pub const QUARANTINE_DIR: &str = "quarantine";
/// File name of the lock.
pub const LOCK_FILE: &str = "lock";
/// Files sealed to the intake key while the vault was locked (section 15).
pub const INBOX_DIR: &str = "inbox";
/// The `format` value of the header.
pub const FORMAT_NAME: &str = "coffre-vault";
/// The only header version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// HKDF labels (info strings) of the subkeys derived from the master key; the salt is the vault
/// id's 16 bytes.
pub mod labels {
    /// Key of the SQLCipher index.
    pub const INDEX: &str = "coffre/v1/index";
    /// Key wrapping each document's key.
    pub const DOCUMENT_WRAP: &str = "coffre/v1/document-wrap";
    /// HMAC key of the deduplication MAC over a document's plaintext.
    pub const DEDUP_MAC: &str = "coffre/v1/dedup-mac";
    /// HMAC key of the audit chain.
    pub const AUDIT_MAC: &str = "coffre/v1/audit-mac";
    /// Seed of the vault's Ed25519 signing key (bundles, backups).
    pub const SIGNING_SEED: &str = "coffre/v1/bundle-signing-seed";
    /// Wraps the previous master key during a rotation.
    pub const PREVIOUS_MASTER: &str = "coffre/v1/master/previous";
    /// HMAC key of the file names kept in the watched folders' memory.
    pub const WATCH_NAMES: &str = "coffre/v1/watch-names";
    /// HMAC key of the rollback record (`head.json`).
    pub const HEAD_RECORD: &str = "coffre/v1/head-record";
    /// Derives the recovery key-encryption key from the recovery key.
    pub const RECOVERY_KEK: &str = "coffre/v1/recovery-kek";
    /// Associated data prefix of the master key wrapped under the passphrase.
    pub const WRAP_PASSPHRASE: &str = "coffre/v1/master/passphrase";
    /// Associated data prefix of the master key wrapped under the recovery key.
    pub const WRAP_RECOVERY: &str = "coffre/v1/master/recovery";
    /// Associated data prefix of a document key.
    pub const WRAP_DOCUMENT: &str = "coffre/v1/document-key";
    /// Seals the passwords of mail accounts (and is the prefix of their associated data).
    pub const CREDENTIALS: &str = "coffre/v1/credentials";
}

/// The Argon2id section of the header.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KdfSection {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Argon2 version (19 = 0x13).
    pub version: u32,
    /// Cost parameters.
    #[serde(flatten)]
    pub params: KdfParams,
    /// 16 random bytes, base64.
    pub salt: String,
}

/// The content of `vault.json`. Nothing in it is secret: the master key appears only wrapped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultHeader {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// Random vault id (UUID).
    pub vault_id: uuid::Uuid,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Passphrase key derivation.
    pub kdf: KdfSection,
    /// Master key wrapped under the passphrase's key (base64 of nonce, ciphertext, tag).
    pub passphrase_wrap: String,
    /// Master key wrapped under the recovery key (base64 of nonce, ciphertext, tag).
    pub recovery_wrap: String,
    /// While a master-key rotation is under way: the previous master key wrapped under a key
    /// derived from this one (see `rotation`). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_master: Option<String>,
    /// The intake public key (section 15); written at the first unlock that lacks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<IntakeSection>,
}

/// The vault's intake public key and its MAC (base64 each). Checked against the key derived
/// at every unlock; a reader without the master key must not trust it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeSection {
    /// The X25519 public key (32 bytes).
    pub public: String,
    /// HMAC-SHA256 of L("coffre/v1/intake-public") || L(UUID(vault_id)) || L(public), each part
    /// prefixed by its length (u64, big-endian).
    pub mac: String,
}

impl VaultHeader {
    /// Reads and checks `vault.json` in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(HEADER_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoVault(dir.to_path_buf()));
            }
            Err(e) => return Err(Error::io(&path)(e)),
        };
        let bad = |reason: String| Error::BadHeader {
            path: path.clone(),
            reason,
        };
        let header: VaultHeader = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if header.format != FORMAT_NAME {
            return Err(bad(format!("format is {:?}", header.format)));
        }
        if header.version != FORMAT_VERSION {
            return Err(bad(format!(
                "version {} (this Coffre reads version {FORMAT_VERSION})",
                header.version
            )));
        }
        if header.kdf.algorithm != "argon2id" || header.kdf.version != 0x13 {
            return Err(bad("unsupported key derivation".into()));
        }
        header.kdf.params.validate()?;
        Ok(header)
    }

    /// The salt bytes.
    pub fn salt(&self) -> Result<Vec<u8>> {
        self.decode(&self.kdf.salt)
    }

    /// Decodes one of the base64 fields.
    pub fn decode(&self, field: &str) -> Result<Vec<u8>> {
        BASE64
            .decode(field.as_bytes())
            .map_err(|e| Error::BadHeader {
                path: PathBuf::from(HEADER_FILE),
                reason: e.to_string(),
            })
    }

    /// Associated data binding a wrapped master key to its slot and this vault.
    pub fn wrap_aad(&self, slot_label: &str) -> Vec<u8> {
        let mut aad = slot_label.as_bytes().to_vec();
        aad.extend_from_slice(self.vault_id.as_bytes());
        aad
    }

    /// Serialises the header (pretty JSON, trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("header serialises");
        s.push('\n');
        s
    }
}

/// Decodes base64 text written by [`b64`].
pub fn decode_b64(text: &str) -> Result<Vec<u8>> {
    BASE64
        .decode(text.as_bytes())
        .map_err(|_| Error::BadHeader {
            path: PathBuf::new(),
            reason: "bad base64".into(),
        })
}

/// Encodes bytes as base64 for the header.
pub fn b64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// The recovery key: 256 random bits shown once to the user as text.
///
/// Text form: the 32 key bytes and a 2-byte check (the first bytes of their SHA-256), in RFC 4648
/// base32 without padding (55 characters), in groups of five joined by `-`. Parsing ignores case,
/// spaces and dashes, and reads `0` as `O`, `1` as `I` and `8` as `B`.
pub struct RecoveryKey(SecretKey);

impl RecoveryKey {
    /// A fresh random recovery key.
    pub fn generate() -> Result<Self> {
        Ok(RecoveryKey(crate::format::crypto::random_key()?))
    }

    /// The key. Never log or store it.
    pub fn key(&self) -> &SecretKey {
        &self.0
    }

    /// The text to show the user, once.
    pub fn to_display_string(&self) -> Zeroizing<String> {
        let key = self.0.dangerously_expose();
        let mut raw = Zeroizing::new(Vec::with_capacity(34));
        raw.extend_from_slice(key);
        raw.extend_from_slice(&sha256_of(key)[..2]);
        let plain = Zeroizing::new(BASE32_NOPAD.encode(&raw));
        let mut out = String::with_capacity(66);
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % 5 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        Zeroizing::new(out)
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Self> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| match c.to_ascii_uppercase() {
                    '0' => 'O',
                    '1' => 'I',
                    '8' => 'B',
                    other => other,
                })
                .collect(),
        );
        if cleaned.len() != 55 {
            return Err(Error::MalformedRecoveryKey(
                "it must have 55 letters and digits (11 groups of 5)",
            ));
        }
        let raw =
            Zeroizing::new(BASE32_NOPAD.decode(cleaned.as_bytes()).map_err(|_| {
                Error::MalformedRecoveryKey("it has characters outside A-Z and 2-7")
            })?);
        if raw.len() != 34 || sha256_of(&raw[..32])[..2] != raw[32..] {
            return Err(Error::MalformedRecoveryKey(
                "its check digits do not match (a character is wrong)",
            ));
        }
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&raw[..32]);
        let key = SecretKey::from_bytes(bytes);
        bytes.zeroize();
        Ok(RecoveryKey(key))
    }
}

/// The default vault folder of this OS (`Coffre/vault` in the user's data folder, e.g.
/// `~/.local/share/Coffre/vault`), or `None` when the system has no data folder.
pub fn default_dir() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|d| d.join("Coffre").join("vault"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_key_text_round_trip_and_typos() {
        let key = RecoveryKey::generate().unwrap();
        let text = key.to_display_string();
        assert_eq!(text.len(), 55 + 10);
        let back = RecoveryKey::parse(&text.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(
            back.key().dangerously_expose(),
            key.key().dangerously_expose()
        );

        // One changed character is caught by the check digits.
        let mut typo: Vec<char> = text.chars().collect();
        typo[3] = if typo[3] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        assert!(matches!(
            RecoveryKey::parse(&typo),
            Err(Error::MalformedRecoveryKey(_))
        ));
        assert!(matches!(
            RecoveryKey::parse(&text[..40]),
            Err(Error::MalformedRecoveryKey(_))
        ));
    }
}
