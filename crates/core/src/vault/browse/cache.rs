//! What the documents table remembers of a selection between calls: its count, its totals, and
//! anchors into its ordering (every [`STEP`]th row's sort key), kept per filter and brought up
//! to date from a log of the changes made since.
//!
//! Promises: a cached figure is the one a fresh computation would give. The log is filled by
//! temporary triggers on the vault's connection (documents, `doc_fields`, `retention`), inside
//! the writing transaction, so a rolled-back change leaves no entry. Documents added since an
//! entry was brought up to date are added to it (counted, summed, anchors shifted); any other
//! change to a document it may cover (a correction, a retention change, a disposal, a copy
//! regrouped) drops the entry's figures, computed again when next asked. A change made by
//! another connection (seen in `PRAGMA data_version`) or a lost log drops everything.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, ToSql};

use super::CurrencySums;
use crate::Result;

/// Rows between two anchors when they are built: the most rows a page skips.
pub(super) const STEP: u64 = 128;
/// Most filters remembered at once.
const MAX_ENTRIES: usize = 16;

/// The columns whose change can move a document in or out of a selection, change its place in
/// the order or its total (see `selection` and `totals` in the parent module).
const LOG: &str = "
    CREATE TEMP TABLE IF NOT EXISTS browse_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        added INTEGER NOT NULL,
        relevant INTEGER NOT NULL
    );
    CREATE TEMP TRIGGER IF NOT EXISTS browse_documents_insert AFTER INSERT ON main.documents
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (NEW.id, 1, 1); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_documents_update AFTER UPDATE ON main.documents
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (OLD.id, 0, 0); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_documents_delete AFTER DELETE ON main.documents
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (OLD.id, 0, 1); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_fields_insert AFTER INSERT ON main.doc_fields
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (NEW.doc_id, 0, 1); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_fields_delete AFTER DELETE ON main.doc_fields
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (OLD.doc_id, 0, 1); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_fields_update AFTER UPDATE ON main.doc_fields
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (OLD.doc_id, 0,
        OLD.doc_id IS NOT NEW.doc_id OR OLD.issue_date IS NOT NEW.issue_date
        OR OLD.seller_name IS NOT NEW.seller_name OR OLD.copy_of IS NOT NEW.copy_of
        OR OLD.direction IS NOT NEW.direction OR OLD.payable IS NOT NEW.payable
        OR OLD.status IS NOT NEW.status OR OLD.due_date IS NOT NEW.due_date
        OR OLD.needs_review IS NOT NEW.needs_review OR OLD.copy_conflict IS NOT NEW.copy_conflict
        OR OLD.currency IS NOT NEW.currency OR OLD.type_code IS NOT NEW.type_code
        OR OLD.total_e4 IS NOT NEW.total_e4); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_retention_insert AFTER INSERT ON main.retention
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (NEW.doc_id, 0, 1); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_retention_delete AFTER DELETE ON main.retention
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (OLD.doc_id, 0, 1); END;
    CREATE TEMP TRIGGER IF NOT EXISTS browse_retention_update AFTER UPDATE ON main.retention
    BEGIN INSERT INTO browse_changes (doc_id, added, relevant) VALUES (OLD.doc_id, 0,
        OLD.doc_id IS NOT NEW.doc_id OR OLD.category IS NOT NEW.category
        OR OLD.retain_until IS NOT NEW.retain_until OR OLD.hold_reason IS NOT NEW.hold_reason
        OR OLD.restricted_reason IS NOT NEW.restricted_reason); END;";

/// A row's place in the table's order: issue date, newest first, documents without one last,
/// then id, highest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PageKey {
    pub date: Option<String>,
    pub id: String,
}

impl PageKey {
    /// Whether `self` comes before `other` in the table's order.
    fn precedes(&self, other: &PageKey) -> bool {
        match (&self.date, &other.date) {
            (Some(a), Some(b)) if a != b => a > b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            _ => self.id > other.id,
        }
    }
}

/// Anchors into a selection's order.
#[derive(Debug, Clone, Default)]
pub(super) struct Anchors {
    /// (position, key of the row there), by position; the first row with no date is always
    /// one of them, so a position among the undated rows never starts from a dated anchor
    /// beyond the last dated row (except for undated rows added since, see [`Anchors::dated`]).
    marks: Vec<(u64, PageKey)>,
    /// Rows with an issue date (they come first).
    pub dated: u64,
}

