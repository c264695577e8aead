//! The one error type of the core, with messages a user can act on.
//!
//! Every public operation returns [`Result`]. Messages never contain key material or document
//! content; they may name a document by its id and original file name.
//!
//! Shells branch on the variant, never on the text: [`Error::code`] is a stable reason code
//! (the desktop app's UI translates each one), and [`Error::Invalid`] carries a [`Why`] whose
//! `why` tag and facts are enough to say the reason in any language. The English `Display` text
//! is for the command line and logs.

use std::path::PathBuf;

use serde::Serialize;

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
    /// No extraction worker could read a fetched e-mail message (killed by its time or memory
    /// limit twice): it is not stored now and is fetched again next time.
    #[error("the message could not be read ({reason}); it is tried again at the next fetch")]
    Unreadable {
        /// Why the workers gave no answer.
        reason: String,
    },
    /// Key derivation parameters are out of the accepted range.
    #[error("key derivation parameters rejected: {0}")]
    KdfParams(String),
    /// No record of that kind has that id (or id prefix).
    #[error("no {kind} {id}")]
    NotFound {
        /// What was looked for.
        kind: Kind,
        /// The id (or prefix) given.
        id: String,
    },
    /// No active consent covers sending documents to that recipient for that purpose.
    #[error(
        "no active consent covers {what}: record one with `coffre consent grant` before sending \
         documents"
    )]
    NoConsent {
        /// The recipient and purpose, as given.
        what: String,
    },
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
    /// The audit trail's chain does not hold (an entry altered, removed or put back): nothing
    /// is certified on a trail that cannot be trusted.
    #[error("the audit trail was altered: {first} ({faults} faults; see coffre verify)")]
    AuditBroken {
        /// How many faults the chain check found.
        faults: usize,
        /// The first of them.
        first: String,
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
    /// A value given by the user (an argument, a setting, a form field) is refused.
    #[error("{field}: {why}")]
    Invalid {
        /// The argument, setting or field (`due-date`, `max-import-size`, `consent.to`).
        field: String,
        /// Why, as a reason code with its facts.
        why: Why,
    },
    /// A backup folder cannot serve as asked.
    #[error("backup: {detail}")]
    Backup {
        /// What is wrong, as a reason code.
        fault: BackupFault,
        /// The details, in English (paths, generations, sizes).
        detail: String,
    },
    /// The index was written by a newer Coffre.
    #[error("the index has schema {found}, newer than this Coffre ({supported}); update Coffre")]
    NewerIndex {
        /// The index's schema version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
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
    /// An e-mail message with no part the mail rules keep, not stored
    /// (`mail.keep-without-attachments` is off).
    #[error("a message with no attachment to keep ({skipped}): not stored")]
    NothingKept {
        /// Its parts and why each was skipped, in English (`logo.png: a small inline image`).
        skipped: String,
    },
    /// A mail server cannot be used as asked (unreachable, refused the password, no such folder).
    #[error("mail: {detail}")]
    Mail {
        /// What is wrong, as a reason code.
        fault: MailFault,
        /// The details, in English (the server's words, a host, a folder). Never a password.
        detail: String,
    },
}

/// What went wrong with a mail server ([`Error::Mail`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MailFault {
    /// The server could not be reached (no such host, refused, timed out, connection lost).
    Connect,
    /// The secure connection failed (certificate not trusted or not for that host, no TLS).
    Tls,
    /// The server refused the user name or password.
    Login,
    /// The folder does not exist or cannot be opened.
    Folder,
    /// The server answered something Coffre cannot use (no UIDs, a protocol error).
    Protocol,
}

