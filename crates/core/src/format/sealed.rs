//! A file sealed to the vault's intake key while the vault is locked (`inbox/ID.sealed`), in the
//! manner of age: an ephemeral X25519 key agreement with the vault's intake public key, HKDF,
//! then the file's name and times sealed with AES-256-GCM and its content as a blob stream
//! ([`crate::format::stream`]) under a key of its own.
//!
//! Layout (see docs/vault-format.md, section 15):
//!
//! ```text
//! body   = "COFFREI" 0x01 | ephemeral public key (32) | u32 len | meta (len bytes) | blob
//! sealed = body | HMAC-SHA256(auth key, body)
//! shared = X25519(ephemeral secret, intake public)            refused if all zero
//! salt   = ephemeral public || intake public
//! meta   = Seal(HKDF(shared, salt, "coffre/v1/inbox-meta"), JSON, aad = "coffre/v1/inbox-meta" || UUID(item))
//! blob   = the blob format, document id = UUID(item), key = HKDF(shared, salt, "coffre/v1/inbox-file")
//! ```
//!
//! Promises: only the holder of the intake secret key (derived from the master key's stable
//! signing seed: see `vault::inbox`) can read a sealed file's name, times or bytes; only a
//! holder of the auth key (given to a locked watcher at unlock, never written) can make a file
//! the vault accepts, so writing the vault's folder is not enough to add a document; any change
//! to a sealed file, or a sealed file renamed to another item's id, is refused when opened; the
//! sealer cannot open what it sealed and keeps no plaintext beyond one 64 KiB chunk.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::format::crypto::{self, MacKey, derive_subkey, random_array};
use crate::format::secret::SecretKey;
use crate::format::stream::{BlobHeader, BlobReader, BlobWriter};

/// The first bytes of every sealed file.
pub const MAGIC: [u8; 8] = *b"COFFREI\x01";
/// A sealed file's metadata is at most this long (a name and two times fit many times over).
const META_MAX: u32 = 64 * 1024;
/// Bytes of the authentication tag that ends a sealed file.
const TAG_LEN: usize = 32;
const LABEL_META: &str = "coffre/v1/inbox-meta";
const LABEL_FILE: &str = "coffre/v1/inbox-file";

/// What a sealed file says about the plaintext it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedMeta {
    /// The file's name in the watched folder (its last path component).
    pub name: String,
    /// Its path relative to the watched folder (`/`-separated).
    pub rel: String,
    /// The watched folder it came from.
    pub folder: String,
    /// Its modification time, RFC 3339 (absent when the file system gives none).
    pub modified: Option<String>,
    /// When it was sealed, RFC 3339 UTC.
    pub sealed_at: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The vault's intake secret key (X25519), zeroized on drop.
pub struct IntakeSecret(StaticSecret);

impl IntakeSecret {
    /// The secret key made from 32 bytes of key material (see `vault::inbox`).
    pub fn from_key(key: &SecretKey) -> Self {
        IntakeSecret(StaticSecret::from(*key.dangerously_expose()))
    }

    /// Its public key.
    pub fn public(&self) -> [u8; 32] {
        PublicKey::from(&self.0).to_bytes()
    }
}

/// The shared keys of one sealed file, from the agreement of `ours` with `theirs`.
fn keys(
    shared: &[u8; 32],
    ephemeral: &[u8; 32],
    intake: &[u8; 32],
) -> Result<(SecretKey, SecretKey)> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(intake);
    let ikm = SecretKey::from_bytes(*shared);
    Ok((
        derive_subkey(&ikm, &salt, LABEL_META)?,
        derive_subkey(&ikm, &salt, LABEL_FILE)?,
    ))
}

fn meta_aad(item: &uuid::Uuid) -> Vec<u8> {
    let mut aad = LABEL_META.as_bytes().to_vec();
    aad.extend_from_slice(item.as_bytes());
    aad
}

/// The largest sealed file of content up to `limit` bytes.
pub fn max_sealed_len(limit: u64) -> u64 {
    (8 + 32 + 4 + u64::from(META_MAX) + TAG_LEN as u64)
        .saturating_add(crate::format::stream::blob_len(limit))
}

/// A writer that MACs what goes through it.
struct MacWriter<'a> {
    inner: &'a mut dyn Write,
    mac: ring::hmac::Context,
}

