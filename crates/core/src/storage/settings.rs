//! The vault's settings, typed: one list of keys, one spelling, units in the types.
//!
//! Both shells name a setting by [`Setting::name`] (`max-import-size`, `retention.invoice`)
//! and pass the user's text; [`Setting::parse_value`] reads and checks it the same way for both
//! (`coffre config KEY VALUE`, the app's settings screen). Values are stored as text in the
//! index's `settings` table under keys private to this module, unchanged since vault format 1.
//!
//! Promises: a value outside its range never reaches the index; an unset or unreadable stored
//! value reads as the default, so an older vault opens with every setting defined.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result, Why};
use crate::records::retention::{Category, Jurisdiction, Policy};
use crate::support::schedule::Schedule;
use coffre_extract::mail::rules::Rules;

/// The import size limit of a new vault, in bytes.
pub const DEFAULT_MAX_IMPORT_BYTES: u64 = 100 * 1024 * 1024;
/// Minutes of inactivity after which the desktop app locks the vault, by default.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 10;
/// Months access entries (unlocks, reads) stay in the audit trail, by default.
pub const DEFAULT_ACCESS_RETENTION_MONTHS: u32 = 12;
/// Minutes between two fetches of the mail accounts while the app is unlocked, by default.
pub const DEFAULT_MAIL_FETCH_MINUTES: u32 = 15;
/// Days without a backup after which one is overdue, by default.
pub const DEFAULT_WARN_AFTER_DAYS: u32 = 7;
/// When the app backs up on its own, by default: every day at 12:30 (a time the computer is
/// usually on), once a backup folder has been chosen.
pub const DEFAULT_BACKUP_SCHEDULE: Schedule = Schedule::Daily(jiff::civil::time(12, 30, 0, 0));

/// One setting a user may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The largest file an import accepts ([`Value::Bytes`], at least 1).
    MaxImportSize,
    /// Months access entries stay in the audit trail ([`Value::Count`], 1 to 120).
    AuditAccessMonths,
    /// Minutes before the app locks an idle vault ([`Value::Count`], 0 never, at most 1440).
    AutoLockMinutes,
    /// Days without a backup before one is overdue ([`Value::Count`], 1 to 3650).
    BackupWarnDays,
    /// When the app backs up on its own ([`Value::Schedule`]; `daily 12:30` by default).
    BackupSchedule,
    /// Whose retention rules apply ([`Value::Jurisdiction`]).
    Jurisdiction,
    /// The fiscal year's last day ([`Value::MonthDay`]).
    FiscalYearEnd,
    /// The owner's VAT ids and SIREN/SIRET: invoices they sold are "issued" ([`Value::Ids`]).
    OwnerIds,
    /// The owner's names as invoices spell them: a party without identifiers whose name is one
    /// of them is the owner ([`Value::Ids`], comma-separated).
    OwnerNames,
    /// Years to keep a category under the custom jurisdiction ([`Value::Count`], 1 to 100).
    RetentionYears(Category),
    /// Kinds of e-mail attachment stored ([`Value::Ids`] of `pdf`, `xml`, `image`, `message`,
    /// `other`).
    MailKeepTypes,
    /// Words that make an attachment skipped when its name contains one ([`Value::Ids`]).
    MailSkipNames,
    /// Inline images smaller than this are logos or signatures, skipped ([`Value::Bytes`]).
    MailInlineImageBelow,
    /// Whether a message with no attachment kept is stored ([`Value::Flag`]).
    MailKeepWithoutAttachments,
    /// Minutes between two fetches of the mail accounts while the app is unlocked
    /// ([`Value::Count`], 0 never, at most 1440).
    MailFetchMinutes,
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A size in bytes.
    Bytes(u64),
    /// A count in the setting's unit (months, minutes, days, years).
    Count(u32),
    /// A jurisdiction.
    Jurisdiction(Jurisdiction),
    /// A month and day.
    MonthDay(u8, u8),
    /// A list of identifiers.
    Ids(Vec<String>),
    /// Yes or no.
    Flag(bool),
    /// A recurring time.
    Schedule(Schedule),
}