/// Result alias of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The stable reason codes of [`Error::code`]: what shells branch on and translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// `wrong_passphrase`.
    WrongPassphrase,
    /// `wrong_recovery_key`.
    WrongRecoveryKey,
    /// `malformed_recovery_key`.
    MalformedRecoveryKey,
    /// `weak_passphrase`.
    WeakPassphrase,
    /// `vault_in_use`.
    VaultInUse,
    /// `no_vault`.
    NoVault,
    /// `vault_exists`.
    VaultExists,
    /// `locked`: No vault is open (used by the shells, which hold the open vault).
    Locked,
    /// `tampered`: A document, its blob or the header failed authentication or is missing.
    Tampered,
    /// `index_missing`.
    IndexMissing,
    /// `index_unusable`.
    IndexUnusable,
    /// `index_rolled_back`.
    IndexRolledBack,
    /// `newer_index`.
    NewerIndex,
    /// `weak_password`.
    WeakPassword,
    /// `output_refused`.
    OutputRefused,
    /// `interrupted`.
    Interrupted,
    /// `unreadable`: a fetched message no extraction worker could read; fetched again later.
    Unreadable,
    /// `kdf_params`.
    KdfParams,
    /// `not_found`.
    NotFound,
    /// `ambiguous_id`.
    AmbiguousId,
    /// `no_consent`.
    NoConsent,
    /// `too_large`.
    TooLarge,
    /// `nothing_kept`: an e-mail message with no attachment the mail rules keep.
    NothingKept,
    /// `backup`: see [`BackupFault`].
    Backup,
    /// `mail`: see [`MailFault`].
    Mail,
    /// `invalid`: A value was refused: see [`Why`].
    Invalid,
    /// `io`.
    Io,
    /// `internal`: An index or cryptographic failure that is not the user's to fix.
    Internal,
    /// `busy`: the app refuses to do it while an import, a fetch or a backup runs (used by the
    /// shells: installing an update).
    Busy,
}

impl Code {
    /// Every code, for shells that must translate each one.
    pub const ALL: [Code; 29] = [
        Code::WrongPassphrase,
        Code::WrongRecoveryKey,
        Code::MalformedRecoveryKey,
        Code::WeakPassphrase,
        Code::VaultInUse,
        Code::NoVault,
        Code::VaultExists,
        Code::Locked,
        Code::Tampered,
        Code::IndexMissing,
        Code::IndexUnusable,
        Code::IndexRolledBack,
        Code::NewerIndex,
        Code::WeakPassword,
        Code::OutputRefused,
        Code::Interrupted,
        Code::Unreadable,
        Code::KdfParams,
        Code::NotFound,
        Code::AmbiguousId,
        Code::NoConsent,
        Code::TooLarge,
        Code::NothingKept,
        Code::Backup,
        Code::Mail,
        Code::Invalid,
        Code::Io,
        Code::Internal,
        Code::Busy,
    ];

    /// The code as written on the wire (`wrong_passphrase`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::WrongPassphrase => "wrong_passphrase",
            Code::WrongRecoveryKey => "wrong_recovery_key",
            Code::MalformedRecoveryKey => "malformed_recovery_key",
            Code::WeakPassphrase => "weak_passphrase",
            Code::VaultInUse => "vault_in_use",
            Code::NoVault => "no_vault",
            Code::VaultExists => "vault_exists",
            Code::Locked => "locked",
            Code::Tampered => "tampered",
            Code::IndexMissing => "index_missing",
            Code::IndexUnusable => "index_unusable",
            Code::IndexRolledBack => "index_rolled_back",
            Code::NewerIndex => "newer_index",
            Code::WeakPassword => "weak_password",
            Code::OutputRefused => "output_refused",
            Code::Interrupted => "interrupted",
            Code::Unreadable => "unreadable",
            Code::KdfParams => "kdf_params",
            Code::NotFound => "not_found",
            Code::AmbiguousId => "ambiguous_id",
            Code::NoConsent => "no_consent",
            Code::TooLarge => "too_large",
            Code::NothingKept => "nothing_kept",
            Code::Backup => "backup",
            Code::Mail => "mail",
            Code::Invalid => "invalid",
            Code::Io => "io",
            Code::Internal => "internal",
            Code::Busy => "busy",
        }
    }
}

/// What is wrong with a backup folder ([`Error::Backup`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum BackupFault {
    /// The folder holds no Coffre backup.
    NotABackup,
    /// A backup of a format this Coffre does not read.
    UnknownFormat,
    /// The folder holds the backups of another vault.
    OtherVault,
    /// The folder holds no generation yet.
    Empty,
    /// A generation's files were altered or damaged: they do not match its signed manifest.
    Altered,
    /// Not enough free space for the generation.
    NoSpace,
    /// The folder's path cannot be recorded (not valid Unicode).
    BadPath,
}

