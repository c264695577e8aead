//! GDPR: the request register, a data subject's search and export, and the full export for leaving.

pub mod export;
pub mod requests;
pub mod subject;
