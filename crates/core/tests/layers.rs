//! The core's folders depend one way: a module may name only its own folder and those below
//! it (ARCHITECTURE.md). This test reads every source file (its code before `#[cfg(test)]`,
//! comments left out) and fails on a path that points up.

use std::fs;
use std::path::Path;

/// Bottom first; a folder may use any folder at or before it in this list.
const LAYERS: &[&str] = &[
    "error", "support", "format", "records", "storage", "vault", "privacy", "sharing", "backup",
    "intake",
];

/// Where the crate-root re-exports (lib.rs) come from.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("Error", "error"),
    ("Result", "error"),
    ("Code", "error"),
    ("BackupFault", "error"),
    ("Kind", "error"),
    ("Why", "error"),
    ("AuditEntry", "storage"),
    ("ChainReport", "storage"),
    ("Document", "storage"),
    ("KdfParams", "format"),
    ("Passphrase", "format"),
    ("SecretKey", "format"),
    ("Strength", "format"),
    ("RecoveryKey", "format"),
    ("MediaKind", "records"),
    ("SearchHit", "vault"),
    ("SearchQuery", "vault"),
    ("CreateOptions", "vault"),
    ("DEFAULT_MAX_IMPORT_BYTES", "vault"),
    ("DocumentDetails", "vault"),
    ("DocumentFault", "vault"),
    ("ImportOutcome", "vault"),
    ("OpenOptions", "vault"),
    ("QuarantineReport", "vault"),
    ("Vault", "vault"),
    ("VerifyReport", "vault"),
];

fn rank(layer: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == layer)
        .unwrap_or_else(|| panic!("{layer} is not in LAYERS"))
}

/// The layer a first path segment after `crate::` names.
fn layer_of(segment: &str) -> Option<&'static str> {
    if let Some(l) = LAYERS.iter().find(|l| **l == segment) {
        return Some(l);
    }
    ROOT_NAMES
        .iter()
        .find(|(n, _)| *n == segment)
        .map(|(_, l)| *l)
}

/// The first segments of every `crate::` path in `code` (`crate::{a, b::c}` gives `a`, `b`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `coffre_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut item) = (0usize, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(item);
        } else {
            out.push(rest.to_string());
        }
    }
    out.into_iter()
        .map(|p| {
            p.trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|s| !s.is_empty() && s != "self")
        .collect()
}

/// The code of a file before its tests, comment lines left out.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn visit(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn folders_depend_only_downwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    visit(&src, &mut files);
    let mut violations = Vec::new();
    for (path, text) in &files {
        let relative = path.strip_prefix(&*src.display().to_string()).unwrap();
        let first = relative
            .trim_start_matches('/')
            .split(['/', '.'])
            .next()
            .unwrap();
        if first == "lib" {
            continue;
        }
        let own = rank(first);
        for segment in crate_paths(&code_of(text)) {
            let Some(layer) = layer_of(&segment) else {
                violations.push(format!("{relative}: crate::{segment} is in no known layer"));
                continue;
            };
            if rank(layer) > own {
                violations.push(format!(
                    "{relative} ({first}) uses crate::{segment} ({layer})"
                ));
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "upward dependencies:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_path_reader_sees_groups_and_nested_paths() {
    let code =
        "use crate::{Error, vault::Vault, storage::{index, audit}};\nlet x = crate::backup::run();";
    assert_eq!(
        crate_paths(code),
        ["Error", "vault", "storage", "backup"].map(String::from)
    );
    assert_eq!(
        code_of("a\n// crate::backup\n#[cfg(test)]\nmod tests {crate::intake}"),
        "a"
    );
}
