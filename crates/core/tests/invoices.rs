//! Invoices as the accountant sees them, on real third-party invoices (`../shared/corpus`, the
//! tests skip when it is absent): purchases and sales, `ecritures.csv`, copies of one invoice,
//! lifecycle statuses from CDAR messages, the mandatory mentions check.

mod support;

use std::path::{Path, PathBuf};

use coffre_core::records::direction::Direction;
use coffre_core::sharing::bundle::{ECRITURES_COLUMNS, Preset, bundle_verify};
use coffre_core::storage::settings::Setting;
use coffre_core::vault::browse::BrowseQuery;
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};
use coffre_extract::amount::Decimal;
use support::bundle::{by, create, entries, entry, grant, request};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/third-party");
    if p.join("files").is_dir() {
        Some(p.join("files"))
    } else {
        eprintln!("skipped: ../shared/corpus/third-party is absent");
        None
    }
}

fn vault(tmp: &Path) -> Vault {
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    Vault::create(
        &tmp.join("v"),
        &Passphrase::new("invoices test pass".into()),
        &CreateOptions {
            kdf: KdfParams::MINIMUM,
        },
    )
    .unwrap()
    .0
}

fn import(v: &mut Vault, path: &Path) -> String {
    v.import_file(path, None).unwrap().document().id.clone()
}

fn dec(s: &str) -> Decimal {
    Decimal::parse(&s.replace(',', ".")).unwrap_or_else(|| panic!("{s} is not an amount"))
}

fn sum(values: &[&str]) -> Decimal {
    values.iter().fold(Decimal::parse("0").unwrap(), |a, v| {
        a.checked_add(dec(v)).unwrap()
    })
}

