//! The index's schema, in one place: every migration, in order, and the version they make.
//!
//! Promises: a migration is never edited once released (a vault created by an older Coffre
//! replays the rest); the features that own a table document it here, next to its SQL.

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
    // 2: extracted invoice data, the owner's corrections, filter columns and full-text search.
    "CREATE TABLE extractions (
        doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        extractor_version TEXT NOT NULL,
        data TEXT NOT NULL,
        extracted_at TEXT NOT NULL
    );
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX corrections_by_doc ON corrections(doc_id, id);
    CREATE TABLE doc_fields (
        doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        format TEXT,
        needs_review INTEGER NOT NULL DEFAULT 0,
        number TEXT,
        issue_date TEXT,
        type_code TEXT,
        currency TEXT,
        seller_name TEXT,
        total_with_vat TEXT,
        total_e4 INTEGER
    );
    CREATE INDEX doc_fields_by_date ON doc_fields(issue_date);
    CREATE VIRTUAL TABLE doc_fts USING fts5(
        name, fields, body, tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT OR REPLACE INTO settings (key, value) VALUES ('backfill.extractions', '1');",
    // 3: the import journal and the watched folders' memory of files kept in place.
    "CREATE TABLE import_jobs (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        origin TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'duplicate', 'failed', 'superseded')),
        doc_id TEXT,
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX import_jobs_pending ON import_jobs(id) WHERE state = 'pending';
    CREATE TABLE watch_seen (
        folder TEXT NOT NULL,
        rel TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns TEXT NOT NULL,
        PRIMARY KEY (folder, rel)
    );",
    // 4: retention (category, date, hold, restriction) and the tombstones of disposed documents.
    "CREATE TABLE retention (
        doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        category TEXT NOT NULL,
        category_by_owner INTEGER NOT NULL DEFAULT 0,
        retain_until TEXT NOT NULL,
        hold_reason TEXT,
        hold_at TEXT,
        restricted_reason TEXT,
        restricted_at TEXT
    );
    CREATE INDEX retention_by_date ON retention(retain_until);
    CREATE INDEX retention_restricted ON retention(doc_id) WHERE restricted_reason IS NOT NULL;
    INSERT OR REPLACE INTO settings (key, value) VALUES ('backfill.retention', '1');
    CREATE TABLE tombstones (
        doc_id TEXT PRIMARY KEY,
        category TEXT NOT NULL,
        issue_date TEXT,
        imported_at TEXT NOT NULL,
        retain_until TEXT NOT NULL,
        content_mac BLOB NOT NULL,
        sha256 BLOB NOT NULL,
        reason TEXT NOT NULL,
        override INTEGER NOT NULL,
        disposed_by TEXT NOT NULL,
        disposed_at TEXT NOT NULL
    );",
    // 5: the consent ledger (append-only).
    CONSENT,
    // 6: the GDPR request register.
    REQUESTS,
    // 7: pruning of old access entries behind MACed checkpoints.
    AUDIT_PRUNING,
    // 8: the ledger of sharing bundles.
    BUNDLES,
    // 9: the documents table of the desktop app reads pages in this order straight from an
    // index (issue date, newest first; id breaks ties) instead of sorting every document.
    "DROP INDEX doc_fields_by_date;
    CREATE INDEX doc_fields_by_date_id ON doc_fields(issue_date, doc_id);",
    // 10: a job's source path as the operating system's bytes, so a file name that is not
    // UTF-8 is resumed exactly (`source` stays the readable form).
    "ALTER TABLE import_jobs ADD COLUMN source_raw BLOB;",
    // 11: disposal leaves no trace in the search index: FTS5 removes a deleted document's
    // tokens from its pages instead of writing delete markers, and one merge drops what earlier
    // disposals left; tombstones keep only the keyed MAC of the content, not its plain SHA-256;
    // the watched folders' memory keeps keyed MACs of file names (rewritten at the next open).
    "INSERT INTO doc_fts(doc_fts, rank) VALUES('secure-delete', 1);
    INSERT INTO doc_fts(doc_fts) VALUES('optimize');
    UPDATE tombstones SET sha256 = x'';
    INSERT OR REPLACE INTO settings (key, value) VALUES ('backfill.watch_names', '1');",
    // 12: supplier memory (`vault::memory`).
    SUPPLIER_MEMORY,
    // 13: e-mail messages and their parts (`vault::message`).
    MESSAGES,
    // 14: mail accounts and the messages fetched from them (`vault::mailbox`).
    MAILBOXES,
    // 15: purchases and sales, copies of one invoice, lifecycle statuses (`vault::invoices`).
    INVOICES,
    // 16: the documents table's order also holds the condition of its default view (copies
    // left out), so walking it to place page anchors reads the index alone (`vault::browse`).
    "DROP INDEX doc_fields_by_date_id;
    CREATE INDEX doc_fields_by_date_id ON doc_fields(issue_date, doc_id, copy_of);",
    // 17: the number of documents, kept by triggers (`storage::head` records it at every
    // commit, the documents table shows it at every unlock; counting a million rows took
    // about 100 ms each time).
    DOCUMENT_COUNT,
    // 18: the search filters (period, amount range, seller) read from one index in date order,
    // so a filtered search reads the table rows of its results only; each row looked at in the
    // table was a page decrypted (51-104 ms for a year, a seller and a range over a million
    // documents, 3-7 ms with the index).
    "CREATE INDEX IF NOT EXISTS doc_fields_filters
     ON doc_fields(issue_date, total_e4, seller_name, doc_id);",
];

