//! What leaves for the accountant and the auditor: the consent ledger, the signed bundle and
//! integrity certificates.

pub mod bundle;
pub mod certificate;
pub mod consent;
