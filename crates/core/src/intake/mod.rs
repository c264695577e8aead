//! How files arrive: the ingest queue (journaled, never losing or doubling a file) and the watched import folder.

pub mod ingest;
pub mod locked;
pub mod session;
pub mod watch;