impl Write for MacWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.mac.update(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seals `content` (read to its end) with `meta` to the intake public key `to`, as item `item`,
/// authenticated with `auth`, writing the sealed file to `out`. The caller syncs and renames.
pub fn seal(
    to: &[u8; 32],
    auth: &SecretKey,
    item: &uuid::Uuid,
    meta: &SealedMeta,
    content: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut eph_bytes = random_array::<32>()?;
    let ephemeral = StaticSecret::from(eph_bytes);
    eph_bytes.zeroize();
    let eph_public = PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*to));
    if !shared.was_contributory() {
        return Err(Error::Crypto(
            "the intake public key is not a valid X25519 key",
        ));
    }
    let (meta_key, file_key) = keys(shared.as_bytes(), &eph_public, to)?;
    let meta_json = Zeroizing::new(serde_json::to_vec(meta).map_err(io::Error::other)?);
    let sealed_meta = crypto::seal_bytes(&meta_key, &meta_json, &meta_aad(item))?;
    let io = |e: io::Error| Error::from(e);
    let auth = MacKey::new(auth);
    let mut out = MacWriter {
        inner: out,
        mac: auth.start(),
    };
    let out = &mut out;
    out.write_all(&MAGIC).map_err(io)?;
    out.write_all(&eph_public).map_err(io)?;
    let len = u32::try_from(sealed_meta.len()).map_err(|_| Error::Crypto("metadata too long"))?;
    out.write_all(&len.to_be_bytes()).map_err(io)?;
    out.write_all(&sealed_meta).map_err(io)?;
    let mut blob =
        BlobWriter::new(&mut *out, &file_key, BlobHeader::new(*item.as_bytes())?).map_err(io)?;
    let copied = io::copy(content, &mut blob).map_err(io)?;
    blob.finish().map_err(io)?;
    let tag = out.mac.clone().sign();
    out.inner.write_all(tag.as_ref()).map_err(io)?;
    Ok(copied)
}

