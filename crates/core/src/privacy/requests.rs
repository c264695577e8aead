//! The register of GDPR requests: data subjects asking for access, rectification, erasure,
//! restriction, portability or objection (GDPR art. 15 to 21), and the deadline to answer them.
//!
//! Promises: a request is due one month after receipt (same day of the next month, or that
//! month's last day when it has no such day); the deadline can be extended once, with a reason,
//! to three months after receipt (art. 12(3)), and the initial deadline is kept beside the
//! extended one. A request is closed once, with an outcome; a closed request can no longer be
//! extended. Each creation, extension and closing also appends an event to a per-request log that
//! is never rewritten. A request is overdue when it is not closed and its deadline is before
//! today.

use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use coffre_extract::checks;

use crate::error::{Kind, Why};
use crate::support::dates::parse_ymd_field as parse_date;
use crate::{Error, Result};

/// What the data subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum RequestType {
    /// Access to their data (art. 15).
    Access,
    /// Rectification of their data (art. 16).
    Rectification,
    /// Erasure of their data (art. 17).
    Erasure,
    /// Restriction of processing (art. 18).
    Restriction,
    /// Their data in a portable format (art. 20).
    Portability,
    /// Objection to processing (art. 21).
    Objection,
}

impl RequestType {
    /// Every type, in article order.
    pub const ALL: [RequestType; 6] = [
        RequestType::Access,
        RequestType::Rectification,
        RequestType::Erasure,
        RequestType::Restriction,
        RequestType::Portability,
        RequestType::Objection,
    ];

    /// The lowercase name (`access`, `erasure`, ...), as stored and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Access => "access",
            RequestType::Rectification => "rectification",
            RequestType::Erasure => "erasure",
            RequestType::Restriction => "restriction",
            RequestType::Portability => "portability",
            RequestType::Objection => "objection",
        }
    }
}

impl fmt::Display for RequestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestType {
    type Err = Error;

    /// Parses one of the six names, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        RequestType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::invalid(
                    "request.type",
                    Why::NotOneOf {
                        value: s.to_owned(),
                        allowed: RequestType::ALL.map(RequestType::as_str).join(", "),
                    },
                )
            })
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    /// Received, not answered, deadline not extended.
    Open,
    /// Received, not answered, deadline extended.
    Extended,
    /// Answered.
    Closed,
}

/// A request to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The data subject's name.
    pub subject: String,
    /// Their e-mail address.
    pub email: Option<String>,
    /// Their VAT identification number (`FR12345678901`).
    pub vat_id: Option<String>,
    /// Their SIREN (nine digits).
    pub siren: Option<String>,
    /// What they ask for.
    pub kind: RequestType,
    /// When the request was received, `YYYY-MM-DD`; today (UTC) when `None` or blank.
    pub received: Option<String>,
}

/// A registered request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Request {
    /// The request's id.
    pub id: i64,
    /// The data subject's name.
    pub subject: String,
    /// Their e-mail address.
    pub email: Option<String>,
    /// Their VAT identification number, uppercase without spaces.
    pub vat_id: Option<String>,
    /// Their SIREN, nine digits.
    pub siren: Option<String>,
    /// What they ask for.
    pub kind: RequestType,
    /// When it was received, `YYYY-MM-DD`.
    pub received: String,
    /// The deadline at receipt: one month later, `YYYY-MM-DD`.
    pub due_initial: String,
    /// The extended deadline (three months after receipt), if extended.
    pub due_extended: Option<String>,
    /// The deadline in force: the extended one if any, else the initial one.
    pub due: String,
    /// Why the deadline was extended.
    pub extension_reason: Option<String>,
    /// When it was extended, RFC 3339 UTC.
    pub extended_at: Option<String>,
    /// Where it stands.
    pub status: RequestStatus,
    /// The answer given, once closed.
    pub outcome: Option<String>,
    /// When it was closed, RFC 3339 UTC.
    pub closed_at: Option<String>,
    /// When it was registered, RFC 3339 UTC.
    pub created_at: String,
    /// Not closed and the deadline in force is before the `today` given to [`list`] or [`get`].
    pub overdue: bool,
}

