//! The encrypted index: an SQLCipher database holding every document's metadata, its wrapped
//! key, the audit chain and the settings.
//!
//! Promises: the database file, its WAL and its journal are encrypted with the index key
//! (SQLCipher 4, raw 256-bit key, so no page, name or amount is readable on disk); the schema is
//! versioned by `PRAGMA user_version` and migrated forward in one transaction on open; deleted
//! rows are overwritten (`secure_delete`), which crypto-shredding relies on.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::media::MediaKind;
use crate::secret::SecretKey;
use crate::{Error, Result};

/// Schema migrations, in order; migration `i` moves `user_version` from `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: documents, their keys, the audit chain, settings.
    "CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        sha256 BLOB NOT NULL,
        content_mac BLOB NOT NULL UNIQUE,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE document_keys (
        doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        wrapped_key BLOB NOT NULL
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        doc_id TEXT,
        detail TEXT NOT NULL,
        mac BLOB NOT NULL
    );
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        mac BLOB NOT NULL,
        head_mac BLOB NOT NULL
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// A stored document as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

impl Index {
    /// Opens (or creates) the index at `path` with `key`, and migrates it.
    pub fn open(path: &std::path::Path, key: &SecretKey) -> Result<Self> {
        let conn = Connection::open(path)?;
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
            Some(rusqlite::ErrorCode::NotADatabase) => Error::BadHeader {
                path: path.to_path_buf(),
                reason: "the index does not open with this vault's key (damaged or replaced)"
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
             PRAGMA temp_store = MEMORY;",
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut index = Index { conn };
        index.migrate()?;
        Ok(index)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::Setting {
                key: "schema".into(),
                reason: format!(
                    "the index has schema {version}, newer than this Coffre ({SCHEMA_VERSION}); \
                     update Coffre"
                ),
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
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
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
    pub fn insert_document(tx: &Transaction<'_>, new: &NewDocument<'_>) -> Result<()> {
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

    fn row_to_document(r: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
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
        })
    }

    const DOC_COLUMNS: &str = "id, name, size, media_type, sha256, imported_at";

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
            return Err(Error::NoSuchDocument(id_or_prefix.to_owned()));
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM documents WHERE substr(id, 1, ?2) = ?1 LIMIT 2",
            Self::DOC_COLUMNS
        ))?;
        let found: Vec<Document> = stmt
            .query_map(params![wanted, wanted.len() as i64], Self::row_to_document)?
            .collect::<rusqlite::Result<_>>()?;
        match found.len() {
            0 => Err(Error::NoSuchDocument(id_or_prefix.to_owned())),
            1 => Ok(found.into_iter().next().expect("one")),
            _ => Err(Error::AmbiguousId(id_or_prefix.to_owned())),
        }
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
    pub fn set_setting(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}
