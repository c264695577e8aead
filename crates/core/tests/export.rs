//! The full plaintext export.

use std::fs;
use std::path::PathBuf;

use coffre_core::privacy::export::CSV_COLUMNS;
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, Vault};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

fn setup() -> (tempfile::TempDir, Vault, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut v, _) = Vault::create(
        &tmp.path().join("v"),
        &Passphrase::new("export test pass".into()),
        &opts,
    )
    .unwrap();
    let mut ids = Vec::new();
    for f in [
        "ubl-invoice-eur.xml",
        "cii-creditnote-usd.xml",
        "ghostscript-invoice-fr.pdf",
    ] {
        ids.push(
            v.import_file(&fixture(f), None)
                .unwrap()
                .document()
                .id
                .clone(),
        );
    }
    // A name no file system accepts as is.
    ids.push(
        v.import_reader("a/b:c?.txt", &b"odd name"[..], None)
            .unwrap()
            .document()
            .id
            .clone(),
    );
    v.correct(&ids[0], "number", Some("=HACK-1")).unwrap();
    (tmp, v, ids)
}

#[test]
fn export_round_trips_every_document_and_writes_readable_data() {
    let (tmp, mut v, ids) = setup();
    let out = tmp.path().join("export");
    let summary = v.export_all(&out).unwrap();
    assert_eq!(summary.documents, 4);
    let docs = v.documents().unwrap();
    assert_eq!(summary.bytes, docs.iter().map(|d| d.size).sum::<u64>());
    assert!(!tmp.path().join(".export.part").exists());

    // Every document byte-identical.
    let files: Vec<_> = fs::read_dir(out.join("documents"))
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(files.len(), ids.len());
    for id in &ids {
        let (doc, bytes) = v.read_document(id).unwrap();
        let file = files
            .iter()
            .find(|f| f.file_name().to_string_lossy().starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("{} not exported", doc.name));
        assert_eq!(fs::read(file.path()).unwrap(), *bytes, "{}", doc.name);
        let fields: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(format!("fields/{id}.json"))).unwrap())
                .unwrap();
        assert_eq!(fields["id"], id.as_str());
    }
    let odd = files
        .iter()
        .find(|f| f.file_name().to_string_lossy().starts_with(ids[3].as_str()))
        .unwrap();
    assert_eq!(
        odd.file_name().to_string_lossy(),
        format!("{}-a-b-c.txt", ids[3])
    );

    // The CSV: BOM, header, one row per document, the formula defused.
    let csv = fs::read(out.join("documents.csv")).unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(";"));
    assert_eq!(text.matches("\r\n").count(), 1 + ids.len());
    assert!(text.contains(";'=HACK-1;"), "{text}");

    // The JSON files parse.
    let documents: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("documents.json")).unwrap()).unwrap();
    assert_eq!(documents.as_array().unwrap().len(), ids.len());
    let fields0: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(format!("fields/{}.json", ids[0]))).unwrap())
            .unwrap();
    assert_eq!(fields0["fields"]["number"], "=HACK-1");
    assert_eq!(fields0["corrections"].as_array().unwrap().len(), 1);
    for f in [
        "consents.json",
        "requests.json",
        "tombstones.json",
        "audit.json",
    ] {
        let _: serde_json::Value = serde_json::from_slice(&fs::read(out.join(f)).unwrap())
            .unwrap_or_else(|e| {
                panic!("{f}: {e}");
            });
    }
    let consents: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("consents.json")).unwrap()).unwrap();
    assert!(consents["consents"].is_array() && consents["history"].is_array());
    let audit: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("audit.json")).unwrap()).unwrap();
    assert!(audit.as_array().unwrap().len() >= 5);
    assert!(
        fs::read_to_string(out.join("README.txt"))
            .unwrap()
            .contains("documents.csv")
    );

    // Recorded in the audit trail with its counts.
    let entries = v.audit_entries(None).unwrap();
    let export = entries
        .iter()
        .rev()
        .find(|e| e.action == "vault.export")
        .expect("vault.export entry");
    let detail = serde_json::to_value(export).unwrap();
    assert!(detail.to_string().contains("\"documents\":4"), "{detail}");
}

#[test]
fn export_into_an_empty_folder_and_refuses_a_non_empty_one() {
    let (tmp, mut v, _) = setup();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_eq!(v.export_all(&empty).unwrap().documents, 4);

    let full = tmp.path().join("full");
    fs::create_dir(&full).unwrap();
    fs::write(full.join("keep.txt"), b"mine").unwrap();
    assert!(matches!(
        v.export_all(&full),
        Err(Error::OutputRefused { .. })
    ));
    assert_eq!(fs::read_dir(&full).unwrap().count(), 1);
    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    assert!(matches!(
        v.export_all(&file),
        Err(Error::OutputRefused { .. })
    ));
    // A leftover of an interrupted export is replaced, and never left under the final name.
    let leftover = tmp.path().join(".again.part");
    fs::create_dir(&leftover).unwrap();
    fs::write(leftover.join("half"), b"x").unwrap();
    v.export_all(&tmp.path().join("again")).unwrap();
    assert!(!leftover.exists());
    assert!(!tmp.path().join("again/half").exists());
}