/// Why a sealed file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Not a sealed file, or sealed to another key, or altered.
    #[error("not a file sealed to this vault, or altered: {0}")]
    Refused(&'static str),
    /// Larger than the limit given.
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Opens the sealed file `whole` of item `item`: checks its tag with `auth`, then opens it with
/// the intake secret; its metadata, and its content (authenticated, in zeroizing memory) when
/// no larger than `limit` bytes.
pub fn open(
    secret: &IntakeSecret,
    auth: &SecretKey,
    item: &uuid::Uuid,
    whole: &[u8],
    limit: u64,
) -> std::result::Result<(SealedMeta, Zeroizing<Vec<u8>>), OpenError> {
    let Some(body_len) = whole.len().checked_sub(TAG_LEN) else {
        return Err(OpenError::Refused("too short"));
    };
    let (body, tag) = whole.split_at(body_len);
    if !MacKey::new(auth).verify(body, tag) {
        return Err(OpenError::Refused("not sealed by this vault's watcher"));
    }
    let sealed = &mut &body[..];
    let mut head = [0u8; 8 + 32 + 4];
    sealed
        .read_exact(&mut head)
        .map_err(|_| OpenError::Refused("too short"))?;
    if head[..8] != MAGIC {
        return Err(OpenError::Refused("not a sealed file"));
    }
    let mut eph_public = [0u8; 32];
    eph_public.copy_from_slice(&head[8..40]);
    let len = u32::from_be_bytes([head[40], head[41], head[42], head[43]]);
    if len > META_MAX {
        return Err(OpenError::Refused("metadata too long"));
    }
    let shared = secret.0.diffie_hellman(&PublicKey::from(eph_public));
    if !shared.was_contributory() {
        return Err(OpenError::Refused("bad ephemeral key"));
    }
    let (meta_key, file_key) = keys(shared.as_bytes(), &eph_public, &secret.public())
        .map_err(|_| OpenError::Refused("key derivation"))?;
    let mut sealed_meta = vec![0u8; len as usize];
    sealed
        .read_exact(&mut sealed_meta)
        .map_err(|_| OpenError::Refused("truncated"))?;
    let meta_json = crypto::open_bytes(&meta_key, &sealed_meta, &meta_aad(item))
        .ok_or(OpenError::Refused("metadata does not authenticate"))?;
    let meta: SealedMeta =
        serde_json::from_slice(&meta_json).map_err(|_| OpenError::Refused("metadata"))?;
    if meta.size > limit {
        return Err(OpenError::TooLarge(limit));
    }
    let mut reader = BlobReader::new(&mut *sealed, &file_key, item.as_bytes())
        .map_err(|_| OpenError::Refused("content header"))?;
    let mut content = Zeroizing::new(Vec::with_capacity(usize::try_from(meta.size).unwrap_or(0)));
    (&mut reader)
        .take(limit.saturating_add(1))
        .read_to_end(&mut content)
        .map_err(|_| OpenError::Refused("content does not authenticate"))?;
    if content.len() as u64 != meta.size {
        return Err(OpenError::Refused("content size differs from its metadata"));
    }
    Ok((meta, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> IntakeSecret {
        IntakeSecret::from_key(&SecretKey::from_bytes([7u8; 32]))
    }

    fn auth() -> SecretKey {
        SecretKey::from_bytes([9u8; 32])
    }

    fn meta(size: u64) -> SealedMeta {
        SealedMeta {
            name: "Facture 12.pdf".into(),
            rel: "Facture 12.pdf".into(),
            folder: "/home/a/Scans".into(),
            modified: Some("2026-11-30T10:00:00Z".into()),
            sealed_at: "2026-12-01T10:00:00Z".into(),
            size,
        }
    }

    fn sealed(content: &[u8], item: &uuid::Uuid) -> Vec<u8> {
        let mut out = Vec::new();
        seal(
            &secret().public(),
            &auth(),
            item,
            &meta(content.len() as u64),
            &mut &content[..],
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn round_trip_and_nothing_in_clear() {
        let item = uuid::Uuid::new_v4();
        let content: Vec<u8> = b"%PDF-1.7 Facture 12 ACME SARL 1234,56 EUR "
            .iter()
            .copied()
            .cycle()
            .take(200_000)
            .collect();
        let out = sealed(&content, &item);
        for needle in [&b"ACME SARL"[..], b"Facture 12", b"Scans", b"%PDF"] {
            assert!(!out.windows(needle.len()).any(|w| w == needle));
        }
        let (m, plain) = open(&secret(), &auth(), &item, &out, 1 << 20).unwrap();
        assert_eq!(m, meta(content.len() as u64));
        assert_eq!(&plain[..], &content[..]);
    }

    #[test]
    fn refuses_changes_other_keys_other_items_and_limits() {
        let item = uuid::Uuid::new_v4();
        let out = sealed(&b"x".repeat(70_000), &item);
        for at in [0, 9, 41, 50, out.len() / 2, out.len() - 1] {
            let mut bad = out.clone();
            bad[at] ^= 1;
            assert!(
                open(&secret(), &auth(), &item, &bad, 1 << 20).is_err(),
                "flip at {at}"
            );
        }
        assert!(open(&secret(), &auth(), &item, &out[..out.len() - 10], 1 << 20).is_err());
        let other = IntakeSecret::from_key(&SecretKey::from_bytes([8u8; 32]));
        assert!(open(&other, &auth(), &item, &out, 1 << 20).is_err());
        assert!(open(&secret(), &auth(), &uuid::Uuid::new_v4(), &out, 1 << 20).is_err());
        assert!(matches!(
            open(&secret(), &auth(), &item, &out, 1000),
            Err(OpenError::TooLarge(1000))
        ));
        // A low-order point as the intake key is refused rather than sealed to nobody.
        let mut sink = Vec::new();
        assert!(
            seal(
                &[0u8; 32],
                &auth(),
                &item,
                &meta(1),
                &mut &b"x"[..],
                &mut sink
            )
            .is_err()
        );
        // Someone who knows only the public key (it is in the header) cannot make a file the
        // vault accepts: sealed with another auth key, refused.
        let mut forged = Vec::new();
        let content = b"%PDF-1.7 a forged invoice";
        seal(
            &secret().public(),
            &SecretKey::from_bytes([1u8; 32]),
            &item,
            &meta(content.len() as u64),
            &mut &content[..],
            &mut forged,
        )
        .unwrap();
        assert!(open(&secret(), &auth(), &item, &forged, 1 << 20).is_err());
    }
}
