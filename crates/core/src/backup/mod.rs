//! Encrypted, incremental backups: generations of the vault in a folder of the owner's choice
//! (an external disk, a synced folder), each one restorable into a vault that opens with the
//! passphrase or the recovery key valid when it was made.
//!
//! ```text
//! DIR/
//!   coffre-backup.json          {format: "coffre-backup", version: 1, vault_id, signing_public_key
//!                               (hex of the vault's Ed25519 public key), created_at}
//!   blobs/XX/ID                 encrypted blobs, byte copies of the vault's, copied once (blobs
//!                               never change); shared by every generation that lists them
//!   blobs/XX/.ID.tmp            a blob being copied (removed by the next run)
//!   generations/G/              G = UTC time of the run, like 2026-11-23T12-45-00Z
//!     vault.json                copy of the vault header (the master key only wrapped)
//!     index.db                  consistent snapshot of the index, still encrypted with the
//!                               index key (SQLite `VACUUM INTO` on the vault's own keyed
//!                               SQLCipher connection: the key never leaves it)
//!     manifest.json             {format: "coffre-backup-generation", version: 1, generation,
//!                               created_at, vault_id, header {sha256, size}, index {sha256,
//!                               size}, blobs [{id, sha256, size}], disposed [ids]}
//!     manifest.sig              raw 64-byte Ed25519 signature of manifest.json's exact bytes by
//!                               the vault's signing key
//!   generations/.G.part/        a generation being written, or being deleted (removed by the
//!                               next run)
//! ```
//!
//! Hashes are SHA-256 (hex) of the files' bytes as stored: nothing in `DIR` is plaintext, and
//! [`backup_verify`] and [`backup_list`] need no passphrase.
//!
//! Promises:
//! - a generation appears under its final name only complete and synced (written as
//!   `.G.part`, renamed); an interrupted run (kill, full disk) leaves the earlier generations
//!   intact, and the next run removes its leftovers and completes;
//! - each blob is copied to a temporary name, synced, checked (size and SHA-256 against the
//!   vault's file) and renamed;
//! - rotation ([`Rotation`], [`generations_to_keep`]) removes old generations, then every blob
//!   no remaining generation lists;
//! - disposal reaches backups: at each run, the blobs of documents disposed of in the vault
//!   (its tombstones) are deleted from `DIR`, and every generation that listed them is
//!   rewritten: its index snapshot scrubbed of their rows and search tokens and compacted into
//!   a new file, its manifest re-signed listing them under `disposed`;
//! - every run is recorded in the vault's audit trail (`backup.create`).
//!
//! Nothing in `DIR` is trusted before its signature holds: [`backup_verify`],
//! [`backup_restore`] and [`backup_list`] read only regular files (a link, a pipe or a device
//! where a file should be is refused), read `coffre-backup.json`, manifests and signatures
//! within fixed limits ([`MAX_MANIFEST_BYTES`]), and never read more of a blob, index or header
//! than its size in the signed manifest (a larger file is reported from its length alone).
//!
//! A run does not re-read blobs already in `DIR` (it trusts their size and the SHA-256 of a
//! manifest whose signature holds): damage there is found by [`backup_verify`]; deleting the
//! damaged blob makes the next run copy it again. There is no portable free-space query in
//! `std`: a full disk surfaces as "not enough space at DIR: need N bytes" and leaves earlier
//! generations intact.

//!
//! Modules: `format` (file names, header, manifest, blob paths), `folder` (reading and copying
//! the folder's files within limits), `create` (a run), `disposal` (disposal reaching
//! generations), `rotation` (which generations stay), `verify` (list and verify without a
//! passphrase), `restore`, `status` (reminders).

mod create;
mod disposal;
mod folder;
mod format;
mod restore;
mod rotation;
mod status;
mod verify;

pub use create::BackupSummary;
pub use format::{
    BACKUP_FILE, BackupHeader, BlobEntry, FORMAT_NAME, FORMAT_VERSION, FileEntry,
    GENERATION_FORMAT, GENERATIONS_DIR, MANIFEST_FILE, MAX_MANIFEST_BYTES, Manifest,
    SIGNATURE_FILE,
};
pub use restore::backup_restore;
pub use rotation::{Rotation, generations_to_keep};
pub use status::{BackupStatus, DEFAULT_WARN_AFTER_DAYS};
pub use verify::{BackupProblem, BackupVerifyReport, GenerationInfo, backup_list, backup_verify};
