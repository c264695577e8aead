//! Accountant bundles: the documents of a period, with a table linking each one to its figures,
//! in a signed ZIP that opens without Coffre.
//!
//! A bundle holds `documents/` (each document under a readable, portable name), `index.csv`
//! (written by [`crate::support::csv`]: UTF-8 with BOM, `;`-separated, RFC 4180 quoting, formula
//! cells defused), `index.json` (the same rows plus the VAT breakdown), `README.html` (a
//! self-contained overview with totals per month and per VAT rate), `manifest.json` (every
//! file's path, size and SHA-256) and `manifest.sig` (the raw 64-byte Ed25519 signature of the
//! exact bytes of `manifest.json` by the vault's signing key, whose public key is in the
//! manifest).
//!
//! With a password, every entry is encrypted with AES-256 in the WinZip AE-2 format (no CRC-32
//! of the plaintext in the clear: the writer streams, so the `zip` crate never rewrites the
//! entry as AE-1), and the documents are named `documents/0001.pdf`, `documents/0002.xml`, ...
//! (the extension only): ZIP encryption covers contents, not the list of names, so names that
//! anyone can list carry nothing; the readable name, seller, number and amounts of each file are
//! only in the encrypted `index.csv`, `index.json` and `README.html`. The password must be at
//! least [`MIN_PASSWORD_CHARS`] characters and score at least [`MIN_PASSWORD_SCORE`] with zxcvbn
//! ([`check_password`]): the ZIP format derives the key with PBKDF2-SHA1 at 1,000 rounds, which
//! slows guessing little. [`generate_password`] makes one to show once.
//!
//! Promises: nothing is written without an active consent covering the recipient, the purpose
//! (when given), the period and the categories (when given); restricted documents are never
//! included (they are counted); documents are streamed one at a time into the ZIP; the output
//! appears atomically (a `.NAME.part` file beside it, synced, then renamed) and nothing is left
//! behind on error; each bundle is recorded in the `bundles` ledger and the audit trail.
//! [`bundle_verify`] needs no vault and never trusts the archive: entry count, sizes and paths
//! are bounded and checked; duplicate names and entries sharing bytes (a "zip bomb by overlap")
//! are refused before anything is inflated; every entry is read through a limit (its size in the
//! manifest, never the ZIP header's) and all of them together within [`MAX_TOTAL_BYTES`]. It
//! never trusts the key the bundle names: the signer must be the one the caller expects (the
//! vault's own key, or a fingerprint given by the sender, see [`ExpectedSigner`]); without an
//! expectation the bundle is "signed by an unknown key" and does not verify.
//!
//! Known gap: file names are not Unicode-normalised (no normalisation crate is available); the
//! sanitiser never decomposes or reorders characters, so NFC input gives NFC output.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use coffre_extract::amount::Decimal;
use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::support::csv::{Cell, Table};
pub use crate::support::names::portable_name;
use crate::support::names::{clean_part, unique_name};
use crate::vault::Vault;
use crate::{Error, Result, records::fields, storage::audit};

/// The manifest's format tag.
pub const FORMAT: &str = "coffre-bundle/1";

/// Most entries [`bundle_verify`] accepts in an archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest `manifest.json` [`bundle_verify`] reads.
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Largest single entry [`bundle_verify`] reads.
pub const MAX_ENTRY_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Most bytes [`bundle_verify`] inflates in all (the files the manifest lists): a manifest
/// listing more is refused before any entry is read.
pub const MAX_TOTAL_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// Shortest bundle password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Lowest zxcvbn score (0 to 4) of an accepted bundle password.
pub const MIN_PASSWORD_SCORE: u8 = 3;

/// What to put in a bundle, and where.
pub struct BundleRequest {
    /// Who receives it (must match a consent's party).
    pub recipient: String,
    /// Why (must match the consent's purpose when given).
    pub purpose: Option<String>,
    /// `2026-Q3`, `2026-10`, `2026` or `2026-01-01..2026-06-30` (see [`parse_period`]).
    pub period: String,
    /// Retention categories to include; empty includes every category.
    pub categories: Vec<String>,
    /// Only documents not yet sent to this recipient, or changed since.
    pub since_last: bool,
    /// Encrypts every entry with AES-256 (WinZip AE-2) under this password, and names the
    /// documents `documents/0001.ext`, ...; refused unless [`check_password`] accepts it.
    pub password: Option<Zeroizing<String>>,
    /// Amounts in `index.csv` with a decimal comma (`1234,56`).
    pub decimal_comma: bool,
    /// The ZIP to write.
    pub out: PathBuf,
}

impl fmt::Debug for BundleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleRequest")
            .field("recipient", &self.recipient)
            .field("purpose", &self.purpose)
            .field("period", &self.period)
            .field("categories", &self.categories)
            .field("since_last", &self.since_last)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("decimal_comma", &self.decimal_comma)
            .field("out", &self.out)
            .finish()
    }
}

/// Progress of [`Vault::bundle_create`], reported after each document and at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleProgress {
    /// Documents written so far.
    pub done: usize,
    /// Documents to write.
    pub total: usize,
    /// Document bytes written so far (plaintext).
    pub bytes: u64,
    /// The file just written (`documents/...`), `None` for the start and end events.
    pub file: Option<String>,
}

/// What [`Vault::bundle_create`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BundleSummary {
    /// The bundle's id (also in the manifest and the ledger).
    pub bundle_id: String,
    /// The ZIP written.
    pub out: PathBuf,
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period (inclusive).
    pub period_to: String,
    /// The consent it was sent under.
    pub consent_id: i64,
    /// Documents included.
    pub documents: usize,
    /// Their ids, in bundle order.
    pub document_ids: Vec<String>,
    /// Documents of the period left out because they are restricted.
    pub restricted_skipped: usize,
    /// Documents left out by `since_last` (already sent, unchanged).
    pub unchanged_skipped: usize,
    /// Bytes of the ZIP.
    pub bytes: u64,
    /// SHA-256 of `manifest.json`, hex.
    pub digest: String,
    /// SHA-256 of the signing public key, hex in groups of four.
    pub key_fingerprint: String,
}

/// What a bundle request selects (see [`Vault::bundle_preview`]).
struct Selection {
    from: String,
    to: String,
    recipient: String,
    categories: Vec<String>,
    consent: Option<crate::sharing::consent::Consent>,
    chosen: Vec<Candidate>,
    restricted_skipped: usize,
    unchanged_skipped: usize,
}

/// What a bundle would hold, from [`Vault::bundle_preview`].
#[derive(Debug, Clone, Serialize)]
pub struct BundlePreview {
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period (inclusive).
    pub period_to: String,
    /// The active consent covering the request; `None` means [`Vault::bundle_create`] refuses.
    pub consent: Option<crate::sharing::consent::Consent>,
    /// Documents that would be included.
    pub documents: usize,
    /// Their ids, in bundle order.
    pub document_ids: Vec<String>,
    /// Documents of the period left out because they are restricted.
    pub restricted_skipped: usize,
    /// Documents left out by `since_last`.
    pub unchanged_skipped: usize,
    /// Totals with VAT per currency (credit notes subtracted).
    pub by_currency: Vec<crate::vault::browse::CurrencyTotal>,
}

