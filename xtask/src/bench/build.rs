//! One build of what the chosen benchmarks run, then each benchmark program run from it.
//!
//! Every benchmark program (and the `coffre` binary the CLI benchmarks drive) comes from a
//! single `cargo bench --no-run --workspace` naming them all: each crate is compiled once, with
//! one set of features, in the `bench` profile (the release settings). One `cargo` call per
//! benchmark compiled the core once per package selection and once more in the `release`
//! profile for the CLI: 19 of the 31 minutes of a cold `--quick` run on 2 cores.
//!
//! Promises: a program is run as `cargo bench` runs it (from its package's folder, with
//! `--bench`); [`Programs::coffre`] is the `coffre` binary of the same build. With `--debug-app`
//! the desktop app's benchmark is built by `cargo test` (the debug build the tests made, whose
//! SQLCipher, key derivation and crypto are optimised in every profile; see Cargo.toml) instead
//! of a release build of the whole app.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::util::root;

/// A built benchmark program.
struct Program {
    exe: PathBuf,
    /// Its package's folder, where `cargo bench` runs it.
    dir: PathBuf,
}

/// The benchmark programs of one build, by name, and the `coffre` binary.
pub(super) struct Programs {
    programs: HashMap<String, Program>,
    coffre: Option<PathBuf>,
}

/// How a build is asked for.
pub(super) enum Mode {
    /// `cargo bench --no-run`: the bench profile (release settings).
    Release,
    /// `cargo test --no-run`: the test profile, the tests' own build.
    Test,
}

impl Programs {
    /// Builds the benchmark programs `benches` (cargo bench target names) in one cargo call,
    /// and the `coffre` binary when `coffre` is set. Nothing to build gives an empty set.
    pub(super) fn build(benches: &[&str], coffre: bool, mode: Mode) -> Result<Programs> {
        let mut targets: Vec<&str> = benches.to_vec();
        // Building a benchmark of coffre-cli builds its binary, the one the CLI benchmarks use.
        if coffre && !targets.contains(&"mail") {
            targets.push("mail");
        }
        let mut built = Programs {
            programs: HashMap::new(),
            coffre: None,
        };
        if targets.is_empty() {
            return Ok(built);
        }
        let mut args = vec![
            match mode {
                Mode::Release => "bench",
                Mode::Test => "test",
            },
            "--no-run",
            "--locked",
            "--workspace",
            "--message-format=json-render-diagnostics",
        ];
        for t in &targets {
            args.extend(["--bench", t]);
        }
        eprintln!("$ cargo {}", args.join(" "));
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(&args)
            .current_dir(root())
            .stderr(Stdio::inherit())
            .output()
            .context("running cargo")?;
        if !out.status.success() {
            bail!("cargo {} failed", args.join(" "));
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if msg["reason"] != "compiler-artifact" {
                continue;
            }
            let Some(exe) = msg["executable"].as_str() else {
                continue;
            };
            let name = msg["target"]["name"].as_str().unwrap_or_default();
            let kinds = &msg["target"]["kind"];
            let is = |k: &str| kinds.as_array().is_some_and(|a| a.iter().any(|v| v == k));
            if is("bench") && targets.contains(&name) {
                let dir = msg["manifest_path"]
                    .as_str()
                    .and_then(|m| Path::new(m).parent())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(root);
                built.programs.insert(
                    name.to_owned(),
                    Program {
                        exe: exe.into(),
                        dir,
                    },
                );
            } else if is("bin") && name == "coffre" {
                built.coffre = Some(exe.into());
            }
        }
        for t in benches {
            if !built.programs.contains_key(*t) {
                bail!("cargo built no benchmark named {t}");
            }
        }
        if coffre && built.coffre.is_none() {
            bail!("cargo built no coffre binary");
        }
        Ok(built)
    }

    /// Runs the benchmark program `name` as `cargo bench` does, with `env` set.
    pub(super) fn run(&self, name: &str, env: &[(&str, &str)]) -> Result<()> {
        let p = self
            .programs
            .get(name)
            .with_context(|| format!("benchmark {name} was not built"))?;
        eprintln!("$ {} --bench", p.exe.display());
        let ok = Command::new(&p.exe)
            .arg("--bench")
            .envs(env.iter().copied())
            .current_dir(&p.dir)
            .status()
            .with_context(|| format!("running {}", p.exe.display()))?
            .success();
        if !ok {
            bail!("benchmark {name} failed");
        }
        Ok(())
    }

    /// The `coffre` binary of this build.
    pub(super) fn coffre(&self) -> Result<&Path> {
        self.coffre
            .as_deref()
            .context("the coffre binary was not built")
    }

    /// Takes the programs of `other` (another build) in.
    pub(super) fn merge(&mut self, other: Programs) {
        self.programs.extend(other.programs);
        self.coffre = self.coffre.take().or(other.coffre);
    }
}
