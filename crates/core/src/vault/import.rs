//! Import: a document read, fingerprinted, extracted and encrypted ([`Sealer`], without the
//! vault), then made durable ([`Vault::commit_batch`]); the import journal and the watched
//! folders' memory of files kept in place.
//!
//! Promises: content is held only in zeroizing memory and reaches the disk only encrypted; a
//! blob is synced and in place before the transaction that records its row commits, and a
//! failed commit leaves no blob behind; content already stored is a duplicate, never stored
//! twice; the journal and the watched folders' memory hold no readable file name.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use coffre_extract::mail::rules::{self, Rules};

use crate::format::crypto::{self, MacKey, random_key, wrap_key};
use crate::format::secret::SecretKey;
use crate::format::stream::{BlobHeader, BlobWriter};
use crate::records::frames::MessagePart;
use crate::records::media::MediaKind;
use crate::records::worker::Extractor;
use crate::storage::audit;
use crate::storage::index::{Document, Index, NewDocument};
use crate::storage::store::{BlobStore, PendingBlob};
use crate::support::files::sync_dir;
use crate::vault::mailbox::{self, FetchStatus, MailUid};
use crate::vault::message::{self, PartOutcome, PartStatus};
use crate::vault::{Vault, doc_key_aad, now};
use crate::{Error, Result};

/// What became of a file offered for import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// Stored, or found already in the vault.
    pub status: ImportStatus,
    /// The document stored, or the one already there.
    pub document: Document,
    /// For an e-mail message stored now: what became of each of its parts.
    pub parts: Vec<PartOutcome>,
}

/// See [`ImportOutcome::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// Stored as a new document.
    Imported,
    /// The same content (or the same e-mail message) was already in the vault.
    Duplicate,
}

impl ImportOutcome {
    /// A document found already in the vault.
    pub fn duplicate(document: Document) -> Self {
        ImportOutcome {
            status: ImportStatus::Duplicate,
            document,
            parts: Vec::new(),
        }
    }

    /// The document stored or found.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Whether it was stored now.
    pub fn is_imported(&self) -> bool {
        self.status == ImportStatus::Imported
    }
}

/// Version of the extractor recorded with each extraction (the workspace version).
pub const EXTRACTOR_VERSION: &str = concat!("coffre-extract ", env!("CARGO_PKG_VERSION"));

/// Reads all of `reader` into zeroizing memory, refusing more than `limit` bytes.
pub fn read_limited(mut reader: impl Read, limit: u64) -> Result<Zeroizing<Vec<u8>>> {
    let mut plain = Zeroizing::new(Vec::new());
    let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if (plain.len() + n) as u64 > limit {
            return Err(Error::TooLarge { limit });
        }
        plain.extend_from_slice(&buf[..n]);
    }
    Ok(plain)
}

/// A document's content fingerprints.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint {
    sha256: [u8; 32],
    content_mac: [u8; 32],
}

/// The keys and store that preparing an import needs (not the index): cheap to clone, shareable
/// between worker threads. Its keys are zeroized when the last clone is dropped.
#[derive(Clone)]
pub struct Sealer {
    inner: Arc<SealerKeys>,
    store: BlobStore,
    extractor: Arc<Extractor>,
    /// Which parts of an e-mail message are stored (the `mail.*` settings).
    rules: Arc<std::sync::RwLock<Rules>>,
}

struct SealerKeys {
    doc_wrap: SecretKey,
    dedup: SecretKey,
}

/// A document read, fingerprinted, extracted, encrypted and synced under `tmp/`, waiting for
/// [`Vault::commit`], with the parts of an e-mail message prepared the same way. Dropping it
/// deletes its temporary blobs.
pub struct Prepared {
    record: Record,
    /// A message's parts the rules keep: (name in the message, the part).
    parts: Vec<(String, Prepared)>,
    /// A message's parts the rules skip.
    skipped: Vec<PartOutcome>,
    /// A message's key (see [`message::key`]).
    message_key: Option<[u8; 32]>,
    /// Why no worker could read it, if none could: it is prepared whole, flagged, unsplit.
    unreadable: Option<String>,
}

/// What one document's commit writes.
struct Record {
    doc: Document,
    content_mac: [u8; 32],
    wrapped_key: Vec<u8>,
    data: serde_json::Value,
    text: String,
    /// The file name sealed under the document's key, for the audit trail.
    sealed_name: serde_json::Value,
    pending: PendingBlob,
}