/// One problem found by [`bundle_verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleProblem {
    /// `missing`, `extra`, `altered`, `signature`, `key` (signed by another key than the
    /// expected one), `unknown-key` (no key was expected), `manifest`, `unsafe-path`, `limit`,
    /// `duplicate` (two entries of one name), `overlap` (entries sharing bytes), `password` or
    /// `archive`.
    pub kind: &'static str,
    /// The file concerned, if any.
    pub path: Option<String>,
    /// What is wrong.
    pub detail: String,
}

/// The outcome of [`bundle_verify`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyBundleReport {
    /// No problem found: the signature holds, by the expected key, and every file matches the
    /// manifest.
    pub ok: bool,
    /// The bundle's id, from the manifest.
    pub bundle_id: Option<String>,
    /// The vault that made it.
    pub vault_id: Option<String>,
    /// The recipient named in the manifest.
    pub recipient: Option<String>,
    /// The period, `from..to`.
    pub period: Option<String>,
    /// When it was made.
    pub created_at: Option<String>,
    /// Fingerprint of the public key in the manifest (hex SHA-256, groups of four).
    pub key_fingerprint: Option<String>,
    /// The Ed25519 signature over `manifest.json` is valid (by the key the manifest names).
    pub signature_valid: bool,
    /// The key the manifest names is the one the caller expected ([`ExpectedSigner`]); `false`
    /// when it is another key or when nothing was expected ("signed by an unknown key").
    pub signer_known: bool,
    /// Files listed in the manifest whose content matched.
    pub files_ok: usize,
    /// Everything found wrong.
    pub problems: Vec<BundleProblem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ManifestFile {
    path: String,
    size: u64,
    sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ManifestPeriod {
    from: String,
    to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    bundle_id: String,
    vault_id: String,
    period: ManifestPeriod,
    recipient: String,
    purpose: Option<String>,
    consent_id: i64,
    created_at: String,
    public_key: String,
    files: Vec<ManifestFile>,
}

/// Whose signature [`bundle_verify`] requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedSigner {
    /// This Ed25519 public key (32 bytes): a vault's own, from
    /// [`Vault::signing_public_key`].
    PublicKey(Vec<u8>),
    /// The key with this fingerprint, as [`key_fingerprint`] writes it (64 hex digits; case,
    /// spaces and `:` ignored): told by the sender over another channel.
    Fingerprint(String),
}

impl ExpectedSigner {
    /// A fingerprint typed by a user: 64 hex digits once spaces, `:` and `-` are removed.
    pub fn fingerprint(text: &str) -> Result<ExpectedSigner> {
        let hex: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(
                "expect-key",
                format!(
                    "{text:?} is not a key fingerprint (64 hex digits, as `bundle verify` and \
                     the bundle's README show it)"
                ),
            ));
        }
        Ok(ExpectedSigner::Fingerprint(hex))
    }

    /// Is `public_key` the expected key?
    fn matches(&self, public_key: &[u8]) -> bool {
        match self {
            ExpectedSigner::PublicKey(k) => k.as_slice() == public_key,
            ExpectedSigner::Fingerprint(f) => {
                let f: String = f
                    .chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<String>()
                    .to_ascii_lowercase();
                f == sha256_hex(public_key)
            }
        }
    }

    /// The expected key's fingerprint, in [`key_fingerprint`]'s form.
    fn describe(&self) -> String {
        match self {
            ExpectedSigner::PublicKey(k) => key_fingerprint(k),
            ExpectedSigner::Fingerprint(f) => group_hex(
                &f.chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<String>()
                    .to_ascii_lowercase(),
            ),
        }
    }
}

/// Refuses a bundle password shorter than [`MIN_PASSWORD_CHARS`] characters or scoring under
/// [`MIN_PASSWORD_SCORE`] with zxcvbn: ZIP encryption derives its key with PBKDF2-SHA1 at 1,000
/// rounds, so the password alone stands between the documents and whoever gets the file.
pub fn check_password(password: &str) -> Result<()> {
    let weak = Error::WeakBundlePassword;
    if password.trim().is_empty() {
        return Err(weak("the bundle password is empty"));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(weak(
            "the bundle password is too short: use at least 12 characters, or a generated one",
        ));
    }
    if u8::from(zxcvbn::zxcvbn(password, &[]).score()) < MIN_PASSWORD_SCORE {
        return Err(weak(
            "the bundle password is too easy to guess: use several unrelated words, or a \
             generated one",
        ));
    }
    Ok(())
}

/// Letters and digits of generated passwords: 32 symbols (5 bits each) without the look-alikes
/// `0 o 1 l`, lower case so that it is easy to type and to read out.
const PASSWORD_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A strong bundle password to show the owner once: 100 random bits as five groups of four
/// characters (`k7dm-2xqa-...`), easy to read over the phone. Always accepted by
/// [`check_password`].
pub fn generate_password() -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(crate::format::crypto::random_array::<20>()?);
    let mut out = Zeroizing::new(String::with_capacity(24));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(PASSWORD_ALPHABET[usize::from(b & 31)]));
    }
    Ok(out)
}

/// One row of the index.
#[derive(Debug, Clone, Serialize)]
struct Row {
    document_id: String,
    date: String,
    number: Option<String>,
    seller: Option<String>,
    seller_vat_id: Option<String>,
    buyer: Option<String>,
    total_without_vat: Option<String>,
    total_vat: Option<String>,
    total_with_vat: Option<String>,
    currency: Option<String>,
    category: String,
    /// The path inside the ZIP (`documents/0001.pdf` in a password bundle).
    file: String,
    /// The readable name (`2026-10-14_ACME_F-42_1200.00EUR.pdf`): the file's name in a bundle
    /// without password, only in the encrypted index in one with.
    name: String,
    size: u64,
    sha256: String,
    vat_breakdown: Value,
}

fn invalid(key: &str, reason: impl Into<String>) -> Error {
    Error::Setting {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn zip_err(e: zip::result::ZipError) -> Error {
    Error::from(std::io::Error::other(e))
}

fn date_of(year: i32, month: u8, day: u8) -> Option<time::Date> {
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

fn fmt_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn parse_day(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    date_of(
        s[..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..].parse().ok()?,
    )
}

fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|y| *y >= 1)
}

fn month_bounds(year: i32, first: u8, last: u8) -> Option<(String, String)> {
    let from = date_of(year, first, 1)?;
    let end_month = time::Month::try_from(last).ok()?;
    let to = date_of(year, last, end_month.length(year))?;
    Some((fmt_date(from), fmt_date(to)))
}

/// Parses a period into its first and last day (`YYYY-MM-DD`, inclusive): `2026-Q3` (a
/// quarter), `2026-10` (a month), `2026` (a year) or `2026-01-01..2026-06-30` (explicit days).
pub fn parse_period(s: &str) -> Result<(String, String)> {
    let t = s.trim();
    let bad = || {
        invalid(
            "period",
            format!("{s:?} is not a period (2026-Q3, 2026-10, 2026 or 2026-01-01..2026-06-30)"),
        )
    };
    if let Some((a, b)) = t.split_once("..") {
        let (from, to) = (
            parse_day(a.trim()).ok_or_else(bad)?,
            parse_day(b.trim()).ok_or_else(bad)?,
        );
        if from > to {
            return Err(invalid(
                "period",
                format!(
                    "the period ends ({}) before it starts ({})",
                    fmt_date(to),
                    fmt_date(from)
                ),
            ));
        }
        return Ok((fmt_date(from), fmt_date(to)));
    }
    if let Some(y) = parse_year(t) {
        return month_bounds(y, 1, 12).ok_or_else(bad);
    }
    let (y, rest) = t.split_once('-').ok_or_else(bad)?;
    let y = parse_year(y).ok_or_else(bad)?;
    if let Some(q) = rest.strip_prefix(['Q', 'q']) {
        let q: u8 = match q {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => return Err(bad()),
        };
        return month_bounds(y, q * 3 - 2, q * 3).ok_or_else(bad);
    }
    if rest.len() == 2 && rest.bytes().all(|c| c.is_ascii_digit()) {
        let m: u8 = rest.parse().map_err(|_| bad())?;
        if (1..=12).contains(&m) {
            return month_bounds(y, m, m).ok_or_else(bad);
        }
    }
    Err(bad())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, bytes))
}

