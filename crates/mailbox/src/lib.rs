//! Coffre's e-mail collector: fetches a mail account's folder over IMAP into the vault, each
//! message exactly once, with its attachments (the core's mail rules decide which).
//!
//! The accounts, their sealed passwords and the record of what was fetched live in the vault
//! (`coffre_core::vault::mailbox`); this crate is the network half: [`connect`] logs in
//! (TLS with rustls, STARTTLS, or plain TCP to this machine only), [`fetch`] downloads and
//! commits. It runs its own tokio runtime for the network and keeps the blocking work
//! (extraction, encryption, the index) on plain threads. See `docs/mail.md`.

pub mod connect;
pub mod fetch;

pub use fetch::{FolderInfo, Progress, fetch, test};
