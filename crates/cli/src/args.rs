//! The command line's shape: clap's [`Cli`], its subcommands and their arguments, with the help
//! text each one shows. Nothing here runs a command (that is `cmd`); `parse_size` is here because
//! it is the value parser of `--max-size`.
//!
//! The commands with many arguments (`init`, `import`, `watch`, `search`, `correct`, `rekey`,
//! `recover`) take them as one `…Args` struct, which `main` hands on whole to their function in
//! `cmd`; the others keep theirs inline. Either way the command line is the same.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Coffre: an encrypted invoice vault on your own machine.
#[derive(Parser)]
#[command(name = "coffre", version, about, max_term_width = 100)]
pub struct Cli {
    /// The vault folder [default: the data folder of this OS, e.g. ~/.local/share/Coffre/vault].
    #[arg(long, global = true, env = "COFFRE_VAULT", value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from this file (else $COFFRE_PASSPHRASE, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a vault and show its recovery key once.
    Init(InitArgs),
    /// Where the vault is and whether it exists (no passphrase needed).
    Status {
        /// A JSON object (vault, exists, vault_id, created_at, kdf).
        #[arg(long)]
        json: bool,
    },
    /// Import files, and folders recursively.
    Import(ImportArgs),
    /// Watch a folder and import every file that lands in it, until Ctrl-C. One line per event.
    Watch(WatchArgs),
    /// List the documents (with their direction, original and status).
    List {
        /// A JSON array.
        #[arg(long)]
        json: bool,
        /// Only purchases, sales, or documents not classified (purchase, sale, unknown).
        #[arg(long, value_name = "DIRECTION")]
        direction: Option<String>,
        /// Only invoices unpaid, due within a week (due-week), overdue, or refused.
        #[arg(long, value_name = "FILTER")]
        payment: Option<String>,
    },
    /// Say whether documents are purchases or sales (unknown: decided from owner-ids again).
    Direction {
        /// purchase, sale or unknown.
        direction: String,
        /// Document ids or unique prefixes.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Record a lifecycle status of an invoice by hand (paid, refused, disputed, approved, ...).
    SetStatus {
        /// Document id or a unique prefix of it.
        id: String,
        /// deposited, issued, received, made-available, taken-over, approved, partly-approved,
        /// disputed, suspended, completed, refused, payment-sent, paid, rejected or endorsed.
        status: String,
        /// When it was reached (YYYY-MM-DD; now by default).
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// A note (why it was refused, how it was paid...).
        #[arg(long)]
        note: Option<String>,
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
    Search(SearchArgs),
    /// Correct a field of a document's invoice data (kept with its history; omit VALUE to clear).
    Correct(CorrectArgs),
    /// Run extraction again (all documents, or those given); corrections are kept.
    Reextract {
        /// Document ids or unique prefixes.
        ids: Vec<String>,
    },
    /// Mail accounts: collect invoices from an IMAP folder (add, list, test, fetch, remove).
    Mail {
        #[command(subcommand)]
        action: MailCommand,
    },
    /// Supplier memory: where each supplier prints the fields you corrected (list, forget).
    SupplierMemory {
        #[command(subcommand)]
        action: SupplierMemoryCommand,
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
    /// An integrity certificate for an auditor: a signed PDF stating, per document, its SHA-256,
    /// import, key fields, retention, holds and audit history; made only when the documents and
    /// the audit trail check out. With --verify, checks a certificate instead.
    Certify(CertifyArgs),
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
    Rekey(RekeyArgs),
    /// Unlock with the recovery key and set a new passphrase; or open an index older than the
    /// vault's last recorded state (`--accept-older-index`).
    Recover(RecoverArgs),
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

/// The arguments of `coffre init`.
#[derive(Args)]
pub struct InitArgs {
    /// Write the recovery key to this new file instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub recovery_key_file: Option<PathBuf>,
    /// Argon2id memory in MiB (default 64; at least 19).
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes (default 3; at least 2).
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Print a JSON object (vault, vault_id, recovery_key).
    #[arg(long)]
    pub json: bool,
}

/// The arguments of `coffre import`.
#[derive(Args)]
pub struct ImportArgs {
    /// Files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// One JSON object per file: status, id, path, reason.
    #[arg(long)]
    pub json: bool,
    /// Refuse files larger than this (e.g. 20MiB) instead of the vault's setting.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

/// The arguments of `coffre watch`.
#[derive(Args)]
pub struct WatchArgs {
    /// The folder (scanners, browsers, sync clients write here).
    pub folder: PathBuf,
    /// After a durable import: keep the file (remembered, never imported again), move it to
    /// Imported/YYYY-MM/, or delete it.
    #[arg(long, default_value = "keep", value_name = "POLICY")]
    pub after: coffre_core::intake::watch::AfterImport,
    /// How long a file must stay unchanged before it is taken (milliseconds).
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub settle_ms: u64,
    /// Watch sub-folders too.
    #[arg(long)]
    pub recursive: bool,
    /// Rescan the whole folder this often (seconds), for missed events and network shares.
    #[arg(long, default_value_t = 60, value_name = "N")]
    pub rescan_s: u64,
    /// One JSON object per event.
    #[arg(long)]
    pub json: bool,
    /// Unlock once (to import what waits and to verify the vault's intake key), then lock and
    /// go on watching: each new file is sealed into the vault's inbox, unreadable without the
    /// passphrase, and imported at the next unlock.
    #[arg(long)]
    pub locked: bool,
}

/// The arguments of `coffre search`.
#[derive(Args)]
pub struct SearchArgs {
    /// Words to look for (supplier, number, amount like 1234,56, month...); may be empty.
    #[arg(default_value = "")]
    pub query: String,
    /// Issued on or after (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Issued on or before (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// The seller's name contains this.
    #[arg(long, value_name = "NAME")]
    pub supplier: Option<String>,
    /// Total with VAT at least.
    #[arg(long, value_name = "AMOUNT")]
    pub min: Option<String>,
    /// Total with VAT at most.
    #[arg(long, value_name = "AMOUNT")]
    pub max: Option<String>,
    /// invoice, credit-note, review, factur-x, ubl, cii, pdf-text, pdf-scan, image or
    /// other.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Most results.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// A JSON array.
    #[arg(long)]
    pub json: bool,
}

/// The arguments of `coffre correct`.
#[derive(Args)]
pub struct CorrectArgs {
    /// Document id or a unique prefix of it.
    pub id: String,
    /// number, issue_date, due_date, type_code, currency, seller.name, seller.vat_id,
    /// seller.legal_id, buyer.name, buyer.vat_id, buyer.legal_id, total_without_vat, total_vat,
    /// total_with_vat, amount_due, iban, vat_breakdown (RATE:BASE:TAX; ..., e.g.
    /// "20:100.00:20.00; 5.5:50.00:2.75") or direction (purchase, sale, unknown).
    pub field: String,
    /// The right value.
    pub value: Option<String>,
}

/// The arguments of `coffre rekey`.
#[derive(Args)]
pub struct RekeyArgs {
    /// Read the new passphrase from this file (else $COFFRE_NEW_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
    /// Write the new recovery key to this new file instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub recovery_key_file: Option<PathBuf>,
}

/// The arguments of `coffre recover`.
#[derive(Args)]
pub struct RecoverArgs {
    /// The file holding the recovery key.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "accept_older_index"
    )]
    pub recovery_key_file: Option<PathBuf>,
    /// Open the index as it is although it is older than the vault's last recorded state
    /// (an old copy put back, a sync conflict): documents newer than it are moved to
    /// quarantine, never deleted, and come back with `coffre quarantine reattach` once the
    /// newer index is put back. Audited.
    #[arg(long)]
    pub accept_older_index: bool,
    /// Read the new passphrase from this file (else $COFFRE_NEW_PASSPHRASE, then
    /// --passphrase-file or $COFFRE_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum RetentionCommand {
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
pub enum BackupCommand {
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
pub enum BundleCommand {
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
        /// generic (index.csv, index.json, purchases.csv, sales.csv) or ecritures (also
        /// ecritures.csv: one accounting line per invoice and VAT rate, FEC column names).
        #[arg(long, default_value = "generic", value_name = "PRESET")]
        preset: String,
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

/// `coffre certify ID... --out FILE.pdf` or `coffre certify --verify FILE.pdf`.
#[derive(Args)]
pub struct CertifyArgs {
    /// Document ids (or unique prefixes of them).
    #[arg(required_unless_present = "verify", conflicts_with = "verify")]
    pub ids: Vec<String>,
    /// The PDF to write.
    #[arg(long, value_name = "FILE.pdf", required_unless_present = "verify")]
    pub out: Option<PathBuf>,
    /// The certificate's language, en or fr (default: from LC_ALL, LC_MESSAGES or LANG; else en).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Check this certificate: its signature, its signer (this vault, when its passphrase is
    /// available, or --expect-key) and that its pages show the signed text.
    #[arg(long, value_name = "FILE.pdf", conflicts_with_all = ["out", "lang"])]
    pub verify: Option<PathBuf>,
    /// With --verify: the signing key's fingerprint, as the vault's owner gave it (64 hex
    /// digits, spaces allowed); the vault is then not opened.
    #[arg(long, value_name = "FINGERPRINT", requires = "verify")]
    pub expect_key: Option<String>,
    /// A JSON summary (or report, with --verify).
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum SupplierMemoryCommand {
    /// Every remembered layout, newest first.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Forget one remembered layout (by the id `list` shows).
    Forget {
        /// The layout's id.
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum MailCommand {
    /// Add an IMAP account (its password is stored encrypted in the vault); tests it first.
    Add(MailAddArgs),
    /// The accounts and how their last fetch went.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Log in and open the folder, changing nothing.
    Test {
        /// The account's name.
        name: String,
    },
    /// Fetch new messages (one account, or all) into the vault. One line per message.
    Fetch {
        /// The account's name (all accounts when omitted).
        name: Option<String>,
        /// One JSON object per line: {account, uid, status, id, reason, parts}.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account, its password and its fetch record (the documents stay).
    Remove {
        /// The account's name.
        name: String,
    },
}

#[derive(clap::Args)]
pub struct MailAddArgs {
    /// A name for the account (letters, digits, - _ . @).
    pub name: String,
    /// The IMAP server.
    #[arg(long)]
    pub host: String,
    /// Its port (993 for tls, 143 for starttls).
    #[arg(long)]
    pub port: Option<u16>,
    /// tls, starttls, or none (none only to this machine).
    #[arg(long, default_value = "tls")]
    pub security: String,
    /// The user name.
    #[arg(long)]
    pub user: String,
    /// A file holding the password (an application password for most providers).
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
    /// The folder to collect from.
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// PEM certificate(s) to trust for this server instead of the system's.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// What to do with a message once stored: keep, seen, or move:FOLDER.
    #[arg(long, default_value = "keep")]
    pub after: String,
    /// Save the account without testing the connection first.
    #[arg(long)]
    pub no_test: bool,
}

#[derive(Subcommand)]
pub enum ConsentCommand {
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
pub enum RequestCommand {
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
pub enum SubjectCommand {
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
pub enum QuarantineCommand {
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
pub enum AuditCommand {
    /// Check the chain: any removed, inserted, reordered or altered entry is a fault.
    Verify,
}

/// `--max-size`: a size in bytes, with an optional unit (`20MiB`, `512k`, `1g`), read by the
/// core's one size parser.
pub fn parse_size(text: &str) -> Result<u64, String> {
    coffre_core::support::sizes::parse_size("--max-size", text).map_err(|e| e.to_string())
}
