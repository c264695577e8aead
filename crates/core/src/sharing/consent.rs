//! The consent ledger: which party may receive which documents, for which purpose, under which
//! consent (GDPR art. 6 and 7).
//!
//! A consent names a party (an accountant, a bookkeeping firm, an auditor), a purpose
//! ("bookkeeping", "tax audit"), an optional period of the documents' issue dates, optional
//! document categories and an evidence note. Promises: the ledger is append-only. Granting
//! appends a `grant` entry, withdrawing appends a `withdraw` entry that references the grant; no
//! entry is ever updated or deleted (the module issues no `UPDATE` or `DELETE`, and triggers in
//! the schema (`storage/schema.rs`) refuse both), so [`history`] is the full record of what was
//! consented when.
//! A consent is withdrawn at most once. [`covering`] is the one question the sharing feature
//! asks: is there an active consent covering what is about to be shared?

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::error::{Kind, Why};
use crate::{Error, Result};

/// A consent to record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// Who receives the documents (a person or a firm).
    pub party: String,
    /// What for ("bookkeeping", "tax audit").
    pub purpose: String,
    /// First issue date covered, `YYYY-MM-DD`; `None` is unbounded.
    pub from: Option<String>,
    /// Last issue date covered (inclusive), `YYYY-MM-DD`; `None` is unbounded.
    pub to: Option<String>,
    /// Document categories covered (`invoice-received`, ...); empty covers every category.
    pub categories: Vec<String>,
    /// Where the consent is documented ("engagement letter signed 2026-01-05").
    pub evidence: Option<String>,
}

/// A consent as it stands, built from its grant entry and its withdrawal entry if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Consent {
    /// The consent's id (the sequence number of its grant entry).
    pub id: i64,
    /// Who receives the documents.
    pub party: String,
    /// What for.
    pub purpose: String,
    /// First issue date covered, `YYYY-MM-DD`; `None` is unbounded.
    pub from: Option<String>,
    /// Last issue date covered (inclusive); `None` is unbounded.
    pub to: Option<String>,
    /// Categories covered; empty covers every category.
    pub categories: Vec<String>,
    /// The evidence note.
    pub evidence: Option<String>,
    /// When it was granted, RFC 3339 UTC.
    pub granted_at: String,
    /// When it was withdrawn, RFC 3339 UTC.
    pub withdrawn_at: Option<String>,
    /// The note given on withdrawal.
    pub withdrawal_note: Option<String>,
    /// Granted and not withdrawn.
    pub active: bool,
}

/// One raw ledger entry, as appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct ConsentEntry {
    /// Position in the ledger, from 1.
    pub seq: i64,
    /// `grant` or `withdraw`.
    #[cfg_attr(feature = "typescript", ts(type = "\"grant\" | \"withdraw\""))]
    pub kind: String,
    /// The consent concerned: the entry's own `seq` for a grant, the grant's for a withdrawal.
    pub consent_id: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The party (grants only).
    pub party: Option<String>,
    /// The purpose (grants only).
    pub purpose: Option<String>,
    /// First issue date covered (grants only).
    pub from: Option<String>,
    /// Last issue date covered (grants only).
    pub to: Option<String>,
    /// Categories covered (grants only; empty for withdrawals).
    pub categories: Vec<String>,
    /// The evidence note (grants only).
    pub evidence: Option<String>,
    /// The withdrawal note (withdrawals only).
    pub note: Option<String>,
}

/// Checks a `YYYY-MM-DD` date (exactly that shape, and a real calendar day).
fn check_date(key: &str, value: &str) -> Result<()> {
    crate::support::dates::parse_ymd_field(key, value).map(drop)
}

