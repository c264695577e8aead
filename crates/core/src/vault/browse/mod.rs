//! Browsing: the documents table of the desktop app, one page at a time, with the totals of the
//! whole selection.
//!
//! Promises: a page is a stable slice of one ordering (issue date, newest first, documents
//! without one last, then id), so pages fetched separately join without gaps or repeats while
//! the vault is unchanged; the count and the totals cover every matching document, not just the
//! page; restricted documents (GDPR art. 18) appear only when asked for with the `restricted`
//! status; totals are exact (sums of integer ten-thousandths) and count credit notes negatively.
//!
//! Cost: a page is found by seeking its first row's sort key in the `(issue_date, doc_id)`
//! index (keyset paging), from the nearest anchor of the selection ([`cache`]), so a page deep
//! in the table costs what the first does; counts and totals are remembered per filter and
//! brought up to date as documents are added.

mod cache;

pub use cache::BrowseCache;
use cache::{Anchors, PageKey, Selection};

use rusqlite::{Connection, ToSql};
use serde::{Deserialize, Serialize};

use crate::error::Why;
use crate::records::retention::{Category, today};
use crate::vault::search::expression;
use crate::{Error, Result};

/// The filters of the documents table; empty strings count as absent.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(
    feature = "typescript",
    derive(ts_rs::TS),
    ts(export, optional_fields = nullable)
)]
#[serde(default)]
pub struct BrowseQuery {
    /// Words to find (as in [`crate::vault::search`]).
    pub text: String,
    /// Issue date on or after (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Issue date on or before (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub to: Option<String>,
    /// Seller name contains this (case-insensitive).
    pub seller: Option<String>,
    /// Retention category (`invoice-received`, ...).
    pub category: Option<String>,
    /// `review` (needs review, or a copy that disagrees), `hold` (legal hold), `restricted`,
    /// or `due` (retention ended, not on hold).
    pub status: Option<String>,
    /// `purchase`, `sale` or `unknown`.
    pub direction: Option<String>,
    /// `unpaid`, `due-week` (due within seven days), `overdue` or `refused`.
    pub payment: Option<String>,
    /// Also list copies of invoices (left out by default: each invoice counts once).
    pub copies: bool,
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Row {
    /// Document id.
    pub id: String,
    /// Original file name.
    pub name: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// Import time, RFC 3339 UTC.
    pub imported_at: String,
    /// Invoice number.
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
    /// Retention category.
    pub category: Option<String>,
    /// Last day it must be kept.
    pub retain_until: Option<String>,
    /// On legal hold.
    pub on_hold: bool,
    /// Restricted (GDPR art. 18).
    pub restricted: bool,
    /// Purchase, sale or unknown.
    pub direction: crate::records::direction::Direction,
    /// Due date.
    pub due_date: Option<String>,
    /// The latest lifecycle status (`refused`, `paid`, ...).
    pub status: Option<String>,
    /// The original's id when this document is a copy of another.
    pub copy_of: Option<String>,
    /// How many copies this document has.
    pub copies: u32,
    /// Another document with its number and seller has another total.
    pub copy_conflict: bool,
}

/// One page of rows.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Page {
    /// Documents matching the query in all.
    pub total: u64,
    /// Position of the first row.
    pub offset: u64,
    /// The rows.
    pub rows: Vec<Row>,
}

/// The sum of one currency's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct CurrencyTotal {
    /// ISO 4217 code, or empty when unknown.
    pub currency: String,
    /// Exact sum of the totals with VAT (credit notes subtracted), as a decimal string.
    pub amount: String,
    /// Documents counted.
    pub count: u64,
}

/// Per-currency sums of totals with VAT, exact (i128 ten-thousandths), credit notes subtracted:
/// the one way the table and the bundle preview add amounts up.
#[derive(Debug, Clone, Default)]
pub(crate) struct CurrencySums(std::collections::BTreeMap<String, (i128, u64)>);

impl CurrencySums {
    /// Adds one document's total (a credit note's total is usually positive on the document:
    /// it reduces what is owed).
    pub(crate) fn add(&mut self, currency: &str, e4: i64, credit_note: bool) {
        let v = if credit_note {
            -i128::from(e4.abs())
        } else {
            i128::from(e4)
        };
        self.add_sum(currency, v, 1);
    }

    /// Adds a sum already made of `count` documents.
    pub(crate) fn add_sum(&mut self, currency: &str, sum: i128, count: u64) {
        let e = self.0.entry(currency.to_owned()).or_default();
        e.0 += sum;
        e.1 += count;
    }

