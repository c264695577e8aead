//! The one error type of the core, with messages a user can act on.
//!
//! Every public operation returns [`Result`]. Messages never contain key material or document
//! content; they may name a document by its id and original file name.

use std::path::PathBuf;

/// Errors of the vault and its parts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The passphrase does not unwrap the master key.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The recovery key does not unwrap the master key.
    #[error("wrong recovery key")]
    WrongRecoveryKey,
    /// The recovery key string is not well formed (typo, missing characters).
    #[error("recovery key is mistyped: {0}")]
    MalformedRecoveryKey(&'static str),
    /// The passphrase is not acceptable for a new vault or a passphrase change.
    #[error("passphrase rejected: {0}")]
    WeakPassphrase(&'static str),
    /// Another process holds the vault's lock.
    #[error("vault in use (pid {})", pid.map_or_else(|| "unknown".to_owned(), |p| p.to_string()))]
    VaultInUse {
        /// The process id written by the lock holder, when it could be read.
        pid: Option<u32>,
    },
    /// No vault exists at that path.
    #[error("no vault at {0} (create one with `coffre init`)")]
    NoVault(PathBuf),
    /// A vault (or other files) already exists where a new vault was to be created.
    #[error("{0} is not empty: will not create a vault over existing files")]
    AlreadyExists(PathBuf),
    /// The vault header is unreadable or of an unknown version.
    #[error("vault header {path}: {reason}")]
    BadHeader {
        /// The header file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The index file is missing: it is never re-created by opening the vault.
    #[error(
        "the vault's index {path} is missing. Nothing was changed. If a sync client has not \
         delivered it yet, wait and try again; otherwise put the file back or restore the vault \
         from a backup (`coffre backup restore`)"
    )]
    IndexMissing {
        /// The index file.
        path: PathBuf,
    },
    /// The index file exists but cannot be used (empty, truncated, not a Coffre index).
    #[error(
        "the vault's index {path} cannot be used: {reason}. Nothing was changed. Put back a \
         good copy of the file or restore the vault from a backup (`coffre backup restore`)"
    )]
    IndexUnusable {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The index is older than (or diverges from) the state this vault last recorded: an old
    /// copy put back, a sync conflict, a lost write-ahead log.
    #[error(
        "the vault's index is not the latest one: {reason}. Nothing was changed. Put the newest \
         index.db back (a sync client may still be delivering it) or restore from a backup; to \
         open this index as it is anyway, run `coffre recover --accept-older-index` (newer \
         documents are then kept aside in quarantine, never deleted)"
    )]
    IndexRolledBack {
        /// What was compared.
        reason: String,
    },
    /// A bundle password too short or too easy to guess (see `bundle::check_password`).
    #[error("bundle password rejected: {0}")]
    WeakBundlePassword(&'static str),
    /// An output (backup, export, bundle, copy) may not be written there.
    #[error("will not write {path}: {reason}")]
    OutputRefused {
        /// Where it was to be written.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// Work stopped because the vault is locking; it resumes at the next unlock.
    #[error("stopped because the vault is locking; it resumes at the next unlock")]
    Interrupted,
    /// Key derivation parameters are out of the accepted range.
    #[error("key derivation parameters rejected: {0}")]
    KdfParams(String),
    /// No document matches the given id or prefix.
    #[error("no document {0}")]
    NoSuchDocument(String),
    /// The id prefix matches more than one document.
    #[error("document id prefix {0} is ambiguous")]
    AmbiguousId(String),
    /// A file offered for import is larger than the vault's limit.
    #[error("larger than the import limit of {limit} bytes")]
    TooLarge {
        /// The limit in force, in bytes.
        limit: u64,
    },
    /// A stored document failed authentication: altered, truncated, swapped or damaged.
    #[error("document {id} is damaged or was tampered with: {reason}")]
    Tampered {
        /// The document's id.
        id: String,
        /// What the check found.
        reason: String,
    },
    /// A stored document's encrypted file is missing.
    #[error("document {id}: its encrypted file is missing")]
    MissingBlob {
        /// The document's id.
        id: String,
    },
    /// The encrypted index could not be read or written.
    #[error("index: {0}")]
    Index(#[from] rusqlite::Error),
    /// A setting has an invalid value.
    #[error("setting {key}: {reason}")]
    Setting {
        /// The setting's key.
        key: String,
        /// Why the value is refused.
        reason: String,
    },
    /// An operating-system error, with the path involved when there is one.
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Io {
        /// The file involved, if any.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A cryptographic primitive failed where it cannot fail with valid inputs (a bug or an
    /// exhausted system random source).
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

/// Result alias of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            path: Some(path),
            source,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
    }
}
