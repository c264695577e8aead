//! `coffre`: the vault from the terminal. Each subcommand is a few lines over `coffre-core`.

mod secrets;

/// `println!` that ends the process quietly when standard output is closed (`coffre list | head`)
/// instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::sync::{Arc, Mutex};

use coffre_core::intake::ingest::{Ingest, IngestEvent, Origin};
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
        after: coffre_core::intake::watch::AfterImport,
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
    /// Legal retention: status, holds, disposal.
    Retention {
        #[command(subcommand)]
        action: RetentionCommand,
    },
    /// Restrict a document (GDPR art. 18): kept, left out of searches and bundles.
    Restrict {
        /// Document id or a unique prefix of it.
        id: String,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
    },
    /// Lift a restriction.
    Unrestrict {
        /// Document id or a unique prefix of it.
        id: String,
    },
    /// Set a document's retention category (invoice-received, invoice-issued, credit-note,
    /// receipt, contract, other).
    Category {
        /// Document id or a unique prefix of it.
        id: String,
        /// The category.
        category: String,
    },
    /// Encrypted, incremental backups to any folder (external drive, NAS, synced folder).
    Backup {
        #[command(subcommand)]
        action: BackupCommand,
    },
    /// Everything in plain files (leaving Coffre, portability): documents, JSON and CSV of all
    /// metadata, corrections, consents, requests and the audit trail.
    Export {
        /// An absent or empty folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Sharing bundles for the accountant: a signed ZIP of documents, index.csv/json, README.html.
    Bundle {
        #[command(subcommand)]
        action: BundleCommand,
    },
    /// The consent ledger: who may receive documents, for what purpose.
    Consent {
        #[command(subcommand)]
        action: ConsentCommand,
    },
    /// The GDPR request register (access, rectification, erasure, restriction, portability,
    /// objection), with due dates.
    Request {
        #[command(subcommand)]
        action: RequestCommand,
    },
    /// A person named in the documents (GDPR requests): find or export everything about them.
    Subject {
        #[command(subcommand)]
        action: SubjectCommand,
    },
    /// Change the passphrase (the documents are not re-encrypted).
    Passwd {
        /// Read the new passphrase from this file (else $COFFRE_NEW_PASSPHRASE, else a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Rotate the master key: a new passphrase and a new recovery key (shown once); an old
    /// vault.json (from a backup or a sync history) with the old passphrase no longer opens it.
    Rekey {
        /// Read the new passphrase from this file (else $COFFRE_NEW_PASSPHRASE, else a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Write the new recovery key to this new file instead of printing it.
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
    },
    /// Unlock with the recovery key and set a new passphrase; or open an index older than the
    /// vault's last recorded state (`--accept-older-index`).
    Recover {
        /// The file holding the recovery key.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "accept_older_index"
        )]
        recovery_key_file: Option<PathBuf>,
        /// Open the index as it is although it is older than the vault's last recorded state
        /// (an old copy put back, a sync conflict): documents newer than it are moved to
        /// quarantine, never deleted, and come back with `coffre quarantine reattach` once the
        /// newer index is put back. Audited.
        #[arg(long)]
        accept_older_index: bool,
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
    /// Encrypted files that no index row names, kept aside (never deleted by opening).
    Quarantine {
        #[command(subcommand)]
        action: Option<QuarantineCommand>,
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
enum RetentionCommand {
    /// Documents due for disposal, on hold, restricted; counts by year.
    Status {
        /// A JSON object.
        #[arg(long)]
        json: bool,
        /// Compute for this day instead of today (YYYY-MM-DD), to plan ahead.
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// Put a document on legal hold: never disposed of until released.
    Hold {
        /// Document id or a unique prefix of it.
        id: String,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
    },
    /// Release a legal hold.
    Release {
        /// Document id or a unique prefix of it.
        id: String,
    },
    /// Dispose of documents by crypto-shredding (their key is destroyed; a tombstone remains).
    Dispose {
        /// Documents to dispose of.
        ids: Vec<String>,
        /// Every document whose retention has ended and that is not on hold.
        #[arg(long)]
        due: bool,
        /// Dispose of them before their retention date (needs --reason; audited).
        #[arg(long = "override")]
        override_: bool,
        /// The reason of an override.
        #[arg(long)]
        reason: Option<String>,
        /// One JSON object per document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Write a new generation (only new blobs are copied) and rotate old ones.
    Create {
        /// The backup folder.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Daily generations kept.
        #[arg(long, default_value_t = 7)]
        keep_daily: u32,
        /// Weekly generations kept.
        #[arg(long, default_value_t = 4)]
        keep_weekly: u32,
        /// Monthly generations kept.
        #[arg(long, default_value_t = 12)]
        keep_monthly: u32,
        /// A JSON summary.
        #[arg(long)]
        json: bool,
    },
    /// When the last backup was made, and whether one is overdue (see `config backup-warn-days`).
    Status {
        /// A JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The generations in a backup folder.
    List {
        /// The backup folder.
        dir: PathBuf,
        /// A JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Check every generation's signature and every blob (no passphrase needed).
    Verify {
        /// The backup folder.
        dir: PathBuf,
        /// A JSON report.
        #[arg(long)]
        json: bool,
    },
    /// Restore a generation (the newest by default) into a new vault folder.
    Restore {
        /// The backup folder.
        dir: PathBuf,
        /// The generation to restore.
        #[arg(long)]
        generation: Option<String>,
        /// An absent or empty folder for the restored vault.
        #[arg(long, value_name = "NEWDIR")]
        to: PathBuf,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Build a bundle for a recipient who has an active consent covering the period.
    Create {
        /// Who receives it (as in their consent).
        #[arg(long)]
        recipient: String,
        /// 2026-Q3, 2026-10, 2026 or 2026-01-01..2026-06-30.
        #[arg(long)]
        period: String,
        /// Only this retention category (repeat for several).
        #[arg(long = "category", value_name = "CATEGORY")]
        categories: Vec<String>,
        /// Only documents not yet sent to this recipient, or corrected since.
        #[arg(long)]
        since_last: bool,
        /// Encrypt every entry (AES-256, opens in 7-Zip) with the password in this file (at
        /// least 12 characters, hard to guess); documents are then named documents/0001.pdf, ...
        #[arg(long, value_name = "FILE", conflicts_with = "generate_password")]
        password_file: Option<PathBuf>,
        /// Encrypt with a generated password, shown once (on stderr, or as "password" in the JSON
        /// summary): give it to the recipient by another channel.
        #[arg(long)]
        generate_password: bool,
        /// The purpose, checked against the consent.
        #[arg(long)]
        purpose: Option<String>,
        /// Amounts in index.csv with a decimal comma (1234,56).
        #[arg(long)]
        decimal_comma: bool,
        /// The ZIP to write.
        #[arg(long, value_name = "FILE.zip")]
        out: PathBuf,
        /// A JSON summary.
        #[arg(long)]
        json: bool,
    },
    /// Check a bundle's signature and every file's checksum. The signer must be this vault (when
    /// it exists and its passphrase is available) or the key given with --expect-key; otherwise
    /// the bundle is "signed by an unknown key" and does not verify.
    Verify {
        /// The bundle.
        file: PathBuf,
        /// The password of an encrypted bundle, in this file.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// The signing key's fingerprint, as the sender gave it (64 hex digits, spaces allowed);
        /// the vault is then not opened.
        #[arg(long, value_name = "FINGERPRINT")]
        expect_key: Option<String>,
        /// A JSON report.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConsentCommand {
    /// Record a consent.
    Grant {
        /// Who (an accountant, a firm, an auditor).
        #[arg(long)]
        party: String,
        /// What for ("bookkeeping", "tax audit").
        #[arg(long)]
        purpose: String,
        /// First issue date covered (YYYY-MM-DD); none: no lower bound.
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Last issue date covered (YYYY-MM-DD); none: no upper bound.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// A category covered (repeat; none: all).
        #[arg(long = "category", value_name = "CATEGORY")]
        categories: Vec<String>,
        /// Evidence of the consent (e.g. "engagement letter of 2026-01-05").
        #[arg(long)]
        evidence: Option<String>,
    },
    /// Withdraw a consent (a new entry: history is never rewritten).
    Withdraw {
        /// The consent's id.
        id: i64,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Every consent, active or withdrawn.
    List {
        /// A JSON array.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RequestCommand {
    /// Register a request; it is due one month after it was received.
    New {
        /// The person (name).
        #[arg(long)]
        subject: String,
        /// access, rectification, erasure, restriction, portability or objection.
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// Their e-mail.
        #[arg(long)]
        email: Option<String>,
        /// Their VAT id.
        #[arg(long)]
        vat_id: Option<String>,
        /// Their SIREN.
        #[arg(long)]
        siren: Option<String>,
        /// When it was received (YYYY-MM-DD; default today).
        #[arg(long, value_name = "DATE")]
        received: Option<String>,
    },
    /// Every request, with due dates; overdue ones are marked.
    List {
        /// A JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Extend the deadline by two months, once (GDPR art. 12(3)).
    Extend {
        /// The request's id.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Close a request with its outcome.
    Close {
        /// The request's id.
        id: i64,
        /// What was done.
        #[arg(long)]
        outcome: String,
    },
}

#[derive(Subcommand)]
enum SubjectCommand {
    /// Every document mentioning the person (restricted ones included).
    Search {
        /// A name, an e-mail, a VAT id or a SIREN.
        subject: String,
        /// A JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Answer an erasure request: dispose of what no legal duty keeps, restrict the rest with
    /// the legal ground (GDPR art. 17(3)(b)).
    Erase {
        /// A name, an e-mail, a VAT id or a SIREN.
        subject: String,
        /// The request's id in the register (recorded in each reason).
        #[arg(long, value_name = "ID")]
        request: Option<i64>,
        /// One JSON object per document.
        #[arg(long)]
        json: bool,
    },
    /// A ZIP of those documents and a JSON of their data (access, portability).
    Export {
        /// A name, an e-mail, a VAT id or a SIREN.
        subject: String,
        /// The ZIP to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum QuarantineCommand {
    /// List what is in quarantine (the default).
    List,
    /// Put back the files whose index row exists again (after the right index.db returned).
    Reattach,
    /// Delete quarantined files for good (the given ids, or all): only those no row names.
    Purge {
        /// Blob ids (all when none).
        ids: Vec<String>,
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
    coffre_core::format::vault_format::default_dir()
        .context("no data folder on this system: pass --vault DIR")
}

fn main() -> ExitCode {
    // Started as an extraction worker: parse one untrusted document at a time, then exit.
    coffre_core::records::worker::serve_if_requested();
    // No core dump may write keys or plaintext to disk.
    coffre_core::records::worker::disable_core_dumps();
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
                outln!(
                    "{}",
                    json!({ "vault": dir, "vault_id": vault.id(), "recovery_key": key })
                );
            } else {
                outln!("Created vault {} at {}", vault.id(), dir.display());
                match &recovery_key_file {
                    Some(f) => outln!("Recovery key written to {}", f.display()),
                    None => {
                        outln!(
                            "Recovery key (shown once: write it down, keep it away from this \
                             computer):"
                        );
                        outln!("{}", shown.as_str());
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            let header = match coffre_core::format::vault_format::VaultHeader::read(&dir) {
                Ok(h) => Some(h),
                Err(CoreError::NoVault(_)) => None,
                Err(e) => return Err(e.into()),
            };
            if json {
                outln!(
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
                outln!("vault     {}", dir.display());
                outln!("id        {}", h.vault_id);
                outln!("created   {}", h.created_at);
                outln!(
                    "kdf       argon2id, {} MiB, {} passes, {} lane(s)",
                    k.memory_kib / 1024,
                    k.iterations,
                    k.parallelism
                );
            } else {
                outln!(
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
            let empty = "The vault is empty. Add documents with `coffre import FILE...`.";
            print_list(&docs, json, empty, |d| {
                format!(
                    "{}  {:>10}  {:<5}  {}  {}",
                    d.id,
                    d.size,
                    serde_json::to_value(d.kind)
                        .ok()
                        .and_then(|k| k.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    &d.imported_at[..10.min(d.imported_at.len())],
                    d.name
                )
            })?;
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
                outln!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                outln!("id           {}", doc.id);
                outln!("name         {}", doc.name);
                outln!("size         {} bytes", doc.size);
                outln!("media type   {}", doc.media_type);
                outln!("sha-256      {}", doc.sha256);
                outln!("imported at  {}", doc.imported_at);
                print_fields(&details.fields);
                if !details.corrections.is_empty() {
                    outln!("corrections");
                    for c in &details.corrections {
                        outln!(
                            "  {}  {}: {} -> {}",
                            c.at,
                            c.field,
                            c.old_value.as_deref().unwrap_or("(none)"),
                            c.new_value.as_deref().unwrap_or("(none)")
                        );
                    }
                }
                outln!("history");
                for e in history {
                    outln!("  {}  {}", e.at, e.action);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { file, json } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Parsed in a worker process with memory and time limits, like every import.
            let e = coffre_core::records::worker::Extractor::default()
                .extract(&bytes, &name)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                outln!("{}", e.json);
            } else {
                print_fields(&e.data());
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
                include_restricted: false,
            };
            let hits = open()?.search(&q)?;
            print_list(&hits, json, "No document matches.", |h| {
                format!(
                    "{}  {:<10}  {:<16}  {:>12} {:<3}  {:<24}  {}",
                    h.document.id,
                    h.issue_date.as_deref().unwrap_or("-"),
                    h.number.as_deref().unwrap_or("-"),
                    h.total_with_vat.as_deref().unwrap_or("-"),
                    h.currency.as_deref().unwrap_or(""),
                    h.seller.as_deref().unwrap_or("-"),
                    h.document.name
                )
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Correct { id, field, value } => {
            let mut vault = open()?;
            vault.correct(&id, &field, value.as_deref())?;
            let details = vault.details(&id)?;
            outln!(
                "{} {}: {}",
                details.document.id,
                field,
                coffre_core::records::fields::get(&details.fields, &field).unwrap_or("(none)")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Reextract { ids } => {
            let n = open()?.reextract(&ids)?;
            outln!("re-extracted {n} document(s); corrections kept");
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
        Command::Retention { action } => retention(open()?, action),
        Command::Restrict { id, reason } => {
            open()?.restrict(&id, &reason)?;
            outln!("restricted {id}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Unrestrict { id } => {
            open()?.unrestrict(&id)?;
            outln!("unrestricted {id}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Category { id, category } => {
            let mut vault = open()?;
            vault.set_category(
                &id,
                coffre_core::records::retention::Category::parse(&category)?,
            )?;
            let r = vault.retention_of(&id)?;
            outln!("{} {}: kept until {}", r.id, r.category, r.retain_until);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bundle {
            action:
                BundleCommand::Verify {
                    file,
                    password_file,
                    expect_key,
                    json,
                },
        } => {
            let password = password_file
                .as_deref()
                .map(secrets::bundle_password)
                .transpose()?;
            let expected = match &expect_key {
                Some(fp) => Some(coffre_core::sharing::bundle::ExpectedSigner::fingerprint(
                    fp,
                )?),
                None => bundle_signer_of_vault(&dir, pass_file)?,
            };
            let report = coffre_core::sharing::bundle::bundle_verify(
                &file,
                password.as_deref().map(|p| p.as_str()),
                expected.as_ref(),
            )?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for p in &report.problems {
                    outln!(
                        "{} {}: {}",
                        p.kind.to_uppercase(),
                        p.path.as_deref().unwrap_or("-"),
                        p.detail
                    );
                }
                if report.ok {
                    outln!(
                        "ok: signature valid, by the {} key, {} files intact (bundle {}, key {})",
                        if expect_key.is_some() {
                            "expected"
                        } else {
                            "vault's"
                        },
                        report.files_ok,
                        report.bundle_id.as_deref().unwrap_or("?"),
                        report.key_fingerprint.as_deref().unwrap_or("?")
                    );
                } else if expected.is_none() {
                    eprintln!(
                        "coffre: no vault key at hand to check the signer: give the sender's key \
                         fingerprint with --expect-key, or the vault passphrase"
                    );
                }
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Bundle {
            action:
                BundleCommand::Create {
                    recipient,
                    period,
                    categories,
                    since_last,
                    password_file,
                    generate_password,
                    purpose,
                    decimal_comma,
                    out,
                    json,
                },
        } => {
            let password = if generate_password {
                Some(coffre_core::sharing::bundle::generate_password()?)
            } else {
                password_file
                    .as_deref()
                    .map(secrets::bundle_password)
                    .transpose()?
            };
            let request = coffre_core::sharing::bundle::BundleRequest {
                recipient,
                purpose,
                period,
                categories,
                since_last,
                password,
                decimal_comma,
                out,
            };
            let mut vault = open()?;
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(0)
            } else {
                indicatif::ProgressBar::hidden()
            };
            let summary = vault.bundle_create(&request, &mut |p| {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
            })?;
            bar.finish_and_clear();
            // The generated password, shown once, then dropped (zeroized) with the request.
            let shown = generate_password
                .then(|| request.password.as_ref().map(|p| p.as_str()))
                .flatten();
            if json {
                let mut value = serde_json::to_value(&summary)?;
                if let (Some(p), Some(obj)) = (shown, value.as_object_mut()) {
                    obj.insert("password".into(), p.into());
                }
                outln!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                if let Some(p) = shown {
                    eprintln!(
                        "Bundle password (shown once: give it to the recipient by another \
                         channel, e.g. by phone):"
                    );
                    eprintln!("{p}");
                }
                outln!(
                    "bundle {} written to {}: {} document(s), {} restricted left out, {} bytes",
                    summary.bundle_id,
                    summary.out.display(),
                    summary.documents,
                    summary.restricted_skipped,
                    summary.bytes
                );
                outln!("signing key fingerprint {}", summary.key_fingerprint);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { action } => backup(open, action),
        Command::Export { out } => {
            let summary = open()?.export_all(&out)?;
            eprintln!(
                "coffre: {} holds your documents in PLAINTEXT: keep it safe, delete it when done",
                out.display()
            );
            outln!(
                "exported {} document(s) ({} bytes), {} consent(s), {} request(s), {} audit \
                 entries to {}",
                summary.documents,
                summary.bytes,
                summary.consents,
                summary.requests,
                summary.audit_entries,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Consent { action } => {
            let mut vault = open()?;
            match action {
                ConsentCommand::Grant {
                    party,
                    purpose,
                    from,
                    to,
                    categories,
                    evidence,
                } => {
                    let id = vault.consent_grant(&coffre_core::sharing::consent::Grant {
                        party,
                        purpose,
                        from,
                        to,
                        categories,
                        evidence,
                    })?;
                    outln!("consent {id} granted");
                }
                ConsentCommand::Withdraw { id, note } => {
                    vault.consent_withdraw(id, note.as_deref())?;
                    outln!("consent {id} withdrawn");
                }
                ConsentCommand::List { json } => {
                    let all = vault.consents()?;
                    print_list(&all, json, "No consent recorded.", |c| {
                        format!(
                            "{:>4}  {:<9}  {}  for {}  issued {}..{}  {}",
                            c.id,
                            if c.active { "active" } else { "withdrawn" },
                            c.party,
                            c.purpose,
                            c.from.as_deref().unwrap_or(""),
                            c.to.as_deref().unwrap_or(""),
                            if c.categories.is_empty() {
                                "all categories".to_owned()
                            } else {
                                c.categories.join(", ")
                            }
                        )
                    })?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Request { action } => {
            let mut vault = open()?;
            match action {
                RequestCommand::New {
                    subject,
                    kind,
                    email,
                    vat_id,
                    siren,
                    received,
                } => {
                    let received = received.unwrap_or_else(|| {
                        coffre_core::records::retention::format_date(
                            coffre_core::records::retention::today(),
                        )
                    });
                    let id = vault.request_new(&coffre_core::privacy::requests::NewRequest {
                        subject,
                        email,
                        vat_id,
                        siren,
                        kind: kind.parse()?,
                        received,
                    })?;
                    let (r, _) = vault.request(id)?.context("the request just created")?;
                    outln!("request {id} registered; due {}", r.due);
                }
                RequestCommand::List { json } => {
                    let all = vault.requests()?;
                    print_list(&all, json, "No request registered.", |r| {
                        format!(
                            "{:>4}  {:<13}  {:<8}  received {}  due {}{}  {}",
                            r.id,
                            r.kind.as_str(),
                            serde_json::to_value(r.status)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                            r.received,
                            r.due,
                            if r.overdue { "  OVERDUE" } else { "" },
                            r.subject
                        )
                    })?;
                }
                RequestCommand::Extend { id, reason } => {
                    vault.request_extend(id, &reason)?;
                    let (r, _) = vault.request(id)?.context("request")?;
                    outln!("request {id} extended; due {}", r.due);
                }
                RequestCommand::Close { id, outcome } => {
                    vault.request_close(id, &outcome)?;
                    outln!("request {id} closed");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Subject { action } => match action {
            SubjectCommand::Search { subject, json } => {
                let hits = open()?.subject_search(&subject)?;
                let none = format!("No document mentions {subject:?}.");
                print_list(&hits, json, &none, |h| {
                    format!(
                        "{}  {:<10}  {:<16}  {}",
                        h.document.id,
                        h.issue_date.as_deref().unwrap_or("-"),
                        h.number.as_deref().unwrap_or("-"),
                        h.document.name
                    )
                })?;
                Ok(ExitCode::SUCCESS)
            }
            SubjectCommand::Erase {
                subject,
                request,
                json,
            } => {
                for e in open()?.erase_subject(&subject, request)? {
                    if json {
                        outln!("{}", serde_json::to_string(&e)?);
                    } else {
                        outln!("{} {} {}: {}", e.action, e.id, e.name, e.reason);
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            SubjectCommand::Export { subject, out } => {
                let report = open()?.subject_export(&subject, &out)?;
                eprintln!(
                    "coffre: {} holds {} document(s) in plaintext: hand it over securely, then \
                     delete it",
                    out.display(),
                    report.documents
                );
                outln!(
                    "exported {} document(s) to {}",
                    report.documents,
                    out.display()
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::Passwd {
            new_passphrase_file,
        } => {
            let mut vault = open()?;
            let new = secrets::new_passphrase(
                new_passphrase_file.as_deref(),
                &[secrets::ENV_NEW_PASSPHRASE],
            )?;
            vault.change_passphrase(&new)?;
            outln!("Passphrase changed.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Rekey {
            new_passphrase_file,
            recovery_key_file,
        } => {
            if let Some(f) = &recovery_key_file
                && f.exists()
            {
                anyhow::bail!(
                    "{} exists: the new recovery key needs a new file",
                    f.display()
                );
            }
            let vault = open()?;
            let new = secrets::new_passphrase(
                new_passphrase_file.as_deref(),
                &[secrets::ENV_NEW_PASSPHRASE],
            )?;
            let (_vault, recovery) = vault.rekey(&new)?;
            match &recovery_key_file {
                Some(f) => {
                    secrets::write_recovery_key(f, &recovery)?;
                    outln!(
                        "Master key rotated. New recovery key written to {}; the old one no \
                         longer works.",
                        f.display()
                    );
                }
                None => outln!(
                    "Master key rotated. New recovery key (shown once: write it down; the old one \
                     no longer works):\n{}",
                    recovery.to_display_string().as_str()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Recover {
            recovery_key_file,
            accept_older_index,
            new_passphrase_file,
        } => {
            let options = coffre_core::OpenOptions {
                accept_older_index,
                ..Default::default()
            };
            let Some(key_file) = recovery_key_file else {
                let pass = secrets::existing(pass_file)?;
                let vault = Vault::open_with(&dir, &pass, &options)?;
                let q = vault.quarantine()?;
                outln!(
                    "Vault opened with its index as it is (audited). {} files in quarantine; \
                     put the newer index.db back and run `coffre quarantine reattach` to \
                     return them.",
                    q.blobs.len()
                );
                return Ok(ExitCode::SUCCESS);
            };
            let key = secrets::recovery_key(&key_file)?;
            let mut vault = Vault::open_with_recovery_key_and(&dir, &key, &options)?;
            let new = match (new_passphrase_file.as_deref(), pass_file) {
                (Some(f), _) => secrets::new_passphrase(Some(f), &[])?,
                (None, file) if std::env::var_os(secrets::ENV_NEW_PASSPHRASE).is_none() => {
                    secrets::new_passphrase(file, &[secrets::ENV_PASSPHRASE])?
                }
                _ => secrets::new_passphrase(None, &[secrets::ENV_NEW_PASSPHRASE])?,
            };
            vault.change_passphrase(&new)?;
            outln!("Vault recovered: the new passphrase is set.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { json } => {
            let report = open()?.verify()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for f in &report.faults {
                    outln!("FAULT {} {}: {}", f.id, f.name, f.reason);
                }
                for f in &report.audit.faults {
                    outln!("FAULT audit: {f}");
                }
                if report.is_ok() {
                    outln!(
                        "ok: {} documents ({} bytes) decrypted and checked; audit chain of {} \
                         entries intact",
                        report.documents,
                        report.bytes,
                        report.audit.entries
                    );
                }
                for p in &report.stray {
                    outln!(
                        "STRAY {}: not a file Coffre writes there (left untouched)",
                        p.display()
                    );
                }
                let q = &report.quarantine;
                if !q.blobs.is_empty() {
                    outln!(
                        "QUARANTINE {} encrypted files no index row names, kept aside ({} have \
                         their row again: `coffre quarantine reattach`; the others, left by an \
                         interrupted import or an older index, can be deleted with `coffre \
                         quarantine purge`)",
                        q.blobs.len(),
                        q.reattachable.len()
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
        Command::Quarantine { action, json } => {
            let mut vault = open()?;
            let (ids, what) = match action.unwrap_or(QuarantineCommand::List) {
                QuarantineCommand::List => {
                    let q = vault.quarantine()?;
                    if json {
                        outln!("{}", serde_json::to_string_pretty(&q)?);
                    } else {
                        for id in &q.blobs {
                            let back = q.reattachable.contains(id);
                            outln!("{id}{}", if back { "  (row back: reattach)" } else { "" });
                        }
                        if q.blobs.is_empty() {
                            outln!("Quarantine is empty.");
                        }
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                QuarantineCommand::Reattach => (vault.reattach_quarantined()?, "reattached"),
                QuarantineCommand::Purge { ids } => (vault.purge_quarantine(&ids)?, "purged"),
            };
            if json {
                outln!("{}", json!({ what: ids }));
            } else {
                outln!("{} files {what}.", ids.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { json, action } => {
            let vault = open()?;
            match action {
                Some(AuditCommand::Verify) => {
                    let report = vault.verify_audit()?;
                    for f in &report.faults {
                        outln!("FAULT audit: {f}");
                    }
                    if report.faults.is_empty() {
                        outln!("ok: audit chain of {} entries intact", report.entries);
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
                    print_list(&entries, json, "The audit trail is empty.", |e| {
                        format!(
                            "{:>6}  {}  {:<24} {}  {}",
                            e.seq,
                            e.at,
                            e.action,
                            e.doc_id.as_deref().unwrap_or("-"),
                            e.detail
                        )
                    })?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Config { key, value } => {
            let mut vault = open()?;
            const RETENTION_KEYS: [&str; 3] = ["jurisdiction", "fiscal-year-end", "owner-ids"];
            match (key.as_deref(), value) {
                (None, _) => {
                    outln!("max-import-size {}", vault.max_import_size()?);
                    outln!("audit-access-months {}", vault.audit_access_months()?);
                    let p = vault.retention_policy()?;
                    outln!("jurisdiction {}", p.jurisdiction.as_str());
                    outln!(
                        "fiscal-year-end {:02}-{:02}",
                        p.fiscal_year_end.0,
                        p.fiscal_year_end.1
                    );
                    outln!(
                        "owner-ids {}",
                        vault.retention_setting("owner-ids")?.unwrap_or_default()
                    );
                    for c in coffre_core::records::retention::Category::ALL {
                        outln!("retention.{} {} years", c.as_str(), p.years(c));
                    }
                }
                (Some("max-import-size"), None) => outln!("{}", vault.max_import_size()?),
                (Some("audit-access-months"), None) => outln!("{}", vault.audit_access_months()?),
                (Some("backup-warn-days"), None) => {
                    outln!("{}", vault.backup_status()?.warn_after_days)
                }
                (Some("backup-warn-days"), Some(v)) => vault.set_backup_warn_after_days(
                    v.trim().parse().context("a whole number of days")?,
                )?,
                (Some("audit-access-months"), Some(v)) => vault.set_audit_access_months(
                    v.trim().parse().context("a whole number of months")?,
                )?,
                (Some("max-import-size"), Some(v)) => {
                    vault.set_max_import_size(parse_size(&v).map_err(anyhow::Error::msg)?)?
                }
                (Some(k), None) if RETENTION_KEYS.contains(&k) || k.starts_with("retention.") => {
                    outln!("{}", vault.retention_setting(k)?.unwrap_or_default())
                }
                (Some(k), Some(v))
                    if RETENTION_KEYS.contains(&k) || k.starts_with("retention.") =>
                {
                    vault.set_retention_setting(k, &v)?
                }
                (Some(other), _) => bail!(
                    "unknown setting {other:?} (known: max-import-size, audit-access-months, backup-warn-days, \
                     jurisdiction, fiscal-year-end, owner-ids, retention.CATEGORY)"
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn backup(open: impl Fn() -> Result<Vault>, action: BackupCommand) -> Result<ExitCode> {
    use coffre_core::backup;
    match action {
        BackupCommand::Create {
            to,
            keep_daily,
            keep_weekly,
            keep_monthly,
            json,
        } => {
            let rotation = backup::Rotation {
                daily: keep_daily,
                weekly: keep_weekly,
                monthly: keep_monthly,
                ..backup::Rotation::default()
            };
            let s = open()?.backup_create(&to, &rotation)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                outln!(
                    "generation {}: {} document(s), {} new blob(s) copied ({} bytes), {} old \
                     generation(s) rotated out, {} disposed document(s) removed",
                    s.generation,
                    s.documents,
                    s.blobs_copied,
                    s.bytes_copied,
                    s.generations_removed.len(),
                    s.disposed_removed
                );
            }
        }
        BackupCommand::Status { json } => {
            let st = open()?.backup_status()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                match (&st.last_at, &st.folder) {
                    (Some(at), Some(folder)) => outln!("last backup {at} to {folder}"),
                    _ => outln!("no backup yet: coffre backup create --to DIR"),
                }
                if st.overdue {
                    outln!("a backup is due (more than {} days)", st.warn_after_days);
                }
            }
        }
        BackupCommand::List { dir, json } => {
            let all = backup::backup_list(&dir)?;
            print_list(&all, json, "No generation in that folder.", |g| {
                format!("{}  {} document(s)  {} bytes", g.id, g.documents, g.bytes)
            })?;
        }
        BackupCommand::Verify { dir, json } => {
            let report = backup::backup_verify(&dir)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for p in &report.problems {
                    outln!(
                        "FAULT {} {}: {}",
                        p.generation.as_deref().unwrap_or("-"),
                        p.item,
                        p.reason
                    );
                }
                if report.is_ok() {
                    outln!(
                        "ok: {} generation(s), {} blob(s) intact",
                        report.generations,
                        report.blobs
                    );
                }
            }
            if !report.is_ok() {
                return Ok(ExitCode::FAILURE);
            }
        }
        BackupCommand::Restore {
            dir,
            generation,
            to,
        } => {
            backup::backup_restore(&dir, generation.as_deref(), &to)?;
            outln!(
                "restored into {}; open it with its passphrase or recovery key (--vault {})",
                to.display(),
                to.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn retention(mut vault: Vault, action: RetentionCommand) -> Result<ExitCode> {
    use coffre_core::records::retention::parse_date;
    match action {
        RetentionCommand::Status { json, on } => {
            let on = on.as_deref().map(parse_date).transpose()?;
            let status = vault.retention_status(on)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{} rules, fiscal year ending {:02}-{:02}; status on {}",
                status.policy.jurisdiction.as_str(),
                status.policy.fiscal_year_end.0,
                status.policy.fiscal_year_end.1,
                status.today
            );
            let show = |title: &str, rows: &[coffre_core::vault::lifecycle::RetentionRow]| {
                outln!("{title}: {}", rows.len());
                for r in rows {
                    let why = r
                        .hold_reason
                        .as_deref()
                        .or(r.restricted_reason.as_deref())
                        .unwrap_or("");
                    outln!(
                        "  {}  {:<16}  until {}  {}  {why}",
                        r.id,
                        r.category,
                        r.retain_until,
                        r.name
                    );
                }
            };
            show("due for disposal", &status.due);
            show("on legal hold", &status.on_hold);
            show("restricted", &status.restricted);
            outln!("kept until, by year:");
            for (year, n) in &status.by_year {
                outln!("  {year}  {n}");
            }
            outln!("disposed of so far: {}", status.disposed);
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Hold { id, reason } => {
            vault.hold(&id, &reason)?;
            outln!("on hold {id}");
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Release { id } => {
            vault.release(&id)?;
            outln!("released {id}");
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Dispose {
            ids,
            due,
            override_,
            reason,
            json,
        } => {
            if ids.is_empty() && !due {
                bail!("name documents to dispose of, or use --due");
            }
            let override_reason = match (override_, reason.as_deref()) {
                (true, Some(r)) => Some(r),
                (true, None) => bail!("an override needs --reason"),
                (false, Some(_)) => bail!("--reason goes with --override"),
                (false, None) => None,
            };
            let outcomes = vault.dispose(&ids, due, override_reason, None)?;
            for d in &outcomes {
                if json {
                    outln!("{}", serde_json::to_string(d)?);
                } else if d.disposed {
                    outln!("disposed {} {}: {}", d.id, d.name, d.reason);
                } else {
                    outln!("refused {} {}: {}", d.id, d.name, d.reason);
                }
            }
            if outcomes.iter().any(|d| !d.disposed) {
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints `items` as one JSON array with `--json`, else one line each (or `empty` when there
/// are none).
fn print_list<T: serde::Serialize>(
    items: &[T],
    json: bool,
    empty: &str,
    line: impl Fn(&T) -> String,
) -> Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(items)?);
    } else if items.is_empty() {
        outln!("{empty}");
    } else {
        for item in items {
            outln!("{}", line(item));
        }
    }
    Ok(())
}

/// Prints invoice data (an extraction's JSON) as aligned lines, skipping empty values.
fn print_fields(data: &serde_json::Value) {
    let get = |path: &str| coffre_core::records::fields::get(data, path);
    if let Some(f) = get("format") {
        let profile = get("profile")
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        outln!("format       {f}{profile}");
    }
    for path in coffre_core::records::fields::CORRECTABLE {
        if let Some(v) = get(path) {
            let source = data["fields"][path]["source"].as_str().unwrap_or("");
            outln!("{path:<18} {v}  [{source}]");
        }
    }
    if data["needs_review"].as_bool() == Some(true) {
        outln!("needs review");
        for issue in data["issues"].as_array().into_iter().flatten() {
            outln!("  - {}", issue.as_str().unwrap_or_default());
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
    for item in coffre_core::intake::ingest::collect_files(paths) {
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
                bar.suspend(|| outln!("{text}"));
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
    after: coffre_core::intake::watch::AfterImport,
    settle_ms: u64,
    recursive: bool,
    rescan_s: u64,
    json: bool,
) -> Result<ExitCode> {
    use coffre_core::intake::watch::{
        HandledAction, WatchEvent, WatchOptions, WatchState, Watcher,
    };
    vault.check_import_folder(folder, recursive)?;
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
    let target = Arc::new(coffre_core::intake::ingest::QueueTarget::new(Arc::clone(
        &ingest,
    )));
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

/// For `bundle verify`: the vault's own signing key, when the vault exists and its passphrase is
/// available (`--passphrase-file`, `$COFFRE_PASSPHRASE`, or a prompt on a terminal); `None` when
/// there is no vault or no passphrase (the bundle is then "signed by an unknown key"). A vault
/// that exists but does not open (wrong passphrase, in use) is an error.
fn bundle_signer_of_vault(
    dir: &Path,
    pass_file: Option<&Path>,
) -> Result<Option<coffre_core::sharing::bundle::ExpectedSigner>> {
    match coffre_core::format::vault_format::VaultHeader::read(dir) {
        Ok(_) => {}
        Err(CoreError::NoVault(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let pass = match (pass_file, secrets::existing(pass_file)) {
        (_, Ok(p)) => p,
        // A passphrase file that cannot be read is an error, not an absence.
        (Some(_), Err(e)) => return Err(e),
        (None, Err(_)) => return Ok(None),
    };
    let vault = Vault::open(dir, &pass).with_context(|| {
        format!(
            "opening the vault at {} to check the bundle's signer (or give --expect-key)",
            dir.display()
        )
    })?;
    Ok(Some(
        coffre_core::sharing::bundle::ExpectedSigner::PublicKey(vault.signing_public_key()?),
    ))
}
