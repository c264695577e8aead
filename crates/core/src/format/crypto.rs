//! Cryptographic primitives of the vault: random bytes, Argon2id, HKDF subkeys, key wrapping,
//! MACs and digests. Chunked document encryption lives in [`crate::format::stream`].
//!
//! Promises: every key that leaves this module is a [`SecretKey`]; wrapping is AES-256-GCM with a
//! fresh random nonce and caller-chosen associated data, so a wrapped key cannot be moved to
//! another slot or vault without failing to unwrap.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hkdf, hmac};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::format::secret::{Passphrase, SecretKey};
use crate::{Error, Result};

/// Length of a wrapped 256-bit key: nonce, ciphertext, tag.
pub const WRAPPED_LEN: usize = NONCE_LEN + SecretKey::LEN + 16;

/// Fills a fresh array with bytes from the operating system's random source.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| Error::Crypto("system random source failed"))?;
    Ok(out)
}

/// A fresh random 256-bit key.
pub fn random_key() -> Result<SecretKey> {
    let mut bytes = random_array::<32>()?;
    let key = SecretKey::from_bytes(bytes);
    bytes.zeroize();
    Ok(key)
}

/// Argon2id parameters, stored in the vault header beside their salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// m = 64 MiB, t = 3, p = 1.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// The weakest parameters accepted (OWASP's floor for Argon2id: m = 19 MiB, t = 2).
    pub const MINIMUM: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Refuses parameters below [`KdfParams::MINIMUM`] or absurdly high (a hostile header must not
    /// make unlocking allocate unbounded memory).
    pub fn validate(&self) -> Result<()> {
        let min = Self::MINIMUM;
        if self.memory_kib < min.memory_kib || self.iterations < min.iterations {
            return Err(Error::KdfParams(format!(
                "at least {} MiB and {} iterations are required",
                min.memory_kib / 1024,
                min.iterations
            )));
        }
        if self.memory_kib > 4 * 1024 * 1024 || self.iterations > 100 || self.parallelism > 16 {
            return Err(Error::KdfParams(
                "more than 4 GiB, 100 iterations or 16 lanes".into(),
            ));
        }
        if self.parallelism == 0 {
            return Err(Error::KdfParams("parallelism must be at least 1".into()));
        }
        Ok(())
    }
}

/// Derives the key-encryption key from a passphrase with Argon2id (version 0x13).
pub fn derive_kek(passphrase: &Passphrase, salt: &[u8], params: &KdfParams) -> Result<SecretKey> {
    params.validate()?;
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(SecretKey::LEN),
    )
    .map_err(|e| Error::KdfParams(e.to_string()))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut out = [0u8; 32];
    argon
        .hash_password_into(passphrase.dangerously_expose().as_bytes(), salt, &mut out)
        .map_err(|_| Error::Crypto("argon2id failed"))?;
    let key = SecretKey::from_bytes(out);
    out.zeroize();
    Ok(key)
}

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

/// Derives a subkey: HKDF-SHA256 with `salt`, the input key, and `label` as info.
pub fn derive_subkey(ikm: &SecretKey, salt: &[u8], label: &str) -> Result<SecretKey> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm.dangerously_expose());
    let info = [label.as_bytes()];
    let okm = prk
        .expand(&info, Len32)
        .map_err(|_| Error::Crypto("hkdf expand"))?;
    let mut out = [0u8; 32];
    okm.fill(&mut out).map_err(|_| Error::Crypto("hkdf fill"))?;
    let key = SecretKey::from_bytes(out);
    out.zeroize();
    Ok(key)
}

fn aead_key(key: &SecretKey) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key.dangerously_expose())
        .map(LessSafeKey::new)
        .map_err(|_| Error::Crypto("aes key"))
}

/// Seals `plain` under `key`: `nonce(12) || AES-256-GCM(plain) || tag(16)`, authenticated with
/// `aad`; the nonce is random.
pub fn seal_bytes(key: &SecretKey, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let nonce_bytes = random_array::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + 16);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(plain);
    let tag = aead_key(key)?
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(aad),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| Error::Crypto("aes-gcm seal"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens what [`seal_bytes`] made, in zeroizing memory. `None` when the key, the data or `aad`
/// do not match.
pub fn open_bytes(
    key: &SecretKey,
    sealed: &[u8],
    aad: &[u8],
) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return None;
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&sealed[..NONCE_LEN]);
    let mut buf = zeroize::Zeroizing::new(sealed[NONCE_LEN..].to_vec());
    let n = aead_key(key)
        .ok()?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf[..],
        )
        .ok()?
        .len();
    buf.truncate(n);
    Some(buf)
}

/// Wraps `secret` under `kek`: `nonce(12) || AES-256-GCM(secret) || tag(16)`, authenticated with
/// `aad`.
pub fn wrap_key(kek: &SecretKey, secret: &SecretKey, aad: &[u8]) -> Result<Vec<u8>> {
    seal_bytes(kek, secret.dangerously_expose(), aad)
}

/// Unwraps a key made by [`wrap_key`]. `None` when the key, the data or `aad` do not match.
pub fn unwrap_key(kek: &SecretKey, wrapped: &[u8], aad: &[u8]) -> Result<Option<SecretKey>> {
    if wrapped.len() != WRAPPED_LEN {
        return Ok(None);
    }
    let Some(plain) = open_bytes(kek, wrapped, aad) else {
        return Ok(None);
    };
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&plain);
    let secret = SecretKey::from_bytes(bytes);
    bytes.zeroize();
    Ok(Some(secret))
}