    pub(crate) fn into_totals(self) -> Vec<CurrencyTotal> {
        self.0
            .into_iter()
            .map(|(currency, (sum, count))| CurrencyTotal {
                currency,
                amount: format_e4(sum),
                count,
            })
            .collect()
    }
}

/// The totals of a selection.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct Totals {
    /// Documents matching.
    pub count: u64,
    /// Sums per currency; documents without a total are counted in `count` only.
    pub by_currency: Vec<CurrencyTotal>,
}

/// The columns of a [`Row`], read by [`row`].
const COLUMNS: &str = "SELECT d.id, d.name, d.size, d.imported_at, f.number, f.issue_date,
        f.seller_name, f.total_with_vat, f.currency, f.format, COALESCE(f.needs_review, 0),
        r.category, r.retain_until, r.hold_reason IS NOT NULL, r.restricted_reason IS NOT NULL,
        f.direction, f.due_date, f.status, f.copy_of,
        (SELECT COUNT(*) FROM doc_fields c WHERE c.copy_of = f.doc_id), f.copy_conflict";
/// Every document has its `doc_fields` row (written in the import transaction), so the inner
/// join loses nothing and lets SQLite walk `doc_fields_by_date_id` in page order.
const FROM: &str = " FROM doc_fields f JOIN documents d ON d.id = f.doc_id
    LEFT JOIN retention r ON r.doc_id = f.doc_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        name: r.get(1)?,
        size: r.get::<_, i64>(2)?.max(0) as u64,
        imported_at: r.get(3)?,
        number: r.get(4)?,
        issue_date: r.get(5)?,
        seller: r.get(6)?,
        total_with_vat: r.get(7)?,
        currency: r.get(8)?,
        format: r.get(9)?,
        needs_review: r.get(10)?,
        category: r.get(11)?,
        retain_until: r.get(12)?,
        on_hold: r.get::<_, Option<bool>>(13)?.unwrap_or(false),
        restricted: r.get::<_, Option<bool>>(14)?.unwrap_or(false),
        direction: crate::records::direction::Direction::parse(&r.get::<_, String>(15)?)
            .unwrap_or(crate::records::direction::Direction::Unknown),
        due_date: r.get(16)?,
        status: r.get(17)?,
        copy_of: r.get(18)?,
        copies: r.get::<_, i64>(19)?.clamp(0, i64::from(u32::MAX)) as u32,
        copy_conflict: r.get(20)?,
    })
}

/// Most rows one page returns.
pub const MAX_PAGE: u64 = 1000;

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The `WHERE` of a query over `doc_fields f` (no other table is needed: retention conditions
/// are subqueries, the restricted ones through a small partial index), with its arguments, for
/// the FTS5 expression of the query's words (see `expression`).
fn selection(q: &BrowseQuery, expr: Option<&str>) -> Result<(String, Vec<Box<dyn ToSql>>)> {
    let mut sql = String::from(" WHERE 1");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(expr) = expr {
        sql.push_str(
            " AND f.doc_id IN (SELECT id FROM documents WHERE rowid IN
                 (SELECT rowid FROM doc_fts WHERE doc_fts MATCH ?))",
        );
        args.push(Box::new(expr.to_owned()));
    }
    if let Some(from) = nonempty(&q.from) {
        sql.push_str(" AND f.issue_date >= ?");
        args.push(Box::new(crate::vault::search::date_bound(from, false)?));
    }
    if let Some(to) = nonempty(&q.to) {
        sql.push_str(" AND f.issue_date <= ?");
        args.push(Box::new(crate::vault::search::date_bound(to, true)?));
    }
    if let Some(s) = nonempty(&q.seller) {
        sql.push_str(" AND instr(lower(f.seller_name), lower(?)) > 0");
        args.push(Box::new(s.to_owned()));
    }
    if !q.copies {
        sql.push_str(" AND f.copy_of IS NULL");
    }
    if let Some(d) = nonempty(&q.direction) {
        sql.push_str(" AND f.direction = ?");
        args.push(Box::new(
            crate::records::direction::Direction::parse(d)?.as_str(),
        ));
    }
    if let Some(p) = nonempty(&q.payment) {
        let (cond, values) = crate::records::status::payment_condition(p, today())?;
        sql.push_str(&format!(" AND {cond}"));
        args.extend(values.into_iter().map(|v| Box::new(v) as Box<dyn ToSql>));
    }
    if let Some(c) = nonempty(&q.category) {
        sql.push_str(" AND f.doc_id IN (SELECT doc_id FROM retention WHERE category = ?)");
        args.push(Box::new(Category::parse(c)?.as_str()));
    }
    const RESTRICTED: &str = "(SELECT doc_id FROM retention WHERE restricted_reason IS NOT NULL)";
    let status = nonempty(&q.status);
    match status {
        Some("restricted") => sql.push_str(&format!(" AND f.doc_id IN {RESTRICTED}")),
        _ => sql.push_str(&format!(" AND f.doc_id NOT IN {RESTRICTED}")),
    }
    match status {
        None | Some("restricted") => {}
        Some("review") => sql.push_str(" AND (f.needs_review = 1 OR f.copy_conflict = 1)"),
        Some("hold") => sql.push_str(
            " AND f.doc_id IN (SELECT doc_id FROM retention WHERE hold_reason IS NOT NULL)",
        ),
        Some("due") => {
            sql.push_str(
                " AND f.doc_id IN (SELECT doc_id FROM retention
                                   WHERE hold_reason IS NULL AND retain_until < ?)",
            );
            args.push(Box::new(today().to_string()));
        }
        Some(other) => {
            return Err(Error::invalid(
                "status",
                Why::NotOneOf {
                    value: other.to_owned(),
                    allowed: "review, hold, restricted, due".into(),
                },
            ));
        }
    }
    Ok((sql, args))
}

