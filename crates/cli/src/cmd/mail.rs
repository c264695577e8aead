//! `coffre mail`: mail accounts to collect invoices from (add, list, test, fetch, remove).

use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result};
use coffre_core::vault::mailbox::{
    After, FetchStatus, MailAccount, MessageOutcome, NewMailAccount, Security,
};
use coffre_mailbox::Progress;
use serde_json::json;

use crate::args::{MailAddArgs, MailCommand};
use crate::cmd::Ctx;
use crate::output::outln;
use crate::output::{print_list, serde_name};
use crate::secrets;

/// `coffre mail ...`.
pub fn mail(ctx: &Ctx, action: MailCommand) -> Result<ExitCode> {
    match action {
        MailCommand::Add(args) => add(ctx, args),
        MailCommand::List { json } => {
            let accounts = ctx.open()?.mail_accounts()?;
            print_list(
                &accounts,
                json,
                "No mail account: add one with `coffre mail add`.",
                describe,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        MailCommand::Test { name } => {
            let vault = ctx.open()?;
            let account = vault.mail_account(&name)?;
            let password = vault.mail_password(&name)?;
            drop(vault);
            let info = coffre_mailbox::test(&account, &password)?;
            outln!(
                "ok: {} holds {} message(s) (UIDVALIDITY {})",
                account.folder,
                info.messages,
                info.uidvalidity
            );
            Ok(ExitCode::SUCCESS)
        }
        MailCommand::Fetch { name, json } => fetch(ctx, name, json),
        MailCommand::Remove { name } => {
            ctx.open()?.mail_remove(&name)?;
            outln!("removed: {name} (its documents stay in the vault)");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn describe(a: &MailAccount) -> String {
    let last = match &a.last_fetch {
        None => "never fetched".to_owned(),
        Some(l) => match &l.error {
            Some(e) => format!("last fetch {}: failed: {e}", l.at),
            None => format!(
                "last fetch {}: {} imported, {} duplicate, {} skipped, {} failed",
                l.at, l.imported, l.duplicate, l.skipped, l.failed
            ),
        },
    };
    format!(
        "{}  {}@{}:{} ({})  {}  after: {}  {}",
        a.name,
        a.user,
        a.host,
        a.port,
        a.security.as_str(),
        a.folder,
        a.after.to_text(),
        last
    )
}

fn add(ctx: &Ctx, args: MailAddArgs) -> Result<ExitCode> {
    let security = Security::parse(&args.security)?;
    let ca_pem = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    let new = NewMailAccount {
        name: args.name,
        host: args.host,
        port: args.port.unwrap_or(match security {
            Security::Tls => 993,
            _ => 143,
        }),
        security,
        user: args.user,
        password: secrets::mail_password(&args.password_file)?,
        folder: args.folder,
        ca_pem,
        after: After::parse(&args.after)?,
    };
    coffre_core::vault::mailbox::validate(&new)?;
    let mut vault = ctx.open()?;
    if !args.no_test {
        let info = coffre_mailbox::test(&new.preview(), &new.password)?;
        outln!(
            "connected: {} holds {} message(s)",
            new.folder,
            info.messages
        );
    }
    let account = vault.mail_add(new)?;
    outln!("added: {}", describe(&account));
    Ok(ExitCode::SUCCESS)
}

fn fetch(ctx: &Ctx, name: Option<String>, json: bool) -> Result<ExitCode> {
    let vault = Mutex::new(ctx.open()?);
    let names = match name {
        Some(n) => vec![n],
        None => coffre_core::intake::session::lock(&vault)
            .mail_accounts()?
            .into_iter()
            .map(|a| a.name)
            .collect(),
    };
    let mut code = ExitCode::SUCCESS;
    let mut error = None;
    for account in &names {
        let mut print = |m: &MessageOutcome, p: Progress| {
            outln!("{}", line(account, m, p, json));
        };
        match coffre_mailbox::fetch(&vault, account, &mut print) {
            Ok(s) => {
                eprintln!(
                    "{account}: {} imported, {} duplicate, {} skipped, {} failed",
                    s.imported, s.duplicate, s.skipped, s.failed
                );
                if s.failed > 0 {
                    code = ExitCode::FAILURE;
                }
            }
            // Other accounts are still fetched; the first error is the command's.
            Err(e) => {
                eprintln!("{account}: {e}");
                error.get_or_insert(e);
            }
        }
    }
    match error {
        Some(e) => Err(e.into()),
        None => Ok(code),
    }
}

/// One `mail fetch` line (or JSON object) for a message.
fn line(account: &str, m: &MessageOutcome, p: Progress, json: bool) -> String {
    let id = m.document.as_ref().map(|d| d.id.as_str());
    if json {
        return json!({
            "account": account, "uid": m.uid, "status": m.status, "id": id,
            "name": m.document.as_ref().map(|d| d.name.as_str()),
            "reason": m.reason, "parts": m.parts, "done": p.done, "total": p.total,
        })
        .to_string();
    }
    let status = serde_name(m.status);
    let shown = format!("[{}/{}]", p.done, p.total);
    match (m.status, &m.document) {
        (FetchStatus::Imported | FetchStatus::Duplicate, Some(doc)) => {
            let kept = m.parts.iter().filter(|p| p.id.is_some()).count();
            let left = m.parts.len() - kept;
            format!(
                "{shown} {status} {} {} ({kept} attachment(s) kept, {left} left out)",
                doc.id, doc.name
            )
        }
        _ => format!(
            "{shown} {status} uid {}: {}",
            m.uid,
            m.reason.as_deref().unwrap_or_default()
        ),
    }
}
