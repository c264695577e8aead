//! `coffre`: the vault from the terminal. Each subcommand is a few lines over `coffre-core`.
//!
//! `args` is the command line's shape, `cmd` the commands (one file per area), `output` the
//! printing they share and `secrets` where passphrases and keys come from. This file starts the
//! process, runs one command and turns its outcome into the exit code.

mod args;
mod cmd;
mod output;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use args::{Cli, Command};
use cmd::Ctx;

/// The OS data folder's vault, when neither `--vault` nor `$COFFRE_VAULT` names one.
fn default_vault() -> Result<PathBuf> {
    coffre_core::format::vault_format::default_dir()
        .context("no data folder on this system: pass --vault DIR")
}

fn main() -> ExitCode {
    // Started as an extraction worker: parse one untrusted document at a time, then exit.
    coffre_core::records::worker::serve_if_requested();
    // No core dump may write keys or plaintext to disk.
    coffre_core::records::worker::disable_core_dumps();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coffre: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command: its exit code, or the error `main` reports on one line.
fn run(cli: Cli) -> Result<ExitCode> {
    let dir = match &cli.vault {
        Some(d) => d.clone(),
        None => default_vault()?,
    };
    let ctx = Ctx {
        dir,
        pass_file: cli.passphrase_file,
    };
    match cli.command {
        Command::Init(args) => cmd::vault::init(&ctx, args),
        Command::Status { json } => cmd::vault::status(&ctx, json),
        Command::Import(args) => cmd::intake::import(&ctx, args),
        Command::Watch(args) => cmd::intake::watch(&ctx, args),
        Command::List {
            json,
            direction,
            payment,
        } => cmd::records::list(&ctx, json, direction.as_deref(), payment.as_deref()),
        Command::Direction { direction, ids } => {
            cmd::records::set_direction(&ctx, &direction, &ids)
        }
        Command::SetStatus {
            id,
            status,
            at,
            note,
        } => cmd::records::set_status(&ctx, &id, &status, at.as_deref(), note.as_deref()),
        Command::Show { id, json } => cmd::records::show(&ctx, &id, json),
        Command::Cat { id } => cmd::records::cat(&ctx, &id),
        Command::Extract { file, json } => cmd::records::extract(&file, json),
        Command::Search(args) => cmd::records::search(&ctx, args),
        Command::Correct(args) => cmd::records::correct(&ctx, args),
        Command::Reextract { ids } => cmd::records::reextract(&ctx, &ids),
        Command::Mail { action } => cmd::mail::mail(&ctx, action),
        Command::SupplierMemory { action } => cmd::records::supplier_memory(&ctx, action),
        Command::Retention { action } => cmd::retention::retention(&ctx, action),
        Command::Restrict { id, reason } => cmd::retention::restrict(&ctx, &id, &reason),
        Command::Unrestrict { id } => cmd::retention::unrestrict(&ctx, &id),
        Command::Category { id, category } => cmd::retention::category(&ctx, &id, &category),
        Command::Backup { action } => cmd::backup::backup(&ctx, action),
        Command::Export { out } => cmd::privacy::export(&ctx, &out),
        Command::Bundle { action } => cmd::sharing::bundle(&ctx, action),
        Command::Certify(args) => cmd::sharing::certify(&ctx, args),
        Command::Consent { action } => cmd::sharing::consent(&ctx, action),
        Command::Request { action } => cmd::privacy::request(&ctx, action),
        Command::Subject { action } => cmd::privacy::subject(&ctx, action),
        Command::Passwd {
            new_passphrase_file,
        } => cmd::vault::passwd(&ctx, new_passphrase_file.as_deref()),
        Command::Rekey(args) => cmd::vault::rekey(&ctx, args),
        Command::Recover(args) => cmd::vault::recover(&ctx, args),
        Command::Verify { json } => cmd::vault::verify(&ctx, json),
        Command::Quarantine { action, json } => cmd::vault::quarantine(&ctx, action, json),
        Command::Audit { json, action } => cmd::vault::audit(&ctx, json, action),
        Command::Config { key, value } => cmd::vault::config(&ctx, key, value),
    }
}