impl Anchors {
    /// Builds the anchors from the selection's keys, in order.
    pub(super) fn build(keys: impl Iterator<Item = rusqlite::Result<PageKey>>) -> Result<Self> {
        let mut a = Anchors::default();
        let mut undated_seen = false;
        for (pos, key) in (0u64..).zip(keys) {
            let key = key?;
            let first_undated = key.date.is_none() && !undated_seen;
            if key.date.is_some() {
                a.dated += 1;
            } else {
                undated_seen = true;
            }
            if pos.is_multiple_of(STEP) || first_undated {
                a.marks.push((pos, key));
            }
        }
        Ok(a)
    }

    /// The last anchor at or before `offset`: where a page at `offset` starts seeking, and how
    /// many rows it then skips. `None`: start from the first row.
    pub(super) fn before(&self, offset: u64) -> Option<(&PageKey, u64)> {
        let i = self.marks.partition_point(|(pos, _)| *pos <= offset);
        let (pos, key) = self.marks.get(i.checked_sub(1)?)?;
        Some((key, offset - pos))
    }

    /// A row with `key` was added to the selection: the rows after it move down by one.
    /// Returns false when the anchors have grown too far apart to be worth keeping.
    fn insert(&mut self, key: &PageKey) -> bool {
        if key.date.is_some() {
            self.dated += 1;
        }
        for (pos, mark) in &mut self.marks {
            if key.precedes(mark) {
                *pos += 1;
            }
        }
        let mut last = 0;
        for (pos, _) in &self.marks {
            if pos - last > 2 * STEP {
                return false;
            }
            last = *pos;
        }
        true
    }
}

/// What is remembered of one selection.
#[derive(Default)]
pub(super) struct Entry {
    /// The last change of the log it reflects.
    seq: i64,
    used: u64,
    pub count: Option<u64>,
    pub sums: Option<CurrencySums>,
    pub anchors: Option<Anchors>,
}

impl Entry {
    fn clear(&mut self) {
        self.count = None;
        self.sums = None;
        self.anchors = None;
    }

    fn is_empty(&self) -> bool {
        self.count.is_none() && self.sums.is_none() && self.anchors.is_none()
    }
}

/// A selection as the cache sees it: its key, its SQL condition over `doc_fields f`, and
/// whether it searches text (any change to a document may change its text).
pub(super) struct Selection<'a> {
    pub key: String,
    pub where_: &'a str,
    pub args: &'a [Box<dyn ToSql>],
    pub text: bool,
}

/// The per-filter memory of one vault connection.
#[derive(Default)]
pub struct BrowseCache {
    entries: HashMap<String, Entry>,
    clock: u64,
    data_version: Option<i64>,
}

impl std::fmt::Debug for BrowseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowseCache")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl BrowseCache {
    /// The entry of `sel`, up to date with every change made since it was last used.
    pub(super) fn entry(&mut self, conn: &Connection, sel: &Selection<'_>) -> Result<&mut Entry> {
        let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        // The last sequence number given (rows up to it may have been pruned); an error when
        // the log was never made on this connection.
        let latest: Option<i64> = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM temp.browse_changes WHERE 0)
                      + COALESCE((SELECT seq FROM temp.sqlite_sequence
                                  WHERE name = 'browse_changes'), 0)",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap_or(None);
        let latest = match latest {
            Some(seq) if self.data_version == Some(version) => seq,
            _ => {
                // First use on this connection, or changes this log did not see.
                conn.execute_batch(LOG)?;
                conn.execute("DELETE FROM temp.browse_changes", [])?;
                self.entries.clear();
                self.data_version = Some(version);
                0
            }
        };
        self.clock += 1;
        if !self.entries.contains_key(&sel.key) && self.entries.len() >= MAX_ENTRIES {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
        let entry = self
            .entries
            .entry(sel.key.clone())
            .or_insert_with(|| Entry {
                seq: latest,
                ..Entry::default()
            });
        entry.used = self.clock;
        if entry.seq < latest {
            catch_up(conn, entry, sel)?;
            entry.seq = latest;
        }
        // The log is needed only back to the oldest entry's change.
        if let Some(oldest) = self.entries.values().map(|e| e.seq).min() {
            conn.execute("DELETE FROM temp.browse_changes WHERE seq <= ?1", [oldest])?;
        }
        Ok(self.entries.get_mut(&sel.key).expect("just inserted"))
    }
}