fn params(args: &[Box<dyn ToSql>]) -> Vec<&dyn ToSql> {
    args.iter().map(|b| b.as_ref()).collect()
}

/// The number of documents `where_` selects; `words` tells whether `q` has words to match
/// (its expression was worked out once, by [`Query::new`]).
fn count(
    conn: &Connection,
    q: &BrowseQuery,
    words: bool,
    where_: &str,
    args: &[Box<dyn ToSql>],
) -> Result<u64> {
    let unfiltered = !words
        && !q.copies
        && [
            &q.from,
            &q.to,
            &q.seller,
            &q.category,
            &q.status,
            &q.direction,
            &q.payment,
        ]
        .iter()
        .all(|v| nonempty(v).is_none());
    let n: i64 = if unfiltered {
        // Everything but the restricted and the copies: the kept count of documents (schema
        // 17) less two counts over small partial indexes, instead of a join over every
        // document. Named: SQLite would rather scan the order index, which covers `copy_of`
        // too (30 ms at 100,000 documents, for none).
        conn.query_row(
            "SELECT (SELECT n FROM document_count)
                  - (SELECT COUNT(*) FROM retention WHERE restricted_reason IS NOT NULL)
                  - (SELECT COUNT(*) FROM doc_fields INDEXED BY doc_fields_copies
                       WHERE copy_of IS NOT NULL
                       AND doc_id NOT IN (SELECT doc_id FROM retention
                                          WHERE restricted_reason IS NOT NULL))",
            [],
            |r| r.get(0),
        )?
    } else {
        conn.query_row(
            &format!("SELECT COUNT(*) FROM doc_fields f{where_}"),
            params(args).as_slice(),
            |r| r.get(0),
        )?
    };
    Ok(n.max(0) as u64)
}

/// The cache's name for a selection: its filters as they apply today (the payment and
/// retention filters compare with today's date).
fn cache_key(q: &BrowseQuery) -> String {
    let parts = [
        q.text.trim(),
        nonempty(&q.from).unwrap_or(""),
        nonempty(&q.to).unwrap_or(""),
        nonempty(&q.seller).unwrap_or(""),
        nonempty(&q.category).unwrap_or(""),
        nonempty(&q.status).unwrap_or(""),
        nonempty(&q.direction).unwrap_or(""),
        nonempty(&q.payment).unwrap_or(""),
        if q.copies { "copies" } else { "" },
    ];
    format!("{parts:?}@{}", today())
}

/// Everything the table needs to know of one query.
struct Query {
    key: String,
    where_: String,
    args: Vec<Box<dyn ToSql>>,
    text: bool,
}

impl Query {
    fn new(conn: &Connection, q: &BrowseQuery) -> Result<Query> {
        let expr = expression(conn, &q.text)?;
        let (where_, args) = selection(q, expr.as_deref())?;
        // A word is matched as typed or as a prefix depending on how many documents have it
        // (`expression`): the key names what the condition says.
        Ok(Query {
            key: format!("{}{expr:?}", cache_key(q)),
            where_,
            args,
            text: expr.is_some(),
        })
    }

