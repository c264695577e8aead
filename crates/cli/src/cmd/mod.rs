//! The subcommands' work, one file per area, named like `coffre-core`'s folders: `vault` (create,
//! open, keys, checks, settings), `records` (the documents and their invoice data), `intake`
//! (import, watch), `mail` (mail accounts), `retention`, `sharing` (consents, bundles),
//! `privacy` (GDPR requests, data subjects, the full export) and `backup`. Each function is one command (or one command group)
//! and returns its exit code; [`Ctx`] is what they share.

pub mod backup;
pub mod intake;
pub mod mail;
pub mod privacy;
pub mod records;
pub mod retention;
pub mod sharing;
pub mod vault;

use std::path::{Path, PathBuf};

use anyhow::Result;
use coffre_core::format::vault_format::VaultHeader;
use coffre_core::{Error as CoreError, Passphrase, Vault};

use crate::secrets;

/// The global options every command may need: the vault folder and where its passphrase comes
/// from.
pub struct Ctx {
    /// The vault folder (`--vault`, `$COFFRE_VAULT`, or the OS default).
    pub dir: PathBuf,
    /// `--passphrase-file`.
    pub pass_file: Option<PathBuf>,
}

impl Ctx {
    /// `--passphrase-file`, as a path.
    pub fn pass_file(&self) -> Option<&Path> {
        self.pass_file.as_deref()
    }

    /// The vault's passphrase: `--passphrase-file`, else `$COFFRE_PASSPHRASE`, else a prompt.
    pub fn passphrase(&self) -> Result<Passphrase> {
        secrets::existing(self.pass_file())
    }

    /// Opens the vault with its passphrase; files sealed into its inbox while it was locked
    /// are imported first (said on stderr).
    pub fn open(&self) -> Result<Vault> {
        let pass = self.passphrase()?;
        let mut vault = Vault::open(&self.dir, &pass)?;
        if vault.inbox_count() > 0 {
            // Never a reason to refuse the command: what is not imported stays in the inbox.
            let items = coffre_core::intake::locked::import_inbox(&mut vault).unwrap_or_else(|e| {
                eprintln!("coffre: files sealed while locked not imported yet: {e}");
                Vec::new()
            });
            for item in items {
                let name = item.name.as_deref().unwrap_or("?");
                match (&item.id, &item.reason) {
                    (Some(id), _) => {
                        eprintln!("coffre: {} {id} {name} (sealed while locked)", item.status);
                    }
                    (None, reason) => eprintln!(
                        "coffre: a file sealed while locked could not be imported (kept in the inbox): {}",
                        reason.as_deref().unwrap_or("")
                    ),
                }
            }
        }
        Ok(vault)
    }

    /// The vault's header, or `None` when there is no vault in the folder (no passphrase needed).
    pub fn header(&self) -> Result<Option<VaultHeader>> {
        match VaultHeader::read(&self.dir) {
            Ok(h) => Ok(Some(h)),
            Err(CoreError::NoVault(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
