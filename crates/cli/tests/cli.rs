//! End-to-end tests of the `coffre` binary on temporary vaults. Command names, flags, output
//! lines and JSON keys checked here are a contract for scripts and external tests.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Env, PASS, fixture, init, pdf_files, stderr, stdout, write};
use serde_json::Value;

/// A new vault, whose `init` printed its recovery key.
fn initialised() -> Env {
    let env = Env::empty();
    let out = init(&env.vault);
    assert!(out.contains("Recovery key"), "{out}");
    env
}

#[test]
fn import_list_show_cat_round_trip() {
    let env = initialised();
    let pdf: Vec<u8> = b"%PDF-1.4\n"
        .iter()
        .copied()
        .chain((0..300_000u32).map(|i| i as u8))
        .collect();
    write(&env.path("in/a.pdf"), &pdf);
    write(
        &env.path("in/sub/b.xml"),
        b"<?xml version=\"1.0\"?><Invoice/>",
    );
    write(&env.path("in/.hidden"), b"skipped");
    write(&env.path("c.png"), b"\x89PNG\r\n\x1a\nrest");

    let in_dir = env.path("in");
    let png = env.path("c.png");
    let out = env.ok(&["import", in_dir.to_str().unwrap(), png.to_str().unwrap()]);
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.starts_with("imported ")),
        "{lines:?}"
    );

    let list = env.json(&["list", "--json"]);
    let docs = list.as_array().unwrap();
    assert_eq!(docs.len(), 3);
    for d in docs {
        for key in ["id", "name", "size", "media_type", "imported_at"] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
    }
    let a = docs.iter().find(|d| d["name"] == "a.pdf").unwrap();
    assert_eq!(a["media_type"], "application/pdf");
    assert_eq!(a["size"], pdf.len());
    let xml = docs.iter().find(|d| d["name"] == "b.xml").unwrap();
    assert_eq!(xml["media_type"], "application/xml");
    let id = a["id"].as_str().unwrap();

    let cat = env.ok_output(&["cat", id]);
    assert_eq!(cat.stdout, pdf, "cat must give back the original bytes");
    let show = env.json(&["show", &id[..8], "--json"]);
    assert_eq!(show["id"], id);
    assert_eq!(show["name"], "a.pdf");
    assert!(env.ok(&["show", id]).contains("a.pdf"));

    // Importing again: duplicates, with the same ids, as JSON lines.
    let out = env.ok(&["import", "--json", in_dir.to_str().unwrap()]);
    let objs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 2);
    for o in &objs {
        assert_eq!(o["status"], "duplicate");
        assert!(o["reason"].is_null());
        assert!(
            o["path"]
                .as_str()
                .unwrap()
                .starts_with(in_dir.to_str().unwrap())
        );
    }
    assert!(objs.iter().any(|o| o["id"] == id));
    assert!(env.ok(&["verify"]).starts_with("ok: 3 documents"));
}