    /// The number of documents selected, remembered in `entry`.
    fn count(&self, conn: &Connection, q: &BrowseQuery, entry: &mut cache::Entry) -> Result<u64> {
        match entry.count {
            Some(n) => Ok(n),
            None => Ok(*entry
                .count
                .insert(count(conn, q, self.text, &self.where_, &self.args)?)),
        }
    }

    fn cached(&self) -> Selection<'_> {
        Selection {
            key: self.key.clone(),
            where_: &self.where_,
            args: &self.args,
            text: self.text,
        }
    }
}

/// The selection's sort keys, in order (an index-only walk when the filters allow it).
fn build_anchors(conn: &Connection, query: &Query) -> Result<Anchors> {
    let mut stmt = conn.prepare(&format!(
        "SELECT f.issue_date, f.doc_id FROM doc_fields f{}
         ORDER BY f.issue_date DESC, f.doc_id DESC",
        query.where_
    ))?;
    let keys = stmt.query_map(params(&query.args).as_slice(), |r| {
        Ok(PageKey {
            date: r.get(0)?,
            id: r.get(1)?,
        })
    })?;
    Anchors::build(keys)
}

/// Up to `limit` rows from the row with key `from` (included; the first row of the part when
/// `None`), skipping `skip`, among the dated rows (`dated`) or the undated ones.
fn seek(
    conn: &Connection,
    query: &Query,
    dated: bool,
    from: Option<&PageKey>,
    skip: u64,
    limit: u64,
) -> Result<Vec<Row>> {
    let mut sql = format!("{COLUMNS}{FROM}{}", query.where_);
    let mut args: Vec<&dyn ToSql> = params(&query.args);
    let (date, id) = from.map_or((None, None), |k| (k.date.as_ref(), Some(&k.id)));
    if dated {
        sql.push_str(" AND f.issue_date IS NOT NULL");
        if let (Some(date), Some(id)) = (date, id) {
            // A row-value bound the index `(issue_date, doc_id)` seeks to.
            sql.push_str(" AND (f.issue_date, f.doc_id) <= (?, ?)");
            args.push(date);
            args.push(id);
        }
        sql.push_str(" ORDER BY f.issue_date DESC, f.doc_id DESC");
    } else {
        sql.push_str(" AND f.issue_date IS NULL");
        if let Some(id) = id {
            sql.push_str(" AND f.doc_id <= ?");
            args.push(id);
        }
        sql.push_str(" ORDER BY f.doc_id DESC");
    }
    sql.push_str(" LIMIT ? OFFSET ?");
    let (limit, skip) = (limit as i64, skip.min(i64::MAX as u64) as i64);
    args.push(&limit);
    args.push(&skip);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(args.as_slice(), row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One page of the documents matching `q`, newest issue date first.
pub fn page(
    conn: &Connection,
    cache: &mut BrowseCache,
    q: &BrowseQuery,
    offset: u64,
    limit: u64,
) -> Result<Page> {
    let query = Query::new(conn, q)?;
    let entry = cache.entry(conn, &query.cached())?;
    let total = query.count(conn, q, entry)?;
    let limit = limit.min(MAX_PAGE);
    if offset >= total || limit == 0 {
        return Ok(Page {
            total,
            offset,
            rows: Vec::new(),
        });
    }
    // Where to start: the top for the first page, else the nearest anchor before `offset`.
    let (from, skip, dated) = if offset == 0 {
        (None, 0, None)
    } else {
        if entry.anchors.is_none() {
            entry.anchors = Some(build_anchors(conn, &query)?);
        }
        let anchors = entry.anchors.as_ref().expect("just built");
        match anchors.before(offset) {
            Some((key, skip)) => (Some(key.clone()), skip, Some(anchors.dated)),
            None => (None, offset, Some(anchors.dated)),
        }
    };
    let mut rows = Vec::new();
    if from.as_ref().is_none_or(|k| k.date.is_some()) {
        rows = seek(conn, &query, true, from.as_ref(), skip, limit)?;
    }
    if (rows.len() as u64) < limit {
        // On into the rows without a date: from their first row, or from the anchor when the
        // page starts there.
        let (from, skip) = match &from {
            Some(k) if k.date.is_none() => (Some(k), skip),
            _ if rows.is_empty() => (None, offset.saturating_sub(dated.unwrap_or(0))),
            _ => (None, 0),
        };
        let more = seek(conn, &query, false, from, skip, limit - rows.len() as u64)?;
        rows.extend(more);
    }
    Ok(Page {
        total,
        offset,
        rows,
    })
}

/// The rows of these documents, in the order given (unknown ids are left out).
pub fn rows(conn: &Connection, ids: &[String]) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare(&format!("{COLUMNS}{FROM} WHERE f.doc_id = ?"))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = stmt.query_map([id], row)?.next() {
            out.push(row?);
        }
    }
    Ok(out)
}

