//! The encrypted index: an SQLCipher database holding every document's metadata, its wrapped
//! key, the audit chain and the settings.
//!
//! Promises: the database file, its WAL and its journal are encrypted with the index key
//! (SQLCipher 4, raw 256-bit key, so no page, name or amount is readable on disk); the schema is
//! versioned by `PRAGMA user_version` and migrated forward in one transaction on open; deleted
//! rows are overwritten (`secure_delete`), which crypto-shredding relies on.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::format::secret::SecretKey;
use crate::records::fields::{self, Correction};
use crate::records::media::MediaKind;
use crate::storage::head::{Head, Recorder};
use crate::storage::schema::{MIGRATIONS, SCHEMA_VERSION};
use crate::{Error, Result};

/// A stored document as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Document {
    /// Random UUID, also the blob's file name.
    pub id: String,
    /// The original file name.
    pub name: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// IANA media type sniffed from the content.
    pub media_type: String,
    /// The coarse kind (`pdf`, `xml`, `png`, `jpeg`, `other`).
    pub kind: MediaKind,
    /// SHA-256 of the plaintext, hex.
    pub sha256: String,
    /// Import time, RFC 3339 UTC.
    pub imported_at: String,
    /// The e-mail message it was stored from (its id), if any.
    pub parent: Option<String>,
}

/// A row to insert for a new document.
pub struct NewDocument<'a> {
    /// The document.
    pub doc: &'a Document,
    /// Deduplication MAC of the plaintext.
    pub content_mac: &'a [u8; 32],
    /// The document key, wrapped.
    pub wrapped_key: &'a [u8],
}

/// The open index.
pub struct Index {
    conn: Connection,
    recorder: Option<Recorder>,
}

/// A write transaction of the index. Committing it also rewrites the rollback record
/// ([`crate::storage::head`]) when the index has one; it derefs to [`Transaction`] for everything else.
pub struct IndexTx<'a> {
    tx: Transaction<'a>,
    recorder: Option<&'a Recorder>,
}

impl<'a> std::ops::Deref for IndexTx<'a> {
    type Target = Transaction<'a>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for IndexTx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl IndexTx<'_> {
    /// Commits, then records the new head. The record is rewritten after the commit, so a
    /// crash in between leaves it behind the index, which opening accepts; a failure to
    /// rewrite it is not an error of the commit (the change is durable), only a record that
    /// lags.
    pub fn commit(self) -> Result<()> {
        let head = match self.recorder {
            Some(_) => Some(Head::of(&self.tx)?),
            None => None,
        };
        self.tx.commit()?;
        if let (Some(recorder), Some(head)) = (self.recorder, head) {
            let _ = recorder.write(&head);
        }
        Ok(())
    }
}

impl Index {
    /// Creates the index of a new vault at `path` (which must not exist) with `key`.
    pub fn create(path: &Path, key: &SecretKey) -> Result<Self> {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::AlreadyExists(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Self::keyed(conn, path, key)
    }

    /// Opens the existing index at `path` with `key`, and migrates it. Never creates one: a
    /// missing, empty or foreign file is an error that changes nothing.
    pub fn open(path: &Path, key: &SecretKey) -> Result<Self> {
        let unusable = |reason: &str| Error::IndexUnusable {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::IndexMissing {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(Error::io(path)(e)),
            Ok(m) if !m.is_file() => return Err(unusable("it is not a regular file")),
            Ok(m) if m.len() == 0 => return Err(unusable("the file is empty (0 bytes)")),
            Ok(_) => {}
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let index = Self::keyed(conn, path, key)?;
        let version: u32 = index
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version == 0 {
            return Err(unusable("it holds no Coffre index"));
        }
        Ok(index)
    }

    fn keyed(conn: Connection, path: &Path, key: &SecretKey) -> Result<Self> {
        let pragma = Zeroizing::new(format!(
            "PRAGMA key = \"x'{}'\";",
            Zeroizing::new(hex::encode(key.dangerously_expose())).as_str()
        ));
        conn.execute_batch(&pragma)?;
        // The first read fails with NotADatabase when the key is wrong or the file is damaged.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => Error::IndexUnusable {
                path: path.to_path_buf(),
                reason: "it does not open with this vault's key (damaged, truncated or replaced)"
                    .into(),
            },
            _ => Error::Index(e),
        })?;
        // The vault lock already excludes other processes, so SQLite's own per-transaction file
        // locks are redundant: exclusive mode skips them (and the shared-memory file).
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;",
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut index = Index {
            conn,
            recorder: None,
        };
        index.migrate()?;
        Ok(index)
    }

