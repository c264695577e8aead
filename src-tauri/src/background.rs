//! What the app does on its own while it runs: lock an idle vault, fetch mail, back up on
//! schedule. Each is a thread that wakes up, looks at the state, and acts only on the vault
//! of the session open at that moment.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::session::{AppState, lock};
use crate::texts::{Text, text};

/// Checks for inactivity every 15 s and locks the vault, telling the window with `locked`.
pub fn start_auto_lock(app: AppHandle) {
    let spawned = std::thread::Builder::new()
        .name("auto-lock".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(15));
                let state = app.state::<AppState>();
                if state.lock_if_idle() {
                    let _ = app.emit("locked", ());
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("coffre: auto-lock thread not started: {e}");
    }
}

/// Fetches the mail accounts while the vault is unlocked: each account whose last fetch is
/// older than `mail.fetch-every-minutes` (0: never), checked every minute. A failed fetch is
/// kept with the account (Settings shows it) and tried again at the next period.
pub fn start_mail_schedule(app: AppHandle) {
    let spawned = std::thread::Builder::new()
        .name("mail-schedule".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(60));
                let state = app.state::<AppState>();
                let Ok(vault) = state.vault() else { continue };
                let due = {
                    let v = lock(&vault);
                    let every = v.settings().map_or(0, |s| s.mail_fetch_every_minutes);
                    if every == 0 {
                        continue;
                    }
                    let accounts = v.mail_accounts().unwrap_or_default();
                    coffre_core::vault::mailbox::due(
                        &accounts,
                        every,
                        &coffre_core::storage::audit::now_rfc3339(),
                    )
                };
                drop(vault);
                for name in due {
                    // Locked since (or unlocked again): that session's vault, or none.
                    let Ok(vault) = state.vault() else { break };
                    if let Err(e) = crate::commands::mail::fetch_and_tell(&app, &vault, &name) {
                        eprintln!("coffre: fetching mail account {name}: {e}");
                    }
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("coffre: mail schedule not started: {e}");
    }
}

/// What a scheduled backup did, for the window (`backup-run`).
#[derive(Clone, Serialize)]
struct BackupRun {
    ok: bool,
    generation: Option<String>,
    error: Option<String>,
}

/// An OS notification; where none can be shown (no notification service), nothing happens.
pub fn notify(app: &AppHandle, title: &str, body: &str) {
    let _ = app.notification().builder().title(title).body(body).show();
}

/// Backs up on the vault's schedule (`backup-schedule`) while it is unlocked: every 10 s, if the
/// backup status says one is due (a folder is known and none was made since the schedule's
/// latest occurrence, so a time missed while locked or off runs at the next unlock), one backup
/// to the folder of the last one; tried once per occurrence. Success and failure are notified
/// and sent to the window (`backup-run`), a failure recorded in the vault (the status then says
/// the backup was missed); a backup due for more than an hour (`missed`) is notified once per
/// occurrence.
pub fn start_backup_schedule(app: AppHandle) {
    let spawned = std::thread::Builder::new()
        .name("backup-schedule".into())
        .spawn(move || {
            // The occurrence last tried and last warned about, told apart by the next one.
            let mut tried: Option<Option<String>> = None;
            let mut warned: Option<Option<String>> = None;
            loop {
                std::thread::sleep(Duration::from_secs(10));
                let state = app.state::<AppState>();
                let Ok(vault) = state.vault() else { continue };
                let Ok(status) = lock(&vault).backup_status() else {
                    continue;
                };
                let period = Some(status.next_at.clone());
                if !status.due {
                    continue;
                }
                if tried == period {
                    if status.missed && warned != period {
                        warned = period;
                        notify(&app, "Coffre", text(Text::BackupOverdue));
                    }
                    continue;
                }
                tried = period;
                let Some(folder) = status.folder else {
                    continue;
                };
                // An unplugged disk leaves an empty mount point: never back up into it.
                let result = if Path::new(&folder).is_dir() {
                    lock(&vault).backup_create(
                        Path::new(&folder),
                        &coffre_core::backup::Rotation::default(),
                    )
                } else {
                    Err(coffre_core::Error::from(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("the backup folder {folder} is not available"),
                    )))
                };
                let run = match result {
                    Ok(summary) => {
                        notify(&app, "Coffre", text(Text::BackupDone));
                        BackupRun {
                            ok: true,
                            generation: Some(summary.generation),
                            error: None,
                        }
                    }
                    Err(e) => {
                        let reason = e.to_string();
                        // Recorded: the status (Settings, the banner) says it was missed.
                        if let Err(e) = lock(&vault).backup_failed(&reason) {
                            eprintln!("coffre: recording a failed backup: {e}");
                        }
                        notify(&app, text(Text::BackupFailed), &reason);
                        BackupRun {
                            ok: false,
                            generation: None,
                            error: Some(reason),
                        }
                    }
                };
                let _ = app.emit("backup-run", &run);
            }
        });
    if let Err(e) = spawned {
        eprintln!("coffre: backup schedule not started: {e}");
    }
}
