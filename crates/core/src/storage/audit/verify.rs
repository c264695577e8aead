//! Checking the whole audit trail: every entry, the pruning checkpoints and the head record.
//!
//! Promises: [`verify`] reads and reports, it never writes; it names every fault found, in chain
//! order (an entry modified, inserted, deleted or moved, a cut tail, an emptied state change, a
//! stub outside its checkpoint, a checkpoint altered or without its entry), rather than stopping
//! at the first; a trail must start with the vault's creation.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use super::chain::{Stored, has_pruning};
use super::prune::{StubsDigest, checkpoints};
use super::{ACCESS_ACTIONS, CREATE_ACTION, ChainReport, GENESIS, HEAD_LABEL, PRUNE_ACTION};
use crate::Result;
use crate::format::crypto::MacKey;

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
    use super::super::tests::{chain, chain_on, db, faults};
    use super::super::{append, entries};
    use super::*;
    use crate::format::crypto::random_key;

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

    #[test]
    fn the_base_schema_still_verifies() {
        let (conn, key) = chain_on(false, 3);
        let r = verify(&conn, &key).unwrap();
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!((r.entries, r.stubs, r.checkpoints), (3, 0, 0));
        assert_eq!(entries(&conn, None).unwrap().len(), 3);
    }
}
