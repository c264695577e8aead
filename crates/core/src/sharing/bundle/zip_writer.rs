//! The bundle's ZIP: the documents streamed one at a time, the index files, and the signed
//! manifest last, each entry plain or encrypted with AES-256 (WinZip AE-2).
//!
//! Promises: only authenticated plaintext reaches a document's entry, and a document whose size or
//! SHA-256 differs from the record fails the whole bundle; with a password every entry is
//! encrypted, in AE-2 (no CRC-32 of the plaintext in the clear), and documents are named
//! `documents/0001.ext` (a counter and a neutral extension); the manifest lists every other
//! entry with its size and SHA-256 and is signed by the vault's key; the file is synced before
//! this returns. It writes only the temporary file it is given, created exclusively.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::json;

use super::ecritures::ecritures_csv;
use super::index_files::{ReadmeInfo, Row, index_csv, readme_html};
use super::manifest::{FORMAT, Manifest, ManifestFile, ManifestPeriod, sha256_hex};
use super::names::{document_stem, extension_of, neutral_extension};
use super::select::Candidate;
use super::{BundleProgress, BundleRequest, Preset, field};
use crate::records::direction::Direction;
use crate::support::names::{portable_name, unique_name};
use crate::vault::Vault;
use crate::{Error, Result};

/// What a bundle says about itself beyond its documents: in the index files and the manifest.
pub(super) struct About<'a> {
    pub(super) bundle_id: &'a str,
    pub(super) vault_id: &'a str,
    pub(super) recipient: &'a str,
    pub(super) purpose: Option<&'a str>,
    pub(super) from: &'a str,
    pub(super) to: &'a str,
    pub(super) consent_id: i64,
    pub(super) created_at: &'a str,
    /// The signing public key (32 bytes).
    pub(super) public_key: &'a [u8],
    /// Its fingerprint, as [`super::key_fingerprint`] writes it.
    pub(super) fingerprint: &'a str,
    pub(super) restricted_skipped: usize,
}

fn zip_err(e: zip::result::ZipError) -> Error {
    Error::from(std::io::Error::other(e))
}

