//! The vault itself: `init`, `status`, `passwd`, `rekey`, `recover`, `verify`, `quarantine`,
//! `audit` and `config` (its settings).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use coffre_core::storage::settings::Setting;
use coffre_core::{CreateOptions, KdfParams, Vault};
use serde_json::json;

use super::Ctx;
use crate::args::{AuditCommand, InitArgs, QuarantineCommand, RecoverArgs, RekeyArgs};
use crate::output::{outln, print_json, print_list};
use crate::secrets;

/// `coffre init`: creates the vault and shows its recovery key once.
pub fn init(ctx: &Ctx, args: InitArgs) -> Result<ExitCode> {
    let InitArgs {
        recovery_key_file,
        kdf_memory_mib,
        kdf_iterations,
        json,
    } = args;
    let dir = &ctx.dir;
    let mut kdf = KdfParams::default();
    if let Some(m) = kdf_memory_mib {
        kdf.memory_kib = m.saturating_mul(1024);
    }
    if let Some(t) = kdf_iterations {
        kdf.iterations = t;
    }
    if let Some(f) = &recovery_key_file
        && f.exists()
    {
        bail!("{} exists: will not overwrite it", f.display());
    }
    let pass = secrets::new_passphrase(ctx.pass_file(), &[secrets::ENV_PASSPHRASE])?;
    let (vault, recovery) = Vault::create(dir, &pass, &CreateOptions { kdf })?;
    let shown = recovery.to_display_string();
    if let Some(f) = &recovery_key_file {
        secrets::write_recovery_key(f, &recovery)?;
    }
    if json {
        let key = recovery_key_file.is_none().then(|| shown.as_str());
        outln!(
            "{}",
            json!({ "vault": dir, "vault_id": vault.id(), "recovery_key": key })
        );
    } else {
        outln!("Created vault {} at {}", vault.id(), dir.display());
        match &recovery_key_file {
            Some(f) => outln!("Recovery key written to {}", f.display()),
            None => {
                outln!(
                    "Recovery key (shown once: write it down, keep it away from this \
                     computer):"
                );
                outln!("{}", shown.as_str());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre status`: where the vault is and whether it exists (no passphrase needed).
pub fn status(ctx: &Ctx, json: bool) -> Result<ExitCode> {
    let dir = &ctx.dir;
    let header = ctx.header()?;
    if json {
        outln!(
            "{}",
            json!({
                "vault": dir,
                "exists": header.is_some(),
                "vault_id": header.as_ref().map(|h| h.vault_id),
                "created_at": header.as_ref().map(|h| &h.created_at),
                "kdf": header.as_ref().map(|h| h.kdf.params),
            })
        );
    } else if let Some(h) = header {
        let k = h.kdf.params;
        outln!("vault     {}", dir.display());
        outln!("id        {}", h.vault_id);
        outln!("created   {}", h.created_at);
        outln!(
            "kdf       argon2id, {} MiB, {} passes, {} lane(s)",
            k.memory_kib / 1024,
            k.iterations,
            k.parallelism
        );
    } else {
        outln!(
            "No vault at {} (create one with `coffre init`).",
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre passwd`: changes the passphrase.
pub fn passwd(ctx: &Ctx, new_passphrase_file: Option<&Path>) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    let new = secrets::new_passphrase(new_passphrase_file, &[secrets::ENV_NEW_PASSPHRASE])?;
    vault.change_passphrase(&new)?;
    outln!("Passphrase changed.");
    Ok(ExitCode::SUCCESS)
}

/// `coffre rekey`: rotates the master key (a new passphrase and a new recovery key).
pub fn rekey(ctx: &Ctx, args: RekeyArgs) -> Result<ExitCode> {
    let RekeyArgs {
        new_passphrase_file,
        recovery_key_file,
    } = args;
    if let Some(f) = &recovery_key_file
        && f.exists()
    {
        anyhow::bail!(
            "{} exists: the new recovery key needs a new file",
            f.display()
        );
    }
    let vault = ctx.open()?;
    let new = secrets::new_passphrase(
        new_passphrase_file.as_deref(),
        &[secrets::ENV_NEW_PASSPHRASE],
    )?;
    let (_vault, recovery) = vault.rekey(&new)?;
    match &recovery_key_file {
        Some(f) => {
            secrets::write_recovery_key(f, &recovery)?;
            outln!(
                "Master key rotated. New recovery key written to {}; the old one no \
                 longer works.",
                f.display()
            );
        }
        None => outln!(
            "Master key rotated. New recovery key (shown once: write it down; the old one \
             no longer works):\n{}",
            recovery.to_display_string().as_str()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre recover`: the recovery key and a new passphrase, or an older index accepted.
pub fn recover(ctx: &Ctx, args: RecoverArgs) -> Result<ExitCode> {
    let RecoverArgs {
        recovery_key_file,
        accept_older_index,
        new_passphrase_file,
    } = args;
    let dir = &ctx.dir;
    let pass_file = ctx.pass_file();
    let options = coffre_core::OpenOptions {
        accept_older_index,
        ..Default::default()
    };
    let Some(key_file) = recovery_key_file else {
        let pass = ctx.passphrase()?;
        let vault = Vault::open_with(dir, &pass, &options)?;
        let q = vault.quarantine()?;
        outln!(
            "Vault opened with its index as it is (audited). {} files in quarantine; \
             put the newer index.db back and run `coffre quarantine reattach` to \
             return them.",
            q.blobs.len()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let key = secrets::recovery_key(&key_file)?;
    let mut vault = Vault::open_with_recovery_key_and(dir, &key, &options)?;
    let new = match (new_passphrase_file.as_deref(), pass_file) {
        (Some(f), _) => secrets::new_passphrase(Some(f), &[])?,
        (None, file) if std::env::var_os(secrets::ENV_NEW_PASSPHRASE).is_none() => {
            secrets::new_passphrase(file, &[secrets::ENV_PASSPHRASE])?
        }
        _ => secrets::new_passphrase(None, &[secrets::ENV_NEW_PASSPHRASE])?,
    };
    vault.change_passphrase(&new)?;
    outln!("Vault recovered: the new passphrase is set.");
    Ok(ExitCode::SUCCESS)
}

/// `coffre verify`: decrypts and checks every document and the audit chain.
pub fn verify(ctx: &Ctx, json: bool) -> Result<ExitCode> {
    let report = ctx.open()?.verify()?;
    if json {
        print_json(&report)?;
    } else {
        for f in &report.faults {
            outln!("FAULT {} {}: {}", f.id, f.name, f.reason);
        }
        for f in &report.audit.faults {
            outln!("FAULT audit: {f}");
        }
        if report.is_ok() {
            outln!(
                "ok: {} documents ({} bytes) decrypted and checked; audit chain of {} \
                 entries intact",
                report.documents,
                report.bytes,
                report.audit.entries
            );
        }
        for p in &report.stray {
            outln!(
                "STRAY {}: not a file Coffre writes there (left untouched)",
                p.display()
            );
        }
        let q = &report.quarantine;
        if !q.blobs.is_empty() {
            outln!(
                "QUARANTINE {} encrypted files no index row names, kept aside ({} have \
                 their row again: `coffre quarantine reattach`; the others, left by an \
                 interrupted import or an older index, can be deleted with `coffre \
                 quarantine purge`)",
                q.blobs.len(),
                q.reattachable.len()
            );
        }
    }
    if report.is_ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "coffre: verification failed: {} damaged documents, {} audit faults",
            report.faults.len(),
            report.audit.faults.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `coffre quarantine [list|reattach|purge]`.
pub fn quarantine(ctx: &Ctx, action: Option<QuarantineCommand>, json: bool) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    let (ids, what) = match action.unwrap_or(QuarantineCommand::List) {
        QuarantineCommand::List => {
            let q = vault.quarantine()?;
            if json {
                print_json(&q)?;
            } else {
                for id in &q.blobs {
                    let back = q.reattachable.contains(id);
                    outln!("{id}{}", if back { "  (row back: reattach)" } else { "" });
                }
                if q.blobs.is_empty() {
                    outln!("Quarantine is empty.");
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        QuarantineCommand::Reattach => (vault.reattach_quarantined()?, "reattached"),
        QuarantineCommand::Purge { ids } => (vault.purge_quarantine(&ids)?, "purged"),
    };
    if json {
        outln!("{}", json!({ what: ids }));
    } else {
        outln!("{} files {what}.", ids.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre audit [verify]`: shows the audit trail, or checks it.
pub fn audit(ctx: &Ctx, json: bool, action: Option<AuditCommand>) -> Result<ExitCode> {
    let vault = ctx.open()?;
    match action {
        Some(AuditCommand::Verify) => {
            let report = vault.verify_audit()?;
            for f in &report.faults {
                outln!("FAULT audit: {f}");
            }
            if report.faults.is_empty() {
                outln!("ok: audit chain of {} entries intact", report.entries);
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "coffre: audit chain broken ({} faults)",
                    report.faults.len()
                );
                Ok(ExitCode::FAILURE)
            }
        }
        None => {
            let entries = vault.audit_entries(None)?;
            print_list(&entries, json, "The audit trail is empty.", |e| {
                format!(
                    "{:>6}  {}  {:<24} {}  {}",
                    e.seq,
                    e.at,
                    e.action,
                    e.doc_id.as_deref().unwrap_or("-"),
                    e.detail
                )
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `coffre config [KEY [VALUE]]`: shows or changes a setting (the list and the rules are the
/// core's `storage::settings`).
pub fn config(ctx: &Ctx, key: Option<String>, value: Option<String>) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    match (key, value) {
        (None, _) => {
            let settings = vault.settings()?;
            for setting in Setting::all() {
                let unit = match setting {
                    Setting::RetentionYears(_) => " years",
                    _ => "",
                };
                outln!("{} {}{unit}", setting.name(), settings.text(setting));
            }
        }
        (Some(key), None) => outln!("{}", vault.settings()?.text(Setting::parse(&key)?)),
        (Some(key), Some(value)) => vault.set_setting(Setting::parse(&key)?, &value)?,
    }
    Ok(ExitCode::SUCCESS)
}
