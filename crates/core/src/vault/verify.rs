//! Checking a vault: every document decrypted against its recorded size and SHA-256, the audit
//! chain, and the quarantine of blobs no index row names.
//!
//! Promises: verification changes nothing but the audit trail (one `vault.verify` entry); a
//! blob no row names is moved to quarantine, never deleted, except by an audited purge, and a
//! blob whose row exists again is never purged but can be re-attached.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;

use crate::storage::audit::{self, ChainReport};
use crate::vault::Vault;
use crate::{Error, Result};

/// A document that failed verification.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentFault {
    /// The document's id.
    pub id: String,
    /// Its original file name.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// The result of [`Vault::verify`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Documents checked.
    pub documents: u64,
    /// Plaintext bytes decrypted and checked.
    pub bytes: u64,
    /// Documents that failed.
    pub faults: Vec<DocumentFault>,
    /// The audit chain's check.
    pub audit: ChainReport,
    /// Blobs in quarantine (no index row named them); `reattachable` ones have a row again.
    pub quarantine: QuarantineReport,
    /// Entries of `blobs/` that are not blobs (odd names, folders, links), left untouched.
    pub stray: Vec<PathBuf>,
}

/// What is in quarantine.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct QuarantineReport {
    /// Every quarantined blob id.
    pub blobs: Vec<String>,
    /// Those whose index row exists again (their index was put back): `coffre quarantine
    /// reattach` returns them.
    pub reattachable: Vec<String>,
}

impl VerifyReport {
    /// True when every document and the audit chain are intact. Quarantine and stray entries
    /// are reported beside, not faults: no document depends on them (a document whose blob
    /// sits in quarantine is a fault of its own, a missing blob).
    pub fn is_ok(&self) -> bool {
        self.faults.is_empty() && self.audit.faults.is_empty()
    }
}

