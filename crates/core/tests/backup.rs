//! Encrypted, incremental backups: create, verify, restore, rotation, disposal.

use std::fs;
use std::path::{Path, PathBuf};

use coffre_core::backup::{Rotation, backup_list, backup_restore, backup_verify};
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, RecoveryKey, Vault};

const PASS: &str = "backup test pass";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

fn setup() -> (tempfile::TempDir, Vault, RecoveryKey, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut v, recovery) =
        Vault::create(&tmp.path().join("v"), &Passphrase::new(PASS.into()), &opts).unwrap();
    let mut ids = Vec::new();
    for f in ["ubl-invoice-eur.xml", "cii-creditnote-usd.xml"] {
        ids.push(
            v.import_file(&fixture(f), None)
                .unwrap()
                .document()
                .id
                .clone(),
        );
    }
    (tmp, v, recovery, ids)
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every document's plaintext, by id.
fn contents(v: &mut Vault) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = v
        .documents()
        .unwrap()
        .into_iter()
        .map(|d| {
            let (doc, bytes) = v.read_document(&d.id).unwrap();
            (doc.id, bytes.to_vec())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn back_up_import_more_back_up_again_and_restore() {
    let (tmp, mut v, recovery, _) = setup();
    let dir = tmp.path().join("backup");
    let keep_all = Rotation {
        last: 100,
        ..Rotation::default()
    };
    let first = v.backup_create(&dir, &keep_all).unwrap();
    assert_eq!((first.documents, first.blobs_copied), (2, 2));
    v.import_file(&fixture("ghostscript-invoice-fr.pdf"), None)
        .unwrap();
    let second = v.backup_create(&dir, &keep_all).unwrap();
    assert_eq!((second.documents, second.blobs_copied), (3, 1));
    assert_ne!(first.generation, second.generation);
    let list = backup_list(&dir).unwrap();
    assert_eq!(
        list.iter().map(|g| g.id.clone()).collect::<Vec<_>>(),
        vec![first.generation.clone(), second.generation.clone()]
    );
    assert_eq!(list[1].documents, 3);
    let report = backup_verify(&dir).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!((report.generations, report.blobs), (2, 3));
    assert_eq!(
        report.signing_public_key,
        hex::encode(v.signing_public_key().unwrap())
    );
    assert!(
        v.audit_entries(None)
            .unwrap()
            .iter()
            .any(|e| e.action == "backup.create")
    );

    let expected = contents(&mut v);
    let expected_docs = v.documents().unwrap();
    let vault_id = v.id();
    drop(v);

    // The newest generation, with the passphrase.
    let restored = tmp.path().join("restored");
    backup_restore(&dir, None, &restored).unwrap();
    let mut r = Vault::open(&restored, &Passphrase::new(PASS.into())).unwrap();
    assert_eq!(r.id(), vault_id);
    assert_eq!(r.documents().unwrap(), expected_docs);
    assert_eq!(contents(&mut r), expected);
    assert!(r.verify().unwrap().is_ok());
    drop(r);

    // The first generation, with the recovery key: two documents.
    let older = tmp.path().join("older");
    backup_restore(&dir, Some(&first.generation), &older).unwrap();
    let mut r = Vault::open_with_recovery_key(&older, &recovery).unwrap();
    let docs = contents(&mut r);
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| expected.contains(d)));

    // Never over existing files, never an unknown generation.
    assert!(matches!(
        backup_restore(&dir, None, &older),
        Err(Error::AlreadyExists(_))
    ));
    assert!(backup_restore(&dir, Some("2001-01-01T00-00-00Z"), &tmp.path().join("x")).is_err());
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn the_backup_holds_no_plaintext() {
    let (tmp, mut v, _, ids) = setup();
    let secret_text = b"Confidential supplier Zorglub SARL, IBAN FR7630006000011234567890189";
    v.import_reader("zorglub-invoice.txt", &secret_text[..], None)
        .unwrap();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();
    let mut needles: Vec<Vec<u8>> = vec![
        b"Zorglub".to_vec(),
        b"zorglub-invoice".to_vec(),
        b"SQLite format 3".to_vec(),
    ];
    for id in &ids {
        let (doc, bytes) = v.read_document(id).unwrap();
        needles.push(doc.name.into_bytes());
        // A distinctive run of the document's content.
        needles.push(bytes[bytes.len() / 2..bytes.len() / 2 + 24].to_vec());
    }
    let files = files_under(&dir);
    assert!(files.len() >= 3 + 5);
    for f in files {
        let data = fs::read(&f).unwrap();
        for n in &needles {
            assert!(
                !contains(&data, n),
                "{} holds {:?}",
                f.display(),
                String::from_utf8_lossy(n)
            );
        }
    }
}

#[test]
fn verify_names_an_altered_or_missing_blob() {
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();
    let blob = dir.join("blobs").join(&ids[0][..2]).join(&ids[0]);
    let mut bytes = fs::read(&blob).unwrap();
    bytes[100] ^= 0x01;
    fs::write(&blob, &bytes).unwrap();
    let missing = dir.join("blobs").join(&ids[1][..2]).join(&ids[1]);
    fs::remove_file(&missing).unwrap();

    let report = backup_verify(&dir).unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    let altered = report
        .problems
        .iter()
        .find(|p| p.item.contains(&ids[0]))
        .unwrap();
    assert!(altered.reason.starts_with("altered"), "{altered:?}");
    let gone = report
        .problems
        .iter()
        .find(|p| p.item.contains(&ids[1]))
        .unwrap();
    assert_eq!(gone.reason, "missing");
    // Restore refuses the damaged generation and leaves nothing behind.
    let to = tmp.path().join("restored");
    assert!(backup_restore(&dir, None, &to).is_err());
    assert!(!to.exists() && !tmp.path().join(".restored.part").exists());

    // An altered manifest is caught by its signature.
    fs::write(&blob, {
        bytes[100] ^= 0x01;
        &bytes
    })
    .unwrap();
    let g = backup_list(&dir).unwrap()[0].id.clone();
    let manifest = dir.join("generations").join(&g).join("manifest.json");
    let text = fs::read_to_string(&manifest)
        .unwrap()
        .replace(&ids[1], &ids[0]);
    fs::write(&manifest, text).unwrap();
    let report = backup_verify(&dir).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].reason.contains("signature"));
}

