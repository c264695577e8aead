//! The full plaintext export: everything the vault holds, decrypted, in open formats, for leaving
//! Coffre (GDPR art. 20, data portability) or keeping a readable archive.
//!
//! ```text
//! OUT/
//!   README.txt          what each file is
//!   documents/ID-NAME   every document, decrypted, byte for byte as imported
//!   documents.json      every document: metadata, file name in documents/, retention
//!   documents.csv       the same, one row per document (UTF-8 with BOM, `;`, RFC 4180 quoting)
//!   fields/ID.json      each document's invoice data (corrections applied) and its corrections
//!   consents.json       the consent ledger: consents as they stand and the raw history
//!   requests.json       the GDPR request register, each request with its events
//!   tombstones.json     the records of disposed documents
//!   audit.json          every entry of the audit trail
//! ```
//!
//! Promises: `OUT` must be absent or an empty folder; the export is written in a sibling
//! `.NAME.part` folder and renamed into place only when complete (an interrupted export never
//! leaves a half folder under the final name; the next export removes the leftover); every
//! document is authenticated before its plaintext is written; the export is recorded in the audit
//! trail (`vault.export`, with counts), and each document's decryption as a read. The export is
//! plaintext by nature: it is written where the owner asks, nowhere else. `documents.csv` is
//! written by [`csv`], the one CSV writer of the core (formula cells defused).

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::error::Why;
use crate::support::csv::{Cell, Table};
use crate::support::files::sync_dir;
use crate::vault::Vault;
use crate::{Error, Result, records::fields, storage::audit};

/// What [`Vault::export_all`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    /// The export folder.
    pub out: PathBuf,
    /// Documents written under `documents/`.
    pub documents: u64,
    /// Plaintext bytes of those documents.
    pub bytes: u64,
    /// Consents in `consents.json`.
    pub consents: u64,
    /// Requests in `requests.json`.
    pub requests: u64,
    /// Tombstones in `tombstones.json`.
    pub tombstones: u64,
    /// Audit entries in `audit.json`.
    pub audit_entries: u64,
}

/// Columns of `documents.csv`, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "name",
    "size",
    "media_type",
    "sha256",
    "imported_at",
    "category",
    "retain_until",
    "issue_date",
    "number",
    "seller",
    "total_with_vat",
    "currency",
    "needs_review",
    "restricted",
    "on_hold",
];

const README: &str = "\
Coffre export
=============

This folder holds everything a Coffre vault contained, decrypted, in open formats.
Written by coffre-core on {AT}. Vault id: {VAULT}.

documents/ID-NAME   every document, byte for byte as it was imported. ID is the document's
                    id in Coffre; NAME its original file name (characters that some systems
                    refuse replaced by _).
documents.json      one object per document: its metadata (id, name, size, media type,
                    SHA-256 of the content, import time), its file under documents/, its
                    invoice data (corrections applied) and its retention (category, date
                    until which it must be kept, legal hold, restriction).
documents.csv       the same documents, one row each, for spreadsheets: UTF-8 with a BOM,
                    separator ';', RFC 4180 quoting. Cells that a spreadsheet would run as
                    a formula (starting with = + - @, a tab or a carriage return) are
                    prefixed with ' (plain numbers such as -12.50 stay numbers); the JSON
                    files hold the exact values.
fields/ID.json      each document's invoice data as extracted, with the owner's corrections
                    applied, and the list of those corrections (old and new value, date).