/// The kinds of record [`Error::NotFound`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A stored document.
    Document,
    /// A consent of the consent ledger.
    Consent,
    /// A GDPR request of the register.
    Request,
    /// A backup snapshot.
    Snapshot,
    /// A supplier layout remembered by supplier memory.
    SupplierLayout,
    /// A mail account.
    MailAccount,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Document => "document",
            Kind::Consent => "consent",
            Kind::Request => "request",
            Kind::Snapshot => "snapshot",
            Kind::SupplierLayout => "supplier layout",
            Kind::MailAccount => "mail account",
        })
    }
}

/// Why a value was refused: a stable reason code (the `why` tag) and the facts a message needs.
/// Values shown here are the user's own input or fixed formats, never document content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Why {
    /// Nothing (or only spaces) was given where a value is required.
    #[error("a value is required")]
    Required,
    /// Not a whole number.
    #[error("{value:?} is not a whole number")]
    NotANumber {
        /// The value given.
        value: String,
    },
    /// Not an amount such as `1234.56`.
    #[error("{value:?} is not an amount (use 1234.56, no thousands separator)")]
    NotAnAmount {
        /// The value given.
        value: String,
    },
    /// Not a size such as `20MiB` or `5000000`.
    #[error("{value:?} is not a size (use bytes, or a number with KB, MB, GB, KiB, MiB or GiB)")]
    NotASize {
        /// The value given.
        value: String,
    },
    /// Not written in the expected format (a date, a period, a month and day, a time).
    #[error("{value:?} is not in the format {format}")]
    BadFormat {
        /// The value given.
        value: String,
        /// The expected format, as written to users (`YYYY-MM-DD`, `MM-DD`, `2026-Q3`...).
        format: String,
    },
    /// Well formed but not a day of the calendar (`2026-02-30`).
    #[error("{value:?} is not a day of the calendar")]
    NoSuchDate {
        /// The value given.
        value: String,
    },
    /// A number outside the accepted range.
    #[error("{value} is outside {min} to {max}")]
    OutOfRange {
        /// The value given.
        value: i64,
        /// The smallest accepted value.
        min: i64,
        /// The largest accepted value.
        max: i64,
    },
    /// A number below the smallest accepted value.
    #[error("{value} is less than {min}")]
    AtLeast {
        /// The value given.
        value: i64,
        /// The smallest accepted value.
        min: i64,
    },
    /// Not one of a fixed list of values.
    #[error("{value:?} is not one of {allowed}")]
    NotOneOf {
        /// The value given.
        value: String,
        /// The accepted values, comma-separated, as typed.
        allowed: String,
    },
    /// A period that ends before it starts.
    #[error("the period ends ({to}) before it starts ({from})")]
    EndsBeforeStart {
        /// Start.
        from: String,
        /// End.
        to: String,
    },
    /// Not an e-mail address.
    #[error("{value:?} is not an e-mail address")]
    NotAnEmail {
        /// The value given.
        value: String,
    },
    /// Not a VAT number (country code and 2 to 13 characters, with a valid check where the
    /// country has one).
    #[error("{value:?} is not a valid VAT number")]
    NotAVatId {
        /// The value given.
        value: String,
    },
    /// Not a SIREN (nine digits with a valid Luhn check).
    #[error("{value:?} is not a valid SIREN (nine digits)")]
    NotASiren {
        /// The value given.
        value: String,
    },
    /// Not a three-letter ISO 4217 currency code.
    #[error("{value:?} is not a currency code (three letters, like EUR)")]
    NotACurrency {
        /// The value given.
        value: String,
    },
    /// Not an IBAN whose check digits match.
    #[error("{value:?} is not a valid IBAN (its check digits do not match)")]
    NotAnIban {
        /// The value given.
        value: String,
    },
    /// Not a key fingerprint (64 hexadecimal digits).
    #[error("{value:?} is not a key fingerprint (64 hex digits)")]
    NotAFingerprint {
        /// The value given.
        value: String,
    },
    /// A path that does not end in a usable file or folder name.
    #[error("{value:?} is not a file name")]
    NotAFileName {
        /// The value given.
        value: String,
    },
    /// Not an existing folder.
    #[error("{value:?} is not a folder")]
    NotAFolder {
        /// The path given.
        value: String,
    },
    /// A folder that overlaps the vault (inside it, or containing it).
    #[error("{value:?} overlaps the vault's folder: choose a folder of its own")]
    OverlapsVault {
        /// The folder given.
        value: String,
    },
    /// A folder that is, is inside, or holds the last backup folder.
    #[error("{value:?} overlaps the backup folder: choose a folder of its own")]
    OverlapsBackup {
        /// The folder given.
        value: String,
    },
    /// A path that is not valid Unicode, which the vault cannot record.
    #[error("{value:?} is not valid Unicode")]
    NotUnicode {
        /// The path given, with its invalid bytes replaced.
        value: String,
    },
    /// The record was closed (a request) or withdrawn (a consent) already.
    #[error("already closed or withdrawn on {on}")]
    AlreadyClosed {
        /// When.
        on: String,
    },
    /// Mail without encryption to a server that is not on this machine.
    #[error("{value:?} is not this machine: a mail server elsewhere needs tls or starttls")]
    NotLoopback {
        /// The host given.
        value: String,
    },
    /// A name already taken (a mail account).
    #[error("{value:?} is already taken")]
    Taken {
        /// The name given.
        value: String,
    },
    /// A request's deadline can be extended once only.
    #[error("already extended (due {due}); it can be extended only once")]
    AlreadyExtended {
        /// The extended due date.
        due: String,
    },
}

