//! Benchmarks of the vault's hot paths. Baselines measured in the same run by `cargo xtask bench`
//! (`openssl speed -evp aes-256-gcm`), so ratios, not absolute numbers, are what to compare.
//!
//! - `blob/encrypt` and `blob/decrypt`: chunked AES-256-GCM throughput on one core (64 MiB).
//! - `import/1000x200KB`: 1,000 distinct 200 KB documents into a fresh vault (durable: fsync of
//!   each blob, its folder and the index commit), reported per batch; divide by 1,000 for the
//!   per-file vault overhead (no extraction exists in this path).

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use coffre_core::format::crypto::random_key;
use coffre_core::format::stream::{BlobHeader, BlobReader, BlobWriter};
use coffre_core::intake::ingest::{Ingest, Origin};
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};
use criterion::{Criterion, Throughput, criterion_group};

const MIB: usize = 1024 * 1024;

fn blob(c: &mut Criterion) {
    let key = random_key().unwrap();
    let data = vec![0x5Au8; 64 * MIB];
    let mut group = c.benchmark_group("blob");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("encrypt", |b| {
        b.iter(|| {
            let mut w =
                BlobWriter::new(std::io::sink(), &key, BlobHeader::new([1; 16]).unwrap()).unwrap();
            w.write_all(black_box(&data)).unwrap();
            w.finish().unwrap();
        })
    });
    let mut sealed = Vec::with_capacity(data.len() + MIB);
    let mut w = BlobWriter::new(&mut sealed, &key, BlobHeader::new([1; 16]).unwrap()).unwrap();
    w.write_all(&data).unwrap();
    w.finish().unwrap();
    group.bench_function("decrypt", |b| {
        let mut out = vec![0u8; 256 * 1024];
        b.iter(|| {
            let mut r = BlobReader::new(black_box(&sealed[..]), &key, &[1; 16]).unwrap();
            while r.read(&mut out).unwrap() > 0 {}
        })
    });
    group.finish();
}

fn import(c: &mut Criterion) {
    const FILES: usize = 1000;
    const SIZE: usize = 200 * 1024;
    let mut base = vec![0u8; SIZE];
    for (i, b) in base.iter_mut().enumerate() {
        *b = (i * 131 % 251) as u8;
    }
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(FILES as u64));
    group.bench_function("1000x200KB", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let tmp = tempfile::tempdir().unwrap();
                let opts = CreateOptions {
                    kdf: KdfParams::MINIMUM,
                };
                let (mut vault, _) = Vault::create(
                    &tmp.path().join("v"),
                    &Passphrase::new("benchmark pass".into()),
                    &opts,
                )
                .unwrap();
                let mut doc = base.clone();
                let start = Instant::now();
                for i in 0..FILES {
                    doc[..8].copy_from_slice(&(i as u64).to_le_bytes());
                    vault.import_reader("bench.pdf", &doc[..], None).unwrap();
                }
                total += start.elapsed();
            }
            total
        })
    });
    // The same through the ingest queue (what `coffre import` uses): files on disk, two workers.
    group.bench_function("1000x200KB via queue, 2 workers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let tmp = tempfile::tempdir().unwrap();
                let src = tmp.path().join("src");
                std::fs::create_dir(&src).unwrap();
                let mut doc = base.clone();
                let paths: Vec<std::path::PathBuf> = (0..FILES)
                    .map(|i| {
                        doc[..8].copy_from_slice(&(i as u64).to_le_bytes());
                        let p = src.join(format!("f{i}.bin"));
                        std::fs::write(&p, &doc).unwrap();
                        p
                    })
                    .collect();
                let opts = CreateOptions {
                    kdf: KdfParams::MINIMUM,
                };
                let (vault, _) = Vault::create(
                    &tmp.path().join("v"),
                    &Passphrase::new("benchmark pass".into()),
                    &opts,
                )
                .unwrap();
                let vault = std::sync::Arc::new(std::sync::Mutex::new(vault));
                let start = Instant::now();
                let ingest = Ingest::start(vault, 2).unwrap();
                let events = ingest.subscribe();
                ingest.submit(&paths, Origin::Cli).unwrap();
                let mut done = 0;
                while done < FILES {
                    if events.recv().unwrap().is_final() {
                        done += 1;
                    }
                }
                ingest.finish();
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, blob, import);
fn main() {
    // Imports parse documents in extraction workers started from this very program.
    coffre_core::records::worker::serve_if_requested();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
