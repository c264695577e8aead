//! A target ready to run inputs ([`Harness`]): the state it needs (a fixed key and blobs written
//! under it, a real vault, bundle or backup), the seeds it generates, and the dispatch of one
//! input to its checks ([`crate::checks`]).

use std::collections::HashSet;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use coffre_core::format::stream::{BlobHeader, BlobReader, BlobWriter, CHUNK_LEN};
use coffre_core::{RecoveryKey, Vault};
use coffre_extract::Limits;

use crate::checks::{self, BackupFile};
use crate::seeds::{MINIMAL_CII, MINIMAL_UBL, Seed};
use crate::targets::{BACKUP_ROLES, Target};
use crate::{hostile, pdfgen, setup};

enum State {
    Stateless,
    Blob {
        key: RecoveryKey,
        doc_id: [u8; 16],
        plaintexts: HashSet<[u8; 32]>,
        blobs: Vec<Vec<u8>>,
    },
    Header {
        dir: PathBuf,
        original: Vec<u8>,
    },
    Bundle {
        path: PathBuf,
        originals: Vec<(String, Vec<u8>)>,
    },
    BundleManifest {
        path: PathBuf,
        entries: Vec<(String, Vec<u8>)>,
        manifest: Vec<u8>,
    },
    Backup {
        dir: PathBuf,
        files: Vec<BackupFile>,
        /// Files replaced by the last input, restored before the next.
        dirty: Vec<usize>,
    },
    Search {
        vault: Box<Vault>,
    },
}

/// A target ready to run inputs, with whatever it needs (keys, a vault, a backup).
pub struct Harness {
    target: Target,
    limits: Limits,
    state: State,
}

/// The fixed recovery key of the blob target: 32 bytes of 0x42 in the key's text form.
pub fn fixed_recovery_key_text() -> String {
    let mut raw = vec![0x42u8; 32];
    let check = coffre_core::format::crypto::sha256_of(&raw);
    raw.extend_from_slice(&check[..2]);
    data_encoding::BASE32_NOPAD.encode(&raw)
}

