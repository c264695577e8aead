//! Integrity certificates: a signed PDF that shows an auditor that archived documents are the
//! ones received, unaltered, kept since a given date.
//!
//! A certificate states, per document, what the vault knows of it (name, type, size, SHA-256
//! of the original bytes, import date and source, key fields, retention, holds, every audit
//! entry that concerns it) and the result of checking it at that moment. Its text ([`text`])
//! is signed with the vault's Ed25519 key and laid out as PDF pages ([`pdf`]), the text,
//! signature and public key attached; [`certificate_verify`] checks one without a vault.
//!
//! Promises: a certificate is made only when every document's bytes decrypt, authenticate and
//! match their recorded SHA-256 now, and the audit chain holds: otherwise the fault is the
//! answer ([`Error::Tampered`], [`Error::MissingBlob`], [`Error::AuditBroken`]) and nothing is
//! written. Each certified document gets a `document.certify` audit entry before the file gets
//! its name. The file is written like every output ([`Vault::check_output`]: never inside the
//! vault or the import folder, never over a file), through a `.part` file.

mod pdf;
mod text;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::signature::KeyPair;
use serde::Serialize;
use serde_json::json;

use crate::records::fields;
use crate::sharing::bundle::key_fingerprint;
use crate::storage::audit::now_rfc3339;
use crate::vault::Vault;
use crate::vault::outputs::{Output, PartFile};
use crate::{Error, Result, Why};
use pdf::public_key_pem;
pub use text::{DocumentFacts, FORMAT, Facts, Lang};
pub use verify::{
    CertificateProblem, CertificateReport, MAX_CERTIFICATE_BYTES, certificate_verify,
};

/// A document a certificate names.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct CertifiedDocument {
    /// Its id.
    pub id: String,
    /// Its original file name.
    pub name: String,
    /// SHA-256 of its original bytes, hex.
    pub sha256: String,
}

/// What [`Vault::certify_to`] made.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct CertifySummary {
    /// The certificate's id.
    pub certificate_id: String,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// The file written.
    #[cfg_attr(feature = "typescript", ts(type = "string"))]
    pub out: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The vault's signing-key fingerprint (hex SHA-256 of the public key, groups of four).
    pub key_fingerprint: String,
    /// The documents certified, in order.
    pub documents: Vec<CertifiedDocument>,
}

/// How a document came in, from its audit entries: the `source` its import recorded, a file
/// sealed while the vault was locked (`inbox`), or a part of a stored e-mail (`attachment`).
fn source_of(audit: &[crate::AuditEntry], parent: Option<&str>) -> Option<String> {
    let recorded = audit
        .iter()
        .find(|e| e.action == "document.import")
        .and_then(|e| e.detail.get("source"))
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    recorded
        .or_else(|| {
            audit
                .iter()
                .any(|e| e.action == "intake.inbox")
                .then(|| "inbox".to_owned())
        })
        .or_else(|| parent.map(|_| "attachment".to_owned()))
}

impl Vault {
    /// Checks the documents `ids` and the audit chain, and makes their certificate in `lang`:
    /// what it states, and the PDF. Writes nothing (see [`Vault::certify_to`]).
    pub fn certificate(&mut self, ids: &[String], lang: Lang) -> Result<(Facts, Vec<u8>)> {
        if ids.is_empty() {
            return Err(Error::invalid("ids", Why::Required));
        }
        let mut docs = Vec::new();
        for id in ids {
            let doc = self.document(id)?;
            if !docs.iter().any(|d: &crate::Document| d.id == doc.id) {
                docs.push(doc);
            }
        }
        // The bytes as they are now, against the SHA-256 recorded at import.
        for doc in &docs {
            self.decrypt_checked(doc, &mut std::io::sink())?;
        }
        let chain = self.verify_audit()?;
        if let Some(first) = chain.faults.first() {
            return Err(Error::AuditBroken {
                faults: chain.faults.len(),
                first: first.clone(),
            });
        }
        let mut documents = Vec::new();
        for doc in docs {
            let details = self.details(&doc.id)?;
            let retention = self.retention_of(&doc.id)?;
            let audit = self.audit_entries(Some(&doc.id))?;
            let field = |path: &str| fields::get(&details.fields, path).map(str::to_owned);
            documents.push(DocumentFacts {
                source: source_of(&audit, doc.parent.as_deref()),
                number: field("number"),
                issue_date: field("issue_date"),
                seller: field("seller.name"),
                buyer: field("buyer.name"),
                total_without_vat: field("total_without_vat"),
                total_vat: field("total_vat"),
                total_with_vat: field("total_with_vat"),
                currency: field("currency"),
                retain_until: retention.retain_until,
                hold_reason: retention.hold_reason,
                restricted_reason: retention.restricted_reason,
                audit,
                id: doc.id,
                name: doc.name,
                media_type: doc.media_type,
                size: doc.size,
                sha256: doc.sha256,
                imported_at: doc.imported_at,
            });
        }
        let key = self.signing_key()?;
        let facts = Facts {
            certificate_id: uuid::Uuid::new_v4().to_string(),
            created_at: now_rfc3339(),
            vault_id: self.id().to_string(),
            key_fingerprint: key_fingerprint(key.public_key().as_ref()),
            audit_entries: chain.entries,
            documents,
        };
        let signed = text::write(&facts, lang);
        let signature = key.sign(signed.as_bytes());
        let pem = public_key_pem(key.public_key().as_ref());
        let pdf = pdf::render(&signed, signature.as_ref(), &pem)?;
        Ok((facts, pdf))
    }

    /// [`Vault::certificate`], written to `dest` (refused inside the vault or the import
    /// folder, and over an existing file), with a `document.certify` audit entry per document.
    pub fn certify_to(
        &mut self,
        ids: &[String],
        lang: Lang,
        dest: &Path,
    ) -> Result<CertifySummary> {
        self.check_output(dest, Output::File)?;
        let (facts, pdf) = self.certificate(ids, lang)?;
        // Written and synced under a temporary name, audited, then given its name: a
        // certificate that exists is always in the trail (a failure before the name is given
        // removes the temporary file).
        let (part, mut file) = PartFile::create(dest)?;
        file.write_all(&pdf).map_err(Error::io(part.path()))?;
        file.sync_all().map_err(Error::io(part.path()))?;
        drop(file);
        for d in &facts.documents {
            let detail = json!({ "certificate": facts.certificate_id, "lang": lang.code() });
            self.audited("document.certify", Some(&d.id), |_| Ok(((), detail)))?;
        }
        part.persist()?;
        Ok(CertifySummary {
            certificate_id: facts.certificate_id,
            created_at: facts.created_at,
            out: dest.to_path_buf(),
            bytes: pdf.len() as u64,
            key_fingerprint: facts.key_fingerprint,
            documents: facts
                .documents
                .into_iter()
                .map(|d| CertifiedDocument {
                    id: d.id,
                    name: d.name,
                    sha256: d.sha256,
                })
                .collect(),
        })
    }
}
