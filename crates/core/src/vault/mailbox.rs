//! Mail accounts (IMAP folders that Coffre collects invoices from) and the record of every
//! message fetched from them, which makes collecting exactly-once.
//!
//! The network half lives above the core (`coffre-mailbox`); this module holds what both shells
//! and the collector need to agree on: what a valid account is, where its password is kept, and
//! which messages are done.
//!
//! Promises:
//! - an account's password is sealed (AES-256-GCM) under a key derived from the master key, bound
//!   to the vault and the account's name; it is returned only in zeroizing memory and never
//!   appears in a listing, an audit entry or an error;
//! - a server that is not this machine is used only over TLS (`tls` or `starttls`);
//! - a fetched message is recorded by (account, UIDVALIDITY, UID) in the transaction that stores
//!   it (or, for a message skipped or failed, right after): a message is fetched again only when
//!   nothing of it was committed, or when it failed; messages are committed in ascending UID
//!   order, so every UID at or below the highest recorded one is done ([`Vault::mail_done_through`]);
//! - the after-fetch action (mark seen, move) is applied only to messages whose content is in the
//!   vault, and only after their commit; one cut short is applied at the next fetch.

use std::net::IpAddr;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::error::MailFault;
use crate::format::crypto::{derive_subkey, open_bytes, seal_bytes};
use crate::format::secret::SecretKey;
use crate::format::vault_format::labels;
use crate::storage::index::Document;
use crate::vault::import::Receipt;
use crate::vault::{ImportStatus, PartOutcome, Prepared, Vault, now};
use crate::{Error, Result, Why};

/// How the connection to a mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// A plain connection upgraded with STARTTLS (port 143); refused if the server cannot.
    Starttls,
    /// No encryption: only to this machine (a local bridge, tests).
    None,
}

impl Security {
    /// The name as written on the command line and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::None => "none",
        }
    }

    /// Reads `tls`, `starttls` or `none`.
    pub fn parse(value: &str) -> Result<Security> {
        match value.trim().to_ascii_lowercase().as_str() {
            "tls" => Ok(Security::Tls),
            "starttls" => Ok(Security::Starttls),
            "none" => Ok(Security::None),
            _ => Err(Error::invalid(
                "security",
                Why::NotOneOf {
                    value: value.to_owned(),
                    allowed: "tls, starttls, none".into(),
                },
            )),
        }
    }
}

/// What is done on the server to a message once it is safely in the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Nothing: the message stays as it was (unread stays unread).
    Keep,
    /// Marked as read.
    Seen,
    /// Moved to another folder of the same account.
    Move(String),
}

impl After {
    /// Reads `keep`, `seen` or `move:FOLDER`.
    pub fn parse(value: &str) -> Result<After> {
        let bad = || {
            Error::invalid(
                "after",
                Why::NotOneOf {
                    value: value.to_owned(),
                    allowed: "keep, seen, move:FOLDER".into(),
                },
            )
        };
        match value.trim() {
            "keep" => Ok(After::Keep),
            "seen" => Ok(After::Seen),
            other => match other.strip_prefix("move:") {
                Some(folder) if valid_folder(folder) => Ok(After::Move(folder.to_owned())),
                _ => Err(bad()),
            },
        }
    }

    /// The form [`After::parse`] reads.
    pub fn to_text(&self) -> String {
        match self {
            After::Keep => "keep".into(),
            After::Seen => "seen".into(),
            After::Move(folder) => format!("move:{folder}"),
        }
    }
}

impl Serialize for After {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

/// A mail account as listed (never with its password).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct MailAccount {
    /// The owner's name for it (`factures`, `compta`).
    pub name: String,
    /// The IMAP server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
    /// The user name to log in with.
    pub user: String,
    /// The folder collected from.
    pub folder: String,
    /// The certificate authority trusted for this server instead of the system's (PEM), if any.
    pub ca_pem: Option<String>,
    /// What is done to a message once stored: `keep`, `seen` or `move:FOLDER`.
    #[cfg_attr(feature = "typescript", ts(type = "string"))]
    pub after: After,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// How the last fetch went, if one ran.
    pub last_fetch: Option<FetchSummary>,
}

