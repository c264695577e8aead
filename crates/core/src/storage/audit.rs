//! The audit trail: an append-only chain of entries, each MACed with the audit key over its
//! content and the previous entry's MAC.
//!
//! Promises: every state change of the vault appends an entry in the same transaction as the
//! change; [`verify`] detects any entry modified, inserted, deleted or reordered, and a cut tail,
//! through the MACed head record kept beside the chain. Entries hold ids and file names, never
//! document content or secrets; they live inside the encrypted index.
//!
//! Access entries ([`ACCESS_ACTIONS`]: unlocks, reads, checks) are kept for a limited time only.
//! [`prune_access`] turns those older than a cut-off into *stubs*: their content (`at`, `doc_id`,
//! `detail`) is erased, while their `seq`, their action name and their `mac` stay, because the
//! next entry's MAC depends on that `mac`. A stub's MAC can no longer be recomputed, so each
//! pruning writes a MACed *checkpoint* over the exact list of `(seq, action, mac)` of the stubs it
//! made, and appends an ordinary `audit.prune` entry naming the checkpoint, which anchors the
//! checkpoint in the chain. State-change entries are never pruned.

use std::collections::BTreeMap;

use ring::digest;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use time::format_description::BorrowedFormatItem;
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::format::crypto::{self, MacKey};
use crate::{Error, Result};

/// The MAC before the first entry.
const GENESIS: [u8; 32] = [0u8; 32];

/// The actions that record an access rather than a change of state: only these are pruned.
pub const ACCESS_ACTIONS: &[&str] = &[
    "vault.unlock",
    "vault.unlock_recovery",
    "vault.unlock_failed",
    "vault.verify",
    "document.read",
];

/// How long access entries are kept by default, in months (the CNIL's range is 6 to 12).
pub const DEFAULT_ACCESS_RETENTION_MONTHS: u32 = 12;

/// The action of the first entry of every chain.
pub const CREATE_ACTION: &str = "vault.create";

/// The action of the chain entry that records a pruning.
pub const PRUNE_ACTION: &str = "audit.prune";

/// The action under which [`entries`] presents a pruned stub.
pub const PRUNED_ACTION: &str = "pruned";

/// The `head_mac` written once the head was found tampered with: it never verifies.
const UNSEALED: [u8; 32] = [0u8; 32];

const HEAD_LABEL: &[u8] = b"coffre/v1/audit-head";
const CHECKPOINT_LABEL: &[u8] = b"coffre/v1/audit-checkpoint";
const STUBS_LABEL: &[u8] = b"coffre/v1/audit-stubs";

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, RFC 3339 UTC; empty for a pruned stub.
    pub at: String,
    /// What happened (`vault.create`, `vault.unlock`, `document.import`, `document.read`, ...);
    /// [`PRUNED_ACTION`] for a pruned stub.
    pub action: String,
    /// The document concerned, if any.
    pub doc_id: Option<String>,
    /// Details as a JSON object; for a pruned stub, `{"action": <the original action>,
    /// "checkpoint": <id>}`.
    pub detail: serde_json::Value,
}

/// The outcome of a chain check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainReport {
    /// Entries checked, pruned stubs included.
    pub entries: u64,
    /// Of which pruned stubs.
    pub stubs: u64,
    /// Pruning checkpoints checked.
    pub checkpoints: u64,
    /// What is wrong, in chain order; empty when the chain is intact.
    pub faults: Vec<String>,
}

fn entry_mac(
    key: &MacKey,
    prev: &[u8],
    seq: i64,
    at: &str,
    action: &str,
    doc: &str,
    detail: &str,
) -> [u8; 32] {
    key.mac_parts(&[
        prev,
        &seq.to_be_bytes(),
        at.as_bytes(),
        action.as_bytes(),
        doc.as_bytes(),
        detail.as_bytes(),
    ])
}

fn head_mac(key: &MacKey, seq: i64, mac: &[u8]) -> [u8; 32] {
    key.mac_parts(&[HEAD_LABEL, &seq.to_be_bytes(), mac])
}

/// One row of the `audit` table.
struct Stored {
    seq: i64,
    at: String,
    action: String,
    doc: Option<String>,
    detail: String,
    mac: Vec<u8>,
    pruned_by: Option<i64>,
}

impl Stored {
    /// The entry as shown: a pruned entry becomes a stub naming its original action.
    fn into_entry(self) -> AuditEntry {
        match self.pruned_by {
            Some(checkpoint) => AuditEntry {
                seq: self.seq,
                at: String::new(),
                action: PRUNED_ACTION.to_owned(),
                doc_id: None,
                detail: serde_json::json!({ "action": self.action, "checkpoint": checkpoint }),
            },
            None => AuditEntry {
                seq: self.seq,
                at: self.at,
                action: self.action,
                doc_id: self.doc,
                detail: serde_json::from_str(&self.detail)
                    .unwrap_or(serde_json::Value::String(self.detail)),
            },
        }
    }

