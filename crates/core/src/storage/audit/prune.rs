//! The access log kept for a limited time: access entries older than a cut-off become stubs,
//! under a MACed checkpoint anchored in the chain.
//!
//! Promises: only [`ACCESS_ACTIONS`] are pruned, never a change of state, and never an entry
//! whose own MAC does not verify (the evidence of tampering stays); a stub keeps its `seq`, action
//! and MAC, so the chain still links; each pruning writes one checkpoint whose MAC covers exactly
//! the `(seq, action, mac)` of its stubs, and an `audit.prune` entry naming it; pruning again with
//! the same cut-off writes nothing.

use std::collections::BTreeMap;

use ring::digest;
use rusqlite::{Connection, params};
use time::{Date, Month, OffsetDateTime, UtcOffset};

use super::chain::{Stored, append_at};
use super::{
    ACCESS_ACTIONS, CHECKPOINT_LABEL, GENESIS, PRUNE_ACTION, STUBS_LABEL, format_utc, now_rfc3339,
};
use crate::error::Why;
use crate::format::crypto::{self, MacKey};
use crate::{Error, Result};

/// A pruning checkpoint, as stored.
pub(super) struct Checkpoint {
    pub(super) id: i64,
    pub(super) at: String,
    pub(super) cutoff: String,
    pub(super) up_to_seq: i64,
    pub(super) pruned: i64,
    pub(super) stubs_digest: Vec<u8>,
    pub(super) entry_seq: i64,
    pub(super) mac: Vec<u8>,
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

    pub(super) fn compute_mac(&self, key: &MacKey) -> [u8; 32] {
        self.with_parts(|parts| key.mac_parts(parts))
    }

    pub(super) fn authentic(&self, key: &MacKey) -> bool {
        self.with_parts(|parts| key.verify_parts(parts, &self.mac))
    }
}

/// The running SHA-256 over the `(seq, action, mac)` of one checkpoint's stubs, in `seq` order.
pub(super) struct StubsDigest {
    pub(super) ctx: digest::Context,
    pub(super) count: i64,
    pub(super) first_seq: i64,
    pub(super) last_seq: i64,
}

impl StubsDigest {
    pub(super) fn new() -> Self {
        let mut ctx = crypto::sha256();
        put(&mut ctx, STUBS_LABEL);
        StubsDigest {
            ctx,
            count: 0,
            first_seq: 0,
            last_seq: 0,
        }
    }

    pub(super) fn add(&mut self, seq: i64, action: &str, mac: &[u8]) {
        put(&mut self.ctx, &seq.to_be_bytes());
        put(&mut self.ctx, action.as_bytes());
        put(&mut self.ctx, mac);
        if self.count == 0 {
            self.first_seq = seq;
        }
        self.count += 1;
        self.last_seq = seq;
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.ctx.finish().as_ref().to_vec()
    }
}

/// Feeds `L(part)` to a digest.
fn put(ctx: &mut digest::Context, part: &[u8]) {
    ctx.update(&(part.len() as u64).to_be_bytes());
    ctx.update(part);
}

/// Every checkpoint, by id (none when the table does not exist).
pub(super) fn checkpoints(conn: &Connection) -> Result<BTreeMap<i64, Checkpoint>> {
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
        |_| {
            Error::invalid(
                "before",
                Why::BadFormat {
                    value: text.to_owned(),
                    format: "RFC 3339 (2026-01-31T00:00:00Z)".into(),
                },
            )
        },
    )?;
    Ok(format_utc(t))
}

/// Prunes the access entries ([`ACCESS_ACTIONS`]) dated before `before` (RFC 3339, any offset),
/// and returns how many. Call inside a transaction.
///
/// Each pruned entry becomes a stub: `at`, `doc_id` and `detail` are erased, `seq`, `action` and
/// `mac` stay, and `pruned_by` names the checkpoint written for this pruning, whose MAC covers
/// the `(seq, action, mac)` of exactly its stubs. An `audit.prune` entry
/// `{"pruned": n, "before": cut-off, "checkpoint": id}` is appended to the chain. Entries whose
/// own MAC does not verify are left as they are, so that pruning never erases the evidence of
/// tampering (and [`verify`](super::verify()) keeps reporting them). When nothing is to be
/// pruned, nothing is written: a second call with the same cut-off returns 0.
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

#[cfg(test)]
mod tests {
    use super::super::tests::{db, faults};
    use super::super::{DEFAULT_ACCESS_RETENTION_MONTHS, PRUNED_ACTION, append, entries, verify};
    use super::*;

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
            Err(Error::Invalid { .. })
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
}
