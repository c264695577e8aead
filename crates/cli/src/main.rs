//! `coffre`: the vault from the terminal. Each subcommand is a few lines over `coffre-core`.

mod secrets;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::sync::{Arc, Mutex};

use coffre_core::ingest::{Ingest, IngestEvent, Origin};
use coffre_core::{CreateOptions, Error as CoreError, KdfParams, Vault};
use serde_json::json;

/// Coffre: an encrypted invoice vault on your own machine.
#[derive(Parser)]
#[command(name = "coffre", version, about, max_term_width = 100)]
struct Cli {
    /// The vault folder [default: the data folder of this OS, e.g. ~/.local/share/Coffre/vault].
    #[arg(long, global = true, env = "COFFRE_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Read the passphrase from this file (else $COFFRE_PASSPHRASE, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a vault and show its recovery key once.
    Init {
        /// Write the recovery key to this new file instead of printing it.
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
        /// Argon2id memory in MiB (default 64; at least 19).
        #[arg(long, value_name = "MIB")]
        kdf_memory_mib: Option<u32>,
        /// Argon2id passes (default 3; at least 2).
        #[arg(long, value_name = "N")]
        kdf_iterations: Option<u32>,
        /// Print a JSON object (vault, vault_id, recovery_key).
        #[arg(long)]
        json: bool,
    },
    /// Where the vault is and whether it exists (no passphrase needed).
    Status {
        /// A JSON object (vault, exists, vault_id, created_at, kdf).
        #[arg(long)]
        json: bool,
    },
    /// Import files, and folders recursively.
    Import {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// One JSON object per file: status, id, path, reason.
        #[arg(long)]
        json: bool,
        /// Refuse files larger than this (e.g. 20MiB) instead of the vault's setting.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: Option<u64>,
    },
    /// Watch a folder and import every file that lands in it, until Ctrl-C. One line per event.
    Watch {
        /// The folder (scanners, browsers, sync clients write here).
        folder: PathBuf,
        /// After a durable import: keep the file (remembered, never imported again), move it to
        /// Imported/YYYY-MM/, or delete it.
        #[arg(long, default_value = "keep", value_name = "POLICY")]
        after: coffre_core::watch::AfterImport,
        /// How long a file must stay unchanged before it is taken (milliseconds).
        #[arg(long, default_value_t = 2000, value_name = "N")]
        settle_ms: u64,
        /// Watch sub-folders too.
        #[arg(long)]
        recursive: bool,
        /// Rescan the whole folder this often (seconds), for missed events and network shares.
        #[arg(long, default_value_t = 60, value_name = "N")]
        rescan_s: u64,
        /// One JSON object per event.
        #[arg(long)]
        json: bool,
    },
    /// List the documents.
    List {
        /// A JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one document's metadata.
    Show {
        /// Document id or a unique prefix of it (4 characters at least).
        id: String,
        /// A JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Write a document's original bytes to standard output.
    Cat {
        /// Document id or a unique prefix of it.
        id: String,
    },
    /// Read a file's invoice data (no vault needed): Factur-X/ZUGFeRD, UBL, CII, or a PDF's text.
    Extract {
        /// The file.
        file: PathBuf,
        /// One JSON object (the extraction contract).
        #[arg(long)]
        json: bool,
    },
    /// Find documents: words (all required, as prefixes) and filters on the invoice data.
    Search {
        /// Words to look for (supplier, number, amount like 1234,56, month...); may be empty.
        #[arg(default_value = "")]
        query: String,
        /// Issued on or after (YYYY, YYYY-MM or YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Issued on or before (YYYY, YYYY-MM or YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// The seller's name contains this.
        #[arg(long, value_name = "NAME")]
        supplier: Option<String>,
        /// Total with VAT at least.
        #[arg(long, value_name = "AMOUNT")]
        min: Option<String>,
        /// Total with VAT at most.
        #[arg(long, value_name = "AMOUNT")]
        max: Option<String>,
        /// invoice, credit-note, review, factur-x, ubl, cii, pdf-text, image or other.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Most results.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// A JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Correct a field of a document's invoice data (kept with its history; omit VALUE to clear).
    Correct {
        /// Document id or a unique prefix of it.
        id: String,
        /// number, issue_date, due_date, type_code, currency, seller.name, seller.vat_id,
        /// seller.legal_id, buyer.name, buyer.vat_id, total_without_vat, total_vat,
        /// total_with_vat, amount_due or iban.
        field: String,
        /// The right value.
        value: Option<String>,
    },
    /// Run extraction again (all documents, or those given); corrections are kept.
    Reextract {
        /// Document ids or unique prefixes.
        ids: Vec<String>,
    },
    /// Change the passphrase (the documents are not re-encrypted).
    Passwd {
        /// Read the new passphrase from this file (else $COFFRE_NEW_PASSPHRASE, else a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Unlock with the recovery key and set a new passphrase.
    Recover {
        /// The file holding the recovery key.
        #[arg(long, value_name = "FILE")]
        recovery_key_file: PathBuf,
        /// Read the new passphrase from this file (else $COFFRE_NEW_PASSPHRASE, then
        /// --passphrase-file or $COFFRE_PASSPHRASE, else a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Decrypt and check every document and the audit chain; fails on any fault.
    Verify {
        /// A JSON report.
        #[arg(long)]
        json: bool,
    },
    /// Show the audit trail, or check it (`coffre audit verify`).
    Audit {
        /// A JSON array.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<AuditCommand>,
    },
    /// Show or change a setting: `coffre config max-import-size 50MiB`.
    Config {
        /// The setting (max-import-size).
        key: Option<String>,
        /// The new value.
        value: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the chain: any removed, inserted, reordered or altered entry is a fault.
    Verify,
}

fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{text:?} is not a size"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{text:?}: unknown unit (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{text:?} is too large"))
}

fn default_vault() -> Result<PathBuf> {
    Ok(dirs::data_dir()
        .context("no data folder on this system: pass --vault DIR")?
        .join("Coffre")
        .join("vault"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coffre: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let dir = match &cli.vault {
        Some(d) => d.clone(),
        None => default_vault()?,
    };
    let pass_file = cli.passphrase_file.as_deref();
    let open = || -> Result<Vault> {
        let pass = secrets::existing(pass_file)?;
        Ok(Vault::open(&dir, &pass)?)
    };
    match cli.command {
        Command::Init {
            recovery_key_file,
            kdf_memory_mib,
            kdf_iterations,
            json,
        } => {
            let mut kdf = KdfParams::default();
            if let Some(m) = kdf_memory_mib {
                kdf.memory_kib = m.saturating_mul(1024);
            }
            if let Some(t) = kdf_iterations {
                kdf.iterations = t;
            }
            if let Some(f) = &recovery_key_file
                && f.exists()
            {
                bail!("{} exists: will not overwrite it", f.display());
            }
            let pass = secrets::new_passphrase(pass_file, &[secrets::ENV_PASSPHRASE])?;
            let (vault, recovery) = Vault::create(&dir, &pass, &CreateOptions { kdf })?;
            let shown = recovery.to_display_string();
            if let Some(f) = &recovery_key_file {
                secrets::write_recovery_key(f, &recovery)?;
            }
            if json {
                let key = recovery_key_file.is_none().then(|| shown.as_str());
                println!(
                    "{}",
                    json!({ "vault": dir, "vault_id": vault.id(), "recovery_key": key })
                );
            } else {
                println!("Created vault {} at {}", vault.id(), dir.display());
                match &recovery_key_file {
                    Some(f) => println!("Recovery key written to {}", f.display()),
                    None => {
                        println!(
                            "Recovery key (shown once: write it down, keep it away from this \
                             computer):"
                        );
                        println!("{}", shown.as_str());
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            let header = match coffre_core::vault_format::VaultHeader::read(&dir) {
                Ok(h) => Some(h),
                Err(CoreError::NoVault(_)) => None,
                Err(e) => return Err(e.into()),
            };
            if json {
                println!(
                    "{}",
                    json!({
                        "vault": dir,
                        "exists": header.is_some(),
                        "vault_id": header.as_ref().map(|h| h.vault_id),
                        "created_at": header.as_ref().map(|h| &h.created_at),
                        "kdf": header.as_ref().map(|h| h.kdf.params),
                    })
                );
            } else if let Some(h) = header {
                let k = h.kdf.params;
                println!("vault     {}", dir.display());
                println!("id        {}", h.vault_id);
                println!("created   {}", h.created_at);
                println!(
                    "kdf       argon2id, {} MiB, {} passes, {} lane(s)",
                    k.memory_kib / 1024,
                    k.iterations,
                    k.parallelism
                );
            } else {
                println!(
                    "No vault at {} (create one with `coffre init`).",
                    dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            paths,
            json,
            max_size,
        } => import(open()?, &paths, json, max_size),
        Command::Watch {
            folder,
            after,
            settle_ms,
            recursive,
            rescan_s,
            json,
        } => watch(
            open()?,
            &folder,
            after,
            settle_ms,
            recursive,
            rescan_s,
            json,
        ),
        Command::List { json } => {
            let docs = open()?.documents()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&docs)?);
            } else if docs.is_empty() {
                println!("The vault is empty. Add documents with `coffre import FILE...`.");
            } else {
                for d in &docs {
                    println!(
                        "{}  {:>10}  {:<5}  {}  {}",
                        d.id,
                        d.size,
                        serde_json::to_value(d.kind)?.as_str().unwrap_or(""),
                        &d.imported_at[..10.min(d.imported_at.len())],
                        d.name
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, json } => {
            let vault = open()?;
            let details = vault.details(&id)?;
            let doc = &details.document;
            let history = vault.audit_entries(Some(&doc.id))?;
            if json {
                // The document, then its invoice data at the top level (the extraction contract
                // with corrections applied), the corrections and the audit history.
                let mut v = serde_json::to_value(doc)?;
                if let (Some(obj), Some(fields)) = (v.as_object_mut(), details.fields.as_object()) {
                    for (k, val) in fields {
                        if k != "media_type" {
                            obj.insert(k.clone(), val.clone());
                        }
                    }
                }
                v["corrections"] = serde_json::to_value(&details.corrections)?;
                v["history"] = serde_json::to_value(&history)?;
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("id           {}", doc.id);
                println!("name         {}", doc.name);
                println!("size         {} bytes", doc.size);
                println!("media type   {}", doc.media_type);
                println!("sha-256      {}", doc.sha256);
                println!("imported at  {}", doc.imported_at);
                print_fields(&details.fields);
                if !details.corrections.is_empty() {
                    println!("corrections");
                    for c in &details.corrections {
                        println!(
                            "  {}  {}: {} -> {}",
                            c.at,
                            c.field,
                            c.old_value.as_deref().unwrap_or("(none)"),
                            c.new_value.as_deref().unwrap_or("(none)")
                        );
                    }
                }
                println!("history");
                for e in history {
                    println!("  {}  {}", e.at, e.action);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { file, json } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let e = coffre_extract::extract(
                &bytes,
                name.as_deref(),
                &coffre_extract::Limits::default(),
            );
            if json {
                println!("{}", e.to_json());
            } else {
                print_fields(&serde_json::to_value(&e)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            from,
            to,
            supplier,
            min,
            max,
            kind,
            limit,
            json,
        } => {
            let q = coffre_core::SearchQuery {
                text: query,
                from,
                to,
                supplier,
                min,
                max,
                kind,
                limit: Some(limit),
            };
            let hits = open()?.search(&q)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else if hits.is_empty() {
                println!("No document matches.");
            } else {
                for h in &hits {
                    println!(
                        "{}  {:<10}  {:<16}  {:>12} {:<3}  {:<24}  {}",
                        h.document.id,
                        h.issue_date.as_deref().unwrap_or("-"),
                        h.number.as_deref().unwrap_or("-"),
                        h.total_with_vat.as_deref().unwrap_or("-"),
                        h.currency.as_deref().unwrap_or(""),
                        h.seller.as_deref().unwrap_or("-"),
                        h.document.name
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Correct { id, field, value } => {
            let mut vault = open()?;
            vault.correct(&id, &field, value.as_deref())?;
            let details = vault.details(&id)?;
            println!(
                "{} {}: {}",
                details.document.id,
                field,
                coffre_core::fields::get(&details.fields, &field).unwrap_or("(none)")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Reextract { ids } => {
            let n = open()?.reextract(&ids)?;
            println!("re-extracted {n} document(s); corrections kept");
            Ok(ExitCode::SUCCESS)
        }
        Command::Cat { id } => {
            let mut vault = open()?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            vault.write_document_to(&id, &mut out)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Passwd {
            new_passphrase_file,
        } => {
            let mut vault = open()?;
            let new = secrets::new_passphrase(
                new_passphrase_file.as_deref(),
                &[secrets::ENV_NEW_PASSPHRASE],
            )?;
            vault.change_passphrase(&new)?;
            println!("Passphrase changed.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Recover {
            recovery_key_file,
            new_passphrase_file,
        } => {
            let key = secrets::recovery_key(&recovery_key_file)?;
            let mut vault = Vault::open_with_recovery_key(&dir, &key)?;
            let new = match (new_passphrase_file.as_deref(), pass_file) {
                (Some(f), _) => secrets::new_passphrase(Some(f), &[])?,
                (None, file) if std::env::var_os(secrets::ENV_NEW_PASSPHRASE).is_none() => {
                    secrets::new_passphrase(file, &[secrets::ENV_PASSPHRASE])?
                }
                _ => secrets::new_passphrase(None, &[secrets::ENV_NEW_PASSPHRASE])?,
            };
            vault.change_passphrase(&new)?;
            println!("Vault recovered: the new passphrase is set.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { json } => {
            let report = open()?.verify()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for f in &report.faults {
                    println!("FAULT {} {}: {}", f.id, f.name, f.reason);
                }
                for f in &report.audit.faults {
                    println!("FAULT audit: {f}");
                }
                if report.is_ok() {
                    println!(
                        "ok: {} documents ({} bytes) decrypted and checked; audit chain of {} \
                         entries intact",
                        report.documents, report.bytes, report.audit.entries
                    );
                }
            }
            if report.is_ok() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "coffre: verification failed: {} damaged documents, {} audit faults",
                    report.faults.len(),
                    report.audit.faults.len()
                );
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Audit { json, action } => {
            let vault = open()?;
            match action {
                Some(AuditCommand::Verify) => {
                    let report = vault.verify_audit()?;
                    for f in &report.faults {
                        println!("FAULT audit: {f}");
                    }
                    if report.faults.is_empty() {
                        println!("ok: audit chain of {} entries intact", report.entries);
                        Ok(ExitCode::SUCCESS)
                    } else {
                        eprintln!(
                            "coffre: audit chain broken ({} faults)",
                            report.faults.len()
                        );
                        Ok(ExitCode::FAILURE)
                    }
                }
                None => {
                    let entries = vault.audit_entries(None)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&entries)?);
                    } else {
                        for e in entries {
                            println!(
                                "{:>6}  {}  {:<24} {}  {}",
                                e.seq,
                                e.at,
                                e.action,
                                e.doc_id.as_deref().unwrap_or("-"),
                                e.detail
                            );
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Config { key, value } => {
            let mut vault = open()?;
            match (key.as_deref(), value) {
                (None, _) => println!("max-import-size {}", vault.max_import_size()?),
                (Some("max-import-size"), None) => println!("{}", vault.max_import_size()?),
                (Some("max-import-size"), Some(v)) => {
                    vault.set_max_import_size(parse_size(&v).map_err(anyhow::Error::msg)?)?
                }
                (Some(other), _) => bail!("unknown setting {other:?} (known: max-import-size)"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints invoice data (an extraction's JSON) as aligned lines, skipping empty values.
fn print_fields(data: &serde_json::Value) {
    let get = |path: &str| coffre_core::fields::get(data, path);
    if let Some(f) = get("format") {
        let profile = get("profile")
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        println!("format       {f}{profile}");
    }
    for path in coffre_core::fields::CORRECTABLE {
        if let Some(v) = get(path) {
            let source = data["fields"][path]["source"].as_str().unwrap_or("");
            println!("{path:<18} {v}  [{source}]");
        }
    }
    if data["needs_review"].as_bool() == Some(true) {
        println!("needs review");
        for issue in data["issues"].as_array().into_iter().flatten() {
            println!("  - {}", issue.as_str().unwrap_or_default());
        }
    }
}

fn import(vault: Vault, paths: &[PathBuf], json: bool, max_size: Option<u64>) -> Result<ExitCode> {
    let vault = Arc::new(Mutex::new(vault));
    if let Some(limit) = max_size {
        // A one-off limit: applied to this run only, through a queue with that limit.
        vault
            .lock()
            .map_err(|_| anyhow::anyhow!("vault lock poisoned"))?
            .set_import_limit_for_session(limit);
    }
    let ingest = Ingest::start(Arc::clone(&vault), Ingest::default_workers())?;
    let events = ingest.subscribe();

    // Files first: unreadable paths are reported without a job.
    let mut order: Vec<(PathBuf, Option<String>)> = Vec::new();
    for item in coffre_core::ingest::collect_files(paths) {
        match item {
            Ok(p) => order.push((p, None)),
            Err((p, e)) => order.push((p, Some(reason_of(&e)))),
        }
    }
    let files: Vec<PathBuf> = order
        .iter()
        .filter(|(_, e)| e.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    let resumed = ingest.resume(&files)?;
    if !resumed.is_empty() {
        eprintln!(
            "coffre: finishing {} import(s) interrupted earlier",
            resumed.len()
        );
    }
    let ids = ingest.submit(&files, Origin::Cli)?;
    let total = resumed.len() + order.len();
    let bar = if std::io::stderr().is_terminal() && total > 1 {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .expect("valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    // Lines come out in the order the files were given; resumed jobs as they finish.
    let mut job_slot = std::collections::HashMap::new();
    let mut next_id = ids.iter();
    for (i, (_, err)) in order.iter().enumerate() {
        if err.is_none() {
            job_slot.insert(*next_id.next().expect("one id per file"), i);
        }
    }
    let mut done: Vec<Option<String>> = order
        .iter()
        .map(|(p, e)| e.as_ref().map(|e| line(p, Err(e), json)))
        .collect();
    let mut printed = 0;
    let mut rejected = order.iter().filter(|(_, e)| e.is_some()).count();
    let mut remaining = resumed.len() + ids.len();
    let stdout = std::io::stdout();
    let flush_ready = |done: &mut Vec<Option<String>>, printed: &mut usize| {
        while *printed < done.len() {
            let Some(l) = done[*printed].take() else {
                break;
            };
            bar.suspend(|| {
                let mut out = stdout.lock();
                let _ = writeln!(out, "{l}");
                let _ = out.flush();
            });
            bar.inc(1);
            *printed += 1;
        }
    };
    flush_ready(&mut done, &mut printed);
    while remaining > 0 {
        let Ok(event) = events.recv() else { break };
        if let IngestEvent::Extracting { path, .. } = &event {
            bar.set_message(path.display().to_string());
        }
        if !event.is_final() {
            continue;
        }
        remaining -= 1;
        let text = match &event {
            IngestEvent::Stored { path, id, .. } => line(path, Ok(("imported", id)), json),
            IngestEvent::Duplicate { path, id, .. } => line(path, Ok(("duplicate", id)), json),
            IngestEvent::Failed { path, reason, .. } => {
                rejected += 1;
                line(path, Err(reason), json)
            }
            _ => continue,
        };
        match job_slot.get(&event.job()) {
            Some(&slot) => done[slot] = Some(text),
            None => {
                bar.suspend(|| println!("{text}"));
                bar.inc(1);
            }
        }
        flush_ready(&mut done, &mut printed);
    }
    ingest.finish();
    bar.finish_and_clear();
    if rejected > 0 {
        eprintln!("coffre: {rejected} file(s) rejected");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn watch(
    vault: Vault,
    folder: &Path,
    after: coffre_core::watch::AfterImport,
    settle_ms: u64,
    recursive: bool,
    rescan_s: u64,
    json: bool,
) -> Result<ExitCode> {
    use coffre_core::watch::{HandledAction, WatchEvent, WatchOptions, WatchState, Watcher};
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("installing the Ctrl-C handler")?;

    let ingest = Arc::new(Ingest::start(
        Arc::new(Mutex::new(vault)),
        Ingest::default_workers(),
    )?);
    let resumed = ingest.resume(&[])?;
    if !resumed.is_empty() {
        eprintln!(
            "coffre: finishing {} import(s) interrupted earlier",
            resumed.len()
        );
    }
    let options = WatchOptions {
        after,
        settle: std::time::Duration::from_millis(settle_ms),
        recursive,
        rescan: std::time::Duration::from_secs(rescan_s.max(1)),
        ..WatchOptions::default()
    };
    let print = move |event: WatchEvent| {
        let text = if json {
            serde_json::to_string(&event).unwrap_or_default()
        } else {
            let p = |p: &Path| p.display().to_string();
            match &event {
                WatchEvent::Started { folder } => format!("watching {}", p(folder)),
                WatchEvent::Seen { path } => format!("seen {}", p(path)),
                WatchEvent::Imported { path, id } => format!("imported {id} {}", p(path)),
                WatchEvent::Duplicate { path, id } => format!("duplicate {id} {}", p(path)),
                WatchEvent::Failed {
                    path,
                    reason,
                    moved_to,
                } => match moved_to {
                    Some(to) => format!("failed {}: {reason} (moved to {})", p(path), p(to)),
                    None => format!("failed {}: {reason} (left in place)", p(path)),
                },
                WatchEvent::Handled { path, action, to } => match (action, to) {
                    (HandledAction::Moved, Some(to)) => format!("moved {} -> {}", p(path), p(to)),
                    (HandledAction::Kept, _) => format!("kept {}", p(path)),
                    (HandledAction::Deleted, _) => format!("deleted {}", p(path)),
                    (HandledAction::Moved, None) => format!("moved {}", p(path)),
                },
                WatchEvent::Retried { path, to } => format!("retry {} -> {}", p(path), p(to)),
                WatchEvent::State { state } => match state {
                    WatchState::Watching => "state watching".to_owned(),
                    WatchState::FolderUnavailable { reason } => {
                        format!("state folder-unavailable: {reason}")
                    }
                    WatchState::Error { reason } => format!("state error: {reason}"),
                },
                WatchEvent::Stopped => "stopped".to_owned(),
                other => format!("{other:?}"),
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    };
    let target = Arc::new(coffre_core::ingest::QueueTarget::new(Arc::clone(&ingest)));
    let watcher = Watcher::start(folder, options, target, print)?;
    let _ = stop_rx.recv();
    watcher.stop();
    Ok(ExitCode::SUCCESS)
}

fn line(path: &Path, result: std::result::Result<(&str, &str), &String>, json: bool) -> String {
    let shown = path.display().to_string();
    match (result, json) {
        (Ok((status, id)), true) => {
            json!({ "status": status, "id": id, "path": shown, "reason": null }).to_string()
        }
        (Err(reason), true) => {
            json!({ "status": "rejected", "id": null, "path": shown, "reason": reason }).to_string()
        }
        (Ok((status, id)), false) => format!("{status} {id} {shown}"),
        (Err(reason), false) => format!("rejected {shown}: {reason}"),
    }
}

fn reason_of(e: &CoreError) -> String {
    match e {
        // The path is already on the line.
        CoreError::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}