#[test]
fn an_interrupted_backup_is_cleaned_and_completed_by_the_next_run() {
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    let first = v.backup_create(&dir, &Rotation::default()).unwrap();
    // What a kill leaves: a half generation and a half-copied blob.
    let part = dir.join("generations/.2030-01-01T00-00-00Z.part");
    fs::create_dir_all(&part).unwrap();
    fs::write(part.join("index.db"), b"half").unwrap();
    let new = v
        .import_reader("late.txt", &b"imported after the first run"[..], None)
        .unwrap()
        .document()
        .id
        .clone();
    let shard = dir.join("blobs").join(&new[..2]);
    fs::create_dir_all(&shard).unwrap();
    let tmp_blob = shard.join(format!(".{new}.tmp"));
    fs::write(&tmp_blob, b"half a blob").unwrap();
    assert!(backup_verify(&dir).unwrap().is_ok());
    assert_eq!(backup_list(&dir).unwrap().len(), 1);

    let second = v.backup_create(&dir, &Rotation::default()).unwrap();
    assert!(!part.exists() && !tmp_blob.exists());
    assert_eq!(second.blobs_copied, 1);
    // The default rotation keeps only the newest of the day.
    assert_eq!(second.generations_removed, vec![first.generation]);
    let report = backup_verify(&dir).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.blobs, ids.len() as u64 + 1);
}

