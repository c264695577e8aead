//! Reading documents: the list, one document, its plaintext (checked against its recorded size
//! and SHA-256, audited as a read), the text read from it (audited too), a saved copy, its invoice data with the owner's
//! corrections, and extraction run again.
//!
//! Promises: only authenticated bytes are returned or written, and a copy is written only once
//! the whole blob authenticated; every read of content is audited; a correction keeps the
//! extracted value and joins the document's history, with the search text and retention date
//! recomputed in the same transaction.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::Kind;
use crate::format::crypto::{self, unwrap_key};
use crate::format::secret::SecretKey;
use crate::format::stream::{BlobReader, blob_error};
use crate::records::fields;
use crate::records::worker::Extracted;
use crate::storage::audit;
use crate::storage::index::{Document, Index};
use crate::vault::{EXTRACTOR_VERSION, Vault, doc_key_aad, now};
use crate::{Error, Result};

/// A document with its invoice data.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct DocumentDetails {
    /// The stored document.
    pub document: Document,
    /// The extraction's JSON (see `coffre-extract`) with the owner's corrections applied.
    #[cfg_attr(feature = "typescript", ts(type = "Record<string, unknown>"))]
    pub fields: serde_json::Value,
    /// Every correction, oldest first.
    pub corrections: Vec<fields::Correction>,
    /// For an e-mail message: the documents stored from its parts, in order.
    pub parts: Vec<crate::vault::MessagePartRow>,
    /// The e-mail messages it was found in, first one first.
    pub messages: Vec<Document>,
    /// The document as an invoice: direction, copies, statuses, VAT per rate, missing mentions.
    pub invoice: crate::vault::invoices::InvoiceInfo,
}

fn parse_id(id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| Error::not_found(Kind::Document, id.to_owned()))
}

impl Vault {
    /// Every document.
    pub fn documents(&self) -> Result<Vec<Document>> {
        self.index.documents()
    }

    /// The document with this id or unique id prefix.
    pub fn document(&self, id_or_prefix: &str) -> Result<Document> {
        self.index.resolve(id_or_prefix)
    }

    /// The key of a document still in the index (`None` once it was disposed of).
    pub(crate) fn document_key(&self, id: &str) -> Result<Option<SecretKey>> {
        let uuid = parse_id(id)?;
        let Some(wrapped) = self.index.wrapped_key(id)? else {
            return Ok(None);
        };
        unwrap_key(&self.keys.doc_wrap, &wrapped, &doc_key_aad(&uuid))?
            .map(Some)
            .ok_or_else(|| Error::Tampered {
                id: id.to_owned(),
                reason: "its key does not unwrap".into(),
            })
    }

    fn blob_reader(&self, doc: &Document) -> Result<BlobReader<BufReader<File>>> {
        let uuid = parse_id(&doc.id)?;
        let key = self.document_key(&doc.id)?.ok_or_else(|| Error::Tampered {
            id: doc.id.clone(),
            reason: "its key is missing from the index".into(),
        })?;
        let file = self
            .store
            .open_blob(&doc.id)?
            .ok_or(Error::MissingBlob { id: doc.id.clone() })?;
        BlobReader::new(
            BufReader::with_capacity(256 * 1024, file),
            &key,
            uuid.as_bytes(),
        )
        .map_err(|e| self.read_error(doc, e))
    }

    fn read_error(&self, doc: &Document, e: io::Error) -> Error {
        match blob_error(&e) {
            Some(be) => Error::Tampered {
                id: doc.id.clone(),
                reason: be.to_string(),
            },
            None => Error::io(self.store.path_of(&doc.id))(e),
        }
    }

