//! Secrets as types: keys and passphrases that zeroize on drop and cannot be printed.
//!
//! None of these types implement `Clone`, `Debug` (beyond a redacted form), `Display` or
//! `Serialize`. The raw bytes are reachable only through an accessor whose name warns.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A 256-bit symmetric key, zeroized when dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Length of every key in the vault, in bytes.
    pub const LEN: usize = 32;

    /// Takes ownership of key bytes. The caller should zeroize its own copy.
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// The raw key. Never log, print or store the result unencrypted.
    pub fn dangerously_expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A user's passphrase, zeroized when dropped.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase. The string's buffer is zeroized when the passphrase is dropped.
    pub fn new(text: String) -> Self {
        Passphrase(Zeroizing::new(text))
    }

    /// The passphrase text. Never log or print it.
    pub fn dangerously_expose(&self) -> &str {
        &self.0
    }

    /// Refuses passphrases too short to resist guessing even behind Argon2id.
    pub fn check_strength(&self) -> crate::Result<()> {
        let chars = self.0.chars().count();
        if self.0.trim().is_empty() {
            return Err(crate::Error::WeakPassphrase("it is empty"));
        }
        if chars < Self::MIN_CHARS {
            return Err(crate::Error::WeakPassphrase(
                "use at least 8 characters (a few unrelated words are best)",
            ));
        }
        Ok(())
    }

    /// Minimum length accepted for a new passphrase, in characters.
    pub const MIN_CHARS: usize = 8;

    /// How hard the passphrase is to guess (zxcvbn's estimate), and whether it is strong enough
    /// to recommend: accepted by [`Passphrase::check_strength`] and a score of at least 2.
    pub fn strength(&self) -> Strength {
        let (score, guesses_log10) = if self.0.is_empty() {
            (0, 0.0)
        } else {
            let e = zxcvbn::zxcvbn(&self.0, &[]);
            (u8::from(e.score()), e.guesses_log10())
        };
        Strength {
            score,
            guesses_log10,
            acceptable: self.check_strength().is_ok() && score >= 2,
        }
    }
}

/// An estimate of a passphrase's strength.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Strength {
    /// 0 (guessed in seconds) to 4 (very strong).
    #[cfg_attr(feature = "typescript", ts(type = "0 | 1 | 2 | 3 | 4"))]
    pub score: u8,
    /// log10 of the estimated number of guesses.
    pub guesses_log10: f64,
    /// Strong enough to recommend.
    pub acceptable: bool,
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}
