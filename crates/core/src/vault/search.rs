//! Search: full text (FTS5 over names, fields and document text) with filters on the fields.
//!
//! Promises: whatever the user types is turned into a safe FTS5 expression (each word quoted,
//! matched as a prefix, all words required), so no input is a syntax error; amounts typed as
//! `1 234,56`, `1.234,56` or `1,234.56` find `1234.56` (and `99,5` finds `99.50`, amounts
//! are never prefixes); results are ranked by BM25 with the invoice fields weighing most,
//! among at most [`RANKED`] matches (the newest) so that a word found in every document costs
//! what a rare one does; when every word is in more than [`RANKED`] documents, the newest
//! matches (as many as asked for) are shown by issue date, newest first; a word typed is also
//! found as the beginning of longer words, unless it is itself in more than [`RANKED`]
//! documents ([`expression`]).

use std::sync::LazyLock;

use regex::Regex;
use rusqlite::{Connection, ToSql};
use serde::Serialize;

use crate::error::Why;
use crate::records::fields::scaled_e4;
use crate::storage::index::{Document, Index};
use crate::{Error, Result};

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words to find (all of them, as prefixes); empty lists every document matching the filters.
    pub text: String,
    /// Issue date on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Issue date on or before (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub to: Option<String>,
    /// Seller name contains this (case-insensitive).
    pub supplier: Option<String>,
    /// Total with VAT at least this amount.
    pub min: Option<String>,
    /// Total with VAT at most this amount.
    pub max: Option<String>,
    /// `invoice`, `credit-note`, `review` (needs review), or a format: `factur-x`, `ubl`, `cii`,
    /// `pdf-text`, `pdf-scan`, `image`, `other`.
    pub kind: Option<String>,
    /// Most results returned (default 50).
    pub limit: Option<usize>,
    /// Include restricted documents (GDPR art. 18), which searches otherwise leave out: only for
    /// the owner's own answers to data-subject requests.
    pub include_restricted: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The document.
    #[serde(flatten)]
    pub document: Document,
    /// Invoice number (effective: corrections applied).
    pub number: Option<String>,
    /// Issue date.
    pub issue_date: Option<String>,
    /// Seller name.
    pub seller: Option<String>,
    /// Total with VAT.
    pub total_with_vat: Option<String>,
    /// Currency.
    pub currency: Option<String>,
    /// Extraction format.
    pub format: Option<String>,
    /// Flagged for review.
    pub needs_review: bool,
    /// BM25 rank (lower is better); 0 without search words, or when every word is in more than
    /// [`RANKED`] documents (then the newest matches come, by issue date).
    pub score: f64,
}

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{1,3}(?:[ \u{a0}\u{202f}.,']\d{3})+(?:[.,]\d{1,2})?|\d+[.,]\d{1,2}")
        .expect("valid regex")
});

/// Rewrites amounts the way the index spells them (`1234.56`).
fn normalise_amounts(text: &str) -> String {
    AMOUNT
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let m = &caps[0];
            let digits: Vec<char> = m.chars().collect();
            // The decimal separator is a '.' or ',' followed by 1-2 digits at the very end.
            let dec_at = digits
                .iter()
                .rposition(|c| *c == '.' || *c == ',')
                .filter(|&i| digits.len() - i - 1 <= 2);
            let (int, frac): (String, String) = match dec_at {
                Some(i) => (
                    digits[..i].iter().collect(),
                    digits[i + 1..].iter().collect(),
                ),
                None => (m.to_owned(), String::new()),
            };
            let int: String = int.chars().filter(char::is_ascii_digit).collect();
            if frac.is_empty() {
                int
            } else {
                format!("{int}.{frac}")
            }
        })
        .into_owned()
}

/// One word of what the user typed, as FTS5 syntax.
struct Term {
    /// The word quoted as an FTS5 string, or an amount's spellings (`("12.5" OR "12.50")`).
    quoted: String,
    /// Also found as the beginning of longer words (not an amount).
    prefix: bool,
}