/// An HMAC-SHA256 key.
pub struct MacKey(hmac::Key);

impl MacKey {
    /// Makes an HMAC-SHA256 key from a vault subkey.
    pub fn new(key: &SecretKey) -> Self {
        MacKey(hmac::Key::new(hmac::HMAC_SHA256, key.dangerously_expose()))
    }

    /// Starts an incremental MAC.
    pub fn start(&self) -> hmac::Context {
        hmac::Context::with_key(&self.0)
    }

    /// MAC of the concatenation of `parts`, each prefixed by its length (u64, big-endian), so that
    /// no two different part lists collide.
    pub fn mac_parts(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut ctx = self.start();
        for part in parts {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        tag32(ctx.sign())
    }

    /// Constant-time comparison of the MAC of `data` with `expected`.
    pub fn verify(&self, data: &[u8], expected: &[u8]) -> bool {
        hmac::verify(&self.0, data, expected).is_ok()
    }

    /// Constant-time comparison of a MAC of `parts` with `expected`.
    pub fn verify_parts(&self, parts: &[&[u8]], expected: &[u8]) -> bool {
        let mut data = Vec::new();
        for part in parts {
            data.extend_from_slice(&(part.len() as u64).to_be_bytes());
            data.extend_from_slice(part);
        }
        hmac::verify(&self.0, &data, expected).is_ok()
    }
}

/// Copies an HMAC-SHA256 tag into an array.
pub fn tag32(tag: hmac::Tag) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Starts an incremental SHA-256.
pub fn sha256() -> digest::Context {
    digest::Context::new(&digest::SHA256)
}

/// SHA-256 of `data`.
pub fn sha256_of(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trip_and_binding() {
        let kek = random_key().unwrap();
        let secret = random_key().unwrap();
        let wrapped = wrap_key(&kek, &secret, b"slot-a").unwrap();
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        let back = unwrap_key(&kek, &wrapped, b"slot-a").unwrap().unwrap();
        assert_eq!(back.dangerously_expose(), secret.dangerously_expose());
        // Other associated data, other key, altered bytes: all refused.
        assert!(unwrap_key(&kek, &wrapped, b"slot-b").unwrap().is_none());
        assert!(
            unwrap_key(&random_key().unwrap(), &wrapped, b"slot-a")
                .unwrap()
                .is_none()
        );
        let mut bad = wrapped.clone();
        bad[20] ^= 1;
        assert!(unwrap_key(&kek, &bad, b"slot-a").unwrap().is_none());
        assert!(
            unwrap_key(&kek, &wrapped[..40], b"slot-a")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn subkeys_are_distinct_and_deterministic() {
        let master = random_key().unwrap();
        let a = derive_subkey(&master, b"vault", "coffre/v1/a").unwrap();
        let a2 = derive_subkey(&master, b"vault", "coffre/v1/a").unwrap();
        let b = derive_subkey(&master, b"vault", "coffre/v1/b").unwrap();
        let a_other_salt = derive_subkey(&master, b"other", "coffre/v1/a").unwrap();
        assert_eq!(a.dangerously_expose(), a2.dangerously_expose());
        assert_ne!(a.dangerously_expose(), b.dangerously_expose());
        assert_ne!(a.dangerously_expose(), a_other_salt.dangerously_expose());
    }

    #[test]
    fn argon2id_depends_on_passphrase_salt_and_params() {
        let p = KdfParams::MINIMUM;
        let salt = [7u8; 16];
        let k1 = derive_kek(&Passphrase::new("correct horse".into()), &salt, &p).unwrap();
        let k2 = derive_kek(&Passphrase::new("correct horse".into()), &salt, &p).unwrap();
        let k3 = derive_kek(&Passphrase::new("correct horsf".into()), &salt, &p).unwrap();
        let k4 = derive_kek(&Passphrase::new("correct horse".into()), &[8u8; 16], &p).unwrap();
        assert_eq!(k1.dangerously_expose(), k2.dangerously_expose());
        assert_ne!(k1.dangerously_expose(), k3.dangerously_expose());
        assert_ne!(k1.dangerously_expose(), k4.dangerously_expose());
    }

    #[test]
    fn weak_or_hostile_kdf_params_are_refused() {
        let mut p = KdfParams::MINIMUM;
        p.memory_kib -= 1;
        assert!(p.validate().is_err());
        let huge = KdfParams {
            memory_kib: u32::MAX,
            ..KdfParams::default()
        };
        assert!(huge.validate().is_err());
        assert!(KdfParams::default().validate().is_ok());
    }

    #[test]
    fn mac_parts_are_length_delimited() {
        let key = MacKey::new(&random_key().unwrap());
        assert_ne!(key.mac_parts(&[b"ab", b"c"]), key.mac_parts(&[b"a", b"bc"]));
        let tag = key.mac_parts(&[b"x", b"y"]);
        assert!(key.verify_parts(&[b"x", b"y"], &tag));
        assert!(!key.verify_parts(&[b"x", b"z"], &tag));
    }
}