/// An account to add, with its password.
pub struct NewMailAccount {
    /// See [`MailAccount::name`].
    pub name: String,
    /// See [`MailAccount::host`].
    pub host: String,
    /// See [`MailAccount::port`].
    pub port: u16,
    /// See [`MailAccount::security`].
    pub security: Security,
    /// See [`MailAccount::user`].
    pub user: String,
    /// The password (an application password for most providers).
    pub password: Zeroizing<String>,
    /// See [`MailAccount::folder`].
    pub folder: String,
    /// See [`MailAccount::ca_pem`].
    pub ca_pem: Option<String>,
    /// See [`MailAccount::after`].
    pub after: After,
}

impl NewMailAccount {
    /// The account as it will be listed (to test it before it is stored).
    pub fn preview(&self) -> MailAccount {
        MailAccount {
            name: self.name.clone(),
            host: self.host.trim().to_owned(),
            port: self.port,
            security: self.security,
            user: self.user.trim().to_owned(),
            folder: self.folder.clone(),
            ca_pem: self.ca_pem.clone(),
            after: self.after.clone(),
            created_at: String::new(),
            last_fetch: None,
        }
    }
}

/// How a fetch went, kept with the account for the app's Settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct FetchSummary {
    /// When it ended (RFC 3339).
    pub at: String,
    /// Messages stored.
    pub imported: u64,
    /// Messages already in the vault.
    pub duplicate: u64,
    /// Messages left out (no attachment the mail rules keep, too large).
    pub skipped: u64,
    /// Messages that could not be stored this time (they are tried again at the next fetch).
    pub failed: u64,
    /// The error that stopped the fetch, as a reason code (`mail`, `interrupted`...), if any.
    pub error_code: Option<String>,
    /// With the `mail` code: what went wrong with the server.
    pub error_fault: Option<MailFault>,
    /// The error that stopped the fetch, in English, if any.
    pub error: Option<String>,
}

/// A message's place on the server: what the fetch record is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailUid {
    /// The folder's UIDVALIDITY when fetched.
    pub validity: u32,
    /// The message's UID.
    pub uid: u32,
}

/// A fetched message, read and prepared (or not), waiting for [`Vault::mail_commit`].
pub enum Fetched {
    /// Extracted and sealed.
    Prepared(Box<Prepared>),
    /// Its bytes are already in the vault as this document.
    Duplicate(Document),
    /// Not read: the reason why (too large).
    Skipped(String),
    /// Preparing it failed ([`Error::NothingKept`] and [`Error::TooLarge`] count as skipped).
    Failed(Error),
}

/// What became of a fetched message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum FetchStatus {
    /// Stored, with the parts the mail rules keep.
    Imported,
    /// Already in the vault (the same bytes, or the same message delivered again).
    Duplicate,
    /// Left out, with the reason.
    Skipped,
    /// Not stored this time; tried again at the next fetch.
    Failed,
}

/// One fetched message's outcome.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct MessageOutcome {
    /// Its UID in the folder.
    pub uid: u32,
    /// What became of it.
    pub status: FetchStatus,
    /// The message's document (stored now, or found).
    pub document: Option<Document>,
    /// What became of each of its parts (stored now only).
    pub parts: Vec<PartOutcome>,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
}

/// Whether `host` names this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The accounts a schedule of one fetch every `every_minutes` should fetch at `now` (RFC 3339):
/// those never fetched, and those whose last fetch ended that long ago (or at an unreadable or
/// future time, as after a clock change).
pub fn due(accounts: &[MailAccount], every_minutes: u32, now: &str) -> Vec<String> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let Ok(now) = OffsetDateTime::parse(now, &Rfc3339) else {
        return Vec::new();
    };
    let period = time::Duration::minutes(i64::from(every_minutes));
    accounts
        .iter()
        .filter(|a| match &a.last_fetch {
            None => true,
            Some(last) => OffsetDateTime::parse(&last.at, &Rfc3339)
                .map_or(true, |at| at > now || now - at >= period),
        })
        .map(|a| a.name.clone())
        .collect()
}

fn valid_folder(folder: &str) -> bool {
    !folder.trim().is_empty() && folder.len() <= 200 && !folder.chars().any(char::is_control)
}

