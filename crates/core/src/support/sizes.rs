//! Sizes written by people: `5000000`, `20MiB`, `50 MB`.
//!
//! Promise: one reading everywhere a size is typed (the CLI's `--max-size`, the
//! `max-import-size` setting in the CLI and the app). Units are binary, as file managers show
//! them on Windows: `K`/`KB`/`KiB` = 1024, `M`/`MB`/`MiB` = 1024², `G`/`GB`/`GiB` = 1024³;
//! no unit or `B` is bytes. Overflow is refused, never wrapped.

use crate::error::{Error, Result, Why};

/// Parses a size into bytes; `field` names the argument or setting in the error.
pub fn parse_size(field: &str, text: &str) -> Result<u64> {
    let bad = || {
        Error::invalid(
            field,
            Why::NotASize {
                value: text.trim().to_owned(),
            },
        )
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_binary_and_overflow_is_refused() {
        assert_eq!(parse_size("s", "5000000").unwrap(), 5_000_000);
        assert_eq!(parse_size("s", " 20MiB ").unwrap(), 20 << 20);
        assert_eq!(parse_size("s", "50 MB").unwrap(), 50 << 20);
        assert_eq!(parse_size("s", "1k").unwrap(), 1024);
        assert_eq!(parse_size("s", "2GiB").unwrap(), 2 << 30);
        for bad in [
            "",
            "MiB",
            "-1",
            "1.5MiB",
            "3 TB",
            "99999999999999999999",
            "18446744073709551615G",
        ] {
            assert!(
                matches!(
                    parse_size("s", bad),
                    Err(Error::Invalid {
                        why: Why::NotASize { .. },
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
