//! Search latency over a 100,000-document vault: p50 and p95 per kind of query.
//!
//! The vault is built once from generated UBL invoices (varied sellers, buyers, dates over ten
//! years, amounts, item names) through the real import path, and kept under
//! `target/bench-vaults/` for later runs. Run with `cargo xtask bench search` (or
//! `cargo bench -p coffre-core --bench search`); set `COFFRE_BENCH_DOCS` for another size.

use std::path::PathBuf;
use std::time::Instant;

use coffre_core::{CreateOptions, KdfParams, Passphrase, SearchQuery, Vault};

const PASS: &str = "bench passphrase";
const SELLERS: &[&str] = &[
    "ACME",
    "Boulangerie Dupont",
    "Globex",
    "Initech",
    "Martin Logiciels",
    "Stark Industries",
    "Wayne Enterprises",
    "Umbrella",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay Import",
    "Pied Piper",
    "Aperture",
    "Tyrell",
    "Wonka",
    "Oceanic",
    "Nakatomi",
    "Gringotts",
    "Duff",
];
const FORMS: &[&str] = &["SARL", "SAS", "GmbH", "Ltd", "SA", "EURL"];
const ITEMS: &[&str] = &[
    "Conseil",
    "Maintenance",
    "Licence",
    "Croissants",
    "Papeterie",
    "Transport",
    "Hebergement",
    "Formation",
    "Audit",
    "Nettoyage",
    "Electricite",
    "Telephone",
    "Loyer",
    "Assurance",
];
const BUYERS: &[&str] = &[
    "Dupont", "Durand", "Lefebvre", "Moreau", "Schmidt", "Muller", "Rossi",
];

/// A tiny deterministic generator (no dependency needed for a benchmark).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

fn invoice(i: u64, rng: &mut Rng) -> (String, String) {
    let seller = format!("{} {} {}", rng.pick(SELLERS), i % 500, rng.pick(FORMS));
    let buyer = format!("{} {}", rng.pick(BUYERS), rng.pick(FORMS));
    let (y, m, d) = (
        2016 + rng.next() % 10,
        1 + rng.next() % 12,
        1 + rng.next() % 28,
    );
    let net = 1_000 + rng.next() % 5_000_000; // cents
    let vat = net / 5;
    let item = rng.pick(ITEMS);
    let number = format!("F{y}-{i:06}");
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ID>{number}</cbc:ID><cbc:IssueDate>{y}-{m:02}-{d:02}</cbc:IssueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>{seller}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>{buyer}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{vat_e}.{vat_c:02}</cbc:TaxAmount></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="EUR">{net_e}.{net_c:02}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">{tot_e}.{tot_c:02}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">{tot_e}.{tot_c:02}</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">{net_e}.{net_c:02}</cbc:LineExtensionAmount><cac:Item><cbc:Name>{item}</cbc:Name></cac:Item></cac:InvoiceLine>
</Invoice>"#,
        vat_e = vat / 100,
        vat_c = vat % 100,
        net_e = net / 100,
        net_c = net % 100,
        tot_e = (net + vat) / 100,
        tot_c = (net + vat) % 100,
    );
    (number, xml)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probing: nothing to list.
    }
    let docs: u64 = std::env::var("COFFRE_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-vaults")
        .join(format!("search-{docs}"));
    let pass = Passphrase::new(PASS.into());
    let mut vault = if dir.join("vault.json").exists() {
        Vault::open(&dir, &pass).expect("open the cached bench vault")
    } else {
        let _ = std::fs::remove_dir_all(&dir);
        let opts = CreateOptions {
            kdf: KdfParams::MINIMUM,
        };
        Vault::create(&dir, &pass, &opts)
            .expect("create bench vault")
            .0
    };
    let have = vault.documents().unwrap().len() as u64;
    if have < docs {
        eprintln!(
            "building a {docs}-document vault in {} (once)...",
            dir.display()
        );
        let start = Instant::now();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in 0..docs {
            let (_, xml) = invoice(i, &mut rng);
            if i >= have {
                vault
                    .import_reader(&format!("inv-{i}.xml"), xml.as_bytes(), None)
                    .unwrap();
            }
            if (i + 1) % 10_000 == 0 {
                eprintln!(
                    "  {} documents, {:.0} s",
                    i + 1,
                    start.elapsed().as_secs_f64()
                );
            }
        }
        eprintln!("built in {:.1} s", start.elapsed().as_secs_f64());
    }

    let text = |t: &str| SearchQuery {
        text: t.into(),
        ..Default::default()
    };
    let mut rng = Rng(42);
    let kinds: Vec<(&str, Vec<SearchQuery>)> = vec![
        (
            "seller word",
            (0..100).map(|_| text(rng.pick(SELLERS))).collect(),
        ),
        (
            "seller + month",
            (0..100)
                .map(|_| text(&format!("{} mars", rng.pick(SELLERS))))
                .collect(),
        ),
        // The sequence part of a number (`F2019-004321`): one document each.
        (
            "invoice number",
            (0..100)
                .map(|i| text(&format!("{:06}", i * 997 % docs)))
                .collect(),
        ),
        (
            "amount 1 234,56",
            (0..100)
                .map(|i| text(&format!("{},{:02}", 100 + i * 37, i % 100)))
                .collect(),
        ),
        (
            "item word",
            (0..100).map(|_| text(rng.pick(ITEMS))).collect(),
        ),
        (
            "filters only (year, supplier, range)",
            (0..100)
                .map(|i| SearchQuery {
                    from: Some(format!("{}", 2016 + i % 10)),
                    to: Some(format!("{}", 2016 + i % 10)),
                    supplier: Some(rng.pick(SELLERS).to_owned()),
                    min: Some("1000".into()),
                    max: Some("20000".into()),
                    ..Default::default()
                })
                .collect(),
        ),
        (
            "word in every document (EUR)",
            (0..20).map(|_| text("EUR")).collect(),
        ),
    ];
    println!("search latency over {docs} documents (ms, one core, includes result decoding):");
    println!(
        "{:<38} {:>7} {:>7} {:>7} {:>9}",
        "query", "p50", "p95", "max", "hits(avg)"
    );
    let mut all = Vec::new();
    for (name, queries) in &kinds {
        let mut times = Vec::new();
        let mut hits = 0usize;
        for q in queries {
            let start = Instant::now();
            hits += vault.search(q).unwrap().len();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        all.extend(times.iter().copied());
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<38} {:>7.2} {:>7.2} {:>7.2} {:>9.1}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.last().unwrap(),
            hits as f64 / queries.len() as f64
        );
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{:<38} {:>7.2} {:>7.2} {:>7.2}",
        "ALL",
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        all.last().unwrap()
    );
}