/// The fingerprint of a public key: hex SHA-256 in space-separated groups of four.
pub fn key_fingerprint(public_key: &[u8]) -> String {
    group_hex(&sha256_hex(public_key))
}

fn group_hex(h: &str) -> String {
    h.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn field(fields: &Value, path: &str) -> Option<String> {
    fields::get(fields, path)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn extension_of(doc: &crate::Document) -> String {
    let from_name = Path::new(&doc.name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 10 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    from_name.unwrap_or_else(|| {
        match doc.kind {
            crate::MediaKind::Pdf => "pdf",
            crate::MediaKind::Xml => "xml",
            crate::MediaKind::Png => "png",
            crate::MediaKind::Jpeg => "jpg",
            _ => "bin",
        }
        .to_owned()
    })
}

/// The extension of a document's neutral name (`documents/0001.pdf`): from what its bytes are,
/// or, for other files, from its name only when it is a common extension (an extension is part
/// of the name anyone can list: `invoice.acmesarl` must not show `acmesarl`).
fn neutral_extension(doc: &crate::Document) -> &'static str {
    const COMMON: &[&str] = &[
        "txt", "csv", "tsv", "json", "html", "htm", "rtf", "doc", "docx", "odt", "xls", "xlsx",
        "ods", "ppt", "pptx", "odp", "gif", "tif", "tiff", "webp", "heic", "bmp", "eml", "msg",
        "zip", "p7m", "p7s", "sig",
    ];
    match doc.kind {
        crate::MediaKind::Pdf => "pdf",
        crate::MediaKind::Xml => "xml",
        crate::MediaKind::Png => "png",
        crate::MediaKind::Jpeg => "jpg",
        _ => {
            let ext = extension_of(doc);
            COMMON.iter().find(|c| **c == ext).copied().unwrap_or("bin")
        }
    }
}

/// `2026-10-14_ACME-SARL_F2026-0042_1234.56EUR` from the fields; missing parts omitted.
fn document_stem(date: &str, fields: &Value) -> String {
    let total = match (field(fields, "total_with_vat"), field(fields, "currency")) {
        (Some(t), Some(c)) => Some(format!("{t}{c}")),
        (Some(t), None) => Some(t),
        _ => None,
    };
    [
        Some(date.to_owned()),
        field(fields, "seller.name"),
        field(fields, "number"),
        total,
    ]
    .into_iter()
    .flatten()
    .map(|p| clean_part(&p))
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join("_")
}

/// An amount for `index.csv`: with a decimal comma when asked.
fn csv_amount(v: &Option<String>, comma: bool) -> String {
    let v = v.clone().unwrap_or_default();
    if comma { v.replace('.', ",") } else { v }
}

/// Columns of `index.csv`, in order.
const CSV_COLUMNS: &[&str] = &[
    "date",
    "number",
    "seller",
    "seller_vat_id",
    "buyer",
    "total_without_vat",
    "vat",
    "total_with_vat",
    "currency",
    "category",
    "file",
    "sha256",
    "name",
];

fn index_csv(rows: &[Row], comma: bool) -> Vec<u8> {
    let mut t = Table::new(CSV_COLUMNS);
    for r in rows {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (number, seller, vat_id, buyer, currency) = (
            o(&r.number),
            o(&r.seller),
            o(&r.seller_vat_id),
            o(&r.buyer),
            o(&r.currency),
        );
        let amounts = [
            csv_amount(&r.total_without_vat, comma),
            csv_amount(&r.total_vat, comma),
            csv_amount(&r.total_with_vat, comma),
        ];
        t.row([
            Cell::Text(&r.date),
            Cell::Text(&number),
            Cell::Text(&seller),
            Cell::Text(&vat_id),
            Cell::Text(&buyer),
            Cell::Number(&amounts[0]),
            Cell::Number(&amounts[1]),
            Cell::Number(&amounts[2]),
            Cell::Text(&currency),
            Cell::Text(&r.category),
            Cell::Text(&r.file),
            Cell::Text(&r.sha256),
            Cell::Text(&r.name),
        ]);
    }
    t.into_bytes()
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a relative path for an `href` (keeps `/` and unreserved characters).
fn href(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn add(acc: &mut Option<Decimal>, v: Option<&str>) -> bool {
    let Some(v) = v else { return true };
    match (acc.as_ref(), Decimal::parse(v.trim())) {
        (Some(a), Some(d)) => {
            *acc = a.checked_add(d);
            acc.is_some()
        }
        _ => {
            *acc = None;
            false
        }
    }
}

fn zero() -> Option<Decimal> {
    Decimal::parse("0")
}

fn show(d: &Option<Decimal>) -> String {
    d.map_or_else(|| "n/a".to_owned(), Decimal::to_plain_string)
}

/// A VAT rate as a grouping key: `20.00`, `20.0` and `20` are the same rate.
fn rate_key(rate: &str) -> String {
    let r = rate.trim();
    if Decimal::parse(r).is_some() && r.contains('.') {
        let t = r.trim_end_matches('0').trim_end_matches('.');
        if t.is_empty() || t == "-" {
            "0".to_owned()
        } else {
            t.to_owned()
        }
    } else {
        r.to_owned()
    }
}

struct ReadmeInfo<'a> {
    recipient: &'a str,
    purpose: Option<&'a str>,
    from: &'a str,
    to: &'a str,
    bundle_id: &'a str,
    created_at: &'a str,
    fingerprint: &'a str,
    restricted_skipped: usize,
    /// Made with a password (AES-256 entries, neutral document names).
    encrypted: bool,
}

fn readme_html(info: &ReadmeInfo<'_>, rows: &[Row]) -> Vec<u8> {
    type Sums = [Option<Decimal>; 3];
    let mut months: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut rates: BTreeMap<(String, String), [Option<Decimal>; 2]> = BTreeMap::new();
    for r in rows {
        let cur = r.currency.clone().unwrap_or_default();
        let month = r.date.get(..7).unwrap_or(&r.date).to_owned();
        let m = months
            .entry((month, cur.clone()))
            .or_insert_with(|| [zero(), zero(), zero()]);
        add(&mut m[0], r.total_without_vat.as_deref());
        add(&mut m[1], r.total_vat.as_deref());
        add(&mut m[2], r.total_with_vat.as_deref());
        let lines = r.vat_breakdown.as_array().map_or(&[][..], Vec::as_slice);
        if lines.is_empty() {
            let e = rates
                .entry(("(no breakdown)".to_owned(), cur.clone()))
                .or_insert_with(|| [zero(), zero()]);
            add(&mut e[0], r.total_without_vat.as_deref());
            add(&mut e[1], r.total_vat.as_deref());
        }
        for line in lines {
            let rate = rate_key(line.get("rate").and_then(Value::as_str).unwrap_or("?"));
            let e = rates
                .entry((rate, cur.clone()))
                .or_insert_with(|| [zero(), zero()]);
            add(
                &mut e[0],
                line.get("taxable_amount").and_then(Value::as_str),
            );
            add(&mut e[1], line.get("tax_amount").and_then(Value::as_str));
        }
    }
    let e = html_escape;
    let mut h = String::new();
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    h.push_str(&format!(
        "<title>Documents for {} — {} to {}</title>\n",
        e(info.recipient),
        e(info.from),
        e(info.to)
    ));
    h.push_str(
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #999;padding:.2em .5em}td.n{text-align:right;font-family:monospace}\
         code{font-size:.9em}</style>\n</head>\n<body>\n",
    );
    h.push_str(&format!(
        "<h1>Documents for {}</h1>\n<p>Period: <b>{}</b> to <b>{}</b>",
        e(info.recipient),
        e(info.from),
        e(info.to)
    ));
    if let Some(p) = info.purpose {
        h.push_str(&format!(" — purpose: {}", e(p)));
    }
    h.push_str(&format!(
        ".<br>Bundle {} made {}.<br>{} document(s){}.</p>\n",
        e(info.bundle_id),
        e(info.created_at),
        rows.len(),
        if info.restricted_skipped > 0 {
            format!(
                "; {} restricted document(s) of the period are not included",
                info.restricted_skipped
            )
        } else {
            String::new()
        }
    ));
    h.push_str(
        "<h2>Documents</h2>\n<table>\n<tr><th>Date</th><th>Number</th><th>Seller</th><th>Buyer</th>\
         <th>Without VAT</th><th>VAT</th><th>With VAT</th><th>Currency</th><th>Category</th><th>File</th></tr>\n",
    );
    let o = |v: &Option<String>| e(v.as_deref().unwrap_or(""));
    for r in rows {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td>\
             <td><a href=\"{}\">{}</a>{}</td></tr>\n",
            e(&r.date),
            o(&r.number),
            o(&r.seller),
            o(&r.buyer),
            o(&r.total_without_vat),
            o(&r.total_vat),
            o(&r.total_with_vat),
            o(&r.currency),
            e(&r.category),
            e(&href(&r.file)),
            e(r.file.trim_start_matches("documents/")),
            if r.file.trim_start_matches("documents/") == r.name {
                String::new()
            } else {
                format!("<br><small>{}</small>", e(&r.name))
            }
        ));
    }
    h.push_str(
        "</table>\n<h2>Totals per month</h2>\n<table>\n<tr><th>Month</th><th>Currency</th>\
                <th>Without VAT</th><th>VAT</th><th>With VAT</th></tr>\n",
    );
    for ((month, cur), s) in &months {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            e(month),
            e(cur),
            show(&s[0]),
            show(&s[1]),
            show(&s[2])
        ));
    }
    h.push_str(
        "</table>\n<h2>Totals per VAT rate</h2>\n<table>\n<tr><th>Rate (%)</th><th>Currency</th>\
                <th>Taxable amount</th><th>VAT</th></tr>\n",
    );
    for ((rate, cur), s) in &rates {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            e(rate),
            e(cur),
            show(&s[0]),
            show(&s[1])
        ));
    }
    h.push_str(&format!(
        "</table>\n<p>“n/a” marks a sum with an unreadable amount. Every file is listed with its \
         SHA-256 in <code>manifest.json</code>, signed in <code>manifest.sig</code> (Ed25519) by \
         the key with fingerprint (SHA-256 of the public key):<br><code>{}</code><br>Ask the \
         sender to confirm this fingerprint by another channel before trusting the signature; \
         then check the bundle with <code>coffre bundle verify FILE --expect-key \
         \"FINGERPRINT\"</code>.</p>\n\
         <p>The same data is in <code>index.csv</code> (semicolon-separated, UTF-8; cells that \
         a spreadsheet would run as a formula start with <code>'</code>) and \
         <code>index.json</code>.</p>\n",
        e(info.fingerprint)
    ));
    h.push_str("<h2>About this file</h2>\n");
    if info.encrypted {
        h.push_str(
            "<p>This bundle is a ZIP whose every entry is encrypted with AES-256 in the WinZip \
             AE-2 format, under the password the sender gave you separately. It opens in 7-Zip, \
             WinZip, PeaZip, Keka or The Unarchiver (the ZIP support built into Windows and \
             macOS cannot open AES entries).</p>\n<p>ZIP encryption protects the content of the \
             files, not their names nor their sizes: anyone can list the names without the \
             password. So the documents are named <code>documents/0001.pdf</code>, \
             <code>documents/0002.xml</code>, ... and only this page, <code>index.csv</code> and \
             <code>index.json</code>, which are encrypted, tell which invoice each file is (the \
             small text under each file name above is its readable name). AE-2 is used rather \
             than AE-1 because AE-1 leaves a checksum (CRC-32) of each file's plaintext in the \
             clear, which lets anyone confirm a guess of a small file's content. The ZIP format \
             derives the key from the password with PBKDF2-SHA1 at 1,000 rounds, which slows \
             guessing little: that is why the sender had to use a long password.</p>\n",
        );
    } else {
        h.push_str(
            "<p>This bundle is a plain ZIP: anyone who has the file can read it. Each document \
             is named after its date, seller, number and total.</p>\n",
        );
    }
    h.push_str("</body>\n</html>\n");
    h.into_bytes()
}

