//! Checking an integrity certificate without a vault: its signature, its signer, and that its
//! pages are the rendering of the signed text and nothing else.
//!
//! Promises: [`certificate_verify`] reads at most [`MAX_CERTIFICATE_BYTES`] and never parses the
//! file as a PDF (see [`super::pdf::attachments`]); a certificate verifies only when the
//! signature of its attached text holds, by the key the caller expects, and the whole file is
//! byte for byte what Coffre renders from that text, signature and key.

use std::io::Read;
use std::path::Path;

use ring::signature::{ED25519, UnparsedPublicKey};
use serde::Serialize;

use super::pdf::{self, Attached};
use crate::sharing::bundle::{ExpectedSigner, key_fingerprint};
use crate::{Error, Result};

/// Largest certificate [`certificate_verify`] reads.
pub const MAX_CERTIFICATE_BYTES: u64 = 64 * 1024 * 1024;

/// One problem found by [`certificate_verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct CertificateProblem {
    /// `not-a-certificate`, `limit`, `signature` (the text is not the one signed), `pages` (the
    /// pages or any other part of the file were changed), `key` (signed by another key than
    /// the expected one) or `unknown-key` (no key was expected).
    pub kind: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// The outcome of [`certificate_verify`].
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct CertificateReport {
    /// The signature holds, by the expected key, and the file is the rendering of the signed
    /// text.
    pub ok: bool,
    /// The Ed25519 signature of the attached text is valid, by the attached key.
    pub signature_valid: bool,
    /// The attached key is the one the caller expected.
    pub signer_known: bool,
    /// The file is exactly what Coffre renders from the attached text, signature and key.
    pub pages_match: bool,
    /// The attached key's fingerprint (hex SHA-256, groups of four).
    pub key_fingerprint: Option<String>,
    /// The first line after the title: the certificate's id, date and vault.
    pub heading: Option<String>,
    /// The SHA-256 of each document the signed text certifies, in its order.
    pub sha256: Vec<String>,
    /// Everything found wrong.
    pub problems: Vec<CertificateProblem>,
}

fn signature_holds(a: &Attached, key: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&a.text, &a.signature)
        .is_ok()
}

/// The documents' SHA-256 listed in a certificate's text (`  SHA-256: …` or `  SHA-256 : …`).
fn listed_sha256(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("  SHA-256")?;
            let hex = rest.trim_start().strip_prefix(':')?.trim();
            (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_owned())
        })
        .collect()
}

/// Checks the certificate at `path`; the signer must be `expected` (without one, the
/// certificate is "signed by an unknown key" and does not verify).
pub fn certificate_verify(
    path: &Path,
    expected: Option<&ExpectedSigner>,
) -> Result<CertificateReport> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_CERTIFICATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io(path))?;
    let mut report = CertificateReport::default();
    let problem = |kind: &'static str, detail: &str| CertificateProblem {
        kind,
        detail: detail.to_owned(),
    };
    if bytes.len() as u64 > MAX_CERTIFICATE_BYTES {
        report.problems.push(problem(
            "limit",
            &format!("larger than {MAX_CERTIFICATE_BYTES} bytes: not a Coffre certificate"),
        ));
        return Ok(report);
    }
    // Each candidate set of attached parts; the one that renders back to this file wins, else
    // the first whose signature holds, else the first (for the report).
    let candidates: Vec<(Attached, Option<Vec<u8>>)> = pdf::attachments(&bytes)
        .into_iter()
        .map(|a| {
            let key = pdf::public_key_of_pem(&a.key_pem);
            (a, key)
        })
        .collect();
    let renders_back = |a: &Attached| -> bool {
        let (Ok(text), Ok(pem)) = (
            std::str::from_utf8(&a.text),
            std::str::from_utf8(&a.key_pem),
        ) else {
            return false;
        };
        pdf::render(text, &a.signature, pem).is_ok_and(|again| again == bytes)
    };
    let chosen = candidates
        .iter()
        .find(|(a, _)| renders_back(a))
        .map(|c| (c, true))
        .or_else(|| {
            candidates
                .iter()
                .find(|(a, k)| k.as_deref().is_some_and(|k| signature_holds(a, k)))
                .or(candidates.first())
                .map(|c| (c, false))
        });
    let Some(((attached, key), pages_match)) = chosen else {
        report.problems.push(problem(
            "not-a-certificate",
            "no signed certificate text is attached to this file",
        ));
        return Ok(report);
    };
    report.pages_match = pages_match;
    let text = String::from_utf8_lossy(&attached.text);
    report.heading = text.lines().nth(1).map(str::to_owned);
    report.sha256 = listed_sha256(&text);
    match key {
        Some(key) => {
            report.key_fingerprint = Some(key_fingerprint(key));
            report.signature_valid = signature_holds(attached, key);
            match expected {
                Some(e) if e.matches(key) => report.signer_known = true,
                Some(e) => report.problems.push(problem(
                    "key",
                    &format!(
                        "signed by the key {}, not the expected {}",
                        key_fingerprint(key),
                        e.describe()
                    ),
                )),
                None => report.problems.push(problem(
                    "unknown-key",
                    &format!("signed by an unknown key ({})", key_fingerprint(key)),
                )),
            }
        }
        None => report.problems.push(problem(
            "signature",
            "the attached public key is not an Ed25519 key",
        )),
    }
    if !report.signature_valid {
        report.problems.push(problem(
            "signature",
            "the signature does not match the attached text: the certificate was altered",
        ));
    }
    if !pages_match {
        report.problems.push(problem(
            "pages",
            "the file is not the rendering of its signed text: its pages or parts were altered",
        ));
    }
    report.ok = report.signature_valid && report.signer_known && report.pages_match;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_digests_are_read_in_both_languages() {
        let a = "a".repeat(64);
        let b = "B".repeat(64);
        let text = format!("T\n  SHA-256: {a}\n  SHA-256 : {b}\n  SHA-256: short\nSHA-256: {a}\n");
        assert_eq!(listed_sha256(&text), vec![a, b]);
    }
}