impl Term {
    fn with_prefix(&self) -> String {
        if self.prefix {
            format!("{}*", self.quoted)
        } else {
            self.quoted.clone()
        }
    }
}

static DECIMAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+\.(\d{1,2})$").expect("valid regex"));

/// The words of what the user typed, each quoted as an FTS5 string. An amount is matched as
/// its spellings, never as a prefix: documents write `12.5` or `12.50`, and the prefix of its
/// last digits (`"12.5"*` is the phrase `12 5*`) made FTS5 merge the lists of every number
/// beginning with them (20 ms per amount over a million documents, 1.5 without).
fn terms(text: &str) -> Vec<Term> {
    // Control characters separate words: FTS5 ends a quoted string at a NUL byte, so one left
    // inside a term would make the expression a syntax error.
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let quote = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
    normalise_amounts(&cleaned)
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| match DECIMAL.captures(w) {
            Some(c) if c[1].len() == 1 => Term {
                quoted: format!("({} OR {})", quote(w), quote(&format!("{w}0"))),
                prefix: false,
            },
            Some(_) => Term {
                quoted: quote(w),
                prefix: false,
            },
            None => Term {
                quoted: quote(w),
                prefix: true,
            },
        })
        .collect()
}

/// The FTS5 expression for what the user typed, every word as a prefix (amounts as their
/// spellings), or `None` when it has no searchable word.
pub fn match_expression(text: &str) -> Option<String> {
    let terms: Vec<String> = terms(text).iter().map(Term::with_prefix).collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// The FTS5 expression for what the user typed, against this index: every word as a prefix,
/// except a word found as typed in more than [`RANKED`] documents, which is matched as typed.
/// A prefix makes FTS5 merge the document lists of every word it begins, in full, before the
/// first result: 12 ms for "EUR" over 100,000 documents, ten times that over a million; a word
/// that common was typed whole, and counting it as typed stops at `RANKED + 1` documents.
pub fn expression(conn: &Connection, text: &str) -> Result<Option<String>> {
    Ok(words(conn, text, RANKED)?.map(|w| w.expression))
}

/// What the user typed, as [`expression`] reads it.
struct Words {
    /// The FTS5 expression.
    expression: String,
    /// Every word is in more than the ranked number of documents.
    common: bool,
}

/// [`expression`], with words in more than `ranked` documents matched as typed.
fn words(conn: &Connection, text: &str, ranked: i64) -> Result<Option<Words>> {
    let mut terms = Vec::new();
    let mut all_common = true;
    for term in self::terms(text) {
        let common: bool = conn.query_row(
            "SELECT COUNT(*) > ?2 FROM
               (SELECT 1 FROM doc_fts WHERE doc_fts MATCH ?1 LIMIT ?2 + 1)",
            rusqlite::params![term.quoted, ranked],
            |r| r.get(0),
        )?;
        all_common &= common;
        terms.push(if common {
            term.quoted
        } else {
            term.with_prefix()
        });
    }
    Ok((!terms.is_empty()).then(|| Words {
        // Explicit: FTS5 takes no implicit AND next to a parenthesised group (an amount).
        expression: terms.join(" AND "),
        common: all_common,
    }))
}

pub(crate) fn date_bound(value: &str, upper: bool) -> Result<String> {
    let v = value.trim();
    let bad = || {
        Error::invalid(
            if upper { "to" } else { "from" },
            Why::BadFormat {
                value: v.to_owned(),
                format: "YYYY, YYYY-MM or YYYY-MM-DD".into(),
            },
        )
    };
    // Shapes checked on bytes, never by slicing: the text is the user's, any Unicode.
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match v.len() {
        4 => digits(v, 4),
        7 => v
            .split_once('-')
            .is_some_and(|(y, m)| digits(y, 4) && digits(m, 2)),
        10 => crate::records::fields::validate("issue_date", Some(v)).is_ok(),
        _ => false,
    };
    if !ok {
        return Err(bad());
    }
    Ok(match (v.len(), upper) {
        (4, false) => format!("{v}-01-01"),
        (4, true) => format!("{v}-12-31"),
        (7, false) => format!("{v}-01"),
        (7, true) => format!("{v}-31"),
        _ => v.to_owned(),
    })
}

fn amount_bound(value: &str, key: &str) -> Result<i64> {
    let norm = normalise_amounts(value.trim());
    scaled_e4(&norm).ok_or_else(|| {
        Error::invalid(
            key,
            Why::NotAnAmount {
                value: value.trim().to_owned(),
            },
        )
    })
}

/// Most documents ranked for one search: past this many matches, the newest this many (by
/// import) that pass the filters are ranked, the rest are not looked at. BM25 tells little
/// apart among thousands of documents sharing a word, and ranking them all made a word found
/// in every document the slowest search (158 ms at 100,000 documents); see docs/performance.md.
pub const RANKED: i64 = 1000;

/// The `WHERE` conditions of the filters over `documents d` and `doc_fields f`, with their
/// arguments.
fn filters(conn: &Connection, q: &SearchQuery) -> Result<(String, Vec<Box<dyn ToSql>>)> {
    let mut sql = String::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let any_restricted = !q.include_restricted
        && conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM retention WHERE restricted_reason IS NOT NULL)",
            [],
            |r| r.get::<_, bool>(0),
        )?;
    if any_restricted {
        sql.push_str(
            " AND d.id NOT IN (SELECT doc_id FROM retention WHERE restricted_reason IS NOT NULL)",
        );
    }
    if let Some(from) = &q.from {
        sql.push_str(" AND f.issue_date >= ?");
        args.push(Box::new(date_bound(from, false)?));
    }
    if let Some(to) = &q.to {
        sql.push_str(" AND f.issue_date <= ?");
        args.push(Box::new(date_bound(to, true)?));
    }
    if let Some(s) = &q.supplier {
        sql.push_str(" AND instr(lower(f.seller_name), lower(?)) > 0");
        args.push(Box::new(s.trim().to_owned()));
    }
    if let Some(min) = &q.min {
        sql.push_str(" AND f.total_e4 >= ?");
        args.push(Box::new(amount_bound(min, "min")?));
    }
    if let Some(max) = &q.max {
        sql.push_str(" AND f.total_e4 <= ?");
        args.push(Box::new(amount_bound(max, "max")?));
    }
    if let Some(kind) = &q.kind {
        let credit_notes = crate::records::fields::credit_note_sql_list();
        match kind.as_str() {
            "invoice" => sql.push_str(&format!(
                " AND f.format IN ('factur-x','ubl','cii','pdf-text','pdf-scan')
                  AND COALESCE(f.type_code, '') NOT IN ({credit_notes})"
            )),
            "credit-note" => sql.push_str(&format!(" AND f.type_code IN ({credit_notes})")),
            "review" => sql.push_str(" AND f.needs_review = 1"),
            "factur-x" | "ubl" | "cii" | "pdf-text" | "pdf-scan" | "image" | "message"
            | "other" => {
                sql.push_str(" AND f.format = ?");
                args.push(Box::new(kind.clone()));
            }
            other => {
                return Err(Error::invalid(
                    "kind",
                    Why::NotOneOf {
                        value: other.to_owned(),
                        allowed: "invoice, credit-note, review, factur-x, ubl, cii, pdf-text, \
                                  pdf-scan, image, message, other"
                            .into(),
                    },
                ));
            }
        }
    }
    Ok((sql, args))
}

