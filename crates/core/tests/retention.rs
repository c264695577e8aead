//! Retention in the vault: dates, holds, restriction, disposal by crypto-shredding.

use std::path::PathBuf;

use coffre_core::records::retention::{Category, parse_date};
use coffre_core::storage::settings::Setting;
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, SearchQuery, Vault};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

const PASS: &str = "retention test pass";

fn setup() -> (tempfile::TempDir, PathBuf, Vault, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut v, _) = Vault::create(&dir, &Passphrase::new(PASS.into()), &opts).unwrap();
    let ubl = v
        .import_file(&fixture("ubl-invoice-eur.xml"), None)
        .unwrap()
        .document()
        .id
        .clone();
    let cii = v
        .import_file(&fixture("cii-creditnote-usd.xml"), None)
        .unwrap()
        .document()
        .id
        .clone();
    (tmp, dir, v, ubl, cii)
}

#[test]
fn dates_follow_issue_date_category_and_settings() {
    let (_t, _d, mut v, ubl, cii) = setup();
    let r = v.retention_of(&ubl).unwrap();
    assert_eq!(
        (r.category.as_str(), r.retain_until.as_str()),
        ("invoice-received", "2036-12-31")
    );
    assert_eq!(v.retention_of(&cii).unwrap().category, "credit-note");

    v.correct(&ubl, "issue_date", Some("2027-01-02")).unwrap();
    assert_eq!(v.retention_of(&ubl).unwrap().retain_until, "2037-12-31");
    v.set_setting(Setting::parse("fiscal-year-end").unwrap(), "06-30")
        .unwrap();
    assert_eq!(v.retention_of(&ubl).unwrap().retain_until, "2037-06-30");
    v.set_setting(Setting::parse("jurisdiction").unwrap(), "germany")
        .unwrap();
    assert_eq!(v.retention_of(&ubl).unwrap().retain_until, "2035-06-30");
    // The owner's own VAT id makes the seller's invoices "issued".
    v.set_setting(Setting::parse("owner-ids").unwrap(), "FR44732829320")
        .unwrap();
    assert_eq!(v.retention_of(&ubl).unwrap().category, "invoice-issued");
    v.set_category(&ubl, Category::Contract).unwrap();
    v.set_setting(Setting::parse("jurisdiction").unwrap(), "france")
        .unwrap();
    let r = v.retention_of(&ubl).unwrap();
    assert_eq!(
        (r.category.as_str(), r.retain_until.as_str()),
        ("contract", "2037-06-30"),
        "owner's category kept"
    );
    assert!(
        v.set_setting(Setting::parse("fiscal-year-end").unwrap(), "02-30")
            .is_err()
    );
    assert!(v.verify_audit().unwrap().faults.is_empty());
}

#[test]
fn disposal_is_refused_under_hold_and_before_the_date() {
    let (_t, _d, mut v, ubl, _) = setup();
    let before = v
        .dispose(std::slice::from_ref(&ubl), false, None, None)
        .unwrap();
    assert!(!before[0].disposed);
    assert!(
        before[0].reason.contains("must be kept until 2036-12-31"),
        "{}",
        before[0].reason
    );

    v.hold(&ubl, "tax audit 2027").unwrap();
    let held = v
        .dispose(std::slice::from_ref(&ubl), false, Some("owner asked"), None)
        .unwrap();
    assert!(!held[0].disposed && held[0].reason.contains("legal hold"));
    let later = parse_date("2040-01-01").unwrap();
    assert!(
        v.dispose(&[], true, None, Some(later))
            .unwrap()
            .iter()
            .all(|d| !d.disposed || d.id != ubl)
    );
    assert!(
        v.document(&ubl).is_ok(),
        "a held document survives even --due in 2040"
    );
    assert!(matches!(v.hold(&ubl, "  "), Err(Error::Invalid { .. })));
    v.release(&ubl).unwrap();
    let status = v.retention_status(Some(later)).unwrap();
    assert_eq!(status.due.len(), 1);
    assert!(status.on_hold.is_empty());
}