#[test]
fn rejections_are_per_file_with_a_reason_and_a_failing_status() {
    let env = initialised();
    write(&env.path("small.txt"), b"fine");
    write(&env.path("big.bin"), &vec![1u8; 3000]);
    let small = env.path("small.txt");
    let big = env.path("big.bin");
    let missing = env.path("missing.pdf");
    let out = env.run(&[
        "import",
        "--max-size",
        "2KiB",
        small.to_str().unwrap(),
        big.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "rejected {}: larger than the import limit of 2048 bytes",
            big.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("rejected {}: ", missing.display())),
        "{text}"
    );
    assert!(text.lines().next().unwrap().starts_with("imported "));

    let out = env.run(&[
        "import",
        "--json",
        "--max-size",
        "2KiB",
        big.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "rejected");
    assert!(v["id"].is_null());
    assert!(v["reason"].as_str().unwrap().contains("import limit"));

    // The vault's own setting applies without the flag.
    env.ok(&["config", "max-import-size", "1KiB"]);
    assert_eq!(env.ok(&["config", "max-import-size"]).trim(), "1024");
    assert!(!env.run(&["import", big.to_str().unwrap()]).status.success());
    assert_eq!(env.list().len(), 1);
}

#[test]
fn wrong_passphrase_says_so_and_changes_nothing() {
    let env = initialised();
    let header = std::fs::read(env.vault.join("vault.json")).unwrap();
    let out = env.run_with("not the passphrase", &["list"]);
    assert!(!out.status.success());
    assert_eq!(stderr(&out).trim(), "coffre: wrong passphrase");
    assert_eq!(std::fs::read(env.vault.join("vault.json")).unwrap(), header);
    // No passphrase and no terminal: a clear message, not a hang.
    let out = env
        .cmd(&["list"])
        .env_remove("COFFRE_PASSPHRASE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no passphrase given"),
        "{}",
        stderr(&out)
    );
    // A missing vault.
    let out = env
        .cmd(&["list"])
        .env("COFFRE_VAULT", env.path("nowhere"))
        .output()
        .unwrap();
    assert!(stderr(&out).contains("no vault at"), "{}", stderr(&out));
}