/// Hashes and counts what passes through to the ZIP.
struct Candidate {
    doc: crate::Document,
    date: String,
    category: String,
    fields: Value,
    fields_digest: String,
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

impl Vault {
    /// Explains why no active consent covers a disclosure.
    fn missing_consent(
        &self,
        req: &BundleRequest,
        from: &str,
        to: &str,
        categories: &[String],
    ) -> Result<Error> {
        let consents = self.consents()?;
        let party: Vec<_> = consents
            .iter()
            .filter(|c| same_text(&c.party, &req.recipient))
            .collect();
        let what = if party.is_empty() {
            format!(
                "no consent was ever recorded for {:?}",
                req.recipient.trim()
            )
        } else if !party.iter().any(|c| c.active) {
            format!("every consent for {:?} was withdrawn", req.recipient.trim())
        } else {
            let active: Vec<_> = party.iter().filter(|c| c.active).collect();
            let purpose_ok: Vec<_> = active
                .iter()
                .filter(|c| {
                    req.purpose
                        .as_deref()
                        .is_none_or(|p| same_text(&c.purpose, p))
                })
                .collect();
            let period_ok: Vec<_> = purpose_ok
                .iter()
                .filter(|c| {
                    c.from.as_deref().is_none_or(|f| f <= from)
                        && c.to.as_deref().is_none_or(|t| to <= t)
                })
                .collect();
            if purpose_ok.is_empty() {
                format!(
                    "no active consent for {:?} has the purpose {:?}",
                    req.recipient.trim(),
                    req.purpose.as_deref().unwrap_or("").trim()
                )
            } else if period_ok.is_empty() {
                format!(
                    "no active consent for {:?} covers the period {from} to {to}",
                    req.recipient.trim()
                )
            } else {
                format!(
                    "no active consent for {:?} covers the categories {}",
                    req.recipient.trim(),
                    categories.join(", ")
                )
            }
        };
        Ok(invalid(
            "consent",
            format!("{what}: record one with `coffre consent grant` before sending documents"),
        ))
    }