/// A UBL invoice with two VAT rates (XRechnung's test suite) and a Factur-X (the FNFE's
/// examples): one is the owner's sale, the other their purchase.
#[test]
fn two_vat_rates_give_two_entries_and_purchases_and_sales_are_apart() {
    let Some(files) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(tmp.path());
    // The owner: the UBL's seller (by VAT id) and the Factur-X's buyer (by SIREN, which its
    // VAT id FR19787878784 contains).
    v.set_setting(Setting::OwnerIds, "DE123456789, 787878784")
        .unwrap();
    let sale = import(&mut v, &files.join("zfc-xr-EN16931_1_Teilrechnung.ubl.xml"));
    let purchase = import(
        &mut v,
        &files.join("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
    );
    let listed = v.list_documents(None, None).unwrap();
    let dir = |id: &str| {
        listed
            .iter()
            .find(|l| l.document.id == id)
            .unwrap()
            .direction
    };
    assert_eq!(dir(&sale), Direction::Sale);
    assert_eq!(dir(&purchase), Direction::Purchase);
    assert_eq!(
        v.list_documents(Some(Direction::Sale), None).unwrap().len(),
        1
    );

    grant(&mut v, "Cabinet Martin", None, None);
    let out = tmp.path().join("b.zip");
    let mut req = request("Cabinet Martin", "2017-01-01..2018-12-31", &out);
    req.preset = Preset::Ecritures;
    create(&mut v, &req).unwrap();
    let all = entries(&out, None);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("documents/sales/") && n.ends_with(".xml")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("documents/purchases/") && n.ends_with(".pdf")),
        "{names:?}"
    );
    for (file, number) in [("sales.csv", "471102"), ("purchases.csv", "FA-2017-0010")] {
        let csv = std::str::from_utf8(entry(&all, file)).unwrap();
        let rows: Vec<&str> = csv.trim_end().split("\r\n").skip(1).collect();
        assert_eq!(rows.len(), 1, "{file}: {csv}");
        assert!(rows[0].contains(number), "{file}: {csv}");
    }

    let csv = std::str::from_utf8(entry(&all, "ecritures.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM");
    let lines: Vec<Vec<&str>> = csv
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split("\r\n")
        .map(|l| l.split(';').collect())
        .collect();
    assert_eq!(lines[0], ECRITURES_COLUMNS);
    let col = |name: &str| ECRITURES_COLUMNS.iter().position(|c| *c == name).unwrap();
    let of = |journal: &str| -> Vec<&Vec<&str>> {
        lines[1..]
            .iter()
            .filter(|l| l[col("JournalCode")] == journal)
            .collect()
    };
    // The sale: two rates, 7 % and 19 %, whose lines add up to the invoice's totals.
    let vt = of("VT");
    assert_eq!(vt.len(), 2, "{csv}");
    let pick = |ls: &[&Vec<&str>], c: &str| -> Vec<String> {
        ls.iter().map(|l| l[col(c)].to_owned()).collect()
    };
    let mut rates = pick(&vt, "TauxTVA");
    rates.sort();
    assert_eq!(rates, ["19", "7"]);
    let total = |ls: &[&Vec<&str>], c: &str| {
        let v = pick(ls, c);
        sum(&v.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert!(total(&vt, "MontantHT").same_value(dec("177.49")));
    assert!(total(&vt, "MontantTVA").same_value(dec("20.16")));
    assert!(total(&vt, "MontantTTC").same_value(dec("197.65")));
    assert!(vt.iter().all(|l| l[col("PieceRef")] == "471102"
        && l[col("PieceDate")] == "20180605"
        && l[col("CompAuxLib")] == "Kunden AG Mitte"
        && l[col("Devise")] == "EUR"
        && l[col("Fichier")].starts_with("documents/sales/")));
    assert!(vt[0][col("MontantHT")].contains(','), "a decimal comma");
    // The purchase: booked with the supplier, its SIREN and VAT id, 20 % and 5.5 %.
    let ach = of("ACH");
    assert_eq!(ach.len(), 2, "{csv}");
    assert!(ach.iter().all(|l| l[col("CompAuxLib")] == "Au bon moulin"
        && l[col("Siren")] == "999999998"
        && l[col("NumTVA")] == "FR11999999998"
        && l[col("DateEcheance")] == "20171213"));
    assert!(total(&ach, "MontantTTC").same_value(dec("671.15")));

    let pk = v.signing_public_key().unwrap();
    let report = bundle_verify(&out, None, Some(&by(&pk))).unwrap();
    assert!(report.ok, "{:?}", report.problems);
}

/// The same invoice as a PDF (its Factur-X with the XML taken out), then its Factur-X, then a
/// scan of its print: one invoice, counted once, the Factur-X the original.
#[test]
fn an_invoice_received_three_times_is_one_invoice_with_two_copies() {
    let Some(files) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(tmp.path());
    let stem = "zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL";
    let pdf = import(&mut v, &files.join(format!("strip-{stem}.pdf")));
    let fx = import(&mut v, &files.join(format!("{stem}.pdf")));
    let scan = import(&mut v, &files.join(format!("scan-strip-{stem}-a.jpg")));

    let page = v.browse(&BrowseQuery::default(), 0, 100).unwrap();
    assert_eq!(page.total, 1, "{:?}", page.rows);
    assert_eq!(page.rows[0].id, fx, "the Factur-X is the original");
    assert_eq!(page.rows[0].copies, 2);
    let totals = v.browse_totals(&BrowseQuery::default()).unwrap();
    assert_eq!(totals.count, 1);
    assert_eq!(totals.by_currency[0].amount, "671.15");
    // Asked for, the copies are there, each naming its original.
    let all = v
        .browse(
            &BrowseQuery {
                copies: true,
                ..Default::default()
            },
            0,
            100,
        )
        .unwrap();
    assert_eq!(all.total, 3);
    for id in [&pdf, &scan] {
        let row = all.rows.iter().find(|r| &r.id == id).unwrap();
        assert_eq!(row.copy_of.as_deref(), Some(fx.as_str()));
    }
    let listed = v.list_documents(None, None).unwrap();
    assert_eq!(listed.len(), 3, "nothing is deleted");
    let info = v.details(&fx).unwrap().invoice;
    let mut copies: Vec<String> = info.copies.iter().map(|c| c.id.clone()).collect();
    copies.sort();
    let mut want = vec![pdf.clone(), scan.clone()];
    want.sort();
    assert_eq!(copies, want);
    assert_eq!(v.details(&scan).unwrap().invoice.copy_of.unwrap().id, fx);

    // A different total under the same number and seller is a conflict, not a copy.
    v.correct(&scan, "total_with_vat", Some("617.15")).unwrap();
    let row = v
        .browse_rows(std::slice::from_ref(&scan))
        .unwrap()
        .remove(0);
    assert!(row.copy_of.is_none() && row.copy_conflict);
    let review = v
        .browse(
            &BrowseQuery {
                status: Some("review".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert!(review.rows.iter().any(|r| r.id == scan));
    v.correct(&scan, "total_with_vat", Some("671.15")).unwrap();
    assert_eq!(v.browse(&BrowseQuery::default(), 0, 10).unwrap().total, 1);
    // Not merged either: a total OCR could not read (flagged), another date or a credit note
    // of the same number (another invoice: neither merged nor flagged).
    let row = |v: &Vault| {
        v.browse_rows(std::slice::from_ref(&scan))
            .unwrap()
            .remove(0)
    };
    v.correct(&scan, "total_with_vat", None).unwrap();
    assert!(row(&v).copy_of.is_none() && row(&v).copy_conflict);
    v.correct(&scan, "total_with_vat", Some("671.15")).unwrap();
    for (field, value, back) in [
        ("issue_date", "2018-11-13", "2017-11-13"),
        ("type_code", "381", "380"),
    ] {
        v.correct(&scan, field, Some(value)).unwrap();
        assert!(
            row(&v).copy_of.is_none() && !row(&v).copy_conflict,
            "{field} {value}"
        );
        v.correct(&scan, field, Some(back)).unwrap();
    }
    assert_eq!(row(&v).copy_of.as_deref(), Some(fx.as_str()));

    // A bundle without the original (restricted) still counts the invoice once.
    v.restrict(&fx, "accuracy contested").unwrap();
    support::bundle::grant(&mut v, "Cabinet Martin", None, None);
    let preview = v
        .bundle_preview(&request(
            "Cabinet Martin",
            "2017",
            &tmp.path().join("b.zip"),
        ))
        .unwrap();
    assert_eq!(preview.documents, 2, "the two copies");
    assert_eq!(preview.by_currency[0].amount, "671.15");
    assert_eq!(preview.by_currency[0].count, 1);
    v.unrestrict(&fx).unwrap();

    // The original disposed of: a copy takes its place, nothing counts twice.
    v.dispose(std::slice::from_ref(&fx), false, Some("test"), None)
        .unwrap();
    let page = v.browse(&BrowseQuery::default(), 0, 10).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        page.rows[0].id, pdf,
        "the first imported copy is the original now"
    );
    assert_eq!(page.rows[0].copies, 1);
}

fn cdar(number: &str, issuer: &str, code: &str, date: &str) -> String {
    let issuer = if issuer.is_empty() {
        String::new()
    } else {
        format!(
            r#"<ram:IssuerTradeParty><ram:GlobalID schemeID="0002">{issuer}</ram:GlobalID></ram:IssuerTradeParty>"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>CDV-{number}-{code}</ram:ID>
    <ram:TypeCode>23</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="204">{date}093000</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:AcknowledgementDocument>
    <ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator>
    <ram:TypeCode>23</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="204">{date}093000</udt:DateTimeString></ram:IssueDateTime>
    <ram:ReferenceReferencedDocument>
      <ram:IssuerAssignedID>{number}</ram:IssuerAssignedID>
      <ram:StatusCode>10</ram:StatusCode>
      <ram:TypeCode>380</ram:TypeCode>
      <ram:ProcessConditionCode>{code}</ram:ProcessConditionCode>
      {issuer}
      <ram:SpecifiedDocumentStatus><ram:ReasonCode>AUTRE</ram:ReasonCode><ram:Reason>per test</ram:Reason></ram:SpecifiedDocumentStatus>
    </ram:ReferenceReferencedDocument>
  </rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
"#
    )
}

/// CDAR messages mark their invoice refused, then paid; one that arrives before its invoice
/// waits for it; the table filters by status.
#[test]
fn lifecycle_messages_set_statuses_and_the_table_filters_by_them() {
    let Some(files) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(tmp.path());
    v.set_setting(Setting::OwnerIds, "787878784").unwrap();
    let write = |name: &str, xml: String| {
        let p = tmp.path().join(name);
        std::fs::write(&p, xml).unwrap();
        p
    };
    // The status of FA-2017-0008 comes before the invoice itself.
    let early = write(
        "cdv-early.xml",
        cdar("FA-2017-0008", "999999998", "212", "20170320"),
    );
    let early_msg = import(&mut v, &early);
    assert_eq!(
        v.details(&early_msg).unwrap().fields["format"],
        serde_json::json!("cdar")
    );
    let paid_later = import(
        &mut v,
        &files.join("zfc-v2-FNFE-factur-x-examples-Facture_UE_BASICWL.pdf"),
    );
    let refused = import(
        &mut v,
        &files.join("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
    );
    assert_eq!(
        v.details(&paid_later).unwrap().invoice.status.as_deref(),
        Some("paid")
    );
    // A message that names no issuer, or dates its status in the future, changes nothing it
    // should not: a number alone is anyone's; tomorrow's payment is not reported today.
    let anonymous = write(
        "cdv-anonymous.xml",
        cdar("FA-2017-0010", "", "212", "20171120"),
    );
    import(&mut v, &anonymous);
    assert_eq!(v.details(&refused).unwrap().invoice.status, None);
    let future = write(
        "cdv-future.xml",
        cdar("FA-2017-0008", "999999998", "207", "20991231"),
    );
    import(&mut v, &future);
    let statuses = v.details(&paid_later).unwrap().invoice.statuses;
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    // Another issuer's invoice with the same number is not touched.
    let other = write(
        "cdv-other.xml",
        cdar("FA-2017-0010", "111111118", "210", "20171120"),
    );
    import(&mut v, &other);
    assert_eq!(v.details(&refused).unwrap().invoice.status, None);
    let msg = write(
        "cdv-refused.xml",
        cdar("FA-2017-0010", "99999999800010", "210", "20171120"),
    );
    import(&mut v, &msg);
    let info = v.details(&refused).unwrap().invoice;
    assert_eq!(info.status.as_deref(), Some("refused"));
    assert_eq!(info.statuses[0].code.as_deref(), Some("210"));
    assert_eq!(info.statuses[0].reason.as_deref(), Some("per test"));
    assert_eq!(info.statuses[0].source, "platform");

    let filter = |v: &Vault, payment: &str| -> Vec<String> {
        let q = BrowseQuery {
            payment: Some(payment.into()),
            ..Default::default()
        };
        let mut ids: Vec<String> = v
            .browse(&q, 0, 100)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(filter(&v, "refused"), vec![refused.clone()]);
    assert!(filter(&v, "unpaid").is_empty(), "one refused, one paid");
    assert!(filter(&v, "overdue").is_empty());
    // The owner says the refusal was withdrawn and the invoice is now unpaid... then paid.
    v.set_status(&refused, "approved", Some("2017-11-25"), None)
        .unwrap();
    assert_eq!(filter(&v, "unpaid"), vec![refused.clone()]);
    assert_eq!(
        filter(&v, "overdue"),
        vec![refused.clone()],
        "due 2017-12-13"
    );
    assert_eq!(
        v.list_documents(None, Some("overdue"))
            .unwrap()
            .iter()
            .map(|l| l.document.id.clone())
            .collect::<Vec<_>>(),
        vec![refused.clone()]
    );
    v.set_status(&refused, "paid", Some("2017-12-10"), Some("virement"))
        .unwrap();
    assert!(filter(&v, "unpaid").is_empty());
    let audit = v.audit_entries(Some(&refused)).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "invoice.status")
            .count(),
        2
    );
    assert!(v.set_status(&refused, "whatever", None, None).is_err());

    // Disposing of the invoice takes its statuses with it.
    v.dispose(std::slice::from_ref(&refused), false, Some("test"), None)
        .unwrap();
    assert!(filter(&v, "refused").is_empty());
    assert_eq!(filter(&v, "unpaid"), Vec::<String>::new());
}

/// The owner decides by hand where identifiers cannot: kept with its history, and a change of
/// the owner's identifiers recomputes the others.
#[test]
fn the_owner_decides_the_direction_and_identifiers_recompute_it() {
    let Some(files) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(tmp.path());
    let a = import(&mut v, &files.join("zfc-xr-EN16931_1_Teilrechnung.ubl.xml"));
    let b = import(
        &mut v,
        &files.join("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
    );
    let dir = |v: &Vault, id: &str| v.details(id).unwrap().invoice.direction;
    assert_eq!(dir(&v, &a), Direction::Unknown);
    assert_eq!(
        v.set_direction(&[a.clone(), b.clone()], Direction::Purchase)
            .unwrap(),
        2
    );
    assert_eq!(dir(&v, &b), Direction::Purchase);
    assert!(v.details(&b).unwrap().invoice.direction_by_owner);
    let q = BrowseQuery {
        direction: Some("purchase".into()),
        ..Default::default()
    };
    assert_eq!(v.browse(&q, 0, 10).unwrap().total, 2);
    // Identifiers saying the Factur-X is a sale do not override the owner's choice...
    v.set_setting(Setting::OwnerIds, "FR11999999998").unwrap();
    assert_eq!(dir(&v, &b), Direction::Purchase);
    // ... until the owner hands the decision back.
    v.set_direction(std::slice::from_ref(&b), Direction::Unknown)
        .unwrap();
    assert_eq!(dir(&v, &b), Direction::Sale);
    let corrections = v.details(&b).unwrap().corrections;
    assert_eq!(
        corrections
            .iter()
            .filter(|c| c.field == "direction")
            .count(),
        2,
        "both decisions are in the history"
    );
    // By name, for a buyer without identifiers.
    v.set_setting(Setting::OwnerNames, "Kunden AG Mitte")
        .unwrap();
    v.set_direction(std::slice::from_ref(&a), Direction::Unknown)
        .unwrap();
    assert_eq!(dir(&v, &a), Direction::Purchase);
}

/// The VAT breakdown is corrected like any field, and the mentions check reads a real French
/// invoice of 2017 (before the reform: only the classic mentions apply).
#[test]
fn vat_corrections_and_the_mentions_of_a_real_invoice() {
    let Some(files) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(tmp.path());
    let fx = import(
        &mut v,
        &files.join("zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
    );
    let info = v.details(&fx).unwrap().invoice;
    assert_eq!(info.vat.len(), 2);
    assert!(info.mentions.is_empty(), "{:?}", info.mentions);
    // The plain PDF of the same invoice: no SIREN of the seller is read from its fields, but
    // its text prints one.
    let pdf = import(
        &mut v,
        &files.join("strip-zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL.pdf"),
    );
    let mentions = v.details(&pdf).unwrap().invoice.mentions;
    assert!(
        !mentions.iter().any(|m| m.mention == "seller_siren"),
        "{mentions:?}"
    );
    // After the reform's start date, its missing reform mentions show.
    v.correct(&fx, "issue_date", Some("2026-10-02")).unwrap();
    let mentions: Vec<String> = v
        .details(&fx)
        .unwrap()
        .invoice
        .mentions
        .iter()
        .map(|m| format!("{}:{}", m.mention, m.severity))
        .collect();
    // Its buyer's SIRET is there (BT-47); the category of the operation is not.
    assert!(
        !mentions.iter().any(|m| m.starts_with("buyer_siren")),
        "{mentions:?}"
    );
    assert!(
        mentions.contains(&"operation_category:missing".to_owned()),
        "{mentions:?}"
    );
    // It states VAT on debits (BT-8 code 5).
    assert!(
        !mentions.iter().any(|m| m.starts_with("vat_on_debits")),
        "{mentions:?}"
    );

    v.correct(
        &fx,
        "vat_breakdown",
        Some("20:81,90:16,38; 5.5:543.00:29.87:S"),
    )
    .unwrap();
    let d = v.details(&fx).unwrap();
    assert_eq!(d.invoice.vat[1].rate, "5.5");
    assert_eq!(d.invoice.vat[0].taxable_amount, "81.90");
    let c = d
        .corrections
        .iter()
        .find(|c| c.field == "vat_breakdown")
        .unwrap();
    assert_eq!(
        c.old_value.as_deref(),
        Some("20:81.90:16.38:S; 5.5:543.00:29.87:S")
    );
    assert!(
        v.correct(&fx, "vat_breakdown", Some("20:=HYPERLINK(1):2"))
            .is_err(),
        "amounts only"
    );
}

/// An invoice the accountant received as a PDF in one bundle is not booked again when its
/// Factur-X (now the original) comes in the next one (`since_last`).
#[test]
fn an_invoice_is_booked_once_across_bundles() {
    let Some(files) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut v = vault(tmp.path());
    v.set_setting(Setting::OwnerIds, "787878784").unwrap();
    let stem = "zfc-v2-FNFE-factur-x-examples-Facture_FR_BASICWL";
    import(&mut v, &files.join(format!("strip-{stem}.pdf")));
    grant(&mut v, "Cabinet Martin", None, None);
    let booked = |v: &mut Vault, name: &str| -> usize {
        let out = tmp.path().join(name);
        let mut req = request("Cabinet Martin", "2017", &out);
        req.preset = Preset::Ecritures;
        req.since_last = true;
        create(v, &req).unwrap();
        let all = entries(&out, None);
        let csv = std::str::from_utf8(entry(&all, "ecritures.csv")).unwrap();
        csv.trim_end().split("\r\n").skip(1).count()
    };
    assert_eq!(booked(&mut v, "first.zip"), 2, "the PDF: two rates");
    let fx = import(&mut v, &files.join(format!("{stem}.pdf")));
    assert_eq!(
        v.browse(&BrowseQuery::default(), 0, 10).unwrap().rows[0].id,
        fx
    );
    assert_eq!(
        booked(&mut v, "second.zip"),
        0,
        "the Factur-X: booked already"
    );
}