/// An exact decimal string for a count of ten-thousandths, with at least two decimals.
pub fn format_e4(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (int, frac) = (a / 10_000, a % 10_000);
    let mut frac = format!("{frac:04}");
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{sign}{int}.{frac}")
}

/// The count and per-currency totals of every document matching `q`.
pub fn totals(conn: &Connection, cache: &mut BrowseCache, q: &BrowseQuery) -> Result<Totals> {
    let query = Query::new(conn, q)?;
    let entry = cache.entry(conn, &query.cached())?;
    let count = query.count(conn, q, entry)?;
    let sums = match &entry.sums {
        Some(sums) => sums.clone(),
        None => entry
            .sums
            .insert(sums(conn, &query.where_, &query.args)?)
            .clone(),
    };
    Ok(Totals {
        count,
        by_currency: sums.into_totals(),
    })
}

/// The per-currency sums of the documents matching a selection.
fn sums(conn: &Connection, where_: &str, args: &[Box<dyn ToSql>]) -> Result<CurrencySums> {
    let mut sums = CurrencySums::default();
    let credit_notes = crate::records::fields::credit_note_sql_list();
    // Summed by SQLite per currency and kind; a sum past i64 (922 billion in ten-thousandths)
    // is an error there, and then the rows are summed here in i128 instead.
    let grouped = format!(
        "SELECT COALESCE(f.currency, ''), COUNT(*),
                SUM(CASE WHEN COALESCE(f.type_code, '') IN ({credit_notes})
                         THEN -abs(f.total_e4) ELSE f.total_e4 END)
         FROM doc_fields f{where_} AND f.total_e4 IS NOT NULL GROUP BY 1"
    );
    let summed: rusqlite::Result<Vec<(String, i64, i64)>> =
        conn.prepare(&grouped).and_then(|mut stmt| {
            stmt.query_map(params(args).as_slice(), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect()
        });
    match summed {
        Ok(rows) => {
            for (currency, n, sum) in rows {
                sums.add_sum(&currency, i128::from(sum), n.max(0) as u64);
            }
        }
        Err(_) => {
            let sql = format!(
                "SELECT COALESCE(f.currency, ''), f.total_e4,
                        COALESCE(f.type_code, '') IN ({credit_notes})
                 FROM doc_fields f{where_} AND f.total_e4 IS NOT NULL"
            );
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query(params(args).as_slice())?;
            while let Some(r) = rows.next()? {
                sums.add(&r.get::<_, String>(0)?, r.get(1)?, r.get(2)?);
            }
        }
    }
    Ok(sums)
}

impl crate::Vault {
    /// One page of the documents table (see the module documentation).
    pub fn browse(&self, q: &BrowseQuery, offset: u64, limit: u64) -> Result<Page> {
        page(
            self.index.conn(),
            &mut self.browse_cache(),
            q,
            offset,
            limit,
        )
    }

    /// The table rows of these documents, in the order given.
    pub fn browse_rows(&self, ids: &[String]) -> Result<Vec<Row>> {
        rows(self.index.conn(), ids)
    }

    /// The count and totals of the documents matching `q`.
    pub fn browse_totals(&self, q: &BrowseQuery) -> Result<Totals> {
        totals(self.index.conn(), &mut self.browse_cache(), q)
    }

    fn browse_cache(&self) -> std::sync::MutexGuard<'_, BrowseCache> {
        // The cache holds no invariant a panicking holder could break halfway: figures are
        // written whole, or not at all.
        self.browse_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::format_e4;

    #[test]
    fn e4_amounts_are_exact_decimals() {
        assert_eq!(format_e4(12_345_600), "1234.56");
        assert_eq!(format_e4(-5_000), "-0.50");
        assert_eq!(format_e4(1), "0.0001");
        assert_eq!(format_e4(0), "0.00");
        assert_eq!(format_e4(i128::from(i64::MAX) * 3), "2767011611056432.7421");
    }
}
