//! Integration tests of the vault on temporary folders.

use std::path::{Path, PathBuf};

use coffre_core::format::stream::CHUNK_LEN;
use coffre_core::{CreateOptions, Error, ImportOutcome, KdfParams, Passphrase, RecoveryKey, Vault};

const PASS: &str = "correct horse battery staple";

fn pass(p: &str) -> Passphrase {
    Passphrase::new(p.to_owned())
}

fn fast() -> CreateOptions {
    CreateOptions {
        kdf: KdfParams::MINIMUM,
    }
}

fn new_vault() -> (tempfile::TempDir, PathBuf, Vault, RecoveryKey) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (vault, rk) = Vault::create(&dir, &pass(PASS), &fast()).unwrap();
    (tmp, dir, vault, rk)
}

fn import(vault: &mut Vault, name: &str, data: &[u8]) -> ImportOutcome {
    vault.import_reader(name, data, None).unwrap()
}

fn blob_path(dir: &Path, id: &str) -> PathBuf {
    dir.join("blobs").join(&id[..2]).join(id)
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    walkdir(dir)
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn documents_round_trip_at_chunk_boundaries_across_reopen() {
    let (_t, dir, mut vault, _) = new_vault();
    let sizes = [
        0,
        1,
        CHUNK_LEN - 1,
        CHUNK_LEN,
        CHUNK_LEN + 1,
        5 * CHUNK_LEN + 17,
    ];
    let mut ids = Vec::new();
    for (i, len) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..*len).map(|j| (j * 7 + i) as u8).collect();
        let out = import(&mut vault, &format!("doc{i}.bin"), &data);
        assert!(out.is_imported());
        ids.push((out.document().id.clone(), data));
    }
    vault.lock();
    let mut vault = Vault::open(&dir, &pass(PASS)).unwrap();
    assert_eq!(vault.documents().unwrap().len(), sizes.len());
    for (id, data) in &ids {
        let (doc, bytes) = vault.read_document(id).unwrap();
        assert_eq!(&*bytes, data);
        assert_eq!(doc.size as usize, data.len());
        let mut streamed = Vec::new();
        vault.write_document_to(&id[..8], &mut streamed).unwrap();
        assert_eq!(&streamed, data);
    }
    assert!(vault.verify().unwrap().is_ok());
}

#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let (_t, dir, vault, _) = new_vault();
    vault.lock();
    let before = std::fs::read(dir.join("vault.json")).unwrap();
    let err = Vault::open(&dir, &pass("correct horse battery stapler")).unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err:?}");
    assert_eq!(err.to_string(), "wrong passphrase");
    assert_eq!(std::fs::read(dir.join("vault.json")).unwrap(), before);
    Vault::open(&dir, &pass(PASS)).unwrap();
}

#[test]
fn passphrase_change_rewraps_only() {
    let (_t, dir, mut vault, _) = new_vault();
    let id = import(&mut vault, "a.pdf", b"%PDF-1.4 a")
        .document()
        .id
        .clone();
    let blob_before = std::fs::read(blob_path(&dir, &id)).unwrap();
    assert_eq!(vault.kdf_params(), KdfParams::MINIMUM);
    vault
        .change_passphrase(&pass("a brand new passphrase"))
        .unwrap();
    // Fresh costs from this build's defaults, not the ones the header carried.
    assert_eq!(vault.kdf_params(), KdfParams::default());
    vault.lock();
    assert!(matches!(
        Vault::open(&dir, &pass(PASS)),
        Err(Error::WrongPassphrase)
    ));
    let mut vault = Vault::open(&dir, &pass("a brand new passphrase")).unwrap();
    assert_eq!(std::fs::read(blob_path(&dir, &id)).unwrap(), blob_before);
    assert_eq!(&*vault.read_document(&id).unwrap().1, b"%PDF-1.4 a");
    assert!(matches!(
        vault.change_passphrase(&pass("short")),
        Err(Error::WeakPassphrase(_))
    ));
}