/// One entry of a request's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestEvent {
    /// Position in the log (across all requests), from 1.
    pub id: i64,
    /// The request concerned.
    pub request_id: i64,
    /// `created`, `extended` or `closed`.
    pub event: String,
    /// The extension's reason or the closing's outcome.
    pub detail: Option<String>,
    /// When, RFC 3339 UTC.
    pub at: String,
}

/// `date` plus `months` calendar months, clamped to the last day of the month reached.
fn add_months(date: time::Date, months: u8) -> Result<time::Date> {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + i32::from(months);
    let year = index.div_euclid(12);
    let month = time::Month::try_from((index.rem_euclid(12) + 1) as u8).expect("month in 1..=12");
    let day = date.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day).map_err(|_| {
        Error::invalid(
            "request.received",
            Why::NoSuchDate {
                value: crate::support::dates::format_ymd(date),
            },
        )
    })
}

/// The deadline of a request received on `received` (`YYYY-MM-DD`): one month after receipt, or
/// three months when `extended`; the same day of that month, or its last day when it has no such
/// day (2026-01-31 is due 2026-02-28).
pub fn due_date(received: &str, extended: bool) -> Result<String> {
    let date = parse_date("request.received", received)?;
    let due = add_months(date, if extended { 3 } else { 1 })?;
    Ok(crate::support::dates::format_ymd(due))
}

fn trimmed(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn check_email(email: &str) -> Result<()> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "request.email",
            Why::NotAnEmail {
                value: email.to_owned(),
            },
        ))
    }
}

/// The VAT number without separators, upper-cased, when its country's pattern and check (the
/// extraction's own [`checks::is_vat_id`]) accept it.
fn normalize_vat_id(vat: &str) -> Result<String> {
    if checks::is_vat_id(vat) {
        Ok(checks::compact(vat))
    } else {
        Err(Error::invalid(
            "request.vat_id",
            Why::NotAVatId {
                value: vat.to_owned(),
            },
        ))
    }
}

/// The SIREN without separators, when its nine digits pass the Luhn check.
fn normalize_siren(siren: &str) -> Result<String> {
    if checks::is_siren(siren) {
        Ok(checks::compact(siren))
    } else {
        Err(Error::invalid(
            "request.siren",
            Why::NotASiren {
                value: siren.to_owned(),
            },
        ))
    }
}

fn log(tx: &Transaction<'_>, id: i64, event: &str, detail: Option<&str>, now: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO gdpr_request_events (request_id, event, detail, at) VALUES (?1, ?2, ?3, ?4)",
        params![id, event, detail, now],
    )?;
    Ok(())
}

/// Registers a request and returns its id; its deadline is computed from `received`.
///
/// Refuses an empty subject, a malformed received date, e-mail, VAT number or SIREN. Text is
/// trimmed (empty optional fields become `None`); the VAT number is uppercased and the VAT
/// number and SIREN lose their spaces.
pub fn create(tx: &Transaction<'_>, new: &NewRequest, now: &str) -> Result<i64> {
    let subject = new.subject.trim();
    if subject.is_empty() {
        return Err(Error::invalid("request.subject", Why::Required));
    }
    let received = trimmed(new.received.as_deref()).unwrap_or_else(today);
    let received = received.as_str();
    let due = due_date(received, false)?;
    let email = trimmed(new.email.as_deref());
    if let Some(e) = &email {
        check_email(e)?;
    }
    let vat_id = trimmed(new.vat_id.as_deref())
        .map(|v| normalize_vat_id(&v))
        .transpose()?;
    let siren = trimmed(new.siren.as_deref())
        .map(|s| normalize_siren(&s))
        .transpose()?;
    tx.execute(
        "INSERT INTO gdpr_requests
             (subject, email, vat_id, siren, kind, received, due_initial, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            subject,
            email,
            vat_id,
            siren,
            new.kind.as_str(),
            received,
            due,
            now
        ],
    )?;
    let id = tx.last_insert_rowid();
    log(tx, id, "created", None, now)?;
    Ok(id)
}

fn require(tx: &Transaction<'_>, id: i64) -> Result<Request> {
    // `today` only affects `overdue`, which callers here do not use.
    get(tx, id, "1970-01-01")?.ok_or_else(|| Error::not_found(Kind::Request, id.to_string()))
}

