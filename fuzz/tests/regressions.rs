//! Every committed fuzzing input (`fuzz/regressions/TARGET/*`) through its target, in process,
//! so `cargo test --workspace` covers them (`coffre-fuzz regress` replays them supervised).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use coffre_fuzz::harness::Harness;
use coffre_fuzz::paths;
use coffre_fuzz::targets::Target;

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[test]
fn committed_inputs_do_not_crash() {
    let root = paths::regressions();
    let mut failures = Vec::new();
    let mut count = 0;
    for target in Target::ALL {
        let inputs: Vec<_> = paths::files_under(&root.join(target.name()))
            .into_iter()
            .filter(|f| f.extension().is_none_or(|e| e != "txt"))
            .collect();
        if inputs.is_empty() {
            continue;
        }
        let work = tempfile_dir(target);
        let mut h = Harness::new(target, &work, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("{}: {e}", target.name()));
        for f in inputs {
            let data = std::fs::read(&f).unwrap();
            count += 1;
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| h.run(&data))) {
                failures.push(format!("{}: {}", f.display(), panic_text(p.as_ref())));
            }
        }
        let _ = std::fs::remove_dir_all(&work);
    }
    assert!(
        failures.is_empty(),
        "{} of {count} inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn tempfile_dir(target: Target) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "coffre-fuzz-test-{}-{}",
        target.name(),
        std::process::id()
    ))
}
