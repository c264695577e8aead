//! What leaves for the accountant: the consent ledger and the signed bundle.

pub mod bundle;
pub mod consent;