    /// The documents of the period and categories, with the number of restricted ones.
    fn bundle_candidates(
        &self,
        from: &str,
        to: &str,
        categories: &[String],
    ) -> Result<(Vec<Candidate>, usize)> {
        let mut out = Vec::new();
        let mut restricted = 0;
        for doc in self.documents()? {
            let details = self.details(&doc.id)?;
            let date = fields::get(&details.fields, "issue_date")
                .filter(|d| parse_day(d).is_some())
                .map(str::to_owned)
                .unwrap_or_else(|| doc.imported_at.get(..10).unwrap_or_default().to_owned());
            if date.as_str() < from || date.as_str() > to {
                continue;
            }
            let retention = self.retention_of(&doc.id)?;
            if !categories.is_empty()
                && !categories.iter().any(|c| same_text(c, &retention.category))
            {
                continue;
            }
            if retention.restricted_reason.is_some() {
                restricted += 1;
                continue;
            }
            let fields_digest =
                sha256_hex(&serde_json::to_vec(&details.fields).unwrap_or_default());
            out.push(Candidate {
                doc,
                date,
                category: retention.category,
                fields: details.fields,
                fields_digest,
            });
        }
        out.sort_by(|a, b| (&a.date, &a.doc.id).cmp(&(&b.date, &b.doc.id)));
        Ok((out, restricted))
    }

