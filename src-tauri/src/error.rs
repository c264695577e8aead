//! The one error type that crosses the IPC boundary: `{code, message, field?, why?, kind?,
//! fault?}`.
//! The UI switches on `code` (the core's stable reason code, `coffre_core::Code`) and shows its
//! own translated text, built from `why` and `kind` when they are there; `message` is the
//! core's English explanation, for logs, never shown.

use coffre_core::{BackupFault, Code, Kind, MailFault, Why};
use serde::Serialize;

/// A failed command, as the UI receives it.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    /// Stable machine-readable reason.
    pub code: Code,
    /// What happened, in English.
    pub message: String,
    /// With `invalid`: the refused argument, setting or field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `invalid`: why, with its facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
    /// With `not_found`: the kind of record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// With `backup`: what is wrong with the backup folder; with `mail`: with the mail server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// [`ApiError::fault`]: a backup's or a mail server's reason code, as a plain string.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub enum Fault {
    Backup(BackupFault),
    Mail(MailFault),
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
            why: None,
            kind: None,
            fault: None,
        }
    }

    pub fn locked() -> Self {
        ApiError::new(Code::Locked, "the vault is locked")
    }
}

impl From<coffre_core::Error> for ApiError {
    fn from(e: coffre_core::Error) -> Self {
        let mut api = ApiError::new(e.code(), e.to_string());
        match e {
            coffre_core::Error::Invalid { field, why } => {
                api.field = Some(field);
                api.why = Some(why);
            }
            coffre_core::Error::NotFound { kind, .. } => api.kind = Some(kind),
            coffre_core::Error::Backup { fault, .. } => api.fault = Some(Fault::Backup(fault)),
            coffre_core::Error::Mail { fault, .. } => api.fault = Some(Fault::Mail(fault)),
            _ => {}
        }
        api
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_reason_and_facts() {
        let e = coffre_core::storage::settings::Setting::AutoLockMinutes
            .parse_value("2000")
            .unwrap_err();
        let json = serde_json::to_value(ApiError::from(e)).unwrap();
        assert_eq!(json["code"], "invalid");
        assert_eq!(json["field"], "auto-lock-minutes");
        assert_eq!(json["why"]["why"], "out_of_range");
        assert_eq!(json["why"]["max"], 1440);
        let mail = coffre_core::Error::mail(coffre_core::MailFault::Login, "refused");
        let json = serde_json::to_value(ApiError::from(mail)).unwrap();
        assert_eq!(
            (&json["code"], &json["fault"]),
            (&"mail".into(), &"login".into())
        );
        let locked = serde_json::to_value(ApiError::locked()).unwrap();
        assert_eq!(
            locked,
            serde_json::json!({"code": "locked", "message": "the vault is locked"})
        );
    }
}
