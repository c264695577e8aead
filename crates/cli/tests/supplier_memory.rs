//! `coffre supplier-memory` end to end on the real binary: corrections teach where a supplier
//! prints two fields; its next invoice, laid out differently, is read there and `show --json`
//! says `"source": "supplier-memory"`; `list --json` shows what was learned and `forget` removes
//! it (an unknown id is a clear error).

mod common;

use coffre_core::records::sample::text_pdf;
use common::{coffre, init, ok, stderr, write};
use serde_json::Value;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// The id of the document imported under `name`.
fn id_of(vault: &std::path::Path, name: &str) -> String {
    let list = json(&ok(vault, &["list", "--json"]));
    list.as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .and_then(|d| d["id"].as_str())
        .unwrap_or_else(|| panic!("{name} not in {list}"))
        .to_owned()
}

#[test]
fn corrections_teach_the_layout_the_next_invoice_is_read_by() {
    let t = tempfile::tempdir().unwrap();
    let vault = t.path().join("vault");
    init(&vault);
    let first = t.path().join("in/kessler-0007.pdf");
    write(
        &first,
        &text_pdf(&[
            (60, 790, "Kessler Drucktechnik GmbH"),
            (60, 776, "USt-IdNr. DE136695976"),
            (340, 700, "Vorgang"),
            (420, 700, "KD-0007"),
            (60, 640, "Druck Broschueren A5            600,00"),
            (340, 520, "Ueberweisungsbetrag"),
            (480, 520, "714,00 EUR"),
        ]),
    );
    ok(&vault, &["import", first.to_str().unwrap()]);
    let id = id_of(&vault, "kessler-0007.pdf");
    // Labels the heuristics do not know: the owner has to type these two.
    let before = json(&ok(&vault, &["show", &id, "--json"]));
    assert_ne!(before["number"], "KD-0007", "{before}");
    assert_ne!(before["total_with_vat"], "714.00", "{before}");
    ok(&vault, &["correct", &id, "number", "KD-0007"]);
    ok(&vault, &["correct", &id, "total_with_vat", "714.00"]);

    let learned = json(&ok(&vault, &["supplier-memory", "list", "--json"]));
    let learned = learned.as_array().unwrap();
    assert_eq!(learned.len(), 2, "{learned:?}");
    for l in learned {
        assert_eq!(l["ids"], serde_json::json!(["DE136695976"]));
        assert_eq!(l["doc_id"], id.as_str());
    }

    let second = t.path().join("in/kessler-0019.pdf");
    write(
        &second,
        &text_pdf(&[
            (60, 790, "Kessler Drucktechnik GmbH"),
            (60, 776, "USt-IdNr. DE 136 695 976"),
            (60, 700, "Vorgang"),
            (60, 686, "KD-0019"),
            (60, 640, "Plakate A1            250,00"),
            (60, 560, "Ueberweisungsbetrag"),
            (60, 546, "297,50 EUR"),
        ]),
    );
    ok(&vault, &["import", second.to_str().unwrap()]);
    let id2 = id_of(&vault, "kessler-0019.pdf");
    let shown = json(&ok(&vault, &["show", &id2, "--json"]));
    assert_eq!(shown["number"], "KD-0019", "{shown}");
    assert_eq!(shown["total_with_vat"], "297.50", "{shown}");
    assert_eq!(shown["fields"]["number"]["source"], "supplier-memory");
    assert_eq!(
        shown["fields"]["total_with_vat"]["source"],
        "supplier-memory"
    );

    let row = learned[0]["id"].as_i64().unwrap().to_string();
    ok(&vault, &["supplier-memory", "forget", &row]);
    let left = json(&ok(&vault, &["supplier-memory", "list", "--json"]));
    assert_eq!(left.as_array().unwrap().len(), 1);
    let out = coffre(&vault, &["supplier-memory", "forget", &row]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("supplier layout"), "{}", stderr(&out));
}
