//! Bytes and formats: keys and passphrases, the key derivation, the encrypted blob stream and the vault header. No files, no database: like age's format crate, everything here encodes, decodes, seals and opens bytes.

pub mod crypto;
pub mod sealed;
pub(crate) mod secret;
pub mod stream;
pub mod vault_format;
