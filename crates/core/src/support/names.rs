//! File names that are safe on Windows, macOS and Linux, for everything Coffre writes for others
//! (bundles, a data subject's export).
//!
//! Promises: [`portable_name`] never returns an empty name, a reserved device name (`CON`,
//! `COM1`...), a name ending with a dot or a space, a folder separator, a character Windows
//! reserves, a control character, or more than 120 characters (240 bytes); it writes NFC and
//! never cuts before a combining mark. [`unique_name`] compares case-insensitively.

use std::collections::HashSet;

/// Longest file name written under `documents/`, in characters.
pub const MAX_NAME_CHARS: usize = 120;

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// One part of a file name: reserved characters, controls, whitespace and `_` become `-`,
/// repeated `-` collapse, and leading or trailing `-`, `.` and spaces go.
pub fn clean_part(s: &str) -> String {
    clean(s, false)
}

/// [`clean_part`], keeping `_` when `underscores` (the separator of a whole stem).
fn clean(s: &str, underscores: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '_' if underscores => '_',
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' | '_' => '-',
            c if c.is_control() || c.is_whitespace() => '-',
            c => c,
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['-', '.', ' ']).to_owned()
}

fn is_reserved(stem: &str) -> bool {
    let base = stem
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (base.len() == 4
            && (base.starts_with("COM") || base.starts_with("LPT"))
            && matches!(base.as_bytes()[3], b'1'..=b'9'))
}

/// A file name safe on Windows, macOS and Linux: `stem.ext`, at most 120 characters (and 240
/// bytes), never a reserved device name, never ending with a dot or a space.
pub fn portable_name(stem: &str, ext: &str) -> String {
    let ext: String = ext
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect::<String>()
        .to_ascii_lowercase();
    // NFC first: macOS writes decomposed names, Windows and Linux composed ones; one form
    // everywhere keeps "é" one character and names comparable.
    let stem: String = unicode_normalization::UnicodeNormalization::nfc(stem).collect();
    let mut stem = clean(&stem, true);
    if stem.is_empty() {
        stem = "document".into();
    }
    if is_reserved(&stem) {
        stem.insert(0, '-');
    }
    let room_chars = MAX_NAME_CHARS.saturating_sub(ext.len() + 1);
    let room_bytes = 240usize.saturating_sub(ext.len() + 1);
    if stem.chars().count() > room_chars || stem.len() > room_bytes {
        let mut cut = String::new();
        for c in stem.chars() {
            if cut.chars().count() + 1 > room_chars || cut.len() + c.len_utf8() > room_bytes {
                break;
            }
            cut.push(c);
        }
        // A cut just before a combining mark would leave it dangling on the next part: drop the
        // base character too, then any trailing separator.
        while stem[cut.len()..].starts_with(is_combining) && !cut.is_empty() {
            cut.pop();
        }
        stem = cut.trim_end_matches(['-', '.', ' ']).to_owned();
        if stem.is_empty() {
            stem = "document".into();
        }
    }
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// Makes `name` unique among `used` (compared case-insensitively, as on Windows and macOS) by
/// appending `-2`, `-3`, ... before the extension.
pub fn unique_name(name: String, used: &mut HashSet<String>) -> String {
    if used.insert(name.to_lowercase()) {
        return name;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s.to_owned(), format!(".{e}")),
        None => (name.clone(), String::new()),
    };
    for n in 2.. {
        let suffix = format!("-{n}");
        let mut s = stem.clone();
        while s.chars().count() + suffix.len() + ext.len() > MAX_NAME_CHARS {
            s.pop();
        }
        let candidate = format!("{s}{suffix}{ext}");
        if used.insert(candidate.to_lowercase()) {
            return candidate;
        }
    }
    unreachable!("an unbounded counter always finds a free name")
}

/// [`portable_name`] of a whole file name: the part after its last dot is the extension.
pub fn portable_file_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => portable_name(stem, ext),
        _ => portable_name(name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_names_are_made_portable() {
        assert_eq!(portable_file_name("CON.pdf"), "-CON.pdf");
        assert_eq!(portable_file_name("a/b:c?.PDF"), "a-b-c.pdf");
        assert_eq!(portable_file_name("...."), "document");
        assert_eq!(portable_file_name(".hidden"), "hidden");
        assert!(portable_file_name(&"x".repeat(500)).chars().count() <= MAX_NAME_CHARS);
    }

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
}