impl Value {
    /// The value as stored and as the CLI shows it (`104857600`, `12-31`, `FR123,DE456`).
    pub fn to_text(&self) -> String {
        match self {
            Value::Bytes(n) => n.to_string(),
            Value::Count(n) => n.to_string(),
            Value::Jurisdiction(j) => j.as_str().to_owned(),
            Value::MonthDay(m, d) => format!("{m:02}-{d:02}"),
            Value::Ids(ids) => ids.join(","),
            Value::Flag(b) => if *b { "yes" } else { "no" }.to_owned(),
            Value::Schedule(s) => s.to_string(),
        }
    }

    fn count(&self) -> u32 {
        match self {
            Value::Count(n) => *n,
            _ => 0,
        }
    }
}

const FIXED: [Setting; 14] = [
    Setting::MaxImportSize,
    Setting::AuditAccessMonths,
    Setting::AutoLockMinutes,
    Setting::BackupWarnDays,
    Setting::BackupSchedule,
    Setting::Jurisdiction,
    Setting::FiscalYearEnd,
    Setting::OwnerIds,
    Setting::OwnerNames,
    Setting::MailKeepTypes,
    Setting::MailSkipNames,
    Setting::MailInlineImageBelow,
    Setting::MailKeepWithoutAttachments,
    Setting::MailFetchMinutes,
];

/// The kinds of attachment `mail.keep-types` may name.
const MAIL_KINDS: [&str; 5] = ["pdf", "xml", "image", "message", "other"];

const RETENTION_PREFIX: &str = "retention.";

impl Setting {
    /// Every setting, in the order shells list them.
    pub fn all() -> Vec<Setting> {
        FIXED
            .into_iter()
            .chain(Category::ALL.map(Setting::RetentionYears))
            .collect()
    }

    /// The one spelling of the setting's name.
    pub fn name(self) -> String {
        match self {
            Setting::MaxImportSize => "max-import-size".into(),
            Setting::AuditAccessMonths => "audit-access-months".into(),
            Setting::AutoLockMinutes => "auto-lock-minutes".into(),
            Setting::BackupWarnDays => "backup-warn-days".into(),
            Setting::BackupSchedule => "backup-schedule".into(),
            Setting::Jurisdiction => "jurisdiction".into(),
            Setting::FiscalYearEnd => "fiscal-year-end".into(),
            Setting::OwnerIds => "owner-ids".into(),
            Setting::OwnerNames => "owner-names".into(),
            Setting::RetentionYears(c) => format!("{RETENTION_PREFIX}{}", c.as_str()),
            Setting::MailKeepTypes => "mail.keep-types".into(),
            Setting::MailSkipNames => "mail.skip-names".into(),
            Setting::MailInlineImageBelow => "mail.inline-image-below".into(),
            Setting::MailKeepWithoutAttachments => "mail.keep-without-attachments".into(),
            Setting::MailFetchMinutes => "mail.fetch-every-minutes".into(),
        }
    }