    /// Decrypts a whole document and checks it against its recorded size and SHA-256, writing the
    /// plaintext to `sink` as it goes (only authenticated chunks reach `sink`).
    pub(crate) fn decrypt_checked(&self, doc: &Document, sink: &mut dyn Write) -> Result<u64> {
        let mut reader = self.blob_reader(doc)?;
        let mut sha = crypto::sha256();
        let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(doc, e)),
            };
            sha.update(&buf[..n]);
            sink.write_all(&buf[..n])?;
            total += n as u64;
        }
        if total != doc.size || hex::encode(sha.finish()) != doc.sha256 {
            return Err(Error::Tampered {
                id: doc.id.clone(),
                reason: "its content does not match the recorded size and SHA-256".into(),
            });
        }
        Ok(total)
    }

    fn record_read(&mut self, doc: &Document, how: &str) -> Result<()> {
        self.record_access(doc, "document.read", how)
    }

    /// An access entry for `doc` (`document.read`, `document.print`): its name sealed under the
    /// document's key (so erasure erases it), and how it was accessed.
    fn record_access(&mut self, doc: &Document, action: &str, how: &str) -> Result<()> {
        let key = self
            .document_key(&doc.id)?
            .ok_or_else(|| Error::not_found(Kind::Document, doc.id.clone()))?;
        let name = crate::vault::shred::seal_name(&key, &parse_id(&doc.id)?, &doc.name)?;
        drop(key);
        self.audited(action, Some(&doc.id), |_| {
            Ok(((), json!({ "name": name, "via": how })))
        })
    }

    /// Records that documents were laid out for printing and the print dialog opened on them
    /// (`document.print`, `via: "app"`; whether they were then printed is the system's to say):
    /// an access entry, kept as long as reads are. Unknown ids fail before anything is recorded.
    pub fn record_print(&mut self, ids: &[String]) -> Result<Vec<Document>> {
        let docs = ids
            .iter()
            .map(|id| self.document(id))
            .collect::<Result<Vec<_>>>()?;
        for doc in &docs {
            self.record_access(doc, "document.print", "app")?;
        }
        Ok(docs)
    }

    /// The text read from a document (its text layer, or what OCR read in its images), kept in
    /// the index for search; `None` when nothing was read. Audited as a read (`via: "text"`).
    pub fn document_text(&mut self, id_or_prefix: &str) -> Result<Option<String>> {
        let doc = self.document(id_or_prefix)?;
        let text = Index::body(self.index.conn(), &doc.id)?;
        self.record_read(&doc, "text")?;
        Ok(text.filter(|t| !t.trim().is_empty()))
    }

    /// The whole plaintext of a document, verified, in zeroizing memory.
    pub fn read_document(&mut self, id_or_prefix: &str) -> Result<(Document, Zeroizing<Vec<u8>>)> {
        let doc = self.document(id_or_prefix)?;
        let mut out = Zeroizing::new(Vec::with_capacity(doc.size as usize));
        self.decrypt_checked(&doc, &mut *out)?;
        self.record_read(&doc, "memory")?;
        Ok((doc, out))
    }

    /// Writes a document's plaintext to `out`. The whole blob is authenticated first, so a
    /// damaged document writes nothing.
    pub fn write_document_to(
        &mut self,
        id_or_prefix: &str,
        out: &mut dyn Write,
    ) -> Result<Document> {
        let doc = self.document(id_or_prefix)?;
        self.decrypt_checked(&doc, &mut io::sink())?;
        self.record_read(&doc, "export")?;
        self.decrypt_checked(&doc, out)?;
        Ok(doc)
    }

    /// Saves a plaintext copy of a document at `dest` (the owner's choice, "save a copy"):
    /// refused inside the vault or the import folder and over an existing file; written as a
    /// `.part` file beside it, synced, then given its name. Audited as a read.
    pub fn save_copy(&mut self, id_or_prefix: &str, dest: &Path) -> Result<Document> {
        self.check_output(dest, crate::vault::outputs::Output::File)?;
        let (part, mut file) = crate::vault::outputs::PartFile::create(dest)?;
        let doc = self.write_document_to(id_or_prefix, &mut file)?;
        file.sync_all().map_err(Error::io(part.path()))?;
        drop(file);
        part.persist()?;
        Ok(doc)
    }

    /// A document with its invoice data (corrections applied) and the history of corrections.
    pub fn details(&self, id_or_prefix: &str) -> Result<DocumentDetails> {
        let document = self.document(id_or_prefix)?;
        let conn = self.index.conn();
        let extracted = Index::extraction(conn, &document.id)?.unwrap_or_else(|| json!({}));
        let corrections = Index::corrections(conn, &document.id)?;
        let effective = fields::effective(&extracted, &corrections);
        Ok(DocumentDetails {
            invoice: crate::vault::invoices::info(conn, &document.id, &effective)?,
            fields: effective,
            parts: self.message_parts(&document.id)?,
            messages: self.messages_of(&document.id)?,
            document,
            corrections,
        })
    }

    /// Corrects one field of a document's invoice data (`None` clears it). The extracted value is
    /// kept; the correction, with the value it replaces, joins the document's history and the
    /// audit trail (GDPR rectification).
    pub fn correct(&mut self, id_or_prefix: &str, field: &str, value: Option<&str>) -> Result<()> {
        let new_value = fields::validate(field, value)?;
        let details = self.details(id_or_prefix)?;
        let old_value = match field {
            "vat_breakdown" => Some(crate::records::vat::format(&crate::records::vat::lines(
                &details.fields,
            )))
            .filter(|v| !v.is_empty()),
            _ => fields::get(&details.fields, field).map(str::to_owned),
        };
        // Entering the issue date it already shows confirms it: retention then counts from it
        // (see `retention::Policy::retention_base`).
        let confirms_date =
            field == "issue_date" && !details.corrections.iter().any(|c| c.field == field);
        if old_value == new_value && !confirms_date {
            return Ok(());
        }
        let id = details.document.id;
        let correction = fields::Correction {
            field: field.to_owned(),
            old_value,
            new_value,
            at: now(),
        };
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        Index::add_correction(&tx, &id, &correction)?;
        let extracted = Index::extraction(&tx, &id)?.unwrap_or_else(|| json!({}));
        let corrections = Index::corrections(&tx, &id)?;
        let effective = fields::effective(&extracted, &corrections);
        Index::refresh_search(&tx, &id, &effective, None)?;
        crate::vault::invoices::refresh(&tx, &id, &effective)?;
        crate::vault::memory::learn(&tx, &id, &effective)?;
        crate::vault::lifecycle::compute_retention(&tx, &id)?;
        // The values stay in the corrections table, not in the trail (they may be personal data).
        audit::append(
            &tx,
            &audit_key,
            "document.correct",
            Some(&id),
            json!({ "field": field }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Runs extraction again on the given documents (all when `ids` is empty), for example after
    /// an upgrade. Corrections are kept and still win. Returns how many were re-extracted.
    pub fn reextract(&mut self, ids: &[String]) -> Result<usize> {
        let docs = if ids.is_empty() {
            self.documents()?
        } else {
            ids.iter()
                .map(|i| self.document(i))
                .collect::<Result<Vec<_>>>()?
        };
        let audit_key = self.audit_key();
        for doc in &docs {
            let mut plain = Zeroizing::new(Vec::with_capacity(doc.size as usize));
            self.decrypt_checked(doc, &mut *plain)?;
            let extraction: Extracted = self
                .sealer
                .extractor()
                .extract(&plain, &doc.name)
                .map_err(|_| Error::Interrupted)?;
            drop(plain);
            let mut data = extraction.data();
            let tx = self.index.transaction()?;
            crate::vault::memory::apply(&tx, &mut data, &extraction.text)?;
            Index::put_extraction(&tx, &doc.id, EXTRACTOR_VERSION, &data)?;
            let corrections = Index::corrections(&tx, &doc.id)?;
            let effective = fields::effective(&data, &corrections);
            Index::refresh_search(&tx, &doc.id, &effective, Some(&extraction.text))?;
            crate::vault::invoices::refresh(&tx, &doc.id, &effective)?;
            crate::vault::lifecycle::compute_retention(&tx, &doc.id)?;
            audit::append(
                &tx,
                &audit_key,
                "document.reextract",
                Some(&doc.id),
                json!({ "extractor": EXTRACTOR_VERSION }),
            )?;
            tx.commit()?;
        }
        Ok(docs.len())
    }
}
