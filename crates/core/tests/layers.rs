//! The core's folders depend one way: a module may name only its own folder and those below
//! it (ARCHITECTURE.md). This test reads every source file (its code before `#[cfg(test)]`,
//! comments left out) and fails on a path that points up.
//!
//! A second test keeps the `Vault`'s fields inside `vault/`: a file elsewhere that reaches a
//! vault's `index` or `store` fails it (the features use `Vault::conn`, `Vault::raw_setting`,
//! `Vault::blob_path` and `Vault::audited`).

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

/// The `Vault`'s fields that only `vault/` may touch (the others are private to it already).
const VAULT_FIELDS: &[&str] = &["index", "store"];

/// Files outside `vault/` still allowed one field, each with its reason. An exception no longer
/// used fails the test, so that it is removed.
const FIELD_EXCEPTIONS: &[(&str, &str)] = &[];

/// `text` with comments removed and string and character literals emptied (`".index.db"`
/// names no field).
fn without_comments_and_literals(text: &str) -> String {
    let b = text.as_bytes();
    let (mut out, mut i) = (Vec::with_capacity(b.len()), 0);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                out.push(b' ');
                i = end;
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && !(i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    out.push(b[i]);
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let from = i + 2 + hashes;
                let end = text[from..]
                    .find(&close)
                    .map_or(b.len(), |e| from + e + close.len());
                out.extend_from_slice(b"\"\"");
                i = end;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                out.extend_from_slice(b"\"\"");
                i += 1;
            }
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                out.extend_from_slice(b"' '");
                i += 1;
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') => {
                out.extend_from_slice(b"' '");
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `code` with the spaces around `.` removed (`self\n    .index` becomes `self.index`).
fn joined_at_dots(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut pending_space = false;
    for c in code.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && c != '.' && !out.ends_with('.') {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The byte ranges of `impl ... Vault { ... }` blocks, where `self` is a vault.
fn vault_impls(code: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    for (at, _) in code.match_indices("impl") {
        let before = code[..at].chars().next_back();
        let after = code[at + 4..].chars().next();
        if before.is_some_and(is_ident) || !after.is_some_and(|c| c == ' ' || c == '<') {
            continue;
        }
        let Some(open) = code[at..].find('{').map(|o| at + o) else {
            continue;
        };
        let header = &code[at + 4..open];
        let self_type = header.rsplit(" for ").next().unwrap_or(header);
        let self_type = self_type.split('<').next().unwrap_or("").trim();
        if self_type.rsplit("::").next() != Some("Vault") {
            continue;
        }
        let mut depth = 0usize;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        ranges.push((open, open + i));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    ranges
}

/// Names that hold a vault in `code`: any name containing `vault`, names declared with a type
/// naming `Vault` (`v: &mut Vault`), and names bound to an expression naming a vault
/// (`let v = lock(&vault);`).
fn vault_names(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let words = code.split(|c: char| !is_ident(c)).filter(|w| !w.is_empty());
    names.extend(
        words
            .filter(|w| w.to_lowercase().contains("vault") && *w != "Vault")
            .map(String::from),
    );
    for (at, _) in code.match_indices(": ") {
        let name: String = code[..at]
            .chars()
            .rev()
            .take_while(|c| is_ident(*c))
            .collect();
        let ty = code[at + 2..]
            .split([',', ')', '=', ';', '{'])
            .next()
            .unwrap_or("");
        if !name.is_empty() && ty.split(|c: char| !is_ident(c)).any(|w| w == "Vault") {
            names.push(name.chars().rev().collect());
        }
    }
    for (at, _) in code.match_indices("let ") {
        let rest = code[at + 4..].trim_start_matches("mut ");
        let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        let init = rest[name.len()..].trim_start();
        if let Some(init) = init.strip_prefix('=') {
            let init = init.split(';').next().unwrap_or("");
            if !name.is_empty() && init.to_lowercase().contains("vault") {
                names.push(name);
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Where `code` (one file) reaches a vault's field: (field, the access as written).
fn vault_field_uses(text: &str) -> Vec<(String, String)> {
    let code = joined_at_dots(&without_comments_and_literals(text));
    let impls = vault_impls(&code);
    let names = vault_names(&code);
    let mut uses = Vec::new();
    for field in VAULT_FIELDS {
        let access = format!(".{field}");
        for (at, _) in code.match_indices(&access) {
            let next = code[at + access.len()..].chars().next();
            // A longer name (`.indexes`) or a method call (`.store(true, Ordering::SeqCst)`).
            if next.is_some_and(|c| is_ident(c) || c == '(') {
                continue;
            }
            let receiver: String = code[..at]
                .chars()
                .rev()
                .take_while(|c| is_ident(*c))
                .collect();
            let receiver: String = receiver.chars().rev().collect();
            let on_vault = if receiver == "self" {
                impls.iter().any(|(from, to)| (*from..*to).contains(&at))
            } else {
                names.contains(&receiver)
            };
            if on_vault {
                uses.push((field.to_string(), format!("{receiver}{access}")));
            }
        }
    }
    uses
}

#[test]
fn only_the_vault_layer_touches_the_vaults_fields() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    visit(&src, &mut files);
    let mut violations = Vec::new();
    let mut used_exceptions = Vec::new();
    for (path, text) in &files {
        let relative = path
            .strip_prefix(&*src.display().to_string())
            .unwrap()
            .trim_start_matches(['/', '\\'])
            .replace('\\', "/");
        if relative.starts_with("vault/") {
            continue;
        }
        for (field, written) in vault_field_uses(text) {
            let exception = FIELD_EXCEPTIONS
                .iter()
                .find(|(file, f)| *file == relative && *f == field);
            if let Some(exception) = exception {
                used_exceptions.push(exception);
                continue;
            }
            violations.push(format!("{relative}: {written}"));
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "only vault/ may use the Vault's fields (use Vault::conn, raw_setting, blob_path, \
         audited):\n{}",
        violations.join("\n")
    );
    for exception in FIELD_EXCEPTIONS {
        assert!(
            used_exceptions.contains(&exception),
            "{exception:?} no longer uses the field: remove it from FIELD_EXCEPTIONS"
        );
    }
}

#[test]
fn the_field_reader_sees_only_a_vaults_fields() {
    let code = r#"
        impl Vault {
            fn a(&self) { self.index.conn(); let p = self
                .store
                .path_of(id); }
        }
        impl Manifest { fn b(&self) -> u64 { self.index.size } }
        fn c(v: &mut crate::Vault, manifest: &Manifest) {
            v.index.transaction(); manifest.index.size;
            let tmp = ".index.db.tmp"; // vault.store.x
            flag.store(true, Ordering::SeqCst);
        }
        fn d(shared: &Shared) { let guard = lock(&shared.vault); guard.store.list(); }
        /* vault.index.conn() */ let c = '"'; let s = "vault.index";
    "#;
    let found: Vec<String> = vault_field_uses(code).into_iter().map(|(_, w)| w).collect();
    assert_eq!(
        found,
        ["self.index", "v.index", "self.store", "guard.store"].map(String::from)
    );
}