#[test]
fn recovery_key_unlocks_and_sets_a_new_passphrase() {
    let (_t, dir, mut vault, rk) = new_vault();
    let id = import(&mut vault, "x.xml", b"<Invoice/>")
        .document()
        .id
        .clone();
    vault.lock();
    let text = rk.to_display_string();
    let wrong = RecoveryKey::generate().unwrap();
    assert!(matches!(
        Vault::open_with_recovery_key(&dir, &wrong),
        Err(Error::WrongRecoveryKey)
    ));
    let mut vault =
        Vault::open_with_recovery_key(&dir, &RecoveryKey::parse(&text).unwrap()).unwrap();
    vault
        .change_passphrase(&pass("after the recovery"))
        .unwrap();
    vault.lock();
    let mut vault = Vault::open(&dir, &pass("after the recovery")).unwrap();
    assert_eq!(&*vault.read_document(&id).unwrap().1, b"<Invoice/>");
    // The recovery key still works after a passphrase change.
    vault.lock();
    Vault::open_with_recovery_key(&dir, &RecoveryKey::parse(&text).unwrap()).unwrap();
}

#[test]
fn same_bytes_import_once() {
    let (_t, dir, mut vault, _) = new_vault();
    let a = import(&mut vault, "a.pdf", b"%PDF same bytes");
    let b = import(&mut vault, "renamed.pdf", b"%PDF same bytes");
    assert!(!b.is_imported());
    assert_eq!(a.document().id, b.document().id);
    assert_eq!(vault.documents().unwrap().len(), 1);
    assert_eq!(walkdir(&dir.join("blobs")).len(), 1);
    assert!(walkdir(&dir.join("tmp")).is_empty());
}

#[test]
fn second_open_is_refused_with_the_holders_pid() {
    let (_t, dir, vault, _) = new_vault();
    match Vault::open(&dir, &pass(PASS)) {
        Err(e @ Error::VaultInUse { .. }) => {
            assert_eq!(
                e.to_string(),
                format!("vault in use (pid {})", std::process::id())
            )
        }
        other => panic!("expected VaultInUse, got {other:?}"),
    }
    drop(vault);
    Vault::open(&dir, &pass(PASS)).unwrap();
}

#[test]
fn size_limit_rejects_and_leaves_nothing() {
    let (_t, dir, mut vault, _) = new_vault();
    let err = vault
        .import_reader("big.bin", &[7u8; 5000][..], Some(4096))
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 4096 }));
    assert!(walkdir(&dir.join("tmp")).is_empty());
    assert!(walkdir(&dir.join("blobs")).is_empty());
    vault.set_max_import_size(100).unwrap();
    assert_eq!(vault.max_import_size().unwrap(), 100);
    assert!(matches!(
        vault.import_reader("b", &[1u8; 101][..], None),
        Err(Error::TooLarge { limit: 100 })
    ));
}

fn assert_damaged(vault: &mut Vault, id: &str, name: &str) {
    let err = vault.read_document(id).unwrap_err();
    assert!(
        matches!(err, Error::Tampered { .. } | Error::MissingBlob { .. }),
        "{err:?}"
    );
    let mut out = Vec::new();
    assert!(vault.write_document_to(id, &mut out).is_err());
    assert!(out.is_empty(), "a damaged document must write nothing");
    let report = vault.verify().unwrap();
    assert!(!report.is_ok());
    assert!(
        report.faults.iter().any(|f| f.id == id && f.name == name),
        "{report:?}"
    );
}

#[test]
fn flipped_bit_truncation_swap_and_loss_are_reported() {
    let (_t, dir, mut vault, _) = new_vault();
    let big: Vec<u8> = (0..3 * CHUNK_LEN).map(|i| (i % 251) as u8).collect();
    let a = import(&mut vault, "a.bin", &big).document().id.clone();
    let b = import(&mut vault, "b.bin", b"second document")
        .document()
        .id
        .clone();
    let c = import(&mut vault, "c.bin", b"third document")
        .document()
        .id
        .clone();
    let d = import(&mut vault, "d.bin", b"fourth document")
        .document()
        .id
        .clone();

    // A flipped bit in the middle of a.
    let pa = blob_path(&dir, &a);
    let mut bytes = std::fs::read(&pa).unwrap();
    bytes[CHUNK_LEN + 100] ^= 0x10;
    std::fs::write(&pa, &bytes).unwrap();
    assert_damaged(&mut vault, &a, "a.bin");

    // a cut at a chunk boundary: earlier chunks are authentic, the end is missing.
    bytes[CHUNK_LEN + 100] ^= 0x10;
    std::fs::write(&pa, &bytes[..32 + 2 * (CHUNK_LEN + 16)]).unwrap();
    assert_damaged(&mut vault, &a, "a.bin");

    // b and c swapped.
    let (pb, pc) = (blob_path(&dir, &b), blob_path(&dir, &c));
    let (bb, bc) = (std::fs::read(&pb).unwrap(), std::fs::read(&pc).unwrap());
    std::fs::write(&pb, &bc).unwrap();
    std::fs::write(&pc, &bb).unwrap();
    assert_damaged(&mut vault, &b, "b.bin");
    assert_damaged(&mut vault, &c, "c.bin");

    // d deleted.
    std::fs::remove_file(blob_path(&dir, &d)).unwrap();
    assert_damaged(&mut vault, &d, "d.bin");
    assert_eq!(vault.verify().unwrap().faults.len(), 4);
}