impl Prepared {
    /// The document as it will be stored.
    pub fn document(&self) -> &Document {
        &self.record.doc
    }
}

impl Sealer {
    /// The sealer of a vault being opened: its document-wrapping and deduplication keys, its
    /// blob store, and a new extractor.
    pub(super) fn new(
        doc_wrap: SecretKey,
        dedup: SecretKey,
        store: BlobStore,
        rules: Rules,
    ) -> Sealer {
        Sealer {
            inner: Arc::new(SealerKeys { doc_wrap, dedup }),
            store,
            extractor: Arc::new(Extractor::default()),
            rules: Arc::new(std::sync::RwLock::new(rules)),
        }
    }

    /// Applies changed mail rules to the imports prepared from now on.
    pub(super) fn set_rules(&self, rules: Rules) {
        *self.rules.write().unwrap_or_else(|p| p.into_inner()) = rules;
    }

    /// The extractor that import uses (and re-extraction).
    pub(super) fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Stops the extraction workers at once (the vault is locking): documents being read come
    /// back as [`Error::Interrupted`] and stay journaled.
    pub fn halt(&self) {
        self.extractor.halt();
    }

    /// Whether [`Sealer::halt`] was called (the vault is locking): long work stops.
    pub fn is_halted(&self) -> bool {
        self.extractor.is_halted()
    }

    /// The content's SHA-256 and keyed fingerprint (HMAC of the SHA-256 under the dedup key).
    pub fn fingerprint(&self, plain: &[u8]) -> Fingerprint {
        let sha256 = crypto::sha256_of(plain);
        let content_mac = MacKey::new(&self.inner.dedup).mac_parts(&[&sha256]);
        Fingerprint {
            sha256,
            content_mac,
        }
    }

    /// Extracts the invoice data and writes the encrypted blob under `tmp/` (synced). The CPU-heavy
    /// half of an import: needs no lock on the vault.
    ///
    /// The document is parsed in a worker process ([`crate::records::worker`]); a document no worker can
    /// read is still prepared, flagged "could not be read". [`Error::Interrupted`] when the
    /// vault is locking.
    pub fn prepare(&self, name: &str, plain: &[u8], fp: Fingerprint) -> Result<Prepared> {
        self.prepare_with_progress(name, plain, fp, &mut |_| {})
    }

    /// [`Sealer::prepare`], telling `progress` where the extraction is (each page OCR reads).
    pub fn prepare_with_progress(
        &self,
        name: &str,
        plain: &[u8],
        fp: Fingerprint,
        progress: &mut dyn FnMut(coffre_extract::Progress),
    ) -> Result<Prepared> {
        self.prepare_document(name, plain, fp, progress, true)
    }

    /// A message fetched from a mail server: prepared like a dropped `.eml`, and named after
    /// its subject (`Facture 2026-114.eml`).
    /// A message no worker could read is [`Error::Unreadable`] (not stored, fetched again), not
    /// a message without attachments.
    pub fn prepare_fetched(&self, plain: &[u8], fp: Fingerprint) -> Result<Prepared> {
        let prepared = self.prepare_document("", plain, fp, &mut |_| {}, true)?;
        match &prepared.unreadable {
            Some(reason) => Err(Error::Unreadable {
                reason: reason.clone(),
            }),
            None => Ok(prepared),
        }
    }

