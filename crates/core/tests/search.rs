//! Invoice data inside the vault: extraction at import, search with filters, corrections with
//! history, re-extraction that keeps corrections. Fixtures are the extractor's own
//! (`crates/extract/tests/fixtures`), so these tests never depend on files outside the repo.

use std::path::PathBuf;

use coffre_core::{CreateOptions, KdfParams, Passphrase, SearchQuery, Vault};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

struct Setup {
    _tmp: tempfile::TempDir,
    vault: Vault,
    ubl: String,
    cii: String,
    pdf: String,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut vault, _) = Vault::create(
        &tmp.path().join("v"),
        &Passphrase::new("search test pass".into()),
        &opts,
    )
    .unwrap();
    let mut id = |name: &str| {
        vault
            .import_file(&fixture(name), None)
            .unwrap()
            .document()
            .id
            .clone()
    };
    let ubl = id("ubl-invoice-eur.xml");
    let cii = id("cii-creditnote-usd.xml");
    let pdf = id("ghostscript-invoice-fr.pdf");
    Setup {
        _tmp: tmp,
        vault,
        ubl,
        cii,
        pdf,
    }
}

fn ids(vault: &Vault, q: SearchQuery) -> Vec<String> {
    let mut v: Vec<String> = vault
        .search(&q)
        .unwrap()
        .into_iter()
        .map(|h| h.document.id)
        .collect();
    v.sort();
    v
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: t.into(),
        ..Default::default()
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn import_extracts_exact_xml_fields_and_text_fields() {
    let s = setup();
    let d = s.vault.details(&s.ubl).unwrap();
    assert_eq!(d.fields["format"], "ubl");
    assert_eq!(d.fields["number"], "FA-2026-0001");
    assert_eq!(d.fields["total_with_vat"], "1291.00");
    assert_eq!(d.fields["seller"]["name"], "ACME SAS");
    assert_eq!(d.fields["fields"]["number"]["source"], "xml");
    let p = s.vault.details(&s.pdf).unwrap();
    assert_eq!(p.fields["format"], "pdf-text");
    assert_eq!(p.fields["number"], "F-2026-0042");
    assert_eq!(p.fields["fields"]["number"]["source"], "text");
}

#[test]
fn words_amounts_months_and_body_text_are_found() {
    let s = setup();
    let v = &s.vault;
    assert_eq!(
        ids(v, text("acme")),
        sorted(vec![s.ubl.clone(), s.pdf.clone()])
    );
    assert_eq!(ids(v, text("ACME 1 291,00")), vec![s.ubl.clone()]);
    // One decimal typed finds the amount written with two.
    assert_eq!(ids(v, text("1 291,0")), vec![s.ubl.clone()]);
    // 1200.00 is the PDF's total and the UBL's amount due (after a prepayment): both match.
    assert_eq!(
        ids(v, text("1.200,00")),
        sorted(vec![s.ubl.clone(), s.pdf.clone()])
    );
    assert_eq!(ids(v, text("1.200,00 Lyon")), vec![s.pdf.clone()]);
    assert_eq!(
        ids(v, text("octobre acme")),
        sorted(vec![s.ubl.clone(), s.pdf.clone()])
    );
    assert_eq!(ids(v, text("january")), vec![s.cii.clone()]);
    // Only in the PDF's text (its address), not in any field.
    assert_eq!(ids(v, text("Lilas Lyon")), vec![s.pdf.clone()]);
    assert_eq!(ids(v, text("FA-2026-0001")), vec![s.ubl.clone()]);
    assert!(ids(v, text("nothing-like-this")).is_empty());
    // FTS syntax typed by a user is just words.
    assert!(ids(v, text("\"unbalanced AND ( NEAR")).is_empty());
    // Ranking: the document whose fields hold the word comes first.
    let hits = v.search(&text("dupont")).unwrap();
    assert_eq!(hits.len(), 2);
    assert!(
        hits.iter().all(|h| h.score < 0.0),
        "BM25 scores are negative in SQLite"
    );
}

#[test]
fn filters_narrow_the_results() {
    let s = setup();
    let v = &s.vault;
    let q = |f: fn(&mut SearchQuery)| {
        let mut q = SearchQuery::default();
        f(&mut q);
        ids(v, q)
    };
    assert_eq!(
        q(|q| q.from = Some("2026-10".into())),
        sorted(vec![s.ubl.clone(), s.pdf.clone()])
    );
    assert_eq!(q(|q| q.to = Some("2026-01-31".into())), vec![s.cii.clone()]);
    assert_eq!(
        q(|q| q.supplier = Some("martin".into())),
        vec![s.cii.clone()]
    );
    assert_eq!(
        q(|q| {
            q.min = Some("1000".into());
            q.max = Some("1 250,00".into());
        }),
        vec![s.pdf.clone()]
    );
    assert_eq!(
        q(|q| q.kind = Some("credit-note".into())),
        vec![s.cii.clone()]
    );
    assert_eq!(
        q(|q| q.kind = Some("invoice".into())),
        sorted(vec![s.ubl.clone(), s.pdf.clone()])
    );
    assert_eq!(q(|q| q.kind = Some("pdf-text".into())), vec![s.pdf.clone()]);
    assert!(
        v.search(&SearchQuery {
            kind: Some("bogus".into()),
            ..Default::default()
        })
        .is_err()
    );
    assert!(
        v.search(&SearchQuery {
            from: Some("14/10/2026".into()),
            ..Default::default()
        })
        .is_err()
    );
}

#[test]
fn corrections_keep_history_and_survive_reextraction() {
    let mut s = setup();
    let v = &mut s.vault;
    v.correct(&s.ubl, "number", Some("FA-2026-0001-B")).unwrap();
    v.correct(&s.ubl, "total_with_vat", Some("1291,50"))
        .unwrap();
    assert!(v.correct(&s.ubl, "issue_date", Some("14/10/2026")).is_err());
    assert!(v.correct(&s.ubl, "size", Some("1")).is_err());

    let d = v.details(&s.ubl).unwrap();
    assert_eq!(d.fields["number"], "FA-2026-0001-B");
    assert_eq!(d.fields["total_with_vat"], "1291.50");
    assert_eq!(d.fields["fields"]["number"]["source"], "correction");
    assert_eq!(d.corrections.len(), 2);
    assert_eq!(d.corrections[0].old_value.as_deref(), Some("FA-2026-0001"));
    assert_eq!(
        d.corrections[0].new_value.as_deref(),
        Some("FA-2026-0001-B")
    );
    assert_eq!(ids(v, text("1291,50")), vec![s.ubl.clone()]);
    assert!(ids(v, text("1291,00")).is_empty());

    assert_eq!(v.reextract(&[]).unwrap(), 3);
    let d = v.details(&s.ubl).unwrap();
    assert_eq!(
        d.fields["number"], "FA-2026-0001-B",
        "the owner's correction wins"
    );
    assert_eq!(d.fields["seller"]["name"], "ACME SAS");
    assert_eq!(ids(v, text("FA-2026-0001-B")), vec![s.ubl.clone()]);
    assert_eq!(
        ids(v, text("Lilas")),
        vec![s.pdf.clone()],
        "re-extraction keeps the body text"
    );

    let actions: Vec<String> = v
        .audit_entries(Some(&s.ubl))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "document.import",
            "document.correct",
            "document.correct",
            "document.reextract"
        ]
    );
    assert!(v.verify().unwrap().is_ok());
}

#[test]
fn damaged_files_are_stored_and_flagged_for_review() {
    let mut s = setup();
    let pdf = std::fs::read(fixture("ghostscript-invoice-fr.pdf")).unwrap();
    let cut = &pdf[..pdf.len() / 3];
    let out = s.vault.import_reader("cut.pdf", cut, None).unwrap();
    let id = out.document().id.clone();
    let d = s.vault.details(&id).unwrap();
    assert_eq!(d.fields["needs_review"], true);
    assert!(!d.fields["issues"].as_array().unwrap().is_empty());
    let review = ids(
        &s.vault,
        SearchQuery {
            kind: Some("review".into()),
            ..Default::default()
        },
    );
    assert!(review.contains(&id));
    assert_eq!(
        &*s.vault.read_document(&id).unwrap().1,
        cut,
        "the bytes are kept as they came"
    );
}
