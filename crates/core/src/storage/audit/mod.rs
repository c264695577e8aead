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
//!
//! Modules: `chain` (the MAC rules, appending and listing), `prune` (the access log kept for a
//! limited time: pruning and its checkpoints), `verify` (checking the whole chain).

use serde::Serialize;
use time::format_description::BorrowedFormatItem;
use time::{OffsetDateTime, UtcOffset};

mod chain;
mod prune;
mod verify;

pub use chain::{append, entries, entries_page};
pub use prune::{access_cutoff, prune_access};
pub use verify::verify;

/// The MAC before the first entry.
const GENESIS: [u8; 32] = [0u8; 32];

/// The actions that record an access rather than a change of state: only these are pruned.
pub const ACCESS_ACTIONS: &[&str] = &[
    "vault.unlock",
    "vault.unlock_recovery",
    "vault.unlock_failed",
    "vault.verify",
    "document.read",
    "document.print",
];

/// How long access entries are kept by default, in months (the CNIL's range is 6 to 12).
pub use crate::storage::settings::DEFAULT_ACCESS_RETENTION_MONTHS;

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
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
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
    #[cfg_attr(feature = "typescript", ts(type = "Record<string, unknown>"))]
    pub detail: serde_json::Value,
}

/// The outcome of a chain check.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
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

const FORMAT: &[BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

fn format_utc(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .expect("UTC time formats")
}

/// A file-system time, RFC 3339 UTC like [`now_rfc3339`]; `None` for a time RFC 3339 cannot
/// write (before year 0 or after 9999).
pub fn rfc3339(t: std::time::SystemTime) -> Option<String> {
    let nanos = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).ok()?,
        Err(e) => -i128::try_from(e.duration().as_nanos()).ok()?,
    };
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    (0..=9999).contains(&t.year()).then(|| format_utc(t))
}

/// The current time, RFC 3339 UTC with exactly three fractional digits (sortable as text).
pub fn now_rfc3339() -> String {
    format_utc(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    //! Chains the tests of the audit modules share.

    use rusqlite::Connection;

    use super::*;
    use crate::format::crypto::{MacKey, random_key};

    /// An empty chain on the base schema, with or without [`AUDIT_PRUNING`](crate::storage::schema::AUDIT_PRUNING).
    pub(super) fn db(pruning: bool) -> (Connection, MacKey) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::storage::schema::MIGRATIONS[0])
            .unwrap();
        if pruning {
            conn.execute_batch(crate::storage::schema::AUDIT_PRUNING)
                .unwrap();
        }
        (conn, MacKey::new(&random_key().unwrap()))
    }

    pub(super) fn chain(n: usize) -> (Connection, MacKey) {
        chain_on(true, n)
    }

    pub(super) fn chain_on(pruning: bool, n: usize) -> (Connection, MacKey) {
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

    pub(super) fn faults(conn: &Connection, key: &MacKey) -> Vec<String> {
        verify(conn, key).unwrap().faults
    }
}
