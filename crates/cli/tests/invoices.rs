//! Purchases and sales, copies, statuses and the `ecritures` preset through the `coffre` CLI (a
//! contract: `list --json` rows carry `direction` and `copy_of`; `--direction`; `bundle create
//! --preset ecritures` writes `ecritures.csv` with the FEC-named columns). Real third-party
//! invoices from `../shared/corpus/third-party`; skipped when it is absent.

mod common;

use std::io::Read;
use std::path::Path;

use common::{Env, third_party as corpus};
use serde_json::Value;

fn zip_entry(zip: &Path, name: &str) -> Option<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut f = z.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    Some(s)
}

fn row<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter().find(|r| r["id"] == id).unwrap()
}

#[test]
fn list_rows_say_purchase_or_sale_and_which_original_a_copy_has() {
    let (Some(fx), Some(pdf), Some(ubl)) = (
        corpus("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
        corpus("strip-zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
        corpus("zfc-xr-EN16931_1_Teilrechnung.ubl.xml"),
    ) else {
        return;
    };
    let env = Env::new();
    env.ok(&["config", "owner-ids", "FR19787878784,DE123456789"]);
    let pdf_id = env.import(&pdf);
    let fx_id = env.import(&fx);
    let ubl_id = env.import(&ubl);

    let list = env.list();
    assert_eq!(list.len(), 3, "a copy is still a document");
    assert_eq!(row(&list, &fx_id)["direction"], "purchase");
    assert_eq!(row(&list, &fx_id)["copy_of"], Value::Null);
    assert_eq!(row(&list, &pdf_id)["direction"], "purchase");
    assert_eq!(row(&list, &pdf_id)["copy_of"], fx_id.as_str());
    assert_eq!(row(&list, &ubl_id)["direction"], "sale");
    assert_eq!(row(&list, &ubl_id)["copy_of"], Value::Null);

    let sales: Vec<Value> =
        serde_json::from_str(&env.ok(&["list", "--json", "--direction", "sale"])).unwrap();
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0]["id"], ubl_id.as_str());
    let bad = env.run(&["list", "--direction", "sales"]);
    assert!(!bad.status.success());
    assert!(common::stderr(&bad).contains("purchase, sale, unknown"));

    // The owner's decision, then a status by hand, then the payment filter.
    env.ok(&["direction", "unknown", &ubl_id]);
    env.ok(&["direction", "purchase", &ubl_id]);
    assert_eq!(row(&env.list(), &ubl_id)["direction"], "purchase");
    env.ok(&[
        "set-status",
        &fx_id,
        "paid",
        "--at",
        "2017-12-01",
        "--note",
        "virement",
    ]);
    let unpaid: Vec<Value> =
        serde_json::from_str(&env.ok(&["list", "--json", "--payment", "unpaid"])).unwrap();
    assert!(!unpaid.iter().any(|r| r["id"] == fx_id.as_str()));
    assert_eq!(row(&env.list(), &fx_id)["status"], "paid");
    assert!(env.audit_actions().contains(&"invoice.status".to_owned()));
    let show = env.json(&["show", &pdf_id, "--json"]);
    assert_eq!(show["invoice"]["copy_of"]["id"], fx_id.as_str());
    assert_eq!(show["invoice"]["statuses"][0]["status"], "paid");
}

#[test]
fn the_ecritures_preset_books_each_rate_of_a_ubl_invoice() {
    let Some(ubl) = corpus("zfc-xr-EN16931_1_Teilrechnung.ubl.xml") else {
        return;
    };
    let env = Env::new();
    env.ok(&["config", "owner-ids", "DE123456789"]);
    env.import(&ubl);
    env.grant_consent(&[]);
    // `bundle create` for 2018 into `name`, with `--preset` when given.
    let create = |name: &str, preset: Option<&str>| {
        let out = env.path(name);
        let extra: Vec<&str> = preset.map(|p| vec!["--preset", p]).unwrap_or_default();
        (
            env.run(&common::bundle_create_args("2018", &out, &extra)),
            out,
        )
    };
    let (done, out) = create("b.zip", Some("ecritures"));
    assert!(done.status.success(), "{}", common::stderr(&done));
    let csv = zip_entry(&out, "ecritures.csv").expect("ecritures.csv");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "JournalCode;PieceRef;PieceDate;CompAuxLib;Siren;NumTVA;MontantHT;TauxTVA;MontantTVA;\
         MontantTTC;Devise;DateEcheance;Fichier"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[0].starts_with("VT;471102;20180605;Kunden AG Mitte;;;"),
        "{csv}"
    );
    assert!(zip_entry(&out, "sales.csv").is_some());
    assert!(zip_entry(&out, "purchases.csv").is_none(), "no purchase");
    env.ok(&["bundle", "verify", out.to_str().unwrap()]);

    // The generic preset (the default) has no ecritures.csv; an unknown one is refused.
    let (done, plain) = create("generic.zip", None);
    assert!(done.status.success());
    assert!(zip_entry(&plain, "ecritures.csv").is_none());
    let (bad, _) = create("x.zip", Some("fec"));
    assert!(!bad.status.success());
    assert!(common::stderr(&bad).contains("generic, ecritures"));
}
