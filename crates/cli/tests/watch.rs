//! `coffre watch` end to end: the real binary watching a real folder. Every file that lands in the
//! folder is imported exactly once, complete, or set aside with a reason.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{pdf_body, pdf_files, write};
use serde_json::Value;

/// A test vault and the folder `inbox` it watches.
struct Env {
    vault: common::Env,
    inbox: PathBuf,
}

impl std::ops::Deref for Env {
    type Target = common::Env;

    fn deref(&self) -> &common::Env {
        &self.vault
    }
}

impl Env {
    fn new() -> Env {
        let vault = common::Env::new();
        let inbox = vault.path("inbox");
        std::fs::create_dir(&inbox).unwrap();
        Env { vault, inbox }
    }

    fn watch(&self, after: &str) -> Watch {
        self.watch_with(after, &[])
    }

    /// `coffre watch --locked`: unlocks once, locks, then seals new files into the inbox.
    fn watch_locked(&self, after: &str) -> Watch {
        self.watch_with(after, &["--locked"])
    }

    fn watch_with(&self, after: &str, extra: &[&str]) -> Watch {
        let mut args = vec![
            "watch",
            self.inbox.to_str().unwrap(),
            "--after",
            after,
            "--settle-ms",
            "300",
            "--rescan-s",
            "2",
            "--json",
        ];
        args.extend_from_slice(extra);
        let mut child = self
            .cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap_or_else(|p| p.into_inner()).push(v);
                }
            }
        });
        let w = Watch { child, events };
        w.wait_for("watcher start", |e| {
            e.iter().any(|v| v["kind"] == "started")
        });
        w
    }
}

struct Watch {
    child: Child,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Watch {
    fn count(&self, kind: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v["kind"] == kind)
            .count()
    }

    fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(90) {
            if done(&self.events.lock().unwrap_or_else(|p| p.into_inner())) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out waiting for {what}: {:?}",
            self.events.lock().unwrap()
        );
    }

    /// Waits until no event has arrived for `quiet` (at most 90 s).
    fn wait_quiet(&self, quiet: Duration) {
        let start = Instant::now();
        let (mut last_len, mut since) = (usize::MAX, Instant::now());
        while start.elapsed() < Duration::from_secs(90) {
            let len = self.events.lock().unwrap_or_else(|p| p.into_inner()).len();
            if len != last_len {
                (last_len, since) = (len, Instant::now());
            } else if since.elapsed() >= quiet {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the watcher never went quiet");
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "watch exited with {status}");
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

#[test]
fn a_file_written_in_two_halves_is_imported_once_complete() {
    let env = Env::new();
    let w = env.watch("keep");
    let data = pdf_body(1, 400_000);
    let path = env.inbox.join("scan.pdf");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&data[..200_000]).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150)); // a scanner pausing, shorter than settle
        f.write_all(&data[200_000..]).unwrap();
    }
    w.wait_for("import", |e| e.iter().any(|v| v["kind"] == "imported"));
    std::thread::sleep(Duration::from_millis(2500)); // a rescan passes: nothing more happens
    assert_eq!(w.count("imported"), 1);
    w.stop();
    let docs = env.list();
    assert_eq!(docs.len(), 1);
    let out = env.run(&["cat", docs[0]["id"].as_str().unwrap()]);
    assert_eq!(out.stdout, data, "imported complete");
    assert!(path.exists(), "keep leaves the file in place");
}

#[test]
fn present_files_renames_ignored_names_and_move_policy() {
    let env = Env::new();
    write(&env.inbox.join("before.pdf"), &pdf_body(1, 1000));
    write(&env.inbox.join(".hidden.pdf"), &pdf_body(2, 1000));
    write(&env.inbox.join("~$lock.docx"), &pdf_body(3, 1000));
    let w = env.watch("move");
    w.wait_for("present file", |e| e.iter().any(|v| v["kind"] == "handled"));
    // A browser finishing a download: written under a temporary name, then renamed.
    write(
        &env.inbox.join("facture.pdf.crdownload"),
        &pdf_body(4, 5000),
    );
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(w.count("imported"), 1, "a .crdownload is never taken");
    std::fs::rename(
        env.inbox.join("facture.pdf.crdownload"),
        env.inbox.join("facture.pdf"),
    )
    .unwrap();
    w.wait_for("renamed file", |e| {
        e.iter().filter(|v| v["kind"] == "handled").count() == 2
    });
    w.stop();
    let month = time_month();
    assert!(
        env.inbox
            .join("Imported")
            .join(&month)
            .join("before.pdf")
            .exists()
    );
    assert!(
        env.inbox
            .join("Imported")
            .join(&month)
            .join("facture.pdf")
            .exists()
    );
    assert!(env.inbox.join(".hidden.pdf").exists() && env.inbox.join("~$lock.docx").exists());
    assert_eq!(env.list().len(), 2);
}

