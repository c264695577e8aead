//! Where a vault's bytes live: the blob store, the lock, the SQLCipher index and its schema, the
//! audit chain, the head record and the typed settings. Only `audit` (its entries and reports)
//! and `settings` are part of the library's API; the rest serves the vault layer alone.

pub mod audit;
pub(crate) mod head;
pub(crate) mod index;
pub(crate) mod lock;
pub(crate) mod schema;
pub mod settings;
pub(crate) mod store;
