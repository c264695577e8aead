//! Accountant bundles: the documents of a period, with a table linking each one to its figures,
//! in a signed ZIP that opens without Coffre.
//!
//! A bundle holds `documents/` (each document under a readable, portable name), `index.csv`
//! (written by [`crate::support::csv`]: UTF-8 with BOM, `;`-separated, RFC 4180 quoting, formula
//! cells defused), `index.json` (the same rows plus the VAT breakdown), `README.html` (a
//! self-contained overview with totals per month and per VAT rate), `manifest.json` (every
//! file's path, size and SHA-256) and `manifest.sig` (the raw 64-byte Ed25519 signature of the
//! exact bytes of `manifest.json` by the vault's signing key, whose public key is in the
//! manifest).
//!
//! With a password, every entry is encrypted with AES-256 in the WinZip AE-2 format (no CRC-32
//! of the plaintext in the clear: the writer streams, so the `zip` crate never rewrites the
//! entry as AE-1), and the documents are named `documents/0001.pdf`, `documents/0002.xml`, ...
//! (the extension only): ZIP encryption covers contents, not the list of names, so names that
//! anyone can list carry nothing; the readable name, seller, number and amounts of each file are
//! only in the encrypted `index.csv`, `index.json` and `README.html`. The password must be at
//! least [`MIN_PASSWORD_CHARS`] characters and score at least [`MIN_PASSWORD_SCORE`] with zxcvbn
//! ([`check_password`]): the ZIP format derives the key with PBKDF2-SHA1 at 1,000 rounds, which
//! slows guessing little. [`generate_password`] makes one to show once.
//!
//! Promises: nothing is written without an active consent covering the recipient, the purpose
//! (when given), the period and the categories (when given); restricted documents are never
//! included (they are counted); documents are streamed one at a time into the ZIP; the output
//! appears atomically (a `.NAME.part` file beside it, synced, then renamed) and nothing is left
//! behind on error; each bundle is recorded in the `bundles` ledger and the audit trail.
//! [`bundle_verify`] needs no vault and never trusts the archive: entry count, sizes and paths
//! are bounded and checked; duplicate names and entries sharing bytes (a "zip bomb by overlap")
//! are refused before anything is inflated; every entry is read through a limit (its size in the
//! manifest, never the ZIP header's) and all of them together within [`MAX_TOTAL_BYTES`]. It
//! never trusts the key the bundle names: the signer must be the one the caller expects (the
//! vault's own key, or a fingerprint given by the sender, see [`ExpectedSigner`]); without an
//! expectation the bundle is "signed by an unknown key" and does not verify.
//!
//! File names inside the bundle are portable and NFC ([`crate::support::names`]).
//!
//! This file holds the requests and answers and [`Vault::bundle_create`], which selects
//! (`select`: period, consent, documents), writes the ZIP (`zip_writer`: documents, then
//! `index_files`, then the signed `manifest`) beside its destination and records the bundle.
//! The rest: `names` (names inside the bundle), `period` (period parsing), `password` (the
//! password rule), `verify` (checking a bundle without a vault).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::Why;
use crate::vault::Vault;
use crate::{Error, Result, records::fields, storage::audit};

mod ecritures;
mod index_files;
mod manifest;
mod names;
mod password;
mod period;
mod select;
mod verify;
mod zip_writer;

pub use crate::support::names::portable_name;
pub use ecritures::COLUMNS as ECRITURES_COLUMNS;
pub use manifest::{FORMAT, key_fingerprint};
pub use password::{MIN_PASSWORD_CHARS, MIN_PASSWORD_SCORE, check_password, generate_password};
pub use period::parse_period;
pub use verify::{
    BundleProblem, ExpectedSigner, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_MANIFEST_BYTES,
    MAX_TOTAL_BYTES, VerifyBundleReport, bundle_verify,
};