#[test]
fn a_blob_a_killed_run_renamed_but_never_synced_is_replaced() {
    // Blobs are synced together, just before the manifest: a kill (or a power cut) in
    // between leaves blobs under their names that no manifest lists, perhaps zeros of the
    // right length, perhaps cut short. The next run must not believe them.
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();
    let mut late = Vec::new();
    for (name, body) in [
        ("late-1.txt", "first late document"),
        ("late-2.txt", "second one"),
    ] {
        let id = v
            .import_reader(name, body.as_bytes(), None)
            .unwrap()
            .document()
            .id
            .clone();
        late.push(id);
    }
    let size = |id: &str| {
        fs::metadata(tmp.path().join("v/blobs").join(&id[..2]).join(id))
            .unwrap()
            .len()
    };
    let shard = |id: &str| dir.join("blobs").join(&id[..2]);
    fs::create_dir_all(shard(&late[0])).unwrap();
    fs::write(
        shard(&late[0]).join(&late[0]),
        vec![0u8; size(&late[0]) as usize],
    )
    .unwrap();
    fs::create_dir_all(shard(&late[1])).unwrap();
    fs::write(shard(&late[1]).join(&late[1]), b"cut").unwrap();

    std::thread::sleep(std::time::Duration::from_millis(1100)); // a new generation's name
    let second = v.backup_create(&dir, &Rotation::default()).unwrap();
    assert_eq!(second.blobs_copied, 2);
    let report = backup_verify(&dir).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.blobs, ids.len() as u64 + 2);
    for id in &late {
        assert_eq!(
            fs::read(shard(id).join(id)).unwrap(),
            fs::read(tmp.path().join("v/blobs").join(&id[..2]).join(id)).unwrap()
        );
    }
}

#[test]
fn disposal_reaches_the_backup() {
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    let keep_all = Rotation {
        last: 100,
        ..Rotation::default()
    };
    let first = v.backup_create(&dir, &keep_all).unwrap();
    let blob = dir.join("blobs").join(&ids[0][..2]).join(&ids[0]);
    assert!(blob.exists());
    let done = v
        .dispose(std::slice::from_ref(&ids[0]), false, Some("test"), None)
        .unwrap();
    assert!(done[0].disposed);
    let second = v.backup_create(&dir, &keep_all).unwrap();
    assert_eq!(second.disposed_removed, 1);
    assert_eq!(second.documents, 1);
    assert!(!blob.exists());
    // Every generation still verifies: the older one was re-signed without the blob.
    let report = backup_verify(&dir).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let list = backup_list(&dir).unwrap();
    assert_eq!((list[0].documents, list[0].disposed), (1, 1));

    let latest = tmp.path().join("latest");
    backup_restore(&dir, None, &latest).unwrap();
    let mut r = Vault::open(&latest, &Passphrase::new(PASS.into())).unwrap();
    let docs = r.documents().unwrap();
    assert_eq!(
        docs.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        vec![ids[1].clone()]
    );
    assert!(r.read_document(&ids[0]).is_err());
    assert!(r.tombstones().unwrap().iter().any(|t| t.id == ids[0]));
    drop(r);
    // The older generation was rewritten without it: no row, no content.
    let older = tmp.path().join("older");
    backup_restore(&dir, Some(&first.generation), &older).unwrap();
    let mut r = Vault::open(&older, &Passphrase::new(PASS.into())).unwrap();
    assert!(matches!(
        r.read_document(&ids[0]),
        Err(Error::NotFound { .. })
    ));
    assert!(r.read_document(&ids[1]).is_ok());
}

#[test]
fn a_folder_holds_one_vault() {
    let (tmp, mut v, _, _) = setup();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut other, _) = Vault::create(
        &tmp.path().join("other"),
        &Passphrase::new(PASS.into()),
        &opts,
    )
    .unwrap();
    let err = other.backup_create(&dir, &Rotation::default()).unwrap_err();
    assert!(err.to_string().contains("another vault"), "{err}");
    assert!(backup_list(&tmp.path().join("nothing")).is_err());
    // Nor inside the vault itself.
    let inside = v.dir().join("backups/here");
    let err = v.backup_create(&inside, &Rotation::default()).unwrap_err();
    assert!(err.to_string().contains("inside the vault"), "{err}");
    assert!(!v.dir().join("backups").exists());
}

