//! Bundle passwords: the rule a password must pass, and a generated one.
//!
//! Promises: [`check_password`] refuses a password under [`MIN_PASSWORD_CHARS`] characters or
//! scoring under [`MIN_PASSWORD_SCORE`] with zxcvbn; [`generate_password`] gives 100 random bits
//! that [`check_password`] always accepts.

use zeroize::Zeroizing;

use crate::{Error, Result};

/// Shortest bundle password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Lowest zxcvbn score (0 to 4) of an accepted bundle password.
pub const MIN_PASSWORD_SCORE: u8 = 3;

/// Refuses a bundle password shorter than [`MIN_PASSWORD_CHARS`] characters or scoring under
/// [`MIN_PASSWORD_SCORE`] with zxcvbn: ZIP encryption derives its key with PBKDF2-SHA1 at 1,000
/// rounds, so the password alone stands between the documents and whoever gets the file.
pub fn check_password(password: &str) -> Result<()> {
    let weak = Error::WeakBundlePassword;
    if password.trim().is_empty() {
        return Err(weak("the bundle password is empty"));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(weak(
            "the bundle password is too short: use at least 12 characters, or a generated one",
        ));
    }
    if u8::from(zxcvbn::zxcvbn(password, &[]).score()) < MIN_PASSWORD_SCORE {
        return Err(weak(
            "the bundle password is too easy to guess: use several unrelated words, or a \
             generated one",
        ));
    }
    Ok(())
}

/// Letters and digits of generated passwords: 32 symbols (5 bits each) without the look-alikes
/// `0 o 1 l`, lower case so that it is easy to type and to read out.
const PASSWORD_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A strong bundle password to show the owner once: 100 random bits as five groups of four
/// characters (`k7dm-2xqa-...`), easy to read over the phone. Always accepted by
/// [`check_password`].
pub fn generate_password() -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(crate::format::crypto::random_array::<20>()?);
    let mut out = Zeroizing::new(String::with_capacity(24));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(PASSWORD_ALPHABET[usize::from(b & 31)]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn passwords_need_length_and_strength() {
        for weak in ["", "x", "s3cret pass", "password1234", "aaaaaaaaaaaaaaaa"] {
            assert!(check_password(weak).is_err(), "{weak:?} accepted");
        }
        check_password("s3cret-for-the-accountant").unwrap();
        check_password("velvet canyon tractor mosaic").unwrap();
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let p = generate_password().unwrap();
            assert_eq!(p.len(), 24, "{}", p.as_str());
            assert_eq!(p.matches('-').count(), 4);
            check_password(&p).unwrap();
            assert!(seen.insert(p.to_string()));
        }
    }
}