fn no_controls(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, Why::Required));
    }
    if value.chars().any(char::is_control) || value.len() > 500 {
        return Err(Error::invalid(
            field,
            Why::BadFormat {
                value: value.chars().filter(|c| !c.is_control()).take(80).collect(),
                format: "one line of text".into(),
            },
        ));
    }
    Ok(())
}

/// Checks an account before it is stored: the rules both shells apply.
pub fn validate(new: &NewMailAccount) -> Result<()> {
    let name_ok = !new.name.is_empty()
        && new.name.len() <= 64
        && new
            .name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if !name_ok {
        return Err(Error::invalid(
            "name",
            Why::BadFormat {
                value: new.name.chars().take(80).collect(),
                format: "letters, digits, - _ . @ (up to 64)".into(),
            },
        ));
    }
    no_controls("host", &new.host)?;
    if new.host.contains(char::is_whitespace) || new.host.contains('/') {
        return Err(Error::invalid(
            "host",
            Why::BadFormat {
                value: new.host.clone(),
                format: "a host name or address".into(),
            },
        ));
    }
    if new.port == 0 {
        return Err(Error::invalid(
            "port",
            Why::OutOfRange {
                value: 0,
                min: 1,
                max: 65535,
            },
        ));
    }
    if new.security == Security::None && !is_loopback(&new.host) {
        return Err(Error::invalid(
            "security",
            Why::NotLoopback {
                value: new.host.clone(),
            },
        ));
    }
    no_controls("user", &new.user)?;
    if new.password.is_empty() || new.password.chars().any(|c| c == '\r' || c == '\n') {
        // The password itself is never echoed back.
        return Err(Error::invalid("password", Why::Required));
    }
    if !valid_folder(&new.folder) {
        return Err(Error::invalid(
            "folder",
            Why::BadFormat {
                value: new.folder.chars().filter(|c| !c.is_control()).collect(),
                format: "a folder name (INBOX, Factures)".into(),
            },
        ));
    }
    if let Some(pem) = &new.ca_pem
        && !pem.contains("-----BEGIN CERTIFICATE-----")
    {
        return Err(Error::invalid(
            "ca-file",
            Why::BadFormat {
                value: "(the file given)".into(),
                format: "PEM certificates (-----BEGIN CERTIFICATE-----)".into(),
            },
        ));
    }
    Ok(())
}

fn password_aad(vault: &uuid::Uuid, name: &str) -> Vec<u8> {
    let mut aad = labels::CREDENTIALS.as_bytes().to_vec();
    aad.extend_from_slice(vault.as_bytes());
    aad.extend_from_slice(name.as_bytes());
    aad
}

/// The key sealing the accounts' passwords under `master`.
pub(crate) fn credentials_key(master: &SecretKey, vault: &uuid::Uuid) -> Result<SecretKey> {
    derive_subkey(master, vault.as_bytes(), labels::CREDENTIALS)
}

/// Re-seals every account's password from `old` to `new` (a master-key rotation), through `tx`.
pub(crate) fn reseal(
    tx: &Connection,
    old: &SecretKey,
    new: &SecretKey,
    vault: &uuid::Uuid,
) -> Result<()> {
    let rows: Vec<(String, Vec<u8>)> = tx
        .prepare("SELECT name, password FROM mail_accounts")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, sealed) in rows {
        let aad = password_aad(vault, &name);
        let plain = open_bytes(old, &sealed, &aad).ok_or_else(|| Error::Tampered {
            id: format!("mail account {name}"),
            reason: "its password does not open".into(),
        })?;
        tx.execute(
            "UPDATE mail_accounts SET password = ?2 WHERE name = ?1",
            params![name, seal_bytes(new, &plain, &aad)?],
        )?;
    }
    Ok(())
}

const ACCOUNT_COLUMNS: &str =
    "name, host, port, security, user, folder, ca_pem, after, created_at, last_fetch";

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(MailAccount, String)> {
    let security: String = r.get(3)?;
    let after: String = r.get(7)?;
    let last: Option<String> = r.get(9)?;
    Ok((
        MailAccount {
            name: r.get(0)?,
            host: r.get(1)?,
            port: r.get(2)?,
            security: Security::parse(&security).unwrap_or(Security::Tls),
            user: r.get(4)?,
            folder: r.get(5)?,
            ca_pem: r.get(6)?,
            after: After::Keep,
            created_at: r.get(8)?,
            last_fetch: last.and_then(|l| serde_json::from_str(&l).ok()),
        },
        after,
    ))
}

