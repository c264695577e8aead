//! What each target checks beyond "no panic" (see [`crate::targets`]): each function runs one
//! input and panics on a finding.

use std::path::{Path, PathBuf};

use coffre_core::format::vault_format::{HEADER_FILE, VaultHeader};
use coffre_core::{RecoveryKey, SearchQuery, Vault};
use coffre_extract::Extraction;

/// An e-mail message: its extraction as any document's, and its parts within the bounds of
/// untrusted input (count, each part's size, names of one path component per container, no
/// `..` component).
pub fn mail(input: &[u8], limits: &coffre_extract::Limits) {
    check_extraction(&coffre_extract::extract(input, Some("message.eml"), limits));
    let parts = coffre_extract::message_parts(input, Some("message.eml"), limits);
    assert!(
        parts.len() <= coffre_extract::mail::MAX_PARTS,
        "{} parts",
        parts.len()
    );
    for p in &parts {
        assert!(
            p.bytes.len() <= limits.max_input_bytes,
            "{}: too large",
            p.name
        );
        let components: Vec<&str> = p.name.split('/').collect();
        assert!(
            components.len() <= coffre_extract::mail::MAX_DEPTH + 1
                && components
                    .iter()
                    .all(|c| !c.is_empty() && *c != ".." && !c.contains('\\')),
            "part name {:?}",
            p.name
        );
    }
}

/// What the vault does with an extraction: its JSON, search text and amounts.
pub fn check_extraction(e: &Extraction) {
    let json = e.to_json();
    let value: serde_json::Value =
        serde_json::from_str(&json).expect("the extraction's JSON parses");
    let _ = coffre_core::records::fields::search_text(&value);
    for (name, v) in e.field_values() {
        if let Some(v) = v
            && (name.starts_with("total") || name == "amount_due")
        {
            let _ = coffre_core::records::fields::scaled_e4(v);
        }
    }
}

/// `recovery-key`: an accepted key prints and parses back to itself.
pub fn recovery_key(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Ok(k) = RecoveryKey::parse(&text) {
        let shown = k.to_display_string();
        let again = RecoveryKey::parse(&shown).expect("a printed recovery key parses");
        assert!(
            again.key().dangerously_expose() == k.key().dangerously_expose(),
            "a recovery key does not parse back to itself"
        );
    }
}

/// `header`: `vault.json` read from `dir` after writing `input` there; an accepted header
/// decodes its fields (or fails cleanly) and its own serialisation is accepted again.
pub fn header(dir: &Path, input: &[u8]) {
    let path = dir.join(HEADER_FILE);
    std::fs::write(&path, input).expect("write vault.json");
    let Ok(h) = VaultHeader::read(dir) else {
        return;
    };
    let _ = h.salt();
    let _ = h.decode(&h.passphrase_wrap);
    let _ = h.decode(&h.recovery_wrap);
    let _ = h.wrap_aad(coffre_core::format::vault_format::labels::WRAP_PASSPHRASE);
    std::fs::write(&path, h.to_json()).expect("write vault.json");
    if let Err(e) = VaultHeader::read(dir) {
        panic!("an accepted header is refused once re-serialised: {e}");
    }
}

/// One file of the backup: its role, whether a signature covers it, its path, its bytes.
pub type BackupFile = (&'static str, bool, PathBuf, Vec<u8>);

/// `bundle`: `bundle_verify` of `zip` without and with the password; it promises `Err` only
/// for a file it cannot open.
pub fn bundle(path: &Path, zip: &[u8]) {
    std::fs::write(path, zip).expect("write the bundle");
    for password in [None, Some(crate::setup::BUNDLE_PASSWORD)] {
        if let Err(e) = coffre_core::sharing::bundle::bundle_verify(path, password, None) {
            panic!("bundle_verify returned Err for a readable file (it promises a report): {e}");
        }
    }
}

/// `backup`: one file of the backup at `dir` replaced (input: its role, a newline, its bytes;
/// the files replaced last time are restored first); an altered signed file never verifies.
/// The role `manifest.json+sign` replaces the manifest and signs it with the fuzzer's key,
/// which the backup names ([`crate::hostile`]).
pub fn backup(dir: &Path, files: &[BackupFile], dirty: &mut Vec<usize>, input: &[u8]) {
    for i in dirty.drain(..) {
        std::fs::write(&files[i].2, &files[i].3).expect("restore the backup file");
    }
    let Some(nl) = input.iter().take(64).position(|&b| b == b'\n') else {
        return;
    };
    let (role, payload) = (&input[..nl], &input[nl + 1..]);
    let Some(i) = files.iter().position(|f| f.0.as_bytes() == role) else {
        return;
    };
    dirty.push(i);
    std::fs::write(&files[i].2, payload).expect("write the backup file");
    if files[i].0.ends_with("+sign")
        && let Some(s) = files.iter().position(|f| f.0 == "manifest.sig")
    {
        dirty.push(s);
        std::fs::write(&files[s].2, crate::hostile::sign(payload)).expect("write the signature");
    }
    if let Ok(report) = coffre_core::backup::backup_verify(dir)
        && report.is_ok()
        && files[i].1
        && payload != files[i].3
    {
        panic!("backup_verify accepts an altered {}", files[i].0);
    }
}

/// `search-query`: one field per line (text, from, to, supplier, min, max, kind, period).
pub fn search(vault: &Vault, input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let mut lines = text.split('\n');
    let mut field = || lines.next().filter(|s| !s.is_empty()).map(str::to_owned);
    let words = field().unwrap_or_default();
    if let Some(expr) = coffre_core::vault::search::match_expression(&words) {
        assert!(!expr.is_empty(), "empty FTS expression for {words:?}");
    }
    let plain = SearchQuery {
        text: words.clone(),
        limit: Some(5),
        ..SearchQuery::default()
    };
    if let Err(e) = vault.search(&plain) {
        panic!("search refused a text (it promises none is a syntax error): {e}; text {words:?}");
    }
    let filtered = SearchQuery {
        text: words,
        from: field(),
        to: field(),
        supplier: field(),
        min: field(),
        max: field(),
        kind: field(),
        limit: Some(5),
        include_restricted: true,
    };
    let _ = vault.search(&filtered);
    if let Some(period) = field() {
        let _ = coffre_core::sharing::bundle::parse_period(&period);
    }
}
