//! The vault against what the world does to it, through the real `coffre` binary: an index that
//! a sync client has not delivered, an empty one, an older copy put back, a PDF decompression
//! bomb, a reader process that dies, odd files in the vault folder, two `init`s racing, hostile
//! arguments. In every case: a clear error or a flagged document, nothing deleted, no panic.

mod common;

use std::time::{Duration, Instant};

use common::{Env, PASS, stderr};
use serde_json::Value;

fn assert_clean_failure(o: &std::process::Output) {
    assert!(!o.status.success());
    // 101 is a Rust panic; anything a signal ended has no code.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

#[test]
fn a_missing_index_is_refused_and_nothing_is_deleted() {
    let env = Env::new();
    env.import_bytes("a.xml", b"<a>one</a>");
    env.import_bytes("b.xml", b"<a>two</a>");
    let blobs = env.blobs();
    assert_eq!(blobs.len(), 2);
    let away = env.path("index.db.away");
    std::fs::rename(env.index(), &away).unwrap();

    for args in [&["list"][..], &["verify"], &["import", "/nonexistent"]] {
        let out = env.run(args);
        assert_clean_failure(&out);
        let err = stderr(&out);
        assert!(err.contains("index") && err.contains("missing"), "{err}");
        assert!(err.contains("Nothing was changed"), "{err}");
    }
    assert!(!env.index().exists(), "open never creates an index");
    assert_eq!(env.blobs(), blobs, "open never deletes a blob");

    // The file arrives (the sync client caught up): everything is there, and the refusals are
    // in the audit trail.
    std::fs::rename(&away, env.index()).unwrap();
    assert_eq!(env.list().len(), 2);
    let actions = env.audit_actions();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "vault.open_refused")
            .count(),
        3,
        "{actions:?}"
    );
    env.ok(&["verify"]);
}

#[test]
fn an_empty_index_is_refused_and_nothing_is_deleted() {
    let env = Env::new();
    env.import_bytes("a.xml", b"<a>one</a>");
    let blobs = env.blobs();
    let saved = std::fs::read(env.index()).unwrap();
    std::fs::write(env.index(), b"").unwrap();
    let out = env.run(&["list"]);
    assert_clean_failure(&out);
    assert!(stderr(&out).contains("empty (0 bytes)"), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(env.index()).unwrap().len(), 0);
    assert_eq!(env.blobs(), blobs);
    // A damaged one (half of it) is refused too.
    std::fs::write(env.index(), &saved[..saved.len() / 2]).unwrap();
    assert_clean_failure(&env.run(&["list"]));
    assert_eq!(env.blobs(), blobs);
    std::fs::write(env.index(), &saved).unwrap();
    assert_eq!(env.list().len(), 1);
}

#[test]
fn an_older_index_put_back_is_refused_then_can_be_accepted_and_undone() {
    let env = Env::new();
    let a = env.import_bytes("a.xml", b"<a>one</a>");
    let old = std::fs::read(env.index()).unwrap();
    let b = env.import_bytes("b.xml", b"<a>two</a>");
    let new = std::fs::read(env.index()).unwrap();
    let blobs = env.blobs();
    assert_eq!(blobs.len(), 2);

    // An older copy put back (a restore by hand, a sync conflict): refused, nothing touched.
    std::fs::write(env.index(), &old).unwrap();
    let out = env.run(&["list"]);
    assert_clean_failure(&out);
    let err = stderr(&out);
    assert!(err.contains("not the latest"), "{err}");
    assert!(err.contains("--accept-older-index"), "{err}");
    assert_eq!(env.blobs(), blobs);
    assert_eq!(std::fs::read(env.index()).unwrap(), old);

    // The newer one put back: both documents, untouched.
    std::fs::write(env.index(), &new).unwrap();
    let ids: Vec<String> = env
        .list()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&a) && ids.contains(&b));

    // Or the owner accepts the older index: the newer document goes to quarantine, not away.
    let newer_still = std::fs::read(env.index()).unwrap();
    std::fs::write(env.index(), &old).unwrap();
    env.ok(&["recover", "--accept-older-index"]);
    assert_eq!(env.list().len(), 1);
    assert!(env.vault.join("quarantine").join(&b).exists());
    let text = env.ok(&["verify"]);
    assert!(
        text.contains("QUARANTINE 1"),
        "quarantine is reported by verify: {text}"
    );
    let actions = env.audit_actions();
    assert!(actions.iter().any(|a| a == "vault.older_index_accepted"));
    assert!(actions.iter().any(|a| a == "vault.quarantine"));

    // ...and later finds the newer index again: accepted in turn (its history differs from the
    // one recorded since), its document missing its file until re-attached.
    std::fs::write(env.index(), &newer_still).unwrap();
    assert_clean_failure(&env.run(&["list"]));
    env.ok(&["recover", "--accept-older-index"]);
    let out = env.run(&["verify"]);
    assert!(
        !out.status.success(),
        "a document without its file is a fault"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 have their row again"));
    let q = env.json(&["quarantine", "--json"]);
    assert_eq!(q["reattachable"][0], b.as_str());
    env.ok(&["quarantine", "reattach"]);
    assert_eq!(env.list().len(), 2);
    env.ok(&["verify"]);
    assert_eq!(env.ok(&["cat", &b]).as_bytes(), b"<a>two</a>");
}

