//! `coffre-fuzz`: seeded mutation fuzzing of Coffre's parsers of outside data (see the library's
//! documentation).
//!
//! ```text
//! coffre-fuzz run TARGET|all --seconds N [--seed-dir DIR]... [--out DIR] [--seed S]
//!                 [--timeout SECS] [--mem-mb MB]
//! coffre-fuzz regress [--dir DIR] [--out DIR]
//! coffre-fuzz list
//! ```
//!
//! `run` exits with 1 when it found a crash, a hang or an input over the memory cap; `regress`
//! when a committed input still fails.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use coffre_fuzz::child::{self, ChildArgs};
use coffre_fuzz::paths;
use coffre_fuzz::supervise::{self, RunOptions};
use coffre_fuzz::targets::Target;

const USAGE: &str = "usage: coffre-fuzz run TARGET|all --seconds N [--seed-dir DIR]... [--out DIR] [--seed S] \
[--timeout SECS] [--mem-mb MB]\n       coffre-fuzz regress [--dir DIR] [--out DIR]\n       coffre-fuzz list";

/// Options shared by the subcommands.
struct Opts {
    positional: Vec<String>,
    seconds: Option<f64>,
    seed_dirs: Vec<PathBuf>,
    out: Option<PathBuf>,
    dir: Option<PathBuf>,
    seed: Option<u64>,
    timeout: f64,
    mem_mb: u64,
    seed_pass: bool,
    replay: Option<PathBuf>,
    skip: usize,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        positional: Vec::new(),
        seconds: None,
        seed_dirs: Vec::new(),
        out: None,
        dir: None,
        seed: None,
        timeout: 10.0,
        mem_mb: 2048,
        seed_pass: false,
        replay: None,
        skip: 0,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let num = |name: &str, v: String| {
            v.parse::<f64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match a.as_str() {
            "--seconds" => o.seconds = Some(num(a, value(a)?)?),
            "--seed-dir" => o.seed_dirs.push(value(a)?.into()),
            "--out" => o.out = Some(value(a)?.into()),
            "--dir" => o.dir = Some(value(a)?.into()),
            "--seed" => o.seed = Some(value(a)?.parse().map_err(|_| "--seed: not an integer")?),
            "--timeout" => o.timeout = num(a, value(a)?)?,
            "--mem-mb" => o.mem_mb = num(a, value(a)?)? as u64,
            "--seed-pass" => o.seed_pass = true,
            "--replay" => o.replay = Some(value(a)?.into()),
            "--skip" => o.skip = num(a, value(a)?)? as usize,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => o.positional.push(s.to_owned()),
        }
    }
    Ok(o)
}

fn targets(name: &str) -> Result<Vec<Target>, String> {
    if name == "all" {
        return Ok(Target::ALL.to_vec());
    }
    Target::from_name(name).map(|t| vec![t]).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        format!(
            "unknown target {name:?} (targets: {}, all)",
            names.join(", ")
        )
    })
}

fn time_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn dispatch(args: &[String]) -> Result<ExitCode, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err(USAGE.into());
    };
    let o = parse(rest)?;
    let timeout = Duration::from_secs_f64(o.timeout.max(0.1));
    let out = o.out.clone().unwrap_or_else(paths::default_out);
    match cmd.as_str() {
        "list" => {
            for t in Target::ALL {
                println!("{}", t.name());
            }
            Ok(ExitCode::SUCCESS)
        }
        "run" => {
            let [name] = o.positional.as_slice() else {
                return Err(USAGE.into());
            };
            let seconds = o.seconds.ok_or("--seconds N is required")?;
            let seed = o.seed.unwrap_or_else(time_seed);
            let mut clean = true;
            for target in targets(name)? {
                let sum = supervise::run(&RunOptions {
                    target,
                    seconds: seconds as u64,
                    seed_dirs: o.seed_dirs.clone(),
                    out: out.clone(),
                    seed,
                    timeout,
                    mem_mb: o.mem_mb,
                })?;
                clean &= sum.clean();
            }
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "regress" => {
            let dir = o.dir.clone().unwrap_or_else(paths::regressions);
            let failures = coffre_fuzz::regress::regress(&dir, &out, timeout, o.mem_mb)?;
            println!("regress: {failures} failures");
            Ok(if failures == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "child" => {
            let [name] = o.positional.as_slice() else {
                return Err(USAGE.into());
            };
            let target = Target::from_name(name).ok_or_else(|| format!("unknown target {name}"))?;
            let code = child::main(&ChildArgs {
                target,
                out,
                seed: o.seed.unwrap_or(0),
                seconds: o.seconds.unwrap_or(0.0),
                timeout,
                mem_mb: o.mem_mb,
                seed_dirs: o.seed_dirs,
                seed_pass: o.seed_pass,
                replay: o.replay,
                skip: o.skip,
            });
            Ok(ExitCode::from(code as u8))
        }
        _ => Err(USAGE.into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coffre-fuzz: {e}");
            ExitCode::from(2)
        }
    }
}
