//! The few sentences the shell itself shows outside the window (tray menu, notifications), in
//! the UI's language, which the window reports with `ui_locale`.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the UI is in French (English otherwise).
static FRENCH: AtomicBool = AtomicBool::new(false);

/// Follows the UI's language (`fr` or anything else for English).
pub fn set_locale(lang: &str) {
    FRENCH.store(lang.starts_with("fr"), Ordering::Relaxed);
}

/// A sentence of the shell, by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    Open,
    Lock,
    Import,
    Quit,
    StateLocked,
    StateUnlocked,
    StateImporting,
    LastBackupNever,
    LastBackup,
    BackupDone,
    BackupFailed,
    BackupOverdue,
}

/// The text of `key` in the UI's language.
pub fn text(key: Text) -> &'static str {
    let fr = FRENCH.load(Ordering::Relaxed);
    match (key, fr) {
        (Text::Open, false) => "Open Coffre",
        (Text::Open, true) => "Ouvrir Coffre",
        (Text::Lock, false) => "Lock",
        (Text::Lock, true) => "Verrouiller",
        (Text::Import, false) => "Import files…",
        (Text::Import, true) => "Importer des fichiers…",
        (Text::Quit, false) => "Quit",
        (Text::Quit, true) => "Quitter",
        (Text::StateLocked, false) => "Locked",
        (Text::StateLocked, true) => "Verrouillé",
        (Text::StateUnlocked, false) => "Unlocked",
        (Text::StateUnlocked, true) => "Déverrouillé",
        (Text::StateImporting, false) => "Importing",
        (Text::StateImporting, true) => "Import en cours",
        (Text::LastBackupNever, false) => "No backup yet",
        (Text::LastBackupNever, true) => "Aucune sauvegarde",
        (Text::LastBackup, false) => "Last backup",
        (Text::LastBackup, true) => "Dernière sauvegarde",
        (Text::BackupDone, false) => "Backup done",
        (Text::BackupDone, true) => "Sauvegarde effectuée",
        (Text::BackupFailed, false) => "Backup failed",
        (Text::BackupFailed, true) => "Échec de la sauvegarde",
        (Text::BackupOverdue, false) => "A scheduled backup was missed",
        (Text::BackupOverdue, true) => "Une sauvegarde prévue n'a pas eu lieu",
    }
}