/// What to put in a bundle, and where.
pub struct BundleRequest {
    /// Who receives it (must match a consent's party).
    pub recipient: String,
    /// Why (must match the consent's purpose when given).
    pub purpose: Option<String>,
    /// `2026-Q3`, `2026-10`, `2026` or `2026-01-01..2026-06-30` (see [`parse_period`]).
    pub period: String,
    /// Retention categories to include; empty includes every category.
    pub categories: Vec<String>,
    /// Only documents not yet sent to this recipient, or changed since.
    pub since_last: bool,
    /// Encrypts every entry with AES-256 (WinZip AE-2) under this password, and names the
    /// documents `documents/0001.ext`, ...; refused unless [`check_password`] accepts it.
    pub password: Option<Zeroizing<String>>,
    /// Amounts in `index.csv` with a decimal comma (`1234,56`).
    pub decimal_comma: bool,
    /// What the accountant's tools import: the generic index only, or `ecritures.csv` too.
    pub preset: Preset,
    /// The ZIP to write.
    pub out: PathBuf,
}

/// The index files a bundle carries beyond the generic ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// `index.csv`, `index.json`, and `purchases.csv` / `sales.csv` when it has some.
    #[default]
    Generic,
    /// The generic files and `ecritures.csv`: one accounting line per invoice and VAT rate.
    Ecritures,
}

impl Preset {
    /// The name (`generic`, `ecritures`).
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Generic => "generic",
            Preset::Ecritures => "ecritures",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Result<Preset> {
        [Preset::Generic, Preset::Ecritures]
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Error::invalid(
                    "preset",
                    Why::NotOneOf {
                        value: s.trim().to_owned(),
                        allowed: "generic, ecritures".into(),
                    },
                )
            })
    }
}

impl fmt::Debug for BundleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleRequest")
            .field("recipient", &self.recipient)
            .field("purpose", &self.purpose)
            .field("period", &self.period)
            .field("categories", &self.categories)
            .field("since_last", &self.since_last)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("decimal_comma", &self.decimal_comma)
            .field("preset", &self.preset)
            .field("out", &self.out)
            .finish()
    }
}

/// Progress of [`Vault::bundle_create`], reported after each document and at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct BundleProgress {
    /// Documents written so far.
    pub done: usize,
    /// Documents to write.
    pub total: usize,
    /// Document bytes written so far (plaintext).
    pub bytes: u64,
    /// The file just written (`documents/...`), `None` for the start and end events.
    pub file: Option<String>,
}

/// What [`Vault::bundle_create`] wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct BundleSummary {
    /// The bundle's id (also in the manifest and the ledger).
    pub bundle_id: String,
    /// The ZIP written.
    pub out: PathBuf,
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period (inclusive).
    pub period_to: String,
    /// The consent it was sent under.
    pub consent_id: i64,
    /// Documents included.
    pub documents: usize,
    /// Their ids, in bundle order.
    pub document_ids: Vec<String>,
    /// Documents of the period left out because they are restricted.
    pub restricted_skipped: usize,
    /// Documents left out by `since_last` (already sent, unchanged).
    pub unchanged_skipped: usize,
    /// Bytes of the ZIP.
    pub bytes: u64,
    /// SHA-256 of `manifest.json`, hex.
    pub digest: String,
    /// SHA-256 of the signing public key, hex in groups of four.
    pub key_fingerprint: String,
}

/// What a bundle would hold, from [`Vault::bundle_preview`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct BundlePreview {
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period (inclusive).
    pub period_to: String,
    /// The active consent covering the request; `None` means [`Vault::bundle_create`] refuses.
    pub consent: Option<crate::sharing::consent::Consent>,
    /// Documents that would be included.
    pub documents: usize,
    /// Their ids, in bundle order.
    pub document_ids: Vec<String>,
    /// Documents of the period left out because they are restricted.
    pub restricted_skipped: usize,
    /// Documents left out by `since_last`.
    pub unchanged_skipped: usize,
    /// Totals with VAT per currency (credit notes subtracted).
    pub by_currency: Vec<crate::vault::browse::CurrencyTotal>,
}