/// One page whose content array names one FlateDecode stream of 256 MiB (zeros, about 260 KB
/// compressed) `refs` times.
fn pdf_bomb(refs: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        z.write_all(&zeros).unwrap();
    }
    let stream = z.finish().unwrap();
    let contents: String = (0..refs).map(|_| "4 0 R ").collect();
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let mut obj = |pdf: &mut Vec<u8>, body: &[u8]| {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut pdf, b"<< /Type /Catalog /Pages 2 0 R >>");
    obj(&mut pdf, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    obj(
        &mut pdf,
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [{contents}] >>")
            .as_bytes(),
    );
    let mut body = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        stream.len()
    )
    .into_bytes();
    body.extend_from_slice(&stream);
    body.extend_from_slice(b"\nendstream");
    obj(&mut pdf, &body);
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Largest resident set of any finished child of this test process, in bytes.
fn children_peak_rss() -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    assert_eq!(rc, 0);
    ru.ru_maxrss as u64 * 1024
}

#[test]
fn a_pdf_bomb_is_refused_in_bounded_memory_and_the_vault_stays_usable() {
    let env = Env::new();
    let bomb = pdf_bomb(2000);
    assert!(bomb.len() < 300 * 1024, "{} bytes", bomb.len());
    let path = env.path("bomb.pdf");
    std::fs::write(&path, &bomb).unwrap();

    let started = Instant::now();
    let out = env.ok(&["extract", "--json", path.to_str().unwrap()]);
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["needs_review"], true);
    let issues = e["issues"].to_string();
    assert!(issues.contains("decompression bomb"), "{issues}");

    let id = env.import_bytes("bomb.pdf", &bomb);
    assert!(started.elapsed() < Duration::from_secs(60));
    let peak = children_peak_rss();
    assert!(peak < 1 << 30, "peak resident memory {peak} bytes");
    let docs = env.list();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["id"], id.as_str());
    env.ok(&["verify"]);
    assert_nothing_replayed(&env);
}

/// The next import prints one line, for its own file: no journaled job was left to replay.
fn assert_nothing_replayed(env: &Env) {
    let next = env.path("next.xml");
    std::fs::write(&next, b"<a>next</a>").unwrap();
    let out = env.ok(&["import", "--json", next.to_str().unwrap()]);
    assert_eq!(out.lines().count(), 1, "{out}");
}

#[test]
fn a_reader_that_dies_twice_leaves_the_document_flagged_and_not_replayed() {
    let env = Env::new();
    // 40 MB of data: the reader, capped at 32 MiB here, cannot even hold it and dies each time.
    let big: Vec<u8> = (0..40_000_000u32).map(|i| (i % 251) as u8).collect();
    let path = env.path("huge.bin");
    std::fs::write(&path, &big).unwrap();
    let out = env
        .cmd(&["import", "--json", path.to_str().unwrap()])
        .env(coffre_core::records::worker::MEMORY_ENV, "32")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = line["id"].as_str().unwrap();
    let show = env.json(&["show", "--json", id]);
    assert_eq!(show["needs_review"], true);
    let issue = show["issues"][0].as_str().unwrap();
    assert!(
        issue.starts_with(coffre_core::records::worker::UNREADABLE),
        "{issue}"
    );
    assert!(issue.contains("memory limit"), "{issue}");
    // The original is kept byte for byte, and found by its name.
    assert!(env.run(&["cat", id]).stdout == big);
    assert!(env.ok(&["search", "huge"]).contains(id));
    assert_nothing_replayed(&env);
    assert_eq!(env.list().len(), 2);
}

