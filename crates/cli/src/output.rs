//! Printing shared by the commands: `outln!` (a `println!` that survives a closed pipe), JSON
//! output, one-line-per-item lists and the human form of invoice data.

use anyhow::Result;

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
pub(crate) use outln;

/// Prints `value` as pretty JSON on one `outln!` (the `--json` output of most commands).
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints `value` as compact JSON on a single line (the `--json` output of commands that print
/// one object per item).
pub fn print_json_line<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    outln!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Prints `items` as one JSON array with `--json`, else one line each (or `empty` when there
/// are none).
pub fn print_list<T: serde::Serialize>(
    items: &[T],
    json: bool,
    empty: &str,
    line: impl Fn(&T) -> String,
) -> Result<()> {
    if json {
        print_json(items)?;
    } else if items.is_empty() {
        outln!("{empty}");
    } else {
        for item in items {
            outln!("{}", line(item));
        }
    }
    Ok(())
}

/// The name a value serializes to when it is a string (an enum's kebab-case name, e.g. a
/// document kind or a request status); empty otherwise.
pub fn serde_name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Prints invoice data (an extraction's JSON) as aligned lines, skipping empty values.
pub fn print_fields(data: &serde_json::Value) {
    let get = |path: &str| coffre_core::records::fields::get(data, path);
    if let Some(f) = get("format") {
        let profile = get("profile")
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        outln!("format       {f}{profile}");
    }
    if let Some(ocr) = data["ocr"].as_object() {
        let pages = ocr["pages"].as_array().map_or(0, Vec::len);
        let turned: Vec<String> = ocr["pages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["rotation"].as_u64().is_some_and(|r| r != 0))
            .map(|p| format!("page {} turned {}°", p["page"], p["rotation"]))
            .collect();
        outln!(
            "ocr          {} ({}), {pages} of {} pages read, mean confidence {}{}",
            ocr["engine"].as_str().unwrap_or("?"),
            ocr["languages"].as_str().unwrap_or("?"),
            ocr["pages_total"],
            ocr["mean_confidence"],
            if turned.is_empty() {
                String::new()
            } else {
                format!(", {}", turned.join(", "))
            }
        );
    } else if let Some(why) = data["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str())
        .find(|i| i.starts_with("OCR unavailable"))
    {
        outln!("ocr          not run: {why}");
    }
    if let Some(m) = data["message"].as_object() {
        let text = |k: &str| {
            m.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let list = |k: &str| {
            m.get(k)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        outln!("from         {}", text("from"));
        outln!("to           {}", list("to"));
        outln!("date         {}", text("date"));
        outln!("subject      {}", text("subject"));
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
