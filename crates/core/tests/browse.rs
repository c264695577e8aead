//! The desktop app's queries over the core: the documents table a page at a time with the
//! totals of the selection, bundle previews, the audit log newest first, the passphrase
//! estimate and check, and the remembered import folder.

use coffre_core::intake::watch::{AfterImport, WatchConfig, failed_files};
use coffre_core::records::sample::{Rng, invoice};
use coffre_core::sharing::bundle::BundleRequest;
use coffre_core::sharing::consent::Grant;
use coffre_core::vault::browse::BrowseQuery;
use coffre_core::{CreateOptions, Error, KdfParams, Passphrase, Vault};

const PASS: &str = "browse test passphrase";

fn vault(tmp: &tempfile::TempDir) -> Vault {
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    Vault::create(&tmp.path().join("v"), &Passphrase::new(PASS.into()), &opts)
        .unwrap()
        .0
}

/// `n` generated UBL invoices of 2024 and 2025; returns their (number, xml).
fn fill(v: &mut Vault, n: u64) -> Vec<(String, String)> {
    let mut rng = Rng(7);
    (0..n)
        .map(|i| {
            let (number, xml) = invoice(i, 2024..2026, &mut rng);
            v.import_reader(&format!("{number}.xml"), xml.as_bytes(), None)
                .unwrap();
            (number, xml)
        })
        .collect()
}

fn total_cents(xml: &str) -> i64 {
    let start = xml.find("<cbc:TaxInclusiveAmount").unwrap();
    let value = &xml[start..];
    let value = &value[value.find('>').unwrap() + 1..value.find("</").unwrap()];
    let (e, c) = value.split_once('.').unwrap();
    e.parse::<i64>().unwrap() * 100 + c.parse::<i64>().unwrap()
}

#[test]
fn pages_join_without_gaps_and_totals_cover_the_whole_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    let docs = fill(&mut v, 230);
    let q = BrowseQuery::default();

    let mut seen = Vec::new();
    for offset in (0..230).step_by(100) {
        let page = v.browse(&q, offset, 100).unwrap();
        assert_eq!(page.total, 230);
        assert_eq!(page.offset, offset);
        seen.extend(page.rows);
    }
    assert_eq!(seen.len(), 230);
    let mut ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 230, "no row twice across pages");
    let dates: Vec<&str> = seen
        .iter()
        .map(|r| r.issue_date.as_deref().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest issue date first"
    );

    let totals = v.browse_totals(&q).unwrap();
    assert_eq!(totals.count, 230);
    assert_eq!(totals.by_currency.len(), 1);
    let eur = &totals.by_currency[0];
    assert_eq!(eur.currency, "EUR");
    assert_eq!(eur.count, 230);
    let expected: i64 = docs.iter().map(|(_, x)| total_cents(x)).sum();
    assert_eq!(
        eur.amount,
        format!("{}.{:02}", expected / 100, expected % 100)
    );

    // A year filter and a text search narrow both the page and the totals.
    let y2024 = BrowseQuery {
        from: Some("2024".into()),
        to: Some("2024".into()),
        ..Default::default()
    };
    let page = v.browse(&y2024, 0, 1000).unwrap();
    assert!(
        page.rows
            .iter()
            .all(|r| r.issue_date.as_deref().unwrap().starts_with("2024"))
    );
    assert_eq!(v.browse_totals(&y2024).unwrap().count, page.total);
    let (number, _) = &docs[17];
    let hit = v
        .browse(
            &BrowseQuery {
                text: number.clone(),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(hit.total, 1);
    assert_eq!(hit.rows[0].number.as_deref(), Some(number.as_str()));
}

#[test]
fn totals_past_the_range_of_64_bits_stay_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    let mut rng = Rng(11);
    for i in 0..2 {
        let (_, xml) = invoice(i, 2025..2026, &mut rng);
        // 900 trillion: 9e18 in ten-thousandths, twice past i64::MAX (9.22e18) when summed.
        let start = xml.find("<cbc:TaxInclusiveAmount").unwrap();
        let open = start + xml[start..].find('>').unwrap() + 1;
        let close = open + xml[open..].find('<').unwrap();
        let xml = format!("{}900000000000000.00{}", &xml[..open], &xml[close..]);
        v.import_reader(&format!("big-{i}.xml"), xml.as_bytes(), None)
            .unwrap();
    }
    let totals = v.browse_totals(&BrowseQuery::default()).unwrap();
    assert_eq!(totals.by_currency.len(), 1);
    assert_eq!(totals.by_currency[0].amount, "1800000000000000.00");
    assert_eq!(totals.by_currency[0].count, 2);
}

