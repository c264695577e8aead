//! # coffre-fuzz
//!
//! Seeded mutation fuzzing of every parser of outside data in Coffre, on the stable toolchain
//! (no nightly, no cargo-fuzz, no coverage feedback): take a real input (a fixture, a file of the
//! public corpus, or one generated here), apply 1 to 8 random mutations, feed it to the parser,
//! repeat. What it finds is what a hostile or damaged file could do to the app: a panic, an
//! abort, unbounded memory, an input that never ends.
//!
//! Modules:
//! - [`targets`]: the parsers under test, by name, and what each checks beyond "no panic";
//! - [`harness`]: a target ready to run inputs, with the state and seeds it makes;
//! - [`checks`]: one input through one target, panicking on a finding;
//! - [`setup`]: the real vault, bundle and backup the vault-backed targets start from;
//! - [`hostile`]: a backup and bundles signed by the fuzzer, to get past signature checks;
//! - [`seeds`]: where the starting inputs come from (fixtures, `../shared/corpus`, generated);
//! - [`pdfgen`]: small uncompressed PDFs (plain and Factur-X) written by hand, as seeds;
//! - [`mutate`]: the mutations;
//! - [`child`]: the process that runs inputs (memory cap, time budget, panics recorded);
//! - [`supervise`]: the parent that restarts it, saves what killed it, and sums up;
//! - [`regress`]: the committed inputs replayed the same way;
//! - [`paths`]: the workspace's folders.
//!
//! Command line (the `coffre-fuzz` binary): `run TARGET|all --seconds N [--seed-dir DIR]
//! [--out DIR] [--seed S] [--timeout S]`, `regress [--dir DIR] [--out DIR]`, `list`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checks;
pub mod child;
pub mod harness;
pub mod hostile;
pub mod mutate;
pub mod paths;
pub mod pdfgen;
pub mod regress;
pub mod seeds;
pub mod setup;
pub mod supervise;
pub mod targets;

/// A short stable hash of an input, for file names (hex of the first 8 bytes of its SHA-256).
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = coffre_core::format::crypto::sha256_of(bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