impl Error {
    /// No record of that kind has that id.
    pub(crate) fn not_found(kind: Kind, id: impl Into<String>) -> Error {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }

    /// A backup folder that cannot serve.
    pub(crate) fn backup(fault: BackupFault, detail: impl Into<String>) -> Error {
        Error::Backup {
            fault,
            detail: detail.into(),
        }
    }

    /// A mail server that cannot serve.
    pub fn mail(fault: MailFault, detail: impl Into<String>) -> Error {
        Error::Mail {
            fault,
            detail: detail.into(),
        }
    }

    /// A refused value.
    pub(crate) fn invalid(field: impl Into<String>, why: Why) -> Error {
        Error::Invalid {
            field: field.into(),
            why,
        }
    }

    /// The stable reason code of this error, the same in every shell.
    pub fn code(&self) -> Code {
        match self {
            Error::WrongPassphrase => Code::WrongPassphrase,
            Error::WrongRecoveryKey => Code::WrongRecoveryKey,
            Error::MalformedRecoveryKey(_) => Code::MalformedRecoveryKey,
            Error::WeakPassphrase(_) => Code::WeakPassphrase,
            Error::VaultInUse { .. } => Code::VaultInUse,
            Error::NoVault(_) => Code::NoVault,
            Error::AlreadyExists(_) => Code::VaultExists,
            Error::BadHeader { .. }
            | Error::Tampered { .. }
            | Error::MissingBlob { .. }
            | Error::AuditBroken { .. } => Code::Tampered,
            Error::IndexMissing { .. } => Code::IndexMissing,
            Error::IndexUnusable { .. } => Code::IndexUnusable,
            Error::IndexRolledBack { .. } => Code::IndexRolledBack,
            Error::NewerIndex { .. } => Code::NewerIndex,
            Error::WeakBundlePassword(_) => Code::WeakPassword,
            Error::OutputRefused { .. } => Code::OutputRefused,
            Error::Interrupted => Code::Interrupted,
            Error::Unreadable { .. } => Code::Unreadable,
            Error::KdfParams(_) => Code::KdfParams,
            Error::NotFound { .. } => Code::NotFound,
            Error::AmbiguousId(_) => Code::AmbiguousId,
            Error::NoConsent { .. } => Code::NoConsent,
            Error::TooLarge { .. } => Code::TooLarge,
            Error::NothingKept { .. } => Code::NothingKept,
            Error::Invalid { .. } => Code::Invalid,
            Error::Io { .. } => Code::Io,
            Error::Backup { .. } => Code::Backup,
            Error::Mail { .. } => Code::Mail,
            Error::Index(_) | Error::Crypto(_) => Code::Internal,
        }
    }

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