    /// The setting called `name`.
    pub fn parse(name: &str) -> Result<Setting> {
        let name = name.trim();
        if let Some(category) = name.strip_prefix(RETENTION_PREFIX) {
            return Ok(Setting::RetentionYears(Category::parse(category)?));
        }
        FIXED.into_iter().find(|s| s.name() == name).ok_or_else(|| {
            Error::invalid(
                "setting",
                Why::NotOneOf {
                    value: name.to_owned(),
                    allowed: FIXED
                        .iter()
                        .map(|s| s.name())
                        .chain([format!("{RETENTION_PREFIX}CATEGORY")])
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            )
        })
    }

    /// Whether it is one of the rules deciding which parts of an e-mail message are stored.
    pub fn is_mail_rule(self) -> bool {
        matches!(
            self,
            Setting::MailKeepTypes
                | Setting::MailSkipNames
                | Setting::MailInlineImageBelow
                | Setting::MailKeepWithoutAttachments
        )
    }

    /// Whether changing it changes documents' retention dates.
    pub fn affects_retention(self) -> bool {
        matches!(
            self,
            Setting::Jurisdiction
                | Setting::FiscalYearEnd
                | Setting::OwnerIds
                | Setting::OwnerNames
                | Setting::RetentionYears(_)
        )
    }

    /// The key in the index's `settings` table.
    fn stored_key(self) -> String {
        match self {
            Setting::MaxImportSize => "import.max_bytes".into(),
            Setting::AuditAccessMonths => "audit.access_months".into(),
            Setting::AutoLockMinutes => "app.auto_lock_minutes".into(),
            Setting::BackupWarnDays => "backup.warn_after_days".into(),
            Setting::BackupSchedule => "backup.schedule".into(),
            Setting::Jurisdiction => "retention.jurisdiction".into(),
            Setting::FiscalYearEnd => "retention.fiscal_year_end".into(),
            Setting::OwnerIds => "owner.ids".into(),
            Setting::OwnerNames => "owner.names".into(),
            Setting::RetentionYears(c) => format!("retention.custom.{}", c.as_str()),
            Setting::MailKeepTypes => "mail.keep_types".into(),
            Setting::MailSkipNames => "mail.skip_names".into(),
            Setting::MailInlineImageBelow => "mail.inline_image_below".into(),
            Setting::MailKeepWithoutAttachments => "mail.keep_without_attachments".into(),
            Setting::MailFetchMinutes => "mail.fetch_every_minutes".into(),
        }
    }

    /// The value when none is stored. Retention years have none of their own: the
    /// jurisdiction's preset applies (see [`Policy::years`]).
    pub fn default_value(self) -> Option<Value> {
        Some(match self {
            Setting::MaxImportSize => Value::Bytes(DEFAULT_MAX_IMPORT_BYTES),
            Setting::AuditAccessMonths => Value::Count(DEFAULT_ACCESS_RETENTION_MONTHS),
            Setting::AutoLockMinutes => Value::Count(DEFAULT_AUTO_LOCK_MINUTES),
            Setting::BackupWarnDays => Value::Count(DEFAULT_WARN_AFTER_DAYS),
            Setting::BackupSchedule => Value::Schedule(DEFAULT_BACKUP_SCHEDULE),
            Setting::Jurisdiction => Value::Jurisdiction(Jurisdiction::France),
            Setting::FiscalYearEnd => Value::MonthDay(12, 31),
            Setting::OwnerIds | Setting::OwnerNames => Value::Ids(Vec::new()),
            Setting::RetentionYears(_) => return None,
            Setting::MailKeepTypes => Value::Ids(Rules::default().keep_types),
            Setting::MailSkipNames => Value::Ids(Rules::default().skip_names),
            Setting::MailInlineImageBelow => Value::Bytes(Rules::default().inline_image_below),
            Setting::MailKeepWithoutAttachments => {
                Value::Flag(Rules::default().keep_without_attachments)
            }
            Setting::MailFetchMinutes => Value::Count(DEFAULT_MAIL_FETCH_MINUTES),
        })
    }

    /// Reads and checks the user's text for this setting.
    pub fn parse_value(self, text: &str) -> Result<Value> {
        let field = self.name();
        let count = |min: u32, max: u32| -> Result<Value> {
            let n: i64 = text.trim().parse().map_err(|_| {
                Error::invalid(
                    &field,
                    Why::NotANumber {
                        value: text.trim().to_owned(),
                    },
                )
            })?;
            if n < i64::from(min) || n > i64::from(max) {
                return Err(Error::invalid(
                    &field,
                    Why::OutOfRange {
                        value: n,
                        min: min.into(),
                        max: max.into(),
                    },
                ));
            }
            Ok(Value::Count(n as u32))
        };
        match self {
            Setting::MaxImportSize => {
                let bytes = crate::support::sizes::parse_size(&field, text)?;
                if bytes == 0 {
                    return Err(Error::invalid(&field, Why::AtLeast { value: 0, min: 1 }));
                }
                Ok(Value::Bytes(bytes))
            }
            Setting::AuditAccessMonths => count(1, 120),
            Setting::AutoLockMinutes | Setting::MailFetchMinutes => count(0, 24 * 60),
            Setting::BackupWarnDays => count(1, 3650),
            Setting::BackupSchedule => text.parse().map(Value::Schedule).map_err(|_| {
                Error::invalid(
                    &field,
                    Why::NotOneOf {
                        value: text.trim().to_owned(),
                        allowed: "off, daily HH:MM, weekly DAY HH:MM (DAY: mon..sun)".into(),
                    },
                )
            }),
            Setting::RetentionYears(_) => count(1, 100),
            Setting::Jurisdiction => Ok(Value::Jurisdiction(Jurisdiction::parse(text)?)),
            Setting::FiscalYearEnd => {
                let (m, d) = Policy::parse_fiscal_year_end(text)?;
                Ok(Value::MonthDay(m, d))
            }
            Setting::OwnerIds | Setting::OwnerNames | Setting::MailSkipNames => {
                Ok(Value::Ids(list(text)))
            }
            Setting::MailKeepTypes => {
                let kinds: Vec<String> = list(text).iter().map(|k| k.to_lowercase()).collect();
                match kinds.iter().find(|k| !MAIL_KINDS.contains(&k.as_str())) {
                    Some(bad) => Err(Error::invalid(
                        &field,
                        Why::NotOneOf {
                            value: bad.clone(),
                            allowed: MAIL_KINDS.join(", "),
                        },
                    )),
                    None => Ok(Value::Ids(kinds)),
                }
            }
            Setting::MailInlineImageBelow => Ok(Value::Bytes(crate::support::sizes::parse_size(
                &field, text,
            )?)),
            Setting::MailKeepWithoutAttachments => match text.trim().to_lowercase().as_str() {
                "yes" | "true" | "on" | "1" => Ok(Value::Flag(true)),
                "no" | "false" | "off" | "0" => Ok(Value::Flag(false)),
                other => Err(Error::invalid(
                    &field,
                    Why::NotOneOf {
                        value: other.to_owned(),
                        allowed: "yes, no".into(),
                    },
                )),
            },
        }
    }
}

/// A comma-separated list, trimmed, empty items left out.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A setting's stored value, or its default when unset or unreadable (an older or hand-edited
/// index never stops the vault from opening). `None` only for retention years left unset.
pub fn get(conn: &Connection, setting: Setting) -> Result<Option<Value>> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [setting.stored_key()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(stored
        .and_then(|text| setting.parse_value(&text).ok())
        .or_else(|| setting.default_value()))
}

/// A count setting's value (months, minutes, days), its default when unset.
pub fn count(conn: &Connection, setting: Setting) -> Result<u32> {
    Ok(get(conn, setting)?.map_or(0, |v| v.count()))
}

/// Stores a checked value, inside the caller's transaction; returns the audit entry's detail
/// (`{"key", "value"}`, the stored key and text, as entries have always said).
pub fn put(tx: &Connection, setting: Setting, value: &Value) -> Result<serde_json::Value> {
    let key = setting.stored_key();
    let text = value.to_text();
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, text],
    )?;
    Ok(match value {
        Value::Bytes(n) => serde_json::json!({ "key": key, "value": n }),
        Value::Count(n) => serde_json::json!({ "key": key, "value": n }),
        _ => serde_json::json!({ "key": key, "value": text }),
    })
}

