//! The one error type that crosses the IPC boundary: `{code, message}`. The UI switches on
//! `code` (stable, snake_case) and shows its own translated text; `message` is the core's
//! explanation, for anything the UI does not know.

use serde::Serialize;

/// A failed command, as the UI receives it.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// Stable machine-readable kind.
    pub code: &'static str,
    /// What happened, in English.
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> Self {
        ApiError::new("locked", "the vault is locked")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new("invalid", message)
    }
}

impl From<coffre_core::Error> for ApiError {
    fn from(e: coffre_core::Error) -> Self {
        use coffre_core::Error as E;
        let code = match &e {
            E::WrongPassphrase => "wrong_passphrase",
            E::WrongRecoveryKey => "wrong_recovery_key",
            E::MalformedRecoveryKey(_) => "malformed_recovery_key",
            E::WeakPassphrase(_) => "weak_passphrase",
            E::VaultInUse { .. } => "vault_in_use",
            E::NoVault(_) => "no_vault",
            E::AlreadyExists(_) => "vault_exists",
            E::NoSuchDocument(_) | E::AmbiguousId(_) => "not_found",
            E::TooLarge { .. } => "too_large",
            E::IndexMissing { .. } => "index_missing",
            E::IndexUnusable { .. } => "index_unusable",
            E::IndexRolledBack { .. } => "index_rolled_back",
            E::Interrupted => "interrupted",
            E::Tampered { .. } | E::MissingBlob { .. } | E::BadHeader { .. } => "tampered",
            E::Setting { key, .. } if key == "consent" => "no_consent",
            E::WeakBundlePassword(_) => "weak_password",
            E::Setting { .. } | E::KdfParams(_) => "invalid",
            E::Io { .. } => "io",
            _ => "internal",
        };
        ApiError::new(code, e.to_string())
    }
}
