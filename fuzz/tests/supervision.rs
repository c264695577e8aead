//! The supervision of `coffre-fuzz run`, through the real binary: a panic, an abort, a hang and
//! an allocation over the memory cap (made on purpose by `COFFRE_FUZZ_SELF_TEST`) are each
//! reported, saved under `OUT/crashes/` with their reason, and fail the run; the run goes on
//! after each (the child is restarted).

use std::path::Path;
use std::process::Command;

fn run(kind: &str, out: &Path) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_coffre-fuzz"))
        .args([
            "run",
            "recovery-key",
            "--seconds",
            "4",
            "--seed",
            "1",
            "--timeout",
            "1",
        ])
        .arg("--out")
        .arg(out)
        .env("COFFRE_FUZZ_SELF_TEST", kind)
        .output()
        .expect("run coffre-fuzz");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    (o.status.success(), text)
}

fn reasons(out: &Path) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(out.join("crashes")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            all.push_str(&std::fs::read_to_string(p).unwrap());
        }
    }
    all
}

#[test]
fn each_kind_of_failure_is_caught_saved_and_survived() {
    let base = std::env::temp_dir().join(format!("coffre-fuzz-supervision-{}", std::process::id()));
    for (kind, line, reason) in [
        (
            "panic",
            "1 crashes, 0 hangs, 0 over memory cap",
            "self-test panic",
        ),
        ("abort", "1 crashes, 0 hangs, 0 over memory cap", "SIGABRT"),
        (
            "hang",
            "0 crashes, 1 hangs, 0 over memory cap",
            "hang: one input ran past",
        ),
        (
            "oom",
            "0 crashes, 0 hangs, 1 over memory cap",
            "over the memory cap",
        ),
    ] {
        let out = base.join(kind);
        let (ok, text) = run(kind, &out);
        assert!(!ok, "{kind}: the run should fail:\n{text}");
        assert!(text.contains(line), "{kind}: {line:?} not in:\n{text}");
        assert!(
            reasons(&out).contains(reason),
            "{kind}: {reason:?} not in the saved report"
        );
        if kind != "panic" {
            // The child died at its 21st input; a new one went on.
            assert!(
                text.contains("2 children") || text.contains("3 children"),
                "{kind}:\n{text}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&base);
}