/// The number of rows of `documents`, kept by triggers in the writing transaction itself: a
/// count that is always the table's (`SELECT n FROM document_count` equals
/// `SELECT COUNT(*) FROM documents`), read in constant time.
pub const DOCUMENT_COUNT: &str = "CREATE TABLE document_count (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n INTEGER NOT NULL
    );
    INSERT INTO document_count (id, n) SELECT 1, COUNT(*) FROM documents;
    CREATE TRIGGER document_count_added AFTER INSERT ON documents
    BEGIN UPDATE document_count SET n = n + 1 WHERE id = 1; END;
    CREATE TRIGGER document_count_removed AFTER DELETE ON documents
    BEGIN UPDATE document_count SET n = n - 1 WHERE id = 1; END;";

/// Invoices as the accountant sees them (`vault::invoices`): each document's direction
/// (`purchase`, `sale`, `unknown`), due date, whether it can be paid, its copy key (the invoice
/// number in comparable form) and its seller's identifiers in comparable form (so that a copy
/// group is found from these columns alone), the original it is a copy of, whether another document with its
/// number and seller disagrees on the total, and its latest lifecycle status; the statuses
/// themselves, from lifecycle messages (kept unlinked until their invoice arrives) or set by the
/// owner. The documents' columns are backfilled at the next open.
pub const INVOICES: &str =
    "ALTER TABLE doc_fields ADD COLUMN direction TEXT NOT NULL DEFAULT 'unknown';
    ALTER TABLE doc_fields ADD COLUMN due_date TEXT;
    ALTER TABLE doc_fields ADD COLUMN payable INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE doc_fields ADD COLUMN copy_key TEXT;
    ALTER TABLE doc_fields ADD COLUMN seller_ids TEXT;
    ALTER TABLE doc_fields ADD COLUMN copy_of TEXT;
    ALTER TABLE doc_fields ADD COLUMN copy_conflict INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE doc_fields ADD COLUMN status TEXT;
    CREATE INDEX doc_fields_by_copy_key ON doc_fields(copy_key) WHERE copy_key IS NOT NULL;
    CREATE INDEX doc_fields_copies ON doc_fields(copy_of) WHERE copy_of IS NOT NULL;
    CREATE TABLE invoice_statuses (
        id INTEGER PRIMARY KEY,
        doc_id TEXT REFERENCES documents(id) ON DELETE SET NULL,
        copy_key TEXT NOT NULL,
        issuer TEXT NOT NULL,
        invoice_date TEXT,
        status TEXT NOT NULL,
        code TEXT,
        at TEXT NOT NULL,
        reason TEXT,
        source TEXT NOT NULL CHECK (source IN ('platform', 'owner')),
        message_id TEXT REFERENCES documents(id) ON DELETE CASCADE,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX invoice_statuses_by_doc ON invoice_statuses(doc_id, at);
    CREATE INDEX invoice_statuses_by_key ON invoice_statuses(copy_key);
    CREATE INDEX invoice_statuses_by_message ON invoice_statuses(message_id);
    INSERT OR REPLACE INTO settings (key, value) VALUES ('backfill.invoices', '1');";

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// E-mail messages: each part stored from a message is linked to it (a document may be a part
/// of several messages: the same invoice sent twice is stored once, linked twice; the first
/// link is its `parent`); a message's key (a keyed MAC of its Message-ID and content) finds the
/// same message imported again. Both go with their documents.
pub const MESSAGES: &str = "CREATE TABLE document_parts (
        parent TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        child TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        UNIQUE (parent, child)
    );
    CREATE INDEX document_parts_by_child ON document_parts(child);
    CREATE TABLE message_keys (
        key BLOB PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE
    );";

/// Mail accounts (IMAP folders to collect from), their password sealed under the credentials
/// key, and every message fetched from them, by (UIDVALIDITY, UID): a row is written in the
/// transaction that stores the message (or records why it was skipped or failed), so a message
/// is fetched again only if it was not committed, or failed. `acted` is set once the account's after-fetch action
/// (mark seen, move) was applied on the server. A row outlives its document (`doc_id` becomes
/// null when the document is erased), so an erased message is not fetched back.
pub const MAILBOXES: &str = "CREATE TABLE mail_accounts (
        name TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        security TEXT NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
        user TEXT NOT NULL,
        folder TEXT NOT NULL,
        ca_pem TEXT,
        after TEXT NOT NULL,
        password BLOB NOT NULL,
        created_at TEXT NOT NULL,
        last_fetch TEXT
    );
    CREATE TABLE mail_seen (
        account TEXT NOT NULL REFERENCES mail_accounts(name) ON DELETE CASCADE,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('imported', 'duplicate', 'skipped', 'failed')),
        doc_id TEXT REFERENCES documents(id) ON DELETE SET NULL,
        reason TEXT,
        acted INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL,
        PRIMARY KEY (account, uidvalidity, uid)
    ) WITHOUT ROWID;";

