//! Legal retention and restriction: `retention status|hold|release|dispose`, `restrict`,
//! `unrestrict` and `category` (a document's retention category).

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Ctx;
use crate::args::RetentionCommand;
use crate::output::{outln, print_json, print_json_line};

/// `coffre retention status|hold|release|dispose`.
pub fn retention(ctx: &Ctx, action: RetentionCommand) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    use coffre_core::records::retention::parse_date;
    match action {
        RetentionCommand::Status { json, on } => {
            let on = on.as_deref().map(parse_date).transpose()?;
            let status = vault.retention_status(on)?;
            if json {
                print_json(&status)?;
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "{} rules, fiscal year ending {:02}-{:02}; status on {}",
                status.policy.jurisdiction.as_str(),
                status.policy.fiscal_year_end.0,
                status.policy.fiscal_year_end.1,
                status.today
            );
            let show = |title: &str, rows: &[coffre_core::vault::lifecycle::RetentionRow]| {
                outln!("{title}: {}", rows.len());
                for r in rows {
                    let why = r
                        .hold_reason
                        .as_deref()
                        .or(r.restricted_reason.as_deref())
                        .unwrap_or("");
                    outln!(
                        "  {}  {:<16}  until {}  {}  {why}",
                        r.id,
                        r.category,
                        r.retain_until,
                        r.name
                    );
                }
            };
            show("due for disposal", &status.due);
            show("on legal hold", &status.on_hold);
            show("restricted", &status.restricted);
            outln!("kept until, by year:");
            for (year, n) in &status.by_year {
                outln!("  {year}  {n}");
            }
            outln!("disposed of so far: {}", status.disposed);
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Hold { id, reason } => {
            vault.hold(&id, &reason)?;
            outln!("on hold {id}");
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Release { id } => {
            vault.release(&id)?;
            outln!("released {id}");
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Dispose {
            ids,
            due,
            override_,
            reason,
            json,
        } => {
            if ids.is_empty() && !due {
                bail!("name documents to dispose of, or use --due");
            }
            let override_reason = match (override_, reason.as_deref()) {
                (true, Some(r)) => Some(r),
                (true, None) => bail!("an override needs --reason"),
                (false, Some(_)) => bail!("--reason goes with --override"),
                (false, None) => None,
            };
            let outcomes = vault.dispose(&ids, due, override_reason, None)?;
            for d in &outcomes {
                if json {
                    print_json_line(d)?;
                } else if d.disposed {
                    outln!("disposed {} {}: {}", d.id, d.name, d.reason);
                } else {
                    outln!("refused {} {}: {}", d.id, d.name, d.reason);
                }
            }
            if outcomes.iter().any(|d| !d.disposed) {
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `coffre restrict`: kept, but left out of searches and bundles (GDPR art. 18).
pub fn restrict(ctx: &Ctx, id: &str, reason: &str) -> Result<ExitCode> {
    ctx.open()?.restrict(id, reason)?;
    outln!("restricted {id}");
    Ok(ExitCode::SUCCESS)
}

/// `coffre unrestrict`: lifts a restriction.
pub fn unrestrict(ctx: &Ctx, id: &str) -> Result<ExitCode> {
    ctx.open()?.unrestrict(id)?;
    outln!("unrestricted {id}");
    Ok(ExitCode::SUCCESS)
}

/// `coffre category`: sets a document's retention category.
pub fn category(ctx: &Ctx, id: &str, category: &str) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    vault.set_category(
        id,
        coffre_core::records::retention::Category::parse(category)?,
    )?;
    let r = vault.retention_of(id)?;
    outln!("{} {}: kept until {}", r.id, r.category, r.retain_until);
    Ok(ExitCode::SUCCESS)
}
