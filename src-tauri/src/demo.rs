//! `--demo`: a throw-away vault in the temporary folder, filled with generated sample invoices
//! (UBL, read exactly) and a few real-producer PDFs, with a consent and a GDPR request recorded,
//! so that a newcomer sees a living app in one command. Nothing of it is the owner's data.

use std::path::PathBuf;

use coffre_core::privacy::requests::{NewRequest, RequestType};
use coffre_core::records::sample::{Rng, invoice};
use coffre_core::sharing::consent::Grant;
use coffre_core::{CreateOptions, KdfParams, Passphrase, Vault};

/// The demo vault's passphrase, shown on its unlock screen.
pub const PASSPHRASE: &str = "demo coffre sample vault";

const PDFS: [(&str, &[u8]); 3] = [
    (
        "facture-lo-fr-1.pdf",
        include_bytes!("../../crates/extract/tests/fixtures/real/libreoffice/lo-fr-1.pdf"),
    ),
    (
        "invoice-lo-en-2.pdf",
        include_bytes!("../../crates/extract/tests/fixtures/real/libreoffice/lo-en-2.pdf"),
    ),
    (
        "rechnung-chr-de-3.pdf",
        include_bytes!("../../crates/extract/tests/fixtures/real/chromium/chr-de-3.pdf"),
    ),
];

/// Creates and fills a demo vault with `count` generated invoices; returns its folder and the
/// unlocked vault.
pub fn create(count: u64) -> coffre_core::Result<(PathBuf, Vault)> {
    let dir = std::env::temp_dir().join(format!("coffre-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    let (mut vault, _recovery) =
        Vault::create(&dir, &Passphrase::new(PASSPHRASE.into()), &options)?;
    let this_year = u64::from(
        coffre_core::records::retention::today()
            .year()
            .unsigned_abs(),
    );
    let mut rng = Rng(0x5EED_C0FF_EE00_0001);
    for i in 0..count {
        let (number, xml) = invoice(i, this_year - 2..this_year, &mut rng);
        vault.import_reader(&format!("{number}.xml"), xml.as_bytes(), None)?;
    }
    for (name, bytes) in PDFS {
        vault.import_reader(name, bytes, None)?;
    }
    vault.consent_grant(&Grant {
        party: "Cabinet Martin Expertise".into(),
        purpose: "bookkeeping".into(),
        from: None,
        to: None,
        categories: Vec::new(),
        evidence: Some("engagement letter (demo)".into()),
    })?;
    vault.request_new(&NewRequest {
        subject: "Jeanne Dupont".into(),
        email: Some("jeanne.dupont@example.org".into()),
        vat_id: None,
        siren: None,
        kind: RequestType::Access,
        received: None,
    })?;
    Ok((dir, vault))
}
