//! The table printed at the end of `cargo xtask bench`: every ratio of the run against its
//! limit, read from the rows the benchmarks appended (see `ratio.rs`).
//!
//! Promises: one line per row, in the order recorded; a ratio up to its limit is "ok", up to
//! 20 % past it "over" (printed, not failing: benchmarks on a shared machine wobble), beyond
//! that "FAIL", and the task then fails. Rows that cannot be read fail the task too.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// How far past its limit a ratio may go before the run fails.
const TOLERANCE: f64 = 1.2;

struct Row {
    metric: String,
    measured: f64,
    unit: String,
    baseline: String,
    baseline_value: f64,
    limit: f64,
}

impl Row {
    fn parse(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.split('\t').collect();
        let [metric, measured, unit, baseline, baseline_value, limit] = f.as_slice() else {
            return None;
        };
        Some(Row {
            metric: (*metric).to_owned(),
            measured: measured.parse().ok()?,
            unit: (*unit).to_owned(),
            baseline: (*baseline).to_owned(),
            baseline_value: baseline_value.parse().ok()?,
            limit: limit.parse().ok()?,
        })
    }

    fn ratio(&self) -> f64 {
        self.measured / self.baseline_value.max(f64::MIN_POSITIVE)
    }

    fn verdict(&self) -> &'static str {
        let r = self.ratio();
        if !r.is_finite() || r > self.limit * TOLERANCE {
            "FAIL"
        } else if r > self.limit {
            "over"
        } else {
            "ok"
        }
    }
}

/// Prints the table of `file` and fails when a row fails.
pub(super) fn print_table(file: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        rows.push(Row::parse(line).with_context(|| format!("bad benchmark row {line:?}"))?);
    }
    if rows.is_empty() {
        println!("\n(no ratio recorded by these benchmarks)");
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|r| r.metric.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let bwidth = rows
        .iter()
        .map(|r| r.baseline.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    println!("\n== benchmark ratios (lower is better; FAIL past the limit by more than 20 %)");
    println!(
        "{:<width$}  {:>12}  {:<bwidth$}  {:>12}  {:>7}  {:>6}  verdict",
        "metric", "measured", "baseline", "baseline", "ratio", "limit"
    );
    for r in &rows {
        println!(
            "{:<width$}  {:>12}  {:<bwidth$}  {:>12}  {:>7.2}  {:>6.2}  {}",
            r.metric,
            format!("{:.2} {}", r.measured, r.unit),
            r.baseline,
            format!("{:.2} {}", r.baseline_value, r.unit),
            r.ratio(),
            r.limit,
            r.verdict()
        );
    }
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.verdict() == "FAIL")
        .map(|r| r.metric.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "benchmarks past their limit by more than 20 %: {}",
            failed.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_allow_twenty_percent_past_the_limit() {
        let row = |measured: f64| Row {
            metric: "m".into(),
            measured,
            unit: "s".into(),
            baseline: "b".into(),
            baseline_value: 1.0,
            limit: 1.3,
        };
        assert_eq!(row(1.3).verdict(), "ok");
        assert_eq!(row(1.5).verdict(), "over");
        assert_eq!(row(1.57).verdict(), "FAIL");
        assert_eq!(row(f64::NAN).verdict(), "FAIL");
    }

    #[test]
    fn rows_read_back_what_record_writes() {
        let r = Row::parse("backup first\t1.5\ts\trestic\t2\t1").unwrap();
        assert_eq!(r.ratio(), 0.75);
        assert!(Row::parse("too\tfew").is_none());
        assert!(Row::parse("m\tx\ts\tb\t1\t1").is_none());
    }
}