consents.json       the consent ledger: each consent as it stands (\"consents\") and every
                    grant and withdrawal as recorded (\"history\").
requests.json       the register of GDPR requests (access, erasure, ...), each with its events.
tombstones.json     records of documents disposed of at the end of their retention (no content).
audit.json          every entry of the vault's audit trail, oldest first. The export itself is
                    recorded after this file was written (action vault.export).

Dates and times are UTC (RFC 3339). Amounts are exact decimals with a dot.
Treat this folder as confidential: nothing in it is encrypted.
";

impl Vault {
    /// Exports everything, decrypted, into `out` (absent or an empty folder): see the module
    /// documentation for the layout.
    pub fn export_all(&mut self, out: &Path) -> Result<ExportSummary> {
        // Never inside the vault or the import folder, never into a folder that holds files.
        self.check_output(out, crate::vault::outputs::Output::ExportFolder)?;
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = out
            .file_name()
            .ok_or_else(|| {
                Error::invalid(
                    "export",
                    Why::NotAFileName {
                        value: out.display().to_string(),
                    },
                )
            })?
            .to_string_lossy()
            .into_owned();
        let part = parent.join(format!(".{name}.part"));
        match fs::symlink_metadata(&part) {
            // What an interrupted export left behind.
            Ok(m) if m.is_dir() => fs::remove_dir_all(&part).map_err(Error::io(&part))?,
            // Anything else there (a link planted to redirect the export) is removed as itself.
            Ok(_) => fs::remove_file(&part).map_err(Error::io(&part))?,
            Err(_) => {}
        }
        fs::create_dir_all(parent).map_err(Error::io(parent))?;
        // Created, not reused: fails if something appeared there meanwhile.
        fs::create_dir(&part).map_err(Error::io(&part))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&part, fs::Permissions::from_mode(0o700))
                .map_err(Error::io(&part))?;
        }
        let mut summary = match self.write_export(&part) {
            Ok(s) => s,
            Err(e) => {
                let _ = fs::remove_dir_all(&part);
                return Err(e);
            }
        };
        if out.exists() {
            // Empty (checked above): a folder cannot be renamed over one everywhere.
            fs::remove_dir(out).map_err(Error::io(out))?;
        }
        fs::rename(&part, out).map_err(Error::io(out))?;
        sync_dir(parent)?;
        summary.out = out.to_path_buf();
        let detail = json!({
            "documents": summary.documents,
            "bytes": summary.bytes,
            "consents": summary.consents,
            "requests": summary.requests,
            "tombstones": summary.tombstones,
            "audit_entries": summary.audit_entries,
            "out": out.display().to_string(),
        });
        self.audited("vault.export", None, |_| Ok(((), detail)))?;
        Ok(summary)
    }

    fn write_export(&mut self, dir: &Path) -> Result<ExportSummary> {
        let docs_dir = dir.join("documents");
        let fields_dir = dir.join("fields");
        fs::create_dir(&docs_dir).map_err(Error::io(&docs_dir))?;
        fs::create_dir(&fields_dir).map_err(Error::io(&fields_dir))?;

        let mut csv = Table::new(CSV_COLUMNS);
        let mut listed = Vec::new();
        let mut bytes = 0u64;
        let documents = self.documents()?;
        for doc in &documents {
            let file_name = export_file_name(&doc.id, &doc.name);
            let path = docs_dir.join(&file_name);
            {
                let file = File::create(&path).map_err(Error::io(&path))?;
                let mut w = BufWriter::with_capacity(256 * 1024, file);
                self.write_document_to(&doc.id, &mut w)?;
                let file = w
                    .into_inner()
                    .map_err(|e| Error::io(&path)(e.into_error()))?;
                file.sync_all().map_err(Error::io(&path))?;
            }
            bytes += doc.size;
            let details = self.details(&doc.id)?;
            let retention = self.retention_of(&doc.id)?;
            write_json(
                &fields_dir.join(format!("{}.json", doc.id)),
                &json!({
                    "id": doc.id,
                    "fields": details.fields,
                    "corrections": details.corrections,
                }),
            )?;
            let field = |p: &str| fields::get(&details.fields, p).unwrap_or("").to_owned();
            let needs_review = details
                .fields
                .get("needs_review")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let size = doc.size.to_string();
            let (issue_date, number, seller, total, currency) = (
                field("issue_date"),
                field("number"),
                field("seller.name"),
                field("total_with_vat"),
                field("currency"),
            );
            let flag = |b: bool| if b { "true" } else { "false" };
            csv.row([
                Cell::Text(&doc.id),
                Cell::Text(&doc.name),
                Cell::Number(&size),
                Cell::Text(&doc.media_type),
                Cell::Text(&doc.sha256),
                Cell::Text(&doc.imported_at),
                Cell::Text(&retention.category),
                Cell::Text(&retention.retain_until),
                Cell::Text(&issue_date),
                Cell::Text(&number),
                Cell::Text(&seller),
                Cell::Number(&total),
                Cell::Text(&currency),
                Cell::Text(flag(needs_review)),
                Cell::Text(flag(retention.restricted_reason.is_some())),
                Cell::Text(flag(retention.hold_reason.is_some())),
            ]);
            listed.push(json!({
                "file": format!("documents/{file_name}"),
                "document": doc,
                "fields": details.fields,
                "needs_review": needs_review,
                "retention": retention,
            }));
        }
        crate::support::files::write_synced(&dir.join("documents.csv"), &csv.into_bytes())?;
        write_json(&dir.join("documents.json"), &listed)?;

        let consents = self.consents()?;
        let history = self.consent_history()?;
        write_json(
            &dir.join("consents.json"),
            &json!({ "consents": consents, "history": history }),
        )?;
        let requests = self.requests()?;
        let mut register = Vec::with_capacity(requests.len());
        for r in &requests {
            let (_, events) = self.request(r.id)?;
            register.push(json!({ "request": r, "events": events }));
        }
        write_json(&dir.join("requests.json"), &register)?;
        let tombstones = self.tombstones()?;
        write_json(&dir.join("tombstones.json"), &tombstones)?;
        let entries = self.audit_entries(None)?;
        write_json(&dir.join("audit.json"), &entries)?;
        let readme = README
            .replace("{AT}", &audit::now_rfc3339())
            .replace("{VAULT}", &self.id().to_string());
        crate::support::files::write_synced(&dir.join("README.txt"), readme.as_bytes())?;
        sync_dir(&docs_dir)?;
        sync_dir(&fields_dir)?;
        sync_dir(dir)?;
        Ok(ExportSummary {
            out: dir.to_path_buf(),
            documents: documents.len() as u64,
            bytes,
            consents: consents.len() as u64,
            requests: requests.len() as u64,
            tombstones: tombstones.len() as u64,
            audit_entries: entries.len() as u64,
        })
    }
}

