//! # coffre-core
//!
//! The whole logic of Coffre, a desktop invoice vault: documents are stored encrypted on disk
//! with a key of their own, indexed in an encrypted SQLite (SQLCipher) database, and every change
//! is recorded in a MACed audit chain. Nothing here knows about windows or terminals: the CLI and
//! the desktop app are thin shells over [`Vault`].
//!
//! ```no_run
//! use coffre_core::{CreateOptions, Passphrase, Vault};
//! # fn main() -> coffre_core::Result<()> {
//! let dir = std::path::Path::new("/tmp/my-vault");
//! let pass = Passphrase::new("correct horse battery staple".into());
//! let (mut vault, recovery) = Vault::create(dir, &pass, &CreateOptions::default())?;
//! println!("write this down: {}", recovery.to_display_string().as_str());
//! let outcome = vault.import_file(std::path::Path::new("invoice.pdf"), None)?;
//! let (_doc, bytes) = vault.read_document(&outcome.document().id)?;
//! # let _ = bytes;
//! vault.lock();
//! # Ok(()) }
//! ```
//!
//! Folders are layers, bottom first; each uses only those before it (ARCHITECTURE.md has the
//! map): [`support`] (dates, durable files, names, sizes, CSV), [`format`](mod@format) (bytes: crypto, the
//! blob stream, the header), [`records`] (what a document says: fields, media, retention rules,
//! the extraction worker), [`storage`] (the index, blobs, audit chain, settings), [`vault`] (the
//! `Vault` and its document operations), [`privacy`], [`sharing`], [`backup`], [`intake`].
//! Errors carry stable reason codes ([`Code`]) for the shells to translate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backup;
mod error;
pub mod format;
pub mod intake;
pub mod privacy;
pub mod records;
pub mod sharing;
pub mod storage;
pub mod support;
pub mod vault;

pub use error::{BackupFault, Code, Error, Kind, MailFault, Result, Why};
pub use format::crypto::KdfParams;
pub use format::secret::{Passphrase, SecretKey, Strength};
pub use format::vault_format::RecoveryKey;
pub use records::media::MediaKind;
pub use storage::audit::{AuditEntry, ChainReport};
pub use storage::index::Document;
pub use vault::search::{SearchHit, SearchQuery};
pub use vault::{
    CreateOptions, DEFAULT_MAX_IMPORT_BYTES, DocumentDetails, DocumentFault, ImportOutcome,
    OpenOptions, QuarantineReport, Vault, VerifyReport,
};
