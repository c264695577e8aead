//! Data subjects (GDPR): finding every document that mentions a person, and exporting them.
//!
//! Promises: a subject search looks at every document, restricted ones included, through the
//! invoice fields and the full text; an export is a ZIP of those documents and a JSON of their
//! data, written atomically (an exclusive `.part` file beside the target, then given its name,
//! never over an existing file; never inside the vault or the import folder) and recorded in
//! the audit trail. The export is plaintext by nature: it is written where the owner asks,
//! nowhere else.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::json;

use crate::error::Why;
use crate::vault::Vault;
use crate::vault::search::{SearchHit, SearchQuery};
use crate::{Error, Result, storage::audit};

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    /// Documents in the ZIP.
    pub documents: usize,
    /// Bytes of the ZIP.
    pub bytes: u64,
}

/// What an erasure request did to one document.
#[derive(Debug, Clone, Serialize)]
pub struct Erasure {
    /// Document id.
    pub id: String,
    /// Original file name.
    pub name: String,
    /// `disposed` (no legal duty kept it) or `restricted` (a legal duty keeps it: GDPR art.
    /// 17(3)(b)).
    pub action: &'static str,
    /// The recorded reason.
    pub reason: String,
}

impl Vault {
    /// Answers an erasure request: every document mentioning `subject`, and every e-mail message
    /// holding one of them, is disposed of when no legal duty keeps it any more (its retention
    /// ended and it is not on hold); the others are restricted, with the legal ground and the date until which they are kept (GDPR art.
    /// 17(3)(b)). `request` is the register's id, recorded in each reason.
    pub fn erase_subject(&mut self, subject: &str, request: Option<i64>) -> Result<Vec<Erasure>> {
        let label = request.map_or_else(
            || "erasure request".to_owned(),
            |r| format!("erasure request #{r}"),
        );
        let today = crate::records::retention::format_date(crate::records::retention::today());
        let mut out = Vec::new();
        // An e-mail message holds the bytes of its parts: it goes with any part found.
        let mut targets: Vec<String> = Vec::new();
        for hit in self.subject_search(subject)? {
            let messages = self.messages_of(&hit.document.id)?;
            for id in std::iter::once(hit.document.id).chain(messages.into_iter().map(|m| m.id)) {
                if !targets.contains(&id) {
                    targets.push(id);
                }
            }
        }
        for id in targets {
            let r = self.retention_of(&id)?;
            if r.hold_reason.is_none() && r.retain_until < today {
                let done = self.dispose(std::slice::from_ref(&r.id), false, None, None)?;
                if let Some(d) = done.into_iter().next().filter(|d| d.disposed) {
                    out.push(Erasure {
                        id: d.id,
                        name: d.name,
                        action: "disposed",
                        reason: format!("{label}: {}", d.reason),
                    });
                    continue;
                }
            }
            let ground = match &r.hold_reason {
                Some(h) => format!("on legal hold ({h})"),
                None => format!(
                    "kept under a legal obligation until {} ({})",
                    r.retain_until, r.category
                ),
            };
            let reason = format!("{label}: {ground}; GDPR art. 17(3)(b), restricted meanwhile");
            self.restrict(&r.id, &reason)?;
            out.push(Erasure {
                id: r.id,
                name: r.name,
                action: "restricted",
                reason,
            });
        }
        Ok(out)
    }

    /// Every document mentioning `subject` (a name, an e-mail, a VAT id, a SIREN), restricted
    /// documents included, best match first.
    pub fn subject_search(&self, subject: &str) -> Result<Vec<SearchHit>> {
        if crate::vault::search::match_expression(subject).is_none() {
            return Err(Error::invalid("subject", Why::Required));
        }
        self.search(&SearchQuery {
            text: subject.to_owned(),
            include_restricted: true,
            limit: Some(100_000),
            ..SearchQuery::default()
        })
    }

    /// Writes a ZIP with every document mentioning `subject` (under `documents/`) and
    /// `subject.json` (their data: fields, corrections, retention), for a GDPR access or
    /// portability request.
    pub fn subject_export(&mut self, subject: &str, out: &Path) -> Result<SubjectExport> {
        let hits = self.subject_search(subject)?;
        self.check_output(out, crate::vault::outputs::Output::File)?;
        let (part, file) = crate::vault::outputs::PartFile::create(out)?;
        let tmp = part.path().to_path_buf();
        let result = (|| -> Result<u64> {
            let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            let mut data = Vec::new();
            let mut used = std::collections::HashSet::new();
            for (i, hit) in hits.iter().enumerate() {
                let (doc, bytes) = self.read_document(&hit.document.id)?;
                let mut name = format!(
                    "documents/{}",
                    crate::support::names::portable_file_name(&doc.name)
                );
                if !used.insert(name.clone()) {
                    name = format!(
                        "documents/{}-{}",
                        i + 1,
                        crate::support::names::portable_file_name(&doc.name)
                    );
                    used.insert(name.clone());
                }
                zip.start_file(name.as_str(), options).map_err(zip_err)?;
                zip.write_all(&bytes)?;
                let details = self.details(&doc.id)?;
                data.push(json!({
                    "file": name,
                    "document": details.document,
                    "fields": details.fields,
                    "corrections": details.corrections,
                    "retention": self.retention_of(&doc.id)?,
                }));
            }
            zip.start_file("subject.json", options).map_err(zip_err)?;
            let summary = json!({ "subject": subject, "exported_at": audit::now_rfc3339(),
                                  "documents": data });
            zip.write_all(
                serde_json::to_string_pretty(&summary)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
            let file = zip.finish().map_err(zip_err)?;
            let file = file.into_inner().map_err(|e| Error::from(e.into_error()))?;
            file.sync_all().map_err(Error::io(&tmp))?;
            Ok(file.metadata()?.len())
        })();
        let bytes = result?;
        part.persist()?;
        self.audited("subject.export", None, |_| {
            Ok((
                (),
                json!({ "documents": hits.len(), "out": out.display().to_string() }),
            ))
        })?;
        Ok(SubjectExport {
            documents: hits.len(),
            bytes,
        })
    }
}

fn zip_err(e: zip::result::ZipError) -> Error {
    Error::from(std::io::Error::other(e))
}
