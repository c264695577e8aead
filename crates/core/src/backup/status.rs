//! The vault's backup situation, for reminders: when and where the last backup was made, and
//! whether one is overdue.
//!
//! Promises: never made counts as overdue; the delay is a vault setting of at least one day
//! (7 by default), and changing it is audited.

use serde::Serialize;

use crate::Result;
use crate::storage::settings::Setting;
use crate::vault::Vault;

pub(super) const SETTING_LAST_AT: &str = "backup.last_at";
pub(super) const SETTING_FOLDER: &str = "backup.folder";
pub use crate::storage::settings::DEFAULT_WARN_AFTER_DAYS;

/// The vault's backup situation, for a reminder.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct BackupStatus {
    /// The folder of the last backup.
    pub folder: Option<String>,
    /// When the last backup was made (RFC 3339), if ever.
    pub last_at: Option<String>,
    /// Days after which a backup is overdue.
    pub warn_after_days: u32,
    /// No backup yet, or the last one is older than `warn_after_days`.
    pub overdue: bool,
}

impl Vault {
    /// When the last backup was made, where, and whether one is overdue (older than the
    /// `backup.warn_after_days` setting, 7 days by default, or never made).
    pub fn backup_status(&self) -> Result<BackupStatus> {
        let last_at = self.raw_setting(SETTING_LAST_AT)?;
        let warn_after_days = self.settings()?.backup_warn_days;
        let age_days = last_at.as_deref().and_then(|t| {
            let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .ok()?;
            Some((time::OffsetDateTime::now_utc() - at).whole_days())
        });
        Ok(BackupStatus {
            folder: self.raw_setting(SETTING_FOLDER)?,
            overdue: age_days.is_none_or(|d| d >= i64::from(warn_after_days)),
            last_at,
            warn_after_days,
        })
    }

    /// Sets after how many days without a backup [`Vault::backup_status`] says one is overdue.
    pub fn set_backup_warn_after_days(&mut self, days: u32) -> Result<()> {
        self.set_setting(Setting::BackupWarnDays, &days.to_string())
    }
}
