//! The child process that runs inputs (`coffre-fuzz child ...`, started by [`crate::supervise`]).
//!
//! It caps its own address space (`RLIMIT_AS`), so an input that wants unbounded memory makes an
//! allocation fail (the process aborts) instead of taking the machine. Before each input it
//! writes the input to `OUT/current-TARGET` (no fsync: the parent reads it after a death, the
//! page cache is enough), so whatever kills it, the parent knows what did. A watchdog thread
//! aborts it when one input runs past the time budget, saying `hang` first. A panic hook records
//! every panic with its backtrace: one that escapes the target (caught here by `catch_unwind`)
//! is a crash, saved at once; one the target contained itself (the PDF reader's panics, which
//! `coffre-extract` turns into issues) is saved once per place under `OUT/contained/` and does
//! not fail the run.
//!
//! It talks to the parent in lines on stdout starting with [`MARK`] (libraries may print their
//! own lines; those are ignored).

use std::backtrace::Backtrace;
use std::collections::HashSet;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::harness::Harness;
use crate::mutate::Mutator;
use crate::seeds::{self, Seed};
use crate::targets::Target;

/// Prefix of the protocol lines on stdout.
pub const MARK: &str = "@@coffre-fuzz";

/// What the child is told to do.
#[derive(Debug, Clone)]
pub struct ChildArgs {
    /// The target.
    pub target: Target,
    /// The run's output folder.
    pub out: PathBuf,
    /// Seed of the mutation PRNG.
    pub seed: u64,
    /// How long to fuzz (ignored when replaying).
    pub seconds: f64,
    /// Time budget of one input.
    pub timeout: Duration,
    /// Address-space cap, in MiB (0: none).
    pub mem_mb: u64,
    /// Extra seed folders.
    pub seed_dirs: Vec<PathBuf>,
    /// Run every seed once, unmutated, before mutating.
    pub seed_pass: bool,
    /// Replay these files once each (after skipping `skip`) instead of fuzzing.
    pub replay: Option<PathBuf>,
    /// Files of `replay` already done.
    pub skip: usize,
}

struct PanicRecord {
    thread: String,
    message: String,
    location: String,
    backtrace: Backtrace,
}

static PANICS: Mutex<Vec<PanicRecord>> = Mutex::new(Vec::new());
static STARTED: OnceLock<Instant> = OnceLock::new();
/// When the current input started (ms since [`STARTED`], plus one), or 0 between inputs.
static BUSY_SINCE: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    STARTED.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// Prints one protocol line.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{MARK} {line}");
    let _ = out.flush();
}

/// Records every panic (message, place, thread, backtrace) instead of printing it.
pub fn install_panic_recorder() {
    std::panic::set_hook(Box::new(|info| {
        let record = PanicRecord {
            thread: std::thread::current().name().unwrap_or("?").to_owned(),
            message: info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string payload)".to_owned()),
            location: info.location().map_or_else(
                || "?".to_owned(),
                |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
            ),
            backtrace: Backtrace::force_capture(),
        };
        PANICS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }));
}

fn take_panics() -> Vec<PanicRecord> {
    std::mem::take(&mut *PANICS.lock().unwrap_or_else(|p| p.into_inner()))
}

/// Caps the address space of this process at `mb` MiB.
#[cfg(unix)]
fn cap_memory(mb: u64) -> Result<(), String> {
    let hard = rlimit::Resource::AS.get_hard().map_err(|e| e.to_string())?;
    rlimit::Resource::AS
        .set((mb << 20).min(hard), hard)
        .map_err(|e| format!("setrlimit(RLIMIT_AS): {e}"))
}

#[cfg(not(unix))]
fn cap_memory(_mb: u64) -> Result<(), String> {
    say("note no address-space cap on this OS");
    Ok(())
}

