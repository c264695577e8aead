//! The harness itself: every target runs its generated seeds and a short seeded round of
//! mutants (so a change of a parser's API or behaviour that breaks the harness is seen before
//! the next fuzzing run), and the self-signed artefacts really get past the signature checks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use coffre_fuzz::harness::Harness;
use coffre_fuzz::mutate::Mutator;
use coffre_fuzz::targets::Target;
use coffre_fuzz::{hostile, setup};

fn work(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("coffre-fuzz-harness-{name}-{}", std::process::id()))
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[test]
fn every_target_runs_its_generated_seeds_and_mutants() {
    let mut found = Vec::new();
    for target in Target::ALL {
        let work = work(target.name());
        let mut h = Harness::new(target, &work, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("{}: {e}", target.name()));
        let seeds = h.generated_seeds();
        assert!(!seeds.is_empty(), "{} generates no seed", target.name());
        // The seeds themselves must pass: they are valid inputs.
        for s in &seeds {
            h.run(&s.data);
        }
        // Mutants may find something: reported, not failed on (committed inputs are the
        // regression suite; `coffre-fuzz run` is the search).
        let mut m = Mutator::new(12);
        m.max_len = 256 * 1024;
        for i in 0..20 {
            let s = &seeds[i % seeds.len()];
            let keep = h.protected_prefix(&s.data);
            let mut tail = s.data[keep..].to_vec();
            m.mutate(&mut tail, &seeds[0].data, target.dictionary());
            let mut input = s.data[..keep].to_vec();
            input.extend(tail);
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| h.run(&input))) {
                found.push(format!("{}: {}", target.name(), panic_text(p.as_ref())));
            }
        }
        let _ = std::fs::remove_dir_all(&work);
    }
    for f in found {
        eprintln!("note: the smoke round found {f}");
    }
}

#[test]
fn self_signed_bundles_and_backups_verify() {
    let dir = work("self-signed");
    setup::fresh_dir(&dir).unwrap();
    let (_, plain) = setup::bundles(&dir).unwrap().swap_remove(0);
    let entries = hostile::zip_entries(&plain).unwrap();
    let manifest = &entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .unwrap()
        .1;
    let rebuilt =
        hostile::bundle_with_manifest(&entries, &hostile::adopt_manifest(manifest).unwrap());
    let path = dir.join("rebuilt.zip");
    std::fs::write(&path, rebuilt).unwrap();
    // Without an expected signer, any valid signature is "an unknown key"; with the fuzzer's
    // fingerprint the re-signed bundle verifies.
    let report = coffre_core::sharing::bundle::bundle_verify(&path, None, None).unwrap();
    assert!(report.signature_valid && !report.signer_known, "{report:?}");
    let expected = coffre_core::sharing::bundle::ExpectedSigner::fingerprint(
        report.key_fingerprint.as_deref().unwrap(),
    )
    .unwrap();
    let report = coffre_core::sharing::bundle::bundle_verify(&path, None, Some(&expected)).unwrap();
    assert!(report.ok && report.signature_valid, "{report:?}");

    let backup = setup::backup(&dir).unwrap();
    hostile::adopt_backup(&backup).unwrap();
    let report = coffre_core::backup::backup_verify(&backup).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.signing_public_key, hostile::public_key_hex());
    let _ = std::fs::remove_dir_all(&dir);
}
