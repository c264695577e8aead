//! The parent process: starts a child ([`crate::child`]) for a target, follows its progress,
//! and when it dies (an abort, a signal, an allocation over the memory cap, the watchdog's abort
//! on a hang, or silence, after which it is killed) saves the input it was running
//! (`OUT/current-TARGET`) as `OUT/crashes/TARGET-HASH` with the reason in `TARGET-HASH.txt`,
//! then starts a new child until the time is up.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::child::{MARK, save};
use crate::targets::Target;

/// Options of `run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The target.
    pub target: Target,
    /// How long to fuzz.
    pub seconds: u64,
    /// Extra seed folders.
    pub seed_dirs: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// Seed of the PRNG (children get seeds derived from it).
    pub seed: u64,
    /// Time budget of one input.
    pub timeout: Duration,
    /// Address-space cap of the child, MiB.
    pub mem_mb: u64,
}

/// What a run found.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Inputs run.
    pub execs: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// Panics that escaped and deaths by signal or abort (distinct places or inputs).
    pub crashes: u64,
    /// Inputs that ran past the time budget.
    pub hangs: u64,
    /// Inputs that took the child past its memory cap.
    pub ooms: u64,
    /// Panics the target contained itself (not failures), and in how many places.
    pub contained: u64,
    /// Distinct places of contained panics.
    pub contained_places: u64,
    /// Children started.
    pub children: u64,
}

impl Summary {
    /// True when nothing failed.
    pub fn clean(&self) -> bool {
        self.crashes == 0 && self.hangs == 0 && self.ooms == 0
    }
}

enum Event {
    Line(String),
    Eof,
}

pub(crate) struct Running {
    child: Child,
    lines: Receiver<Event>,
    stderr: JoinHandle<StderrTail>,
}

/// The last lines a child wrote on stderr, and whether one said an allocation failed.
#[derive(Default)]
struct StderrTail {
    lines: VecDeque<String>,
    oom: bool,
}

const STDERR_LINES: usize = 200;

pub(crate) fn spawn(args: &[String]) -> Result<Running, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let mut child = Command::new(exe)
        .arg("child")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(
            "RUST_BACKTRACE",
            std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "1".into()),
        )
        .spawn()
        .map_err(|e| format!("starting the child: {e}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix(MARK) {
                let _ = tx.send(Event::Line(rest.trim_start().to_owned()));
            }
        }
        let _ = tx.send(Event::Eof);
    });
    let mut err_pipe = BufReader::new(child.stderr.take().expect("piped stderr"));
    let stderr = std::thread::spawn(move || {
        let mut tail = StderrTail::default();
        let mut line = Vec::new();
        while matches!(err_pipe.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&line[..line.len().min(500)]);
            tail.oom |= text.contains("memory allocation of") || text.contains("out of memory");
            if tail.lines.len() == STDERR_LINES {
                tail.lines.pop_front();
            }
            tail.lines.push_back(text.trim_end().to_owned());
            line.clear();
        }
        tail
    });
    Ok(Running {
        child,
        lines,
        stderr,
    })
}

fn describe_status(s: &ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = s.signal() {
            let name = match sig {
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                7 => " (SIGBUS)",
                4 => " (SIGILL)",
                _ => "",
            };
            return format!("killed by signal {sig}{name}");
        }
    }
    format!("exited with {s}")
}

/// How a child's life ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    Done,
    Hang,
    Oom,
    Crash(String),
}

/// Follows one child until it ends: calls `on_line` for each protocol line; kills it after
/// `silence` without a line. Returns how it ended and its stderr's tail.
pub(crate) fn follow(
    mut r: Running,
    silence: Duration,
    mut on_line: impl FnMut(&str),
) -> (End, String) {
    let mut last = Instant::now();
    let mut done = false;
    let mut hang = false;
    let mut killed = false;
    loop {
        match r.lines.recv_timeout(Duration::from_millis(500)) {
            Ok(Event::Line(l)) => {
                last = Instant::now();
                if l.starts_with("done") {
                    done = true;
                }
                if l.starts_with("hang") {
                    hang = true;
                }
                on_line(&l);
            }
            Ok(Event::Eof) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if last.elapsed() > silence && !killed {
                    let _ = r.child.kill();
                    killed = true;
                }
            }
        }
    }
    let status = r.child.wait();
    let err = r.stderr.join().unwrap_or_default();
    let tail = Vec::from(err.lines).join("\n");
    let end = match &status {
        Ok(s) if s.success() && done => End::Done,
        _ if hang || killed => End::Hang,
        _ if err.oom => End::Oom,
        Ok(s) => End::Crash(describe_status(s)),
        Err(e) => End::Crash(format!("lost the child: {e}")),
    };
    (end, tail)
}

/// A panic's place without the registry's folders (`pdf-extract-0.12.1/src/lib.rs:17:5`).
fn short_place(place: &str) -> &str {
    match place.find("/registry/src/") {
        Some(i) => {
            let rest = &place[i + "/registry/src/".len()..];
            rest.split_once('/').map_or(rest, |(_, r)| r)
        }
        None => place,
    }
}