/// Refuses a target that exists and is not an empty folder.
pub(crate) fn check_target(out: &Path) -> Result<()> {
    match fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(out)(e)),
        Ok(m) if m.is_dir() => {
            let mut entries = fs::read_dir(out).map_err(Error::io(out))?;
            if entries.next().is_some() {
                Err(Error::AlreadyExists(out.to_path_buf()))
            } else {
                Ok(())
            }
        }
        Ok(_) => Err(Error::AlreadyExists(out.to_path_buf())),
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    crate::support::files::write_synced(path, text.as_bytes())
}

/// `ID-NAME`, with NAME made portable by the one file-name rule
/// ([`crate::support::names::portable_file_name`]); the id prefix makes names unique.
pub fn export_file_name(id: &str, name: &str) -> String {
    format!("{id}-{}", crate::support::names::portable_file_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_everywhere() {
        let id = "0f6c3a52-0000-4000-8000-000000000000";
        assert_eq!(
            export_file_name(id, "facture.pdf"),
            format!("{id}-facture.pdf")
        );
        assert_eq!(
            export_file_name(id, "../a\\b:c*?\"<>|.pdf"),
            format!("{id}-a-b-c.pdf")
        );
        assert_eq!(export_file_name(id, " . "), format!("{id}-document"));
        assert_eq!(export_file_name(id, "CON.txt"), format!("{id}--CON.txt"));
        assert_eq!(export_file_name(id, "a\u{0}b\nc"), format!("{id}-a-b-c"));
        let long = format!("{}.pdf", "é".repeat(200));
        let got = export_file_name(id, &long);
        assert!(got.len() <= 37 + 240, "{}", got.len());
        assert!(got.ends_with("é.pdf"));
    }
}
