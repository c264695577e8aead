//! The bundle's own files about its documents: `index.csv`, the rows of `index.json` and
//! `README.html`.
//!
//! Promises: one [`Row`] per document feeds all three, so they always agree; `index.csv` is
//! written by [`crate::support::csv`] (UTF-8 with BOM, `;`, formula cells defused, amounts as
//! numbers, with a decimal comma when asked); `README.html` is self-contained (no script, no
//! remote resource, a CSP that forbids both), escapes every value, and sums amounts exactly
//! (decimals, never floats), showing "n/a" for a sum with an unreadable amount.

use std::collections::BTreeMap;

use coffre_extract::amount::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::support::csv::{Cell, Table};

/// One row of the index.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Row {
    pub(super) document_id: String,
    pub(super) date: String,
    pub(super) number: Option<String>,
    pub(super) seller: Option<String>,
    pub(super) seller_vat_id: Option<String>,
    pub(super) buyer: Option<String>,
    pub(super) total_without_vat: Option<String>,
    pub(super) total_vat: Option<String>,
    pub(super) total_with_vat: Option<String>,
    pub(super) currency: Option<String>,
    pub(super) category: String,
    /// The path inside the ZIP (`documents/0001.pdf` in a password bundle).
    pub(super) file: String,
    /// The readable name (`2026-10-14_ACME_F-42_1200.00EUR.pdf`): the file's name in a bundle
    /// without password, only in the encrypted index in one with.
    pub(super) name: String,
    pub(super) size: u64,
    pub(super) sha256: String,
    pub(super) vat_breakdown: Value,
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

pub(super) fn index_csv(rows: &[Row], comma: bool) -> Vec<u8> {
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

pub(super) struct ReadmeInfo<'a> {
    pub(super) recipient: &'a str,
    pub(super) purpose: Option<&'a str>,
    pub(super) from: &'a str,
    pub(super) to: &'a str,
    pub(super) bundle_id: &'a str,
    pub(super) created_at: &'a str,
    pub(super) fingerprint: &'a str,
    pub(super) restricted_skipped: usize,
    /// Made with a password (AES-256 entries, neutral document names).
    pub(super) encrypted: bool,
}

pub(super) fn readme_html(info: &ReadmeInfo<'_>, rows: &[Row]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_amounts_keep_their_sign() {
        assert_eq!(csv_amount(&Some("-12.50".into()), true), "-12,50");
        assert_eq!(csv_amount(&Some("-12.50".into()), false), "-12.50");
        assert_eq!(csv_amount(&None, true), "");
    }

    #[test]
    fn rates_group_by_value() {
        assert_eq!(rate_key("20.00"), "20");
        assert_eq!(rate_key(" 5.50"), "5.5");
        assert_eq!(rate_key("0"), "0");
        assert_eq!(rate_key("0.00"), "0");
        assert_eq!(rate_key("?"), "?");
    }
}