/// Saves the input a child died on; returns its path.
fn save_death(out: &Path, target: Target, reason: &str, seed: u64, tail: &str) -> PathBuf {
    let current = out.join(format!("current-{}", target.name()));
    let input = std::fs::read(&current).unwrap_or_default();
    let name = format!("{}-{}", target.name(), crate::short_hash(&input));
    let report = format!(
        "target {}: {reason} ({} bytes of input; child seed {seed})\n\nstderr (last lines):\n{tail}\n",
        target.name(),
        input.len()
    );
    save(&out.join("crashes"), &name, &input, &report)
}

pub(crate) fn child_args(o: &RunOptions, seed: u64, seconds: f64, first: bool) -> Vec<String> {
    let mut a = vec![
        o.target.name().to_owned(),
        "--out".into(),
        o.out.display().to_string(),
        "--seed".into(),
        seed.to_string(),
        "--seconds".into(),
        format!("{seconds:.3}"),
        "--timeout".into(),
        o.timeout.as_secs_f64().to_string(),
        "--mem-mb".into(),
        o.mem_mb.to_string(),
    ];
    for d in &o.seed_dirs {
        a.push("--seed-dir".into());
        a.push(d.display().to_string());
    }
    if first {
        a.push("--seed-pass".into());
    }
    a
}

/// Fuzzes one target for `o.seconds`; prints findings as they come and the summary line.
pub fn run(o: &RunOptions) -> Result<Summary, String> {
    std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let name = o.target.name();
    println!("fuzz {name}: seed {} (out {})", o.seed, o.out.display());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(o.seconds);
    let mut sum = Summary::default();
    let mut places: HashSet<String> = HashSet::new();
    let mut fruitless = 0;
    while Instant::now() < deadline {
        let seed = o
            .seed
            .wrapping_add(sum.children.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_secs_f64();
        let running = spawn(&child_args(o, seed, left, sum.children == 0))?;
        let pid = running.child.id();
        sum.children += 1;
        let (mut execs, mut contained) = (0u64, 0u64);
        let mut fatal = None;
        let silence = o.timeout * 2 + Duration::from_secs(30);
        let (end, tail) = follow(running, silence, |l| {
            let (word, rest) = l.split_once([' ', '\t']).unwrap_or((l, ""));
            match word {
                "execs" | "done" => {
                    let mut n = rest.split(' ').map(|x| x.parse::<u64>().unwrap_or(0));
                    execs = n.next().unwrap_or(execs);
                    contained = n.next().unwrap_or(contained);
                }
                "seeds" => println!("fuzz {name}: {rest} seeds"),
                "note" => println!("fuzz {name}: {rest}"),
                "fatal" => fatal = Some(rest.to_owned()),
                "crash" | "contained" => {
                    let f: Vec<&str> = rest.split('\t').collect();
                    let [place, class, path, msg] = f[..] else {
                        return;
                    };
                    if places.insert(format!("{word}@{place} {class}")) {
                        if word == "crash" {
                            sum.crashes += 1;
                            let msg: String = msg.chars().take(300).collect();
                            let place = short_place(place);
                            println!("fuzz {name}: CRASH: panic at {place}: {msg}\n  saved {path}");
                        } else {
                            // Listed in OUT/contained/, one input and report per place.
                            sum.contained_places += 1;
                        }
                    }
                }
                _ => {}
            }
        });
        let _ = std::fs::remove_dir_all(o.out.join("work").join(format!("{name}-{pid}")));
        sum.execs += execs;
        sum.contained += contained;
        if let Some(f) = fatal {
            return Err(format!("{name}: {f}"));
        }
        if end == End::Done {
            break;
        }
        sum.execs += 1;
        let reason = match &end {
            End::Hang => {
                sum.hangs += 1;
                format!("hang: one input ran past {:?}", o.timeout)
            }
            End::Oom => {
                sum.ooms += 1;
                format!("over the memory cap of {} MiB", o.mem_mb)
            }
            End::Crash(how) => {
                sum.crashes += 1;
                format!("crash: the child {how}")
            }
            End::Done => unreachable!(),
        };
        let path = save_death(&o.out, o.target, &reason, seed, &tail);
        println!(
            "fuzz {name}: {}\n  saved {}",
            reason.to_uppercase(),
            path.display()
        );
        fruitless = if execs == 0 { fruitless + 1 } else { 0 };
        if fruitless >= 3 {
            return Err(format!(
                "{name}: the child died three times before running an input:\n{tail}"
            ));
        }
    }
    sum.seconds = start.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {} execs in {:.0} s, {} crashes, {} hangs, {} over memory cap",
        sum.execs, sum.seconds, sum.crashes, sum.hangs, sum.ooms
    );
    println!(
        "fuzz {name}: {:.0} execs/s; {} contained panics in {} places (not failures; OUT/contained); {} children",
        sum.execs as f64 / sum.seconds.max(0.001),
        sum.contained,
        sum.contained_places,
        sum.children
    );
    Ok(sum)
}