/// Supplier memory: how a supplier lays out a field, learned from a correction. `ids` are the
/// supplier's identifiers (VAT ids, SIREN, IBAN), comma-separated; `placement` is `right` or
/// `below:N`. A row goes with the document it was learned from (erasing the document erases
/// what was learned from it).
pub const SUPPLIER_MEMORY: &str = "CREATE TABLE supplier_memory (
        id INTEGER PRIMARY KEY,
        supplier TEXT,
        ids TEXT NOT NULL,
        field TEXT NOT NULL,
        label TEXT NOT NULL,
        placement TEXT NOT NULL,
        doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        learned_at TEXT NOT NULL
    );
    CREATE INDEX supplier_memory_by_doc ON supplier_memory(doc_id);";

/// The SQL creating the ledger's table, its indexes and the append-only triggers.
pub const CONSENT: &str = "CREATE TABLE consent_entries (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('grant', 'withdraw')),
        consent_id INTEGER REFERENCES consent_entries(seq),
        party TEXT,
        purpose TEXT,
        period_from TEXT,
        period_to TEXT,
        categories TEXT,
        evidence TEXT,
        note TEXT,
        at TEXT NOT NULL,
        CHECK ((kind = 'grant' AND consent_id IS NULL AND party IS NOT NULL
                AND purpose IS NOT NULL AND categories IS NOT NULL)
            OR (kind = 'withdraw' AND consent_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX consent_one_withdrawal ON consent_entries(consent_id)
        WHERE kind = 'withdraw';
    CREATE TRIGGER consent_entries_no_update BEFORE UPDATE ON consent_entries
    BEGIN SELECT RAISE(ABORT, 'consent entries are append-only'); END;
    CREATE TRIGGER consent_entries_no_delete BEFORE DELETE ON consent_entries
    BEGIN SELECT RAISE(ABORT, 'consent entries are append-only'); END;";

/// The SQL creating the register and its event log.
pub const REQUESTS: &str = "CREATE TABLE gdpr_requests (
        id INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        email TEXT,
        vat_id TEXT,
        siren TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'restriction',
                                          'portability', 'objection')),
        received TEXT NOT NULL,
        due_initial TEXT NOT NULL,
        due_extended TEXT,
        extension_reason TEXT,
        extended_at TEXT,
        outcome TEXT,
        closed_at TEXT,
        created_at TEXT NOT NULL,
        CHECK ((due_extended IS NULL) = (extension_reason IS NULL)),
        CHECK ((closed_at IS NULL) = (outcome IS NULL))
    );
    CREATE TABLE gdpr_request_events (
        id INTEGER PRIMARY KEY,
        request_id INTEGER NOT NULL REFERENCES gdpr_requests(id),
        event TEXT NOT NULL CHECK (event IN ('created', 'extended', 'closed')),
        detail TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX gdpr_request_events_by_request ON gdpr_request_events(request_id, id);";

/// Schema additions for pruning, applied after the base schema: `audit.pruned_by` (NULL for an
/// intact entry, else the id of the checkpoint that covers the stub) and the checkpoints.
pub const AUDIT_PRUNING: &str = "ALTER TABLE audit ADD COLUMN pruned_by INTEGER;
    CREATE INDEX audit_stubs ON audit(pruned_by) WHERE pruned_by IS NOT NULL;
    CREATE INDEX audit_by_doc ON audit(doc_id);
    CREATE TABLE audit_checkpoints (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        cutoff TEXT NOT NULL,
        up_to_seq INTEGER NOT NULL,
        pruned INTEGER NOT NULL,
        stubs_digest BLOB NOT NULL,
        entry_seq INTEGER NOT NULL,
        mac BLOB NOT NULL
    );";

/// The SQL creating the bundle ledger. Idempotent (`IF NOT EXISTS`), so it may also run before
/// it joins the index migrations.
pub const BUNDLES: &str = "CREATE TABLE IF NOT EXISTS bundles (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        recipient TEXT NOT NULL,
        purpose TEXT,
        consent_id INTEGER NOT NULL,
        period_from TEXT NOT NULL,
        period_to TEXT NOT NULL,
        digest TEXT NOT NULL,
        documents TEXT NOT NULL,
        out_path TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS bundle_documents (
        bundle_id TEXT NOT NULL REFERENCES bundles(id),
        doc_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        fields_digest TEXT NOT NULL,
        PRIMARY KEY (bundle_id, doc_id)
    );
    CREATE INDEX IF NOT EXISTS bundle_documents_by_doc ON bundle_documents(doc_id);";