/// Extends a request's deadline to three months after receipt, once, for `reason`.
///
/// Refuses an unknown request, an empty reason, a request already extended and a closed one.
/// The initial deadline is kept.
pub fn extend(tx: &Transaction<'_>, id: i64, reason: &str, now: &str) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("request.reason", Why::Required));
    }
    let request = require(tx, id)?;
    if let Some(at) = request.closed_at {
        return Err(Error::invalid("request", Why::AlreadyClosed { on: at }));
    }
    if let Some(due) = request.due_extended {
        return Err(Error::invalid("request", Why::AlreadyExtended { due }));
    }
    let due = due_date(&request.received, true)?;
    tx.execute(
        "UPDATE gdpr_requests SET due_extended = ?2, extension_reason = ?3, extended_at = ?4
         WHERE id = ?1",
        params![id, due, reason, now],
    )?;
    log(tx, id, "extended", Some(reason), now)
}

/// Closes a request with the answer given (`outcome`).
///
/// Refuses an unknown request, an empty outcome and a request already closed.
pub fn close(tx: &Transaction<'_>, id: i64, outcome: &str, now: &str) -> Result<()> {
    let outcome = outcome.trim();
    if outcome.is_empty() {
        return Err(Error::invalid("request.outcome", Why::Required));
    }
    let request = require(tx, id)?;
    if let Some(at) = request.closed_at {
        return Err(Error::invalid("request", Why::AlreadyClosed { on: at }));
    }
    tx.execute(
        "UPDATE gdpr_requests SET outcome = ?2, closed_at = ?3 WHERE id = ?1",
        params![id, outcome, now],
    )?;
    log(tx, id, "closed", Some(outcome), now)
}

const SELECT: &str = "SELECT id, subject, email, vat_id, siren, kind, received, due_initial,
        due_extended, extension_reason, extended_at, outcome, closed_at, created_at
     FROM gdpr_requests";

fn request_row(r: &rusqlite::Row<'_>, today: &str) -> rusqlite::Result<Request> {
    let kind: String = r.get(5)?;
    let kind = kind.parse::<RequestType>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let due_initial: String = r.get(7)?;
    let due_extended: Option<String> = r.get(8)?;
    let closed_at: Option<String> = r.get(12)?;
    let due = due_extended.clone().unwrap_or_else(|| due_initial.clone());
    let status = if closed_at.is_some() {
        RequestStatus::Closed
    } else if due_extended.is_some() {
        RequestStatus::Extended
    } else {
        RequestStatus::Open
    };
    Ok(Request {
        id: r.get(0)?,
        subject: r.get(1)?,
        email: r.get(2)?,
        vat_id: r.get(3)?,
        siren: r.get(4)?,
        kind,
        received: r.get(6)?,
        overdue: status != RequestStatus::Closed && due.as_str() < today,
        due_initial,
        due_extended,
        due,
        extension_reason: r.get(9)?,
        extended_at: r.get(10)?,
        status,
        outcome: r.get(11)?,
        closed_at,
        created_at: r.get(13)?,
    })
}