fn trimmed(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Records a consent and returns its id.
///
/// Refuses an empty party or purpose, a malformed date, `from` after `to` and empty categories.
/// Text is trimmed; categories are trimmed and deduplicated.
pub fn grant(tx: &Transaction<'_>, g: &Grant, now: &str) -> Result<i64> {
    let party = g.party.trim();
    if party.is_empty() {
        return Err(Error::invalid("consent.party", Why::Required));
    }
    let purpose = g.purpose.trim();
    if purpose.is_empty() {
        return Err(Error::invalid("consent.purpose", Why::Required));
    }
    let from = trimmed(g.from.as_deref());
    let to = trimmed(g.to.as_deref());
    if let Some(f) = &from {
        check_date("consent.from", f)?;
    }
    if let Some(t) = &to {
        check_date("consent.to", t)?;
    }
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        return Err(Error::invalid(
            "consent.to",
            Why::EndsBeforeStart {
                from: f.clone(),
                to: t.clone(),
            },
        ));
    }
    let mut categories: Vec<String> = Vec::new();
    for c in &g.categories {
        let c = c.trim();
        if c.is_empty() {
            return Err(Error::invalid("consent.categories", Why::Required));
        }
        if !categories.iter().any(|k| same_text(k, c)) {
            categories.push(c.to_owned());
        }
    }
    let categories = serde_json::to_string(&categories).expect("strings serialize");
    tx.execute(
        "INSERT INTO consent_entries
             (kind, party, purpose, period_from, period_to, categories, evidence, at)
         VALUES ('grant', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            party,
            purpose,
            from,
            to,
            categories,
            trimmed(g.evidence.as_deref()),
            now
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Withdraws a consent by appending a withdrawal entry; returns that entry's sequence number.
///
/// Refuses an unknown consent and one already withdrawn. The grant entry is left as it was.
pub fn withdraw(
    tx: &Transaction<'_>,
    consent_id: i64,
    now: &str,
    note: Option<&str>,
) -> Result<i64> {
    let Some(consent) = get(tx, consent_id)? else {
        return Err(Error::not_found(Kind::Consent, consent_id.to_string()));
    };
    if let Some(at) = consent.withdrawn_at {
        return Err(Error::invalid("consent", Why::AlreadyClosed { on: at }));
    }
    tx.execute(
        "INSERT INTO consent_entries (kind, consent_id, note, at)
         VALUES ('withdraw', ?1, ?2, ?3)",
        params![consent_id, trimmed(note), now],
    )?;
    Ok(tx.last_insert_rowid())
}

const CONSENT_SELECT: &str = "SELECT g.seq, g.party, g.purpose, g.period_from, g.period_to,
        g.categories, g.evidence, g.at, w.at, w.note
     FROM consent_entries g
     LEFT JOIN consent_entries w ON w.kind = 'withdraw' AND w.consent_id = g.seq
     WHERE g.kind = 'grant'";

fn categories_of(json: Option<String>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

fn consent_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Consent> {
    let withdrawn_at: Option<String> = r.get(8)?;
    Ok(Consent {
        id: r.get(0)?,
        party: r.get(1)?,
        purpose: r.get(2)?,
        from: r.get(3)?,
        to: r.get(4)?,
        categories: categories_of(r.get(5)?),
        evidence: r.get(6)?,
        granted_at: r.get(7)?,
        active: withdrawn_at.is_none(),
        withdrawn_at,
        withdrawal_note: r.get(9)?,
    })
}

/// Every consent, active or withdrawn, in the order granted.
pub fn list(conn: &Connection) -> Result<Vec<Consent>> {
    let mut stmt = conn.prepare(&format!("{CONSENT_SELECT} ORDER BY g.seq"))?;
    let rows = stmt.query_map([], consent_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One consent by id, `None` if there is no such consent.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Consent>> {
    Ok(conn
        .query_row(
            &format!("{CONSENT_SELECT} AND g.seq = ?1"),
            [id],
            consent_row,
        )
        .optional()?)
}

/// The raw ledger entries, grants and withdrawals, in the order appended.
pub fn history(conn: &Connection) -> Result<Vec<ConsentEntry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, kind, consent_id, at, party, purpose, period_from, period_to, categories,
                evidence, note
         FROM consent_entries ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        let seq: i64 = r.get(0)?;
        let consent_id: Option<i64> = r.get(2)?;
        Ok(ConsentEntry {
            seq,
            kind: r.get(1)?,
            consent_id: consent_id.unwrap_or(seq),
            at: r.get(3)?,
            party: r.get(4)?,
            purpose: r.get(5)?,
            from: r.get(6)?,
            to: r.get(7)?,
            categories: categories_of(r.get(8)?),
            evidence: r.get(9)?,
            note: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The oldest active consent covering a disclosure, if any.
///
/// It must name `party` (compared trimmed and case-insensitively), have `purpose` when one is
/// given (same comparison), cover the whole period `[period_from, period_to]` of issue dates (an
/// absent bound of the consent is unbounded) and cover every one of `categories` (a consent with
/// no categories covers them all; categories compare case-insensitively). Refuses malformed
/// dates and a period that ends before it starts.
pub fn covering(
    conn: &Connection,
    party: &str,
    purpose: Option<&str>,
    period_from: &str,
    period_to: &str,
    categories: &[String],
) -> Result<Option<Consent>> {
    check_date("period.from", period_from)?;
    check_date("period.to", period_to)?;
    if period_from > period_to {
        return Err(Error::invalid(
            "period.to",
            Why::EndsBeforeStart {
                from: period_from.to_owned(),
                to: period_to.to_owned(),
            },
        ));
    }
    Ok(list(conn)?.into_iter().find(|c| {
        c.active
            && c.names(party)
            && c.has_purpose(purpose)
            && c.spans(period_from, period_to)
            && c.covers_categories(categories)
    }))
}

/// Why no active consent among `consents` covers a disclosure that [`covering`] refused, in the
/// order it checks: no consent for the party ever, every one withdrawn, none with the purpose,
/// none spanning the period, none with the categories. Uses [`covering`]'s own tests, so the
/// reason always agrees with its answer.
pub fn not_covering_reason(
    consents: &[Consent],
    party: &str,
    purpose: Option<&str>,
    period_from: &str,
    period_to: &str,
    categories: &[String],
) -> String {
    let party_consents: Vec<&Consent> = consents.iter().filter(|c| c.names(party)).collect();
    if party_consents.is_empty() {
        return format!("no consent was ever recorded for {:?}", party.trim());
    }
    let active: Vec<&&Consent> = party_consents.iter().filter(|c| c.active).collect();
    if active.is_empty() {
        return format!("every consent for {:?} was withdrawn", party.trim());
    }
    let purpose_ok: Vec<&&&Consent> = active.iter().filter(|c| c.has_purpose(purpose)).collect();
    if purpose_ok.is_empty() {
        return format!(
            "no active consent for {:?} has the purpose {:?}",
            party.trim(),
            purpose.unwrap_or("").trim()
        );
    }
    if !purpose_ok.iter().any(|c| c.spans(period_from, period_to)) {
        return format!(
            "no active consent for {:?} covers the period {period_from} to {period_to}",
            party.trim()
        );
    }
    format!(
        "no active consent for {:?} covers the categories {}",
        party.trim(),
        categories.join(", ")
    )
}

impl Consent {
    /// It names `party` (trimmed, case-insensitive).
    fn names(&self, party: &str) -> bool {
        same_text(&self.party, party)
    }

    /// It has `purpose`, when one is given (trimmed, case-insensitive).
    fn has_purpose(&self, purpose: Option<&str>) -> bool {
        purpose.is_none_or(|p| same_text(&self.purpose, p))
    }

    /// It covers the whole period `[from, to]` of issue dates (an absent bound is unbounded).
    fn spans(&self, from: &str, to: &str) -> bool {
        self.from.as_deref().is_none_or(|f| f <= from) && self.to.as_deref().is_none_or(|t| to <= t)
    }

    /// It covers every one of `categories` (no categories on the consent covers them all).
    fn covers_categories(&self, categories: &[String]) -> bool {
        self.categories.is_empty()
            || categories
                .iter()
                .all(|want| self.categories.iter().any(|have| same_text(have, want)))
    }
}

impl crate::vault::Vault {
    /// Records a consent (audited: id, party, purpose); returns it as recorded.
    pub fn consent_grant(&mut self, g: &Grant) -> Result<Consent> {
        let id = self.audited("consent.grant", None, |tx| {
            let id = grant(tx, g, &crate::storage::audit::now_rfc3339())?;
            let detail = serde_json::json!({ "consent": id, "party": g.party.trim(),
                                             "purpose": g.purpose.trim() });
            Ok((id, detail))
        })?;
        self.consent(id)
    }

    /// Withdraws a consent: a new ledger entry (audited); returns the consent as withdrawn.
    pub fn consent_withdraw(&mut self, id: i64, note: Option<&str>) -> Result<Consent> {
        self.audited("consent.withdraw", None, |tx| {
            withdraw(tx, id, &crate::storage::audit::now_rfc3339(), note)?;
            Ok(((), serde_json::json!({ "consent": id })))
        })?;
        self.consent(id)
    }

    /// One consent with its state.
    pub fn consent(&self, id: i64) -> Result<Consent> {
        get(self.conn(), id)?.ok_or_else(|| Error::not_found(Kind::Consent, id.to_string()))
    }

    /// Every consent with its state.
    pub fn consents(&self) -> Result<Vec<Consent>> {
        list(self.conn())
    }

    /// The raw ledger, in order.
    pub fn consent_history(&self) -> Result<Vec<ConsentEntry>> {
        history(self.conn())
    }

    /// An active consent covering sharing documents of this period and categories with `party`.
    pub fn consent_covering(
        &self,
        party: &str,
        purpose: Option<&str>,
        period_from: &str,
        period_to: &str,
        categories: &[String],
    ) -> Result<Option<Consent>> {
        covering(
            self.conn(),
            party,
            purpose,
            period_from,
            period_to,
            categories,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-01-05T10:00:00.000Z";
    const T2: &str = "2026-03-01T09:30:00.000Z";
    const T3: &str = "2026-04-01T08:00:00.000Z";

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::storage::schema::CONSENT).unwrap();
        conn
    }

    fn accountant() -> Grant {
        Grant {
            party: "Cabinet Dupont".into(),
            purpose: "bookkeeping".into(),
            from: Some("2026-01-01".into()),
            to: Some("2026-12-31".into()),
            categories: vec!["invoice-received".into(), "invoice-issued".into()],
            evidence: Some("engagement letter signed 2026-01-05".into()),
        }
    }

    fn add(conn: &mut Connection, g: &Grant) -> Result<i64> {
        let tx = conn.transaction().unwrap();
        let id = grant(&tx, g, T1)?;
        tx.commit().unwrap();
        Ok(id)
    }

    fn remove(conn: &mut Connection, id: i64, note: Option<&str>) -> Result<i64> {
        let tx = conn.transaction().unwrap();
        let seq = withdraw(&tx, id, T2, note)?;
        tx.commit().unwrap();
        Ok(seq)
    }

    fn cats(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn grant_list_get_withdraw() {
        let mut conn = db();
        let id = add(&mut conn, &accountant()).unwrap();
        let other = add(
            &mut conn,
            &Grant {
                party: "  Audit & Co ".into(),
                purpose: " tax audit ".into(),
                categories: vec![" a ".into(), "A".into(), "b".into()],
                ..Grant::default()
            },
        )
        .unwrap();
        let all = list(&conn).unwrap();
        assert_eq!(all.len(), 2);
        let c = &all[0];
        assert_eq!(c.id, id);
        assert_eq!(c.party, "Cabinet Dupont");
        assert_eq!(c.from.as_deref(), Some("2026-01-01"));
        assert_eq!(c.to.as_deref(), Some("2026-12-31"));
        assert_eq!(c.categories, cats(&["invoice-received", "invoice-issued"]));
        assert_eq!(
            c.evidence.as_deref(),
            Some("engagement letter signed 2026-01-05")
        );
        assert_eq!(c.granted_at, T1);
        assert!(c.active && c.withdrawn_at.is_none());
        let o = get(&conn, other).unwrap().unwrap();
        assert_eq!(
            (o.party.as_str(), o.purpose.as_str()),
            ("Audit & Co", "tax audit")
        );
        assert_eq!(o.categories, cats(&["a", "b"]));
        assert_eq!((o.from, o.to, o.evidence), (None, None, None));
        assert!(get(&conn, 99).unwrap().is_none());

        remove(&mut conn, id, Some(" engagement ended ")).unwrap();
        let c = get(&conn, id).unwrap().unwrap();
        assert!(!c.active);
        assert_eq!(c.withdrawn_at.as_deref(), Some(T2));
        assert_eq!(c.withdrawal_note.as_deref(), Some("engagement ended"));
        assert!(get(&conn, other).unwrap().unwrap().active);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["active"], false);
        assert_eq!(json["categories"][0], "invoice-received");
    }

    #[test]
    fn withdrawal_is_a_new_entry_and_the_grant_is_unchanged() {
        let mut conn = db();
        let id = add(&mut conn, &accountant()).unwrap();
        let before = history(&conn).unwrap();
        assert_eq!(before.len(), 1);
        let seq = remove(&mut conn, id, None).unwrap();
        assert_ne!(seq, id);
        let after = history(&conn).unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[0], before[0]);
        assert_eq!(after[0].kind, "grant");
        assert_eq!(after[0].consent_id, id);
        let w = &after[1];
        assert_eq!(
            (w.seq, w.kind.as_str(), w.consent_id),
            (seq, "withdraw", id)
        );
        assert_eq!((w.at.as_str(), w.note.as_deref()), (T2, None));
        assert!(w.party.is_none() && w.categories.is_empty());
        // The table itself refuses rewriting history.
        assert!(
            conn.execute("UPDATE consent_entries SET party = 'x'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM consent_entries", []).is_err());
        assert_eq!(history(&conn).unwrap(), after);
    }

    #[test]
    fn double_withdrawal_and_unknown_consent_are_refused() {
        let mut conn = db();
        let id = add(&mut conn, &accountant()).unwrap();
        remove(&mut conn, id, None).unwrap();
        let err = remove(&mut conn, id, Some("again")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid {
                    why: Why::AlreadyClosed { .. },
                    ..
                }
            ),
            "{err}"
        );
        assert!(matches!(
            remove(&mut conn, 42, None),
            Err(Error::NotFound {
                kind: Kind::Consent,
                ..
            })
        ));
        // A withdrawal entry's seq is not a consent id.
        let w = history(&conn).unwrap()[1].seq;
        assert!(remove(&mut conn, w, None).is_err());
        assert_eq!(history(&conn).unwrap().len(), 2);
    }

    #[test]
    fn invalid_grants_are_refused() {
        let mut conn = db();
        let bad = [
            Grant {
                party: "  ".into(),
                ..accountant()
            },
            Grant {
                purpose: String::new(),
                ..accountant()
            },
            Grant {
                from: Some("2026-02-30".into()),
                ..accountant()
            },
            Grant {
                to: Some("2026-1-31".into()),
                ..accountant()
            },
            Grant {
                to: Some("31/12/2026".into()),
                ..accountant()
            },
            Grant {
                from: Some("2026-06-01".into()),
                to: Some("2026-05-31".into()),
                ..accountant()
            },
            Grant {
                categories: vec![" ".into()],
                ..accountant()
            },
        ];
        for g in &bad {
            assert!(
                matches!(add(&mut conn, g), Err(Error::Invalid { .. })),
                "{g:?}"
            );
        }
        assert!(list(&conn).unwrap().is_empty());
        // A one-day period is fine.
        add(
            &mut conn,
            &Grant {
                from: Some("2028-02-29".into()),
                to: Some("2028-02-29".into()),
                ..accountant()
            },
        )
        .unwrap();
    }

    #[test]
    fn covering_checks_period_edges() {
        let mut conn = db();
        let id = add(&mut conn, &accountant()).unwrap();
        let cover = |from: &str, to: &str| {
            covering(&conn, "Cabinet Dupont", None, from, to, &[])
                .unwrap()
                .map(|c| c.id)
        };
        assert_eq!(cover("2026-01-01", "2026-12-31"), Some(id));
        assert_eq!(cover("2026-03-01", "2026-03-31"), Some(id));
        assert_eq!(cover("2026-12-31", "2026-12-31"), Some(id));
        assert_eq!(cover("2025-12-31", "2026-06-30"), None);
        assert_eq!(cover("2026-06-01", "2027-01-01"), None);
        assert_eq!(cover("2025-01-01", "2027-12-31"), None);
        assert!(
            covering(
                &conn,
                "Cabinet Dupont",
                None,
                "2026-05-01",
                "2026-04-01",
                &[]
            )
            .is_err()
        );
        assert!(
            covering(
                &conn,
                "Cabinet Dupont",
                None,
                "2026-13-01",
                "2026-12-01",
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn covering_with_open_bounds() {
        let mut conn = db();
        let since = add(
            &mut conn,
            &Grant {
                to: None,
                ..accountant()
            },
        )
        .unwrap();
        assert_eq!(
            covering(
                &conn,
                "cabinet dupont",
                None,
                "2026-01-01",
                "2099-12-31",
                &[]
            )
            .unwrap()
            .map(|c| c.id),
            Some(since)
        );
        assert!(
            covering(
                &conn,
                "cabinet dupont",
                None,
                "2025-12-31",
                "2026-01-31",
                &[]
            )
            .unwrap()
            .is_none()
        );
        let any = add(
            &mut conn,
            &Grant {
                party: "Auditor".into(),
                from: None,
                to: None,
                ..accountant()
            },
        )
        .unwrap();
        assert_eq!(
            covering(&conn, "AUDITOR", None, "1990-01-01", "2099-12-31", &[])
                .unwrap()
                .map(|c| c.id),
            Some(any)
        );
    }

    #[test]
    fn covering_checks_party_purpose_and_categories() {
        let mut conn = db();
        let id = add(&mut conn, &accountant()).unwrap();
        let (f, t) = ("2026-02-01", "2026-02-28");
        let find = |party: &str, purpose: Option<&str>, categories: &[&str]| {
            covering(&conn, party, purpose, f, t, &cats(categories))
                .unwrap()
                .map(|c| c.id)
        };
        assert_eq!(find("Cabinet Dupont", None, &[]), Some(id));
        assert_eq!(find("  CABINET dupont ", None, &[]), Some(id));
        assert_eq!(find("Cabinet Durand", None, &[]), None);
        assert_eq!(find("Cabinet Dupont", Some("Bookkeeping"), &[]), Some(id));
        assert_eq!(find("Cabinet Dupont", Some("tax audit"), &[]), None);
        assert_eq!(
            find("Cabinet Dupont", None, &["invoice-received"]),
            Some(id)
        );
        assert_eq!(
            find(
                "Cabinet Dupont",
                None,
                &["Invoice-Issued", "invoice-received"]
            ),
            Some(id)
        );
        assert_eq!(
            find("Cabinet Dupont", None, &["invoice-received", "payslip"]),
            None
        );
        // No categories on the consent: every category is covered.
        let all = add(
            &mut conn,
            &Grant {
                party: "Audit & Co".into(),
                categories: vec![],
                ..accountant()
            },
        )
        .unwrap();
        assert_eq!(
            covering(&conn, "audit & co", None, f, t, &cats(&["payslip", "x"]))
                .unwrap()
                .map(|c| c.id),
            Some(all)
        );
    }

    #[test]
    fn withdrawn_consent_does_not_cover() {
        let mut conn = db();
        let old = add(&mut conn, &accountant()).unwrap();
        let (f, t) = ("2026-02-01", "2026-02-28");
        assert!(
            covering(&conn, "Cabinet Dupont", None, f, t, &[])
                .unwrap()
                .is_some()
        );
        remove(&mut conn, old, Some("engagement ended")).unwrap();
        assert!(
            covering(&conn, "Cabinet Dupont", None, f, t, &[])
                .unwrap()
                .is_none()
        );
        // A new grant covers again; the withdrawn one stays in the list.
        let tx = conn.transaction().unwrap();
        let new = grant(&tx, &accountant(), T3).unwrap();
        tx.commit().unwrap();
        let c = covering(&conn, "Cabinet Dupont", None, f, t, &[])
            .unwrap()
            .unwrap();
        assert_eq!((c.id, c.granted_at.as_str()), (new, T3));
        assert_eq!(list(&conn).unwrap().len(), 2);
    }

    #[test]
    fn the_reason_follows_covering_checks_in_order() {
        let mut conn = db();
        let id = add(&mut conn, &accountant()).unwrap();
        let (f, t) = ("2026-02-01", "2026-02-28");
        let reason = |conn: &Connection, party: &str, purpose, from, to, categories: &[&str]| {
            let categories = cats(categories);
            assert!(
                covering(conn, party, purpose, from, to, &categories)
                    .unwrap()
                    .is_none()
            );
            not_covering_reason(&list(conn).unwrap(), party, purpose, from, to, &categories)
        };
        assert!(reason(&conn, "Cabinet Durand", None, f, t, &[]).contains("ever recorded"));
        let r = reason(&conn, " cabinet DUPONT", Some("tax audit"), f, t, &[]);
        assert!(r.contains("has the purpose \"tax audit\""), "{r}");
        let r = reason(&conn, "Cabinet Dupont", None, "2025-12-01", t, &[]);
        assert!(
            r.contains("covers the period 2025-12-01 to 2026-02-28"),
            "{r}"
        );
        let r = reason(&conn, "Cabinet Dupont", None, f, t, &["payslip"]);
        assert!(r.contains("covers the categories payslip"), "{r}");
        remove(&mut conn, id, None).unwrap();
        let r = reason(&conn, "Cabinet Dupont", None, f, t, &[]);
        assert!(r.contains("was withdrawn"), "{r}");
    }
}
