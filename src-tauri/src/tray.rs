//! The tray icon: Coffre's state at a glance (locked or unlocked, importing, last backup) and
//! Open, Lock, Import, Quit. With "keep in the tray" on, closing the window only hides it.

use std::time::Duration;

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::session::{AppState, lock};
use crate::texts::{Text, text};

/// Shows, un-minimises and focuses the main window.
pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// The state line: locked or unlocked (importing N), and the last backup known.
fn state_line(app: &AppHandle) -> String {
    let state = app.state::<AppState>();
    // Never wait for the vault here (a backup may hold it for minutes), nor hold the session.
    let open = lock(&state.session)
        .as_ref()
        .map(|s| (s.ingest().counts(), s.vault().clone()));
    let mut line = match open {
        None => text(Text::StateLocked).to_owned(),
        Some((c, vault)) => {
            if let Ok(v) = vault.try_lock()
                && let Ok(status) = v.backup_status()
            {
                *lock(&state.last_backup) = status.last_at;
            }
            let busy = c.queued.saturating_sub(c.finished());
            if busy > 0 {
                format!("{} ({busy})", text(Text::StateImporting))
            } else {
                text(Text::StateUnlocked).to_owned()
            }
        }
    };
    let last = lock(&state.last_backup).clone();
    line.push_str(" · ");
    match last {
        Some(at) => {
            line.push_str(text(Text::LastBackup));
            line.push(' ');
            line.push_str(at.get(..10).unwrap_or(&at));
        }
        None => line.push_str(text(Text::LastBackupNever)),
    }
    line
}

/// Creates the tray icon and keeps its state line current (every 3 s).
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", state_line(app), false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", text(Text::Open), true, None::<&str>)?;
    let lock_item = MenuItem::with_id(app, "lock", text(Text::Lock), true, None::<&str>)?;
    let import = MenuItem::with_id(app, "import", text(Text::Import), true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", text(Text::Quit), true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &lock_item,
            &import,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("coffre")
        .tooltip("Coffre")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main(app),
            "lock" => {
                // Off the event loop: locking may wait for a backup to finish.
                let app = app.clone();
                std::thread::spawn(move || {
                    if app.state::<AppState>().lock_now() {
                        let _ = app.emit("locked", ());
                    }
                });
            }
            "import" => {
                show_main(app);
                let _ = app.emit("tray-import", ());
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    let items: [(MenuItem<Wry>, Option<Text>); 5] = [
        (status, None),
        (open, Some(Text::Open)),
        (lock_item, Some(Text::Lock)),
        (import, Some(Text::Import)),
        (quit, Some(Text::Quit)),
    ];
    let handle = app.clone();
    std::thread::Builder::new()
        .name("tray".into())
        .spawn(move || {
            // Each change goes to the main thread: only labels that changed are set.
            let mut shown: Vec<String> = Vec::new();
            loop {
                std::thread::sleep(Duration::from_secs(3));
                let labels: Vec<String> = items
                    .iter()
                    .map(|(_, key)| match key {
                        Some(k) => text(*k).to_owned(),
                        None => state_line(&handle),
                    })
                    .collect();
                for (i, ((item, _), label)) in items.iter().zip(&labels).enumerate() {
                    if shown.get(i) != Some(label) {
                        let _ = item.set_text(label);
                    }
                }
                shown = labels;
            }
        })?;
    Ok(())
}
