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
use coffre_core::records::sample::{ITEMS, Rng, SELLERS, invoice};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // Imports parse documents in extraction workers started from this very program.
    coffre_core::records::worker::serve_if_requested();
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
            let (_, xml) = invoice(i, 2016..2026, &mut rng);
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

    // The desktop app's documents table over the same vault: its first page (what unlocking
    // shows), a page deep in the list, the totals of everything, and a filtered first page.
    use coffre_core::vault::browse::BrowseQuery;
    let everything = BrowseQuery::default();
    let a_year = BrowseQuery {
        from: Some("2020".into()),
        to: Some("2020".into()),
        ..Default::default()
    };
    type Shape<'a> = (&'a str, Box<dyn Fn() -> usize + 'a>);
    let shapes: Vec<Shape> = vec![
        (
            "browse: first page of all",
            Box::new(|| vault.browse(&everything, 0, 100).unwrap().rows.len()),
        ),
        (
            "browse: page at row 50,000",
            Box::new(|| vault.browse(&everything, 50_000, 100).unwrap().rows.len()),
        ),
        (
            "browse: totals of all",
            Box::new(|| vault.browse_totals(&everything).unwrap().count as usize),
        ),
        (
            "browse: first page of a year",
            Box::new(|| vault.browse(&a_year, 0, 100).unwrap().rows.len()),
        ),
        (
            "browse: totals of a year",
            Box::new(|| vault.browse_totals(&a_year).unwrap().count as usize),
        ),
    ];
    println!(
        "{:<38} {:>7} {:>7} {:>7}",
        "table (desktop app)", "p50", "p95", "max"
    );
    for (name, run) in &shapes {
        let mut times: Vec<f64> = (0..20)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(run());
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<38} {:>7.2} {:>7.2} {:>7.2}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.last().unwrap()
        );
    }
}