/// Brings `entry` from its change to the latest: the documents added since are added to its
/// figures; any other change to a document it may cover clears them.
fn catch_up(conn: &Connection, entry: &mut Entry, sel: &Selection<'_>) -> Result<()> {
    if entry.is_empty() {
        return Ok(());
    }
    let mut first_kind: HashMap<String, bool> = HashMap::new();
    let mut touched = HashSet::new();
    {
        let mut stmt = conn.prepare(
            "SELECT doc_id, added, relevant FROM temp.browse_changes WHERE seq > ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([entry.seq])?;
        while let Some(r) = rows.next()? {
            let (id, added, relevant): (String, bool, bool) = (r.get(0)?, r.get(1)?, r.get(2)?);
            first_kind.entry(id.clone()).or_insert(added);
            if relevant || sel.text {
                touched.insert(id);
            }
        }
    }
    // A document that existed before and changed since: its old contribution is unknown.
    if touched.iter().any(|id| first_kind.get(id) == Some(&false)) {
        entry.clear();
        return Ok(());
    }
    let credit_notes = crate::records::fields::credit_note_sql_list();
    let sql = format!(
        "SELECT f.issue_date, f.doc_id, COALESCE(f.currency, ''), f.total_e4,
                COALESCE(f.type_code, '') IN ({credit_notes})
         FROM doc_fields f{} AND f.doc_id IN
             (SELECT doc_id FROM temp.browse_changes WHERE seq > ? AND added = 1)",
        sel.where_
    );
    let mut args: Vec<&dyn ToSql> = sel.args.iter().map(|b| b.as_ref()).collect();
    args.push(&entry.seq);
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(args.as_slice())?;
    while let Some(r) = rows.next()? {
        let key = PageKey {
            date: r.get(0)?,
            id: r.get(1)?,
        };
        if let Some(count) = &mut entry.count {
            *count += 1;
        }
        if let (Some(sums), Some(e4)) = (&mut entry.sums, r.get::<_, Option<i64>>(3)?) {
            sums.add(&r.get::<_, String>(2)?, e4, r.get(4)?);
        }
        if let Some(anchors) = &mut entry.anchors
            && !anchors.insert(&key)
        {
            entry.anchors = None;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(date: Option<&str>, id: &str) -> PageKey {
        PageKey {
            date: date.map(str::to_owned),
            id: id.to_owned(),
        }
    }

    #[test]
    fn keys_order_newest_first_undated_last() {
        assert!(key(Some("2026-02-01"), "a").precedes(&key(Some("2026-01-01"), "z")));
        assert!(key(Some("2026-01-01"), "b").precedes(&key(Some("2026-01-01"), "a")));
        assert!(key(Some("2016-01-01"), "a").precedes(&key(None, "z")));
        assert!(key(None, "b").precedes(&key(None, "a")));
        assert!(!key(None, "a").precedes(&key(None, "a")));
    }

    #[test]
    fn anchors_mark_every_step_and_the_first_undated_row() {
        let mut keys: Vec<PageKey> = (0..600)
            .map(|i| key(Some("2026-01-01"), &format!("{:04}", 9999 - i)))
            .collect();
        keys.extend((0..10).map(|i| key(None, &format!("{:04}", 9999 - i))));
        let a = Anchors::build(keys.iter().cloned().map(Ok)).unwrap();
        assert_eq!(a.dated, 600);
        let positions: Vec<u64> = a.marks.iter().map(|m| m.0).collect();
        assert_eq!(positions, vec![0, 128, 256, 384, 512, 600]);
        let (k, skip) = a.before(300).unwrap();
        assert_eq!((k, skip), (&keys[256], 44));
        let (k, skip) = a.before(605).unwrap();
        assert_eq!((k, skip), (&keys[600], 5));
    }

    #[test]
    fn an_added_row_shifts_the_anchors_after_it() {
        let keys: Vec<PageKey> = (0..600)
            .map(|i| key(Some("2026-01-01"), &format!("{:04}", 9999 - i)))
            .collect();
        let mut a = Anchors::build(keys.iter().cloned().map(Ok)).unwrap();
        // Between the rows at 299 and 300.
        assert!(a.insert(&key(Some("2026-01-01"), "9699x")));
        let positions: Vec<u64> = a.marks.iter().map(|m| m.0).collect();
        assert_eq!(positions, vec![0, 128, 256, 385, 513]);
        assert_eq!(a.dated, 601);
        // Rows piling up before the first anchor: past two steps the anchors are dropped.
        let mut kept = true;
        for i in 0..600 {
            kept = a.insert(&key(Some("2027-01-01"), &format!("{i:04}")));
            if !kept {
                break;
            }
        }
        assert!(!kept);
    }
}