/// A backup written into the watched import folder would be imported (and, with `--after
/// delete`, deleted) by the watcher: refused, wherever in that folder, even through a link.
#[test]
fn a_backup_into_the_import_folder_is_refused() {
    let (tmp, mut v, _, _) = setup();
    let watched = tmp.path().join("scans");
    std::fs::create_dir(&watched).unwrap();
    let watch = |recursive| coffre_core::intake::watch::WatchConfig {
        folder: watched.clone(),
        after: coffre_core::intake::watch::AfterImport::Delete,
        recursive,
    };
    v.set_watch_config(Some(&watch(false))).unwrap();
    let refused = |v: &mut Vault, target: &std::path::Path| {
        let err = v.backup_create(target, &Rotation::default()).unwrap_err();
        assert!(
            matches!(err, coffre_core::Error::OutputRefused { .. }),
            "{target:?}: {err}"
        );
    };
    refused(&mut v, &watched);
    // Watching sub-folders too: anywhere below.
    v.set_watch_config(Some(&watch(true))).unwrap();
    refused(&mut v, &watched.join("sub/backup"));
    #[cfg(unix)]
    {
        let link = tmp.path().join("looks-elsewhere");
        std::os::unix::fs::symlink(&watched, &link).unwrap();
        assert!(
            v.backup_create(&link.join("b"), &Rotation::default())
                .is_err()
        );
    }
    assert_eq!(
        std::fs::read_dir(&watched).unwrap().count(),
        0,
        "nothing written there"
    );
    // Elsewhere is fine.
    v.backup_create(&tmp.path().join("usb"), &Rotation::default())
        .unwrap();
}

#[test]
fn a_manifest_rewrite_cut_between_its_renames_is_completed() {
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    let keep_all = Rotation {
        last: 100,
        ..Rotation::default()
    };
    let first = v.backup_create(&dir, &keep_all).unwrap();
    let gen1 = dir.join("generations").join(&first.generation);
    let old_sig = fs::read(gen1.join("manifest.sig")).unwrap();
    v.dispose(std::slice::from_ref(&ids[0]), false, Some("test"), None)
        .unwrap();
    v.backup_create(&dir, &keep_all).unwrap();
    // As if killed after the new manifest.json was renamed but before manifest.sig was.
    fs::rename(gen1.join("manifest.sig"), gen1.join(".manifest.sig.tmp")).unwrap();
    fs::write(gen1.join("manifest.sig"), &old_sig).unwrap();
    assert!(!backup_verify(&dir).unwrap().is_ok());
    v.backup_create(&dir, &keep_all).unwrap();
    assert!(!gen1.join(".manifest.sig.tmp").exists());
    let report = backup_verify(&dir).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);

    // A planted rewrite that does not verify is discarded, not installed.
    fs::write(gen1.join(".manifest.json.tmp"), b"{}").unwrap();
    fs::write(gen1.join(".manifest.sig.tmp"), [0u8; 64]).unwrap();
    v.backup_create(&dir, &keep_all).unwrap();
    assert!(!gen1.join(".manifest.json.tmp").exists());
    assert!(backup_verify(&dir).unwrap().is_ok());
}

// Hostile backup folders (issue 12): nothing read past what the signed manifest says, no link
// followed, no panic on what a manifest holds.

/// The only generation's folder.
fn only_generation(dir: &Path) -> PathBuf {
    let g = backup_list(dir).unwrap()[0].id.clone();
    dir.join("generations").join(g)
}

