//! What crypto-shredding must reach beyond the blob: personal data that the audit trail keeps
//! about a document (its file name) is sealed under a key derived from the document's own key,
//! so disposing of the document (which destroys that key) leaves the entry unreadable while the
//! chain, which MACs the sealed text, still verifies.
//!
//! Promises: a sealed value is `{"sealed": base64(nonce || AES-256-GCM(ciphertext || tag))}`,
//! bound to the document's id; [`Vault::reveal`] opens it while the document exists and shows
//! `null` with `"shredded": true` once it is gone. Nothing here is stored unsealed.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::Result;
use crate::format::crypto::derive_subkey;
use crate::format::secret::SecretKey;
use crate::storage::audit::AuditEntry;
use crate::vault::Vault;

const LABEL: &str = "coffre/v1/audit-detail";

fn detail_key(doc_key: &SecretKey, id: &Uuid) -> Result<SecretKey> {
    derive_subkey(doc_key, id.as_bytes(), LABEL)
}

fn aad(id: &Uuid) -> Vec<u8> {
    let mut aad = LABEL.as_bytes().to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// The document's file name (or any text) sealed under its key, as the JSON value stored in
/// audit details.
pub(crate) fn seal_name(doc_key: &SecretKey, id: &Uuid, text: &str) -> Result<Value> {
    let key = detail_key(doc_key, id)?;
    let sealed = crate::format::crypto::seal_bytes(&key, text.as_bytes(), &aad(id))?;
    Ok(json!({ "sealed": crate::format::vault_format::b64(&sealed) }))
}

fn open(doc_key: &SecretKey, id: &Uuid, sealed: &str) -> Option<String> {
    let key = detail_key(doc_key, id).ok()?;
    let bytes = data_encoding::BASE64.decode(sealed.as_bytes()).ok()?;
    let plain = crate::format::crypto::open_bytes(&key, &bytes, &aad(id))?;
    String::from_utf8(plain.to_vec()).ok()
}

impl Vault {
    /// Opens the sealed values of these audit entries in place (the file name of
    /// `document.import` and `document.read` entries): the name while the document exists,
    /// `null` with `"shredded": true` once it was disposed of.
    pub(crate) fn reveal(&self, entries: &mut [AuditEntry]) {
        for e in entries.iter_mut() {
            let Some(sealed) = e.detail["name"]["sealed"].as_str().map(str::to_owned) else {
                continue;
            };
            let key = match e.doc_id.as_deref() {
                Some(id) => self
                    .document_key(id)
                    .ok()
                    .flatten()
                    .zip(Uuid::parse_str(id).ok()),
                None => None,
            };
            let name = key.and_then(|(key, uuid)| open(&key, &uuid, &sealed));
            match name {
                Some(n) => e.detail["name"] = Value::String(n),
                None => {
                    e.detail["name"] = Value::Null;
                    e.detail["shredded"] = Value::Bool(true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::backup::{GENERATIONS_DIR, Rotation};
    use crate::format::crypto::KdfParams;
    use crate::format::vault_format::INDEX_FILE;
    use crate::{CreateOptions, Passphrase, SecretKey, Vault};

    /// Every text and blob value of every table of the index at `path`, lowercased.
    fn every_value(path: &Path, key: &SecretKey) -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let hexkey = zeroize::Zeroizing::new(hex::encode(key.dangerously_expose()));
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hexkey.as_str()))
            .unwrap();
        values_of(&conn)
    }

    fn values_of(conn: &rusqlite::Connection) -> Vec<String> {
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut out = Vec::new();
        for t in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..n {
                    let text = match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                            String::from_utf8_lossy(b).to_lowercase()
                        }
                        _ => continue,
                    };
                    out.push(format!("{t}: {text}"));
                }
            }
        }
        out
    }

    fn holding<'a>(values: &'a [String], word: &str) -> Vec<&'a String> {
        values.iter().filter(|v| v.contains(word)).collect()
    }

    /// A disposed document's name, seller and text leave the index (search tokens, audit
    /// details, journal) and, at the next backup run, every backup generation's snapshot.
    #[test]
    fn disposal_leaves_no_trace_in_the_index_nor_in_backups_after_the_next_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let (mut v, _) = Vault::create(
            &dir,
            &Passphrase::new("shredding test pass".into()),
            &CreateOptions {
                kdf: KdfParams::MINIMUM,
            },
        )
        .unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../extract/tests/fixtures/ubl-invoice-eur.xml");
        let xml = std::fs::read_to_string(fixture)
            .unwrap()
            .replace("ACME SAS", "Qqzxvbseller SAS");
        let src = tmp.path().join("qqzxvbfile.xml");
        std::fs::write(&src, &xml).unwrap();
        // Imported through the journal, as every shell does, and read once.
        let job = v.journal_jobs(std::slice::from_ref(&src), "cli").unwrap()[0];
        let sealer = v.sealer();
        let fp = sealer.fingerprint(xml.as_bytes());
        let prepared = sealer
            .prepare("qqzxvbfile.xml", xml.as_bytes(), fp)
            .unwrap();
        let id = v.commit(prepared, Some(job)).unwrap().document().id.clone();
        v.read_document(&id).unwrap();
        let kept = v
            .import_reader("other.xml", &b"<a>kept</a>"[..], None)
            .unwrap()
            .document()
            .id
            .clone();
        // While it exists, the owner sees its name in the trail.
        let names: Vec<_> = v
            .audit_entries(Some(&id))
            .unwrap()
            .into_iter()
            .map(|e| e.detail["name"].clone())
            .collect();
        assert!(names.iter().all(|n| n == "qqzxvbfile.xml"), "{names:?}");
        let index_key = v.index_key().unwrap();
        assert!(!holding(&values_of(v.index.conn()), "qqzxvb").is_empty());

        let backups = tmp.path().join("backups");
        let keep_all = Rotation {
            last: 10,
            ..Rotation::default()
        };
        v.backup_create(&backups, &keep_all).unwrap();
        let disposed = v
            .dispose(
                std::slice::from_ref(&id),
                false,
                Some("test of crypto-shredding"),
                None,
            )
            .unwrap();
        assert!(disposed[0].disposed);

        let values = values_of(v.index.conn());
        assert!(
            holding(&values, "qqzxvb").is_empty(),
            "{:?}",
            holding(&values, "qqzxvb")
        );
        let entries = v.audit_entries(Some(&id)).unwrap();
        assert!(entries.iter().any(|e| e.detail["shredded"] == true));
        // The kept document is untouched.
        assert_eq!(v.read_document(&kept).unwrap().1.as_slice(), b"<a>kept</a>");

        v.backup_create(&backups, &keep_all).unwrap();
        let gens = backups.join(GENERATIONS_DIR);
        let mut checked = 0;
        for g in std::fs::read_dir(&gens).unwrap() {
            let g = g.unwrap().path();
            let values = every_value(&g.join(INDEX_FILE), &index_key);
            assert!(
                holding(&values, "qqzxvb").is_empty(),
                "{}: {:?}",
                g.display(),
                holding(&values, "qqzxvb")
            );
            checked += 1;
        }
        assert_eq!(checked, 2);
        assert!(crate::backup::backup_verify(&backups).unwrap().is_ok());
    }
}