fn finish_account((mut account, after): (MailAccount, String)) -> MailAccount {
    account.after = After::parse(&after).unwrap_or(After::Keep);
    account
}

/// Records a fetched message as done, in the caller's transaction.
pub(crate) fn record(
    tx: &Connection,
    account: &str,
    at: MailUid,
    status: FetchStatus,
    doc_id: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    let status = match status {
        FetchStatus::Imported => "imported",
        FetchStatus::Duplicate => "duplicate",
        FetchStatus::Skipped => "skipped",
        FetchStatus::Failed => "failed",
    };
    tx.execute(
        "INSERT INTO mail_seen (account, uidvalidity, uid, status, doc_id, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(account, uidvalidity, uid) DO UPDATE SET
           status = excluded.status, doc_id = excluded.doc_id, reason = excluded.reason",
        params![account, at.validity, at.uid, status, doc_id, reason, now()],
    )?;
    Ok(())
}

impl Vault {
    /// Adds a mail account (its password sealed); audited without the password.
    pub fn mail_add(&mut self, new: NewMailAccount) -> Result<MailAccount> {
        validate(&new)?;
        if self.mail_account(&new.name).is_ok() {
            return Err(Error::invalid(
                "name",
                Why::Taken {
                    value: new.name.clone(),
                },
            ));
        }
        let key = credentials_key(&self.keys.master, &self.header.vault_id)?;
        let sealed = seal_bytes(
            &key,
            new.password.as_bytes(),
            &password_aad(&self.header.vault_id, &new.name),
        )?;
        let at = now();
        self.audited("mail.account.add", None, |tx| {
            tx.execute(
                "INSERT INTO mail_accounts
                 (name, host, port, security, user, folder, ca_pem, after, password, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    new.name,
                    new.host.trim(),
                    new.port,
                    new.security.as_str(),
                    new.user.trim(),
                    new.folder,
                    new.ca_pem,
                    new.after.to_text(),
                    sealed,
                    at
                ],
            )?;
            Ok((
                (),
                json!({ "name": new.name, "host": new.host.trim(), "port": new.port,
                        "security": new.security.as_str(), "folder": new.folder,
                        "after": new.after.to_text() }),
            ))
        })?;
        self.mail_account(&new.name)
    }

