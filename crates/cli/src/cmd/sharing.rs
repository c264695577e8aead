//! Sharing with the accountant and the auditor: `bundle create|verify` (signed ZIPs of
//! documents), `certify` (signed integrity certificates) and `consent grant|withdraw|list` (who
//! may receive them, for what).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use coffre_core::Vault;
use coffre_core::sharing::bundle::ExpectedSigner;
use coffre_core::sharing::certificate::{Lang, certificate_verify};

use super::Ctx;
use crate::args::{BundleCommand, CertifyArgs, ConsentCommand};
use crate::output::{outln, print_json, print_list};
use crate::secrets;

/// `coffre bundle create|verify`: signed ZIPs for the accountant.
pub fn bundle(ctx: &Ctx, action: BundleCommand) -> Result<ExitCode> {
    match action {
        BundleCommand::Verify {
            file,
            password_file,
            expect_key,
            json,
        } => {
            let password = password_file
                .as_deref()
                .map(secrets::bundle_password)
                .transpose()?;
            let expected = match &expect_key {
                Some(fp) => Some(ExpectedSigner::fingerprint(fp)?),
                None => signer_of_vault(ctx, "bundle")?,
            };
            let report = coffre_core::sharing::bundle::bundle_verify(
                &file,
                password.as_deref().map(|p| p.as_str()),
                expected.as_ref(),
            )?;
            if json {
                print_json(&report)?;
            } else {
                for p in &report.problems {
                    outln!(
                        "{} {}: {}",
                        p.kind.to_uppercase(),
                        p.path.as_deref().unwrap_or("-"),
                        p.detail
                    );
                }
                if report.ok {
                    outln!(
                        "ok: signature valid, by the {} key, {} files intact (bundle {}, key {})",
                        if expect_key.is_some() {
                            "expected"
                        } else {
                            "vault's"
                        },
                        report.files_ok,
                        report.bundle_id.as_deref().unwrap_or("?"),
                        report.key_fingerprint.as_deref().unwrap_or("?")
                    );
                } else if expected.is_none() {
                    eprintln!(
                        "coffre: no vault key at hand to check the signer: give the sender's key \
                         fingerprint with --expect-key, or the vault passphrase"
                    );
                }
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        BundleCommand::Create {
            recipient,
            period,
            categories,
            since_last,
            password_file,
            generate_password,
            purpose,
            decimal_comma,
            preset,
            out,
            json,
        } => {
            let preset = coffre_core::sharing::bundle::Preset::parse(&preset)?;
            let password = if generate_password {
                Some(coffre_core::sharing::bundle::generate_password()?)
            } else {
                password_file
                    .as_deref()
                    .map(secrets::bundle_password)
                    .transpose()?
            };
            let request = coffre_core::sharing::bundle::BundleRequest {
                recipient,
                purpose,
                period,
                categories,
                since_last,
                password,
                decimal_comma,
                preset,
                out,
            };
            let mut vault = ctx.open()?;
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(0)
            } else {
                indicatif::ProgressBar::hidden()
            };
            let summary = vault.bundle_create(&request, &mut |p| {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
            })?;
            bar.finish_and_clear();
            // The generated password, shown once, then dropped (zeroized) with the request.
            let shown = generate_password
                .then(|| request.password.as_ref().map(|p| p.as_str()))
                .flatten();
            if json {
                let mut value = serde_json::to_value(&summary)?;
                if let (Some(p), Some(obj)) = (shown, value.as_object_mut()) {
                    obj.insert("password".into(), p.into());
                }
                print_json(&value)?;
            } else {
                if let Some(p) = shown {
                    eprintln!(
                        "Bundle password (shown once: give it to the recipient by another \
                         channel, e.g. by phone):"
                    );
                    eprintln!("{p}");
                }
                outln!(
                    "bundle {} written to {}: {} document(s), {} restricted left out, {} bytes",
                    summary.bundle_id,
                    summary.out.display(),
                    summary.documents,
                    summary.restricted_skipped,
                    summary.bytes
                );
                outln!("signing key fingerprint {}", summary.key_fingerprint);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `coffre consent grant|withdraw|list`: the consent ledger.
pub fn consent(ctx: &Ctx, action: ConsentCommand) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    match action {
        ConsentCommand::Grant {
            party,
            purpose,
            from,
            to,
            categories,
            evidence,
        } => {
            let consent = vault.consent_grant(&coffre_core::sharing::consent::Grant {
                party,
                purpose,
                from,
                to,
                categories,
                evidence,
            })?;
            outln!("consent {} granted", consent.id);
        }
        ConsentCommand::Withdraw { id, note } => {
            vault.consent_withdraw(id, note.as_deref())?;
            outln!("consent {id} withdrawn");
        }
        ConsentCommand::List { json } => {
            let all = vault.consents()?;
            print_list(&all, json, "No consent recorded.", |c| {
                format!(
                    "{:>4}  {:<9}  {}  for {}  issued {}..{}  {}",
                    c.id,
                    if c.active { "active" } else { "withdrawn" },
                    c.party,
                    c.purpose,
                    c.from.as_deref().unwrap_or(""),
                    c.to.as_deref().unwrap_or(""),
                    if c.categories.is_empty() {
                        "all categories".to_owned()
                    } else {
                        c.categories.join(", ")
                    }
                )
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// For `bundle verify` and `certify --verify`: the vault's own signing key, when the vault
/// exists and its passphrase is available (`--passphrase-file`, `$COFFRE_PASSPHRASE`, or a prompt
/// on a terminal); `None` when there is no vault or no passphrase (what is checked is then
/// "signed by an unknown key"). A vault that exists but does not open (wrong passphrase, in
/// use) is an error.
fn signer_of_vault(ctx: &Ctx, what: &str) -> Result<Option<ExpectedSigner>> {
    let dir = &ctx.dir;
    if ctx.header()?.is_none() {
        return Ok(None);
    }
    let pass = match (ctx.pass_file(), ctx.passphrase()) {
        (_, Ok(p)) => p,
        // A passphrase file that cannot be read is an error, not an absence.
        (Some(_), Err(e)) => return Err(e),
        (None, Err(_)) => return Ok(None),
    };
    let vault = Vault::open(dir, &pass).with_context(|| {
        format!(
            "opening the vault at {} to check the {what}'s signer (or give --expect-key)",
            dir.display()
        )
    })?;
    Ok(Some(ExpectedSigner::PublicKey(vault.signing_public_key()?)))
}

/// The certificate's language: `--lang`, else the locale of the environment, else English.
fn certificate_lang(lang: Option<&str>) -> Result<Lang> {
    if let Some(l) = lang {
        return Ok(Lang::parse(l)?);
    }
    let env = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty());
    Ok(env.and_then(|v| Lang::parse(&v).ok()).unwrap_or(Lang::En))
}

/// `coffre certify ID... --out FILE.pdf` or `coffre certify --verify FILE.pdf`.
pub fn certify(ctx: &Ctx, args: CertifyArgs) -> Result<ExitCode> {
    let CertifyArgs {
        ids,
        out,
        lang,
        verify,
        expect_key,
        json,
    } = args;
    if let Some(file) = verify {
        let expected = match &expect_key {
            Some(fp) => Some(ExpectedSigner::fingerprint(fp)?),
            None => signer_of_vault(ctx, "certificate")?,
        };
        let report = certificate_verify(&file, expected.as_ref())?;
        if json {
            print_json(&report)?;
        } else {
            for p in &report.problems {
                outln!("{} {}", p.kind.to_uppercase(), p.detail);
            }
            if report.ok {
                outln!(
                    "ok: signature valid, by the {} key ({}), pages as signed; {} document(s): {}",
                    if expect_key.is_some() {
                        "expected"
                    } else {
                        "vault's"
                    },
                    report.key_fingerprint.as_deref().unwrap_or("?"),
                    report.sha256.len(),
                    report.heading.as_deref().unwrap_or("")
                );
                for sha in &report.sha256 {
                    outln!("  SHA-256 {sha}");
                }
            } else if expected.is_none() {
                eprintln!(
                    "coffre: no vault key at hand to check the signer: give the vault's key \
                     fingerprint with --expect-key, or the vault passphrase"
                );
            }
        }
        return Ok(if report.ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let out = out.context("--out FILE.pdf is required")?;
    let lang = certificate_lang(lang.as_deref())?;
    let mut vault = ctx.open()?;
    let summary = vault.certify_to(&ids, lang, &out)?;
    if json {
        print_json(&summary)?;
    } else {
        outln!(
            "certificate {} written to {} ({} bytes), signed by the vault's key {}",
            summary.certificate_id,
            summary.out.display(),
            summary.bytes,
            summary.key_fingerprint
        );
        for d in &summary.documents {
            outln!("  {}  {}  {}", d.id, d.sha256, d.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