fn start_watchdog(budget: Duration) {
    let budget_ms = budget.as_millis() as u64;
    std::thread::Builder::new()
        .name("coffre-fuzz-watchdog".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(50));
                let since = BUSY_SINCE.load(Ordering::SeqCst);
                if since != 0
                    && now_ms().saturating_sub(since) > budget_ms
                    && BUSY_SINCE.load(Ordering::SeqCst) == since
                {
                    say(&format!("hang {}", now_ms() - since));
                    std::process::abort();
                }
            }
        })
        .expect("start the watchdog");
}

/// Writes a finding: the input as `DIR/NAME` and what happened as `DIR/NAME.txt`.
pub fn save(dir: &Path, name: &str, input: &[u8], report: &str) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(name);
    let _ = std::fs::write(&path, input);
    let _ = std::fs::write(dir.join(format!("{name}.txt")), report);
    path
}

fn describe(records: &[PanicRecord]) -> String {
    let mut s = String::new();
    for r in records {
        s.push_str(&format!(
            "panic in thread {:?} at {}: {}\n{}\n\n",
            r.thread, r.location, r.message, r.backtrace
        ));
    }
    s
}

/// The input at which `COFFRE_FUZZ_SELF_TEST` acts.
const SELF_TEST_AT: u64 = 20;

/// `COFFRE_FUZZ_SELF_TEST=panic|abort|hang|oom` makes the first child of a run (the one that
/// finds no `OUT/self-test` yet) fail that way on its 21st input, to test the supervision
/// (`tests/supervision.rs`); unset, nothing happens.
fn self_test(out: &Path) {
    let Ok(kind) = std::env::var("COFFRE_FUZZ_SELF_TEST") else {
        return;
    };
    if std::fs::create_dir(out.join("self-test")).is_err() {
        return;
    }
    match kind.as_str() {
        "panic" => panic!("self-test panic"),
        "abort" => std::process::abort(),
        "hang" => std::thread::sleep(Duration::from_secs(3600)),
        "oom" => {
            let v = vec![1u8; 64 << 30];
            std::hint::black_box(&v);
        }
        _ => {}
    }
}

/// What tells two panics at one place apart: the message before any quoted text, without
/// digits (so "index 5" and "index 7" are one finding, "unterminated string" another).
pub fn class_of(message: &str) -> String {
    let head = message.split(['"', '\n']).next().unwrap_or("");
    let mut out: String = head
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .take(80)
        .collect();
    out.truncate(out.trim_end().len());
    out
}

/// Runs the child; returns the process exit code.
pub fn main(args: &ChildArgs) -> i32 {
    STARTED.get_or_init(Instant::now);
    if args.mem_mb > 0
        && let Err(e) = cap_memory(args.mem_mb)
    {
        say(&format!("fatal {e}"));
        return 2;
    }
    let name = args.target.name();
    let work = args
        .out
        .join("work")
        .join(format!("{name}-{}", std::process::id()));
    // PDF work gets twice the budget: the watchdog, not the extractor's own timeout, fires.
    let mut harness = match Harness::new(args.target, &work, args.timeout * 2) {
        Ok(h) => h,
        Err(e) => {
            say(&format!("fatal setup of {name}: {e}"));
            return 2;
        }
    };
    install_panic_recorder();
    let current_path = args.out.join(format!("current-{name}"));
    let mut current = match File::create(&current_path) {
        Ok(f) => f,
        Err(e) => {
            say(&format!("fatal {}: {e}", current_path.display()));
            return 2;
        }
    };
    start_watchdog(args.timeout);
    let mut runner = Runner {
        harness: &mut harness,
        current: &mut current,
        out: &args.out,
        execs: 0,
        contained: 0,
        places: HashSet::new(),
        last_report: Instant::now(),
    };
    let code = match &args.replay {
        Some(dir) => runner.replay(dir, args.skip),
        None => runner.fuzz(args),
    };
    let _ = std::fs::remove_dir_all(&work);
    code
}

struct Runner<'a> {
    harness: &'a mut Harness,
    current: &'a mut File,
    out: &'a Path,
    execs: u64,
    contained: u64,
    places: HashSet<String>,
    last_report: Instant,
}

