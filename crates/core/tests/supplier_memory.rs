//! Supplier memory end to end: the owner corrects two fields of one plain-PDF invoice; the next
//! invoice of that supplier, with those values elsewhere on the page, is read by the remembered
//! labels and says so (`fields[...].source` = `supplier-memory`); another supplier's invoice
//! with the same labels is not; forgetting a layout is audited and takes effect.

use coffre_core::records::sample::text_pdf as pdf;
use coffre_core::storage::settings::Setting;
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};
use serde_json::Value;

/// The supplier's first template: values to the right of their labels.
fn first_invoice() -> Vec<u8> {
    pdf(&[
        (60, 780, "Atelier Dupont SARL"),
        (60, 766, "12 rue des Tanneurs, 69001 Lyon"),
        (60, 752, "TVA intracommunautaire FR40303265045"),
        (360, 700, "Client : Boutique Lemoine"),
        (60, 650, "Ecriture"),
        (160, 650, "AD/2026/0412"),
        (60, 636, "Emise le 03/02/2026"),
        (60, 560, "Prestation de reliure            450,00"),
        (60, 500, "Votre reglement"),
        (200, 500, "540,00 EUR"),
    ])
}

/// The same supplier's next template: the same labels, their values under them, elsewhere.
fn second_invoice() -> Vec<u8> {
    pdf(&[
        (60, 780, "Atelier Dupont SARL"),
        (60, 766, "TVA FR40303265045"),
        (60, 700, "Emise le 17/03/2026"),
        (300, 620, "Votre reglement"),
        (300, 606, "1 020,00 EUR"),
        (60, 620, "Ecriture"),
        (60, 606, "AD/2026/0519"),
        (60, 540, "Reliure et dorure            850,00"),
    ])
}

/// Another supplier using the same words.
fn other_supplier() -> Vec<u8> {
    pdf(&[
        (60, 780, "Papeterie Roux"),
        (60, 766, "TVA FR83404833048"),
        (60, 650, "Ecriture"),
        (160, 650, "PR-77"),
        (60, 500, "Votre reglement"),
        (200, 500, "99,00 EUR"),
    ])
}

fn open() -> (tempfile::TempDir, Vault) {
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let tmp = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    let pass = Passphrase::new("correct horse battery staple".to_owned());
    let (vault, _) = Vault::create(&tmp.path().join("vault"), &pass, &opts).unwrap();
    (tmp, vault)
}

fn import(v: &mut Vault, name: &str, bytes: &[u8]) -> String {
    let out = v.import_reader(name, bytes, None).unwrap();
    assert!(out.is_imported(), "not imported: {out:?}");
    out.document.id
}

fn fields(v: &Vault, id: &str) -> Value {
    v.details(id).unwrap().fields
}

fn source(f: &Value, key: &str) -> Option<String> {
    f["fields"][key]["source"].as_str().map(str::to_owned)
}

#[test]
fn two_corrected_fields_are_read_on_the_suppliers_next_invoice_in_another_layout() {
    let (_t, mut v) = open();
    let first = import(&mut v, "dupont-1.pdf", &first_invoice());
    let before = fields(&v, &first);
    assert_eq!(before["format"], "pdf-text");
    // Labels the heuristics do not know: without memory, these two fields are not read.
    assert_ne!(before["number"], "AD/2026/0412", "{before}");
    assert_ne!(before["total_with_vat"], "540.00", "{before}");

    v.correct(&first, "number", Some("AD/2026/0412")).unwrap();
    v.correct(&first, "total_with_vat", Some("540.00")).unwrap();
    let learned = v.supplier_memory().unwrap();
    assert_eq!(learned.len(), 2, "{learned:?}");
    assert!(
        learned
            .iter()
            .all(|l| l.ids.contains(&"FR40303265045".to_owned()))
    );
    let number = learned.iter().find(|l| l.field == "number").unwrap();
    assert_eq!(
        (number.label.as_str(), number.placement.as_str()),
        ("ecriture", "right")
    );

    let second = import(&mut v, "dupont-2.pdf", &second_invoice());
    let f = fields(&v, &second);
    assert_eq!(f["number"], "AD/2026/0519", "{f}");
    assert_eq!(f["total_with_vat"], "1020.00", "{f}");
    assert_eq!(source(&f, "number").as_deref(), Some("supplier-memory"));
    assert_eq!(
        source(&f, "total_with_vat").as_deref(),
        Some("supplier-memory")
    );

    // Another supplier printing the same labels is not read by Dupont's memory.
    let other = import(&mut v, "roux.pdf", &other_supplier());
    let f = fields(&v, &other);
    assert_ne!(
        source(&f, "number").as_deref(),
        Some("supplier-memory"),
        "{f}"
    );
    assert_ne!(
        source(&f, "total_with_vat").as_deref(),
        Some("supplier-memory"),
        "{f}"
    );

    // Forgotten layouts are not used by the next reading, and the trail says one was forgotten.
    for l in v.supplier_memory().unwrap() {
        v.forget_supplier_layout(l.id).unwrap();
    }
    assert!(v.supplier_memory().unwrap().is_empty());
    v.reextract(std::slice::from_ref(&second)).unwrap();
    let f = fields(&v, &second);
    assert_ne!(
        source(&f, "number").as_deref(),
        Some("supplier-memory"),
        "{f}"
    );
    let trail = v.audit_entries(None).unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "supplier-memory.forget")
            .count(),
        2
    );
    let err = v.forget_supplier_layout(12345).unwrap_err();
    assert_eq!(err.code(), coffre_core::Code::NotFound);
}

#[test]
fn the_owners_own_identifiers_and_e_invoices_teach_nothing() {
    let (_t, mut v) = open();
    // The owner's own VAT id printed on an invoice they issued is not a supplier's.
    v.set_setting(Setting::OwnerIds, "FR40303265045").unwrap();
    let first = import(&mut v, "issued.pdf", &first_invoice());
    v.correct(&first, "number", Some("AD/2026/0412")).unwrap();
    assert_eq!(v.supplier_memory().unwrap(), vec![]);

    // An e-invoice is read exactly: correcting it teaches no layout.
    let (number, xml) = coffre_core::records::sample::invoice(
        7,
        2024..2025,
        &mut coffre_core::records::sample::Rng(7),
    );
    let ubl = import(&mut v, "sample.xml", xml.as_bytes());
    assert_eq!(fields(&v, &ubl)["number"], number.as_str());
    v.correct(&ubl, "number", Some("X-1")).unwrap();
    assert_eq!(v.supplier_memory().unwrap(), vec![]);
}