    /// The columns [`Stored::read`] expects, `pruned_by` standing in as NULL on a schema without
    /// pruning.
    fn select(pruning: bool) -> String {
        format!(
            "SELECT seq, at, action, doc_id, detail, mac, {} FROM audit",
            if pruning { "pruned_by" } else { "NULL" }
        )
    }

    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Stored {
            seq: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            doc: r.get(3)?,
            detail: r.get(4)?,
            mac: r.get(5)?,
            pruned_by: r.get(6)?,
        })
    }

    /// Whether the entry's own MAC holds, given the stored MAC of the entry before it.
    fn authentic(&self, key: &MacKey, prev_mac: &[u8]) -> bool {
        key.verify_parts(
            &[
                prev_mac,
                &self.seq.to_be_bytes(),
                self.at.as_bytes(),
                self.action.as_bytes(),
                self.doc.as_deref().unwrap_or("").as_bytes(),
                self.detail.as_bytes(),
            ],
            &self.mac,
        )
    }

    /// Whether the content columns are erased, as in a stub.
    fn is_erased(&self) -> bool {
        self.at.is_empty() && self.doc.is_none() && self.detail.is_empty()
    }
}

/// A pruning checkpoint, as stored.
struct Checkpoint {
    id: i64,
    at: String,
    cutoff: String,
    up_to_seq: i64,
    pruned: i64,
    stubs_digest: Vec<u8>,
    entry_seq: i64,
    mac: Vec<u8>,
}

impl Checkpoint {
    /// Calls `f` with the MACed parts of the checkpoint, in order.
    fn with_parts<R>(&self, f: impl FnOnce(&[&[u8]]) -> R) -> R {
        f(&[
            CHECKPOINT_LABEL,
            &self.id.to_be_bytes(),
            self.at.as_bytes(),
            self.cutoff.as_bytes(),
            &self.up_to_seq.to_be_bytes(),
            &self.pruned.to_be_bytes(),
            &self.stubs_digest,
            &self.entry_seq.to_be_bytes(),
        ])
    }

    fn compute_mac(&self, key: &MacKey) -> [u8; 32] {
        self.with_parts(|parts| key.mac_parts(parts))
    }

    fn authentic(&self, key: &MacKey) -> bool {
        self.with_parts(|parts| key.verify_parts(parts, &self.mac))
    }
}

/// The running SHA-256 over the `(seq, action, mac)` of one checkpoint's stubs, in `seq` order.
struct StubsDigest {
    ctx: digest::Context,
    count: i64,
    first_seq: i64,
    last_seq: i64,
}

impl StubsDigest {
    fn new() -> Self {
        let mut ctx = crypto::sha256();
        put(&mut ctx, STUBS_LABEL);
        StubsDigest {
            ctx,
            count: 0,
            first_seq: 0,
            last_seq: 0,
        }
    }

    fn add(&mut self, seq: i64, action: &str, mac: &[u8]) {
        put(&mut self.ctx, &seq.to_be_bytes());
        put(&mut self.ctx, action.as_bytes());
        put(&mut self.ctx, mac);
        if self.count == 0 {
            self.first_seq = seq;
        }
        self.count += 1;
        self.last_seq = seq;
    }

    fn finish(self) -> Vec<u8> {
        self.ctx.finish().as_ref().to_vec()
    }
}

/// Feeds `L(part)` to a digest.
fn put(ctx: &mut digest::Context, part: &[u8]) {
    ctx.update(&(part.len() as u64).to_be_bytes());
    ctx.update(part);
}

/// Whether the database has the pruning column (the schema of [`AUDIT_PRUNING`](crate::storage::schema::AUDIT_PRUNING)).
fn has_pruning(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('audit') WHERE name = 'pruned_by')",
        [],
        |r| r.get(0),
    )?)
}

/// Every checkpoint, by id (none when the table does not exist).
fn checkpoints(conn: &Connection) -> Result<BTreeMap<i64, Checkpoint>> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master
                        WHERE type = 'table' AND name = 'audit_checkpoints')",
        [],
        |r| r.get(0),
    )?;
    let mut out = BTreeMap::new();
    if !exists {
        return Ok(out);
    }
    let mut stmt = conn.prepare(
        "SELECT id, at, cutoff, up_to_seq, pruned, stubs_digest, entry_seq, mac
         FROM audit_checkpoints ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Checkpoint {
            id: r.get(0)?,
            at: r.get(1)?,
            cutoff: r.get(2)?,
            up_to_seq: r.get(3)?,
            pruned: r.get(4)?,
            stubs_digest: r.get(5)?,
            entry_seq: r.get(6)?,
            mac: r.get(7)?,
        })
    })?;
    for cp in rows {
        let cp = cp?;
        out.insert(cp.id, cp);
    }
    Ok(out)
}

const FORMAT: &[BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

fn format_utc(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .expect("UTC time formats")
}

/// The current time, RFC 3339 UTC with exactly three fractional digits (sortable as text).
pub fn now_rfc3339() -> String {
    format_utc(OffsetDateTime::now_utc())
}

/// The same instant `months` calendar months earlier (the day clamped to the month's length).
fn months_before(t: OffsetDateTime, months: u32) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let index = i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1 - i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).unwrap_or(i32::MIN);
    let month = u8::try_from(index.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .unwrap_or(Month::January);
    let date =
        Date::from_calendar_date(year, month, t.day().min(month.length(year))).unwrap_or(Date::MIN);
    t.replace_date(date)
}

/// The cut-off for [`prune_access`] that keeps the last `months` months of access entries,
/// RFC 3339 UTC.
pub fn access_cutoff(months: u32) -> String {
    format_utc(months_before(OffsetDateTime::now_utc(), months))
}

/// An RFC 3339 time as the chain writes them (UTC, three fractional digits), so that it compares
/// with `at` as text.
fn normalize_time(text: &str) -> Result<String> {
    let t = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(
        |e| Error::Setting {
            key: "audit.prune.before".into(),
            reason: format!("{text:?} is not an RFC 3339 time: {e}"),
        },
    )?;
    Ok(format_utc(t))
}

