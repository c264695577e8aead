//! Where a vault's bytes live: the blob store, the lock, the SQLCipher index and its schema, the audit chain and the head record.

pub mod audit;
pub mod head;
pub mod index;
pub mod lock;
pub mod schema;
pub mod settings;
pub mod store;