/// Runs a search.
pub fn search(conn: &Connection, q: &SearchQuery) -> Result<Vec<SearchHit>> {
    search_ranking(conn, q, RANKED)
}

/// [`search`], ranking at most `ranked` matches.
fn search_ranking(conn: &Connection, q: &SearchQuery, ranked: i64) -> Result<Vec<SearchHit>> {
    const COLUMNS: &str = "SELECT d.id, d.name, d.size, d.media_type, d.sha256, d.imported_at,
                (SELECT p.parent FROM document_parts p WHERE p.child = d.id
                 ORDER BY p.rowid LIMIT 1), f.number,
                f.issue_date, f.seller_name, f.total_with_vat, f.currency, f.format,
                COALESCE(f.needs_review, 0), ";
    const JOINED: &str = " JOIN documents d ON d.rowid = m.rowid
                          LEFT JOIN doc_fields f ON f.doc_id = d.id WHERE 1";
    let (filters, filter_args) = filters(conn, q)?;
    let limit = q.limit.unwrap_or(50) as i64;
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let sql = match words(conn, &q.text, ranked)? {
        Some(words) => {
            // The newest `ranked` matches that pass the filters (FTS5 walks its lists
            // newest first and stops there), ranked among themselves by BM25. When every
            // word is in more than `ranked` documents, the newest `limit` matches are shown by
            // issue date instead: BM25 tells little apart among them, and its weight of each
            // word reads the word's whole list of documents (64 ms for "EUR" over a million
            // documents, 9 without); and ordering `ranked` of them by date read each one's
            // rows (up to three random page reads: 67-97 ms p95 over a million documents on a
            // cold file cache, for 50 shown).
            let (score, candidates) = if words.common {
                ("0.0", limit)
            } else {
                ("bm25(doc_fts, 5.0, 10.0, 1.0)", ranked)
            };
            args.push(Box::new(words.expression));
            args.extend(filter_args);
            args.push(Box::new(candidates));
            args.push(Box::new(limit));
            format!(
                "WITH c AS (SELECT m.rowid AS rowid, m.score AS score
                            FROM (SELECT rowid, {score} AS score FROM doc_fts
                                  WHERE doc_fts MATCH ?) AS m{JOINED}{filters}
                            ORDER BY m.rowid DESC LIMIT ?)
                 {COLUMNS}c.score FROM c JOIN documents d ON d.rowid = c.rowid
                 LEFT JOIN doc_fields f ON f.doc_id = d.id
                 ORDER BY c.score, f.issue_date DESC LIMIT ?"
            )
        }
        None => {
            args.extend(filter_args);
            args.push(Box::new(limit));
            format!(
                "{COLUMNS}0.0 AS score FROM documents d LEFT JOIN doc_fields f ON f.doc_id = d.id
                 WHERE 1{filters} ORDER BY f.issue_date DESC, d.imported_at DESC LIMIT ?"
            )
        }
    };
    let mut stmt = conn.prepare(&sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|b| b.as_ref()).collect();
    let rows = stmt.query_map(params.as_slice(), |r| {
        Ok(SearchHit {
            // The first seven columns are the document's, in `Index::row_to_document`'s order.
            document: Index::row_to_document(r)?,
            number: r.get(7)?,
            issue_date: r.get(8)?,
            seller: r.get(9)?,
            total_with_vat: r.get(10)?,
            currency: r.get(11)?,
            format: r.get(12)?,
            needs_review: r.get(13)?,
            score: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl crate::Vault {
    /// Searches the documents (full text and filters), best first.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        search(self.index.conn(), query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index with `n` documents whose text is `text(i)` (rowid `i + 1`, dated `2000 + i`
    /// as years).
    fn index_of(n: usize, text: impl Fn(usize) -> String) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for m in crate::storage::schema::MIGRATIONS {
            conn.execute_batch(m).unwrap();
        }
        for i in 0..n {
            let id = format!("doc{i:03}");
            conn.execute(
                "INSERT INTO documents (rowid, id, name, size, media_type, sha256, content_mac,
                                        imported_at)
                 VALUES (?1, ?2, ?2, 1, 'application/xml', x'00', ?3, '2026-01-01T00:00:00Z')",
                rusqlite::params![i as i64 + 1, id, vec![i as u8; 4]],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO doc_fields (doc_id, format, needs_review, issue_date)
                 VALUES (?1, 'ubl', 0, ?2)",
                rusqlite::params![id, format!("{}-01-01", 2000 + i)],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO doc_fts (rowid, name, fields, body) VALUES (?1, '', '', ?2)",
                rusqlite::params![i as i64 + 1, text(i)],
            )
            .unwrap();
        }
        conn
    }

    fn ids(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.document.id.as_str()).collect()
    }

    #[test]
    fn a_word_in_most_documents_ranks_only_the_newest_matches() {
        // "facture" everywhere; said three times in documents 5 and 25 (the best BM25).
        let conn = index_of(30, |i| {
            if i == 5 || i == 25 {
                "facture facture facture".into()
            } else {
                format!("facture numero {i}")
            }
        });
        let q = |text: &str| SearchQuery {
            text: text.into(),
            limit: Some(30),
            ..Default::default()
        };
        // Past 10 matches, with every word that common, the newest as many as asked for are
        // shown by date (not ranked): documents 29 down to 20 for 10, 5 never looked at; 29
        // down to 27 for 3.
        let newest = |n: usize| -> Vec<String> {
            (30 - n..30).rev().map(|i| format!("doc{i:03}")).collect()
        };
        let first = |n| SearchQuery {
            limit: Some(n),
            ..q("facture")
        };
        let hits = search_ranking(&conn, &first(10), 10).unwrap();
        assert_eq!(ids(&hits), newest(10));
        assert!(hits.iter().all(|h| h.score == 0.0));
        assert_eq!(
            ids(&search_ranking(&conn, &first(3), 10).unwrap()),
            newest(3)
        );
        // Under the bound, every match is ranked: both best ones first.
        let hits = search_ranking(&conn, &q("facture"), 100).unwrap();
        assert_eq!(hits.len(), 30);
        let mut best = ids(&hits[..2]).to_vec();
        best.sort();
        assert_eq!(best, ["doc005", "doc025"]);
        // Filters pick the candidates: the newest 5 of the years asked for (documents 0-9).
        let filtered = SearchQuery {
            to: Some("2009".into()),
            ..first(5)
        };
        let hits = search_ranking(&conn, &filtered, 5).unwrap();
        assert_eq!(
            ids(&hits),
            ["doc009", "doc008", "doc007", "doc006", "doc005"]
        );
        // A rare word is found wherever it is, and its matches are ranked by BM25 ("numero"
        // is in 28 documents, "3" in one).
        let hits = search_ranking(&conn, &q("numero 3"), 10).unwrap();
        assert!(ids(&hits).contains(&"doc003"));
        assert!(hits.iter().all(|h| h.score < 0.0), "ranked by BM25");
    }

    #[test]
    fn a_common_word_shows_the_newest_imports_by_date() {
        // Imported in order 0..30; the last one dated long ago, an older import dated later.
        let conn = index_of(30, |i| format!("facture {i}"));
        conn.execute_batch(
            "UPDATE doc_fields SET issue_date = '1990-01-01' WHERE doc_id = 'doc029';
             UPDATE doc_fields SET issue_date = '2099-01-01' WHERE doc_id = 'doc010';",
        )
        .unwrap();
        let q = SearchQuery {
            text: "facture".into(),
            limit: Some(3),
            ..Default::default()
        };
        // The three newest imports, by date: the one dated 1990 last, the 2099 one not looked
        // at (it is not among them).
        assert_eq!(
            ids(&search_ranking(&conn, &q, 10).unwrap()),
            ["doc028", "doc027", "doc029"]
        );
    }

    #[test]
    fn amounts_among_words_are_a_valid_expression() {
        // Indexed as the fields write amounts: "11.50", not "11.5".
        let conn = index_of(3, |i| format!("Société Générale total {}.50 EUR", 10 + i));
        let q = |text: &str| SearchQuery {
            text: text.into(),
            ..Default::default()
        };
        for text in [
            "Société 11,5 EUR",
            "11,5\u{202f}EUR — total",
            "11,50",
            "11,5",
        ] {
            assert_eq!(
                ids(&search(&conn, &q(text)).unwrap()),
                ["doc001"],
                "{text:?}"
            );
        }
        assert!(search(&conn, &q("11,55 total")).unwrap().is_empty());
    }

    #[test]
    fn a_word_in_more_documents_than_are_ranked_is_matched_as_typed() {
        let conn = index_of(30, |i| match i {
            7 => "factures groupees".into(),
            _ => format!("facture numero {i}"),
        });
        // 29 documents say "facture": past 10, only as typed; "factur" is in none as typed.
        let expression = |text: &str, ranked: i64| words(&conn, text, ranked).unwrap().unwrap();
        let both = expression("facture factur", 10);
        assert_eq!(both.expression, r#""facture" AND "factur"*"#);
        assert!(!both.common, "\"factur\" is in no document as typed");
        assert!(expression("facture", 10).common);
        let rare = expression("facture", 100);
        assert_eq!(rare.expression, r#""facture"*"#);
        assert!(!rare.common);
        let q = SearchQuery {
            text: "facture".into(),
            limit: Some(50),
            ..Default::default()
        };
        assert!(!ids(&search_ranking(&conn, &q, 10).unwrap()).contains(&"doc007"));
        assert!(ids(&search_ranking(&conn, &q, 100).unwrap()).contains(&"doc007"));
        let q = SearchQuery {
            text: "factur".into(),
            ..q
        };
        assert_eq!(search_ranking(&conn, &q, 10).unwrap().len(), 10);
    }

    #[test]
    fn user_text_becomes_a_safe_expression() {
        assert_eq!(
            match_expression("ACME mars").unwrap(),
            r#""ACME"* AND "mars"*"#
        );
        assert_eq!(
            match_expression(r#"a"b OR NEAR("#).unwrap(),
            r#""a""b"* AND "OR"* AND "NEAR("*"#
        );
        assert_eq!(match_expression(" € - "), None);
        assert_eq!(match_expression("1 234,56 €").unwrap(), r#""1234.56""#);
        assert_eq!(match_expression("1.234,56").unwrap(), r#""1234.56""#);
        assert_eq!(match_expression("1,234.56").unwrap(), r#""1234.56""#);
        assert_eq!(
            match_expression("99,5 ACME").unwrap(),
            r#"("99.5" OR "99.50") AND "ACME"*"#
        );
        assert_eq!(match_expression("F2026-0042").unwrap(), r#""F2026-0042"*"#);
    }

    #[test]
    fn date_bounds_accept_partial_dates() {
        assert_eq!(date_bound("2026", false).unwrap(), "2026-01-01");
        assert_eq!(date_bound("2026-03", true).unwrap(), "2026-03-31");
        assert_eq!(date_bound("2026-03-14", true).unwrap(), "2026-03-14");
        assert!(date_bound("14/03/2026", false).is_err());
    }

    #[test]
    fn control_characters_split_terms_instead_of_breaking_the_expression() {
        // Found by fuzzing (`fuzz/regressions/search-query`): a NUL ended the FTS5 string.
        assert_eq!(
            match_expression("Société \0Générale").as_deref(),
            Some("\"Société\"* AND \"Générale\"*")
        );
        assert_eq!(match_expression("\0\u{7}").as_deref(), None);
    }

    #[test]
    fn date_bounds_never_slice_inside_a_character() {
        // Seven bytes, the fifth inside the euro sign: used to panic.
        for v in ["abc€x", "2026€", "€2026-1", "2026-é", "20€-03-14"] {
            assert!(date_bound(v, false).is_err(), "{v:?}");
        }
        assert!(date_bound("+202", false).is_err());
        assert!(date_bound("2026-+3", true).is_err());
    }
}