/// Every setting's effective value, as both shells show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Settings {
    /// `max-import-size`, in bytes.
    pub max_import_size: u64,
    /// `audit-access-months`.
    pub audit_access_months: u32,
    /// `auto-lock-minutes` (0: never).
    pub auto_lock_minutes: u32,
    /// `backup-warn-days`.
    pub backup_warn_days: u32,
    /// `backup-schedule`: `off`, `daily HH:MM` or `weekly DAY HH:MM`.
    pub backup_schedule: String,
    /// `jurisdiction`: `france`, `germany` or `custom`.
    pub jurisdiction: String,
    /// `fiscal-year-end`, `MM-DD`.
    pub fiscal_year_end: String,
    /// `owner-ids`.
    pub owner_ids: Vec<String>,
    /// `owner-names`.
    pub owner_names: Vec<String>,
    /// `retention.CATEGORY`: the years in force per category (the preset's unless custom).
    pub retention_years: Vec<(String, u32)>,
    /// `mail.keep-types`.
    pub mail_keep_types: Vec<String>,
    /// `mail.skip-names`.
    pub mail_skip_names: Vec<String>,
    /// `mail.inline-image-below`, in bytes.
    pub mail_inline_image_below: u64,
    /// `mail.keep-without-attachments`.
    pub mail_keep_without_attachments: bool,
    /// `mail.fetch-every-minutes` (0: never).
    pub mail_fetch_every_minutes: u32,
}