impl Harness {
    /// Prepares `target`, using `work` (emptied first) for its files. `pdf_timeout` bounds the
    /// PDF work of one extraction.
    pub fn new(target: Target, work: &Path, pdf_timeout: Duration) -> Result<Harness, String> {
        setup::fresh_dir(work)?;
        let state = match target {
            Target::PdfText
            | Target::PdfAttachment
            | Target::Xml
            | Target::Mail
            | Target::RecoveryKey => State::Stateless,
            Target::Blob => blob_state()?,
            Target::Header => State::Header {
                dir: work.join("header"),
                original: setup::header(work)?,
            },
            Target::Bundle => State::Bundle {
                path: work.join("input.zip"),
                originals: setup::bundles(work)?,
            },
            Target::BundleManifest => {
                let (_, plain) = setup::bundles(work)?.swap_remove(0);
                let entries = hostile::zip_entries(&plain)?;
                let manifest = entries
                    .iter()
                    .find(|(n, _)| n == "manifest.json")
                    .ok_or("bundle without manifest.json")?;
                State::BundleManifest {
                    path: work.join("input.zip"),
                    manifest: hostile::adopt_manifest(&manifest.1)?,
                    entries,
                }
            }
            Target::Backup => {
                let dir = setup::backup(work)?;
                hostile::adopt_backup(&dir)?;
                State::Backup {
                    files: backup_files(&dir)?,
                    dir,
                    dirty: Vec::new(),
                }
            }
            Target::SearchQuery => State::Search {
                vault: Box::new(setup::vault(&work.join("search-vault"))?),
            },
        };
        if let State::Header { dir, .. } = &state {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        Ok(Harness {
            target,
            limits: Limits {
                pdf_timeout,
                // OCR is another program's parser (Tesseract's), not ours: fuzzing it through
                // the extractor would only measure its speed.
                ocr_max_pages: 0,
                ..Limits::default()
            },
            state,
        })
    }

    /// The target.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Inputs this target makes itself.
    pub fn generated_seeds(&self) -> Vec<Seed> {
        let seed = |name: &str, data: Vec<u8>| Seed {
            name: format!("generated:{name}"),
            data,
        };
        let mut out = Vec::new();
        match (&self.target, &self.state) {
            (Target::PdfText, _) => {
                out.push(seed(
                    "plain.pdf",
                    pdfgen::plain_invoice(pdfgen::INVOICE_LINES),
                ));
                let de = [
                    "Rechnung Nr. R-77",
                    "Rechnungsdatum: 02.03.2026",
                    "Gesamtbetrag: 1.234,56 EUR",
                ];
                out.push(seed("plain-de.pdf", pdfgen::plain_invoice(&de)));
                out.push(seed("empty-page.pdf", pdfgen::plain_invoice(&[])));
            }
            (Target::PdfAttachment, _) => {
                use pdfgen::Attach::*;
                let cii = MINIMAL_CII.as_bytes();
                out.push(seed(
                    "fx-names.pdf",
                    pdfgen::facturx(cii, "factur-x.xml", NamesAndAf, "EN 16931"),
                ));
                out.push(seed(
                    "fx-kids.pdf",
                    pdfgen::facturx(cii, "zugferd-invoice.xml", NamesKids, "BASIC"),
                ));
                out.push(seed(
                    "fx-af.pdf",
                    pdfgen::facturx(cii, "invoice.xml", AfOnly, "MINIMUM"),
                ));
                let ubl = MINIMAL_UBL.as_bytes();
                out.push(seed(
                    "xr-ubl.pdf",
                    pdfgen::facturx(ubl, "xrechnung.xml", NamesAndAf, "XRECHNUNG"),
                ));
            }
            (Target::Xml, _) => {
                out.push(seed("ubl.xml", MINIMAL_UBL.into()));
                out.push(seed("cii.xml", MINIMAL_CII.into()));
            }
            (Target::Mail, _) => {
                let mail = format!(
                    "From: a@b.example\r\nDate: Tue, 3 Mar 2026 09:15:00 +0100\r\n\
                     Subject: Facture\r\nMessage-ID: <1@b.example>\r\nMIME-Version: 1.0\r\n\
                     Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
                     Content-Type: text/html\r\n\r\n<p>Bonjour</p>\r\n--b\r\n\
                     Content-Type: application/xml\r\n\
                     Content-Disposition: attachment; filename=\"facture.xml\"\r\n\r\n\
                     {MINIMAL_UBL}\r\n--b--\r\n"
                );
                out.push(seed("facture.eml", mail.into_bytes()));
            }
            (_, State::Blob { blobs, .. }) => {
                for (i, b) in blobs.iter().enumerate() {
                    out.push(seed(&format!("blob-{i}"), b.clone()));
                }
            }
            (_, State::Header { original, .. }) => out.push(seed("vault.json", original.clone())),
            (_, State::Bundle { originals, .. }) => {
                for (name, bytes) in originals {
                    out.push(seed(name, bytes.clone()));
                }
            }
            (_, State::BundleManifest { manifest, .. }) => {
                out.push(seed("manifest.json", manifest.clone()));
            }
            (_, State::Backup { files, .. }) => {
                for (role, _, _, bytes) in files {
                    let mut data = format!("{role}\n").into_bytes();
                    data.extend_from_slice(bytes);
                    out.push(seed(role, data));
                }
            }
            (Target::RecoveryKey, _) => {
                let text = fixed_recovery_key_text();
                let generated = RecoveryKey::generate().expect("random key");
                let shown = generated.to_display_string().to_string();
                let confusable = shown.replace('O', "0").replace('I', "1").replace('B', "8");
                for (name, t) in [
                    ("fixed", text.clone()),
                    ("shown", shown.clone()),
                    ("lower", shown.to_lowercase()),
                    ("spaced", shown.replace('-', " ")),
                    ("confusable", confusable),
                ] {
                    out.push(seed(name, t.into_bytes()));
                }
            }
            (Target::SearchQuery, _) => {
                for (name, q) in [
                    (
                        "words",
                        "Fuzz conseil\n2026\n2026-12\nFuzz\n10\n1 000,00\ninvoice\n2026-Q1",
                    ),
                    (
                        "amount",
                        "1 234,56 EUR\n2026-03\n2026-03-31\n\n1.234,56\n1,234.56\nreview\n2026-03",
                    ),
                    (
                        "syntax",
                        "\"NEAR(a b)\" OR x* -y ^z :col\n2026-01-01\n\n\"\n-5\n\nfactur-x\n2026-01-01..2026-06-30",
                    ),
                    (
                        "unicode",
                        "Société Générale — 1\u{a0}234,5\u{202f}EUR\n2026\n2026\n\u{e9}\n0\n0\nubl\n2026",
                    ),
                ] {
                    out.push(seed(name, q.as_bytes().to_vec()));
                }
            }
            _ => {}
        }
        out
    }

    /// How many leading bytes of `data` mutations must leave alone (the backup's role line).
    pub fn protected_prefix(&self, data: &[u8]) -> usize {
        match self.target {
            Target::Backup => data
                .iter()
                .take(64)
                .position(|&b| b == b'\n')
                .map_or(0, |i| i + 1),
            _ => 0,
        }
    }

    /// Runs one input. Panics on a finding.
    pub fn run(&mut self, input: &[u8]) {
        let limits = &self.limits;
        match &mut self.state {
            State::Stateless => match self.target {
                Target::PdfText => checks::check_extraction(&coffre_extract::extract(
                    input,
                    Some("invoice.pdf"),
                    limits,
                )),
                Target::PdfAttachment => {
                    if let Ok(content) = coffre_extract::pdf::process(input, limits)
                        && let Some(inv) = content.invoice
                    {
                        checks::check_extraction(&coffre_extract::extract(
                            &inv.xml,
                            Some(&inv.name),
                            limits,
                        ));
                    }
                }
                Target::Xml => checks::check_extraction(&coffre_extract::extract(
                    input,
                    Some("invoice.xml"),
                    limits,
                )),
                Target::Mail => checks::mail(input, limits),
                Target::RecoveryKey => checks::recovery_key(input),
                _ => unreachable!("stateful target without state"),
            },
            State::Blob {
                key,
                doc_id,
                plaintexts,
                ..
            } => {
                let mut out = Vec::new();
                let read = BlobReader::new(Cursor::new(input), key.key(), doc_id)
                    .and_then(|mut r| r.read_to_end(&mut out));
                if read.is_ok() {
                    let h = coffre_core::format::crypto::sha256_of(&out);
                    assert!(
                        plaintexts.contains(&h),
                        "blob read through but gave bytes never written ({} bytes)",
                        out.len()
                    );
                }
            }
            State::Header { dir, .. } => checks::header(dir, input),
            State::Bundle { path, .. } => checks::bundle(path, input),
            State::BundleManifest { path, entries, .. } => {
                checks::bundle(path, &hostile::bundle_with_manifest(entries, input));
            }
            State::Backup { dir, files, dirty } => checks::backup(dir, files, dirty, input),
            State::Search { vault } => checks::search(vault, input),
        }
    }
}

fn blob_state() -> Result<State, String> {
    let key = RecoveryKey::parse(&fixed_recovery_key_text()).map_err(|e| e.to_string())?;
    let doc_id = [7u8; 16];
    let mut plaintexts = HashSet::new();
    let mut blobs = Vec::new();
    for len in [
        0,
        1,
        100,
        CHUNK_LEN - 1,
        CHUNK_LEN,
        CHUNK_LEN + 1,
        2 * CHUNK_LEN + 5,
    ] {
        let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        plaintexts.insert(coffre_core::format::crypto::sha256_of(&plain));
        let header = BlobHeader::new(doc_id).map_err(|e| e.to_string())?;
        let mut w = BlobWriter::new(Vec::new(), key.key(), header).map_err(|e| e.to_string())?;
        w.write_all(&plain).map_err(|e| e.to_string())?;
        blobs.push(w.finish().map_err(|e| e.to_string())?);
    }
    Ok(State::Blob {
        key,
        doc_id,
        plaintexts,
        blobs,
    })
}

fn backup_files(dir: &Path) -> Result<Vec<BackupFile>, String> {
    let generations: Vec<PathBuf> = crate::paths::files_under(&dir.join("generations"));
    let blobs: Vec<PathBuf> = crate::paths::files_under(&dir.join("blobs"));
    let mut out = Vec::new();
    for (role, signed) in BACKUP_ROLES {
        let path = match role {
            "coffre-backup.json" => Some(dir.join(role)),
            "blob-0" => blobs.first().cloned(),
            "blob-1" => blobs.get(1).cloned(),
            _ => generations
                .iter()
                .find(|p| {
                    p.file_name()
                        .is_some_and(|n| n == role.trim_end_matches("+sign"))
                })
                .cloned(),
        };
        let path = path.ok_or_else(|| format!("backup without {role}"))?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((role, signed, path, bytes));
    }
    Ok(out)
}