    /// From now on, every committed [`IndexTx`] rewrites the vault's rollback record.
    pub fn set_recorder(&mut self, recorder: Recorder) {
        self.recorder = Some(recorder);
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerIndex {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Starts a write transaction.
    pub fn transaction(&mut self) -> Result<IndexTx<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok(IndexTx {
            tx,
            recorder: self.recorder.as_ref(),
        })
    }

    /// The id of the document whose plaintext has this deduplication MAC.
    pub fn find_by_mac(conn: &Connection, mac: &[u8; 32]) -> Result<Option<String>> {
        Ok(conn
            .query_row(
                "SELECT id FROM documents WHERE content_mac = ?1",
                [&mac[..]],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Inserts a document and its wrapped key.
    pub fn insert_document(tx: &Connection, new: &NewDocument<'_>) -> Result<()> {
        let d = new.doc;
        let sha = hex::decode(&d.sha256).map_err(|_| Error::Crypto("sha256 hex"))?;
        tx.execute(
            "INSERT INTO documents (id, name, size, media_type, sha256, content_mac, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                d.id,
                d.name,
                d.size as i64,
                d.media_type,
                sha,
                &new.content_mac[..],
                d.imported_at
            ],
        )?;
        tx.execute(
            "INSERT INTO document_keys (doc_id, wrapped_key) VALUES (?1, ?2)",
            params![d.id, new.wrapped_key],
        )?;
        Ok(())
    }

    /// A document from the first seven columns of a row, in [`Index::DOC_COLUMNS`]'s order.
    pub(crate) fn row_to_document(r: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
        let media_type: String = r.get(3)?;
        let sha: Vec<u8> = r.get(4)?;
        Ok(Document {
            id: r.get(0)?,
            name: r.get(1)?,
            size: r.get::<_, i64>(2)? as u64,
            kind: MediaKind::from_mime(&media_type),
            media_type,
            sha256: hex::encode(sha),
            imported_at: r.get(5)?,
            parent: r.get(6)?,
        })
    }

    /// The columns [`Index::row_to_document`] reads, in order (`parent`: the message it was
    /// first stored from).
    pub(crate) const DOC_COLUMNS: &str = "id, name, size, media_type, sha256, imported_at,
        (SELECT p.parent FROM document_parts p WHERE p.child = documents.id
         ORDER BY p.rowid LIMIT 1)";

    /// Every document, oldest import first.
    pub fn documents(&self) -> Result<Vec<Document>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM documents ORDER BY imported_at, id",
            Self::DOC_COLUMNS
        ))?;
        let rows = stmt.query_map([], Self::row_to_document)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The document with this id, or the only one whose id starts with this prefix (at least 4
    /// characters).
    pub fn resolve(&self, id_or_prefix: &str) -> Result<Document> {
        let wanted = id_or_prefix.trim().to_ascii_lowercase();
        if wanted.len() < 4 || !wanted.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(Error::not_found(Kind::Document, id_or_prefix.to_owned()));
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM documents WHERE substr(id, 1, ?2) = ?1 LIMIT 2",
            Self::DOC_COLUMNS
        ))?;
        let found: Vec<Document> = stmt
            .query_map(params![wanted, wanted.len() as i64], Self::row_to_document)?
            .collect::<rusqlite::Result<_>>()?;
        match found.len() {
            0 => Err(Error::not_found(Kind::Document, id_or_prefix.to_owned())),
            1 => Ok(found.into_iter().next().expect("one")),
            _ => Err(Error::AmbiguousId(id_or_prefix.to_owned())),
        }
    }

    /// The document with exactly this id, read through `conn` (e.g. a transaction).
    pub fn resolve_in(conn: &Connection, id: &str) -> Result<Document> {
        conn.query_row(
            &format!("SELECT {} FROM documents WHERE id = ?1", Self::DOC_COLUMNS),
            [id],
            Self::row_to_document,
        )
        .optional()?
        .ok_or_else(|| Error::not_found(Kind::Document, id.to_owned()))
    }

