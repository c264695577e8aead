//! Backups: `backup create|status|list|verify|restore` (encrypted, incremental generations in
//! any folder).

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;
use crate::args::BackupCommand;
use crate::output::{outln, print_json, print_list};

/// `coffre backup create|status|list|verify|restore`; only `create` and `status` open the vault.
pub fn backup(ctx: &Ctx, action: BackupCommand) -> Result<ExitCode> {
    use coffre_core::backup;
    match action {
        BackupCommand::Create {
            to,
            keep_daily,
            keep_weekly,
            keep_monthly,
            json,
        } => {
            let rotation = backup::Rotation {
                daily: keep_daily,
                weekly: keep_weekly,
                monthly: keep_monthly,
                ..backup::Rotation::default()
            };
            let s = ctx.open()?.backup_create(&to, &rotation)?;
            if json {
                print_json(&s)?;
            } else {
                outln!(
                    "generation {}: {} document(s), {} new blob(s) copied ({} bytes), {} old \
                     generation(s) rotated out, {} disposed document(s) removed",
                    s.generation,
                    s.documents,
                    s.blobs_copied,
                    s.bytes_copied,
                    s.generations_removed.len(),
                    s.disposed_removed
                );
            }
        }
        BackupCommand::Status { json } => {
            let st = ctx.open()?.backup_status()?;
            if json {
                print_json(&st)?;
            } else {
                match (&st.last_at, &st.folder) {
                    (Some(at), Some(folder)) => outln!("last backup {at} to {folder}"),
                    _ => outln!("no backup yet: coffre backup create --to DIR"),
                }
                if st.overdue {
                    outln!("a backup is due (more than {} days)", st.warn_after_days);
                }
            }
        }
        BackupCommand::List { dir, json } => {
            let all = backup::backup_list(&dir)?;
            print_list(&all, json, "No generation in that folder.", |g| {
                format!("{}  {} document(s)  {} bytes", g.id, g.documents, g.bytes)
            })?;
        }
        BackupCommand::Verify { dir, json } => {
            let report = backup::backup_verify(&dir)?;
            if json {
                print_json(&report)?;
            } else {
                for p in &report.problems {
                    outln!(
                        "FAULT {} {}: {}",
                        p.generation.as_deref().unwrap_or("-"),
                        p.item,
                        p.reason
                    );
                }
                if report.is_ok() {
                    outln!(
                        "ok: {} generation(s), {} blob(s) intact",
                        report.generations,
                        report.blobs
                    );
                }
            }
            if !report.is_ok() {
                return Ok(ExitCode::FAILURE);
            }
        }
        BackupCommand::Restore {
            dir,
            generation,
            to,
        } => {
            backup::backup_restore(&dir, generation.as_deref(), &to)?;
            outln!(
                "restored into {}; open it with its passphrase or recovery key (--vault {})",
                to.display(),
                to.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