impl Settings {
    /// Reads every setting.
    pub fn read(conn: &Connection) -> Result<Settings> {
        let policy = policy(conn)?;
        let text = |s: Setting| -> Result<String> {
            Ok(get(conn, s)?.map(|v| v.to_text()).unwrap_or_default())
        };
        let ids = match get(conn, Setting::OwnerIds)? {
            Some(Value::Ids(ids)) => ids,
            _ => Vec::new(),
        };
        let rules = mail_rules(conn)?;
        Ok(Settings {
            max_import_size: match get(conn, Setting::MaxImportSize)? {
                Some(Value::Bytes(n)) => n,
                _ => DEFAULT_MAX_IMPORT_BYTES,
            },
            audit_access_months: count(conn, Setting::AuditAccessMonths)?,
            auto_lock_minutes: count(conn, Setting::AutoLockMinutes)?,
            backup_warn_days: count(conn, Setting::BackupWarnDays)?,
            backup_schedule: text(Setting::BackupSchedule)?,
            jurisdiction: text(Setting::Jurisdiction)?,
            fiscal_year_end: text(Setting::FiscalYearEnd)?,
            owner_ids: ids,
            owner_names: match get(conn, Setting::OwnerNames)? {
                Some(Value::Ids(names)) => names,
                _ => Vec::new(),
            },
            retention_years: Category::ALL
                .into_iter()
                .map(|c| (c.as_str().to_owned(), policy.years(c)))
                .collect(),
            mail_keep_types: rules.keep_types,
            mail_skip_names: rules.skip_names,
            mail_inline_image_below: rules.inline_image_below,
            mail_keep_without_attachments: rules.keep_without_attachments,
            mail_fetch_every_minutes: count(conn, Setting::MailFetchMinutes)?,
        })
    }

    /// A setting's value as text, as `coffre config KEY` prints it.
    pub fn text(&self, setting: Setting) -> String {
        match setting {
            Setting::MaxImportSize => self.max_import_size.to_string(),
            Setting::AuditAccessMonths => self.audit_access_months.to_string(),
            Setting::AutoLockMinutes => self.auto_lock_minutes.to_string(),
            Setting::BackupWarnDays => self.backup_warn_days.to_string(),
            Setting::BackupSchedule => self.backup_schedule.clone(),
            Setting::Jurisdiction => self.jurisdiction.clone(),
            Setting::FiscalYearEnd => self.fiscal_year_end.clone(),
            Setting::OwnerIds => self.owner_ids.join(","),
            Setting::OwnerNames => self.owner_names.join(","),
            Setting::RetentionYears(c) => self
                .retention_years
                .iter()
                .find(|(name, _)| name == c.as_str())
                .map(|(_, y)| y.to_string())
                .unwrap_or_default(),
            Setting::MailKeepTypes => self.mail_keep_types.join(","),
            Setting::MailSkipNames => self.mail_skip_names.join(","),
            Setting::MailInlineImageBelow => self.mail_inline_image_below.to_string(),
            Setting::MailKeepWithoutAttachments => {
                Value::Flag(self.mail_keep_without_attachments).to_text()
            }
            Setting::MailFetchMinutes => self.mail_fetch_every_minutes.to_string(),
        }
    }
}