fn time_month() -> String {
    // Imported/YYYY-MM/ is the UTC month of the import: ask the system clock through `date`.
    let out = Command::new("date")
        .args(["-u", "+%Y-%m"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn a_thousand_files_dropped_at_once_are_each_imported_once() {
    let env = Env::new();
    let w = env.watch("delete");
    let staging = pdf_files(&env.path("staging"), 1000, 2000);
    for i in 0..1000 {
        let name = format!("f{i:03}.pdf");
        std::fs::rename(staging.join(&name), env.inbox.join(&name)).unwrap();
    }
    w.wait_for("1000 deletions", |e| {
        e.iter().filter(|v| v["kind"] == "handled").count() == 1000
    });
    assert_eq!(w.count("imported"), 1000);
    assert_eq!(w.count("failed"), 0);
    w.stop();
    assert_eq!(
        std::fs::read_dir(&env.inbox).unwrap().count(),
        0,
        "delete leaves the folder empty"
    );
    assert_eq!(env.list().len(), 1000);
}

#[test]
fn a_watcher_killed_mid_batch_and_restarted_imports_each_file_exactly_once() {
    let env = Env::new();
    pdf_files(&env.inbox, 400, 20_000);
    let w = env.watch("keep");
    w.wait_for("a hundred imports", |e| {
        e.iter().filter(|v| v["kind"] == "imported").count() >= 100
    });
    w.kill();
    let after_kill = env.list().len();
    assert!(after_kill < 400, "killed too late ({after_kill})");
    let w = env.watch("keep");
    // The vault is the watcher's while it runs: wait until it has been quiet through a rescan.
    w.wait_quiet(Duration::from_secs(3));
    w.stop();
    let docs = env.list();
    assert_eq!(docs.len(), 400);
    let mut names: Vec<&str> = docs.iter().map(|d| d["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 400);
    let out = env.run(&["verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn too_large_goes_to_failed_and_a_damaged_pdf_is_stored_for_review() {
    let env = Env::new();
    assert!(
        env.cmd(&["config", "max-import-size", "50KiB"])
            .status()
            .unwrap()
            .success()
    );
    let w = env.watch("move");
    write(&env.inbox.join("huge.pdf"), &pdf_body(1, 60_000));
    let pdf = std::fs::read(common::fixture("ghostscript-invoice-fr.pdf")).unwrap();
    write(&env.inbox.join("damaged.pdf"), &pdf[..pdf.len() / 3]);
    w.wait_for("both files", |e| {
        e.iter().any(|v| v["kind"] == "failed") && e.iter().any(|v| v["kind"] == "handled")
    });
    w.stop();
    let failed = env.inbox.join("Failed");
    assert!(failed.join("huge.pdf").exists());
    let reason = std::fs::read_to_string(failed.join("huge.pdf.reason.txt")).unwrap();
    assert!(reason.contains("import limit"), "{reason}");
    let review = env.json(&["search", "--kind", "review", "--json"]);
    let review = review.as_array().unwrap();
    assert_eq!(review.len(), 1);
    assert_eq!(review[0]["name"], "damaged.pdf");
}

#[test]
fn keep_writes_nothing_into_the_watched_folder() {
    let env = Env::new();
    write(&env.inbox.join("a.pdf"), &pdf_body(1, 1000));
    write(&env.inbox.join("b.xml"), b"<Invoice/>");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env.inbox, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(env.inbox.join("probe"), b"x").is_ok() {
            let _ = std::fs::remove_file(env.inbox.join("probe"));
            eprintln!(
                "note: running as root, a 0555 folder stays writable; checking that nothing is written instead"
            );
        }
    }
    let w = env.watch("keep");
    w.wait_for("two kept", |e| {
        e.iter().filter(|v| v["kind"] == "handled").count() == 2
    });
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        w.count("imported"),
        2,
        "kept files are not imported again on rescan"
    );
    w.stop();
    let mut names: Vec<String> = std::fs::read_dir(&env.inbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.pdf", "b.xml"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env.inbox, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Restarted, the watcher remembers what it kept.
    let w = env.watch("keep");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(w.count("imported") + w.count("duplicate"), 0);
    w.stop();
    assert_eq!(env.list().len(), 2);
}

/// The sealed files waiting in the vault's inbox.
fn sealed(env: &Env) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(env.vault.vault.join("inbox")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sealed"))
        .collect();
    v.sort();
    v
}

/// Whether any 24-byte run of `plain` (taken every 997 bytes, and its first bytes) is in `data`.
fn holds_any_of(data: &[u8], plain: &[u8]) -> bool {
    (0..plain.len().saturating_sub(24))
        .step_by(997)
        .any(|at| data.windows(24).any(|w| w == &plain[at..at + 24]))
}

#[test]
fn locked_watch_seals_and_the_next_unlock_imports_once_with_the_name() {
    for after in ["delete", "move"] {
        let env = Env::new();
        let w = env.watch_locked(after);
        let pdf = common::fixture("real/libreoffice/lo-fr-1.pdf");
        let plain = std::fs::read(&pdf).unwrap();
        let dropped = env.inbox.join("Facture mars.pdf");
        std::fs::copy(&pdf, &dropped).unwrap();
        w.wait_for("the sealed file handled", |e| {
            e.iter().any(|v| v["kind"] == "handled")
        });
        assert!(!dropped.exists(), "{after}: the plaintext left the folder");
        if after == "move" {
            let moved = env
                .inbox
                .join("Imported")
                .join(time_month())
                .join("Facture mars.pdf");
            assert!(moved.exists(), "move keeps the file under Imported/");
        }
        let files = sealed(&env);
        assert_eq!(files.len(), 1, "one sealed file: {files:?}");
        let data = std::fs::read(&files[0]).unwrap();
        assert!(
            !holds_any_of(&data, &plain),
            "no run of the file's bytes in clear"
        );
        assert!(!data.windows(7).any(|w| w == b"Facture"), "nor its name");
        // Nothing else of it anywhere in the vault's folder while locked.
        for f in common_walk(&env.vault.vault) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            assert!(
                !holds_any_of(&bytes, &plain),
                "{} holds plaintext",
                f.display()
            );
        }
        // The next unlock (any command) imports it, under its name; the one after, nothing.
        let docs = env.list();
        assert_eq!(docs.len(), 1, "{docs:?}");
        assert_eq!(docs[0]["name"], "Facture mars.pdf");
        let id = docs[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(env.run(&["cat", &id]).stdout, plain, "the same bytes");
        assert!(sealed(&env).is_empty(), "the inbox is emptied");
        assert_eq!(env.list().len(), 1);
        assert!(env.audit_actions().iter().any(|a| a == "intake.inbox"));
        w.stop();
    }
}

fn common_walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(common_walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_locked_watcher_killed_while_sealing_loses_and_doubles_nothing() {
    let env = Env::new();
    // Large enough that sealing takes a while; each run is killed a little later.
    let data = pdf_body(7, 24 << 20);
    let dropped = env.inbox.join("scan-lot.pdf");
    write(&dropped, &data);
    let mut delays_ms = 250;
    let mut sealed_runs = 0;
    let mut killed_mid_seal = false;
    for _ in 0..60 {
        let w = env.watch_locked("delete");
        std::thread::sleep(Duration::from_millis(delays_ms));
        w.kill();
        // Never both gone: the plaintext stays until a sealed copy is durable.
        let left = dropped.exists();
        let copies = sealed(&env).len();
        let parts = common_walk(&env.vault.vault.join("inbox")).len() - copies;
        eprintln!("kill at {delays_ms} ms: plaintext {left}, sealed {copies}, parts {parts}");
        killed_mid_seal |= left && parts > 0;
        assert!(left || copies >= 1, "lost: no plaintext and no sealed copy");
        if !left {
            sealed_runs += 1;
            break;
        }
        delays_ms += 25;
    }
    if dropped.exists() {
        // Let one run finish.
        let w = env.watch_locked("delete");
        w.wait_for("sealed", |e| e.iter().any(|v| v["kind"] == "handled"));
        w.stop();
    }
    assert!(
        killed_mid_seal,
        "no kill fell while a file was being sealed"
    );
    assert!(!dropped.exists());
    let docs = env.list();
    assert_eq!(docs.len(), 1, "one document whatever was killed: {docs:?}");
    assert_eq!(
        env.run(&["cat", docs[0]["id"].as_str().unwrap()]).stdout,
        data
    );
    assert!(sealed(&env).is_empty());
    let leftovers: Vec<_> = common_walk(&env.vault.vault.join("inbox"));
    assert!(
        leftovers
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "part")),
        "only abandoned parts may remain: {leftovers:?} (after {sealed_runs} sealed run)"
    );
}

#[test]
fn an_unlock_killed_while_importing_the_inbox_loses_and_doubles_nothing() {
    let env = Env::new();
    let w = env.watch_locked("delete");
    for i in 0..6 {
        write(&env.inbox.join(format!("f{i}.pdf")), &pdf_body(i, 300_000));
    }
    w.wait_for("six sealed", |e| {
        e.iter().filter(|v| v["kind"] == "handled").count() == 6
    });
    w.stop();
    assert_eq!(sealed(&env).len(), 6);
    // `coffre list` unlocks and imports; killed earlier than it can finish, then later.
    let mut delay = 20;
    let mut remaining = Vec::new();
    while !sealed(&env).is_empty() && delay < 30_000 {
        let mut child = env
            .cmd(&["list"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        child.wait().unwrap();
        remaining.push(sealed(&env).len());
        delay += 20;
    }
    assert!(
        remaining.iter().any(|&n| n > 0 && n < 6),
        "some kill fell between two imports: {remaining:?}"
    );
    let docs = env.list();
    assert_eq!(docs.len(), 6, "each sealed file once: {docs:?}");
    let mut names: Vec<_> = docs
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        (0..6).map(|i| format!("f{i}.pdf")).collect::<Vec<_>>()
    );
    assert!(sealed(&env).is_empty());
}

#[test]
fn an_edited_header_cannot_redirect_the_running_locked_watcher() {
    let env = Env::new();
    let w = env.watch_locked("delete");
    // Someone replaces the intake key in the header with their own.
    let header_path = env.vault.vault.join("vault.json");
    let mut header: Value = serde_json::from_slice(&std::fs::read(&header_path).unwrap()).unwrap();
    let genuine = header["intake"]["public"].as_str().unwrap().to_owned();
    header["intake"]["public"] = Value::from("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    std::fs::write(&header_path, serde_json::to_vec_pretty(&header).unwrap()).unwrap();
    write(&env.inbox.join("after-edit.pdf"), &pdf_body(3, 50_000));
    w.wait_for("sealed", |e| e.iter().any(|v| v["kind"] == "handled"));
    w.stop();
    // Sealed to the key verified at unlock: the vault reads it; the header is put right.
    let docs = env.list();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["name"], "after-edit.pdf");
    let header: Value = serde_json::from_slice(&std::fs::read(&header_path).unwrap()).unwrap();
    assert_eq!(header["intake"]["public"], Value::from(genuine));
    assert!(
        env.audit_actions()
            .iter()
            .any(|a| a == "intake.key_restored")
    );
}

#[test]
fn an_edited_header_is_put_right_at_the_unlock_that_starts_a_locked_watch() {
    let env = Env::new();
    env.list(); // the first unlock writes the intake key
    let header_path = env.vault.vault.join("vault.json");
    let mut header: Value = serde_json::from_slice(&std::fs::read(&header_path).unwrap()).unwrap();
    let genuine = header["intake"]["public"].as_str().unwrap().to_owned();
    // Someone puts their own key in the header while the vault is locked.
    header["intake"]["public"] = Value::from("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    std::fs::write(&header_path, serde_json::to_vec_pretty(&header).unwrap()).unwrap();
    let w = env.watch_locked("delete");
    write(&env.inbox.join("next.pdf"), &pdf_body(5, 40_000));
    w.wait_for("sealed", |e| e.iter().any(|v| v["kind"] == "handled"));
    w.stop();
    let header: Value = serde_json::from_slice(&std::fs::read(&header_path).unwrap()).unwrap();
    assert_eq!(header["intake"]["public"], Value::from(genuine));
    let docs = env.list();
    assert_eq!(docs.len(), 1, "sealed to the vault's own key: {docs:?}");
    assert!(
        env.audit_actions()
            .iter()
            .any(|a| a == "intake.key_restored")
    );
}

#[test]
fn a_file_forged_with_the_public_key_alone_is_never_imported() {
    let env = Env::new();
    env.list();
    let header: Value =
        serde_json::from_slice(&std::fs::read(env.vault.vault.join("vault.json")).unwrap())
            .unwrap();
    let public = data_encoding_b64(header["intake"]["public"].as_str().unwrap());
    let item = uuid_v4();
    let meta = coffre_core::format::sealed::SealedMeta {
        name: "forged.pdf".into(),
        rel: "forged.pdf".into(),
        folder: "/".into(),
        modified: None,
        sealed_at: "2026-12-01T00:00:00Z".into(),
        size: 20,
    };
    let mut out = Vec::new();
    coffre_core::format::sealed::seal(
        &public,
        &coffre_core::format::crypto::random_key().unwrap(),
        &item.parse().unwrap(),
        &meta,
        &mut &b"%PDF-1.7 forged 1234"[..],
        &mut out,
    )
    .unwrap();
    let inbox = env.vault.vault.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join(format!("{item}.sealed")), &out).unwrap();
    let listed = env.run(&["list", "--json"]);
    assert!(listed.status.success());
    assert!(
        common::stderr(&listed).contains("could not be imported"),
        "{}",
        common::stderr(&listed)
    );
    assert!(env.list().is_empty(), "the forged file is not a document");
    assert_eq!(sealed(&env).len(), 1, "kept, never deleted");
}

#[test]
fn keep_while_locked_does_not_seal_what_the_vault_already_has_and_refusals_go_to_failed() {
    let env = Env::new();
    // Imported while unlocked and kept in place: remembered by the vault.
    let w = env.watch("keep");
    write(&env.inbox.join("old.pdf"), &pdf_body(1, 30_000));
    w.wait_for("import", |e| e.iter().any(|v| v["kind"] == "imported"));
    w.stop();
    let w = env.watch_locked("keep");
    // A message with nothing the mail rules keep: sealed now, refused for good at the unlock.
    let eml = "From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n\
               Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x1@example.org>\r\n\
               Content-Type: text/plain\r\n\r\nJust saying hello.\r\n";
    write(&env.inbox.join("hello.eml"), eml.as_bytes());
    w.wait_for("the new file sealed", |e| {
        e.iter().any(|v| v["kind"] == "handled")
    });
    std::thread::sleep(Duration::from_millis(2500)); // a rescan passes
    w.stop();
    assert_eq!(sealed(&env).len(), 1, "only the new file is sealed");
    let listed = env.run(&["list", "--json"]);
    assert!(listed.status.success());
    assert_eq!(env.list().len(), 1, "the message is not a document");
    assert!(
        sealed(&env).is_empty(),
        "set aside, then removed from the inbox"
    );
    let failed = env.inbox.join("Failed").join("hello.eml");
    assert_eq!(std::fs::read(&failed).unwrap(), eml.as_bytes());
    assert!(
        env.inbox
            .join("Failed")
            .join("hello.eml.reason.txt")
            .exists()
    );
}

fn data_encoding_b64(text: &str) -> [u8; 32] {
    let bytes = coffre_core::format::vault_format::decode_b64(text).unwrap();
    bytes.try_into().unwrap()
}

fn uuid_v4() -> String {
    let out = std::fs::read_to_string("/proc/sys/kernel/random/uuid").unwrap();
    out.trim().to_owned()
}
