//! `coffre-fuzz regress`: replays the committed inputs (`fuzz/regressions/TARGET/*`) once each,
//! in supervised children like a run ([`crate::supervise`]), so that an input that once aborted
//! the process or exhausted memory is caught as such; a child that dies is restarted after the
//! input it died on.

use std::path::Path;
use std::time::Duration;

use crate::supervise::{End, RunOptions, child_args, follow, spawn};
use crate::targets::Target;

/// Replays every input under `dir/TARGET/` in supervised children; returns the number of
/// failures (crashes, hangs, memory) and prints one line per target.
pub fn regress(dir: &Path, out: &Path, timeout: Duration, mem_mb: u64) -> Result<u64, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut failures = 0;
    for target in Target::ALL {
        let tdir = dir.join(target.name());
        let files = crate::paths::files_under(&tdir);
        let inputs = files
            .iter()
            .filter(|f| f.extension().is_none_or(|e| e != "txt"))
            .count();
        if inputs == 0 {
            continue;
        }
        let mut skip = 0;
        let mut failed = 0;
        loop {
            let o = RunOptions {
                target,
                seconds: 0,
                seed_dirs: Vec::new(),
                out: out.to_path_buf(),
                seed: 0,
                timeout,
                mem_mb,
            };
            let mut args = child_args(&o, 0, 0.0, false);
            args.extend([
                "--replay".into(),
                tdir.display().to_string(),
                "--skip".into(),
                skip.to_string(),
            ]);
            let running = spawn(&args)?;
            let mut current: Option<(usize, String)> = None;
            let mut fatal = None;
            let (end, tail) = follow(running, timeout * 2 + Duration::from_secs(30), |l| {
                let mut f = l.split('\t');
                match f.next().unwrap_or("") {
                    "file" => {
                        let i = f.next().and_then(|i| i.parse().ok()).unwrap_or(0);
                        current = Some((i, f.next().unwrap_or("").to_owned()));
                    }
                    "crash" => {
                        failed += 1;
                        let file = current.as_ref().map_or("?", |c| c.1.as_str());
                        let rest: Vec<&str> = f.collect();
                        let (place, msg) =
                            (rest.first().unwrap_or(&""), rest.last().unwrap_or(&""));
                        println!("regress {}: {file}: panic at {place}: {msg}", target.name());
                    }
                    w if w.starts_with("fatal") => fatal = Some(l.to_owned()),
                    _ => {}
                }
            });
            if let Some(f) = fatal {
                return Err(f);
            }
            if end == End::Done {
                break;
            }
            failed += 1;
            let (i, file) = current.unwrap_or((skip, "?".into()));
            println!("regress {}: {file}: {end:?}", target.name());
            if !tail.is_empty() {
                println!("{tail}");
            }
            skip = i + 1;
        }
        println!(
            "regress {}: {inputs} inputs, {failed} failures",
            target.name()
        );
        failures += failed;
    }
    Ok(failures)
}