#[test]
fn files_larger_than_listed_are_not_read() {
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();
    let gen_dir = only_generation(&dir);

    // A blob grown to 64 MiB (sparse): reported from its length; restore copies nothing of it
    // (it used to copy the whole file into the restored folder before comparing).
    let blob = dir.join("blobs").join(&ids[0][..2]).join(&ids[0]);
    let size = fs::metadata(&blob).unwrap().len();
    let saved = fs::read(&blob).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&blob)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let report = backup_verify(&dir).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(
        report.problems[0].reason,
        format!("altered: {} bytes, expected {size}", 64 << 20)
    );
    let to = tmp.path().join("restored");
    let err = backup_restore(&dir, None, &to).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("altered: {} bytes, expected {size}", 64 << 20)),
        "{err}"
    );
    assert!(!to.exists() && !tmp.path().join(".restored.part").exists());
    fs::write(&blob, &saved).unwrap();
    assert!(backup_verify(&dir).unwrap().is_ok());

    // A manifest past the limit (sparse): refused from its length, never loaded (it used to be
    // read whole into memory, whatever its size).
    let manifest = gen_dir.join("manifest.json");
    let saved = fs::read(&manifest).unwrap();
    let limit = coffre_core::backup::MAX_MANIFEST_BYTES;
    fs::OpenOptions::new()
        .write(true)
        .open(&manifest)
        .unwrap()
        .set_len(limit + 1)
        .unwrap();
    let report = backup_verify(&dir).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].item.ends_with("manifest.json")
            && report.problems[0]
                .reason
                .contains(&format!("larger than {limit} bytes")),
        "{:?}",
        report.problems
    );
    assert!(backup_list(&dir).is_err());
    assert!(backup_restore(&dir, None, &to).is_err());
    fs::write(&manifest, &saved).unwrap();

    // The folder's header, unsigned, is bounded too.
    let header = dir.join("coffre-backup.json");
    let saved = fs::read(&header).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&header)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    assert!(backup_verify(&dir).is_err());
    fs::write(&header, &saved).unwrap();
    assert!(backup_verify(&dir).unwrap().is_ok());
}

#[cfg(unix)]
#[test]
fn links_where_files_should_be_are_refused() {
    let (tmp, mut v, _, ids) = setup();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();

    // A blob replaced by a link to an identical copy outside the folder: it used to verify and
    // restore through the link (a link to /dev/zero or a pipe would hang both).
    let blob = dir.join("blobs").join(&ids[0][..2]).join(&ids[0]);
    let outside = tmp.path().join("outside");
    fs::rename(&blob, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &blob).unwrap();
    let report = backup_verify(&dir).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].item.contains(&ids[0])
            && report.problems[0].reason.contains("not a regular file"),
        "{:?}",
        report.problems
    );
    let to = tmp.path().join("restored");
    let err = backup_restore(&dir, None, &to).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert!(!to.exists() && !tmp.path().join(".restored.part").exists());
    fs::remove_file(&blob).unwrap();
    fs::rename(&outside, &blob).unwrap();

    // The manifest and the index snapshot, likewise.
    let gen_dir = only_generation(&dir);
    for name in ["manifest.json", "index.db"] {
        let file = gen_dir.join(name);
        fs::rename(&file, &outside).unwrap();
        std::os::unix::fs::symlink(&outside, &file).unwrap();
        let report = backup_verify(&dir).unwrap();
        assert_eq!(report.problems.len(), 1, "{name}: {:?}", report.problems);
        assert!(
            report.problems[0].item.ends_with(name)
                && report.problems[0].reason.contains("not a regular file"),
            "{:?}",
            report.problems
        );
        assert!(backup_restore(&dir, None, &to).is_err());
        fs::remove_file(&file).unwrap();
        fs::rename(&outside, &file).unwrap();
    }
    assert!(backup_verify(&dir).unwrap().is_ok());
}

#[test]
fn listing_survives_sizes_that_overflow() {
    let (tmp, mut v, _, _) = setup();
    let dir = tmp.path().join("backup");
    v.backup_create(&dir, &Rotation::default()).unwrap();
    // Listing reads manifests without their signatures: sizes summing past u64 (an edited or
    // damaged manifest) used to overflow (a panic in debug builds).
    let manifest = only_generation(&dir).join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    m["header"]["size"] = u64::MAX.into();
    m["index"]["size"] = u64::MAX.into();
    fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    let list = backup_list(&dir).unwrap();
    assert_eq!(list[0].bytes, u64::MAX);
    assert!(!backup_verify(&dir).unwrap().is_ok());
}