#[test]
fn passphrase_file_passwd_and_recover() {
    let env = Env::empty();
    let rk = env.path("recovery.txt");
    let pf = env.path("pass.txt");
    write(&pf, format!("{PASS}\n").as_bytes());
    let out = env
        .cmd(&[
            "--passphrase-file",
            pf.to_str().unwrap(),
            "init",
            "--recovery-key-file",
            rk.to_str().unwrap(),
            "--kdf-memory-mib",
            "19",
            "--kdf-iterations",
            "2",
        ])
        .env_remove("COFFRE_PASSPHRASE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let key_text = std::fs::read_to_string(&rk).unwrap();
    assert!(
        !stdout(&out).contains(key_text.trim()),
        "the key must not be printed when written"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&rk).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    write(&env.path("doc.pdf"), b"%PDF-1.7 document");
    env.ok(&["import", env.path("doc.pdf").to_str().unwrap()]);

    let out = env
        .cmd(&["passwd"])
        .env("COFFRE_NEW_PASSPHRASE", "second passphrase here")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !env.run(&["list"]).status.success(),
        "old passphrase must stop working"
    );
    let list = env.run_with("second passphrase here", &["list"]);
    assert!(list.status.success());

    // Forgotten passphrase: the recovery key sets a new one.
    let out = env.run_with(
        "third passphrase here",
        &["recover", "--recovery-key-file", rk.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.cmd(&["cat", "doc"]).output().unwrap();
    assert!(!out.status.success());
    let ids = env.run_with("third passphrase here", &["list", "--json"]);
    let ids: Value = serde_json::from_slice(&ids.stdout).unwrap();
    let id = ids[0]["id"].as_str().unwrap();
    let cat = env.run_with("third passphrase here", &["cat", id]);
    assert_eq!(cat.stdout, b"%PDF-1.7 document");

    // A mistyped recovery key is named as such.
    let mut typo = key_text.trim().to_owned();
    let last = typo.pop().unwrap();
    typo.push(if last == 'A' { 'B' } else { 'A' });
    write(&env.path("typo.txt"), typo.as_bytes());
    let out = env.run(&[
        "recover",
        "--recovery-key-file",
        env.path("typo.txt").to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains("recovery key is mistyped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_process_is_locked_out() {
    let env = initialised();
    let holder =
        coffre_core::Vault::open(&env.vault, &coffre_core::Passphrase::new(PASS.into())).unwrap();
    let out = env.run(&["list"]);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        format!("coffre: vault in use (pid {})", std::process::id())
    );
    drop(holder);
    env.ok(&["list"]);
}

#[test]
fn verify_names_a_tampered_document() {
    let env = initialised();
    write(&env.path("good.pdf"), b"%PDF good");
    write(&env.path("bad.pdf"), b"%PDF bad one");
    env.ok(&[
        "import",
        env.path("good.pdf").to_str().unwrap(),
        env.path("bad.pdf").to_str().unwrap(),
    ]);
    let list = env.json(&["list", "--json"]);
    let bad = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "bad.pdf")
        .unwrap();
    let id = bad["id"].as_str().unwrap();
    let blob = env.vault.join("blobs").join(&id[..2]).join(id);
    let mut bytes = std::fs::read(&blob).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0x01;
    std::fs::write(&blob, bytes).unwrap();

    let out = env.run(&["verify"]);
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains(&format!("FAULT {id} bad.pdf")),
        "{}",
        stdout(&out)
    );
    let out = env.run(&["cat", id]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("damaged or was tampered with"),
        "{}",
        stderr(&out)
    );
    assert!(env.ok(&["audit", "verify"]).starts_with("ok: audit chain"));
    assert!(env.audit_actions().iter().any(|a| a == "document.import"));
}

#[test]
fn grep_finds_nothing_of_an_imported_file_in_the_vault() {
    let env = initialised();
    let marker = "Facture-SARL-Boulangerie-Dupont-N-2026-0042";
    write(
        &env.path("Dupont-facture-octobre.pdf"),
        format!("%PDF-1.4 {marker} Total TTC 1 234,56").as_bytes(),
    );
    env.ok(&[
        "import",
        env.path("Dupont-facture-octobre.pdf").to_str().unwrap(),
    ]);
    for needle in [marker, "Dupont-facture-octobre", "Boulangerie", "1 234,56"] {
        let out = Command::new("grep")
            .args(["-r", "-a", "-l", needle])
            .arg(&env.vault)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "grep found {needle}: {}",
            stdout(&out)
        );
    }
}

/// Starts `coffre import SRC`, lets it print `lines` result lines, then kills it with SIGKILL.
/// Returns how many lines it printed (fewer when it finished first).
fn import_then_kill(env: &Env, src: &Path, lines: usize) -> usize {
    let mut child = env
        .cmd(&["import", src.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap()).lines();
    let seen = out.take(lines).map_while(Result::ok).count();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    seen
}

/// A process killed with SIGKILL in the middle of importing 500 files: after reopening, the vault
/// verifies and every file is present exactly once or imports again.
#[test]
fn sigkill_during_import_loses_and_doubles_nothing() {
    let env = initialised();
    let src = pdf_files(&env.path("batch"), 500, 20_000);
    let seen = import_then_kill(&env, &src, 120);
    assert_eq!(seen, 120, "the import finished before it could be killed");

    let before = env.list().len();
    assert!(
        (120..500).contains(&before),
        "{before} documents after the kill"
    );
    assert!(env.ok(&["verify"]).starts_with("ok: "));

    let out = env.ok(&["import", "--json", src.to_str().unwrap()]);
    let mut imported = 0;
    let mut duplicate = 0;
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        match v["status"].as_str().unwrap() {
            "imported" => imported += 1,
            "duplicate" => duplicate += 1,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(imported + duplicate, 500);
    assert_eq!(duplicate, before);
    let docs = env.list();
    let mut names: Vec<&str> = docs.iter().map(|d| d["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 500);
    assert_eq!(docs.len(), 500);
    assert!(env.ok(&["verify"]).starts_with("ok: 500 documents"));
}

/// Jobs journaled by a killed import are finished by the next import, even of other files.
#[test]
fn interrupted_jobs_are_finished_by_the_next_import() {
    let env = initialised();
    let src = pdf_files(&env.path("batch"), 300, 30_000);
    assert_eq!(import_then_kill(&env, &src, 50), 50);
    let before = env.list().len();
    assert!(before < 300, "killed too late: {before}");

    write(&env.path("other.xml"), b"<Invoice/>");
    let out = env.ok_output(&["import", env.path("other.xml").to_str().unwrap()]);
    assert!(
        stderr(&out).contains("interrupted earlier"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.list().len(), 301);
    assert!(env.ok(&["verify"]).starts_with("ok: 301 documents"));
}

#[test]
fn status_needs_no_passphrase() {
    let env = Env::empty();
    let v: Value = serde_json::from_slice(
        &env.cmd(&["status", "--json"])
            .env_remove("COFFRE_PASSPHRASE")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(v["exists"], false);
    let env = initialised();
    let out = env
        .cmd(&["status", "--json"])
        .env_remove("COFFRE_PASSPHRASE")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exists"], true);
    assert_eq!(v["kdf"]["memory_kib"], 19 * 1024);
    assert_eq!(v["vault"], env.vault.to_str().unwrap());
}

#[test]
fn extract_prints_the_contract_without_a_vault() {
    let env = Env::empty();
    let out = env
        .cmd(&[
            "extract",
            fixture("ubl-invoice-eur.xml").to_str().unwrap(),
            "--json",
        ])
        .env_remove("COFFRE_PASSPHRASE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "format",
        "profile",
        "number",
        "issue_date",
        "due_date",
        "type_code",
        "currency",
        "seller",
        "buyer",
        "total_without_vat",
        "total_vat",
        "total_with_vat",
        "amount_due",
        "iban",
        "fields",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["format"], "ubl");
    assert_eq!(v["number"], "FA-2026-0001");
    assert_eq!(v["issue_date"], "2026-10-14");
    assert_eq!(v["seller"]["vat_id"], "FR44732829320");
    assert_eq!(v["buyer"]["name"], "Dupont & Fils SARL");
    assert_eq!(v["total_with_vat"], "1291.00");
    assert_eq!(v["fields"]["number"]["source"], "xml");
    assert!(!env.vault.exists(), "extract must not create a vault");

    // A damaged file: an answer with the problem, not a crash.
    let pdf = std::fs::read(fixture("ghostscript-invoice-fr.pdf")).unwrap();
    write(&env.path("cut.pdf"), &pdf[..pdf.len() / 4]);
    let out = env.run(&["extract", env.path("cut.pdf").to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["needs_review"], true);
    assert!(v["number"].is_null());
}

#[test]
fn search_show_and_correct_from_the_command_line() {
    let env = initialised();
    let files: Vec<String> = [
        "ubl-invoice-eur.xml",
        "cii-creditnote-usd.xml",
        "ghostscript-invoice-fr.pdf",
    ]
    .iter()
    .map(|f| fixture(f).to_str().unwrap().to_owned())
    .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    env.ok(&args);

    let hits = env.json(&[
        "search", "acme", "--from", "2026-10", "--max", "1250", "--json",
    ]);
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["number"], "F-2026-0042");
    assert_eq!(hits[0]["name"], "ghostscript-invoice-fr.pdf");
    let id = hits[0]["id"].as_str().unwrap().to_owned();

    let show = env.json(&["show", &id, "--json"]);
    assert_eq!(show["format"], "pdf-text");
    assert_eq!(show["total_with_vat"], "1200.00");
    assert_eq!(show["seller"]["name"], "ACME Conseil SAS");
    assert_eq!(show["fields"]["total_with_vat"]["source"], "text");

    let out = env.ok(&["correct", &id, "buyer.name", "Dupont et Fils"]);
    assert!(out.contains("Dupont et Fils"));
    let show = env.json(&["show", &id, "--json"]);
    assert_eq!(show["buyer"]["name"], "Dupont et Fils");
    assert_eq!(show["corrections"][0]["old_value"], "Dupont & Fils SARL");
    assert!(
        !env.run(&["correct", &id, "issue_date", "yesterday"])
            .status
            .success()
    );
    env.ok(&["reextract"]);
    assert_eq!(
        env.json(&["show", &id, "--json"])["buyer"]["name"],
        "Dupont et Fils"
    );
    let out = env.ok(&["search", "--kind", "credit-note"]);
    assert!(out.contains("AV-2026-003"), "{}", out);
}