#[test]
fn disposal_shreds_the_key_and_an_old_blob_copied_back_reveals_nothing() {
    let (_t, dir, mut v, ubl, cii) = setup();
    let blob = dir.join("blobs").join(&ubl[..2]).join(&ubl);
    let saved = std::fs::read(&blob).unwrap();
    let out = v
        .dispose(
            std::slice::from_ref(&ubl),
            false,
            Some("duplicate of a paper copy"),
            None,
        )
        .unwrap();
    assert!(out[0].disposed, "{:?}", out);
    assert!(!blob.exists());
    assert!(matches!(v.read_document(&ubl), Err(Error::NotFound { .. })));
    let t = v.tombstones().unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].id.as_str(), t[0].overridden), (ubl.as_str(), true));
    assert_eq!(t[0].reason, "duplicate of a paper copy");
    assert!(
        v.search(&SearchQuery {
            text: "ACME".into(),
            ..Default::default()
        })
        .unwrap()
        .is_empty()
    );
    let last = v.audit_entries(Some(&ubl)).unwrap().pop().unwrap();
    assert_eq!(last.action, "document.dispose");
    assert_eq!(last.detail["override"], true);

    // The old blob, copied back: no key exists for it any more; the next open moves it to
    // quarantine (open never deletes), where it is noise until the owner purges it.
    std::fs::write(&blob, &saved).unwrap();
    assert!(matches!(v.read_document(&ubl), Err(Error::NotFound { .. })));
    drop(v);
    let mut v = Vault::open(&dir, &Passphrase::new(PASS.into())).unwrap();
    assert!(!blob.exists(), "an orphan blob is moved aside on open");
    assert_eq!(v.quarantine().unwrap().blobs, vec![ubl.clone()]);
    assert!(v.quarantine().unwrap().reattachable.is_empty());
    assert!(v.verify().unwrap().is_ok(), "no document depends on it");
    assert_eq!(v.purge_quarantine(&[]).unwrap(), vec![ubl.clone()]);
    assert!(v.quarantine().unwrap().blobs.is_empty());
    assert_eq!(v.documents().unwrap().len(), 1);
    assert_eq!(v.document(&cii).unwrap().id, cii);
    // The plaintext is not in the vault folder anywhere (index and WAL included).
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(12).any(|w| w == b"FA-2026-0001"),
            "{}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn restriction_hides_from_search_until_lifted() {
    let (_t, _d, mut v, ubl, _) = setup();
    let q = SearchQuery {
        text: "ACME".into(),
        ..Default::default()
    };
    assert_eq!(v.search(&q).unwrap().len(), 1);
    v.restrict(&ubl, "accuracy contested by the data subject")
        .unwrap();
    assert!(v.search(&q).unwrap().is_empty());
    assert!(
        v.search(&SearchQuery::default())
            .unwrap()
            .iter()
            .all(|h| h.document.id != ubl)
    );
    let all = SearchQuery {
        include_restricted: true,
        ..q.clone()
    };
    assert_eq!(
        v.search(&all).unwrap().len(),
        1,
        "the owner's subject searches still find it"
    );
    assert_eq!(v.retention_status(None).unwrap().restricted.len(), 1);
    v.unrestrict(&ubl).unwrap();
    assert_eq!(v.search(&q).unwrap().len(), 1);
    let actions: Vec<String> = v
        .audit_entries(Some(&ubl))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.ends_with(&[
        "document.restrict".to_owned(),
        "document.unrestrict".to_owned()
    ]));
}

#[test]
fn erasure_disposes_of_what_no_duty_keeps_and_restricts_the_rest() {
    let (_t, _d, mut v, ubl, cii) = setup();
    // The credit note dates from 2010: its retention ended long ago.
    v.correct(&cii, "issue_date", Some("2010-01-05")).unwrap();
    let out = v.erase_subject("Logiciels Martin", Some(7)).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].id.as_str(), out[0].action),
        (cii.as_str(), "disposed")
    );
    assert!(v.document(&cii).is_err());
    let out = v.erase_subject("ACME", Some(8)).unwrap();
    assert_eq!(
        (out[0].id.as_str(), out[0].action),
        (ubl.as_str(), "restricted")
    );
    assert!(
        out[0].reason.contains("until 2036-12-31"),
        "{}",
        out[0].reason
    );
    assert!(
        v.tombstones().unwrap()[0]
            .reason
            .contains("retention ended")
    );
}

/// An e-invoice claiming an issue date of 1990 would be due the day it is imported: an
/// implausible date counts from the import until the owner confirms it, so nothing is due and
/// nothing is disposed of; once confirmed, the owner's date counts.
#[test]
fn an_implausible_issue_date_never_makes_a_document_due_by_itself() {
    let (tmp, _dir, mut v, _, _) = setup();
    let xml = std::fs::read_to_string(fixture("ubl-invoice-eur.xml"))
        .unwrap()
        .replace(
            "<cbc:IssueDate>2026-10-14</cbc:IssueDate>",
            "<cbc:IssueDate>1990-01-01</cbc:IssueDate>",
        )
        .replace("FA-2026-0001", "FA-1990-0001");
    assert!(xml.contains("1990-01-01"));
    let path = tmp.path().join("old.xml");
    std::fs::write(&path, xml).unwrap();
    let id = v.import_file(&path, None).unwrap().document().id.clone();
    assert_eq!(v.details(&id).unwrap().fields["issue_date"], "1990-01-01");
    let row = v.retention_of(&id).unwrap();
    assert!(
        row.retain_until.as_str() > "2036-01-01",
        "{}",
        row.retain_until
    );
    assert!(v.retention_status(None).unwrap().due.is_empty());
    assert!(v.dispose(&[], true, None, None).unwrap().is_empty());
    // The owner confirms the date: now it counts, and the document is due.
    v.correct(&id, "issue_date", Some("1990-01-01")).unwrap();
    assert_eq!(v.retention_of(&id).unwrap().retain_until, "2000-12-31");
    assert_eq!(v.retention_status(None).unwrap().due.len(), 1);
}