fn field(fields: &Value, path: &str) -> Option<String> {
    fields::get(fields, path)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Vault {
    /// Writes a bundle for an accountant (see the module documentation) and records it in the
    /// ledger and the audit trail. Refuses without an active consent covering the recipient,
    /// purpose, period and categories.
    pub fn bundle_create(
        &mut self,
        req: &BundleRequest,
        progress: &mut dyn FnMut(BundleProgress),
    ) -> Result<BundleSummary> {
        if let Some(p) = &req.password {
            check_password(p)?;
        }
        let sel = self.bundle_selection(req)?;
        let Some(consent) = sel.consent else {
            return Err(self.missing_consent(&sel)?);
        };
        let (from, to, recipient, chosen) = (sel.from, sel.to, sel.recipient, sel.chosen);
        let (restricted_skipped, unchanged_skipped) =
            (sel.restricted_skipped, sel.unchanged_skipped);
        let purpose = sel.purpose.as_deref();

        let out = &req.out;
        // Never inside the vault or the import folder, never over an existing file.
        self.check_output(out, crate::vault::outputs::Output::File)?;
        let file_name = out.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            Error::invalid(
                "out",
                Why::NotAFileName {
                    value: out.display().to_string(),
                },
            )
        })?;
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{file_name}.part"));
        let bundle_id = uuid::Uuid::new_v4().to_string();
        let created_at = audit::now_rfc3339();
        let key = self.signing_key()?;
        let public_key = {
            use ring::signature::KeyPair;
            key.public_key().as_ref().to_vec()
        };
        let fingerprint = key_fingerprint(&public_key);
        let vault_id = self.id().to_string();
        let total = chosen.len();

        let about = zip_writer::About {
            bundle_id: &bundle_id,
            vault_id: &vault_id,
            recipient: &recipient,
            purpose,
            from: &from,
            to: &to,
            consent_id: consent.id,
            created_at: &created_at,
            public_key: &public_key,
            fingerprint: &fingerprint,
            restricted_skipped,
        };
        let written = self.write_bundle_zip(&tmp, req, &about, &chosen, &key, progress);
        let (bytes, digest_hex, rows) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };

        let document_ids: Vec<String> = rows.iter().map(|r| r.document_id.clone()).collect();
        // The bundle gets its name inside the transaction that records it; should the audit
        // entry or the commit fail after that, the name is taken back: a bundle on disk is
        // always in the ledger.
        let mut named = false;
        let recorded = self.audited("bundle.create", None, |tx| {
            tx.execute(
                "INSERT INTO bundles (id, created_at, recipient, purpose, consent_id, period_from,
                     period_to, digest, documents, out_path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rusqlite::params![
                    bundle_id,
                    created_at,
                    recipient,
                    purpose,
                    consent.id,
                    from,
                    to,
                    digest_hex,
                    serde_json::to_string(&document_ids).unwrap_or_default(),
                    out.display().to_string()
                ],
            )?;
            for (r, c) in rows.iter().zip(&chosen) {
                tx.execute(
                    "INSERT INTO bundle_documents (bundle_id, doc_id, sha256, fields_digest)
                     VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![bundle_id, r.document_id, r.sha256, c.fields_digest],
                )?;
            }
            crate::vault::outputs::give_name(&tmp, out)?;
            named = true;
            let detail = json!({
                "bundle": bundle_id,
                "digest": digest_hex,
                "recipient": recipient,
                "consent": consent.id,
                "period": { "from": from, "to": to },
                "documents": document_ids,
                "restricted_skipped": restricted_skipped,
            });
            Ok(((), detail))
        });
        if let Err(e) = recorded {
            if named {
                let _ = std::fs::remove_file(out);
            }
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        progress(BundleProgress {
            done: total,
            total,
            bytes: rows.iter().map(|r| r.size).sum(),
            file: None,
        });
        Ok(BundleSummary {
            bundle_id,
            out: out.clone(),
            period_from: from,
            period_to: to,
            consent_id: consent.id,
            documents: document_ids.len(),
            document_ids,
            restricted_skipped,
            unchanged_skipped,
            bytes,
            digest: digest_hex,
            key_fingerprint: fingerprint,
        })
    }
}
