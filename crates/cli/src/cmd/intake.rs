//! Getting files in: `import` (files and folders, with a progress bar and one line per file in
//! the order given) and `watch` (a folder, until Ctrl-C), both through `coffre-core`'s ingest
//! queue.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use coffre_core::Error as CoreError;
use coffre_core::intake::ingest::{IngestEvent, Origin};
use coffre_core::intake::session::Intake;
use coffre_core::vault::PartOutcome;
use serde_json::json;

use super::Ctx;
use crate::args::{ImportArgs, WatchArgs};
use crate::output::outln;

/// Queues again the imports a crash or kill left unfinished (except those of `files`, about to be
/// submitted anew), saying so on stderr.
fn resume_interrupted(intake: &Intake, files: &[PathBuf]) -> Result<Vec<(i64, PathBuf)>> {
    let resumed = intake.resume(files)?;
    if !resumed.is_empty() {
        eprintln!(
            "coffre: finishing {} import(s) interrupted earlier",
            resumed.len()
        );
    }
    Ok(resumed)
}

/// `coffre import`: files, and folders recursively.
pub fn import(ctx: &Ctx, args: ImportArgs) -> Result<ExitCode> {
    let ImportArgs {
        paths,
        json,
        max_size,
    } = args;
    let mut vault = ctx.open()?;
    if let Some(limit) = max_size {
        // A one-off limit: applied to this run only, through a queue with that limit.
        vault.set_import_limit_for_session(limit);
    }
    let intake = Intake::start(vault)?;
    let ingest = intake.ingest();
    let events = ingest.subscribe();

    // Files first: unreadable paths are reported without a job.
    let mut order: Vec<(PathBuf, Option<String>)> = Vec::new();
    for item in coffre_core::intake::ingest::collect_files(&paths) {
        match item {
            Ok(p) => order.push((p, None)),
            Err((p, e)) => order.push((p, Some(reason_of(&e)))),
        }
    }
    let files: Vec<PathBuf> = order
        .iter()
        .filter(|(_, e)| e.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    let resumed = resume_interrupted(&intake, &files)?;
    let ids = ingest.submit(&files, Origin::Cli)?;
    let total = resumed.len() + order.len();
    // On a terminal: files done, and the file being read (with the page, for a scan's OCR).
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .expect("valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    // Lines come out in the order the files were given; resumed jobs as they finish.
    let mut job_slot = std::collections::HashMap::new();
    let mut next_id = ids.iter();
    for (i, (_, err)) in order.iter().enumerate() {
        if err.is_none() {
            job_slot.insert(*next_id.next().expect("one id per file"), i);
        }
    }
    let mut done: Vec<Option<String>> = order
        .iter()
        .map(|(p, e)| e.as_ref().map(|e| line(p, Err(e), json)))
        .collect();
    let mut printed = 0;
    let mut rejected = order.iter().filter(|(_, e)| e.is_some()).count();
    let mut remaining = resumed.len() + ids.len();
    let stdout = std::io::stdout();
    let flush_ready = |done: &mut Vec<Option<String>>, printed: &mut usize| {
        while *printed < done.len() {
            let Some(l) = done[*printed].take() else {
                break;
            };
            bar.suspend(|| {
                let mut out = stdout.lock();
                let _ = writeln!(out, "{l}");
                let _ = out.flush();
            });
            bar.inc(1);
            *printed += 1;
        }
    };
    flush_ready(&mut done, &mut printed);
    while remaining > 0 {
        let Ok(event) = events.recv() else { break };
        match &event {
            IngestEvent::Extracting { path, .. } => bar.set_message(path.display().to_string()),
            IngestEvent::Reading {
                path, page, pages, ..
            } => bar.set_message(format!("{}: OCR page {page}/{pages}", path.display())),
            _ => {}
        }
        if !event.is_final() {
            continue;
        }
        remaining -= 1;
        let text = match &event {
            IngestEvent::Stored {
                path, id, parts, ..
            } => {
                let mut text = line(path, Ok(("imported", id)), json);
                for part in parts {
                    text.push('\n');
                    text.push_str(&part_line(path, id, part, json));
                }
                text
            }
            IngestEvent::Duplicate { path, id, .. } => line(path, Ok(("duplicate", id)), json),
            IngestEvent::Failed { path, reason, .. } => {
                rejected += 1;
                line(path, Err(reason), json)
            }
            _ => continue,
        };
        match job_slot.get(&event.job()) {
            Some(&slot) => done[slot] = Some(text),
            None => {
                bar.suspend(|| outln!("{text}"));
                bar.inc(1);
            }
        }
        flush_ready(&mut done, &mut printed);
    }
    intake.close();
    bar.finish_and_clear();
    if rejected > 0 {
        eprintln!("coffre: {rejected} file(s) rejected");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre watch`: imports every file that lands in a folder, until Ctrl-C; one line per event.
pub fn watch(ctx: &Ctx, args: WatchArgs) -> Result<ExitCode> {
    use coffre_core::intake::watch::{HandledAction, WatchEvent, WatchOptions, WatchState};
    let WatchArgs {
        folder,
        after,
        settle_ms,
        recursive,
        rescan_s,
        json,
        locked,
    } = args;
    let vault = ctx.open()?;
    let folder = folder.as_path();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("installing the Ctrl-C handler")?;

    let mut intake = Intake::start(vault)?;
    resume_interrupted(&intake, &[])?;
    let options = WatchOptions {
        after,
        settle: std::time::Duration::from_millis(settle_ms),
        recursive,
        rescan: std::time::Duration::from_secs(rescan_s.max(1)),
        ..WatchOptions::default()
    };
    let print = move |event: WatchEvent| {
        let text = if json {
            serde_json::to_string(&event).unwrap_or_default()
        } else {
            let p = |p: &Path| p.display().to_string();
            match &event {
                WatchEvent::Started { folder } => format!("watching {}", p(folder)),
                WatchEvent::Seen { path } => format!("seen {}", p(path)),
                WatchEvent::Imported { path, id } if locked => format!("sealed {id} {}", p(path)),
                WatchEvent::Imported { path, id } => format!("imported {id} {}", p(path)),
                WatchEvent::Duplicate { path, id } => format!("duplicate {id} {}", p(path)),
                WatchEvent::Failed {
                    path,
                    reason,
                    moved_to,
                } => match moved_to {
                    Some(to) => format!("failed {}: {reason} (moved to {})", p(path), p(to)),
                    None => format!("failed {}: {reason} (left in place)", p(path)),
                },
                WatchEvent::Handled { path, action, to } => match (action, to) {
                    (HandledAction::Moved, Some(to)) => format!("moved {} -> {}", p(path), p(to)),
                    (HandledAction::Kept, _) => format!("kept {}", p(path)),
                    (HandledAction::Deleted, _) => format!("deleted {}", p(path)),
                    (HandledAction::Moved, None) => format!("moved {}", p(path)),
                },
                WatchEvent::Retried { path, to } => format!("retry {} -> {}", p(path), p(to)),
                WatchEvent::State { state } => match state {
                    WatchState::Watching => "state watching".to_owned(),
                    WatchState::FolderUnavailable { reason } => {
                        format!("state folder-unavailable: {reason}")
                    }
                    WatchState::Error { reason } => format!("state error: {reason}"),
                },
                WatchEvent::Stopped => "stopped".to_owned(),
                other => format!("{other:?}"),
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    };
    if locked {
        // Verified at this unlock; the vault is then locked (keys wiped, folder released).
        let (key, kept) = {
            let vault = coffre_core::intake::session::lock(intake.vault());
            vault.check_import_folder(folder, options.recursive)?;
            let config = coffre_core::intake::watch::WatchConfig {
                folder: folder.to_path_buf(),
                after,
                recursive,
            };
            let kept = coffre_core::intake::locked::kept_files(&vault, &config);
            (vault.intake_key()?, kept)
        };
        intake.close();
        eprintln!("coffre: the vault is locked; new files are sealed into its inbox");
        let watcher = coffre_core::intake::locked::watch_locked(key, folder, options, kept, print)?;
        let _ = stop_rx.recv();
        watcher.stop();
        return Ok(ExitCode::SUCCESS);
    }
    intake.watch(folder, options, print)?;
    let _ = stop_rx.recv();
    intake.close();
    Ok(ExitCode::SUCCESS)
}

/// One `import` line (or JSON object) for a file: stored, duplicate or rejected.
fn line(path: &Path, result: std::result::Result<(&str, &str), &String>, json: bool) -> String {
    let shown = path.display().to_string();
    match (result, json) {
        (Ok((status, id)), true) => json!({
            "status": status, "id": id, "path": shown, "reason": null, "parent": null,
        })
        .to_string(),
        (Err(reason), true) => json!({
            "status": "rejected", "id": null, "path": shown, "reason": reason, "parent": null,
        })
        .to_string(),
        (Ok((status, id)), false) => format!("{status} {id} {shown}"),
        (Err(reason), false) => format!("rejected {shown}: {reason}"),
    }
}

/// One `import` line (or JSON object) for a part of an e-mail message stored from `path` as
/// document `parent`: imported, duplicate (linked to the document already there) or skipped.
fn part_line(path: &Path, parent: &str, part: &PartOutcome, json: bool) -> String {
    let shown = path.display().to_string();
    if json {
        return json!({
            "status": part.status, "id": part.id, "path": shown, "part": part.name,
            "reason": part.reason, "parent": parent,
        })
        .to_string();
    }
    let status = serde_json::to_value(part.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    match (&part.id, &part.reason) {
        (Some(id), _) => format!("{status} {id} {shown} / {}", part.name),
        (None, reason) => format!(
            "{status} {shown} / {}: {}",
            part.name,
            reason.as_deref().unwrap_or_default()
        ),
    }
}

/// Why a path could not be read, without repeating the path.
fn reason_of(e: &CoreError) -> String {
    match e {
        // The path is already on the line.
        CoreError::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}
