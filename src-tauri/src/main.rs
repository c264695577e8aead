//! Coffre's desktop app: a Tauri 2 shell over `coffre-core`. The window's web UI (`ui/`) calls
//! the commands of [`commands`]; the unlocked vault and its ingest queue live in managed state
//! ([`session`]). Usage: `coffre-desktop [--vault DIR] [--demo]` (or `COFFRE_VAULT=DIR`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

mod commands;
mod demo;
mod error;
mod session;

use std::path::PathBuf;
use tauri::Manager;

use crate::session::{AppState, Session, lock};

struct Args {
    vault: Option<PathBuf>,
    demo: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        vault: std::env::var_os("COFFRE_VAULT").map(PathBuf::from),
        demo: false,
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--demo") => args.demo = true,
            Some("--vault") => {
                args.vault = Some(it.next().ok_or("--vault needs a folder")?.into());
            }
            Some("--help" | "-h") => {
                return Err("usage: coffre-desktop [--vault DIR] [--demo]".into());
            }
            _ => return Err(format!("unknown argument {a:?} (try --help)")),
        }
    }
    Ok(args)
}

fn main() {
    // Started as an extraction worker: parse one untrusted document at a time, then exit.
    coffre_core::records::worker::serve_if_requested();
    // No core dump may write keys or plaintext to disk.
    coffre_core::records::worker::disable_core_dumps();
    let args = match parse_args() {
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
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(commands::handler())
        .setup(move |app| {
            if let Some((_, vault)) = demo {
                let minutes = vault.auto_lock_minutes()?;
                let session = Session::start(vault, app.handle())?;
                app.state::<AppState>().open(session, minutes);
            }
            session::start_auto_lock(app.handle().clone());
            session::start_mail_schedule(app.handle().clone());
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