    /// [`Sealer::prepare_with_progress`] (an empty `name`: named after the message's subject);
    /// an e-mail message is split into its parts only when
    /// `split` (a message kept as a part of another is stored whole: its own parts were opened
    /// with the outer message's).
    fn prepare_document(
        &self,
        name: &str,
        plain: &[u8],
        fp: Fingerprint,
        progress: &mut dyn FnMut(coffre_extract::Progress),
        split: bool,
    ) -> Result<Prepared> {
        let extraction = self
            .extractor
            .extract_with_progress(plain, name, progress)
            .map_err(|_| Error::Interrupted)?;
        let data = extraction.data();
        let subject_name;
        let name = if name.is_empty() {
            let subject = data["message"]["subject"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_owned();
            subject_name = message_name(&subject);
            subject_name.as_str()
        } else {
            name
        };
        let id = Uuid::new_v4();
        let id_str = id.hyphenated().to_string();
        let doc_key = random_key()?;
        let (file, pending) = self.store.create_pending(&id_str)?;
        let mut writer = BlobWriter::new(file, &doc_key, BlobHeader::new(*id.as_bytes())?)?;
        writer.write_all(plain)?;
        let file = writer
            .finish()?
            .into_inner()
            .map_err(|e| Error::from(e.into_error()))?;
        file.sync_all()?;
        drop(file);
        let kind = MediaKind::sniff(plain, name);
        let sealed_name = crate::vault::shred::seal_name(&doc_key, &id, name)?;
        let record = Record {
            doc: Document {
                id: id_str,
                name: name.to_owned(),
                size: plain.len() as u64,
                media_type: kind.mime().to_owned(),
                kind,
                sha256: hex::encode(fp.sha256),
                imported_at: now(),
                parent: None,
            },
            content_mac: fp.content_mac,
            wrapped_key: wrap_key(&self.inner.doc_wrap, &doc_key, &doc_key_aad(&id))?,
            data,
            text: extraction.text,
            sealed_name,
            pending,
        };
        // A message no worker could read is kept whole, flagged, like any unreadable document
        // (never taken for a message without attachments).
        if split
            && extraction.unreadable.is_none()
            && matches!(kind, MediaKind::Message | MediaKind::Outlook)
        {
            return self.prepare_message(record, extraction.parts, progress);
        }
        Ok(Prepared {
            record,
            parts: Vec::new(),
            skipped: Vec::new(),
            message_key: None,
            unreadable: extraction.unreadable,
        })
    }

    /// A message prepared with the parts the mail rules keep; [`Error::NothingKept`] when
    /// there is none and the rules keep no bare message.
    fn prepare_message(
        &self,
        record: Record,
        found: Vec<MessagePart>,
        progress: &mut dyn FnMut(coffre_extract::Progress),
    ) -> Result<Prepared> {
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mut parts = Vec::new();
        let mut skipped = Vec::new();
        let mut digests = Vec::new();
        for part in found {
            if let Err(why) = rules::keep(&part.name, &part.bytes, part.inline, &rules) {
                skipped.push(PartOutcome::skipped(&part.name, why));
                continue;
            }
            let fp = self.fingerprint(&part.bytes);
            digests.push(fp.sha256);
            let prepared = self.prepare_document(&part.name, &part.bytes, fp, progress, false)?;
            parts.push((part.name, prepared));
        }
        if parts.is_empty() && !rules.keep_without_attachments {
            let skipped = if skipped.is_empty() {
                "no attachment".to_owned()
            } else {
                skipped
                    .iter()
                    .map(|s| format!("{}: {}", s.name, s.reason.as_deref().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            return Err(Error::NothingKept { skipped });
        }
        let message_key = record.data["message"]["message_id"]
            .as_str()
            .filter(|id| !id.trim().is_empty())
            .map(|id| message::key(&MacKey::new(&self.inner.dedup), id, &record.text, &digests));
        Ok(Prepared {
            record,
            parts,
            skipped,
            message_key,
            unreadable: None,
        })
    }
}

/// The name of a message fetched from a mail server: its subject as the owner reads it (spaces
/// kept, folder separators and controls not, at most 100 characters) with `.eml`.
fn message_name(subject: &str) -> String {
    let words: Vec<String> = subject
        .split_whitespace()
        .map(|w| {
            w.chars()
                .map(|c| match c {
                    '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
                    c if c.is_control() => '-',
                    c => c,
                })
                .collect()
        })
        .collect();
    let stem: String = words.join(" ").chars().take(100).collect();
    let stem = stem.trim_matches(['.', ' ', '-']);
    if stem.is_empty() {
        "message.eml".to_owned()
    } else {
        format!("{stem}.eml")
    }
}

/// What a commit ends besides storing the document: the import journal's job that brought it
/// (if any), or the mail fetch record of the message it is.
pub(super) enum Receipt {
    /// A journaled import job (or none).
    Job(Option<i64>),
    /// A message fetched from the mail account named here.
    Mail(String, MailUid),
}

impl Receipt {
    /// Where the document came from, as the `document.import` audit entry records it: the
    /// journaled job's origin (`drop`, `watch`, `cli`), `mail` for a fetched message; `None`
    /// for a direct import (no journal).
    fn source(&self, tx: &rusqlite::Connection) -> Result<Option<String>> {
        match self {
            Receipt::Job(None) => Ok(None),
            Receipt::Job(Some(job)) => Index::job_origin(tx, *job),
            Receipt::Mail(..) => Ok(Some("mail".to_owned())),
        }
    }

    fn finish(&self, tx: &rusqlite::Connection, status: ImportStatus, doc_id: &str) -> Result<()> {
        match self {
            Receipt::Job(None) => Ok(()),
            Receipt::Job(Some(job)) => {
                let state = match status {
                    ImportStatus::Imported => "done",
                    ImportStatus::Duplicate => "duplicate",
                };
                Index::finish_job(tx, *job, state, Some(doc_id), None)
            }
            Receipt::Mail(account, at) => {
                let status = match status {
                    ImportStatus::Imported => FetchStatus::Imported,
                    ImportStatus::Duplicate => FetchStatus::Duplicate,
                };
                mailbox::record(tx, account, *at, status, Some(doc_id), None)
            }
        }
    }

    /// Records a document that could not be stored: a fetched message is marked failed (tried
    /// again at the next fetch); a journal job stays pending for its caller to end.
    fn failed(&self, tx: &rusqlite::Connection, e: &Error) -> Result<()> {
        match self {
            Receipt::Job(_) => Ok(()),
            Receipt::Mail(account, at) => mailbox::record(
                tx,
                account,
                *at,
                FetchStatus::Failed,
                None,
                Some(&e.to_string()),
            ),
        }
    }
}

/// Places a document's blob and writes its rows (document and key, extraction with the supplier
/// memory applied, search entry, retention, audit entry) through `sp`; returns the blob's
/// folder, to be synced before the transaction commits.
fn write_record(
    sp: &rusqlite::Connection,
    store: &BlobStore,
    audit_key: &MacKey,
    record: Record,
    source: Option<&str>,
) -> Result<PathBuf> {
    let Record {
        doc,
        content_mac,
        wrapped_key,
        mut data,
        text,
        sealed_name,
        pending,
    } = record;
    let shard = store.place(pending, &doc.id)?;
    Index::insert_document(
        sp,
        &NewDocument {
            doc: &doc,
            content_mac: &content_mac,
            wrapped_key: &wrapped_key,
        },
    )?;
    crate::vault::memory::apply(sp, &mut data, &text)?;
    Index::put_extraction(sp, &doc.id, EXTRACTOR_VERSION, &data)?;
    Index::refresh_search(sp, &doc.id, &data, Some(&text))?;
    crate::vault::invoices::refresh(sp, &doc.id, &data)?;
    crate::vault::lifecycle::compute_retention(sp, &doc.id)?;
    let mut detail = json!({ "name": sealed_name, "size": doc.size,
                             "media_type": doc.media_type, "format": data.get("format") });
    if let Some(source) = source {
        detail["source"] = json!(source);
    }
    audit::append(sp, audit_key, "document.import", Some(&doc.id), detail)?;
    Ok(shard)
}

impl Vault {
    /// Imports the file at `path` under its file name.
    pub fn import_file(&mut self, path: &Path, max_size: Option<u64>) -> Result<ImportOutcome> {
        let limit = match max_size {
            Some(l) => l,
            None => self.max_import_size()?,
        };
        let file = File::open(path).map_err(Error::io(path))?;
        let meta = file.metadata().map_err(Error::io(path))?;
        if !meta.is_file() {
            return Err(Error::io(path)(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        if meta.len() > limit {
            return Err(Error::TooLarge { limit });
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into());
        self.import_reader(&name, BufReader::new(file), Some(limit))
            .map_err(|e| match e {
                Error::Io { path: None, source } => Error::io(path)(source),
                other => other,
            })
    }

    /// Imports a document read from `reader`, named `name`: reads it (in zeroizing memory, up to
    /// the size limit), extracts its invoice data, encrypts it, and records it in one transaction.
    pub fn import_reader(
        &mut self,
        name: &str,
        reader: impl Read,
        max_size: Option<u64>,
    ) -> Result<ImportOutcome> {
        let limit = match max_size {
            Some(l) => l,
            None => self.max_import_size()?,
        };
        let plain = read_limited(reader, limit)?;
        let sealer = self.sealer();
        let fp = sealer.fingerprint(&plain);
        if let Some(existing) = self.find_duplicate(&fp)? {
            return Ok(ImportOutcome::duplicate(existing));
        }
        let prepared = sealer.prepare(name, &plain, fp)?;
        drop(plain);
        self.commit(prepared, None)
    }

    /// What import needs besides the index, for workers that prepare imports in parallel.
    pub fn sealer(&self) -> Sealer {
        self.sealer.clone()
    }

    /// The stored document with this content, if any.
    pub fn find_duplicate(&self, fp: &Fingerprint) -> Result<Option<Document>> {
        match Index::find_by_mac(self.index.conn(), &fp.content_mac)? {
            Some(id) => Ok(Some(self.index.resolve(&id)?)),
            None => Ok(None),
        }
    }

    /// Makes a prepared document durable (see [`Vault::commit_batch`]).
    pub fn commit(&mut self, prepared: Prepared, job: Option<i64>) -> Result<ImportOutcome> {
        self.commit_batch(vec![(prepared, job)])?
            .pop()
            .expect("one result per document")
    }

    /// Makes prepared documents durable together ("group commit"): their blobs are renamed into
    /// place and their folders synced, then one transaction records each (row, key, extraction,
    /// search entry, retention, audit entry, and its journal job), each inside a savepoint so that
    /// one failure does not undo the others. Content already stored (or earlier in the batch) is
    /// a duplicate and its blob is dropped. One result per document, in order; the outer error
    /// is for a failure of the whole transaction.
    pub fn commit_batch(
        &mut self,
        batch: Vec<(Prepared, Option<i64>)>,
    ) -> Result<Vec<Result<ImportOutcome>>> {
        self.commit_receipts(
            batch
                .into_iter()
                .map(|(prepared, job)| (prepared, Receipt::Job(job)))
                .collect(),
            |_| Ok(()),
        )
    }

    /// [`Vault::commit_batch`], ending each document's receipt (its journal job, or its mail
    /// fetch record) in the transaction that stores it; `also` writes more in that transaction.
    pub(super) fn commit_receipts(
        &mut self,
        batch: Vec<(Prepared, Receipt)>,
        also: impl FnOnce(&rusqlite::Connection) -> Result<()>,
    ) -> Result<Vec<Result<ImportOutcome>>> {
        let audit_key = self.audit_key();
        let store = self.store.clone();
        let mut tx = self.index.transaction()?;
        let mut results = Vec::with_capacity(batch.len());
        let mut shards = std::collections::BTreeSet::new();
        let mut placed = Vec::new();
        for (prepared, receipt) in batch {
            // The same content, or the same message delivered again.
            let mut existing = Index::find_by_mac(&tx, &prepared.record.content_mac)?;
            if existing.is_none()
                && let Some(key) = &prepared.message_key
            {
                existing = message::find(&tx, key)?;
            }
            if let Some(existing) = existing {
                drop(prepared); // removes its temporary blobs
                let doc = Index::resolve_in(&tx, &existing)?;
                receipt.finish(&tx, ImportStatus::Duplicate, &doc.id)?;
                results.push(Ok(ImportOutcome::duplicate(doc)));
                continue;
            }
            let source = receipt.source(&tx)?;
            let sp = tx.savepoint()?;
            let mut placed_here = Vec::new();
            let mut shards_here = Vec::new();
            let one = (|| -> Result<ImportOutcome> {
                let Prepared {
                    record,
                    parts,
                    skipped,
                    message_key,
                    unreadable: _,
                } = prepared;
                let mut stored = |record: Record| -> Result<Document> {
                    let doc = record.doc.clone();
                    placed_here.push(doc.id.clone());
                    shards_here.push(write_record(
                        &sp,
                        &store,
                        &audit_key,
                        record,
                        source.as_deref(),
                    )?);
                    Ok(doc)
                };
                let doc = stored(record)?;
                receipt.finish(&sp, ImportStatus::Imported, &doc.id)?;
                if let Some(key) = &message_key {
                    message::remember(&sp, key, &doc.id)?;
                }
                let mut outcomes = Vec::new();
                for (position, (name, part)) in parts.into_iter().enumerate() {
                    // A part already stored (before, or earlier in this message) is linked.
                    let (id, status) = match Index::find_by_mac(&sp, &part.record.content_mac)? {
                        Some(id) => (id, PartStatus::Duplicate),
                        None => (stored(part.record)?.id, PartStatus::Imported),
                    };
                    message::link(&sp, &doc.id, &id, &name, position)?;
                    outcomes.push(PartOutcome {
                        name,
                        status,
                        id: Some(id),
                        reason: None,
                    });
                }
                outcomes.extend(skipped);
                Ok(ImportOutcome {
                    status: ImportStatus::Imported,
                    document: doc,
                    parts: outcomes,
                })
            })();
            match one {
                Ok(outcome) => {
                    sp.commit()?;
                    placed.extend(placed_here);
                    shards.extend(shards_here);
                    results.push(Ok(outcome));
                }
                Err(e) => {
                    drop(sp); // rolls back this document (and its parts) only
                    for id in &placed_here {
                        let _ = store.remove(id);
                    }
                    receipt.failed(&tx, &e)?;
                    results.push(Err(e));
                }
            }
        }
        also(&tx)?;
        // Blobs durable before the rows that point to them.
        let durable = shards
            .iter()
            .try_for_each(|s| sync_dir(s))
            .and_then(|()| tx.commit());
        if let Err(e) = durable {
            // No row committed: the placed blobs are garbage (open would collect them too).
            for id in &placed {
                let _ = store.remove(id);
            }
            return Err(e);
        }
        Ok(results)
    }

    /// Journals import jobs for these sources (one transaction); returns their ids in order.
    pub fn journal_jobs(&mut self, sources: &[PathBuf], origin: &str) -> Result<Vec<i64>> {
        let tx = self.index.transaction()?;
        let ids = Index::add_jobs(&tx, sources, origin)?;
        tx.commit()?;
        Ok(ids)
    }

    /// Ends a journaled job that did not store a document (`duplicate` or `failed`).
    pub fn end_job(
        &mut self,
        id: i64,
        state: &str,
        doc_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        let tx = self.index.transaction()?;
        Index::finish_job(&tx, id, state, doc_id, reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Journaled jobs a crash or kill left unfinished: (id, source, origin).
    pub fn pending_jobs(&self) -> Result<Vec<(i64, PathBuf, String)>> {
        self.index.pending_jobs()
    }

    /// A file name as the watched folders' memory keeps it: a keyed MAC, so the index holds no
    /// readable name of a file kept in place (nor of a document disposed of since).
    fn watch_name(&self, rel: &str) -> String {
        format!(
            "mac:{}",
            hex::encode(MacKey::new(&self.keys.names).mac_parts(&[rel.as_bytes()]))
        )
    }

    /// What a watched folder remembers of a file it kept in place: (size, mtime in ns).
    pub fn watch_recall(&self, folder: &str, rel: &str) -> Result<Option<(u64, i128)>> {
        self.index.watch_recall(folder, &self.watch_name(rel))
    }

    /// Remembers a file a watched folder kept in place, so that it is not imported again.
    pub fn watch_remember(
        &mut self,
        folder: &str,
        rel: &str,
        size: u64,
        mtime_ns: i128,
    ) -> Result<()> {
        let name = self.watch_name(rel);
        let tx = self.index.transaction()?;
        Index::watch_remember(&tx, folder, &name, size, mtime_ns)?;
        tx.commit()?;
        Ok(())
    }

    /// Rewrites the watched folders' memory from plain names to keyed MACs (schema 11), once.
    pub(super) fn backfill_watch_names(&mut self) -> Result<()> {
        if !self.index.needs_backfill("watch_names")? {
            return Ok(());
        }
        let rows: Vec<(String, String)> = {
            let mut stmt = self
                .index
                .conn()
                .prepare("SELECT folder, rel FROM watch_seen WHERE rel NOT LIKE 'mac:%'")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let renamed: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|(folder, rel)| {
                let mac = self.watch_name(&rel);
                (folder, rel, mac)
            })
            .collect();
        let tx = self.index.transaction()?;
        for (folder, rel, mac) in &renamed {
            tx.execute(
                "UPDATE OR REPLACE watch_seen SET rel = ?3 WHERE folder = ?1 AND rel = ?2",
                rusqlite::params![folder, rel, mac],
            )?;
        }
        tx.execute(
            "DELETE FROM settings WHERE key = 'backfill.watch_names'",
            [],
        )?;
        tx.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::message_name;

    #[test]
    fn a_fetched_message_is_named_after_its_subject() {
        assert_eq!(
            message_name("Votre facture  n°2026-114"),
            "Votre facture n°2026-114.eml"
        );
        assert_eq!(message_name("Re: a/b\\c\r\nBcc: x"), "Re- a-b-c Bcc- x.eml");
        assert_eq!(message_name("  ..  "), "message.eml");
        assert_eq!(message_name(&"x".repeat(300)).len(), 104);
    }
}
