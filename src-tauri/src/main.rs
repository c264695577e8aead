//! Coffre's desktop app: a Tauri 2 shell over `coffre-core`. The window's web UI (`ui/`) calls
//! the commands of [`commands`]; the unlocked vault and its ingest queue live in managed state
//! ([`session`]); the tray ([`tray`]), the schedules ([`background`]) and updates ([`updates`])
//! run beside it. Usage: `coffre-desktop [--vault DIR] [--demo] [--hidden] [FILE...]` (or
//! `COFFRE_VAULT=DIR`): FILEs (a PDF or XML opened with Coffre) are imported once unlocked; a
//! second launch hands its FILEs to the running app and focuses its window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

mod background;
mod commands;
mod demo;
mod error;
mod prefs;
mod session;
mod texts;
mod tray;
mod updates;

use std::path::{Path, PathBuf};
use tauri::Manager;

use crate::session::{AppState, Session, lock};

struct Args {
    vault: Option<PathBuf>,
    demo: bool,
    /// Started at login: the window stays hidden (Coffre waits in the tray).
    hidden: bool,
    /// Files opened with Coffre, to import.
    files: Vec<PathBuf>,
}

fn parse_args(argv: impl Iterator<Item = std::ffi::OsString>) -> Result<Args, String> {
    let mut args = Args {
        vault: std::env::var_os("COFFRE_VAULT").map(PathBuf::from),
        demo: false,
        hidden: false,
        files: Vec::new(),
    };
    let mut it = argv;
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--demo") => args.demo = true,
            Some("--hidden") => args.hidden = true,
            Some("--vault") => {
                args.vault = Some(it.next().ok_or("--vault needs a folder")?.into());
            }
            Some("--help" | "-h") => {
                return Err(
                    "usage: coffre-desktop [--vault DIR] [--demo] [--hidden] [FILE...]".into(),
                );
            }
            Some(flag) if flag.starts_with("--") => {
                return Err(format!("unknown argument {a:?} (try --help)"));
            }
            // A file opened with Coffre (file manager, "Open with"): `file://` URLs too.
            _ => {
                let text = a.to_string_lossy();
                let path = text
                    .strip_prefix("file://")
                    .map_or_else(|| PathBuf::from(&a), PathBuf::from);
                args.files.push(path);
            }
        }
    }
    Ok(args)
}

fn main() {
    // Started as an extraction worker: parse one untrusted document at a time, then exit.
    coffre_core::records::worker::serve_if_requested();
    // No core dump may write keys or plaintext to disk.
    coffre_core::records::worker::disable_core_dumps();
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let demo = if args.demo {
        eprintln!("Creating a demo vault with generated sample invoices...");
        match demo::create(400) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("could not create the demo vault: {e}");
                std::process::exit(1);
            }
        }
    } else {
        None
    };
    let dir = match (&demo, args.vault) {
        (Some((dir, _)), _) => dir.clone(),
        (None, Some(dir)) => dir,
        (None, None) => match coffre_core::format::vault_format::default_dir() {
            Some(d) => d,
            None => {
                eprintln!("no data folder on this system: pass --vault DIR");
                std::process::exit(2);
            }
        },
    };
    let demo_dir = demo.as_ref().map(|(d, _)| d.clone());
    let state = AppState::new(dir, demo.as_ref().map(|_| demo::PASSPHRASE.to_owned()));
    state.open_files(args.files);
    let hidden = args.hidden;
    let result = tauri::Builder::default()
        // First: a second launch ends here, handing over its files (see the module's docs).
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            if let Ok(again) = parse_args(argv.into_iter().skip(1).map(Into::into)) {
                // Relative to where the second launch was made, not to this process.
                let files = again.files.into_iter().map(|f| Path::new(&cwd).join(f));
                app.state::<AppState>().open_files(files.collect());
            }
            tray::show_main(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(state)
        .manage(updates::Pending::default())
        .invoke_handler(commands::handler())
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let keep = window.state::<prefs::PrefsFile>().get().close_to_tray;
                if keep {
                    // Coffre goes on in the tray: import folder, schedules, auto-lock.
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .setup(move |app| {
            let prefs_path = app
                .path()
                .app_config_dir()
                .ok()
                .map(|d| d.join("prefs.json"));
            app.manage(prefs::PrefsFile::load(prefs_path));
            if let Some((_, vault)) = demo {
                let minutes = vault.auto_lock_minutes()?;
                let session = Session::start(vault, app.handle())?;
                app.state::<AppState>().open(session, minutes);
            }
            if hidden && let Some(w) = app.get_webview_window("main") {
                let _ = w.hide();
            }
            if let Err(e) = tray::install(app.handle()) {
                eprintln!("coffre: no tray icon: {e}");
            }
            background::start_auto_lock(app.handle().clone());
            background::start_mail_schedule(app.handle().clone());
            background::start_backup_schedule(app.handle().clone());
            updates::start_daily_check(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(e) => {
            eprintln!("could not start Coffre: {e}");
            std::process::exit(1);
        }
    };
    app.run(move |handle, event| {
        // macOS hands files opened with the app ("Open with", a double click) as an event.
        #[cfg(target_os = "macos")]
        if let tauri::RunEvent::Opened { urls } = &event {
            let files = urls.iter().filter_map(|u| u.to_file_path().ok()).collect();
            handle.state::<AppState>().open_files(files);
            tray::show_main(handle);
        }
        if let tauri::RunEvent::Exit = event {
            // Lock on the way out: the watcher stops, jobs in flight finish, keys are wiped.
            let state = handle.state::<AppState>();
            if let Some(s) = lock(&state.session).take() {
                s.close();
            }
            state.stop_locked_watch();
            if let Some(d) = &demo_dir {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    });
}