    /// Was this document, with this content and these fields, already sent to `recipient`?
    fn already_sent(&self, recipient: &str, c: &Candidate) -> Result<bool> {
        let mut stmt = self.index.conn().prepare(
            "SELECT b.recipient FROM bundle_documents bd JOIN bundles b ON b.id = bd.bundle_id
             WHERE bd.doc_id = ?1 AND bd.sha256 = ?2 AND bd.fields_digest = ?3",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![c.doc.id, c.doc.sha256, c.fields_digest],
            |r| r.get::<_, String>(0),
        )?;
        for r in rows {
            if same_text(&r?, recipient) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What a request would put in a bundle: the period, the covering consent if any, and the
    /// documents (restricted ones and, with `since_last`, unchanged ones left out).
    fn bundle_selection(&self, req: &BundleRequest) -> Result<Selection> {
        let (from, to) = parse_period(&req.period)?;
        let recipient = req.recipient.trim().to_owned();
        if recipient.is_empty() {
            return Err(invalid("recipient", "the recipient is required"));
        }
        let purpose = req
            .purpose
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let categories: Vec<String> = req
            .categories
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let consent = self.consent_covering(&recipient, purpose, &from, &to, &categories)?;
        // Until crate::storage::schema::BUNDLES joins the index migrations (idempotent afterwards).
        self.index
            .conn()
            .execute_batch(crate::storage::schema::BUNDLES)?;
        let (candidates, restricted_skipped) = self.bundle_candidates(&from, &to, &categories)?;
        let mut chosen = Vec::new();
        let mut unchanged_skipped = 0;
        for c in candidates {
            if req.since_last && self.already_sent(&recipient, &c)? {
                unchanged_skipped += 1;
            } else {
                chosen.push(c);
            }
        }
        Ok(Selection {
            from,
            to,
            recipient,
            categories,
            consent,
            chosen,
            restricted_skipped,
            unchanged_skipped,
        })
    }

    /// What [`Vault::bundle_create`] would write for `req` (its `password` and `out` are not
    /// used), without writing anything or recording anything: for a look before sending.
    pub fn bundle_preview(&self, req: &BundleRequest) -> Result<BundlePreview> {
        let sel = self.bundle_selection(req)?;
        let mut sums = crate::vault::browse::CurrencySums::default();
        for c in &sel.chosen {
            let field = |name: &str| c.fields.get(name).and_then(Value::as_str);
            let Some(v) = field("total_with_vat").and_then(crate::records::fields::scaled_e4)
            else {
                continue;
            };
            let credit = field("type_code").is_some_and(crate::vault::search::is_credit_note);
            sums.add(field("currency").unwrap_or_default(), v, credit);
        }
        Ok(BundlePreview {
            period_from: sel.from,
            period_to: sel.to,
            consent: sel.consent,
            documents: sel.chosen.len(),
            document_ids: sel.chosen.iter().map(|c| c.doc.id.clone()).collect(),
            restricted_skipped: sel.restricted_skipped,
            unchanged_skipped: sel.unchanged_skipped,
            by_currency: sums.into_totals(),
        })
    }

    /// Writes a bundle for an accountant (see the module documentation) and records it in the
    /// ledger and the audit trail. Refuses without an active consent covering the recipient,
    /// purpose, period and categories.
    pub fn bundle_create(
        &mut self,
        req: &BundleRequest,
        progress: &mut dyn FnMut(BundleProgress),
    ) -> Result<BundleSummary> {
        if let Some(p) = &req.password {
            check_password(p)?;
        }
        let sel = self.bundle_selection(req)?;
        let Some(consent) = sel.consent else {
            return Err(self.missing_consent(req, &sel.from, &sel.to, &sel.categories)?);
        };
        let (from, to, recipient, chosen) = (sel.from, sel.to, sel.recipient, sel.chosen);
        let (restricted_skipped, unchanged_skipped) =
            (sel.restricted_skipped, sel.unchanged_skipped);
        let purpose = req
            .purpose
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());

        let out = &req.out;
        // Never inside the vault or the import folder, never over an existing file.
        self.check_output(out, crate::vault::outputs::Output::File)?;
        let file_name = out
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| invalid("out", format!("{} is not a file name", out.display())))?;
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{file_name}.part"));
        let bundle_id = uuid::Uuid::new_v4().to_string();
        let created_at = audit::now_rfc3339();
        let key = self.signing_key()?;
        let public_key = {
            use ring::signature::KeyPair;
            key.public_key().as_ref().to_vec()
        };
        let fingerprint = key_fingerprint(&public_key);
        let vault_id = self.id().to_string();
        let total = chosen.len();

        let written = (|| -> Result<(u64, String, Vec<Row>)> {
            let file = crate::vault::outputs::create_exclusive(&tmp)?;
            // A streaming writer: the `zip` crate turns an AES entry of 20 bytes or more into
            // AE-1 (CRC-32 of the plaintext in the clear) when it can seek back to its header;
            // streaming, it leaves AE-2 with the CRC zeroed (a data descriptor after each entry).
            let mut zip = zip::ZipWriter::new_stream(BufWriter::new(file));
            let base = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            let options = match &req.password {
                Some(p) => base.with_aes_encryption(zip::AesMode::Aes256, p.as_str()),
                None => base,
            };
            // Documents are stored as they are: PDFs and images are compressed already, and
            // deflating hundreds of megabytes would triple the time for a few percent.
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            let doc_options = match &req.password {
                Some(p) => stored.with_aes_encryption(zip::AesMode::Aes256, p.as_str()),
                None => stored,
            };
            let mut files: Vec<ManifestFile> = Vec::new();
            let mut rows: Vec<Row> = Vec::new();
            let mut used = HashSet::new();
            let mut bytes = 0u64;
            // With a password, names anyone can list say nothing: a counter and the extension.
            let width = total.to_string().len().max(4);
            progress(BundleProgress {
                done: 0,
                total,
                bytes: 0,
                file: None,
            });
            for (i, c) in chosen.iter().enumerate() {
                let name = unique_name(
                    portable_name(&document_stem(&c.date, &c.fields), &extension_of(&c.doc)),
                    &mut used,
                );
                let path = if req.password.is_some() {
                    format!("documents/{:0width$}.{}", i + 1, neutral_extension(&c.doc))
                } else {
                    format!("documents/{name}")
                };
                zip.start_file(
                    path.as_str(),
                    doc_options.large_file(c.doc.size >= u64::from(u32::MAX)),
                )
                .map_err(zip_err)?;
                // One pass: only authenticated chunks reach the entry, and the recorded size and
                // SHA-256 are checked at the end; a failure aborts the bundle (its temporary
                // file is deleted). The `bundle.create` audit entry names every document.
                let size = self.decrypt_checked(&c.doc, &mut zip)?;
                let sha = c.doc.sha256.clone();
                bytes += size;
                files.push(ManifestFile {
                    path: path.clone(),
                    size,
                    sha256: sha.clone(),
                });
                rows.push(Row {
                    document_id: c.doc.id.clone(),
                    date: c.date.clone(),
                    number: field(&c.fields, "number"),
                    seller: field(&c.fields, "seller.name"),
                    seller_vat_id: field(&c.fields, "seller.vat_id"),
                    buyer: field(&c.fields, "buyer.name"),
                    total_without_vat: field(&c.fields, "total_without_vat"),
                    total_vat: field(&c.fields, "total_vat"),
                    total_with_vat: field(&c.fields, "total_with_vat"),
                    currency: field(&c.fields, "currency"),
                    category: c.category.clone(),
                    file: path.clone(),
                    name,
                    size,
                    sha256: sha,
                    vat_breakdown: c.fields.get("vat_breakdown").cloned().unwrap_or(json!([])),
                });
                progress(BundleProgress {
                    done: i + 1,
                    total,
                    bytes,
                    file: Some(path),
                });
            }
            let index_json = serde_json::to_vec_pretty(&json!({
                "format": FORMAT,
                "bundle_id": bundle_id,
                "recipient": recipient,
                "purpose": purpose,
                "period": { "from": from, "to": to },
                "documents": rows,
            }))
            .map_err(|e| Error::from(std::io::Error::other(e)))?;
            let readme = readme_html(
                &ReadmeInfo {
                    recipient: &recipient,
                    purpose,
                    from: &from,
                    to: &to,
                    bundle_id: &bundle_id,
                    created_at: &created_at,
                    fingerprint: &fingerprint,
                    restricted_skipped,
                    encrypted: req.password.is_some(),
                },
                &rows,
            );
            let extras: [(&str, Vec<u8>); 3] = [
                ("index.csv", index_csv(&rows, req.decimal_comma)),
                ("index.json", index_json),
                ("README.html", readme),
            ];
            for (path, data) in extras {
                zip.start_file(path, options).map_err(zip_err)?;
                zip.write_all(&data)?;
                files.push(ManifestFile {
                    path: path.to_owned(),
                    size: data.len() as u64,
                    sha256: sha256_hex(&data),
                });
            }
            let manifest = Manifest {
                format: FORMAT.to_owned(),
                bundle_id: bundle_id.clone(),
                vault_id: vault_id.clone(),
                period: ManifestPeriod {
                    from: from.clone(),
                    to: to.clone(),
                },
                recipient: recipient.clone(),
                purpose: purpose.map(str::to_owned),
                consent_id: consent.id,
                created_at: created_at.clone(),
                public_key: hex::encode(&public_key),
                files,
            };
            let manifest_bytes = serde_json::to_vec_pretty(&manifest)
                .map_err(|e| Error::from(std::io::Error::other(e)))?;
            let signature = key.sign(&manifest_bytes);
            zip.start_file("manifest.json", options).map_err(zip_err)?;
            zip.write_all(&manifest_bytes)?;
            zip.start_file("manifest.sig", options).map_err(zip_err)?;
            zip.write_all(signature.as_ref())?;
            let file = zip.finish().map_err(zip_err)?.into_inner();
            let file = file.into_inner().map_err(|e| Error::from(e.into_error()))?;
            file.sync_all().map_err(Error::io(&tmp))?;
            let len = file.metadata()?.len();
            Ok((len, sha256_hex(&manifest_bytes), rows))
        })();
        let (bytes, digest_hex, rows) = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };

        let document_ids: Vec<String> = rows.iter().map(|r| r.document_id.clone()).collect();
        let audit_key = self.audit_key();
        let recorded = (|| -> Result<()> {
            let tx = self.index.transaction()?;
            tx.execute(
                "INSERT INTO bundles (id, created_at, recipient, purpose, consent_id, period_from,
                     period_to, digest, documents, out_path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                rusqlite::params![
                    bundle_id,
                    created_at,
                    recipient,
                    purpose,
                    consent.id,
                    from,
                    to,
                    digest_hex,
                    serde_json::to_string(&document_ids).unwrap_or_default(),
                    out.display().to_string()
                ],
            )?;
            for (r, c) in rows.iter().zip(&chosen) {
                tx.execute(
                    "INSERT INTO bundle_documents (bundle_id, doc_id, sha256, fields_digest)
                     VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![bundle_id, r.document_id, r.sha256, c.fields_digest],
                )?;
            }
            audit::append(
                &tx,
                &audit_key,
                "bundle.create",
                None,
                json!({
                    "bundle": bundle_id,
                    "digest": digest_hex,
                    "recipient": recipient,
                    "consent": consent.id,
                    "period": { "from": from, "to": to },
                    "documents": document_ids,
                    "restricted_skipped": restricted_skipped,
                }),
            )?;
            crate::vault::outputs::give_name(&tmp, out)?;
            if let Err(e) = tx.commit() {
                let _ = std::fs::remove_file(out);
                return Err(e);
            }
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if let Err(e) = recorded {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        progress(BundleProgress {
            done: total,
            total,
            bytes: rows.iter().map(|r| r.size).sum(),
            file: None,
        });
        Ok(BundleSummary {
            bundle_id,
            out: out.clone(),
            period_from: from,
            period_to: to,
            consent_id: consent.id,
            documents: document_ids.len(),
            document_ids,
            restricted_skipped,
            unchanged_skipped,
            bytes,
            digest: digest_hex,
            key_fingerprint: fingerprint,
        })
    }
}

/// A path inside a bundle that is safe to extract anywhere: relative, `/`-separated, no `..`,
/// no empty or `.` component, no drive letter, no control character.
fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 1024
        && !p.starts_with('/')
        && !p.contains(['\\', ':'])
        && !p.chars().any(char::is_control)
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

struct Verifier {
    report: VerifyBundleReport,
}

impl Verifier {
    fn problem(&mut self, kind: &'static str, path: Option<&str>, detail: impl Into<String>) {
        self.report.problems.push(BundleProblem {
            kind,
            path: path.map(str::to_owned),
            detail: detail.into(),
        });
    }
}

fn open_entry<'a, R: Read + std::io::Seek>(
    zip: &'a mut zip::ZipArchive<R>,
    index: usize,
    password: Option<&str>,
) -> zip::result::ZipResult<zip::read::ZipFile<'a, R>> {
    match password {
        Some(p) => zip.by_index_decrypt(index, p.as_bytes()),
        None => zip.by_index(index),
    }
}

fn describe(e: &zip::result::ZipError, password: Option<&str>) -> (&'static str, String) {
    let msg = e.to_string();
    match e {
        zip::result::ZipError::InvalidPassword => ("password", "wrong password".into()),
        _ if msg.to_lowercase().contains("password") => (
            "password",
            if password.is_some() {
                msg
            } else {
                "the bundle is encrypted: give its password".into()
            },
        ),
        _ => ("archive", msg),
    }
}

/// Reads an entry wholly, up to `limit` bytes; `Err` names the problem.
fn read_small<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    password: Option<&str>,
    limit: u64,
) -> std::result::Result<Vec<u8>, (&'static str, String)> {
    let entry = open_entry(zip, index, password).map_err(|e| describe(&e, password))?;
    let mut buf = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ("archive", e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(("limit", format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

/// Checks a bundle: the signature of `manifest.json`, by the key it names, which must be the
/// `expected` signer (the vault's own key when a vault is at hand, else a fingerprint the sender
/// gave); and every file against the manifest, naming each missing, extra or altered file.
/// Without an expected signer every file is still checked, but the report says "signed by an
/// unknown key" and is not `ok`: a key found inside the bundle proves nothing about who made it.
/// `Err` only when the file cannot be opened; a damaged or hostile archive gives a report with
/// problems.
pub fn bundle_verify(
    path: &Path,
    password: Option<&str>,
    expected: Option<&ExpectedSigner>,
) -> Result<VerifyBundleReport> {
    let file = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut v = Verifier {
        report: VerifyBundleReport::default(),
    };
    let mut zip = match zip::ZipArchive::new(std::io::BufReader::new(file)) {
        Ok(z) => z,
        Err(e) => {
            v.problem("archive", None, format!("not a readable ZIP: {e}"));
            return Ok(v.report);
        }
    };
    if zip.len() > MAX_ENTRIES {
        v.problem(
            "limit",
            None,
            format!("{} entries (at most {MAX_ENTRIES})", zip.len()),
        );
        return Ok(v.report);
    }
    // Two entries of one name: the ZIP reader keeps one of them, an unzip tool may show the
    // other. Checking one and handing over the other would defeat the point.
    if zip.has_duplicate_names() {
        v.problem(
            "duplicate",
            None,
            "two entries have the same name: refused, unchecked",
        );
        return Ok(v.report);
    }
    // Entries sharing bytes (a "zip bomb by overlap": many entries inflating one block) are never
    // written by Coffre; refused before anything is inflated.
    match zip.has_overlapping_entries() {
        Ok(false) => {}
        Ok(true) => {
            v.problem(
                "overlap",
                None,
                "entries share bytes of the archive (a zip bomb): refused, unchecked",
            );
            return Ok(v.report);
        }
        Err(e) => {
            v.problem("archive", None, format!("unreadable entry header: {e}"));
            return Ok(v.report);
        }
    }
    let mut names: Vec<Option<String>> = Vec::with_capacity(zip.len());
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for i in 0..zip.len() {
        let name = zip
            .name_for_index(i)
            .and_then(|n| n.ok())
            .map(|n| n.into_owned());
        match &name {
            Some(n) if !safe_path(n.trim_end_matches('/')) => {
                v.problem(
                    "unsafe-path",
                    Some(n),
                    "absolute path, `..` or forbidden characters",
                );
                names.push(None);
                continue;
            }
            Some(n) => {
                // Distinct raw names may still decode to one (a Unicode path field).
                if by_name.insert(n.clone(), i).is_some() {
                    v.problem(
                        "duplicate",
                        Some(n),
                        "the name appears twice in the archive: refused, unchecked",
                    );
                    return Ok(v.report);
                }
            }
            None => v.problem("archive", None, format!("entry {i} has an unreadable name")),
        }
        names.push(name);
    }

    let read_named = |zip: &mut zip::ZipArchive<_>, v: &mut Verifier, name: &str, limit| {
        let Some(&i) = by_name.get(name) else {
            v.problem("missing", Some(name), "not in the archive");
            return None;
        };
        match read_small(zip, i, password, limit) {
            Ok(b) => Some(b),
            Err((kind, detail)) => {
                v.problem(kind, Some(name), detail);
                None
            }
        }
    };
    let manifest_bytes = read_named(&mut zip, &mut v, "manifest.json", MAX_MANIFEST_BYTES);
    let signature = read_named(&mut zip, &mut v, "manifest.sig", 1024);
    let Some(manifest_bytes) = manifest_bytes else {
        return Ok(v.report);
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            v.problem(
                "manifest",
                Some("manifest.json"),
                format!("unreadable: {e}"),
            );
            return Ok(v.report);
        }
    };
    v.report.bundle_id = Some(manifest.bundle_id.clone());
    v.report.vault_id = Some(manifest.vault_id.clone());
    v.report.recipient = Some(manifest.recipient.clone());
    v.report.period = Some(format!("{}..{}", manifest.period.from, manifest.period.to));
    v.report.created_at = Some(manifest.created_at.clone());
    if manifest.format != FORMAT {
        v.problem(
            "manifest",
            Some("manifest.json"),
            format!("unknown format {:?}", manifest.format),
        );
    }
    match hex::decode(&manifest.public_key) {
        Ok(pk) if pk.len() == 32 => {
            v.report.key_fingerprint = Some(key_fingerprint(&pk));
            match expected {
                Some(e) if e.matches(&pk) => v.report.signer_known = true,
                Some(e) => v.problem(
                    "key",
                    Some("manifest.json"),
                    format!(
                        "signed by key {}, not by the expected key {}",
                        key_fingerprint(&pk),
                        e.describe()
                    ),
                ),
                None => v.problem(
                    "unknown-key",
                    Some("manifest.json"),
                    format!(
                        "signed by an unknown key {}: compare this fingerprint with the one the \
                         sender gives you by another channel, then verify against it",
                        key_fingerprint(&pk)
                    ),
                ),
            }
            if let Some(sig) = &signature {
                let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &pk);
                if key.verify(&manifest_bytes, sig).is_ok() {
                    v.report.signature_valid = true;
                } else {
                    v.problem(
                        "signature",
                        Some("manifest.sig"),
                        "the signature does not match manifest.json",
                    );
                }
            }
        }
        _ => v.problem(
            "manifest",
            Some("manifest.json"),
            "the public key is not 32 bytes of hex",
        ),
    }

    // The budget of inflated bytes: what the manifest lists, never more than MAX_TOTAL_BYTES.
    let declared = manifest
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.size));
    if declared > MAX_TOTAL_BYTES {
        v.problem(
            "limit",
            Some("manifest.json"),
            format!(
                "lists {declared} bytes in all (at most {MAX_TOTAL_BYTES}): refused, unchecked"
            ),
        );
        return Ok(v.report);
    }
    let mut budget = declared;
    let mut listed: HashSet<&str> = HashSet::new();
    for f in &manifest.files {
        if !safe_path(&f.path) {
            v.problem("unsafe-path", Some(&f.path), "listed with an unsafe path");
            continue;
        }
        if !listed.insert(f.path.as_str()) {
            v.problem("manifest", Some(&f.path), "listed twice");
            continue;
        }
        if f.path == "manifest.json" || f.path == "manifest.sig" {
            continue;
        }
        let Some(&i) = by_name.get(&f.path) else {
            v.problem(
                "missing",
                Some(&f.path),
                "listed in the manifest, not in the archive",
            );
            continue;
        };
        if f.size > MAX_ENTRY_BYTES {
            v.problem(
                "limit",
                Some(&f.path),
                format!("listed as {} bytes", f.size),
            );
            continue;
        }
        let mut entry = match open_entry(&mut zip, i, password) {
            Ok(e) => e,
            Err(e) => {
                let (kind, detail) = describe(&e, password);
                v.problem(kind, Some(&f.path), detail);
                continue;
            }
        };
        let mut hash = digest::Context::new(&digest::SHA256);
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        // One byte past the listed size tells a larger entry, whatever its header says.
        let allowed = f.size.min(budget);
        let mut limited = (&mut entry).take(allowed + 1);
        let read = loop {
            match limited.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    hash.update(&buf[..n]);
                    size += n as u64;
                }
                Err(e) => break Err(e),
            }
        };
        // The byte read past a listed size is slack, not charged: a larger entry leaves the
        // next ones their due.
        budget -= size.min(f.size).min(budget);
        match read {
            Err(e) => v.problem("altered", Some(&f.path), format!("unreadable: {e}")),
            Ok(()) if size > allowed && allowed < f.size => {
                v.problem(
                    "limit",
                    Some(&f.path),
                    format!("the {declared} bytes the manifest lists in all are spent"),
                );
                break;
            }
            Ok(()) if size != f.size => v.problem(
                "altered",
                Some(&f.path),
                if size > f.size {
                    format!("larger than the {} bytes listed", f.size)
                } else {
                    format!("{size} bytes, {} listed", f.size)
                },
            ),
            Ok(()) if hex::encode(hash.finish()) != f.sha256.to_ascii_lowercase() => v.problem(
                "altered",
                Some(&f.path),
                "content differs from the manifest (SHA-256)",
            ),
            Ok(()) => v.report.files_ok += 1,
        }
    }
    for n in names.iter().flatten() {
        if n.ends_with('/') || n == "manifest.json" || n == "manifest.sig" {
            continue;
        }
        if !listed.contains(n.as_str()) {
            v.problem("extra", Some(n), "in the archive, not in the manifest");
        }
    }
    v.report.ok = v.report.problems.is_empty() && v.report.signature_valid && v.report.signer_known;
    Ok(v.report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::names::MAX_NAME_CHARS;

    #[test]
    fn names_are_nfc() {
        // "Société" with a decomposed é (e + U+0301), as macOS would write it.
        let name = portable_name("Socie\u{301}te\u{301}", "pdf");
        assert_eq!(name, "Soci\u{e9}t\u{e9}.pdf");
    }

    #[test]
    fn names_are_unique_case_insensitively() {
        let mut used = HashSet::new();
        assert_eq!(unique_name("a.pdf".into(), &mut used), "a.pdf");
        assert_eq!(unique_name("A.pdf".into(), &mut used), "A-2.pdf");
        assert_eq!(unique_name("a.pdf".into(), &mut used), "a-3.pdf");
        assert_eq!(unique_name("noext".into(), &mut used), "noext");
        assert_eq!(unique_name("noext".into(), &mut used), "noext-2");
        let long = format!("{}.pdf", "x".repeat(116));
        assert_eq!(unique_name(long.clone(), &mut used), long);
        let second = unique_name(long, &mut used);
        assert!(second.ends_with("-2.pdf") && second.chars().count() <= MAX_NAME_CHARS);
    }

    #[test]
    fn csv_amounts_keep_their_sign() {
        assert_eq!(csv_amount(&Some("-12.50".into()), true), "-12,50");
        assert_eq!(csv_amount(&Some("-12.50".into()), false), "-12.50");
        assert_eq!(csv_amount(&None, true), "");
    }

    #[test]
    fn passwords_need_length_and_strength() {
        for weak in ["", "x", "s3cret pass", "password1234", "aaaaaaaaaaaaaaaa"] {
            assert!(check_password(weak).is_err(), "{weak:?} accepted");
        }
        check_password("s3cret-for-the-accountant").unwrap();
        check_password("velvet canyon tractor mosaic").unwrap();
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let p = generate_password().unwrap();
            assert_eq!(p.len(), 24, "{}", p.as_str());
            assert_eq!(p.matches('-').count(), 4);
            check_password(&p).unwrap();
            assert!(seen.insert(p.to_string()));
        }
    }

    #[test]
    fn fingerprints_parse_and_match() {
        let pk = [7u8; 32];
        let fp = key_fingerprint(&pk);
        for typed in [fp.clone(), fp.to_uppercase(), fp.replace(' ', "")] {
            let e = ExpectedSigner::fingerprint(&typed).unwrap();
            assert!(e.matches(&pk));
            assert!(!e.matches(&[8u8; 32]));
            assert_eq!(e.describe(), fp);
        }
        assert!(ExpectedSigner::fingerprint("abcd").is_err());
        assert!(ExpectedSigner::fingerprint(&"g".repeat(64)).is_err());
        assert!(ExpectedSigner::PublicKey(pk.to_vec()).matches(&pk));
    }

    #[test]
    fn rates_group_by_value() {
        assert_eq!(rate_key("20.00"), "20");
        assert_eq!(rate_key(" 5.50"), "5.5");
        assert_eq!(rate_key("0"), "0");
        assert_eq!(rate_key("0.00"), "0");
        assert_eq!(rate_key("?"), "?");
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for p in [
            "../x",
            "/etc/passwd",
            "a/../b",
            "C:/x",
            "a\\b",
            "",
            "a//b",
            "./a",
        ] {
            assert!(!safe_path(p), "{p:?}");
        }
        assert!(safe_path("documents/2026-10-14_ACME.pdf"));
    }
}