/// Every request, in the order registered, with `overdue` computed against `today`
/// (`YYYY-MM-DD`, refused if malformed).
pub fn list(conn: &Connection, today: &str) -> Result<Vec<Request>> {
    parse_date("today", today)?;
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id"))?;
    let rows = stmt.query_map([], |r| request_row(r, today))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One request, `None` if there is no such request; `overdue` is computed against `today`.
pub fn get(conn: &Connection, id: i64, today: &str) -> Result<Option<Request>> {
    parse_date("today", today)?;
    Ok(conn
        .query_row(&format!("{SELECT} WHERE id = ?1"), [id], |r| {
            request_row(r, today)
        })
        .optional()?)
}

/// A request's event log (created, extended, closed), oldest first.
pub fn events(conn: &Connection, id: i64) -> Result<Vec<RequestEvent>> {
    let mut stmt = conn.prepare(
        "SELECT id, request_id, event, detail, at FROM gdpr_request_events
         WHERE request_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(RequestEvent {
            id: r.get(0)?,
            request_id: r.get(1)?,
            event: r.get(2)?,
            detail: r.get(3)?,
            at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn today() -> String {
    crate::support::dates::format_ymd(crate::support::dates::today())
}

impl crate::vault::Vault {
    /// Registers a GDPR request (audited by id and type; the subject stays in the register);
    /// returns it as registered.
    pub fn request_new(&mut self, new: &NewRequest) -> Result<Request> {
        let id = self.audited("request.new", None, |tx| {
            let id = create(tx, new, &crate::storage::audit::now_rfc3339())?;
            Ok((
                id,
                serde_json::json!({ "request": id, "type": new.kind.as_str() }),
            ))
        })?;
        Ok(self.request(id)?.0)
    }

    /// Extends a request's deadline by two months, once, with a reason (audited); returns it
    /// as changed.
    pub fn request_extend(&mut self, id: i64, reason: &str) -> Result<Request> {
        self.audited("request.extend", None, |tx| {
            extend(tx, id, reason, &crate::storage::audit::now_rfc3339())?;
            Ok(((), serde_json::json!({ "request": id })))
        })?;
        Ok(self.request(id)?.0)
    }

    /// Closes a request with its outcome (audited); returns it as changed.
    pub fn request_close(&mut self, id: i64, outcome: &str) -> Result<Request> {
        self.audited("request.close", None, |tx| {
            close(tx, id, outcome, &crate::storage::audit::now_rfc3339())?;
            Ok(((), serde_json::json!({ "request": id })))
        })?;
        Ok(self.request(id)?.0)
    }

    /// Every request, with `overdue` computed for today (UTC).
    pub fn requests(&self) -> Result<Vec<Request>> {
        list(self.conn(), &today())
    }

    /// One request and its events.
    pub fn request(&self, id: i64) -> Result<(Request, Vec<RequestEvent>)> {
        let conn = self.conn();
        let request = get(conn, id, &today())?
            .ok_or_else(|| Error::not_found(Kind::Request, id.to_string()))?;
        Ok((request, events(conn, id)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-01-31T10:00:00.000Z";
    const T2: &str = "2026-02-20T09:00:00.000Z";
    const T3: &str = "2026-04-10T16:45:00.000Z";

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::storage::schema::REQUESTS)
            .unwrap();
        conn
    }

    fn access(received: &str) -> NewRequest {
        NewRequest {
            subject: "Jeanne Martin".into(),
            email: Some("jeanne@example.fr".into()),
            vat_id: None,
            siren: None,
            kind: RequestType::Access,
            received: Some(received.into()),
        }
    }

    fn with_tx<T>(
        conn: &mut Connection,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = conn.transaction().unwrap();
        let out = f(&tx)?;
        tx.commit().unwrap();
        Ok(out)
    }

    #[test]
    fn due_dates_on_month_ends_and_leap_years() {
        let due = |d: &str, ext: bool| due_date(d, ext).unwrap();
        assert_eq!(due("2026-01-15", false), "2026-02-15");
        assert_eq!(due("2026-01-31", false), "2026-02-28");
        assert_eq!(due("2028-01-31", false), "2028-02-29");
        assert_eq!(due("2028-01-29", false), "2028-02-29");
        assert_eq!(due("2026-03-31", false), "2026-04-30");
        assert_eq!(due("2026-04-30", false), "2026-05-30");
        assert_eq!(due("2026-12-31", false), "2027-01-31");
        assert_eq!(due("2026-12-15", false), "2027-01-15");
        assert_eq!(due("2026-01-31", true), "2026-04-30");
        assert_eq!(due("2026-11-30", true), "2027-02-28");
        assert_eq!(due("2027-11-30", true), "2028-02-29");
        assert_eq!(due("2026-10-31", true), "2027-01-31");
        assert_eq!(due("2026-05-15", true), "2026-08-15");
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-31",
            "31/01/2026",
            "",
            "+2026-01-01",
        ] {
            assert!(
                matches!(due_date(bad, false), Err(Error::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn request_types_parse_and_serialize() {
        for t in RequestType::ALL {
            assert_eq!(t.as_str().parse::<RequestType>().unwrap(), t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            assert_eq!(t.to_string(), t.as_str());
        }
        assert_eq!(
            " Erasure ".parse::<RequestType>().unwrap(),
            RequestType::Erasure
        );
        assert!("deletion".parse::<RequestType>().is_err());
        assert_eq!(
            serde_json::from_str::<RequestType>("\"portability\"").unwrap(),
            RequestType::Portability
        );
        assert_eq!(
            serde_json::to_value(RequestStatus::Extended).unwrap(),
            "extended"
        );
    }

    #[test]
    fn create_and_get() {
        let mut conn = db();
        let id = with_tx(&mut conn, |tx| {
            create(
                tx,
                &NewRequest {
                    subject: "  SARL Dupont ".into(),
                    email: Some(" ".into()),
                    vat_id: Some("fr 44 732829320".into()),
                    siren: Some("732 829 320".into()),
                    kind: RequestType::Rectification,
                    received: Some("2026-01-31".into()),
                },
                T1,
            )
        })
        .unwrap();
        let r = get(&conn, id, "2026-02-01").unwrap().unwrap();
        assert_eq!(r.subject, "SARL Dupont");
        assert_eq!(r.email, None);
        assert_eq!(r.vat_id.as_deref(), Some("FR44732829320"));
        assert_eq!(r.siren.as_deref(), Some("732829320"));
        assert_eq!(r.kind, RequestType::Rectification);
        assert_eq!(r.received, "2026-01-31");
        assert_eq!(
            (r.due_initial.as_str(), r.due.as_str()),
            ("2026-02-28", "2026-02-28")
        );
        assert_eq!(r.due_extended, None);
        assert_eq!(r.status, RequestStatus::Open);
        assert_eq!(r.created_at, T1);
        assert!(!r.overdue);
        assert!(get(&conn, id + 1, "2026-02-01").unwrap().is_none());
        assert!(get(&conn, id, "tomorrow").is_err());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["kind"], "rectification");
        assert_eq!(json["status"], "open");
        let ev = events(&conn, id).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].event.as_str(), ev[0].at.as_str()), ("created", T1));
    }

    #[test]
    fn invalid_requests_are_refused() {
        let mut conn = db();
        let bad = [
            NewRequest {
                subject: " ".into(),
                ..access("2026-01-10")
            },
            access("2026-02-30"),
            access("10/01/2026"),
            NewRequest {
                email: Some("jeanne.example.fr".into()),
                ..access("2026-01-10")
            },
            NewRequest {
                email: Some("jeanne@localhost".into()),
                ..access("2026-01-10")
            },
            NewRequest {
                vat_id: Some("12345678901".into()),
                ..access("2026-01-10")
            },
            NewRequest {
                siren: Some("12345678".into()),
                ..access("2026-01-10")
            },
            NewRequest {
                siren: Some("12345678A".into()),
                ..access("2026-01-10")
            },
            // Nine digits, but the Luhn check fails (the last digit is off by one).
            NewRequest {
                siren: Some("732829321".into()),
                ..access("2026-01-10")
            },
            // The French VAT key does not match the SIREN.
            NewRequest {
                vat_id: Some("FR45732829320".into()),
                ..access("2026-01-10")
            },
        ];
        for new in &bad {
            let r = with_tx(&mut conn, |tx| create(tx, new, T1));
            assert!(matches!(r, Err(Error::Invalid { .. })), "{new:?}");
        }
        assert!(list(&conn, "2026-01-10").unwrap().is_empty());
    }

    #[test]
    fn extend_once_keeps_the_initial_due_date() {
        let mut conn = db();
        let id = with_tx(&mut conn, |tx| create(tx, &access("2026-01-31"), T1)).unwrap();
        assert!(with_tx(&mut conn, |tx| extend(tx, id, "  ", T2)).is_err());
        with_tx(&mut conn, |tx| extend(tx, id, " complex request ", T2)).unwrap();
        let r = get(&conn, id, "2026-03-15").unwrap().unwrap();
        assert_eq!(r.received, "2026-01-31");
        assert_eq!(r.due_initial, "2026-02-28");
        assert_eq!(r.due_extended.as_deref(), Some("2026-04-30"));
        assert_eq!(r.due, "2026-04-30");
        assert_eq!(r.extension_reason.as_deref(), Some("complex request"));
        assert_eq!(r.extended_at.as_deref(), Some(T2));
        assert_eq!(r.status, RequestStatus::Extended);
        assert!(!r.overdue);
        let err = with_tx(&mut conn, |tx| extend(tx, id, "again", T3)).unwrap_err();
        assert!(err.to_string().contains("only once"), "{err}");
        assert!(with_tx(&mut conn, |tx| extend(tx, 999, "why", T2)).is_err());
        let ev = events(&conn, id).unwrap();
        let kinds: Vec<_> = ev.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(kinds, ["created", "extended"]);
        assert_eq!(ev[1].detail.as_deref(), Some("complex request"));
    }

    #[test]
    fn close_once_with_an_outcome() {
        let mut conn = db();
        let id = with_tx(&mut conn, |tx| create(tx, &access("2026-01-31"), T1)).unwrap();
        assert!(with_tx(&mut conn, |tx| close(tx, id, "", T3)).is_err());
        assert!(with_tx(&mut conn, |tx| close(tx, 999, "done", T3)).is_err());
        with_tx(&mut conn, |tx| close(tx, id, "export sent by e-mail", T3)).unwrap();
        let r = get(&conn, id, "2026-06-01").unwrap().unwrap();
        assert_eq!(r.status, RequestStatus::Closed);
        assert_eq!(r.outcome.as_deref(), Some("export sent by e-mail"));
        assert_eq!(r.closed_at.as_deref(), Some(T3));
        assert!(!r.overdue, "a closed request is never overdue");
        let err = with_tx(&mut conn, |tx| close(tx, id, "again", T3)).unwrap_err();
        assert!(err.to_string().contains("already closed"), "{err}");
        let err = with_tx(&mut conn, |tx| extend(tx, id, "late", T3)).unwrap_err();
        assert!(err.to_string().contains("closed"), "{err}");
        let r2 = get(&conn, id, "2026-06-01").unwrap().unwrap();
        assert_eq!(r2, r);
        let kinds: Vec<_> = events(&conn, id)
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(kinds, ["created", "closed"]);
        // Extended then closed: both stay recorded.
        let id2 = with_tx(&mut conn, |tx| create(tx, &access("2026-02-10"), T2)).unwrap();
        with_tx(&mut conn, |tx| extend(tx, id2, "volume", T2)).unwrap();
        with_tx(&mut conn, |tx| close(tx, id2, "answered", T3)).unwrap();
        let r = get(&conn, id2, "2026-06-01").unwrap().unwrap();
        assert_eq!(r.status, RequestStatus::Closed);
        assert_eq!(r.due_extended.as_deref(), Some("2026-05-10"));
        assert_eq!(events(&conn, id2).unwrap().len(), 3);
    }

    #[test]
    fn overdue_is_computed_against_today() {
        let mut conn = db();
        let open = with_tx(&mut conn, |tx| create(tx, &access("2026-01-31"), T1)).unwrap();
        let extended = with_tx(&mut conn, |tx| create(tx, &access("2026-01-31"), T1)).unwrap();
        let closed = with_tx(&mut conn, |tx| create(tx, &access("2026-01-31"), T1)).unwrap();
        with_tx(&mut conn, |tx| extend(tx, extended, "complex", T2)).unwrap();
        with_tx(&mut conn, |tx| close(tx, closed, "nothing held", T2)).unwrap();
        let overdue = |today: &str| -> Vec<i64> {
            list(&conn, today)
                .unwrap()
                .into_iter()
                .filter(|r| r.overdue)
                .map(|r| r.id)
                .collect()
        };
        // Due on 2026-02-28: not overdue on the day itself.
        assert_eq!(overdue("2026-02-28"), Vec::<i64>::new());
        assert_eq!(overdue("2026-03-01"), [open]);
        // Extended to 2026-04-30.
        assert_eq!(overdue("2026-04-30"), [open]);
        assert_eq!(overdue("2026-05-01"), [open, extended]);
        assert_eq!(overdue("2030-01-01"), [open, extended]);
        let all = list(&conn, "2026-05-01").unwrap();
        assert_eq!(
            all.iter().map(|r| r.id).collect::<Vec<_>>(),
            [open, extended, closed]
        );
        assert!(list(&conn, "2026-5-1").is_err());
    }
}