/// Appends an entry. Call inside the transaction that makes the change it records.
pub fn append(
    conn: &Connection,
    key: &MacKey,
    action: &str,
    doc_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<i64> {
    append_at(conn, key, &now_rfc3339(), action, doc_id, detail)
}

/// Appends an entry dated `at` (RFC 3339 UTC as written by [`now_rfc3339`]).
fn append_at(
    conn: &Connection,
    key: &MacKey,
    at: &str,
    action: &str,
    doc_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<i64> {
    let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac, head_mac FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // The head is trusted only if its MAC holds and it names the last entry. Otherwise the chain
    // was tampered with (cut, extended or its head rewritten): the entry goes after the last one
    // present, and the head stays unsealed, so that this append does not launder the tampering
    // and every later check still reports it.
    let sealed = match (&head, &last) {
        (None, None) => true,
        (Some((seq, mac, hmac)), Some((last_seq, last_mac))) => {
            seq == last_seq
                && mac == last_mac
                && key.verify_parts(&[HEAD_LABEL, &seq.to_be_bytes(), mac], hmac)
        }
        _ => false,
    };
    let (prev_seq, prev_mac) = last.unwrap_or((0, GENESIS.to_vec()));
    let seq = prev_seq + 1;
    let detail = detail.to_string();
    let mac = entry_mac(
        key,
        &prev_mac,
        seq,
        at,
        action,
        doc_id.unwrap_or(""),
        &detail,
    );
    conn.execute(
        "INSERT INTO audit (seq, at, action, doc_id, detail, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, at, action, doc_id, detail, &mac[..]],
    )?;
    conn.execute(
        "INSERT INTO audit_head (id, seq, mac, head_mac) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac,
                                       head_mac = excluded.head_mac",
        params![
            seq,
            &mac[..],
            &(if sealed {
                head_mac(key, seq, &mac)
            } else {
                UNSEALED
            })[..]
        ],
    )?;
    Ok(seq)
}

/// Every entry, in chain order, or only those about one document.
///
/// Pruned stubs are listed in place (so that the numbering has no holes) with an empty `at`,
/// the action [`PRUNED_ACTION`] and the detail `{"action": <original action>, "checkpoint": id}`;
/// having no document any more, they never appear in a listing by document.
pub fn entries(conn: &Connection, doc_id: Option<&str>) -> Result<Vec<AuditEntry>> {
    let filter = if doc_id.is_some() {
        "doc_id = ?1"
    } else {
        "?1 IS NULL"
    };
    let mut stmt = conn.prepare(&format!(
        "{} WHERE {filter} ORDER BY seq",
        Stored::select(has_pruning(conn)?)
    ))?;
    let rows = stmt.query_map([doc_id], |r| Ok(Stored::read(r)?.into_entry()))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// At most `limit` entries before sequence number `before` (all when `None`), newest first:
/// the audit log a page at a time.
pub fn entries_page(conn: &Connection, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(&format!(
        "{} WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
        Stored::select(has_pruning(conn)?)
    ))?;
    let rows = stmt.query_map(rusqlite::params![before.unwrap_or(i64::MAX), limit], |r| {
        Ok(Stored::read(r)?.into_entry())
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Prunes the access entries ([`ACCESS_ACTIONS`]) dated before `before` (RFC 3339, any offset),
/// and returns how many. Call inside a transaction.
///
/// Each pruned entry becomes a stub: `at`, `doc_id` and `detail` are erased, `seq`, `action` and
/// `mac` stay, and `pruned_by` names the checkpoint written for this pruning, whose MAC covers
/// the `(seq, action, mac)` of exactly its stubs. An `audit.prune` entry
/// `{"pruned": n, "before": cut-off, "checkpoint": id}` is appended to the chain. Entries whose
/// own MAC does not verify are left as they are, so that pruning never erases the evidence of
/// tampering (and [`verify`] keeps reporting them). When nothing is to be pruned, nothing is
/// written: a second call with the same cut-off returns 0.
pub fn prune_access(conn: &Connection, key: &MacKey, before: &str) -> Result<usize> {
    let cutoff = normalize_time(before)?;
    let mut chosen: Vec<(i64, String, Vec<u8>)> = Vec::new();
    {
        let mut stmt = conn.prepare(&format!("{} ORDER BY seq", Stored::select(true)))?;
        let mut rows = stmt.query([])?;
        let mut prev: Option<(i64, Vec<u8>)> = None;
        while let Some(r) = rows.next()? {
            let s = Stored::read(r)?;
            // Entries are appended in time order: past the first one at or after the cutoff,
            // none can be chosen (after a clock set back, a few wait for a later unlock).
            if !s.at.is_empty() && s.at >= cutoff {
                break;
            }
            let prev_mac: Option<&[u8]> = match &prev {
                None if s.seq == 1 => Some(&GENESIS),
                Some((seq, mac)) if *seq == s.seq - 1 => Some(mac),
                _ => None,
            };
            if s.pruned_by.is_none()
                && ACCESS_ACTIONS.contains(&s.action.as_str())
                && !s.at.is_empty()
                && s.at < cutoff
                && prev_mac.is_some_and(|p| s.authentic(key, p))
            {
                chosen.push((s.seq, s.action.clone(), s.mac.clone()));
            }
            prev = Some((s.seq, s.mac));
        }
    }
    let Some(&(up_to_seq, _, _)) = chosen.last() else {
        return Ok(0);
    };
    let id: i64 = conn.query_row(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM audit_checkpoints",
        [],
        |r| r.get(0),
    )?;
    let mut digest = StubsDigest::new();
    {
        let mut stub = conn.prepare(
            "UPDATE audit SET at = '', doc_id = NULL, detail = '', pruned_by = ?2 WHERE seq = ?1",
        )?;
        for (seq, action, mac) in &chosen {
            stub.execute(params![seq, id])?;
            digest.add(*seq, action, mac);
        }
    }
    let pruned = digest.count;
    let at = now_rfc3339();
    let entry_seq = append_at(
        conn,
        key,
        &at,
        PRUNE_ACTION,
        None,
        serde_json::json!({ "pruned": pruned, "before": cutoff, "checkpoint": id }),
    )?;
    let mut cp = Checkpoint {
        id,
        at,
        cutoff,
        up_to_seq,
        pruned,
        stubs_digest: digest.finish(),
        entry_seq,
        mac: Vec::new(),
    };
    cp.mac = cp.compute_mac(key).to_vec();
    conn.execute(
        "INSERT INTO audit_checkpoints
             (id, at, cutoff, up_to_seq, pruned, stubs_digest, entry_seq, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            cp.id,
            cp.at,
            cp.cutoff,
            cp.up_to_seq,
            cp.pruned,
            cp.stubs_digest,
            cp.entry_seq,
            cp.mac
        ],
    )?;
    Ok(chosen.len())
}

/// What an authentic `audit.prune` entry says of its checkpoint.
struct PruneClaim {
    seq: i64,
    pruned: Option<i64>,
    before: Option<String>,
}

/// Checks the whole chain, its head, and the pruning checkpoints.
///
/// An intact entry is checked by its MAC (over the previous entry's stored MAC, stub or not). A
/// stub is accepted only if it was an access entry, holds no content, and is one of exactly the
/// stubs its checkpoint's MAC covers; each checkpoint must verify and match the `audit.prune`
/// entry that names it, and each `audit.prune` entry must find its checkpoint.
pub fn verify(conn: &Connection, key: &MacKey) -> Result<ChainReport> {
    let mut report = ChainReport::default();
    let checkpoints = checkpoints(conn)?;
    report.checkpoints = checkpoints.len() as u64;
    let mut covered: BTreeMap<i64, StubsDigest> = BTreeMap::new();
    let mut orphans: BTreeMap<i64, StubsDigest> = BTreeMap::new();
    let mut claims: BTreeMap<i64, Vec<PruneClaim>> = BTreeMap::new();
    let mut stmt = conn.prepare(&format!(
        "{} ORDER BY seq",
        Stored::select(has_pruning(conn)?)
    ))?;
    let mut rows = stmt.query([])?;
    let mut prev_seq = 0i64;
    let mut prev_mac = GENESIS.to_vec();
    while let Some(r) = rows.next()? {
        let s = Stored::read(r)?;
        let seq = s.seq;
        report.entries += 1;
        if report.entries == 1 && (seq != 1 || s.action != CREATE_ACTION) {
            report.faults.push(format!(
                "the trail does not start with the vault's creation (entry 1, {CREATE_ACTION})"
            ));
        }
        if seq != prev_seq + 1 {
            report.faults.push(format!(
                "entries {} to {} are missing",
                prev_seq + 1,
                seq - 1
            ));
        }
        match s.pruned_by {
            None => {
                if !s.authentic(key, &prev_mac) {
                    report.faults.push(format!(
                        "entry {seq} ({}) was altered, inserted or moved",
                        s.action
                    ));
                } else if s.action == PRUNE_ACTION {
                    let detail: serde_json::Value =
                        serde_json::from_str(&s.detail).unwrap_or_default();
                    match detail["checkpoint"].as_i64() {
                        Some(id) => claims.entry(id).or_default().push(PruneClaim {
                            seq,
                            pruned: detail["pruned"].as_i64(),
                            before: detail["before"].as_str().map(str::to_owned),
                        }),
                        None => report
                            .faults
                            .push(format!("the pruning entry {seq} names no checkpoint")),
                    }
                }
            }
            Some(id) => {
                report.stubs += 1;
                if !ACCESS_ACTIONS.contains(&s.action.as_str()) {
                    report.faults.push(format!(
                        "entry {seq} ({}) records a change of state, which is never pruned: it \
                         was emptied",
                        s.action
                    ));
                }
                if !s.is_erased() {
                    report
                        .faults
                        .push(format!("the pruned entry {seq} holds content again"));
                }
                let digests = if checkpoints.contains_key(&id) {
                    &mut covered
                } else {
                    &mut orphans
                };
                digests
                    .entry(id)
                    .or_insert_with(StubsDigest::new)
                    .add(seq, &s.action, &s.mac);
            }
        }
        prev_seq = seq;
        prev_mac = s.mac;
    }
    for (id, stubs) in &orphans {
        report.faults.push(format!(
            "the pruned entries {} to {} ({} of them) name checkpoint {id}, which is missing",
            stubs.first_seq, stubs.last_seq, stubs.count
        ));
    }
    for (id, cp) in &checkpoints {
        let stubs = covered.remove(id).unwrap_or_else(StubsDigest::new);
        let claim = claims.remove(id);
        if !cp.authentic(key) {
            report.faults.push(format!(
                "the pruning checkpoint {id} was altered or inserted"
            ));
            continue;
        }
        if stubs.count != cp.pruned
            || (stubs.count > 0 && stubs.last_seq > cp.up_to_seq)
            || stubs.finish() != cp.stubs_digest
        {
            report.faults.push(format!(
                "the pruned entries of checkpoint {id} are not the ones it covers: a pruned \
                 entry was deleted, altered, moved or added"
            ));
        }
        match claim.as_deref() {
            Some([claim])
                if claim.seq == cp.entry_seq
                    && claim.pruned == Some(cp.pruned)
                    && claim.before.as_deref() == Some(cp.cutoff.as_str()) => {}
            Some(_) => report.faults.push(format!(
                "the pruning checkpoint {id} does not match its entry {} in the chain",
                cp.entry_seq
            )),
            None => report.faults.push(format!(
                "the pruning checkpoint {id} has no entry in the chain"
            )),
        }
    }
    for (id, claims) in &claims {
        for claim in claims {
            report.faults.push(format!(
                "the pruning entry {} names checkpoint {id}, which is missing",
                claim.seq
            ));
        }
    }
    let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac, head_mac FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if report.entries == 0 {
        report.faults.push(format!(
            "the trail is empty: it must start with the vault's creation ({CREATE_ACTION})"
        ));
    }
    match head {
        None if prev_seq == 0 => {}
        None => report
            .faults
            .push("the chain's head record is missing".into()),
        Some((seq, mac, hmac)) => {
            if !key.verify_parts(&[HEAD_LABEL, &seq.to_be_bytes(), &mac], &hmac) {
                report
                    .faults
                    .push("the chain's head record was altered".into());
            } else if seq != prev_seq || mac != prev_mac {
                report.faults.push(format!(
                    "the chain ends at entry {prev_seq} but its head says {seq}: entries were \
                     removed or replaced at the end"
                ));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::crypto::random_key;

    /// An empty chain on the base schema, with or without [`AUDIT_PRUNING`](crate::storage::schema::AUDIT_PRUNING).
    fn db(pruning: bool) -> (Connection, MacKey) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::storage::schema::MIGRATIONS[0])
            .unwrap();
        if pruning {
            conn.execute_batch(crate::storage::schema::AUDIT_PRUNING)
                .unwrap();
        }
        (conn, MacKey::new(&random_key().unwrap()))
    }

    fn chain(n: usize) -> (Connection, MacKey) {
        chain_on(true, n)
    }

    fn chain_on(pruning: bool, n: usize) -> (Connection, MacKey) {
        let (conn, key) = db(pruning);
        for i in 0..n {
            append(
                &conn,
                &key,
                if i == 0 {
                    CREATE_ACTION
                } else {
                    "document.import"
                },
                Some(&format!("doc{i}")),
                serde_json::json!({ "i": i }),
            )
            .unwrap();
        }
        (conn, key)
    }

    fn faults(conn: &Connection, key: &MacKey) -> Vec<String> {
        verify(conn, key).unwrap().faults
    }

    /// An emptied trail, or one whose first entry is not the vault's creation, is a fault: a
    /// chain is anchored at `vault.create`.
    #[test]
    fn a_chain_must_start_with_the_vaults_creation() {
        let (conn, key) = db(true);
        assert_eq!(faults(&conn, &key).len(), 1, "an empty chain");
        append(&conn, &key, "document.import", None, serde_json::json!({})).unwrap();
        let f = faults(&conn, &key);
        assert!(f.iter().any(|f| f.contains("vault.create")), "{f:?}");
        let (conn, key) = chain(3);
        assert!(faults(&conn, &key).is_empty());
    }

    #[test]
    fn intact_chain_verifies() {
        let (conn, key) = chain(5);
        let r = verify(&conn, &key).unwrap();
        assert_eq!(r.entries, 5);
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!(entries(&conn, Some("doc3")).unwrap().len(), 1);
    }

    #[test]
    fn each_kind_of_tampering_is_detected() {
        let tamper: &[(&str, &str)] = &[
            (
                "modified detail",
                "UPDATE audit SET detail = '{\"i\":9}' WHERE seq = 3",
            ),
            (
                "modified action",
                "UPDATE audit SET action = 'vault.unlock' WHERE seq = 2",
            ),
            (
                "modified time",
                "UPDATE audit SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 4",
            ),
            ("deleted middle", "DELETE FROM audit WHERE seq = 3"),
            ("deleted first", "DELETE FROM audit WHERE seq = 1"),
            ("deleted tail", "DELETE FROM audit WHERE seq = 5"),
            (
                "deleted tail and head rewound",
                "DELETE FROM audit WHERE seq = 5;
                 UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit WHERE seq = 4)",
            ),
            (
                "reordered",
                "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;
                 UPDATE audit SET seq = 3 WHERE seq = 100",
            ),
            (
                "inserted",
                "INSERT INTO audit (seq, at, action, doc_id, detail, mac)
                 SELECT 6, at, action, doc_id, detail, mac FROM audit WHERE seq = 5",
            ),
            ("head removed", "DELETE FROM audit_head"),
            ("everything removed", "DELETE FROM audit"),
        ];
        for pruning in [true, false] {
            for (what, sql) in tamper {
                let (conn, key) = chain_on(pruning, 5);
                assert!(faults(&conn, &key).is_empty());
                conn.execute_batch(sql).unwrap();
                assert!(
                    !faults(&conn, &key).is_empty(),
                    "{what} went unnoticed (pruning schema: {pruning})"
                );
            }
        }
    }

    /// An append after tampering (the vault appends `vault.unlock` on every open) must not
    /// seal the tampered chain.
    #[test]
    fn tampering_survives_later_appends() {
        let tamper: &[&str] = &[
            "UPDATE audit SET detail = '{\"i\":9}' WHERE seq = 3",
            "DELETE FROM audit WHERE seq = 3",
            "DELETE FROM audit WHERE seq = 1",
            "DELETE FROM audit WHERE seq = 5",
            "DELETE FROM audit WHERE seq = 5;
             UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit WHERE seq = 4)",
            "INSERT INTO audit (seq, at, action, doc_id, detail, mac)
             SELECT 6, at, action, doc_id, detail, mac FROM audit WHERE seq = 5",
            "INSERT INTO audit (seq, at, action, doc_id, detail, mac)
             SELECT 6, at, action, doc_id, detail, mac FROM audit WHERE seq = 5;
             UPDATE audit_head SET seq = 6",
            "DELETE FROM audit_head",
            "DELETE FROM audit",
        ];
        for sql in tamper {
            let (conn, key) = chain(5);
            conn.execute_batch(sql).unwrap();
            for _ in 0..2 {
                append(&conn, &key, "vault.unlock", None, serde_json::json!({})).unwrap();
            }
            assert!(
                !faults(&conn, &key).is_empty(),
                "{sql} was sealed by an append"
            );
        }
    }

    #[test]
    fn another_key_does_not_verify() {
        let (conn, _) = chain(2);
        assert!(!faults(&conn, &MacKey::new(&random_key().unwrap())).is_empty());
    }

    /// Entries 1 to 13: state changes and accesses interleaved, from 2025-01 to 2026-03.
    const TIMELINE: &[(&str, &str, Option<&str>)] = &[
        ("2025-01-10T09:00:00.000Z", "vault.create", None),
        ("2025-02-01T08:00:00.000Z", "vault.unlock", None),
        ("2025-02-01T08:01:00.000Z", "document.import", Some("doc1")),
        ("2025-03-01T10:00:00.000Z", "document.read", Some("doc1")),
        ("2025-04-01T10:00:00.000Z", "vault.unlock_failed", None),
        ("2025-05-01T10:00:00.000Z", "document.correct", Some("doc1")),
        ("2025-06-01T10:00:00.000Z", "vault.verify", None),
        ("2025-07-01T10:00:00.000Z", "document.read", Some("doc1")),
        ("2025-08-01T10:00:00.000Z", "settings.change", None),
        ("2025-12-31T23:59:59.999Z", "vault.unlock_recovery", None),
        ("2026-01-01T00:00:00.000Z", "vault.unlock", None),
        ("2026-02-01T10:00:00.000Z", "document.read", Some("doc1")),
        ("2026-03-01T10:00:00.000Z", "document.import", Some("doc2")),
    ];
    /// Before it: the accesses 2, 4, 5, 7, 8 and 10.
    const CUTOFF: &str = "2026-01-01T00:00:00Z";
    const STUBS: &[i64] = &[2, 4, 5, 7, 8, 10];

    fn timeline() -> (Connection, MacKey) {
        let (conn, key) = db(true);
        for (i, (at, action, doc)) in TIMELINE.iter().enumerate() {
            append_at(&conn, &key, at, action, *doc, serde_json::json!({ "n": i })).unwrap();
        }
        (conn, key)
    }

    fn prune(conn: &Connection, key: &MacKey, before: &str) -> usize {
        let tx = conn.unchecked_transaction().unwrap();
        let n = prune_access(&tx, key, before).unwrap();
        tx.commit().unwrap();
        n
    }

    /// The timeline pruned at [`CUTOFF`]: entry 14 is the `audit.prune` entry.
    fn pruned() -> (Connection, MacKey) {
        let (conn, key) = timeline();
        assert_eq!(prune(&conn, &key, CUTOFF), STUBS.len());
        (conn, key)
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn pruning_stubs_old_accesses_and_keeps_state_changes() {
        let (conn, key) = timeline();
        let before = entries(&conn, None).unwrap();
        assert_eq!(prune(&conn, &key, CUTOFF), 6);

        let r = verify(&conn, &key).unwrap();
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!((r.entries, r.stubs, r.checkpoints), (14, 6, 1));

        let after = entries(&conn, None).unwrap();
        assert_eq!(after.len(), 14);
        for (old, new) in before.iter().zip(&after) {
            if STUBS.contains(&old.seq) {
                assert!(ACCESS_ACTIONS.contains(&old.action.as_str()));
                assert_eq!(new.seq, old.seq);
                assert_eq!(new.action, PRUNED_ACTION);
                assert_eq!(new.at, "");
                assert_eq!(new.doc_id, None);
                assert_eq!(
                    new.detail,
                    serde_json::json!({ "action": old.action, "checkpoint": 1 })
                );
            } else {
                assert_eq!(new, old, "entry {} changed", old.seq);
            }
        }
        // Every state change keeps its content; the accesses from the cut-off on are intact.
        assert_eq!(after[2].action, "document.import");
        assert_eq!(after[10].at, "2026-01-01T00:00:00.000Z");
        let last = &after[13];
        assert_eq!(last.action, PRUNE_ACTION);
        assert_eq!(
            last.detail,
            serde_json::json!({ "pruned": 6, "before": "2026-01-01T00:00:00.000Z",
                                "checkpoint": 1 })
        );
        // Nothing of a stub's content is left in the database.
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM audit WHERE pruned_by IS NOT NULL
                 AND (at <> '' OR doc_id IS NOT NULL OR detail <> '')"
            ),
            0
        );
        // The history of a document no longer lists its pruned reads.
        let doc1: Vec<i64> = entries(&conn, Some("doc1"))
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(doc1, [3, 6, 12]);
        // The chain goes on after a pruning.
        append(
            &conn,
            &key,
            "document.read",
            Some("doc2"),
            serde_json::json!({}),
        )
        .unwrap();
        assert!(faults(&conn, &key).is_empty());
    }

    #[test]
    fn tampering_with_a_pruned_chain_is_detected() {
        let stub_content = "UPDATE audit SET at = '', doc_id = NULL, detail = ''";
        let tamper: &[(&str, String)] = &[
            (
                "stub's mac changed (a stub follows)",
                "UPDATE audit SET mac = zeroblob(32) WHERE seq = 4".into(),
            ),
            (
                "stub's mac changed (an entry follows)",
                "UPDATE audit SET mac = zeroblob(32) WHERE seq = 10".into(),
            ),
            (
                "stub's action changed",
                "UPDATE audit SET action = 'vault.unlock' WHERE seq = 4".into(),
            ),
            ("stub deleted", "DELETE FROM audit WHERE seq = 5".into()),
            (
                "stub deleted and the next renumbered",
                "DELETE FROM audit WHERE seq = 8;
                 UPDATE audit SET seq = 8 WHERE seq = 9"
                    .into(),
            ),
            (
                "stubs swapped",
                "UPDATE audit SET seq = 100 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 5;
                 UPDATE audit SET seq = 5 WHERE seq = 100"
                    .into(),
            ),
            (
                "stub given content back",
                "UPDATE audit SET at = '2025-03-01T10:00:00.000Z', doc_id = 'doc1' WHERE seq = 4"
                    .into(),
            ),
            (
                "stub unmarked",
                "UPDATE audit SET pruned_by = NULL WHERE seq = 2".into(),
            ),
            (
                "import emptied into a stub",
                format!("{stub_content}, pruned_by = 1 WHERE seq = 3"),
            ),
            (
                "import emptied into a stub disguised as a read",
                format!("{stub_content}, action = 'document.read', pruned_by = 1 WHERE seq = 3"),
            ),
            (
                "import emptied into a stub of a copied checkpoint",
                format!(
                    "INSERT INTO audit_checkpoints
                     SELECT 2, at, cutoff, up_to_seq, 1, stubs_digest, entry_seq, mac
                     FROM audit_checkpoints WHERE id = 1;
                     {stub_content}, action = 'document.read', pruned_by = 2 WHERE seq = 3"
                ),
            ),
            (
                "import emptied into a stub of no checkpoint",
                format!("{stub_content}, action = 'document.read', pruned_by = 7 WHERE seq = 3"),
            ),
            (
                "recent access emptied into a stub",
                format!("{stub_content}, pruned_by = 1 WHERE seq = 11"),
            ),
            (
                "checkpoint count changed",
                "UPDATE audit_checkpoints SET pruned = 5".into(),
            ),
            (
                "checkpoint digest changed",
                "UPDATE audit_checkpoints SET stubs_digest = zeroblob(32)".into(),
            ),
            (
                "checkpoint range changed",
                "UPDATE audit_checkpoints SET up_to_seq = 12".into(),
            ),
            (
                "checkpoint cut-off changed",
                "UPDATE audit_checkpoints SET cutoff = '2027-01-01T00:00:00.000Z'".into(),
            ),
            (
                "checkpoint moved to another entry",
                "UPDATE audit_checkpoints SET entry_seq = 13".into(),
            ),
            (
                "checkpoint mac changed",
                "UPDATE audit_checkpoints SET mac = zeroblob(32)".into(),
            ),
            (
                "checkpoint renumbered",
                "UPDATE audit_checkpoints SET id = 2; UPDATE audit SET pruned_by = 2
                 WHERE pruned_by = 1"
                    .into(),
            ),
            ("checkpoint deleted", "DELETE FROM audit_checkpoints".into()),
            (
                "checkpoint deleted and stubs unmarked",
                "DELETE FROM audit_checkpoints; UPDATE audit SET pruned_by = NULL".into(),
            ),
            (
                "pruning entry altered",
                "UPDATE audit SET detail = '{\"before\":\"2026-01-01T00:00:00.000Z\",\
                 \"checkpoint\":1,\"pruned\":5}' WHERE seq = 14"
                    .into(),
            ),
            (
                "pruning entry and checkpoint deleted, head rewound",
                "DELETE FROM audit WHERE seq = 14; DELETE FROM audit_checkpoints;
                 UPDATE audit_head SET seq = 13, mac = (SELECT mac FROM audit WHERE seq = 13)"
                    .into(),
            ),
            (
                "pruned part of the chain cut off",
                "DELETE FROM audit WHERE seq <= 10".into(),
            ),
            ("everything removed", "DELETE FROM audit".into()),
        ];
        for (what, sql) in tamper {
            let (conn, key) = pruned();
            assert!(faults(&conn, &key).is_empty());
            conn.execute_batch(sql).unwrap();
            assert!(!faults(&conn, &key).is_empty(), "{what} went unnoticed");
        }
    }

    #[test]
    fn an_emptied_state_change_is_named() {
        let (conn, key) = pruned();
        conn.execute_batch(
            "UPDATE audit SET at = '', doc_id = NULL, detail = '', pruned_by = 1 WHERE seq = 3",
        )
        .unwrap();
        let faults = faults(&conn, &key);
        assert!(
            faults
                .iter()
                .any(|f| f.contains("entry 3 (document.import) records a change of state")),
            "{faults:?}"
        );
    }

    #[test]
    fn pruning_twice() {
        let (conn, key) = pruned();
        // Same cut-off, or an earlier one: nothing pruned, nothing written.
        assert_eq!(prune(&conn, &key, CUTOFF), 0);
        assert_eq!(prune(&conn, &key, "2025-06-01T00:00:00Z"), 0);
        assert_eq!(entries(&conn, None).unwrap().len(), 14);
        assert_eq!(count(&conn, "SELECT count(*) FROM audit_checkpoints"), 1);

        // Later accesses, then a later cut-off: 11 and 12 go, under a second checkpoint.
        append_at(
            &conn,
            &key,
            "2026-04-01T00:00:00.000Z",
            "vault.unlock",
            None,
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(prune(&conn, &key, "2026-03-01T00:00:00Z"), 2);
        let r = verify(&conn, &key).unwrap();
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!((r.entries, r.stubs, r.checkpoints), (16, 8, 2));
        let second: String = conn
            .query_row(
                "SELECT group_concat(seq) FROM (SELECT seq FROM audit WHERE pruned_by = 2
                                                ORDER BY seq)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(second, "11,12");
        assert_eq!(prune(&conn, &key, "2026-03-01T00:00:00Z"), 0);
    }

    fn twice_pruned() -> (Connection, MacKey) {
        let (conn, key) = pruned();
        assert_eq!(prune(&conn, &key, "2026-03-01T00:00:00Z"), 2);
        assert!(faults(&conn, &key).is_empty());
        (conn, key)
    }

    #[test]
    fn tampering_across_checkpoints_is_detected() {
        let tamper: &[(&str, &str)] = &[
            (
                "stub moved to the other checkpoint",
                "UPDATE audit SET pruned_by = 1 WHERE seq = 11",
            ),
            (
                "first checkpoint deleted",
                "DELETE FROM audit_checkpoints WHERE id = 1",
            ),
            (
                "second checkpoint deleted",
                "DELETE FROM audit_checkpoints WHERE id = 2",
            ),
            (
                "checkpoints swapped",
                "UPDATE audit_checkpoints SET id = 3 WHERE id = 1;
                 UPDATE audit_checkpoints SET id = 1 WHERE id = 2;
                 UPDATE audit_checkpoints SET id = 2 WHERE id = 3",
            ),
            (
                "second pruning undone but its stubs kept",
                "DELETE FROM audit_checkpoints WHERE id = 2; DELETE FROM audit WHERE seq = 16;
                 UPDATE audit_head SET seq = 15, mac = (SELECT mac FROM audit WHERE seq = 15)",
            ),
        ];
        for (what, sql) in tamper {
            let (conn, key) = twice_pruned();
            conn.execute_batch(sql).unwrap();
            assert!(!faults(&conn, &key).is_empty(), "{what} went unnoticed");
        }
    }

    #[test]
    fn pruning_leaves_tampered_entries_as_evidence() {
        let (conn, key) = timeline();
        // An attacker disguises the import as an old read, hoping the pruning erases it.
        conn.execute_batch("UPDATE audit SET action = 'document.read' WHERE seq = 3")
            .unwrap();
        assert_eq!(prune(&conn, &key, CUTOFF), 6);
        let faults = faults(&conn, &key);
        assert_eq!(
            faults,
            ["entry 3 (document.read) was altered, inserted or moved"]
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM audit WHERE seq = 3 AND doc_id = 'doc1'"
            ),
            1
        );
        // Nor does it prune after a hole in the numbering.
        let (conn, key) = timeline();
        conn.execute_batch("DELETE FROM audit WHERE seq = 3")
            .unwrap();
        assert_eq!(prune(&conn, &key, CUTOFF), 5);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM audit WHERE seq = 4 AND pruned_by IS NULL"
            ),
            1
        );
    }

    #[test]
    fn the_cut_off_is_any_rfc3339_time() {
        let (conn, key) = timeline();
        // One hour ahead of UTC: the same instant as CUTOFF.
        assert_eq!(prune(&conn, &key, "2026-01-01T01:00:00+01:00"), 6);
        assert_eq!(
            entries(&conn, None).unwrap()[13].detail["before"],
            "2026-01-01T00:00:00.000Z"
        );
        let tx = conn.unchecked_transaction().unwrap();
        assert!(matches!(
            prune_access(&tx, &key, "last year"),
            Err(Error::Setting { .. })
        ));
    }

    #[test]
    fn the_default_cut_off_is_months_back() {
        use time::macros::datetime;
        assert_eq!(
            months_before(datetime!(2026-03-31 12:00 UTC), 1),
            datetime!(2026-02-28 12:00 UTC)
        );
        assert_eq!(
            months_before(datetime!(2024-02-29 08:30 UTC), 12),
            datetime!(2023-02-28 08:30 UTC)
        );
        assert_eq!(
            months_before(datetime!(2026-01-15 00:00 +02:00), 6),
            datetime!(2025-07-14 22:00 UTC)
        );
        assert_eq!(
            months_before(datetime!(2026-05-01 00:00 UTC), u32::MAX).date(),
            Date::MIN
        );
        let cutoff = access_cutoff(DEFAULT_ACCESS_RETENTION_MONTHS);
        assert!(cutoff < now_rfc3339() && cutoff.len() == now_rfc3339().len());
    }

    #[test]
    fn the_base_schema_still_verifies() {
        let (conn, key) = chain_on(false, 3);
        let r = verify(&conn, &key).unwrap();
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!((r.entries, r.stubs, r.checkpoints), (3, 0, 0));
        assert_eq!(entries(&conn, None).unwrap().len(), 3);
    }
}
