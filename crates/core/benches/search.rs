//! Search latency over a 100,000-document vault: p50 and p95 per kind of query.
//!
//! The vault is built once from generated UBL invoices (varied sellers, buyers, dates over ten
//! years, amounts, item names) through the real import path, and kept under
//! `target/bench-vaults/` for later runs. Run with `cargo xtask bench search` (or
//! `cargo bench -p coffre-core --bench search`); set `COFFRE_BENCH_DOCS` for another size.

use std::path::PathBuf;
use std::time::Instant;

use coffre_core::{CreateOptions, KdfParams, Passphrase, SearchQuery, Vault};

#[path = "../../../xtask/src/bench/ratio.rs"]
mod ratio;

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
        // Through the import path of a folder drop: documents prepared (read, sealed) on two
        // threads, committed by groups of 500 (one transaction and one sync per group).
        let sealer = vault.sealer();
        let mut batch: Vec<(u64, String)> = Vec::new();
        for i in 0..docs {
            let (_, xml) = invoice(i, 2016..2026, &mut rng);
            if i >= have {
                batch.push((i, xml));
            }
            if batch.len() == 500 || (i + 1 == docs && !batch.is_empty()) {
                let (a, b) = batch.split_at(batch.len() / 2);
                let prepare = |part: &[(u64, String)]| {
                    part.iter()
                        .map(|(i, xml)| {
                            let fp = sealer.fingerprint(xml.as_bytes());
                            let p = sealer
                                .prepare(&format!("inv-{i}.xml"), xml.as_bytes(), fp)
                                .unwrap();
                            (p, None)
                        })
                        .collect::<Vec<_>>()
                };
                let (mut prepared, rest) = std::thread::scope(|s| {
                    let other = s.spawn(|| prepare(b));
                    (prepare(a), other.join().unwrap())
                });
                prepared.extend(rest);
                for r in vault.commit_batch(prepared).unwrap() {
                    r.unwrap();
                }
                batch.clear();
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
    // The targets: p95 under 20 ms at 100,000 documents, under 50 ms at 1,000,000.
    let budget = if docs >= 1_000_000 { 50.0 } else { 20.0 };
    let size = if docs.is_multiple_of(1000) {
        format!("{}k", docs / 1000)
    } else {
        docs.to_string()
    };
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
        ratio::record(
            &format!("search p95 at {size}: {name}"),
            percentile(&times, 0.95),
            "ms",
            "budget",
            budget,
            1.0,
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
    // shows), a page deep in the list, the totals of everything, a filtered first page and
    // its totals. The first call of each (nothing remembered yet) is shown apart.
    use coffre_core::vault::browse::BrowseQuery;
    let everything = BrowseQuery::default();
    let a_year = BrowseQuery {
        from: Some("2020".into()),
        to: Some("2020".into()),
        ..Default::default()
    };
    let deep = docs / 2;
    let deep_name = format!("browse: page at row {deep}");
    type Shape<'a> = (&'a str, Box<dyn Fn(&Vault) -> usize + 'a>);
    let shapes: Vec<Shape> = vec![
        (
            "browse: first page of all",
            Box::new(|v| v.browse(&everything, 0, 100).unwrap().rows.len()),
        ),
        (
            &deep_name,
            Box::new(|v| v.browse(&everything, deep, 100).unwrap().rows.len()),
        ),
        (
            "browse: totals of all",
            Box::new(|v| v.browse_totals(&everything).unwrap().count as usize),
        ),
        (
            "browse: first page of a year",
            Box::new(|v| v.browse(&a_year, 0, 100).unwrap().rows.len()),
        ),
        (
            "browse: totals of a year",
            Box::new(|v| v.browse_totals(&a_year).unwrap().count as usize),
        ),
    ];
    println!(
        "{:<38} {:>7} {:>7} {:>7} {:>9}",
        "table (desktop app)", "p50", "p95", "max", "first"
    );
    let mut p95 = std::collections::HashMap::new();
    for (name, run) in &shapes {
        let start = Instant::now();
        std::hint::black_box(run(&vault));
        let first = start.elapsed().as_secs_f64() * 1000.0;
        // 200 calls: the p95 of 20 was their second slowest, and a ratio of two such
        // sub-millisecond figures swung from 1.16 to 1.54 between runs.
        let mut times: Vec<f64> = (0..200)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(run(&vault));
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<38} {:>7.2} {:>7.2} {:>7.2} {first:>9.2}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.last().unwrap(),
        );
        p95.insert(*name, percentile(&times, 0.95));
    }

    // After each import, the page deep in the list and the totals: what the table shows while
    // a folder is being imported (remembered figures brought up to date). The documents are
    // disposed of afterwards, so the cached vault keeps its size.
    let mut times = Vec::new();
    let mut added = Vec::new();
    for i in 0..20 {
        let note = format!("bench note {i} {:?}", std::time::SystemTime::now());
        let outcome = vault
            .import_reader(&format!("note-{i}.txt"), note.as_bytes(), None)
            .unwrap();
        added.push(outcome.document().id.clone());
        let start = Instant::now();
        std::hint::black_box(vault.browse(&everything, deep, 100).unwrap());
        std::hint::black_box(vault.browse_totals(&everything).unwrap());
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    vault
        .dispose(&added, false, Some("benchmark notes"), None)
        .unwrap();
    times.sort_by(f64::total_cmp);
    let after_import = percentile(&times, 0.95);
    println!(
        "{:<38} {:>7.2} {after_import:>7.2} {:>7.2}",
        "browse: deep page + totals after import",
        percentile(&times, 0.5),
        times.last().unwrap()
    );
    ratio::record(
        &format!("table p95 at {size}: page at row {deep} vs first page"),
        p95[deep_name.as_str()],
        "ms",
        "first page",
        p95["browse: first page of all"],
        1.5,
    );
    for name in ["browse: first page of all", "browse: totals of all"] {
        ratio::record(
            &format!("table p95 at {size}: {}", &name[8..]),
            p95[name],
            "ms",
            "budget",
            budget,
            1.0,
        );
    }
    ratio::record(
        &format!("table p95 at {size}: deep page + totals after an import"),
        after_import,
        "ms",
        "budget",
        budget,
        1.0,
    );
}