impl Vault {
    /// Decrypts and checks every document, and checks the audit chain.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            documents: 0,
            bytes: 0,
            faults: Vec::new(),
            audit: audit::verify(self.index.conn(), &self.audit_key())?,
            quarantine: self.quarantine()?,
            stray: self.store.list()?.stray,
        };
        for doc in self.documents()? {
            report.documents += 1;
            match self.decrypt_checked(&doc, &mut io::sink()) {
                Ok(n) => report.bytes += n,
                Err(
                    e @ (Error::Tampered { .. } | Error::MissingBlob { .. } | Error::Io { .. }),
                ) => report.faults.push(DocumentFault {
                    id: doc.id.clone(),
                    name: doc.name.clone(),
                    reason: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        let audit_key = self.audit_key();
        let tx = self.index.transaction()?;
        audit::append(
            &tx,
            &audit_key,
            "vault.verify",
            None,
            json!({
                "documents": report.documents,
                "document_faults": report.faults.len(),
                "audit_faults": report.audit.faults.len(),
                "quarantined": report.quarantine.blobs.len(),
            }),
        )?;
        tx.commit()?;
        Ok(report)
    }

    /// Checks the audit chain alone.
    pub fn verify_audit(&self) -> Result<ChainReport> {
        audit::verify(self.index.conn(), &self.audit_key())
    }

    /// Moves blobs that no index row names (left by a crash between a blob's placement and its
    /// transaction, copied back after disposal, or newer than an index put back) to quarantine:
    /// never deleted here. Blobs are placed only under `&mut self`, so this never races an
    /// import. Returns the ids moved.
    pub(super) fn quarantine_unknown_blobs(&mut self) -> Result<Vec<String>> {
        let known: HashSet<String> = self.index.document_ids()?.into_iter().collect();
        let mut moved = Vec::new();
        for id in self.store.list()?.ids {
            if !known.contains(&id) {
                self.store.quarantine(&id)?;
                moved.push(id);
            }
        }
        Ok(moved)
    }

    /// The scan for unknown blobs deferred by
    /// [`OpenOptions::defer_orphan_scan`](crate::vault::OpenOptions::defer_orphan_scan): moves
    /// them to quarantine, with a `vault.quarantine` audit entry when there were any. Returns how
    /// many.
    pub fn quarantine_orphan_blobs(&mut self) -> Result<usize> {
        let moved = self.quarantine_unknown_blobs()?;
        if !moved.is_empty() {
            let n = moved.len();
            self.audited("vault.quarantine", None, |_| {
                Ok(((), json!({ "blobs": moved })))
            })?;
            return Ok(n);
        }
        Ok(0)
    }

    /// What is in quarantine, and which of those blobs have their index row again.
    pub fn quarantine(&self) -> Result<QuarantineReport> {
        let blobs = self.store.quarantined()?;
        let known: HashSet<String> = self.index.document_ids()?.into_iter().collect();
        let reattachable = blobs
            .iter()
            .filter(|id| known.contains(*id) && !self.store.path_of(id).exists())
            .cloned()
            .collect();
        Ok(QuarantineReport {
            blobs,
            reattachable,
        })
    }

    /// Puts back every quarantined blob whose index row exists again and whose place is empty
    /// (audited). Returns their ids.
    pub fn reattach_quarantined(&mut self) -> Result<Vec<String>> {
        let ids = self.quarantine()?.reattachable;
        for id in &ids {
            self.store.reattach(id)?;
        }
        if !ids.is_empty() {
            let detail = json!({ "blobs": ids });
            self.audited("vault.reattach", None, |_| Ok(((), detail)))?;
        }
        Ok(ids)
    }

    /// Deletes quarantined blobs for good (`ids`, or all when empty), audited. Blobs whose row
    /// exists again are never purged: re-attach them instead. Returns the ids deleted.
    pub fn purge_quarantine(&mut self, ids: &[String]) -> Result<Vec<String>> {
        let report = self.quarantine()?;
        let known: HashSet<String> = self.index.document_ids()?.into_iter().collect();
        let chosen: Vec<String> = report
            .blobs
            .into_iter()
            .filter(|id| ids.is_empty() || ids.contains(id))
            .filter(|id| !known.contains(id))
            .collect();
        for id in &chosen {
            self.store.purge(id)?;
        }
        if !chosen.is_empty() {
            let detail = json!({ "blobs": chosen });
            self.audited("vault.quarantine_purge", None, |_| Ok(((), detail)))?;
        }
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use zeroize::Zeroizing;

    use super::*;
    use crate::format::crypto::{KdfParams, derive_subkey};
    use crate::format::secret::Passphrase;
    use crate::format::vault_format::{INDEX_FILE, LOCK_FILE, labels};
    use crate::vault::CreateOptions;

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &dest);
            } else {
                fs::copy(e.path(), dest).unwrap();
            }
        }
    }

    /// Someone with the index key edits `index.db` with any SQLite tool: `verify` notices.
    #[test]
    fn audit_verify_catches_tampering_made_to_the_database_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let pass = Passphrase::new("tamper test pass".into());
        let opts = CreateOptions {
            kdf: KdfParams::MINIMUM,
        };
        let (mut vault, _) = Vault::create(&dir, &pass, &opts).unwrap();
        for i in 0..4 {
            vault
                .import_reader(&format!("d{i}.xml"), format!("<a>{i}</a>").as_bytes(), None)
                .unwrap();
        }
        let index_key = derive_subkey(
            &vault.keys.master,
            vault.header.vault_id.as_bytes(),
            labels::INDEX,
        )
        .unwrap();
        drop(vault);
        let tampering = [
            ("modified entry", "UPDATE audit SET detail = '{\"name\":\"other.xml\"}' WHERE seq = 3"),
            ("deleted entry", "DELETE FROM audit WHERE seq = 2"),
            ("reordered entries", "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1"),
            ("inserted entry", "INSERT INTO audit (seq, at, action, doc_id, detail, mac) SELECT 100, at, 'document.read', doc_id, detail, mac FROM audit WHERE seq = 3; UPDATE audit_head SET seq = 100"),
            ("cut tail", "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"),
            (
                "cut tail, head rewound",
                "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);
                 UPDATE audit_head SET seq = seq - 1, mac = (SELECT mac FROM audit WHERE seq = (SELECT max(seq) FROM audit))",
            ),
        ];
        for (what, sql) in tampering {
            let copy = tmp.path().join(what.replace(' ', "-"));
            copy_dir(&dir, &copy);
            let _ = fs::remove_file(copy.join(LOCK_FILE));
            let conn = rusqlite::Connection::open(copy.join(INDEX_FILE)).unwrap();
            let hexkey = Zeroizing::new(hex::encode(index_key.dangerously_expose()));
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hexkey.as_str()))
                .unwrap();
            conn.execute_batch(sql).unwrap();
            drop(conn);
            match Vault::open(&copy, &pass) {
                // A cut tail is older than the rollback record: open refuses it first.
                Err(Error::IndexRolledBack { .. }) if what.starts_with("cut tail") => {}
                Ok(vault) => {
                    let report = vault.verify_audit().unwrap();
                    assert!(!report.faults.is_empty(), "{what} went unnoticed");
                }
                Err(e) => panic!("{what}: {e}"),
            }
        }
        // The untouched vault still verifies.
        assert!(
            Vault::open(&dir, &pass)
                .unwrap()
                .verify_audit()
                .unwrap()
                .faults
                .is_empty()
        );
    }
}