#[test]
fn nothing_readable_reaches_the_disk() {
    let (_t, dir, mut vault, _) = new_vault();
    // Needles of 7 bytes or more: shorter ones could turn up in random ciphertext by chance.
    let needles: [&[u8]; 4] = [
        b"ACME-SARL-UNIQUE-SUPPLIER",
        b"Fournisseur-Zyx-Name.pdf",
        b"Fournisseur-Zyx",
        b"1234,56",
    ];
    let mut content =
        b"%PDF-1.4\nInvoice from ACME-SARL-UNIQUE-SUPPLIER total 1234,56 EUR\n".to_vec();
    content.extend(std::iter::repeat_n(b'x', 200_000));
    let out = import(&mut vault, "Fournisseur-Zyx-Name.pdf", &content);
    let sha = out.document().sha256.clone();
    let check = |when: &str| {
        for f in all_files(&dir) {
            let bytes = std::fs::read(&f).unwrap();
            for n in needles.iter().chain([sha.as_bytes()].iter()) {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == *n),
                    "{} found in {} ({when})",
                    String::from_utf8_lossy(n),
                    f.display()
                );
            }
        }
    };
    check("while open, WAL included");
    vault.lock();
    check("after lock");
}

/// A crash can leave a blob renamed into place whose row never committed, and a half-written
/// temp file. Open removes the temp file (no row can ever name it) and moves the blob to
/// quarantine, never deleting it; the owner purges it (or re-attaches it if its row returns).
#[test]
fn leftovers_of_a_crash_are_quarantined_on_open() {
    let (_t, dir, mut vault, _) = new_vault();
    let kept = import(&mut vault, "kept.pdf", b"%PDF kept")
        .document()
        .id
        .clone();
    vault.lock();
    let orphan = "0123abcd-0000-4000-8000-000000000000";
    std::fs::create_dir_all(dir.join("blobs/01")).unwrap();
    std::fs::write(blob_path(&dir, orphan), b"encrypted garbage").unwrap();
    std::fs::write(dir.join("tmp").join("x.part"), b"partial").unwrap();
    let mut vault = Vault::open(&dir, &pass(PASS)).unwrap();
    assert!(!blob_path(&dir, orphan).exists());
    assert_eq!(
        std::fs::read(dir.join("quarantine").join(orphan)).unwrap(),
        b"encrypted garbage"
    );
    assert!(walkdir(&dir.join("tmp")).is_empty());
    assert!(blob_path(&dir, &kept).exists());
    let entries = vault.audit_entries(None).unwrap();
    let n = entries.len();
    assert_eq!(entries[n - 2].action, "vault.quarantine");
    assert_eq!(entries[n - 2].detail["blobs"][0], orphan);
    assert_eq!(entries[n - 1].action, "vault.unlock");
    assert_eq!(entries[n - 1].detail["removed_unfinished_imports"], 1);
    let report = vault.verify().unwrap();
    assert!(report.is_ok(), "no document depends on it");
    assert_eq!(report.quarantine.blobs, vec![orphan.to_owned()]);
    assert!(report.quarantine.reattachable.is_empty());
    assert_eq!(
        vault.purge_quarantine(&[]).unwrap(),
        vec![orphan.to_owned()]
    );
    assert!(vault.verify().unwrap().is_ok());
    vault.lock();

    // The desktop app defers the blob scan past its first screen: temp files still go at open,
    // the orphan when it asks, with an audit entry of its own.
    std::fs::write(blob_path(&dir, orphan), b"encrypted garbage").unwrap();
    std::fs::write(dir.join("tmp").join("y.part"), b"partial").unwrap();
    let options = coffre_core::OpenOptions {
        defer_orphan_scan: true,
        ..Default::default()
    };
    let mut vault = Vault::open_with(&dir, &pass(PASS), &options).unwrap();
    assert!(walkdir(&dir.join("tmp")).is_empty());
    assert!(blob_path(&dir, orphan).exists());
    assert_eq!(vault.quarantine_orphan_blobs().unwrap(), 1);
    assert!(!blob_path(&dir, orphan).exists());
    assert!(dir.join("quarantine").join(orphan).exists());
    assert!(blob_path(&dir, &kept).exists());
    let last = vault.audit_entries(None).unwrap().pop().unwrap();
    assert_eq!(last.action, "vault.quarantine");
    assert_eq!(vault.quarantine_orphan_blobs().unwrap(), 0);
}