impl Vault {
    /// Writes the ZIP of `chosen` into `tmp` (created exclusively, synced), reporting progress
    /// after each document; returns its length, the SHA-256 (hex) of `manifest.json` and the
    /// rows of the index. On error `tmp` may remain: the caller removes it.
    pub(super) fn write_bundle_zip(
        &self,
        tmp: &Path,
        req: &BundleRequest,
        about: &About<'_>,
        chosen: &[Candidate],
        key: &ring::signature::Ed25519KeyPair,
        progress: &mut dyn FnMut(BundleProgress),
    ) -> Result<(u64, String, Vec<Row>)> {
        let total = chosen.len();
        let file = crate::vault::outputs::create_exclusive(tmp)?;
        // A streaming writer: the `zip` crate turns an AES entry of 20 bytes or more into
        // AE-1 (CRC-32 of the plaintext in the clear) when it can seek back to its header;
        // streaming, it leaves AE-2 with the CRC zeroed (a data descriptor after each entry).
        let mut zip = zip::ZipWriter::new_stream(BufWriter::new(file));
        let base = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let options = match &req.password {
            Some(p) => base.with_aes_encryption(zip::AesMode::Aes256, p.as_str()),
            None => base,
        };
        // Documents are stored as they are: PDFs and images are compressed already, and
        // deflating hundreds of megabytes would triple the time for a few percent.
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let doc_options = match &req.password {
            Some(p) => stored.with_aes_encryption(zip::AesMode::Aes256, p.as_str()),
            None => stored,
        };
        let mut files: Vec<ManifestFile> = Vec::new();
        let mut rows: Vec<Row> = Vec::new();
        let mut used = HashSet::new();
        let mut bytes = 0u64;
        // With a password, names anyone can list say nothing: a counter and the extension.
        let width = total.to_string().len().max(4);
        progress(BundleProgress {
            done: 0,
            total,
            bytes: 0,
            file: None,
        });
        let copies = super::select::copies_within(chosen);
        for (i, (c, copy_of)) in chosen.iter().zip(copies).enumerate() {
            let name = unique_name(
                portable_name(&document_stem(&c.date, &c.fields), &extension_of(&c.doc)),
                &mut used,
            );
            // Purchases and sales in folders of their own; with a password, names stay neutral
            // (a folder would tell anyone how many are purchases and how many sales).
            let folder = match c.invoice.direction {
                Direction::Purchase => "purchases/",
                Direction::Sale => "sales/",
                Direction::Unknown => "",
            };
            let path = if req.password.is_some() {
                format!("documents/{:0width$}.{}", i + 1, neutral_extension(&c.doc))
            } else {
                format!("documents/{folder}{name}")
            };
            zip.start_file(
                path.as_str(),
                doc_options.large_file(c.doc.size >= u64::from(u32::MAX)),
            )
            .map_err(zip_err)?;
            // One pass: only authenticated chunks reach the entry, and the recorded size and
            // SHA-256 are checked at the end; a failure aborts the bundle (its temporary
            // file is deleted). The `bundle.create` audit entry names every document.
            let size = self.decrypt_checked(&c.doc, &mut zip)?;
            let sha = c.doc.sha256.clone();
            bytes += size;
            files.push(ManifestFile {
                path: path.clone(),
                size,
                sha256: sha.clone(),
            });
            rows.push(Row {
                document_id: c.doc.id.clone(),
                date: c.date.clone(),
                number: field(&c.fields, "number"),
                seller: field(&c.fields, "seller.name"),
                seller_vat_id: field(&c.fields, "seller.vat_id"),
                buyer: field(&c.fields, "buyer.name"),
                total_without_vat: field(&c.fields, "total_without_vat"),
                total_vat: field(&c.fields, "total_vat"),
                total_with_vat: field(&c.fields, "total_with_vat"),
                currency: field(&c.fields, "currency"),
                category: c.category.clone(),
                file: path.clone(),
                name,
                size,
                sha256: sha,
                vat_breakdown: c.fields.get("vat_breakdown").cloned().unwrap_or(json!([])),
                direction: c.invoice.direction,
                status: c.invoice.status.clone(),
                due_date: field(&c.fields, "due_date"),
                copy_of,
                copy_conflict: !c.invoice.conflicts.is_empty(),
                credit_note: field(&c.fields, "type_code")
                    .is_some_and(|t| crate::records::fields::is_credit_note(&t)),
                fields: c.fields.clone(),
            });
            progress(BundleProgress {
                done: i + 1,
                total,
                bytes,
                file: Some(path),
            });
        }
        let index_json = serde_json::to_vec_pretty(&json!({
            "format": FORMAT,
            "bundle_id": about.bundle_id,
            "recipient": about.recipient,
            "purpose": about.purpose,
            "period": { "from": about.from, "to": about.to },
            "documents": rows,
        }))
        .map_err(|e| Error::from(std::io::Error::other(e)))?;
        let readme = readme_html(
            &ReadmeInfo {
                recipient: about.recipient,
                purpose: about.purpose,
                from: about.from,
                to: about.to,
                bundle_id: about.bundle_id,
                created_at: about.created_at,
                fingerprint: about.fingerprint,
                restricted_skipped: about.restricted_skipped,
                encrypted: req.password.is_some(),
                ecritures: req.preset == Preset::Ecritures,
            },
            &rows,
        );
        let mut extras: Vec<(&str, Vec<u8>)> =
            vec![("index.csv", index_csv(&rows, req.decimal_comma, None))];
        for (name, d) in [
            ("purchases.csv", Direction::Purchase),
            ("sales.csv", Direction::Sale),
        ] {
            // Only when there are some (with a password, the names of entries are in the clear:
            // that the bundle has purchases, or sales, is all they tell).
            if rows.iter().any(|r| r.direction == d) {
                extras.push((name, index_csv(&rows, req.decimal_comma, Some(d))));
            }
        }
        if req.preset == Preset::Ecritures {
            extras.push(("ecritures.csv", ecritures_csv(&rows)));
        }
        extras.push(("index.json", index_json));
        extras.push(("README.html", readme));
        for (path, data) in extras {
            zip.start_file(path, options).map_err(zip_err)?;
            zip.write_all(&data)?;
            files.push(ManifestFile {
                path: path.to_owned(),
                size: data.len() as u64,
                sha256: sha256_hex(&data),
            });
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            bundle_id: about.bundle_id.to_owned(),
            vault_id: about.vault_id.to_owned(),
            period: ManifestPeriod {
                from: about.from.to_owned(),
                to: about.to.to_owned(),
            },
            recipient: about.recipient.to_owned(),
            purpose: about.purpose.map(str::to_owned),
            consent_id: about.consent_id,
            created_at: about.created_at.to_owned(),
            public_key: hex::encode(about.public_key),
            files,
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::from(std::io::Error::other(e)))?;
        let signature = key.sign(&manifest_bytes);
        zip.start_file("manifest.json", options).map_err(zip_err)?;
        zip.write_all(&manifest_bytes)?;
        zip.start_file("manifest.sig", options).map_err(zip_err)?;
        zip.write_all(signature.as_ref())?;
        let file = zip.finish().map_err(zip_err)?.into_inner();
        let file = file.into_inner().map_err(|e| Error::from(e.into_error()))?;
        file.sync_all().map_err(Error::io(tmp))?;
        let len = file.metadata()?.len();
        Ok((len, sha256_hex(&manifest_bytes), rows))
    }
}
