//! The bundle's own files about its documents: `index.csv`, the rows of `index.json` and
//! `README.html`.
//!
//! Promises: one [`Row`] per document feeds all three, so they always agree; `index.csv` is
//! written by [`crate::support::csv`] (UTF-8 with BOM, `;`, formula cells defused, amounts as
//! numbers, with a decimal comma when asked); `README.html` is self-contained (no script, no
//! remote resource, a CSP that forbids both), escapes every value (it is rendered from
//! `templates/bundle_readme.html` by askama, whose HTML escaping applies to all of them), and
//! sums amounts exactly (decimals, never floats), showing "n/a" for a sum with an unreadable
//! amount.

use std::collections::BTreeMap;

use askama::Template;
use coffre_extract::amount::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::records::direction::Direction;
use crate::records::vat::rate_text;
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
    /// `purchase`, `sale` or `unknown`.
    pub(super) direction: Direction,
    /// The latest lifecycle status.
    pub(super) status: Option<String>,
    pub(super) due_date: Option<String>,
    /// The original's document id when this document is a copy of it (then left out of sums).
    pub(super) copy_of: Option<String>,
    /// Another document has its number and seller but another total (to review).
    #[serde(skip)]
    pub(super) copy_conflict: bool,
    /// A credit note (by its type code): its positive amounts are subtracted from the sums.
    #[serde(skip)]
    pub(super) credit_note: bool,
    /// The effective fields, for the accounting entries.
    #[serde(skip)]
    pub(super) fields: Value,
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

/// Columns `purchases.csv` and `sales.csv` add after those of `index.csv` (which keeps the
/// columns it always had, for the tools already importing it).
const SPLIT_COLUMNS: &[&str] = &["direction", "status", "due_date", "copy_of"];

/// `index.csv` (every row), or `purchases.csv` / `sales.csv` (the rows of one direction).
pub(super) fn index_csv(rows: &[Row], comma: bool, only: Option<Direction>) -> Vec<u8> {
    let header: Vec<&str> = match only {
        None => CSV_COLUMNS.to_vec(),
        Some(_) => CSV_COLUMNS.iter().chain(SPLIT_COLUMNS).copied().collect(),
    };
    let mut t = Table::new(&header);
    for r in rows
        .iter()
        .filter(|r| only.is_none_or(|d| r.direction == d))
    {
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
        let mut cells = vec![
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
        ];
        if only.is_some() {
            cells.extend([
                Cell::Text(r.direction.as_str()),
                Cell::Text(r.status.as_deref().unwrap_or_default()),
                Cell::Text(r.due_date.as_deref().unwrap_or_default()),
                Cell::Text(r.copy_of.as_deref().unwrap_or_default()),
            ]);
        }
        t.row(cells);
    }
    t.into_bytes()
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

/// An optional value for the README: empty when absent.
fn o(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn zero() -> Option<Decimal> {
    Decimal::parse("0")
}

fn show(d: &Option<Decimal>) -> String {
    d.map_or_else(|| "n/a".to_owned(), Decimal::to_plain_string)
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
    /// With `ecritures.csv`.
    pub(super) ecritures: bool,
}

/// `README.html`, from `templates/bundle_readme.html`: askama HTML-escapes every value the
/// template prints (text and attributes alike), so none can be forgotten.
#[derive(Template)]
#[template(path = "bundle_readme.html")]
struct Readme<'a> {
    info: &'a ReadmeInfo<'a>,
    purchases: usize,
    sales: usize,
    unknown: usize,
    copies: usize,
    conflicts: usize,
    documents: Vec<Document<'a>>,
    months: Vec<MonthTotal>,
    rates: Vec<RateTotal>,
}

/// One line of the README's documents table; an absent value is empty.
struct Document<'a> {
    date: &'a str,
    number: &'a str,
    seller: &'a str,
    buyer: &'a str,
    without_vat: &'a str,
    vat: &'a str,
    with_vat: &'a str,
    currency: &'a str,
    category: &'a str,
    /// The percent-encoded path inside the ZIP (escaped again as an attribute).
    href: String,
    /// The file's name inside `documents/`.
    file: &'a str,
    /// The readable name, when it is not the file's name (a password bundle).
    name: Option<&'a str>,
    direction: &'static str,
    status: &'a str,
    /// A copy of another document of the bundle (not counted in the totals).
    copy: bool,
}

/// One line of "Totals per month": exact sums, "n/a" for one with an unreadable amount.
struct MonthTotal {
    month: String,
    currency: String,
    without_vat: String,
    vat: String,
    with_vat: String,
}

