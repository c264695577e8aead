//! What the bundle tests (`bundle_create`, `bundle_password`, `bundle_verify`) share: a vault
//! with three fixture documents, a consent, a request, a bundle's entries.

// Each test file uses only some of these.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use coffre_core::sharing::bundle::{BundleRequest, BundleSummary, ExpectedSigner};
use coffre_core::sharing::consent::Grant;
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

/// A vault holding three documents (a UBL invoice, a CII credit note, a PDF) and where it is.
pub struct Setup {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub vault: Vault,
    pub ubl: String,
    pub cii: String,
    pub pdf: String,
}

pub fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    coffre_core::records::worker::configure(coffre_core::records::worker::Isolation::InProcess);
    let (mut vault, _) =
        Vault::create(&dir, &Passphrase::new("bundle test pass".into()), &opts).unwrap();
    let mut import = |name: &str| {
        vault
            .import_file(&fixture(name), None)
            .unwrap()
            .document()
            .id
            .clone()
    };
    let ubl = import("ubl-invoice-eur.xml");
    let cii = import("cii-creditnote-usd.xml");
    let pdf = import("ghostscript-invoice-fr.pdf");
    Setup {
        tmp,
        dir,
        vault,
        ubl,
        cii,
        pdf,
    }
}

/// Grants `party` a consent for bookkeeping over the period given (open ends when `None`).
pub fn grant(v: &mut Vault, party: &str, from: Option<&str>, to: Option<&str>) -> i64 {
    v.consent_grant(&Grant {
        party: party.into(),
        purpose: "bookkeeping".into(),
        from: from.map(Into::into),
        to: to.map(Into::into),
        categories: Vec::new(),
        evidence: Some("engagement letter".into()),
    })
    .unwrap()
    .id
}

/// A bundle request for bookkeeping, every category, no password.
pub fn request(recipient: &str, period: &str, out: &Path) -> BundleRequest {
    BundleRequest {
        recipient: recipient.into(),
        purpose: Some("bookkeeping".into()),
        period: period.into(),
        categories: Vec::new(),
        since_last: false,
        password: None,
        decimal_comma: false,
        preset: Default::default(),
        out: out.to_path_buf(),
    }
}

/// The vault's own key, as the app and the CLI expect it.
pub fn by(public_key: &[u8]) -> ExpectedSigner {
    ExpectedSigner::PublicKey(public_key.to_vec())
}

pub fn create(v: &mut Vault, req: &BundleRequest) -> coffre_core::Result<BundleSummary> {
    v.bundle_create(req, &mut |_| {})
}

/// Every entry of the ZIP at `path` (decrypted with `password`): (name, content).
pub fn entries(path: &Path, password: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = match password {
                Some(p) => zip.by_index_decrypt(i, p.as_bytes()).unwrap(),
                None => zip.by_index(i).unwrap(),
            };
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            (f.name().unwrap().into_owned(), buf)
        })
        .collect()
}

/// The content of the entry named `name`.
pub fn entry<'a>(all: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &all.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

/// Fails if a `.part` file was left in `dir`.
pub fn no_part_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".part"), "left behind: {name}");
    }
}