#[test]
fn status_filters_and_restricted_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    fill(&mut v, 5);
    let all = v.browse(&BrowseQuery::default(), 0, 10).unwrap().rows;
    v.hold(&all[0].id, "tax audit 2025").unwrap();
    v.restrict(&all[1].id, "art. 18 request").unwrap();
    let status = |s: &str| BrowseQuery {
        status: Some(s.into()),
        ..Default::default()
    };

    let held = v.browse(&status("hold"), 0, 10).unwrap().rows;
    assert_eq!(held.len(), 1);
    assert!(held[0].on_hold);
    // Restricted documents leave the table and its totals, except under their own filter.
    assert_eq!(v.browse(&BrowseQuery::default(), 0, 10).unwrap().total, 4);
    assert_eq!(v.browse_totals(&BrowseQuery::default()).unwrap().count, 4);
    let restricted = v.browse(&status("restricted"), 0, 10).unwrap().rows;
    assert_eq!(restricted.len(), 1);
    assert_eq!(restricted[0].id, all[1].id);
    assert!(restricted[0].restricted);
    // Nothing of 2024-2025 is past a ten-year retention.
    assert_eq!(v.browse(&status("due"), 0, 10).unwrap().total, 0);
    let by_category = BrowseQuery {
        category: Some("invoice-received".into()),
        ..Default::default()
    };
    assert_eq!(v.browse(&by_category, 0, 10).unwrap().total, 4);
    assert!(matches!(
        v.browse(&status("lost"), 0, 10),
        Err(Error::Invalid { .. })
    ));
    assert!(
        v.browse(
            &BrowseQuery {
                category: Some("napkins".into()),
                ..Default::default()
            },
            0,
            10
        )
        .is_err()
    );
}

#[test]
fn bundle_preview_matches_what_create_writes_and_records_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    fill(&mut v, 12);
    let out = tmp.path().join("b.zip");
    let req = |since_last: bool| BundleRequest {
        recipient: "Cabinet Durand".into(),
        purpose: None,
        period: "2024-01-01..2025-12-31".into(),
        categories: Vec::new(),
        since_last,
        password: None,
        decimal_comma: false,
        preset: Default::default(),
        out: out.clone(),
    };
    let before = v.audit_entries(None).unwrap().len();
    let p = v.bundle_preview(&req(false)).unwrap();
    assert!(p.consent.is_none(), "no consent recorded yet");
    assert_eq!(p.documents, 12);
    assert_eq!(
        v.audit_entries(None).unwrap().len(),
        before,
        "a preview is not audited"
    );
    assert!(!out.exists());

    v.consent_grant(&Grant {
        party: "cabinet durand".into(),
        purpose: "bookkeeping".into(),
        ..Default::default()
    })
    .unwrap();
    let p = v.bundle_preview(&req(false)).unwrap();
    assert_eq!(
        p.consent.as_ref().map(|c| c.party.as_str()),
        Some("cabinet durand")
    );
    let totals = v
        .browse_totals(&BrowseQuery {
            from: Some("2024".into()),
            to: Some("2025".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(p.by_currency, totals.by_currency);
    let summary = v.bundle_create(&req(false), &mut |_| {}).unwrap();
    assert_eq!(summary.document_ids, p.document_ids);
    // Everything was sent: a since-last preview now skips it all.
    let again = v.bundle_preview(&req(true)).unwrap();
    assert_eq!((again.documents, again.unchanged_skipped), (0, 12));
}

#[test]
fn audit_pages_go_backwards_without_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    fill(&mut v, 30);
    let all = v.audit_entries(None).unwrap();
    let first = v.audit_page(None, 10).unwrap();
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].seq, all.last().unwrap().seq, "newest first");
    let second = v.audit_page(Some(first[9].seq), 10).unwrap();
    assert_eq!(second[0].seq, first[9].seq - 1);
    let mut seqs: Vec<i64> = v
        .audit_page(None, 10_000)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    seqs.reverse();
    assert_eq!(seqs, all.iter().map(|e| e.seq).collect::<Vec<_>>());
}

