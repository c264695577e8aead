//! The one CSV writer of the core, used by every `.csv` file Coffre writes (the export's
//! `documents.csv`, a bundle's `index.csv`).
//!
//! Format: UTF-8 with a byte-order mark (so spreadsheets pick UTF-8), `;`-separated (French and
//! German spreadsheets read it without an import dialog), RFC 4180 quoting by the `csv` crate (a
//! cell holding `;`, `"`, CR or LF is quoted, quotes doubled), CRLF line ends.
//!
//! Promise (OWASP "CSV injection"): no cell reaches a spreadsheet as a formula. A cell starting
//! with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'`, which spreadsheets show as text; the
//! only exception is a [`Cell::Number`] that is a plain decimal number (`-12.50`, `1234,56`),
//! which stays a number. A "number" that is anything else is defused like text. Values come
//! from third parties (file names, invoice numbers, seller names, a currency read from XML), so
//! the rule is applied here, once, whatever the column.

/// One cell of a row: how it is meant to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// Text: defused when a spreadsheet would run it.
    Text(&'a str),
    /// A number: written as is when it is a plain decimal number, else treated as text.
    Number(&'a str),
}

/// A plain decimal number: an optional `-`, digits, and optionally one `.` or `,` followed by
/// digits. Nothing a spreadsheet could evaluate beyond the number itself.
pub fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once(['.', ',']) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// The text of a cell, defused (see the module documentation); quoting is the writer's.
pub fn cell(c: Cell<'_>) -> String {
    let v = match c {
        Cell::Number(n) if is_plain_number(n) => return n.to_owned(),
        Cell::Number(v) | Cell::Text(v) => v,
    };
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

/// A CSV file being built in memory: the byte-order mark and the header first, then rows.
pub struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    /// A table with this header row.
    pub fn new(header: &[&str]) -> Table {
        let mut t = Table {
            writer: csv::WriterBuilder::new()
                .delimiter(b';')
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer("\u{feff}".as_bytes().to_vec()),
        };
        t.row(header.iter().map(|h| Cell::Text(h)));
        t
    }

    /// Appends one row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        let record: Vec<String> = cells.into_iter().map(cell).collect();
        self.writer
            .write_record(&record)
            .expect("writing to memory cannot fail");
    }

    /// The file's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.writer
            .into_inner()
            .expect("writing to memory cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        let mut t = Table::new(&["a", "b"]);
        t.row([
            Cell::Text("plain"),
            Cell::Text("a;b"),
            Cell::Text("say \"hi\""),
            Cell::Text("two\nlines"),
            Cell::Text(" padded"),
            Cell::Text(""),
        ]);
        assert_eq!(
            String::from_utf8(t.into_bytes()).unwrap(),
            "\u{feff}a;b\r\nplain;\"a;b\";\"say \"\"hi\"\"\";\"two\nlines\"; padded;\r\n"
        );
    }

    #[test]
    fn formulas_are_defused_numbers_are_kept() {
        for (raw, written) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+33 1 23", "'+33 1 23"),
            ("-2+3", "'-2+3"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\r=x", "'\r=x"),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("=1;2", "'=1;2"),
        ] {
            assert_eq!(cell(Cell::Text(raw)), written, "{raw:?}");
            assert_eq!(cell(Cell::Number(raw)), written, "{raw:?} as a number");
        }
        for n in ["-12.50", "1234,56", "0", "-7", "12.5"] {
            assert_eq!(cell(Cell::Number(n)), n);
        }
        assert_eq!(
            cell(Cell::Text("-12.50")),
            "'-12.50",
            "text is always defused"
        );
        let mut t = Table::new(&["f"]);
        t.row([Cell::Text("=1;2")]);
        assert_eq!(
            String::from_utf8(t.into_bytes()).unwrap(),
            "\u{feff}f\r\n\"'=1;2\"\r\n",
            "defused, then quoted"
        );
        for not in ["", "-", "1.", ".5", "1.2.3", "1e5", "+1", "1 000", "- 1"] {
            assert!(!is_plain_number(not), "{not:?}");
        }
    }
}
