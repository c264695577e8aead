//! Reading and changing the vault's settings (the typed list is [`crate::storage::settings`]).
//!
//! Promise: every change is checked by [`Setting::parse_value`], recorded in the audit trail in
//! the same transaction, and, for a setting that decides retention, followed by the
//! recomputation of every document's retention date in that transaction.

use crate::Result;
use crate::storage::settings::{self, Setting, Settings};
use crate::vault::Vault;
use crate::vault::lifecycle::compute_retention;

impl Vault {
    /// Every setting's effective value.
    pub fn settings(&self) -> Result<Settings> {
        Settings::read(self.index.conn())
    }

    /// Changes a setting from the user's text (`50MiB`, `06-30`, `germany`).
    pub fn set_setting(&mut self, setting: Setting, text: &str) -> Result<()> {
        let value = setting.parse_value(text)?;
        let ids = if setting.affects_retention() {
            self.index.document_ids()?
        } else {
            Vec::new()
        };
        self.audited("settings.change", None, |tx| {
            let mut detail = settings::put(tx, setting, &value)?;
            if setting.affects_retention() {
                for id in &ids {
                    compute_retention(tx, id)?;
                }
                detail["recomputed"] = ids.len().into();
            }
            if matches!(setting, Setting::OwnerIds | Setting::OwnerNames) {
                crate::vault::invoices::recompute_directions(tx)?;
            }
            Ok(((), detail))
        })?;
        if setting.is_mail_rule() {
            self.sealer
                .set_rules(settings::mail_rules(self.index.conn())?);
        }
        Ok(())
    }

    /// The largest file import accepts, in bytes (this session's override if one is set).
    pub fn max_import_size(&self) -> Result<u64> {
        match self.session_max_import {
            Some(limit) => Ok(limit),
            None => Ok(self.settings()?.max_import_size),
        }
    }

    /// Overrides the import size limit until the vault is locked (not saved).
    pub fn set_import_limit_for_session(&mut self, bytes: u64) {
        self.session_max_import = Some(bytes);
    }

    /// Sets the largest file import accepts, in bytes.
    pub fn set_max_import_size(&mut self, bytes: u64) -> Result<()> {
        self.set_setting(Setting::MaxImportSize, &bytes.to_string())
    }

    /// How many months access entries (unlocks, reads, verifications) stay in the audit trail.
    pub fn audit_access_months(&self) -> Result<u32> {
        settings::count(self.index.conn(), Setting::AuditAccessMonths)
    }

    /// Minutes of inactivity after which the desktop app locks the vault (0: never).
    pub fn auto_lock_minutes(&self) -> Result<u32> {
        settings::count(self.index.conn(), Setting::AutoLockMinutes)
    }

    /// Sets the auto-lock delay of the desktop app, in minutes (0 never locks; at most a day).
    pub fn set_auto_lock_minutes(&mut self, minutes: u32) -> Result<()> {
        self.set_setting(Setting::AutoLockMinutes, &minutes.to_string())
    }
}