impl Runner<'_> {
    fn fuzz(&mut self, args: &ChildArgs) -> i32 {
        let target = args.target;
        let mut loaded = seeds::from_files(target, &args.seed_dirs);
        let mut all: Vec<Seed> = self.harness.generated_seeds();
        all.append(&mut loaded.seeds);
        if args.seed_pass {
            for n in &loaded.notes {
                say(&format!("note {n}"));
            }
            say(&format!("seeds {}", all.len()));
        }
        if all.is_empty() {
            say("fatal no seed");
            return 2;
        }
        if args.seed_pass {
            for s in &all {
                self.one(&s.data);
            }
        }
        let mut m = Mutator::new(args.seed);
        m.max_len = target.max_input_len();
        let dict = target.dictionary();
        let end = Instant::now() + Duration::from_secs_f64(args.seconds.max(0.0));
        while Instant::now() < end {
            let s = &all[m.rng().usize(..all.len())];
            let o = &all[m.rng().usize(..all.len())];
            let keep = self.harness.protected_prefix(&s.data);
            let mut data = s.data[keep..].to_vec();
            let other = &o.data[self.harness.protected_prefix(&o.data)..];
            m.mutate(&mut data, other, dict);
            let mut input = s.data[..keep].to_vec();
            input.append(&mut data);
            self.one(&input);
        }
        say(&format!("done {} {}", self.execs, self.contained));
        0
    }

    fn replay(&mut self, dir: &Path, skip: usize) -> i32 {
        let files = crate::paths::files_under(dir);
        for (i, f) in files.iter().enumerate().skip(skip) {
            if f.extension().is_some_and(|e| e == "txt") {
                continue;
            }
            let Ok(data) = std::fs::read(f) else { continue };
            say(&format!("file\t{i}\t{}", f.display()));
            self.one(&data);
        }
        say(&format!("done {} {}", self.execs, self.contained));
        0
    }

    /// Runs one input under the watchdog; saves what it finds.
    fn one(&mut self, input: &[u8]) {
        let _ = self.current.seek(SeekFrom::Start(0));
        let _ = self.current.write_all(input);
        let _ = self.current.set_len(input.len() as u64);
        take_panics();
        BUSY_SINCE.store(now_ms(), Ordering::SeqCst);
        let result = catch_unwind(AssertUnwindSafe(|| {
            if self.execs == SELF_TEST_AT {
                self_test(self.out);
            }
            self.harness.run(input)
        }));
        BUSY_SINCE.store(0, Ordering::SeqCst);
        self.execs += 1;
        let panics = take_panics();
        let name = self.harness.target().name();
        if result.is_err() || !panics.is_empty() {
            let place = panics
                .last()
                .map_or("?", |p| p.location.as_str())
                .to_owned();
            let kind = if result.is_err() {
                "crash"
            } else {
                "contained"
            };
            // Contained panics (the PDF reader's, many and known) count once per place.
            let class = match panics.last() {
                Some(p) if result.is_err() => class_of(&p.message),
                _ => String::new(),
            };
            let key = format!("{kind}@{place} {class}");
            if self.places.insert(key) {
                let folder = if result.is_err() {
                    "crashes"
                } else {
                    "contained"
                };
                let report = format!(
                    "target {name}: {kind} panic ({} bytes of input)\n\n{}",
                    input.len(),
                    describe(&panics)
                );
                let file = format!("{name}-{}", crate::short_hash(input));
                let path = save(&self.out.join(folder), &file, input, &report);
                let msg = panics.last().map_or("", |p| p.message.as_str());
                let first = msg.lines().next().unwrap_or("");
                say(&format!(
                    "{kind}\t{place}\t{class}\t{}\t{first}",
                    path.display()
                ));
            }
            if result.is_ok() {
                self.contained += 1;
            }
        }
        if self.execs == 1 || self.last_report.elapsed() >= Duration::from_millis(500) {
            self.last_report = Instant::now();
            say(&format!("execs {} {}", self.execs, self.contained));
        }
    }
}