#[test]
fn passphrase_check_and_strength() {
    let tmp = tempfile::tempdir().unwrap();
    let v = vault(&tmp);
    v.check_passphrase(&Passphrase::new(PASS.into())).unwrap();
    assert!(matches!(
        v.check_passphrase(&Passphrase::new("not it at all".into())),
        Err(Error::WrongPassphrase)
    ));
    let weak = Passphrase::new("password1".into()).strength();
    assert!(weak.score <= 1 && !weak.acceptable, "{weak:?}");
    let short = Passphrase::new("x9$Lq".into()).strength();
    assert!(!short.acceptable, "too short whatever its score");
    let strong = Passphrase::new("orange tractor velvet mountain 42".into()).strength();
    assert!(strong.score >= 3 && strong.acceptable, "{strong:?}");
    assert!(strong.guesses_log10 > weak.guesses_log10);
}

#[test]
fn the_import_folder_is_remembered_and_failed_files_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    assert_eq!(v.watch_config().unwrap(), None);
    let folder = tmp.path().join("inbox");
    std::fs::create_dir_all(folder.join("Failed")).unwrap();
    let config = WatchConfig {
        folder: folder.clone(),
        after: AfterImport::Move,
        recursive: true,
    };
    v.set_watch_config(Some(&config)).unwrap();
    drop(v);
    let mut v = Vault::open(&tmp.path().join("v"), &Passphrase::new(PASS.into())).unwrap();
    assert_eq!(v.watch_config().unwrap(), Some(config));
    v.set_watch_config(None).unwrap();
    assert_eq!(v.watch_config().unwrap(), None);

    std::fs::write(folder.join("Failed/b.pdf"), b"x").unwrap();
    std::fs::write(
        folder.join("Failed/b.pdf.reason.txt"),
        "larger than the limit\n\nmore",
    )
    .unwrap();
    std::fs::write(folder.join("Failed/a.pdf"), b"x").unwrap();
    let failed = failed_files(&folder, 10);
    assert_eq!(failed.len(), 2);
    assert_eq!(
        (failed[0].name.as_str(), failed[0].reason.as_str()),
        ("a.pdf", "")
    );
    assert_eq!(
        (failed[1].name.as_str(), failed[1].reason.as_str()),
        ("b.pdf", "larger than the limit")
    );
    assert_eq!(failed_files(&folder, 1).len(), 1);
    assert!(failed_files(&tmp.path().join("nowhere"), 10).is_empty());
}

#[test]
fn an_import_folder_never_reaches_the_vault_or_its_backups() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    let cfg = |folder: std::path::PathBuf, recursive: bool| WatchConfig {
        folder,
        after: AfterImport::Delete,
        recursive,
    };
    let vault_dir = tmp.path().join("v");
    for (folder, recursive) in [
        (vault_dir.clone(), false),
        (vault_dir.join("blobs"), false),
        (tmp.path().to_path_buf(), true),
    ] {
        let err = v.set_watch_config(Some(&cfg(folder.clone(), recursive)));
        assert!(
            matches!(err, Err(Error::Invalid { .. })),
            "{folder:?} {recursive}"
        );
    }
    // The parent without sub-folders never reads the vault: allowed.
    v.set_watch_config(Some(&cfg(tmp.path().to_path_buf(), false)))
        .unwrap();
    let backups = tmp.path().join("backups");
    v.backup_create(&backups, &Default::default()).unwrap();
    assert!(
        v.set_watch_config(Some(&cfg(backups.clone(), false)))
            .is_err()
    );
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    v.set_watch_config(Some(&cfg(inbox, true))).unwrap();
}

#[test]
fn auto_lock_setting_is_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(&tmp);
    assert_eq!(
        v.auto_lock_minutes().unwrap(),
        coffre_core::vault::DEFAULT_AUTO_LOCK_MINUTES
    );
    v.set_auto_lock_minutes(0).unwrap();
    assert_eq!(v.auto_lock_minutes().unwrap(), 0);
    assert!(v.set_auto_lock_minutes(24 * 60 + 1).is_err());
    assert_eq!(v.auto_lock_minutes().unwrap(), 0);
}
