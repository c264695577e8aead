//! The documents table's keyset paging and its per-filter memory (counts, totals, anchors):
//! every page and every total, after any change, is what a vault opened afresh computes.

use coffre_core::records::sample::{Rng, invoice};
use coffre_core::vault::browse::{BrowseQuery, Page, Totals};
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};
use serde_json::Value;

const PASS: &str = "browse cache passphrase";

fn create(dir: &std::path::Path) -> Vault {
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    Vault::create(dir, &Passphrase::new(PASS.into()), &opts)
        .unwrap()
        .0
}

/// Invoices `from..to` (dated) and, every tenth, a note with no date.
fn add(v: &mut Vault, from: u64, to: u64) {
    let mut rng = Rng(from + 11);
    for i in from..to {
        let (number, xml) = invoice(i, 2020..2026, &mut rng);
        v.import_reader(&format!("{number}.xml"), xml.as_bytes(), None)
            .unwrap();
        if i % 10 == 0 {
            let note = format!("note {i}: nothing dated here");
            v.import_reader(&format!("note-{i}.txt"), note.as_bytes(), None)
                .unwrap();
        }
    }
}

fn queries() -> Vec<BrowseQuery> {
    vec![
        BrowseQuery::default(),
        BrowseQuery {
            from: Some("2023".into()),
            to: Some("2024".into()),
            ..Default::default()
        },
        BrowseQuery {
            text: "note".into(),
            ..Default::default()
        },
        BrowseQuery {
            status: Some("restricted".into()),
            ..Default::default()
        },
    ]
}

/// Pages at offsets that fall on, just before and just after anchors and the first undated
/// row, and past the end; then the totals.
fn snapshot(v: &Vault, q: &BrowseQuery) -> Value {
    let total = v.browse(q, 0, 1).unwrap().total;
    let mut offsets = vec![0, 1, 99, 255, 256, 257, 300, 511, 512, 513, total + 5];
    offsets.extend([total.saturating_sub(1), total.saturating_sub(40)]);
    let pages: Vec<Page> = offsets
        .iter()
        .map(|&o| v.browse(q, o, 70).unwrap())
        .collect();
    let totals: Totals = v.browse_totals(q).unwrap();
    serde_json::json!({ "pages": pages, "totals": totals })
}

/// Every query's pages and totals from `v` (its cache warm), then from the vault opened again
/// (a cold cache): the same. Returns the vault opened again.
fn same_as_fresh(v: Vault, dir: &std::path::Path, when: &str) -> Vault {
    // The count of documents kept by triggers (schema 17), which every commit records in the
    // vault's head record, is the documents table's own.
    let head: Value =
        serde_json::from_slice(&std::fs::read(dir.join("head.json")).unwrap()).unwrap();
    assert_eq!(
        head["documents"].as_u64(),
        Some(v.documents().unwrap().len() as u64),
        "{when}: the kept count of documents"
    );
    let cached: Vec<Value> = queries().iter().map(|q| snapshot(&v, q)).collect();
    drop(v);
    let fresh = Vault::open(dir, &Passphrase::new(PASS.into())).unwrap();
    for (q, c) in queries().iter().zip(&cached) {
        assert_eq!(&snapshot(&fresh, q), c, "{when}: {q:?}");
    }
    fresh
}

#[test]
fn pages_anywhere_are_slices_of_one_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = create(&tmp.path().join("v"));
    add(&mut v, 0, 600);
    let q = BrowseQuery::default();
    let first = v.browse(&q, 0, 1000).unwrap();
    assert_eq!(first.total, 660);
    assert_eq!(first.rows.len(), 660);
    // Dated rows first, newest first, then the undated ones; ids break ties downwards.
    let keys: Vec<(Option<String>, String)> = first
        .rows
        .iter()
        .map(|r| (r.issue_date.clone(), r.id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => y.cmp(x).then(b.1.cmp(&a.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.1.cmp(&a.1),
    });
    assert_eq!(keys, sorted);
    assert_eq!(keys.iter().filter(|k| k.0.is_none()).count(), 60);
    // Any offset and size, in any order (anchors built by the first deep page).
    for (offset, limit) in [
        (599, 3),
        (257, 100),
        (0, 7),
        (598, 62),
        (600, 60),
        (611, 100),
        (256, 1),
        (513, 200),
        (659, 10),
        (660, 10),
    ] {
        let page = v.browse(&q, offset, limit).unwrap();
        let want: Vec<&str> = first.rows[(offset as usize).min(660)..]
            .iter()
            .take(limit as usize)
            .map(|r| r.id.as_str())
            .collect();
        let got: Vec<&str> = page.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(got, want, "offset {offset}, limit {limit}");
    }
}

#[test]
fn remembered_figures_follow_every_change() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let mut v = create(&dir);
    add(&mut v, 0, 560);
    for q in queries() {
        snapshot(&v, &q); // remembered from here on
    }
    // Added documents (counted in, anchors shifted).
    add(&mut v, 560, 700);
    let mut v = same_as_fresh(v, &dir, "after imports");
    for q in queries() {
        snapshot(&v, &q);
    }
    // A correction of an amount and of a date, a restriction, a disposal.
    let rows = v.browse(&BrowseQuery::default(), 0, 500).unwrap().rows;
    let dated: Vec<&str> = rows
        .iter()
        .filter(|r| r.issue_date.is_some())
        .map(|r| r.id.as_str())
        .collect();
    v.correct(dated[3], "total_with_vat", Some("123456.78"))
        .unwrap();
    let mut v = same_as_fresh(v, &dir, "after a corrected total");
    for q in queries() {
        snapshot(&v, &q);
    }
    v.correct(dated[400], "issue_date", Some("2019-06-30"))
        .unwrap();
    v.restrict(dated[10], "art. 18 request").unwrap();
    let mut v = same_as_fresh(v, &dir, "after a corrected date and a restriction");
    for q in queries() {
        snapshot(&v, &q);
    }
    let undated: Vec<String> = rows
        .iter()
        .filter(|r| r.issue_date.is_none())
        .map(|r| r.id.clone())
        .take(2)
        .collect();
    v.dispose(&undated, false, Some("test: a disposal"), None)
        .unwrap();
    add(&mut v, 700, 720);
    same_as_fresh(v, &dir, "after a disposal and more imports");
}