    /// Every mail account, by name.
    pub fn mail_accounts(&self) -> Result<Vec<MailAccount>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM mail_accounts ORDER BY name"
        ))?;
        let rows = stmt
            .query_map([], account_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(finish_account).collect())
    }

    /// The mail account named `name`.
    pub fn mail_account(&self, name: &str) -> Result<MailAccount> {
        self.conn()
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM mail_accounts WHERE name = ?1"),
                [name],
                account_row,
            )
            .optional()?
            .map(finish_account)
            .ok_or_else(|| Error::not_found(Kind::MailAccount, name))
    }

    /// The account's password, unsealed into zeroizing memory (for the collector's login).
    pub fn mail_password(&self, name: &str) -> Result<Zeroizing<String>> {
        let sealed: Vec<u8> = self
            .conn()
            .query_row(
                "SELECT password FROM mail_accounts WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::not_found(Kind::MailAccount, name))?;
        let key = credentials_key(&self.keys.master, &self.header.vault_id)?;
        let plain = open_bytes(&key, &sealed, &password_aad(&self.header.vault_id, name))
            .ok_or_else(|| Error::Tampered {
                id: format!("mail account {name}"),
                reason: "its password does not open".into(),
            })?;
        Ok(Zeroizing::new(
            String::from_utf8(plain.to_vec()).map_err(|_| Error::Crypto("password not UTF-8"))?,
        ))
    }

    /// Removes a mail account, its password and its fetch record (documents stay); audited.
    pub fn mail_remove(&mut self, name: &str) -> Result<()> {
        self.mail_account(name)?;
        self.audited("mail.account.remove", None, |tx| {
            tx.execute("DELETE FROM mail_seen WHERE account = ?1", [name])?;
            tx.execute("DELETE FROM mail_accounts WHERE name = ?1", [name])?;
            Ok(((), json!({ "name": name })))
        })
    }

    /// The highest UID recorded for the account under `validity` (0 when none): every message
    /// at or below it is done, so a fetch asks the server only for the UIDs above.
    pub fn mail_done_through(&self, name: &str, validity: u32) -> Result<u32> {
        Ok(self.conn().query_row(
            "SELECT coalesce(max(uid), 0) FROM mail_seen WHERE account = ?1 AND uidvalidity = ?2",
            params![name, validity],
            |r| r.get(0),
        )?)
    }

    /// Messages that failed at an earlier fetch (tried again at the next), by UID.
    pub fn mail_failed(&self, name: &str, validity: u32) -> Result<Vec<u32>> {
        let mut stmt = self.conn().prepare(
            "SELECT uid FROM mail_seen WHERE account = ?1 AND uidvalidity = ?2
             AND status = 'failed' ORDER BY uid",
        )?;
        Ok(stmt
            .query_map(params![name, validity], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Messages stored (or found) whose after-fetch action was not applied yet, by UID.
    pub fn mail_unacted(&self, name: &str, validity: u32) -> Result<Vec<u32>> {
        let mut stmt = self.conn().prepare(
            "SELECT uid FROM mail_seen WHERE account = ?1 AND uidvalidity = ?2 AND acted = 0
             AND status IN ('imported', 'duplicate') ORDER BY uid",
        )?;
        Ok(stmt
            .query_map(params![name, validity], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records that the after-fetch action was applied to these messages.
    pub fn mail_mark_acted(&mut self, name: &str, validity: u32, uids: &[u32]) -> Result<()> {
        let tx = self.index.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE mail_seen SET acted = 1
                 WHERE account = ?1 AND uidvalidity = ?2 AND uid = ?3",
            )?;
            for uid in uids {
                stmt.execute(params![name, validity, uid])?;
            }
        }
        tx.commit()
    }

    /// Stores fetched messages of account `name` (ascending UIDs) in one transaction: each
    /// prepared message with its parts and its fetch record (a savepoint each), and the records
    /// of the messages skipped or failed (a failed one is tried again at the next fetch). One
    /// outcome per message, in order.
    pub fn mail_commit(
        &mut self,
        name: &str,
        batch: Vec<(MailUid, Fetched)>,
    ) -> Result<Vec<MessageOutcome>> {
        let mut outcomes: Vec<Option<MessageOutcome>> = Vec::with_capacity(batch.len());
        let mut to_commit = Vec::new();
        let mut slots = Vec::new();
        let mut plain_records = Vec::new();
        for (at, fetched) in batch {
            let outcome =
                |status, document: Option<Document>, reason: Option<String>| MessageOutcome {
                    uid: at.uid,
                    status,
                    document,
                    parts: Vec::new(),
                    reason,
                };
            match fetched {
                Fetched::Prepared(prepared) => {
                    slots.push((outcomes.len(), at));
                    outcomes.push(None);
                    to_commit.push((*prepared, Receipt::Mail(name.to_owned(), at)));
                }
                Fetched::Duplicate(doc) => {
                    plain_records.push((at, FetchStatus::Duplicate, Some(doc.id.clone()), None));
                    outcomes.push(Some(outcome(FetchStatus::Duplicate, Some(doc), None)));
                }
                Fetched::Skipped(reason) => {
                    plain_records.push((at, FetchStatus::Skipped, None, Some(reason.clone())));
                    outcomes.push(Some(outcome(FetchStatus::Skipped, None, Some(reason))));
                }
                Fetched::Failed(e) => {
                    let status = match e {
                        Error::NothingKept { .. } | Error::TooLarge { .. } => FetchStatus::Skipped,
                        _ => FetchStatus::Failed,
                    };
                    let reason = e.to_string();
                    plain_records.push((at, status, None, Some(reason.clone())));
                    outcomes.push(Some(outcome(status, None, Some(reason))));
                }
            }
        }
        let committed = self.commit_receipts(to_commit, |tx| {
            for (at, status, doc, reason) in &plain_records {
                record(tx, name, *at, *status, doc.as_deref(), reason.as_deref())?;
            }
            Ok(())
        })?;
        for ((slot, at), result) in slots.into_iter().zip(committed) {
            outcomes[slot] = Some(match result {
                Ok(done) => {
                    let status = match done.status {
                        ImportStatus::Imported => FetchStatus::Imported,
                        ImportStatus::Duplicate => FetchStatus::Duplicate,
                    };
                    MessageOutcome {
                        uid: at.uid,
                        status,
                        document: Some(done.document),
                        parts: done.parts,
                        reason: None,
                    }
                }
                // Recorded as failed in the same transaction.
                Err(e) => MessageOutcome {
                    uid: at.uid,
                    status: FetchStatus::Failed,
                    document: None,
                    parts: Vec::new(),
                    reason: Some(e.to_string()),
                },
            });
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// Keeps how the last fetch of the account went.
    pub fn mail_record_fetch(&mut self, name: &str, summary: &FetchSummary) -> Result<()> {
        let text = serde_json::to_string(summary).map_err(|_| Error::Crypto("json"))?;
        let tx = self.index.transaction()?;
        tx.execute(
            "UPDATE mail_accounts SET last_fetch = ?2 WHERE name = ?1",
            params![name, text],
        )?;
        tx.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "imap.example.org",
            "10.0.0.1",
            "192.168.1.2",
            "localhost.evil.com",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn after_round_trips_and_refuses_nonsense() {
        for text in ["keep", "seen", "move:Archives/Factures"] {
            assert_eq!(After::parse(text).unwrap().to_text(), text);
        }
        for text in ["", "delete", "move:", "move:a\r\nb"] {
            assert!(After::parse(text).is_err(), "{text:?}");
        }
    }

    impl NewMailAccount {
        fn preview_named(&self, name: &str) -> MailAccount {
            MailAccount {
                name: name.into(),
                ..self.preview()
            }
        }
    }

    fn account(host: &str, security: Security) -> NewMailAccount {
        NewMailAccount {
            name: "factures".into(),
            host: host.into(),
            port: 993,
            security,
            user: "me@example.org".into(),
            password: Zeroizing::new("secret".into()),
            folder: "INBOX".into(),
            ca_pem: None,
            after: After::Keep,
        }
    }

    #[test]
    fn no_encryption_only_to_this_machine() {
        assert!(validate(&account("127.0.0.1", Security::None)).is_ok());
        let e = validate(&account("imap.example.org", Security::None)).unwrap_err();
        assert!(matches!(
            e,
            Error::Invalid {
                why: Why::NotLoopback { .. },
                ..
            }
        ));
        assert!(validate(&account("imap.example.org", Security::Tls)).is_ok());
    }

    #[test]
    fn accounts_are_due_once_their_period_has_passed() {
        let at = |name: &str, last: Option<&str>| MailAccount {
            last_fetch: last.map(|at| FetchSummary {
                at: at.into(),
                ..FetchSummary::default()
            }),
            ..account(name, Security::Tls).preview_named(name)
        };
        let accounts = [
            at("never", None),
            at("recent", Some("2026-12-01T10:50:00Z")),
            at("old", Some("2026-12-01T10:44:59Z")),
            at("future", Some("2026-12-02T10:00:00Z")),
        ];
        assert_eq!(
            due(&accounts, 15, "2026-12-01T11:00:00Z"),
            ["never", "old", "future"]
        );
    }

    #[test]
    fn header_injection_is_refused() {
        let mut a = account("imap.example.org", Security::Tls);
        a.user = "me\r\nA1 DELETE INBOX".into();
        assert!(validate(&a).is_err());
        let mut a = account("imap.example.org", Security::Tls);
        a.password = Zeroizing::new("pw\r\nA1 LOGOUT".into());
        let e = validate(&a).unwrap_err();
        assert!(
            !e.to_string().contains("LOGOUT"),
            "the password is not echoed"
        );
        let mut a = account("imap.example.org", Security::Tls);
        a.name = "../../x".into();
        assert!(validate(&a).is_err());
    }
}