/// One line of "Totals per VAT rate".
struct RateTotal {
    rate: String,
    currency: String,
    taxable: String,
    vat: String,
}

pub(super) fn readme_html(info: &ReadmeInfo<'_>, rows: &[Row]) -> Vec<u8> {
    type Sums = [Option<Decimal>; 3];
    let mut months: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut rates: BTreeMap<(String, String), [Option<Decimal>; 2]> = BTreeMap::new();
    // Each invoice counts once: its copies are listed, not summed.
    for r in rows.iter().filter(|r| r.copy_of.is_none()) {
        // Credit notes count negatively, whatever sign the document printed.
        let add = |acc: &mut Option<Decimal>, v: Option<&str>| {
            let v = v.map(|v| match r.credit_note {
                true => format!("-{}", v.trim().trim_start_matches('-')),
                false => v.trim().to_owned(),
            });
            add(acc, v.as_deref())
        };
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
            let rate = rate_text(line.get("rate").and_then(Value::as_str).unwrap_or("?"));
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
    let documents = rows
        .iter()
        .map(|r| {
            let file = r.file.trim_start_matches("documents/");
            Document {
                date: &r.date,
                number: o(&r.number),
                seller: o(&r.seller),
                buyer: o(&r.buyer),
                without_vat: o(&r.total_without_vat),
                vat: o(&r.total_vat),
                with_vat: o(&r.total_with_vat),
                currency: o(&r.currency),
                category: &r.category,
                href: href(&r.file),
                file,
                name: (file != r.name).then_some(r.name.as_str()),
                direction: r.direction.as_str(),
                status: o(&r.status),
                copy: r.copy_of.is_some(),
            }
        })
        .collect();
    let months = months
        .into_iter()
        .map(|((month, currency), s)| MonthTotal {
            month,
            currency,
            without_vat: show(&s[0]),
            vat: show(&s[1]),
            with_vat: show(&s[2]),
        })
        .collect();
    let rates = rates
        .into_iter()
        .map(|((rate, currency), s)| RateTotal {
            rate,
            currency,
            taxable: show(&s[0]),
            vat: show(&s[1]),
        })
        .collect();
    let count = |d: Direction| rows.iter().filter(|r| r.direction == d).count();
    let page = Readme {
        info,
        purchases: count(Direction::Purchase),
        sales: count(Direction::Sale),
        unknown: count(Direction::Unknown),
        copies: rows.iter().filter(|r| r.copy_of.is_some()).count(),
        conflicts: rows.iter().filter(|r| r.copy_conflict).count(),
        documents,
        months,
        rates,
    };
    let mut h = page
        .render()
        .expect("rendering strings and integers into a String cannot fail");
    // askama drops the template file's final newline; the page ends with one.
    h.push('\n');
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
        assert_eq!(rate_text("20.00"), "20");
        assert_eq!(rate_text(" 5.50"), "5.5");
        assert_eq!(rate_text("0"), "0");
        assert_eq!(rate_text("0.00"), "0");
        assert_eq!(rate_text("?"), "?");
    }

    /// A third party's value for `field`, with every character HTML gives a meaning to.
    fn hostile(field: &str) -> String {
        format!("{field} <script>alert(1)</script> \"><img src=x onerror=alert(1)> &amp; it's")
    }

    /// `hostile(field)` as askama's HTML escaper writes it (numeric character references).
    fn escaped(field: &str) -> String {
        format!(
            "{field} &#60;script&#62;alert(1)&#60;/script&#62; &#34;&#62;&#60;img src=x \
             onerror=alert(1)&#62; &#38;amp; it&#39;s"
        )
    }

    /// An invoice of 1200.00 and a credit note of 200.00 (printed positive, as EN 16931 has
    /// it, or negative, as some PDFs do) in the same month and rate: the sums say 1000.00.
    #[test]
    fn readme_sums_subtract_credit_notes() {
        let row = |gross: &str, net: &str, vat: &str, credit_note: bool| Row {
            document_id: "d".into(),
            date: "2026-10-14".into(),
            number: None,
            seller: None,
            seller_vat_id: None,
            buyer: None,
            total_without_vat: Some(net.into()),
            total_vat: Some(vat.into()),
            total_with_vat: Some(gross.into()),
            currency: Some("EUR".into()),
            category: "invoice-received".into(),
            file: "documents/x.pdf".into(),
            name: "x.pdf".into(),
            size: 1,
            sha256: "00".into(),
            vat_breakdown: serde_json::json!([
                {"rate": "20", "taxable_amount": net, "tax_amount": vat}
            ]),
            direction: Direction::Unknown,
            status: None,
            due_date: None,
            copy_of: None,
            copy_conflict: false,
            credit_note,
            fields: serde_json::json!({}),
        };
        let info = ReadmeInfo {
            recipient: "r",
            purpose: None,
            from: "2026-10-01",
            to: "2026-10-31",
            bundle_id: "b",
            created_at: "now",
            fingerprint: "f",
            restricted_skipped: 0,
            encrypted: false,
            ecritures: true,
        };
        for credit in [
            ("200.00", "166.67", "33.33"),
            ("-200.00", "-166.67", "-33.33"),
        ] {
            let rows = [
                row("1200.00", "1000.00", "200.00", false),
                row(credit.0, credit.1, credit.2, true),
            ];
            let out = String::from_utf8(readme_html(&info, &rows)).unwrap();
            assert!(
                out.contains("<td class=\"n\">833.33</td><td class=\"n\">166.67</td><td class=\"n\">1000.00</td>"),
                "{out}"
            );
            assert!(
                out.contains("<td class=\"n\">833.33</td><td class=\"n\">166.67</td></tr>"),
                "{out}"
            );
        }
    }

    #[test]
    fn readme_escapes_every_value() {
        let h = hostile;
        let row = Row {
            document_id: "d1".into(),
            date: h("date"),
            number: Some(h("number")),
            seller: Some(h("seller")),
            seller_vat_id: Some(h("vat_id")),
            buyer: Some(h("buyer")),
            total_without_vat: Some(h("without")),
            total_vat: Some(h("vat")),
            total_with_vat: Some(h("with")),
            currency: Some(h("currency")),
            category: h("category"),
            file: format!("documents/{}", h("file")),
            name: h("name"),
            size: 1,
            sha256: "00".into(),
            vat_breakdown: serde_json::json!([
                {"rate": h("rate"), "taxable_amount": "1.00", "tax_amount": "0.20"}
            ]),
            direction: Direction::Purchase,
            status: Some(h("status")),
            due_date: Some(h("due")),
            copy_of: None,
            copy_conflict: false,
            credit_note: false,
            fields: serde_json::json!({}),
        };
        let (purpose, to) = (h("purpose"), h("to"));
        let info = ReadmeInfo {
            recipient: &h("recipient"),
            purpose: Some(&purpose),
            from: &h("from"),
            to: &to,
            bundle_id: &h("bundle"),
            created_at: &h("created"),
            fingerprint: &h("fingerprint"),
            restricted_skipped: 2,
            encrypted: true,
            ecritures: true,
        };
        let out = String::from_utf8(readme_html(&info, std::slice::from_ref(&row))).unwrap();

        assert!(!out.contains("<script") && !out.contains("<img") && !out.contains("\"><"));
        for field in [
            "date",
            "number",
            "seller",
            "buyer",
            "without",
            "vat",
            "with",
            "currency",
            "category",
            "file",
            "name",
            "rate",
            "recipient",
            "purpose",
            "from",
            "to",
            "bundle",
            "created",
            "fingerprint",
            "status",
        ] {
            assert!(!out.contains(&h(field)), "{field} raw in {out}");
            assert!(
                out.contains(&escaped(field)),
                "{field} not escaped in {out}"
            );
        }
        // The seller's VAT id is not on the page.
        assert!(!out.contains("vat_id"));
        // The link: percent-encoded, so nothing left for the attribute escaping to change.
        let link = href(&row.file);
        assert!(link.starts_with("documents/file%20%3Cscript%3E") && link.contains("%22%3E"));
        assert!(out.contains(&format!("<a href=\"{link}\">{}</a>", escaped("file"))));
        assert!(out.contains(&format!("<br><small>{}</small>", escaped("name"))));
        // The page itself is intact.
        assert!(out.starts_with("<!DOCTYPE html>\n") && out.ends_with("</body>\n</html>\n"));
        assert!(out.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'\">"
        ));
        assert!(out.contains("; 2 restricted document(s) of the period are not included."));
        assert!(out.contains("1 purchase(s), 0 sale(s), 0 not classified."));
        assert!(out.contains("ecritures.csv"), "the preset is documented");
        assert!(out.contains(&format!("<td class=\"n\">{}</td>", escaped("without"))));
        assert!(out.contains("<td class=\"n\">n/a</td>"));
    }
}
