//! The real artefacts the vault-backed targets start from, made once per process in a work
//! folder: a small vault (generated invoices, weakest accepted key derivation), a bundle of it
//! (plain and password-protected) and a backup of it. Made fresh each time rather than
//! committed, so they always follow the current formats.

use std::path::{Path, PathBuf};

use coffre_core::backup::Rotation;
use coffre_core::sharing::bundle::BundleRequest;
use coffre_core::sharing::consent::Grant;
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};

use crate::pdfgen;
use crate::seeds::{MINIMAL_CII, MINIMAL_UBL};

/// The passphrase of every vault made here.
pub const PASSPHRASE: &str = "fuzzing is not a passphrase";
/// The password of the protected bundle.
pub const BUNDLE_PASSWORD: &str = "fuzz-bundle-password";

type Res<T> = Result<T, String>;

fn err(what: &str) -> impl Fn(coffre_core::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// A new empty vault at `dir`.
pub fn empty_vault(dir: &Path) -> Res<Vault> {
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    let (v, _) =
        Vault::create(dir, &Passphrase::new(PASSPHRASE.into()), &opts).map_err(err("vault"))?;
    Ok(v)
}

/// A new vault at `dir` holding three generated invoices (UBL, CII, a plain PDF).
pub fn vault(dir: &Path) -> Res<Vault> {
    let mut v = empty_vault(dir)?;
    let plain = pdfgen::plain_invoice(pdfgen::INVOICE_LINES);
    for (name, bytes) in [
        ("ubl.xml", MINIMAL_UBL.as_bytes()),
        ("cii.xml", MINIMAL_CII.as_bytes()),
        ("plain.pdf", &plain[..]),
    ] {
        v.import_reader(name, bytes, None).map_err(err("import"))?;
    }
    Ok(v)
}

/// Two real bundles (`plain.zip`, `password.zip`) of a new vault, made under `work`.
pub fn bundles(work: &Path) -> Res<Vec<(String, Vec<u8>)>> {
    let mut v = vault(&work.join("bundle-vault"))?;
    v.consent_grant(&Grant {
        party: "Cabinet Comptable".into(),
        purpose: "bookkeeping".into(),
        from: None,
        to: None,
        categories: Vec::new(),
        evidence: Some("fuzzing".into()),
    })
    .map_err(err("consent"))?;
    let mut out = Vec::new();
    for (name, password) in [("plain.zip", None), ("password.zip", Some(BUNDLE_PASSWORD))] {
        let path = work.join(name);
        let req = BundleRequest {
            recipient: "Cabinet Comptable".into(),
            purpose: Some("bookkeeping".into()),
            period: "2000-01-01..2099-12-31".into(),
            categories: Vec::new(),
            since_last: false,
            password: password.map(|p| zeroize::Zeroizing::new(p.to_owned())),
            decimal_comma: false,
            // The fuller preset: the seed bundles carry every index file.
            preset: coffre_core::sharing::bundle::Preset::Ecritures,
            out: path.clone(),
        };
        v.bundle_create(&req, &mut |_| {}).map_err(err("bundle"))?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((name.to_owned(), bytes));
    }
    Ok(out)
}

/// A backup folder (one generation) of a new vault, made at `work/backup`; returns its path.
pub fn backup(work: &Path) -> Res<PathBuf> {
    let mut v = vault(&work.join("backup-vault"))?;
    let dir = work.join("backup");
    v.backup_create(&dir, &Rotation::default())
        .map_err(err("backup"))?;
    Ok(dir)
}

/// The `vault.json` of a new vault made at `work/header-vault`.
pub fn header(work: &Path) -> Res<Vec<u8>> {
    let dir = work.join("header-vault");
    empty_vault(&dir)?.lock();
    let path = dir.join(coffre_core::format::vault_format::HEADER_FILE);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Removes `dir` if present and creates it empty.
pub fn fresh_dir(dir: &Path) -> Res<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}