#[test]
fn every_change_is_in_the_audit_chain() {
    let (_t, dir, mut vault, _) = new_vault();
    let id = import(&mut vault, "a.pdf", b"%PDF a").document().id.clone();
    vault.read_document(&id).unwrap();
    vault.set_max_import_size(1 << 20).unwrap();
    vault
        .change_passphrase(&pass("another good passphrase"))
        .unwrap();
    let actions: Vec<String> = vault
        .audit_entries(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "vault.create",
            "document.import",
            "document.read",
            "settings.change",
            "vault.passphrase_change"
        ]
    );
    assert_eq!(vault.audit_entries(Some(&id)).unwrap().len(), 2);
    assert!(vault.verify_audit().unwrap().faults.is_empty());
    drop(vault);
    let _ = dir;
}

#[test]
fn refuses_to_create_over_files_or_with_weak_settings() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("something"), b"x").unwrap();
    assert!(matches!(
        Vault::create(tmp.path(), &pass(PASS), &fast()),
        Err(Error::AlreadyExists(_))
    ));
    let dir = tmp.path().join("v");
    assert!(matches!(
        Vault::create(&dir, &pass(""), &fast()),
        Err(Error::WeakPassphrase(_))
    ));
    let weak = CreateOptions {
        kdf: KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
    };
    assert!(matches!(
        Vault::create(&dir, &pass(PASS), &weak),
        Err(Error::KdfParams(_))
    ));
    assert!(matches!(
        Vault::open(&dir, &pass(PASS)),
        Err(Error::NoVault(_))
    ));
}

/// Anyone who can write the vault folder can write `unlock-failures`: a planted flood reaches
/// the audit trail only up to a bound, and malformed lines not at all.
#[test]
fn planted_unlock_failures_are_bounded() {
    let (_t, dir, vault, _) = new_vault();
    vault.lock();
    let mut text = String::new();
    for _ in 0..5000 {
        text.push_str("2026-11-30T10:00:00.000Z\n");
    }
    text.push_str("2026-11-30T10:00:00.000Z index-missing\n");
    text.push_str("2026-11-30T10:00:00.000Z =HYPERLINK(\"x\")\n");
    text.push_str("not a time at all\n");
    std::fs::write(dir.join("unlock-failures"), text).unwrap();
    let vault = Vault::open(&dir, &pass(PASS)).unwrap();
    let entries = vault.audit_entries(None).unwrap();
    let failed = entries
        .iter()
        .filter(|e| e.action == "vault.unlock_failed" || e.action == "vault.open_refused")
        .count();
    assert_eq!(failed, 1000);
    assert!(entries.iter().any(|e| e.action == "vault.open_refused"));
    assert!(!dir.join("unlock-failures").exists());
}

/// "Save a copy" (the app's IPC command goes through it): never over the vault's own files or
/// any existing file, never through a planted link.
#[test]
fn a_copy_never_lands_in_the_vault_nor_over_a_file() {
    let (tmp, dir, mut vault, _) = new_vault();
    let id = import(&mut vault, "a.pdf", b"%PDF-1.4 copy me")
        .document()
        .id
        .clone();
    let header = std::fs::read(dir.join("vault.json")).unwrap();
    for target in [dir.join("vault.json"), dir.join("new.pdf")] {
        assert!(matches!(
            vault.save_copy(&id, &target),
            Err(Error::OutputRefused { .. })
        ));
    }
    assert_eq!(std::fs::read(dir.join("vault.json")).unwrap(), header);
    let out = tmp.path().join("copy.pdf");
    std::fs::write(&out, b"mine").unwrap();
    assert!(vault.save_copy(&id, &out).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"mine");
    std::fs::remove_file(&out).unwrap();
    #[cfg(unix)]
    {
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        std::os::unix::fs::symlink(&victim, tmp.path().join(".copy.pdf.part")).unwrap();
        assert!(vault.save_copy(&id, &out).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        std::fs::remove_file(tmp.path().join(".copy.pdf.part")).unwrap();
    }
    vault.save_copy(&id, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"%PDF-1.4 copy me");
}
