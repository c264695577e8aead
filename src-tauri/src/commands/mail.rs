//! Mail accounts: list, add (the connection is tested first), test, fetch now, remove. The
//! periodic fetch is [`crate::session::start_mail_schedule`].

use coffre_core::vault::mailbox::{
    self, After, FetchSummary, MailAccount, MessageOutcome, NewMailAccount, Security,
};
use coffre_mailbox::{FolderInfo, Progress};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use zeroize::Zeroizing;

use super::{Res, blocking, with_vault};
use crate::session::AppState;

/// An account as the Settings form sends it.
#[derive(Deserialize)]
pub struct MailAccountInput {
    name: String,
    host: String,
    port: Option<u16>,
    security: String,
    user: String,
    password: String,
    folder: Option<String>,
    ca_pem: Option<String>,
    after: String,
}

/// One message of a running fetch, for the Settings card's progress.
#[derive(Clone, Serialize)]
pub struct MailEvent<'a> {
    account: &'a str,
    uid: u32,
    status: mailbox::FetchStatus,
    done: u64,
    total: u64,
}

/// Fetches `name`, telling the window of each message (`mail`) and of the end (`mail-fetched`).
pub fn fetch_and_tell(
    app: &AppHandle,
    vault: &std::sync::Mutex<coffre_core::Vault>,
    name: &str,
) -> coffre_core::Result<FetchSummary> {
    let mut tell = |m: &MessageOutcome, p: Progress| {
        let _ = app.emit(
            "mail",
            MailEvent {
                account: name,
                uid: m.uid,
                status: m.status,
                done: p.done,
                total: p.total,
            },
        );
    };
    let result = coffre_mailbox::fetch(vault, name, &mut tell);
    let _ = app.emit("mail-fetched", name);
    result
}

#[tauri::command]
pub async fn mail_accounts(state: State<'_, AppState>) -> Res<Vec<MailAccount>> {
    with_vault(&state, |v| v.mail_accounts()).await
}

#[tauri::command]
pub async fn mail_add(state: State<'_, AppState>, account: MailAccountInput) -> Res<MailAccount> {
    let security = Security::parse(&account.security)?;
    let new = NewMailAccount {
        name: account.name.trim().to_owned(),
        host: account.host,
        port: account.port.unwrap_or(match security {
            Security::Tls => 993,
            _ => 143,
        }),
        security,
        user: account.user,
        password: Zeroizing::new(account.password),
        folder: account
            .folder
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "INBOX".into()),
        ca_pem: account.ca_pem.filter(|p| !p.trim().is_empty()),
        after: After::parse(&account.after)?,
    };
    mailbox::validate(&new)?;
    let new = blocking(move || {
        coffre_mailbox::test(&new.preview(), &new.password)?;
        Ok(new)
    })
    .await?;
    with_vault(&state, move |v| v.mail_add(new)).await
}

#[tauri::command]
pub async fn mail_test(state: State<'_, AppState>, name: String) -> Res<FolderInfo> {
    let (account, password) = with_vault(&state, move |v| {
        Ok((v.mail_account(&name)?, v.mail_password(&name)?))
    })
    .await?;
    blocking(move || Ok(coffre_mailbox::test(&account, &password)?)).await
}

#[tauri::command]
pub async fn mail_fetch(
    state: State<'_, AppState>,
    app: AppHandle,
    name: String,
) -> Res<FetchSummary> {
    let vault = state.vault()?;
    blocking(move || Ok(fetch_and_tell(&app, &vault, &name)?)).await
}

#[tauri::command]
pub async fn mail_remove(state: State<'_, AppState>, name: String) -> Res<()> {
    with_vault(&state, move |v| v.mail_remove(&name)).await
}