#[test]
fn odd_files_in_the_vault_folder_never_break_open() {
    let env = Env::new();
    let id = env.import_bytes("a.xml", b"<a>one</a>");
    // A 1-byte file in a blob shard, a folder in tmp/, a stray shard name, a link in tmp/.
    std::fs::create_dir_all(env.vault.join("blobs/ab")).unwrap();
    std::fs::write(env.vault.join("blobs/ab/x"), b"x").unwrap();
    std::fs::write(env.vault.join("blobs/zz"), b"not a shard").unwrap();
    std::fs::create_dir_all(env.vault.join("tmp/folder/inner")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(env.index(), env.vault.join("tmp/link.part")).unwrap();
    assert_eq!(env.list().len(), 1);
    assert!(env.index().exists(), "a link in tmp/ is removed as a link");
    let text = env.ok(&["verify"]);
    assert!(text.contains("STRAY blobs/ab/x"), "{text}");
    assert!(text.contains("STRAY blobs/zz"), "{text}");
    assert!(env.vault.join("blobs/ab/x").exists(), "left untouched");
    assert_eq!(env.ok(&["cat", &id]).as_bytes(), b"<a>one</a>");
}

#[test]
fn two_inits_racing_on_one_folder_leave_one_working_vault() {
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..6 {
        let vault = tmp.path().join(format!("v{round}"));
        let spawn = |n: usize| {
            let key = tmp.path().join(format!("key-{round}-{n}.txt"));
            let child = common::command(
                &vault,
                &[
                    "init",
                    "--kdf-memory-mib",
                    "19",
                    "--kdf-iterations",
                    "2",
                    "--recovery-key-file",
                    key.to_str().unwrap(),
                ],
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
            (child, key)
        };
        let (a, key_a) = spawn(0);
        let (b, key_b) = spawn(1);
        let a_ok = a.wait_with_output().unwrap().status.success();
        let b_ok = b.wait_with_output().unwrap().status.success();
        assert!(
            a_ok ^ b_ok,
            "round {round}: exactly one init wins ({a_ok}, {b_ok})"
        );
        let key = if a_ok { key_a } else { key_b };
        // The winner's recovery key opens the vault: its header was not overwritten.
        let out = common::command(
            &vault,
            &["recover", "--recovery-key-file", key.to_str().unwrap()],
        )
        .env("COFFRE_NEW_PASSPHRASE", PASS)
        .output()
        .unwrap();
        assert!(out.status.success(), "round {round}: {}", stderr(&out));
    }
}

#[test]
fn hostile_arguments_get_an_error_not_a_panic() {
    let env = Env::new();
    env.import_bytes("a.xml", b"<a>one</a>");
    for args in [
        &["search", "--from", "abc€x"][..],
        &["search", "--to", "2026-1€"],
        &["search", "--from", "€€€€-€€"],
        &["show", "€"],
        &["show", "é"],
        &["cat", "ab"],
    ] {
        let out = env.run(args);
        assert_clean_failure(&out);
    }
}

/// A crash must not write keys or plaintext to disk: the process forbids core dumps.
#[cfg(target_os = "linux")]
#[test]
fn the_cli_writes_no_core_dump() {
    let env = Env::new();
    let folder = env.path("watched");
    std::fs::create_dir(&folder).unwrap();
    // Children inherit a limit that allows core dumps: coffre must lower it itself.
    let allow = libc::rlimit {
        rlim_cur: 1 << 20,
        rlim_max: 1 << 20,
    };
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &allow) } != 0 {
        eprintln!("cannot raise RLIMIT_CORE here: the check below proves less");
    }
    let mut child = env
        .cmd(&["watch", folder.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let limits = format!("/proc/{}/limits", child.id());
    let mut line = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        line = std::fs::read_to_string(&limits)
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap_or_default()
            .to_owned();
        if line.split_whitespace().nth(4) == Some("0") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.get(4..6), Some(&["0", "0"][..]), "{line}");
}

#[test]
fn rekey_shuts_out_an_old_header_and_passphrase() {
    let env = Env::new();
    let id = env.import_bytes("a.xml", b"<a>one</a>");
    let old_header = std::fs::read(env.vault.join("vault.json")).unwrap();
    let key = env.path("new-key.txt");
    let new_pass = "an entirely new passphrase";
    let out = env
        .cmd(&["rekey", "--recovery-key-file", key.to_str().unwrap()])
        .env("COFFRE_NEW_PASSPHRASE", new_pass)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let with_new = |args: &[&str]| env.run_with(new_pass, args);
    assert_eq!(with_new(&["cat", &id]).stdout, b"<a>one</a>");
    assert!(with_new(&["verify"]).status.success());
    // The old passphrase fails, and so does an old vault.json put back with it.
    assert_clean_failure(&env.run(&["list"]));
    std::fs::write(env.vault.join("vault.json"), &old_header).unwrap();
    let out = env.run(&["list"]);
    assert_clean_failure(&out);
    assert!(stderr(&out).contains("cannot be used"), "{}", stderr(&out));
}