    /// The wrapped key of a document, if it still has one.
    pub fn wrapped_key(&self, id: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT wrapped_key FROM document_keys WHERE doc_id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Ids of every document.
    pub fn document_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT id FROM documents")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores (or replaces) a document's extraction, as the extractor's JSON.
    pub fn put_extraction(
        tx: &Connection,
        doc_id: &str,
        version: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO extractions (doc_id, extractor_version, data, extracted_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(doc_id) DO UPDATE SET extractor_version = excluded.extractor_version,
                 data = excluded.data, extracted_at = excluded.extracted_at",
            params![
                doc_id,
                version,
                data.to_string(),
                crate::storage::audit::now_rfc3339()
            ],
        )?;
        Ok(())
    }

    /// A document's extraction, if it has one.
    pub fn extraction(conn: &Connection, doc_id: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = conn
            .query_row(
                "SELECT data FROM extractions WHERE doc_id = ?1",
                [doc_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// A document's corrections, oldest first.
    pub fn corrections(conn: &Connection, doc_id: &str) -> Result<Vec<Correction>> {
        let mut stmt = conn.prepare_cached(
            "SELECT field, old_value, new_value, at FROM corrections WHERE doc_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([doc_id], |r| {
            Ok(Correction {
                field: r.get(0)?,
                old_value: r.get(1)?,
                new_value: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a correction.
    pub fn add_correction(tx: &Connection, doc_id: &str, c: &Correction) -> Result<()> {
        tx.execute(
            "INSERT INTO corrections (doc_id, field, old_value, new_value, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![doc_id, c.field, c.old_value, c.new_value, c.at],
        )?;
        Ok(())
    }

    /// The plain text extraction found in a document (kept for search), if any.
    pub fn body(conn: &Connection, doc_id: &str) -> Result<Option<String>> {
        Ok(conn
            .query_row(
                "SELECT f.body FROM doc_fts f JOIN documents d ON d.rowid = f.rowid
                 WHERE d.id = ?1",
                [doc_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Rewrites a document's filter columns and full-text entry from its effective fields.
    /// `body` replaces the full text when given; otherwise the stored one is kept.
    pub fn refresh_search(
        tx: &Connection,
        doc_id: &str,
        effective: &serde_json::Value,
        body: Option<&str>,
    ) -> Result<()> {
        let get = |path: &str| fields::get(effective, path);
        let total = get("total_with_vat");
        tx.execute(
            "INSERT INTO doc_fields (doc_id, format, needs_review, number, issue_date, type_code,
                                     currency, seller_name, total_with_vat, total_e4)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(doc_id) DO UPDATE SET format = excluded.format,
                 needs_review = excluded.needs_review, number = excluded.number,
                 issue_date = excluded.issue_date, type_code = excluded.type_code,
                 currency = excluded.currency, seller_name = excluded.seller_name,
                 total_with_vat = excluded.total_with_vat, total_e4 = excluded.total_e4",
            params![
                doc_id,
                get("format"),
                effective
                    .get("needs_review")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
                get("number"),
                get("issue_date"),
                get("type_code"),
                get("currency"),
                get("seller.name"),
                total,
                total.and_then(fields::scaled_e4),
            ],
        )?;
        let (rowid, name): (i64, String) = tx.query_row(
            "SELECT rowid, name FROM documents WHERE id = ?1",
            [doc_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let old_body = match body {
            Some(_) => None,
            None => Self::body(tx, doc_id)?,
        };
        tx.execute("DELETE FROM doc_fts WHERE rowid = ?1", [rowid])?;
        tx.execute(
            "INSERT INTO doc_fts (rowid, name, fields, body) VALUES (?1, ?2, ?3, ?4)",
            params![
                rowid,
                name,
                fields::search_text(effective),
                body.map(str::to_owned).or(old_body).unwrap_or_default()
            ],
        )?;
        Ok(())
    }

    /// Journals import jobs (state `pending`) in one transaction; returns their ids in order.
    /// The path is kept exactly (as the operating system's bytes) beside its readable form.
    pub fn add_jobs(tx: &Connection, sources: &[PathBuf], origin: &str) -> Result<Vec<i64>> {
        let now = crate::storage::audit::now_rfc3339();
        let mut stmt = tx.prepare_cached(
            "INSERT INTO import_jobs (source, source_raw, origin, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        )?;
        let mut ids = Vec::with_capacity(sources.len());
        for src in sources {
            stmt.execute(params![src.to_string_lossy(), path_bytes(src), origin, now])?;
            ids.push(tx.last_insert_rowid());
        }
        Ok(ids)
    }

    /// Where a journaled job came from (`drop`, `watch`, `cli`), if the job exists.
    pub fn job_origin(tx: &Connection, id: i64) -> Result<Option<String>> {
        Ok(tx
            .query_row("SELECT origin FROM import_jobs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Ends a job: `done` (stored), `duplicate`, `failed` or `superseded` (submitted anew).
    pub fn finish_job(
        tx: &Connection,
        id: i64,
        state: &str,
        doc_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        tx.execute(
            "UPDATE import_jobs SET state = ?2, doc_id = ?3, reason = ?4, updated_at = ?5
             WHERE id = ?1",
            params![
                id,
                state,
                doc_id,
                reason,
                crate::storage::audit::now_rfc3339()
            ],
        )?;
        Ok(())
    }

    /// Jobs journaled but not finished (a crash or kill interrupted them): (id, source, origin).
    pub fn pending_jobs(&self) -> Result<Vec<(i64, PathBuf, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, source, source_raw, origin FROM import_jobs WHERE state = 'pending'
             ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let text: String = r.get(1)?;
            let raw: Option<Vec<u8>> = r.get(2)?;
            let path = raw
                .and_then(|b| path_from_bytes(&b))
                .unwrap_or_else(|| PathBuf::from(text));
            Ok((r.get(0)?, path, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What a watched folder remembers of a file it kept in place: (size, mtime in ns).
    pub fn watch_recall(&self, folder: &str, rel: &str) -> Result<Option<(u64, i128)>> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT size, mtime_ns FROM watch_seen WHERE folder = ?1 AND rel = ?2",
                params![folder, rel],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(size, m)| Some((size as u64, m.parse().ok()?))))
    }

    /// Remembers a file a watched folder kept in place.
    pub fn watch_remember(
        tx: &Connection,
        folder: &str,
        rel: &str,
        size: u64,
        mtime_ns: i128,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO watch_seen (folder, rel, size, mtime_ns) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(folder, rel) DO UPDATE SET size = excluded.size,
                 mtime_ns = excluded.mtime_ns",
            params![folder, rel, size as i64, mtime_ns.to_string()],
        )?;
        Ok(())
    }

    /// Whether documents stored before `what` (`extractions`: schema 2, `retention`: schema
    /// 4) existed may still lack it: the migration that adds it leaves a `backfill.WHAT` flag,
    /// removed once every document has it ([`Index::backfilled`]). Cheaper than checking every
    /// document at each open.
    pub fn needs_backfill(&self, what: &str) -> Result<bool> {
        Ok(self.setting(&format!("backfill.{what}"))?.is_some())
    }

    /// Clears the `backfill.WHAT` flag (see [`Index::needs_backfill`]).
    pub fn backfilled(&self, what: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM settings WHERE key = ?1",
            [format!("backfill.{what}")],
        )?;
        Ok(())
    }

    /// Ids of documents that have no extraction yet.
    pub fn documents_without_extraction(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM extractions)")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A setting's stored value.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Stores a setting's value.
    pub fn set_setting(tx: &Connection, key: &str, value: &str) -> Result<()> {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

/// Rewrites a copy of an index (a backup generation's snapshot at `path`, keyed with `key`)
/// without the documents `ids`: their rows and everything that cascades from them, their search
/// tokens (FTS5 merged so no segment keeps them), their journal rows and sharing-ledger digests;
/// then compacts the result into the new file `dest` (`VACUUM INTO`: no free page of the old
/// content is copied). `path` is a working copy: it is modified.
pub(crate) fn scrub_snapshot(
    path: &Path,
    dest: &Path,
    key: &SecretKey,
    ids: &[String],
) -> Result<()> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let index = Index::keyed(conn, path, key)?;
    let conn = &index.conn;
    let tx = conn.unchecked_transaction()?;
    // Generations made before schema 15 have no statuses.
    let statuses: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'invoice_statuses')",
        [],
        |r| r.get(0),
    )?;
    for id in ids {
        if statuses {
            // The statuses of a disposed invoice, and those its lifecycle message brought.
            tx.execute(
                "DELETE FROM invoice_statuses WHERE doc_id = ?1 OR message_id = ?1",
                [id],
            )?;
        }
        let rowid: Option<i64> = tx
            .query_row("SELECT rowid FROM documents WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(rowid) = rowid {
            tx.execute("DELETE FROM doc_fts WHERE rowid = ?1", [rowid])?;
        }
        tx.execute("DELETE FROM documents WHERE id = ?1", [id])?;
        tx.execute("DELETE FROM import_jobs WHERE doc_id = ?1", [id])?;
        tx.execute(
            "UPDATE bundle_documents SET sha256 = '', fields_digest = '' WHERE doc_id = ?1",
            [id],
        )?;
    }
    // One merge applies every delete marker, whatever the snapshot's FTS5 settings were.
    tx.execute_batch("INSERT INTO doc_fts(doc_fts) VALUES('optimize');")?;
    tx.commit()?;
    let dest = dest
        .to_str()
        .ok_or_else(|| Error::io(dest)(std::io::Error::other("not a UTF-8 path")))?;
    conn.execute("VACUUM INTO ?1", [dest])?;
    Ok(())
}

/// A path as the operating system's bytes (Unix) or UTF-16 code units, little-endian (Windows).
fn path_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        path.as_os_str()
            .encode_wide()
            .flat_map(u16::to_le_bytes)
            .collect()
    }
}

/// The inverse of [`path_bytes`]; `None` when the bytes cannot be a path here.
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        if bytes.len() % 2 != 0 {
            return None;
        }
        let wide: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(PathBuf::from(std::ffi::OsString::from_wide(&wide)))
    }
}