#[test]
fn a_signed_manifest_with_odd_ids_is_reported_not_a_panic() {
    use ring::signature::KeyPair;
    // A backup folder of our own making, signed with our own key (as a vault would sign it).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("backup");
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let vault_id = "6a3c9a7e-2f1b-4c55-9d2e-0b6f1a2c3d4e";
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("coffre-backup.json"),
        serde_json::json!({
            "format": "coffre-backup", "version": 1, "vault_id": vault_id,
            "signing_public_key": hex::encode(key.public_key().as_ref()),
            "created_at": "2026-01-01T00:00:00Z",
        })
        .to_string(),
    )
    .unwrap();
    let g = "2026-01-01T00-00-00Z";
    let gen_dir = dir.join("generations").join(g);
    fs::create_dir_all(&gen_dir).unwrap();
    let empty = serde_json::json!({ "sha256": hex::encode([0u8; 32]), "size": 0 });
    let blob = |id: &str| serde_json::json!({ "id": id, "sha256": "", "size": 0 });
    let manifest = serde_json::json!({
        "format": "coffre-backup-generation", "version": 1, "generation": g,
        "created_at": "2026-01-01T00:00:00Z", "vault_id": vault_id,
        "header": empty, "index": empty,
        // The euro sign's bytes straddle the shard's two: slicing there used to panic.
        "blobs": [blob("€uro"), blob("x"), blob("../../etc/passwd")],
    })
    .to_string();
    fs::write(gen_dir.join("manifest.json"), &manifest).unwrap();
    fs::write(
        gen_dir.join("manifest.sig"),
        key.sign(manifest.as_bytes()).as_ref(),
    )
    .unwrap();
    let report = backup_verify(&dir).unwrap();
    let odd: Vec<&str> = report
        .problems
        .iter()
        .filter(|p| p.reason == "not a document id")
        .map(|p| p.item.as_str())
        .collect();
    assert_eq!(odd.len(), 3, "{:?}", report.problems);
    let to = tmp.path().join("restored");
    assert!(backup_restore(&dir, None, &to).is_err());
    assert!(!to.exists());
}

/// The computer's clock `minutes` from now, in a zone with daylight saving (Paris).
fn paris_in(minutes: i64) -> jiff::ZonedDateTime {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap())
}

#[test]
fn the_schedule_says_when_a_backup_is_due_and_when_one_was_missed() {
    use coffre_core::storage::settings::Setting;
    let (tmp, mut v, _, _) = setup();
    // No folder chosen yet: nothing is ever due, whatever the schedule.
    let status = v.backup_status_at(&paris_in(0)).unwrap();
    assert_eq!(status.schedule, "daily 12:30");
    assert!(!status.due && !status.missed && status.overdue);
    v.backup_create(&tmp.path().join("b"), &Rotation::default())
        .unwrap();
    // Just backed up: the next occurrence is ahead, nothing is due.
    let status = v.backup_status_at(&paris_in(0)).unwrap();
    assert!(!status.due && !status.missed && !status.overdue);
    assert!(status.next_at.is_some());
    // Every day at the time it is two hours from now: due once that time has passed.
    let in_two_hours = paris_in(120);
    let at = format!(
        "daily {:02}:{:02}",
        in_two_hours.hour(),
        in_two_hours.minute()
    );
    v.set_setting(Setting::BackupSchedule, &at).unwrap();
    let status = v.backup_status_at(&paris_in(119)).unwrap();
    assert!(!status.due, "not before its time");
    let status = v.backup_status_at(&paris_in(130)).unwrap();
    assert!(status.due && !status.missed, "due at its time: {status:?}");
    // Not made within the hour (the computer was off, the disk unplugged): missed.
    let status = v.backup_status_at(&paris_in(200)).unwrap();
    assert!(status.due && status.missed);
    // A scheduled backup that fails is missed at once, until one succeeds.
    let status = v.backup_status_at(&paris_in(130)).unwrap();
    assert!(!status.missed);
    v.backup_failed_at("the backup folder is not available", &paris_in(125))
        .unwrap();
    let status = v.backup_status_at(&paris_in(130)).unwrap();
    assert!(
        status.due && status.missed,
        "a failure is a miss: {status:?}"
    );
    // Turned off, nothing is due.
    v.set_setting(Setting::BackupSchedule, "off").unwrap();
    let status = v.backup_status_at(&paris_in(200)).unwrap();
    assert!(!status.due && !status.missed && status.next_at.is_none());
    assert!(
        v.set_setting(Setting::BackupSchedule, "daily 25:00")
            .is_err()
    );
}