/// The rules deciding which parts of an e-mail message are stored (`mail.*`).
pub fn mail_rules(conn: &Connection) -> Result<Rules> {
    let mut rules = Rules::default();
    if let Some(Value::Ids(kinds)) = get(conn, Setting::MailKeepTypes)? {
        rules.keep_types = kinds;
    }
    if let Some(Value::Ids(words)) = get(conn, Setting::MailSkipNames)? {
        rules.skip_names = words;
    }
    if let Some(Value::Bytes(n)) = get(conn, Setting::MailInlineImageBelow)? {
        rules.inline_image_below = n;
    }
    if let Some(Value::Flag(keep)) = get(conn, Setting::MailKeepWithoutAttachments)? {
        rules.keep_without_attachments = keep;
    }
    Ok(rules)
}

/// The retention policy the settings describe.
pub fn policy(conn: &Connection) -> Result<Policy> {
    let mut p = Policy::default();
    if let Some(Value::Jurisdiction(j)) = get(conn, Setting::Jurisdiction)? {
        p.jurisdiction = j;
    }
    if let Some(Value::MonthDay(m, d)) = get(conn, Setting::FiscalYearEnd)? {
        p.fiscal_year_end = (m, d);
    }
    for c in Category::ALL {
        if let Some(Value::Count(years)) = get(conn, Setting::RetentionYears(c))? {
            p.custom_years.push((c, years));
        }
    }
    Ok(p)
}

/// Who the owner is (`owner-ids` and `owner-names`), for telling purchases from sales.
pub fn owner(conn: &Connection) -> Result<crate::records::direction::Owner> {
    Ok(crate::records::direction::Owner {
        ids: owner_ids(conn)?,
        names: match get(conn, Setting::OwnerNames)? {
            Some(Value::Ids(names)) => names,
            _ => Vec::new(),
        },
    })
}

/// The owner's identifiers (`owner-ids`).
pub fn owner_ids(conn: &Connection) -> Result<Vec<String>> {
    Ok(match get(conn, Setting::OwnerIds)? {
        Some(Value::Ids(ids)) => ids,
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_setting() {
        for s in Setting::all() {
            assert_eq!(Setting::parse(&s.name()).unwrap(), s);
        }
        assert!(matches!(
            Setting::parse("max_import_mb"),
            Err(Error::Invalid {
                why: Why::NotOneOf { .. },
                ..
            })
        ));
    }

    #[test]
    fn values_are_checked_against_their_unit_and_range() {
        let v = |s: Setting, t: &str| s.parse_value(t);
        assert_eq!(
            v(Setting::MaxImportSize, "50MiB").unwrap(),
            Value::Bytes(50 << 20)
        );
        assert!(v(Setting::MaxImportSize, "0").is_err());
        assert_eq!(v(Setting::AutoLockMinutes, "0").unwrap(), Value::Count(0));
        assert!(v(Setting::AutoLockMinutes, "1441").is_err());
        assert!(v(Setting::AuditAccessMonths, "0").is_err());
        assert!(v(Setting::AuditAccessMonths, "121").is_err());
        assert!(v(Setting::BackupWarnDays, "-1").is_err());
        assert!(matches!(
            v(Setting::BackupWarnDays, "soon"),
            Err(Error::Invalid {
                why: Why::NotANumber { .. },
                ..
            })
        ));
        assert_eq!(
            v(Setting::FiscalYearEnd, "6-30").unwrap(),
            Value::MonthDay(6, 30)
        );
        assert_eq!(
            v(Setting::OwnerIds, " FR1 , ,DE2").unwrap(),
            Value::Ids(vec!["FR1".into(), "DE2".into()])
        );
        assert_eq!(
            v(Setting::MailKeepTypes, "PDF, xml").unwrap(),
            Value::Ids(vec!["pdf".into(), "xml".into()])
        );
        assert!(v(Setting::MailKeepTypes, "pdf,exe").is_err());
        assert_eq!(
            v(Setting::MailKeepWithoutAttachments, "Yes").unwrap(),
            Value::Flag(true)
        );
        assert!(v(Setting::MailKeepWithoutAttachments, "maybe").is_err());
    }
}
