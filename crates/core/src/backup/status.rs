//! The vault's backup situation, for reminders and the schedule: when and where the last backup
//! was made, whether one is overdue, and whether the schedule wants one now.
//!
//! Promises: never made counts as overdue; the delay is a vault setting of at least one day
//! (7 by default), and changing it is audited. A backup is `due` when a folder is known, the
//! schedule (`backup-schedule`, in the computer's time zone) is on, and no backup was made since
//! its latest occurrence; `missed` when it has been due for more than an hour (the computer was
//! off, the disk unplugged) or a scheduled backup failed since that occurrence
//! ([`Vault::backup_failed`]).

use serde::Serialize;

use crate::Result;
use crate::storage::settings::Setting;
use crate::vault::Vault;

pub(super) const SETTING_LAST_AT: &str = "backup.last_at";
pub(super) const SETTING_FOLDER: &str = "backup.folder";
/// When a scheduled backup last failed (RFC 3339).
const SETTING_FAILED_AT: &str = "backup.failed_at";
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
    /// `backup-schedule`: `off`, `daily HH:MM` or `weekly DAY HH:MM`.
    pub schedule: String,
    /// The schedule's next occurrence (RFC 3339 with the local offset), when on.
    pub next_at: Option<String>,
    /// The schedule wants a backup now (see the module's promises).
    pub due: bool,
    /// A scheduled backup did not happen: due for more than an hour, or it failed.
    pub missed: bool,
}

impl Vault {
    /// When the last backup was made, where, and whether one is overdue (older than the
    /// `backup.warn_after_days` setting, 7 days by default, or never made).
    pub fn backup_status(&self) -> Result<BackupStatus> {
        self.backup_status_at(&jiff::ZonedDateTime::now())
    }

    /// [`Vault::backup_status`] as of `now` (its zone is the schedule's).
    pub fn backup_status_at(&self, now: &jiff::ZonedDateTime) -> Result<BackupStatus> {
        let last_at = self.raw_setting(SETTING_LAST_AT)?;
        let folder = self.raw_setting(SETTING_FOLDER)?;
        let schedule = match crate::storage::settings::get(self.conn(), Setting::BackupSchedule)? {
            Some(crate::storage::settings::Value::Schedule(s)) => s,
            _ => crate::storage::settings::DEFAULT_BACKUP_SCHEDULE,
        };
        let last_ts = last_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let slot = schedule.last(now).map(|z| z.timestamp());
        let due =
            folder.is_some() && slot.is_some_and(|slot| last_ts.is_none_or(|last| last < slot));
        let failed_at = self
            .raw_setting(SETTING_FAILED_AT)?
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let missed = due
            && slot.is_some_and(|slot| {
                now.timestamp() - jiff::SignedDuration::from_hours(1) > slot
                    || failed_at.is_some_and(|failed| failed >= slot)
            });
        let warn_after_days = self.settings()?.backup_warn_days;
        let age_days = last_at.as_deref().and_then(|t| {
            let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .ok()?;
            Some((time::OffsetDateTime::now_utc() - at).whole_days())
        });
        Ok(BackupStatus {
            folder,
            overdue: age_days.is_none_or(|d| d >= i64::from(warn_after_days)),
            last_at,
            warn_after_days,
            schedule: schedule.to_string(),
            next_at: schedule
                .next(now)
                .map(|z| z.timestamp().display_with_offset(z.offset()).to_string()),
            due,
            missed,
        })
    }

    /// Records that a scheduled backup failed (audited `backup.failed`, with the reason): the
    /// status says the backup was missed until one succeeds.
    pub fn backup_failed(&mut self, reason: &str) -> Result<()> {
        self.backup_failed_at(reason, &jiff::ZonedDateTime::now())
    }

    /// [`Vault::backup_failed`] as of `at`.
    pub fn backup_failed_at(&mut self, reason: &str, at: &jiff::ZonedDateTime) -> Result<()> {
        let at = at.timestamp().to_string();
        self.audited("backup.failed", None, |tx| {
            crate::storage::index::Index::set_setting(tx, SETTING_FAILED_AT, &at)?;
            Ok(((), serde_json::json!({ "reason": reason, "at": at })))
        })
    }

    /// Sets after how many days without a backup [`Vault::backup_status`] says one is overdue.
    pub fn set_backup_warn_after_days(&mut self, days: u32) -> Result<()> {
        self.set_setting(Setting::BackupWarnDays, &days.to_string())
    }
}
